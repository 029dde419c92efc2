/**
 * One leaf column of one row group, read a page at a time: the decoded top-level values of the last
 * page (plus a row that continues into the next page) are all it holds, whatever the footer claims.
 * Each buffered row also carries its size in stored bytes, for the row-size cap.
 */
import { assembleLists } from "hyparquet/src/assemble.js";
import { convert } from "hyparquet/src/convert.js";
import type { DecodedArray } from "hyparquet";
import { bigDataPage, bigDictionary } from "./parquet-bigpage.js";
import {
  ChunkWindow, OversizeValue, applyDictionary, checkPageSize, dataPageInMemory, dictionaryInMemory, isDictionaryEncoding, pageFacts, readHeader, where,
  type LeafChunk, type PageLimits, type RawPage,
} from "./parquet-pages.js";
import type { ByteSource } from "./byte-source.js";
import { isRemoteFailure } from "./remote-bytes.js";

const FIXED_BYTES: Record<string, number> = { BOOLEAN: 1, INT32: 4, FLOAT: 4, INT64: 8, DOUBLE: 8, INT96: 12 };

function hasOversize(values: DecodedArray): boolean {
  if (!Array.isArray(values)) return false;
  for (const v of values) if (v instanceof OversizeValue) return true;
  return false;
}

/** hyparquet's conversions (UTF-8, JSON, timestamps…), passing over-size markers through untouched. */
function convertValues(values: DecodedArray, col: LeafChunk): DecodedArray {
  if (!hasOversize(values)) return convert(values, col.decoder);
  const arr = values as unknown[];
  const plain: unknown[] = [];
  for (const v of arr) if (!(v instanceof OversizeValue)) plain.push(v);
  const converted = convert(plain as DecodedArray, col.decoder);
  const out = new Array(arr.length);
  for (let i = 0, j = 0; i < arr.length; i++) out[i] = arr[i] instanceof OversizeValue ? arr[i] : converted[j++];
  return out;
}

function storedBytes(v: unknown, fixed: number): number {
  if (v instanceof Uint8Array) return v.length;
  if (v instanceof OversizeValue) return v.bytes;
  return fixed;
}

export class LeafReader {
  private readonly win: ChunkWindow;
  private at: number;
  private page = 0;
  private dictionary: DecodedArray | undefined;
  /** stored bytes of each dictionary entry */
  private dictionaryBytes: number[] = [];
  private values: DecodedArray = [];
  /** stored bytes of each buffered row (aligned with values) */
  private rowBytes: number[] = [];
  private pos = 0;
  private readonly fixed: number;
  /** every page has been read */
  done = false;
  /** top-level values handed out so far */
  rows = 0;

  constructor(readonly col: LeafChunk, private readonly file: ByteSource, private readonly limits: PageLimits, private readonly onBytes?: (n: number) => void) {
    this.win = new ChunkWindow(file, col.end, file.readAhead);
    this.at = col.start;
    this.fixed = col.meta.type === "FIXED_LEN_BYTE_ARRAY" ? (col.decoder.element.type_length ?? 0) : (FIXED_BYTES[col.meta.type] ?? 0);
  }

  /** Values ready to hand out: all buffered ones, but the last row of a repeated column may go on in the next page. */
  ready(): number {
    const n = this.values.length - this.pos;
    return this.done || !this.col.maxRep ? n : Math.max(0, n - 1);
  }

  take(k: number): { values: DecodedArray; bytes: number[] } {
    const out = { values: this.values.slice(this.pos, this.pos + k), bytes: this.rowBytes.slice(this.pos, this.pos + k) };
    this.pos += k;
    this.rows += k;
    return out;
  }

