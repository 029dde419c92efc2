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
 * take a cap slot or become a group's representative. The {@link GroupOutcome} it returns is what
 * outcome.ts saves for the write step.
 */
import type { MixConfig } from "../config/types.js";
import type { DropReason, Rollout } from "../record/rollout.js";
import { GrowInt32 } from "./columns.js";
import { ProblemGrouper } from "./group.js";
import type { BandPairs } from "./pairs.js";
import type { GroupResult } from "./result.js";
import type { GroupInput } from "./types.js";
import type { GroupOutcome } from "./outcome.js";
import { DuplicateIds } from "./duplicate-ids.js";
import { UsageError } from "../errors.js";
import { gradedVerdict } from "../verify/annotator.js";

/** per row of the row pass: another share's row, a bad input row (skipped); 0 is a row grouped here */
const ELSEWHERE = -3;
const BAD = -2;

/**
 * Two ways to feed it:
 *  - one process: `add(record, localDrop)` (or `skip()` for a bad input row) for every row, `finish()`;
 *  - a merge split by problem group: `addProblem(record)` / `skip()` for every row, `partition(pairs,
 *    rank, world)`, then a second pass of `addRow(record, localDrop)` / `skipRow()` for every row (rows
 *    of other shares cost 4 bytes), `finish()`. The result covers this share's rows; `rowState(i)`
 *    says which rows those are.
 */
export class GroupStep {
  /** exact key → id of its first surviving row (this share's rows only) */
  private exactFirst = new Map<string, string>();
  /** per row: BAD, ELSEWHERE, or 0 (grouped here) */
  private state = new GrowInt32();
  /** id of the row each exact duplicate repeats, by row index */
  private exactDupOf = new Map<number, string>();
  private grouper: ProblemGrouper;
  private problemIndex = 0;
  private rowIndex = 0;
  private exactDuplicates = 0;
  private split = false;
  /** repeated ids made unique (see duplicate-ids.ts): new id and original id, by row index */
  private readonly ids = new DuplicateIds();
  private readonly renamed = new Map<number, { id: string; originalId: string }>();

  constructor(private config: MixConfig, tmpDir: string) {
    this.grouper = new ProblemGrouper(
      { dedupe: config.dedupe, sketch: config.annotate?.sketch, seed: config.seed, sources: config.sources.map((s) => ({ name: s.name, priority: s.priority })) },
      tmpDir,
    );
  }

  /** A row the group step does not see (a bad input row): keeps indexes aligned with the write pass. */
  skip(): void {
    this.problemIndex++;
    if (!this.split) this.skipRow();
  }

  /** A bad input row, in the row pass of a split merge. */
  skipRow(): void {
    this.rowIndex++;
    this.state.push(BAD);
  }

  /** "grouped": this outcome decides the row; "bad": a bad input row; "elsewhere": another share's row */
  rowState(index: number): "grouped" | "bad" | "elsewhere" {
    const s = this.state.data[index]!;
    return s === BAD ? "bad" : s === ELSEWHERE ? "elsewhere" : "grouped";
  }

  /** Confirmed near-duplicate pairs of LSH bands `bands` (one rank's share; see ProblemGrouper.bandPairs). */
  bandPairs(bands: number[]): BandPairs {
    return this.grouper.bandPairs(bands);
  }

  /** LSH bands of the problem sketches */
  get bands(): number {
    return this.grouper.bands;
  }

  private input(record: Rollout, i: number, localDrop: DropReason | null, dupOf: boolean): GroupInput {
    return {
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
      // a cut-off trace was never graded: no verdict for the pass rate (verify/annotator.ts)
      verdict: gradedVerdict(record.verify),
      eligible: !localDrop && !dupOf,
    };
  }

  /** Problem pass of a split merge: the row's problem (every row, in order). */
  addProblem(record: Rollout): void {
    this.split = true;
    this.problem(record);
  }

  /** Every row's first visit (global order): its id made unique, then its problem. */
  private problem(record: Rollout): void {
    const i = this.problemIndex++;
    const id = this.ids.unique(record);
    if (id !== record.id) {
      if (this.config.dedupe?.duplicateIds === "fail") this.refuseDuplicate(record);
      this.renamed.set(i, { id, originalId: record.id });
      record.id = id;
    }
    this.grouper.addProblem(this.input(record, i, null, false));
  }

  private refuseDuplicate(record: Rollout): never {
    throw new UsageError(
      `${record.file}, row ${record.row + 1}: rollout id ${JSON.stringify(record.id)} (source ${record.source}) repeats an earlier row's id, and dedupe.duplicateIds is "fail"; ` +
        `give every rollout its own id, or set dedupe.duplicateIds to "rename" (the default: later rows get <id>@<source>:<file>:<line>)`,
    );
  }

  /** After the problem pass: problem groups from every band's pairs; this step keeps share `rank` of `world`. */
  partition(pairs: BandPairs[] | undefined, rank: number, world: number): void {
    this.grouper.partition(pairs, rank, world);
  }

  /** Row pass of a split merge: the next row (every row, in order); rows of other shares are only counted. */
  addRow(record: Rollout, localDrop: DropReason | null): number {
    const i = this.rowIndex++;
    const renamed = this.renamed.get(i);
    if (renamed) record.id = renamed.id; // the row pass of a split merge sees the row again
    if (this.split && !this.grouper.owns(record.keys?.problem ?? record.id)) {
      this.state.push(ELSEWHERE);
      return i;
    }
    this.state.push(0);
    let dup = false;
    if (!localDrop && record.keys && this.config.filters?.exactDuplicates !== false) {
      const prev = this.exactFirst.get(record.keys.exact);
      if (prev === undefined) this.exactFirst.set(record.keys.exact, record.id);
      else {
        dup = true;
        this.exactDupOf.set(i, prev);
        this.exactDuplicates++;
      }
    }
    this.grouper.addRow(this.input(record, i, localDrop, dup));
    return i;
  }

  /** One process: add the next row (global order). `localDrop` is the row-local decision, if any. Returns its index. */
  add(record: Rollout, localDrop: DropReason | null): number {
    this.problem(record);
    return this.addRow(record, localDrop);
  }

  /** `pairs`: every band's pairs, from the ranks that split them; default: all bands here (one process). */
  async finish(pairs?: BandPairs[]): Promise<GroupOutcome> {
    if (!this.split) this.grouper.partition(pairs, 0, 1);
    const result: GroupResult = await this.grouper.finish();
    const { exactDupOf, renamed } = this;
    const exactOn = this.config.filters?.exactDuplicates !== false;
    this.exactFirst.clear();
    return {
      stages: [...(exactOn ? ["exact_dedupe"] : []), "dedupe"],
      info: (i) => {
        const info = result.info(i);
        const d = exactDupOf.get(i);
        if (d !== undefined) info.duplicateOf = d;
        const r = renamed.get(i);
        if (r) info.originalId = r.originalId;
        return info;
      },
      idOf: (i) => renamed.get(i)?.id,
      dropFor: (i) => {
        const d = exactDupOf.get(i);
        if (d !== undefined) return { stage: "exact_dedupe", reason: "duplicate:exact", detail: `same problem and response as ${d}`, duplicateOf: d };
        const g = result.dropFor(i);
        return g ? { stage: "dedupe", reason: g.reason, detail: g.detail, duplicateOf: g.duplicateOf } : null;
      },
      stats: { ...result.stats, exactDuplicates: this.exactDuplicates, duplicateIds: this.ids.count },
      clusters: () => result.clusters(),
    };
  }
}
