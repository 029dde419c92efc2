/**
 * Builds the annotator chain from a mix config and runs it over one batch; shared by the worker
 * entry (src/annotate/worker.ts) and the inline path (workers = 0).
 */
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import type { AnnotateContext, Annotator } from "../record/annotator.js";
import { annotatorModules } from "./registry.js";

export interface AnnotateResult {
  batch: Rollout[];
  /** milliseconds per annotator for this batch */
  ms: Record<string, number>;
  /** per-rollout verification time histogram (counts per VERIFY_MS_BUCKETS upper bound, last = over) */
  verifyMs: number[];
}

/** upper bounds (ms) of the verification-time histogram buckets kept in timings.json */
export const VERIFY_MS_BUCKETS = [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000];

export class AnnotatorChain {
  private constructor(private annotators: Annotator[]) {}

  static async create(config: MixConfig, ctx: AnnotateContext): Promise<AnnotatorChain> {
    const list: Annotator[] = [];
    const fault = faultInjector();
    if (fault) list.push(fault);
    for (const { module } of annotatorModules) {
      const a = await module.create(config, ctx);
      if (a) list.push(a);
    }
    return new AnnotatorChain(list);
  }

  get names(): string[] {
    return this.annotators.map((a) => a.name);
  }

  /**
   * Run every annotator over the batch. When an annotator throws, the batch is retried one record at
   * a time so only the culprit is marked (`record.annotateError`) and skipped by later annotators; the
   * runner then stops naming it or quarantines it, as the source's `onError` says.
   */
  async run(batch: Rollout[]): Promise<AnnotateResult> {
    const ms: Record<string, number> = {};
    for (const a of this.annotators) {
      const t0 = performance.now();
      const live = batch.some((r) => r.annotateError) ? batch.filter((r) => !r.annotateError) : batch;
      try {
        await a.annotate(live);
      } catch {
        for (const r of live) {
          try {
            await a.annotate([r]);
          } catch (e) {
            r.annotateError = { annotator: a.name, message: e instanceof Error ? e.message : String(e) };
          }
        }
      }
      ms[a.name] = performance.now() - t0;
    }
    // wall-clock time is not deterministic: it goes to the timings histogram, never into shards
    const verifyMs = new Array<number>(VERIFY_MS_BUCKETS.length + 1).fill(0);
    for (const r of batch) {
      if (!r.verify) continue;
      const t = r.verify.ms;
      let b = 0;
      while (b < VERIFY_MS_BUCKETS.length && t > VERIFY_MS_BUCKETS[b]!) b++;
      verifyMs[b]!++;
      delete (r.verify as { ms?: number }).ms;
    }
    return { batch, ms, verifyMs };
  }

  async close(): Promise<void> {
    for (const a of this.annotators) await a.close?.();
  }
}

export async function prepareAnnotators(config: MixConfig, ctx: AnnotateContext): Promise<void> {
  for (const { module } of annotatorModules) await module.prepare?.(config, ctx);
}

/**
 * Fault injection for the robustness tests (never set in normal use): CURATE_FAULT_THROW_ID makes the
 * annotator chain throw on the rollout with that id; CURATE_FAULT_EXIT_ID kills the worker thread
 * (process.exit inside a worker ends only that thread) when it meets that id; CURATE_FAULT_SLOW_ID
 * holds the batch with that id for CURATE_FAULT_SLOW_MS (default 3000) ms.
 */
function faultInjector(): Annotator | null {
  const throwId = process.env.CURATE_FAULT_THROW_ID;
  const exitId = process.env.CURATE_FAULT_EXIT_ID;
  const slowId = process.env.CURATE_FAULT_SLOW_ID;
  if (!throwId && !exitId && !slowId) return null;
  return {
    name: "fault",
    async annotate(batch) {
      for (const r of batch) {
        if (r.id === throwId) throw new Error(`injected fault on ${r.id}`);
        if (r.id === exitId) process.exit(70);
        if (r.id === slowId) await new Promise((resolve) => setTimeout(resolve, Number(process.env.CURATE_FAULT_SLOW_MS ?? 3000)));
      }
    },
  };
}
