/**
 * Row-local filter stages, in the order they are applied. Each decides from a record's annotations
 * and the mix file's `filters`; the first stage that drops a row names the reason. Group-level
 * decisions (near-duplicate clusters, rollout caps) come after, in the group step.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason } from "../trace/record.js";
import { rowFilter, type Candidate, type FilterStage } from "./stage.js";

const fmt = (n: number) => n.toLocaleString("en-US");

/** Exact duplicates: same normalised problem + response as an earlier row (input order). */
export function exactDuplicateStage(): FilterStage {
  const first = new Map<string, string>();
  return {
    name: "exact_dedupe",
    async *run(batches) {
      for await (const batch of batches) {
        for (const c of batch) {
          if (c.drop || !c.record.keys) continue;
          const prev = first.get(c.record.keys.exact);
          if (prev === undefined) first.set(c.record.keys.exact, c.record.id);
          else c.drop = { stage: "exact_dedupe", reason: "duplicate:exact", detail: `same problem and response as ${prev}`, duplicateOf: prev };
        }
        yield batch;
      }
    },
  };
}

export function lengthStage(config: MixConfig): FilterStage | null {
  const f = config.filters ?? {};
  const limits: [keyof NonNullable<Candidate["record"]["tokens"]>, number | undefined, string][] = [
    ["reasoning", f.maxReasoningTokens, "too_long:reasoning"],
    ["solution", f.maxSolutionTokens, "too_long:solution"],
    ["response", f.maxResponseTokens, "too_long:response"],
  ];
  if (limits.every(([, v]) => v === undefined) && f.minResponseTokens === undefined) return null;
  return rowFilter("length", (c): Omit<DropReason, "stage"> | null => {
    const t = c.record.tokens;
    if (!t) return null;
    for (const [key, max, reason] of limits) {
      if (max !== undefined && t[key] > max) return { reason, detail: `${key} ${fmt(t[key])} tokens > ${fmt(max)}` };
    }
    if (f.minResponseTokens !== undefined && t.response < f.minResponseTokens) {
      return { reason: "too_short:response", detail: `response ${fmt(t.response)} tokens < ${fmt(f.minResponseTokens)}` };
    }
    return null;
  });
}

export function localFilterStages(config: MixConfig): FilterStage[] {
  const stages: (FilterStage | null)[] = [];
  if (config.filters?.exactDuplicates !== false) stages.push(exactDuplicateStage());
  stages.push(lengthStage(config));
  return stages.filter((s): s is FilterStage => s !== null);
}
