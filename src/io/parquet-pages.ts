/**
 * Parquet pages, read without trusting what headers claim: sizes are checked against the column
 * chunk, value counts against a per-page cap, run-length runs against the page's value count (before
 * hyparquet's decoder fills arrays from them), dictionary indices against the dictionary, and
 * decompressed sizes against the header. hyparquet decodes the values; this file decides what it is
 * given. One page at a time is held per column, so memory follows pages, not row-group claims.
 */
import { parquetHeader } from "hyparquet/src/column.js";
import { readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readPlain } from "hyparquet/src/plain.js";
import type { ColumnMetaData, DecodedArray, PageHeader } from "hyparquet";
import type { ByteSource } from "./byte-source.js";
import { decompressChecked } from "./parquet-decompress.js";

/** Values one page may hold: hyparquet decodes a page at once into arrays of about 30 bytes a value. */
export const MAX_PAGE_VALUES = 1 << 22;
/** A page header is a few dozen bytes; old writers put min/max statistics in it, so allow plenty. */
const MAX_HEADER_BYTES = 1 << 24;
/** What an over-size value keeps for the rejected/ record. */
export const SNIPPET_BYTES = 65536;

/** A byte-array value over the row-size cap: its size and first bytes, not the value. */
export class OversizeValue {
  constructor(readonly bytes: number, readonly snippet: Uint8Array) {}

  /** what a rejected/ record shows (also when the value ends up a map key) */
  toString(): string {
    return `${new TextDecoder().decode(this.snippet)}… [${this.bytes.toLocaleString("en-US")} bytes]`;
  }
}

/** Read-ahead over one column chunk: small pages come from one read, big ones are read exactly. */
export class ChunkWindow {
  private buf: Uint8Array = new Uint8Array(0);
  private at = 0;
  constructor(private readonly file: ByteSource, private readonly end: number, private readonly ahead: number) {}

  async get(pos: number, len: number): Promise<Uint8Array> {
    if (pos >= this.at && pos + len <= this.at + this.buf.length) return this.buf.subarray(pos - this.at, pos - this.at + len);
    const n = Math.min(Math.max(len, this.ahead), this.end - pos);
    if (n < len) throw new Error(`${len} bytes at byte ${pos.toLocaleString("en-US")} run past the column chunk's end`);
    this.buf = await this.file.read(pos, n);
    this.at = pos;
    return this.buf.subarray(0, len);
  }
}

/** What hyparquet's page decoders need to know about a column (its ColumnDecoder). */
export type ColumnDecoder = Parameters<typeof readDataPage>[2];

/** One leaf column of one row group, with what its footer entry claims. */
export interface LeafChunk {
  /** dotted path, for messages */
  path: string;
  meta: ColumnMetaData;
  decoder: ColumnDecoder;
  start: number;
  end: number;
  maxDef: number;
  maxRep: number;
}

export interface PageLimits {
  /** a byte-array value over this becomes an {@link OversizeValue} (Infinity: never) */
  maxValueBytes: number;
  /** pages that decompress to more are read in pieces (byte arrays) or refused */
  pageBytes: number;
}

export function int(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`${what} is ${String(v)}, not a count between 0 and ${max.toLocaleString("en-US")}`);
  return n;
}

export async function readHeader(win: ChunkWindow, at: number, end: number): Promise<{ header: PageHeader; length: number }> {
  let n = Math.min(end - at, 16384);
  for (;;) {
    const bytes = await win.get(at, n);
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    try {
      const header = parquetHeader(reader);
      return { header, length: reader.offset };
    } catch (e) {
      if (n >= end - at || n >= MAX_HEADER_BYTES) throw new Error(`page header at byte ${at.toLocaleString("en-US")} is unreadable (${(e as Error).message})`);
      n = Math.min(end - at, n * 8, MAX_HEADER_BYTES);
    }
  }
}

/** What one page header says, checked on its own. */
interface PageFacts {
  kind: "dictionary" | "data" | "index";
  values: number;
  /** rows, when the header states them (v2 pages) */
  rows: number | null;
  compressed: number;
  uncompressed: number;
  encoding: string;
}

