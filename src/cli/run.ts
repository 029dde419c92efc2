import type { Command } from "commander";
import { loadMix } from "../config/load.js";
import { runMix } from "../exec/runner.js";
import { UsageError } from "./errors.js";

export function parseIntOption(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, found ${JSON.stringify(v)}`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command("run")
    .description("run a mix file end to end: read, annotate, filter, group, write shards, manifest and dataset card")
    .argument("<mix>", "mix file (JSON)")
    .option("-o, --out <dir>", "output folder (default: runs/<name>)")
    .option("-w, --workers <n>", "annotate worker threads (0 = inline; default: CPU cores)", parseIntOption("--workers"))
    .option("--force", "replace an existing finished run in the output folder")
    .option("-q, --quiet", "no progress output")
    .option("--json", "print the run summary as JSON on stdout")
    .action(async (mixPath: string, o: { out?: string; workers?: number; force?: boolean; quiet?: boolean; json?: boolean }) => {
      const loaded = loadMix(mixPath);
      const outDir = o.out ?? `runs/${loaded.config.name}`;
      const { manifest, timings } = await runMix(loaded, { outDir, workers: o.workers, force: o.force, quiet: o.quiet });
      if (o.json) {
        process.stdout.write(JSON.stringify({ out: outDir, counts: manifest.counts, outputs: manifest.outputs, timings }, null, 2) + "\n");
      } else if (!o.quiet) {
        const c = manifest.counts;
        const lines = [
          `${manifest.name}: ${c.rowsIn.toLocaleString("en-US")} rows in → ${c.kept.toLocaleString("en-US")} kept, ${c.dropped.toLocaleString("en-US")} dropped (${timings.seconds.toFixed(1)} s, ${timings.rowsPerSecond.toFixed(0)} rows/s)`,
          ...c.stages.map((s) => `  ${s.stage.padEnd(16)} in ${String(s.in).padStart(8)}  kept ${String(s.kept).padStart(8)}  dropped ${String(s.dropped).padStart(7)}  ${Object.entries(s.reasons).map(([r, n]) => `${r}=${n}`).join(" ")}`),
          `  output: ${outDir} (data/, rejected/, annotated/, manifest.json, README.md)`,
        ];
        process.stderr.write(lines.join("\n") + "\n");
      }
    });
}
