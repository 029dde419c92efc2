/**
 * Loading benchmark problems: from a local folder (`benchmarksDir` in the mix file, else
 * CURATE_BENCHMARKS_DIR), from a user file, or from the Hugging Face Hub (cached).
 * Benchmark files are small (≤ a few MB), so they are read whole; the streaming readers of src/io/
 * are for training data.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { BenchmarkItem, UserBenchmark } from "./types.js";
import { ID_FIELD_FALLBACKS, PROBLEM_FIELD_FALLBACKS, resolveBenchmarkSpecs, type BenchmarkSpec } from "./registry.js";
import { ensureParquetFiles, HubError, type HubOptions } from "./hub.js";
import { detectFormat, type SourceFile } from "../io/sources.js";
import { FieldPathError, parseFieldPath } from "../io/field-paths.js";
import { readTextRows } from "../io/text-rows.js";

type Row = Record<string, unknown>;

export function readJsonlRows(file: string): Row[] {
  const text = readFileSync(file, "utf8");
  const rows: Row[] = [];
  let line = 0;
  for (const raw of text.split("\n")) {
    line++;
    if (raw.trim() === "") continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new Error(`${file}, line ${line}: not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${file}, line ${line}: expected a JSON object`);
    rows.push(v as Row);
  }
  return rows;
}

export async function readParquetRows(file: string): Promise<Row[]> {
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const [{ parquetReadObjects }, { compressors }] = await Promise.all([import("hyparquet"), import("hyparquet-compressors")]);
  try {
    return (await parquetReadObjects({ file: ab, compressors })) as Row[];
  } catch (e) {
    throw new Error(`${file}: cannot read Parquet (${(e as Error).message})`);
  }
}

function pickField(rows: Row[], wanted: string | null | undefined, fallbacks: string[]): string | null {
  if (rows.length === 0) return wanted ?? null;
  const first = rows[0]!;
  if (wanted && wanted in first) return wanted;
  for (const f of fallbacks) if (f in first) return f;
  return null;
}

/** Turn rows into benchmark problems; errors name the file, the row and the field. */
export function rowsToItems(rows: Row[], benchmark: string, file: string, problemField?: string | null, idField?: string | null, strictProblemField = false): BenchmarkItem[] {
  const pf = strictProblemField ? problemField ?? "problem" : pickField(rows, problemField, PROBLEM_FIELD_FALLBACKS);
  if (!pf) {
    throw new Error(`${file}: no problem field (tried ${[problemField, ...PROBLEM_FIELD_FALLBACKS].filter(Boolean).join(", ")}) in row 1`);
  }
  const idf = idField === null ? null : pickField(rows, idField, ID_FIELD_FALLBACKS);
  return rows.map((r, i) => {
    const p = r[pf];
    if (typeof p !== "string" || p.length === 0) {
      throw new Error(`${file}, row ${i + 1}: field "${pf}" must be a non-empty string, got ${p === undefined ? "nothing" : JSON.stringify(p).slice(0, 40)}`);
    }
    const id = idf !== null && r[idf] !== undefined && r[idf] !== null ? String(r[idf]) : String(i);
    return { benchmark, item: id, problem: p };
  });
}

export async function readBenchmarkFile(file: string, benchmark: string, format?: "jsonl" | "parquet", problemField?: string | null, idField?: string | null, strict = false): Promise<BenchmarkItem[]> {
  if (!existsSync(file)) throw new Error(`benchmark ${benchmark}: file ${file} does not exist`);
  const fmt = format ?? (file.endsWith(".parquet") ? "parquet" : "jsonl");
  const rows = fmt === "parquet" ? await readParquetRows(file) : readJsonlRows(file);
  if (rows.length === 0) throw new Error(`${file}: benchmark ${benchmark} has no rows`);
  return rowsToItems(rows, benchmark, file, problemField, idField, strict);
}

/**
 * A user benchmark file (`{"name", "path", "problemField", "idField"}` in the mix file, `name=path[:field]`
 * on the command line): JSONL, JSONL.gz, a JSON array/object of rows or Parquet, read by the source
 * readers; the fields are field paths (`problem`, `meta.question`); the item id is the id field's
 * value, else that of unique_id, id, idx, … the row has (with or without `idField`, as for the built-in
 * benchmarks: `name=path` on the command line cannot name one), else the row number from 0.
 */
