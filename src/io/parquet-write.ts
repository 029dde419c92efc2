/**
 * The one Parquet shard writer: rollout shards (data/, rejected/, annotated/) and the data products'
 * shards (outputs/<name>/data/) both go through ParquetShardWriter. Rows are buffered into row groups
 * and written with hyparquet-writer's incremental writer (ListParquetWriter: the library's, with a
 * faster path for list columns) through a file writer that flushes every ~1 MB (memory bounded by one
 * row group), hashes the bytes (sha-256) as they go, and writes to a temp file renamed into place only
 * on `close()`. A shard that exists under its final name is complete.
 *
 * Column types: flat ones (STRING, INT32, INT64, DOUBLE, BOOLEAN, JSON) and the nested ones trainers
 * read: MESSAGES = list<struct<role, content>> (TRL's conversational layout), INT32_LIST (token ids)
 * and STRING_LIST (id lists), all as standard 3-level LISTs.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet";
import { tempPathFor } from "./atomic.js";
import { mkdirs, withFsContext } from "../errors.js";
import { ListParquetWriter } from "./parquet-list-writer.js";
import { dirname } from "node:path";

export type ColumnType = "STRING" | "INT32" | "INT64" | "DOUBLE" | "BOOLEAN" | "JSON" | "MESSAGES" | "INT32_LIST" | "STRING_LIST";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** default true */
  nullable?: boolean;
  /** long, mostly unique text: skip dictionary trials and min/max statistics (both cost time, save nothing) */
  longText?: boolean;
}

/** One element of a MESSAGES column. */
export interface Message {
  role: string;
  content: string;
}

export type Codec = "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED";

/** zstd level 1: on the 10k-rollout bench corpus, level 3 took 1.9× the floor time for files 4% smaller (CURATE_ZSTD_LEVEL overrides) */
const ZSTD_LEVEL = Number(process.env.CURATE_ZSTD_LEVEL ?? 1);

let zstd: { compress: (b: Uint8Array, level?: number) => Uint8Array; decompress: (b: Uint8Array, opts: { defaultHeapSize: number }) => Uint8Array } | undefined;

/**
 * WASM zstd decompression once initCompressors() ran (the reader falls back to hyparquet-compressors'
 * pure-JS decoder otherwise, or when this fails): decoding annotated shards was 27% of the write phase.
 */
export function wasmZstdDecompress(input: Uint8Array, outputLength: number): Uint8Array | null {
  if (!zstd) return null;
  try {
    const out = zstd.decompress(input, { defaultHeapSize: outputLength });
    return out.length === outputLength ? out : null;
  } catch {
    return null;
  }
}

/** Load the zstd WASM compressor once per thread. */
export async function initCompressors(): Promise<void> {
  if (zstd) return;
  const mod = await import("@bokuweb/zstd-wasm");
  await mod.init();
  zstd = { compress: (b, level) => mod.compress(b, level), decompress: (b, opts) => mod.decompress(b, opts) };
}

/** Compressors for hyparquet-writer; every writer in the process shares the one zstd instance. */
export function compressorsFor(codec: Codec): Record<string, (b: Uint8Array) => Uint8Array> {
  if (codec === "ZSTD") {
    if (!zstd) throw new Error("zstd compressor not initialised: await initCompressors() first");
    const z = zstd;
    return { ZSTD: (b: Uint8Array) => z.compress(b, ZSTD_LEVEL) };
  }
  if (codec === "GZIP") return { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) };
  return {};
}

