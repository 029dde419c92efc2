/**
 * Parquet reader that does not trust the file's metadata: the footer's row counts, sizes and offsets
 * are checked against the file and the page headers before anything is decoded, and rows are read a
 * page at a time per column (parquet-column.ts), so memory follows the pages actually there and the
 * row-size cap, never the counts a footer claims. Every codec the Apache test files use (snappy, gzip,
 * zstd, brotli, lz4, lz4_raw); hyparquet decodes the values.
 */
import { asyncBufferFromFile, parquetMetadata, parquetMetadataAsync, parquetSchema, type DecodedArray, type FileMetaData, type SchemaTree } from "hyparquet";
import { assembleNested } from "hyparquet/src/assemble.js";
import { DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { getMaxDefinitionLevel, getMaxRepetitionLevel } from "hyparquet/src/schema.js";
import type { RawRow } from "./jsonl.js";
import { LeafReader } from "./parquet-column.js";
import { OversizeValue, SNIPPET_BYTES, checkChunkPages, int, type PageLimits } from "./parquet-pages.js";
import { LocalBytes, type ByteSource } from "./byte-source.js";
import { isRemoteFailure } from "./remote-bytes.js";

export interface ParquetFileInfo {
  rows: number;
  rowGroups: number;
  columns: string[];
}

function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/^parquet\s*/i, "");
}

export async function openParquet(path: string) {
  let file;
  try {
    file = await asyncBufferFromFile(path);
  } catch (e) {
    throw new Error(`cannot open Parquet file: ${describe(e)}`);
  }
  if (file.byteLength < 12) throw new Error(`not a Parquet file: ${file.byteLength} bytes, too short for header and footer`);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new Error(`corrupt or truncated Parquet footer: ${describe(e)}`);
  }
  return { file, metadata };
}

export async function parquetInfo(path: string): Promise<ParquetFileInfo> {
  const { metadata } = await openParquet(path);
  const schema = parquetSchema(metadata);
  return {
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    columns: schema.children.map((c) => c.element.name),
  };
}

/** JSON-safe conversion of hyparquet values (BigInt → number when safe, else string; bytes → base64). */
export function toPlain(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}

export interface ReadParquetOptions {
  /** top-level columns to read (default: all) */
  columns?: string[];
  /** receives the bytes read from disk, page by page (for progress) */
  onBytes?: (n: number) => void;
  /**
   * a row whose values take more stored bytes is yielded as an error row (`input:row_too_large`)
   * holding a snippet; values over it are never decoded. Default: no cap (the pipeline's own shards).
   */
  maxRowBytes?: number;
  /** read only row groups [from, to) (a unit's share of a large file); row numbers stay the file's */
  rowGroups?: { from: number; to: number };
}

/** Compressed bytes of each row group, as the footer says (a file's units are cut along them). */
export async function parquetRowGroups(file: ByteSource): Promise<number[]> {
  const { metadata } = await readFooter(file);
  return metadata.row_groups.map((g) => Number(g.total_compressed_size ?? g.columns.reduce((a, c) => a + Number(c.meta_data?.total_compressed_size ?? 0), 0)));
}

/** Rows assembled at once from the columns' buffered pages. */
const BATCH_ROWS = 1024;

interface Field {
  name: string;
  node: SchemaTree;
  leaves: LeafReader[];
}

/** What a remote file fetches first, in one request: the footer of most files fits in it. */
const TAIL_BYTES = 1 << 16;

/** The footer, read with the file's own handle; any problem is a footer error. */
async function readFooter(file: ByteSource): Promise<{ metadata: FileMetaData; dataEnd: number }> {
  if (file.size < 12) throw new Error(`not a Parquet file: ${file.size} bytes, too short for header and footer`);
  await file.prefetch([[Math.max(0, file.size - TAIL_BYTES), file.size]]);
  const tail = await file.read(file.size - 8, 8);
  const view = new DataView(tail.buffer, tail.byteOffset, 8);
  if (view.getUint32(4, true) !== 0x31524150) throw new Error("corrupt or truncated Parquet footer: the file does not end with PAR1");
  const length = view.getUint32(0, true);
  if (length > file.size - 12) throw new Error(`corrupt or truncated Parquet footer: footer length ${length} is more than the file's ${file.size - 12} bytes before it`);
  const dataEnd = file.size - 8 - length;
  const footer = await file.read(dataEnd, length + 8);
  try {
    const metadata = parquetMetadata(footer);
    parquetSchema(metadata);
    return { metadata, dataEnd };
  } catch (e) {
    throw new Error(`corrupt or truncated Parquet footer: ${describe(e)}`);
  }
}

