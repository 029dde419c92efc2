/**
 * Streaming JSONL reader (plain or gzip). Splits on raw bytes so memory stays bounded by the longest
 * accepted line; a line over `maxLineBytes` is skipped to its end without being buffered and reported
 * as an error row. Each line is decoded as strict UTF-8, so invalid byte sequences are caught per row.
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";

/**
 * `offset`: byte offset of the line's start in the (uncompressed) stream; `reason`: the bad-row reason
 * when the reader knows it (e.g. `input:row_too_large` from the Parquet reader)
 */
export type RawRow =
  | { row: number; value: unknown; bytes: number; offset?: number }
  | { row: number; error: string; raw: string; bytes: number; offset?: number; reason?: string };

export interface JsonlOptions {
  gzip: boolean;
  maxLineBytes: number;
  /** keep at most this many bytes of a bad line for the rejected/ record */
  rawSnippetBytes?: number;
  /** receives the compressed/plain bytes read from disk (for progress) */
  onBytes?: (n: number) => void;
  /** plain files only: start reading at this byte offset (a line start) with this row number */
  start?: { byte: number; row: number };
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8", { fatal: false });

export async function* readJsonl(path: string, opts: JsonlOptions): AsyncGenerator<RawRow> {
  if (opts.start && opts.gzip) throw new Error("readJsonl: a gzip stream cannot start at a byte offset");
  const file = createReadStream(path, { highWaterMark: 1 << 20, start: opts.start?.byte ?? 0 });
  if (opts.onBytes) file.on("data", (c) => opts.onBytes!((c as Buffer).length));
  let stream: Readable = file;
  if (opts.gzip) {
    const gunzip = createGunzip();
    file.on("error", (e) => gunzip.destroy(e));
    stream = file.pipe(gunzip);
  }
  const snippet = opts.rawSnippetBytes ?? 65536;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let skipping = false; // inside an over-long line
  let skippedBytes = 0;
  let row = opts.start?.row ?? 0;
  let chunkBase = opts.start?.byte ?? 0; // stream offset of the current chunk
  let lineStart = chunkBase; // stream offset of the line being assembled

  function* finishLine(tail: Buffer): Generator<RawRow> {
    const offset = lineStart;
    if (skipping) {
      const total = skippedBytes + tail.length;
      const raw = lossy.decode(parts.length ? Buffer.concat(parts) : Buffer.alloc(0));
      yield { row, error: `line is ${total.toLocaleString("en-US")} bytes, over the ${opts.maxLineBytes.toLocaleString("en-US")}-byte limit (maxRowBytes)`, raw, bytes: total, offset };
      skipping = false;
      skippedBytes = 0;
      parts = [];
      partBytes = 0;
      row++;
      return;
    }
    const buf = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    partBytes = 0;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--; // CRLF
    const line = buf.subarray(0, end);
    // blank lines are not rows
    let blank = true;
    for (let i = 0; i < line.length; i++) {
      const b = line[i]!;
      if (b !== 0x20 && b !== 0x09) { blank = false; break; }
    }
    if (blank) { row++; return; }
    let text: string;
    try {
      text = decoder.decode(line);
    } catch {
      let bad = 0;
      const probe = lossy.decode(line);
      bad = probe.indexOf("\uFFFD");
      yield { row, error: `invalid UTF-8 (first bad sequence near character ${bad})`, raw: probe.slice(0, snippet), bytes: line.length, offset };
      row++;
      return;
    }
    try {
      yield { row, value: JSON.parse(text), bytes: line.length, offset };
    } catch (e) {
      yield { row, error: `malformed JSON: ${(e as Error).message}`, raw: text.slice(0, snippet), bytes: line.length, offset };
    }
    row++;
  }

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(0x0a, start);
        const piece = nl < 0 ? chunk.subarray(start) : chunk.subarray(start, nl);
        if (skipping) {
          skippedBytes += piece.length;
        } else if (partBytes + piece.length > opts.maxLineBytes) {
          // keep a snippet for the rejected record, drop the rest
          const keep = Buffer.concat([...parts, piece]).subarray(0, snippet);
          skippedBytes = partBytes + piece.length;
          parts = [Buffer.from(keep)];
          partBytes = keep.length;
          skipping = true;
        } else if (nl < 0) {
          parts.push(Buffer.from(piece)); // copy: the chunk buffer may be reused
          partBytes += piece.length;
        }
        if (nl < 0) break;
        if (skipping) {
          yield* finishLine(Buffer.alloc(0));
        } else {
          yield* finishLine(piece);
        }
        start = nl + 1;
        lineStart = chunkBase + start;
      }
      chunkBase += chunk.length;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (opts.gzip && (err.code === "Z_BUF_ERROR" || err.code === "Z_DATA_ERROR" || /unexpected end|incorrect header/i.test(err.message))) {
      throw new Error(`corrupt or truncated gzip stream after ${row} rows (${err.message})`);
    }
    throw e;
  }
  if (partBytes > 0 || skipping) yield* finishLine(Buffer.alloc(0));
}
