/**
 * The one place that decides a row's fate: kept, or dropped with a DropReason. Three sources, in this
 * order of precedence (the first that drops a row names its stage and reason):
 *
 *   1. stored at annotate time: the row could not be read (stage `read`) or an annotator failed on it
 *      (stage `annotate`) — written into annotated/'s `stage`/`reason` columns;
 *   2. the row-local filters, from the row's stored annotations and the mix file's `filters`, in order
 *      of precedence by cause (src/decide/filters.ts: decontaminate, trace — a broken trace: loop,
 *      truncated —, verify, quality, length — the first that drops wins);
 *   3. the group outcome, from every row (exact duplicates, near-duplicate problems, rollout caps).
 *
 * The stages, in this order, are the funnel: each counts the rows the previous one kept. Every signal
 * a row raises, dropped or not, goes to the signal table (signals.ts). The group step, the write step
 * and the data products all ask this module, so a row is decided the same way everywhere; a changed
 * threshold never needs re-annotating. The precedence is explained in docs/decisions.md.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason, Rollout } from "../record/rollout.js";
import { LOCAL_STAGE_NAMES, localDecider, localFilterStages } from "./filters.js";
import { localSignals, type RaisedSignal } from "./signals.js";

/** The decision stored in an annotated/ row (`stage`, `reason`, `detail`, `duplicate_of`), if any. */
export function storedDrop(v: Record<string, unknown>): DropReason | null {
  if (!v.stage) return null;
  return {
    stage: v.stage as string,
    reason: v.reason as string,
    detail: (v.detail as string | null) ?? undefined,
    duplicateOf: (v.duplicate_of as string | null) ?? undefined,
  };
}

/** A bad input row: it has no rollout, so no filter or group step sees it. */
export function isReadFailure(drop: DropReason | null): boolean {
  return drop?.stage === "read";
}

/** What the group step decided, by a row's global index. */
export interface GroupDecisions {
  /** names of the group-level stages, in order */
  stages: string[];
  dropFor(index: number): DropReason | null;
}

export class Decider {
  private readonly filters: (record: Rollout) => DropReason | null;
  private readonly localStages: string[];
  private readonly raised: (record: Rollout) => RaisedSignal[];

  constructor(config: MixConfig) {
    this.filters = localDecider(config);
    this.localStages = localFilterStages(config).map((s) => s.name);
    this.raised = localSignals(config);
  }

  /** Everything decided without the other rows: stored at annotate time, else the row-local filters. */
  local(record: Rollout, stored: DropReason | null): DropReason | null {
    return stored ?? this.filters(record);
  }

  /** The final decision of the row at global `index`: stored, row-local filters, then the group outcome. */
  final(record: Rollout, stored: DropReason | null, index: number, group: GroupDecisions): DropReason | null {
    return this.local(record, stored) ?? group.dropFor(index);
  }

  /**
   * Every signal the row at global `index` raises (signals.ts), dropped or not: its stored failure,
   * its row-local signals, its group drop and its final `drop` (the reason always counts as a signal
   * of its own). A signal may repeat; the counter counts it once per row.
   */
  signals(record: Rollout | null, stored: DropReason | null, drop: DropReason | null, index: number, group: GroupDecisions): RaisedSignal[] {
    const out: RaisedSignal[] = [];
    if (stored) out.push({ stage: stored.stage, signal: stored.reason });
    if (record) {
      out.push(...this.raised(record));
      const g = group.dropFor(index);
      if (g) out.push({ stage: g.stage, signal: g.reason });
    }
    if (drop) out.push({ stage: drop.stage, signal: drop.reason });
    return out;
  }

  /** The stages every row passes, in order (per-stage counts): read, annotate, local filters, group stages. */
  stageOrder(groupStages: string[]): string[] {
    return ["read", "annotate", ...this.localStages, ...groupStages];
  }

  /** Every stage in precedence order, enabled or not: how the signal table is ordered. */
  precedence(groupStages: string[]): string[] {
    return ["read", "annotate", ...LOCAL_STAGE_NAMES, ...groupStages];
  }
}
