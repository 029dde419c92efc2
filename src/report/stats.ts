/**
 * Plain statistics over shards: row counts, schema, token-length histogram and quantiles, counts per
 * source / domain / verdict / decision. Streams the shards reading only the columns it needs.
 */
import { problemDomain } from "../quality/domain.js";
import type { MetaValue } from "../record/rollout.js";
import { BottomK, openShards, shardColumns, type ReadOptions, type Row } from "./shards.js";
import { parquetInfo } from "../io/parquet-read.js";

/** Growable Int32 buffer (hot path: no per-row objects). */
export class IntSeries {
  private buf = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  sorted(): Int32Array {
    return this.buf.slice(0, this.length).sort();
  }
}

export interface Histogram {
  /** lower edge of each bin; bin i covers [edges[i], edges[i] + width) */
  edges: number[];
  width: number;
  counts: number[];
  /** the last bin also holds every value above its range */
  overflow: boolean;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  n: number;
}

function niceStep(raw: number): number {
  if (raw <= 1) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return Math.ceil(m * mag);
  return Math.ceil(10 * mag);
}

function quantile(sorted: Int32Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Histogram with about `bins` bins of a "nice" width over [0, max]. A long tail (max > 2 × p99) is
 * folded into the last bin (`overflow`), so one outlier does not squash the picture. Pass `width` and
 * `binCount` to share bins between two series.
 */
export function histogram(values: IntSeries, bins = 20, width?: number, binCount?: number): Histogram {
  const s = values.sorted();
  const n = s.length;
  const max = n ? s[n - 1]! : 0;
  const min = n ? s[0]! : 0;
  const p99 = quantile(s, 0.99);
  const span = max > 2 * p99 && p99 > 0 ? p99 : max;
  const w = width ?? niceStep((span + 1) / bins);
  const nb = binCount ?? Math.max(1, Math.floor(span / w) + 1);
  const counts = new Array<number>(nb).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    sum += v;
    counts[Math.min(nb - 1, Math.max(0, Math.floor(v / w)))]!++;
  }
  return {
    edges: counts.map((_, i) => i * w),
    width: w,
    counts,
    overflow: max >= nb * w,
    min,
    max,
    mean: n ? sum / n : 0,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99,
    n,
  };
}

/** The problem domain of a row: stored annotation when present, else from meta (subject / type) or keywords. */
export function rowDomain(row: Row): string | null {
  const ann = row.annotations as Record<string, any> | null | undefined;
  const stored = ann?.quality?.domain ?? ann?.domain ?? ann?.problem?.domain;
  if (typeof stored === "string") return stored;
  const problem = typeof row.problem === "string" ? row.problem : null;
  const meta = row.meta && typeof row.meta === "object" ? (row.meta as Record<string, MetaValue>) : undefined;
  if (problem === null && !meta) return null;
  return problemDomain(problem ?? "", meta).domain;
}

/** Per-row decision label: "kept", or the drop reason (from the `reason` column), or null when unknown. */
export function rowDecision(row: Row): string | null {
  if (row.kept === true) return "kept";
  if (typeof row.reason === "string" && row.reason) return row.reason;
  if (row.kept === false) return "dropped";
  return null;
}

function bump(m: Record<string, number>, k: string | null | undefined): void {
  const key = k === null || k === undefined || k === "" ? "(none)" : k;
  m[key] = (m[key] ?? 0) + 1;
}

function sortCounts(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

export interface Description {
  path: string;
  files: { path: string; set: string; rows: number; rowGroups: number }[];
  rows: number;
  columns: { name: string; type: string }[];
  /** token-length histogram of `tokens_response` (absent when the column is) */
  tokens: Histogram | null;
  bySource: Record<string, number>;
  byDomain: Record<string, number>;
  byVerdict: Record<string, number>;
  byDecision: Record<string, number>;
  /** rows flagged as contaminated, per benchmark */
  byContamination: Record<string, number>;
  where: string | null;
  /** rows matching `where` (equals rows when no filter) */
  matched: number;
}

const DESCRIBE_COLUMNS = ["id", "source", "problem", "meta", "annotations", "tokens_response", "verdict", "reason", "stage", "contaminated", "kept"];

/** Plain stats object for a shard, folder or run folder. */
export async function describe(path: string, opts: { where?: string; sets?: ReadOptions["sets"] } = {}): Promise<Description> {
  const rows = openShards(path, { columns: DESCRIBE_COLUMNS, where: opts.where, sets: opts.sets });
  const files: Description["files"] = [];
  let total = 0;
  for (const f of rows.files) {
    const info = await parquetInfo(f.path).catch((e: Error) => {
      throw new Error(`${f.path}: ${e.message}`);
    });
    files.push({ path: f.path, set: f.set, rows: info.rows, rowGroups: info.rowGroups });
    total += info.rows;
  }
  // union of the files' schemas, first-seen order (a run folder's rejected/ adds stage, reason, …)
  const columns: { name: string; type: string }[] = [];
  const seenColumns = new Set<string>();
  for (const f of rows.files) {
    for (const c of await shardColumns(f.path)) {
      if (seenColumns.has(c.name)) continue;
      seenColumns.add(c.name);
      columns.push(c);
    }
  }
  const hasTokens = columns.some((c) => c.name === "tokens_response");
  const tokens = new IntSeries();
  const bySource: Record<string, number> = {};
  const byDomain: Record<string, number> = {};
  const byVerdict: Record<string, number> = {};
  const byDecision: Record<string, number> = {};
  const byContamination: Record<string, number> = {};
  let matched = 0;
  const domainCache = new Map<string, string | null>();
  for await (const row of rows) {
    matched++;
    if (hasTokens && typeof row.tokens_response === "number") tokens.push(row.tokens_response);
    if ("source" in row) bump(bySource, row.source as string);
    if ("verdict" in row) bump(byVerdict, row.verdict as string | null);
    const d = rowDecision(row);
    if (d !== null) bump(byDecision, d);
    if (typeof row.contaminated === "string" && row.contaminated) for (const b of row.contaminated.split(",")) bump(byContamination, b);
    if ("problem" in row || "meta" in row) {
      const key = typeof row.problem === "string" && row.problem.length < 4096 ? row.problem + "\u0000" + JSON.stringify(row.meta ?? null) : null;
      let dom: string | null | undefined = key !== null ? domainCache.get(key) : undefined;
      if (dom === undefined) {
        dom = rowDomain(row);
        if (key !== null && domainCache.size < 200_000) domainCache.set(key, dom);
      }
      bump(byDomain, dom);
    }
  }
  return {
    path,
    files,
    rows: total,
    columns,
    tokens: hasTokens ? histogram(tokens) : null,
    bySource: sortCounts(bySource),
    byDomain: sortCounts(byDomain),
    byVerdict: sortCounts(byVerdict),
    byDecision: sortCounts(byDecision),
    byContamination: sortCounts(byContamination),
    where: opts.where ?? null,
    matched,
  };
}

/**
 * A stable sample of `n` rows: the n rows with the smallest seeded hash of their id (independent of
 * file order), in that order. `where` filters first.
 */
export async function sample(path: string, n: number, opts: { seed?: number; where?: string; columns?: string[]; sets?: ReadOptions["sets"] } = {}): Promise<Row[]> {
  const seed = opts.seed ?? 0;
  const picker = new BottomK<Row>(n, seed);
  let i = 0;
  for await (const row of openShards(path, { where: opts.where, columns: opts.columns, sets: opts.sets })) {
    const id = typeof row.id === "string" ? row.id : `#${i}`;
    i++;
    picker.offer(id, () => row);
  }
  return picker.items();
}
