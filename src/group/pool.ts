/** A pool of threads that sketch texts (for the dedupe CLI and the benchmark). */
import { ThreadPool } from "../workers.js";
import { sketchBatch, type BatchSketch, type BatchSketchRequest, type PackedTexts } from "./sketch-text.js";
import type { SketchParams } from "./minhash.js";

export interface SketchPoolOptions {
  params: SketchParams;
  stripPhrases?: string[];
  stockPhrases?: boolean;
  /** worker threads; 0 sketches inline in the calling thread */
  threads: number;
  /** also build the exact-check records (BatchSketchRequest.checkRecords) */
  checkRecords?: { numbers: boolean };
}

function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The texts of one sketch task, collected as they are read. For a worker they are written as UTF-8
 * into one buffer as they come (the buffer is transferred, and handed back for a later batch), so a
 * text's string dies young: strings held until their batch was sent survived young-generation GCs
 * and were copied there and promoted (main-thread GC pauses ~1.6 s on the reference corpus). A text
 * that is not well-formed UTF-16 (a lone surrogate would come back as U+FFFD) turns the batch back
 * into strings. Inline batches just keep the strings.
 */
export class TextBatch {
  private buf: Buffer | null;
  private used = 0;
  private readonly ends: number[] = [];
  private strings: string[] | null;

  constructor(into: ArrayBuffer | null, pack: boolean) {
    this.buf = pack ? Buffer.from(into ?? new ArrayBuffer(1 << 22)) : null;
    this.strings = pack ? null : [];
  }

  get length(): number {
    return this.strings ? this.strings.length : this.ends.length;
  }

  add(text: string): void {
    if (this.strings) {
      this.strings.push(text);
      return;
    }
    if (!isWellFormed(text)) {
      this.strings = this.texts();
      this.strings.push(text);
      return;
    }
    const bytes = Buffer.byteLength(text, "utf8");
    if (this.used + bytes > this.buf!.length) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(this.used + bytes, this.buf!.length * 2)));
      this.buf!.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    // ASCII (as many bytes as units) is copied as it is
    this.used += this.buf!.write(text, this.used, bytes === text.length ? "latin1" : "utf8");
    this.ends.push(this.used);
  }

  /** The texts as UTF-8, or null when the batch holds strings. */
  packed(): PackedTexts | null {
    if (this.strings) return null;
    return { bytes: new Uint8Array(this.buf!.buffer, 0, this.used), ends: Int32Array.from(this.ends) };
  }

  /** The texts as strings. */
  texts(): string[] {
    if (this.strings) return this.strings;
    const out: string[] = [];
    for (let i = 0; i < this.ends.length; i++) out.push(this.buf!.toString("utf8", i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!));
    return out;
  }
}

/** The texts as UTF-8 in `into` (or a new buffer), or null when one is not well-formed UTF-16. */
export function packTexts(texts: string[], into: ArrayBuffer | null): PackedTexts | null {
  const batch = new TextBatch(into, true);
  for (const t of texts) batch.add(t);
  return batch.packed();
}

export class SketchPool {
  private readonly pool: ThreadPool | null;
  /**
   * text buffers the workers gave back, for the next batches: fresh memory costs a page fault per
   * 4 KB at first touch, which took ~1 s of the main thread for 150 MB of reference-corpus text
   */
  private readonly spare: ArrayBuffer[] = [];
  constructor(private readonly opts: SketchPoolOptions) {
    this.pool = opts.threads > 0
      ? new ThreadPool({ name: "sketch", entry: "group/minhash-worker", threads: opts.threads })
      : null;
  }

  private request(texts: string[], packed?: PackedTexts): BatchSketchRequest {
    const { params, stripPhrases, stockPhrases, checkRecords } = this.opts;
    return { params, stripPhrases: stripPhrases ?? [], stockPhrases: stockPhrases ?? true, texts, ...(packed ? { packed } : {}), ...(checkRecords ? { checkRecords } : {}) };
  }

  /** An empty batch to `add` texts to and hand to `sketchBatch`. */
  batch(): TextBatch {
    return new TextBatch(this.pool ? (this.spare.pop() ?? null) : null, this.pool !== null);
  }

  async sketch(texts: string[]): Promise<BatchSketch> {
    const batch = this.batch();
    for (const t of texts) batch.add(t);
    return this.sketchBatch(batch);
  }

  async sketchBatch(batch: TextBatch): Promise<BatchSketch> {
    const label = `${batch.length} texts`;
    if (!this.pool) return sketchBatch(this.request(batch.texts()));
    const packed = batch.packed();
    if (!packed) return this.pool.run<BatchSketch>(this.request(batch.texts()), label);
    const s = await this.pool.run<BatchSketch>(this.request([], packed), label, [packed.bytes.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer]);
    if (s.textBuffer) this.spare.push(s.textBuffer);
    delete s.textBuffer;
    return s;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
