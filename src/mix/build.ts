/**
 * Build the data products named in `outputs` from a finished run's rows.
 *
 *   pass 1: rows() → compact per-rollout table (no texts) + per-problem summaries
 *   plan:   every output decides its rows from the table, in dependency order (`exclude`): which
 *           rollouts, in which output order (packing, pairs), with how many tokens; the tallies.
 *           Its kind's Product plans it (products.ts: the registry of kinds)
 *   pass 2: the rows again, part by part (a run's units) → each output's records of the rows it
 *           uses (texts, token ids) into per-part spill files with an index
 *   shards: cuts from the plan and the records' sizes; shard k written from the spill alone, so
 *           parts and shards can be split across processes (src/run/products.ts, phase outputs)
 *   finish: manifest + card per output
 *
 * Every decision sorts by seeded hashes of ids, so the result depends on the config and the rows,
 * never on worker counts or batch sizes.
 */
import { existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import type { Rollout, DropReason } from "../record/rollout.js";
import type { RowGroupInfo } from "../group/types.js";
import type { ProblemSummary } from "../group/problems.js";
import type { MixConfig } from "../config/types.js";
import type { OutputConfig, OutputManifest } from "./types.js";
import { canonicalJson } from "../config/load.js";
import { ThreadPool } from "../workers.js";
import { ParquetShardWriter, initCompressors, type ClosedShard } from "../io/parquet-write.js";
import { writeFileAtomic } from "../io/atomic.js";
import { RowTable, isUnreadable, type MixRow as TableRow } from "./table.js";
import { sortedRecord, type OutputBuilder, type PlanContext, type PlanTools } from "./common.js";
import { THINK_CLOSE, THINK_OPEN, loadEncoder } from "./text.js";
import { buildOrder, checkOutputs } from "../config/outputs.js";
import { productOf, unitsNote } from "./products.js";
import { outputCard } from "./card.js";
import { SpillReader, SpillWriter } from "./spill.js";
import { mkdirs } from "../errors.js";

export interface MixRow {
  record: Rollout;
  group: RowGroupInfo;
  drop: DropReason | null;
}

export interface BuildOutputsArgs {
  /** validated mix file; config.outputs names the products */
  config: MixConfig;
  /** run folder; each output goes to `${outDir}/outputs/<name>/` */
  outDir: string;
  /** ALL rows (kept and dropped), in input (ordinal) order; called twice, must yield the same rows each time */
  rows: () => AsyncIterable<MixRow>;
  /**
   * The same rows for the first pass, which reads no texts: records may leave `problem` and `response`
   * empty when they carry token counts and a `trace` whose `reasoning` is null exactly when the
   * response has none. Default: `rows`.
   */
  tableRows?: () => AsyncIterable<MixRow>;
  /** per-problem summary of the group step; called once per problem group, should be O(1) */
  problem: (problemGroup: string) => ProblemSummary | undefined;
  shard: { codec: "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED"; rowGroupRows: number; shardRows: number; shardBytes: number };
  /** hash of the whole mix file, copied into each output manifest */
  configHash?: string;
  /** worker threads that encode packed-document tokens (default 0: inline); the bytes do not depend on it */
  workers?: number;
}

/** sha-256 of the canonical JSON of one output's config with everything that changes its bytes. */
export function outputConfigHash(config: MixConfig, name: string): string {
  const o = config.outputs?.[name];
  return createHash("sha256").update(canonicalJson({ name, output: o, seed: config.seed, tokenizer: config.tokenizer })).digest("hex");
}

/** A planned set of outputs: every decision made from the compact table, before any text is read. */
export interface OutputsPlan {
  config: MixConfig;
  /** outputs in build order */
  order: string[];
  builders: Map<string, OutputBuilder>;
  table: RowTable;
  /** `${outDir}/outputs` */
  root: string;
  shard: BuildOutputsArgs["shard"];
  /** stops the encode threads (if any) */
  close(): Promise<void>;
}

export type PlanOutputsArgs = Omit<BuildOutputsArgs, "rows" | "configHash"> & { tableRows: () => AsyncIterable<MixRow> };

/**
 * Pass 1 and the plan: the compact table, then every output in dependency order. Deterministic: every
 * process that plans the same rows gets the same plan. Null when the mix file names no outputs.
 */
export async function planOutputs(args: PlanOutputsArgs): Promise<OutputsPlan | null> {
  const { config } = args;
  const outputs = config.outputs ?? {};
  if (Object.keys(outputs).length === 0) return null;
  checkOutputs(config);
  const order = buildOrder(outputs);
  await initCompressors(); // the one shared zstd instance (a second WASM init corrupts pages)
  const enc = await loadEncoder(config.tokenizer);
  const root = join(args.outDir, "outputs");
  const table = await RowTable.collect(args.tableRows as () => AsyncIterable<TableRow>, args.problem, config.seed, enc.count);
  const builders = new Map<string, OutputBuilder>();
  let encodePool: ThreadPool | null = null;
  const threads = args.workers ?? 0;
  const getPool = () => {
    if (threads <= 0) return null;
    encodePool ??= new ThreadPool({ name: "encode", entry: "mix/encode-worker", threads });
    return encodePool;
  };
  const close = async () => {
    await (encodePool as ThreadPool | null)?.destroy();
    encodePool = null;
  };
  const tools: PlanTools = { enc, pool: getPool };
  const open = enc.encode(THINK_OPEN);
  const closeIds = enc.encode(THINK_CLOSE);
  const thinkWrap = { open, close: closeIds, openTokens: open.length, closeTokens: closeIds.length };
  try {
    for (const name of order) {
      const o: OutputConfig = outputs[name]!;
      const sourceOk = new Uint8Array(table.sources.length);
      for (let s = 0; s < table.sources.length; s++) sourceOk[s] = !o.sources || o.sources.includes(table.sources[s]!) ? 1 : 0;
      const ctx: PlanContext = {
        name,
        config: o,
        table,
        seed: config.seed,
        blockers: (o.exclude ?? []).map((x) => ({ name: x, used: builders.get(x)!.used })),
        sourceOk,
        outputDir: join(root, name),
        shard: args.shard,
        tokenizer: config.tokenizer,
        think: "responseFormat" in o && o.responseFormat === "think" ? thinkWrap : null,
      };
      builders.set(name, productOf(o.kind).plan(ctx, o, tools));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { config, order, builders, table, root, shard: args.shard, close };
}

/** Table rows [from, to) whose ordinals lie in [ordinalFrom, ordinalTo). */
export function tableRange(plan: OutputsPlan, ordinalFrom: number, ordinalTo: number): { from: number; to: number } {
  const o = plan.table.ordinal;
  const lower = (x: number) => {
    let lo = 0;
    let hi = plan.table.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return { from: lower(ordinalFrom), to: lower(ordinalTo) };
}

const spillDoneName = (part: string) => `${part}.done.json`;

/** True when `part` was spilled completely into `dir`. */
export function partSpilled(dir: string, part: string): boolean {
  return existsSync(join(dir, spillDoneName(part)));
}

/**
 * Pass 2 for one part: its rows (table rows [range.from, range.to), in order, texts included) →
 * every output's records of those rows, in `dir` as `<part>.<output>.rec/.idx`, then the part's
 * done marker. Parts are independent: any process may spill any part.
 */
export async function spillPart(plan: OutputsPlan, dir: string, part: string, rows: AsyncIterable<MixRow>, range: { from: number; to: number }, by?: string): Promise<{ records: Record<string, number>; bytes: number }> {
  const t = plan.table;
  rmSync(join(dir, spillDoneName(part)), { force: true });
  const writers = plan.order.map((name) => new SpillWriter(dir, part, name));
  try {
    const spillers = plan.order.map((name, k) => {
      const w = writers[k]!;
      return { b: plan.builders.get(name)!, s: plan.builders.get(name)!.spiller((i, bytes, size) => w.put(i, bytes, size)) };
    });
    let i = range.from;
    for await (const row of rows) {
      if (isUnreadable(row)) continue;
      if (i >= range.to || t.ordinal[i] !== row.record.ordinal) {
        throw new Error(`outputs: part ${part} yielded ordinal ${row.record.ordinal} (id ${row.record.id}) where the table has ${i < range.to ? `ordinal ${t.ordinal[i]}` : "no more rows of this part"}: the rows changed since they were planned`);
      }
      for (const { b, s } of spillers) {
        if (!b.needs(i)) continue;
        const wait = s.row(i, row);
        if (wait) await wait;
      }
      i++;
    }
    if (i !== range.to) throw new Error(`outputs: part ${part} yielded ${i - range.from} rows, the table holds ${range.to - range.from}`);
    for (const { s } of spillers) await s.end();
    for (const w of writers) w.close();
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  const records = Object.fromEntries(plan.order.map((name, k) => [name, writers[k]!.records]));
  const bytes = writers.reduce((a, w) => a + w.bytes, 0);
  writeFileAtomic(join(dir, spillDoneName(part)), JSON.stringify({ part, records, bytes, ...(by ? { by } : {}) }) + "\n");
  return { records, bytes };
}

/** One output's shards, planned: shard k holds output rows [cuts[k], cuts[k+1]) and textBytes[k] of text. */
export interface OutputLayout {
  name: string;
  cuts: number[];
  textBytes: number[];
  reader: SpillReader;
}

/**
 * Cut one output's rows into shards: a shard ends after the row that brings it to `shardRows` rows
 * or `shardBytes` of text (the records' sizes; midtrain counts 8 bytes per token, 4 without
 * input_ids). Needs every part's spill of the output. Close the reader when done.
 */
export function layoutOutput(plan: OutputsPlan, dir: string, parts: string[], name: string): OutputLayout {
  const b = plan.builders.get(name)!;
  const reader = new SpillReader(dir, parts, name, plan.table.n);
  const cuts = [0];
  const textBytes: number[] = [];
  let rows = 0;
  let bytes = 0;
  const size = (i: number) => {
    const s = reader.size(i);
    if (s < 0) throw new Error(`outputs.${name}: table row ${i} has no record in the spill (a part was spilled by a different plan?)`);
    return s;
  };
  for (let k = 0; k < b.count; k++) {
    rows++;
    bytes += b.rowSize(k, size);
    if (rows >= plan.shard.shardRows || bytes >= plan.shard.shardBytes) {
      cuts.push(k + 1);
      textBytes.push(bytes);
      rows = 0;
      bytes = 0;
    }
  }
  if (cuts[cuts.length - 1] !== b.count) {
    cuts.push(b.count);
    textBytes.push(bytes);
  }
  return { name, cuts, textBytes, reader };
}

export function outputShardPath(plan: OutputsPlan, name: string, k: number): string {
  return join(plan.root, name, "data", `train-${String(k).padStart(5, "0")}.parquet`);
}

/** Write shard k of one output (temp + rename) from the spill. */
export function writeOutputShard(plan: OutputsPlan, layout: OutputLayout, k: number): ClosedShard {
  const b = plan.builders.get(layout.name)!;
  const a = layout.cuts[k]!;
  const end = layout.cuts[k + 1]!;
  const path = outputShardPath(plan, layout.name, k);
  const w = new ParquetShardWriter(path, b.columns, { codec: plan.shard.codec, rowGroupRows: b.rowGroupRows, kv: b.kv });
  try {
    b.writeRows(a, end, (i) => layout.reader.get(i), (values, tokens) => w.append(values, tokens));
    if (w.rows !== end - a) throw new Error(`internal: outputs.${layout.name} shard ${k} got ${w.rows} rows, planned ${end - a}`);
    if (b.exactSizes && w.textBytes !== layout.textBytes[k]) {
      throw new Error(`internal: outputs.${layout.name} shard ${k} holds ${w.textBytes} text bytes, the layout planned ${layout.textBytes[k]}`);
    }
    return w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Every output's manifest and card, from the plan and the closed shards (in shard order). */
export function finishOutputs(plan: OutputsPlan, shardsOf: Record<string, ClosedShard[]>, configHash?: string): Record<string, OutputManifest> {
  const { config, table } = plan;
  const outputs = config.outputs ?? {};
  const names = Object.keys(outputs);
  const manifests: Record<string, OutputManifest> = {};
  for (const name of plan.order) {
    const b = plan.builders.get(name)!;
    const shards = shardsOf[name] ?? [];
    const dir = join(plan.root, name);
    mkdirs(dir);
    const overlap: Record<string, number> = {};
    for (const other of names) {
      if (other === name) continue;
      const u = plan.builders.get(other)!.used;
      let n = 0;
      for (let p = 0; p < u.length; p++) if (u[p] && b.used[p]) n++;
      overlap[other] = n;
    }
    const o = outputs[name]!;
    const m: OutputManifest = {
      name,
      kind: o.kind,
      configHash: outputConfigHash(config, name),
      ...(configHash ? { mixConfigHash: configHash } : {}),
      seed: config.seed,
      tokenizer: config.tokenizer,
      config: o,
      rows: b.tally.rows,
      tokens: b.tally.tokens,
      problems: b.tally.problems,
      bySource: sortedRecord(b.tally.bySource),
      byDomain: sortedRecord(b.tally.byDomain),
      byDifficulty: sortedRecord(b.tally.byDifficulty),
      passRateHistogram: b.tally.histogram,
      eligibility: sortedRecord(b.eligibility),
      disjoint: b.disjoint,
      overlap,
      shards: shards.map((s) => ({ path: relative(dir, s.path), rows: s.rows, tokens: s.tokens, bytes: s.bytes, sha256: s.sha256 })),
      details: b.details(),
      warnings: [...b.warnings],
    };
    if (table.recounted) m.warnings.push(`${table.recounted} row(s) had no token counts and were counted here`);
    const product = productOf(o.kind);
    writeFileAtomic(join(dir, "README.md"), outputCard(config.name, m, { about: product.about, facts: product.facts?.(m.details) ?? [], units: unitsNote() }));
    writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
    manifests[name] = m;
  }
  return manifests;
}

/** Every output in one process: plan, one part holding every row, every shard, manifests. */
export async function buildOutputs(args: BuildOutputsArgs): Promise<Record<string, OutputManifest>> {
  const plan = await planOutputs({ ...args, tableRows: args.tableRows ?? args.rows });
  if (!plan) return {};
  const workDir = join(plan.root, ".work");
  try {
    for (const n of Object.keys(args.config.outputs ?? {})) rmSync(join(plan.root, n), { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
    await spillPart(plan, workDir, "all", args.rows(), { from: 0, to: plan.table.n });
    await plan.close();
    const shards: Record<string, ClosedShard[]> = {};
    for (const name of plan.order) {
      const layout = layoutOutput(plan, workDir, ["all"], name);
      try {
        shards[name] = [];
        for (let k = 0; k + 1 < layout.cuts.length; k++) shards[name].push(writeOutputShard(plan, layout, k));
      } finally {
        layout.reader.close();
      }
    }
    return finishOutputs(plan, shards, args.configHash);
  } finally {
    await plan.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
