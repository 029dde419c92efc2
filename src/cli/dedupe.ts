/**
 * `curate dedupe input…` — near-duplicate problem clusters of the rows of the inputs (what a mix
 * source's `path` takes: JSONL, JSONL.gz, JSON array/object or Parquet files, globs, folders,
 * hf://datasets/…, https://), one output line per input row: {"id", "cluster", "representative",
 * "duplicate"}. This file reads the arguments and prints; the engine (worker-thread sketches,
 * MinHash LSH + exact Jaccard check + union-find) is src/group/dedupe-file.ts.
 */
import type { Command } from "commander";
import { cpuBudget } from "../workers.js";
import { UsageError } from "../errors.js";
import { AtomicFile } from "../io/atomic.js";
import { dedupeFile, type DedupeFileOptions } from "../group/dedupe-file.js";
import type { RepresentativePolicy } from "../group/types.js";

/**
 * The main thread reads, parses and groups — a busy thread itself — so the sketch workers get the
 * other cores. Reference corpus on 2 cores (load ~5): 1 worker 4.0-4.9 CPU-s (median 4.2), 2
 * workers 4.4-5.1 (4.8), wall alike.
 */
const DEFAULT_WORKERS = Math.min(4, Math.max(0, cpuBudget() - 1));

function parseNumber(name: string, value: string, min: number, max: number, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${integer ? "an integer" : "a number"} in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

export function register(program: Command): void {
  program
    .command("dedupe")
    .description("cluster near-duplicate problems (MinHash LSH); one JSON line per input row: id, cluster, representative, duplicate")
    .argument("<inputs...>", "rows, as a mix source's path: JSONL, JSONL.gz, JSON (array or object of rows) or Parquet files, globs, folders, hf://datasets/… or https:// paths")
    .option("--field <path>", "field path of the problem text, as in a source's fields (problem, meta.question, messages[0].content)", "problem")
    .option("--id-field <path>", "field path of the row id (default: id, unique_id, uid or idx; else file:row, row from 0)")
    .option("--threshold <jaccard>", "Jaccard similarity of word 5-gram sets at which problems are duplicates", "0.8")
    .option("--check <mode>", "confirm LSH candidates: exact | estimate | none", "exact")
    .option("--representative <policy>", "first | longest", "first")
    .option("--ngram <n>", "words per shingle", "5")
    .option("--permutations <k>", "MinHash permutations (multiple of 32)", "128")
    .option("--workers <n>", "sketch worker threads (0 = inline; default: one fewer than the CPUs this process may use, at most 4)", String(DEFAULT_WORKERS))
    .option("--out <file>", "write lines here instead of stdout")
    .action(async (inputs: string[], o: Record<string, string>) => {
      const check = o.check as DedupeFileOptions["check"];
      if (!["exact", "estimate", "none"].includes(check)) throw new UsageError(`--check: expected exact, estimate or none, got "${o.check}"`);
      const representative = o.representative as RepresentativePolicy;
      if (!["first", "longest"].includes(representative)) throw new UsageError(`--representative: expected first or longest, got "${o.representative}"`);
      const opts: DedupeFileOptions = {
        field: o.field!,
        ...(o.idField !== undefined ? { idField: o.idField } : {}),
        threshold: parseNumber("threshold", o.threshold!, 0.01, 0.99, false),
        check,
        representative,
        ngram: parseNumber("ngram", o.ngram!, 1, 64, true),
        permutations: parseNumber("permutations", o.permutations!, 32, 4096, true),
        workers: parseNumber("workers", o.workers!, 0, 256, true),
      };
      if (opts.permutations % 32 !== 0) throw new UsageError(`--permutations: expected a multiple of 32, got ${opts.permutations}`);
      // --out is written whole or not at all: an input that cannot be read leaves no file (io/atomic.ts);
      // it is opened once the inputs are known (an --out that is one of them is refused)
      let file = null as AtomicFile | null; // set in onFiles
      const onFiles = (paths: string[]) => {
        if (o.out) file = AtomicFile.open(o.out, paths);
      };
      let buffer = "";
      let summary: Awaited<ReturnType<typeof dedupeFile>>;
      try {
        summary = await dedupeFile(inputs, { ...opts, onFiles }, (line) => {
          const text = JSON.stringify(line) + "\n";
          if (file) file.write(text);
          else {
            buffer += text;
            if (buffer.length > 1 << 16) {
              process.stdout.write(buffer);
              buffer = "";
            }
          }
        });
      } catch (e) {
        file?.abort();
        throw e;
      }
      if (file) file.commit();
      else process.stdout.write(buffer);
      process.stderr.write(
        `curate dedupe: ${summary.rows} rows, ${summary.clusters} problem clusters (${summary.nearDuplicateClusters} with near-duplicates), ${summary.duplicates} duplicate rows\n`,
      );
    });
}
