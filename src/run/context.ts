/**
 * What every phase of a run shares: the config, the run folder, this process's rank and phase, the
 * input units, progress and timings — and, as phases produce them, the unit markers, the token that
 * ties later steps to these annotations, and the group outcome. Phases (src/run/phases/*) read and
 * fill it; the runner only sequences them.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { canonicalJson, type LoadedMix } from "../config/load.js";
import type { MixConfig } from "../config/types.js";
import { resolveSourceFiles, type SourceFile } from "../io/sources.js";
import { describeRange, planUnits, sameRange, unitName, type Unit } from "../io/units.js";
import type { Codec } from "../io/parquet-write.js";
import { InputError, UsageError } from "../errors.js";
import { toolVersion } from "../version.js";
import type { AnnotateStats } from "../annotate/pool.js";
import { VERIFY_MS_BUCKETS } from "../annotate/chain.js";
import type { GroupOutcome } from "../group/outcome.js";
import { Decider } from "../decide/decide.js";
import { createProgress, type Progress } from "./progress.js";
import { readMarker, rankOwns, type UnitMarker } from "./markers.js";
import { Waiter } from "./wait.js";
import { cpuBudget } from "../workers.js";
import type { Phase, RunOptions, RunTimings } from "./types.js";

/**
 * Hash of everything annotation depends on: the config minus filters and outputs (decided at the end,
 * from stored annotations). A run folder annotated under the same hash is reused when only filters or
 * outputs change.
 */
export function annotateHash(config: MixConfig): string {
  return createHash("sha256").update(canonicalJson(annotateConfig(config))).digest("hex");
}

/** The part of the config the annotate hash covers (kept in .work/state.json to say what changed). */
export function annotateConfig(config: MixConfig): Omit<MixConfig, "filters" | "outputs" | "description"> {
  const { filters: _f, outputs: _o, description: _d, ...rest } = config;
  return rest;
}

