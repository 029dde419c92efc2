/**
 * Byte-pair encoding of one o200k pre-token (a "piece"), as tiktoken does it: a piece that is a token
 * of the vocabulary is that one token; otherwise its UTF-8 bytes are merged pairwise, lowest merge
 * rank first, the leftmost pair among equal ranks. Pieces up to LONG_PIECE units go through
 * tiktoken's loop (ShortMerge), which rescans every pair after each merge: quadratic, so a 200 KB run
 * of one letter would take seconds. Longer pieces are merged with a binary heap ordered by (rank,
 * start): the same merges in the same order, so the same tokens, in O(n log n).
 *
 * The piece is encoded on its own, never re-split (count.ts cut it where tiktoken's pre-tokeniser
 * does). Tokens are looked up by their bytes in vocab.ts's table.
 */
import { Utf8Bytes, grown } from "../text/code-units.js";
import type { Vocab } from "./vocab.js";

/** What count.ts needs of a vocabulary: ids of one piece, and a rank lookup for the long-piece merge. */
export interface PieceBpe {
  /** token ids of one pre-token (the returned array may be shared: do not change it) */
  ids(piece: string): readonly number[];
  /** tokens of one pre-token */
  count(piece: string): number;
}

/** Pieces longer than this (UTF-16 units) are merged with the heap (measured: the quadratic loop is faster below). */
export const LONG_PIECE = 256;

/** The piece encoder of a vocabulary (vocab.ts: o200k_base's tokens looked up by their bytes). */
export function vocabPieceBpe(vocab: Vocab): PieceBpe {
  // the piece's UTF-8 bytes (tiktoken receives UTF-8: a lone surrogate arrives as U+FFFD)
  const bytes = new Utf8Bytes();
  const rankOf = (b: Uint8Array): number | undefined => {
    const r = vocab.rank(b, 0, b.length);
    return r < 0 ? undefined : r;
  };
  const merge = new ShortMerge(vocab);
  const pieceIds = (piece: string, wantIds: boolean): number[] | number => {
    const n = bytes.of(piece);
    const buf = bytes.buf;
    const whole = vocab.rank(buf, 0, n);
    if (whole >= 0) return wantIds ? [whole] : 1;
    if (piece.length > LONG_PIECE) {
      const out = heapMerge(buf.slice(0, n), rankOf, wantIds);
      bytes.shrink(); // a huge piece must not pin its buffer
      return out;
    }
    return merge.run(buf, n, wantIds);
  };
  return {
    ids: (piece) => pieceIds(piece, true) as number[],
    count: (piece) => pieceIds(piece, false) as number,
  };
}

/**
 * tiktoken's merge loop for a short piece: the pair of lowest rank (the leftmost among equal ranks)
 * merges first, and only its neighbours' ranks change. Quadratic in the piece's length, which is at
 * most LONG_PIECE units here; the arrays are reused between pieces.
 */
class ShortMerge {
  private start = new Int32Array(LONG_PIECE * 3 + 2);
  /** rank of the pair of parts (i, i + 1), -1 when it is no token */
  private pair = new Int32Array(LONG_PIECE * 3 + 2);

  constructor(private readonly vocab: Vocab) {}

  run(b: Uint8Array, n: number, wantIds: boolean): number[] | number {
    if (this.start.length < n + 2) {
      this.start = new Int32Array(n + 2);
      this.pair = new Int32Array(n + 2);
    }
    const start = this.start;
    const pair = this.pair;
    const vocab = this.vocab;
    let m = n; // parts; part i is b[start[i], start[i + 1])
    for (let i = 0; i <= n; i++) start[i] = i;
    for (let i = 0; i + 1 < m; i++) pair[i] = vocab.rank(b, i, i + 2);
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let i = 0; i + 1 < m; i++) {
        const r = pair[i]!;
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      // parts best and best + 1 become one: drop start[best + 1]
      for (let i = best + 1; i < m; i++) start[i] = start[i + 1]!;
      for (let i = best + 1; i + 1 < m; i++) pair[i] = pair[i + 1]!;
      m--;
      pair[best] = best + 1 < m ? vocab.rank(b, start[best]!, start[best + 2]!) : -1;
      if (best > 0) pair[best - 1] = vocab.rank(b, start[best - 1]!, start[best + 1]!);
    }
    if (!wantIds) return m;
    const out = new Array<number>(m);
    for (let i = 0; i < m; i++) {
      const r = vocab.rank(b, start[i]!, start[i + 1]!);
      if (r < 0) throw new Error(`o200k BPE: no token for bytes ${Array.from(b.subarray(start[i]!, start[i + 1]!)).join(",")}`);
      out[i] = r;
    }
    return out;
  }
}

