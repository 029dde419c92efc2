/**
 * Row-local filter stages, in the order they are applied. Each decides from one record's annotations
 * and the mix file's `filters`; the first stage that drops a row names the reason. Decisions that need
 * every row (exact and near duplicates, rollout caps) come later, in the group step.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason } from "../record/rollout.js";
import type { FilterStage } from "../record/annotator.js";
import type { Rollout } from "../record/rollout.js";
import { verifyDrop, verifyFilters } from "../verify/annotator.js";
import { qualityDrop, qualityFilters } from "../quality/annotator.js";
import { decontaminateDrop } from "../decontam/annotator.js";

const fmt = (n: number) => n.toLocaleString("en-US");

export function lengthStage(config: MixConfig): FilterStage | null {
  const f = config.filters ?? {};
  const limits: [keyof NonNullable<Rollout["tokens"]>, number | undefined, string][] = [
    ["reasoning", f.maxReasoningTokens, "too_long:reasoning"],
    ["solution", f.maxSolutionTokens, "too_long:solution"],
    ["response", f.maxResponseTokens, "too_long:response"],
  ];
  if (limits.every(([, v]) => v === undefined) && f.minResponseTokens === undefined) return null;
  return { name: "length", decide(record): Omit<DropReason, "stage"> | null {
    const t = record.tokens;
    if (!t) return null;
    for (const [key, max, reason] of limits) {
      if (max !== undefined && t[key] > max) return { reason, detail: `${key} ${fmt(t[key])} tokens > ${fmt(max)}` };
    }
    if (f.minResponseTokens !== undefined && t.response < f.minResponseTokens) {
      return { reason: "too_short:response", detail: `response ${fmt(t.response)} tokens < ${fmt(f.minResponseTokens)}` };
    }
    return null;
  } };
}

function verifyStage(config: MixConfig): FilterStage | null {
  const f = verifyFilters(config.filters);
  if (!f.requireCorrect && !(f.dropVerdicts?.length) && !f.dropConflictingBoxed) return null;
  return { name: "verify", decide: (record) => verifyDrop(record, f) };
}

function qualityStage(config: MixConfig): FilterStage | null {
  const f = qualityFilters(config.filters);
  if (Object.keys(f).length === 0) return null;
  return { name: "quality", decide: (record) => qualityDrop(record, f) };
}

function decontaminateStage(config: MixConfig): FilterStage | null {
  if (!config.annotate?.decontaminate) return null;
  if ((config.filters as { dropContaminated?: boolean } | undefined)?.dropContaminated === false) return null;
  return { name: "decontaminate", decide: (record) => decontaminateDrop(record, config.filters) };
}

/** The row-local stages a config enables, in order. Their names are stable (used in counts). */
export function localFilterStages(config: MixConfig): FilterStage[] {
  return [decontaminateStage(config), verifyStage(config), qualityStage(config), lengthStage(config)].filter((s): s is FilterStage => s !== null);
}

/** The row-local decision as one function: the enabled stages in order, first drop wins. */
export function localDecider(config: MixConfig): (record: Rollout) => DropReason | null {
  const stages = localFilterStages(config);
  return (record) => {
    for (const s of stages) {
      const d = s.decide(record);
      if (d) return { stage: s.name, ...d };
    }
    return null;
  };
}
