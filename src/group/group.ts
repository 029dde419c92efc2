/**
 * The global group step: exact problem groups merged by near-duplicate clustering, representative
 * choice, per-group pass rates, near-copy responses and the rollout cap.
 *
 * Feed one {@link GroupInput} per annotated row in ordinal order with `add`, then `finish()`.
 * Memory: ~40 bytes per row in typed arrays plus the row id (ids beyond the budget go to a file),
 * 4 × bands bytes per exact problem for LSH buckets (spilled to sorted run files beyond the budget)
 * and the exact problem's shingle set for the "exact" check (spilled likewise).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BandBuckets } from "./buckets.js";
import { seededHash } from "../text/hash.js";
import { oneBitJaccard, setJaccard, shingleSet, TextSketcher } from "./minhash.js";
import { DEFAULT_RESPONSE_THRESHOLD, DEFAULT_THRESHOLD, resolveSketch, type ResolvedSketch } from "./params.js";
import { SpillStore } from "./store.js";
import type {
  ClusterSummary, DedupeConfig, GroupDrop, GroupInput, GroupStats, RepresentativePolicy, RowGroupInfo, SketchConfig,
} from "./types.js";

export interface GrouperConfig {
  dedupe?: DedupeConfig;
  /** `annotate.sketch` — must match what the sketches were computed with */
  sketch?: SketchConfig;
  /** the mix seed: seeds every choice among rollouts */
  seed: number;
  sources?: { name: string; priority?: number }[];
}

const VERDICT_NONE = 0, VERDICT_CORRECT = 1, VERDICT_WRONG = 2, VERDICT_UNGRADED = 3;
const DROP_NONE = 0, DROP_CAP = 1, DROP_NEAR_RESPONSE = 2;
/** comparisons per problem inside one LSH bucket (guards pathological buckets) */
const MAX_BUCKET_COMPARISONS = 64;
/** kept rollouts each rollout is compared with for near-copies */
const MAX_RESPONSE_COMPARISONS = 512;

function verdictCode(v: string | null | undefined): number {
  if (v === undefined || v === null) return VERDICT_NONE;
  if (v === "correct") return VERDICT_CORRECT;
  if (v === "incorrect" || v === "no_answer") return VERDICT_WRONG;
  return VERDICT_UNGRADED;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  }
  /** the smaller root wins, so roots are the first-seen problem of each component */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
  }
}

