/**
 * Opening shards for people: a single Parquet file, a folder of them, or a run folder (whose final
 * rows are data/ + rejected/ — every input row exactly once, kept or dropped). Rows stream row group by
 * row group; JSON columns (meta, annotations) are parsed; BigInts become numbers. Two derived columns
 * make filtering easy: `kept` (the row is in the final data) and `shard` (the file it came from).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { openParquet, toPlain } from "../io/parquet-read.js";
import { compileWhere, type CompiledWhere } from "./where-eval.js";
import { fmix32u, fnv1a, fnvStart } from "../text/hash.js";

export type Row = Record<string, unknown>;

export interface ShardFile {
  path: string;
  /** data | rejected | annotated | other (a plain file or folder) */
  set: "data" | "rejected" | "annotated" | "other";
}

export const JSON_COLUMNS = new Set(["meta", "annotations"]);
export const DERIVED_COLUMNS = ["kept", "shard"];

export class ShardPathError extends Error {}

function parquetFilesIn(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name.endsWith(".parquet")) out.push(p);
    else if (recursive && e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") out.push(...parquetFilesIn(p, true));
  }
  return out.sort();
}

export function isRunFolder(path: string): boolean {
  return existsSync(join(path, "manifest.json")) && (existsSync(join(path, "data")) || existsSync(join(path, "rejected")));
}

/**
 * Resolve a shard, folder or run folder to its Parquet files. For a run folder, `sets` chooses which
 * of data / rejected / annotated to read (default data + rejected: every row once).
 */
export function resolveShards(pathOrFolder: string, sets: ShardFile["set"][] = ["data", "rejected"]): ShardFile[] {
  const p = resolve(pathOrFolder);
  if (!existsSync(p)) throw new ShardPathError(`${pathOrFolder}: no such file or folder (expected a .parquet shard, a folder of shards or a run folder)`);
  const st = statSync(p);
  if (st.isFile()) {
    const parent = basename(resolve(p, ".."));
    const set = parent === "data" || parent === "rejected" || parent === "annotated" ? parent : "other";
    return [{ path: p, set }];
  }
  if (isRunFolder(p)) {
    const out: ShardFile[] = [];
    for (const s of sets) {
      if (s === "other") continue;
      const dir = join(p, s);
      if (existsSync(dir)) for (const f of parquetFilesIn(dir, false)) out.push({ path: f, set: s });
    }
    return out;
  }
  const base = basename(p);
  const set: ShardFile["set"] = base === "data" || base === "rejected" || base === "annotated" ? base : "other";
  let files = parquetFilesIn(p, false);
  if (files.length === 0) files = parquetFilesIn(p, true);
  if (files.length === 0) throw new ShardPathError(`${pathOrFolder}: folder holds no .parquet files`);
  return files.map((f) => ({ path: f, set }));
}

export async function shardColumns(path: string): Promise<{ name: string; type: string }[]> {
  const { metadata } = await openParquet(path);
  const schema = parquetSchema(metadata);
  return schema.children.map((c) => {
    const el = c.element;
    const logical = el.logical_type?.type ?? el.converted_type;
    return { name: el.name, type: c.children.length ? "GROUP" : logical ? `${el.type ?? ""}/${logical}` : String(el.type ?? "") };
  });
}

export function plainRow(raw: Record<string, unknown>, file: ShardFile, root: string, columns: Set<string> | null, shardName?: string): Row {
  const row: Row = {};
  for (const k in raw) {
    let v = raw[k];
    if (typeof v === "bigint" || v instanceof Uint8Array || v instanceof Date) v = toPlain(v);
    else if (v !== null && typeof v === "object") {
      // JSON columns arrive parsed by hyparquet (plain JSON values already); lists / structs may hold BigInts
      if (!JSON_COLUMNS.has(k)) v = toPlain(v);
    } else if (typeof v === "string" && JSON_COLUMNS.has(k)) {
      try {
        v = JSON.parse(v);
      } catch {
        /* keep the text */
      }
    }
    row[k] = v === undefined ? null : v;
  }
  if (!columns || columns.has("kept")) {
    row.kept = file.set === "data" ? true : file.set === "rejected" ? false : "stage" in raw ? !raw.stage : null;
  }
  if (!columns || columns.has("shard")) row.shard = shardName ?? (relative(root, file.path) || basename(file.path));
  return row;
}

export interface ReadOptions {
  /** read only these columns (derived `kept` / `shard` always available); missing ones are skipped */
  columns?: string[];
  /** filter expression (see where.ts) or a compiled one */
  where?: string | CompiledWhere;
  /** for run folders: which sets (default data + rejected) */
  sets?: ShardFile["set"][];
  /** add `_file` (index into `files`) and `_row` (0-based row in that file) to each row, for `readRowsAt` */
  position?: boolean;
}

