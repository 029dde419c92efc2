/**
 * `curate run`: the whole flow for one mix file.
 *
 *   annotate (per input file = unit; resumable; rank-splittable)
 *     read ─▶ annotator chain on a worker pool (input order kept) ─▶ row-local filter stages
 *     ─▶ annotated/u<unit>-*.parquet (every row incl. bad input rows, with its annotations but no
 *        response text) ─▶ unit marker (with the input's size and mtime)
 *   group (after every unit is marked done; computed once, saved under .work/group/<token>/)
 *     stream annotated/ (compact columns) ─▶ exact duplicates, problem groups, caps. Split across
 *     ranks: group phase = LSH band pairs per rank, merge phase = rank r decides the problem groups
 *     whose key hashes to r (one share of the saved outcome)
 *   write (per unit, resumable, rank-splittable)
 *     a unit's annotated/ rows zipped with the responses re-read from its input (ids checked row by
 *     row) and the saved outcome ─▶ data/train-<unit>-* (kept) + rejected/rejected-<unit>-* (stage +
 *     reason) ─▶ write marker (shards + the unit's counts)
 *     with outputs configured: the data products' plan (compact pass, the same in every process), then
 *     the records those products use (texts, token ids) of parts j ≡ rank (mod n) — an annotated shard
 *     of a plain JSONL unit, else a unit ─▶ .work/outputs/<token>/ spill + marker
 *   outputs (after every part is spilled; rank-splittable)
 *     output shard g of all outputs, g ≡ rank (mod n), from the plan and the spills ─▶
 *     outputs/<name>/data/train-<k>.parquet + shard marker
 *   finalize (one process, after every unit is written)
 *     problem stats (compact pass), whatever is left of the steps above, conservation check over the
 *     merged write markers, output manifests, dataset card, manifest (last, atomic: its presence =
 *     finished run)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { cpus, hostname } from "node:os";
import { threadId } from "node:worker_threads";
import { canonicalJson, type LoadedMix } from "../config/load.js";
import type { MixConfig } from "../config/types.js";
import { createHash } from "node:crypto";
import type { DropReason, Rollout } from "../record/rollout.js";
import { readSources, resolveSourceFiles, SourceError, type SourceFile } from "../io/sources.js";
import { AnnotatePool, type AnnotateStats } from "../annotate/pool.js";
import { ThreadPool } from "../workers.js";
import { unitName, unitsOf } from "../io/units.js";
import { reportLongWaits, waitingFor } from "../waits.js";
import { prepareAnnotators, VERIFY_MS_BUCKETS } from "../annotate/chain.js";
import { localDecider, localFilterStages } from "../decide/filters.js";
import { ShardSet, initCompressors, type Codec } from "../io/parquet-write.js";
import { REJECTED_COLUMNS, decisionValues, rolloutFromRow, rolloutValues } from "../io/rollout-columns.js";
import { writeFileAtomic } from "../io/atomic.js";
import { openRunFolder, removeUnlisted } from "./folder.js";
import { UsageError, InputError } from "../errors.js";
import { createProgress, type Progress } from "./progress.js";
import { dependencyVersions, toolVersion } from "../version.js";
import { datasetCard } from "./card.js";
import { GroupStep } from "../group/step.js";
import { clearStaleGroup, loadGroupOutcome, readPairs, saveGroupOutcome, savePairs, shareSaved, type GroupOutcome } from "../group/outcome.js";
import type { BandPairs } from "../group/group.js";
import type { ProblemSummary } from "../group/problems.js";
import { finishOutputs, partSpilled, type OutputsPlan } from "../mix/build.js";
import { GROUP_COLUMNS, planProducts, problemSummaries, ProductShards, spillPiece, spillPieces, type Decisions, type ProductsRun, type ProductsTask, type SpillPiece } from "./products.js";
import type { ClosedMixShard } from "../mix/shards.js";
import { annotatedRows, mergeWriteCounts, partsSeekable, rowDrop, unitShard, writeParts, type PartResult, type WriteJob } from "./write-parts.js";
import { clearUnit, clearWritten, readMarker, readWriteMarker, rankOwns, saveWriteMarker, shardsPresent, writeMarker, type StageCount, type UnitMarker } from "./markers.js";

export type { StageCount };

export type Phase = "all" | "annotate" | "group" | "merge" | "write" | "outputs" | "finalize";

export interface RunOptions {
  outDir: string;
  workers?: number;
  force?: boolean;
  quiet?: boolean;
  tty?: boolean;
  rank?: number;
  worldSize?: number;
  phase?: Phase;
  /** finalize: how long to wait for other ranks' units (ms); default: forever */
  waitMs?: number;
  /** re-decide a finished run whose annotations still match (changed filters or outputs only) */
  refilter?: boolean;
  /** test hook: stop (throw) after this many units were annotated by this process */
  stopAfterUnits?: number;
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
  inputs: { unit: string; source: string; file: string; format: string; bytes: number; rows: number }[];
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
  groups: Record<string, unknown>;
  shards: { data: ShardEntry[]; rejected: ShardEntry[]; annotated: ShardEntry[] };
  outputs: Record<string, unknown>;
}

export interface RunTimings {
  seconds: number;
  phases: Record<string, number>;
  annotatorMs: Record<string, number>;
  /** rollouts per verification-time bucket (ms); per-rollout times are not stored in shards (not deterministic) */
  verifyMsHistogram: Record<string, number>;
  workers: number;
  inputBytes: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  /** peak resident set of the process (all worker threads included), MB */
  peakRssMB: number;
  /** user + system CPU seconds of this process, all threads (robust when other jobs share the machine) */
  cpuSeconds: number;
  unitsAnnotated: number;
  unitsSkipped: number;
}

