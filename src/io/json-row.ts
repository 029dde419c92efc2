/**
 * One JSON row from a byte range: the value, or the reason the row is refused. Never throws, so a
 * hostile row stays that row's problem. Used for every JSONL line (and meant for the elements of a
 * future streamed `format: "json"` file: same function, another byte range).
 *
 * What it guarantees beyond JSON.parse:
 * - **bounded nesting**: a row nested deeper than {@link MAX_ROW_DEPTH} is refused (`input:too_deep`)
 *   before anything recurses over it (JSON.stringify, structuredClone to worker threads and the
 *   mapping would overflow the stack around 5,000-10,000 levels);
 * - **no duplicate keys** at any depth (`input:duplicate_key`, naming the key and its JSON path):
 *   JSON.parse would silently keep the last value;
 * - **lossless numbers**: a number whose JavaScript double does not print back as its source text
 *   (`12345678901234567891`, `1e400`, `1.50`, `-0`) becomes a {@link LosslessNumber} holding that
 *   text; every other number is a plain number (its String() is the source text).
 *
 * Speed: rows are mostly long strings. One linear pre-scan over the decoded row skips string
 * contents with indexOf('"') and looks only at the structure between them (depth, keys, number
 * tokens, with the JSON path of each); the value itself comes from the native JSON.parse, and an
 * inexact number (Python writes `27.0`) is put back at its path afterwards.
 */
import { grown } from "../text/code-units.js";

/** The deepest nesting of arrays/objects a row may have (the row's own object is level 1). */
export const MAX_ROW_DEPTH = 512;

/** A JSON number kept as its source text because a double would change it. */
export class LosslessNumber {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
  toString(): string {
    return this.text;
  }
}

/**
 * A hint for a row whose first characters hold a NUL: raw NUL cannot be part of JSON text, and it is
 * what UTF-16 files (Windows PowerShell's `>` writes them) look like when read as UTF-8. Else "".
 */
export function utf16Hint(text: string): string {
  return text.slice(0, 8).includes("\u0000") ? "; the bytes look like UTF-16 (NUL bytes between characters): curate reads UTF-8, convert the file (iconv -f UTF-16 -t UTF-8)" : "";
}

export type RowParse = { value: unknown; text: string } | { reason: string; detail: string; text: string };

// strict: invalid UTF-8 is the row's error. ignoreBOM: a BOM is dropped explicitly (below), once.
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Parse bytes [start, end) of `buf` as one JSON row. A UTF-8 BOM right at the start is skipped (a
 * file written by a tool that adds one; RFC 8259 lets parsers ignore it). `text` is the decoded
 * row (lossy for invalid UTF-8), for the rejected/ record.
 */
export function parseJsonRow(buf: Buffer, start = 0, end = buf.length): RowParse {
  if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
  const bytes = buf.subarray(start, end); // indexOf below must not look past the row
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    text = lossy.decode(bytes);
    return { reason: "input:invalid_utf8", detail: `invalid UTF-8 (first bad sequence near character ${text.indexOf("\uFFFD")})${utf16Hint(text)}`, text };
  }
  const scan = scanRow(text);
  if (scan.tooDeepAt >= 0) {
    return { reason: "input:too_deep", detail: `row is nested more than ${MAX_ROW_DEPTH} levels deep (level ${MAX_ROW_DEPTH + 1} opens at character ${scan.tooDeepAt}); rows nested deeper are refused`, text };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { reason: "input:malformed_json", detail: `malformed JSON: ${(e as Error).message}${utf16Hint(text)}`, text };
  }
  if (scan.duplicate) {
    return { reason: "input:duplicate_key", detail: `duplicate key ${JSON.stringify(scan.duplicate.key)} at ${scan.duplicate.path}: JSON would keep only the last value`, text };
  }
  if (scan.inexact) {
    value = patchNumbers(value, text, scan.inexact);
    if (value === null) return { reason: "input:malformed_json", detail: "internal: the row's numbers could not be placed (please report this row)", text };
  }
  return { value, text };
}

// ---------------------------------------------------------------------------------------------
// the pre-scan

/**
 * The number tokens that do not print back as their source text, and where they sit, in flat
 * arrays (a 16 MB row can hold 4 million of them): token k is the text between `at[3k]` and
 * `at[3k+1]` at key or index `slot[k]` of the container whose path (keys and indexes from the row)
 * is `containers[at[3k+2]]` (-1: the row is that number).
 */
class InexactNumbers {
  containers: (string | number)[][] = [];
  at = new Int32Array(96);
  count = 0;
  slot: (string | number)[] = [];

