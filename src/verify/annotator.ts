/**
 * Verification annotator (`annotate.verify`) and the verification filters (`filters.requireCorrect`,
 * `filters.dropVerdicts`, `filters.dropConflictingBoxed` and its alias `filters.dropConflictingAnswers`;
 * see schemas/parts/filters.verify.schema.json).
 *
 * The annotator sets `record.verify` from `record.reference` and the final solution of `record.trace`
 * (the whole response when the trace has not been split). A trace that was cut off (the truncation
 * rule of quality/truncation.ts, the same one `quality.truncated` stores) is never graded: no answer is
 * extracted from it, its verdict is `no_answer` with rule `unterminated` (reasoning never closed) or
 * `truncated`, and it does not count in pass rates (`gradedVerdict`). Fast layers run in the calling thread; pairs
 * that need the symbolic engine go to one lazily spawned symbolic worker per annotator (worker_threads
 * nest, so this works inside the annotate pool), which `close()` terminates.
 */
import type { MixConfig, FiltersConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import type { Verdict, VerifyAnnotation } from "./types.js";
import { Verifier, type VerifyInput } from "./verifier.js";
import type { Annotator, AnnotatorModule } from "../record/annotator.js";
import { truncation } from "../quality/truncation.js";

export const VERDICTS: readonly Verdict[] = ["correct", "incorrect", "no_answer", "ungradable_reference", "timeout"];

/** rules of a `no_answer` verdict given to a trace that was cut off: it was never graded */
export const CUT_OFF_RULES: readonly string[] = ["unterminated", "truncated"];

/**
 * The verdict as pass rates count it: null when the rollout was not verified or was cut off before
 * its answer (never graded), else its verdict. group/ counts correct / (correct + incorrect + no_answer)
 * over these.
 */
export function gradedVerdict(v: VerifyAnnotation | null | undefined): Verdict | null {
  if (!v) return null;
  return v.verdict === "no_answer" && CUT_OFF_RULES.includes(v.rule) ? null : v.verdict;
}

/** what the verifier reads from a record; `truncated` is set (true) only for a trace that was cut off */
export function verifyInput(record: Rollout): VerifyInput {
  const t = record.trace;
  const input: VerifyInput = !t
    ? { reference: record.reference, solution: record.response, problem: record.problem }
    : { reference: record.reference, solution: t.solution, unterminated: t.unterminated, answerBlock: t.format === "think_answer", problem: record.problem };
  if (truncation({ response: record.response, trace: t, finishReason: record.finishReason }).truncated) input.truncated = true;
  return input;
}

export const verifyModule: AnnotatorModule = {
  create(config: MixConfig): Annotator | null {
    const section = config.annotate?.verify;
    if (!section || section.enabled === false) return null;
    const verifier = new Verifier(section);
    return {
      name: "verify",
      async annotate(batch: Rollout[]) {
        // fast layers are synchronous; only pairs that need the symbolic worker are awaited
        for (const r of batch) r.verify = await verifier.verify(verifyInput(r));
      },
      close: () => verifier.close(),
    };
  },
};

export interface VerifyFilters {
  /** drop every rollout whose verdict is not `correct` */
  requireCorrect?: boolean;
  /** drop rollouts with these verdicts (finer than requireCorrect, e.g. keep ungradable references) */
  dropVerdicts?: Verdict[];
  /** drop rollouts whose final solution boxes several non-equivalent answers */
  dropConflictingBoxed?: boolean;
}

/**
 * `filters.dropConflictingAnswers`, once the quality module's own test of the same fact (reason
 * `quality:conflicting_answers`), is an alias of `dropConflictingBoxed`: verification owns answers, so
 * one filter decides "several different boxed answers", with one reason, `verify:conflicting_boxed`.
 */
export const CONFLICTING_ALIAS = "dropConflictingAnswers";

/** The verify filter keys present in `filters` (validated by the schema; re-checked here for people). */
export function verifyFilters(filters: FiltersConfig | undefined): VerifyFilters {
  const f = (filters ?? {}) as Record<string, unknown>;
  const out: VerifyFilters = {};
  for (const k of ["requireCorrect", "dropConflictingBoxed", CONFLICTING_ALIAS]) {
    if (f[k] !== undefined && typeof f[k] !== "boolean") throw new Error(`filters.${k}: expected true or false, got ${JSON.stringify(f[k])}`);
  }
  if (f.requireCorrect !== undefined) out.requireCorrect = f.requireCorrect as boolean;
  if (f.dropConflictingBoxed !== undefined || f[CONFLICTING_ALIAS] !== undefined) {
    out.dropConflictingBoxed = f.dropConflictingBoxed === true || f[CONFLICTING_ALIAS] === true;
  }
  if (f.dropVerdicts !== undefined) {
    const v = f.dropVerdicts;
    if (!Array.isArray(v) || v.some((x) => !VERDICTS.includes(x as Verdict))) {
      throw new Error(`filters.dropVerdicts: expected an array of ${VERDICTS.join(", ")}, got ${JSON.stringify(v)}`);
    }
    out.dropVerdicts = v as Verdict[];
  }
  return out;
}

function describe(v: VerifyAnnotation): string {
  const ans = v.extracted === null ? "no extracted answer" : `answer ${JSON.stringify(v.extracted.length > 80 ? v.extracted.slice(0, 77) + "..." : v.extracted)}`;
  return `${v.verdict} (${ans}; rule ${v.rule})`;
}

/**
 * Drop decision for one record from the verify filters, or null to keep it. Reasons:
 * `verify:<verdict>` (incorrect, no_answer, timeout, ungradable_reference), `verify:missing` (the
 * record was never verified), `verify:conflicting_boxed`.
 */
export function verifyDrop(record: Rollout, filters: VerifyFilters | FiltersConfig | undefined): { reason: string; detail: string } | null {
  const f = verifyFilters(filters as FiltersConfig | undefined);
  const wants = f.requireCorrect || (f.dropVerdicts?.length ?? 0) > 0 || f.dropConflictingBoxed;
  if (!wants) return null;
  const v = record.verify;
  if (!v) return { reason: "verify:missing", detail: "no verify annotation (is annotate.verify enabled?)" };
  if (v.verdict !== "correct" && (f.requireCorrect || f.dropVerdicts?.includes(v.verdict))) {
    return { reason: `verify:${v.verdict}`, detail: describe(v) };
  }
  if (f.dropConflictingBoxed && v.conflicting && v.conflicting.length > 1) {
    return { reason: "verify:conflicting_boxed", detail: `${v.conflicting.length} different boxed answers: ${v.conflicting.slice(0, 4).join(" | ")}` };
  }
  return null;
}
