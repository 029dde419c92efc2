/** Resolves the `annotate.sketch` and `dedupe` sections of a mix file to concrete parameters. */
import type { DedupeConfig, SketchConfig } from "./types.js";
import { optimalBands } from "./lsh.js";
import type { SketchParams } from "./minhash.js";

export const DEFAULT_THRESHOLD = 0.8;
export const DEFAULT_RESPONSE_THRESHOLD = 0.9;

export interface ResolvedSketch {
  problem: SketchParams;
  stripPhrases: string[];
  stockPhrases: boolean;
  /** one-bit response sketch permutations, 0 when responses are not sketched */
  responsePermutations: number;
}

/**
 * How far below the threshold the banding aims under the exact check: candidates are confirmed
 * exactly, so the banding can aim lower and catch far more true pairs while the check keeps
 * precision; without the check the banding aims at the threshold itself (datasketch's choice).
 * The check also merges on 2-gram Jaccard (check-data.ts): a 60-word statement with two words
 * changed has 5-gram Jaccard ≈ 0.7, which banding tuned for 0.7 (14 × 9) makes a candidate with
 * probability 0.44 only; tuned for 0.5 (25 × 5) with 0.99. Planted copies of 1,000 problems
 * (bench/dedupe-planted.mjs), merged with banding tuned for 0.7 / 0.6 / 0.5: one word 94 / 98 / 99 %,
 * two words 74 / 87 / 93 %. Cost: 25 instead of 14 band hashes per row (+44 bytes in record.sketch).
 */
export const EXACT_CHECK_LSH_MARGIN = 0.3;

export function defaultLshThreshold(dedupe: DedupeConfig | undefined): number {
  const threshold = dedupe?.problems?.threshold ?? DEFAULT_THRESHOLD;
  const check = dedupe?.problems?.check ?? "exact";
  return check === "exact" ? Math.max(0.5, Math.round((threshold - EXACT_CHECK_LSH_MARGIN) * 100) / 100) : threshold;
}

/**
 * optimalBands(threshold, 128) for the thresholds the defaults use (the exact check's 0.5, the
 * common 0.6-0.9), computed ahead: each call costs 70-90 ms, a sixth of `curate dedupe`'s start-up
 * (test/group/minhash.test.ts checks these against optimalBands).
 */
export const KNOWN_BANDS: ReadonlyMap<string, { bands: number; rows: number }> = new Map([
  ["0.5:128", { bands: 25, rows: 5 }],
  ["0.6:128", { bands: 18, rows: 7 }],
  ["0.7:128", { bands: 14, rows: 9 }],
  ["0.8:128", { bands: 9, rows: 13 }],
  ["0.85:128", { bands: 8, rows: 16 }],
  ["0.9:128", { bands: 5, rows: 25 }],
]);

const bandCache = new Map<string, { bands: number; rows: number }>(KNOWN_BANDS);

export function resolveSketch(sketch: SketchConfig | undefined, dedupe: DedupeConfig | undefined): ResolvedSketch {
  const s = sketch ?? {};
  const permutations = s.permutations ?? 128;
  const threshold = s.lshThreshold ?? defaultLshThreshold(dedupe);
  let bands = s.bands;
  let rows = s.rows;
  if (bands === undefined || rows === undefined) {
    const key = `${threshold}:${permutations}`;
    let best = bandCache.get(key);
    if (!best) {
      best = optimalBands(threshold, permutations);
      bandCache.set(key, best);
    }
    if (bands === undefined && rows === undefined) {
      bands = best.bands;
      rows = best.rows;
    } else if (bands === undefined) {
      bands = Math.max(1, Math.floor(permutations / rows!));
    } else {
      rows = Math.max(1, Math.floor(permutations / bands));
    }
  }
  if (bands! * rows! > permutations) {
    throw new Error(`annotate.sketch: bands × rows must be ≤ permutations, got ${bands} × ${rows} > ${permutations}`);
  }
  const responses = s.responses ?? dedupe?.responses?.enabled ?? false;
  return {
    problem: { permutations, ngram: s.ngram ?? 5, seed: s.seed ?? 1, bands: bands!, rows: rows! },
    stripPhrases: s.stripPhrases ?? [],
    stockPhrases: s.stockPhrases ?? true,
    responsePermutations: responses ? (s.responsePermutations ?? 256) : 0,
  };
}
