/**
 * `curate decontaminate` in batches of whole lines: the main thread cuts the input's raw bytes into
 * batches (`lineBatches`), and `matchBatch` — on a worker thread or inline — decodes, splits, parses
 * and matches one batch, returning the batch's output text and counts. Lines, rows and errors are
 * exactly those of reading the file with `readline` (crlfDelay Infinity) one line at a time:
 * - invalid UTF-8 becomes U+FFFD; an incomplete UTF-8 sequence at the very end of the input is
 *   dropped (readline never ends its StringDecoder);
 * - a line ends at "\n", "\r\n" or a lone "\r"; a last line without an ending counts when non-empty;
 * - rows are numbered by line (blank lines included), so errors and default ids name the same row.
 *
 * Batches live in reused buffers (`BufferPool`): a worker gets a batch's ArrayBuffer transferred
 * and hands it back with its result. Fresh memory is what costs here (first-touch page faults), so
 * neither thread allocates per batch: the main thread reads a plain file straight into a pooled
 * buffer (a .gz: copies the decompressed chunks into it), and the worker decodes one line at a time (a
 * batch-sized string would be fresh memory too). Lines with a "\r" in the batch are the exception:
 * that batch is decoded whole and split as readline splits.
 */
import { StringDecoder } from "node:string_decoder";
import { open, type FileHandle } from "node:fs/promises";
import type { ContaminationIndex } from "./benchmark-index.js";
import type { DecontaminateConfig } from "./types.js";
import { contaminationOf } from "./row-match.js";
import { utf16Hint } from "../io/json-row.js";
import { gunzipChunks, type GzipDamage } from "../io/gzip-chunks.js";
import { LocalBytes } from "../io/byte-source.js";

/** Where output text goes, in order: standard output, an --out file (io/atomic.ts), a caller's function. */
export type OutputSink = (text: string) => void | Promise<void>;

/** What a batch needs besides its bytes (sent once to each worker). */
export interface BatchOptions {
  field: string;
  responseField?: string;
  all: boolean;
  details: boolean;
  cfg: DecontaminateConfig;
}

export interface BatchResult {
  /**
   * the output lines of the batch's rows (up to the bad row when `error` is set): text, and numbers
   * where a row's default id goes — its line within the batch, which the main thread turns into the
   * row number in the file once the lines of the batches before are known (`batchText`)
   */
  parts: (string | number)[];
  rows: number;
  flagged: number;
  /** matches per benchmark, keys in order of first appearance in the batch */
  byBenchmark: Record<string, number>;
  /** lines read (blank ones included; up to the bad row when `error` is set) */
  lines: number;
  /** the first bad row of the batch (its line within the batch, from 0) and what is wrong with it */
  error?: { row: number; cause: string };
}

export interface LineBatch {
  /** whole lines, at the start of a pooled ArrayBuffer (transfer `bytes.buffer`, then release it) */
  bytes: Uint8Array;
}

/** A batch's output text, its rows numbered from `firstRow` (the batch's first line in the file). */
export function batchText(res: BatchResult, firstRow: number): string {
  let s = "";
  for (const p of res.parts) s += typeof p === "number" ? String(firstRow + p) : p;
  return s;
}

/** The row's own id, or null: the row number stands in. */
function rowId(v: Record<string, unknown>): string | number | null {
  for (const k of ["id", "unique_id", "uid", "idx"]) {
    const x = v[k];
    if (typeof x === "string" || typeof x === "number") return x;
  }
  return null;
}

