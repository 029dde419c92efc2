/** A pool of threads that sketch texts (for the dedupe CLI and the benchmark). */
import { ThreadPool } from "../workers.js";
import { sketchBatch, type BatchSketch, type BatchSketchRequest } from "./sketch-text.js";
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

export class SketchPool {
  private readonly pool: ThreadPool | null;
  constructor(private readonly opts: SketchPoolOptions) {
    this.pool = opts.threads > 0
      ? new ThreadPool({ name: "sketch", entry: "group/minhash-worker", threads: opts.threads })
      : null;
  }

  private request(texts: string[]): BatchSketchRequest {
    const { params, stripPhrases, stockPhrases, checkRecords } = this.opts;
    return { params, stripPhrases: stripPhrases ?? [], stockPhrases: stockPhrases ?? true, texts, ...(checkRecords ? { checkRecords } : {}) };
  }

  async sketch(texts: string[]): Promise<BatchSketch> {
    if (!this.pool) return sketchBatch(this.request(texts));
    return this.pool.run<BatchSketch>(this.request(texts), `${texts.length} texts`);
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