/** Growable int32 column: 4 bytes per entry (a JS number array takes 8). */
export class GrowInt32 {
  data: Int32Array;
  length = 0;
  constructor(initial = 1024) {
    this.data = new Int32Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Row ids: in memory up to a limit, then appended to a file and read back only where needed. */
class IdStore {
  private mem: string[] = [];
  private memBase = 0;
  private fd: number | null = null;
  private readonly file: string;
  private resolved = new Map<number, string>();
  constructor(private readonly memoryIds: number, private readonly tmpDir: string) {
    this.file = join(tmpDir, "row-ids.jsonl");
  }
  push(id: string): void {
    this.mem.push(id);
    if (this.mem.length >= this.memoryIds) {
      if (this.fd === null) {
        mkdirSync(this.tmpDir, { recursive: true });
        this.fd = openSync(this.file, "w");
      }
      writeSync(this.fd, this.mem.map((s) => JSON.stringify(s)).join("\n") + "\n");
      this.memBase += this.mem.length;
      this.mem = [];
    }
  }
  /** Makes `rows` available to `get` (one sequential read of the spill file). */
  resolve(rows: Iterable<number>): void {
    const wanted = new Set<number>();
    for (const r of rows) if (r < this.memBase) wanted.add(r);
    if (wanted.size === 0 || this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    const text = readFileSync(this.file, "utf8");
    let row = 0;
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf("\n", start);
      if (wanted.has(row)) this.resolved.set(row, JSON.parse(text.slice(start, end)) as string);
      row++;
      start = end + 1;
    }
    this.fd = openSync(this.file, "a");
  }
  get(row: number): string {
    if (row >= this.memBase) return this.mem[row - this.memBase]!;
    const id = this.resolved.get(row);
    if (id === undefined) throw new Error(`internal: id of row ${row} was not resolved`);
    return id;
  }
  /** Deletes the spill file; resolved and in-memory ids stay readable. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.file, { force: true });
  }
}

export class GroupResult {
  constructor(
    private readonly ordinals: Int32Array,
    private readonly rowCluster: Int32Array,
    private readonly rowProblem: Int32Array,
    private readonly rowDrop: Uint8Array,
    private readonly rowDupOf: Int32Array,
    private readonly clusterKey: string[],
    private readonly clusterRepRow: Int32Array,
    private readonly clusterRepProblem: Int32Array,
    private readonly clusterRollouts: Int32Array,
    private readonly clusterProblems: Int32Array,
    private readonly clusterCorrect: Int32Array,
    private readonly clusterGraded: Int32Array,
    private readonly ids: { get(row: number): string },
    readonly stats: GroupStats,
    private readonly summaries: ClusterSummary[],
  ) {}

  private rowOf(ordinal: number): number {
    const o = this.ordinals;
    let lo = 0;
    let hi = o.length - 1;
    if (ordinal >= 0 && ordinal < o.length && o[ordinal] === ordinal) return ordinal;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = o[mid]!;
      if (v === ordinal) return mid;
      if (v < ordinal) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`group: no row with ordinal ${ordinal} was added`);
  }

  info(ordinal: number): RowGroupInfo {
    const r = this.rowOf(ordinal);
    const c = this.rowCluster[r]!;
    const graded = this.clusterGraded[c]!;
    const info: RowGroupInfo = {
      problemGroup: this.clusterKey[c]!,
      representative: this.ids.get(this.clusterRepRow[c]!),
      representativeOrdinal: this.ordinals[this.clusterRepRow[c]!]!,
      nearDuplicateProblem: this.rowProblem[r] !== this.clusterRepProblem[c],
      groupRollouts: this.clusterRollouts[c]!,
      groupProblems: this.clusterProblems[c]!,
      groupCorrect: this.clusterCorrect[c]!,
      passRate: graded === 0 ? null : this.clusterCorrect[c]! / graded,
    };
    if (this.rowDrop[r] !== DROP_NONE) info.duplicateOf = this.ids.get(this.rowDupOf[r]!);
    return info;
  }

  dropFor(ordinal: number): GroupDrop | null {
    const r = this.rowOf(ordinal);
    const d = this.rowDrop[r]!;
    if (d === DROP_NONE) return null;
    const c = this.rowCluster[r]!;
    const duplicateOf = this.ids.get(this.rowDupOf[r]!);
    if (d === DROP_CAP) {
      return {
        reason: "duplicate:rollout_cap",
        detail: `problem group ${this.clusterKey[c]!.slice(0, 12)} has ${this.clusterRollouts[c]} rollouts over ${this.clusterProblems[c]} problem(s); cap reached`,
        duplicateOf,
      };
    }
    return { reason: "duplicate:near_response", detail: `response is a near-copy of ${duplicateOf}`, duplicateOf };
  }

  /** Ordinal of the cluster (problem group) a row belongs to, as a dense index (for reports and tests). */
  clusterIndex(ordinal: number): number {
    return this.rowCluster[this.rowOf(ordinal)]!;
  }

  /** Near-duplicate clusters (more than one exact problem), largest first; bounded by `limit` given to finish(). */
  clusters(): ClusterSummary[] {
    return this.summaries;
  }
}

export interface PairStats {
  candidatePairs: number;
  checkedPairs: number;
  rejectedByCheck: number;
}

/** Confirmed near-duplicate pairs of some LSH bands: flat [ordinalA, ordinalB, …] of the problems' first rows. */
export interface BandPairs {
  pairs: Int32Array;
  stats: PairStats;
}

/** What `partition` decided: problem groups, and which share of a split merge owns each. */
interface Partition {
  rank: number;
  world: number;
  problemCluster: Int32Array;
  repProblem: Int32Array;
  problemsPerCluster: Int32Array;
  owner: Int32Array;
  pairStats: PairStats;
}

/** problem groups `clusters()` lists by default */
export const DEFAULT_CLUSTER_LIMIT = 1000;

/** seeds the hash that assigns problem groups to the shares of a split merge (not the mix seed: shares must not move with it) */
const SHARE_SEED = 0x5a4e;

export interface FinishOptions {
  /** most clusters listed by `clusters()` (default 1000) */
  clusterLimit?: number;
  /** most problems listed per cluster (default 20) */
  membersLimit?: number;
  /** confirmed pairs of every band, from the ranks that split them (see `ProblemGrouper.bandPairs`); default: all bands here. Ignored after `partition`. */
  pairs?: BandPairs[];
}

export class ProblemGrouper {
  private readonly threshold: number;
  private readonly responseThreshold: number;
  private readonly near: boolean;
  private readonly check: "exact" | "estimate" | "none";
  private readonly policy: RepresentativePolicy;
  private readonly cap: number;
  private readonly responses: boolean;
  private readonly seed: number;
  private readonly resolved: ResolvedSketch;
  private readonly priority = new Map<string, number>();
  private sketcher: TextSketcher | null = null;

  // rows
  private readonly ordinals = new GrowInt32();
  private readonly rowProblem = new GrowInt32();
  private readonly rowLength = new GrowInt32();
  private readonly rowFlags = new GrowInt32(); // verdict | eligible << 4
  private readonly rowHash = new GrowInt32();
  private readonly rowResponse = new GrowInt32();
  private readonly rowSource = new GrowInt32();
  private readonly sourceIndex = new Map<string, number>();
  private readonly sourceNames: string[] = [];
  private readonly ids: IdStore;
  private readonly responseWords: number;

  // exact problems
  private readonly problemIndex = new Map<string, number>();
  private readonly problemKeys: string[] = [];
  private readonly problemRows = new GrowInt32();
  private readonly problemChars = new GrowInt32();
  private readonly problemPriority = new GrowInt32();
  private readonly problemShingles = new GrowInt32(); // index into store or -1
  private readonly problemBits = new GrowInt32(); // words of one-bit sketch, problemBitWords each
  private readonly problemBitWords: number;
  private readonly buckets: BandBuckets;
  private readonly store: SpillStore;
  /** ordinal of each exact problem's first row (increasing in the problem index) */
  private readonly problemFirst = new GrowInt32();
  private lastOrdinal = -Infinity;
  private lastProblemOrdinal = -Infinity;
  private partitioned: Partition | null = null;
  private finished = false;

  constructor(cfg: GrouperConfig, tmpDir: string) {
    const d = cfg.dedupe ?? {};
    this.threshold = d.problems?.threshold ?? DEFAULT_THRESHOLD;
    this.near = d.problems?.enabled ?? true;
    this.check = d.problems?.check ?? "exact";
    this.policy = d.representative ?? "first";
    this.cap = d.maxRolloutsPerProblem ?? Infinity;
    this.responses = d.responses?.enabled ?? false;
    this.responseThreshold = d.responses?.threshold ?? DEFAULT_RESPONSE_THRESHOLD;
    this.seed = cfg.seed;
    this.resolved = resolveSketch(cfg.sketch, cfg.dedupe);
    for (const s of cfg.sources ?? []) this.priority.set(s.name, s.priority ?? 0);
    this.problemBitWords = this.resolved.problem.permutations >>> 5;
    this.responseWords = this.responses ? Math.max(1, this.resolved.responsePermutations >>> 5) : 0;
    const budget = Math.max(1, d.memoryBudgetMB ?? 512) * 1024 * 1024;
    this.buckets = new BandBuckets(this.resolved.problem.bands, budget * 0.5, join(tmpDir, "buckets"));
    this.store = new SpillStore(Math.floor((budget * 0.3) / 4), tmpDir);
    this.ids = new IdStore(Math.max(1024, Math.floor((budget * 0.2) / 64)), tmpDir);
  }

  /** LSH bands of the problem sketches (what `bandPairs` splits) */
  get bands(): number {
    return this.buckets.bands;
  }

  /** One row: its problem (`addProblem`) and the row itself (`addRow`). */
  add(row: GroupInput): void {
    this.addProblem(row);
    this.addRow(row);
  }

  /**
   * The problem side of a row: its exact problem (first seen: key, sketch, LSH buckets), the
   * problem's row count and source priority. Every row goes through here, in ordinal order. When the
   * merge is split by problem group (`partition`), all rows pass here first and only the share's rows
   * go to `addRow` afterwards.
   */
  addProblem(row: GroupInput): void {
    if (this.finished) throw new Error("group: addProblem() after finish()");
    if (this.partitioned) throw new Error("group: addProblem() after partition()");
    if (!(row.ordinal > this.lastProblemOrdinal)) {
      throw new Error(`group: rows must arrive in increasing ordinal order; row ${row.id} has ordinal ${row.ordinal} after ${this.lastProblemOrdinal}`);
    }
    this.lastProblemOrdinal = row.ordinal;
    let p = this.problemIndex.get(row.problemKey);
    if (p === undefined) {
      p = this.problemKeys.length;
      this.problemIndex.set(row.problemKey, p);
      this.problemKeys.push(row.problemKey);
      this.problemFirst.push(row.ordinal);
      this.problemRows.push(0);
      this.problemChars.push(row.problemChars ?? row.problemText?.length ?? 0);
      this.problemPriority.push(this.priority.get(row.source) ?? 0);
      this.addProblemSketch(p, row);
    }
    this.problemRows.data[p]!++;
    const prio = this.priority.get(row.source) ?? 0;
    if (prio > this.problemPriority.data[p]!) this.problemPriority.data[p] = prio;
  }

  /** The row side: compact row data for caps, representatives and pass rates. Its problem went through `addProblem`. */
  addRow(row: GroupInput): void {
    if (this.finished) throw new Error("group: add() after finish()");
    if (!(row.ordinal > this.lastOrdinal)) {
      throw new Error(`group: rows must arrive in increasing ordinal order; row ${row.id} has ordinal ${row.ordinal} after ${this.lastOrdinal}`);
    }
    this.lastOrdinal = row.ordinal;
    const p = this.problemIndex.get(row.problemKey);
    if (p === undefined) throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) has a problem that addProblem() never saw`);
    if (this.partitioned && this.partitioned.owner[this.partitioned.problemCluster[p]!] !== this.partitioned.rank) {
      throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) belongs to another share of the merge (see owns())`);
    }

