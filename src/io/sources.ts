/**
 * Sources: expand globs, read JSONL / JSONL.gz / JSON (an array or an object of rows) / Parquet
 * rows, and map each row to one or more rollouts through the source's field mapping
 * (field-map.ts; its paths: field-paths.ts).
 */
import { statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { glob } from "tinyglobby";
import type { SourceConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import { readJsonl, type JsonlOptions, type RawRow } from "./jsonl.js";
import { holdsJsonLines, readJsonFile } from "./json-file.js";
import { MAX_ROW_DEPTH, nestedDeeperThan, stringifyRow } from "./json-row.js";
import { mapRow, MappingError, type MappedRollout } from "./field-map.js";
import { HubError, type HubSettings } from "./http.js";
import { RemoteChangedError, openBytes, type RemoteFile } from "./remote-bytes.js";
import { isRemotePath, listRemoteSource } from "./remote-list.js";
import type { UnitRange } from "./units.js";

/** Where remote files are listed and read (default: HF_ENDPOINT, HF_TOKEN, CURATE_HUB_* limits). */
export type RemoteSettings = HubSettings;

export { cleanText, mapRow, type MappedRollout } from "./field-map.js";

export type SourceFormat = "jsonl" | "jsonl.gz" | "json" | "parquet";

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
  /** the piece of the file one unit reads (a large file is cut into several units: units.ts) */
  range?: UnitRange;
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
  if (p.endsWith(".json")) return "json";
  if (p.endsWith(".jsonl") || p.endsWith(".ndjson")) return "jsonl";
  return null;
}

/**
 * Resolve a source's path patterns (local paths and globs, hf://datasets/… paths and globs, https://
 * URLs) to a sorted, de-duplicated file list. Throws when nothing matches. A local file reached by two
 * paths (a linked folder, a hard link) is read once, under the path that sorts first; `onNote` is told.
 */
export async function resolveSourceFiles(source: SourceConfig, baseDir: string, remote: RemoteSettings = {}, onNote?: (note: string) => void): Promise<SourceFile[]> {
  const patterns = Array.isArray(source.path) ? source.path : [source.path];
  const seen = new Set<string>();
  /** device:inode → the path it was first read under */
  const physical = new Map<string, string>();
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
        throw new Error(`source "${source.name}": cannot tell the format of ${m} from its extension; set "format" to jsonl, jsonl.gz, json or parquet`);
      }
      const st = statSync(m);
      const rel = relative(baseDir, m) || m;
      if (!st.isFile()) throw new Error(`source "${source.name}": ${rel} is ${kindOf(st)}, not a regular file: curate reads an input by its size, and a run reads it twice (annotate, then write); save it to a file first`);
      const first = physical.get(`${st.dev}:${st.ino}`);
      if (first !== undefined) {
        onNote?.(`source "${source.name}": ${rel} is the same file as ${first} (reached through a link): read once`);
        continue;
      }
      physical.set(`${st.dev}:${st.ino}`, rel);
      out.push({ source, path: m, rel, format, bytes: st.size });
    }
  }
  return out;
}

/** what a path that is not a regular file is, for people */
function kindOf(st: import("node:fs").Stats): string {
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a folder";
  return "not a file";
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
  /** a file with a byte range: called when it is read, with the lines it went through (blank ones too) */
  onLines?: (n: number) => void;
}

export class SourceError extends Error {
  constructor(readonly file: string, readonly row: number | null, readonly reason: string, detail: string) {
    super(`${file}${row === null ? "" : `, row ${row + 1}`}: ${detail}`);
  }
}

/** A `.json` file holding JSON Lines (read as such), told from one holding an array or object of rows. */
export async function isJsonLines(f: SourceFile, opts: ReadOptions): Promise<boolean> {
  if (!f.remote) return holdsJsonLines(f.path, opts.maxRowBytes);
  const bytes = openBytes(f, opts.remote);
  try {
    return await holdsJsonLines(bytes, opts.maxRowBytes);
  } finally {
    await bytes.close();
  }
}

/**
 * One file's rows, parsed but not mapped (readSources maps them; `curate decontaminate` and `curate
 * dedupe` take one field of each). `elements`: a JSON file holding one array or object of rows (not
 * JSON Lines; see isJsonLines).
 */
