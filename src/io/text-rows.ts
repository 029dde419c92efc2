/**
 * One text per row, for the standalone commands (`curate decontaminate`, `curate dedupe`): the
 * inputs are named as a source's `path` is (local files, globs, folders, hf://datasets/… and https://
 * paths; JSONL, JSONL.gz, JSON array/object files, Parquet) and read by the source readers
 * (sources.ts rawRows), and the text is taken at a field path as a source's `fields` are written
 * (`problem`, `meta.question`, `messages[0].content`, `$key`; field-paths.ts). A bad row or file is
 * an InputError naming file, row and cause: these commands have no quarantine.
 */
import { relative, resolve } from "node:path";
import type { SourceConfig } from "../config/types.js";
import { InputError, UsageError } from "../errors.js";
import { HubError } from "./http.js";
import { LosslessNumber } from "./json-row.js";
import { FieldPathError, parseFieldPath, type FieldPath } from "./field-paths.js";
import { MISSING, dig } from "./field-map.js";
import { isJsonLines, jsonPlace, rawRows, resolveSourceFiles, type ReadOptions, type RemoteSettings, type SourceFile } from "./sources.js";
import { RemoteChangedError } from "./remote-bytes.js";

/** Id fields tried in order when no `--id-field` is given (those `curate decontaminate` always read). */
export const DEFAULT_ID_FIELDS = ["id", "unique_id", "uid", "idx"];

/** A row longer than this is an error row (as in a run). */
export const TEXT_ROW_MAX_BYTES = 16 * 1024 * 1024;

export interface TextRow {
  /** the file as named in messages and default ids */
  file: string;
  /** the row in the file, from 0 (JSONL: the line, blank lines counted; JSON: the element; Parquet: the row) */
  row: number;
  text: string;
  /** the second field's text (`--response-field`), null when not asked for or not a string */
  extra: string | null;
  /** the row's own id (a number as a number when exact, else its source text), null when it has none */
  id: string | number | null;
}

export interface TextRowOptions {
  /** where the text is (a field path) */
  field: FieldPath;
  /** an optional second text */
  extraField?: FieldPath;
  /** where the id is; default: the first of DEFAULT_ID_FIELDS the row has */
  idFields: FieldPath[];
  /** the flag that names the field, for messages (`--field`) */
  fieldFlag: string;
  remote?: RemoteSettings;
}

/** Parse a command-line field path: one value per row, so no `[]` or `{}`. */
export function fieldPathArg(flag: string, text: string): FieldPath {
  let p: FieldPath;
  try {
    p = parseFieldPath(text);
  } catch (e) {
    if (e instanceof FieldPathError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
  if (p.explode) throw new UsageError(`${flag}: ${JSON.stringify(text)} takes one value per row; "[]" and "{}" (one per element) are for a mix file's fields`);
  return p;
}

/** The id paths of `--id-field` (or the default list). */
export function idPathsArg(idField: string | undefined): FieldPath[] {
  return idField === undefined ? DEFAULT_ID_FIELDS.map((f) => parseFieldPath(f)) : [fieldPathArg("--id-field", idField)];
}

/** A plain top-level key (`problem`): what the JSONL fast path of `curate decontaminate` reads. */
export function isPlainKey(text: string): boolean {
  return text.length > 0 && text !== "$key" && !/[.[\]{}]/.test(text);
}

/**
 * The files the command arguments name, in order (each argument's matches sorted), as a source's
 * `path` list resolves; a local file is named as written (a glob's matches relative to the working
 * directory). Nothing found, an unknown extension or an unreachable server is a UsageError.
 */
export async function resolveInputFiles(paths: string[], remote: RemoteSettings = {}, onNote?: (note: string) => void): Promise<SourceFile[]> {
  const cwd = process.cwd();
  const source: SourceConfig = { name: "input", path: paths, fields: { problem: "problem" } };
  let files: SourceFile[];
  try {
    files = await resolveSourceFiles(source, cwd, remote, onNote && ((n) => onNote(n.replace(/^source "input": /, ""))));
  } catch (e) {
    const msg = (e as Error).message.replace(/^source "input": /, "").replace(/; set "format" to .*$/, "; expected .jsonl, .jsonl.gz, .json or .parquet");
    throw new UsageError(msg);
  }
  for (const f of files) {
    if (f.remote) continue;
    const asWritten = paths.find((p) => resolve(cwd, p) === f.path);
    f.rel = asWritten ?? (f.rel.startsWith("..") ? f.path : f.rel || relative(cwd, f.path));
  }
  return files;
}

function describe(v: unknown): string {
  if (v === MISSING || v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof LosslessNumber) return "a number";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function valueAt(r: { value: unknown; key?: string }, p: FieldPath): unknown {
  if (p.memberKey) return r.key ?? MISSING;
  return dig(r.value, p.head);
}

/** The row's id: a string, or a number kept exact (a number that a double cannot hold is its source text). */
function idOf(r: { value: unknown; key?: string }, paths: FieldPath[]): string | number | null {
  for (const p of paths) {
    const v = valueAt(r, p);
    if (typeof v === "string" || typeof v === "number") return v;
    if (v instanceof LosslessNumber) return v.text;
    if (typeof v === "bigint") return String(v);
  }
  return null;
}

/**
 * The rows of `files`, in order, each with its text; the first bad row or file throws an InputError
 * naming the file, the row (and for a JSON file, its place: `$[3]`) and the cause.
 */
export async function* readTextRows(files: SourceFile[], o: TextRowOptions): AsyncGenerator<TextRow> {
  const read: ReadOptions = { maxRowBytes: TEXT_ROW_MAX_BYTES, remote: o.remote };
  for (const f of files) {
    let elements = false;
    const rows = (async function* () {
      elements = f.format === "json" && !(await isJsonLines(f, read));
      yield* rawRows(f, read, elements);
    })();
    try {
      for await (const r of rows) {
        const at = elements ? `${jsonPlace(r)}: ` : "";
        if ("error" in r) throw new InputError(f.rel, r.row, at + r.error);
        const text = valueAt(r, o.field);
        if (typeof text !== "string") {
          throw new InputError(f.rel, r.row, `${at}field "${o.field.text}" must be a string, found ${describe(text)} (choose the field with ${o.fieldFlag})`);
        }
        const extra = o.extraField ? valueAt(r, o.extraField) : null;
        yield { file: f.rel, row: r.row, text, extra: typeof extra === "string" ? extra : null, id: idOf(r, o.idFields) };
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      if (e instanceof RemoteChangedError) throw new InputError(f.rel, null, e.detail);
      if (e instanceof HubError) throw new InputError(f.rel, null, e.message);
      throw new InputError(f.rel, null, (e as Error).message);
    }
  }
}