function leafPaths(node: SchemaTree, out: SchemaTree[][] = [], path: SchemaTree[] = [node]): SchemaTree[][] {
  for (const child of node.children) {
    if (child.children.length) leafPaths(child, out, [...path, child]);
    else out.push([...path, child]);
  }
  return out;
}

/** Check one row group's footer entries (columns, offsets inside the file) and make its column readers. */
function planGroup(file: ByteSource, metadata: FileMetaData, schema: SchemaTree, g: number, dataEnd: number, opts: ReadParquetOptions, limits: PageLimits): Field[] {
  const group = metadata.row_groups[g]!;
  const leaves = leafPaths(schema);
  if (group.columns.length !== leaves.length) throw new Error(`the footer lists ${group.columns.length} column chunks for a schema of ${leaves.length} columns`);
  const fields = new Map<string, Field>();
  for (const node of schema.children) {
    if (!opts.columns || opts.columns.includes(node.element.name)) fields.set(node.element.name, { name: node.element.name, node, leaves: [] });
  }
  group.columns.forEach((chunk, i) => {
    const schemaPath = leaves[i]!;
    const path = schemaPath.slice(1).map((s) => s.element.name);
    const meta = chunk.meta_data;
    if (!meta) throw new Error(`column ${path.join(".")} has no metadata`);
    if (chunk.file_path) throw new Error(`column ${path.join(".")} is in another file (${chunk.file_path})`);
    if (meta.path_in_schema.join(".") !== path.join(".")) throw new Error(`column chunk ${i} is for ${meta.path_in_schema.join(".")}, the schema says ${path.join(".")}`);
    const field = fields.get(path[0]!);
    if (!field) return;
    const where = `column ${path.join(".")}`;
    const start = int(meta.dictionary_page_offset || meta.data_page_offset, `${where}: first page offset`);
    const end = start + int(meta.total_compressed_size, `${where}: compressed size`);
    if (start < 4 || end > dataEnd) throw new Error(`${where}: bytes ${start.toLocaleString("en-US")}–${end.toLocaleString("en-US")} are not inside the file's data (bytes 4–${dataEnd.toLocaleString("en-US")})`);
    const element = schemaPath.at(-1)!.element;
    if (meta.type !== element.type) throw new Error(`${where}: chunk holds ${meta.type} values, the schema says ${element.type}`);
    const decoder = { pathInSchema: meta.path_in_schema, type: meta.type, element, schemaPath, codec: meta.codec, parsers: DEFAULT_PARSERS };
    const leaf = { path: path.join("."), meta, decoder, start, end, maxDef: getMaxDefinitionLevel(schemaPath), maxRep: getMaxRepetitionLevel(schemaPath) };
    field.leaves.push(new LeafReader(leaf, file, limits, opts.onBytes));
  });
  return [...fields.values()].filter((f) => f.leaves.length);
}

/** Stored bytes of a row over the cap, as JSON for the rejected/ record: long values cut to a snippet. */
function rowSnippet(row: Record<string, unknown>): string {
  const json = JSON.stringify(row, (_k, v) => {
    if (v instanceof OversizeValue) return v.toString();
    if (typeof v === "string" && v.length > SNIPPET_BYTES) return `${v.slice(0, SNIPPET_BYTES)}… [${v.length.toLocaleString("en-US")} characters]`;
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return `[${v.length} bytes]`;
    return v;
  });
  return json.length > SNIPPET_BYTES ? json.slice(0, SNIPPET_BYTES) : json;
}

/** Take `k` rows' values from every field (struct / list fields assembled from their leaves). */
function takeColumns(fields: Field[], k: number, bytes: number[]): DecodedArray[] {
  return fields.map((field) => {
    if (!field.node.children.length) {
      const t = field.leaves[0]!.take(k);
      for (let i = 0; i < k; i++) bytes[i]! += t.bytes[i]!;
      return t.values;
    }
    const sub = new Map<string, DecodedArray>();
    for (const leaf of field.leaves) {
      const t = leaf.take(k);
      for (let i = 0; i < k; i++) bytes[i]! += t.bytes[i]!;
      sub.set(leaf.col.decoder.pathInSchema.join("."), t.values);
    }
    assembleNested(sub, field.node, DEFAULT_PARSERS);
    const assembled = sub.get(field.name);
    if (!assembled) throw new Error(`column ${field.name} could not be assembled from its leaves`);
    return assembled;
  });
}

