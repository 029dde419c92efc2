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
 *
 * This file is the matcher's flow; the steps live beside it: index-build.ts (the parts, built from
 * the problems), index-file.ts (saved and loaded), statement-range.ts (labels and instructions),
 * seed-scan.ts (3a), coverage-bound.ts (3c), coverage.ts and verify.ts (3e), anchor-gate.ts (4).
 */
import type { BenchmarkItem, ContaminationMatch, ContaminationMethod } from "./types.js";
import { TokenStream } from "./token-stream.js";
import { tokenize } from "./tokenize.js";
import { contentRange, contentRangeInto } from "./statement-range.js";
import { ROLL_BASE, mixShingle, rollKey, rollPower, rollShingle, sequenceHash32, sequenceKey, shinglePow, shingleStart } from "./ngram.js";
import { addProbes, findRecord } from "./posting-table.js";
import { TABLES, buildIndexParts, type IndexArrays, type IndexParts } from "./index-build.js";
import { deserializeIndex, serializeIndex } from "./index-file.js";
import { resolveIndexOptions, type CommonNgramSet, type IndexOptions } from "./index-options.js";
import { SeedClusters } from "./seed-scan.js";
import { CoverageBound } from "./coverage-bound.js";
import { CoverageAligner } from "./coverage.js";
import { MatchVerifier } from "./verify.js";
import { AnchorTest } from "./anchor-gate.js";
import { sameBases } from "./base-numbers.js";

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

/** a match found for one problem while scanning a row (before the report) */
type Found = { method: ContaminationMethod; score: number; span: [number, number]; bspan: [number, number] | null };

export class ContaminationIndex {
  readonly options: IndexOptions;
  readonly benchmarks: string[];
  readonly itemId: string[];
  readonly itemText: string[];
  private readonly parts: IndexParts;
  private readonly a: IndexArrays;

