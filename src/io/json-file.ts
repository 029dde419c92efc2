/**
 * Streaming reader for `format: "json"`: a file holding one JSON array of rows (`[{…}, {…}]`), or
 * one JSON object whose member values are rows (`{"<problem text>": {…}, …}`; the member key is the
 * row's `$key`).
 *
 * The file is never held whole: a byte-level scanner finds each top-level element's byte range
 * (strings and their escapes skipped, nesting tracked) and hands the bytes to parseJsonRow, so an
 * element gets every JSONL row rule (strict UTF-8, bounded nesting, no duplicate keys, lossless
 * numbers) and memory is bounded by the largest element: one over `maxRowBytes` is skipped to its
 * end without being buffered and becomes an `input:row_too_large` row with a snippet.
 *
 * Row numbers are element indexes (0-based, as `$[i]`). A bad element is that element's error row. A
 * break in the file's own structure (a missing comma between elements, mismatched brackets, the
 * file cut off) cannot be stepped over — where the next element starts is unknown — so, as with a
 * damaged gzip stream, everything before it is read and the break is one error row at the element
 * where it happened. Repeated member keys give one row each (nothing is lost, unlike JSON.parse).
 */
import { open } from "node:fs/promises";
import { MAX_ROW_DEPTH, parseJsonRow } from "./json-row.js";
import { LocalBytes, closeStream, type ByteSource } from "./byte-source.js";
import type { RawRow } from "./jsonl.js";

export interface JsonFileOptions {
  maxRowBytes: number;
  /** keep at most this many bytes of a bad element for the rejected/ record */
  rawSnippetBytes?: number;
  /** receives the bytes read from disk (for progress) */
  onBytes?: (n: number) => void;
  /** read size (tests use small ones to put element boundaries everywhere) */
  chunkBytes?: number;
}

