/**
 * The rows of the group step in compact columns, ~40 bytes a row: ordinal, exact problem, response
 * length, verdict and flags, seeded hash of the id, source, one-bit response sketch, and the id
 * (spilled to a file beyond its share of the budget). Pass rates, representatives, caps and
 * near-copy responses are decided from these; no row text is kept.
 */
import { seededHash } from "../text/hash.js";
import { GrowInt32 } from "./columns.js";
import { RowIds } from "./row-ids.js";
import type { GroupInput } from "./types.js";

/** verdict codes, the low 4 bits of a row's flags */
export const VERDICT_NONE = 0, VERDICT_CORRECT = 1, VERDICT_WRONG = 2, VERDICT_UNGRADED = 3;
export const VERDICT_MASK = 15;
/** flag: the row may take a cap slot and represent its group (no row-local drop, not an exact duplicate) */
export const ELIGIBLE = 16;
/** flag: the row has no response sketch, so it is never compared for near-copies */
export const NO_RESPONSE_SKETCH = 32;

function verdictCode(v: string | null | undefined): number {
  if (v === undefined || v === null) return VERDICT_NONE;
  if (v === "correct") return VERDICT_CORRECT;
  if (v === "incorrect" || v === "no_answer") return VERDICT_WRONG;
  return VERDICT_UNGRADED;
}

export class GroupRows {
  readonly ordinals = new GrowInt32();
  /** exact problem index of each row */
  readonly problem = new GrowInt32();
  /** response tokens (else characters), capped at int32 */
  readonly responseLength = new GrowInt32();
  /** verdict | ELIGIBLE | NO_RESPONSE_SKETCH */
  readonly flags = new GrowInt32();
  /** seeded hash of the id: orders rollouts without arrival order */
  readonly hash = new GrowInt32();
  /** one-bit response sketch, `responseWords` words per row (none when responses are not compared) */
  readonly response = new GrowInt32();
  private readonly source = new GrowInt32();
  private readonly sourceIndex = new Map<string, number>();
  private readonly sourceNames: string[] = [];
  readonly ids: RowIds;

  constructor(private readonly seed: number, readonly responseWords: number, memoryIds: number, tmpDir: string) {
    this.ids = new RowIds(memoryIds, tmpDir);
  }

  get count(): number {
    return this.ordinals.length;
  }

  /** Adds a row of exact problem `problem`. */
  add(row: GroupInput, problem: number): void {
    this.ordinals.push(row.ordinal);
    this.problem.push(problem);
    const len = row.responseTokens ?? row.responseChars;
    this.responseLength.push(Math.min(len, 0x7fffffff));
    this.flags.push(verdictCode(row.verdict) | ((row.eligible ?? true) ? ELIGIBLE : 0));
    this.hash.push(seededHash(this.seed, row.id) | 0);
    this.ids.push(row.id);
    let si = this.sourceIndex.get(row.source);
    if (si === undefined) {
      si = this.sourceNames.length;
      this.sourceIndex.set(row.source, si);
      this.sourceNames.push(row.source);
    }
    this.source.push(si);
    if (this.responseWords > 0) this.addResponseSketch(row);
  }

  private addResponseSketch(row: GroupInput): void {
    const resp = row.sketch?.response;
    const ok = resp !== undefined && resp.length === this.responseWords;
    if (resp !== undefined && resp.length > 0 && !ok) {
      throw new Error(`group: row ${row.id} (ordinal ${row.ordinal}) has a response sketch of ${resp.length} words, expected ${this.responseWords} (annotate.sketch.responsePermutations / 32)`);
    }
    for (let w = 0; w < this.responseWords; w++) this.response.push(ok ? resp[w]! : 0);
    if (!ok) this.flags.data[this.flags.length - 1]! |= NO_RESPONSE_SKETCH;
  }

  sourceOf(row: number): string {
    return this.sourceNames[this.source.data[row]!]!;
  }
}
