/**
 * Generators of the hostile inputs of issue #18, in plain JS for bench/faults.mjs (tests may import
 * them too). Each writes a real file: JSONL lines, gzip members, Parquet written by hyparquet-writer
 * and then made to tell one lie by re-encoding its footer or one page (bench/parquet-surgery.mjs,
 * which the tests use too).
 */
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { chunkStart, pageAt, withFooter, withPage } from "./parquet-surgery.mjs";

/** Seeded random numbers in [0, 1): the same inputs on every run. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** `n` good rows `{id, p, r}` (unique, text-like), each with its JSONL line. */
export function goodRows(n, prefix = "g") {
  const r = rng(n * 7 + prefix.length);
  const word = () => Array.from({ length: 2 + Math.floor(r() * 7) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
  const text = (k) => Array.from({ length: k }, word).join(" ");
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${i}`;
    return { id, line: JSON.stringify({ id, p: `Problem ${i}: ${text(20)}`, r: `Response ${i}: ${text(120)}` }) };
  });
}

/** `depth` openers around `inner`, then as many closers. */
export const nest = (depth, open, close, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);

/** `bytes` of text in 1 MiB pieces (a big cell is never held as one string). */
export function* textPieces(bytes, seed) {
  const piece = Buffer.from(`${seed} thinks step by step, checking each line. `.repeat(1 + (1 << 20) / 40)).subarray(0, 1 << 20);
  for (let left = bytes; left > 0; left -= piece.length) yield piece.subarray(0, Math.min(left, piece.length));
}

// ---- Parquet rollouts ------------------------------------------------------------------------

export const PARQUET_FIELDS = { id: "id", problem: "problem", response: "response", reference: "answer" };
export const ID = 0;
export const RESPONSE = 2;
export const ANSWER = 3;

/** Rollouts `tag-r<i>` (id, problem, response, answer as a dictionary column) in row groups of 3. */
export function rollouts(tag, o = {}) {
  const n = o.rows ?? 6;
  const response = o.response ?? ((i) => `Adding ${i} and ${i} gives \\boxed{${2 * i}}.`);
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "id", data: Array.from({ length: n }, (_, i) => `${tag}-r${i}`), type: "STRING" },
      { name: "problem", data: Array.from({ length: n }, (_, i) => `${tag}: what is ${i} plus ${i}?`), type: "STRING" },
      { name: "response", data: Array.from({ length: n }, (_, i) => response(i)), type: "STRING" },
      { name: "answer", data: Array.from({ length: n }, (_, i) => String(2 * i)), type: "STRING", encoding: "RLE_DICTIONARY" },
    ],
    codec: o.codec ?? "UNCOMPRESSED",
    compressors: { GZIP: (b) => new Uint8Array(gzipSync(b)) },
    rowGroupSize: o.rowGroupSize ?? 3,
  }));
}

/** Row group 1 of a 6-row file claims `rows` rows (its pages hold 3). */
export function footerClaims(tag, rows) {
  return withFooter(rollouts(tag), (m) => {
    m.row_groups[1].num_rows = rows;
    m.num_rows = 3n + rows;
  });
}

/** Row group 1's answer dictionary declares 1 entry where 3 were written: indices 1 and 2 are out of range. */
export function dictionaryTooSmall(tag) {
  const f = rollouts(tag);
  return withPage(f, chunkStart(f, 1, ANSWER), (p) => {
    p.header.field_7.field_1 = 1;
    return p;
  });
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * Five rollouts (GZIP, one row group) whose row 3 response is `bytes` long: the response page body is
 * replaced by the gzip of the real values, made in pieces (a 400 MB cell is about 2.5 MB on disk).
 */
export async function bigCellFile(tag, bytes) {
  const response = (i) => `Adding ${i} and ${i} gives \\boxed{${2 * i}}.`;
  const file = rollouts(tag, { codec: "GZIP", rows: 5, rowGroupSize: 5, response });
  const at = chunkStart(file, 0, RESPONSE);
  const levels = pageAt(file, at).header.field_8.field_5; // one DATA_PAGE_V2 holds the column
  let plain = 0;
  function* values() {
    for (let i = 0; i < 5; i++) {
      const v = i === 2 ? null : Buffer.from(response(i));
      plain += 4 + (v ? v.length : bytes);
      yield u32(v ? v.length : bytes);
      if (v) yield v;
      else yield* textPieces(bytes, tag);
    }
  }
  const gz = [];
  for await (const c of Readable.from(values()).pipe(createGzip({ level: 1 }))) gz.push(c);
  const packed = Buffer.concat(gz);
  return withPage(file, at, (p) => {
    const body = new Uint8Array(levels + packed.length);
    body.set(p.body.subarray(0, levels));
    body.set(packed, levels);
    p.header.field_2 = levels + plain;
    p.header.field_3 = body.length;
    return { header: p.header, body };
  });
}
