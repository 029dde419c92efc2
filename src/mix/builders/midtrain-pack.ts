/**
 * Packing midtrain documents into sequences of `packTo` tokens. The sequences are planned from the
 * documents' token counts alone (which entries, where each sequence starts and how full it is), so
 * any range of sequences can later be written alone from the documents' stored ids.
 *
 *   split: the entries in packing order are concatenated and cut every `packTo` tokens; a document
 *          at a boundary goes on in the next sequence
 *   never: each document stays whole, placed first-fit over a window of WINDOW open sequences
 */
import type { RowTable } from "../table.js";
import type { Tally } from "../common.js";
import { orderKey, saltOf } from "../sample-keys.js";
import type { StoredDocument } from "./midtrain-docs.js";

/** open sequences first-fit looks at (split: "never") */
const WINDOW = 8;

/** The entries to pack: entry e is document (table row) doc[e] in its epoch[e]-th repetition. */
export interface Entries {
  doc: number[];
  epoch: number[];
}

/** Every entry sorted by a seeded key, so sources and problems mix within sequences. */
export function packingOrder(t: RowTable, output: string, entries: Entries): Int32Array {
  const { doc, epoch } = entries;
  const packSalt = saltOf(`${output}:pack`);
  const keys = new Float64Array(doc.length);
  for (let e = 0; e < doc.length; e++) keys[e] = orderKey(t.h1[doc[e]!]!, t.h2[doc[e]!]!, packSalt, epoch[e]!);
  return Int32Array.from({ length: doc.length }, (_, e) => e).sort((a, b) => keys[a]! - keys[b]! || doc[a]! - doc[b]! || epoch[a]! - epoch[b]!);
}

export interface PackStats {
  sequences: number;
  tokens: number;
  contentTokens: number;
  separatorTokens: number;
  splitRollouts: number;
  fullSequences: number;
}

/** The planned sequences. */
export interface Packing {
  packTo: number;
  never: boolean;
  /** table row of the k-th entry in packing order */
  docAt: Int32Array;
  /** token position where the k-th packed entry starts in the concatenation (k ≤ entries) */
  entryCum: Float64Array;
  /** tokens in sequence s */
  seqFill: Int32Array;
  /** "never": sequence s holds packed entries seqEntries[seqStart[s] .. seqStart[s+1]), in placing order */
  seqEntries: Int32Array | null;
  seqStart: Int32Array | null;
  stats: PackStats;
}

/**
 * Plan the sequences from the documents' token counts (`docTokens`, separator included, `sepLen` of
 * them). Adds every packed entry to `tally`'s breakdowns.
 */
export function packSequences(t: RowTable, entries: Entries, order: Int32Array, docTokens: (i: number) => number, opts: { packTo: number; never: boolean; sepLen: number }, tally: Tally): Packing {
  const { packTo, never, sepLen } = opts;
  const n = order.length;
  const docAt = Int32Array.from(order, (e) => entries.doc[e]!);
  const stats: PackStats = { sequences: 0, tokens: 0, contentTokens: 0, separatorTokens: 0, splitRollouts: 0, fullSequences: 0 };
  const entryCum = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) {
    const i = docAt[k]!;
    const len = docTokens(i);
    const contentLen = len - sepLen;
    const position = entryCum[k]!;
    if (!never && contentLen > 0 && Math.floor(position / packTo) !== Math.floor((position + contentLen - 1) / packTo)) stats.splitRollouts++;
    stats.contentTokens += contentLen;
    stats.separatorTokens += sepLen;
    tally.add(t.problem[i]!, t.source[i]!, len);
    entryCum[k + 1] = position + len;
  }
  const placed = entryCum[n]!;
  let seqFill: Int32Array;
  let seqEntries: Int32Array | null = null;
  let seqStart: Int32Array | null = null;
  if (!never) {
    const count = Math.ceil(placed / packTo);
    seqFill = new Int32Array(count).fill(packTo);
    if (count > 0) seqFill[count - 1] = placed - (count - 1) * packTo;
  } else {
    ({ seqFill, seqEntries, seqStart } = firstFit(n, (k) => docTokens(docAt[k]!), packTo));
  }
  for (let s = 0; s < seqFill.length; s++) {
    stats.sequences++;
    stats.tokens += seqFill[s]!;
    if (seqFill[s] === packTo) stats.fullSequences++;
  }
  return { packTo, never, docAt, entryCum, seqFill, seqEntries, seqStart, stats };
}

