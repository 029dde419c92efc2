/**
 * The seed scan, the first step of the n-gram and alignment rules: the row's seed n-grams (rolling
 * window keys over its content stream, ngram.ts) are looked up in the seed table, and every problem
 * they hit gets its hit count and its seed-hit clusters — runs of hits no further apart than the
 * problem is long. The densest cluster of a problem says where in the row to align it.
 */
import type { TokenStream } from "./token-stream.js";
import type { IndexArrays } from "./index-build.js";
import { findRecord, type PostingTable } from "./posting-table.js";
import { ROLL_BASE, rollKey, rollPower } from "./ngram.js";

export class SeedClusters {
  /** the problems hit by the last scan (then, in the index, its candidates) */
  readonly touched: Uint32Array;
  /** seed hits per problem in the row (0 for problems not hit); the index reuses it as candidate mark */
  readonly seedHits: Uint32Array;
  /** current cluster per problem: first and last hit (row content positions) and its hits */
  private readonly cStart: Uint32Array;
  private readonly cLast: Uint32Array;
  private readonly cCount: Uint32Array;
  /** best cluster per problem: its hits and its span [hitMin, hitMax] (row content positions) */
  readonly bCount: Uint32Array;
  readonly hitMin: Uint32Array;
  readonly hitMax: Uint32Array;

  constructor(
    private readonly a: IndexArrays,
    private readonly seeds: PostingTable,
    private readonly sn: number,
  ) {
    const items = a.itemTokStart.length - 1;
    this.touched = new Uint32Array(items);
    this.seedHits = new Uint32Array(items);
    this.cStart = new Uint32Array(items);
    this.cLast = new Uint32Array(items);
    this.cCount = new Uint32Array(items);
    this.bCount = new Uint32Array(items);
    this.hitMin = new Uint32Array(items);
    this.hitMax = new Uint32Array(items);
  }

  /** Scan the row's seeds; returns how many problems were hit (listed in `touched`). */
  scan(ts: TokenStream, stamp: number): number {
    const t = this.seeds;
    const sn = this.sn;
    const content = ts.content;
    const cc = ts.contentCount;
    const rec = t.rec!;
    const filter = t.filter!;
    const shift = t.filterShift!;
    const outPow = rollPower(sn);
    const base = ROLL_BASE | 0;
    let touched = 0;
    let h = 0;
    for (let q = 0; q < cc; q++) {
      h = (Math.imul(h, base) + content[q]!) | 0;
      if (q >= sn) h = (h - Math.imul(content[q - sn]!, outPow)) | 0;
      if (q < sn - 1) continue;
      const key = rollKey(h);
      const b = key >>> shift;
      if ((filter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const r = findRecord(t, key);
      if (r < 0 || rec[r + 3] === stamp) continue; // absent, or a repeat in this row (counts once)
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) touched = this.hit(t.postItem[p]!, q - sn + 1, touched);
    }
    return touched;
  }

  /** a seed of problem `it` at row content position `i`: hit counters and clusters; returns `touched` */
  private hit(it: number, i: number, touched: number): number {
    if (this.seedHits[it] === 0) {
      this.touched[touched++] = it;
      this.cStart[it] = i;
      this.cLast[it] = i;
      this.cCount[it] = 0;
      this.bCount[it] = 0;
    } else if (i - this.cLast[it]! > this.a.itemTokStart[it + 1]! - this.a.itemTokStart[it]!) {
      // a gap longer than the problem: close the current cluster of hits, keep the best
      this.closeCluster(it);
      this.cStart[it] = i;
      this.cCount[it] = 0;
    }
    this.seedHits[it]!++;
    this.cCount[it]!++;
    this.cLast[it] = i;
    return touched;
  }

  /** keep the current cluster of `it` as its best when it has more hits (→ bCount, hitMin, hitMax) */
  closeCluster(it: number): void {
    if (this.cCount[it]! > this.bCount[it]!) {
      this.bCount[it] = this.cCount[it]!;
      this.hitMin[it] = this.cStart[it]!;
      this.hitMax[it] = this.cLast[it]! + this.sn - 1;
    }
  }
}
