/**
 * Byte surgery on real Parquet files (written by hyparquet-writer) for hostile inputs: re-encode the
 * footer with edited claims, or replace one page (header and/or body) and move every offset after
 * it, so each hostile file is a valid file apart from the one lie it tells. Plain JS so that
 * bench/faults.mjs can use it; the tests use it through test/helpers/parquet-surgery.ts (types).
 */
import { parquetMetadata } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { deserializeTCompactProtocol } from "hyparquet/src/thrift.js";
import { ByteWriter } from "hyparquet-writer";
import { writeMetadata } from "hyparquet-writer/src/metadata.js";
import { serializeTCompactProtocol } from "hyparquet-writer/src/thrift.js";

/** The file's footer, parsed. */
export function footerOf(file) {
  return parquetMetadata(file);
}

function footerLength(file) {
  return new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(file.length - 8, true);
}

/** The same data with a footer re-encoded after `edit` changed what it claims. */
export function withFooter(file, edit) {
  const m = parquetMetadata(file);
  edit(m);
  return assemble(file.subarray(0, file.length - 8 - footerLength(file)), m);
}

function assemble(body, m) {
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
export function chunkStart(file, group, column) {
  const meta = parquetMetadata(file).row_groups[group].columns[column].meta_data;
  return Number(meta.dictionary_page_offset || meta.data_page_offset);
}

/** The page whose header starts at `offset` (raw Thrift header, body), and where the next one starts. */
export function pageAt(file, offset) {
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
export function withPage(file, offset, edit) {
  return withPages(file, offset, (p) => [edit(p)]);
}

/** Like {@link withPage}, with the one page replaced by several (e.g. a row split across two). */
export function withPages(file, offset, edit) {
  const old = pageAt(file, offset);
  const pages = edit({ header: structuredClone(old.header), body: old.body });
  const encoded = [];
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
  const move = (v) => (v !== undefined && v > BigInt(offset) ? v + BigInt(delta) : v);
  for (const g of m.row_groups) {
    for (const c of g.columns) {
      const meta = c.meta_data;
      const start = BigInt(meta.dictionary_page_offset || meta.data_page_offset);
      if (start <= BigInt(offset) && BigInt(offset) < start + meta.total_compressed_size) {
        meta.total_compressed_size += BigInt(delta);
        meta.total_uncompressed_size += BigInt(delta);
      }
      meta.data_page_offset = move(meta.data_page_offset);
      meta.dictionary_page_offset = move(meta.dictionary_page_offset);
    }
  }
  return assemble(body, m);
}

/** LEB128, as Thrift and the RLE hybrid encoding write run headers. */
export function varint(n) {
  const out = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Where each page of column `column`'s chunk in row group `group` starts. */
export function pageOffsets(file, group, column) {
  const meta = parquetMetadata(file).row_groups[group].columns[column].meta_data;
  const end = chunkStart(file, group, column) + Number(meta.total_compressed_size);
  const out = [];
  for (let at = chunkStart(file, group, column); at < end; at = pageAt(file, at).next) out.push(at);
  return out;
}