const lossy = new TextDecoder("utf-8", { fatal: false });
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** the UTF-8 byte order mark, skipped at the start of the file */
const BOM = [0xef, 0xbb, 0xbf];
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isValueEnd = (c: number) => c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c);
const shown = (c: number | undefined) => (c === undefined ? "the end of the file" : c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, "0")}`);

/** value scan results besides an end index */
const MORE = -1; // the chunk ended inside the value
const MISMATCH = -2; // a closing bracket of the other kind

/**
 * Finds where one JSON value ends, fed chunk by chunk. It checks only what framing needs (strings,
 * bracket kinds up to MAX_ROW_DEPTH levels); parseJsonRow judges the value's bytes afterwards.
 */
class ValueScanner {
  private depth = 0;
  private readonly open = new Uint8Array(MAX_ROW_DEPTH + 1);
  private inString = false;
  /** the next byte of the string is escaped (a backslash ended the last chunk) */
  private escaped = false;
  private scalar = false;
  /** where the last MISMATCH was */
  mismatchAt = -1;

  /** Start a value whose first byte (not whitespace) is `c`; {@link scan} then reads it from that byte. */
  reset(c: number): void {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.scalar = c !== 0x22 && c !== 0x7b && c !== 0x5b;
  }

  /** Scan from `i`: the index just after the value, MORE or MISMATCH. */
  scan(b: Buffer, i: number): number {
    const n = b.length;
    if (this.scalar) {
      while (i < n && !isValueEnd(b[i]!)) i++;
      return i < n ? i : MORE;
    }
    while (i < n) {
      if (this.inString) {
        const e = this.stringEnd(b, i);
        if (e < 0) return MORE;
        this.inString = false;
        i = e;
        if (this.depth === 0) return i;
        continue;
      }
      const c = b[i]!;
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++this.depth <= MAX_ROW_DEPTH) this.open[this.depth] = c;
      } else if (c === 0x7d || c === 0x5d) {
        // `}` is `{` + 2, `]` is `[` + 2; deeper than MAX_ROW_DEPTH only the count is kept (parseJsonRow refuses the element)
        if (this.depth <= MAX_ROW_DEPTH && this.open[this.depth] !== c - 2) {
          this.mismatchAt = i;
          return MISMATCH;
        }
        if (--this.depth === 0) return i + 1;
      }
      i++;
    }
    return MORE;
  }

  /** End of the value when the file ends: a scalar ends there, anything else is cut off. */
  endsAtEof(): boolean {
    return this.scalar;
  }

  /** Index just after the quote closing the string whose contents continue at `i`, or -1. */
  private stringEnd(b: Buffer, i: number): number {
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (;;) {
      const q = i < b.length ? b.indexOf(0x22, i) : -1;
      // escaped when preceded by an odd run of backslashes (counted from i: nothing before is pending)
      let k = (q < 0 ? b.length : q) - 1;
      while (k >= i && b[k] === 0x5c) k--;
      const odd = (((q < 0 ? b.length : q) - 1 - k) & 1) === 1;
      if (q < 0) {
        this.escaped = odd;
        return -1;
      }
      if (!odd) return q + 1;
      i = q + 1;
    }
  }
}

// where the element scanner is
const START = 0;
const ARRAY_FIRST = 1; // after `[`
const ARRAY_VALUE = 2; // after `,`
const ARRAY_NEXT = 3; // after an element
const OBJECT_FIRST = 4; // after `{`
const OBJECT_KEY = 5; // after `,`
const KEY = 6; // inside a member key
const COLON = 7;
const OBJECT_VALUE = 8; // after `:`
const OBJECT_NEXT = 9; // after a member
const VALUE = 10; // inside an element's value
const DONE = 11; // after the closing bracket
const STOPPED = 12; // after a break in the structure

/** Cuts a JSON array/object byte stream into its elements, as rows. */
class ElementScanner {
  private state = START;
  private isObject = false;
  /** index of the next element (its row number) */
  private index = 0;
  /** file offset of the chunk being scanned */
  private base = 0;
  private readonly value = new ValueScanner();
  private readonly keyScan = new ValueScanner();
  // the item being captured: an element (array), or a member `"key": value` (object)
  private itemStart = -1; // file offset of its first byte; -1 when none
  private from = 0; // where in the current chunk its bytes continue
  private parts: Buffer[] = [];
  private partBytes = 0;
  private oversize = false;
  private keyEnd = 0; // item offset just after the key's closing quote
  private valueAt = 0; // item offset of the value
  private readonly max: number;
  private readonly snippet: number;

  constructor(opts: JsonFileOptions) {
    this.max = opts.maxRowBytes;
    this.snippet = opts.rawSnippetBytes ?? 65536;
  }

  get stopped(): boolean {
    return this.state === STOPPED;
  }

  *push(b: Buffer): Generator<RawRow> {
    this.from = 0;
    let i = 0;
    const n = b.length;
    while (i < n && this.state !== STOPPED) {
      const s = this.state;
      if (s === VALUE || s === KEY) {
        const scanner = s === VALUE ? this.value : this.keyScan;
        const e = scanner.scan(b, i);
        if (e === MORE) i = n;
        else if (e === MISMATCH) yield this.broken(`mismatched bracket ${shown(b[scanner.mismatchAt])} inside the ${this.isObject ? "member" : "element"}`, b, scanner.mismatchAt);
        else if (s === KEY) {
          this.keyEnd = this.base + e - this.itemStart;
          this.state = COLON;
          i = e;
        } else {
          yield this.finish(b, e);
          this.state = this.isObject ? OBJECT_NEXT : ARRAY_NEXT;
          i = e;
        }
        continue;
      }
      const c = b[i]!;
      if (isSpace(c) || (s === START && c === BOM[this.base + i])) {
        i++; // whitespace between elements; a UTF-8 BOM at the start
        continue;
      }
      const r = this.structure(s, c, b, i);
      if (typeof r !== "number") yield r;
      else i = r;
    }
    if (this.itemStart >= 0 && this.state !== STOPPED) this.keep(b, this.from, n);
    this.base += n;
  }

  /** A structural byte `c` at `b[i]` in state `s`: the next index, or the error row of a break. */
  private structure(s: number, c: number, b: Buffer, i: number): number | RawRow {
    const what = this.isObject ? "member" : "element";
    switch (s) {
      case START:
        if (c !== 0x5b && c !== 0x7b) return this.broken(`expected a JSON array of rows or an object of rows, found ${shown(c)}`, b, i);
        this.isObject = c === 0x7b;
        this.state = this.isObject ? OBJECT_FIRST : ARRAY_FIRST;
        return i + 1;
      case ARRAY_FIRST:
      case ARRAY_VALUE:
        if (c === 0x5d && s === ARRAY_FIRST) {
          this.state = DONE;
          return i + 1;
        }
        if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a) return this.broken(`expected an element, found ${shown(c)}`, b, i);
        return this.startValue(c, i, true);
      case ARRAY_NEXT:
      case OBJECT_NEXT:
        if (c === 0x2c) {
          this.state = s === ARRAY_NEXT ? ARRAY_VALUE : OBJECT_KEY;
          return i + 1;
        }
        if (c === (s === ARRAY_NEXT ? 0x5d : 0x7d)) {
          this.state = DONE;
          return i + 1;
        }
        return this.broken(`expected "," or "${s === ARRAY_NEXT ? "]" : "}"}" after ${what} ${this.index - 1}, found ${shown(c)}`, b, i);
      case OBJECT_FIRST:
      case OBJECT_KEY:
        if (c === 0x7d && s === OBJECT_FIRST) {
          this.state = DONE;
          return i + 1;
        }
        if (c !== 0x22) return this.broken(`expected a member key (a JSON string), found ${shown(c)}`, b, i);
        this.startItem(i);
        this.keyScan.reset(c);
        this.state = KEY;
        return i;
      case COLON:
        if (c !== 0x3a) return this.broken(`expected ":" after the member key, found ${shown(c)}`, b, i);
        this.state = OBJECT_VALUE;
        return i + 1;
      case OBJECT_VALUE:
        if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x3a) return this.broken(`expected the member's value, found ${shown(c)}`, b, i);
        return this.startValue(c, i, false);
      default: // DONE
        return this.broken(`unexpected ${shown(c)} after the end of the top-level JSON ${this.isObject ? "object" : "array"} (one JSON value per line is format "jsonl")`, b, i);
    }
  }

  /** An element's value starts with byte `c` at `i` (arrays: the element's item starts there too). */
  private startValue(c: number, i: number, startsItem: boolean): number {
    if (startsItem) this.startItem(i);
    this.valueAt = this.base + i - this.itemStart;
    this.value.reset(c);
    this.state = VALUE;
    return i;
  }

  private startItem(i: number): void {
    this.itemStart = this.base + i;
    this.from = i;
    this.parts = [];
    this.partBytes = 0;
    this.oversize = false;
  }

  /** Keep the item's bytes b[from, to) (copied: the chunk buffer is not ours), up to the size limit. */
  private keep(b: Buffer, from: number, to: number): void {
    if (this.oversize) return;
    if (this.partBytes + (to - from) > this.max) {
      // over the limit: keep a snippet for the rejected record, drop the rest as it comes
      const head = Buffer.concat([...this.parts, b.subarray(from, to)]).subarray(0, this.snippet);
      this.parts = [Buffer.from(head)];
      this.partBytes = head.length;
      this.oversize = true;
      return;
    }
    this.parts.push(Buffer.from(b.subarray(from, to)));
    this.partBytes += to - from;
  }

  /** The item ends just before `b[e]`: its row. */
  private finish(b: Buffer, e: number): RawRow {
    const row = this.index++;
    const size = this.base + e - this.itemStart;
    this.itemStart = -1;
    if (!this.oversize && size <= this.max) {
      const buf = this.parts.length === 0 ? b.subarray(this.from, e) : Buffer.concat([...this.parts, b.subarray(this.from, e)]);
      this.parts = [];
      return this.parse(row, buf, size);
    }
    const head = this.oversize || this.partBytes >= this.snippet ? Buffer.concat(this.parts).subarray(0, this.snippet) : Buffer.concat([...this.parts, b.subarray(this.from, Math.min(e, this.from + this.snippet))]).subarray(0, this.snippet);
    this.parts = [];
    const key = this.isObject && this.keyEnd <= head.length ? memberKey(head.subarray(0, this.keyEnd)) : undefined;
    const error = `${this.isObject ? "member" : "element"} is ${size.toLocaleString("en-US")} bytes, over the ${this.max.toLocaleString("en-US")}-byte limit (maxRowBytes)`;
    return { row, key: typeof key === "string" ? key : undefined, error, reason: "input:row_too_large", raw: lossy.decode(head), bytes: size };
  }

  private parse(row: number, buf: Buffer, size: number): RawRow {
    let key: string | undefined;
    if (this.isObject) {
      const k = memberKey(buf.subarray(0, this.keyEnd));
      if (typeof k !== "string") return { row, error: k.error, reason: k.reason, raw: lossy.decode(buf.subarray(0, this.snippet)), bytes: size };
      key = k;
    }
    const parsed = parseJsonRow(buf, this.valueAt, buf.length);
    if ("value" in parsed) return { row, key, value: parsed.value, text: parsed.text, bytes: size };
    return { row, key, error: parsed.detail, reason: parsed.reason, raw: parsed.text.slice(0, this.snippet), bytes: size };
  }

  /** A break in the file's structure at `b[i]`: one error row, and nothing after it is read. */
  private broken(what: string, b: Buffer, i: number): RawRow {
    const at = this.base + i;
    let raw: string;
    if (this.itemStart >= 0 && !this.oversize) raw = lossy.decode(Buffer.concat([...this.parts, b.subarray(this.from, Math.min(b.length, i + 1))]).subarray(0, this.snippet));
    else raw = lossy.decode(b.subarray(Math.max(0, i - 200), Math.min(b.length, i + 200)));
    this.state = STOPPED;
    this.parts = [];
    return { row: this.index, error: `the file's JSON structure breaks at byte ${at.toLocaleString("en-US")}: ${what}; nothing after it can be read`, reason: "input:malformed_json", raw, bytes: 0 };
  }

  /** The file ended: a row for an element cut off, or for a missing closing bracket. */
  *end(): Generator<RawRow> {
    const s = this.state;
    if (s === START || s === DONE || s === STOPPED) return;
    const what = this.isObject ? "member" : "element";
    if (s === VALUE && this.value.endsAtEof()) {
      // a scalar element running to the end of the file: finish it, then report the missing bracket
      const tail = Buffer.alloc(0);
      yield this.finish(tail, 0);
      this.state = this.isObject ? OBJECT_NEXT : ARRAY_NEXT;
      yield* this.end();
      return;
    }
    const inside = this.itemStart >= 0;
    const raw = inside && !this.oversize ? lossy.decode(Buffer.concat(this.parts).subarray(0, this.snippet)) : "";
    const error = inside
      ? `the file ends inside ${what} ${this.index} (after ${(this.base - this.itemStart).toLocaleString("en-US")} bytes of it): it is cut off`
      : `the file ends without the closing "${this.isObject ? "}" : "]"}" after ${this.index} ${what}s: it may be cut off`;
    this.state = STOPPED;
    yield { row: this.index, error, reason: "input:malformed_json", raw, bytes: inside ? this.base - this.itemStart : 0 };
  }
}

