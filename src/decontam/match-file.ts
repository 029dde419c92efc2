/**
 * `curate decontaminate`'s engine: build or read the benchmark index (and write it when asked), then
 * match the input and write, in input order, one JSONL line per row that matched a benchmark
 * problem: {"id", "matches": [{"benchmark", "item", "method", "score"}]} (`all`: clean rows too,
 * with "matches": []; `details`: spans and snippets too).
 *
 * One local JSONL or JSONL.gz file with plain `field`s and the default ids (the common case) is
 * matched in batches of whole lines (batch.ts) on `workers` threads (0 = this thread), byte-identical
 * for any number of workers. Any other input a mix source reads (Parquet, JSON files, globs, several
 * paths, hf:// and https://, field paths, `idField`) goes through the source readers on this
 * thread (match-rows.ts): on JSONL they are slower than the batches (see DEFAULT_BATCH_BYTES).
 */
import { statSync } from "node:fs";
import { AtomicFile } from "../io/atomic.js";
import { once } from "node:events";
import { UsageError, InputError } from "../errors.js";
import { damageText } from "../io/gzip-chunks.js";
import { ThreadPool, cpuBudget } from "../workers.js";
import type { DecontaminateConfig, UserBenchmark } from "./types.js";
import { detectFormat, type RemoteSettings, type SourceFile } from "../io/sources.js";
import { isRemotePath } from "../io/remote-list.js";
import { fieldPathArg, idPathsArg, isPlainKey, resolveInputFiles, type TextRowOptions } from "../io/text-rows.js";
import { matchRows } from "./match-rows.js";
import { buildDecontaminationIndex, readIndexFile, writeIndexFile } from "./annotator.js";
import type { ContaminationIndex } from "./benchmark-index.js";
import {
  BufferPool,
  batchText,
  fileSource,
  lineBatches,
  matchBatch,
  chunkSource,
  GzipLines,
  type BatchOptions,
  type BatchResult,
  type ByteSource,
  type LineBatch,
  type OutputSink,
} from "./batch.js";

/** Bytes of whole lines per batch handed to a worker. */
export const DEFAULT_BATCH_BYTES = 1 << 20;
const READ_BYTES = 1 << 16;

export interface DecontaminateRunOptions {
  /**
   * the rows to match: paths, globs, folders, hf:// or https:// paths (as a source's `path`);
   * without it, only the index is built (and written to `buildIndex`)
   */
  input?: string | string[];
  /** field path of the row id (default: id, unique_id, uid, idx; else the row number) */
  idField?: string;
  /** where hf:// and https:// inputs are read (default: the environment) */
  remote?: RemoteSettings;
  benchmarks?: (string | UserBenchmark)[];
  benchmarksDir?: string;
  /** field path of the problem text */
  field: string;
  responseField?: string;
  all: boolean;
  details: boolean;
  /** write the index here */
  buildIndex?: string;
  /** read the index from here instead of building it */
  index?: string;
  /** matches go to this file, written whole or not at all (io/atomic.ts: a run that fails leaves it as it was) */
  out?: string;
  /** …or to this function (library use); default: standard output */
  write?: OutputSink;
  ngram?: number;
  /** worker threads (default: defaultWorkers(input)); 0 = match on the main thread */
  workers?: number;
  /** bytes of whole lines per batch (default DEFAULT_BATCH_BYTES; a longer line is a batch alone) */
  batchBytes?: number;
  log?: (msg: string) => void;
}

export interface DecontaminateRunResult {
  rows: number;
  flagged: number;
  byBenchmark: Record<string, number>;
}

/**
 * Threads pay only past start-up (~0.26 s each, then a cold matcher) and reading: on this 2-core VM,
 * 100k problems (32 MB) took 1.32 s inline and 1.91 s on 2 threads, 300k (96 MB) 2.35 s and 2.14 s,
 * 1M (320 MB) 9.0 s and 6.4 s. Without --workers, smaller inputs are matched inline.
 */
export const AUTO_THREADS_MB = 64;

/** Threads for an input: one per core from AUTO_THREADS_MB (a quarter of it gzipped), else 0. */
export function defaultWorkers(input: string | undefined): number {
  if (!input) return 0;
  const size = fileSize(input);
  return size >= (input.endsWith(".gz") ? AUTO_THREADS_MB / 4 : AUTO_THREADS_MB) * 1024 * 1024 ? cpuBudget() : 0;
}