export function pageFacts(h: PageHeader, col: LeafChunk): PageFacts {
  const compressed = int(h.compressed_page_size, "compressed size");
  const uncompressed = int(h.uncompressed_page_size, "uncompressed size");
  if (h.type === "DICTIONARY_PAGE") {
    const d = h.dictionary_page_header;
    if (!d) throw new Error("dictionary page has no dictionary header");
    return { kind: "dictionary", values: int(d.num_values, "dictionary size", MAX_PAGE_VALUES), rows: null, compressed, uncompressed, encoding: String(d.encoding) };
  }
  if (h.type === "DATA_PAGE") {
    const d = h.data_page_header;
    if (!d) throw new Error("data page has no data page header");
    return { kind: "data", values: int(d.num_values, "value count", MAX_PAGE_VALUES), rows: col.maxRep ? null : d.num_values, compressed, uncompressed, encoding: String(d.encoding) };
  }
  if (h.type === "DATA_PAGE_V2") {
    const d = h.data_page_header_v2;
    if (!d) throw new Error("data page v2 has no data page header");
    const values = int(d.num_values, "value count", MAX_PAGE_VALUES);
    const rows = int(d.num_rows, "row count", values);
    int(d.num_nulls, "null count", values);
    const levels = int(d.repetition_levels_byte_length, "repetition levels size") + int(d.definition_levels_byte_length, "definition levels size");
    if (levels > compressed || levels > uncompressed) throw new Error(`levels take ${levels} bytes of a page of ${Math.min(compressed, uncompressed)}`);
    if (!col.maxRep && rows !== values) throw new Error(`states ${rows} rows and ${values} values for a column that holds one value a row`);
    return { kind: "data", values, rows, compressed, uncompressed, encoding: String(d.encoding) };
  }
  if (h.type === "INDEX_PAGE") return { kind: "index", values: 0, rows: null, compressed, uncompressed, encoding: "" };
  throw new Error(`unknown page type ${String(h.type)}`);
}

/** Can a page this big be read in pieces? Only plain byte arrays (the values that get huge) can. */
export function checkPageSize(f: PageFacts, col: LeafChunk, limits: PageLimits): void {
  if (f.uncompressed <= limits.pageBytes && f.compressed <= limits.pageBytes) return;
  const plainBytes = col.meta.type === "BYTE_ARRAY" && (f.encoding === "PLAIN" || (f.kind === "dictionary" && f.encoding === "PLAIN_DICTIONARY"));
  const codecOk = col.meta.codec !== "LZ4" && col.meta.codec !== "LZ4_RAW";
  if (plainBytes && codecOk && Number.isFinite(limits.maxValueBytes)) return;
  throw new Error(`page of ${f.uncompressed.toLocaleString("en-US")} bytes (${f.compressed.toLocaleString("en-US")} compressed) is over the ${limits.pageBytes.toLocaleString("en-US")}-byte page limit, and ${f.encoding} ${col.meta.type} pages in ${col.meta.codec} are not read in pieces`);
}

export function where(col: LeafChunk, page: number, at: number): string {
  return `column ${col.path}, page ${page} (byte ${at.toLocaleString("en-US")})`;
}

/**
 * Walk a column chunk's page headers (not their data) and check them against the footer: pages lie
 * inside the chunk, their values add up to the chunk's count and, for columns of one value a row,
 * to the row group's row count. Throws naming the column and page.
 */
export async function checkChunkPages(file: ByteSource, col: LeafChunk, groupRows: number, limits: PageLimits): Promise<void> {
  const win = new ChunkWindow(file, col.end, 65536);
  let at = col.start;
  let page = 0;
  let values = 0;
  let rows = 0;
  let rowsKnown = true;
  let data = 0;
  while (at < col.end) {
    let f: PageFacts;
    let length: number;
    try {
      const h = await readHeader(win, at, col.end);
      length = h.length;
      f = pageFacts(h.header, col);
      if (f.kind === "dictionary" && data > 0) throw new Error("dictionary page after data pages");
      if (at + length + f.compressed > col.end) throw new Error(`page of ${f.compressed.toLocaleString("en-US")} bytes runs past the column chunk's end at byte ${col.end.toLocaleString("en-US")}`);
      checkPageSize(f, col, limits);
    } catch (e) {
      throw new Error(`${where(col, page, at)}: ${(e as Error).message}`);
    }
    if (f.kind === "data") {
      data++;
      values += f.values;
      if (f.rows === null) rowsKnown = false;
      else rows += f.rows;
    }
    at += length + f.compressed;
    page++;
  }
  const claimed = int(col.meta.num_values, `column ${col.path}: footer value count`);
  if (values !== claimed) throw new Error(`column ${col.path}: pages hold ${values.toLocaleString("en-US")} values, the footer says ${claimed.toLocaleString("en-US")}`);
  if (rowsKnown && rows !== groupRows) throw new Error(`column ${col.path}: pages hold ${rows.toLocaleString("en-US")} rows, the footer says ${groupRows.toLocaleString("en-US")}`);
  if (values < groupRows) throw new Error(`column ${col.path}: pages hold ${values.toLocaleString("en-US")} values, too few for the footer's ${groupRows.toLocaleString("en-US")} rows`);
}

