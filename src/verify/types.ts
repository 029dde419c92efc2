/** Owned by the verification module (issue 3). */
export type Verdict = "correct" | "incorrect" | "no_answer" | "ungradable_reference" | "timeout";

export interface VerifyAnnotation {
  verdict: Verdict;
  /** the answer extracted from the response, null when none */
  extracted: string | null;
  /** how the answer was found: "boxed" | "answer_tag" | "final_answer" | "answer_line" | "last_math" | null */
  extractedBy: string | null;
  /**
   * which rule decided: an equivalence layer ("string", "numeric", "expression", "symbolic"), prefixed by
   * the answer structure when not a plain scalar ("tuple/numeric", "interval/expression", "set~list/string"),
   * or the reason there was nothing to compare ("unterminated", "truncated" — a cut-off trace, never graded —,
   * "no_answer", "no_reference", "reference_unparseable", "refused:length", "refused:depth", "timeout"), or
   * why exact arithmetic refused
   * ("exact/too_large", "exact/work_limit", "exact/out_of_range", "exact/double_precision")
   */
  rule: string;
  /** milliseconds spent on this rollout */
  ms: number;
  /**
   * several different boxed answers in the final solution (in order); the verdict is computed on the
   * last one. Absent when the solution boxes at most one distinct answer.
   */
  conflicting?: string[];
}

/** `annotate.verify` in the mix file */
export interface VerifyConfig {
  /** hard per-rollout limit for the symbolic engine (the worker is terminated and respawned); default 1000 */
  timeoutMs?: number;
  /** relative tolerance for non-integer numbers; default 1e-4 */
  relTol?: number;
  /** answers (extracted or reference) longer than this after normalisation are refused; default 1000 */
  maxAnswerChars?: number;
  /** use the last `$…$` of the solution when nothing else marks the answer; default true */
  lastMath?: boolean;
  /** false disables the annotator */
  enabled?: boolean;
}