  /** Decode pages until one data page adds values, or the chunk ends (`done`). */
  async fill(): Promise<void> {
    const { col } = this;
    while (this.at < col.end) {
      const start = this.at;
      const index = this.page++;
      try {
        const { header, length } = await readHeader(this.win, start, col.end);
        const f = pageFacts(header, col);
        const bodyStart = start + length;
        const bodyEnd = bodyStart + f.compressed;
        if (bodyEnd > col.end) throw new Error(`page of ${f.compressed.toLocaleString("en-US")} bytes runs past the column chunk's end`);
        checkPageSize(f, col, this.limits);
        this.at = bodyEnd;
        this.onBytes?.(length + f.compressed);
        const big = f.uncompressed > this.limits.pageBytes || f.compressed > this.limits.pageBytes;
        if (f.kind === "dictionary") {
          if (index !== 0) throw new Error("dictionary page after data pages");
          const raw = big ? await bigDictionary(this.file, header, bodyStart, bodyEnd, col, this.limits.maxValueBytes) : dictionaryInMemory(header, await this.win.get(bodyStart, f.compressed), col, this.limits);
          this.dictionaryBytes = Array.from(raw as ArrayLike<unknown>, (v) => storedBytes(v, this.fixed));
          this.dictionary = convertValues(raw, col);
        } else if (f.kind === "data") {
          const raw = big ? await bigDataPage(this.file, header, bodyStart, bodyEnd, col, this.limits.maxValueBytes) : dataPageInMemory(header, await this.win.get(bodyStart, f.compressed), col, this.limits);
          this.append(raw, f.encoding, f.values);
          return;
        }
      } catch (e) {
        if (isRemoteFailure(e)) throw e;
        throw new Error(`${where(col, index, start)}: ${(e as Error).message}`);
      }
    }
    this.done = true;
  }

  private append(raw: RawPage, encoding: string, levelCount: number): void {
    const { col } = this;
    const dictionaryEncoded = isDictionaryEncoding(encoding, col.meta.type);
    if (dictionaryEncoded && !this.dictionary) throw new Error(`${encoding} page in a column chunk without a dictionary page`);
    const values = dictionaryEncoded ? applyDictionary(raw.dataPage, this.dictionary!) : convertValues(raw.dataPage, col);
    // keep only the row that may go on in this page (repeated columns)
    const carried = this.values.length - this.pos;
    if (!carried && raw.repetitionLevels[0]) throw new Error(`page starts inside a row (repetition level ${raw.repetitionLevels[0]}) with no row before it`);
    const output: unknown[] = carried > 0 ? Array.from(this.values.slice(this.pos) as ArrayLike<unknown>) : [];
    const bytes = carried > 0 ? this.rowBytes.slice(this.pos) : [];
    this.pageRowBytes(raw, dictionaryEncoded, bytes);
    const assembled = assembleLists(output, raw.definitionLevels, raw.repetitionLevels, values, col.decoder.schemaPath);
    this.values = assembled === output || !output.length ? assembled : output.concat(Array.from(assembled as ArrayLike<unknown>));
    this.rowBytes = bytes;
    this.pos = 0;
    if (this.values.length !== bytes.length) throw new Error(`page of ${levelCount} values assembled into ${this.values.length} rows, its levels into ${bytes.length}`);
  }

  /** Add this page's stored bytes to the rows they belong to (a repetition level of 0 starts a row). */
  private pageRowBytes(raw: RawPage, dictionaryEncoded: boolean, rows: number[]): void {
    const def = raw.definitionLevels ?? [];
    const rep = raw.repetitionLevels;
    const data = raw.dataPage as ArrayLike<unknown>;
    const n = def.length || rep.length || data.length;
    const sizes = this.dictionaryBytes;
    const { maxDef } = this.col;
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (!rep.length || rep[i] === 0 || !rows.length) rows.push(0);
      if (def.length && def[i] !== maxDef) continue;
      const x = data[v++];
      rows[rows.length - 1]! += dictionaryEncoded ? (sizes[x as number] ?? 0) : storedBytes(x, this.fixed);
    }
  }
}
