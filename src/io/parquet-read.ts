/**
 * Parquet reader: one row group at a time (memory bounded by the largest row group), every codec the
 * Apache test files use (snappy, gzip, zstd, brotli, lz4, lz4_raw) via hyparquet-compressors.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { RawRow } from "./jsonl.js";
import { wasmZstdDecompress } from "./parquet-write.js";

/** hyparquet-compressors, with zstd pages decoded by the WASM build when it is loaded (several times faster). */
const readCompressors = {
  ...compressors,
  ZSTD: (input: Uint8Array, outputLength: number): Uint8Array => wasmZstdDecompress(input, outputLength) ?? compressors.ZSTD!(input, outputLength),
};

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

export async function* readParquetRows(path: string, opts: { columns?: string[]; onBytes?: (n: number) => void } = {}): AsyncGenerator<RawRow> {
  const { file, metadata } = await openParquet(path);
  let rowStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const group = metadata.row_groups[g]!;
    const n = Number(group.num_rows);
    const rowEnd = rowStart + n;
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors: readCompressors, columns: opts.columns })) as Record<string, unknown>[];
    } catch (e) {
      throw new Error(`cannot decode row group ${g} (rows ${rowStart + 1}–${rowEnd}): ${describe(e)}`);
    }
    if (rows.length !== n) {
      throw new Error(`row group ${g} decoded ${rows.length} rows, footer says ${n}`);
    }
    opts.onBytes?.(Number(group.total_compressed_size ?? group.total_byte_size ?? 0));
    for (let i = 0; i < rows.length; i++) {
      yield { row: rowStart + i, value: rows[i], bytes: 0 };
    }
    rowStart = rowEnd;
  }
}
