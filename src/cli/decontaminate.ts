/**
 * `curate decontaminate input… [--benchmarks math500,aime2024,name=path[:field],…] [--benchmarks-dir DIR]
 *   [--field problem] [--id-field id] [--response-field response] [--all] [--build-index FILE]
 *   [--index FILE] [--out FILE] [--workers N]`: the command's arguments and its summary line; the
 * engine is src/decontam/match-file.ts.
 *
 * The inputs are what a mix source's `path` takes (files, globs, folders, hf://datasets/…, https://;
 * JSONL, JSONL.gz, JSON array/object files, Parquet) and `--field` a source field path. One local
 * JSONL(.gz) file with a plain field is streamed in batches of whole lines, matched on `--workers`
 * threads (default: one per core for large inputs; 0 = on the main thread). Output, in input order:
 * one JSONL line per row that matched a benchmark problem: {"id", "matches": [{"benchmark", "item",
 * "method", "score"}]}. `--all` writes clean rows too (with "matches": []); `--details` adds spans
 * and snippets. `--build-index FILE` writes the benchmark index (usable with `--index FILE`); without
 * an input it only builds.
 */
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";
import { cpuBudget } from "../workers.js";
import { UsageError } from "../errors.js";
import { BUILTIN_BENCHMARKS } from "../decontam/registry.js";
import type { UserBenchmark } from "../decontam/types.js";
import { AUTO_THREADS_MB, DEFAULT_BATCH_BYTES, runDecontaminate, type DecontaminateRunOptions } from "../decontam/match-file.js";

function list(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * `--benchmarks` entries: a built-in name, or `name=path[:field]` (a local JSONL, JSON or Parquet
 * file; field default "problem"). A path holding ":" is taken whole when that file exists.
 */
export function benchmarkList(v: string): (string | UserBenchmark)[] {
  return list(v).map((entry) => {
    const eq = entry.indexOf("=");
    if (eq === -1) return entry;
    const name = entry.slice(0, eq).trim();
    const rest = entry.slice(eq + 1).trim();
    if (!name || !rest) throw new UsageError(`--benchmarks: expected a name or name=path[:field], got "${entry}"`);
    const colon = rest.lastIndexOf(":");
    const field = colon > 0 ? rest.slice(colon + 1) : "";
    if (colon <= 0 || existsSync(rest) || field === "" || /[/\\]/.test(field)) return { name, path: rest };
    return { name, path: rest.slice(0, colon), problemField: field };
  });
}

function count(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${name}: expected a whole number ≥ ${min}, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command("decontaminate")
    .description("flag rows whose problem reproduces a benchmark problem (Math-500, AIME, AMC, …)")
    .argument("[inputs...]", "rows, as a mix source's path: JSONL, JSONL.gz, JSON (array or object of rows) or Parquet files, globs, folders, hf://datasets/… or https:// paths")
    .option("--benchmarks <list>", `comma-separated: ${BUILTIN_BENCHMARKS.map((b) => b.name).join(", ")}, or name=path[:field] for a local JSONL, JSON or Parquet file (field default problem)`, benchmarkList)
    .option("--benchmarks-dir <dir>", "local folder with benchmark files (else CURATE_BENCHMARKS_DIR, else the Hugging Face Hub)")
    .option("--field <path>", "field path of the problem text, as in a source's fields (problem, meta.question, messages[0].content)", "problem")
    .option("--id-field <path>", "field path of the row id (default: id, unique_id, uid or idx; else the row number, file:row for several files)")
    .option("--response-field <path>", "also check this field (the response's restatement of the problem)")
    .option("--all", "also write rows without matches", false)
    .option("--details", "include matched spans and snippets", false)
    .option("--ngram <n>", "word n-gram size", (v) => Number.parseInt(v, 10))
    .option("--build-index <file>", "write the benchmark index to this file")
    .option("--index <file>", "use a prebuilt index instead of loading benchmarks")
    .option("--out <file>", "write matches here instead of standard output")
    .option("--workers <n>", `matching threads for one local JSONL(.gz) file (0 = the main thread; other inputs are matched on the main thread; default: ${cpuBudget()} = the CPUs this process may use for inputs of ${AUTO_THREADS_MB} MB or more (${AUTO_THREADS_MB / 4} MB gzipped), else 0)`)
    .addOption(new Option("--batch-bytes <n>", "bytes of whole lines per batch").default(String(DEFAULT_BATCH_BYTES)).hideHelp())
    .action(async (inputs: string[], opts: Record<string, unknown>) => {
      const input = inputs.length > 0 ? inputs : undefined;
      const run: DecontaminateRunOptions = {
        input,
        idField: opts.idField as string | undefined,
        benchmarks: opts.benchmarks as (string | UserBenchmark)[] | undefined,
        benchmarksDir: opts.benchmarksDir as string | undefined,
        field: opts.field as string,
        responseField: opts.responseField as string | undefined,
        all: Boolean(opts.all),
        details: Boolean(opts.details),
        buildIndex: opts.buildIndex as string | undefined,
        index: opts.index as string | undefined,
        out: opts.out as string | undefined,
        ngram: opts.ngram as number | undefined,
        ...(opts.workers !== undefined ? { workers: count("--workers", opts.workers as string, 0) } : {}),
        batchBytes: count("--batch-bytes", opts.batchBytes as string, 1),
        log: (m) => process.stderr.write(m + "\n"),
      };
      if (!run.input && !run.buildIndex) throw new UsageError("decontaminate: give an input (JSONL, JSON or Parquet files, globs, hf:// paths), or --build-index FILE");
      if (run.index && run.buildIndex) throw new UsageError("decontaminate: --index and --build-index exclude each other");
      const res = await runDecontaminate(run);
      if (input) {
        const per = Object.entries(res.byBenchmark)
          .map(([b, n]) => `${b} ${n}`)
          .join(", ");
        process.stderr.write(`decontaminate: ${res.flagged} of ${res.rows} rows matched${per ? ` (${per})` : ""}\n`);
      }
    });
}
