/**
 * `curate run`: the phases of one mix file, in order. Each phase is its own module under phases/ and
 * shares the run's state through RunContext; this file only sequences them and decides where a
 * process of an array job stops (`--phase`).
 *
 *   annotate  every unit (input file) this rank owns → annotated/ + unit marker       phases/annotate.ts
 *   group     (every unit marked) exact duplicates, problem groups, caps → .work/group/<token>/
 *             split: `group` = LSH band pairs per rank, `merge` = one share per rank  phases/group.ts
 *   write     this rank's units → data/ (kept) + rejected/ (stage, reason) + marker     phases/write.ts
 *   spill     with outputs: the records the data products use, part by part            phases/products.ts
 *   outputs   (every part spilled) this rank's output shards                            phases/products.ts
 *   finalize  (one process) conservation check, output manifests, card, manifest.json   phases/finalize.ts
 *
 * One process runs them all. A phase never waits for a later one, so array tasks scheduled one at a
 * time cannot deadlock; a process that needs another rank's work waits for its marker (wait.ts).
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LoadedMix } from "../config/load.js";
import { initCompressors } from "../io/parquet-write.js";
import { UsageError } from "../errors.js";
import { reportLongWaits } from "../waits.js";
import { openRunFolder } from "./folder.js";
import { RunContext, annotateConfig, annotateHash, rankFromEnv } from "./context.js";
import type { RunOptions, RunResult } from "./types.js";

export type { Phase, RunOptions, RunResult, RunTimings } from "./types.js";
export type { Manifest, ShardEntry } from "./manifest.js";
export type { StageCount } from "./markers.js";

/** Run a mix into `opts.outDir`; the run folder's lock (see folder.ts) is released however it ends. */
export async function runMix(loaded: LoadedMix, opts: RunOptions): Promise<RunResult> {
  // every 30 s, whatever this run has been waiting on for 30 s or more (threads' tasks, markers) is logged
  let log: (line: string) => void = () => undefined;
  const stopReport = reportLongWaits((line) => log(line));
  let release = () => {};
  try {
    const ctx = await openRun(loaded, opts, (r) => (release = r));
    log = (line) => ctx.progress.log(line);
    return await runPhases(ctx);
  } finally {
    release();
    stopReport();
  }
}

/** Check the options, resolve the inputs and take the run folder (see folder.ts for its rules). */
async function openRun(loaded: LoadedMix, opts: RunOptions, setRelease: (release: () => void) => void): Promise<RunContext> {
  const phase = opts.phase ?? "all";
  if (opts.force && rankFromEnv(opts).world > 1) {
    // ranks start at different times: one rank's --force would delete the units others just wrote
    throw new UsageError(`--force cannot be used by array-job ranks (world size ${rankFromEnv(opts).world}); clear the output folder once before submitting, or run with --force in one process`);
  }
  await initCompressors();
  const ctx = await RunContext.create(loaded, opts);
  if (phase === "finalize" && existsSync(join(ctx.outDir, "manifest.json")) && !opts.force && !opts.refilter) {
    throw new UsageError(`output folder ${ctx.outDir} already holds a finished run (manifest.json); pass --force to replace it`);
  }
  setRelease(
    openRunFolder({
      outDir: ctx.outDir,
      // one process (world size 1, not finalize) or --force holds the folder alone; ranks and finalize share it
      exclusive: (ctx.world === 1 && phase !== "finalize") || (opts.force ?? false),
      annotating: phase === "all" || phase === "annotate",
      annotateHash: annotateHash(ctx.config),
      annotateConfig: annotateConfig(ctx.config),
      files: ctx.files.map((f) => `${f.source.name}:${f.rel}`),
      force: opts.force ?? false,
      refilter: opts.refilter ?? false,
      products: Object.keys(ctx.config.outputs ?? {}),
      note: (line) => process.stderr.write(line + "\n"),
    }),
  );
  return ctx;
}

/** A process that stops before finalize: what it did, in one line. */
function stopped(ctx: RunContext, message: string): RunResult {
  ctx.progress.done();
  return { finished: false, message, timings: ctx.timings() };
}

async function runPhases(ctx: RunContext): Promise<RunResult> {
  const { phase, rankLabel } = ctx;
  // each phase's modules load when it starts (~0.2 CPU-s in all): a run refused when it opens its
  // folder, or a process of one phase, loads none or only its own
  if (phase === "all" || phase === "annotate") {
    const { annotatePhase } = await import("./phases/annotate.js");
    await annotatePhase(ctx);
    if (phase === "annotate") return stopped(ctx, `annotate phase done for ${rankLabel} (${ctx.unitsAnnotated} unit(s) annotated, ${ctx.unitsSkipped} skipped)`);
  }
  await ctx.awaitAnnotated();
  const { awaitOutcome, groupPhase } = await import("./phases/group.js");
  const outcome = await ctx.timed("group", () => groupPhase(ctx));
  if (phase === "group") return stopped(ctx, `group phase done for ${rankLabel} (band pairs saved)`);
  if (phase === "merge") return stopped(ctx, `merge phase done for share ${ctx.rank}/${ctx.world} (${outcome ? "group outcome complete" : "share saved"})`);
  ctx.outcome = outcome ?? (await awaitOutcome(ctx));
  // the manifest goes first: from here on data/ changes, and a run folder never looks finished while it does
  rmSync(join(ctx.outDir, "manifest.json"), { force: true });
  const [{ writePhase }, { Products }, { finalizePhase }] = await Promise.all([import("./phases/write.js"), import("./phases/products.js"), import("./phases/finalize.js")]);
  const products = new Products(ctx);
  try {
    await ctx.timed("write", () => writePhase(ctx, products));
    await products.spill();
    if (phase === "write" || (!ctx.finalizing && !products.configured)) {
      return stopped(ctx, phase === "outputs" ? `outputs phase: the mix file names no outputs (${rankLabel})` : `write phase done for ${rankLabel} (${ctx.unitsWritten} unit(s) written)`);
    }
    await products.outputs();
  } finally {
    await products.close();
  }
  if (!ctx.finalizing) return stopped(ctx, `${phase === "outputs" ? "outputs" : "write and outputs"} phase done for ${rankLabel}`);
  return finalizePhase(ctx, products);
}
