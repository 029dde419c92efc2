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
 * neither thread allocates per batch: the main thread copies the stream's chunks into a pooled
 * buffer, and the worker decodes one line at a time (a batch-sized string would be fresh memory too).
 */
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";
import type { ContaminationIndex } from "./benchmark-index.js";
import type { DecontaminateConfig } from "./types.js";
import { contaminationOf } from "./row-match.js";

/** What a batch needs besides its bytes (sent once to each worker). */
export interface BatchOptions {
  field: string;
  responseField?: string;
  all: boolean;
  details: boolean;
  cfg: DecontaminateConfig;
}

export interface BatchResult {
  /** output lines of the batch's rows (up to the failing row when `error` is set) */
  out: string;
  rows: number;
  flagged: number;
  /** matches per benchmark, keys in order of first appearance in the batch */
  byBenchmark: Record<string, number>;
  /** lines read (blank ones included; up to the bad row when `error` is set) */
  lines: number;
  /** the first bad row of the batch (0-based line number in the file) and what is wrong with it */
  error?: { row: number; cause: string };
}

export interface LineBatch {
  /** whole lines, at the start of a pooled ArrayBuffer (transfer `bytes.buffer`, then release it) */
  bytes: Uint8Array;
  /** 0-based line number of the batch's first line in the file */
  firstRow: number;
}

function rowId(v: Record<string, unknown>, row: number): string | number {
  for (const k of ["id", "unique_id", "uid", "idx"]) {
    const x = v[k];
    if (typeof x === "string" || typeof x === "number") return x;
  }
  return row;
}

/** Lines of a decoded text as readline emits them: endings \n, \r\n, lone \r; a non-empty tail. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Decode, parse and match one batch of whole lines. */
export function matchBatch(index: ContaminationIndex, o: BatchOptions, bytes: Uint8Array, firstRow: number): BatchResult {
  const res: BatchResult = { out: "", rows: 0, flagged: 0, byBenchmark: {}, lines: 0 };
  const parts: string[] = [];
  /** one line; false once it is the batch's bad row */
  const row = (line: string, row: number): boolean => {
    if (line.trim() === "") return true;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      res.error = { row, cause: `not valid JSON (${(e as Error).message})` };
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
      parts.push(JSON.stringify({ id: rowId(rec, row), matches: ms }) + "\n");
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
      if (!row(line, firstRow + i)) break;
      p = e === -1 ? buf.length : e + 1;
    }
  } else {
    const lines = splitLines(new StringDecoder("utf8").write(buf));
    for (let i = 0; i < lines.length; i++) {
      res.lines++;
      if (!row(lines[i]!, firstRow + i)) break;
    }
  }
  res.out = parts.join("");
  return res;
}

/** Count of byte 0x0A in bytes [0, len) of a buffer (4 bytes at a time). */
function countNewlines(ab: ArrayBufferLike, len: number): number {
  const words = new Uint32Array(ab, 0, len >>> 2);
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    const x = words[i]! ^ 0x0a0a0a0a; // a zero byte where a \n was
    if (((x - 0x01010101) & ~x & 0x80808080) !== 0) {
      if ((x & 0xff) === 0) n++;
      if ((x & 0xff00) === 0) n++;
      if ((x & 0xff0000) === 0) n++;
      if ((x & 0xff000000) === 0) n++;
    }
  }
  const bytes = new Uint8Array(ab, 0, len);
  for (let i = words.length << 2; i < len; i++) if (bytes[i] === 10) n++;
  return n;
}

