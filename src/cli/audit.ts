/**
 * `curate audit sample <run-folder>`: a reviewer sheet (stable sample per drop reason + kept rows);
 * `curate audit score <sheet>`: each filter's precision with a Wilson 95% interval, and disputed rows.
 */
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";
import { auditSample, auditScore, auditSheetCsv, auditSheetJsonl, renderAuditScore } from "../report/audit.js";
import { isRunFolder } from "../report/shards.js";
import { refuseOverwritingInside, writeFileAtomic } from "../io/atomic.js";

function intOption(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a non-negative integer, got "${v}"`);
    return n;
  };
}

export function register(program: Command): void {
  const audit = program.command("audit").description("reviewer audit loop: sample rows per drop reason, then score the reviewed sheet");

  audit
    .command("sample")
    .description("write a review sheet: a stable seeded sample per drop reason and of kept rows, with a blank reviewer_verdict column (agree | disagree | unsure)")
    .argument("<run-folder>", "a finished run folder")
    .option("--per-reason <n>", "rows per drop reason (default 25)", intOption("--per-reason"), 25)
    .option("--kept <n>", "rows in the kept stratum (default: --per-reason)", intOption("--kept"))
    .option("--seed <s>", "sampling seed (default: the run's seed); recorded in every row", intOption("--seed"))
    .option("--format <fmt>", "csv | jsonl (default: from --out's extension, else csv)")
    .option("-o, --out <file>", "sheet to write (default: stdout)")
    .action(async (runDir: string, o: { perReason: number; kept?: number; seed?: number; format?: string; out?: string }) => {
      if (!isRunFolder(runDir)) throw new UsageError(`${runDir}: not a finished run folder (expected manifest.json beside data/ and rejected/)`);
      const format = o.format ?? (o.out?.endsWith(".jsonl") ? "jsonl" : "csv");
      if (format !== "csv" && format !== "jsonl") throw new UsageError(`--format expects csv or jsonl, got "${format}"`);
      if (o.out) refuseOverwritingInside(o.out, runDir);
      const r = await auditSample(runDir, { perReason: o.perReason, kept: o.kept, seed: o.seed });
      const text = format === "csv" ? auditSheetCsv(r.rows) : auditSheetJsonl(r.rows);
      if (o.out) {
        writeFileAtomic(o.out, text);
        const strata = Object.entries(r.strata)
          .map(([k, v]) => `${k} ${v.sampled}/${v.population}`)
          .join(", ");
        process.stderr.write(`wrote ${r.rows.length} rows to ${o.out} (seed ${r.seed}; ${strata})\n`);
      } else process.stdout.write(text);
    });

  audit
    .command("score")
    .description("read a reviewed sheet and print each filter's precision with a Wilson 95% confidence interval, and the disputed rows")
    .argument("<sheet>", "CSV or JSONL sheet written by `curate audit sample` and filled in by reviewers")
    .option("--format <fmt>", "csv | jsonl (default: from the extension)")
    .option("--json", "print the scores as JSON")
    .action((sheet: string, o: { format?: string; json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(sheet, "utf8");
      } catch (e) {
        throw new UsageError(`${sheet}: cannot read (${(e as Error).message})`);
      }
      const format = o.format ?? (sheet.endsWith(".jsonl") ? "jsonl" : "csv");
      if (format !== "csv" && format !== "jsonl") throw new UsageError(`--format expects csv or jsonl, got "${format}"`);
      let score;
      try {
        score = auditScore(text, sheet, format);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      process.stdout.write((o.json ? JSON.stringify(score, null, 2) : renderAuditScore(score)) + "\n");
    });
}
