/**
 * Pages over the in-memory page limit: plain byte arrays (the only values that get that big), read
 * from their decompressed pieces as they arrive. Values up to the row-size cap are kept; a longer one
 * is skipped to its end and kept as its size and first bytes, so a 400 MB cell costs a snippet.
 */
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import type { PageHeader } from "hyparquet";
import { PageDone, streamPage } from "./parquet-decompress.js";
import { OversizeValue, SNIPPET_BYTES, bitWidth, scanRuns, type LeafChunk, type RawPage } from "./parquet-pages.js";
import type { ByteSource } from "./byte-source.js";

type Parser = Generator<void, void, Uint8Array | null>;

/**
 * A page's last value longer than this is not decompressed to its end (only its snippet is kept):
 * a 4 KB brotli page can claim a 1 GB value. Shorter ones are, so the page is held to its header.
 */
const SKIP_REST_BYTES = 64 * 1024 * 1024;

/** Level sections: at most a 5-byte run header and a 1-byte value per value, plus slack. */
function maxLevelBytes(values: number): number {
  return 6 * values + 16;
}

function decodeLevels(bytes: Uint8Array, max: number, count: number, what: string): number[] {
  if (!max) return [];
  scanRuns(bytes, 0, bytes.length, bitWidth(max), count, what, true);
  const out = new Array<number>(count);
  readRleBitPackedHybrid({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }, bitWidth(max), out, bytes.length);
  for (let i = 0; i < count; i++) if (out[i]! > max) throw new Error(`${what}: level ${out[i]} at value ${i} is over the column's maximum of ${max}`);
  return out;
}

interface Layout {
  /** v1 pages carry their levels in the stream, each behind a 4-byte length */
  levelsInStream: boolean;
  values: number;
  /** values that are not null, when the header says (v2, dictionary) */
  present: number | null;
  maxRep: number;
  maxDef: number;
  maxValueBytes: number;
}

/**
 * A parser fed with next(piece) and finished with next(null). Fills `out` with the levels and the
 * values; throws when the page ends early or a level section claims more than its values could need.
 */
function* plainPage(layout: Layout, out: RawPage): Parser {
  let piece: Uint8Array = new Uint8Array(0);
  let at = 0;
  function* bytes(n: number, keep: number): Generator<void, Uint8Array, Uint8Array | null> {
    const kept = new Uint8Array(Math.min(n, keep));
    let got = 0;
    while (got < n) {
      while (at >= piece.length) {
        const next = yield;
        if (next === null) throw new Error(`page ends ${(n - got).toLocaleString("en-US")} bytes short of a ${n.toLocaleString("en-US")}-byte value or level section`);
        piece = next;
        at = 0;
      }
      const take = Math.min(n - got, piece.length - at);
      if (got < kept.length) kept.set(piece.subarray(at, at + Math.min(take, kept.length - got)), got);
      got += take;
      at += take;
    }
    return kept;
  }
  function* length(what: string): Generator<void, number, Uint8Array | null> {
    const b = yield* bytes(4, 4);
    const n = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    if (what && n > maxLevelBytes(layout.values)) throw new Error(`${what} claim ${n.toLocaleString("en-US")} bytes for ${layout.values} values`);
    return n;
  }
  if (layout.levelsInStream) {
    if (layout.maxRep) out.repetitionLevels = decodeLevels(yield* bytes(yield* length("repetition levels"), Infinity), layout.maxRep, layout.values, "repetition levels");
    if (layout.maxDef) out.definitionLevels = decodeLevels(yield* bytes(yield* length("definition levels"), Infinity), layout.maxDef, layout.values, "definition levels");
  }
  let present = layout.present ?? layout.values;
  if (layout.present === null && out.definitionLevels?.length) {
    present = 0;
    for (const d of out.definitionLevels) if (d === layout.maxDef) present++;
  }
  const values = new Array<Uint8Array | OversizeValue>(present);
  out.dataPage = values;
  for (let i = 0; i < present; i++) {
    const n = yield* length("");
    if (n <= layout.maxValueBytes) values[i] = yield* bytes(n, n);
    else if (i < present - 1 || n <= SKIP_REST_BYTES) values[i] = new OversizeValue(n, yield* bytes(n, SNIPPET_BYTES));
    else {
      // parquet-testing's large_string_map.brotli: 2 × 1 GB values, 19 s → 0.15 s
      values[i] = new OversizeValue(n, yield* bytes(Math.min(n, SNIPPET_BYTES), SNIPPET_BYTES));
      return;
    }
  }
  // what follows the values is not read (hyparquet does not either)
  while ((yield) !== null);
}

async function runParser(file: ByteSource, codec: string, start: number, end: number, size: number, parser: Parser): Promise<void> {
  parser.next();
  let finished = false;
  await streamPage(file, codec, start, end, size, (piece) => {
    if (!finished) finished = !!parser.next(piece).done;
    if (finished) throw new PageDone();
  });
  if (!finished) parser.next(null);
}

/** A data page of plain byte arrays, decoded from its pieces. */
export async function bigDataPage(file: ByteSource, h: PageHeader, start: number, end: number, col: LeafChunk, maxValueBytes: number): Promise<RawPage> {
  const out: RawPage = { definitionLevels: undefined, repetitionLevels: [], dataPage: [] };
  if (h.type === "DATA_PAGE") {
    const d = h.data_page_header!;
    const layout = { levelsInStream: true, values: d.num_values, present: null, maxRep: col.maxRep, maxDef: col.maxDef, maxValueBytes };
    await runParser(file, col.meta.codec, start, end, h.uncompressed_page_size, plainPage(layout, out));
    if (out.definitionLevels && !out.definitionLevels.some((x) => x !== col.maxDef)) out.definitionLevels = [];
    return out;
  }
  const d = h.data_page_header_v2!;
  const repBytes = d.repetition_levels_byte_length;
  const levels = repBytes + d.definition_levels_byte_length;
  if (levels > 2 * maxLevelBytes(d.num_values)) throw new Error(`levels claim ${levels.toLocaleString("en-US")} bytes for ${d.num_values} values`);
  const levelBytes = levels ? await file.read(start, levels) : new Uint8Array(0);
  out.repetitionLevels = decodeLevels(levelBytes.subarray(0, repBytes), col.maxRep, d.num_values, "repetition levels");
  out.definitionLevels = decodeLevels(levelBytes.subarray(repBytes), col.maxDef, d.num_values, "definition levels");
  const layout = { levelsInStream: false, values: d.num_values, present: d.num_values - d.num_nulls, maxRep: col.maxRep, maxDef: col.maxDef, maxValueBytes };
  const codec = d.is_compressed === false ? "UNCOMPRESSED" : col.meta.codec;
  await runParser(file, codec, start + levels, end, h.uncompressed_page_size - levels, plainPage(layout, out));
  return out;
}

/** A dictionary page of plain byte arrays, decoded from its pieces. */
export async function bigDictionary(file: ByteSource, h: PageHeader, start: number, end: number, col: LeafChunk, maxValueBytes: number): Promise<(Uint8Array | OversizeValue)[]> {
  const out: RawPage = { definitionLevels: undefined, repetitionLevels: [], dataPage: [] };
  const n = h.dictionary_page_header!.num_values;
  const layout = { levelsInStream: false, values: n, present: n, maxRep: 0, maxDef: 0, maxValueBytes };
  await runParser(file, col.meta.codec, start, end, h.uncompressed_page_size, plainPage(layout, out));
  return out.dataPage as (Uint8Array | OversizeValue)[];
}