// ---------------------------------------------------------------------------------------------
// run-length runs

export function bitWidth(max: number): number {
  return 32 - Math.clz32(max);
}

/**
 * Walk an RLE / bit-packed hybrid run list without decoding it. hyparquet writes every value of an
 * RLE run into its output whatever the page's value count, so a run of 2^31 in a 3-value page would
 * fill 2^31 slots: refuse runs that claim more than the page holds, or bytes that are not there.
 * `exact`: the runs must reach `count` inside [at, end) (levels); else ending early is allowed
 * (dictionary indices, whose count is only bounded by the page's values until levels are decoded).
 */
export function scanRuns(bytes: Uint8Array, at: number, end: number, width: number, count: number, what: string, exact: boolean): void {
  if (end > bytes.length) throw new Error(`${what} claim ${end - at} bytes, past the page's end`);
  if (width > 32) throw new Error(`${what} have a bit width of ${width}`);
  let seen = 0;
  while (seen < count) {
    if (at >= end) {
      if (exact) throw new Error(`${what} end after ${seen} of the page's ${count} values`);
      return;
    }
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= end || shift > 35) throw new Error(`${what} end inside a run header`);
      const b = bytes[at++]!;
      header += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    const half = Math.floor(header / 2);
    if (header % 2 === 1) {
      const n = half * 8;
      if (n > count - seen + 7) throw new Error(`${what}: a bit-packed run of ${n.toLocaleString("en-US")} values overflows a page of ${count.toLocaleString("en-US")}`);
      at += half * width;
      if (at > end && (exact || width)) throw new Error(`${what}: a bit-packed run needs ${(half * width).toLocaleString("en-US")} bytes past the end`);
      seen += n;
    } else {
      if (half > count - seen) throw new Error(`${what}: a run of ${half.toLocaleString("en-US")} values overflows a page of ${count.toLocaleString("en-US")}`);
      at += (width + 7) >> 3;
      if (at > end) throw new Error(`${what} end inside a run`);
      seen += half;
    }
  }
}

function u32(bytes: Uint8Array, at: number, what: string): number {
  if (at + 4 > bytes.length) throw new Error(`${what}: page ends before their length`);
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

export function isDictionaryEncoding(encoding: string, type: string): boolean {
  return encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY" || (encoding === "RLE" && type !== "BOOLEAN");
}

/** Scan the value runs that follow the levels at `at` (dictionary indices, RLE booleans). */
function scanValueRuns(page: Uint8Array, at: number, encoding: string, col: LeafChunk, count: number, lengthPrefixed: boolean): void {
  if (isDictionaryEncoding(encoding, col.meta.type)) {
    if (at >= page.length) {
      if (count) throw new Error("dictionary indices missing");
      return;
    }
    scanRuns(page, at + 1, page.length, page[at]!, count, "dictionary indices", false);
  } else if (encoding === "RLE" && col.meta.type === "BOOLEAN") {
    if (lengthPrefixed) {
      const len = u32(page, at, "boolean runs");
      scanRuns(page, at + 4, at + 4 + len, 1, count, "boolean runs", false);
    } else scanRuns(page, at, page.length, 1, count, "boolean runs", false);
  }
}

/** The runs of a v1 data page (levels, then dictionary indices / booleans), before hyparquet decodes it. */
function scanPageV1(page: Uint8Array, values: number, encoding: string, col: LeafChunk): void {
  let at = 0;
  if (col.maxRep && col.decoder.schemaPath.length > 1) {
    const len = u32(page, at, "repetition levels");
    scanRuns(page, at + 4, at + 4 + len, bitWidth(col.maxRep), values, "repetition levels", true);
    at += 4 + len;
  }
  if (col.maxDef) {
    const len = u32(page, at, "definition levels");
    scanRuns(page, at + 4, at + 4 + len, bitWidth(col.maxDef), values, "definition levels", true);
    at += 4 + len;
  }
  // v1 pages hold BOOLEAN RLE runs behind a length (hyparquet reads one); v2 pages do too
  scanValueRuns(page, at, encoding, col, values, true);
}

function levelRange(levels: number[] | undefined, max: number, what: string): void {
  if (!levels) return;
  for (let i = 0; i < levels.length; i++) {
    if (levels[i]! > max) throw new Error(`${what} ${levels[i]} at value ${i} is over the column's maximum of ${max}`);
  }
}

// ---------------------------------------------------------------------------------------------
// decoding one page

export interface RawPage {
  definitionLevels: number[] | undefined;
  repetitionLevels: number[];
  dataPage: DecodedArray;
}

function markOversize(values: DecodedArray, limit: number): void {
  if (!Array.isArray(values)) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof Uint8Array && v.length > limit) values[i] = new OversizeValue(v.length, v.slice(0, SNIPPET_BYTES));
  }
}