  add(s: number, e: number, container: number, slot: string | number) {
    if (3 * this.count === this.at.length) {
      this.at = grown(this.at);
    }
    const k = 3 * this.count++;
    this.at[k] = s;
    this.at[k + 1] = e;
    this.at[k + 2] = container;
    this.slot.push(slot);
  }
}

interface Scan {
  /** character offset of the bracket that opens level MAX_ROW_DEPTH + 1, or -1 */
  tooDeepAt: number;
  duplicate: { key: string; path: string } | null;
  inexact: InexactNumbers | null;
}

const OBJECT = 1;
// per open level (1-based): object or array, the array index, the last key, the keys seen
const kinds = new Uint8Array(MAX_ROW_DEPTH + 1);
const indexes = new Int32Array(MAX_ROW_DEPTH + 1);
const lastKeys: (string | null)[] = [];
const keyLists: string[][] = [];
const keySets: (Set<string> | null)[] = [];
/** the container id (in InexactNumbers.containers) of the level, -1 until it holds an inexact number */
const containerIds = new Int32Array(MAX_ROW_DEPTH + 1);
/** objects with more keys than this look duplicates up in a Set */
const LIST_KEYS = 16;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isNumberChar = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45;

/** The deepest level the last scan opened: its per-level keys are let go after the scan. */
let deepestOpened = 0;

/**
 * One pass over the structure of the decoded row (String.prototype.indexOf and charCodeAt are V8
 * builtins: much cheaper per call than Buffer methods, which cross into C++). On malformed input
 * it may stop early or see nonsense; the caller trusts its duplicate and number findings only once
 * JSON.parse has accepted the row.
 */
function scanRow(t: string): Scan {
  deepestOpened = 0;
  const scan = scanStructure(t);
  // do not keep a row's keys (a Set of a million, a 10 MB key) alive until the next row
  for (let d = 1; d <= deepestOpened; d++) {
    if (keyLists[d]) keyLists[d]!.length = 0;
    keySets[d] = null;
    lastKeys[d] = null;
  }
  return scan;
}

function scanStructure(t: string): Scan {
  const n = t.length;
  let depth = 0;
  let inexact: InexactNumbers | null = null;
  let i = 0;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      const close = stringEnd(t, i + 1);
      if (close < 0) break;
      if (depth > 0 && kinds[depth] === OBJECT) {
        let j = close + 1;
        while (isSpace(t.charCodeAt(j))) j++;
        if (t.charCodeAt(j) === 0x3a) {
          const key = keyText(t, i + 1, close);
          if (!addKey(depth, key)) return { tooDeepAt: -1, duplicate: { key, path: jsonPath(depth, key) }, inexact };
          lastKeys[depth] = key;
          i = j + 1;
          continue;
        }
      }
      i = close + 1;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === MAX_ROW_DEPTH) return { tooDeepAt: i, duplicate: null, inexact };
      depth++;
      if (depth > deepestOpened) deepestOpened = depth;
      indexes[depth] = 0;
      containerIds[depth] = -1;
      if (c === 0x7b) {
        kinds[depth] = OBJECT;
        (keyLists[depth] ??= []).length = 0;
        keySets[depth] = null;
        lastKeys[depth] = null;
      } else kinds[depth] = 0;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth > 0) depth--;
      i++;
    } else if (c === 0x2c) {
      indexes[depth]++;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(t.charCodeAt(j))) j++;
      if (!numberRoundTrips(t, i, j)) noteInexact((inexact ??= new InexactNumbers()), depth, i, j);
      i = j;
    } else i++;
  }
  return { tooDeepAt: -1, duplicate: null, inexact };
}

/** Index of the quote closing the string whose contents start at `from`, or -1. */
function stringEnd(t: string, from: number): number {
  let q = t.indexOf('"', from);
  while (q >= 0) {
    // escaped when preceded by an odd run of backslashes; each run is looked at once
    let k = q - 1;
    while (k >= from && t.charCodeAt(k) === 0x5c) k--;
    if (((q - 1 - k) & 1) === 0) return q;
    q = t.indexOf('"', q + 1);
  }
  return -1;
}

/** The key's string value (escapes resolved, so `"a"` and `"\u0061"` are the same key). */
function keyText(t: string, s: number, e: number): string {
  for (let k = s; k < e; k++) {
    if (t.charCodeAt(k) === 0x5c) {
      try {
        return JSON.parse(t.slice(s - 1, e + 1)) as string;
      } catch {
        break; // a bad escape: JSON.parse of the row reports it
      }
    }
  }
  return t.slice(s, e);
}