/** The rows of one row group, read page by page; throws when the columns disagree with each other or the footer. */
async function* readGroup(fields: Field[], groupRows: number, rowStart: number, maxRowBytes: number): AsyncGenerator<RawRow> {
  const leaves = fields.flatMap((f) => f.leaves);
  if (!leaves.length) {
    // none of the requested columns is in this file: empty rows, as many as the footer says
    for (let i = 0; i < groupRows; i++) yield { row: rowStart + i, value: {}, bytes: 0 };
    return;
  }
  let produced = 0;
  for (;;) {
    for (const leaf of leaves) while (leaf.ready() === 0 && !leaf.done) await leaf.fill();
    let k = BATCH_ROWS;
    for (const leaf of leaves) k = Math.min(k, leaf.ready());
    if (k === 0) {
      const ended = leaves.find((l) => l.ready() === 0)!;
      const more = leaves.find((l) => l.ready() > 0);
      if (more) throw new Error(`column ${ended.col.path} ends after ${ended.rows.toLocaleString("en-US")} rows, column ${more.col.path} holds more`);
      break;
    }
    if (produced + k > groupRows) throw new Error(`columns hold more than the footer's ${groupRows.toLocaleString("en-US")} rows`);
    const bytes = new Array<number>(k).fill(0);
    const columns = takeColumns(fields, k, bytes);
    for (let i = 0; i < k; i++) {
      const value: Record<string, unknown> = {};
      for (let c = 0; c < fields.length; c++) value[fields[c]!.name] = columns[c]![i];
      const row = rowStart + produced + i;
      if (bytes[i]! > maxRowBytes) {
        const error = `row is ${bytes[i]!.toLocaleString("en-US")} bytes, over the ${maxRowBytes.toLocaleString("en-US")}-byte limit (maxRowBytes)`;
        yield { row, error, raw: rowSnippet(value), bytes: bytes[i]!, reason: "input:row_too_large" };
      } else {
        yield { row, value, bytes: bytes[i]! };
      }
    }
    produced += k;
  }
  if (produced !== groupRows) throw new Error(`columns hold ${produced.toLocaleString("en-US")} rows, the footer says ${groupRows.toLocaleString("en-US")}`);
}

/**
 * Every row of a Parquet file (a path, or a ByteSource this takes over and closes), one row group
 * after another, each read a page at a time. Footer claims
 * are checked against the page headers before a group is decoded; any disagreement, corrupt page or
 * unsupported layout throws an error naming the row group, column and page. Rows over `maxRowBytes`
 * are yielded as error rows (the rest of the file goes on).
 */
export async function* readParquetRows(input: string | ByteSource, opts: ReadParquetOptions = {}): AsyncGenerator<RawRow> {
  let file: ByteSource;
  try {
    file = typeof input === "string" ? LocalBytes.open(input) : input;
  } catch (e) {
    throw new Error(`cannot open Parquet file: ${describe(e)}`);
  }
  try {
    const { metadata, dataEnd } = await readFooter(file);
    const schema = parquetSchema(metadata);
    const maxRowBytes = opts.maxRowBytes ?? Infinity;
    const limits: PageLimits = { maxValueBytes: maxRowBytes, pageBytes: 4 * maxRowBytes };
    const groups = opts.rowGroups ?? { from: 0, to: metadata.row_groups.length };
    if (groups.to > metadata.row_groups.length) throw new Error(`the footer lists ${metadata.row_groups.length} row groups, not the ${groups.to} this unit reads (the file changed?)`);
    let rowStart = 0;
    for (let g = 0; g < groups.from; g++) rowStart += int(metadata.row_groups[g]!.num_rows, "the footer's row count");
    for (let g = groups.from; g < groups.to; g++) {
      let groupRows = Number(metadata.row_groups[g]!.num_rows);
      const label = () => `cannot decode row group ${g} (rows ${rowStart + 1}–${rowStart + groupRows})`;
      let fields: Field[];
      try {
        groupRows = int(metadata.row_groups[g]!.num_rows, "the footer's row count");
        fields = planGroup(file, metadata, schema, g, dataEnd, opts, limits);
        // only now, with every chunk checked to lie inside the file: the group's bytes, fetched ahead
        await file.prefetch(fields.flatMap((f) => f.leaves.map((l) => [l.col.start, l.col.end] as const)));
        for (const f of fields) for (const leaf of f.leaves) await checkChunkPages(file, leaf.col, groupRows, limits);
      } catch (e) {
        if (isRemoteFailure(e)) throw e;
        throw new Error(`${label()}: ${describe(e)}`);
      }
      try {
        yield* readGroup(fields, groupRows, rowStart, maxRowBytes);
      } catch (e) {
        if (isRemoteFailure(e)) throw e;
        throw new Error(`${label()}: ${describe(e)}`);
      }
      rowStart += groupRows;
    }
  } finally {
    await file.close();
  }
}