/** Decode a data page held in memory. */
export function dataPageInMemory(h: PageHeader, body: Uint8Array, col: LeafChunk, limits: PageLimits): RawPage {
  const codec = col.meta.codec;
  let page: RawPage;
  if (h.type === "DATA_PAGE") {
    const d = h.data_page_header!;
    const bytes = decompressChecked(codec, body, h.uncompressed_page_size);
    scanPageV1(bytes, d.num_values, String(d.encoding), col);
    page = readDataPage(bytes, d, col.decoder);
  } else {
    const d = h.data_page_header_v2!;
    const levels = d.repetition_levels_byte_length + d.definition_levels_byte_length;
    if (col.maxRep) scanRuns(body, 0, d.repetition_levels_byte_length, bitWidth(col.maxRep), d.num_values, "repetition levels", true);
    if (col.maxDef) scanRuns(body, d.repetition_levels_byte_length, levels, bitWidth(col.maxDef), d.num_values, "definition levels", true);
    const size = h.uncompressed_page_size - levels;
    const packed = body.subarray(levels);
    // a page of nulls only compresses nothing into a few bytes, which hyparquet does not inflate
    const compressed = d.is_compressed !== false;
    const values = !compressed ? packed : size > 0 ? decompressChecked(codec, packed, size) : new Uint8Array(0);
    if (!compressed && values.length !== size) throw new Error(`page holds ${values.length} bytes of values, its header declares ${size}`);
    scanValueRuns(values, 0, String(d.encoding), col, d.num_values - d.num_nulls, true);
    let whole = body;
    if (values !== packed) {
      whole = new Uint8Array(levels + values.length);
      whole.set(body.subarray(0, levels));
      whole.set(values, levels);
    }
    page = readDataPageV2(whole, { ...h, uncompressed_page_size: whole.length, data_page_header_v2: { ...d, is_compressed: false } }, col.decoder);
  }
  levelRange(page.definitionLevels, col.maxDef, "definition level");
  levelRange(page.repetitionLevels, col.maxRep, "repetition level");
  if (col.meta.type === "BYTE_ARRAY" && h.uncompressed_page_size > limits.maxValueBytes) markOversize(page.dataPage, limits.maxValueBytes);
  return page;
}

/** Decode a dictionary page held in memory. */
export function dictionaryInMemory(h: PageHeader, body: Uint8Array, col: LeafChunk, limits: PageLimits): DecodedArray {
  const bytes = decompressChecked(col.meta.codec, body, h.uncompressed_page_size);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const values = readPlain(reader, col.meta.type, h.dictionary_page_header!.num_values, col.decoder.element.type_length);
  if (reader.offset > bytes.length) throw new Error(`dictionary of ${h.dictionary_page_header!.num_values} values needs more than the page's ${bytes.length} bytes`);
  if (col.meta.type === "BYTE_ARRAY" && h.uncompressed_page_size > limits.maxValueBytes) markOversize(values, limits.maxValueBytes);
  return values;
}

/** Apply a dictionary, refusing indices it does not hold (hyparquet would give undefined). */
export function applyDictionary(indices: DecodedArray, dictionary: DecodedArray): DecodedArray {
  const n = dictionary.length;
  const typed = !Array.isArray(dictionary);
  const out: DecodedArray = typed ? new (dictionary.constructor as new (n: number) => DecodedArray)(indices.length) : new Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i] as number;
    if (!(k < n)) {
      throw new Error(k === undefined ? `dictionary indices end after ${i} of ${indices.length} values` : `dictionary index ${k} at value ${i} is out of range: the dictionary holds ${n} values`);
    }
    out[i] = dictionary[k];
  }
  return out;
}

