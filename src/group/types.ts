/** Owned by the grouping / near-duplicate module (issue 5). Placeholder shape; extend freely. */

/** Per-record compact sketch of the problem text computed during annotate (e.g. MinHash band hashes). */
export interface ProblemSketch {
  bands: string[];
}

/** Result of the global group step for one row. */
export interface RowGroupInfo {
  /** problem group id (exact-key groups merged with near-duplicate clusters) */
  problemGroup: string;
  /** id of the representative row when this row's problem is a duplicate of another group's */
  duplicateOf?: string;
}

/** `dedupe` in the mix file */
export interface DedupeConfig {
  problems?: { threshold?: number };
  maxRolloutsPerProblem?: number;
}

/** `annotate.sketch` in the mix file (how problem sketches are computed) */
export interface SketchConfig {
  ngram?: number;
}
