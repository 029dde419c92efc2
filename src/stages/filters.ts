/**
 * Row-local filter stages, in the order they are applied. Each decides from one record's annotations
 * and the mix file's `filters`; the first stage that drops a row names the reason. Decisions that need
 * every row (exact and near duplicates, rollout caps) come later, in the group step.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason } from "../trace/record.js";
import { rowFilter, type Candidate, type FilterStage } from "./stage.js";
import { verifyDrop, verifyFilters } from "./verify.js";
import { qualityDrop, qualityFilters } from "./quality.js";
import { decontaminateDrop } from "./decontaminate.js";

const fmt = (n: number) => n.toLocaleString("en-US");

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

function verifyStage(config: MixConfig): FilterStage | null {
  const f = verifyFilters(config.filters);
  if (!f.requireCorrect && !(f.dropVerdicts?.length) && !f.dropConflictingBoxed) return null;
  return rowFilter("verify", (c) => verifyDrop(c.record, f));
}

function qualityStage(config: MixConfig): FilterStage | null {
  const f = qualityFilters(config.filters);
  if (Object.keys(f).length === 0) return null;
  return rowFilter("quality", (c) => qualityDrop(c.record, f));
}

function decontaminateStage(config: MixConfig): FilterStage | null {
  if (!config.annotate?.decontaminate) return null;
  if ((config.filters as { dropContaminated?: boolean } | undefined)?.dropContaminated === false) return null;
  return rowFilter("decontaminate", (c) => decontaminateDrop(c.record, config.filters));
}

/** The row-local stages a config enables, in order. Their names are stable (used in counts). */
export function localFilterStages(config: MixConfig): FilterStage[] {
  return [decontaminateStage(config), verifyStage(config), qualityStage(config), lengthStage(config)].filter((s): s is FilterStage => s !== null);
}

/**
 * The row-local decision as one function (first stage that drops wins), for deciding from stored
 * annotations: filters are applied at the end of a run, so a changed threshold never re-annotates.
 */
export function localDecider(config: MixConfig): (record: Candidate["record"]) => DropReason | null {
  const stages = localFilterStages(config);
  for (const s of stages) if (!s.decide) throw new Error(`filter stage ${s.name} is not a row filter`);
  return (record) => {
    const c: Candidate = { record, group: {} as Candidate["group"] };
    for (const s of stages) {
      const d = s.decide!(c);
      if (d) return { stage: s.name, ...d };
    }
    return null;
  };
}
