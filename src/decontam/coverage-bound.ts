/**
 * A cheap upper bound on a problem's alignment coverage by a row, checked before any n-gram or
 * alignment work (most candidates, and so most rows, stop here): the alignment pairs equal tokens one
 * to one, so it never aligns more than the problem's tokens that also occur in the row, each id
 * counted at most as often as the row has it.
 */
import type { TokenStream } from "./token-stream.js";
import type { IndexArrays } from "./index-build.js";

export class CoverageBound {
  /** per problem, its token positions heaviest first (a permutation within itemTokStart ranges) */
  private readonly order: Uint32Array;
  /** the row's token ids with their counts (open addressing, stamped per row) */
  private setKey = new Int32Array(1024);
  private setStamp = new Uint32Array(1024);
  private setCount = new Uint32Array(1024);
  private mask = 1023;
  /** per slot: how many of the row's occurrences the current problem has used (stamped per problem) */
  private setUsed = new Uint32Array(1024);
  private setUsedMark = new Uint32Array(1024);
  private usedMark = 0;
  private rowStamp = 0;

  constructor(private readonly a: IndexArrays) {
    this.order = new Uint32Array(a.itemTok.length);
    for (let it = 0; it + 1 < a.itemTokStart.length; it++) {
      const s = a.itemTokStart[it]!;
      const e = a.itemTokStart[it + 1]!;
      const idx = Array.from({ length: e - s }, (_, k) => s + k);
      idx.sort((x, y) => a.itemTokWeight[y]! - a.itemTokWeight[x]! || x - y);
      this.order.set(idx, s);
    }
  }

  /** Index the row's tokens (`stamp`: the row's, never 0). */
  setRow(ts: TokenStream, stamp: number): void {
    let cap = this.setKey.length;
    if (cap < ts.count * 2) {
      while (cap < ts.count * 2) cap *= 2;
      this.setKey = new Int32Array(cap);
      this.setStamp = new Uint32Array(cap);
      this.setCount = new Uint32Array(cap);
      this.setUsed = new Uint32Array(cap);
      this.setUsedMark = new Uint32Array(cap);
      this.mask = cap - 1;
    }
    this.rowStamp = stamp;
    const mask = this.mask;
    const setKey = this.setKey;
    const setStamp = this.setStamp;
    const setCount = this.setCount;
    const ids = ts.hash;
    for (let i = 0; i < ts.count; i++) {
      const h = ids[i]!;
      let s = (h ^ (h >>> 16)) & mask;
      while (setStamp[s] === stamp && setKey[s] !== h) s = (s + 1) & mask;
      if (setStamp[s] === stamp) setCount[s]!++;
      else {
        setStamp[s] = stamp;
        setKey[s] = h;
        setCount[s] = 1;
      }
    }
  }

  /**
   * Can problem `it`'s tokens present in the row (setRow) weigh ≥ `need` × its total? Tokens are
   * visited heaviest first, so the count limit keeps the heaviest occurrences, and the loop stops once
   * `need` is out of reach.
   */
  holds(it: number, need: number): boolean {
    const a = this.a;
    const total = a.itemWeight[it]!;
    if (total === 0) return false;
    const mask = this.mask;
    if (++this.usedMark === 0xffffffff) {
      this.setUsedMark.fill(0);
      this.usedMark = 1;
    }
    const order = this.order;
    const usedMark = this.usedMark;
    const stamp = this.rowStamp;
    const setKey = this.setKey;
    const setStamp = this.setStamp;
    const setCount = this.setCount;
    const setUsed = this.setUsed;
    const setUsedMark = this.setUsedMark;
    const itemTok = a.itemTok;
    const itemTokWeight = a.itemTokWeight;
    const target = need * total;
    let present = 0;
    let left = total; // weight not yet visited
    const end = a.itemTokStart[it + 1]!;
    for (let q = a.itemTokStart[it]!; q < end; q++) {
      const t = order[q]!;
      const w = itemTokWeight[t]!;
      if (w === 0) break; // the rest weigh nothing
      const h = itemTok[t]!;
      let s = (h ^ (h >>> 16)) & mask;
      while (setStamp[s] === stamp) {
        if (setKey[s] === h) {
          if (setUsedMark[s] !== usedMark) {
            setUsedMark[s] = usedMark;
            setUsed[s] = 0;
          }
          if (setUsed[s]! < setCount[s]!) {
            setUsed[s]!++;
            present += w;
          }
          break;
        }
        s = (s + 1) & mask;
      }
      left -= w;
      if (present + left < target) return false;
    }
    return present >= target;
  }

  /** a stamp wrap-around: no slot may carry a stamp a later row could have */
  clearStamps(): void {
    this.setStamp.fill(0);
  }
}