function schemaFor(columns: ColumnSpec[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }];
  for (const c of columns) {
    const repetition_type = c.nullable === false ? "REQUIRED" : "OPTIONAL";
    switch (c.type) {
      case "STRING":
        schema.push({ name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type });
        break;
      case "JSON":
        schema.push({ name: c.name, type: "BYTE_ARRAY", converted_type: "JSON", repetition_type });
        break;
      case "INT32":
      case "INT64":
      case "DOUBLE":
      case "BOOLEAN":
        schema.push({ name: c.name, type: c.type, repetition_type });
        break;
      case "MESSAGES":
        schema.push(
          { name: c.name, repetition_type, converted_type: "LIST", num_children: 1 },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          { name: "element", repetition_type: "REQUIRED", num_children: 2 },
          { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
          { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        );
        break;
      case "INT32_LIST":
      case "STRING_LIST":
        schema.push(
          { name: c.name, repetition_type, converted_type: "LIST", num_children: 1 },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          c.type === "INT32_LIST"
            ? { name: "element", type: "INT32", repetition_type: "REQUIRED" }
            : { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        );
        break;
    }
  }
  return schema;
}

/**
 * Fault injection for the robustness tests (never set in normal use): after CURATE_FAULT_WRITE_BYTES
 * bytes written by this process, every write fails as a full disk would (ENOSPC).
 */
let faultBudget = process.env.CURATE_FAULT_WRITE_BYTES ? Number(process.env.CURATE_FAULT_WRITE_BYTES) : Infinity;

/** Count `n` bytes about to be written against the fault budget (shards and spills); ENOSPC once it is spent. */
export function chargeWrite(n: number): void {
  faultBudget -= n;
  if (faultBudget < 0) {
    throw Object.assign(new Error("ENOSPC: no space left on device, write (injected by CURATE_FAULT_WRITE_BYTES)"), { code: "ENOSPC" });
  }
}

/** ByteWriter that streams to a file descriptor and hashes everything it writes. */
export class HashingFileWriter extends ByteWriter {
  readonly hash: Hash = createHash("sha256");
  /** `path`: the file being written, named when a write fails (a write to an open file names none) */
  constructor(private fd: number, private path = "") {
    super(1 << 16);
  }
  private flushOut() {
    if (this.index === 0) return;
    const chunk = new Uint8Array(this.buffer, 0, this.index);
    withFsContext("write", this.path, () => {
      chargeWrite(chunk.length);
      this.hash.update(chunk);
      let off = 0;
      while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
    });
    this.index = 0;
  }
  override ensure(size: number) {
    if (this.index > 1_000_000) this.flushOut();
    super.ensure(size);
  }
  override finish() {
    this.flushOut();
  }
}

export interface ClosedShard {
  path: string;
  rows: number;
  /** the tokens the rows were appended with */
  tokens: number;
  bytes: number;
  sha256: string;
}

/**
 * One Parquet file written through a temp name: hyparquet-writer's incremental writer on a hashing
 * file writer; `close()` finishes, fsyncs and renames into place, `abort()` removes the temp. A file
 * under its final name is complete.
 */
class AtomicParquetFile {
  private fd: number;
  private tmp: string;
  private writer: HashingFileWriter;
  readonly parquet: ParquetWriter;
  private closed = false;

  constructor(readonly path: string, schema: SchemaElement[], opts: { codec: Codec; kv?: Record<string, string> }) {
    mkdirs(dirname(path));
    this.tmp = tempPathFor(path);
    this.fd = withFsContext("write", path, () => openSync(this.tmp, "w"));
    this.writer = new HashingFileWriter(this.fd, path);
    // ListParquetWriter writes the same bytes as the library's writer (test/io/parquet-list-writer.test.ts);
    // only list columns take its shortcut, every other column the library's own path
    this.parquet = new ListParquetWriter({
      writer: this.writer,
      schema: schema as never, // the writer bundles its own hyparquet, whose SchemaElement type differs slightly
      codec: opts.codec,
      compressors: compressorsFor(opts.codec),
      statistics: true,
      createdBy: "curate",
      kvMetadata: opts.kv ? Object.entries(opts.kv).map(([key, value]) => ({ key, value })) : undefined,
    });
  }

  /** `flush` writes the last buffered rows; then the footer, fsync and rename */
  close(flush: () => void): { bytes: number; sha256: string } {
    if (this.closed) throw new Error(`shard ${this.path} already closed`);
    this.closed = true;
    try {
      flush();
      this.parquet.finish();
      withFsContext("write", this.path, () => fsyncSync(this.fd));
      closeSync(this.fd);
    } catch (e) {
      try { closeSync(this.fd); } catch { /* already closed */ }
      rmSync(this.tmp, { force: true });
      throw e;
    }
    try {
      withFsContext("write", this.path, () => renameSync(this.tmp, this.path));
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw e;
    }
    return { bytes: this.writer.offset, sha256: this.writer.hash.digest("hex") };
  }

  /** abandon: remove the temp file, never leave a partial shard */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try { closeSync(this.fd); } catch { /* ignore */ }
    rmSync(this.tmp, { force: true });
  }
}

/** A cell: JSON columns take any value (hyparquet-writer serialises it), MESSAGES a Message[], lists arrays (INT32_LIST also an Int32Array). */
export type RowValue = string | number | boolean | bigint | null | undefined | object;

/**
 * Text size of one row as shards count it for roll-over: string values by length (UTF-16 units),
 * messages by their contents, int32 lists at 4 bytes per value; numbers, JSON objects and id lists
 * count nothing. The data products plan their shard cuts with it before writing.
 */
export function rowTextBytes(columns: ColumnSpec[], values: RowValue[]): number {
  let n = 0;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    const v = values[i];
    if (typeof v === "string") n += v.length;
    else if (c.type === "MESSAGES" && Array.isArray(v)) for (const m of v as Message[]) n += m.content.length;
    else if (c.type === "INT32_LIST" && (Array.isArray(v) || v instanceof Int32Array)) n += v.length * 4;
  }
  return n;
}