/** A member key's bytes (the JSON string, quotes included) → its text, or why it is not one. */
function memberKey(bytes: Buffer): string | { error: string; reason: string } {
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    return { error: "the member key is not valid UTF-8", reason: "input:invalid_utf8" };
  }
  try {
    return JSON.parse(text) as string;
  } catch (e) {
    return { error: `the member key ${text.length > 80 ? text.slice(0, 77) + "..." : text} is not a valid JSON string: ${(e as Error).message}`, reason: "input:malformed_json" };
  }
}

/**
 * Read the rows of a JSON array/object file, streaming. One read buffer is reused (the scanner copies
 * what it keeps), so reading makes no garbage buffers: a stream's fresh 1 MiB chunk per read is
 * freed only when V8 next collects, and V8 lets ~64 MB of such outside memory pile up first.
 */
export async function* readJsonFile(input: string | ByteSource, opts: JsonFileOptions): AsyncGenerator<RawRow> {
  const scanner = new ElementScanner(opts);
  if (typeof input !== "string") {
    // a remote file: its pieces as they arrive (range requests of the byte source)
    const file = input.stream();
    try {
      for await (const chunk of file as AsyncIterable<Buffer>) {
        opts.onBytes?.(chunk.length);
        yield* scanner.push(chunk);
        if (scanner.stopped) return;
      }
    } finally {
      await closeStream(file);
      await input.close();
    }
    yield* scanner.end();
    return;
  }
  const handle = await open(input, "r");
  const buf = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      opts.onBytes?.(bytesRead);
      yield* scanner.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      if (scanner.stopped) return;
    }
  } finally {
    await handle.close();
  }
  yield* scanner.end();
}

