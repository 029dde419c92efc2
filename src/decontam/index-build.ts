/**
 * What the decontamination index holds (IndexParts) and how it is built from benchmark problems:
 * per problem its token ids, the keys of its whole text, its distinctive n-grams, seed n-grams and —
 * for short problems — character shingles and anchor bigrams, each kind in a posting table.
 * The index file (index-file.ts) stores exactly these parts.
 */
import type { BenchmarkItem } from "./types.js";
import { TokenStream } from "./token-stream.js";
import { isStopword } from "./token-tables.js";
import { tokenize } from "./tokenize.js";
import { contentRange } from "./statement-range.js";
import { mixShingle, rollShingle, sequenceKey, shinglePow, shingleStart, windowKey } from "./ngram.js";
import { buildTable, type Pair, type PostingTable } from "./posting-table.js";
import { WEIGHT_SCALE, type CommonNgramSet, type IndexOptions } from "./index-options.js";

type U32 = Uint32Array;

/** Per-problem arrays; the problems' tokens are concatenated (itemTokStart[it] .. itemTokStart[it + 1]). */
export interface IndexArrays {
  itemBenchmark: Uint16Array;
  /** distinctive n-grams per problem */
  itemNgrams: U32;
  /** distinct seed n-grams per problem */
  itemSeeds: U32;
  /** distinct character shingles per problem (0 when not indexed by shingles) */
  itemShingles: U32;
  /** distinct anchor bigrams per short problem */
  itemAnchors: U32;
  /** tokens of the problems' content ranges, concatenated: ids, masked ids, weights */
  itemTokStart: U32;
  itemTok: Int32Array;
  itemTokMasked: Int32Array;
  itemTokWeight: Uint8Array;
  /** kind and stopword bit of every problem token (verification) */
  itemTokFlags: Uint8Array;
  /** sum of the problem's token weights */
  itemWeight: U32;
}

export interface IndexParts {
  options: IndexOptions;
  benchmarks: string[];
  itemId: string[];
  itemText: string[];
  /** key of the whole token sequence → problems (rule `exact`) */
  exact: Map<number, number[]>;
  /** the same with numbers masked (rule `digits`) */
  digits: Map<number, number[]>;
  arrays: IndexArrays;
  ngrams: PostingTable;
  seeds: PostingTable;
  shingles: PostingTable;
  /** token bigrams of the short problems: the shingle pass runs only when a row has most of one's */
  anchors: PostingTable;
}

/** the posting tables of IndexParts */
export const TABLES = ["ngrams", "seeds", "shingles", "anchors"] as const;

/** itemTokFlags: token kind (TOKEN_WORD/NUMBER/SYMBOL) in the low bits, FLAG_STOP for stopwords */
export const FLAG_KIND = 3;
export const FLAG_STOP = 4;

/** What the build collects, problem by problem. */
class Collected {
  benchmarks: string[] = [];
  benchIndex = new Map<string, number>();
  toks: number[] = [];
  masks: number[] = [];
  weights: number[] = [];
  flags: number[] = [];
  exact = new Map<number, number[]>();
  digits = new Map<number, number[]>();
  ngramPairs: Pair[] = [];
  seedPairs: Pair[] = [];
  shinglePairs: Pair[] = [];
  anchorPairs: Pair[] = [];
  itemBenchmark: Uint16Array;
  itemNgrams: U32;
  itemSeeds: U32;
  itemShingles: U32;
  itemAnchors: U32;
  itemTokStart: U32;
  itemWeight: U32;

  constructor(items: number) {
    this.itemBenchmark = new Uint16Array(items);
    this.itemNgrams = new Uint32Array(items);
    this.itemSeeds = new Uint32Array(items);
    this.itemShingles = new Uint32Array(items);
    this.itemAnchors = new Uint32Array(items);
    this.itemTokStart = new Uint32Array(items + 1);
    this.itemWeight = new Uint32Array(items);
  }

  benchmarkOf(name: string): number {
    let b = this.benchIndex.get(name);
    if (b === undefined) {
      b = this.benchmarks.length;
      this.benchmarks.push(name);
      this.benchIndex.set(name, b);
    }
    return b;
  }
}

function addTo(m: Map<number, number[]>, key: number, item: number): void {
  const l = m.get(key);
  if (l) l.push(item);
  else m.set(key, [item]);
}

