/**
 * What every product shares: the Product a kind registers (products.ts), the OutputBuilder its plan
 * returns, eligibility checks with counted reasons, disjointness against other outputs, and the
 * tallies every output manifest reports.
 */
import type { OutputCommon, OutputConfig, PassRateHistogram, CountTokens } from "./types.js";
import type { MixRow, RowTable } from "./table.js";
import type { Encoder } from "./text.js";
import type { ThreadPool } from "../workers.js";
import { rowKey, sortByKey } from "./sample-keys.js";
import { rowTextBytes, type ColumnSpec, type RowValue } from "../io/parquet-write.js";

/** What planning gives a product besides its context: the tokenizer and the encode threads. */
export interface PlanTools {
  enc: Encoder;
  /** the encode worker pool (started on first call), or null when the run encodes inline */
  pool(): ThreadPool | null;
}

/**
 * A data product kind, as registered in products.ts: how it plans an output from the table, and what
 * its dataset card says. `C` is the `outputs.<name>` config of this kind (its `kind` is the key).
 */
export interface Product<C extends OutputCommon & { kind: string }> {
  kind: C["kind"];
  /** what one output row counts as in the card's tables: "rollouts", "pairs", "prompts" */
  unit: string;
  /** the card's paragraph: the row layout, and which trainer reads it */
  about: string[];
  /** card lines drawn from the manifest's `details`, after rows / tokens / problem groups */
  facts?(details: Record<string, unknown>): string[];
  /** plan one output (every decision from the table, before any text is read) */
  plan(ctx: PlanContext, config: C, tools: PlanTools): OutputBuilder;
}

export interface Blocker {
  name: string;
  /** problems used by that output (1 = used) */
  used: Uint8Array;
}

export interface PlanContext {
  name: string;
  config: OutputConfig;
  table: RowTable;
  seed: number;
  /** outputs named in `exclude`, already planned */
  blockers: Blocker[];
  /** 1 for sources this output reads */
  sourceOk: Uint8Array;
  outputDir: string;
  shard: { codec: "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED"; rowGroupRows: number; shardRows: number; shardBytes: number };
  tokenizer: string;
  /** `responseFormat: "think"`: the wrapper's ids and token counts; null for "raw" */
  think: ThinkWrap | null;
}

export interface ThinkWrap {
  open: number[];
  close: number[];
  openTokens: number;
  closeTokens: number;
}

/** Writes one record of table row i into the current part's spill; `size` = text size it adds to output rows. */
export type PutRecord = (i: number, bytes: Uint8Array, size: number) => void;

/** One part's second pass for one output: rows in input order, then `end` (all records put). */
export interface PartSpiller {
  row(i: number, row: MixRow): void | Promise<void>;
  end(): void | Promise<void>;
}

/**
 * A planned output. Everything is decided from the table (which rows, in which output order, how many
 * tokens each output row holds); the texts come in a second pass, part by part, as spill records, and
 * the shards are cut from the plan and the records' sizes, so any shard can be written by any process
 * once every part is spilled (see build.ts).
 */
export interface OutputBuilder {
  /** problems this output uses (after planning) */
  readonly used: Uint8Array;
  readonly eligibility: Record<string, number>;
  readonly disjoint: Record<string, { problems: number; rollouts: number; overlapAfter: number }>;
  /** the manifest's tallies, complete after planning */
  readonly tally: Tally;
  readonly warnings: string[];
  readonly columns: ColumnSpec[];
  /** Parquet key-value metadata of every shard */
  readonly kv: Record<string, string>;
  /** rows per row group (≤ the run's) */
  readonly rowGroupRows: number;
  /** output rows, in output order */
  readonly count: number;
  /** true when table row i needs a record in the spill */
  needs(i: number): boolean;
  /** the second pass over one part's rows: records put with `put` before `end` resolves */
  spiller(put: PutRecord): PartSpiller;
  /** tokens of output row k */
  rowTokens(k: number): number;
  /**
   * text size of output row k (what shards roll over on), from its records' sizes (`size(i)`); when
   * `exact`, the writer checks it equals the text the row holds
   */
  rowSize(k: number, size: (i: number) => number): number;
  readonly exactSizes: boolean;
  /** output rows [a, b) from their records (`get(i)`), appended in order */
  writeRows(a: number, b: number, get: (i: number) => Buffer, append: (values: RowValue[], tokens: number) => void): void;
  details(): Record<string, unknown>;
}

