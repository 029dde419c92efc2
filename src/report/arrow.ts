/**
 * Apache Arrow tables from shards, for columnar work in notebooks (and Arrow IPC export). Column types
 * follow the Parquet schema: INT32 → Int32, INT64 → Int64 (BigInt values), DOUBLE/FLOAT → Float64,
 * BOOLEAN → Bool, everything else (strings, JSON columns) → Utf8 (JSON re-serialised).
 */
import { Bool, Float64, Int32, Int64, Table, Utf8, tableToIPC, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { parquetSchema } from "hyparquet";
import { openParquet } from "../io/parquet-read.js";
import { openShards, DERIVED_COLUMNS, type ReadOptions } from "./shards.js";

function arrowType(physical: string | undefined, name: string): DataType {
  if (name === "kept") return new Bool();
  switch (physical) {
    case "INT32":
      return new Int32();
    case "INT64":
      return new Int64();
    case "DOUBLE":
    case "FLOAT":
      return new Float64();
    case "BOOLEAN":
      return new Bool();
    default:
      return new Utf8();
  }
}

export interface ArrowOptions {
  /** columns to load (default: every column of the first shard) */
  columns?: string[];
  where?: string;
  sets?: ReadOptions["sets"];
  /** refuse to build tables above this many rows (default 5,000,000): select columns or filter first */
  maxRows?: number;
}

/** Load shards (a file, folder or run folder) as one Arrow Table. */
export async function toArrow(path: string, opts: ArrowOptions = {}): Promise<Table> {
  const rows = openShards(path, { columns: opts.columns, where: opts.where, sets: opts.sets });
  // union of the files' schemas (a run folder's data/ lacks rejected/'s decision columns)
  const types = new Map<string, DataType>();
  const seen: string[] = [];
  for (const f of rows.files) {
    const { metadata } = await openParquet(f.path);
    for (const c of parquetSchema(metadata).children) {
      if (types.has(c.element.name)) continue;
      types.set(c.element.name, arrowType(c.element.type, c.element.name));
      seen.push(c.element.name);
    }
  }
  const names: string[] = opts.columns ?? [...seen, ...DERIVED_COLUMNS];
  const maxRows = opts.maxRows ?? 5_000_000;
  const values: unknown[][] = names.map(() => []);
  let n = 0;
  for await (const row of rows) {
    if (++n > maxRows) throw new Error(`${path}: more than ${maxRows.toLocaleString("en-US")} rows; pass columns / where to toArrow, or raise maxRows`);
    for (let j = 0; j < names.length; j++) {
      const name = names[j]!;
      let v = row[name];
      const t = types.get(name) ?? (name === "kept" ? new Bool() : new Utf8());
      if (v === undefined) v = null;
      else if (t instanceof Utf8 && v !== null && typeof v !== "string") v = JSON.stringify(v);
      else if (t instanceof Int64 && typeof v === "number") v = BigInt(v);
      else if (t instanceof Int64 && typeof v === "string" && /^-?\d{1,20}$/.test(v)) v = BigInt(v);
      values[j]!.push(v);
    }
  }
  const vectors: Record<string, Vector> = {};
  names.forEach((name, j) => {
    const t = types.get(name) ?? (name === "kept" ? new Bool() : new Utf8());
    vectors[name] = vectorFromArray(values[j] as never[], t as never);
  });
  return new Table(vectors);
}

/** Arrow IPC file bytes (the `.arrow` / Feather v2 format) of a table. */
export function arrowIpc(table: Table): Uint8Array {
  return tableToIPC(table, "file");
}
