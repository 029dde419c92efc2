/**
 * The per-row decisions of the group step, one problem group at a time: its counts for the pass
 * rate, near-copy responses (`duplicate:near_response`), the representative row, and the rollout
 * cap (`duplicate:rollout_cap`). Every choice among rollouts prefers eligible, then correct rows,
 * then the smaller seeded hash of the id — never arrival order.
 */
import type { GroupRows } from "./rows.js";
import { ELIGIBLE, NO_RESPONSE_SKETCH, VERDICT_CORRECT, VERDICT_MASK, VERDICT_WRONG } from "./rows.js";
import { oneBitJaccard } from "./minhash.js";
import type { Partition } from "./partition.js";
import type { GroupStats, RepresentativePolicy } from "./types.js";

export const DROP_NONE = 0, DROP_CAP = 1, DROP_NEAR_RESPONSE = 2;
/** kept rollouts each rollout is compared with for near-copies */
const MAX_RESPONSE_COMPARISONS = 512;

export interface DecisionRules {
  policy: RepresentativePolicy;
  /** most rollouts kept per problem group */
  cap: number;
  /** estimated response Jaccard at which a rollout is a near-copy; null when responses are not compared */
  responseThreshold: number | null;
  /** source name → priority */
  priority: ReadonlyMap<string, number>;
}

/** Rows of each problem group in ordinal order: group c holds rowsByCluster[start[c], start[c + 1]). */
export interface ClusterRows {
  rowCluster: Int32Array;
  start: Int32Array;
  rowsByCluster: Int32Array;
}

export interface RowDecisions {
  /** DROP_NONE, DROP_CAP or DROP_NEAR_RESPONSE per row */
  rowDrop: Uint8Array;
  /** the row a dropped row duplicates, else -1 */
  rowDupOf: Int32Array;
  clusterRepRow: Int32Array;
  clusterRollouts: Int32Array;
  clusterCorrect: Int32Array;
  /** rollouts with verdict correct, incorrect or no_answer; a cut-off trace has none (GroupInput.verdict) */
  clusterGraded: Int32Array;
}

/** The rows of every problem group (`problemCluster`: group of each exact problem; C groups). */
export function clusterRows(rows: GroupRows, problemCluster: Int32Array, C: number): ClusterRows {
  const N = rows.count;
  const rowCluster = new Int32Array(N);
  const start = new Int32Array(C + 1);
  for (let r = 0; r < N; r++) {
    const c = problemCluster[rows.problem.data[r]!]!;
    rowCluster[r] = c;
    start[c + 1]!++;
  }
  for (let c = 0; c < C; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, C);
  const rowsByCluster = new Int32Array(N);
  for (let r = 0; r < N; r++) rowsByCluster[fill[rowCluster[r]!]!++] = r;
  return { rowCluster, start, rowsByCluster };
}

/** Decides the rows of this share's problem groups; counts the drops in `drops`. */
export function decideRows(rows: GroupRows, groups: ClusterRows, part: Partition, rules: DecisionRules, drops: GroupStats["drops"]): RowDecisions {
  const N = rows.count;
  const C = part.repProblem.length;
  const out: RowDecisions = {
    rowDrop: new Uint8Array(N),
    rowDupOf: new Int32Array(N).fill(-1),
    clusterRepRow: new Int32Array(C),
    clusterRollouts: new Int32Array(C),
    clusterCorrect: new Int32Array(C),
    clusterGraded: new Int32Array(C),
  };
  const decider = new GroupDecider(rows, rules, out, drops);
  for (let c = 0; c < C; c++) {
    if (part.owner[c] !== part.rank) continue;
    decider.decide(c, groups.rowsByCluster.subarray(groups.start[c]!, groups.start[c + 1]!), part.repProblem[c]!);
  }
  return out;
}

class GroupDecider {
  private readonly flags: Int32Array;
  private readonly hash: Int32Array;

  constructor(private readonly rows: GroupRows, private readonly rules: DecisionRules, private readonly out: RowDecisions, private readonly drops: GroupStats["drops"]) {
    this.flags = rows.flags.data;
    this.hash = rows.hash.data;
  }

