/**
 * `curate dedupe input.jsonl` — near-duplicate problem clusters of a JSONL file, one output line
 * per input row: {"id", "cluster", "representative", "duplicate"}. This file reads the arguments
 * and prints; the engine (worker-thread sketches, MinHash LSH + exact Jaccard check + union-find)
 * is src/group/dedupe-file.ts.
 */
import type { Command } from "commander";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { availableParallelism } from "node:os";
import { UsageError } from "../errors.js";
import { dedupeFile, type DedupeFileOptions } from "../group/dedupe-file.js";
import type { RepresentativePolicy } from "../group/types.js";

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
    .argument("<input>", "JSONL or JSONL.gz file")
    .option("--field <path>", "dotted path of the problem text", "problem")
    .option("--id-field <path>", "dotted path of the row id (else file:row)", "id")
    .option("--threshold <jaccard>", "Jaccard similarity of word 5-gram sets at which problems are duplicates", "0.8")
    .option("--check <mode>", "confirm LSH candidates: exact | estimate | none", "exact")
    .option("--representative <policy>", "first | longest", "first")
    .option("--ngram <n>", "words per shingle", "5")
    .option("--permutations <k>", "MinHash permutations (multiple of 32)", "128")
    .option("--workers <n>", "sketch worker threads (0 = inline)", String(Math.min(4, availableParallelism())))
    .option("--out <file>", "write lines here instead of stdout")
    .action(async (input: string, o: Record<string, string>) => {
      if (!existsSync(input)) throw new UsageError(`${input}: input file not found (expected a JSONL or JSONL.gz file)`);
      const check = o.check as DedupeFileOptions["check"];
      if (!["exact", "estimate", "none"].includes(check)) throw new UsageError(`--check: expected exact, estimate or none, got "${o.check}"`);
      const representative = o.representative as RepresentativePolicy;
      if (!["first", "longest"].includes(representative)) throw new UsageError(`--representative: expected first or longest, got "${o.representative}"`);
      const opts: DedupeFileOptions = {
        field: o.field!,
        idField: o.idField!,
        threshold: parseNumber("threshold", o.threshold!, 0.01, 0.99, false),
        check,
        representative,
        ngram: parseNumber("ngram", o.ngram!, 1, 64, true),
        permutations: parseNumber("permutations", o.permutations!, 32, 4096, true),
        workers: parseNumber("workers", o.workers!, 0, 256, true),
      };
      if (opts.permutations % 32 !== 0) throw new UsageError(`--permutations: expected a multiple of 32, got ${opts.permutations}`);
      const out: WriteStream | NodeJS.WriteStream = o.out ? createWriteStream(o.out) : process.stdout;
      let buffer = "";
      const summary = await dedupeFile(input, opts, (line) => {
        buffer += JSON.stringify(line) + "\n";
        if (buffer.length > 1 << 16) {
          out.write(buffer);
          buffer = "";
        }
      });
      out.write(buffer);
      if (o.out) await new Promise<void>((res, rej) => (out as WriteStream).end((err?: Error | null) => (err ? rej(err) : res())));
      process.stderr.write(
        `curate dedupe: ${summary.rows} rows, ${summary.clusters} problem clusters (${summary.nearDuplicateClusters} with near-duplicates), ${summary.duplicates} duplicate rows\n`,
      );
    });
}
