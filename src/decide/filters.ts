/**
 * The row-local filter stages, in their ORDER OF PRECEDENCE BY CAUSE: when several filters would drop
 * a row, the first stage below names its stage and reason. The order is "what was wrong with the row",
 * most basic cause first, never the order the annotators run in, so the funnel reads as a diagnosis:
 *
 *   stage          cause                                        reasons
 *   decontaminate  the problem is a benchmark item              contaminated:<benchmark>
 *   trace          the trace is broken: a degenerate loop,      quality:repetition, quality:truncated
 *                  then cut off (a loop that ran into the
 *                  length limit is a loop first)
 *   verify         the verdict on the final answer              verify:incorrect, verify:no_answer, verify:timeout,
 *                                                               verify:ungradable_reference, verify:missing,
 *                                                               verify:conflicting_boxed
 *   quality        the other quality filters                    quality:no_final_answer, quality:short_reasoning,
 *                                                               quality:language_mix, quality:code, quality:long_paragraph
 *   length         exact token limits                           too_long:reasoning|solution|response, too_short:response
 *
 * Before them come the failures stored at annotate time (`read`, `annotate`); after them the group
 * stages (`exact_dedupe`, `dedupe`), which need every row (decide.ts). So a truncated trace is dropped
 * as `quality:truncated` although its verdict is `no_answer` (kept in its annotations, rule
 * `truncated`), and a `\boxed{. \boxed{. …` loop as `quality:repetition`, not as the verdict its
 * broken end produced. This list is the one place the precedence is defined (docs/decisions.md).
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason } from "../record/rollout.js";
import type { FilterStage } from "../record/annotator.js";
import type { Rollout } from "../record/rollout.js";
import { verifyDrop, verifyFilters } from "../verify/annotator.js";
import { brokenTraceDrop, contentQualityDrop, qualityFilters } from "../quality/annotator.js";
import { decontaminateDrop } from "../decontam/annotator.js";

const fmt = (n: number) => n.toLocaleString("en-US");

type LengthCheck = (t: NonNullable<Rollout["tokens"]>) => Omit<DropReason, "stage"> | null;

/** The token limits the config sets, in order: reasoning, solution, response maxima, then the response minimum. */
export function lengthChecks(config: MixConfig): LengthCheck[] {
  const f = config.filters ?? {};
  const checks: LengthCheck[] = [];
  const limits: [keyof NonNullable<Rollout["tokens"]>, number | undefined, string][] = [
    ["reasoning", f.maxReasoningTokens, "too_long:reasoning"],
    ["solution", f.maxSolutionTokens, "too_long:solution"],
    ["response", f.maxResponseTokens, "too_long:response"],
  ];
  for (const [key, max, reason] of limits) {
    if (max !== undefined) checks.push((t) => (t[key] > max ? { reason, detail: `${key} ${fmt(t[key])} tokens > ${fmt(max)}` } : null));
  }
  const min = f.minResponseTokens;
  if (min !== undefined) {
    checks.push((t) => (t.response < min ? { reason: "too_short:response", detail: `response ${fmt(t.response)} tokens < ${fmt(min)}` } : null));
  }
  return checks;
}

export function lengthStage(config: MixConfig): FilterStage | null {
  const checks = lengthChecks(config);
  if (checks.length === 0) return null;
  return { name: "length", decide(record): Omit<DropReason, "stage"> | null {
    const t = record.tokens;
    if (!t) return null;
    for (const check of checks) {
      const d = check(t);
      if (d) return d;
    }
    return null;
  } };
}

function decontaminateStage(config: MixConfig): FilterStage | null {
  if (!config.annotate?.decontaminate) return null;
  if ((config.filters as { dropContaminated?: boolean } | undefined)?.dropContaminated === false) return null;
  return { name: "decontaminate", decide: (record) => decontaminateDrop(record, config.filters) };
}

function brokenTraceStage(config: MixConfig): FilterStage | null {
  const f = qualityFilters(config.filters);
  if (!f.dropTruncated && f.maxRepetition === undefined && f.maxTailLoopTokens === undefined) return null;
  return { name: "trace", decide: (record) => brokenTraceDrop(record, f) };
}

function verifyStage(config: MixConfig): FilterStage | null {
  const f = verifyFilters(config.filters);
  if (!f.requireCorrect && !(f.dropVerdicts?.length) && !f.dropConflictingBoxed) return null;
  return { name: "verify", decide: (record) => verifyDrop(record, f) };
}

const BROKEN_TRACE_KEYS = new Set(["dropTruncated", "maxRepetition", "maxTailLoopTokens"]);

function qualityStage(config: MixConfig): FilterStage | null {
  const f = qualityFilters(config.filters);
  if (Object.keys(f).every((k) => BROKEN_TRACE_KEYS.has(k))) return null;
  return { name: "quality", decide: (record) => contentQualityDrop(record, f) };
}

/** Every row-local stage, in precedence order (null where the config enables none of its filters). */
const STAGES: readonly ((config: MixConfig) => FilterStage | null)[] = [decontaminateStage, brokenTraceStage, verifyStage, qualityStage, lengthStage];

/** The names of every row-local stage, in precedence order, whether a config enables it or not. */
export const LOCAL_STAGE_NAMES: readonly string[] = ["decontaminate", "trace", "verify", "quality", "length"];

/** The row-local stages a config enables, in precedence order. Their names are stable (used in counts). */
export function localFilterStages(config: MixConfig): FilterStage[] {
  return STAGES.map((make) => make(config)).filter((s): s is FilterStage => s !== null);
}

/** The row-local decision as one function: the enabled stages in precedence order, first drop wins. */
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
