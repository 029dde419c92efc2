/** Types of the decontamination module (issue 4). */

/**
 * How a row matched a benchmark problem:
 * - `exact`: same token stream after normalisation (case, whitespace, LaTeX spacing, `$`, `\dfrac`,
 *   "Problem:" labels, "Please reason step by step…" suffixes);
 * - `digits`: same after also masking every number;
 * - `ngram`: containment — the fraction of the benchmark problem's distinctive word n-grams (numbers
 *   masked, n-grams common in ordinary math text excluded) that occur in the row is ≥ the threshold;
 * - `aligned`: an in-order token alignment covers ≥ `coverage` of the problem's distinctive tokens
 *   (light rewordings, which break most n-grams);
 * - `chars`: containment of character shingles, for benchmark problems too short for n-grams.
 */
export type ContaminationMethod = "exact" | "digits" | "ngram" | "aligned" | "chars";

export interface ContaminationMatch {
  /** registry name of the benchmark (e.g. "math500") */
  benchmark: string;
  /** the benchmark's own item id (e.g. "test/precalculus/807.json", "AIME2025-I-1") */
  item: string;
  method: ContaminationMethod;
  /** 1 for exact/digits; containment in [0, 1] for ngram/chars */
  score: number;
  /** which text of the row matched */
  field: "problem" | "response";
  /** matched character span [start, end) in the row's text */
  span: [number, number];
  /** matched character span [start, end) in the benchmark problem */
  benchmarkSpan: [number, number];
  /** the matched text of the row (at most 160 characters, "…" marks a cut) */
  snippet: string;
  /** the matched text of the benchmark problem (same limit) */
  benchmarkSnippet: string;
}

/** A benchmark given as a local file instead of a registry name. */
export interface UserBenchmark {
  name: string;
  /** JSONL, JSONL.gz, JSON (array or object of rows) or Parquet file (relative to the mix file) */
  path: string;
  /** default: from the extension (.parquet, .json, .jsonl.gz; else JSONL) */
  format?: "jsonl" | "jsonl.gz" | "json" | "parquet";
  /** field path of the problem text (default "problem"; as a source's fields: meta.question) */
  problemField?: string;
  /** field holding the item id (default: 0-based row number) */
  idField?: string;
}

/** `annotate.decontaminate` in the mix file (schemas/parts/decontaminate.schema.json) */
export interface DecontaminateConfig {
  /** registry names and/or user files; default math500, aime2024, aime2025, amc2023 */
  benchmarks?: (string | UserBenchmark)[];
  /** word n-gram size (default 8) */
  ngram?: number;
  /** containment of distinctive n-grams needed for the `ngram` rule (default 0.7) */
  threshold?: number;
  /** alignment coverage needed for the `aligned` rule (default 0.85) */
  coverage?: number;
  /** character shingle size for short benchmark problems (default 6) */
  charShingle?: number;
  /** containment of character shingles needed to flag a short problem (default 0.9) */
  charThreshold?: number;
  /** also look for the benchmark problem in the response (default false) */
  checkResponse?: boolean;
  /** only the first this-many characters of the response are checked (default 4000; 0 = all) */
  responseChars?: number;
  /** n-grams common in ordinary math text: built-in list (default) or none */
  commonNgrams?: "builtin" | "none";
  /** check the digit-insensitive exact rule (default true) */
  digitInsensitive?: boolean;
}

/** One benchmark problem as loaded from the Hub, the cache or a local folder. */
export interface BenchmarkItem {
  benchmark: string;
  item: string;
  problem: string;
}
