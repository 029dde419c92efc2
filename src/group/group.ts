/**
 * The global group step's grouper: exact problem groups merged by near-duplicate clustering,
 * representative choice, per-group pass rates, near-copy responses and the rollout cap.
 *
 * Feed one {@link GroupInput} per annotated row in ordinal order with `add`, then `finish()`. Its
 * parts, in the order they work: exact-problems.ts (problem keys, sketches, LSH buckets), pairs.ts
 * (confirmed candidate pairs, band by band), partition.ts (problem groups by union-find; the shares
 * of a split merge), rows.ts (compact row columns), decisions.ts (representatives, caps, near-copy
 * responses), summaries.ts (the clusters reports list) and result.ts (what a row reads back).
 * Memory: ~40 bytes per row in typed arrays plus the row id (ids beyond the budget go to a file),
 * 4 × bands bytes per exact problem for LSH buckets (spilled to sorted run files beyond the budget)
 * and the exact problem's shingle set for the "exact" check (spilled likewise).
 */
import { clusterRows, decideRows, type DecisionRules, type RowDecisions } from "./decisions.js";
import { ExactProblems } from "./exact-problems.js";
import { bandPairs, noPairStats, type BandPairs, type CandidateCheck } from "./pairs.js";
import { DEFAULT_RESPONSE_THRESHOLD, DEFAULT_THRESHOLD, resolveSketch } from "./params.js";
import { partitionProblems, type Partition } from "./partition.js";
import { GroupResult } from "./result.js";
import { GroupRows } from "./rows.js";
import { DEFAULT_CLUSTER_LIMIT, DEFAULT_MEMBERS_LIMIT, listClusters, summarize, type ClusterFacts, type ClusterListing } from "./summaries.js";
import type { DedupeConfig, GroupInput, GroupStats, SketchConfig } from "./types.js";

/** the types of the grouper's split-merge API (`bandPairs`, `partition`, `finish({ pairs })`) */

export interface GrouperConfig {
  dedupe?: DedupeConfig;
  /** `annotate.sketch` — must match what the sketches were computed with */
  sketch?: SketchConfig;
  /** the mix seed: seeds every choice among rollouts */
  seed: number;
  sources?: { name: string; priority?: number }[];
}

export interface FinishOptions {
  /** most clusters listed by `clusters()` (default 1000) */
  clusterLimit?: number;
  /** most problems listed per cluster (default 20) */
  membersLimit?: number;
  /** confirmed pairs of every band, from the ranks that split them (see `ProblemGrouper.bandPairs`); default: all bands here. Ignored after `partition`. */
  pairs?: BandPairs[];
}

export class ProblemGrouper {
  private readonly near: boolean;
  private readonly check: CandidateCheck;
  private readonly rules: DecisionRules;
  private readonly priority = new Map<string, number>();
  private readonly problems: ExactProblems;
  private readonly rows: GroupRows;
  private lastOrdinal = -Infinity;
  private lastProblemOrdinal = -Infinity;
  private partitioned: Partition | null = null;
  private finished = false;

  constructor(cfg: GrouperConfig, tmpDir: string) {
    const d = cfg.dedupe ?? {};
    this.near = d.problems?.enabled ?? true;
    this.check = d.problems?.check ?? "exact";
    const responses = d.responses?.enabled ?? false;
    for (const s of cfg.sources ?? []) this.priority.set(s.name, s.priority ?? 0);
    this.rules = {
      policy: d.representative ?? "first",
      cap: d.maxRolloutsPerProblem ?? Infinity,
      responseThreshold: responses ? (d.responses?.threshold ?? DEFAULT_RESPONSE_THRESHOLD) : null,
      priority: this.priority,
    };
    const resolved = resolveSketch(cfg.sketch, cfg.dedupe);
    const budget = Math.max(1, d.memoryBudgetMB ?? 512) * 1024 * 1024;
    const threshold = d.problems?.threshold ?? DEFAULT_THRESHOLD;
    this.problems = new ExactProblems({ resolved, near: this.near, keepShingles: this.check === "exact", numbers: d.problems?.numbers !== "ignore", threshold, budget, tmpDir });
    const responseWords = responses ? Math.max(1, resolved.responsePermutations >>> 5) : 0;
    this.rows = new GroupRows(cfg.seed, responseWords, Math.max(1024, Math.floor((budget * 0.2) / 64)), tmpDir);
  }

  /** LSH bands of the problem sketches (what `bandPairs` splits) */
  get bands(): number {
    return this.problems.bands;
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
    this.problems.add(row, this.priority.get(row.source) ?? 0);
  }

