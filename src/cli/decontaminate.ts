/**
 * `curate decontaminate input.jsonl [--benchmarks math500,aime2024,…] [--benchmarks-dir DIR]
 *   [--field problem] [--response-field response] [--all] [--build-index FILE] [--index FILE] [--out FILE]
 *   [--workers N]`
 *
 * Streams the input (JSONL or JSONL.gz) in batches of whole lines, matched on `--workers` threads
 * (default: one per core; 0 = on the main thread; see src/decontam/batch.ts), and writes, in input
 * order and byte-identical for any number of workers, one JSONL line per row that matched a
 * benchmark problem: {"id", "matches": [{"benchmark", "item", "method", "score"}]}.
 * `--all` writes clean rows too (with "matches": []); `--details` adds spans and snippets.
 * `--build-index FILE` writes the benchmark index (usable with `--index FILE`); without an input it
 * only builds.
 */
import { Option, type Command } from "commander";
import { createReadStream, createWriteStream, statSync, type ReadStream } from "node:fs";
import { availableParallelism } from "node:os";
import { createGunzip } from "node:zlib";
import type { Writable } from "node:stream";
import { once } from "node:events";
import { UsageError, InputError } from "../errors.js";
import type { DecontaminateConfig } from "../decontam/types.js";
import { BUILTIN_BENCHMARKS } from "../decontam/registry.js";
import { buildDecontaminationIndex, readIndexFile, writeIndexFile } from "../decontam/annotator.js";
import type { ContaminationIndex } from "../decontam/benchmark-index.js";
import {
  BufferPool,
  batchText,
  fileSource,
  lineBatches,
  matchBatch,
  streamSource,
  type BatchOptions,
  type BatchResult,
  type ByteSource,
  type LineBatch,
} from "../decontam/batch.js";
import { ThreadPool } from "../workers.js";

/** Bytes of whole lines per batch handed to a worker. */
export const DEFAULT_BATCH_BYTES = 1 << 20;
const READ_BYTES = 1 << 16;

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
  /** worker threads (default: os.availableParallelism()); 0 = match on the main thread */
  workers?: number;
  /** bytes of whole lines per batch (default DEFAULT_BATCH_BYTES; a longer line is a batch alone) */
  batchBytes?: number;
  log?: (msg: string) => void;
}

export interface DecontaminateCliResult {
  rows: number;
  flagged: number;
  byBenchmark: Record<string, number>;
}

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, "drain");
}

/** A pool of matching threads; the index reaches them with the first task each one runs. */
function matcherPool(workers: number, options: BatchOptions): ThreadPool {
  return new ThreadPool({ name: "decontaminate", entry: "decontam/batch-worker", threads: workers, idleTimeout: 60_000, workerData: { options } });
}

/**
 * Threads pay only past start-up (~0.26 s each, then a cold matcher) and reading: on this 2-core VM,
 * 100k problems (32 MB) took 1.32 s inline and 1.91 s on 2 threads, 300k (96 MB) 2.35 s and 2.14 s,
 * 1M (320 MB) 9.0 s and 6.4 s. Without --workers, smaller inputs are matched inline.
 */
const AUTO_THREADS_MB = 64;

export function defaultWorkers(input: string | undefined): number {
  if (!input) return 0;
  let size = 0;
  try {
    size = statSync(input).size;
  } catch {
    return 0; // reading reports it
  }
  return size >= (input.endsWith(".gz") ? AUTO_THREADS_MB / 4 : AUTO_THREADS_MB) * 1024 * 1024 ? availableParallelism() : 0;
}

export async function runDecontaminate(o: DecontaminateCliOptions): Promise<DecontaminateCliResult> {
  if (!o.input && !o.buildIndex) throw new UsageError("decontaminate: give an input JSONL file, or --build-index FILE");
  if (o.index && o.buildIndex) throw new UsageError("decontaminate: --index and --build-index exclude each other");
  const cfg: DecontaminateConfig = {};
  if (o.benchmarks) cfg.benchmarks = o.benchmarks;
  if (o.ngram !== undefined) cfg.ngram = o.ngram;
  if (o.responseField) cfg.checkResponse = true;
  const batchOptions: BatchOptions = { field: o.field, responseField: o.responseField, all: o.all, details: o.details, cfg };
  const workers = o.workers ?? defaultWorkers(o.input);
  const batchBytes = o.batchBytes ?? DEFAULT_BATCH_BYTES;
  // threads start (load the matcher) while the index is built here, when the input looks like more
  // than one batch (else it is matched on this thread: starting threads would cost more)
  let pool: ThreadPool | null = null;
  if (o.input && workers > 0) {
    let size = 0;
    try {
      size = statSync(o.input).size;
    } catch {
      // reading reports it
    }
    if (size > (o.input.endsWith(".gz") ? batchBytes / 4 : batchBytes)) pool = matcherPool(workers, batchOptions);
  }
  try {
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
    await matchFile(o.input, index, batchOptions, workers, batchBytes, o.out, result, () => (pool ??= matcherPool(workers, batchOptions)));
    return result;
  } finally {
    await pool?.destroy();
  }
}

