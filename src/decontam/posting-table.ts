/**
 * The index's posting tables: an open-addressing hash table from a 32-bit key (an n-gram, seed,
 * shingle or anchor-bigram key) to a list of postings (problem, position), stored as flat typed arrays
 * (CSR), plus the probe structures rebuilt on load: a one-hash bit filter over the keys, and probe
 * records that put a key and its postings' range in one cache line.
 */

/** Open-addressing hash table from 32-bit key to a CSR list of postings. */
export interface PostingTable {
  mask: number;
  /** slot → key, valid where slotList ≥ 0 */
  slotKey: Uint32Array;
  /** slot → list number, -1 empty */
  slotList: Int32Array;
  /** list → start in postings (length lists+1) */
  listStart: Uint32Array;
  /** posting → item */
  postItem: Uint32Array;
  /** posting → position (token or char) in the item's text */
  postPos: Uint32Array;
  /** one-hash bit filter over the keys (rebuilt on load): most probes miss, and miss here */
  filter?: Uint32Array;
  filterShift?: number;
  /**
   * the probe table rebuilt on load: 4 int32 per slot — key, first posting, end of postings (-1:
   * empty slot), and the stamp of the last row that visited the key — so a hit costs one cache line
   */
  rec?: Int32Array;
  recMask?: number;
}

/** Build the runtime parts of a table: bit filter and probe records. */
export function addProbes(t: PostingTable): PostingTable {
  let keys = 0;
  for (let s = 0; s <= t.mask; s++) if (t.slotList[s]! >= 0) keys++;
  let cap = 16;
  while (cap < keys * 2) cap *= 2;
  const rec = new Int32Array(cap * 4);
  for (let s = 0; s < cap; s++) rec[s * 4 + 2] = -1;
  for (let s = 0; s <= t.mask; s++) {
    const l = t.slotList[s]!;
    if (l < 0) continue;
    const key = t.slotKey[s]!;
    let r = key & (cap - 1);
    while (rec[r * 4 + 2]! >= 0) r = (r + 1) & (cap - 1);
    rec[r * 4] = key | 0;
    rec[r * 4 + 1] = t.listStart[l]!;
    rec[r * 4 + 2] = t.listStart[l + 1]!;
  }
  t.rec = rec;
  t.recMask = cap - 1;
  let bitsLog = 10;
  while (1 << bitsLog < keys * 16 && bitsLog < 26) bitsLog++;
  const filter = new Uint32Array((1 << bitsLog) >>> 5);
  const shift = 32 - bitsLog;
  for (let s = 0; s <= t.mask; s++) {
    if (t.slotList[s]! < 0) continue;
    const b = t.slotKey[s]! >>> shift;
    filter[b >>> 5]! |= 1 << (b & 31);
  }
  t.filter = filter;
  t.filterShift = shift;
  return t;
}

export interface Pair {
  key: number;
  item: number;
  pos: number;
}

export function buildTable(pairs: Pair[], maxPostings = Infinity): PostingTable {
  pairs.sort((a, b) => a.key - b.key || a.item - b.item || a.pos - b.pos);
  if (maxPostings < Infinity) {
    // keys shared by too many problems say nothing about any one of them
    const kept: Pair[] = [];
    for (let i = 0; i < pairs.length; ) {
      let j = i;
      while (j < pairs.length && pairs[j]!.key === pairs[i]!.key) j++;
      if (j - i <= maxPostings) for (let q = i; q < j; q++) kept.push(pairs[q]!);
      i = j;
    }
    pairs = kept;
  }
  let distinct = 0;
  for (let i = 0; i < pairs.length; i++) if (i === 0 || pairs[i]!.key !== pairs[i - 1]!.key) distinct++;
  let cap = 16;
  while (cap < distinct * 2) cap *= 2;
  const slotKey = new Uint32Array(cap);
  const slotList = new Int32Array(cap).fill(-1);
  const listStart = new Uint32Array(distinct + 1);
  const postItem = new Uint32Array(pairs.length);
  const postPos = new Uint32Array(pairs.length);
  let list = -1;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    if (i === 0 || p.key !== pairs[i - 1]!.key) {
      list++;
      listStart[list] = i;
      let s = p.key & (cap - 1);
      while (slotList[s]! >= 0) s = (s + 1) & (cap - 1);
      slotKey[s] = p.key;
      slotList[s] = list;
    }
    postItem[i] = p.item;
    postPos[i] = p.pos;
  }
  listStart[distinct] = pairs.length;
  return { mask: cap - 1, slotKey, slotList, listStart, postItem, postPos };
}

/** offset of `key`'s record in t.rec (key, first posting, end, stamp), or -1 */
export function findRecord(t: PostingTable, key: number): number {
  const rec = t.rec!;
  const mask = t.recMask!;
  const k = key | 0;
  let s = key & mask;
  for (;;) {
    const r = s << 2;
    if (rec[r + 2]! < 0) return -1;
    if (rec[r] === k) return r;
    s = (s + 1) & mask;
  }
}

/** the stored arrays of a table (index file) */
export const TABLE_ARRAYS = ["slotKey", "slotList", "listStart", "postItem", "postPos"] as const;
