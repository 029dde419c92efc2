/**
 * The global step between annotate and write. Rows arrive in global order (index = dense position);
 * the step keeps compact per-row data only (no response text), then decides:
 *
 *  1. `exact_dedupe` — a row whose normalised problem + response equals an earlier surviving row's is
 *     dropped (`duplicate:exact`, duplicate_of = that row);
 *  2. `dedupe` — problem groups (exact problem keys merged by MinHash-LSH near-duplicate clusters),
 *     rollout caps and near-copy responses (src/group/group.ts).
 *
 * Rows already dropped by a row-local stage stay in their problem group (for pass rates) but never
 * take a cap slot or become a group's representative.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason, Rollout } from "../trace/record.js";
import { ProblemGrouper, type BandPairs, type GroupResult } from "../group/group.js";
import type { GroupOutcome } from "./group-outcome.js";

export type { GroupOutcome };

export class GroupStep {
  private exactFirst = new Map<string, number>();
  /** per row: index of the earlier row it exactly duplicates, or -1 */
  private exactDupOf: number[] = [];
  private ids: string[] = [];
  private grouper: ProblemGrouper;
  private index = 0;
  private exactDuplicates = 0;

  constructor(private config: MixConfig, tmpDir: string) {
    this.grouper = new ProblemGrouper(
      { dedupe: config.dedupe, sketch: config.annotate?.sketch, seed: config.seed, sources: config.sources.map((s) => ({ name: s.name, priority: s.priority })) },
      tmpDir,
    );
  }

  /** A row the group step does not see (a bad input row): keeps indexes aligned with the write pass. */
  skip(): void {
    this.index++;
    this.exactDupOf.push(-2);
    this.ids.push("");
  }

  /** false for a row passed to `skip` */
  grouped(index: number): boolean {
    return this.exactDupOf[index] !== -2;
  }

  /** Confirmed near-duplicate pairs of LSH bands `bands` (one rank's share; see ProblemGrouper.bandPairs). */
  bandPairs(bands: number[]): BandPairs {
    return this.grouper.bandPairs(bands);
  }

  /** LSH bands of the problem sketches */
  get bands(): number {
    return this.grouper.bands;
  }

  /** Add the next row (global order). `localDrop` is the row-local decision, if any. Returns its index. */
  add(record: Rollout, localDrop: DropReason | null): number {
    const i = this.index++;
    let dupOf = -1;
    if (!localDrop && record.keys && this.config.filters?.exactDuplicates !== false) {
      const prev = this.exactFirst.get(record.keys.exact);
      if (prev === undefined) this.exactFirst.set(record.keys.exact, i);
      else {
        dupOf = prev;
        this.exactDuplicates++;
      }
    }
    this.exactDupOf.push(dupOf);
    this.ids.push(record.id);
    this.grouper.add({
      ordinal: i,
      id: record.id,
      source: record.source,
      problemKey: record.keys?.problem ?? record.id,
      sketch: record.sketch ?? null,
      problemText: record.problem,
      problemChars: record.problem.length,
      // the group pass reads no response text: tokens stand in for length
      responseChars: record.response.length || (record.tokens?.response ?? 0),
      responseTokens: record.tokens?.response ?? null,
      verdict: record.verify?.verdict ?? null,
      eligible: !localDrop && dupOf < 0,
    });
    return i;
  }

  /** `pairs`: every band's pairs, from the ranks that split them; default: all bands here. */
  async finish(pairs?: BandPairs[]): Promise<GroupOutcome> {
    const result: GroupResult = await this.grouper.finish(pairs ? { pairs } : {});
    const { exactDupOf, ids } = this;
    const exactOn = this.config.filters?.exactDuplicates !== false;
    this.exactFirst.clear();
    return {
      stages: [...(exactOn ? ["exact_dedupe"] : []), "dedupe"],
      info: (i) => {
        const info = result.info(i);
        const d = exactDupOf[i]!;
        if (d >= 0) info.duplicateOf = ids[d];
        return info;
      },
      dropFor: (i) => {
        const d = exactDupOf[i]!;
        if (d >= 0) return { stage: "exact_dedupe", reason: "duplicate:exact", detail: `same problem and response as ${ids[d]}`, duplicateOf: ids[d] };
        const g = result.dropFor(i);
        return g ? { stage: "dedupe", reason: g.reason, detail: g.detail, duplicateOf: g.duplicateOf } : null;
      },
      stats: { ...result.stats, exactDuplicates: this.exactDuplicates },
      clusters: () => result.clusters(),
    };
  }
}