/**
 * The text side of an output whose rows are table rows in input order, one JSON record each (SFT,
 * RL): the record holds the row's texts, `values` builds the output row from it, so the record's size
 * is the row's exact text size.
 */
export function rowRecords<Rec>(
  rows: Int32Array,
  columns: ColumnSpec[],
  recordOf: (row: MixRow) => Rec,
  values: (i: number, rec: Rec) => RowValue[],
  tokens: (i: number) => number,
): Pick<OutputBuilder, "count" | "exactSizes" | "needs" | "spiller" | "rowTokens" | "rowSize" | "writeRows"> {
  // rows ascend (input order): a flag per table row up to the last
  const needed = new Uint8Array(rows.length ? rows[rows.length - 1]! + 1 : 0);
  for (const i of rows) needed[i] = 1;
  return {
    count: rows.length,
    exactSizes: true,
    needs: (i) => needed[i] === 1,
    spiller: (put) => ({
      row(i: number, row: MixRow) {
        const rec = recordOf(row);
        put(i, Buffer.from(JSON.stringify(rec), "utf8"), rowTextBytes(columns, values(i, rec)));
      },
      end() {},
    }),
    rowTokens: (k) => tokens(rows[k]!),
    rowSize: (k, size) => size(rows[k]!),
    writeRows(a, b, get, append) {
      for (let k = a; k < b; k++) {
        const i = rows[k]!;
        append(values(i, JSON.parse(get(i).toString("utf8")) as Rec), tokens(i));
      }
    },
  };
}

/** Counts "why not" per reason and applies the checks shared by every kind. */
export class Eligibility {
  readonly counts: Record<string, number> = {};
  readonly disjoint: Record<string, { problems: number; rollouts: number; overlapAfter: number }> = {};
  private blockedProblems: Map<string, Uint8Array> = new Map();
  private readonly cfg: OutputCommon;

  constructor(private ctx: PlanContext) {
    this.cfg = ctx.config as OutputCommon;
    for (const b of ctx.blockers) {
      this.disjoint[b.name] = { problems: 0, rollouts: 0, overlapAfter: 0 };
      this.blockedProblems.set(b.name, new Uint8Array(ctx.table.problems.length));
    }
  }