/** Record `key` in the object open at `depth`; false when it is already there. */
function addKey(depth: number, key: string): boolean {
  const set = keySets[depth];
  if (set) {
    if (set.has(key)) return false;
    set.add(key);
    return true;
  }
  const list = keyLists[depth]!;
  for (let k = 0; k < list.length; k++) if (list[k] === key) return false;
  list.push(key);
  if (list.length > LIST_KEYS) keySets[depth] = new Set(list);
  return true;
}

/** Record the number token [s, e) read at `depth` (0: the row is that number). */
function noteInexact(x: InexactNumbers, depth: number, s: number, e: number) {
  if (depth > 0 && containerIds[depth] < 0) {
    const path: (string | number)[] = [];
    for (let d = 1; d < depth; d++) path.push(kinds[d] === OBJECT ? lastKeys[d]! : indexes[d]!);
    containerIds[depth] = x.containers.push(path) - 1;
  }
  x.add(s, e, depth > 0 ? containerIds[depth]! : -1, depth === 0 ? 0 : kinds[depth] === OBJECT ? lastKeys[depth]! : indexes[depth]!);
}

/** `$.a["b c"][3].key`: where the object at `depth` sits, then `key`. */
function jsonPath(depth: number, key: string): string {
  let path = "$";
  const step = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
  for (let d = 1; d < depth; d++) path += kinds[d] === OBJECT ? step(lastKeys[d] ?? "?") : `[${indexes[d]}]`;
  return path + step(key);
}

/**
 * Does Number(token) print back as the token? Integers of up to 15 digits always do (no leading
 * zero, not `-0`); anything else is checked by printing.
 */
function numberRoundTrips(t: string, s: number, e: number): boolean {
  let i = s;
  if (t.charCodeAt(i) === 0x2d) i++;
  const len = e - i;
  if (len >= 1 && len <= 15 && (t.charCodeAt(i) !== 0x30 || (len === 1 && i === s))) {
    let k = i;
    while (k < e) {
      const c = t.charCodeAt(k);
      if (c < 0x30 || c > 0x39) break;
      k++;
    }
    if (k === e) return true;
  }
  const token = t.slice(s, e);
  return String(Number(token)) === token;
}

// ---------------------------------------------------------------------------------------------
// inexact numbers

/**
 * Put a LosslessNumber at each inexact number's place in the value JSON.parse built. The places are
 * unambiguous: duplicate keys were refused. Returns null if a place does not hold a number (the
 * scan and JSON.parse disagree: a bug, reported as the row's error rather than a wrong value).
 */
function patchNumbers(value: unknown, t: string, x: InexactNumbers): unknown {
  type Holder = Record<string | number, unknown>;
  const holders = x.containers.map((path) => {
    let h = value as Holder | undefined;
    for (const k of path) h = h !== null && typeof h === "object" ? (h[k] as Holder | undefined) : undefined;
    return h !== null && typeof h === "object" ? h : null;
  });
  for (let k = 0; k < x.count; k++) {
    const c = x.at[3 * k + 2]!;
    const number = new LosslessNumber(t.slice(x.at[3 * k], x.at[3 * k + 1]));
    if (c < 0) {
      if (typeof value !== "number") return null;
      value = number;
      continue;
    }
    const h = holders[c];
    const slot = x.slot[k]!;
    if (!h || typeof h[slot] !== "number") return null;
    h[slot] = number;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// helpers for values that did not come through parseJsonRow (Parquet rows) and for meta

/** Is `v` nested deeper than `limit` (arrays/objects; v itself is level 1)? Iterative. */
export function nestedDeeperThan(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== "object" || x instanceof LosslessNumber || ArrayBuffer.isView(x) || x instanceof Date) continue;
    if (d > limit) return true;
    for (const y of Array.isArray(x) ? x : Object.values(x)) if (y !== null && typeof y === "object") stack.push([y, d + 1]);
  }
  return false;
}

const wellFormed = (s: string): string => {
  const t = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return t.isWellFormed() ? s : t.toWellFormed();
};

/**
 * Compact JSON of a row value (nesting already bounded), exact where JSON.stringify is not:
 * LosslessNumber and bigint print their digits; strings are made well-formed (a lone surrogate
 * becomes U+FFFD, not a `\udXXX` escape other tools reject); bytes print as base64.
 */
export function stringifyRow(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(wellFormed(v));
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof LosslessNumber) return v.text;
  if (v instanceof Date) return JSON.stringify(v);
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString("base64"));
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === "function" ? "null" : stringifyRow(x))).join(",")}]`;
  if (typeof v === "object") {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined && typeof x !== "function") parts.push(`${JSON.stringify(wellFormed(k))}:${stringifyRow(x)}`);
    return `{${parts.join(",")}}`;
  }
  return "null";
}
