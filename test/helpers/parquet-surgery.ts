/**
 * Byte surgery on real Parquet files (written by hyparquet-writer) for hostile-input tests: re-encode
 * the footer with edited claims, or replace one page (header and/or body) and move every offset after
 * it, so each hostile file is a valid file apart from the one lie it tells.
 */
import { parquetMetadata, type FileMetaData } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { deserializeTCompactProtocol } from "hyparquet/src/thrift.js";
import { ByteWriter } from "hyparquet-writer";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import { serializeTCompactProtocol } from "hyparquet-writer/src/thrift.js";

/** The file's footer, parsed. */
export function footerOf(file: Uint8Array): FileMetaData {
  return parquetMetadata(file);
}

function footerLength(file: Uint8Array): number {
  return new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(file.length - 8, true);
}

/** The same data with a footer re-encoded after `edit` changed what it claims. */
export function withFooter(file: Uint8Array, edit: (m: FileMetaData) => void): Uint8Array {
  const m = parquetMetadata(file);
  edit(m);
  return assemble(file.subarray(0, file.length - 8 - footerLength(file)), m);
}

function assemble(body: Uint8Array, m: FileMetaData): Uint8Array {
  const w = new ByteWriter();
  writeMetadata(w, m);
  w.appendUint32(0x31524150); // PAR1
  const foot = new Uint8Array(w.getBuffer());
  const out = new Uint8Array(body.length + foot.length);
  out.set(body);
  out.set(foot, body.length);
  return out;
}

/** Where column `column`'s chunk in row group `group` starts (its first page header). */
export function chunkStart(file: Uint8Array, group: number, column: number): number {
  const meta = parquetMetadata(file).row_groups[group]!.columns[column]!.meta_data!;
  return Number(meta.dictionary_page_offset || meta.data_page_offset);
}

export interface Page {
  /** the raw Thrift struct (field_1 type, field_2 uncompressed size, field_3 compressed size, …) */
  header: Record<string, any>;
  body: Uint8Array;
}

/** The page whose header starts at `offset`, and where the next one starts. */
export function pageAt(file: Uint8Array, offset: number): Page & { next: number } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const reader = { view, offset };
  const header = deserializeTCompactProtocol(reader);
  const size = parquetHeader({ view, offset }).compressed_page_size;
  return { header, body: file.slice(reader.offset, reader.offset + size), next: reader.offset + size };
}

/**
 * Replace the page at `offset` with what `edit` returns (the header is re-encoded as given, sizes
 * included: set them to tell a lie, or leave them to keep one); offsets after it in the footer move
 * by the change in length and the enclosing chunk's sizes grow by it.
 */
export function withPage(file: Uint8Array, offset: number, edit: (p: Page) => Page): Uint8Array {
  return withPages(file, offset, (p) => [edit(p)]);
}

/** Like {@link withPage}, with the one page replaced by several (e.g. a row split across two). */
export function withPages(file: Uint8Array, offset: number, edit: (p: Page) => Page[]): Uint8Array {
  const old = pageAt(file, offset);
  const pages = edit({ header: structuredClone(old.header), body: old.body });
  const encoded: Uint8Array[] = [];
  for (const page of pages) {
    const w = new ByteWriter();
    serializeTCompactProtocol(w, page.header);
    encoded.push(new Uint8Array(w.getBuffer()), page.body);
  }
  const length = encoded.reduce((n, b) => n + b.length, 0);
  const end = file.length - 8 - footerLength(file);
  const body = new Uint8Array(offset + length + (end - old.next));
  body.set(file.subarray(0, offset));
  let at = offset;
  for (const b of encoded) {
    body.set(b, at);
    at += b.length;
  }
  body.set(file.subarray(old.next, end), at);
  const delta = length - (old.next - offset);
  const m = parquetMetadata(file);
  const move = (v: bigint | undefined) => (v !== undefined && v > BigInt(offset) ? v + BigInt(delta) : v);
  for (const g of m.row_groups) {
    for (const c of g.columns) {
      const meta = c.meta_data!;
      const start = BigInt(meta.dictionary_page_offset || meta.data_page_offset);
      if (start <= BigInt(offset) && BigInt(offset) < start + meta.total_compressed_size) {
        meta.total_compressed_size += BigInt(delta);
        meta.total_uncompressed_size += BigInt(delta);
      }
      meta.data_page_offset = move(meta.data_page_offset)!;
      meta.dictionary_page_offset = move(meta.dictionary_page_offset);
    }
  }
  return assemble(body, m);
}

/** LEB128, as Thrift and the RLE hybrid encoding write run headers. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Where each page of column `column`'s chunk in row group `group` starts. */
export function pageOffsets(file: Uint8Array, group: number, column: number): number[] {
  const meta = parquetMetadata(file).row_groups[group]!.columns[column]!.meta_data!;
  const end = chunkStart(file, group, column) + Number(meta.total_compressed_size);
  const out: number[] = [];
  for (let at = chunkStart(file, group, column); at < end; at = pageAt(file, at).next) out.push(at);
  return out;
}
