/**
 * The near-duplicate clusters reports list: problem groups of more than one exact problem, largest
 * first (rollouts, then problems, then key), each with its representative row and its first
 * problems (representative problem first) with their similarity to the representative problem.
 */
import type { RowDecisions } from "./decisions.js";
import { DROP_NONE } from "./decisions.js";
import type { ExactProblems } from "./exact-problems.js";
import type { Partition } from "./partition.js";
import type { GroupRows } from "./rows.js";
import type { ClusterSummary } from "./types.js";

/** problem groups `clusters()` lists by default */
export const DEFAULT_CLUSTER_LIMIT = 1000;
/** problems listed per group by default */
export const DEFAULT_MEMBERS_LIMIT = 20;

/** Which groups are listed, and which of their problems. */
export interface ClusterListing {
  /** listed group → its first `membersLimit` problems by index, in listing order */
  members: Map<number, number[]>;
  /** first row of each exact problem among this share's rows, else -1 */
  firstRow: Int32Array;
  membersLimit: number;
}

/** What the summaries read: the exact problems, the rows, the groups and their decisions. */
export interface ClusterFacts {
  problems: ExactProblems;
  rows: GroupRows;
  part: Partition;
  /** key of each group (its representative problem's) */
  clusterKey: string[];
  rowCluster: Int32Array;
  decisions: RowDecisions;
}

/** This share's groups of more than one exact problem, largest first, at most `clusterLimit`. */
export function listClusters(facts: ClusterFacts, clusterLimit: number, membersLimit: number): ClusterListing {
  const { problems, rows, part, clusterKey } = facts;
  const { problemsPerCluster, problemCluster } = part;
  const rollouts = facts.decisions.clusterRollouts;
  const P = problems.count;
  const firstRow = new Int32Array(P).fill(-1);
  for (let r = 0; r < rows.count; r++) if (firstRow[rows.problem.data[r]!]! < 0) firstRow[rows.problem.data[r]!] = r;
  const multi: number[] = [];
  for (let c = 0; c < part.repProblem.length; c++) if (part.owner[c] === part.rank && problemsPerCluster[c]! > 1) multi.push(c);
  multi.sort((a, b) => rollouts[b]! - rollouts[a]! || problemsPerCluster[b]! - problemsPerCluster[a]! || (clusterKey[a]! < clusterKey[b]! ? -1 : 1));
  const members = new Map<number, number[]>();
  for (const c of multi.slice(0, clusterLimit)) members.set(c, []);
  for (let p = 0; p < P; p++) {
    const m = members.get(problemCluster[p]!);
    if (m && m.length < membersLimit) m.push(p);
  }
  return { members, firstRow, membersLimit };
}

/** The listed groups' summaries; every id they name must be resolved in `facts.rows.ids`. */
export function summarize(facts: ClusterFacts, listing: ClusterListing): ClusterSummary[] {
  const { problems, rows, part, clusterKey, decisions } = facts;
  const { firstRow, membersLimit } = listing;
  const kept = new Int32Array(part.repProblem.length);
  for (let r = 0; r < rows.count; r++) if (decisions.rowDrop[r] === DROP_NONE) kept[facts.rowCluster[r]!]!++;
  return Array.from(listing.members, ([c, members]) => {
    const rp = part.repProblem[c]!;
    const ps = members.sort((a, b) => (a === rp ? -1 : b === rp ? 1 : a - b));
    if (!ps.includes(rp)) ps.unshift(rp);
    const rr = decisions.clusterRepRow[c]!;
    return {
      problemGroup: clusterKey[c]!,
      representative: { id: rows.ids.get(rr), ordinal: rows.ordinals.data[rr]!, source: rows.sourceOf(rr) },
      rollouts: decisions.clusterRollouts[c]!,
      kept: kept[c]!,
      problems: ps.slice(0, membersLimit).map((p) => ({
        problemKey: problems.keys[p]!,
        firstId: rows.ids.get(firstRow[p]!),
        firstOrdinal: rows.ordinals.data[firstRow[p]!]!,
        source: rows.sourceOf(firstRow[p]!),
        rollouts: problems.rows.data[p]!,
        similarity: p === rp ? 1 : problems.similarity(rp, p),
      })),
    };
  });
}