export type RunResult =
  | { finished: true; manifest: Manifest; timings: RunTimings }
  | { finished: false; message: string; timings: RunTimings };

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

function rankFromEnv(opts: RunOptions): { rank: number; world: number } {
  let rank = opts.rank;
  let world = opts.worldSize;
  const env = process.env;
  if (rank === undefined && env.SLURM_ARRAY_TASK_ID !== undefined) {
    rank = Number(env.SLURM_ARRAY_TASK_ID) - Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    world ??= env.SLURM_ARRAY_TASK_COUNT !== undefined ? Number(env.SLURM_ARRAY_TASK_COUNT) : undefined;
  }
  if (rank === undefined && env.JOB_COMPLETION_INDEX !== undefined) rank = Number(env.JOB_COMPLETION_INDEX);
  rank ??= 0;
  world ??= 1;
  if (!Number.isInteger(world) || world < 1) throw new UsageError(`--world-size must be an integer ≥ 1, found ${world}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= world) throw new UsageError(`--rank must be an integer in [0, ${world - 1}], found ${rank}`);
  return { rank, world };
}

/**
 * Hash of everything annotation depends on: the config minus filters and outputs (decided at the end,
 * from stored annotations). A run folder annotated under the same hash is reused when only filters or
 * outputs change.
 */
export function annotateHash(config: MixConfig): string {
  const { filters: _f, outputs: _o, description: _d, ...rest } = config;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

function shardOptions(loaded: LoadedMix) {
  const out = loaded.config.output ?? {};
  return {
    codec: (out.codec ?? "ZSTD") as Codec,
    rowGroupRows: out.rowGroupRows ?? 1000,
    shardRows: out.shardRows ?? 50_000,
    shardBytes: out.shardBytes ?? 256 * 1024 * 1024,
  };
}

/** The stages every row passes, in order: read, then the row-local filters, then the group stages. */
function localStageOrder(loaded: LoadedMix): string[] {
  return ["read", "annotate", ...localFilterStages(loaded.config).map((s) => s.name)];
}

async function annotateUnit(
  loaded: LoadedMix,
  unit: number,
  file: SourceFile,
  outDir: string,
  pool: AnnotatePool,
  progress: Progress,
): Promise<UnitMarker> {
  const { config } = loaded;
  clearUnit(outDir, unit);
  const st = statSync(file.path);
  const input = { bytes: st.size, mtimeMs: st.mtimeMs };
  const shards = new ShardSet(join(outDir, "annotated"), unitName(unit), REJECTED_COLUMNS, shardOptions(loaded));
  let rows = 0;
  // where each annotated shard starts in the input (see UnitMarker.starts)
  const starts: NonNullable<UnitMarker["starts"]> = [];
  const offsets: number[] = []; // line offsets of the rollouts in flight, in order
  try {
    const badRows: { row: Rollout; drop: DropReason; raw: string; offset: number }[] = [];
    async function* rollouts(): AsyncGenerator<Rollout> {
      try {
        for await (const item of readSources([file], { maxRowBytes: 16 * 1024 * 1024, onBytes: (n) => progress.bytes(n) })) {
          rows++;
          if (item.kind === "bad") {
            const b = item.bad;
            const placeholder: Rollout = {
              id: `${b.source}:${b.file}:${b.row + 1}`, ordinal: -1, source: b.source, file: b.file, row: Math.max(b.row, 0),
              rolloutIndex: 0, problem: "", response: "", reference: null, finishReason: null, meta: {},
            };
            badRows.push({ row: placeholder, drop: { stage: "read", reason: b.reason, detail: b.detail }, raw: b.raw, offset: item.offset ?? -1 });
            progress.log(`quarantined ${b.file}${b.row >= 0 ? ` row ${b.row + 1}` : ""}: ${b.detail}`);
            continue;
          }
          offsets.push(item.offset ?? -1);
          yield item.rollout;
        }
      } catch (e) {
        if (e instanceof SourceError) throw new InputError(e.file, e.row, e.message.slice(e.message.indexOf(": ") + 2));
        throw e;
      }
    }
    // bad rows are written at their place in the file order: before the batch that follows them
    const flushBad = (beforeRow: number) => {
      while (badRows.length && badRows[0]!.row.row < beforeRow) {
        const b = badRows.shift()!;
        if (shards.atShardStart) starts.push({ byte: b.offset, row: b.row.row, rollout: 0 });
        shards.append([...rolloutValues(b.row, undefined, { blank: true }), ...decisionValues(b.drop, b.raw)]);
      }
    };
    const quarantine = file.source.onError === "quarantine";
    // only annotator failures are decided here; row filters are decided at finalize from the stored
    // annotations (thresholds can change without re-annotating)
    for await (const batch of pool.stream(batched(rollouts(), config.batchSize ?? 256))) {
      for (const record of batch) {
        flushBad(record.row);
        let drop: DropReason = { stage: "", reason: "" };
        const err = record.annotateError;
        if (err) {
          const what = `annotator ${err.annotator} failed on rollout ${record.id}: ${err.message}`;
          if (!quarantine) throw new InputError(file.rel, record.row, what);
          progress.log(`quarantined ${file.rel} row ${record.row + 1}: ${what}`);
          drop = { stage: "annotate", reason: "annotate:error", detail: what };
        }
        const offset = offsets.shift()!;
        if (shards.atShardStart) starts.push({ byte: offset, row: record.row, rollout: record.rolloutIndex });
        shards.append([...rolloutValues(record, undefined, { response: false }), ...decisionValues(drop)], { tokens: record.tokens?.response ?? 0 });
      }
      progress.rows(batch.length);
    }
    flushBad(Infinity);
    const closed = shards.close();
    const marker: UnitMarker = {
      unit,
      source: file.source.name,
      file: file.rel,
      rows,
      shards: closed.map((s) => unitShard(outDir, s)),
      input,
      starts,
    };
    writeMarker(outDir, marker);
    return marker;
  } catch (e) {
    shards.abort();
    clearUnit(outDir, unit); // and any shard of this unit already rolled over: no marker, no shards
    throw e;
  }
}


/** Run a mix into `opts.outDir`; the run folder's lock (see run-folder.ts) is released however it ends. */
export async function runMix(loaded: LoadedMix, opts: RunOptions): Promise<RunResult> {
  // every 30 s, whatever this run has been waiting on for 30 s or more (threads' tasks, markers) is logged
  let log: (line: string) => void = () => undefined;
  const stopReport = reportLongWaits((line) => log(line));
  const folder = { release: () => {} };
  try {
    return await runInFolder(loaded, opts, folder, (l) => (log = l));
  } finally {
    folder.release();
    stopReport();
  }
}

async function runInFolder(loaded: LoadedMix, opts: RunOptions, folder: { release: () => void }, setLog: (log: (line: string) => void) => void): Promise<RunResult> {
  const t0 = performance.now();
  const phaseSecs: Record<string, number> = {};
  const { config, baseDir } = loaded;
  const outDir = resolve(opts.outDir);
  const phase = opts.phase ?? "all";
  const { rank, world } = rankFromEnv(opts);
  const workers = opts.workers ?? config.workers ?? Math.max(1, cpus().length);
  if (opts.force && world > 1) {
    // ranks start at different times: one rank's --force would delete the units others just wrote
    throw new UsageError(`--force cannot be used by array-job ranks (world size ${world}); clear the output folder once before submitting, or run with --force in one process`);
  }
  await initCompressors();

  // -------------------------------------------------------------------- inputs and run state
  const files: SourceFile[] = [];
  for (const s of config.sources) {
    try {
      files.push(...(await resolveSourceFiles(s, baseDir)));
    } catch (e) {
      throw new UsageError(`${relative(process.cwd(), loaded.path) || loaded.path}: ${(e as Error).message}`);
    }
  }
  const fileList = files.map((f) => `${f.source.name}:${f.rel}`);
  if (phase === "finalize" && existsSync(join(outDir, "manifest.json")) && !opts.force && !opts.refilter) {
    throw new UsageError(`output folder ${outDir} already holds a finished run (manifest.json); pass --force to replace it`);
  }
  const annotating = phase === "all" || phase === "annotate";
  // one process (world size 1, not finalize) or --force holds the folder alone; ranks and finalize share it
  const exclusive = (world === 1 && phase !== "finalize") || (opts.force ?? false);
  folder.release = openRunFolder({
    outDir,
    exclusive,
    annotating,
    annotateHash: annotateHash(config),
    files: fileList,
    force: opts.force ?? false,
    refilter: opts.refilter ?? false,
    products: Object.keys(config.outputs ?? {}),
    note: (line) => process.stderr.write(line + "\n"),
  });
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  const progress: Progress = createProgress({ quiet: opts.quiet ?? false, totalBytes, tty: opts.tty });
  setLog((line) => progress.log(line));
  let annotateStats: AnnotateStats = { ms: {}, verifyMs: [] };
  const units = unitsOf(files);
  const inputsByUnit = units.map((u) => u.file);
  let unitsAnnotated = 0;
  let unitsSkipped = 0;
  const timings = (): RunTimings => {
    const seconds = (performance.now() - t0) / 1000;
    return {
      seconds,
      phases: phaseSecs,
      annotatorMs: annotateStats.ms,
      verifyMsHistogram: Object.fromEntries(annotateStats.verifyMs.map((n, i) => [i < VERIFY_MS_BUCKETS.length ? `<=${VERIFY_MS_BUCKETS[i]}` : `>${VERIFY_MS_BUCKETS.at(-1)}`, n])),
      workers,
      inputBytes: totalBytes,
      rowsPerSecond: 0,
      mbPerSecond: totalBytes / 1e6 / seconds,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      unitsAnnotated,
      unitsSkipped,
    };
  };

  // -------------------------------------------------------------------- annotate
  if (annotating) {
    let tPhase = performance.now();
    const ctx = { baseDir, runDir: outDir, seed: config.seed };
    await prepareAnnotators(config, ctx);
    phaseSecs.prepare = (performance.now() - tPhase) / 1000;
    tPhase = performance.now();
    progress.phase(world > 1 ? `annotate (rank ${rank}/${world})` : "annotate");
    const todo = units.filter(({ unit }) => rankOwns(unit, rank, world) && !readMarker(outDir, unit));
    unitsSkipped = units.filter(({ unit }) => rankOwns(unit, rank, world)).length - todo.length;
    if (todo.length) {
      const pool = new AnnotatePool(config, ctx, workers);
      annotateStats = pool.stats;
      try {
        for (const { unit, file } of todo) {
          if (opts.stopAfterUnits !== undefined && unitsAnnotated >= opts.stopAfterUnits) {
            throw new Error(`stopped after ${unitsAnnotated} unit(s) (test hook)`);
          }
          await annotateUnit(loaded, unit, file, outDir, pool, progress);
          // fault injection for the resume tests (never set in normal use): a real SIGKILL after N units
          if (++unitsAnnotated === Number(process.env.CURATE_FAULT_KILL_AFTER_UNITS)) process.kill(process.pid, "SIGKILL");
        }
      } finally {
        await pool.close();
      }
    }
    if (unitsSkipped) progress.log(`resumed: ${unitsSkipped} unit(s) already annotated were skipped`);
    phaseSecs.annotate = (performance.now() - tPhase) / 1000;
    if (phase === "annotate") {
      progress.done();
      return { finished: false, message: `annotate phase done for rank ${rank}/${world} (${unitsAnnotated} unit(s) annotated, ${unitsSkipped} skipped)`, timings: timings() };
    }
  }

  // -------------------------------------------------------------------- wait for every unit
  const waitStart = Date.now();
  /** `read()` until it gives a value, polling every 2 s; `missing` says what is not there yet, `hint` who owes it */
  const poll = async <M>(read: () => M | null, missing: string, hint: string): Promise<M> => {
    let m = read();
    if (m) return m;
    // said once here; while it lasts, the long-wait report repeats it every 30 s
    progress.log(`waiting: ${missing} (${hint})`);
    const done = waitingFor(`${missing} (${hint})`);
    try {
      while (!m) {
        if (opts.waitMs !== undefined && Date.now() - waitStart > opts.waitMs) throw new Error(`${missing} after ${opts.waitMs} ms; ${hint}`);
        await new Promise((r) => setTimeout(r, 2000));
        m = read();
      }
    } finally {
      done();
    }
    return m;
  };
  /** every unit's marker as `read` returns it, waiting for those another rank still owes */
  const waitForUnits = async <M>(read: (unit: number) => M | null, what: string): Promise<M[]> => {
    const got: M[] = [];
    for (const { unit, file } of units) got.push(await poll(() => read(unit), `unit ${unitName(unit)} (${file.rel}) has no ${what}`, `is rank ${unit % world} still running?`));
    return got;
  };
  const markers = await waitForUnits((unit) => readMarker(outDir, unit), "completion marker");
  const unitRows: { unit: number; base: number; rows: number }[] = [];
  for (let i = 0, base = 0; i < markers.length; i++) {
    const rows = markers[i]!.shards.reduce((a, sh) => a + sh.rows, 0);
    unitRows.push({ unit: markers[i]!.unit, base, rows });
    base += rows;
  }
  // ties the group outcome and every write marker to this config and these annotations
  const token = createHash("sha256")
    .update(JSON.stringify([loaded.hash, toolVersion(), markers.map((m) => m.shards.map((s) => s.sha256))]))
    .digest("hex")
    .slice(0, 32);

  // -------------------------------------------------------------------- group (computed once, saved)
  // The outcome is saved under .work/group/<token>/ and read back by every writer. With a world size
  // both global steps are split across ranks: in the group phase rank r confirms the candidate pairs
  // of LSH bands j ≡ r (mod n) and saves them; in the merge phase rank r reads every rank's pairs,
  // forms the problem groups and decides those whose key hashes to r (mod n) — exact duplicates,
  // caps, representatives — holding row data for its share of the rows only. Write ranks wait for
  // all n shares. Phases never wait for a later one, so array tasks scheduled one at a time cannot
  // deadlock. One process (or finalize, when no split outcome is complete) computes it alone.
  let tPhase = performance.now();
  const splitWorld = world > 1 && phase !== "finalize";
  const pairsPhase = splitWorld && (phase === "group" || phase === "all");
  const merging = !splitWorld || phase === "merge" || phase === "all";
  const share = splitWorld ? { rank, world } : { rank: 0, world: 1 };
  progress.phase(pairsPhase ? `group (rank ${rank}/${world})` : splitWorld ? `merge (share ${rank}/${world})` : "group");
  // spill folder of this process's group step: ranks may share a filesystem across hosts, so host,
  // pid and thread go into the name
  const groupTmp = join(outDir, ".work", `group-r${rank}-${hostname()}-${process.pid}-t${threadId}`);
  let outcome: GroupOutcome | null = loadGroupOutcome(outDir, token);
  const mergeCommand = `\`curate run --phase merge --rank <r> --world-size ${world}\` for every rank r`;
  const awaitOutcome = () =>
    poll(
      () => loadGroupOutcome(outDir, token),
      `the group outcome (.work/group/${token}/share-w${world}-r*.json) is incomplete`,
      splitWorld && phase !== "all" ? `its ${world} shares are saved by the merge phase: ${mergeCommand}` : "are the other ranks still running?",
    );
  const needPairs = !outcome && pairsPhase && !readPairs(outDir, token, world, rank);
  const needShare = !outcome && merging && !shareSaved(outDir, token, share);
  if (needPairs || needShare) {
    clearStaleGroup(outDir, token);
    rmSync(groupTmp, { recursive: true, force: true });
    const group = new GroupStep(config, groupTmp);
    const decideLocal = localDecider(config);
    /** one pass over the compact columns: `bad` for a bad input row, else `row` with the record and its row-local drop */
    const pass = async (bad: () => void, row: (record: Rollout, drop: () => DropReason | null) => void) => {
      for await (const { value } of annotatedRows(outDir, markers, GROUP_COLUMNS)) {
        const stored = rowDrop(value);
        if (stored?.stage === "read") {
          bad();
          continue;
        }
        const { record } = rolloutFromRow({ ...value, response: "", ordinal: 0 });
        row(record, () => stored ?? decideLocal(record));
      }
    };
    try {
      // split: the problems of every row first (pairs need no more); one process: rows at once
      await pass(() => group.skip(), (record, drop) => (splitWorld ? group.addProblem(record) : group.add(record, drop())));
      if (needPairs) savePairs(outDir, token, world, rank, group.bandPairs(Array.from({ length: group.bands }, (_, j) => j).filter((j) => j % world === rank)));
      if (needShare) {
        if (splitWorld) {
          const pairs: BandPairs[] = [];
          for (let r = 0; r < world; r++) {
            pairs.push(await poll(() => readPairs(outDir, token, world, r), `the band pairs of group rank ${r} are missing`, `they are saved by \`curate run --phase group --rank ${r} --world-size ${world}\``));
          }
          group.partition(pairs, rank, world);
          await pass(() => group.skipRow(), (record, drop) => group.addRow(record, drop()));
        }
        const computed = await group.finish();
        saveGroupOutcome(outDir, token, computed, unitRows, (i) => group.rowState(i), share);
      }
    } finally {
      rmSync(groupTmp, { recursive: true, force: true });
    }
    outcome = loadGroupOutcome(outDir, token);
    if (!splitWorld && !outcome) throw new Error("internal: the group outcome just saved does not read back");
  }
  phaseSecs.group = (performance.now() - tPhase) / 1000;
  if (phase === "group" || phase === "merge") {
    progress.done();
    return {
      finished: false,
      message: phase === "merge" ? `merge phase done for share ${rank}/${world} (${outcome ? "group outcome complete" : "share saved"})` : `group phase done for rank ${rank}/${world} (band pairs saved)`,
      timings: timings(),
    };
  }
  if (!outcome) outcome = await awaitOutcome();
  const groupOutcome = outcome;
  const decideLocal = localDecider(config);
  // the manifest goes first: from here on data/ changes, and a run folder never looks finished while it does
  rmSync(join(outDir, "manifest.json"), { force: true });

  // -------------------------------------------------------------------- finalize: write (per unit)
  tPhase = performance.now();
  progress.phase(world > 1 && phase !== "finalize" ? `write (rank ${rank}/${world})` : "write");
  const order = [...localStageOrder(loaded), ...groupOutcome.stages];
  const sOpts = shardOptions(loaded);
  // an explicit finalize (or a one-process run) writes whatever units are not written yet; array ranks
  // write their own units
  const mine = phase === "outputs" ? [] : phase === "finalize" || world === 1 ? units : units.filter(({ unit }) => rankOwns(unit, rank, world));
  // every unit not written yet is cut into jobs: one per part (annotated shard) when the input can be
  // read from the recorded offsets (plain JSONL), else one for the whole unit; jobs run on up to
  // `workers` threads (same bytes for any number: names and contents depend only on unit and part)
  const todo = mine.filter(({ unit }) => !readWriteMarker(outDir, unit, token));
  const jobsByUnit = todo.map(({ unit, file }) => {
    const m = markers[unit]!;
    clearWritten(outDir, unit);
    const job = (from: number, to: number): WriteJob => ({ outDir, marker: m, file, base: unitRows[unit]!.base, from, to, order, shard: sOpts });
    return { unit, jobs: partsSeekable(m, file) ? m.shards.map((_, p) => job(p, p + 1)) : [job(0, m.shards.length)] };
  });
  const jobCount = jobsByUnit.reduce((a, u) => a + u.jobs.length, 0);
  const threads = jobCount > 1 ? Math.min(workers, jobCount) : 0;
  const pool = threads > 0 ? new ThreadPool({ name: "write", entry: "run/write-worker", threads, workerData: { config, outDir, token } }) : null;
  const runJob = (job: WriteJob): Promise<PartResult[]> => {
    if (!pool) return writeParts(job, groupOutcome, decideLocal, (n) => progress.rows(n));
    const label = `unit ${unitName(job.marker.unit)} (${job.file.rel}) part${job.to - job.from > 1 ? `s ${job.from}–${job.to - 1}` : ` ${job.from}`}`;
    return pool.run<PartResult[]>(job, label).then((r) => {
      progress.rows(r.reduce((a, x) => a + x.rowsIn, 0));
      return r;
    });
  };
  const productsRun: ProductsRun = {
    config,
    outDir,
    markers,
    bases: unitRows.map((u) => u.base),
    inputs: inputsByUnit,
    shard: sOpts,
    spillDir: join(outDir, ".work", "outputs", token),
  };
  const decisions: Decisions = { outcome: groupOutcome, decideLocal };
  const problemStatsPass = () => problemSummaries(productsRun, groupOutcome);
  const finalizing = !(phase === "write" || phase === "outputs" || (phase === "all" && world > 1 && rank !== 0));
  let problemStats: Promise<Map<string, ProblemSummary>> | null = null;
  let unitsWritten = 0;
  try {
    // inline: one job at a time; on threads: every job queued at once, each unit's marker written when its parts are done
    const settled = pool ? jobsByUnit.map((u) => Promise.allSettled(u.jobs.map(runJob))) : null;
    // a process that finalizes makes its per-problem statistics pass while the write threads work
    // (inline, it comes after the writes: both read the saved outcome unit by unit)
    if (pool && (finalizing || hasOutputs(config))) {
      problemStats = problemStatsPass();
      problemStats.catch(() => undefined); // surfaced where it is awaited
    }
    let failure: unknown = null;
    for (let i = 0; i < jobsByUnit.length; i++) {
      const { unit } = jobsByUnit[i]!;
      let outcomes: PromiseSettledResult<PartResult[]>[];
      if (settled) outcomes = await settled[i]!;
      else {
        outcomes = [];
        for (const job of jobsByUnit[i]!.jobs) {
          try {
            outcomes.push({ status: "fulfilled", value: await runJob(job) });
          } catch (e) {
            outcomes.push({ status: "rejected", reason: e });
            break;
          }
        }
      }
      const bad = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (bad) {
        // a unit's shards exist only with its write marker
        clearWritten(outDir, unit);
        failure ??= bad.reason;
        if (!settled) break;
        continue;
      }
      const parts = outcomes.flatMap((o) => (o as PromiseFulfilledResult<PartResult[]>).value);
      saveWriteMarker(outDir, { unit, token, ...mergeWriteCounts(order, parts) });
      // fault injection for the resume tests (never set in normal use): a real SIGKILL after N written units
      if (++unitsWritten === Number(process.env.CURATE_FAULT_KILL_AFTER_WRITTEN_UNITS)) process.kill(process.pid, "SIGKILL");
    }
    if (failure) throw failure;
  } finally {
    await pool?.destroy();
  }
  phaseSecs.write = (performance.now() - tPhase) / 1000;

  // -------------------------------------------------------------------- data products (outputs)
  // Planned from the compact columns by every process that needs the plan (the same plan everywhere).
  // Spill (with the write step; part j by rank j mod n): the records (texts, token ids) of a part's rows
  // the products use → .work/outputs/<token>/<part>.<output>.rec/.idx + a done marker. Outputs phase
  // (after every part is spilled): output shard g of all outputs in build order, g ≡ rank (mod n), each
  // with a marker. Finalize (or one process) does whatever is left, then joins the manifests.
  const products = hasOutputs(config);
  const pieces = spillPieces(productsRun);
  const outputsWork = join(outDir, ".work", "outputs");
  const spillDir = productsRun.spillDir;
  const split = world > 1 && phase !== "finalize";
  /** who did it, in the markers (for people auditing a run) */
  const by = split ? `rank ${rank}/${world}` : phase === "finalize" ? "finalize" : "one process";
  let summaries: Map<string, ProblemSummary> | null = null;
  let plan: OutputsPlan | null = null;
  const getSummaries = async () => (summaries ??= await (problemStats ?? problemStatsPass()));
  const getPlan = async (): Promise<OutputsPlan> => (plan ??= await planProducts(productsRun, decisions, await getSummaries()));
  /**
   * Product tasks (part spills, output shards) on up to `workers` threads when there are at least two;
   * each thread plans once (the same plan), so threads pay off when the tasks outweigh a plan.
   */
  let productsPool: ThreadPool | null = null;
  const productsTasks = async <T>(tasks: ProductsTask[], inline: (t: ProductsTask) => Promise<T>, done: (t: ProductsTask, r: T) => void): Promise<void> => {
    const threads = tasks.length > 1 ? Math.min(workers, tasks.length) : 0;
    if (threads < 2) {
      for (const t of tasks) done(t, await inline(t));
      return;
    }
    productsPool ??= new ThreadPool({
      name: "products",
      entry: "run/products-worker",
      threads,
      workerData: { run: productsRun, token, summaries: [...(await getSummaries()).entries()] },
    });
    const pool = productsPool;
    const label = (t: ProductsTask) => (t.kind === "spill" ? `spill of part ${t.piece.name}` : `shard ${t.k} of output ${t.name}`);
    const settled = await Promise.allSettled(tasks.map((t) => pool.run<T>(t, label(t)).then((r) => done(t, r))));
    const bad = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
    if (bad) throw bad.reason;
  };
  // markers hold output shards with paths relative to the run folder (ranks may mount it elsewhere)
  const relShard = (sh: ClosedMixShard): ClosedMixShard => ({ ...sh, path: relative(outDir, sh.path) });
  const absShard = (sh: ClosedMixShard): ClosedMixShard => ({ path: join(outDir, sh.path), rows: sh.rows, tokens: sh.tokens, bytes: sh.bytes, sha256: sh.sha256 });
  // once a run is finished the spills go; the list of output shards stays, so a phase run again has nothing to do
  const finishedPath = join(spillDir, "finished.json");
  // a listed shard counts only while its file is there with the size it was written with (the check
  // write markers make of data/ shards): one deleted or truncated since is built again, never listed as done
  const readFinished = (): Record<string, ClosedMixShard[]> | null => {
    try {
      const m = JSON.parse(readFileSync(finishedPath, "utf8")) as Record<string, ClosedMixShard[]>;
      if (!Object.values(m).every((list) => shardsPresent(outDir, list))) return null;
      return Object.fromEntries(Object.entries(m).map(([name, list]) => [name, list.map(absShard)]));
    } catch {
      return null;
    }
  };
  const finished = products ? readFinished() : null;
  const productShards: Record<string, ClosedMixShard[]> = finished ?? {};
  try {
    if (products && !finished) {
      if (existsSync(outputsWork)) for (const f of readdirSync(outputsWork)) if (f !== token) rmSync(join(outputsWork, f), { recursive: true, force: true });
      // no sweep of temp files here: other ranks may be writing theirs (names carry the pid; a crashed
      // process's leftovers go when the run is finished)
      mkdirSync(spillDir, { recursive: true });
      // parts (an annotated shard of a plain JSONL unit, else a unit) j ≡ rank (mod n), so one big
      // input file is spilled by every rank; one process or finalize: every part not spilled yet
      const toSpill = phase === "outputs" ? [] : pieces.filter((pc, j) => (!split || j % world === rank) && !partSpilled(spillDir, pc.name));
      if (toSpill.length) {
        tPhase = performance.now();
        progress.phase(split ? `spill (rank ${rank}/${world})` : "spill");
        await productsTasks(
          toSpill.map((piece) => ({ kind: "spill", piece, by })),
          async (t) => spillPiece(productsRun, decisions, await getPlan(), (t as { piece: SpillPiece }).piece, by),
          () => undefined,
        );
        phaseSecs.spill = (performance.now() - tPhase) / 1000;
      }
    }
    if (phase === "write" || (!finalizing && !products)) {
      progress.done();
      const message = phase === "outputs" ? `outputs phase: the mix file names no outputs (rank ${rank}/${world})` : `write phase done for rank ${rank}/${world} (${unitsWritten} unit(s) written)`;
      return { finished: false, message, timings: timings() };
    }
    if (products && !finished) {
      tPhase = performance.now();
      progress.phase(split ? `outputs (rank ${rank}/${world})` : "outputs");
      for (let j = 0; j < pieces.length; j++) {
        const pc = pieces[j]!;
        await poll(
          () => (partSpilled(spillDir, pc.name) ? true : null),
          `part ${pc.name} (${inputsByUnit[pc.unit]!.rel}) is not spilled for the outputs`,
          `parts are spilled by the write phase: \`curate run --phase write --rank ${j % world} --world-size ${world}\``,
        );
      }
      const p = await getPlan();
      const shardMarker = (name: string, k: number) => join(spillDir, `shard-${name}-${k}.json`);
      const readShard = (name: string, k: number): ClosedMixShard | null => {
        try {
          const sh = JSON.parse(readFileSync(shardMarker(name, k), "utf8")) as ClosedMixShard;
          return shardsPresent(outDir, [sh]) ? absShard(sh) : null;
        } catch {
          return null;
        }
      };
      const local = new ProductShards(productsRun, p);
      try {
        // the cuts of every output (from the spill index), then this process's shards: g ≡ rank (mod n) of all
        const counts = local.cuts();
        const tasks: ProductsTask[] = [];
        let g = 0;
        for (const { name, shards } of counts) {
          for (let k = 0; k < shards; k++, g++) if (!(split && g % world !== rank) && !readShard(name, k)) tasks.push({ kind: "shard", name, k });
        }
        let shardsWritten = 0;
        await productsTasks(
          tasks,
          async (t) => local.write((t as { name: string }).name, (t as { k: number }).k),
          (t, closed) => {
            const { name, k } = t as { name: string; k: number };
            const c = closed as ClosedMixShard;
            writeFileAtomic(shardMarker(name, k), JSON.stringify({ ...relShard(c), by }) + "\n");
            // fault injection for the resume tests (never set in normal use): a real SIGKILL after N output shards
            if (++shardsWritten === Number(process.env.CURATE_FAULT_KILL_AFTER_SHARDS)) process.kill(process.pid, "SIGKILL");
          },
        );
        if (finalizing) {
          for (const { name, shards } of counts) {
            const list: ClosedMixShard[] = [];
            for (let k = 0; k < shards; k++) {
              list.push(await poll(() => readShard(name, k), `shard ${k} of output ${name} is not written`, `output shards are written by \`curate run --phase outputs --rank <r> --world-size ${world}\``));
            }
            productShards[name] = list;
          }
        }
      } finally {
        local.close();
      }
      phaseSecs.outputs = (performance.now() - tPhase) / 1000;
    }
  } finally {
    await (productsPool as ThreadPool | null)?.destroy();
  }
  if (!finalizing) {
    progress.done();
    return { finished: false, message: `${phase === "outputs" ? "outputs" : "write and outputs"} phase done for rank ${rank}/${world}`, timings: timings() };
  }

  const written = await waitForUnits((unit) => readWriteMarker(outDir, unit, token), "write marker");
  // shards no current write marker lists (an earlier, differently filtered finalize) go, and products
  // of an earlier config; only files by curate's names (see run-folder.ts)
  const listed = new Set(written.flatMap((w) => [...w.data, ...w.rejected].map((sh) => sh.path)));
  const current = products ? Object.fromEntries(Object.entries(productShards).map(([name, l]) => [name, new Set(l.map((sh) => sh.path))])) : null;
  const kept = removeUnlisted(outDir, listed, current);
  if (kept.length) progress.log(`kept ${kept.length} file(s) curate did not write: ${kept.slice(0, 5).join(", ")}${kept.length > 5 ? " …" : ""}`);
  const problemsFinal = await getSummaries();

  // -------------------------------------------------------------------- conservation
  const { rowsIn, keptRows, keptTokens, bySource, data: dataShards, rejected: rejectedShards, stages: stageList } = mergeWriteCounts(order, written, config.sources.map((s) => s.name));
  const droppedTotal = stageList.reduce((a, s) => a + s.dropped, 0);
  const markerRows = markers.reduce((a, m) => a + m.rows, 0);
  const rejectedRows = rejectedShards.reduce((a, s) => a + s.rows, 0);
  const keptShardRows = dataShards.reduce((a, s) => a + s.rows, 0);
  const problemsFound: string[] = [];
  // rows in = rows the readers produced (a bad input row counts once; an exploded row counts per rollout)
  const annotatedRowsTotal = markers.reduce((a, m) => a + m.shards.reduce((b, s) => b + s.rows, 0), 0);
  if (rowsIn !== annotatedRowsTotal) problemsFound.push(`wrote ${rowsIn} annotated rows, unit markers list ${annotatedRowsTotal}`);
  if (markerRows !== annotatedRowsTotal) problemsFound.push(`unit markers count ${markerRows} input rows, annotated/ holds ${annotatedRowsTotal}`);
  if (rowsIn !== keptRows + droppedTotal) problemsFound.push(`rows in ${rowsIn} ≠ kept ${keptRows} + dropped ${droppedTotal}`);
  if (rejectedRows !== droppedTotal) problemsFound.push(`rejected/ holds ${rejectedRows} rows but stages dropped ${droppedTotal}`);
  if (keptShardRows !== keptRows) problemsFound.push(`data/ holds ${keptShardRows} rows but ${keptRows} were kept`);
  let prevKept = rowsIn;
  for (const s of stageList) {
    if (s.in !== prevKept) problemsFound.push(`stage ${s.stage} received ${s.in} rows but the stage before kept ${prevKept}`);
    if (s.in !== s.kept + s.dropped) problemsFound.push(`stage ${s.stage}: in ${s.in} ≠ kept ${s.kept} + dropped ${s.dropped}`);
    const reasons = Object.values(s.reasons).reduce((a, b) => a + b, 0);
    if (reasons !== s.dropped) problemsFound.push(`stage ${s.stage}: reasons add to ${reasons}, dropped ${s.dropped}`);
    prevKept = s.kept;
  }
  if (prevKept !== keptRows) problemsFound.push(`last stage kept ${prevKept} but ${keptRows} rows were written`);
  for (const [name, c] of Object.entries(bySource)) {
    if (c.in !== c.kept + c.dropped) problemsFound.push(`source ${name}: in ${c.in} ≠ kept ${c.kept} + dropped ${c.dropped}`);
  }
  if (problemsFound.length) throw new Error(`conservation check failed, run not finished:\n  ${problemsFound.join("\n  ")}`);

  // -------------------------------------------------------------------- outputs, card, manifest
  let outputs: Record<string, unknown> = {};
  if (products) {
    outputs = finishOutputs(await getPlan(), productShards, loaded.hash);
    if (!finished) {
      const rel = Object.fromEntries(Object.entries(productShards).map(([name, list]) => [name, list.map(relShard)]));
      writeFileAtomic(finishedPath, JSON.stringify(rel) + "\n");
      for (const f of readdirSync(spillDir)) if (f !== "finished.json") rmSync(join(spillDir, f), { recursive: true, force: true });
    }
  } else rmSync(outputsWork, { recursive: true, force: true }); // products of an earlier config (--refilter without outputs)

  const byReason: Record<string, number> = {};
  for (const s of stageList) for (const [r, n] of Object.entries(s.reasons)) byReason[r] = (byReason[r] ?? 0) + n;
  const entry = (s: { path: string; rows: number; bytes: number; sha256: string; extra?: Record<string, number>; tokens?: number }): ShardEntry => ({
    path: isAbsolute(s.path) ? relative(outDir, s.path) : s.path,
    rows: s.rows,
    tokens: s.tokens ?? s.extra?.tokens ?? 0,
    bytes: s.bytes,
    sha256: s.sha256,
  });
  const gs = groupOutcome.stats;
  const manifest: Manifest = {
    tool: { name: "curate", version: toolVersion(), dependencies: dependencyVersions() },
    name: config.name,
    configHash: loaded.hash,
    seed: config.seed,
    tokenizer: config.tokenizer,
    config,
    inputs: markers.map((m, i) => ({ unit: unitName(m.unit), source: m.source, file: m.file, format: files[i]!.format, bytes: files[i]!.bytes, rows: m.rows })),
    counts: { rowsIn, kept: keptRows, dropped: droppedTotal, keptTokens, stages: stageList, bySource, byReason },
    conservation: { ok: true, rule: "rows in = kept + dropped, per stage (each stage's input = the previous stage's kept), per source and in total; rejected/ holds every dropped row" },
    groups: {
      exactDuplicates: gs.exactDuplicates,
      exactProblems: gs.exactProblems,
      problemGroups: gs.problemGroups,
      nearDuplicateClusters: gs.nearDuplicateClusters,
      nearDuplicateProblems: gs.nearDuplicateProblems,
      candidatePairs: gs.candidatePairs,
      rejectedByCheck: gs.rejectedByCheck,
      spillRuns: gs.spillRuns,
      problemsWithPassRate: [...problemsFinal.values()].filter((p) => p.passRate !== null).length,
    },
    shards: { data: dataShards.map(entry), rejected: rejectedShards.map(entry), annotated: markers.flatMap((m) => m.shards.map(entry)) },
    outputs,
  };
  writeFileAtomic(join(outDir, "README.md"), datasetCard(manifest, Object.keys(outputs).map((name) => ({ name, path: `outputs/${name}/data/*.parquet` }))));
  writeFileAtomic(join(outDir, "clusters.json"), JSON.stringify(groupOutcome.clusters(), null, 1) + "\n");
  writeFileAtomic(join(outDir, "problems.jsonl"), [...problemsFinal.values()].map((p) => JSON.stringify(p)).join("\n") + (problemsFinal.size ? "\n" : ""));
  const t = timings();
  t.rowsPerSecond = rowsIn / t.seconds;
  writeFileAtomic(join(outDir, "timings.json"), JSON.stringify(t, null, 2) + "\n");
  // last: the manifest marks the run finished
  writeFileAtomic(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  progress.done();
  return { finished: true, manifest, timings: t };
}

function hasOutputs(config: MixConfig): boolean {
  return Object.keys(config.outputs ?? {}).length > 0;
}