/** Lines of a decoded text as readline emits them: endings \n, \r\n, lone \r; a non-empty tail. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Decode, parse and match one batch of whole lines. */
export function matchBatch(index: ContaminationIndex, o: BatchOptions, bytes: Uint8Array): BatchResult {
  const parts: (string | number)[] = [];
  const res: BatchResult = { parts, rows: 0, flagged: 0, byBenchmark: {}, lines: 0 };
  /** one line; false once it is the batch's bad row */
  const row = (line: string, row: number): boolean => {
    if (line.trim() === "") return true;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      res.error = { row, cause: `not valid JSON (${(e as Error).message})${utf16Hint(line)}` };
      return false;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      res.error = { row, cause: "expected a JSON object" };
      return false;
    }
    const rec = v as Record<string, unknown>;
    const problem = rec[o.field];
    if (typeof problem !== "string") {
      res.error = { row, cause: `field "${o.field}" must be a string (choose the field with --field)` };
      return false;
    }
    const response = o.responseField ? rec[o.responseField] : undefined;
    const matches = contaminationOf(index, { problem, response: typeof response === "string" ? response : "" }, o.cfg);
    res.rows++;
    if (matches.length > 0) {
      res.flagged++;
      for (const m of matches) res.byBenchmark[m.benchmark] = (res.byBenchmark[m.benchmark] ?? 0) + 1;
    }
    if (matches.length > 0 || o.all) {
      const ms = matches.map((m) => (o.details ? m : { benchmark: m.benchmark, item: m.item, method: m.method, score: m.score }));
      const id = rowId(rec);
      if (id !== null) parts.push(JSON.stringify({ id, matches: ms }) + "\n");
      else parts.push('{"id":', row, ',"matches":' + JSON.stringify(ms) + "}\n"); // = JSON.stringify({ id: row, matches })
    }
    return true;
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.indexOf(13) === -1) {
    // "\n" endings only: decode line by line (an ending is ASCII, so this equals decoding all)
    for (let p = 0, i = 0; p < buf.length; i++) {
      const e = buf.indexOf(10, p);
      // a last line without an ending: StringDecoder.write keeps an incomplete sequence back, as
      // readline drops it; nothing left, no line
      const line = e === -1 ? new StringDecoder("utf8").write(buf.subarray(p)) : buf.toString("utf8", p, e);
      if (e === -1 && line === "") break;
      res.lines++;
      if (!row(line, i)) break;
      p = e === -1 ? buf.length : e + 1;
    }
  } else {
    const lines = splitLines(new StringDecoder("utf8").write(buf));
    for (let i = 0; i < lines.length; i++) {
      res.lines++;
      if (!row(lines[i]!, i)) break;
    }
  }
  return res;
}

/**
 * Batch buffers for reuse: a buffer comes back (from a worker, with its result) and serves a later
 * batch, so memory stays warm and bounded. Buffers larger than the standard size (a batch holding
 * one long line) are not kept.
 */
export class BufferPool {
  private free: ArrayBuffer[] = [];
  constructor(
    readonly size: number,
    private keep = 16,
  ) {}
  get(min: number): ArrayBuffer {
    if (min <= this.size) return this.free.pop() ?? new ArrayBuffer(this.size);
    return new ArrayBuffer(min);
  }
  release(ab: ArrayBuffer): void {
    if (ab.byteLength === this.size && this.free.length < this.keep) this.free.push(ab);
  }
}

/** Bytes read into a caller's buffer: `read` resolves to the count read, 0 at the end. */
export interface ByteSource {
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/** A plain file, read straight into the batch buffers (no intermediate chunks, no copy). */
export function fileSource(path: string): ByteSource {
  let fh: Promise<FileHandle> | null = null;
  return {
    async read(into, offset, length) {
      fh ??= open(path, "r");
      return (await (await fh).read(into, offset, length, null)).bytesRead;
    },
    async close() {
      if (fh) await (await fh.catch(() => null))?.close();
    },
  };
}

/** Chunks (a .gz file's, decompressed) copied into the batch buffers. */
export function chunkSource(chunks: AsyncIterable<Buffer>): ByteSource {
  const it = chunks[Symbol.asyncIterator]();
  let pending: Buffer | null = null;
  return {
    async read(into, offset, length) {
      while (!pending || pending.length === 0) {
        const next = await it.next(); // a read error is thrown after every chunk before it
        if (next.done) return 0;
        pending = next.value;
      }
      const n = Math.min(length, pending.length);
      into.set(pending.subarray(0, n), offset);
      pending = pending.subarray(n);
      return n;
    },
    async close() {
      await it.return?.(undefined);
    },
  };
}

/**
 * A .gz file's lines, decompressed by io/gzip-chunks.ts. On damage (corrupt bytes, truncation,
 * garbage after the last member) every line zlib produced before it is delivered, the line it cut
 * off is held back, and `damage` says where: the caller reports it after the rows before it, in
 * the run's words (`damageText`).
 */
export class GzipLines {
  damage: { at: GzipDamage; cutBytes: number } | null = null;
  constructor(private readonly path: string) {}