/**
 * Does the file hold JSON Lines (an object, then more values) rather than one JSON value? Looks at
 * most `limit` bytes: the first value must close within them (a JSONL row is at most that long).
 * Files named `.json` were read as JSONL before `format: "json"` existed; this keeps them working.
 */
export async function holdsJsonLines(input: string | ByteSource, limit: number): Promise<boolean> {
  const scan = new ValueScanner();
  const source = typeof input === "string" ? LocalBytes.open(input) : input;
  // no more than the first value's bytes are needed: a remote file is not fetched whole
  const file = source.stream(0, Math.min(source.size, limit + 4096));
  let seen = 0;
  let started = false;
  let closed = false;
  try {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      let i = 0;
      if (!started) {
        while (i < chunk.length && (isSpace(chunk[i]!) || chunk[i] === BOM[seen + i])) i++;
        if (i === chunk.length) {
          seen += chunk.length;
          continue;
        }
        if (chunk[i] !== 0x7b) return false;
        started = true;
        scan.reset(0x7b);
      }
      if (!closed) i = scan.scan(chunk, i);
      if (i === MISMATCH) return false;
      if (i !== MORE) {
        closed = true;
        while (i < chunk.length && isSpace(chunk[i]!)) i++;
        if (i < chunk.length) return true;
      }
      seen += chunk.length;
      if (!closed && seen > limit) return false;
    }
    return false;
  } finally {
    await closeStream(file);
    if (typeof input === "string") await source.close();
  }
}
