/** Owned by the verification module (issue 3). Placeholder shape; extend freely. */
export type Verdict = "correct" | "incorrect" | "no_answer" | "ungradable_reference" | "timeout";

export interface VerifyAnnotation {
  verdict: Verdict;
  /** the answer extracted from the response, null when none */
  extracted: string | null;
  /** which extraction / equivalence rule decided (e.g. "boxed", "numeric", "symbolic") */
  rule: string;
  /** milliseconds spent on this rollout */
  ms: number;
}

/** `annotate.verify` in the mix file */
export interface VerifyConfig {
  timeoutMs?: number;
}
