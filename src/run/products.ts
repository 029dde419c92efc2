/**
 * The data products of a run in pieces any process or thread can do on its own: the plan (from the
 * compact columns of annotated/ and the saved group outcome; the same everywhere), one part's spill
 * (an annotated shard of a plain JSONL unit, else a unit), one output shard. The runner does them inline or hands them to products-worker threads; array
 * ranks split them (units with the write phase, output shards in the outputs phase).
 */
import type { MixConfig } from "../config/types.js";
import type { TraceFormat } from "../record/trace.js";
import type { DropReason, Rollout } from "../record/rollout.js";
import type { SourceFile } from "../io/sources.js";
import type { ProblemSummary } from "../group/problems.js";
import { ProblemStats } from "../group/problems.js";
import { rolloutFromRow } from "../io/rollout-columns.js";
import { layoutOutput, planOutputs, spillPart, tableRange, writeOutputShard, type MixRow, type OutputLayout, type OutputsPlan } from "../mix/build.js";
import type { ClosedShard } from "../io/parquet-write.js";
import type { GroupOutcome } from "../group/outcome.js";
import { annotatedRows, partsSeekable } from "./write-parts.js";
import { isReadFailure, storedDrop, type Decider } from "../decide/decide.js";
import { unitName } from "../io/units.js";
import type { UnitMarker } from "./markers.js";

/** compact columns the group step reads */
export const GROUP_COLUMNS = ["id", "source", "file", "row", "rollout_index", "problem", "finish_reason", "tokens_problem", "tokens_reasoning", "tokens_solution", "tokens_response", "exact_key", "problem_key", "verdict", "meta", "annotations", "stage", "reason", "detail", "duplicate_of"];
/** … and the products' plan (token counts and the trace format stand in for the texts) */
export const TABLE_COLUMNS = [...GROUP_COLUMNS, "reference", "trace_format", "unterminated"];

/** What a process or thread needs to do any piece of the products (plain data: goes to workers as is). */
export interface ProductsRun {
  config: MixConfig;
  outDir: string;
  /** every unit's completion marker, in unit order */
  markers: UnitMarker[];
  /** first annotated row index of each unit */
  bases: number[];
  /** input file of each unit */
  inputs: SourceFile[];
  shard: { codec: "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED"; rowGroupRows: number; shardRows: number; shardBytes: number };
  /** the spill folder (.work/outputs/<token>/) */
  spillDir: string;
}

/**
 * A spill part: one annotated shard of a plain JSONL unit (re-read from its recorded byte offset, as
 * the write step does), else a whole unit. Parts are named u<NNNNN>-p<NNNNN> or u<NNNNN>.
 */
export interface SpillPiece {
  name: string;
  unit: number;
  /** annotated shards [from, to) of the unit */
  from: number;
  to: number;
  /** global index of the first annotated row, and the rows */
  base: number;
  rows: number;
}

/** Every spill part of the run, in table order. */
export function spillPieces(run: ProductsRun): SpillPiece[] {
  const out: SpillPiece[] = [];
  run.markers.forEach((m, unit) => {
    let base = run.bases[unit]!;
    if (partsSeekable(m, run.inputs[unit]!)) {
      m.shards.forEach((sh, p) => {
        out.push({ name: `${unitName(unit)}-p${String(p).padStart(5, "0")}`, unit, from: p, to: p + 1, base, rows: sh.rows });
        base += sh.rows;
      });
    } else {
      out.push({ name: unitName(unit), unit, from: 0, to: m.shards.length, base, rows: m.shards.reduce((a, sh) => a + sh.rows, 0) });
    }
  });
  return out;
}

/** One piece of work for a products thread: a part's spill, or one output shard. */
export type ProductsTask = { kind: "spill"; piece: SpillPiece; by: string } | { kind: "shard"; name: string; k: number };

export interface Decisions {
  outcome: GroupOutcome;
  decider: Decider;
}

/**
 * The rows the data products are built from, every unit or one, with group info and final decision.
 * `compact`: annotated/ only, no texts (token counts and the trace format stand in for them: the
 * plan); else the responses re-read from the inputs (the spill).
 */
