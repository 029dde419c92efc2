/**
 * Sources: expand globs, read JSONL / JSONL.gz / Parquet rows, and map each row to one or more
 * rollouts through the source's field mapping.
 *
 * Field paths are dotted (`meta.answer`); `name[]` explodes an array into one rollout per element
 * (`"response": "generations[]"`), and side fields with `[]` (`"finish_reason": "finish_reasons[]"`)
 * take the element with the same index. `arr[].text` takes `.text` of each element. Chat layouts:
 * `messages` (role/content) and `conversations` (from/value) give the first user turn as the problem
 * and the last assistant turn as the response.
 */
import { statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { glob } from "tinyglobby";
import type { SourceConfig } from "../config/types.js";
import type { MetaValue, Rollout } from "../record/rollout.js";
import { readJsonl, type RawRow } from "./jsonl.js";
import { LosslessNumber, MAX_ROW_DEPTH, nestedDeeperThan, stringifyRow } from "./json-row.js";
import { readParquetRows } from "./parquet-read.js";
import { HubError, type HubSettings } from "./http.js";
import { RemoteChangedError, openBytes, type RemoteFile } from "./remote-bytes.js";
import { isRemotePath, listRemoteSource } from "./remote-list.js";

/** Where remote files are listed and read (default: HF_ENDPOINT, HF_TOKEN, CURATE_HUB_* limits). */
export type RemoteSettings = HubSettings;

export type SourceFormat = "jsonl" | "jsonl.gz" | "parquet";

export interface SourceFile {
  source: SourceConfig;
  /** absolute path; for a remote file the URL read */
  path: string;
  /** path relative to the mix file folder, or the remote path as written (hf://…, redacted https://…): stored in records */
  rel: string;
  format: SourceFormat;
  bytes: number;
  /** a remote file: what its listing said, which every read is held to */
  remote?: RemoteFile;
}

/** A row that could not become a rollout; written to rejected/ (quarantine) or raised (fail). */
export interface BadRow {
  source: string;
  file: string;
  row: number;
  reason: string;
  detail: string;
  raw: string;
}

export function detectFormat(path: string, declared?: SourceFormat): SourceFormat | null {
  if (declared) return declared;
  const p = path.toLowerCase();
  if (p.endsWith(".parquet") || p.endsWith(".pq")) return "parquet";
  if (p.endsWith(".jsonl.gz") || p.endsWith(".json.gz") || p.endsWith(".ndjson.gz")) return "jsonl.gz";
  if (p.endsWith(".jsonl") || p.endsWith(".json") || p.endsWith(".ndjson")) return "jsonl";
  return null;
}

/**
 * Resolve a source's path patterns (local paths and globs, hf://datasets/… paths and globs, https://
 * URLs) to a sorted, de-duplicated file list. Throws when nothing matches.
 */
export async function resolveSourceFiles(source: SourceConfig, baseDir: string, remote: RemoteSettings = {}): Promise<SourceFile[]> {
  const patterns = Array.isArray(source.path) ? source.path : [source.path];
  const seen = new Set<string>();
  const out: SourceFile[] = [];
  for (const pattern of patterns) {
    if (isRemotePath(pattern)) {
      // hf:// listed at the commit its revision resolves to, https:// probed; each file pinned
      for (const { name, remote: r, format } of await listRemoteSource(source.name, pattern, remote, (p) => detectFormat(p), source.format)) {
        if (!seen.has(name)) out.push({ source, path: r.url, rel: name, format, bytes: r.size, remote: r });
        seen.add(name);
      }
      continue;
    }
    const isGlob = /[*?[\]{}]/.test(pattern);
    let matches: string[];
    if (isGlob) {
      matches = (await glob(pattern, { cwd: baseDir, absolute: true, onlyFiles: true, expandDirectories: false })).sort();
    } else {
      const abs = resolve(baseDir, pattern);
      let st;
      try {
        st = statSync(abs);
      } catch {
        throw new Error(`source "${source.name}": file ${pattern} does not exist (resolved to ${abs})`);
      }
      if (st.isDirectory()) {
        matches = (await glob("**/*.{jsonl,jsonl.gz,json,json.gz,ndjson,parquet}", { cwd: abs, absolute: true, onlyFiles: true })).sort();
      } else {
        matches = [abs];
      }
    }
    if (matches.length === 0) {
      throw new Error(`source "${source.name}": path ${JSON.stringify(pattern)} matched no files (relative to ${baseDir})`);
    }
    for (const m of matches) {
      if (seen.has(m)) continue;
      seen.add(m);
      const format = detectFormat(m, source.format);
      if (!format) {
        throw new Error(`source "${source.name}": cannot tell the format of ${m} from its extension; set "format" to jsonl, jsonl.gz or parquet`);
      }
      out.push({ source, path: m, rel: relative(baseDir, m) || m, format, bytes: statSync(m).size });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// field mapping

interface ParsedPath {
  /** path to the array (or the value when not exploded) */
  head: string[];
  exploded: boolean;
  /** path inside each element */
  tail: string[];
}

function parsePath(p: string): ParsedPath {
  const i = p.indexOf("[]");
  if (i < 0) return { head: p.split(".").filter(Boolean), exploded: false, tail: [] };
  const head = p.slice(0, i).split(".").filter(Boolean);
  const rest = p.slice(i + 2);
  return { head, exploded: true, tail: rest.replace(/^\./, "").split(".").filter(Boolean) };
}

const MISSING = Symbol("missing");

function dig(v: unknown, path: string[]): unknown {
  let cur: unknown = v;
  for (const k of path) {
    // own keys only: a path like "constructor" must not find Object.prototype's
    if (cur === null || typeof cur !== "object" || cur instanceof LosslessNumber || !Object.hasOwn(cur, k)) return MISSING;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

class MappingError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof LosslessNumber || typeof v === "bigint") return "a number";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof LosslessNumber);

/**
 * The one normalisation of text taken from a row, applied here at mapping time so that every later
 * step sees the same value — annotate, the write step that re-reads the input and matches ids
 * against annotated/, and anyone reading data/:
 * - a lone surrogate (JSON `"\ud800"`) becomes U+FFFD: Parquet stores UTF-8, which cannot hold
 *   one, so the value read back from annotated/ would differ from the value read from the input;
 * - leading U+FEFF are removed: hyparquet (like every TextDecoder with default options) drops a
 *   leading BOM from each string it reads, so such a value would not survive annotated/ either.
 *   A U+FEFF anywhere else is kept.
 * Applied to id, problem, response, reference, finish_reason and string meta values; strings
 * inside a meta object or array (stored as JSON text) are only made well-formed.
 */
export function cleanText(s: string): string {
  if (s.charCodeAt(0) === 0xfeff) {
    let i = 1;
    while (s.charCodeAt(i) === 0xfeff) i++;
    s = s.slice(i);
  }
  const t = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return t.isWellFormed() ? s : t.toWellFormed();
}

/** A text field; with `allowNumber` a number gives its exact source text (ids, references). */
function asText(v: unknown, field: string, path: string, allowNumber: boolean): string {
  if (typeof v === "string") return cleanText(v);
  if (allowNumber) {
    // a plain number from a JSON row prints as its source text (json-row.ts); else LosslessNumber
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    if (v instanceof LosslessNumber) return v.text;
  }
  throw new MappingError("input:wrong_type", `field "${field}" (path ${path}) must be a string, found ${describeType(v)}`);
}

function chatTurns(v: unknown, field: string, path: string, roleKey: string, textKey: string): { user: string; assistant: string } {
  if (!Array.isArray(v)) throw new MappingError("input:wrong_type", `field "${field}" (path ${path}) must be a list of turns, found ${describeType(v)}`);
  let user: string | null = null;
  let assistant: string | null = null;
  for (let i = 0; i < v.length; i++) {
    const t = v[i];
    if (!isObject(t)) throw new MappingError("input:wrong_type", `${path}[${i}] must be an object with "${roleKey}" and "${textKey}"`);
    const r = Object.hasOwn(t, roleKey) ? t[roleKey] : null;
    const role = typeof r === "string" ? r.toLowerCase() : "";
    const text = Object.hasOwn(t, textKey) ? t[textKey] : undefined;
    if (role === "user" || role === "human") {
      if (user === null) user = asText(text, field, `${path}[${i}].${textKey}`, false);
    } else if (role === "assistant" || role === "gpt" || role === "model") {
      assistant = asText(text, field, `${path}[${i}].${textKey}`, false);
    }
  }
  if (user === null) throw new MappingError("input:missing_field", `${path} has no user turn`);
  if (assistant === null) throw new MappingError("input:missing_field", `${path} has no assistant turn`);
  return { user, assistant };
}

export interface MappedRollout {
  id: string | null;
  problem: string;
  response: string;
  reference: string | null;
  finishReason: string | null;
  meta: Record<string, MetaValue>;
}

/**
 * A meta value. A number stays a number when the double holds its exact decimal value (`3`, `0.5`,
 * `1.50` → 1.5, `1e2` → 100); otherwise it is kept as its source text, a string
 * (`12345678901234567891`, `1e400`, `0.10000000000000000001`). Objects and arrays are stored as
 * their compact JSON text, numbers in it exactly as in the source.
 */
function scalar(v: unknown): MetaValue {
  if (v === undefined || v === MISSING || v === null) return null;
  if (typeof v === "string") return cleanText(v);
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof LosslessNumber) return sameDecimal(v.text, String(Number(v.text))) ? Number(v.text) : v.text;
  return stringifyRow(v);
}

/** Do two JSON/JS number texts denote the same decimal value? (`1.50` and `1.5`; not `1e400` and `Infinity`) */
function sameDecimal(a: string, b: string): boolean {
  const canon = (t: string): string | null => {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
    if (!m) return null;
    const digits = m[2]! + (m[3] ?? "");
    let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
    // loops, not /0+$/: that regex is quadratic on a long run of zeros followed by another digit
    let s = 0;
    while (s < digits.length && digits.charCodeAt(s) === 0x30) s++;
    if (s === digits.length) return "0";
    let e = digits.length;
    while (digits.charCodeAt(e - 1) === 0x30) e--;
    exp += digits.length - e;
    return `${m[1]}${digits.slice(s, e)}e${exp}`;
  };
  const x = canon(a);
  return x !== null && x === canon(b);
}

/** Map one source row to its rollouts. Throws MappingError (reason + message) on bad rows. */
export function mapRow(row: unknown, source: SourceConfig): MappedRollout[] {
  if (!isObject(row)) {
    throw new MappingError("input:wrong_type", `row must be a JSON object, found ${describeType(row)}`);
  }
  const f = source.fields;
  const paths: Record<string, ParsedPath> = {};
  for (const key of ["id", "problem", "response", "reference", "finish_reason", "messages", "conversations"] as const) {
    const p = f[key];
    if (p) paths[key] = parsePath(p);
  }
  // how many rollouts: the length of the exploded response (or chat) array
  let count = 1;
  let explodeKey: string | null = null;
  for (const key of ["response", "messages", "conversations"]) {
    const p = paths[key];
    if (p?.exploded) {
      const arr = dig(row, p.head);
      if (arr === MISSING) throw new MappingError("input:missing_field", `missing field "${key}" (path ${f[key as "response"]})`);
      if (!Array.isArray(arr)) throw new MappingError("input:wrong_type", `field "${key}" (path ${f[key as "response"]}) must be an array to explode, found ${describeType(arr)}`);
      if (arr.length === 0) throw new MappingError("input:missing_field", `field "${key}" (path ${f[key as "response"]}) is an empty array: no rollouts`);
      count = arr.length;
      explodeKey = key;
      break;
    }
  }

  const get = (key: string, k: number): unknown => {
    const p = paths[key];
    if (!p) return MISSING;
    if (!p.exploded) return dig(row, p.head);
    const arr = dig(row, p.head);
    if (arr === MISSING) return MISSING;
    if (!Array.isArray(arr)) throw new MappingError("input:wrong_type", `field "${key}" (path ${f[key as "id"]}) must be an array, found ${describeType(arr)}`);
    if (arr.length !== count) {
      throw new MappingError("input:shape_mismatch", `field "${key}" (path ${f[key as "id"]}) has ${arr.length} elements but ${explodeKey ?? "the row"} has ${count} rollouts`);
    }
    return p.tail.length ? dig(arr[k], p.tail) : arr[k];
  };

  const out: MappedRollout[] = [];
  for (let k = 0; k < count; k++) {
    let problem: string | null = null;
    let response: string | null = null;
    for (const [key, roleKey, textKey] of [["messages", "role", "content"], ["conversations", "from", "value"]] as const) {
      if (!paths[key]) continue;
      const v = get(key, k);
      if (v === MISSING) throw new MappingError("input:missing_field", `missing field "${key}" (path ${f[key]})`);
      const t = chatTurns(v, key, f[key]!, roleKey, textKey);
      problem = t.user;
      response = t.assistant;
    }
    if (paths.problem) {
      const v = get("problem", k);
      if (v === MISSING || v === null) throw new MappingError("input:missing_field", `missing field "problem" (path ${f.problem})`);
      problem = asText(v, "problem", f.problem!, false);
    }
    if (paths.response) {
      const v = get("response", k);
      if (v === MISSING || v === null) throw new MappingError("input:missing_field", `missing field "response" (path ${f.response})`);
      response = asText(v, "response", f.response!, false);
    }
    if (problem === null || response === null) {
      throw new MappingError("input:missing_field", `source "${source.name}" maps no problem/response`);
    }
    let reference: string | null = null;
    if (paths.reference) {
      const v = get("reference", k);
      if (v !== MISSING && v !== null) reference = asText(v, "reference", f.reference!, true);
    }
    let finishReason: string | null = null;
    if (paths.finish_reason) {
      const v = get("finish_reason", k);
      if (v !== MISSING && v !== null) finishReason = asText(v, "finish_reason", f.finish_reason!, false);
    }
    let id: string | null = null;
    if (paths.id) {
      const v = get("id", k);
      if (v !== MISSING && v !== null) {
        id = asText(v, "id", f.id!, true);
        if (count > 1 && !paths.id.exploded) id = `${id}#${k}`;
      }
    }
    const meta: Record<string, MetaValue> = {};
    for (const [name, p] of Object.entries(f.meta ?? {})) {
      const pp = parsePath(p);
      let v: unknown;
      if (pp.exploded) {
        const arr = dig(row, pp.head);
        v = Array.isArray(arr) && arr.length === count ? (pp.tail.length ? dig(arr[k], pp.tail) : arr[k]) : MISSING;
      } else v = dig(row, pp.head);
      meta[name] = scalar(v);
    }
    out.push({ id, problem, response, reference, finishReason, meta });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// reading

/** `offset`: byte offset of the row's line in a JSONL stream (absent for Parquet) */
export type SourceItem = { kind: "rollout"; rollout: Rollout; offset?: number } | { kind: "bad"; bad: BadRow; offset?: number };

/** Where to start reading one plain JSONL file: a line start, its row number, rollouts of that line to skip. */
export interface ReadStart {
  byte: number;
  row: number;
  rollout: number;
}

export interface ReadOptions {
  maxRowBytes: number;
  onBytes?: (n: number) => void;
  /** called when a file starts (for progress / logs) */
  onFile?: (f: SourceFile) => void;
  /** plain JSONL, one file: start at this line (see {@link ReadStart}); the source's `limit` is not applied */
  start?: ReadStart;
  /** where remote files are read (default: the environment) */
  remote?: RemoteSettings;
}

export class SourceError extends Error {
  constructor(readonly file: string, readonly row: number | null, readonly reason: string, detail: string) {
    super(`${file}${row === null ? "" : `, row ${row + 1}`}: ${detail}`);
  }
}

async function* rawRows(f: SourceFile, opts: ReadOptions): AsyncGenerator<RawRow> {
  // a local file by its path: the readers open it and word a missing file as they always have
  const bytes = f.remote ? openBytes(f, opts.remote) : f.path;
  if (f.format === "parquet") {
    yield* readParquetRows(bytes, { onBytes: opts.onBytes, maxRowBytes: opts.maxRowBytes });
  } else {
    yield* readJsonl(bytes, { gzip: f.format === "jsonl.gz", maxLineBytes: opts.maxRowBytes, onBytes: opts.onBytes, start: opts.start });
  }
}

function truncateRaw(s: string): string {
  return s.length > 65536 ? s.slice(0, 65536) + `… [${s.length.toLocaleString("en-US")} characters, truncated]` : s;
}

/**
 * One parsed row → its rollouts, or the reason it has none. Never throws: whatever goes wrong with
 * a row (a MappingError, or anything unforeseen) is that row's problem, not the file's.
 */
function mapOne(r: Extract<RawRow, { value: unknown }>, src: SourceConfig): MappedRollout[] | { reason: string; detail: string; raw: string } {
  const raw = () => r.text ?? stringifyRow(r.value);
  // JSONL rows were depth-checked by the parser; Parquet rows (nested types, JSON columns) are here
  if (r.text === undefined && nestedDeeperThan(r.value, MAX_ROW_DEPTH)) {
    return { reason: "input:too_deep", detail: `row is nested more than ${MAX_ROW_DEPTH} levels deep; rows nested deeper are refused`, raw: "" };
  }
  try {
    return mapRow(r.value, src);
  } catch (e) {
    if (e instanceof MappingError) return { reason: e.reason, detail: e.message, raw: raw() };
    return { reason: "input:unmappable", detail: `the row could not be mapped: ${(e as Error)?.message ?? String(e)}`, raw: raw() };
  }
}

/**
 * Read every file of every source in order, yielding rollouts (with global ordinals) and bad rows.
 * With `onError: "fail"` (default) a bad row or file throws a SourceError naming file, row and cause.
 */
export async function* readSources(files: SourceFile[], opts: ReadOptions): AsyncGenerator<SourceItem> {
  if (opts.start && (files.length !== 1 || files[0]!.format !== "jsonl")) throw new Error("readSources: a start position needs one plain JSONL file");
  let skipRollouts = opts.start?.rollout ?? 0;
  let ordinal = 0;
  const perSource = new Map<string, number>();
  for (const f of files) {
    opts.onFile?.(f);
    const src = f.source;
    const quarantine = src.onError === "quarantine";
    const limit = opts.start ? Infinity : (src.limit ?? Infinity);
    let taken = perSource.get(src.name) ?? 0;
    if (taken >= limit) continue;
    let rowsInFile = 0;
    const bad = (row: number | null, reason: string, detail: string, raw: string): SourceItem => {
      if (!quarantine) throw new SourceError(f.rel, row, reason, detail);
      return { kind: "bad", bad: { source: src.name, file: f.rel, row: row ?? -1, reason, detail, raw: truncateRaw(raw) } };
    };
    try {
      for await (const r of rawRows(f, opts)) {
        rowsInFile++;
        if ("error" in r) {
          yield { ...bad(r.row, r.reason, r.error, r.raw), offset: r.offset };
        } else {
          const mapped = mapOne(r, src);
          if (!Array.isArray(mapped)) {
            yield { ...bad(r.row, mapped.reason, mapped.detail, mapped.raw), offset: r.offset };
            continue;
          }
          for (let k = skipRollouts; k < mapped.length; k++) {
            const m = mapped[k]!;
            const id = m.id ?? `${src.name}:${f.rel}:${r.row + 1}${mapped.length > 1 ? `:${k}` : ""}`;
            yield {
              kind: "rollout",
              rollout: {
                id,
                ordinal: ordinal++,
                source: src.name,
                file: f.rel,
                row: r.row,
                rolloutIndex: k,
                problem: m.problem,
                response: m.response,
                reference: m.reference,
                finishReason: m.finishReason,
                meta: m.meta,
              },
              offset: r.offset,
            };
          }
          skipRollouts = 0;
        }
        taken++;
        if (taken >= limit) break;
      }
    } catch (e) {
      if (e instanceof SourceError) throw e;
      // a remote file that changed under the reader, or a server that cannot be reached, is no bad
      // input to quarantine: the run stops (and a rerun resumes)
      if (e instanceof RemoteChangedError) throw new SourceError(f.rel, null, "input:changed", e.detail);
      if (e instanceof HubError) throw new SourceError(f.rel, null, "input:unreachable", e.message);
      yield bad(null, "input:unreadable_file", (e as Error).message, "");
      perSource.set(src.name, taken);
      continue;
    }
    if (rowsInFile === 0) {
      yield bad(null, "input:empty_file", "file holds no rows", "");
    }
    perSource.set(src.name, taken);
  }
}