/** Async iterable of plain row objects over one shard, a folder or a run folder. */
export class ShardRows implements AsyncIterable<Row> {
  readonly files: ShardFile[];
  private readonly root: string;
  constructor(
    readonly path: string,
    private readonly opts: ReadOptions = {},
  ) {
    this.files = resolveShards(path, opts.sets);
    const p = resolve(path);
    this.root = statSync(p).isFile() ? resolve(p, "..") : p;
  }

  /** A new iterable that also keeps only rows matching `expr` (ANDed with any earlier filter). */
  where(expr: string): ShardRows {
    const prev = this.opts.where;
    const combined = prev === undefined ? expr : `(${typeof prev === "string" ? prev : prev.source}) and (${expr})`;
    return new ShardRows(this.path, { ...this.opts, where: combined });
  }

  /** Only these columns (plus what the filter needs). */
  select(columns: string[]): ShardRows {
    return new ShardRows(this.path, { ...this.opts, columns });
  }

  /** Union of the column names of every file, in first-seen order. */
  async allColumns(): Promise<string[]> {
    const seen = new Set<string>();
    for (const f of this.files) {
      const { metadata } = await openParquet(f.path).catch((e: Error) => {
        throw new Error(`${f.path}: ${e.message}`);
      });
      for (const c of parquetSchema(metadata).children) seen.add(c.element.name);
    }
    return [...seen];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Row> {
    const where = this.opts.where;
    const position = this.opts.position === true;
    let compiled: CompiledWhere | undefined;
    for (let fi = 0; fi < this.files.length; fi++) {
      const file = this.files[fi]!;
      const { file: buf, metadata } = await openParquet(file.path).catch((e: Error) => {
        throw new Error(`${file.path}: ${e.message}`);
      });
      const schemaCols = parquetSchema(metadata).children.map((c) => c.element.name);
      // one filter for all files, checked against the union of their columns (data/ lacks rejected/'s
      // stage and reason; a column a file lacks reads as null there)
      if (where !== undefined && compiled === undefined) compiled = typeof where === "string" ? compileWhere(where, [...(await this.allColumns()), ...DERIVED_COLUMNS]) : where;
      let readCols: string[] | undefined;
      let wanted: Set<string> | null = null;
      if (this.opts.columns) {
        wanted = new Set(this.opts.columns);
        const need = new Set(this.opts.columns);
        if (compiled) for (const c of compiled.columns) need.add(c);
        if (need.has("kept")) need.add("stage");
        readCols = schemaCols.filter((c) => need.has(c));
        if (readCols.length === 0) readCols = [schemaCols[0]!];
      }
      const shardName = relative(this.root, file.path) || basename(file.path);
      // trim to the wanted columns only when the filter made us read extra ones
      const derivedFor = wanted && compiled ? new Set([...wanted, ...compiled.columns]) : wanted;
      const needCopy = wanted !== null && [...(readCols ?? schemaCols), ...(compiled?.columns ?? [])].some((c) => !wanted!.has(c));
      let rowStart = 0;
      for (let g = 0; g < metadata.row_groups.length; g++) {
        const n = Number(metadata.row_groups[g]!.num_rows);
        const rowEnd = rowStart + n;
        let rows: Record<string, unknown>[];
        try {
          rows = (await parquetReadObjects({ file: buf, metadata, rowStart, rowEnd, compressors, columns: readCols })) as Record<string, unknown>[];
        } catch (e) {
          throw new Error(`${file.path}: cannot decode row group ${g} (rows ${rowStart + 1}–${rowEnd}): ${(e as Error).message}`);
        }
        for (let ri = 0; ri < rows.length; ri++) {
          const raw = rows[ri]!;
          const row = plainRow(raw, file, this.root, derivedFor, shardName);
          if (position) {
            row._file = fi;
            row._row = rowStart + ri;
          }
          if (compiled && !compiled.test(row)) continue;
          if (wanted && needCopy) {
            const out: Row = {};
            for (const k of Object.keys(row)) if (wanted.has(k) || (position && (k === "_file" || k === "_row"))) out[k] = row[k];
            yield out;
          } else yield row;
        }
        rowStart = rowEnd;
      }
    }
  }
}

/**
 * Read chosen rows back (e.g. the heavy text columns of a sample picked from light columns): each
 * position decodes only the pages holding that one row. Returns rows in the order of `positions`.
 */
export async function readRowsAt(files: ShardFile[], positions: { file: number; row: number }[], columns?: string[]): Promise<Row[]> {
  const opened = new Map<number, Awaited<ReturnType<typeof openParquet>> & { names: Set<string> }>();
  const out: Row[] = [];
  for (const pos of positions) {
    const f = files[pos.file];
    if (!f) throw new Error(`readRowsAt: no file #${pos.file}`);
    let o = opened.get(pos.file);
    if (!o) {
      const p = await openParquet(f.path);
      o = { ...p, names: new Set(parquetSchema(p.metadata).children.map((c) => c.element.name)) };
      opened.set(pos.file, o);
    }
    const cols = columns?.filter((c) => o!.names.has(c));
    if (cols && cols.length === 0) {
      out.push({});
      continue;
    }
    const [raw] = (await parquetReadObjects({ file: o.file, metadata: o.metadata, rowStart: pos.row, rowEnd: pos.row + 1, columns: cols, compressors })) as Record<string, unknown>[];
    if (!raw) throw new Error(`${f.path}: no row ${pos.row}`);
    const row = plainRow(raw, f, "", new Set());
    out.push(row);
  }
  return out;
}

/** `openShards("runs/qs")` → async iterable of row objects; `.where('verdict = "incorrect"')` filters. */
export function openShards(pathOrFolder: string, opts: ReadOptions = {}): ShardRows {
  return new ShardRows(pathOrFolder, opts);
}

/** Read a run folder's manifest.json (null when the folder is not a finished run). */
export function readManifest(runDir: string): Record<string, any> | null {
  const p = join(resolve(runDir), "manifest.json");
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8"));
  } catch (e) {
    throw new Error(`${p}: not valid JSON: ${(e as Error).message}`);
  }
}

