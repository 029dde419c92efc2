/**
 * Streaming JSONL reader (plain or gzip). Splits on raw bytes so memory stays bounded by the longest
 * accepted line; a line over `maxLineBytes` is skipped to its end without being buffered and reported
 * as an error row. Each line goes through {@link parseJsonRow} (strict UTF-8, bounded nesting, no
 * duplicate keys, lossless numbers), so every problem with a line is that line's error row.
 *
 * A damaged gzip stream (corrupt bytes, trailing garbage, truncation) does not lose what came before
 * it: every line decompressed before the damage is read, then the damaged tail is one error row
 * (`input:corrupt_gzip`) at the row where it happened. See src/io/gzip-chunks.ts.
 */
import { parseJsonRow } from "./json-row.js";
import { damageText, gunzipChunks, type GzipDamage } from "./gzip-chunks.js";
import { LocalBytes, closeStream, type ByteSource } from "./byte-source.js";

/**
 * `offset`: byte offset of the line's start in the (uncompressed) stream; `text`: the row's source
 * text (JSON), for the rejected/ record when the row cannot be mapped; `key`: the row's member key
 * in a JSON object file (json-file.ts), the `$key` of the field mapping.
 */
export type RawRow =
  | { row: number; value: unknown; text?: string; bytes: number; offset?: number; key?: string }
  | { row: number; error: string; reason: string; raw: string; bytes: number; offset?: number; key?: string };

export interface JsonlOptions {
  gzip: boolean;
  maxLineBytes: number;
  /** keep at most this many bytes of a bad line for the rejected/ record */
  rawSnippetBytes?: number;
  /** receives the compressed/plain bytes read from disk (for progress) */
  onBytes?: (n: number) => void;
  /** plain files only: start reading at this byte offset (a line start) with this row number */
  start?: { byte: number; row: number };
  /**
   * plain files only: `start.byte` is a cut, not a line start — begin at the first line start at or
   * after it (`start.row` is that line's number)
   */
  align?: boolean;
  /** plain files only: stop before the first line that starts at or after this byte (the next unit's) */
  end?: number;
  /** called once the reader has stopped: the lines it went through (blank ones too) */
  onLines?: (n: number) => void;
}

const lossy = new TextDecoder("utf-8", { fatal: false });

/** The rows of a JSONL file: a path, or a ByteSource this takes over and closes. */
export async function* readJsonl(input: string | ByteSource, opts: JsonlOptions): AsyncGenerator<RawRow> {
  if (opts.start && opts.gzip) throw new Error("readJsonl: a gzip stream cannot start at a byte offset");
  const source = typeof input === "string" ? LocalBytes.open(input) : input;
  try {
    const lines = new LineSplitter(opts);
    if (opts.gzip) {
      for await (const piece of gunzipChunks(source, opts.onBytes)) {
        if (Buffer.isBuffer(piece)) yield* lines.push(piece);
        else {
          yield lines.damaged(piece);
          return;
        }
      }
    } else {
      const file = source.stream(lines.streamStart);
      if (opts.onBytes) file.on("data", (c) => opts.onBytes!((c as Buffer).length));
      try {
        for await (const chunk of file as AsyncIterable<Buffer>) {
          yield* lines.push(chunk);
          if (lines.done) break;
        }
      } finally {
        await closeStream(file);
      }
    }
    yield* lines.end();
    opts.onLines?.(lines.linesRead);
  } finally {
    await source.close();
  }
}

/**
 * The rows of a JSONL stream read front to back (standard input, `curate verify --pairs`), as
 * readJsonl reads a plain file: the same lines, parse, limits and errors.
 */
