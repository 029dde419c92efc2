/**
 * The group step's result, read per row by ordinal: its problem group (key, representative,
 * counts, pass rate), whether its problem joined the group as a near-duplicate, and the group-level
 * drop decided for it, if any.
 */
import { sortedIndexOf } from "./columns.js";
import { DROP_CAP, DROP_NONE } from "./decisions.js";
import type { ClusterSummary, GroupDrop, GroupStats, RowGroupInfo } from "./types.js";

/** Per row (by row index) and per problem group (by group index): what `GroupResult` reads. */
export interface GroupColumns {
  ordinals: Int32Array;
  rowCluster: Int32Array;
  rowProblem: Int32Array;
  rowDrop: Uint8Array;
  rowDupOf: Int32Array;
  clusterKey: string[];
  clusterRepRow: Int32Array;
  clusterRepProblem: Int32Array;
  clusterRollouts: Int32Array;
  clusterProblems: Int32Array;
  clusterCorrect: Int32Array;
  clusterGraded: Int32Array;
}

export class GroupResult {
  constructor(
    private readonly cols: GroupColumns,
    private readonly ids: { get(row: number): string },
    readonly stats: GroupStats,
    private readonly summaries: ClusterSummary[],
  ) {}

  private rowOf(ordinal: number): number {
    const o = this.cols.ordinals;
    if (ordinal >= 0 && ordinal < o.length && o[ordinal] === ordinal) return ordinal;
    const at = sortedIndexOf(o, ordinal);
    if (at >= 0) return at;
    throw new Error(`group: no row with ordinal ${ordinal} was added`);
  }

  info(ordinal: number): RowGroupInfo {
    const k = this.cols;
    const r = this.rowOf(ordinal);
    const c = k.rowCluster[r]!;
    const graded = k.clusterGraded[c]!;
    const info: RowGroupInfo = {
      problemGroup: k.clusterKey[c]!,
      representative: this.ids.get(k.clusterRepRow[c]!),
      representativeOrdinal: k.ordinals[k.clusterRepRow[c]!]!,
      nearDuplicateProblem: k.rowProblem[r] !== k.clusterRepProblem[c],
      groupRollouts: k.clusterRollouts[c]!,
      groupProblems: k.clusterProblems[c]!,
      groupCorrect: k.clusterCorrect[c]!,
      passRate: graded === 0 ? null : k.clusterCorrect[c]! / graded,
    };
    if (k.rowDrop[r] !== DROP_NONE) info.duplicateOf = this.ids.get(k.rowDupOf[r]!);
    return info;
  }

  dropFor(ordinal: number): GroupDrop | null {
    const k = this.cols;
    const r = this.rowOf(ordinal);
    const d = k.rowDrop[r]!;
    if (d === DROP_NONE) return null;
    const c = k.rowCluster[r]!;
    const duplicateOf = this.ids.get(k.rowDupOf[r]!);
    if (d === DROP_CAP) {
      return {
        reason: "duplicate:rollout_cap",
        detail: `problem group ${k.clusterKey[c]!.slice(0, 12)} has ${k.clusterRollouts[c]} rollouts over ${k.clusterProblems[c]} problem(s); cap reached`,
        duplicateOf,
      };
    }
    return { reason: "duplicate:near_response", detail: `response is a near-copy of ${duplicateOf}`, duplicateOf };
  }

  /** The problem group a row belongs to, as a dense index (for reports and tests). */
  clusterIndex(ordinal: number): number {
    return this.cols.rowCluster[this.rowOf(ordinal)]!;
  }

  /** Near-duplicate clusters (more than one exact problem), largest first; bounded by `clusterLimit` given to finish(). */
  clusters(): ClusterSummary[] {
    return this.summaries;
  }
}
