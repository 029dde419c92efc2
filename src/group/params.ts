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

const bandCache = new Map<string, { bands: number; rows: number }>();

export function resolveSketch(sketch: SketchConfig | undefined, dedupe: DedupeConfig | undefined): ResolvedSketch {
  const s = sketch ?? {};
  const permutations = s.permutations ?? 128;
  const threshold = dedupe?.problems?.threshold ?? DEFAULT_THRESHOLD;
  let bands = s.bands;
  let rows = s.rows;
  if (bands === undefined || rows === undefined) {
    const key = `${threshold}:${permutations}`;
    let best = bandCache.get(key);
    if (!best) {
      best = optimalBands(threshold, permutations);
      bandCache.set(key, best);
    }
    bands ??= best.bands;
    rows ??= Math.floor(permutations / bands);
  }
  if (bands * rows > permutations) {
    throw new Error(`annotate.sketch: bands × rows must be ≤ permutations, got ${bands} × ${rows} > ${permutations}`);
  }
  const responses = s.responses ?? dedupe?.responses?.enabled ?? false;
  return {
    problem: { permutations, ngram: s.ngram ?? 5, seed: s.seed ?? 1, bands, rows },
    stripPhrases: s.stripPhrases ?? [],
    stockPhrases: s.stockPhrases ?? true,
    responsePermutations: responses ? (s.responsePermutations ?? 256) : 0,
  };
}