    this.ordinals.push(row.ordinal);
    this.rowProblem.push(p);
    const len = row.responseTokens ?? row.responseChars;
    this.rowLength.push(Math.min(len, 0x7fffffff));
    this.rowFlags.push(verdictCode(row.verdict) | ((row.eligible ?? true) ? 16 : 0));
    this.rowHash.push(seededHash(this.seed, row.id) | 0);
    this.ids.push(row.id);
    let si = this.sourceIndex.get(row.source);
    if (si === undefined) {
      si = this.sourceNames.length;
      this.sourceIndex.set(row.source, si);
      this.sourceNames.push(row.source);
    }
    this.rowSource.push(si);
    if (this.responses) {
      const resp = row.sketch?.response;
      const ok = resp !== undefined && resp.length === this.responseWords;
      if (resp !== undefined && resp.length > 0 && !ok) {
        throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) has a response sketch of ${resp.length} words, expected ${this.responseWords} (annotate.sketch.responsePermutations / 32)`);
      }
      for (let w = 0; w < this.responseWords; w++) this.rowResponse.push(ok ? resp[w]! : 0);
      // rows without a response sketch are never compared
      if (!ok) this.rowFlags.data[this.rowFlags.length - 1]! |= 32;
    }
  }

  private addProblemSketch(p: number, row: GroupInput): void {
    const sk = row.sketch;
    const bits = sk?.bits ?? [];
    const words = this.problemBitWords;
    for (let w = 0; w < words; w++) this.problemBits.push(bits.length === words ? bits[w]! : 0);
    let shingles = -1;
    if (this.near && this.check === "exact" && row.problemText !== undefined) {
      this.sketcher ??= new TextSketcher(this.resolved.problem, this.resolved.stripPhrases, this.resolved.stockPhrases);
      shingles = this.store.append(shingleSet(this.sketcher.shingles(row.problemText)));
    }
    this.problemShingles.push(shingles);
    if (!this.near || !sk || sk.bands.length === 0) return;
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

  /** Does candidate pair (a, b) pass the check? */
  private confirms(a: number, b: number): boolean {
    const sa = this.problemShingles.data[a]!;
    const sb = this.problemShingles.data[b]!;
    if (sa >= 0 && sb >= 0) return setJaccard(this.store.get(sa), this.store.get(sb)) >= this.threshold;
    const w = this.problemBitWords;
    if (w <= 0) return true;
    // one-bit estimate 2·agree − 1 has standard error 2·sqrt(p(1−p)/K) with p = (1 + J)/2
    const p = (1 + this.threshold) / 2;
    const margin = 4 * Math.sqrt((p * (1 - p)) / (w * 32));
    return this.problemSimilarity(a, b) >= this.threshold - margin;
  }

  private problemSimilarity(a: number, b: number): number {
    const sa = this.problemShingles.data[a]!;
    const sb = this.problemShingles.data[b]!;
    if (sa >= 0 && sb >= 0) return setJaccard(this.store.get(sa), this.store.get(sb));
    const w = this.problemBitWords;
    if (w <= 0) return 0;
    return oneBitJaccard(this.problemBits.data.subarray(a * w, a * w + w), this.problemBits.data.subarray(b * w, b * w + w));
  }

  /**
   * Confirmed candidate pairs of the LSH buckets of `bands`. Each band is processed on its own: every
   * member of a bucket is checked against every earlier member of that bucket it is not yet connected
   * to *by this band's pairs*. The pairs (and the counts in `stats`) therefore depend only on the band,
   * not on which other bands the same process handles, so splitting bands across ranks gives the same
   * pairs, components and statistics as one process. `onEdge` sees each confirmed pair.
   */
  private confirmedPairs(bands: Iterable<number>, stats: PairStats, onEdge: (a: number, b: number) => void): void {
    const P = this.problemKeys.length;
    for (const band of bands) {
      if (!(band >= 0 && band < this.buckets.bands)) throw new Error(`group: band ${band} out of range 0..${this.buckets.bands - 1}`);
      const uf = new UnionFind(P);
      this.buckets.forEachBucket(band, (members, size) => {
        for (let i = 1; i < size; i++) {
          const m = members[i]!;
          let comparisons = 0;
          for (let j = 0; j < i && comparisons < MAX_BUCKET_COMPARISONS; j++) {
            const q = members[j]!;
            if (uf.find(q) === uf.find(m)) continue;
            stats.candidatePairs++;
            comparisons++;
            if (this.check !== "none") {
              stats.checkedPairs++;
              if (!this.confirms(q, m)) {
                stats.rejectedByCheck++;
                continue;
              }
            }
            uf.union(q, m);
            onEdge(q, m);
          }
        }
      });
    }
  }

  /**
   * For splitting the bucket step across ranks (datatrove style): every rank adds all rows, calls
   * `bandPairs(itsBands)` (bands j with j % world === rank) and ships the result; one rank calls
   * `finish({ pairs: [all ranks' results] })`. Pairs are flat [ordinalA, ordinalB, …] of the two
   * problems' first rows. Call before `finish`.
   */
  bandPairs(bands: number[]): BandPairs {
    if (this.finished) throw new Error("group: bandPairs() after finish()");
    return this.pairsOf(bands);
  }

  private pairsOf(bands: number[]): BandPairs {
    const out = new GrowInt32();
    const first = this.problemFirst.data;
    const stats: PairStats = { candidatePairs: 0, checkedPairs: 0, rejectedByCheck: 0 };
    if (this.near) {
      this.confirmedPairs(bands, stats, (a, b) => {
        out.push(first[a]!);
        out.push(first[b]!);
      });
    }
    return { pairs: out.view().slice(), stats };
  }

  /** The exact problem whose first row has `ordinal` (problems are numbered in first-row order). */
  private problemOfOrdinal(ordinal: number): number {
    const o = this.problemFirst.data;
    let lo = 0;
    let hi = this.problemFirst.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = o[mid]!;
      if (v === ordinal) return mid;
      if (v < ordinal) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`group: pair names ordinal ${ordinal}, which is not the first row of a problem`);
  }

  /**
   * Problem groups from every band's confirmed pairs (computed here when `pairs` is absent), and
   * which share of a split merge owns each: share = seeded hash of the group key mod `world`. For a
   * merge split across ranks: every rank adds every row's problem (`addProblem`), calls
   * `partition(allPairs, rank, world)`, then adds only the rows `owns()` accepts (`addRow`) and calls
   * `finish()`. Groups, representatives, caps and drops of a group depend only on that group's rows,
   * so the shares together equal one process's result.
   */
  partition(pairs: BandPairs[] | undefined, rank = 0, world = 1): void {
    if (this.partitioned) throw new Error("group: partition() called twice");
    if (!(Number.isInteger(world) && world >= 1 && Number.isInteger(rank) && rank >= 0 && rank < world)) throw new Error(`group: share ${rank} of ${world} is not a share`);
    const P = this.problemKeys.length;
    const pairStats: PairStats = { candidatePairs: 0, checkedPairs: 0, rejectedByCheck: 0 };
    // 1. union-find over exact problems: confirmed LSH candidate pairs of every band
    const uf = new UnionFind(P);
    if (this.near) {
      for (const { pairs: ps, stats: s } of pairs ?? [this.pairsOf(Array.from({ length: this.buckets.bands }, (_, j) => j))]) {
        pairStats.candidatePairs += s.candidatePairs;
        pairStats.checkedPairs += s.checkedPairs;
        pairStats.rejectedByCheck += s.rejectedByCheck;
        for (let i = 0; i + 1 < ps.length; i += 2) uf.union(this.problemOfOrdinal(ps[i]!), this.problemOfOrdinal(ps[i + 1]!));
      }
    }
    // 2. clusters: dense index per root, in first-seen order; representative problem by policy
    const problemCluster = new Int32Array(P);
    const rootCluster = new Int32Array(P).fill(-1);
    const repProblem = new GrowInt32();
    const problemsPerCluster = new GrowInt32();
    for (let p = 0; p < P; p++) {
      const r = uf.find(p);
      let c = rootCluster[r]!;
      if (c < 0) {
        c = repProblem.length;
        rootCluster[r] = c;
        repProblem.push(p);
        problemsPerCluster.push(0);
      } else if (this.better(p, repProblem.data[c]!)) {
        repProblem.data[c] = p;
      }
      problemCluster[p] = c;
      problemsPerCluster.data[c]!++;
    }
    const C = repProblem.length;
    const owner = new Int32Array(C);
    if (world > 1) for (let c = 0; c < C; c++) owner[c] = seededHash(SHARE_SEED, this.problemKeys[repProblem.data[c]!]!) % world;
    this.partitioned = { rank, world, problemCluster, repProblem: repProblem.view().slice(), problemsPerCluster: problemsPerCluster.view().slice(), owner, pairStats };
  }

  /** After `partition`: does this share own the rows of problem `problemKey`? */
  owns(problemKey: string): boolean {
    const part = this.partitioned;
    if (!part) throw new Error("group: owns() before partition()");
    const p = this.problemIndex.get(problemKey);
    if (p === undefined) throw new Error(`group: problem ${problemKey} was never added`);
    return part.owner[part.problemCluster[p]!] === part.rank;
  }

  async finish(options: FinishOptions = {}): Promise<GroupResult> {
    this.finished = true;
    try {
      return this.compute(options);
    } finally {
      this.buckets.close();
      this.store.close();
    }
  }

  private compute(options: FinishOptions): GroupResult {
    const P = this.problemKeys.length;
    const N = this.ordinals.length;
    const stats: GroupStats = {
      rows: N, exactProblems: P, problemGroups: 0, nearDuplicateClusters: 0, nearDuplicateProblems: 0,
      candidatePairs: 0, checkedPairs: 0, rejectedByCheck: 0,
      drops: { "duplicate:rollout_cap": 0, "duplicate:near_response": 0 },
      spillRuns: this.buckets.spillRuns, spilledCheckBytes: this.store.spilledBytes, bands: this.buckets.bands,
    };

    if (!this.partitioned) this.partition(options.pairs);
    const part = this.partitioned!;
    const { problemCluster, owner, rank, repProblem, problemsPerCluster } = part;
    const C = part.repProblem.length;
    const mine = (c: number) => owner[c] === rank;
    // pair statistics are the whole run's: the first share reports them
    if (rank === 0) {
      stats.candidatePairs = part.pairStats.candidatePairs;
      stats.checkedPairs = part.pairStats.checkedPairs;
      stats.rejectedByCheck = part.pairStats.rejectedByCheck;
    }
    let exactProblems = 0;
    for (let c = 0; c < C; c++) {
      if (!mine(c)) continue;
      stats.problemGroups++;
      exactProblems += problemsPerCluster[c]!;
      if (problemsPerCluster[c]! > 1) {
        stats.nearDuplicateClusters++;
        stats.nearDuplicateProblems += problemsPerCluster[c]! - 1;
      }
    }
    stats.exactProblems = exactProblems;

    // 3. rows per cluster (CSR, rows in ordinal order)
    const rowCluster = new Int32Array(N);
    const start = new Int32Array(C + 1);
    for (let r = 0; r < N; r++) {
      const c = problemCluster[this.rowProblem.data[r]!]!;
      rowCluster[r] = c;
      start[c + 1]!++;
    }
    for (let c = 0; c < C; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, C);
    const rowsByCluster = new Int32Array(N);
    for (let r = 0; r < N; r++) rowsByCluster[fill[rowCluster[r]!]!++] = r;

    // 4. per cluster: counts, near-copy responses, representative row, rollout cap
    const rowDrop = new Uint8Array(N);
    const rowDupOf = new Int32Array(N).fill(-1);
    const clusterRepRow = new Int32Array(C);
    const clusterRollouts = new Int32Array(C);
    const clusterCorrect = new Int32Array(C);
    const clusterGraded = new Int32Array(C);
    const flags = this.rowFlags.data;
    const hash = this.rowHash.data;
    // preference: eligible, correct, then seeded hash of the id (never arrival order)
    const prefer = (a: number, b: number) => {
      const ea = flags[a]! & 16, eb = flags[b]! & 16;
      if (ea !== eb) return eb - ea;
      const ca = (flags[a]! & 15) === VERDICT_CORRECT ? 1 : 0, cb = (flags[b]! & 15) === VERDICT_CORRECT ? 1 : 0;
      if (ca !== cb) return cb - ca;
      return (hash[a]! >>> 0) - (hash[b]! >>> 0) || a - b;
    };
    for (let c = 0; c < C; c++) {
      if (!mine(c)) continue;
      const rows = rowsByCluster.subarray(start[c]!, start[c + 1]!);
      clusterRollouts[c] = rows.length;
      for (const r of rows) {
        const v = flags[r]! & 15;
        if (v === VERDICT_CORRECT) clusterCorrect[c]!++;
        if (v === VERDICT_CORRECT || v === VERDICT_WRONG) clusterGraded[c]!++;
      }
      const ordered = Array.from(rows).sort(prefer);
      if (this.responses) this.dropNearResponses(ordered, rowDrop, rowDupOf, stats);
      const live = ordered.filter((r) => rowDrop[r] === DROP_NONE && (flags[r]! & 16) !== 0);
      const rp = repProblem[c]!;
      const repRow = this.representativeRow(live, rp) ?? this.representativeRow(Array.from(rows), rp)!;
      clusterRepRow[c] = repRow;
      if (live.length > this.cap) {
        const keep = this.chooseSurvivors(live, repRow, this.cap);
        for (const r of live) {
          if (!keep.has(r)) {
            rowDrop[r] = DROP_CAP;
            rowDupOf[r] = repRow;
            stats.drops["duplicate:rollout_cap"]++;
          }
        }
      }
    }

    // 5. cluster summaries for reports
    const clusterKey = Array.from(part.repProblem, (p) => this.problemKeys[p]!);
    const firstRow = new Int32Array(P).fill(-1);
    for (let r = 0; r < N; r++) if (firstRow[this.rowProblem.data[r]!]! < 0) firstRow[this.rowProblem.data[r]!] = r;
    const clusterLimit = options.clusterLimit ?? DEFAULT_CLUSTER_LIMIT;
    const membersLimit = options.membersLimit ?? 20;
    const multi: number[] = [];
    for (let c = 0; c < C; c++) if (mine(c) && problemsPerCluster[c]! > 1) multi.push(c);
    multi.sort((a, b) => clusterRollouts[b]! - clusterRollouts[a]! || problemsPerCluster[b]! - problemsPerCluster[a]! || (clusterKey[a]! < clusterKey[b]! ? -1 : 1));
    const listed = multi.slice(0, clusterLimit);
    const members = new Map<number, number[]>();
    for (const c of listed) members.set(c, []);
    for (let p = 0; p < P; p++) {
      const m = members.get(problemCluster[p]!);
      if (m && m.length < membersLimit) m.push(p);
    }
    const needIds = new Set<number>();
    for (let c = 0; c < C; c++) if (mine(c)) needIds.add(clusterRepRow[c]!);
    for (let r = 0; r < N; r++) if (rowDupOf[r]! >= 0) needIds.add(rowDupOf[r]!);
    for (const [, ps] of members) for (const p of ps) needIds.add(firstRow[p]!);
    this.ids.resolve(needIds);
    this.ids.close();
    const kept = new Int32Array(C);
    for (let r = 0; r < N; r++) if (rowDrop[r] === DROP_NONE) kept[rowCluster[r]!]!++;
    const summaries: ClusterSummary[] = listed.map((c) => {
      const rp = repProblem[c]!;
      const ps = members.get(c)!.sort((a, b) => (a === rp ? -1 : b === rp ? 1 : a - b));
      if (!ps.includes(rp)) ps.unshift(rp);
      const rr = clusterRepRow[c]!;
      return {
        problemGroup: clusterKey[c]!,
        representative: { id: this.ids.get(rr), ordinal: this.ordinals.data[rr]!, source: this.sourceOfRow(rr) },
        rollouts: clusterRollouts[c]!,
        kept: kept[c]!,
        problems: ps.slice(0, membersLimit).map((p) => ({
          problemKey: this.problemKeys[p]!,
          firstId: this.ids.get(firstRow[p]!),
          firstOrdinal: this.ordinals.data[firstRow[p]!]!,
          source: this.sourceOfRow(firstRow[p]!),
          rollouts: this.problemRows.data[p]!,
          similarity: p === rp ? 1 : this.problemSimilarity(rp, p),
        })),
      };
    });

    return new GroupResult(
      this.ordinals.view().slice(), rowCluster, this.rowProblem.view().slice(), rowDrop, rowDupOf, clusterKey, clusterRepRow,
      part.repProblem, clusterRollouts, part.problemsPerCluster, clusterCorrect, clusterGraded, this.ids, stats, summaries,
    );
  }

  private sourceOfRow(row: number): string {
    return this.sourceNames[this.rowSource.data[row]!]!;
  }

  /**
   * The representative row among `rows` (cluster rows, any order): a row of the representative
   * problem `rp` when it has one, else any row; eligible, correct, from the highest-priority source
   * (policy "source_priority"), then first seen.
   */
  private representativeRow(rows: number[], rp: number): number | undefined {
    const flags = this.rowFlags.data;
    let best: number | undefined;
    let bestKey: number[] = [];
    for (const r of rows) {
      const key = [
        this.rowProblem.data[r] === rp ? 1 : 0,
        flags[r]! & 16 ? 1 : 0,
        (flags[r]! & 15) === VERDICT_CORRECT ? 1 : 0,
        this.policy === "source_priority" ? (this.priority.get(this.sourceOfRow(r)) ?? 0) : 0,
        -r,
      ];
      let better = best === undefined;
      for (let i = 0; !better && i < key.length; i++) {
        if (key[i]! !== bestKey[i]!) {
          better = key[i]! > bestKey[i]!;
          break;
        }
      }
      if (better) {
        best = r;
        bestKey = key;
      }
    }
    return best;
  }

  /** Is exact problem `p` a better representative than `q` (q is earlier, i.e. first seen)? */
  private better(p: number, q: number): boolean {
    switch (this.policy) {
      case "first":
        return false;
      case "longest":
        return this.problemChars.data[p]! > this.problemChars.data[q]!;
      case "most_rollouts":
        return this.problemRows.data[p]! > this.problemRows.data[q]!;
      case "source_priority":
        return this.problemPriority.data[p]! > this.problemPriority.data[q]!;
    }
  }

  /** Greedy in preference order: a rollout whose response is a near-copy of a kept one is dropped. */
  private dropNearResponses(ordered: number[], rowDrop: Uint8Array, rowDupOf: Int32Array, stats: GroupStats): void {
    const w = this.responseWords;
    const resp = this.rowResponse.data;
    const keptRows: number[] = [];
    for (const r of ordered) {
      if ((this.rowFlags.data[r]! & 32) !== 0 || (this.rowFlags.data[r]! & 16) === 0) continue;
      const a = resp.subarray(r * w, r * w + w);
      let match = -1;
      for (let k = 0; k < keptRows.length && k < MAX_RESPONSE_COMPARISONS; k++) {
        const q = keptRows[k]!;
        if (oneBitJaccard(a, resp.subarray(q * w, q * w + w)) >= this.responseThreshold) {
          match = q;
          break;
        }
      }
      if (match >= 0) {
        rowDrop[r] = DROP_NEAR_RESPONSE;
        rowDupOf[r] = match;
        stats.drops["duplicate:near_response"]++;
      } else keptRows.push(r);
    }
  }

  /**
   * Which `cap` of the live rollouts survive: the representative row, then correct rollouts, then
   * the others; inside each tier, when it has more rollouts than free slots, one rollout per
   * length stratum (tier sorted by response length, cut into as many equal strata as free slots),
   * the one with the smallest seeded hash of its id.
   */
  private chooseSurvivors(live: number[], repRow: number, cap: number): Set<number> {
    const keep = new Set<number>([repRow]);
    const flags = this.rowFlags.data;
    const hash = this.rowHash.data;
    const len = this.rowLength.data;
    const tiers = [
      live.filter((r) => r !== repRow && (flags[r]! & 15) === VERDICT_CORRECT),
      live.filter((r) => r !== repRow && (flags[r]! & 15) !== VERDICT_CORRECT),
    ];
    for (const tier of tiers) {
      const free = cap - keep.size;
      if (free <= 0) break;
      if (tier.length <= free) {
        for (const r of tier) keep.add(r);
        continue;
      }
      tier.sort((a, b) => len[a]! - len[b]! || (hash[a]! >>> 0) - (hash[b]! >>> 0) || a - b);
      for (let s = 0; s < free; s++) {
        const lo = Math.floor((s * tier.length) / free);
        const hi = Math.floor(((s + 1) * tier.length) / free);
        let best = tier[lo]!;
        for (let i = lo + 1; i < hi; i++) if ((hash[tier[i]!]! >>> 0) < (hash[best]! >>> 0)) best = tier[i]!;
        keep.add(best);
      }
    }
    return keep;
  }
}
