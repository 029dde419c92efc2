/**
 * The benchmark index: built once from the benchmark problems, saved to one file, loaded read-only
 * by every worker. Matching a row is one tokeniser pass plus two hash-table probes per content
 * position; only benchmark problems that share distinctive n-grams with the row get the (bounded)
 * alignment check.
 *
 * Rules (tokens of src/decontam/tokenize.ts; n-grams over the content stream = tokens minus
 * stopwords, numbers masked):
 * 1. `exact`: the row's token stream (labels and instruction suffixes stripped) equals a problem's.
 * 2. `digits`: the same with every number masked (problems of at least `minDigitTokens` tokens, so
 *    "Compute $\binom{8}{4}$." does not claim every other binomial coefficient); or, for longer rows,
 *    a masked alignment covering ≥ `maskedCoverage` of the problem while the unmasked one still covers
 *    ≥ `coverageFloor` (numbers changed, everything else kept).
 * 3. `ngram`: a problem's *distinctive* n-grams are its n-grams (n = `ngram`, 8 by default) that are
 *    not common in ordinary math text (src/decontam/common.ts). The score is containment: the
 *    fraction of the problem's distinctive n-grams found anywhere in the row. Flag when containment ≥
 *    `threshold` and the alignment (below) covers ≥ `coverageFloor`. Common n-grams never count,
 *    in the numerator or the denominator, so boilerplate cannot reach the threshold.
 * 4. `aligned`: light rewordings break most 8-grams, so shorter seed n-grams (`seedNgram`, 4) that
 *    touch a distinctive token pick candidates, and an in-order alignment (weighted longest common
 *    subsequence of tokens, numbers unmasked) measures how much of the problem the row reproduces.
 *    Tokens that only occur inside common n-grams weigh nothing; numbers and symbols weigh
 *    `weights[1]`/`weights[2]`, words `weights[0]`. Flag when coverage ≥ `coverage`.
 * 5. `chars`: problems with fewer than `minNgrams` distinctive n-grams (short ones) are also indexed
 *    by character shingles of their canonical text; containment ≥ `charThreshold` flags.
 * Matches of rules 2 (alignment form), 3 and 4 are verified (`verify`): an end-to-end alignment with
 * numbers masked must not miss a phrase of the problem (`missingRun`) nor change its formulas
 * (`formulaEdits`, `formulaEditRate`), so a row that shares only the setup of a problem is no match.
 */
import type { BenchmarkItem, ContaminationMatch, ContaminationMethod } from "./types.js";
import { TOKEN_SYMBOL, TOKEN_WORD, TokenStream, fnv1a, isStopword, tokenize } from "./tokenize.js";
import { ROLL_BASE, contentRange, contentRangeInto, rollKey, rollPower, sequenceHash32, sequenceKey, windowKey } from "./ngram.js";

export interface IndexOptions {
  /** distinctive n-gram size (containment score) */
  ngram: number;
  /** containment of distinctive n-grams needed for the `ngram` rule */
  threshold: number;
  /** seed n-gram size for candidate selection of the alignment rule */
  seedNgram: number;
  /** minimum seed hits before aligning */
  minSeeds: number;
  /** minimum fraction of the problem's seeds the row must share before aligning */
  seedFraction: number;
  /** seed n-grams shared by more problems than this are dropped */
  maxSeedProblems: number;
  /** alignment coverage needed for the `aligned` rule */
  coverage: number;
  /** masked alignment coverage for the numbers-changed rule */
  maskedCoverage: number;
  /** unmasked coverage every n-gram/alignment match must also reach */
  coverageFloor: number;
  /** alignment weight of a word, a number and a symbol token */
  weights: [number, number, number];
  /** alignment cost of a row token skipped inside the aligned stretch (in weight units) */
  gapPenalty: number;
  charShingle: number;
  charThreshold: number;
  /** problems with fewer distinctive n-grams than this also get character shingles */
  minNgrams: number;
  /** the digit-insensitive exact rule needs at least this many tokens */
  minDigitTokens: number;
  digitInsensitive: boolean;
  /**
   * verification of `ngram`, `aligned` and alignment `digits` matches: reject when this many or more
   * distinctive content words/symbols of the problem in a row are missing from the alignment
   */
  missingRun: number;
  /** verification: formula edits allowed (see `formulaEditRate`) */
  formulaEdits: number;
  /**
   * verification: a match is rejected when the formula edits (numbers masked) exceed
   * max(`formulaEdits`, `formulaEditRate` × the problem's formula tokens)
   */
  formulaEditRate: number;
}

export const DEFAULT_INDEX_OPTIONS: IndexOptions = {
  ngram: 8,
  threshold: 0.7,
  seedNgram: 4,
  minSeeds: 2,
  seedFraction: 0.2,
  maxSeedProblems: 8,
  coverage: 0.85,
  maskedCoverage: 0.97,
  coverageFloor: 0.75,
  weights: [1, 2, 2],
  gapPenalty: 0.25,
  charShingle: 6,
  charThreshold: 0.9,
  minNgrams: 4,
  minDigitTokens: 10,
  digitInsensitive: true,
  missingRun: 3,
  formulaEdits: 1,
  formulaEditRate: 0.05,
};

/** Membership test for common n-grams. */
export interface CommonNgramSet {
  /** is the n-gram ids[start .. start+n) (content stream, numbers masked) common? */
  hasWindow(ids: Int32Array, start: number, n: number): boolean;
}

/** alignment weights are stored as integers: weight × WEIGHT_SCALE */
const WEIGHT_SCALE = 4;

const MAGIC = "CURATE-DECONTAM-INDEX-4\n";

/** itemTokFlags: token kind (TOKEN_WORD/NUMBER/SYMBOL) in the low bits, FLAG_STOP for stopwords */
const FLAG_KIND = 3;
const FLAG_STOP = 4;
/** fraction notation (`\frac{a}{b}` vs `a/b`) is no formula edit */
const NOTATION = [fnv1a("frac") | 0, fnv1a("/") | 0];

/** Open-addressing hash table from 32-bit key to a CSR list of postings. */
interface PostingTable {
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
  /**
   * compact probe table (seeds, the table every row probes most): 2 int32 per slot — key, and the
   * postings packed as item << 4 | 1 for one posting (no load from the postings), first posting << 4
   * | count for up to 15 (> 0), ~list otherwise (< 0); 0: empty slot. Half the bytes of `rec`, so more of the table stays in cache; rows track the keys
   * they visited themselves.
   */
  pair?: Int32Array;
  pairMask?: number;
}