export async function* rawRows(f: SourceFile, opts: ReadOptions, elements: boolean): AsyncGenerator<RawRow> {
  // a local file by its path: the readers open it and word a missing file as they always have
  const bytes = f.remote ? openBytes(f, opts.remote) : f.path;
  const range = f.range;
  if (f.format === "parquet") {
    const rowGroups = range?.kind === "rowGroups" ? range : undefined;
    // loaded on first use: a JSON-only command skips the Parquet modules' start-up (0.15 CPU-s)
    const { readParquetRows } = await import("./parquet-read.js");
    yield* readParquetRows(bytes, { onBytes: opts.onBytes, maxRowBytes: opts.maxRowBytes, rowGroups });
  } else if (elements) {
    yield* readJsonFile(bytes, { maxRowBytes: opts.maxRowBytes, onBytes: opts.onBytes });
  } else {
    // a `.json` file holding JSON Lines is read as such (files named .json were read as JSONL before
    // format "json" existed); unless "json" was asked for by name
    if (f.format === "json" && f.source.format === "json") {
      throw new Error(`the file holds one JSON value per line (JSON Lines), not one JSON array or object of rows; set "format": "jsonl"`);
    }
    yield* readJsonl(bytes, { gzip: f.format === "jsonl.gz", maxLineBytes: opts.maxRowBytes, onBytes: opts.onBytes, ...jsonlRange(f, opts) });
  }
}

/** Where a plain JSONL read starts and ends: at a recorded line (opts.start), else at the unit's cut. */
function jsonlRange(f: SourceFile, opts: ReadOptions): Pick<JsonlOptions, "start" | "align" | "end" | "onLines"> {
  const range = f.range?.kind === "bytes" ? f.range : undefined;
  if (!range) return { start: opts.start };
  if (opts.start) return { start: opts.start, end: range.to };
  if (range.rowBase === undefined) throw new Error(`internal: ${f.rel} bytes ${range.from}–${range.to} read before the row of its first line was counted`);
  return { start: { byte: range.from, row: range.rowBase }, align: true, end: range.to, onLines: opts.onLines };
}

/** `$[3]` or `$["key"]`: where a row of a JSON array/object file is, for its messages. */
export function jsonPlace(r: RawRow): string {
  if (r.key === undefined) return `$[${r.row}]`;
  const k = JSON.stringify(r.key);
  return `$[${k.length > 80 ? k.slice(0, 76) + '…"' : k}] (member ${r.row})`;
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
  // JSON rows were depth-checked by the parser; Parquet rows (nested types, JSON columns) are here
  if (r.text === undefined && nestedDeeperThan(r.value, MAX_ROW_DEPTH)) {
    return { reason: "input:too_deep", detail: `row is nested more than ${MAX_ROW_DEPTH} levels deep; rows nested deeper are refused`, raw: "" };
  }
  try {
    return mapRow(r.value, src, r.key);
  } catch (e) {
    if (e instanceof MappingError) {
      // a one-row JSONL file named .json reads as an object of rows: say so where it shows
      const hint = r.key !== undefined && e.reason === "input:wrong_type" && e.message.startsWith("row must be") ? ` (a JSON object file is read as one row per member; one row per line is format "jsonl")` : "";
      return { reason: e.reason, detail: e.message + hint, raw: raw() };
    }
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
    let elements = false;
    const bad = (row: number | null, reason: string, detail: string, raw: string): SourceItem => {
      if (!quarantine) throw new SourceError(f.rel, row, reason, detail);
      return { kind: "bad", bad: { source: src.name, file: f.rel, row: row ?? -1, reason, detail, raw: truncateRaw(raw) } };
    };
    try {
      elements = f.format === "json" && !(await isJsonLines(f, opts));
      for await (const r of rawRows(f, opts, elements)) {
        rowsInFile++;
        // a JSON file's rows are named by their place in it as well: $[3], $["key"] (member 3)
        const at = elements ? `${jsonPlace(r)}: ` : "";
        if ("error" in r) {
          yield { ...bad(r.row, r.reason, at + r.error, r.raw), offset: r.offset };
        } else {
          const mapped = mapOne(r, src);
          if (!Array.isArray(mapped)) {
            yield { ...bad(r.row, mapped.reason, at + mapped.detail, mapped.raw), offset: r.offset };
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
    // a piece of a file may hold no row (a line longer than the piece began before it)
    if (rowsInFile === 0 && !f.range) {
      yield bad(null, "input:empty_file", "file holds no rows", "");
    }
    perSource.set(src.name, taken);
  }
}