  async *chunks(): AsyncGenerator<Buffer> {
    let held: Buffer[] = []; // the bytes after the last line ending so far
    let heldBytes = 0;
    for await (const piece of gunzipChunks(LocalBytes.open(this.path))) {
      if (!Buffer.isBuffer(piece)) {
        this.damage = { at: piece, cutBytes: heldBytes };
        return;
      }
      const end = Math.max(piece.lastIndexOf(10), piece.lastIndexOf(13)) + 1;
      if (end === 0) {
        held.push(piece);
        heldBytes += piece.length;
        continue;
      }
      yield* held;
      yield piece.subarray(0, end);
      held = end < piece.length ? [piece.subarray(end)] : [];
      heldBytes = piece.length - end;
    }
    yield* held;
  }
}

/**
 * Cut a byte source into batches of whole lines: each ends at the first line ending at or after
 * `batchBytes` (a longer line is a batch of its own); the last batch holds whatever follows the
 * last line ending. Each batch's bytes start at offset 0 of a buffer from `pool` (the consumer
 * transfers it to a worker, or uses it, and then releases it to the pool); reads fill the rest of
 * the current buffer, and what follows a batch moves to the next buffer.
 */
export async function* lineBatches(source: ByteSource, batchBytes: number, pool: BufferPool): AsyncGenerator<LineBatch> {
  let buf = pool.get(0);
  let u8 = new Uint8Array(buf);
  let len = 0; // bytes held in buf
  let searched = 0; // buf[0, searched) holds no place to cut at or after batchBytes
  /** the batch buf[0, end): the rest moves to another pooled buffer */
  const cut = (end: number): LineBatch => {
    const rest = len - end;
    const next = pool.get(rest);
    const nu8 = new Uint8Array(next);
    nu8.set(u8.subarray(end, len));
    const batch = { bytes: new Uint8Array(buf, 0, end) };
    buf = next;
    u8 = nu8;
    len = rest;
    searched = 0;
    return batch;
  };
  /** end (exclusive) of the first line ending at or after batchBytes - 1 in buf[0, len), or -1; a
   * "\r" that is the last byte held ends a line only at the end of the input (else it may be the
   * first half of "\r\n") */
  const firstCut = (atEnd: boolean): number => {
    const from = Math.max(searched, batchBytes - 1);
    const b = Buffer.from(buf, 0, len);
    const nl = b.indexOf(10, from);
    const cr = b.indexOf(13, from);
    if (cr !== -1 && (nl === -1 || cr < nl)) {
      if (cr + 1 < len) return b[cr + 1] === 10 ? cr + 2 : cr + 1;
      if (atEnd) return cr + 1;
      searched = cr;
      return -1;
    }
    if (nl !== -1) return nl + 1;
    searched = Math.max(from, len);
    return -1;
  };
  try {
    for (;;) {
      while (len >= batchBytes) {
        const end = firstCut(false);
        if (end === -1) break;
        yield cut(end);
      }
      if (len === buf.byteLength) {
        // a long line: grow (a buffer of its own, not kept by the pool)
        const bigger = pool.get(2 * buf.byteLength);
        const bu8 = new Uint8Array(bigger);
        bu8.set(u8.subarray(0, len));
        pool.release(buf);
        buf = bigger;
        u8 = bu8;
      }
      let n: number;
      try {
        n = await source.read(u8, len, buf.byteLength - len);
      } catch (e) {
        // a read error (say a truncated .gz): the whole lines read before it are still rows, as
        // readline emits them before the error; the partial line after them is not
        const b = Buffer.from(buf, 0, len);
        const end = Math.max(b.lastIndexOf(10), b.lastIndexOf(13)) + 1;
        if (end > 0) yield cut(end);
        throw e;
      }
      if (n === 0) break;
      len += n;
    }
  } finally {
    await source.close();
  }
  while (len > 0) {
    const end = len >= batchBytes ? firstCut(true) : -1;
    if (end === -1 || end === len) {
      const batch = { bytes: new Uint8Array(buf, 0, len) };
      len = 0;
      yield batch;
    } else yield cut(end);
  }
}