/** Line endings in whole-line bytes [0, len): each \n, and each \r not followed by \n. */
function countLineEnds(ab: ArrayBufferLike, len: number): number {
  let n = countNewlines(ab, len);
  const buf = Buffer.from(ab, 0, len);
  for (let p = buf.indexOf(13); p !== -1; p = buf.indexOf(13, p + 1)) if (buf[p + 1] !== 10) n++;
  return n;
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

/**
 * The stream's chunks, read in flowing mode ('data' events, paused while `maxQueued` bytes wait) as
 * readline reads them. On an error (a truncated .gz) every chunk the stream produced before it is
 * still yielded, then the error is thrown: an async iterator over the stream would drop the chunks
 * still buffered in it.
 */
async function* chunksOf(stream: Readable, maxQueued: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let error = null as { e: unknown } | null;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const push = (c: Buffer) => {
    queue.push(c);
    queued += c.length;
  };
  const onData = (c: Buffer) => {
    push(c);
    if (queued >= maxQueued) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    for (let c = stream.read() as Buffer | null; c !== null; c = stream.read() as Buffer | null) push(c);
    error = { e };
    notify();
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
  stream.on("close", onEnd);
  stream.on("error", onError);
  try {
    for (;;) {
      if (queue.length > 0) {
        const c = queue.shift()!;
        queued -= c.length;
        if (queued < maxQueued && stream.isPaused() && !error && !ended) stream.resume();
        yield c;
      } else if (error) throw error.e;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("close", onEnd);
    stream.off("error", onError);
    stream.on("error", () => undefined); // a late error of a stream given up on is nobody's
    stream.destroy();
  }
}

/**
 * Cut a byte stream into batches of whole lines of about `batchBytes` (a longer line is a batch of
 * its own); the last batch holds whatever follows the last line ending. Each batch's bytes start at
 * offset 0 of a buffer from `pool` (the consumer transfers it to a worker, or uses it, and then
 * releases it to the pool).
 */
export async function* lineBatches(stream: Readable, batchBytes: number, pool: BufferPool): AsyncGenerator<LineBatch> {
  let buf = pool.get(0);
  let u8 = new Uint8Array(buf);
  let len = 0; // bytes held in buf
  let searched = 0; // buf[0, searched) holds no place to cut
  let firstRow = 0;
  /** the batch buf[0, end): the rest moves to a fresh pooled buffer */
  const cut = (end: number): LineBatch => {
    const rest = len - end;
    const next = pool.get(rest);
    const nu8 = new Uint8Array(next);
    nu8.set(u8.subarray(end, len));
    const batch = { bytes: new Uint8Array(buf, 0, end), firstRow };
    firstRow += countLineEnds(buf, end);
    buf = next;
    u8 = nu8;
    len = rest;
    searched = 0;
    return batch;
  };
  /** where a batch may end in buf[0, len) (exclusive), or -1: after the last "\n", else after the
   * last "\r" whose next byte is held (so "\r\n" is never cut in two); at the end, after any */
  const cutPoint = (atEnd: boolean): number => {
    const b = Buffer.from(buf, searched, len - searched);
    const nl = b.lastIndexOf(10);
    if (nl !== -1) return searched + nl + 1;
    const cr = b.lastIndexOf(13);
    if (cr !== -1 && (searched + cr < len - 1 || atEnd)) return searched + cr + 1;
    return -1;
  };
  try {
    for await (const chunk of chunksOf(stream, Math.max(batchBytes, 1 << 20))) {
      const c = chunk as Buffer;
      if (len + c.length > buf.byteLength) {
        // a long line: grow (a buffer of its own, not kept by the pool)
        const bigger = pool.get(Math.max(2 * buf.byteLength, len + c.length));
        const bu8 = new Uint8Array(bigger);
        bu8.set(u8.subarray(0, len));
        pool.release(buf);
        buf = bigger;
        u8 = bu8;
      }
      u8.set(c, len);
      len += c.length;
      if (len < batchBytes) continue;
      const end = cutPoint(false);
      if (end === -1) {
        // one long line so far; its last byte is searched again once the next one is known
        searched = Math.max(0, len - 1);
        continue;
      }
      yield cut(end);
    }
  } catch (e) {
    // a read error (say a truncated .gz): the whole lines read before it are still rows, as
    // readline emits them before the error; the partial line after them is not
    searched = 0;
    const end = cutPoint(true);
    if (end > 0) yield cut(end);
    throw e;
  }
  if (len > 0) {
    const batch = { bytes: new Uint8Array(buf, 0, len), firstRow };
    len = 0;
    yield batch;
  }
}