export async function* readJsonlStream(stream: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawRow> {
  const lines = new LineSplitter({ gzip: false, maxLineBytes });
  for await (const chunk of stream) yield* lines.push(chunk);
  yield* lines.end();
}

/** Cuts a byte stream into lines and rows; `row` counts lines (blank ones too). */
class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false; // inside an over-long line
  private skippedBytes = 0;
  private row: number;
  private chunkBase: number; // stream offset of the current chunk
  private lineStart: number; // stream offset of the line being assembled
  private readonly snippet: number;
  private readonly firstRow: number;
  /** where the byte stream starts: a cut to align is entered one byte early (a newline there ends the line before) */
  readonly streamStart: number;
  /** still looking for the first line start (an aligned start) */
  private seeking: boolean;
  /** the next line starts at or after `end`: it and the rest are the next unit's */
  done = false;

  constructor(private readonly opts: JsonlOptions) {
    this.row = this.firstRow = opts.start?.row ?? 0;
    const at = opts.start?.byte ?? 0;
    this.seeking = !!opts.align && at > 0;
    this.streamStart = this.seeking ? at - 1 : at;
    this.chunkBase = this.streamStart;
    this.lineStart = this.chunkBase;
    this.snippet = opts.rawSnippetBytes ?? 65536;
    if (opts.end !== undefined && this.lineStart >= opts.end && !this.seeking) this.done = true;
  }

  /** lines gone through so far (blank ones too) */
  get linesRead(): number {
    return this.row - this.firstRow;
  }

  *push(chunk: Buffer): Generator<RawRow> {
    let start = 0;
    if (this.seeking) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        this.chunkBase += chunk.length;
        // a newline from byte end − 1 on starts a line of the next unit: inside a long line, stop here
        if (this.opts.end !== undefined && this.chunkBase >= this.opts.end - 1) this.done = true;
        return;
      }
      this.seeking = false;
      start = nl + 1;
      this.lineStart = this.chunkBase + start;
      this.checkEnd();
    }
    while (start < chunk.length && !this.done) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = nl < 0 ? chunk.subarray(start) : chunk.subarray(start, nl);
      if (this.skipping) {
        this.skippedBytes += piece.length;
      } else if (this.partBytes + piece.length > this.opts.maxLineBytes) {
        // keep a snippet for the rejected record, drop the rest
        const keep = Buffer.concat([...this.parts, piece]).subarray(0, this.snippet);
        this.skippedBytes = this.partBytes + piece.length;
        this.parts = [Buffer.from(keep)];
        this.partBytes = keep.length;
        this.skipping = true;
      } else if (nl < 0) {
        this.parts.push(Buffer.from(piece)); // copy: the chunk buffer may be reused
        this.partBytes += piece.length;
      }
      if (nl < 0) break;
      yield* this.finishLine(this.skipping ? Buffer.alloc(0) : piece);
      start = nl + 1;
      this.lineStart = this.chunkBase + start;
      this.checkEnd();
    }
    this.chunkBase += chunk.length;
  }

  private checkEnd(): void {
    if (this.opts.end !== undefined && this.lineStart >= this.opts.end) this.done = true;
  }

  *end(): Generator<RawRow> {
    if (this.done || this.seeking) return;
    if (this.partBytes > 0 || this.skipping) yield* this.finishLine(Buffer.alloc(0));
  }

  /** The gzip stream broke: the line in progress (complete or not) and the rest are one error row. */
  damaged(d: GzipDamage): RawRow {
    const tail = this.skipping ? this.skippedBytes : this.partBytes;
    const raw = lossy.decode(this.parts.length ? Buffer.concat(this.parts) : Buffer.alloc(0)).slice(0, this.snippet);
    return { row: this.row, error: damageText(d, this.row, tail), reason: "input:corrupt_gzip", raw, bytes: tail, offset: this.lineStart };
  }

  private *finishLine(tail: Buffer): Generator<RawRow> {
    const offset = this.lineStart;
    const row = this.row++;
    if (this.skipping) {
      const total = this.skippedBytes + tail.length;
      const raw = lossy.decode(this.parts.length ? Buffer.concat(this.parts) : Buffer.alloc(0));
      this.skipping = false;
      this.skippedBytes = 0;
      this.parts = [];
      this.partBytes = 0;
      const error = `line is ${total.toLocaleString("en-US")} bytes, over the ${this.opts.maxLineBytes.toLocaleString("en-US")}-byte limit (maxRowBytes)`;
      yield { row, error, reason: "input:row_too_large", raw, bytes: total, offset };
      return;
    }
    const buf = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.partBytes = 0;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 0x0d) end--; // CRLF
    // blank lines are not rows
    let blank = true;
    for (let i = 0; i < end; i++) {
      const b = buf[i]!;
      if (b !== 0x20 && b !== 0x09) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    const parsed = parseJsonRow(buf, 0, end);
    if ("value" in parsed) yield { row, value: parsed.value, text: parsed.text, bytes: end, offset };
    else yield { row, error: parsed.detail, reason: parsed.reason, raw: parsed.text.slice(0, this.snippet), bytes: end, offset };
  }
}