  /** The row side: compact row data for caps, representatives and pass rates. Its problem went through `addProblem`. */
  addRow(row: GroupInput): void {
    if (this.finished) throw new Error("group: add() after finish()");
    if (!(row.ordinal > this.lastOrdinal)) {
      throw new Error(`group: rows must arrive in increasing ordinal order; row ${row.id} has ordinal ${row.ordinal} after ${this.lastOrdinal}`);
    }
    this.lastOrdinal = row.ordinal;
    const p = this.problems.indexOf(row.problemKey);
    if (p === undefined) throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) has a problem that addProblem() never saw`);
    if (this.partitioned && this.partitioned.owner[this.partitioned.problemCluster[p]!] !== this.partitioned.rank) {
      throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) belongs to another share of the merge (see owns())`);
    }
    this.rows.add(row, p);
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
    return this.near ? bandPairs(this.problems, bands, this.check) : { pairs: new Int32Array(0), stats: noPairStats() };
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
    const all = this.near ? (pairs ?? [this.pairsOf(Array.from({ length: this.problems.bands }, (_, j) => j))]) : [];
    this.partitioned = partitionProblems(this.problems, all, this.rules.policy, rank, world);
  }

  /** After `partition`: does this share own the rows of problem `problemKey`? */
  owns(problemKey: string): boolean {
    const part = this.partitioned;
    if (!part) throw new Error("group: owns() before partition()");
    const p = this.problems.indexOf(problemKey);
    if (p === undefined) throw new Error(`group: problem ${problemKey} was never added`);
    return part.owner[part.problemCluster[p]!] === part.rank;
  }

  async finish(options: FinishOptions = {}): Promise<GroupResult> {
    this.finished = true;
    try {
      return this.compute(options);
    } finally {
      this.problems.close();
    }
  }

  private compute(options: FinishOptions): GroupResult {
    const rows = this.rows;
    const stats: GroupStats = {
      rows: rows.count, exactProblems: this.problems.count, problemGroups: 0, nearDuplicateClusters: 0, nearDuplicateProblems: 0,
      candidatePairs: 0, checkedPairs: 0, rejectedByCheck: 0,
      drops: { "duplicate:rollout_cap": 0, "duplicate:near_response": 0 },
      spillRuns: this.problems.spillRuns, spilledCheckBytes: this.problems.spilledCheckBytes, bands: this.problems.bands,
    };
    if (!this.partitioned) this.partition(options.pairs);
    const part = this.partitioned!;
    countGroups(part, stats);
    const groups = clusterRows(rows, part.problemCluster, part.repProblem.length);
    const decisions = decideRows(rows, groups, part, this.rules, stats.drops);
    const clusterKey = Array.from(part.repProblem, (p) => this.problems.keys[p]!);
    const facts: ClusterFacts = { problems: this.problems, rows, part, clusterKey, rowCluster: groups.rowCluster, decisions };
    const listing = listClusters(facts, options.clusterLimit ?? DEFAULT_CLUSTER_LIMIT, options.membersLimit ?? DEFAULT_MEMBERS_LIMIT);
    this.resolveIds(part, decisions, listing);
    const summaries = summarize(facts, listing);
    return new GroupResult(
      {
        ordinals: rows.ordinals.view().slice(), rowCluster: groups.rowCluster, rowProblem: rows.problem.view().slice(),
        rowDrop: decisions.rowDrop, rowDupOf: decisions.rowDupOf, clusterKey, clusterRepRow: decisions.clusterRepRow,
        clusterRepProblem: part.repProblem, clusterRollouts: decisions.clusterRollouts, clusterProblems: part.problemsPerCluster,
        clusterCorrect: decisions.clusterCorrect, clusterGraded: decisions.clusterGraded,
      },
      rows.ids, stats, summaries,
    );
  }

  /** Reads back the ids the result names (representatives, duplicate-of rows, listed problems' first rows); drops the id spill file. */
  private resolveIds(part: Partition, decisions: RowDecisions, listing: ClusterListing): void {
    const needIds = new Set<number>();
    for (let c = 0; c < part.repProblem.length; c++) if (part.owner[c] === part.rank) needIds.add(decisions.clusterRepRow[c]!);
    for (let r = 0; r < this.rows.count; r++) if (decisions.rowDupOf[r]! >= 0) needIds.add(decisions.rowDupOf[r]!);
    for (const [, ps] of listing.members) for (const p of ps) needIds.add(listing.firstRow[p]!);
    this.rows.ids.resolve(needIds);
    this.rows.ids.close();
  }
}

/** This share's group counts; pair statistics are the whole run's, reported by the first share. */
function countGroups(part: Partition, stats: GroupStats): void {
  if (part.rank === 0) {
    stats.candidatePairs = part.pairStats.candidatePairs;
    stats.checkedPairs = part.pairStats.checkedPairs;
    stats.rejectedByCheck = part.pairStats.rejectedByCheck;
  }
  let exactProblems = 0;
  for (let c = 0; c < part.repProblem.length; c++) {
    if (part.owner[c] !== part.rank) continue;
    const n = part.problemsPerCluster[c]!;
    stats.problemGroups++;
    exactProblems += n;
    if (n > 1) {
      stats.nearDuplicateClusters++;
      stats.nearDuplicateProblems += n - 1;
    }
  }
  stats.exactProblems = exactProblems;
}