/**
 * First fit over a window of WINDOW open sequences, entries in packing order; when none fits and the
 * window is full, the fullest open sequence is written out. Every entry is at most packTo tokens.
 */
function firstFit(n: number, tokensOf: (k: number) => number, packTo: number): { seqFill: Int32Array; seqEntries: Int32Array; seqStart: Int32Array } {
  type Bin = { entries: number[]; fill: number; born: number };
  const bins: Bin[] = [];
  let born = 0;
  const out: Bin[] = [];
  for (let k = 0; k < n; k++) {
    const len = tokensOf(k);
    let bin = bins.find((b) => b.fill + len <= packTo);
    if (!bin) {
      if (bins.length >= WINDOW) {
        let full = 0;
        for (let b = 1; b < bins.length; b++) if (bins[b]!.fill > bins[full]!.fill) full = b;
        out.push(bins[full]!);
        bins.splice(full, 1);
      }
      bin = { entries: [], fill: 0, born: born++ };
      bins.push(bin);
    }
    bin.entries.push(k);
    bin.fill += len;
  }
  bins.sort((a, b) => a.born - b.born);
  out.push(...bins);
  const seqEntries = new Int32Array(n);
  const seqStart = new Int32Array(out.length + 1);
  let w = 0;
  out.forEach((b, s) => {
    for (const k of b.entries) seqEntries[w++] = k;
    seqStart[s + 1] = w;
  });
  return { seqFill: Int32Array.from(out, (b) => b.fill), seqEntries, seqStart };
}

/** One sequence's row: its ids (`seq[0 .. n)`), content tokens and the rollouts in it. */
export type EmitSequence = (seq: Int32Array, n: number, content: number, rollouts: string[]) => void;

/**
 * Sequences [a, b) from the stored documents (`get(i)`: the record of table row i), in order. A
 * document spanning consecutive sequences is read once.
 */
export function writeSequences(p: Packing, a: number, b: number, get: (i: number) => Buffer, read: (buf: Buffer) => StoredDocument, sepLen: number, emit: EmitSequence): void {
  if (a >= b) return;
  let cached = -1;
  let doc: StoredDocument = { id: "", ids: new Int32Array(0) };
  const docAt = (k: number) => {
    const i = p.docAt[k]!;
    if (i !== cached) {
      doc = read(get(i));
      cached = i;
    }
    return doc;
  };
  const seq = new Int32Array(p.packTo);
  if (p.never) {
    for (let s = a; s < b; s++) {
      let fill = 0;
      let content = 0;
      const names: string[] = [];
      for (let j = p.seqStart![s]!; j < p.seqStart![s + 1]!; j++) {
        const { id, ids } = docAt(p.seqEntries![j]!);
        seq.set(ids, fill);
        fill += ids.length;
        content += ids.length - sepLen;
        names.push(id);
      }
      emit(seq, fill, content, names);
    }
    return;
  }
  const { entryCum, packTo } = p;
  const n = p.docAt.length;
  // the first entry overlapping sequence a: the last k with entryCum[k] ≤ a·packTo
  const from = a * packTo;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (entryCum[mid]! <= from) lo = mid;
    else hi = mid - 1;
  }
  let k = lo;
  for (let s = a; s < b; s++) {
    const start = s * packTo;
    const end = start + p.seqFill[s]!;
    let fill = 0;
    let content = 0;
    const names: string[] = [];
    while (k < n && entryCum[k]! < end) {
      const { id, ids } = docAt(k);
      const off = Math.max(0, start - entryCum[k]!);
      const len = Math.min(ids.length - off, end - (entryCum[k]! + off));
      const contentLen = ids.length - sepLen;
      seq.set(ids.subarray(off, off + len), fill);
      content += Math.max(0, Math.min(off + len, contentLen) - off);
      if (names[names.length - 1] !== id) names.push(id);
      fill += len;
      if (entryCum[k + 1]! <= end) k++;
      else break; // the entry goes on in the next sequence
    }
    emit(seq, fill, content, names);
  }
}
