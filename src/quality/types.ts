/**
 * Long-CoT quality signals (issue 6). Every signal is stored per rollout as a plain number or boolean
 * so that filter thresholds can change without recomputing anything (annotations beside the data,
 * decisions at the end). See docs/quality.md for what each one means and how it was calibrated.
 */

/** Script classes used by the language-mixing detector. */
export type Script = "latin" | "greek" | "cyrillic" | "cjk" | "arabic" | "hebrew" | "devanagari" | "thai" | "other";

export const SCRIPTS: readonly Script[] = ["latin", "greek", "cyrillic", "cjk", "arabic", "hebrew", "devanagari", "thai", "other"];

/** Flat per-rollout signals, stored in `record.quality`. */
export interface QualitySignals {
  // ── truncation ────────────────────────────────────────────────────────────
  /**
   * The generation was cut off (quality/truncation.ts): reasoning never closed, finishLength, a solution
   * block never closed whose solution is incomplete, or no final answer and a dangling end. A response
   * that ends cleanly without a final answer is not truncated (see hasFinalAnswer and the
   * requireFinalAnswer filter); one that stops mid-sentence with no answer is. A solution block that
   * lost its closing tag (a stop string) but has a final answer and ends cleanly (or finish_reason
   * "stop") is complete, not truncated. Verification never grades a truncated trace.
   */
  truncated: boolean;
  /** reasoning block (or solution block) opened and never closed */
  unterminated: boolean;
  /** the source recorded finish_reason "length" */
  finishLength: boolean;
  /**
   * a complete \boxed{…} / \fbox{…} ends within the solution's last 3,000 characters, or an "answer is …" /
   * "Answer:" phrase is in its last 2,000, or (think_answer format) the closed <answer> block is non-empty
   */
  hasFinalAnswer: boolean;
  /**
   * the response's last non-blank character is not a sentence / formula / block end (. ! ? $ ) ] } > * etc.);
   * when the solution block is unclosed, a trailing fragment of its closing tag (`<|end_of_`) is ignored
   */
  danglingEnd: boolean;

  // ── repetition ────────────────────────────────────────────────────────────
  /** max(repeatedParagraphShare, tailRepeatShare): the value `maxRepetition` compares against */
  repetition: number;
  /** characters in lines (≥ minLineChars) that repeat an earlier line exactly / characters in such lines */
  repeatedLineShare: number;
  /** same over blank-line separated paragraphs */
  repeatedParagraphShare: number;
  /** non-blank characters of the longest blank-line separated paragraph (R1 dropped over-long paragraphs) */
  longestParagraphChars: number;
  /** in the tail window: share of token n-grams already seen earlier in the window (1 − distinct ratio) */
  tailRepeatShare: number;
  /** in the tail window: longest run of consecutive already-seen n-grams, in tokens (the loop length) */
  tailLoopTokens: number;
  /** in the tail window: greedy LZ77 cost / characters (≈ compression ratio; low = repetitive) */
  tailLzRatio: number;

  // ── language mixing ───────────────────────────────────────────────────────
  /** letters outside the expected scripts / all letters, whole response */
  foreignShare: number;
  /** max over consecutive segments of `segmentLetters` letters of the same share */
  foreignShareMax: number;
  /** count of letters outside the expected scripts */
  foreignLetters: number;

  // ── code ──────────────────────────────────────────────────────────────────
  /** characters in fenced ``` blocks and obvious code lines / non-blank characters */
  codeShare: number;
  /** number of fenced code blocks */
  codeBlocks: number;

  // ── final answers ─────────────────────────────────────────────────────────
  /** complete \boxed{…} / \fbox{…} in the solution */
  boxedCount: number;
  /** distinct boxed contents after light normalisation */
  distinctBoxed: number;
  /**
   * distinctBoxed > 1. A signal only: the drop decision for several different boxed answers is
   * verification's (`filters.dropConflictingBoxed`, alias `dropConflictingAnswers`; reason
   * `verify:conflicting_boxed`), which ignores empty boxes and compares boxes by value
   */
  conflictingAnswers: boolean;

  // ── size ──────────────────────────────────────────────────────────────────
  /** characters of the reasoning block; for `plain` traces (no block) the whole response is the inline reasoning */
  reasoningChars: number;
  /** characters of the final solution */
  solutionChars: number;
  /** the trace has a separate reasoning block (format ≠ plain) */
  reasoningBlock: boolean;
}

/** `annotate.quality` in the mix file (schemas/parts/quality.schema.json) */
export interface QualityConfig {
  /** default true */
  enabled?: boolean;
  /** tokens per n-gram for the tail loop detector; default 12 */
  ngram?: number;
  /** characters at the end of the response examined by the tail detectors; default 8192 */
  tailChars?: number;
  /** lines/paragraphs with fewer non-space characters are ignored by the repeated-line share; default 16 */
  minLineChars?: number;
  /** scripts that are not foreign; default ["latin", "greek"] */
  expectedScripts?: Script[];
  /** letters per segment for foreignShareMax; default 200 */
  segmentLetters?: number;
}

/** Resolved configuration (all defaults applied). */
export interface QualityOptions {
  ngram: number;
  tailChars: number;
  minLineChars: number;
  expectedScripts: Script[];
  segmentLetters: number;
}

/** filters keys owned by this module (schemas/parts/filters.quality.schema.json) */
export interface QualityFilters {
  dropTruncated?: boolean;
  requireFinalAnswer?: boolean;
  maxRepetition?: number;
  maxTailLoopTokens?: number;
  maxForeignScript?: number;
  maxCodeShare?: number;
  maxParagraphChars?: number;
  minReasoningChars?: number;
  minReasoningTokens?: number;
}

/** Domain classes for problems. */
export type Domain = "algebra" | "geometry" | "number_theory" | "counting_probability" | "calculus_analysis" | "other";

export type PassRateDifficulty = "unsolved" | "hard" | "medium" | "easy" | "solved";
