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

/**
 * The texts as UTF-8 in `into` (or a new buffer when it is too small) to transfer, or null when one
 * is not well-formed UTF-16 (a lone surrogate would come back as U+FFFD). Instead of cloning the
 * strings: cloning kept every batch's strings alive until sketched, and the young-generation GCs
 * that copied them cost ~0.4 CPU-s of GC threads on the reference corpus.
 */
export function packTexts(texts: string[], into: ArrayBuffer | null): PackedTexts | null {
  const ends = new Int32Array(texts.length);
  let bytes = 0;
  for (let i = 0; i < texts.length; i++) {
    if (!(texts[i] as unknown as { isWellFormed(): boolean }).isWellFormed()) return null;
    ends[i] = bytes += Buffer.byteLength(texts[i]!, "utf8");
  }
  const buffer = into && into.byteLength >= bytes ? into : new ArrayBuffer(Math.ceil(bytes * 1.25));
  const buf = Buffer.from(buffer, 0, bytes);
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    const at = i === 0 ? 0 : ends[i - 1]!;
    // ASCII (as many bytes as units) is copied as it is
    buf.write(t, at, ends[i]! - at === t.length ? "latin1" : "utf8");
  }
  return { bytes: new Uint8Array(buffer, 0, bytes), ends };
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

  async sketch(texts: string[]): Promise<BatchSketch> {
    if (!this.pool) return sketchBatch(this.request(texts));
    const packed = packTexts(texts, this.spare.pop() ?? null);
    if (!packed) return this.pool.run<BatchSketch>(this.request(texts), `${texts.length} texts`);
    const s = await this.pool.run<BatchSketch>(this.request([], packed), `${texts.length} texts`, [packed.bytes.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer]);
    if (s.textBuffer) this.spare.push(s.textBuffer);
    delete s.textBuffer;
    return s;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
