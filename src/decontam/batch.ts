/**
 * `curate decontaminate` in batches of whole lines: the main thread cuts the input's raw bytes into
 * batches (`lineBatches`), and `matchBatch` — on a worker thread or inline — decodes, splits, parses
 * and matches one batch, returning the batch's output text and counts. Lines, rows and errors are
 * exactly those of reading the file with `readline` (crlfDelay Infinity) one line at a time:
 * - bytes are decoded with a StringDecoder whose end is never flushed (readline drops an incomplete
 *   UTF-8 sequence at the end of the input; invalid bytes become U+FFFD);
 * - a line ends at "\n", "\r\n" or a lone "\r"; a last line without an ending counts when non-empty;
 * - rows are numbered by line (blank lines included), so errors and default ids name the same row.
 */
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";
import type { ContaminationIndex } from "./benchmark-index.js";
import type { DecontaminateConfig } from "./types.js";
import { contaminationOf } from "../stages/decontaminate.js";

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
  /** lines of the batch (blank ones included) */
  lines: number;
  /** the first bad row of the batch (0-based line number in the file) and what is wrong with it */
  error?: { row: number; cause: string };
}

export interface LineBatch {
  /** whole lines; its buffer holds exactly these bytes (transferable) */
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
  let lines: string[];
  if (text.indexOf("\r") === -1) lines = text.split("\n");
  else lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Decode, parse and match one batch of whole lines. */
export function matchBatch(index: ContaminationIndex, o: BatchOptions, bytes: Uint8Array, firstRow: number): BatchResult {
  // StringDecoder.write keeps an incomplete trailing sequence back, as readline (which never ends
  // its decoder) drops it; inside a batch cut after a line ending nothing is ever held back
  const text = new StringDecoder("utf8").write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const lines = splitLines(text);
  const res: BatchResult = { out: "", rows: 0, flagged: 0, byBenchmark: {}, lines: lines.length };
  const parts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const row = firstRow + i;
    if (line.trim() === "") continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      res.error = { row, cause: `not valid JSON (${(e as Error).message})` };
      break;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      res.error = { row, cause: "expected a JSON object" };
      break;
    }
    const rec = v as Record<string, unknown>;
    const problem = rec[o.field];
    if (typeof problem !== "string") {
      res.error = { row, cause: `field "${o.field}" must be a string (choose the field with --field)` };
      break;
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
  }
  res.out = parts.join("");
  return res;
}

/** Line endings in whole-line bytes: each \n, and each \r not followed by \n. */
function countLineEnds(buf: Buffer): number {
  let n = 0;
  for (let p = buf.indexOf(10); p !== -1; p = buf.indexOf(10, p + 1)) n++;
  for (let p = buf.indexOf(13); p !== -1; p = buf.indexOf(13, p + 1)) if (buf[p + 1] !== 10) n++;
  return n;
}

/**
 * Where a batch may end in `buf` (exclusive), or -1: after its last "\n", else after its last lone
 * "\r" whose next byte is known (so "\r\n" is never cut in two).
 */
function cutPoint(buf: Buffer): number {
  const nl = buf.lastIndexOf(10);
  if (nl !== -1) return nl + 1;
  const cr = buf.lastIndexOf(13, buf.length - 2);
  return cr !== -1 && cr < buf.length - 1 ? cr + 1 : -1;
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
 * its own); the last batch holds whatever follows the last line ending. Each batch's bytes are a
 * fresh buffer of exactly its length, so it can be transferred to a worker without a copy.
 */
export async function* lineBatches(stream: Readable, batchBytes: number): AsyncGenerator<LineBatch> {
  let chunks: Buffer[] = [];
  let held = 0;
  let firstRow = 0;
  let searched = 0; // chunks[0, searched) hold no place to cut
  const take = (len: number): Uint8Array => {
    const bytes = new Uint8Array(len);
    let off = 0;
    const rest: Buffer[] = [];
    for (const c of chunks) {
      if (off >= len) {
        rest.push(c);
        continue;
      }
      const n = Math.min(c.length, len - off);
      bytes.set(c.subarray(0, n), off);
      off += n;
      if (n < c.length) rest.push(c.subarray(n));
    }
    chunks = rest;
    held -= len;
    return bytes;
  };
  try {
    for await (const chunk of chunksOf(stream, Math.max(batchBytes, 1 << 20))) {
      const c = chunk as Buffer;
      if (c.length === 0) continue;
      chunks.push(c);
      held += c.length;
      if (held < batchBytes) continue;
      // the batch ends at the last line ending held: look in the newest chunk first, then back to
      // the chunks already searched (a long line is searched once, not once per chunk)
      let end = -1;
      let before = held;
      for (let i = chunks.length - 1; i >= searched && end === -1; i--) {
        const ci = chunks[i]!;
        before -= ci.length;
        // a lone \r at the end of a chunk may be the first half of \r\n: only cut after it when the
        // next byte is known (the next chunk's first)
        const cut = i < chunks.length - 1 && ci[ci.length - 1] === 13 && chunks[i + 1]![0] !== 10 ? ci.length : cutPoint(ci);
        if (cut !== -1) end = before + cut;
      }
      if (end === -1) {
        // one long line so far; the newest chunk is searched again once its next byte is known
        searched = chunks.length - 1;
        continue;
      }
      searched = 0;
      const bytes = take(end);
      const batch = { bytes, firstRow };
      firstRow += countLineEnds(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      yield batch;
    }
  } catch (e) {
    // a read error (say a truncated .gz): the whole lines read before it are still rows, as
    // readline emits them before the error; the partial line after them is not
    let end = -1;
    let before = held;
    for (let i = chunks.length - 1; i >= 0 && end === -1; i--) {
      before -= chunks[i]!.length;
      const nl = chunks[i]!.lastIndexOf(10);
      const cr = chunks[i]!.lastIndexOf(13);
      if (nl !== -1 || cr !== -1) end = before + Math.max(nl, cr) + 1;
    }
    if (end > 0) yield { bytes: take(end), firstRow };
    throw e;
  }
  if (held > 0) yield { bytes: take(held), firstRow };
}
