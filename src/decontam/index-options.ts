/**
 * Options of the decontamination index (the matching rules are described in benchmark-index.ts):
 * n-gram and seed sizes, the rules' thresholds, alignment weights and verification limits. They are
 * fixed when the index is built and saved with it.
 */

export interface IndexOptions {
  /** distinctive n-gram size (containment score) */
  ngram: number;
  /** containment of distinctive n-grams needed for the `ngram` rule */
  threshold: number;
  /** seed n-gram size for candidate selection of the alignment rule */
  seedNgram: number;
  /** minimum seed hits before aligning */
  minSeeds: number;
  /** minimum fraction of the problem's seeds the row must share before aligning */
  seedFraction: number;
  /** seed n-grams shared by more problems than this are dropped */
  maxSeedProblems: number;
  /** alignment coverage needed for the `aligned` rule */
  coverage: number;
  /** masked alignment coverage for the numbers-changed rule */
  maskedCoverage: number;
  /** unmasked coverage every n-gram/alignment match must also reach */
  coverageFloor: number;
  /** alignment weight of a word, a number and a symbol token */
  weights: [number, number, number];
  /** alignment cost of a row token skipped inside the aligned stretch (in weight units) */
  gapPenalty: number;
  charShingle: number;
  charThreshold: number;
  /** problems with fewer distinctive n-grams than this also get character shingles */
  minNgrams: number;
  /** the digit-insensitive exact rule needs at least this many tokens */
  minDigitTokens: number;
  digitInsensitive: boolean;
  /**
   * verification of `ngram`, `aligned` and alignment `digits` matches: reject when this many or more
   * distinctive content words/symbols of the problem in a row are missing from the alignment
   */
  missingRun: number;
  /** verification: formula edits allowed (see `formulaEditRate`) */
  formulaEdits: number;
  /**
   * verification: a match is rejected when the formula edits (numbers masked) exceed
   * max(`formulaEdits`, `formulaEditRate` × the problem's formula tokens)
   */
  formulaEditRate: number;
}

export const DEFAULT_INDEX_OPTIONS: IndexOptions = {
  ngram: 8,
  threshold: 0.7,
  seedNgram: 4,
  minSeeds: 2,
  seedFraction: 0.2,
  maxSeedProblems: 8,
  coverage: 0.85,
  maskedCoverage: 0.97,
  coverageFloor: 0.75,
  weights: [1, 2, 2],
  gapPenalty: 0.25,
  charShingle: 6,
  charThreshold: 0.9,
  minNgrams: 4,
  minDigitTokens: 10,
  digitInsensitive: true,
  missingRun: 3,
  formulaEdits: 1,
  formulaEditRate: 0.05,
};

/** Membership test for common n-grams. */
export interface CommonNgramSet {
  /** is the n-gram ids[start .. start+n) (content stream, numbers masked) common? */
  hasWindow(ids: Int32Array, start: number, n: number): boolean;
}

/** alignment weights are stored as integers: weight × WEIGHT_SCALE */
export const WEIGHT_SCALE = 4;

/** The defaults with `options` over them, checked. */
export function resolveIndexOptions(options: Partial<IndexOptions>): IndexOptions {
  const opts: IndexOptions = { ...DEFAULT_INDEX_OPTIONS, ...options };
  for (const key of ["ngram", "seedNgram"] as const) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 2 || v > 64) throw new Error(`decontaminate: ${key} must be an integer in 2..64, got ${v}`);
  }
  return opts;
}