/** the file's size, 0 when it cannot be read (reading reports it) */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** A pool of matching threads; the index reaches them with the first task each one runs. */
function matcherPool(workers: number, options: BatchOptions): ThreadPool {
  return new ThreadPool({ name: "decontaminate", entry: "decontam/batch-worker", threads: workers, idleTimeout: 60_000, workerData: { options } });
}

/**
 * The one file the batched fast path reads, or null: a single local file (no glob) holding JSONL
 * (.jsonl, .ndjson, their .gz, or an unknown extension, read as JSONL as always), plain top-level
 * keys for the fields, and the default ids.
 */
export function fastPathFile(inputs: string[], o: Pick<DecontaminateRunOptions, "field" | "responseField" | "idField">): string | null {
  if (inputs.length !== 1 || o.idField !== undefined) return null;
  const input = inputs[0]!;
  if (isRemotePath(input) || /[*?[\]{}]/.test(input) || !isPlainKey(o.field) || (o.responseField !== undefined && !isPlainKey(o.responseField))) return null;
  const format = detectFormat(input);
  if (format === "parquet" || format === "json") return null;
  try {
    return statSync(input).isFile() ? input : null;
  } catch {
    return null;
  }
}

/** What the source-reader path needs: its files and fields, checked before the index is built. */
async function readerInput(inputs: string[], o: DecontaminateRunOptions): Promise<{ files: SourceFile[]; read: TextRowOptions }> {
  const read: TextRowOptions = {
    field: fieldPathArg("--field", o.field),
    ...(o.responseField !== undefined ? { extraField: fieldPathArg("--response-field", o.responseField) } : {}),
    idFields: idPathsArg(o.idField),
    fieldFlag: "--field",
    remote: o.remote,
  };
  return { files: await resolveInputFiles(inputs, o.remote, o.log && ((n) => o.log!(`decontaminate: ${n}`))), read };
}

export async function runDecontaminate(o: DecontaminateRunOptions): Promise<DecontaminateRunResult> {
  const cfg: DecontaminateConfig = {};
  if (o.benchmarks) cfg.benchmarks = o.benchmarks;
  if (o.ngram !== undefined) cfg.ngram = o.ngram;
  if (o.responseField) cfg.checkResponse = true;
  const batchOptions: BatchOptions = { field: o.field, responseField: o.responseField, all: o.all, details: o.details, cfg };
  const inputs = o.input === undefined ? [] : Array.isArray(o.input) ? o.input : [o.input];
  const fast = fastPathFile(inputs, o);
  const reader = inputs.length > 0 && !fast ? await readerInput(inputs, o) : null;
  const workers = o.workers ?? defaultWorkers(fast ?? undefined);
  const batchBytes = o.batchBytes ?? DEFAULT_BATCH_BYTES;
  // threads start (load the matcher) while the index is built here, when the input looks like more
  // than one batch (else it is matched on this thread: starting threads would cost more)
  let pool: ThreadPool | null = null;
  if (fast && workers > 0 && fileSize(fast) > (fast.endsWith(".gz") ? batchBytes / 4 : batchBytes)) pool = matcherPool(workers, batchOptions);
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
    const result: DecontaminateRunResult = { rows: 0, flagged: 0, byBenchmark: {} };
    if (reader) await withOutput(o, localPaths(reader.files), (write) => matchRows(reader.files, index, batchOptions, reader.read, write, result));
    else if (fast) await withOutput(o, [fast], (write) => new FileMatch(fast, index, batchOptions, workers, batchBytes, result, () => (pool ??= matcherPool(workers, batchOptions))).run(write));
    return result;
  } finally {
    await pool?.destroy();
  }
}

const toStdout: OutputSink = async (text) => {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
};

/** The local files among `files` (an --out that is one of them is refused). */
const localPaths = (files: SourceFile[]): string[] => files.filter((f) => !f.remote).map((f) => f.path);

/**
 * Run `body` with the sink the options name: --out (committed only when `body` succeeds; refused
 * when it is one of `inputs`), a function, or standard output.
 */
