/**
 * Fixed bins for the report's distributions, the same for every series so series compare bin by bin
 * and a collector keeps a few dozen counters instead of the values:
 * - `log`: one bin for 0 (and anything below 1), then 4 bins per decade from 1 up to 10^9 — token and
 *   character counts of long-CoT traces span 10 to 100,000, which linear bins squash into two bars;
 * - `share`: 50 equal bins over [0, 1] (1 itself in the last), for signals that are fractions.
 */

export type BinScale = "log" | "share";

export const PER_DECADE = 4;
/** bin 0 (below 1), then PER_DECADE bins for each of 9 decades */
export const LOG_BINS = 1 + PER_DECADE * 9;
export const SHARE_BINS = 50;

/** Lower edge of log bin b (b ≥ 1): 10^((b-1)/PER_DECADE); bin 0 starts at 0. */
export function logLower(b: number): number {
  return b <= 0 ? 0 : 10 ** ((b - 1) / PER_DECADE);
}

/** The log bin of a value; exact at the edges (log10(1000) is 2.9999999999999996 in floating point). */
export function logBin(v: number): number {
  if (!(v >= 1)) return 0;
  let b = 1 + Math.floor(Math.log10(v) * PER_DECADE);
  if (v >= logLower(b + 1)) b++;
  else if (v < logLower(b)) b--;
  return Math.min(LOG_BINS - 1, b);
}

export function shareBin(v: number): number {
  return Math.min(SHARE_BINS - 1, Math.max(0, Math.floor(v * SHARE_BINS)));
}

/** Position of a value on the bin axis (bin b spans [b, b + 1)), for drawing a threshold between bins. */
export function binPosition(scale: BinScale, v: number): number {
  if (scale === "share") return Math.min(SHARE_BINS, Math.max(0, v * SHARE_BINS));
  return v < 1 ? 0.5 : Math.min(LOG_BINS, 1 + Math.log10(v) * PER_DECADE);
}

/** A short number for an axis: 1, 10, 100, 1k, 10k, 1M. */
export function shortNumber(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

/** The values bin b holds, in words. Integer-valued log bins name their first and last integer. */
export function binRange(scale: BinScale, b: number): string {
  if (scale === "share") return `${(b / SHARE_BINS).toFixed(2)}–${((b + 1) / SHARE_BINS).toFixed(2)}`;
  if (b === 0) return "0";
  const lo = Math.ceil(logLower(b));
  const hi = Math.ceil(logLower(b + 1)) - 1;
  if (b === LOG_BINS - 1) return `≥ ${shortNumber(lo)}`;
  return hi <= lo ? shortNumber(lo) : `${shortNumber(lo)}–${shortNumber(hi)}`;
}

/** Counts of all rows and of kept rows over one scale's bins. */
export class BinnedSeries {
  readonly all: number[];
  readonly kept: number[];
  n = 0;
  nKept = 0;
  constructor(readonly scale: BinScale) {
    const size = scale === "log" ? LOG_BINS : SHARE_BINS;
    this.all = new Array<number>(size).fill(0);
    this.kept = new Array<number>(size).fill(0);
  }
  add(v: number, kept: boolean): void {
    if (!Number.isFinite(v)) return;
    const b = this.scale === "log" ? logBin(v) : shareBin(v);
    this.all[b]!++;
    this.n++;
    if (kept) {
      this.kept[b]!++;
      this.nKept++;
    }
  }
}
