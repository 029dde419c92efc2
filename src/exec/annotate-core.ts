/**
 * Builds the annotator chain from a mix config and runs it over one batch; shared by the worker
 * entry (src/exec/annotate-worker.ts) and the inline path (workers = 0).
 */
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../trace/record.js";
import type { AnnotateContext, Annotator } from "../stages/stage.js";
import { annotatorModules } from "../stages/registry.js";

export interface AnnotateResult {
  batch: Rollout[];
  /** milliseconds per annotator for this batch */
  ms: Record<string, number>;
}

export class AnnotatorChain {
  private constructor(private annotators: Annotator[]) {}

  static async create(config: MixConfig, ctx: AnnotateContext): Promise<AnnotatorChain> {
    const list: Annotator[] = [];
    for (const { module } of annotatorModules) {
      const a = await module.create(config, ctx);
      if (a) list.push(a);
    }
    return new AnnotatorChain(list);
  }

  get names(): string[] {
    return this.annotators.map((a) => a.name);
  }

  async run(batch: Rollout[]): Promise<AnnotateResult> {
    const ms: Record<string, number> = {};
    for (const a of this.annotators) {
      const t0 = performance.now();
      await a.annotate(batch);
      ms[a.name] = performance.now() - t0;
    }
    return { batch, ms };
  }

  async close(): Promise<void> {
    for (const a of this.annotators) await a.close?.();
  }
}

export async function prepareAnnotators(config: MixConfig, ctx: AnnotateContext): Promise<void> {
  for (const { module } of annotatorModules) await module.prepare?.(config, ctx);
}
