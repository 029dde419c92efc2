/**
 * Runs the annotator chain over a stream of record batches, on `workers` threads (piscina) or inline
 * (workers = 0), and yields the annotated batches **in input order** whatever the number of workers,
 * so every later decision is independent of scheduling.
 */
import { Piscina } from "piscina";
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../trace/record.js";
import type { AnnotateContext } from "../stages/stage.js";
import { AnnotatorChain, type AnnotateResult } from "./annotate-core.js";
import { workerUrl } from "./worker-path.js";

export interface AnnotateStats {
  /** milliseconds per annotator, summed over batches (thread time) */
  ms: Record<string, number>;
}

export async function* annotateStream(
  batches: AsyncIterable<Rollout[]>,
  config: MixConfig,
  ctx: AnnotateContext,
  workers: number,
  stats: AnnotateStats,
): AsyncGenerator<Rollout[]> {
  const add = (res: AnnotateResult) => {
    for (const [k, v] of Object.entries(res.ms)) stats.ms[k] = (stats.ms[k] ?? 0) + v;
  };
  if (workers <= 0) {
    const chain = await AnnotatorChain.create(config, ctx);
    try {
      for await (const batch of batches) {
        const res = await chain.run(batch);
        add(res);
        yield res.batch;
      }
    } finally {
      await chain.close();
    }
    return;
  }
  const pool = new Piscina({
    filename: workerUrl("exec/annotate-worker").href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    workerData: { config, ctx },
  });
  const inflight: Promise<AnnotateResult>[] = [];
  const window = workers * 2;
  try {
    for await (const batch of batches) {
      const p = pool.run(batch) as Promise<AnnotateResult>;
      p.catch(() => undefined); // surfaced when awaited in order
      inflight.push(p);
      while (inflight.length >= window) {
        const res = await inflight.shift()!;
        add(res);
        yield res.batch;
      }
    }
    while (inflight.length) {
      const res = await inflight.shift()!;
      add(res);
      yield res.batch;
    }
  } finally {
    await pool.destroy();
  }
}
