/**
 * The global step between annotate and write: collects a compact summary per row while annotated
 * rows stream by (in input order), then decides problem groups and group-level drops.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason, Rollout } from "../trace/record.js";
import type { RowGroupInfo } from "../group/types.js";

export interface GroupResult {
  /** names of the group-level stages, in order (for per-stage counts) */
  stages: string[];
  info(ordinal: number): RowGroupInfo;
  dropFor(ordinal: number): DropReason | null;
}

export class GroupStep {
  private problemKeys: string[] = [];

  constructor(private config: MixConfig) {}

  add(record: Rollout, _localDrop: DropReason | null): void {
    this.problemKeys[record.ordinal] = record.keys?.problem ?? record.id;
  }

  async finish(_tmpDir: string): Promise<GroupResult> {
    const keys = this.problemKeys;
    return {
      stages: [],
      info: (ordinal) => ({ problemGroup: keys[ordinal] ?? "" }),
      dropFor: () => null,
    };
  }
}
