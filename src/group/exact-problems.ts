/**
 * The exact problems of the group step: one entry per distinct problem key (the hash of the
 * normalised problem), numbered in first-seen order. Each keeps what near-duplicate clustering and
 * the representative policies need: the ordinal of its first row, its row count, length and best
 * source priority, its one-bit sketch, its shingle set for the exact candidate check (SpillStore) and
 * its LSH band hashes (BandBuckets). Memory: 4 × bands bytes per problem for the buckets and the
 * shingle set for the exact check, both spilled to files beyond their share of the budget.
 */
import { join } from "node:path";
import { BandBuckets } from "./buckets.js";
import { GrowInt32, sortedIndexOf } from "./columns.js";
import { CheckData, recordsMatch, recordSimilarity } from "./check-data.js";
import { oneBitJaccard, TextSketcher } from "./minhash.js";
import type { ResolvedSketch } from "./params.js";
import { SpillStore } from "./store.js";
import type { GroupInput } from "./types.js";

export interface ExactProblemsOptions {
  resolved: ResolvedSketch;
  /** near-duplicate clustering on: sketches go to the LSH buckets */
  near: boolean;
  /** keep each problem's shingle set (from its text) for the exact candidate check */
  keepShingles: boolean;
  /** the exact check also requires the numbers to agree (check-data.ts; default true) */
  numbers?: boolean;
  /** Jaccard at which two problems are near-duplicates */
  threshold: number;
  /** bytes the group step may hold; half for the buckets, 30% for shingle sets */
  budget: number;
  tmpDir: string;
}

export class ExactProblems {
  private readonly index = new Map<string, number>();
  readonly keys: string[] = [];
  /** ordinal of each problem's first row (increasing in the problem index) */
  readonly first = new GrowInt32();
  /** rows of each problem */
  readonly rows = new GrowInt32();
  readonly chars = new GrowInt32();
  /** highest source priority among the problem's rows */
  readonly priority = new GrowInt32();
  /** index of the problem's shingle set in `store`, or -1 */
  private readonly shingles = new GrowInt32();
  /** one-bit sketch, `bitWords` words per problem */
  private readonly bits = new GrowInt32();
  private readonly bitWords: number;
  private readonly buckets: BandBuckets;
  private readonly store: SpillStore;
  private checkData: CheckData | null = null;

  constructor(private readonly opts: ExactProblemsOptions) {
    this.bitWords = opts.resolved.problem.permutations >>> 5;
    this.buckets = new BandBuckets(opts.resolved.problem.bands, opts.budget * 0.5, join(opts.tmpDir, "buckets"));
    this.store = new SpillStore(Math.floor((opts.budget * 0.3) / 4), opts.tmpDir);
  }

  get count(): number {
    return this.keys.length;
  }

  /** LSH bands of the problem sketches */
  get bands(): number {
    return this.buckets.bands;
  }

  get spillRuns(): number {
    return this.buckets.spillRuns;
  }

  get spilledCheckBytes(): number {
    return this.store.spilledBytes;
  }

  indexOf(problemKey: string): number | undefined {
    return this.index.get(problemKey);
  }

  /**
   * A row's problem: the first row of a problem adds it (key, sketch, buckets); every row counts and
   * raises the problem's priority to its source's. Returns the problem index.
   */
  add(row: GroupInput, priority: number): number {
    let p = this.index.get(row.problemKey);
    if (p === undefined) {
      p = this.keys.length;
      this.index.set(row.problemKey, p);
      this.keys.push(row.problemKey);
      this.first.push(row.ordinal);
      this.rows.push(0);
      this.chars.push(row.problemChars ?? row.problemText?.length ?? 0);
      this.priority.push(priority);
      this.addSketch(p, row);
    }
    this.rows.data[p]!++;
    if (priority > this.priority.data[p]!) this.priority.data[p] = priority;
    return p;
  }

  private addSketch(p: number, row: GroupInput): void {
    const sk = row.sketch;
    const bits = sk?.bits ?? [];
    const words = this.bitWords;
    for (let w = 0; w < words; w++) this.bits.push(bits.length === words ? bits[w]! : 0);
    let shingles = -1;
    if (this.opts.near && this.opts.keepShingles) {
      const record = row.checkRecord ?? (row.problemText !== undefined ? this.recordOf(row.problemText) : undefined);
      if (record !== undefined) shingles = this.store.append(record, true);
    }
    this.shingles.push(shingles);
    if (!this.opts.near || !sk || sk.bands.length === 0) return;
    if (sk.bands.length !== this.buckets.bands) {
      throw new Error(
        `group: row ${row.id} (ordinal ${row.ordinal}) has a sketch with ${sk.bands.length} bands, expected ${this.buckets.bands} ` +
          `(annotate.sketch and dedupe.problems.threshold must match the annotated run; re-run annotate)`,
      );
    }
    if (bits.length !== words) {
      throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) has ${bits.length} sketch bit words, expected ${words} (annotate.sketch.permutations / 32)`);
    }
    this.buckets.add(p, sk.bands);
  }

  private recordOf(text: string): Int32Array {
    const { resolved } = this.opts;
    this.checkData ??= new CheckData(new TextSketcher(resolved.problem, resolved.stripPhrases, resolved.stockPhrases), this.opts.numbers ?? true);
    return this.checkData.record(text);
  }

  /** The problem whose first row has `ordinal` (problems are numbered in first-row order). */
  ofOrdinal(ordinal: number): number {
    const at = sortedIndexOf(this.first.data, ordinal, this.first.length);
    if (at >= 0) return at;
    throw new Error(`group: pair names ordinal ${ordinal}, which is not the first row of a problem`);
  }

  /** Members of each LSH bucket of `band`, as problem indices in increasing order. */
  forEachBucket(band: number, onBucket: (members: Int32Array, size: number) => void): void {
    this.buckets.forEachBucket(band, onBucket);
  }

  /** Does candidate pair (a, b) pass the check: exact (check-data.ts) when both check records are kept, else the one-bit estimate? */
  confirms(a: number, b: number): boolean {
    const sa = this.shingles.data[a]!;
    const sb = this.shingles.data[b]!;
    const threshold = this.opts.threshold;
    if (sa >= 0 && sb >= 0) return recordsMatch(this.store.get(sa), this.store.get(sb), threshold);
    const w = this.bitWords;
    if (w <= 0) return true;
    // one-bit estimate 2·agree − 1 has standard error 2·sqrt(p(1−p)/K) with p = (1 + J)/2
    const p = (1 + threshold) / 2;
    const margin = 4 * Math.sqrt((p * (1 - p)) / (w * 32));
    return this.similarity(a, b) >= threshold - margin;
  }

  /** Similarity of two problems: exact (the larger of the two signals, 0 when numbers disagree) when both check records are kept, else the one-bit estimate. */
  similarity(a: number, b: number): number {
    const sa = this.shingles.data[a]!;
    const sb = this.shingles.data[b]!;
    if (sa >= 0 && sb >= 0) return recordSimilarity(this.store.get(sa), this.store.get(sb));
    const w = this.bitWords;
    if (w <= 0) return 0;
    return oneBitJaccard(this.bits.data.subarray(a * w, a * w + w), this.bits.data.subarray(b * w, b * w + w));
  }

  /** Deletes the bucket runs and the spilled shingle sets. */
  close(): void {
    this.buckets.close();
    this.store.close();
  }
}