  // per-row state (an index instance is used by one thread at a time)
  private readonly ts = new TokenStream();
  private readonly bt = new TokenStream();
  private stamp = 0;
  /** content range of the current row (contentRangeInto) */
  private readonly range = new Int32Array(2);
  private readonly clusters: SeedClusters;
  private readonly bound: CoverageBound;
  private readonly aligner: CoverageAligner;
  private readonly verifier: MatchVerifier;
  private readonly anchorTest: AnchorTest;
  /** per candidate: distinctive n-gram hits, and the span of the problem they cover (content positions) */
  private readonly ngramHits: Uint32Array;
  private readonly ngramMin: Uint32Array;
  private readonly ngramMax: Uint32Array;
  /** per short problem in the shingle pass: shingle hits, first and last hit (canonical positions) */
  private readonly charHits: Uint32Array;
  private readonly charFirst: Uint32Array;
  private readonly charLast: Uint32Array;
  private readonly charTouched: Uint32Array;
  /** per problem: the least seed-hit count that can pass the candidate test */
  private readonly seedNeed: Uint32Array;
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
    const a = this.a;
    const o = this.options;
    const items = this.itemId.length;
    for (const tn of TABLES) addProbes(parts[tn]);
    this.clusters = new SeedClusters(a, parts.seeds, o.seedNgram);
    this.bound = new CoverageBound(a);
    this.aligner = new CoverageAligner(a, o.gapPenalty);
    this.verifier = new MatchVerifier(a, o);
    this.anchorTest = new AnchorTest(a, parts.anchors);
    this.ngramHits = new Uint32Array(items);
    this.ngramMin = new Uint32Array(items);
    this.ngramMax = new Uint32Array(items);
    this.charHits = new Uint32Array(items);
    this.charFirst = new Uint32Array(items);
    this.charLast = new Uint32Array(items);
    this.charTouched = new Uint32Array(items);
    // least seed-hit count that can pass the candidate test (seedCount ≥ minSeeds and ≥ seedFraction
    // × the problem's seeds), evaluated with the test's own comparisons
    this.seedNeed = new Uint32Array(items);
    for (let it = 0; it < items; it++) {
      let c = 0;
      const seedsOf = a.itemSeeds[it]!;
      while (!(c >= o.minSeeds && c >= o.seedFraction * seedsOf) && c <= seedsOf + 1) c++;
      this.seedNeed[it] = c;
      const s = a.itemTokStart[it]!;
      const e = a.itemTokStart[it + 1]!;
      if (e <= s) continue;
      const h = sequenceHash32(a.itemTokMasked, s, e) >>> 16;
      this.maskedFilter[h >>> 5]! |= 1 << (h & 31);
    }
  }

  get size(): number {
    return this.itemId.length;
  }

  static build(problems: BenchmarkItem[], options: Partial<IndexOptions> = {}, common: CommonNgramSet | null = null): ContaminationIndex {
    return new ContaminationIndex(buildIndexParts(problems, resolveIndexOptions(options), common));
  }

  /** Serialise to bytes (index-file.ts). */
  serialize(): Buffer {
    return serializeIndex(this.parts);
  }

  static deserialize(bytes: Uint8Array, source = "index"): ContaminationIndex {
    return new ContaminationIndex(deserializeIndex(bytes, source));
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

  /** a new row: a stamp no table record carries yet (int32, as stored in the records) */
  private nextStamp(): number {
    this.stamp++;
    if (this.stamp === 0x7fffffff) {
      for (const t of TABLES) {
        const rec = this.parts[t].rec;
        if (rec) for (let r = 3; r < rec.length; r += 4) rec[r] = 0;
      }
      this.bound.clearStamps();
      this.anchorTest.clearStamps();
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
    const touched = this.parts.seeds.postItem.length > 0 ? this.clusters.scan(ts, stamp) : 0;
    if (touched > 0) found = this.candidates(text, ts, stamp, touched, found);
    // 4. character shingles for short problems, only when the row holds most anchors of one of them
    if (this.parts.shingles.postItem.length > 0 && this.anchorTest.present(ts, stamp)) found = this.shinglePass(text, ts, stamp, found);
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
    if (to <= from) return null;
    const h = sequenceHash32(ts.masked, from, to) >>> 16;
    if ((this.maskedFilter[h >>> 5]! & (1 << (h & 31))) === 0) return null; // no problem has this masked sequence
    return this.wholeRowKeys(text, ts, from, to);
  }

  private wholeRowKeys(text: string, ts: TokenStream, from: number, to: number): Map<number, Found> | null {
    const o = this.options;
    let found: Map<number, Found> | null = null;
    const ex = this.parts.exact.get(sequenceKey(ts.hash, from, to));
    const dg = o.digitInsensitive && to - from >= o.minDigitTokens ? this.parts.digits.get(sequenceKey(ts.masked, from, to)) : undefined;
    if (ex || dg) {
      if (!ts.full) tokenize(text, ts, true);
      const fullSpan: [number, number] = [ts.srcStart[from]!, ts.srcEnd[to - 1]!];
      if (ex) for (const it of ex) (found ??= new Map()).set(it, { method: "exact", score: 1, span: fullSpan, bspan: null });
      // numbers changed, bases kept (base-numbers.ts)
      if (dg) for (const it of dg) if (!found?.has(it) && sameBases(this.a, it, ts.hash, from)) (found ??= new Map()).set(it, { method: "digits", score: 1, span: fullSpan, bspan: null });
    }
    return found;
  }

  /**
   * 3b–3c for the `touched` problems of the seed scan: the densest cluster of seed hits must hold
   * enough of the problem's seeds, and the coverage bound must allow the coverage threshold. Returns
   * `found` with the matches of the candidates left (decide) added.
   */
  private candidates(text: string, ts: TokenStream, stamp: number, touched: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const a = this.a;
    const clusters = this.clusters;
    const list = clusters.touched;
    const seedHits = clusters.seedHits;
    let candidates = 0;
    const seedNeed = this.seedNeed;
    for (let j = 0; j < touched; j++) {
      const it = list[j]!;
      // the best cluster holds at most all of the row's hits: too few hits, no candidate
      if (seedHits[it]! < seedNeed[it]!) {
        seedHits[it] = 0;
        continue;
      }
      clusters.closeCluster(it);
      const seedCount = clusters.bCount[it]!;
      const pass = !found?.has(it) && seedCount >= o.minSeeds && seedCount >= o.seedFraction * a.itemSeeds[it]!;
      seedHits[it] = pass ? 1 : 0; // from here on: candidate mark
      if (pass) {
        list[candidates++] = it;
        this.ngramHits[it] = 0;
        this.ngramMin[it] = 0xffffffff;
        this.ngramMax[it] = 0;
      }
    }
    if (candidates === 0) return found;
    // 3c. the coverage bound, before any n-gram or alignment work: most candidates stop here
    const need = Math.min(o.coverage, o.coverageFloor);
    this.bound.setRow(ts, stamp);
    let kept = 0;
    for (let j = 0; j < candidates; j++) {
      const it = list[j]!;
      if (this.bound.holds(it, need)) list[kept++] = it;
      else seedHits[it] = 0;
    }
    if (kept === 0) return found;
    this.ngramContainment(ts, stamp);
    return this.decide(text, ts, kept, found);
  }

  /** 3d. distinctive n-grams of the row: hits and covered problem span of every candidate */
  private ngramContainment(ts: TokenStream, stamp: number): void {
    const t = this.parts.ngrams;
    if (t.postItem.length === 0) return;
    const n = this.options.ngram;
    const content = ts.content;
    const cc = ts.contentCount;
    const candidate = this.clusters.seedHits;
    const rec = t.rec!;
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
      if (r < 0 || rec[r + 3] === stamp) continue;
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) {
        const it = t.postItem[p]!;
        if (candidate[it] === 0) continue;
        this.ngramHits[it]!++;
        const bpos = t.postPos[p]!;
        if (bpos < this.ngramMin[it]!) this.ngramMin[it] = bpos;
        if (bpos + n - 1 > this.ngramMax[it]!) this.ngramMax[it] = bpos + n - 1;
      }
    }
  }

  /** 3e. the rules for each of the `candidates` (the first entries of the seed scan's list) */
  private decide(text: string, ts: TokenStream, candidates: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const a = this.a;
    const clusters = this.clusters;
    const cc = ts.contentCount;
    for (let j = 0; j < candidates; j++) {
      const it = clusters.touched[j]!;
      clusters.seedHits[it] = 0; // scratch counters are zero between rows
      const first = ts.contentPos[clusters.hitMin[it]!]!;
      const last = ts.contentPos[Math.min(clusters.hitMax[it]!, cc - 1)]! + 1;
      const ngrams = a.itemNgrams[it]!;
      const containment = ngrams > 0 ? this.ngramHits[it]! / ngrams : 0;
      const coverage = this.aligner.coverage(ts, it, first, last, false, this.explain ? 0 : Math.min(o.coverage, o.coverageFloor));
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
        maskedCoverage = this.aligner.coverage(ts, it, first, last, true, this.explain ? 0 : o.maskedCoverage);
        if (maskedCoverage >= o.maskedCoverage) {
          method = "digits";
          score = maskedCoverage;
        }
      }
      // a rule fired: the alignment must not miss a phrase of the problem nor change its formulas
      let verified = method !== null && this.verifier.verify(ts, it, first, last);
      // the alignment form of `digits`: only numbers changed, bases kept (issue #19)
      if (verified && method === "digits") verified = this.verifier.onlyNumbersChanged(ts);
      if (this.explain) {
        if (maskedCoverage < 0) maskedCoverage = this.aligner.coverage(ts, it, first, last, true);
        const v = method ? { missingRun: this.verifier.lastMissingRun, formulaEdits: this.verifier.lastFormulaEdits } : { missingRun: -1, formulaEdits: -1 };
        this.explain.push({ item: it, seeds: clusters.bCount[it]!, containment, coverage, maskedCoverage, ...v, rule: method, verified });
      }
      if (method && verified) {
        const bspan: [number, number] | null =
          method === "ngram" && this.ngramMax[it]! >= this.ngramMin[it]! ? [this.ngramMin[it]!, this.ngramMax[it]!] : null;
        if (!ts.full) tokenize(text, ts, true);
        (found ??= new Map()).set(it, { method, score, span: [ts.srcStart[first]!, ts.srcEnd[last - 1]!], bspan });
      }
    }
    return found;
  }

  /** 4. character shingles of the row against the short problems (rule `chars`) */
  private shinglePass(text: string, ts: TokenStream, stamp: number, found: Map<number, Found> | null): Map<number, Found> | null {
    const o = this.options;
    const s = this.parts.shingles;
    if (!ts.full) tokenize(text, ts, true);
    const k = o.charShingle;
    const rec = s.rec!;
    const filter = s.filter!;
    const shift = s.filterShift!;
    const hits = this.charHits;
    let touched = 0;
    const canon = ts.canon;
    const len = ts.canonLength;
    const pow = shinglePow(k);
    let roll = len >= k ? shingleStart(canon, 0, k) : 0;
    for (let i = 0; i + k <= len; i++) {
      if (i > 0) roll = rollShingle(roll, canon[i - 1]!, canon[i + k - 1]!, pow);
      const key = mixShingle(roll);
      const b = key >>> shift;
      if ((filter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const r = findRecord(s, key);
      if (r < 0 || rec[r + 3] === stamp) continue;
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) {
        const it = s.postItem[p]!;
        if (hits[it] === 0) {
          this.charTouched[touched++] = it;
          this.charFirst[it] = i;
        }
        hits[it]!++;
        this.charLast[it] = i;
      }
    }
    for (let j = 0; j < touched; j++) {
      const it = this.charTouched[j]!;
      const score = hits[it]! / this.a.itemShingles[it]!;
      hits[it] = 0;
      if (score >= o.charThreshold && !found?.has(it)) {
        (found ??= new Map()).set(it, {
          method: "chars",
          score,
          span: [canonToSource(ts, this.charFirst[it]!, false), canonToSource(ts, this.charLast[it]! + k - 1, true)],
          bspan: null,
        });
      }
    }
    return found;
  }

  /** the matches of one row as reported: strongest first, with benchmark spans and snippets */
  private report(text: string, field: "problem" | "response", found: Map<number, Found>): ContaminationMatch[] {
    const rank = { exact: 0, digits: 1, ngram: 2, aligned: 3, chars: 4 } as const;
    const out: ContaminationMatch[] = [];
    const sorted = [...found.entries()].sort((x, y) => rank[x[1].method] - rank[y[1].method] || y[1].score - x[1].score || x[0] - y[0]);
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
        benchmark: this.benchmarks[this.a.itemBenchmark[it]!]!,
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
}

function snippet(text: string, start: number, end: number): string {
  const s = text.slice(start, end);
  return s.length <= 160 ? s : s.slice(0, 159) + "…";
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
