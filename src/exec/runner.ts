/**
 * `curate run`: the whole flow for one mix file.
 *
 *   read sources ─▶ annotate (worker pool, input order kept) ─▶ row-local filter stages
 *        │                                                        │
 *        └─ bad rows ─▶ rejected/                                 ▼
 *                                         annotated/ shards (every row, annotations, local decision)
 *   group step (global, on compact per-row summaries) ─▶ final decision per row
 *   annotated/ ─▶ data/ (kept) + rejected/ (dropped, with stage and reason) ─▶ outputs ─▶ manifest
 *
 * Conservation is checked before the manifest is written: rows in = kept + dropped, per stage and in
 * total. The manifest is written last, atomically: a folder without one is not a finished run.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { cpus } from "node:os";
import type { LoadedMix } from "../config/load.js";
import type { DropReason, Rollout } from "../trace/record.js";
import type { Candidate, FilterStage } from "../stages/stage.js";
import type { RowGroupInfo } from "../group/types.js";
import { readSources, resolveSourceFiles, SourceError, type SourceFile } from "../io/sources.js";
import { annotateStream, type AnnotateStats } from "./annotate-pool.js";
import { prepareAnnotators } from "./annotate-core.js";
import { localFilterStages } from "../stages/filters.js";
import { ShardSet, initCompressors, type Codec } from "../io/parquet-write.js";
import { REJECTED_COLUMNS, ROLLOUT_COLUMNS, decisionValues, rolloutFromRow, rolloutValues } from "../io/rollout-columns.js";
import { readParquetRows } from "../io/parquet-read.js";
import { writeFileAtomic, removeStaleTemps } from "../io/atomic.js";
import { UsageError, InputError } from "../cli/errors.js";
import { createProgress, type Progress } from "./progress.js";
import { dependencyVersions, toolVersion } from "../version.js";
import { datasetCard } from "./card.js";
import { GroupStep } from "./group-step.js";

export interface RunOptions {
  outDir: string;
  workers?: number;
  force?: boolean;
  quiet?: boolean;
  tty?: boolean;
}

export interface StageCount {
  stage: string;
  in: number;
  kept: number;
  dropped: number;
  reasons: Record<string, number>;
}

export interface ShardEntry {
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  tool: { name: string; version: string; dependencies: Record<string, string> };
  name: string;
  configHash: string;
  seed: number;
  tokenizer: string;
  config: unknown;
  inputs: { source: string; file: string; format: string; bytes: number }[];
  counts: {
    rowsIn: number;
    kept: number;
    dropped: number;
    keptTokens: number;
    stages: StageCount[];
    bySource: Record<string, { in: number; kept: number; dropped: number }>;
    byReason: Record<string, number>;
  };
  conservation: { ok: true; rule: string };
  shards: { data: ShardEntry[]; rejected: ShardEntry[]; annotated: ShardEntry[] };
  outputs: Record<string, unknown>;
}

export interface RunTimings {
  seconds: number;
  phases: Record<string, number>;
  annotatorMs: Record<string, number>;
  workers: number;
  inputBytes: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  /** peak resident set of the process (all worker threads included), MB */
  peakRssMB: number;
}

const OUR_ENTRIES = ["data", "rejected", "annotated", "outputs", "manifest.json", "README.md", "timings.json", ".work"];