  /** preference: eligible, correct, then seeded hash of the id (never arrival order) */
  private readonly prefer = (a: number, b: number): number => {
    const flags = this.flags, hash = this.hash;
    const ea = flags[a]! & ELIGIBLE, eb = flags[b]! & ELIGIBLE;
    if (ea !== eb) return eb - ea;
    const ca = (flags[a]! & VERDICT_MASK) === VERDICT_CORRECT ? 1 : 0, cb = (flags[b]! & VERDICT_MASK) === VERDICT_CORRECT ? 1 : 0;
    if (ca !== cb) return cb - ca;
    return (hash[a]! >>> 0) - (hash[b]! >>> 0) || a - b;
  };

  /** Problem group `c` with rows `rows` (ordinal order) and representative problem `rp`. */
  decide(c: number, rows: Int32Array, rp: number): void {
    const { flags, out } = this;
    out.clusterRollouts[c] = rows.length;
    for (const r of rows) {
      const v = flags[r]! & VERDICT_MASK;
      if (v === VERDICT_CORRECT) out.clusterCorrect[c]!++;
      if (v === VERDICT_CORRECT || v === VERDICT_WRONG) out.clusterGraded[c]!++;
    }
    const ordered = Array.from(rows).sort(this.prefer);
    if (this.rules.responseThreshold !== null) this.dropNearResponses(ordered, this.rules.responseThreshold);
    const live = ordered.filter((r) => out.rowDrop[r] === DROP_NONE && (flags[r]! & ELIGIBLE) !== 0);
    const repRow = this.representativeRow(live, rp) ?? this.representativeRow(Array.from(rows), rp)!;
    out.clusterRepRow[c] = repRow;
    if (live.length > this.rules.cap) {
      const keep = this.chooseSurvivors(live, repRow, this.rules.cap);
      for (const r of live) {
        if (!keep.has(r)) {
          out.rowDrop[r] = DROP_CAP;
          out.rowDupOf[r] = repRow;
          this.drops["duplicate:rollout_cap"]++;
        }
      }
    }
  }

  /**
   * The representative row among `rows` (group rows, any order): a row of the representative
   * problem `rp` when it has one, else any row; eligible, correct, from the highest-priority source
   * (policy "source_priority"), then first seen.
   */
  private representativeRow(rows: number[], rp: number): number | undefined {
    const flags = this.flags;
    let best: number | undefined;
    let bestKey: number[] = [];
    for (const r of rows) {
      const key = [
        this.rows.problem.data[r] === rp ? 1 : 0,
        flags[r]! & ELIGIBLE ? 1 : 0,
        (flags[r]! & VERDICT_MASK) === VERDICT_CORRECT ? 1 : 0,
        this.rules.policy === "source_priority" ? (this.rules.priority.get(this.rows.sourceOf(r)) ?? 0) : 0,
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

  /** Greedy in preference order: a rollout whose response is a near-copy of a kept one is dropped. */
  private dropNearResponses(ordered: number[], threshold: number): void {
    const w = this.rows.responseWords;
    const resp = this.rows.response.data;
    const { flags, out } = this;
    const keptRows: number[] = [];
    for (const r of ordered) {
      if ((flags[r]! & NO_RESPONSE_SKETCH) !== 0 || (flags[r]! & ELIGIBLE) === 0) continue;
      const a = resp.subarray(r * w, r * w + w);
      let match = -1;
      for (let k = 0; k < keptRows.length && k < MAX_RESPONSE_COMPARISONS; k++) {
        const q = keptRows[k]!;
        if (oneBitJaccard(a, resp.subarray(q * w, q * w + w)) >= threshold) {
          match = q;
          break;
        }
      }
      if (match >= 0) {
        out.rowDrop[r] = DROP_NEAR_RESPONSE;
        out.rowDupOf[r] = match;
        this.drops["duplicate:near_response"]++;
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
    const { flags, hash } = this;
    const len = this.rows.responseLength.data;
    const tiers = [
      live.filter((r) => r !== repRow && (flags[r]! & VERDICT_MASK) === VERDICT_CORRECT),
      live.filter((r) => r !== repRow && (flags[r]! & VERDICT_MASK) !== VERDICT_CORRECT),
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