/** One row of a run's signal table (`manifest.signals`, written by src/run/manifest.ts). */
export interface SignalRow {
  signal: string;
  stage: string;
  rows: number;
  kept: number;
  droppedAs: number;
}

/**
 * The signal table of a run folder (`manifest.signals`), or null when `path` is not a run folder or
 * its manifest predates the table. A malformed entry is an error naming the manifest and the entry.
 */
export function runSignals(path: string): SignalRow[] | null {
  if (!isRunFolder(path)) return null;
  const m = readManifest(path);
  if (!m || m.signals === undefined) return null;
  const where = join(resolve(path), "manifest.json");
  if (!Array.isArray(m.signals)) throw new Error(`${where}: signals: expected an array`);
  return m.signals.map((e: unknown, i: number) => {
    const r = e as Record<string, unknown>;
    const ok =
      r !== null && typeof r === "object" && typeof r.signal === "string" && typeof r.stage === "string" &&
      [r.rows, r.kept, r.droppedAs].every((n) => Number.isInteger(n) && (n as number) >= 0);
    if (!ok) throw new Error(`${where}: signals[${i}]: expected {signal, stage, rows, kept, droppedAs} with counts ≥ 0`);
    return { signal: r.signal, stage: r.stage, rows: r.rows, kept: r.kept, droppedAs: r.droppedAs } as SignalRow;
  });
}

// ------------------------------------------------------------------ seeded, stable sampling

/** 32-bit FNV-1a of a string mixed with a seed, finalised with murmur3's fmix32. */
function hash32(s: string, seed: number): number {
  return fmix32u(fnv1a(s, fnvStart(seed | 0)));
}

/** Seeded hash of a row id in [0, 1): a row's sampling priority. Same id + seed → same value, everywhere. */
export function idPriority(id: string, seed: number): number {
  const hi = hash32(id, seed) >>> 11; // 21 bits
  const lo = hash32(id, seed ^ 0x5bd1e995); // 32 bits
  return (hi * 4294967296 + lo) / 9007199254740992;
}

/**
 * Bottom-k sampler: keeps the k items with the smallest seeded hash of their id. The result depends
 * only on the set of ids and the seed — not on the order rows arrive in, nor on sharding — so a sample
 * is stable across re-runs and machines. O(log k) per offered row once full.
 */
export class BottomK<T> {
  private heap: { p: number; id: string; item: T }[] = [];
  constructor(
    readonly k: number,
    readonly seed: number,
  ) {}
  /** Would a row with this id enter the sample? (cheap pre-check before building the item) */
  accepts(id: string): number | null {
    if (this.k <= 0) return null;
    const p = idPriority(id, this.seed);
    if (this.heap.length < this.k) return p;
    const top = this.heap[0]!;
    return p < top.p || (p === top.p && id < top.id) ? p : null;
  }
  offer(id: string, make: () => T): void {
    const p = this.accepts(id);
    if (p === null) return;
    const e = { p, id, item: make() };
    const h = this.heap;
    const greater = (a: typeof e, b: typeof e) => a.p > b.p || (a.p === b.p && a.id > b.id);
    if (h.length < this.k) {
      h.push(e);
      let i = h.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!greater(h[i]!, h[parent]!)) break;
        [h[i], h[parent]] = [h[parent]!, h[i]!];
        i = parent;
      }
      return;
    }
    h[0] = e;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && greater(h[l]!, h[m]!)) m = l;
      if (r < h.length && greater(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  get size(): number {
    return this.heap.length;
  }
  /** Items in ascending priority (a stable order). */
  items(): T[] {
    return [...this.heap].sort((a, b) => a.p - b.p || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => e.item);
  }
}
