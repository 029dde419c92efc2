/**
 * Types of the mixtures module (issue 7): the `outputs` section of a mix file
 * (schemas/parts/outputs.schema.json is the source of truth) and the per-output manifest.
 *
 * Every output is built from the rows of a finished run (kept and dropped, with their annotations)
 * and the per-problem summaries of the group step. See docs/mixtures.md for the eligibility rules.
 */

/** Options every output kind accepts. */
export interface OutputCommon {
  /**
   * names of other outputs whose problem groups must not appear in this one (e.g. `["rl"]` on sft:
   * problems used for RL are kept out of SFT). Those outputs are built first; cycles are errors.
   */
  exclude?: string[];
  /** only rows from these sources (default: every source) */
  sources?: string[];
  /** keep only problems whose pass rate lies in [lo, hi] (inclusive); problems without one are left out */
  passRate?: [number, number];
  /** keep only problems whose source difficulty (meta.level / meta.difficulty) lies in [lo, hi] */
  sourceDifficulty?: [number, number];
  /**
   * use problem groups with a contaminated rollout (default false: a group in which any rollout
   * matched a benchmark, or was dropped as `contaminated:*`, contributes nothing)
   */
  allowContaminated?: boolean;
}

/** How the response is written: as the source wrote it, or re-wrapped as `<think>\n…\n</think>\n\n` + solution. */
export type ResponseFormat = "raw" | "think";

export type ChatFormat = "phi4" | "chatml";

export interface MidtrainConfig extends OutputCommon {
  /** at most this many rollouts per problem group (chosen by seeded hash of the rollout id) */
  maxPerProblem?: number;
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "midtrain";
  /** tokens per packed sequence, e.g. 16384 */
  packTo: number;
  /** "plain" renders `textTemplate`; "chat" renders the rollout as a user/assistant exchange in `chatFormat` */
  template?: "plain" | "chat";
  /** plain template with `{problem}` and `{response}`, each exactly once (default "{problem}\n\n{response}") */
  textTemplate?: string;
  /** chat markup for template "chat" (default "phi4": <|user|>…<|end|><|assistant|>…<|end|>) */
  chatFormat?: ChatFormat;
  /** system prompt for template "chat" */
  system?: string;
  /** appended after every rollout; a special token of the tokenizer (default "<|endoftext|>") becomes its id */
  separator?: string;
  /** "split": fill every sequence, cutting rollouts at boundaries; "never": a rollout stays in one sequence (default "split") */
  split?: "split" | "never";
  /** per-source weights: shares of `tokenBudget` when it is set, else repeat factors (unlisted sources: 0) */
  weights?: Record<string, number>;
  /** target content tokens (rollouts and separators); met within one rollout */
  tokenBudget?: number;
  /** only rollouts verified correct (default false: every kept rollout) */
  requireCorrect?: boolean;
  /** store `input_ids` (list<int32>) beside the text (default true) */
  inputIds?: boolean;
}

export interface SftConfig extends OutputCommon {
  /** at most this many rollouts per problem group (chosen by seeded hash of the rollout id) */
  maxPerProblem?: number;
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "sft";
  /** longest row, in tokens: system + problem + response (default: no limit) */
  maxTokens?: number;
  /** system prompt placed first in `messages` */
  system?: string;
  /** size of the subset: number of rows … */
  rows?: number;
  /** … or total tokens (met within one rollout) */
  tokenBudget?: number;
  /** max share of the subset per pass-rate difficulty (solved|easy|medium|hard|unsolved) */
  difficultyQuotas?: Record<string, number>;
  /** max share of the subset per domain (algebra|geometry|number_theory|counting_probability|calculus_analysis|other) */
  domainQuotas?: Record<string, number>;
  /** only rollouts verified correct (default true) */
  requireCorrect?: boolean;
}

export interface DpoConfig extends OutputCommon {
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "dpo";
  /** "chat": prompt/chosen/rejected as message lists (TRL conversational); "plain": strings (default "chat") */
  format?: "chat" | "plain";
  /** system prompt (chat: first prompt message; plain: prefixed with a blank line) */
  system?: string;
  /** how a rejected rollout is matched to a chosen one (default "closest_length") */
  pairing?: "closest_length" | "random" | "hardest";
  /** pairs per problem group (default 1) */
  pairsPerProblem?: number;
  /** prompts longer than this many tokens are left out */
  maxPromptTokens?: number;
  /** chosen and rejected responses longer than this many tokens are left out */
  maxResponseTokens?: number;
  /** size: at most this many pairs in total (default: all) */
  rows?: number;
}

export interface RlConfig extends OutputCommon {
  kind: "rl";
  /** "plain": prompt is a string; "chat": a one-message user list (default "plain") */
  format?: "chat" | "plain";
  /** prompt template with `{problem}` exactly once (default "{problem}") */
  promptTemplate?: string;
  /** system prompt (chat format only) */
  system?: string;
  /** leave out problems whose rollout lengths vary more than this (coefficient of variation, std/mean) */
  maxLengthSpread?: number;
  /** leave out problems whose 90th-percentile rollout is longer than this many tokens */
  maxP90Tokens?: number;
  /** at least this many gradable rollouts behind the pass rate (default 1) */
  minRollouts?: number;
  maxPromptTokens?: number;
  /** size: at most this many prompts (seeded sample; default all) */
  rows?: number;
}

export type OutputConfig = MidtrainConfig | SftConfig | DpoConfig | RlConfig;

/** `outputs` in the mix file: named data products */
export type OutputsConfig = Record<string, OutputConfig>;

export interface OutputShard {
  /** relative to the run folder */
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export interface CountTokens {
  rows: number;
  tokens: number;
}

export interface PassRateHistogram {
  /** bin i counts pass rates in [i/bins, (i+1)/bins); the last bin includes 1 */
  bins: number;
  counts: number[];
  /** rows whose problem has no pass rate */
  unknown: number;
}

/** What was considered and why rows were left out (counts of rollouts unless the key says problems). */
export type EligibilityCounts = Record<string, number>;

export interface OutputManifest {
  name: string;
  kind: OutputConfig["kind"];
  /** sha-256 of the canonical JSON of this output's config together with the seed and tokenizer */
  configHash: string;
  /** hash of the whole mix file (when the caller passes it) */
  mixConfigHash?: string;
  seed: number;
  tokenizer: string;
  config: OutputConfig;
  rows: number;
  tokens: number;
  /** distinct problem groups behind the rows */
  problems: number;
  bySource: Record<string, CountTokens>;
  byDomain: Record<string, CountTokens>;
  byDifficulty: Record<string, CountTokens>;
  passRateHistogram: PassRateHistogram;
  /** why candidates were not used */
  eligibility: EligibilityCounts;
  /** disjointness: for every excluded output, the problem groups and rollouts it took away */
  disjoint: Record<string, { problems: number; rollouts: number; overlapAfter: number }>;
  /** shared problem groups with every other output (after building), for the overlap rules */
  overlap: Record<string, number>;
  shards: OutputShard[];
  /** kind-specific figures */
  details: Record<string, unknown>;
  warnings: string[];
}
