/**
 * `curate decontaminate input.jsonl [--benchmarks math500,aime2024,…] [--benchmarks-dir DIR]
 *   [--field problem] [--response-field response] [--all] [--build-index FILE] [--index FILE] [--out FILE]`
 *
 * Streams the input (JSONL or JSONL.gz, one line at a time) and writes one JSONL line per row that
 * matched a benchmark problem: {"id", "matches": [{"benchmark", "item", "method", "score"}]}.
 * `--all` writes clean rows too (with "matches": []); `--details` adds spans and snippets.
 * `--build-index FILE` writes the benchmark index (usable with `--index FILE`); without an input it
 * only builds.
 */
import type { Command } from "commander";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { Readable, Writable } from "node:stream";
import { once } from "node:events";
import { UsageError, InputError } from "./errors.js";
import type { DecontaminateConfig } from "../decontam/types.js";
import { BUILTIN_BENCHMARKS } from "../decontam/registry.js";
import { buildDecontaminationIndex, contaminationOf, readIndexFile, writeIndexFile } from "../stages/decontaminate.js";
import type { ContaminationIndex } from "../decontam/benchmark-index.js";

export interface DecontaminateCliOptions {
  input?: string;
  benchmarks?: string[];
  benchmarksDir?: string;
  field: string;
  responseField?: string;
  all: boolean;
  details: boolean;
  buildIndex?: string;
  index?: string;
  out?: string;
  ngram?: number;
  log?: (msg: string) => void;
}

export interface DecontaminateCliResult {
  rows: number;
  flagged: number;
  byBenchmark: Record<string, number>;
}

function rowId(v: Record<string, unknown>, row: number): string | number {
  for (const k of ["id", "unique_id", "uid", "idx"]) {
    const x = v[k];
    if (typeof x === "string" || typeof x === "number") return x;
  }
  return row;
}

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, "drain");
}

export async function runDecontaminate(o: DecontaminateCliOptions): Promise<DecontaminateCliResult> {
  if (!o.input && !o.buildIndex) throw new UsageError("decontaminate: give an input JSONL file, or --build-index FILE");
  if (o.index && o.buildIndex) throw new UsageError("decontaminate: --index and --build-index exclude each other");
  const cfg: DecontaminateConfig = {};
  if (o.benchmarks) cfg.benchmarks = o.benchmarks;
  if (o.ngram !== undefined) cfg.ngram = o.ngram;
  if (o.responseField) cfg.checkResponse = true;
  let index: ContaminationIndex;
  if (o.index) {
    index = readIndexFile(o.index);
  } else {
    try {
      index = await buildDecontaminationIndex(cfg, { benchmarksDir: o.benchmarksDir, log: o.log });
    } catch (e) {
      throw new UsageError(`decontaminate: ${(e as Error).message}`);
    }
  }
  if (o.buildIndex) {
    writeIndexFile(index, o.buildIndex);
    const s = index.summary();
    o.log?.(`decontaminate: index of ${s.problems} problems (${s.benchmarks.map((b) => `${b.name} ${b.problems}`).join(", ")}) written to ${o.buildIndex}`);
  }
  const result: DecontaminateCliResult = { rows: 0, flagged: 0, byBenchmark: {} };
  if (!o.input) return result;

  const file = createReadStream(o.input);
  let stream: Readable = file;
  if (o.input.endsWith(".gz")) {
    const gunzip = createGunzip();
    file.on("error", (e) => gunzip.destroy(e));
    stream = file.pipe(gunzip);
  }
  const out: Writable = o.out ? createWriteStream(o.out) : process.stdout;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let row = -1;
  try {
    for await (const line of lines) {
      row++;
      if (line.trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new InputError(o.input, row, `not valid JSON (${(e as Error).message})`);
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InputError(o.input, row, "expected a JSON object");
      const rec = v as Record<string, unknown>;
      const problem = rec[o.field];
      if (typeof problem !== "string") throw new InputError(o.input, row, `field "${o.field}" must be a string (choose the field with --field)`);
      const response = o.responseField ? rec[o.responseField] : undefined;
      const matches = contaminationOf(index, { problem, response: typeof response === "string" ? response : "" }, cfg);
      result.rows++;
      if (matches.length > 0) {
        result.flagged++;
        for (const m of matches) result.byBenchmark[m.benchmark] = (result.byBenchmark[m.benchmark] ?? 0) + 1;
      }
      if (matches.length > 0 || o.all) {
        const ms = matches.map((m) =>
          o.details ? m : { benchmark: m.benchmark, item: m.item, method: m.method, score: m.score },
        );
        await write(out, JSON.stringify({ id: rowId(rec, row), matches: ms }) + "\n");
      }
    }
  } finally {
    if (o.out) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, "close");
    }
  }
  return result;
}

function list(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function register(program: Command): void {
  program
    .command("decontaminate")
    .description("flag rows whose problem reproduces a benchmark problem (Math-500, AIME, AMC, …)")
    .argument("[input]", "JSONL or JSONL.gz file of rows")
    .option("--benchmarks <names>", `comma-separated: ${BUILTIN_BENCHMARKS.map((b) => b.name).join(", ")}`, list)
    .option("--benchmarks-dir <dir>", "local folder with benchmark files (else CURATE_BENCHMARKS_DIR, else the Hugging Face Hub)")
    .option("--field <name>", "field holding the problem text", "problem")
    .option("--response-field <name>", "also check this field (the response's restatement of the problem)")
    .option("--all", "also write rows without matches", false)
    .option("--details", "include matched spans and snippets", false)
    .option("--ngram <n>", "word n-gram size", (v) => Number.parseInt(v, 10))
    .option("--build-index <file>", "write the benchmark index to this file")
    .option("--index <file>", "use a prebuilt index instead of loading benchmarks")
    .option("--out <file>", "write matches here instead of standard output")
    .action(async (input: string | undefined, opts: Record<string, unknown>) => {
      const res = await runDecontaminate({
        input,
        benchmarks: opts.benchmarks as string[] | undefined,
        benchmarksDir: opts.benchmarksDir as string | undefined,
        field: opts.field as string,
        responseField: opts.responseField as string | undefined,
        all: Boolean(opts.all),
        details: Boolean(opts.details),
        buildIndex: opts.buildIndex as string | undefined,
        index: opts.index as string | undefined,
        out: opts.out as string | undefined,
        ngram: opts.ngram as number | undefined,
        log: (m) => process.stderr.write(m + "\n"),
      });
      if (input) {
        const per = Object.entries(res.byBenchmark)
          .map(([b, n]) => `${b} ${n}`)
          .join(", ");
        process.stderr.write(`decontaminate: ${res.flagged} of ${res.rows} rows matched${per ? ` (${per})` : ""}\n`);
      }
    });
}
