/**
 * Byte-pair encoding of one o200k pre-token (a "piece"), as tiktoken does it: a piece that is a token
 * of the vocabulary is that one token; otherwise its UTF-8 bytes are merged pairwise, lowest merge
 * rank first, the leftmost pair among equal ranks. gpt-tokenizer's own merge loop (used for pieces up
 * to LONG_PIECE characters) rescans every pair after each merge: quadratic, tens of seconds on a
 * 200 KB run of one letter. Longer pieces are merged here with a binary heap ordered by (rank, start):
 * the same merges in the same order, so the same tokens, in O(n log n).
 *
 * The piece is encoded on its own, never re-split: gpt-tokenizer's `encode(piece)` would run its own
 * pre-tokeniser again, whose `\s` differs from tiktoken's (count.ts), and would not cut the piece
 * where count.ts cut it.
 */

/** What count.ts needs of a vocabulary: ids of one piece, and a rank lookup for the long-piece merge. */
export interface PieceBpe {
  /** token ids of one pre-token (the returned array may be shared: do not change it) */
  ids(piece: string): readonly number[];
  /** tokens of one pre-token */
  count(piece: string): number;
}

/** Pieces longer than this (UTF-16 units) are merged with the heap (measured: the quadratic loop is faster below). */
export const LONG_PIECE = 256;

/** The parts of gpt-tokenizer's BytePairEncodingCore (4.0.0) used here; checked when loaded. */
interface GptBpeCore {
  getBpeRankFromString(key: string): number | undefined;
  getBpeRankFromBytes(key: Uint8Array): number | undefined;
  bytePairEncode(input: string): number[];
  /** index in bytePairNonUtfSortedEncoder ([bytes, rank] pairs sorted by bytes) of `key`, or -1 */
  binarySearch(key: Uint8Array): number;
  bytePairNonUtfSortedEncoder: [Uint8Array, number][];
}

const BOM = "\ufeff";

/** The piece encoder of a gpt-tokenizer encoding module (`gpt-tokenizer/encoding/o200k_base`'s default export). */
export function pieceBpeOf(api: unknown): PieceBpe {
  const core = (api as { bytePairEncodingCoreProcessor?: GptBpeCore } | null)?.bytePairEncodingCoreProcessor;
  const ok = (f: string) => typeof (core as unknown as Record<string, unknown> | undefined)?.[f] === "function";
  if (!core || !["getBpeRankFromString", "getBpeRankFromBytes", "bytePairEncode", "binarySearch"].every(ok) || !Array.isArray(core.bytePairNonUtfSortedEncoder)) {
    throw new Error("gpt-tokenizer: its encoding object no longer has bytePairEncodingCoreProcessor (getBpeRankFromString, getBpeRankFromBytes, bytePairEncode, binarySearch, bytePairNonUtfSortedEncoder); pin gpt-tokenizer 4.0.0 or adapt src/tokens/bpe.ts");
  }
  // gpt-tokenizer looks bytes up as the string a TextDecoder makes of them, and a TextDecoder drops a
  // leading BOM: EF BB BF + "using" would get the rank of "using", EF BB BF alone none. The 9 o200k
  // tokens that start with a BOM are kept as bytes (its non-UTF table), so such bytes are looked up
  // there; a piece with a BOM is merged here, never by gpt-tokenizer's loop.
  const rank = (b: Uint8Array): number | undefined => {
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      const k = core.binarySearch(b);
      return k >= 0 ? core.bytePairNonUtfSortedEncoder[k]![1] : undefined;
    }
    return core.getBpeRankFromBytes(b);
  };
  const utf8 = new TextEncoder();
  const ids = (piece: string): readonly number[] => {
    // tiktoken receives UTF-8: a lone surrogate arrives as U+FFFD
    const p = (piece as unknown as { isWellFormed(): boolean }).isWellFormed() ? piece : (piece as unknown as { toWellFormed(): string }).toWellFormed();
    if (p.includes(BOM)) return heapMerge(utf8.encode(p), rank, true) as number[];
    const whole = core.getBpeRankFromString(p);
    if (whole !== undefined) return [whole];
    if (p.length > LONG_PIECE) return heapMerge(utf8.encode(p), rank, true) as number[];
    return core.bytePairEncode(p);
  };
  return {
    ids,
    count(piece: string): number {
      if (piece.length > LONG_PIECE) {
        const p = (piece as unknown as { toWellFormed(): string }).toWellFormed();
        if (p.includes(BOM)) return heapMerge(utf8.encode(p), rank, false) as number;
        return core.getBpeRankFromString(p) !== undefined ? 1 : (heapMerge(utf8.encode(p), rank, false) as number);
      }
      return ids(piece).length;
    },
  };
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
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.rank = grow(this.rank);
      this.start = grow(this.start);
      this.end = grow(this.end);
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
