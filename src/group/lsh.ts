/**
 * LSH banding: with b bands of r rows, two sets of Jaccard s share at least one band (become
 * candidates) with probability P(s) = 1 - (1 - s^r)^b — the S-curve. Parameters are chosen like
 * datasketch's `_optimal_param`: minimise the (equally weighted) area of false positives below the
 * threshold plus false negatives above it.
 */

export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

function integrate(f: (x: number) => number, a: number, b: number, steps = 400): number {
  // composite Simpson (steps even)
  const h = (b - a) / steps;
  let sum = f(a) + f(b);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

export interface BandChoice {
  bands: number;
  rows: number;
  /** area of P(s) over [0, threshold] */
  falsePositiveArea: number;
  /** area of 1 - P(s) over [threshold, 1] */
  falseNegativeArea: number;
}

/** Bands × rows (≤ permutations) minimising fpWeight·FP area + fnWeight·FN area at `threshold`. */
export function optimalBands(threshold: number, permutations: number, fpWeight = 0.5, fnWeight = 0.5): BandChoice {
  if (!(threshold > 0 && threshold < 1)) throw new Error(`LSH threshold must be in (0, 1), got ${threshold}`);
  let best: BandChoice | null = null;
  let bestError = Infinity;
  for (let b = 1; b <= permutations; b++) {
    const maxR = Math.floor(permutations / b);
    for (let r = 1; r <= maxR; r++) {
      const fp = integrate((s) => candidateProbability(s, b, r), 0, threshold);
      const fn = integrate((s) => 1 - candidateProbability(s, b, r), threshold, 1);
      const err = fpWeight * fp + fnWeight * fn;
      if (err < bestError - 1e-15) {
        bestError = err;
        best = { bands: b, rows: r, falsePositiveArea: fp, falseNegativeArea: fn };
      }
    }
  }
  return best!;
}

/** Rows of the S-curve table for documentation: P(candidate) at each Jaccard level. */
export function sCurveTable(bands: number, rows: number, levels: readonly number[]): { jaccard: number; probability: number }[] {
  return levels.map((s) => ({ jaccard: s, probability: candidateProbability(s, bands, rows) }));
}