export async function readUserBenchmark(file: string, u: UserBenchmark): Promise<BenchmarkItem[]> {
  if (!existsSync(file)) throw new Error(`benchmark ${u.name}: file ${file} does not exist`);
  const format = u.format ?? detectFormat(file) ?? "jsonl";
  const f: SourceFile = { source: { name: u.name, path: file, fields: { problem: "problem" } }, path: file, rel: file, format, bytes: statSync(file).size };
  const path = (what: string, p: string) => {
    try {
      return parseFieldPath(p);
    } catch (e) {
      throw e instanceof FieldPathError ? new Error(`benchmark ${u.name}: ${what}: ${e.message}`) : e;
    }
  };
  const field = path("problem field", u.problemField ?? "problem");
  // the named id field first, then the usual id names (unique_id, id, idx, …), as for the built-ins;
  // a row with none of them: its row number
  const idFields = [...(u.idField ? [u.idField] : []), ...ID_FIELD_FALLBACKS.filter((f) => f !== u.idField)].map((f) => path("id field", f));
  const items: BenchmarkItem[] = [];
  for await (const r of readTextRows([f], { field, idFields, fieldFlag: `name=path:field (benchmark ${u.name})` })) {
    if (r.text.length === 0) throw new Error(`${file}, row ${r.row + 1}: field "${field.text}" must be a non-empty string, got ""`);
    items.push({ benchmark: u.name, item: r.id !== null ? String(r.id) : String(r.row), problem: r.text });
  }
  if (items.length === 0) throw new Error(`${file}: benchmark ${u.name} has no rows`);
  return items;
}

/** A Hub that cannot be reached: say which benchmark and URL, and how to work offline. */
function offline(e: HubError, b: BenchmarkSpec & { kind: "builtin" }): Error {
  // the HubError's message starts with the URL asked for
  return new Error(
    `benchmark ${b.entry.name}: cannot reach the Hugging Face Hub for ${b.entry.dataset}: ${e.message}. ` +
      `Offline, give a folder of local benchmark files (--benchmarks-dir DIR, benchmarksDir in the mix file or CURATE_BENCHMARKS_DIR; ` +
      `it needs one of ${b.entry.localFiles.join(", ")}) or a file of the benchmark (--benchmarks ${b.entry.name}=path[:field])`,
  );
}

export interface LoadOptions extends HubOptions {
  /** folder the mix file lives in (user benchmark paths resolve against it) */
  baseDir?: string;
  /** local benchmarks folder; default: env CURATE_BENCHMARKS_DIR; none → Hub */
  benchmarksDir?: string;
  /** called with a line of progress text */
  log?: (msg: string) => void;
}

/** Where one benchmark will be read from (for logs and the CLI). */
export function localFileFor(spec: BenchmarkSpec, dir: string): string | null {
  if (spec.kind !== "builtin") return null;
  for (const f of spec.entry.localFiles) {
    const p = join(dir, f);
    if (existsSync(p)) return p;
  }
  return null;
}

export async function loadBenchmarkSpec(spec: BenchmarkSpec, o: LoadOptions = {}): Promise<BenchmarkItem[]> {
  const baseDir = o.baseDir ?? process.cwd();
  if (spec.kind === "file") {
    const u: UserBenchmark = spec.entry;
    return readUserBenchmark(isAbsolute(u.path) ? u.path : resolve(baseDir, u.path), u);
  }
  const b = spec.entry;
  // benchmarksDir (mix file) resolves against the mix file's folder; the environment variable against the working directory
  const dir = o.benchmarksDir ? resolve(baseDir, o.benchmarksDir) : process.env.CURATE_BENCHMARKS_DIR ? resolve(process.env.CURATE_BENCHMARKS_DIR) : null;
  if (dir) {
    const file = localFileFor(spec, dir);
    if (!file) throw new Error(`benchmark ${b.name}: none of ${b.localFiles.join(", ")} in benchmarks folder ${dir}`);
    o.log?.(`benchmark ${b.name}: ${file}`);
    return readBenchmarkFile(file, b.name, undefined, null, undefined);
  }
  let files: string[];
  try {
    files = await ensureParquetFiles(b.dataset, b.config, b.split, o);
  } catch (e) {
    throw e instanceof HubError && e.unreachable ? offline(e, spec) : e;
  }
  o.log?.(`benchmark ${b.name}: ${b.dataset} (${b.config}/${b.split}), ${files.length} Parquet file(s)`);
  const items: BenchmarkItem[] = [];
  for (const f of files) {
    const rows = await readParquetRows(f);
    const part = rowsToItems(rows, b.name, `${b.dataset} ${f}`, b.problemField, b.idField);
    if (b.idField === null) for (const it of part) it.item = String(items.length + Number(it.item));
    items.push(...part);
  }
  return items;
}

/** Load every configured benchmark (default set when `list` is undefined). */
export async function loadBenchmarks(list: (string | UserBenchmark)[] | undefined, o: LoadOptions = {}): Promise<BenchmarkItem[]> {
  const out: BenchmarkItem[] = [];
  for (const spec of resolveBenchmarkSpecs(list)) out.push(...(await loadBenchmarkSpec(spec, o)));
  return out;
}