/** Build the runtime parts of a table: bit filter and probe records (`pair` instead of `rec` when compact). */
function addFilter(t: PostingTable, compact = false): PostingTable {
  let keys = 0;
  for (let s = 0; s <= t.mask; s++) if (t.slotList[s]! >= 0) keys++;
  let cap = 16;
  while (cap < keys * 2) cap *= 2;
  if (compact) {
    const pair = new Int32Array(cap * 2);
    for (let s = 0; s <= t.mask; s++) {
      const l = t.slotList[s]!;
      if (l < 0) continue;
      const key = t.slotKey[s]!;
      let r = key & (cap - 1);
      while (pair[r * 2 + 1] !== 0) r = (r + 1) & (cap - 1);
      const start = t.listStart[l]!;
      const count = t.listStart[l + 1]! - start;
      pair[r * 2] = key | 0;
      pair[r * 2 + 1] =
        count === 1 && t.postItem[start]! < 1 << 27
          ? (t.postItem[start]! << 4) | 1
          : count > 1 && count < 16 && start < 1 << 27
            ? (start << 4) | count
            : ~l;
    }
    t.pair = pair;
    t.pairMask = cap - 1;
  } else {
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
  }
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

interface Pair {
  key: number;
  item: number;
  pos: number;
}

function buildTable(pairs: Pair[], maxPostings = Infinity): PostingTable {
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
function findRecord(t: PostingTable, key: number): number {
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

/**
 * Polynomial hash of `k` canonical characters (mod 2^32), rolled along the text by `rollShingle`;
 * `mixShingle` scrambles it before table lookup. Build and match use the same functions.
 */
const SHINGLE_BASE = 0x01000193;

function shinglePow(k: number): number {
  let p = 1;
  for (let j = 0; j < k - 1; j++) p = Math.imul(p, SHINGLE_BASE);
  return p;
}

function shingleStart(canon: Uint16Array, start: number, k: number): number {
  let h = 0;
  for (let j = 0; j < k; j++) h = (Math.imul(h, SHINGLE_BASE) + canon[start + j]!) | 0;
  return h;
}

function rollShingle(h: number, out: number, inc: number, pow: number): number {
  return (Math.imul((h - Math.imul(out, pow)) | 0, SHINGLE_BASE) + inc) | 0;
}

function mixShingle(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function snippet(text: string, start: number, end: number): string {
  const s = text.slice(start, end);
  return s.length <= 160 ? s : s.slice(0, 159) + "…";
}

export interface IndexSummary {
  benchmarks: { name: string; problems: number }[];
  problems: number;
  distinctiveNgrams: number;
  seeds: number;
  shortProblems: number;
  options: IndexOptions;
}

/** Scores of one candidate problem (diagnostics, see `ContaminationIndex.explain`). */
export interface CandidateScore {
  item: number;
  seeds: number;
  containment: number;
  coverage: number;
  maskedCoverage: number;
  /** verification (only when a rule fired): longest missing run and formula edits, -1 otherwise */
  missingRun: number;
  formulaEdits: number;
  /** the rule that fired before verification, and whether verification kept it */
  rule: ContaminationMethod | null;
  verified: boolean;
}

type U32 = Uint32Array;

/** a match found for one problem while scanning a row (before the report) */
type Found = { method: ContaminationMethod; score: number; span: [number, number]; bspan: [number, number] | null };

interface IndexParts {
  options: IndexOptions;
  benchmarks: string[];
  itemId: string[];
  itemText: string[];
  exact: Map<number, number[]>;
  digits: Map<number, number[]>;
  arrays: {
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
    itemWeight: U32;
  };
  ngrams: PostingTable;
  seeds: PostingTable;
  shingles: PostingTable;
  /** token bigrams of the short problems: the shingle pass runs only when a row has most of one's */
  anchors: PostingTable;
}

/**
 * inRowBits's bit set of the row's token ids (bit id >>> 20), all zero between rows. Module-level,
 * like the arrays below: V8 compiles a fixed array's address into a loop, where it loads an
 * instance's array's type and bounds again on every access in a loop that stores.
 */
const ROW_BITS = new Uint32Array(128);

/** seedScan's window keys and positions, a chunk of windows at a time */
const SEED_CHUNK = 1 << 14;
const SEED_KEYS = new Int32Array(SEED_CHUNK);
const SEED_POS = new Int32Array(SEED_CHUNK);

const TABLES = ["ngrams", "seeds", "shingles", "anchors"] as const;
const TABLE_ARRAYS = ["slotKey", "slotList", "listStart", "postItem", "postPos"] as const;

export class ContaminationIndex {
  readonly options: IndexOptions;
  readonly benchmarks: string[];
  readonly itemId: string[];
  readonly itemText: string[];
  private readonly parts: IndexParts;
  private readonly a: IndexParts["arrays"];

  // per-row scratch (an index instance is used by one thread at a time)
  private readonly ts = new TokenStream();
  private readonly bt = new TokenStream();
  private stamp = 0;
  private readonly hits: Uint32Array;
  private readonly seedHits: Uint32Array;
  private readonly hitMin: Uint32Array;
  private readonly hitMax: Uint32Array;
  /** seed-hit clusters per problem: current cluster and best cluster (row content positions) */
  private readonly cStart: Uint32Array;
  private readonly cLast: Uint32Array;
  private readonly cCount: Uint32Array;
  private readonly bCount: Uint32Array;
  private readonly itemMin: Uint32Array;
  private readonly itemMax: Uint32Array;
  private readonly touched: Uint32Array;
  /** seed keys the current row has visited (open addressing, stamped) */
  private seenKey = new Int32Array(64);
  private seenStamp = new Int32Array(64);
  private dpPrev = new Int32Array(64);
  private dpCur = new Int32Array(64);
  /** alignCoverage: first window column per token id (windowColumns) */
  private colKey = new Int32Array(64);
  private colHead = new Int32Array(64);
  private colStamp = new Uint32Array(64);
  private colMark = 0;
  /** verification scratch: score rows, traceback directions, aligned marks */
  private vPrev = new Int32Array(64);
  private vCur = new Int32Array(64);
  private vDir = new Uint8Array(1024);
  /** verifyAlign: per problem token the first recorded step, and the steps' columns and directions */
  private vStepStart = new Int32Array(64);
  private vStepCol = new Int32Array(256);
  private vStepDir = new Uint8Array(256);
  private vRowFirst = 0;
  private vRowLast = -1;
  /** alignment weight of a word, number and symbol token (weights × WEIGHT_SCALE, rounded) */
  private readonly kindWeight: Int32Array;
  /** per problem: the least seed-hit count that can pass the candidate test */
  private readonly seedNeed: Uint32Array;
  private vBenchAligned = new Uint8Array(64);
  private vRowAligned = new Uint8Array(64);
  private vEdits = new Int32Array(128);
  private vRowFormula = new Uint8Array(64);
  private lastMissingRun = 0;
  private lastFormulaEdits = 0;
  /** set of the current row's token ids (open addressing, stamped) */
  private rowSetKey = new Int32Array(1024);
  private rowSetStamp = new Uint32Array(1024);
  private rowSetMask = 1023;
  private rowSetCount = new Uint32Array(1024);
  private rowSetUsed = new Uint32Array(1024);
  private rowSetUsedMark = new Uint32Array(1024);
  private boundMark = 0;
  /** per problem, its token positions heaviest first (a permutation within itemTokStart ranges) */
  private readonly boundOrder: Uint32Array;
  /** bit (id >>> 20) set for every token of a short problem: bigrams of other tokens are no anchors */
  private readonly anchorVocab = new Uint32Array(128);
  /**
   * Anchor gate (see anchorGate): per short problem a subset of its anchor bigrams that must hold
   * `gateNeed` present ones when the problem's anchors are present; records of 4 int32 per slot (key,
   * first item, end of items, row stamp; end -1: empty), a bit filter over the keys, and the items.
   */
  private readonly gateRec: Int32Array;
  private readonly gateMask: number;
  private readonly gateFilter = new Uint32Array(128);
  private readonly gateItems: Uint32Array;
  private readonly gateNeed: Uint32Array;
  private readonly gateCount: Uint32Array;
  /** content range of the current row (contentRangeInto) */
  private readonly range = new Int32Array(2);
  /** bit i set when some problem's masked content hash (sequenceHash32) has top 16 bits i */
  private readonly maskedFilter = new Uint32Array(2048);
  /** when set to an array, match() appends the scores of every candidate (diagnostics) */
  explain: CandidateScore[] | null = null;

  private constructor(parts: IndexParts) {
    this.parts = parts;
    this.a = parts.arrays;
    this.options = parts.options;
    this.benchmarks = parts.benchmarks;
    this.itemId = parts.itemId;
    this.itemText = parts.itemText;
    const items = this.itemId.length;
    for (const tn of TABLES) addFilter(parts[tn], tn === "seeds");
    this.hits = new Uint32Array(items);
    this.seedHits = new Uint32Array(items);
    this.hitMin = new Uint32Array(items);
    this.hitMax = new Uint32Array(items);
    this.cStart = new Uint32Array(items);
    this.cLast = new Uint32Array(items);
    this.cCount = new Uint32Array(items);
    this.bCount = new Uint32Array(items);
    this.itemMin = new Uint32Array(items);
    this.itemMax = new Uint32Array(items);
    this.touched = new Uint32Array(items);
    this.boundOrder = new Uint32Array(this.a.itemTok.length);
    for (let it = 0; it < items; it++) {
      const s = this.a.itemTokStart[it]!;
      const e = this.a.itemTokStart[it + 1]!;
      const idx = Array.from({ length: e - s }, (_, k) => s + k);
      idx.sort((x, y) => this.a.itemTokWeight[y]! - this.a.itemTokWeight[x]! || x - y);
      this.boundOrder.set(idx, s);
      if (e <= s) continue;
      if (this.a.itemAnchors[it]! > 0) {
        for (let t = s; t < e; t++) {
          const v = this.a.itemTok[t]! >>> 20;
          this.anchorVocab[v >>> 5]! |= 1 << (v & 31);
        }
      }
      const h = sequenceHash32(this.a.itemTokMasked, s, e) >>> 16;
      this.maskedFilter[h >>> 5]! |= 1 << (h & 31);
    }
    this.kindWeight = Int32Array.from(this.options.weights, (w) => Math.round(w * WEIGHT_SCALE));
    // least seed-hit count that can pass the candidate test (seedCount ≥ minSeeds and ≥ seedFraction
    // × the problem's seeds), evaluated with the test's own comparisons
    this.seedNeed = new Uint32Array(items);
    for (let it = 0; it < items; it++) {
      let c = 0;
      const seedsOf = this.a.itemSeeds[it]!;
      while (!(c >= this.options.minSeeds && c >= this.options.seedFraction * seedsOf) && c <= seedsOf + 1) c++;
      this.seedNeed[it] = c;
    }
    this.gateNeed = new Uint32Array(items);
    this.gateCount = new Uint32Array(items);
    const gate = this.buildAnchorGate();
    this.gateRec = gate.rec;
    this.gateMask = gate.mask;
    this.gateItems = gate.items;
  }

  /**
   * The anchor gate, derived from the index on load. anchorsPresent() holds for a row when some short
   * problem with A distinct anchor bigrams has `need` of them present (the least integer ≥ 0.8 × A):
   * then at most A − need are missing, so any A − need + 2 of its anchors hold at least 2 present ones
   * (all A of them hold `need` when A − need + 2 > A). The gate counts, per short problem, the present
   * anchors of such a subset — the ones least frequent as bigrams of the indexed problems, which are
   * rarely present in a row — and says no when no problem reaches its count: anchorsPresent() cannot
   * hold then. It probes exactly the bigrams anchorsPresent() probes (same vocabulary test, same
   * keys), so its answer never differs where anchorsPresent() would say yes, whichever subset is
   * chosen; the subsets only decide how often the full test runs.
   */
  private buildAnchorGate(): { rec: Int32Array; mask: number; items: Uint32Array } {
    const a = this.a;
    const t = this.parts.anchors;
    const items = this.itemId.length;
    // frequency of each anchor bigram over all indexed problems (how many problems have it): one
    // pass over every problem's bigrams against a small table of the anchor keys
    let akCap = 16;
    while (akCap < (t.listStart.length - 1) * 2) akCap *= 2;
    const akKey = new Int32Array(akCap);
    const akUsed = new Uint8Array(akCap);
    const akDf = new Int32Array(akCap);
    const akLast = new Int32Array(akCap); // last problem counted, + 1
    const slotOf = (key: number): number => {
      let u = key & (akCap - 1);
      while (akUsed[u] === 1 && akKey[u] !== key) u = (u + 1) & (akCap - 1);
      return u;
    };
    for (let s = 0; s <= t.mask; s++) {
      if (t.slotList[s]! < 0) continue;
      const u = slotOf(t.slotKey[s]! | 0);
      akUsed[u] = 1;
      akKey[u] = t.slotKey[s]! | 0;
    }
    const base = ROLL_BASE | 0;
    for (let it = 0; it < items; it++) {
      for (let q = a.itemTokStart[it]!; q + 1 < a.itemTokStart[it + 1]!; q++) {
        const u = slotOf(rollKey((Math.imul(a.itemTok[q]!, base) + a.itemTok[q + 1]!) | 0) | 0);
        if (akUsed[u] === 1 && akLast[u] !== it + 1) {
          akDf[u]!++;
          akLast[u] = it + 1;
        }
      }
    }
    const df = (key: number): number => akDf[slotOf(key | 0)]!;
    // each short problem's anchor keys (from the anchor table's postings)
    const perItem = new Map<number, number[]>();
    for (let s = 0; s <= t.mask; s++) {
      const l = t.slotList[s]!;
      if (l < 0) continue;
      for (let p = t.listStart[l]!; p < t.listStart[l + 1]!; p++) {
        const it = t.postItem[p]!;
        let keys = perItem.get(it);
        if (!keys) perItem.set(it, (keys = []));
        keys.push(t.slotKey[s]!);
      }
    }
    const gateItems = new Map<number, number[]>();
    for (const it of [...perItem.keys()].sort((x, y) => x - y)) {
      const keys = perItem.get(it)!;
      const total = a.itemAnchors[it]!;
      let need = Math.ceil(0.8 * total);
      while (need > 0 && need - 1 >= 0.8 * total) need--;
      while (need < 0.8 * total) need++;
      if (keys.length !== total || need === 0) {
        // not the layout the argument assumes: count every anchor, need them all as anchorsPresent does
        this.gateNeed[it] = Math.max(need, 1);
        for (const k of keys) (gateItems.get(k) ?? gateItems.set(k, []).get(k)!).push(it);
        continue;
      }
      const size = Math.min(total, total - need + 2);
      this.gateNeed[it] = Math.min(2, need);
      keys.sort((x, y) => df(x) - df(y) || x - y);
      for (let j = 0; j < size; j++) (gateItems.get(keys[j]!) ?? gateItems.set(keys[j]!, []).get(keys[j]!)!).push(it);
    }
    let cap = 16;
    while (cap < gateItems.size * 2) cap *= 2;
    const rec = new Int32Array(cap * 4);
    for (let s = 0; s < cap; s++) rec[s * 4 + 2] = -1;
    const list: number[] = [];
    for (const [key, its] of [...gateItems.entries()].sort((x, y) => x[0] - y[0])) {
      let s = key & (cap - 1);
      while (rec[s * 4 + 2]! >= 0) s = (s + 1) & (cap - 1);
      rec[s * 4] = key | 0;
      rec[s * 4 + 1] = list.length;
      for (const it of its) list.push(it);
      rec[s * 4 + 2] = list.length;
      const b = key >>> 20;
      this.gateFilter[b >>> 5]! |= 1 << (b & 31);
    }
    return { rec, mask: cap - 1, items: Uint32Array.from(list) };
  }

  /** can some problem's masked content sequence have this sequenceHash32? */
  private maskedPossible(h: number): boolean {
    const b = h >>> 16;
    return (this.maskedFilter[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  get size(): number {
    return this.itemId.length;
  }

  static build(
    problems: BenchmarkItem[],
    options: Partial<IndexOptions> = {},
    common: CommonNgramSet | null = null,
  ): ContaminationIndex {
    const opts: IndexOptions = { ...DEFAULT_INDEX_OPTIONS, ...options };
    for (const key of ["ngram", "seedNgram"] as const) {
      const v = opts[key];
      if (!Number.isInteger(v) || v < 2 || v > 64) throw new Error(`decontaminate: ${key} must be an integer in 2..64, got ${v}`);
    }
    const items = problems.length;
    const benchmarks: string[] = [];
    const benchIndex = new Map<string, number>();
    const itemBenchmark = new Uint16Array(items);
    const itemNgrams = new Uint32Array(items);
    const itemSeeds = new Uint32Array(items);
    const itemShingles = new Uint32Array(items);
    const itemAnchors = new Uint32Array(items);
    const anchorPairs: Pair[] = [];
    const itemTokStart = new Uint32Array(items + 1);
    const itemWeight = new Uint32Array(items);
    const toks: number[] = [];
    const masks: number[] = [];
    const weights: number[] = [];
    const flags: number[] = [];
    const exact = new Map<number, number[]>();
    const digits = new Map<number, number[]>();
    const ngramPairs: Pair[] = [];
    const seedPairs: Pair[] = [];
    const shinglePairs: Pair[] = [];
    const ts = new TokenStream();
    const n = opts.ngram;
    const sn = opts.seedNgram;
    const k = opts.charShingle;
    const add = (m: Map<number, number[]>, key: number, item: number) => {
      const l = m.get(key);
      if (l) l.push(item);
      else m.set(key, [item]);
    };
    problems.forEach((p, idx) => {
      let b = benchIndex.get(p.benchmark);
      if (b === undefined) {
        b = benchmarks.length;
        benchmarks.push(p.benchmark);
        benchIndex.set(p.benchmark, b);
      }
      itemBenchmark[idx] = b;
      itemTokStart[idx] = toks.length;
      tokenize(p.problem, ts);
      const [from, to] = contentRange(ts);
      if (to <= from) return;
      add(exact, sequenceKey(ts.hash, from, to), idx);
      if (opts.digitInsensitive && to - from >= opts.minDigitTokens) add(digits, sequenceKey(ts.masked, from, to), idx);
      // distinctive n-grams, and which tokens they cover
      const distinctive = new Uint8Array(ts.count);
      const seen = new Set<number>();
      const cc = ts.contentCount;
      for (let i = 0; i + n <= cc; i++) {
        if (common && common.hasWindow(ts.content, i, n)) continue;
        for (let t = ts.contentPos[i]!; t <= ts.contentPos[i + n - 1]!; t++) distinctive[t] = 1;
        const h = windowKey(ts.content, i, n);
        if (seen.has(h)) continue;
        seen.add(h);
        ngramPairs.push({ key: h, item: idx, pos: i });
      }
      if (cc < n) distinctive.fill(1); // too short to judge: every token counts
      itemNgrams[idx] = seen.size;
      // seed n-grams touching a distinctive token
      const seenSeeds = new Set<number>();
      for (let i = 0; i + sn <= cc; i++) {
        let touches = false;
        for (let j = i; j < i + sn && !touches; j++) touches = distinctive[ts.contentPos[j]!] === 1;
        if (!touches) continue;
        const h = windowKey(ts.content, i, sn);
        if (seenSeeds.has(h)) continue;
        seenSeeds.add(h);
        seedPairs.push({ key: h, item: idx, pos: i });
      }
      itemSeeds[idx] = seenSeeds.size;
      // tokens for the alignment
      let sum = 0;
      for (let t = from; t < to; t++) {
        toks.push(ts.hash[t]!);
        masks.push(ts.masked[t]!);
        const w = distinctive[t] ? Math.round(opts.weights[ts.kind[t]!]! * WEIGHT_SCALE) : 0;
        weights.push(w);
        flags.push(ts.kind[t]! | (isStopword(ts.hash[t]!) ? FLAG_STOP : 0));
        sum += w;
      }
      itemWeight[idx] = sum;
      if (seen.size < opts.minNgrams) {
        // short (or all-boilerplate) problem: character shingles of its canonical text
        const cs = ts.canonStart[from]!;
        const ce = ts.canonStart[to]!;
        const shSeen = new Set<number>();
        const pow = shinglePow(k);
        let roll = ce - cs >= k ? shingleStart(ts.canon, cs, k) : 0;
        for (let i = cs; i + k <= ce; i++) {
          if (i > cs) roll = rollShingle(roll, ts.canon[i - 1]!, ts.canon[i + k - 1]!, pow);
          const h = mixShingle(roll);
          if (shSeen.has(h)) continue;
          shSeen.add(h);
          shinglePairs.push({ key: h, item: idx, pos: i });
        }
        itemShingles[idx] = shSeen.size;
        // anchors: distinct token bigrams (the shingle pass needs most of them in the row)
        const anchors = new Set<number>();
        for (let t = from; t + 2 <= to; t++) {
          const h = windowKey(ts.hash, t, 2);
          if (anchors.has(h)) continue;
          anchors.add(h);
          anchorPairs.push({ key: h, item: idx, pos: t - from });
        }
        itemAnchors[idx] = anchors.size;
      }
    });
    itemTokStart[items] = toks.length;
    return new ContaminationIndex({
      options: opts,
      benchmarks,
      itemId: problems.map((p) => p.item),
      itemText: problems.map((p) => p.problem),
      exact,
      digits,
      arrays: {
        itemBenchmark,
        itemNgrams,
        itemSeeds,
        itemShingles,
        itemAnchors,
        itemTokStart,
        itemTok: Int32Array.from(toks),
        itemTokMasked: Int32Array.from(masks),
        itemTokWeight: Uint8Array.from(weights),
        itemTokFlags: Uint8Array.from(flags),
        itemWeight,
      },
      ngrams: buildTable(ngramPairs),
      seeds: buildTable(seedPairs, opts.maxSeedProblems),
      shingles: buildTable(shinglePairs),
      anchors: buildTable(anchorPairs),
    });
  }

  summary(): IndexSummary {
    const counts = new Map<number, number>();
    for (const b of this.a.itemBenchmark) counts.set(b, (counts.get(b) ?? 0) + 1);
    let shortProblems = 0;
    for (const s of this.a.itemShingles) if (s > 0) shortProblems++;
    return {
      benchmarks: this.benchmarks.map((name, i) => ({ name, problems: counts.get(i) ?? 0 })),
      problems: this.size,
      distinctiveNgrams: this.parts.ngrams.postItem.length,
      seeds: this.parts.seeds.postItem.length,
      shortProblems,
      options: this.options,
    };
  }

  /** Distinctive n-grams of one indexed problem (by position in the index). */
  distinctiveNgrams(item: number): number {
    return this.a.itemNgrams[item]!;
  }

  /**
   * Local alignment (Smith–Waterman style) of the problem's tokens against the row's tokens in a
   * window around [first, last): an aligned equal token earns its weight, a skipped row token costs
   * `gapPenalty`, a skipped problem token earns nothing. Returns the best score as a fraction of the
   * problem's total weight, so scattered pieces of a problem in a long text do not add up.
   * With `need` > 0 it stops as soon as the coverage cannot reach `need` any more and returns a value
   * below `need` (callers only compare it with `need`); with 0 it is exact.
   */
  private alignCoverage(ts: TokenStream, it: number, first: number, last: number, masked: boolean, need = 0): number {
    const a = this.a;
    const bs = a.itemTokStart[it]!;
    const L = a.itemTokStart[it + 1]! - bs;
    const total = a.itemWeight[it]!;
    if (L === 0 || total === 0) return 0;
    const from = Math.max(0, first - L);
    const to = Math.min(ts.count, Math.max(last + L, from + 1), from + 4 * L);
    const W = to - from;
    const gap = Math.round(this.options.gapPenalty * WEIGHT_SCALE);
    if (gap < 0) return this.alignCoverageDense(ts, it, first, last, masked, need);
    if (this.dpPrev.length < W + 1) {
      this.dpPrev = new Int32Array(W + 1);
      this.dpCur = new Int32Array(W + 1);
    }
    // One score row, updated in place. Every row satisfies row[j] ≥ row[j−1] − gap, so a problem
    // token changes the row only from the columns where the row window has the same token onwards,
    // and only while the carried score minus the gap still beats the previous row: the update walks
    // those stretches (column lists per token id) and leaves the rest, with the same scores as the
    // full quadratic recurrence
    //   cur[j] = max(prev[j], cur[j−1] − gap, prev[j−1] + weight if the tokens are equal, 0).
    const row = this.dpPrev;
    row.fill(0, 0, W + 1);
    const rowIds = masked ? ts.masked : ts.hash;
    const next = this.dpCur; // next[j]: the next column after j with the same id (0: none)
    this.windowColumns(rowIds, from, W, next);
    const itemIds = masked ? a.itemTokMasked : a.itemTok;
    const weights = a.itemTokWeight;
    const target = need * total;
    let best = 0;
    let rowMax = 0; // the row only grows, so its maximum does too
    let remaining = total; // weight of the problem tokens after row i
    for (let i = 0; i < L; i++) {
      const wt = weights[bs + i]!;
      let j = this.firstColumn(itemIds[bs + i]!);
      if (j > 0) {
        // walk from the first column holding the token: `carry` is the new value of column j−1,
        // `oldLeft` its value before this token
        let carry = row[j - 1]!;
        let oldLeft = carry;
        let match = j;
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
          if (h === old) {
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

  /** alignCoverage by the full quadratic recurrence (a negative `gapPenalty`, where the sparse walk does not apply) */
  private alignCoverageDense(ts: TokenStream, it: number, first: number, last: number, masked: boolean, need: number): number {
    const a = this.a;
    const bs = a.itemTokStart[it]!;
    const L = a.itemTokStart[it + 1]! - bs;
    const total = a.itemWeight[it]!;
    if (L === 0 || total === 0) return 0;
    const from = Math.max(0, first - L);
    const to = Math.min(ts.count, Math.max(last + L, from + 1), from + 4 * L);
    const W = to - from;
    if (this.dpPrev.length < W + 1) {
      this.dpPrev = new Int32Array(W + 1);
      this.dpCur = new Int32Array(W + 1);
    }
    let prev = this.dpPrev;
    let cur = this.dpCur;
    prev.fill(0, 0, W + 1);
    const rowIds = masked ? ts.masked : ts.hash;
    const itemIds = masked ? a.itemTokMasked : a.itemTok;
    const weights = a.itemTokWeight;
    const gap = Math.round(this.options.gapPenalty * WEIGHT_SCALE);
    const target = need * total;
    let best = 0;
    let remaining = total; // weight of the problem tokens after row i
    for (let i = 0; i < L; i++) {
      const b = itemIds[bs + i]!;
      const wt = weights[bs + i]!;
      cur[0] = 0;
      let rowMax = 0;
      for (let j = 1; j <= W; j++) {
        let h = prev[j]!; // skip the problem token
        const left = cur[j - 1]! - gap; // skip the row token
        if (left > h) h = left;
        if (rowIds[from + j - 1] === b) {
          const diag = prev[j - 1]! + wt;
          if (diag > h) h = diag;
        }
        if (h < 0) h = 0;
        cur[j] = h;
        if (h > rowMax) rowMax = h;
      }
      if (rowMax > best) best = rowMax;
      remaining -= wt;
      // any later cell continues a path through this row (≤ rowMax) or starts afresh, and earns at
      // most the remaining weight
      if (best < target && rowMax + remaining < target) return Math.max(best, rowMax + remaining) / total;
      const tmp = prev;
      prev = cur;
      cur = tmp;
    }
    return best / total;
  }

  /**
   * Columns of the row window ids[from .. from+W) by token id: fills next[j] (1-based columns) with the
   * next column holding the same id (0: none); firstColumn() then gives an id's first column (0:
   * absent). Open addressing on the window's ids, stamped, reused across calls.
   */
  private windowColumns(ids: Int32Array, from: number, W: number, next: Int32Array): void {
    let cap = this.colKey.length;
    if (cap < W * 2) {
      while (cap < W * 2) cap *= 2;
      this.colKey = new Int32Array(cap);
      this.colHead = new Int32Array(cap);
      this.colStamp = new Uint32Array(cap);
    }
    const mask = cap - 1;
    const key = this.colKey;
    const head = this.colHead;
    const stampOf = this.colStamp;
    if (++this.colMark === 0xffffffff) {
      stampOf.fill(0);
      this.colMark = 1;
    }
    const mark = this.colMark;
    for (let j = W; j >= 1; j--) {
      const id = ids[from + j - 1]!;
      let s = (id ^ (id >>> 16)) & mask;
      while (stampOf[s] === mark && key[s] !== id) s = (s + 1) & mask;
      if (stampOf[s] === mark) {
        next[j] = head[s]!;
      } else {
        stampOf[s] = mark;
        key[s] = id;
        next[j] = 0;
      }
      head[s] = j;
    }
  }

  /** first column of `id` in the window of the last windowColumns() call, 0 when absent */
  private firstColumn(id: number): number {
    const mask = this.colKey.length - 1;
    let s = (id ^ (id >>> 16)) & mask;
    while (this.colStamp[s] === this.colMark) {
      if (this.colKey[s] === id) return this.colHead[s]!;
      s = (s + 1) & mask;
    }
    return 0;
  }

  /**
   * Verification of a match found by the ngram, aligned or alignment-digits rule. Aligns the problem
   * to the same row window as `alignCoverage` with numbers masked, keeps the traceback, and rejects
   * the match when
   * - `missingRun` or more distinctive content tokens of the problem in a row are left unaligned
   *   (stopwords and tokens of weight 0 neither extend nor break a run): the row lacks a phrase of the
   *   problem — typically its question ("Determine the area of quadrilateral DBEF") while it shares
   *   the setup and the diagram;
   * - the formula edits exceed max(`formulaEdits`, `formulaEditRate` × formula tokens): problem
   *   symbols/operators left unaligned plus row symbols/operators inserted inside the aligned stretch
   *   (numbers masked, so changed numbers are no edit) — a different expression or more variables.
   * Rewordings change words, and numbers-changed copies change numbers; neither changes a phrase of
   * three distinctive words nor the formulas. Sets lastMissingRun/lastFormulaEdits.
   */
  private verify(ts: TokenStream, it: number, first: number, last: number): boolean {
    const a = this.a;
    const o = this.options;
    const bs = a.itemTokStart[it]!;
    const L = a.itemTokStart[it + 1]! - bs;
    this.lastMissingRun = 0;
    this.lastFormulaEdits = 0;
    if (L === 0) return false;
    const from = Math.max(0, first - L);
    const to = Math.min(ts.count, Math.max(last + L, from + 1), from + 4 * L);
    const W = to - from;
    if (this.vPrev.length < W + 1) {
      this.vPrev = new Int32Array(W + 1);
      this.vCur = new Int32Array(W + 1);
      this.vRowAligned = new Uint8Array(W);
    }
    if (this.vBenchAligned.length < L) this.vBenchAligned = new Uint8Array(L);
    const rowIds = ts.masked;
    const itemIds = a.itemTokMasked;
    const weights = a.itemTokWeight;
    const flags = a.itemTokFlags;
    if (this.vRowFormula.length < W) this.vRowFormula = new Uint8Array(W);
    const rowFormula = this.vRowFormula;
    for (let j = 0; j < W; j++) {
      const t = from + j;
      const id = rowIds[t]!;
      rowFormula[j] = ts.kind[t] !== TOKEN_WORD && !isStopword(ts.hash[t]!) && id !== NOTATION[0] && id !== NOTATION[1] ? 1 : 0;
    }
    // the alignment: marks benchAligned/rowAligned, sets vRowFirst/vRowLast
    const gap = Math.round(o.gapPenalty * WEIGHT_SCALE);
    const formulaGap = this.kindWeight[TOKEN_SYMBOL]!;
    if (gap < 0 || formulaGap < 0) this.verifyAlignDense(ts, bs, L, from, W, gap, formulaGap);
    else this.verifyAlign(ts, bs, L, from, W, gap, formulaGap);
    const benchAligned = this.vBenchAligned;
    const rowAligned = this.vRowAligned;
    const rowFirst = this.vRowFirst;
    const rowLast = this.vRowLast;
    let run = 0;
    let maxRun = 0;
    let formula = 0;
    // formula tokens missing from the problem side and inserted on the row side (masked ids)
    let missing = 0;
    let inserted = 0;
    if (this.vEdits.length < L + W) this.vEdits = new Int32Array(L + W);
    const ed = this.vEdits;
    for (let k = 0; k < L; k++) {
      const f = flags[bs + k]!;
      const transparent = (f & FLAG_STOP) !== 0 || weights[bs + k] === 0;
      const id = itemIds[bs + k]!;
      const isFormula = (f & (FLAG_STOP | FLAG_KIND)) !== TOKEN_WORD && (f & FLAG_STOP) === 0 && id !== NOTATION[0] && id !== NOTATION[1];
      if (isFormula) formula++;
      if (benchAligned[k]) {
        if (!transparent) run = 0;
        continue;
      }
      if (isFormula) ed[missing++] = id;
      if (!transparent && ++run > maxRun) maxRun = run;
    }
    for (let j = rowFirst + 1; j < rowLast; j++) if (!rowAligned[j] && rowFormula[j]) ed[L + inserted++] = rowIds[from + j]!;
    // a token missing in one place and inserted in another was moved ("Express X in terms of k" →
    // "In terms of k, what is X"): the multiset difference counts what really changed
    const mis = ed.subarray(0, missing).sort();
    const ins = ed.subarray(L, L + inserted).sort();
    let edits = 0;
    for (let x = 0, y = 0; x < missing || y < inserted; ) {
      if (y >= inserted || (x < missing && mis[x]! < ins[y]!)) {
        edits++;
        x++;
      } else if (x >= missing || ins[y]! < mis[x]!) {
        edits++;
        y++;
      } else {
        x++;
        y++;
      }
    }
    this.lastMissingRun = maxRun;
    this.lastFormulaEdits = edits;
    return maxRun < o.missingRun && edits <= Math.max(o.formulaEdits, o.formulaEditRate * formula);
  }

  /**
   * verify()'s alignment. Fitting alignment: the whole problem against any stretch of the row window
   * (numbers masked). Aligning a problem token earns its kind's weight and skipping it costs as much —
   * common n-grams are no evidence of a match, but a difference inside them is evidence against one;
   * skipping a row word costs `gap` (a rewording), skipping a row formula token `formulaGap` (an
   * edit). Ties prefer aligning, then skipping the problem token. The traceback marks the aligned
   * tokens of both sides (vBenchAligned, vRowAligned) and the first and last aligned row columns
   * (vRowFirst, vRowLast; W and -1 when none).
   *
   * Scores are kept shifted by the weight of the problem tokens so far, g_i[j] = score_i[j] + S_i: a
   * skipped problem token then leaves g unchanged, an aligned one adds twice its weight to the
   * diagonal, a skipped row token costs its gap; every row has g[j] ≥ g[j−1] − gap(j). So, as in
   * alignCoverage, a problem token changes the row only from the window columns holding the same
   * token while the carried score minus the gap beats the previous row, and every other cell's
   * traceback step is "skip the problem token": the walk records only the other steps, per row.
   * Same scores, ties and traceback as the full recurrence (verifyAlignDense).
   */
  private verifyAlign(ts: TokenStream, bs: number, L: number, from: number, W: number, gap: number, formulaGap: number): void {
    const a = this.a;
    const rowIds = ts.masked;
    const itemIds = a.itemTokMasked;
    const flags = a.itemTokFlags;
    const kindWeight = this.kindWeight;
    const rowFormula = this.vRowFormula;
    const g = this.vPrev;
    g.fill(0, 0, W + 1); // the row stretch may start anywhere
    const next = this.vCur;
    this.windowColumns(rowIds, from, W, next);
    if (this.vStepStart.length < L + 2) this.vStepStart = new Int32Array(L + 2);
    const stepStart = this.vStepStart;
    let stepCol = this.vStepCol;
    let stepDir = this.vStepDir;
    let steps = 0;
    for (let i = 0; i < L; i++) {
      stepStart[i + 1] = steps;
      const wt2 = 2 * kindWeight[flags[bs + i]! & FLAG_KIND]!;
      let j = this.firstColumn(itemIds[bs + i]!);
      if (j === 0) continue;
      let carry = g[j - 1]!; // new value of column j − 1
      let oldLeft = carry; // its value before this token
      let match = j;
      for (;;) {
        const old = g[j]!;
        let h = old; // skip the problem token
        let d = 2;
        if (j === match) {
          if (oldLeft + wt2 >= h) {
            h = oldLeft + wt2;
            d = 1;
          }
          match = next[j]!;
        }
        const left = carry - (rowFormula[j - 1] ? formulaGap : gap);
        if (left > h) {
          h = left;
          d = 3;
        }
        g[j] = h;
        if (d !== 2) {
          if (steps === stepCol.length) {
            const col = new Int32Array(steps * 2);
            col.set(stepCol);
            stepCol = this.vStepCol = col;
            const dir = new Uint8Array(steps * 2);
            dir.set(stepDir);
            stepDir = this.vStepDir = dir;
          }
          stepCol[steps] = j;
          stepDir[steps++] = d;
        }
        if (h === old) {
          // unchanged: so are the columns up to the next one holding the token
          if (match === 0) break;
          j = match;
          carry = g[j - 1]!;
          oldLeft = carry;
          continue;
        }
        if (j === W) break;
        oldLeft = old;
        carry = h;
        j++;
      }
    }
    stepStart[L + 1] = steps;
    let bj = 0; // ... and end anywhere: the best last column
    for (let j = 1; j <= W; j++) if (g[j]! > g[bj]!) bj = j;
    const benchAligned = this.vBenchAligned;
    const rowAligned = this.vRowAligned;
    benchAligned.fill(0, 0, L);
    rowAligned.fill(0, 0, W);
    let rowFirst = W;
    let rowLast = -1;
    for (let i = L, j = bj; i > 0; ) {
      // the step recorded for (i, j), "skip the problem token" when none (records ascend by column)
      let d = 2;
      let lo = stepStart[i]!;
      let hi = stepStart[i + 1]! - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = stepCol[mid]!;
        if (c === j) {
          d = stepDir[mid]!;
          break;
        }
        if (c < j) lo = mid + 1;
        else hi = mid - 1;
      }
      if (d === 1) {
        benchAligned[i - 1] = 1;
        rowAligned[j - 1] = 1;
        if (j - 1 < rowFirst) rowFirst = j - 1;
        if (j - 1 > rowLast) rowLast = j - 1;
        i--;
        j--;
      } else if (d === 2) i--;
      else j--;
    }
    this.vRowFirst = rowFirst;
    this.vRowLast = rowLast;
  }

  /** verifyAlign by the full recurrence and traceback matrix (negative gaps, where the walk does not apply) */
  private verifyAlignDense(ts: TokenStream, bs: number, L: number, from: number, W: number, gap: number, formulaGap: number): void {
    const a = this.a;
    if (this.vDir.length < (L + 1) * (W + 1)) this.vDir = new Uint8Array((L + 1) * (W + 1));
    let prev = this.vPrev;
    let cur = this.vCur;
    const dir = this.vDir;
    const rowIds = ts.masked;
    const itemIds = a.itemTokMasked;
    const flags = a.itemTokFlags;
    const kindWeight = this.kindWeight;
    const rowFormula = this.vRowFormula;
    const stride = W + 1;
    prev.fill(0, 0, W + 1); // the row stretch may start anywhere
    for (let i = 0; i < L; i++) {
      const b = itemIds[bs + i]!;
      const wt = kindWeight[flags[bs + i]! & FLAG_KIND]!;
      const row = (i + 1) * stride;
      cur[0] = prev[0]! - wt;
      dir[row] = 2;
      for (let j = 1; j <= W; j++) {
        let h = prev[j]! - wt; // skip the problem token
        let d = 2;
        if (rowIds[from + j - 1] === b) {
          const diag = prev[j - 1]! + wt;
          if (diag >= h) {
            h = diag;
            d = 1;
          }
        }
        const left = cur[j - 1]! - (rowFormula[j - 1] ? formulaGap : gap);
        if (left > h) {
          h = left;
          d = 3;
        }
        cur[j] = h;
        dir[row + j] = d;
      }
      const tmp = prev;
      prev = cur;
      cur = tmp;
    }
    let bj = 0; // ... and end anywhere: the best last column
    for (let j = 1; j <= W; j++) if (prev[j]! > prev[bj]!) bj = j;
    const benchAligned = this.vBenchAligned;
    const rowAligned = this.vRowAligned;
    benchAligned.fill(0, 0, L);
    rowAligned.fill(0, 0, W);
    let rowFirst = W;
    let rowLast = -1;
    for (let i = L, j = bj; i > 0; ) {
      const d = dir[i * stride + j]!;
      if (d === 1) {
        benchAligned[i - 1] = 1;
        rowAligned[j - 1] = 1;
        if (j - 1 < rowFirst) rowFirst = j - 1;
        if (j - 1 > rowLast) rowLast = j - 1;
        i--;
        j--;
      } else if (d === 2) i--;
      else j--;
    }
    this.vRowFirst = rowFirst;
    this.vRowLast = rowLast;
  }

  /** the row's tokens with their counts (open addressing, stamped) */
  private buildRowSet(ts: TokenStream, stamp: number): void {
    let cap = this.rowSetKey.length;
    if (cap < ts.count * 2) {
      while (cap < ts.count * 2) cap *= 2;
      this.rowSetKey = new Int32Array(cap);
      this.rowSetStamp = new Uint32Array(cap);
      this.rowSetCount = new Uint32Array(cap);
      this.rowSetUsed = new Uint32Array(cap);
      this.rowSetUsedMark = new Uint32Array(cap);
      this.rowSetMask = cap - 1;
    }
    const mask = this.rowSetMask;
    const setKey = this.rowSetKey;
    const setStamp = this.rowSetStamp;
    const setCount = this.rowSetCount;
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
   * Upper bound on the alignment coverage: can the problem's tokens that also occur in the row, each
   * id counted at most as often as the row has it, weigh ≥ `need` × total? (The alignment pairs equal
   * tokens one to one, so it never aligns more.) Tokens are visited heaviest first (`boundOrder`), so
   * the count limit keeps the heaviest occurrences, and the loop stops once `need` is out of reach.
   */
  private inRowSet(it: number, stamp: number, need: number): boolean {
    const a = this.a;
    const total = a.itemWeight[it]!;
    if (total === 0) return false;
    const mask = this.rowSetMask;
    const mark = ++this.boundMark;
    if (mark === 0xffffffff) {
      this.rowSetUsedMark.fill(0);
      this.boundMark = 1;
    }
    const order = this.boundOrder;
    const boundMark = this.boundMark;
    const setKey = this.rowSetKey;
    const setStamp = this.rowSetStamp;
    const setCount = this.rowSetCount;
    const setUsed = this.rowSetUsed;
    const setUsedMark = this.rowSetUsedMark;
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
          if (setUsedMark[s] !== boundMark) {
            setUsedMark[s] = boundMark;
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

  /** sets (or clears) the bit of every row token id in ROW_BITS (bit id >>> 20) */
  private setRowBits(ts: TokenStream, on: boolean): void {
    const bits = ROW_BITS;
    const ids = ts.hash;
    if (on) {
      for (let i = 0; i < ts.count; i++) {
        const h = ids[i]!;
        bits[h >>> 25]! |= 1 << ((h >>> 20) & 31);
      }
    } else for (let i = 0; i < ts.count; i++) bits[ids[i]! >>> 25] = 0;
  }

  /**
   * The bound of inRowSet without counts and with a bit per 2^20 ids: can the problem's tokens whose
   * id bit is set in ROW_BITS weigh ≥ `need` × total? At least as high as inRowSet's bound (every
   * token inRowSet counts has its bit set), so a false here is a false there.
   */
  private inRowBits(it: number, need: number): boolean {
    const a = this.a;
    const total = a.itemWeight[it]!;
    if (total === 0) return false;
    const bits = ROW_BITS;
    const order = this.boundOrder;
    const itemTok = a.itemTok;
    const itemTokWeight = a.itemTokWeight;
    const target = need * total;
    let present = 0;
    let left = total;
    const end = a.itemTokStart[it + 1]!;
    for (let q = a.itemTokStart[it]!; q < end; q++) {
      const t = order[q]!;
      const w = itemTokWeight[t]!;
      if (w === 0) break;
      const h = itemTok[t]!;
      present += w & (0 - ((bits[h >>> 25]! >>> ((h >>> 20) & 31)) & 1));
      left -= w;
      if (present + left < target) return false;
    }
    return present >= target;
  }

  /** false only when anchorsPresent() is false (buildAnchorGate); cheap: few of its keys occur in rows */
  private anchorGate(ts: TokenStream, stamp: number): boolean {
    const rec = this.gateRec;
    const mask = this.gateMask;
    const filter = this.gateFilter;
    const need = this.gateNeed;
    const count = this.gateCount;
    const ids = ts.hash;
    const vocab = this.anchorVocab;
    const base = ROLL_BASE | 0;
    let touched = 0;
    let any = false;
    // the vocabulary test of anchorsPresent and the gate's bit filter as one 0/1 value, so the loop
    // has one rarely taken branch instead of a data-dependent one per token
    let inVocab = ts.count > 0 ? (vocab[ids[0]! >>> 25]! >>> ((ids[0]! >>> 20) & 31)) & 1 : 0;
    for (let i = 0; i + 2 <= ts.count && !any; i++) {
      const y = ids[i + 1]!;
      const next = (vocab[y >>> 25]! >>> ((y >>> 20) & 31)) & 1;
      const key = rollKey((Math.imul(ids[i]!, base) + y) | 0);
      const b = key >>> 20;
      const probe = (filter[b >>> 5]! >>> (b & 31)) & inVocab & next;
      inVocab = next;
      if (probe === 0) continue; // not both tokens in the anchor vocabulary (as in anchorsPresent), or no gate key
      let s = key & mask;
      let r = -1;
      for (;;) {
        const q = s << 2;
        if (rec[q + 2]! < 0) break;
        if (rec[q] === (key | 0)) {
          r = q;
          break;
        }
        s = (s + 1) & mask;
      }
      if (r < 0 || rec[r + 3] === stamp) continue;
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) {
        const it = this.gateItems[p]!;
        if (count[it] === 0) this.touched[touched++] = it;
        if (++count[it]! >= need[it]!) any = true;
      }
    }
    for (let j = 0; j < touched; j++) count[this.touched[j]!] = 0;
    return any;
  }

  /** does the row contain ≥ 80% of the distinct token bigrams of some short problem? */
  private anchorsPresent(ts: TokenStream, stamp: number): boolean {
    const t = this.parts.anchors;
    const rec = t.rec!;
    const a = this.a;
    let touched = 0;
    let any = false;
    const ids = ts.hash;
    const filter = t.filter!;
    const shift = t.filterShift!;
    const vocab = this.anchorVocab;
    const base = ROLL_BASE | 0;
    let inVocab = ts.count > 0 && (vocab[ids[0]! >>> 25]! & (1 << ((ids[0]! >>> 20) & 31))) !== 0;
    for (let i = 0; i + 2 <= ts.count && !any; i++) {
      const next = (vocab[ids[i + 1]! >>> 25]! & (1 << ((ids[i + 1]! >>> 20) & 31))) !== 0;
      const both = inVocab && next;
      inVocab = next;
      if (!both) continue; // a token no short problem has: no anchor bigram
      const key = rollKey((Math.imul(ids[i]!, base) + ids[i + 1]!) | 0);
      const b = key >>> shift;
      if ((filter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const r = findRecord(t, key);
      if (r < 0 || rec[r + 3] === stamp) continue; // absent, or already counted in this row
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) {
        const it = t.postItem[p]!;
        if (this.hits[it] === 0) this.touched[touched++] = it;
        this.hits[it]!++;
        if (this.hits[it]! >= 0.8 * a.itemAnchors[it]!) any = true;
      }
    }
    for (let j = 0; j < touched; j++) this.hits[this.touched[j]!] = 0;
    return any;
  }

  /** keep the current seed cluster of `it` as its best when it has more hits (→ hitMin/hitMax) */
  private closeCluster(it: number, sn: number): void {
    if (this.cCount[it]! > this.bCount[it]!) {
      this.bCount[it] = this.cCount[it]!;
      this.hitMin[it] = this.cStart[it]!;
      this.hitMax[it] = this.cLast[it]! + sn - 1;
    }
  }

  /** a new row: a stamp no table record carries yet (int32, as stored in the records) */
  private nextStamp(): number {
    this.stamp++;
    if (this.stamp === 0x7fffffff) {
      for (const t of TABLES) {
        const rec = this.parts[t].rec;
        if (rec) for (let r = 3; r < rec.length; r += 4) rec[r] = 0;
      }
      this.seenStamp.fill(0);
      for (let r = 3; r < this.gateRec.length; r += 4) this.gateRec[r] = 0;
      this.stamp = 1;
    }
    return this.stamp;
  }

  /**
   * All benchmark problems that `text` matches, strongest first (exact, digits, ngram, aligned,
   * chars; then by score). At most one match per benchmark problem (the strongest rule).
   *
   * The steps are separate methods so that the hot path (a row that matches nothing) is a few small
   * functions the JIT compiles quickly, and the rarely taken ones (candidates, matches, reports) do
   * not deoptimise it when they first run.
   */
  match(text: string, field: "problem" | "response" = "problem"): ContaminationMatch[] {
    // ids only; tokenised again in full (spans, canonical text) when a match or the shingle pass needs it
    const ts = tokenize(text, this.ts, false);
    if (ts.count === 0) return [];
    // 1–2. exact and digit-insensitive keys of the whole (stripped) row
    let found = this.wholeRow(text, ts);
    const stamp = this.nextStamp();
    // 3. seed n-grams pick candidates; bounds, containment and alignments decide
    const touched = this.parts.seeds.postItem.length > 0 ? this.seedScan(ts, stamp) : 0;
    if (touched > 0) found = this.candidates(text, ts, stamp, touched, found);
    // 4. character shingles for short problems, only when the row holds most tokens of one of them
    if (this.parts.shingles.postItem.length > 0 && this.anchorGate(ts, stamp) && this.anchorsPresent(ts, stamp)) found = this.shinglePass(text, ts, stamp, found);
    if (found === null) return [];
    return this.report(text, field, found);
  }

  /**
   * Rules 1–2: the exact and digit-insensitive keys of the whole (stripped) row. Both need the masked
   * token sequence to equal a problem's, which one 32-bit hash and a bit test rule out for most rows.
   */
  private wholeRow(text: string, ts: TokenStream): Map<number, Found> | null {
    contentRangeInto(ts, this.range);
    const from = this.range[0]!;
    const to = this.range[1]!;
    if (to <= from || !this.maskedPossible(sequenceHash32(ts.masked, from, to))) return null;
    return this.wholeRowKeys(text, ts, from, to);
  }

  private wholeRowKeys(text: string, ts: TokenStream, from: number, to: number): Map<number, Found> | null {
    const o = this.options;
    let found: Map<number, Found> | null = null;
    const ex = this.exact.get(sequenceKey(ts.hash, from, to));
    const dg = o.digitInsensitive && to - from >= o.minDigitTokens ? this.digits.get(sequenceKey(ts.masked, from, to)) : undefined;
    if (ex || dg) {
      if (!ts.full) tokenize(text, ts, true);
      const fullSpan: [number, number] = [ts.srcStart[from]!, ts.srcEnd[to - 1]!];
      if (ex) for (const it of ex) (found ??= new Map()).set(it, { method: "exact", score: 1, span: fullSpan, bspan: null });
      if (dg) for (const it of dg) if (!found?.has(it)) (found ??= new Map()).set(it, { method: "digits", score: 1, span: fullSpan, bspan: null });
    }
    return found;
  }

  /**
   * 3a. Seed n-grams of the row (rolling window key, ngram.ts windowKey; bit filter first): every
   * problem they touch gets its hit counters and seed-hit clusters. Returns how many problems were
   * touched (listed in `touched`).
   */
  private seedScan(ts: TokenStream, stamp: number): number {
    const seeds = this.parts.seeds;
    const sn = this.options.seedNgram;
    const content = ts.content;
    const cc = ts.contentCount;
    let touched = 0;
    const filter = seeds.filter!;
    const shift = seeds.filterShift!;
    const outPow = rollPower(sn);
    const base = ROLL_BASE | 0;
    // the row's seeds, however many chunks they take, fit the repeat table at half load
    if (this.seenKey.length < cc * 2) {
      let cap = this.seenKey.length;
      while (cap < cc * 2) cap *= 2;
      this.seenKey = new Int32Array(cap);
      this.seenStamp = new Int32Array(cap);
    }
    const seenKey = this.seenKey;
    const seenStamp = this.seenStamp;
    const seenMask = seenKey.length - 1;
    // module-level arrays: V8 compiles their addresses into the loop (an instance's arrays have their
    // type and bounds loaded again on every access in a loop that stores)
    const keys = SEED_KEYS;
    const pos = SEED_POS;
    let h = 0;
    for (let q0 = 0; q0 < cc; q0 += SEED_CHUNK) {
      const q1 = Math.min(cc, q0 + SEED_CHUNK);
      // pass 1: the window keys that pass the bit filter, in row order (branch-free: every key is
      // written, the count advances by the filter bit)
      let m = 0;
      for (let q = q0; q < q1; q++) {
        h = (Math.imul(h, base) + content[q]!) | 0;
        if (q >= sn) h = (h - Math.imul(content[q - sn]!, outPow)) | 0;
        if (q < sn - 1) continue;
        // rollKey(h) (ngram.ts) written out: a call to an imported function is re-checked on every
        // iteration
        let key = h ^ (h >>> 16);
        key = Math.imul(key, 0x7feb352d);
        key = (key ^ (key >>> 15)) >>> 0;
        const b = key >>> shift;
        keys[m] = key;
        pos[m] = q - sn + 1;
        m += (filter[b >>> 5]! >>> (b & 31)) & 1;
      }
      touched = this.seedProbe(m, stamp, touched, seenKey, seenStamp, seenMask);
    }
    return touched;
  }

  /** seedScan's pass 2 over the `m` keys of a chunk: table probes (independent loads, so their cache misses overlap) and postings */
  private seedProbe(m: number, stamp: number, touched: number, seenKey: Int32Array, seenStamp: Int32Array, seenMask: number): number {
    const seeds = this.parts.seeds;
    const sn = this.options.seedNgram;
    const pair = seeds.pair!;
    const pairMask = seeds.pairMask!;
    const keys = SEED_KEYS;
    const pos = SEED_POS;
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
        touched = this.seedHit(packed >>> 4, i, sn, touched);
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
      for (; p < e; p++) touched = this.seedHit(seeds.postItem[p]!, i, sn, touched);
    }
    return touched;
  }

  /** a seed of problem `it` at row content position `i`: hit counters and clusters; returns `touched` */
  private seedHit(it: number, i: number, sn: number, touched: number): number {
    if (this.seedHits[it] === 0) {
      this.touched[touched++] = it;
      this.cStart[it] = i;
      this.cLast[it] = i;
      this.cCount[it] = 0;
      this.bCount[it] = 0;
    } else if (i - this.cLast[it]! > this.a.itemTokStart[it + 1]! - this.a.itemTokStart[it]!) {
      // a gap longer than the problem: close the current cluster of hits, keep the best
      this.closeCluster(it, sn);
      this.cStart[it] = i;
      this.cCount[it] = 0;
    }
    this.seedHits[it]!++;
    this.cCount[it]!++;
    this.cLast[it] = i;
    return touched;
  }

  /** 3b–3e for the `touched` problems of seedScan; returns `found` with the matches added */
  private candidates(text: string, ts: TokenStream, stamp: number, touched: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const a = this.a;
    const sn = o.seedNgram;
    // 3b. candidates: the densest cluster of seed hits must hold enough of the problem's seeds
    let candidates = 0;
    const seedNeed = this.seedNeed;
    for (let j = 0; j < touched; j++) {
      const it = this.touched[j]!;
      // the best cluster holds at most all of the row's hits: too few hits, no candidate
      if (this.seedHits[it]! < seedNeed[it]!) {
        this.seedHits[it] = 0;
        continue;
      }
      this.closeCluster(it, sn);
      const seedCount = this.bCount[it]!;
      const pass = !found?.has(it) && seedCount >= o.minSeeds && seedCount >= o.seedFraction * a.itemSeeds[it]!;
      this.seedHits[it] = pass ? 1 : 0; // from here on: candidate mark
      if (pass) {
        this.touched[candidates++] = it;
        this.hits[it] = 0;
        this.itemMin[it] = 0xffffffff;
        this.itemMax[it] = 0;
      }
    }
    if (candidates === 0) return found;
    // 3c. cheap upper bounds on the alignment coverage before any n-gram or alignment work: most
    // candidates, and so most rows, stop here. First with a bit set of the row's token ids
    // (inRowBits: no hashing, no counts), then exactly (inRowSet: each id counted at most as often as
    // the row has it). The first bound is never below the second, so it drops only candidates the
    // second would drop.
    const need = Math.min(o.coverage, o.coverageFloor);
    this.setRowBits(ts, true);
    let kept = 0;
    for (let j = 0; j < candidates; j++) {
      const it = this.touched[j]!;
      if (this.inRowBits(it, need)) this.touched[kept++] = it;
      else this.seedHits[it] = 0;
    }
    this.setRowBits(ts, false);
    if (kept === 0) return found;
    candidates = kept;
    this.buildRowSet(ts, stamp);
    kept = 0;
    for (let j = 0; j < candidates; j++) {
      const it = this.touched[j]!;
      if (this.inRowSet(it, stamp, need)) this.touched[kept++] = it;
      else this.seedHits[it] = 0;
    }
    if (kept === 0) return found;
    return this.decide(text, ts, stamp, kept, found);
  }

  /** 3d–3e: distinctive n-gram containment and alignments of the `candidates` left by the bound */
  private decide(text: string, ts: TokenStream, stamp: number, candidates: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const a = this.a;
    const content = ts.content;
    const cc = ts.contentCount;
    // 3d. distinctive n-gram containment of the candidates
    const t = this.parts.ngrams;
    const n = o.ngram;
    if (t.postItem.length > 0) {
      const ngramRec = t.rec!;
      const filter = t.filter!;
      const shift = t.filterShift!;
      const outPow = rollPower(n);
      const base = ROLL_BASE | 0;
      let h = 0;
      for (let q = 0; q < cc; q++) {
        h = (Math.imul(h, base) + content[q]!) | 0;
        if (q >= n) h = (h - Math.imul(content[q - n]!, outPow)) | 0;
        if (q < n - 1) continue;
        const key = rollKey(h);
        const b = key >>> shift;
        if ((filter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
        const r = findRecord(t, key);
        if (r < 0 || ngramRec[r + 3] === stamp) continue;
        ngramRec[r + 3] = stamp;
        for (let p = ngramRec[r + 1]!, e = ngramRec[r + 2]!; p < e; p++) {
          const it = t.postItem[p]!;
          if (this.seedHits[it] === 0) continue; // not a candidate
          this.hits[it]!++;
          const bpos = t.postPos[p]!;
          if (bpos < this.itemMin[it]!) this.itemMin[it] = bpos;
          if (bpos + n - 1 > this.itemMax[it]!) this.itemMax[it] = bpos + n - 1;
        }
      }
    }
    // 3e. decide per candidate
    for (let j = 0; j < candidates; j++) {
      const it = this.touched[j]!;
      this.seedHits[it] = 0;
      const ngramHits = this.hits[it]!;
      this.hits[it] = 0; // scratch counters are zero between phases
      const seedCount = this.bCount[it]!;
      const first = ts.contentPos[this.hitMin[it]!]!;
      const last = ts.contentPos[Math.min(this.hitMax[it]!, cc - 1)]! + 1;
      const ngrams = a.itemNgrams[it]!;
      const containment = ngrams > 0 ? ngramHits / ngrams : 0;
      const coverage = this.alignCoverage(ts, it, first, last, false, this.explain ? 0 : Math.min(o.coverage, o.coverageFloor));
      let maskedCoverage = -1;
      let method: ContaminationMethod | null = null;
      let score = 0;
      if (ngrams >= o.minNgrams && containment >= o.threshold && coverage >= o.coverageFloor) {
        method = "ngram";
        score = containment;
      } else if (coverage >= o.coverage) {
        method = "aligned";
        score = coverage;
      } else if (o.digitInsensitive && coverage >= o.coverageFloor && a.itemTokStart[it + 1]! - a.itemTokStart[it]! >= o.minDigitTokens) {
        maskedCoverage = this.alignCoverage(ts, it, first, last, true, this.explain ? 0 : o.maskedCoverage);
        if (maskedCoverage >= o.maskedCoverage) {
          method = "digits";
          score = maskedCoverage;
        }
      }
      let verified = false;
      if (method) {
        // a rule fired: the alignment must not miss a phrase of the problem nor change its formulas
        verified = this.verify(ts, it, first, last);
      }
      if (this.explain) {
        if (maskedCoverage < 0) maskedCoverage = this.alignCoverage(ts, it, first, last, true);
        const v = method ? { missingRun: this.lastMissingRun, formulaEdits: this.lastFormulaEdits } : { missingRun: -1, formulaEdits: -1 };
        this.explain.push({ item: it, seeds: seedCount, containment, coverage, maskedCoverage, ...v, rule: method, verified });
      }
      if (method && verified) {
        const bspan: [number, number] | null =
          method === "ngram" && this.itemMax[it]! >= this.itemMin[it]! ? [this.itemMin[it]!, this.itemMax[it]!] : null;
        if (!ts.full) tokenize(text, ts, true);
        (found ??= new Map()).set(it, { method, score, span: [ts.srcStart[first]!, ts.srcEnd[last - 1]!], bspan });
      }
    }
    return found;
  }

  /** 4. character shingles of the row against the short problems (rule `chars`) */
  private shinglePass(text: string, ts: TokenStream, stamp: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const a = this.a;
    const s = this.parts.shingles;
    if (!ts.full) tokenize(text, ts, true);
    const k = o.charShingle;
    const shRec = s.rec!;
    const shFilter = s.filter!;
    const shShift = s.filterShift!;
    let touched = 0;
    const canon = ts.canon;
    const len = ts.canonLength;
    const pow = shinglePow(k);
    let roll = len >= k ? shingleStart(canon, 0, k) : 0;
    for (let i = 0; i + k <= len; i++) {
      if (i > 0) roll = rollShingle(roll, canon[i - 1]!, canon[i + k - 1]!, pow);
      const key = mixShingle(roll);
      const b = key >>> shShift;
      if ((shFilter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const r = findRecord(s, key);
      if (r < 0 || shRec[r + 3] === stamp) continue;
      shRec[r + 3] = stamp;
      for (let p = shRec[r + 1]!, e = shRec[r + 2]!; p < e; p++) {
        const it = s.postItem[p]!;
        if (this.hits[it] === 0) {
          // first shingle hit for this item in this row
          this.touched[touched++] = it;
          this.hitMin[it] = i;
        }
        this.hits[it]!++;
        this.hitMax[it] = i;
      }
    }
    for (let j = 0; j < touched; j++) {
      const it = this.touched[j]!;
      const score = this.hits[it]! / a.itemShingles[it]!;
      this.hits[it] = 0;
      if (score >= o.charThreshold && !found?.has(it)) {
        (found ??= new Map()).set(it, {
          method: "chars",
          score,
          span: [canonToSource(ts, this.hitMin[it]!, false), canonToSource(ts, this.hitMax[it]! + k - 1, true)],
          bspan: null,
        });
      }
    }
    return found;
  }

  /** the matches of one row as reported: strongest first, with benchmark spans and snippets */
  private report(text: string, field: "problem" | "response", found: Map<number, Found>): ContaminationMatch[] {
    const a = this.a;
    const rank = { exact: 0, digits: 1, ngram: 2, aligned: 3, chars: 4 } as const;
    const out: ContaminationMatch[] = [];
    const sorted = [...found.entries()].sort(
      (x, y) => rank[x[1].method] - rank[y[1].method] || y[1].score - x[1].score || x[0] - y[0],
    );
    for (const [it, m] of sorted) {
      const btext = this.itemText[it]!;
      const bt = tokenize(btext, this.bt);
      let bspan: [number, number];
      if (m.bspan && bt.contentCount > 0) {
        // content positions in the benchmark problem → character offsets
        const lastPos = Math.min(m.bspan[1], bt.contentCount - 1);
        bspan = [bt.srcStart[bt.contentPos[m.bspan[0]]!]!, bt.srcEnd[bt.contentPos[lastPos]!]!];
      } else {
        const [bf, bto] = contentRange(bt);
        bspan = bto > bf ? [bt.srcStart[bf]!, bt.srcEnd[bto - 1]!] : [0, btext.length];
      }
      out.push({
        benchmark: this.benchmarks[a.itemBenchmark[it]!]!,
        item: this.itemId[it]!,
        method: m.method,
        score: Math.round(m.score * 1e4) / 1e4,
        field,
        span: m.span,
        benchmarkSpan: bspan,
        snippet: snippet(text, m.span[0], m.span[1]),
        benchmarkSnippet: snippet(btext, bspan[0], bspan[1]),
      });
    }
    return out;
  }

  private get exact(): Map<number, number[]> {
    return this.parts.exact;
  }

  private get digits(): Map<number, number[]> {
    return this.parts.digits;
  }

  /** Serialise to bytes: a magic line, a JSON header line, then the typed arrays (8-byte aligned). */
  serialize(): Buffer {
    const arrays: [string, Uint32Array | Int32Array | Uint16Array | Uint8Array][] = [];
    for (const [name, arr] of Object.entries(this.a)) arrays.push([name, arr]);
    for (const tn of TABLES) for (const an of TABLE_ARRAYS) arrays.push([`${tn}.${an}`, this.parts[tn][an]]);
    const layout: { name: string; type: string; offset: number; length: number }[] = [];
    let offset = 0;
    for (const [name, arr] of arrays) {
      offset = (offset + 7) & ~7;
      layout.push({ name, type: arr.constructor.name, offset, length: arr.length });
      offset += arr.byteLength;
    }
    const header = JSON.stringify({
      options: this.options,
      benchmarks: this.benchmarks,
      itemId: this.itemId,
      itemText: this.itemText,
      exact: [...this.parts.exact.entries()],
      digits: [...this.parts.digits.entries()],
      masks: Object.fromEntries(TABLES.map((tn) => [tn, this.parts[tn].mask])),
      layout,
    });
    const head = Buffer.from(MAGIC + header + "\n", "utf8");
    const body = Buffer.alloc(offset);
    for (let i = 0; i < arrays.length; i++) {
      const arr = arrays[i]![1];
      Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(body, layout[i]!.offset);
    }
    return Buffer.concat([head, body]);
  }

  static deserialize(bytes: Uint8Array, source = "index"): ContaminationIndex {
    const magic = Buffer.from(MAGIC, "utf8");
    if (bytes.length < magic.length || !Buffer.from(bytes.subarray(0, magic.length)).equals(magic)) {
      throw new Error(`${source}: not a curate decontamination index (expected it to start with ${JSON.stringify(MAGIC.trim())})`);
    }
    let nl = magic.length;
    while (nl < bytes.length && bytes[nl] !== 10) nl++;
    if (nl >= bytes.length) throw new Error(`${source}: truncated decontamination index (header has no end)`);
    const header = JSON.parse(Buffer.from(bytes.subarray(magic.length, nl)).toString("utf8")) as {
      options: IndexOptions;
      benchmarks: string[];
      itemId: string[];
      itemText: string[];
      exact: [number, number[]][];
      digits: [number, number[]][];
      masks: Record<string, number>;
      layout: { name: string; type: string; offset: number; length: number }[];
    };
    const bodyStart = nl + 1;
    const ctors = { Int32Array, Uint16Array, Uint32Array, Uint8Array } as const;
    const get = (name: string): any => {
      const l = header.layout.find((x) => x.name === name);
      if (!l) throw new Error(`${source}: decontamination index lacks array ${name}`);
      const Ctor = ctors[l.type as keyof typeof ctors];
      if (!Ctor) throw new Error(`${source}: decontamination index array ${name} has unknown type ${l.type}`);
      const byteLen = l.length * Ctor.BYTES_PER_ELEMENT;
      if (bodyStart + l.offset + byteLen > bytes.length) throw new Error(`${source}: truncated decontamination index (array ${name})`);
      const copy = new Uint8Array(byteLen); // aligned copy
      copy.set(bytes.subarray(bodyStart + l.offset, bodyStart + l.offset + byteLen));
      return new Ctor(copy.buffer);
    };
    const table = (tn: string): PostingTable => ({
      mask: header.masks[tn]!,
      slotKey: get(`${tn}.slotKey`),
      slotList: get(`${tn}.slotList`),
      listStart: get(`${tn}.listStart`),
      postItem: get(`${tn}.postItem`),
      postPos: get(`${tn}.postPos`),
    });
    return new ContaminationIndex({
      options: header.options,
      benchmarks: header.benchmarks,
      itemId: header.itemId,
      itemText: header.itemText,
      exact: new Map(header.exact),
      digits: new Map(header.digits),
      arrays: {
        itemBenchmark: get("itemBenchmark"),
        itemNgrams: get("itemNgrams"),
        itemSeeds: get("itemSeeds"),
        itemShingles: get("itemShingles"),
        itemAnchors: get("itemAnchors"),
        itemTokStart: get("itemTokStart"),
        itemTok: get("itemTok"),
        itemTokMasked: get("itemTokMasked"),
        itemTokWeight: get("itemTokWeight"),
        itemTokFlags: get("itemTokFlags"),
        itemWeight: get("itemWeight"),
      },
      ngrams: table("ngrams"),
      seeds: table("seeds"),
      shingles: table("shingles"),
      anchors: table("anchors"),
    });
  }
}

/** Map a position in the canonical character buffer back to the source text. */
function canonToSource(ts: TokenStream, canonPos: number, end: boolean): number {
  // binary search the token containing canonPos
  let lo = 0;
  let hi = ts.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ts.canonStart[mid]! <= canonPos) lo = mid;
    else hi = mid - 1;
  }
  return end ? ts.srcEnd[lo]! : ts.srcStart[lo]!;
}
