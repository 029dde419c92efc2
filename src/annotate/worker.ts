/** Piscina worker: one AnnotatorChain per thread, built on the first task. */
import { workerData } from "node:worker_threads";
import type { Rollout } from "../record/rollout.js";
import { AnnotatorChain, type AnnotateResult } from "./chain.js";

let chain: Promise<AnnotatorChain> | undefined;

/** Fields the main thread already holds: not sent back (the texts are most of a batch's bytes). */
const KEPT_IN_MAIN = ["problem", "response", "reference", "finishReason", "meta", "file", "source", "trace"] as const;

export default async function annotate(batch: Rollout[]): Promise<AnnotateResult> {
  chain ??= AnnotatorChain.create(workerData.config, workerData.ctx);
  const res = await (await chain).run(batch);
  for (const r of res.batch) for (const k of KEPT_IN_MAIN) delete (r as Partial<Rollout>)[k];
  return res;
}
