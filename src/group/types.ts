/**
 * Types of the grouping / near-duplicate module (issue 5).
 *
 * Flow: the `sketch` annotator (src/group/annotator.ts) stores a compact {@link ProblemSketch} on
 * every record; the runner feeds one {@link GroupInput} per row (in ordinal order) to
 * `ProblemGrouper` (src/group/group.ts), whose result gives every row its {@link RowGroupInfo} and,
 * for rows the group step removes, a drop reason.
 */

/**
 * Per-record compact sketch computed during annotate. All numbers are int32 (fit Parquet INT32).
 * Size: (bands + permutations/32) × 4 bytes for the problem — 25 + 4 numbers = 116 bytes with the
 * defaults (128 permutations, banding tuned for 0.5 under the exact check) — plus
 * responsePermutations/32 × 4 bytes (32 by default) when response sketches are on.
 */
export interface ProblemSketch {
  /** LSH band hashes of the normalised problem's MinHash signature; [] for an empty problem */
  bands: number[];
  /** one-bit MinHash of the problem (permutations/32 words), for the estimated-Jaccard check */
  bits: number[];
  /** one-bit MinHash of the response, when `annotate.sketch.responses` is on */
  response?: number[];
}

/** Result of the global group step for one row. */
export interface RowGroupInfo {
  /**
   * problem group id: the exact-problem key (sha-256 hex of the normalised problem) of the
   * cluster's representative problem; exact-key groups merged with near-duplicate clusters
   */
  problemGroup: string;
  /** id of the cluster's representative row (a kept row of the representative problem) */
  representative: string;
  /** ordinal of the representative row (equal to the row's own ordinal for the representative itself) */
  representativeOrdinal: number;
  /** true when this row's problem was merged into the cluster by near-duplicate matching (its exact key differs from the representative's) */
  nearDuplicateProblem: boolean;
  /** for rows the group step drops: id of the kept row this one duplicates */
  duplicateOf?: string;
  /** the id the row had in its input, when an earlier row had the same id (its `id` is a new one; src/group/duplicate-ids.ts) */
  originalId?: string;
  /** rollouts in the merged problem group (before caps) */
  groupRollouts: number;
  /** distinct exact problems merged into the group */
  groupProblems: number;
  /** correct rollouts in the merged group (verdict "correct") */
  groupCorrect: number;
  /**
   * correct / graded rollouts of the merged group, where graded = verdict correct, incorrect or
   * no_answer, cut-off traces excluded (never graded); null when no rollout of the group was graded
   */
  passRate: number | null;
}

/** Drop decided by the group step. */
export interface GroupDrop {
  reason: "duplicate:rollout_cap" | "duplicate:near_response";
  detail: string;
  duplicateOf: string;
}

/** Which problem of a near-duplicate cluster represents it. */
export type RepresentativePolicy = "first" | "longest" | "most_rollouts" | "source_priority";

/** `dedupe` in the mix file (schemas/parts/dedupe.schema.json) */
export interface DedupeConfig {
  problems?: {
    /** near-duplicate problem clustering on (default true); exact-key groups are always formed */
    enabled?: boolean;
    /** Jaccard similarity of normalised word 5-gram sets at which two problems are the same (default 0.8) */
    threshold?: number;
    /**
     * how LSH candidates are confirmed (default "exact"): exact shingle-set Jaccard ≥ threshold (needs
     * problem text; rows without it fall back to the estimate), the one-bit MinHash estimate ≥
     * threshold − 2 standard errors (a guard against clear false positives that keeps the S-curve's
     * recall), or none
     */
    check?: "exact" | "estimate" | "none";
    /**
     * with the exact check: "match" (default) keeps statements apart whose numbers differ (one's
     * numbers, in order, must be a subsequence of the other's: template siblings such as radius 10 vs
     * 5 are different problems); "ignore" compares the text only
     */
    numbers?: "match" | "ignore";
  };
  /** which problem represents a cluster (default "first": lowest ordinal) */
  representative?: RepresentativePolicy;
  /** keep at most this many rollouts per merged problem group (default: no cap) */
  maxRolloutsPerProblem?: number;
  /** near-copies among the rollouts of one problem group */
  responses?: {
    enabled?: boolean;
    /** estimated Jaccard of response 5-gram sets at or above which two rollouts are near-copies (default 0.9) */
    threshold?: number;
  };
  /** memory for band buckets and check data before spilling to sorted files on disk (default 512) */
  memoryBudgetMB?: number;
  /** a rollout whose id an earlier row has: renamed (default) or the run refused */
  duplicateIds?: "rename" | "fail";
}

