/**
 * `curate dedupe input.jsonl` — near-duplicate problem clusters of a JSONL file, one output line
 * per input row: {"id", "cluster", "representative", "duplicate"}. Sketches are computed in worker
 * threads; clustering is MinHash LSH + exact Jaccard check + union-find (src/group/).
 */
import type { Command } from "commander";
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { tmpdir, availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { InputError, UsageError } from "../errors.js";
import { ProblemGrouper } from "../group/group.js";
import { SketchPool } from "../group/pool.js";
import { resolveSketch } from "../group/params.js";
import type { DedupeConfig, RepresentativePolicy } from "../group/types.js";

export interface DedupeFileOptions {
  field: string;
  idField: string;
  threshold: number;
  check: "exact" | "estimate" | "none";
  representative: RepresentativePolicy;
  ngram: number;
  permutations: number;
  workers: number;
  batchSize?: number;
  tmpDir?: string;
}

export interface DedupeLine {
  id: string;
  cluster: string;
  representative: string;
  duplicate: boolean;
}

export interface DedupeFileResult {
  rows: number;
  clusters: number;
  duplicates: number;
  nearDuplicateClusters: number;
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

async function* jsonlRows(file: string): AsyncGenerator<{ row: number; value: unknown }> {
  const input = file.endsWith(".gz") ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let row = 0;
  for await (const line of rl) {
    const r = row++;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(file, r, `expected one JSON object per line: ${(err as Error).message}`);
    }
    yield { row: r, value };
  }
}

/** Clusters the problems of a JSONL file; calls `emit` once per non-empty input line, in input order. */
export async function dedupeFile(file: string, opts: DedupeFileOptions, emit: (line: DedupeLine) => void): Promise<DedupeFileResult> {
  const dedupe: DedupeConfig = { problems: { threshold: opts.threshold, check: opts.check }, representative: opts.representative };
  const sketchConfig = { ngram: opts.ngram, permutations: opts.permutations };
  const resolved = resolveSketch(sketchConfig, dedupe);
  const tmp = opts.tmpDir ?? mkdtempSync(join(tmpdir(), "curate-dedupe-"));
  const grouper = new ProblemGrouper({ dedupe, sketch: sketchConfig, seed: 0 }, tmp);
  const pool = new SketchPool({ params: resolved.problem, threads: opts.workers });
  const batchSize = opts.batchSize ?? 256;
  const ids: string[] = [];
  try {
    let batch: { id: string; text: string }[] = [];
    const inflight: Promise<void>[] = [];
    let chain = Promise.resolve();
    const flush = () => {
      const rows = batch;
      batch = [];
      const sketched = pool.sketch(rows.map((r) => r.text));
      sketched.catch(() => {}); // surfaced by `await chain`
      // results are added in input order, sketches computed in parallel
      chain = chain.then(async () => {
        const s = await sketched;
        for (let i = 0; i < rows.length; i++) {
          const ordinal = ids.length;
          ids.push(rows[i]!.id);
          const key = ((s.keys[2 * i]! >>> 0).toString(16).padStart(8, "0") + (s.keys[2 * i + 1]! >>> 0).toString(16).padStart(8, "0"));
          grouper.add({
            ordinal,
            id: rows[i]!.id,
            source: "input",
            problemKey: key,
            sketch: s.empty[i] ? { bands: [], bits: [] } : {
              bands: Array.from(s.bands.subarray(i * s.bandCount, (i + 1) * s.bandCount)),
              bits: Array.from(s.bits.subarray(i * s.bitWords, (i + 1) * s.bitWords)),
            },
            problemText: opts.check === "exact" ? rows[i]!.text : undefined,
            problemChars: rows[i]!.text.length,
            responseChars: 0,
          });
        }
      });
      inflight.push(chain.catch(() => {}));
    };
    for await (const { row, value } of jsonlRows(file)) {
      const text = getPath(value, opts.field);
      if (typeof text !== "string") {
        throw new InputError(file, row, `expected a string at "${opts.field}", found ${text === undefined ? "nothing" : typeof text}`);
      }
      const rawId = getPath(value, opts.idField);
      const id = typeof rawId === "string" || typeof rawId === "number" ? String(rawId) : `${file}:${row}`;
      batch.push({ id, text });
      if (batch.length >= batchSize) flush();
      if (inflight.length > Math.max(2, opts.workers * 4)) await inflight.shift();
    }
    if (batch.length > 0) flush();
    await chain;
    const result = await grouper.finish();
    let duplicates = 0;
    for (let ordinal = 0; ordinal < ids.length; ordinal++) {
      const info = result.info(ordinal);
      const duplicate = info.representativeOrdinal !== ordinal;
      if (duplicate) duplicates++;
      emit({ id: ids[ordinal]!, cluster: info.problemGroup, representative: info.representative, duplicate });
    }
    return { rows: ids.length, clusters: result.stats.problemGroups, duplicates, nearDuplicateClusters: result.stats.nearDuplicateClusters };
  } finally {
    await pool.close();
    if (!opts.tmpDir) rmSync(tmp, { recursive: true, force: true });
  }
}

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
