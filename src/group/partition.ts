/**
 * Problem groups: exact problems joined by the confirmed near-duplicate pairs of every band
 * (union-find), numbered in first-seen order, each with its representative problem by the
 * `dedupe.representative` policy, and the share of a split merge that owns it (a seeded hash of the
 * group key mod the number of shares). Groups, representatives, caps and drops of a group depend
 * only on that group's rows, so the shares together equal one process's result.
 */
import { seededHash } from "../text/hash.js";
import { GrowInt32 } from "./columns.js";
import type { ExactProblems } from "./exact-problems.js";
import { noPairStats, type BandPairs, type PairStats } from "./pairs.js";
import type { RepresentativePolicy } from "./types.js";
import { UnionFind } from "./union-find.js";

/** What `partitionProblems` decided: problem groups, and which share of a split merge owns each. */
export interface Partition {
  rank: number;
  world: number;
  /** problem group of each exact problem */
  problemCluster: Int32Array;
  /** representative exact problem of each group */
  repProblem: Int32Array;
  problemsPerCluster: Int32Array;
  /** share that decides each group */
  owner: Int32Array;
  /** summed over every band's pairs */
  pairStats: PairStats;
}

/** seeds the hash that assigns problem groups to the shares of a split merge (not the mix seed: shares must not move with it) */
const SHARE_SEED = 0x5a4e;

/** Problem groups of `problems` from `pairs` (every band's); this process is share `rank` of `world` (checked by the caller). */
export function partitionProblems(problems: ExactProblems, pairs: BandPairs[], policy: RepresentativePolicy, rank: number, world: number): Partition {
  const P = problems.count;
  const pairStats = noPairStats();
  const uf = new UnionFind(P);
  for (const { pairs: ps, stats: s } of pairs) {
    pairStats.candidatePairs += s.candidatePairs;
    pairStats.checkedPairs += s.checkedPairs;
    pairStats.rejectedByCheck += s.rejectedByCheck;
    for (let i = 0; i + 1 < ps.length; i += 2) uf.union(problems.ofOrdinal(ps[i]!), problems.ofOrdinal(ps[i + 1]!));
  }
  // dense group index per root, in first-seen order; representative problem by policy
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
    } else if (betterRepresentative(problems, policy, p, repProblem.data[c]!)) {
      repProblem.data[c] = p;
    }
    problemCluster[p] = c;
    problemsPerCluster.data[c]!++;
  }
  const C = repProblem.length;
  const owner = new Int32Array(C);
  if (world > 1) for (let c = 0; c < C; c++) owner[c] = seededHash(SHARE_SEED, problems.keys[repProblem.data[c]!]!) % world;
  return { rank, world, problemCluster, repProblem: repProblem.view().slice(), problemsPerCluster: problemsPerCluster.view().slice(), owner, pairStats };
}

/** Is exact problem `p` a better representative than `q` (q is earlier, i.e. first seen)? */
function betterRepresentative(problems: ExactProblems, policy: RepresentativePolicy, p: number, q: number): boolean {
  switch (policy) {
    case "first":
      return false;
    case "longest":
      return problems.chars.data[p]! > problems.chars.data[q]!;
    case "most_rollouts":
      return problems.rows.data[p]! > problems.rows.data[q]!;
    case "source_priority":
      return problems.priority.data[p]! > problems.priority.data[q]!;
  }
}
