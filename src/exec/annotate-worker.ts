/** Piscina worker: one AnnotatorChain per thread, built on the first task. */
import { workerData } from "node:worker_threads";
import type { Rollout } from "../trace/record.js";
import { AnnotatorChain, type AnnotateResult } from "./annotate-core.js";

let chain: Promise<AnnotatorChain> | undefined;

export default async function annotate(batch: Rollout[]): Promise<AnnotateResult> {
  chain ??= AnnotatorChain.create(workerData.config, workerData.ctx);
  const res = await (await chain).run(batch);
  // the trace split is cheap to recompute and would double the bytes sent back
  for (const r of res.batch) delete r.trace;
  return res;
}
