import type { Command } from "commander";
import { decontaminationStatus, loadMix, mixWarnings } from "../config/load.js";
import { runMix, type Phase } from "../run/runner.js";
import { UsageError } from "../errors.js";

export function parseIntOption(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, found ${JSON.stringify(v)}`);
    return n;
  };
}

interface RunFlags {
  out?: string;
  workers?: number;
  force?: boolean;
  refilter?: boolean;
  quiet?: boolean;
  json?: boolean;
  rank?: number;
  worldSize?: number;
  phase?: string;
  waitSeconds?: number;
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run a mix file end to end: read, annotate, filter, group, write shards, outputs, manifest and dataset card")
    .argument("<mix>", "mix file (JSON)")
    .option("-o, --out <dir>", "output folder (default: runs/<name>)")
    .option("-w, --workers <n>", "worker threads (0 = inline; default: CPU cores, or 0 for inputs under 16 MB)", parseIntOption("--workers"))
    .option("--rank <i>", "this process's rank in an array job (default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, else 0)", parseIntOption("--rank"))
    .option("--world-size <n>", "number of ranks (default: SLURM_ARRAY_TASK_COUNT, else 1)", parseIntOption("--world-size", 1))
    .option("--phase <phase>", "all (default) | annotate (this rank's units) | group (this rank's share of the LSH bands) | merge (this rank's share of the problem groups, from every rank's pairs → share of the saved group outcome) | write (this rank's units to data/ and rejected/, from the saved group outcome) | outputs (the data products: this rank's units spilled, then its share of the output shards) | finalize (group if not saved, write any unit not written yet, outputs left to do, manifest)")
    .option("--wait-seconds <s>", "finalize: give up waiting for other ranks' units after this long (default: wait)", parseIntOption("--wait-seconds"))
    .option("--force", "start over: replace a finished run, or discard an unfinished one")
    .option("--refilter", "re-decide a finished run after changing only filters or outputs: reuses its annotations, rewrites data/, rejected/, outputs/ and the manifest")
    .option("-q, --quiet", "no progress output")
    .option("--json", "print the run summary as JSON on stdout")
    .action(async (mixPath: string, o: RunFlags) => {
      const loaded = loadMix(mixPath);
      const outDir = o.out ?? `runs/${loaded.config.name}`;
      if (o.phase !== undefined && !["all", "annotate", "group", "merge", "write", "outputs", "finalize"].includes(o.phase)) {
        throw new UsageError(`--phase must be all, annotate, group, merge, write, outputs or finalize, found ${JSON.stringify(o.phase)}`);
      }
      // said before the work starts, so it is seen while the run can still be stopped; --quiet leaves
      // them to the manifest, card and report. A source without a reference is said once, where rows are read.
      if (!o.quiet) {
        const warnings = decontaminationStatus(loaded.config).warnings;
        if ((o.phase ?? "all") === "all" || o.phase === "annotate") warnings.push(...mixWarnings(loaded.config));
        for (const w of warnings) process.stderr.write(`warning: ${mixPath}: ${w}\n`);
      }
      const res = await runMix(loaded, {
        outDir,
        workers: o.workers,
        force: o.force,
        refilter: o.refilter,
        quiet: o.quiet,
        rank: o.rank,
        worldSize: o.worldSize,
        phase: (o.phase ?? "all") as Phase,
        waitMs: o.waitSeconds === undefined ? undefined : o.waitSeconds * 1000,
      });
      if (!res.finished) {
        if (o.json) process.stdout.write(JSON.stringify({ out: outDir, finished: false, message: res.message, timings: res.timings }, null, 2) + "\n");
        else if (!o.quiet) process.stderr.write(`${res.message}\n`);
        return;
      }
      const { manifest, timings } = res;
      if (o.json) {
        process.stdout.write(JSON.stringify({ out: outDir, finished: true, counts: manifest.counts, groups: manifest.groups, outputs: manifest.outputs, timings }, null, 2) + "\n");
      } else if (!o.quiet) {
        const c = manifest.counts;
        const n = (x: number) => x.toLocaleString("en-US");
        const lines = [
          `${manifest.name}: ${n(c.rowsIn)} rows in → ${n(c.kept)} kept, ${n(c.dropped)} dropped (${timings.seconds.toFixed(1)} s, ${timings.rowsPerSecond.toFixed(0)} rows/s)`,
          ...c.stages.map((s) => `  ${s.stage.padEnd(14)} in ${n(s.in).padStart(9)}  kept ${n(s.kept).padStart(9)}  dropped ${n(s.dropped).padStart(8)}  ${Object.entries(s.reasons).map(([r, k]) => `${r}=${k}`).join(" ")}`),
          ...sourceLines(c.bySource),
          `  output: ${outDir} (data/, rejected/, annotated/, manifest.json, README.md)`,
        ];
        process.stderr.write(lines.join("\n") + "\n");
      }
    });
}

/** Per source, rows in, kept and dropped; a source that lost every row is called out (a missing reference, a wrong path). */
export function sourceLines(bySource: Record<string, { in: number; kept: number; dropped: number }>): string[] {
  const n = (x: number) => x.toLocaleString("en-US");
  const names = Object.keys(bySource);
  const width = Math.max(14, ...names.map((s) => s.length + 7));
  return names.map((name) => {
    const s = bySource[name]!;
    const flag = s.in > 0 && s.kept === 0 ? "  ← every row dropped" : "";
    return `  ${`source ${name}`.padEnd(width)} in ${n(s.in).padStart(9)}  kept ${n(s.kept).padStart(9)}  dropped ${n(s.dropped).padStart(8)}${flag}`;
  });
}