export async function* productRows(run: ProductsRun, d: Decisions, compact: boolean, piece?: SpillPiece): AsyncGenerator<MixRow> {
  const ms = piece === undefined ? run.markers : [run.markers[piece.unit]!];
  const base = piece === undefined ? 0 : piece.base;
  const range = piece === undefined ? undefined : { from: piece.from, to: piece.to };
  const source = compact ? annotatedRows(run.outDir, ms, TABLE_COLUMNS, undefined, base, range) : annotatedRows(run.outDir, ms, undefined, run.inputs, base, range);
  for await (const { index, value } of source) {
    const stored = storedDrop(value);
    if (isReadFailure(stored)) continue;
    const { record } = rolloutFromRow(compact ? { ...value, response: "" } : value);
    if (compact) {
      if (typeof value.trace_format !== "string" || !record.tokens) throw new Error(`internal: annotated row ${record.id} has no trace format or token counts`);
      record.trace = { format: value.trace_format as TraceFormat, reasoning: value.trace_format === "plain" ? null : "", solution: "", unterminated: value.unterminated === true, solutionUnterminated: false };
    }
    record.ordinal = index;
    const info = d.outcome.info(index);
    record.id = d.outcome.idOf(index) ?? record.id;
    const drop = d.decider.final(record, stored, index, d.outcome);
    yield { record, group: info, drop };
  }
}

/** Per-problem statistics: a compact pass in global order with each row's problem group. */
export async function problemSummaries(run: ProductsRun, outcome: GroupOutcome): Promise<Map<string, ProblemSummary>> {
  const problems = new ProblemStats();
  for await (const { index, value } of annotatedRows(run.outDir, run.markers, GROUP_COLUMNS)) {
    if (isReadFailure(storedDrop(value))) continue;
    const { record } = rolloutFromRow({ ...value, response: "", ordinal: 0 });
    const info = outcome.info(index);
    problems.addRollout(info.problemGroup, record);
  }
  const summaries = new Map<string, ProblemSummary>();
  for (const p of problems.summaries()) summaries.set(p.problemGroup, p);
  return summaries;
}

export async function planProducts(run: ProductsRun, d: Decisions, summaries: Map<string, ProblemSummary>): Promise<OutputsPlan> {
  const plan = await planOutputs({ config: run.config, outDir: run.outDir, tableRows: () => productRows(run, d, true), problem: (g) => summaries.get(g), shard: run.shard });
  if (!plan) throw new Error("internal: outputs configured but none planned");
  return plan;
}

/** Spill one part's records (see build.ts spillPart); `by` goes into its done marker. */
export async function spillPiece(run: ProductsRun, d: Decisions, plan: OutputsPlan, piece: SpillPiece, by: string): Promise<void> {
  await spillPart(plan, run.spillDir, piece.name, productRows(run, d, false, piece), tableRange(plan, piece.base, piece.base + piece.rows), by);
}

/**
 * Output shards written from one plan. One output's layout (its spill index) is held at a time:
 * shards come in build order, so each is loaded about once per process or thread.
 */
export class ProductShards {
  private current: OutputLayout | null = null;
  constructor(
    private run: ProductsRun,
    readonly plan: OutputsPlan,
  ) {}

  layout(name: string): OutputLayout {
    if (this.current?.name !== name) {
      this.close();
      this.current = layoutOutput(this.plan, this.run.spillDir, spillPieces(this.run).map((p) => p.name), name);
    }
    return this.current;
  }

  /** shard cuts of every output, in build order (each layout loaded, cut, dropped) */
  cuts(): { name: string; shards: number }[] {
    const out = this.plan.order.map((name) => ({ name, shards: this.layout(name).cuts.length - 1 }));
    this.close();
    return out;
  }

  write(name: string, k: number): ClosedShard {
    return writeOutputShard(this.plan, this.layout(name), k);
  }

  /** close the spill files (a thread between tasks); the layout stays */
  closeFiles(): void {
    this.current?.reader.close();
  }

  close(): void {
    this.current?.reader.close();
    this.current = null;
  }
}