/** One shard: streaming row groups, hashed while written, temp file renamed into place on close. */
export class ParquetShardWriter {
  private file: AtomicParquetFile;
  private buffered: RowValue[][];
  private bufferedRows = 0;
  rows = 0;
  /** see rowTextBytes */
  textBytes = 0;
  tokens = 0;

  constructor(
    readonly path: string,
    readonly columns: ColumnSpec[],
    private opts: { codec: Codec; rowGroupRows: number; kv?: Record<string, string> },
  ) {
    this.file = new AtomicParquetFile(path, schemaFor(columns), opts);
    this.buffered = columns.map(() => []);
  }

  /** values in column order; `tokens` adds to the shard's token count */
  append(values: RowValue[], tokens = 0): void {
    for (let i = 0; i < this.columns.length; i++) {
      let v = values[i];
      const c = this.columns[i]!;
      if (v === undefined) v = null;
      if (v === null && c.nullable === false) throw new Error(`${this.path}: column ${c.name} must not be null (row ${this.rows})`);
      // JSON columns take the value itself: hyparquet-writer serialises it (stringifying here would double-encode)
      if (c.type === "INT64" && typeof v === "number") v = BigInt(v);
      else if (c.type === "INT32_LIST" && v instanceof Int32Array) v = Array.from(v);
      this.buffered[i]!.push(v);
    }
    this.textBytes += rowTextBytes(this.columns, values);
    this.bufferedRows++;
    this.rows++;
    this.tokens += tokens;
    if (this.bufferedRows >= this.opts.rowGroupRows) this.flushGroup();
  }

  private flushGroup(): void {
    if (this.bufferedRows === 0) return;
    // min/max statistics of long texts, messages and lists help no reader and cost a comparison per value
    const columnData = this.columns.map((c, i) => ({
      name: c.name,
      data: this.buffered[i]! as never[],
      nullable: c.nullable !== false,
      ...(c.longText ? { encoding: "PLAIN" as const, statistics: false } : c.type === "MESSAGES" || c.type.endsWith("_LIST") ? { statistics: false } : {}),
    }));
    this.file.parquet.write({ columnData, rowGroupSize: this.bufferedRows });
    this.buffered = this.columns.map(() => []);
    this.bufferedRows = 0;
  }

  close(): ClosedShard {
    const { bytes, sha256 } = this.file.close(() => this.flushGroup());
    return { path: this.path, rows: this.rows, tokens: this.tokens, bytes, sha256 };
  }

  /** abandon: remove the temp file, never leave a partial shard */
  abort(): void {
    this.file.abort();
  }
}

/**
 * A folder of shards `<prefix>-00000.parquet`, `<prefix>-00001.parquet`, … rolled over when a shard
 * reaches `shardRows` rows or `shardBytes` bytes of text.
 */
export class ShardSet {
  private current: ParquetShardWriter | null = null;
  readonly shards: (ClosedShard & { extra: Record<string, number> })[] = [];
  private extra: Record<string, number> = {};

  constructor(
    readonly dir: string,
    readonly prefix: string,
    readonly columns: ColumnSpec[],
    private opts: { codec: Codec; rowGroupRows: number; shardRows: number; shardBytes: number; kv?: Record<string, string> },
  ) {}

  /** true when the next `append` starts a new shard */
  get atShardStart(): boolean {
    return this.current === null;
  }

  /** `extra`: figures summed per shard (`tokens` is also the shard's token count) */
  append(values: RowValue[], extra?: Record<string, number>): void {
    if (!this.current) {
      const name = `${this.prefix}-${String(this.shards.length).padStart(5, "0")}.parquet`;
      this.current = new ParquetShardWriter(`${this.dir}/${name}`, this.columns, this.opts);
    }
    this.current.append(values, extra?.tokens);
    if (extra) for (const [k, v] of Object.entries(extra)) this.extra[k] = (this.extra[k] ?? 0) + v;
    if (this.current.rows >= this.opts.shardRows || this.current.textBytes >= this.opts.shardBytes) this.roll();
  }

  private roll(): void {
    if (!this.current) return;
    const closed = this.current.close();
    this.shards.push({ ...closed, extra: this.extra });
    this.extra = {};
    this.current = null;
  }

  close(): (ClosedShard & { extra: Record<string, number> })[] {
    this.roll();
    return this.shards;
  }

  abort(): void {
    this.current?.abort();
    this.current = null;
  }
}