/** `annotate.sketch` in the mix file (schemas/parts/sketch.schema.json) */
export interface SketchConfig {
  /** words per shingle (default 5) */
  ngram?: number;
  /** MinHash permutations, multiple of 32 (default 128) */
  permutations?: number;
  /**
   * similarity the LSH banding is tuned for; default: dedupe.problems.threshold − 0.3 (at least 0.5)
   * with the exact check (more candidates, confirmed exactly: higher recall near the threshold and
   * for the 2-gram signal), else the threshold
   */
  lshThreshold?: number;
  /** LSH bands and rows per band; default: optimal for lshThreshold (25 × 5 at 0.5, 14 × 9 at 0.7, 9 × 13 at 0.8, with 128 permutations) */
  bands?: number;
  rows?: number;
  /** seed of the permutation coefficients (default 1); sketches are only comparable with equal seeds */
  seed?: number;
  /** extra prompt phrases to strip from the start or end of problems */
  stripPhrases?: string[];
  /** strip the built-in stock phrases (default true) */
  stockPhrases?: boolean;
  /** also sketch responses, for dedupe.responses (default: when dedupe.responses.enabled) */
  responses?: boolean;
  /** one-bit MinHash permutations for responses, multiple of 32 (default 256 = 32 bytes/row) */
  responsePermutations?: number;
}

/** What the runner hands the grouper for one annotated row (compact: no texts except optional problemText). */
export interface GroupInput {
  ordinal: number;
  id: string;
  source: string;
  /** record.keys.problem */
  problemKey: string;
  /** record.sketch (typed arrays accepted too) */
  sketch?: { bands: ArrayLike<number>; bits: ArrayLike<number>; response?: ArrayLike<number> } | null;
  /** the problem text; needed only for dedupe.problems.check = "exact" (kept once per exact problem) */
  problemText?: string;
  /**
   * the problem's exact-check record (check-data.ts), when the sketching already built it (`curate
   * dedupe`'s workers): used instead of problemText; built with the grouper's sketch settings, and
   * kept as it is (the caller never changes it afterwards)
   */
  checkRecord?: Int32Array;
  /** problem length in characters (for representative = "longest"; default problemText length) */
  problemChars?: number;
  responseChars: number;
  responseTokens?: number | null;
  /** gradedVerdict(record.verify): the verdict, null when not verified or cut off (never graded) */
  verdict?: string | null;
  /**
   * false when the runner already knows a per-row filter drops this row (e.g. truncated): such rows
   * never take a rollout-cap slot and never become representative. Default true.
   */
  eligible?: boolean;
}

/** One cluster in reports. */
export interface ClusterSummary {
  problemGroup: string;
  representative: { id: string; ordinal: number; source: string };
  rollouts: number;
  kept: number;
  /** distinct exact problems, representative's first, at most `membersLimit` */
  problems: { problemKey: string; firstId: string; firstOrdinal: number; source: string; rollouts: number; similarity: number | null }[];
}

export interface GroupStats {
  rows: number;
  /** distinct exact problem keys */
  exactProblems: number;
  /** merged problem groups (exact groups joined by near-duplicate clusters) */
  problemGroups: number;
  /** problem groups made of more than one exact problem */
  nearDuplicateClusters: number;
  /** exact problems merged into another one's group */
  nearDuplicateProblems: number;
  candidatePairs: number;
  checkedPairs: number;
  rejectedByCheck: number;
  drops: { "duplicate:rollout_cap": number; "duplicate:near_response": number };
  /** band bucket run files written (0 = everything fit in memory) */
  spillRuns: number;
  /** bytes of exact-check shingle sets spilled to disk */
  spilledCheckBytes: number;
  bands: number;
}