function prepareOutDir(outDir: string, force: boolean): void {
  if (existsSync(join(outDir, "manifest.json"))) {
    if (!force) {
      throw new UsageError(`output folder ${outDir} already holds a finished run (manifest.json); pass --force to replace it, or choose another --out`);
    }
  }
  // a finished run being replaced, or the leftovers of a crashed one: remove only what curate writes
  for (const e of OUR_ENTRIES) rmSync(join(outDir, e), { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  removeStaleTemps(outDir);
}

class StageCounter {
  readonly counts = new Map<string, StageCount>();
  get(stage: string): StageCount {
    let c = this.counts.get(stage);
    if (!c) {
      c = { stage, in: 0, kept: 0, dropped: 0, reasons: {} };
      this.counts.set(stage, c);
    }
    return c;
  }
  drop(stage: string, reason: string) {
    const c = this.get(stage);
    c.dropped++;
    c.reasons[reason] = (c.reasons[reason] ?? 0) + 1;
  }
}

async function* batched<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const x of items) {
    buf.push(x);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}

/**
 * Run filter stages over candidate batches. Each stage sees only rows still alive and must yield
 * every batch it receives, in order (marking drops); the runner counts in / kept / dropped per stage.
 */
async function* runFilterChain(
  input: AsyncIterable<Candidate[]>,
  stages: FilterStage[],
  counter: StageCounter,
): AsyncGenerator<Candidate[]> {
  const fullBatches: Candidate[][] = [];
  async function* head(): AsyncGenerator<Candidate[]> {
    for await (const b of input) {
      fullBatches.push(b);
      yield b;
    }
  }
  let it: AsyncIterable<Candidate[]> = head();
  for (const stage of stages) {
    const upstream = it;
    const count = counter.get(stage.name);
    async function* live(): AsyncGenerator<Candidate[]> {
      for await (const b of upstream) {
        const alive = b.filter((c) => !c.drop);
        count.in += alive.length;
        yield alive;
      }
    }
    const out = stage.run(live());
    it = (async function* () {
      for await (const b of out) {
        for (const c of b) {
          if (c.drop && c.drop.stage === stage.name) counter.drop(stage.name, c.drop.reason);
        }
        count.kept = count.in - count.dropped;
        yield b;
      }
    })();
  }
  for await (const _ of it) {
    const full = fullBatches.shift();
    if (!full) throw new Error("a filter stage yielded more batches than it received");
    yield full;
  }
  if (fullBatches.length) throw new Error(`a filter stage swallowed ${fullBatches.length} batch(es): every batch must be yielded`);
}

export async function runMix(loaded: LoadedMix, opts: RunOptions): Promise<{ manifest: Manifest; timings: RunTimings }> {
  const t0 = performance.now();
  const phaseSecs: Record<string, number> = {};
  const { config, baseDir } = loaded;
  const outDir = resolve(opts.outDir);
  prepareOutDir(outDir, opts.force ?? false);
  const workers = opts.workers ?? config.workers ?? Math.max(1, cpus().length);
  const batchSize = config.batchSize ?? 256;
  const out = config.output ?? {};
  const shardOpts = {
    codec: (out.codec ?? "ZSTD") as Codec,
    rowGroupRows: out.rowGroupRows ?? 1000,
    shardRows: out.shardRows ?? 50_000,
    shardBytes: out.shardBytes ?? 256 * 1024 * 1024,
  };
  await initCompressors();

  // -------------------------------------------------------------------- inputs
  const files: SourceFile[] = [];
  for (const s of config.sources) {
    try {
      files.push(...(await resolveSourceFiles(s, baseDir)));
    } catch (e) {
      throw new UsageError(`${relative(process.cwd(), loaded.path) || loaded.path}: ${(e as Error).message}`);
    }
  }
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  const progress: Progress = createProgress({ quiet: opts.quiet ?? false, totalBytes, tty: opts.tty });
  const ctx = { baseDir, runDir: outDir, seed: config.seed };
  let tPhase = performance.now();
  await prepareAnnotators(config, ctx);
  phaseSecs.prepare = (performance.now() - tPhase) / 1000;

  const counter = new StageCounter();
  const readCount = counter.get("read");
  const bySource: Record<string, { in: number; kept: number; dropped: number }> = {};
  const src = (name: string) => (bySource[name] ??= { in: 0, kept: 0, dropped: 0 });
  for (const s of config.sources) src(s.name);

  const annotated = new ShardSet(join(outDir, "annotated"), "part", REJECTED_COLUMNS, shardOpts);
  const rejected = new ShardSet(join(outDir, "rejected"), "rejected", REJECTED_COLUMNS, shardOpts);
  const kept = new ShardSet(join(outDir, "data"), "train", ROLLOUT_COLUMNS, shardOpts);
  const all = [annotated, rejected, kept];
  const annotateStats: AnnotateStats = { ms: {} };
  const group = new GroupStep(config);

  try {
    // ------------------------------------------------------------ phase A: read, annotate, local filters
    progress.phase("annotate");
    tPhase = performance.now();
    async function* rollouts(): AsyncGenerator<Rollout> {
      try {
        for await (const item of readSources(files, { maxRowBytes: 16 * 1024 * 1024, onBytes: (n) => progress.bytes(n) })) {
          readCount.in++;
          if (item.kind === "bad") {
            const b = item.bad;
            src(b.source).in++;
            src(b.source).dropped++;
            counter.drop("read", b.reason);
            const id = `${b.source}:${b.file}:${b.row + 1}`;
            const fake: Rollout = { id, ordinal: -1, source: b.source, file: b.file, row: Math.max(b.row, 0), rolloutIndex: 0, problem: "", response: "", reference: null, finishReason: null, meta: {} };
            const values = rolloutValues(fake);
            values[6] = null; // problem
            values[7] = null; // response
            values[10] = null;
            values[11] = null;
            values[12] = null;
            rejected.append([...values, ...decisionValues({ stage: "read", reason: b.reason, detail: b.detail }, b.raw)]);
            progress.log(`quarantined ${b.file}${b.row >= 0 ? ` row ${b.row + 1}` : ""}: ${b.detail}`);
            continue;
          }
          src(item.rollout.source).in++;
          yield item.rollout;
        }
      } catch (e) {
        if (e instanceof SourceError) throw new InputError(e.file, e.row, e.message.slice(e.message.indexOf(": ") + 2));
        throw e;
      }
    }
    const annotatedBatches = annotateStream(batched(rollouts(), batchSize), config, ctx, workers, annotateStats);
    async function* candidates(): AsyncGenerator<Candidate[]> {
      for await (const batch of annotatedBatches) yield batch.map((record) => ({ record, group: { problemGroup: "" } as RowGroupInfo }));
    }
    const stages = localFilterStages(config);
    for await (const batch of runFilterChain(candidates(), stages, counter)) {
      for (const c of batch) {
        annotated.append([...rolloutValues(c.record), ...decisionValues(c.drop ?? { stage: "", reason: "" })], { tokens: c.record.tokens?.response ?? 0 });
        group.add(c.record, c.drop ?? null);
      }
      progress.rows(batch.length);
    }
    readCount.kept = readCount.in - readCount.dropped;
    const annotatedShards = annotated.close();
    phaseSecs.annotate = (performance.now() - tPhase) / 1000;

    // ------------------------------------------------------------ phase B: group (global)
    progress.phase("group");
    tPhase = performance.now();
    const groupResult = await group.finish(join(outDir, ".work"));
    phaseSecs.group = (performance.now() - tPhase) / 1000;

    // ------------------------------------------------------------ phase C: decide and write
    progress.phase("write");
    tPhase = performance.now();
    const groupStages = groupResult.stages;
    for (const s of groupStages) counter.get(s);
    let keptRows = 0;
    let keptTokens = 0;
    for (const shard of annotatedShards) {
      for await (const raw of readParquetRows(shard.path)) {
        const row = raw as { value: Record<string, unknown> };
        const { record } = rolloutFromRow(row.value);
        const info = groupResult.info(record.ordinal);
        let drop: DropReason | null = row.value.stage ? {
          stage: row.value.stage as string,
          reason: row.value.reason as string,
          detail: (row.value.detail as string | null) ?? undefined,
          duplicateOf: (row.value.duplicate_of as string | null) ?? undefined,
        } : null;
        if (!drop) {
          const gd = groupResult.dropFor(record.ordinal);
          for (const s of groupStages) {
            const c = counter.get(s);
            c.in++;
            if (gd && gd.stage === s) {
              drop = gd;
              counter.drop(s, gd.reason);
            }
            c.kept = c.in - c.dropped;
            if (drop) break;
          }
          if (gd && !drop) throw new Error(`group step dropped ${record.id} in unknown stage ${gd.stage}`);
        }
        if (drop) {
          src(record.source).dropped++;
          rejected.append([...rolloutValues(record, info, { sketch: false }), ...decisionValues(drop)], { tokens: record.tokens?.response ?? 0 });
        } else {
          src(record.source).kept++;
          keptRows++;
          keptTokens += record.tokens?.response ?? 0;
          kept.append(rolloutValues(record, info, { sketch: false }), { tokens: record.tokens?.response ?? 0 });
        }
      }
    }
    const dataShards = kept.close();
    const rejectedShards = rejected.close();
    phaseSecs.write = (performance.now() - tPhase) / 1000;

    // ------------------------------------------------------------ conservation
    const stageList = [...counter.counts.values()];
    const droppedTotal = stageList.reduce((a, s) => a + s.dropped, 0);
    const rowsIn = readCount.in;
    const rejectedRows = rejectedShards.reduce((a, s) => a + s.rows, 0);
    const problems: string[] = [];
    if (rowsIn !== keptRows + droppedTotal) problems.push(`rows in ${rowsIn} ≠ kept ${keptRows} + dropped ${droppedTotal}`);
    if (rejectedRows !== droppedTotal) problems.push(`rejected/ holds ${rejectedRows} rows but stages dropped ${droppedTotal}`);
    let prevKept = rowsIn;
    for (const s of stageList) {
      if (s.in !== prevKept) problems.push(`stage ${s.stage} received ${s.in} rows but the stage before kept ${prevKept}`);
      if (s.in !== s.kept + s.dropped) problems.push(`stage ${s.stage}: in ${s.in} ≠ kept ${s.kept} + dropped ${s.dropped}`);
      const reasons = Object.values(s.reasons).reduce((a, b) => a + b, 0);
      if (reasons !== s.dropped) problems.push(`stage ${s.stage}: reasons add to ${reasons}, dropped ${s.dropped}`);
      prevKept = s.kept;
    }
    if (prevKept !== keptRows) problems.push(`last stage kept ${prevKept} but ${keptRows} rows were written`);
    for (const [name, c] of Object.entries(bySource)) {
      if (c.in !== c.kept + c.dropped) problems.push(`source ${name}: in ${c.in} ≠ kept ${c.kept} + dropped ${c.dropped}`);
    }
    if (problems.length) throw new Error(`conservation check failed, run not finished:\n  ${problems.join("\n  ")}`);

    const byReason: Record<string, number> = {};
    for (const s of stageList) for (const [r, n] of Object.entries(s.reasons)) byReason[r] = (byReason[r] ?? 0) + n;
    const entry = (s: { path: string; rows: number; bytes: number; sha256: string; extra: Record<string, number> }): ShardEntry => ({
      path: relative(outDir, s.path),
      rows: s.rows,
      tokens: s.extra.tokens ?? 0,
      bytes: s.bytes,
      sha256: s.sha256,
    });
    const manifest: Manifest = {
      tool: { name: "curate", version: toolVersion(), dependencies: dependencyVersions() },
      name: config.name,
      configHash: loaded.hash,
      seed: config.seed,
      tokenizer: config.tokenizer,
      config,
      inputs: files.map((f) => ({ source: f.source.name, file: f.rel, format: f.format, bytes: f.bytes })),
      counts: { rowsIn, kept: keptRows, dropped: droppedTotal, keptTokens, stages: stageList, bySource, byReason },
      conservation: { ok: true, rule: "rows in = kept + dropped, per stage, per source and in total; rejected/ holds every dropped row" },
      shards: { data: dataShards.map(entry), rejected: rejectedShards.map(entry), annotated: annotatedShards.map(entry) },
      outputs: {},
    };
    writeFileAtomic(join(outDir, "README.md"), datasetCard(manifest));
    const seconds = (performance.now() - t0) / 1000;
    const timings: RunTimings = {
      seconds,
      phases: phaseSecs,
      annotatorMs: annotateStats.ms,
      workers,
      inputBytes: totalBytes,
      rowsPerSecond: rowsIn / seconds,
      mbPerSecond: totalBytes / 1e6 / seconds,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    writeFileAtomic(join(outDir, "timings.json"), JSON.stringify(timings, null, 2) + "\n");
    rmSync(join(outDir, ".work"), { recursive: true, force: true });
    // last: the manifest marks the run finished
    writeFileAtomic(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    progress.done();
    return { manifest, timings };
  } catch (e) {
    for (const s of all) s.abort();
    progress.done();
    throw e;
  }
}

export function listShards(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().map((f) => join(dir, f));
}