/** `--rank/--world-size`, else Slurm's or Kubernetes' array-job variables, else one process. */
export function rankFromEnv(opts: RunOptions): { rank: number; world: number } {
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
 * A piece of a file as its marker says it was annotated: the row of a JSONL piece's first line, which
 * the write step re-reads from (set in place: whoever holds the unit's file sees it).
 */
function adoptRange(file: SourceFile, m: UnitMarker): void {
  if (!file.range && !m.range) return;
  if (!sameRange(file.range, m.range)) {
    throw new InputError(file.rel, null, `input changed since it was annotated: unit ${unitName(m.unit)} was ${describeRange(m.range)}, the file is now cut into ${describeRange(file.range)}; run again with --force`);
  }
  if (file.range?.kind === "bytes" && m.range?.kind === "bytes") file.range.rowBase = m.range.rowBase;
}

export interface ShardOptions {
  codec: Codec;
  rowGroupRows: number;
  shardRows: number;
  shardBytes: number;
}

/** inputs below this many bytes are annotated inline by default */
/**
 * The files of a mix's sources for a run into `outDir` (a config error names the mix file). A file
 * inside the run folder is curate's own output, never an input: a source folder that holds the run
 * folder would read its shards and manifest on the next run (--force, a resume). Such files are left
 * out with a note; a source left with none is an error.
 */
export async function runInputFiles(loaded: LoadedMix, outDir: string, onNote: (note: string) => void): Promise<SourceFile[]> {
  const mixName = relative(process.cwd(), loaded.path) || loaded.path;
  const runFolder = resolve(outDir) + sep;
  const files: SourceFile[] = [];
  /** device:inode of each local file → the source that reads it first */
  const readBy = new Map<string, string>();
  for (const s of loaded.config.sources) {
    let found: SourceFile[];
    try {
      found = await resolveSourceFiles(s, loaded.baseDir, {}, onNote);
    } catch (e) {
      throw new UsageError(`${mixName}: ${(e as Error).message}`);
    }
    const own = found.filter((f) => !f.remote && f.path.startsWith(runFolder));
    if (own.length === found.length) throw new UsageError(`${mixName}: source "${s.name}": every file it matches is inside the run folder ${outDir}: choose another --out`);
    if (own.length > 0) onNote(`source "${s.name}": ${own.length} file(s) inside the run folder ${outDir} left out (curate's own output, e.g. ${own[0]!.rel})`);
    const mine = found.filter((f) => !own.includes(f));
    // a file two sources read is read twice (their mappings may differ, e.g. two columns of one file):
    // said, since with the same mapping the second copies all go as exact duplicates
    for (const f of mine) {
      if (f.remote) continue;
      const st = statSync(f.path);
      const key = `${st.dev}:${st.ino}`;
      const first = readBy.get(key);
      if (first === undefined) readBy.set(key, s.name);
      else if (first !== s.name) onNote(`source "${s.name}": ${f.rel} is also read by source "${first}": its rows are read once for each`);
    }
    files.push(...mine);
  }
  return files;
}

/** how often a rank looks for what others owe: 2 s, or CURATE_WAIT_POLL_MS (tests make it short) */
function waitPollMs(): number {
  const ms = Number(process.env.CURATE_WAIT_POLL_MS);
  return Number.isFinite(ms) && ms >= 10 ? ms : 2000;
}

export const INLINE_BELOW_BYTES = 16 * 1024 * 1024;

/**
 * Worker threads when neither --workers nor the mix says: one per CPU this process may use (cpuBudget), but none for inputs under
 * 16 MB, where starting threads (each loads the annotators) costs more than it saves — the
 * quickstart (620 KB): 5.7 s / 3.5 CPU-s inline against 11.9 s / 7.4 CPU-s on 2 threads.
 */
export function defaultWorkers(inputBytes: number): number {
  return inputBytes < INLINE_BELOW_BYTES ? 0 : cpuBudget();
}

export class RunContext {
  readonly config: MixConfig;
  readonly outDir: string;
  readonly phase: Phase;
  readonly rank: number;
  readonly world: number;
  readonly workers: number;
  /** a rank of an array job doing its share (finalize is one process even with a world size) */
  readonly split: boolean;
  /** this process ends the run: conservation, manifest (one process, finalize, or rank 0 of `all`) */
  readonly finalizing: boolean;
  readonly files: SourceFile[];
  /** the input files' units, in order (a large file makes several: io/units.ts) */
  readonly units: Unit[];
  readonly totalBytes: number;
  readonly shard: ShardOptions;
  readonly decider: Decider;
  readonly progress: Progress;
  readonly waiter: Waiter;
  readonly phaseSecs: Record<string, number> = {};
  annotateStats: AnnotateStats = { ms: {}, verifyMs: [] };
  unitsAnnotated = 0;
  unitsSkipped = 0;
  unitsWritten = 0;
  private readonly t0 = performance.now();
  private _markers: UnitMarker[] | null = null;
  private _token: string | null = null;
  private _outcome: GroupOutcome | null = null;

  private constructor(
    readonly loaded: LoadedMix,
    readonly opts: RunOptions,
    files: SourceFile[],
    units: Unit[],
  ) {
    this.config = loaded.config;
    this.outDir = resolve(opts.outDir);
    this.phase = opts.phase ?? "all";
    const { rank, world } = rankFromEnv(opts);
    this.rank = rank;
    this.world = world;
    this.split = world > 1 && this.phase !== "finalize";
    this.finalizing = !(this.phase === "write" || this.phase === "outputs" || (this.phase === "all" && world > 1 && rank !== 0));
    this.files = files;
    this.units = units;
    this.totalBytes = files.reduce((a, f) => a + f.bytes, 0);
    this.workers = opts.workers ?? this.config.workers ?? defaultWorkers(this.totalBytes);
    const out = this.config.output ?? {};
    this.shard = { codec: (out.codec ?? "ZSTD") as Codec, rowGroupRows: out.rowGroupRows ?? 1000, shardRows: out.shardRows ?? 50_000, shardBytes: out.shardBytes ?? 256 * 1024 * 1024 };
    this.decider = new Decider(this.config);
    this.progress = createProgress({ quiet: opts.quiet ?? false, totalBytes: this.totalBytes, tty: opts.tty });
    this.waiter = new Waiter(opts.waitMs, (line) => this.progress.log(line), waitPollMs());
  }

  /** Resolve the sources' files (a config error names the mix file) and set up the shared state. */
  static async create(loaded: LoadedMix, opts: RunOptions): Promise<RunContext> {
    const notes: string[] = [];
    const files = await runInputFiles(loaded, opts.outDir, (n) => notes.push(n));
    const ctx = new RunContext(loaded, opts, files, await planUnits(files, loaded.config.unitBytes));
    for (const n of notes) ctx.progress.log(`note: ${n}`);
    return ctx;
  }

  /** "rank r/n" for this process's messages and markers */
  get rankLabel(): string {
    return `rank ${this.rank}/${this.world}`;
  }

  owns(unit: number): boolean {
    return rankOwns(unit, this.rank, this.world);
  }

  /** Run `body`, adding its wall seconds to `phaseSecs[name]`. */
  async timed<T>(name: string, body: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await body();
    } finally {
      this.phaseSecs[name] = (performance.now() - t) / 1000;
    }
  }

  /** Every unit's `read(unit)`, waiting for those another rank still owes. */
  async waitForUnits<M>(read: (unit: number) => M | null, what: string): Promise<M[]> {
    const got: M[] = [];
    for (const { unit, file } of this.units) got.push(await this.waiter.poll(() => read(unit), `unit ${unitName(unit)} (${file.rel}${file.range ? `, ${describeRange(file.range)}` : ""}) has no ${what}`, `is rank ${unit % this.world} still running?`));
    return got;
  }

  /** Wait for every unit's completion marker; then the token ties later steps to these annotations. */
  async awaitAnnotated(): Promise<void> {
    this._markers = await this.waitForUnits((unit) => readMarker(this.outDir, unit), "completion marker");
    for (const { unit, file } of this.units) adoptRange(file, this._markers[unit]!);
    this._token = createHash("sha256")
      .update(JSON.stringify([this.loaded.hash, toolVersion(), this._markers.map((m) => m.shards.map((s) => s.sha256))]))
      .digest("hex")
      .slice(0, 32);
  }

  get markers(): UnitMarker[] {
    if (!this._markers) throw new Error("internal: unit markers read before the annotate phase finished");
    return this._markers;
  }

  get token(): string {
    if (!this._token) throw new Error("internal: run token read before the annotate phase finished");
    return this._token;
  }

  /** each unit's first row (global index) and its rows, in unit order */
  get unitRows(): { unit: number; base: number; rows: number }[] {
    const out: { unit: number; base: number; rows: number }[] = [];
    let base = 0;
    for (const m of this.markers) {
      const rows = m.shards.reduce((a, sh) => a + sh.rows, 0);
      out.push({ unit: m.unit, base, rows });
      base += rows;
    }
    return out;
  }

  set outcome(o: GroupOutcome) {
    this._outcome = o;
  }

  get outcome(): GroupOutcome {
    if (!this._outcome) throw new Error("internal: group outcome read before the group phase finished");
    return this._outcome;
  }

  /** the stages every row passes, in order: read, annotate, the row-local filters, the group stages */
  get stageOrder(): string[] {
    return this.decider.stageOrder(this.outcome.stages);
  }

  timings(): RunTimings {
    const seconds = (performance.now() - this.t0) / 1000;
    const buckets = this.annotateStats.verifyMs.map((n, i) => [i < VERIFY_MS_BUCKETS.length ? `<=${VERIFY_MS_BUCKETS[i]}` : `>${VERIFY_MS_BUCKETS.at(-1)}`, n]);
    return {
      seconds,
      phases: this.phaseSecs,
      annotatorMs: this.annotateStats.ms,
      verifyMsHistogram: Object.fromEntries(buckets),
      workers: this.workers,
      inputBytes: this.totalBytes,
      rowsPerSecond: 0,
      mbPerSecond: this.totalBytes / 1e6 / seconds,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      unitsAnnotated: this.unitsAnnotated,
      unitsSkipped: this.unitsSkipped,
    };
  }
}
