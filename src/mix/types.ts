/**
 * Types of the mixtures module (issue 7): the `outputs` section of a mix file
 * (schemas/parts/outputs*.schema.json are the source of truth) and the per-output manifest.
 *
 * Every output is built from the rows of a finished run (kept and dropped, with their annotations)
 * and the per-problem summaries of the group step. See docs/mixtures.md for the eligibility rules.
 */
import type { ProductConfig } from "./products.js";

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

/**
 * `outputs.<name>`: the config of one of the registered products (products.ts), discriminated by
 * `kind`; each kind's interface sits in its builder (MidtrainConfig in builders/midtrain.ts, …).
 */
export type OutputConfig = ProductConfig;

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