/**
 * BPE merge of `bytes` with a binary heap of candidate pairs keyed by (rank, start byte). A pair is
 * stale when its left part was merged away or no longer ends where the pair's right part ended
 * (boundaries only ever disappear, so a pair whose span is still two parts is the same pair). Returns
 * the token ids when `wantIds`, else their number.
 */
export function heapMerge(bytes: Uint8Array, rank: (b: Uint8Array) => number | undefined, wantIds: boolean): number[] | number {
  const n = bytes.length;
  if (n === 0) return wantIds ? [] : 0;
  // parts are linked by their start byte; next[i] is the start of the part after the part at i
  const next = new Int32Array(n + 1);
  const prev = new Int32Array(n + 1);
  const alive = new Uint8Array(n + 1);
  for (let i = 0; i <= n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    alive[i] = 1;
  }
  const heap = new PairHeap(n);
  const push = (i: number) => {
    const m = next[i]!;
    if (m >= n) return;
    const e = next[m]!;
    const r = rank(bytes.subarray(i, e));
    if (r !== undefined) heap.push(r, i, e);
  };
  for (let i = 0; i + 1 < n; i++) push(i);
  while (heap.size > 0) {
    const i = heap.topStart();
    const e = heap.topEnd();
    heap.pop();
    if (!alive[i]) continue;
    const m = next[i]!;
    if (m >= n || next[m] !== e) continue; // stale
    // merge the part at m into the part at i
    alive[m] = 0;
    next[i] = e;
    prev[e] = i;
    push(i);
    if (i > 0) push(prev[i]!);
  }
  if (!wantIds) {
    let parts = 0;
    for (let i = 0; i < n; i = next[i]!) parts++;
    return parts;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i = next[i]!) {
    const r = rank(bytes.subarray(i, next[i]!));
    if (r === undefined) throw new Error(`o200k BPE: no token for bytes ${Array.from(bytes.subarray(i, next[i]!)).join(",")}`);
    out.push(r);
  }
  return out;
}

/** A binary min-heap of (rank, start, end) triples ordered by rank, then start (the leftmost pair first). */
class PairHeap {
  size = 0;
  private rank: Int32Array;
  private start: Int32Array;
  private end: Int32Array;

  constructor(capacity: number) {
    this.rank = new Int32Array(Math.max(16, capacity));
    this.start = new Int32Array(this.rank.length);
    this.end = new Int32Array(this.rank.length);
  }

  private less(a: number, b: number): boolean {
    return this.rank[a]! < this.rank[b]! || (this.rank[a] === this.rank[b] && this.start[a]! < this.start[b]!);
  }

  private swap(a: number, b: number): void {
    const r = this.rank[a]!;
    const s = this.start[a]!;
    const e = this.end[a]!;
    this.rank[a] = this.rank[b]!;
    this.start[a] = this.start[b]!;
    this.end[a] = this.end[b]!;
    this.rank[b] = r;
    this.start[b] = s;
    this.end[b] = e;
  }

  push(rank: number, start: number, end: number): void {
    if (this.size === this.rank.length) {
      this.rank = grown(this.rank);
      this.start = grown(this.start);
      this.end = grown(this.end);
    }
    let k = this.size++;
    this.rank[k] = rank;
    this.start[k] = start;
    this.end[k] = end;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(k, p)) break;
      this.swap(k, p);
      k = p;
    }
  }

  topStart(): number {
    return this.start[0]!;
  }

  topEnd(): number {
    return this.end[0]!;
  }

  pop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.rank[0] = this.rank[last]!;
    this.start[0] = this.start[last]!;
    this.end[0] = this.end[last]!;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= last) break;
      const c = l + 1 < last && this.less(l + 1, l) ? l + 1 : l;
      if (!this.less(c, k)) break;
      this.swap(c, k);
      k = c;
    }
  }
}
