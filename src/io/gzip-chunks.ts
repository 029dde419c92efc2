/**
 * Decompressed chunks of a gzip file, then — when the stream is damaged (corrupt bytes, garbage
 * after the last member, truncation) — one {@link GzipDamage} instead of an exception, after every
 * byte zlib could produce before the damage.
 *
 * Why not just the Gunzip stream: on a zlib error Node drops what it already decompressed — the
 * output of the failing inflate call (up to 16 KB) and whatever sat in the stream's buffer — so a
 * file with trailing garbage lost its last hundred rows. The fast path is the plain stream; only
 * after an error the file is decompressed again from its start, the bytes before the failing write
 * in one go and the rest in ever smaller writes (1 KB, then 1 byte), each write's output kept once
 * it succeeded. zlib's state cannot be copied, so each narrowing pass starts over: a damaged file
 * costs three decompressions of the part before the damage and at most ~2,000 small writes.
 */
import { createGunzip, type Gunzip } from "node:zlib";
import { closeStream, type ByteSource } from "./byte-source.js";

export interface GzipDamage {
  /** zlib's words: "incorrect header check", "unexpected end of file", … */
  message: string;
  /** offset in the compressed file of the first byte zlib refused (the file size for a truncation) */
  compressedOffset: number;
}

const ZLIB_CODES = new Set(["Z_DATA_ERROR", "Z_BUF_ERROR", "Z_STREAM_ERROR", "Z_NEED_DICT"]);
const isZlibError = (e: unknown) => ZLIB_CODES.has((e as NodeJS.ErrnoException)?.code ?? "");

/**
 * How a damaged stream is reported, by the run's reader (a row of its own) and by `curate
 * decontaminate` (its error) alike: `rows` lines were read before the damage, and `cutBytes` bytes of
 * the next one were decompressed before it (0: the damage is between lines).
 */
export function damageText(d: GzipDamage, rows: number, cutBytes: number): string {
  const what = cutBytes > 0 ? `row ${rows + 1} is cut off after ${cutBytes.toLocaleString("en-US")} bytes` : "no row was cut off";
  // a checksum is only checked at the end of a gzip member: the damage is somewhere before, unknown
  const consequence = /incorrect (data|length) check/.test(d.message)
    ? "the decompressed data does not match the gzip checksum, so rows read before it may hold damaged bytes"
    : "nothing after it can be read";
  return `corrupt or truncated gzip stream after ${rows} rows (${d.message} at compressed byte ${d.compressedOffset.toLocaleString("en-US")}): ${what}; ${consequence}`;
}

/** `onBytes` receives the compressed bytes read (first pass only: progress, not recovery). */
export async function* gunzipChunks(source: ByteSource, onBytes?: (n: number) => void): AsyncGenerator<Buffer | GzipDamage> {
  const file = source.stream();
  if (onBytes) file.on("data", (c) => onBytes((c as Buffer).length));
  const gunzip = createGunzip();
  file.on("error", (e) => gunzip.destroy(e));
  let delivered = 0;
  try {
    for await (const chunk of file.pipe(gunzip) as AsyncIterable<Buffer>) {
      delivered += chunk.length;
      yield chunk;
    }
    return;
  } catch (e) {
    if (!isZlibError(e)) throw e;
    // bytes consumed by the inflate calls that succeeded: the damage is at or after this offset
    let good = gunzip.bytesWritten;
    let damage: GzipDamage = { message: (e as Error).message, compressedOffset: good };
    for (const step of [1024, 1]) {
      const pass = recoveryPass(source, delivered, good, step);
      let r = await pass.next();
      for (; !r.done; r = await pass.next()) {
        delivered += r.value.length;
        yield r.value;
      }
      if (!r.value) break; // no error this time (cannot happen: decompression is deterministic)
      damage = r.value.damage;
      good = damage.compressedOffset;
      if (r.value.atEnd) break; // truncated: nothing to narrow down
    }
    yield damage;
  } finally {
    gunzip.destroy();
    await closeStream(file);
  }
}

/**
 * Decompress `source` from its start: bytes [0, good) in the stream's pieces, then `step`-byte writes
 * until zlib refuses one. Yields the output past the first `skip` bytes (already delivered) as each
 * write succeeds; returns the damage (its offset: the start of the refused write), or null at a clean end.
 */
async function* recoveryPass(source: ByteSource, skip: number, good: number, step: number): AsyncGenerator<Buffer, { damage: GzipDamage; atEnd: boolean } | null> {
  const gunzip = createGunzip();
  let seen = 0; // output bytes so far
  let out: Buffer[] = [];
  gunzip.on("data", (c: Buffer) => {
    if (seen + c.length > skip) out.push(seen >= skip ? c : c.subarray(skip - seen));
    seen += c.length;
  });
  let failure = null as Error | null; // set by the "error" listener
  gunzip.on("error", (e) => (failure ??= e));
  const input = source.stream();
  try {
    let pos = 0;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      // the part before `good` in one write per piece, the rest in `step`-byte writes
      const cut = Math.max(0, Math.min(chunk.length, good - pos));
      const pieces = [...(cut > 0 ? [Buffer.from(chunk.subarray(0, cut))] : []), ...splitInto(chunk.subarray(cut), step)];
      for (const p of pieces) {
        await write(gunzip, p);
        if (failure) return { damage: { message: failure.message, compressedOffset: pos }, atEnd: false };
        pos += p.length;
        if (out.length) {
          yield* out;
          out = [];
        }
      }
    }
    await new Promise<void>((resolve) => {
      gunzip.once("error", () => resolve());
      gunzip.end(() => resolve());
    });
    if (out.length) yield* out;
    return failure ? { damage: { message: failure.message, compressedOffset: source.size }, atEnd: true } : null;
  } finally {
    await closeStream(input);
    gunzip.destroy();
  }
}

function splitInto(b: Buffer, step: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += step) out.push(Buffer.from(b.subarray(i, i + step)));
  return out;
}

/** Write one piece and wait until zlib processed it (or failed) and its output was emitted. */
function write(gunzip: Gunzip, piece: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      gunzip.off("error", done);
      setImmediate(resolve); // let output pushed during the write reach the "data" listener
    };
    gunzip.once("error", done);
    gunzip.write(piece, done);
  });
}