/** Build the parts of an index of `problems` (options resolved). */
export function buildIndexParts(problems: BenchmarkItem[], opts: IndexOptions, common: CommonNgramSet | null): IndexParts {
  const c = new Collected(problems.length);
  const ts = new TokenStream();
  problems.forEach((p, idx) => {
    c.itemBenchmark[idx] = c.benchmarkOf(p.benchmark);
    c.itemTokStart[idx] = c.toks.length;
    tokenize(p.problem, ts);
    const [from, to] = contentRange(ts);
    if (to <= from) return;
    addTo(c.exact, sequenceKey(ts.hash, from, to), idx);
    if (opts.digitInsensitive && to - from >= opts.minDigitTokens) addTo(c.digits, sequenceKey(ts.masked, from, to), idx);
    const distinctive = addDistinctiveNgrams(c, ts, idx, opts.ngram, common);
    addSeeds(c, ts, idx, opts.seedNgram, distinctive);
    addAlignmentTokens(c, ts, idx, from, to, distinctive, opts);
    // short (or all-boilerplate) problem: character shingles of its canonical text, and anchors
    if (c.itemNgrams[idx]! < opts.minNgrams) addShortProblem(c, ts, idx, from, to, opts.charShingle);
  });
  c.itemTokStart[problems.length] = c.toks.length;
  return {
    options: opts,
    benchmarks: c.benchmarks,
    itemId: problems.map((p) => p.item),
    itemText: problems.map((p) => p.problem),
    exact: c.exact,
    digits: c.digits,
    arrays: {
      itemBenchmark: c.itemBenchmark,
      itemNgrams: c.itemNgrams,
      itemSeeds: c.itemSeeds,
      itemShingles: c.itemShingles,
      itemAnchors: c.itemAnchors,
      itemTokStart: c.itemTokStart,
      itemTok: Int32Array.from(c.toks),
      itemTokMasked: Int32Array.from(c.masks),
      itemTokWeight: Uint8Array.from(c.weights),
      itemTokFlags: Uint8Array.from(c.flags),
      itemWeight: c.itemWeight,
    },
    ngrams: buildTable(c.ngramPairs),
    seeds: buildTable(c.seedPairs, opts.maxSeedProblems),
    shingles: buildTable(c.shinglePairs),
    anchors: buildTable(c.anchorPairs),
  };
}

/**
 * The problem's distinctive n-grams (content stream, not common); returns which tokens they cover
 * (all, when the problem is too short to judge).
 */
function addDistinctiveNgrams(c: Collected, ts: TokenStream, idx: number, n: number, common: CommonNgramSet | null): Uint8Array {
  const distinctive = new Uint8Array(ts.count);
  const seen = new Set<number>();
  const cc = ts.contentCount;
  for (let i = 0; i + n <= cc; i++) {
    if (common && common.hasWindow(ts.content, i, n)) continue;
    for (let t = ts.contentPos[i]!; t <= ts.contentPos[i + n - 1]!; t++) distinctive[t] = 1;
    const h = windowKey(ts.content, i, n);
    if (seen.has(h)) continue;
    seen.add(h);
    c.ngramPairs.push({ key: h, item: idx, pos: i });
  }
  if (cc < n) distinctive.fill(1); // too short to judge: every token counts
  c.itemNgrams[idx] = seen.size;
  return distinctive;
}

/** Seed n-grams that touch a distinctive token. */
function addSeeds(c: Collected, ts: TokenStream, idx: number, sn: number, distinctive: Uint8Array): void {
  const seen = new Set<number>();
  for (let i = 0; i + sn <= ts.contentCount; i++) {
    let touches = false;
    for (let j = i; j < i + sn && !touches; j++) touches = distinctive[ts.contentPos[j]!] === 1;
    if (!touches) continue;
    const h = windowKey(ts.content, i, sn);
    if (seen.has(h)) continue;
    seen.add(h);
    c.seedPairs.push({ key: h, item: idx, pos: i });
  }
  c.itemSeeds[idx] = seen.size;
}

/** The tokens the alignments use: ids, masked ids, weights (0 unless distinctive) and flags. */
function addAlignmentTokens(c: Collected, ts: TokenStream, idx: number, from: number, to: number, distinctive: Uint8Array, opts: IndexOptions): void {
  let sum = 0;
  for (let t = from; t < to; t++) {
    c.toks.push(ts.hash[t]!);
    c.masks.push(ts.masked[t]!);
    const w = distinctive[t] ? Math.round(opts.weights[ts.kind[t]!]! * WEIGHT_SCALE) : 0;
    c.weights.push(w);
    c.flags.push(ts.kind[t]! | (isStopword(ts.hash[t]!) ? FLAG_STOP : 0));
    sum += w;
  }
  c.itemWeight[idx] = sum;
}

/** Character shingles of a short problem's canonical text, and its anchors: distinct token bigrams. */
function addShortProblem(c: Collected, ts: TokenStream, idx: number, from: number, to: number, k: number): void {
  const cs = ts.canonStart[from]!;
  const ce = ts.canonStart[to]!;
  const shingles = new Set<number>();
  const pow = shinglePow(k);
  let roll = ce - cs >= k ? shingleStart(ts.canon, cs, k) : 0;
  for (let i = cs; i + k <= ce; i++) {
    if (i > cs) roll = rollShingle(roll, ts.canon[i - 1]!, ts.canon[i + k - 1]!, pow);
    const h = mixShingle(roll);
    if (shingles.has(h)) continue;
    shingles.add(h);
    c.shinglePairs.push({ key: h, item: idx, pos: i });
  }
  c.itemShingles[idx] = shingles.size;
  const anchors = new Set<number>();
  for (let t = from; t + 2 <= to; t++) {
    const h = windowKey(ts.hash, t, 2);
    if (anchors.has(h)) continue;
    anchors.add(h);
    c.anchorPairs.push({ key: h, item: idx, pos: t - from });
  }
  c.itemAnchors[idx] = anchors.size;
}
