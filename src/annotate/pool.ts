/**
 * Runs the annotator chain over streams of record batches, on `workers` threads (piscina) or inline
 * (workers = 0), and yields the annotated batches **in input order** whatever the number of workers,
 * so every later decision is independent of scheduling. One pool serves every unit of a run (workers
 * load the tokeniser and other state once).
 */
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import type { AnnotateContext } from "../record/annotator.js";
import { AnnotatorChain, type AnnotateResult } from "./chain.js";
import { ThreadPool } from "../workers.js";

export interface AnnotateStats {
  /** milliseconds per annotator, summed over batches (thread time) */
  ms: Record<string, number>;
  /** per-rollout verification time histogram (see VERIFY_MS_BUCKETS) */
  verifyMs: number[];
}

export class AnnotatePool {
  private pool: ThreadPool | null = null;
  private chain: Promise<AnnotatorChain> | null = null;
  readonly stats: AnnotateStats = { ms: {}, verifyMs: [] };

  constructor(
    config: MixConfig,
    ctx: AnnotateContext,
    private workers: number,
  ) {
    if (workers > 0) {
      this.pool = new ThreadPool({ name: "annotate", entry: "annotate/worker", threads: workers, idleTimeout: 60_000, workerData: { config, ctx } });
    } else {
      this.chain = AnnotatorChain.create(config, ctx);
    }
  }

  private add(res: AnnotateResult) {
    for (const [k, v] of Object.entries(res.ms)) this.stats.ms[k] = (this.stats.ms[k] ?? 0) + v;
    res.verifyMs.forEach((n, i) => (this.stats.verifyMs[i] = (this.stats.verifyMs[i] ?? 0) + n));
  }

  async *stream(batches: AsyncIterable<Rollout[]>): AsyncGenerator<Rollout[]> {
    if (!this.pool) {
      const chain = await this.chain!;
      for await (const batch of batches) {
        const res = await chain.run(batch);
        this.add(res);
        yield res.batch;
      }
      return;
    }
    const pool = this.pool;
    // a task whose worker thread died (crash, out of memory) is retried one rollout at a time, so
    // the rollout that kills a worker is isolated and marked, and the others are annotated
    const runBatch = async (batch: Rollout[]): Promise<AnnotateResult> => {
      try {
        // the worker returns only what it added (no texts); merge it into the records kept here
        const first = batch[0]!;
        const res = await pool.run<AnnotateResult>(batch, `${batch.length} rollouts from ${first.file} row ${first.row + 1}`);
        res.batch = res.batch.map((annotated, i) => Object.assign(batch[i]!, annotated));
        return res;
      } catch (e) {
        if (batch.length === 1) {
          batch[0]!.annotateError = { annotator: "worker", message: `worker thread died: ${e instanceof Error ? e.message : String(e)}` };
          return { batch, ms: {}, verifyMs: [] };
        }
        const parts = await Promise.all(batch.map((r) => runBatch([r])));
        const merged: AnnotateResult = { batch: parts.map((p) => p.batch[0]!), ms: {}, verifyMs: [] };
        for (const p of parts) {
          for (const [k, v] of Object.entries(p.ms)) merged.ms[k] = (merged.ms[k] ?? 0) + v;
          p.verifyMs.forEach((n, i) => (merged.verifyMs[i] = (merged.verifyMs[i] ?? 0) + n));
        }
        return merged;
      }
    };
    const inflight: Promise<AnnotateResult>[] = [];
    const window = this.workers * 2;
    try {
      for await (const batch of batches) {
        const p = runBatch(batch);
        p.catch(() => undefined); // surfaced when awaited in order
        inflight.push(p);
        while (inflight.length >= window) {
          const res = await inflight.shift()!;
          this.add(res);
          yield res.batch;
        }
      }
      while (inflight.length) {
        const res = await inflight.shift()!;
        this.add(res);
        yield res.batch;
      }
    } finally {
      // on early exit, let in-flight tasks settle before the caller tears the pool down
      await Promise.allSettled(inflight);
    }
  }

  async close(): Promise<void> {
    if (this.pool) await this.pool.destroy();
    if (this.chain) await (await this.chain).close();
  }
}