  count(reason: string, n = 1): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + n;
  }

  /** Problem-level reason this problem is left out, or null. Does not check disjointness. */
  problemReason(p: number): string | null {
    const t = this.ctx.table;
    if (t.pContaminated[p] && !this.cfg.allowContaminated) return "problem_contaminated";
    const band = this.cfg.passRate;
    if (band) {
      const pr = t.pPassRate[p]!;
      if (Number.isNaN(pr)) return "no_pass_rate";
      if (pr < band[0] || pr > band[1]) return "pass_rate_band";
    }
    const sd = this.cfg.sourceDifficulty;
    if (sd) {
      const d = t.pSourceDifficulty[p]!;
      if (Number.isNaN(d)) return "no_source_difficulty";
      if (d < sd[0] || d > sd[1]) return "source_difficulty_band";
    }
    return null;
  }

  /** Name of an excluded output that already uses problem p, or null. */
  blockedBy(p: number): string | null {
    for (const b of this.ctx.blockers) if (b.used[p]) return b.name;
    return null;
  }

  /**
   * Admit one candidate (a rollout, or a problem when `unit` is 1 per problem): the row-level reason
   * (if any) is counted first, then the problem-level checks, then disjointness (counted per excluded
   * output: the candidates it took away that would otherwise have been used).
   */
  admit(p: number, rowReason: string | null): boolean {
    if (rowReason) {
      this.count(rowReason);
      return false;
    }
    const pr = this.problemReason(p);
    if (pr) {
      this.count(pr);
      return false;
    }
    const b = this.blockedBy(p);
    if (b) {
      this.count(`disjoint:${b}`);
      const d = this.disjoint[b]!;
      d.rollouts++;
      const seen = this.blockedProblems.get(b)!;
      if (!seen[p]) {
        seen[p] = 1;
        d.problems++;
      }
      return false;
    }
    return true;
  }

  /** After planning: problems shared with every excluded output (must be 0). */
  checkDisjoint(used: Uint8Array): void {
    for (const b of this.ctx.blockers) {
      let n = 0;
      for (let p = 0; p < used.length; p++) if (used[p] && b.used[p]) n++;
      this.disjoint[b.name]!.overlapAfter = n;
      if (n > 0) throw new Error(`outputs.${this.ctx.name}: ${n} problem group(s) shared with excluded output ${b.name} (internal error: disjointness not enforced)`);
    }
  }
}

/**
 * Keep at most k candidates per problem: the k with the lowest seeded key. Candidates come in any
 * order; the result keeps the input order.
 */
export function capPerProblem(t: RowTable, candidates: Int32Array, k: number, purpose: string, elig: Eligibility): Int32Array {
  const ranked = sortByKey(candidates, rowKey(t, purpose));
  const taken = new Int32Array(t.problems.length);
  const keep = new Uint8Array(t.n);
  let kept = 0;
  for (const i of ranked) {
    const p = t.problem[i]!;
    if (taken[p]! >= k) {
      elig.count("per_problem_cap");
      continue;
    }
    taken[p]!++;
    keep[i] = 1;
    kept++;
  }
  const out = new Int32Array(kept);
  let j = 0;
  for (const i of candidates) if (keep[i]) out[j++] = i;
  return out;
}

export class Tally {
  rows = 0;
  tokens = 0;
  readonly bySource: Record<string, CountTokens> = {};
  readonly byDomain: Record<string, CountTokens> = {};
  readonly byDifficulty: Record<string, CountTokens> = {};
  readonly histogram: PassRateHistogram = { bins: 10, counts: new Array(10).fill(0), unknown: 0 };
  private problemsSeen: Uint8Array;
  problems = 0;

  constructor(private t: RowTable) {
    this.problemsSeen = new Uint8Array(t.problems.length);
  }

  /** one output row (a rollout, a pair or a prompt) of problem p from source s: breakdowns and totals */
  row(p: number, source: number, tokens: number): void {
    this.add(p, source, tokens);
    this.rows++;
    this.tokens += tokens;
  }

  /** one unit of problem p from source s in the breakdowns only (midtrain counts rows as sequences) */
  add(p: number, source: number, tokens: number): void {
    const t = this.t;
    const bump = (m: Record<string, CountTokens>, k: string) => {
      const c = (m[k] ??= { rows: 0, tokens: 0 });
      c.rows++;
      c.tokens += tokens;
    };
    bump(this.bySource, t.sources[source]!);
    bump(this.byDomain, t.pDomain[p]!);
    bump(this.byDifficulty, t.difficultyName(p) ?? "unknown");
    const pr = t.pPassRate[p]!;
    if (Number.isNaN(pr)) this.histogram.unknown++;
    else this.histogram.counts[Math.min(this.histogram.bins - 1, Math.floor(pr * this.histogram.bins))]!++;
    if (!this.problemsSeen[p]) {
      this.problemsSeen[p] = 1;
      this.problems++;
    }
  }
}

/** Sorted-key copy of a record, for stable JSON in manifests. */
export function sortedRecord<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}
