/**
 * The seed scan, the first step of the n-gram and alignment rules: the row's seed n-grams (rolling
 * window keys over its content stream, ngram.ts) are looked up in the seed table, and every problem
 * they hit gets its hit count and its seed-hit clusters — runs of hits no further apart than the
 * problem is long. The densest cluster of a problem says where in the row to align it.
 */
import type { TokenStream } from "./token-stream.js";
import type { IndexArrays } from "./index-build.js";
import type { PostingTable } from "./posting-table.js";
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
  /** seed keys the current row has visited (open addressing, stamped) */
  private seenKey = new Int32Array(64);
  private seenStamp = new Int32Array(64);
  /** window keys that pass the bit filter, and their positions */
  private keys = new Int32Array(256);
  private pos = new Int32Array(256);

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
    const seeds = this.seeds;
    const sn = this.sn;
    const content = ts.content;
    const cc = ts.contentCount;
    const filter = seeds.filter!;
    const shift = seeds.filterShift!;
    const outPow = rollPower(sn);
    const base = ROLL_BASE | 0;
    if (this.keys.length < cc) {
      this.keys = new Int32Array(cc * 2);
      this.pos = new Int32Array(cc * 2);
    }
    // pass 1: the window keys that pass the bit filter, in row order (branch-free: every key is
    // written, the count advances by the filter bit)
    const keys = this.keys;
    const pos = this.pos;
    let m = 0;
    let h = 0;
    for (let q = 0; q < cc; q++) {
      h = (Math.imul(h, base) + content[q]!) | 0;
      if (q >= sn) h = (h - Math.imul(content[q - sn]!, outPow)) | 0;
      if (q < sn - 1) continue;
      const key = rollKey(h);
      const b = key >>> shift;
      keys[m] = key;
      pos[m] = q - sn + 1;
      m += (filter[b >>> 5]! >>> (b & 31)) & 1;
    }
    return this.probe(m, stamp);
  }

  /** pass 2 over the `m` keys: table probes (independent loads, so their cache misses overlap) and postings */
  private probe(m: number, stamp: number): number {
    const seeds = this.seeds;
    const pair = seeds.pair!;
    const pairMask = seeds.pairMask!;
    const keys = this.keys;
    const pos = this.pos;
    if (this.seenKey.length < m * 2) {
      let cap = this.seenKey.length;
      while (cap < m * 2) cap *= 2;
      this.seenKey = new Int32Array(cap);
      this.seenStamp = new Int32Array(cap);
    }
    const seenKey = this.seenKey;
    const seenStamp = this.seenStamp;
    const seenMask = seenKey.length - 1;
    let touched = 0;
    for (let j = 0; j < m; j++) {
      const key = keys[j]!;
      let slot = key & pairMask;
      let packed = 0;
      for (;;) {
        const v = pair[slot * 2 + 1]!;
        if (v === 0) break;
        if (pair[slot * 2] === key) {
          packed = v;
          break;
        }
        slot = (slot + 1) & pairMask;
      }
      if (packed === 0) continue; // absent
      // a repeat of a seed seen in this row counts once
      let u = (key ^ (key >>> 15)) & seenMask;
      let repeat = false;
      while (seenStamp[u] === stamp) {
        if (seenKey[u] === key) {
          repeat = true;
          break;
        }
        u = (u + 1) & seenMask;
      }
      if (repeat) continue;
      seenStamp[u] = stamp;
      seenKey[u] = key;
      const i = pos[j]!;
      if ((packed & 15) === 1 && packed > 0) {
        touched = this.hit(packed >>> 4, i, touched);
        continue;
      }
      let p: number;
      let e: number;
      if (packed > 0) {
        p = packed >>> 4;
        e = p + (packed & 15);
      } else {
        p = seeds.listStart[~packed]!;
        e = seeds.listStart[~packed + 1]!;
      }
      for (; p < e; p++) touched = this.hit(seeds.postItem[p]!, i, touched);
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

  /** a stamp wrap-around: no record may carry a stamp a later row could have */
  clearStamps(): void {
    this.seenStamp.fill(0);
  }
}