async function matchFile(
  input: string,
  index: ContaminationIndex,
  batchOptions: BatchOptions,
  workers: number,
  batchBytes: number,
  outFile: string | undefined,
  result: DecontaminateCliResult,
  getPool: () => ThreadPool,
): Promise<void> {
  // a plain file is read straight into the batch buffers; a .gz through gunzip's chunks
  let source: ByteSource;
  let file: ReadStream | null = null;
  if (input.endsWith(".gz")) {
    const f = createReadStream(input);
    const gunzip = createGunzip();
    f.on("error", (e) => gunzip.destroy(e));
    source = streamSource(f.pipe(gunzip));
    file = f;
  } else source = fileSource(input);
  const out: Writable = outFile ? createWriteStream(outFile) : process.stdout;
  const buffers = new BufferPool(batchBytes + READ_BYTES, 2 * workers + 4);
  const batches = lineBatches(source, batchBytes, buffers);
  let nextRow = 0; // the file's line number of the next batch's first line
  const take = async (res: BatchResult): Promise<void> => {
    const firstRow = nextRow;
    nextRow += res.lines;
    result.rows += res.rows;
    result.flagged += res.flagged;
    for (const [b, n] of Object.entries(res.byBenchmark)) result.byBenchmark[b] = (result.byBenchmark[b] ?? 0) + n;
    if (res.parts.length > 0) await write(out, batchText(res, firstRow));
    if (res.error) throw new InputError(input, firstRow + res.error.row, res.error.cause);
  };
  const inflight: Promise<BatchResult>[] = [];
  const inline = async (b: LineBatch) => {
    const res = matchBatch(index, batchOptions, b.bytes);
    buffers.release(b.bytes.buffer as ArrayBuffer);
    await take(res);
  };
  try {
    if (workers === 0) {
      for await (const b of batches) await inline(b);
    } else {
      // an input of one batch is matched on this thread
      const first = await batches.next();
      let second: IteratorResult<LineBatch, undefined>;
      try {
        second = first.done ? first : await batches.next();
      } catch (e) {
        if (!first.done) await inline(first.value); // rows before a read error count, as inline
        throw e;
      }
      if (first.done || second.done) {
        if (!first.done) await inline(first.value);
      } else {
        const p = getPool();
        // the index is handed over serialized, once, in memory all threads share
        const bytes = index.serialize();
        const shared = new SharedArrayBuffer(bytes.length);
        new Uint8Array(shared).set(bytes);
        const send = (b: LineBatch): void => {
          // the batch's buffer goes to the worker and comes back with the result, for reuse
          const task = p.run<BatchResult & { buffer: ArrayBuffer }>({ ...b, index: shared }, `batch of ${b.bytes.length.toLocaleString("en-US")} bytes`, [b.bytes.buffer as ArrayBuffer]).then((r) => {
            buffers.release(r.buffer);
            return r;
          });
          task.catch(() => undefined); // surfaced when awaited in order
          inflight.push(task);
        };
        send(first.value);
        send(second.value);
        // results are taken strictly in input order, at most `window` batches in flight
        const window = workers * 2;
        let readError: { e: unknown } | null = null;
        for (;;) {
          let next: IteratorResult<LineBatch, undefined>;
          try {
            next = await batches.next();
          } catch (e) {
            readError = { e }; // after the rows read before it, as inline
            break;
          }
          if (next.done) break;
          while (inflight.length >= window) await take(await inflight.shift()!);
          send(next.value);
        }
        while (inflight.length) await take(await inflight.shift()!);
        if (readError) throw readError.e;
      }
    }
  } finally {
    await batches.return(undefined); // stops reading after an error
    file?.destroy();
    await Promise.allSettled(inflight);
    if (outFile) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, "close");
    }
  }
}

function list(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
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
    .option("--workers <n>", `matching threads (0 = the main thread; default: ${availableParallelism()} = CPU cores for inputs of ${AUTO_THREADS_MB} MB or more (${AUTO_THREADS_MB / 4} MB gzipped), else 0)`)
    .addOption(new Option("--batch-bytes <n>", "bytes of whole lines per batch").default(String(DEFAULT_BATCH_BYTES)).hideHelp())
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
        ...(opts.workers !== undefined ? { workers: count("--workers", opts.workers as string, 0) } : {}),
        batchBytes: count("--batch-bytes", opts.batchBytes as string, 1),
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
