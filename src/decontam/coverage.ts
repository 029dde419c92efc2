/**
 * Alignment coverage: how much of a benchmark problem a row reproduces in order. A local alignment
 * (Smith–Waterman style) of the problem's tokens against the row's tokens in a window around a seed
 * cluster: an aligned equal token earns its weight, a skipped row token costs `gapPenalty`, a skipped
 * problem token earns nothing. The coverage is the best score as a fraction of the problem's total
 * weight, so scattered pieces of a problem in a long text do not add up.
 */
import type { TokenStream } from "./token-stream.js";
import type { IndexArrays } from "./index-build.js";
import { WEIGHT_SCALE } from "./index-options.js";
import { WindowColumns, windowFrom, windowTo } from "./window-columns.js";

export class CoverageAligner {
  /** the one score row, and the window's next-column lists */
  private row = new Int32Array(64);
  private next = new Int32Array(64);
  private readonly columns = new WindowColumns();
  /** gapPenalty in weight units */
  private readonly gap: number;

  constructor(
    private readonly a: IndexArrays,
    gapPenalty: number,
  ) {
    this.gap = Math.round(gapPenalty * WEIGHT_SCALE);
  }

  /**
   * Coverage of problem `it` by the row `ts` around the cluster [first, last), on token ids or (with
   * `masked`) on masked ids. With `need` > 0 it stops as soon as the coverage cannot reach `need` any
   * more and returns a value below `need` (callers only compare it with `need`); with 0 it is exact.
   */
  coverage(ts: TokenStream, it: number, first: number, last: number, masked: boolean, need = 0): number {
    // a negative gap breaks the invariant the sparse walk relies on: walk every column then
    return this.walk(ts, it, first, last, masked, need, this.gap < 0);
  }

  /**
   * One score row, updated in place, problem token by problem token:
   *   row[j] = max(row[j], new row[j−1] − gap, old row[j−1] + weight if the tokens are equal, 0).
   * With gap ≥ 0 every row satisfies row[j] ≥ row[j−1] − gap, so a problem token changes the row only
   * from the columns where the window has the same token onwards, and only while the carried score
   * minus the gap still beats the previous row: the walk visits those stretches (column lists per
   * token id) and leaves the rest, with the scores of the full recurrence, which `allColumns` walks
   * (cells never fall below 0: they start at 0 and only grow).
   */
  walk(ts: TokenStream, it: number, first: number, last: number, masked: boolean, need: number, allColumns: boolean): number {
    const a = this.a;
    const bs = a.itemTokStart[it]!;
    const L = a.itemTokStart[it + 1]! - bs;
    const total = a.itemWeight[it]!;
    if (L === 0 || total === 0) return 0;
    const from = windowFrom(first, L);
    const W = windowTo(from, last, L, ts.count) - from;
    if (this.row.length < W + 1) {
      this.row = new Int32Array(W + 1);
      this.next = new Int32Array(W + 1);
    }
    const row = this.row;
    row.fill(0, 0, W + 1);
    const next = this.next; // next[j]: the next column after j with the same id (0: none)
    this.columns.index(masked ? ts.masked : ts.hash, from, W, next);
    const itemIds = masked ? a.itemTokMasked : a.itemTok;
    const weights = a.itemTokWeight;
    const gap = this.gap;
    const sparse = !allColumns;
    const target = need * total;
    let best = 0;
    let rowMax = 0; // the row only grows, so its maximum does too
    let remaining = total; // weight of the problem tokens after row i
    for (let i = 0; i < L; i++) {
      const wt = weights[bs + i]!;
      let match = this.columns.first(itemIds[bs + i]!);
      let j = sparse ? match : 1;
      if (j > 0) {
        // `carry` is the new value of column j−1, `oldLeft` its value before this token
        let carry = row[j - 1]!;
        let oldLeft = carry;
        for (;;) {
          const old = row[j]!;
          let h = old;
          if (carry - gap > h) h = carry - gap;
          if (j === match) {
            if (oldLeft + wt > h) h = oldLeft + wt;
            match = next[j]!;
          }
          row[j] = h;
          if (h > rowMax) rowMax = h;
          if (h === old && sparse) {
            // unchanged: so are the columns up to the next one holding the token
            if (match === 0) break;
            j = match;
            carry = row[j - 1]!;
            oldLeft = carry;
            continue;
          }
          if (j === W) break;
          oldLeft = old;
          carry = h;
          j++;
        }
      }
      if (rowMax > best) best = rowMax;
      remaining -= wt;
      // any later cell continues a path through this row (≤ rowMax) or starts afresh, and earns at
      // most the remaining weight
      if (best < target && rowMax + remaining < target) return Math.max(best, rowMax + remaining) / total;
    }
    return best / total;
  }
}
