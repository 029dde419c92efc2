/**
 * `curate report <run-folder>`: one self-contained HTML file (no network) showing what the run did.
 */
import type { Command } from "commander";
import { join } from "node:path";
import { statSync } from "node:fs";
import { UsageError } from "../errors.js";
import { writeReport } from "../report/report.js";
import { refuseOverwritingInside } from "../io/atomic.js";

function intOption(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a non-negative integer, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  program
    .command("report")
    .description("write one self-contained HTML report (funnel, lengths, verifier, contamination, near-duplicates, drop samples, outputs) for a run folder")
    .argument("<run-folder>", "a finished run folder (with manifest.json)")
    .option("-o, --out <file>", "HTML file to write (default: <run-folder>/report.html)")
    .option("--per-reason <n>", "sample rows shown per drop reason (default 5)", intOption("--per-reason"))
    .option("--seed <s>", "sampling seed (default: the run's seed)", intOption("--seed"))
    .option("--json", "print a JSON summary (path, bytes, seconds) on stdout")
    .action(async (runDir: string, o: { out?: string; perReason?: number; seed?: number; json?: boolean }) => {
      try {
        if (!statSync(runDir).isDirectory()) throw new Error("not a folder");
      } catch {
        throw new UsageError(`${runDir}: not a run folder (expected a folder holding manifest.json, data/ and rejected/)`);
      }
      const out = o.out ?? join(runDir, "report.html");
      refuseOverwritingInside(out, runDir, [join(runDir, "report.html")]);
      const t0 = performance.now();
      const r = await writeReport(runDir, out, { perReason: o.perReason, seed: o.seed });
      const seconds = (performance.now() - t0) / 1000;
      if (o.json) process.stdout.write(JSON.stringify({ out, bytes: r.bytes, seconds, rows: r.rows }) + "\n");
      else process.stderr.write(`wrote ${out} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.rows.toLocaleString("en-US")} rows summarised, ${seconds.toFixed(1)} s)\n`);
    });
}