async function withOutput(o: Pick<DecontaminateRunOptions, "out" | "write">, inputs: string[], body: (write: OutputSink) => Promise<void>): Promise<void> {
  if (o.out === undefined) {
    await body(o.write ?? toStdout);
    return;
  }
  const file = AtomicFile.open(o.out, inputs);
  try {
    await body((text) => file.write(text));
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit();
}

/** One input file's matching: batches read here, matched inline or on threads, results taken in order. */
class FileMatch {
  private readonly buffers: BufferPool;
  private readonly inflight: Promise<BatchResult>[] = [];
  /** the file's line number of the next batch's first line */
  private nextRow = 0;
  private write: OutputSink = () => undefined;

  constructor(
    private readonly input: string,
    private readonly index: ContaminationIndex,
    private readonly batchOptions: BatchOptions,
    private readonly workers: number,
    private readonly batchBytes: number,
    private readonly result: DecontaminateRunResult,
    private readonly getPool: () => ThreadPool,
  ) {
    this.buffers = new BufferPool(batchBytes + READ_BYTES, 2 * workers + 4);
  }

  async run(write: OutputSink): Promise<void> {
    // a plain file is read straight into the batch buffers; a .gz through its decompressed chunks
    const gz = this.input.endsWith(".gz") ? new GzipLines(this.input) : null;
    const source: ByteSource = gz ? chunkSource(gz.chunks()) : fileSource(this.input);
    this.write = write;
    const batches = lineBatches(source, this.batchBytes, this.buffers);
    try {
      if (this.workers === 0) {
        for await (const b of batches) await this.inline(b);
      } else await this.onThreads(batches);
    } finally {
      await batches.return(undefined); // stops reading after an error
      await Promise.allSettled(this.inflight);
    }
    // a damaged .gz: reported after every row zlib gave before the damage, as the run's reader does
    if (gz?.damage) throw new InputError(this.input, this.nextRow, damageText(gz.damage.at, this.nextRow, gz.damage.cutBytes));
  }

  /** Count a batch's rows, write its output, and throw its bad row's error (after its rows, as a loop would). */
  private async take(res: BatchResult): Promise<void> {
    const firstRow = this.nextRow;
    this.nextRow += res.lines;
    const result = this.result;
    result.rows += res.rows;
    result.flagged += res.flagged;
    for (const [b, n] of Object.entries(res.byBenchmark)) result.byBenchmark[b] = (result.byBenchmark[b] ?? 0) + n;
    if (res.parts.length > 0) await this.write(batchText(res, firstRow));
    if (res.error) throw new InputError(this.input, firstRow + res.error.row, res.error.cause);
  }

  private async inline(b: LineBatch): Promise<void> {
    const res = matchBatch(this.index, this.batchOptions, b.bytes);
    this.buffers.release(b.bytes.buffer as ArrayBuffer);
    await this.take(res);
  }

  /** Batches on the thread pool, at most 2 × workers in flight, taken strictly in input order. */
  private async onThreads(batches: AsyncGenerator<LineBatch, undefined>): Promise<void> {
    // an input of one batch is matched on this thread
    const first = await batches.next();
    let second: IteratorResult<LineBatch, undefined>;
    try {
      second = first.done ? first : await batches.next();
    } catch (e) {
      if (!first.done) await this.inline(first.value); // rows before a read error count, as inline
      throw e;
    }
    if (first.done || second.done) {
      if (!first.done) await this.inline(first.value);
      return;
    }
    const pool = this.getPool();
    // the index is handed over serialized, once, in memory all threads share
    const bytes = this.index.serialize();
    const shared = new SharedArrayBuffer(bytes.length);
    new Uint8Array(shared).set(bytes);
    const send = (b: LineBatch): void => {
      // the batch's buffer goes to the worker and comes back with the result, for reuse
      const task = pool.run<BatchResult & { buffer: ArrayBuffer }>({ ...b, index: shared }, `batch of ${b.bytes.length.toLocaleString("en-US")} bytes`, [b.bytes.buffer as ArrayBuffer]).then((r) => {
        this.buffers.release(r.buffer);
        return r;
      });
      task.catch(() => undefined); // surfaced when awaited in order
      this.inflight.push(task);
    };
    send(first.value);
    send(second.value);
    const window = this.workers * 2;
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
      while (this.inflight.length >= window) await this.take(await this.inflight.shift()!);
      send(next.value);
    }
    while (this.inflight.length) await this.take(await this.inflight.shift()!);
    if (readError) throw readError.e;
  }
}
