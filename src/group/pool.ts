/** A piscina pool that sketches texts in worker threads (for the dedupe CLI and the benchmark). */
import { Piscina } from "piscina";
import { workerUrl } from "../exec/worker-path.js";
import { sketchBatch, type BatchSketch, type BatchSketchRequest } from "./sketch-text.js";
import type { SketchParams } from "./minhash.js";

export interface SketchPoolOptions {
  params: SketchParams;
  stripPhrases?: string[];
  stockPhrases?: boolean;
  /** worker threads; 0 sketches inline in the calling thread */
  threads: number;
}

export class SketchPool {
  private readonly pool: Piscina | null;
  constructor(private readonly opts: SketchPoolOptions) {
    this.pool = opts.threads > 0
      ? new Piscina({ filename: workerUrl("group/minhash-worker").href, minThreads: opts.threads, maxThreads: opts.threads })
      : null;
  }

  private request(texts: string[]): BatchSketchRequest {
    return { params: this.opts.params, stripPhrases: this.opts.stripPhrases ?? [], stockPhrases: this.opts.stockPhrases ?? true, texts };
  }

  async sketch(texts: string[]): Promise<BatchSketch> {
    if (!this.pool) return sketchBatch(this.request(texts));
    return (await this.pool.run(this.request(texts))) as BatchSketch;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
