/**
 * Parquet shards for the data products. Same behaviour as src/io/parquet-write.ts ShardSet
 * (streaming row groups, sha-256 while writing, temp file renamed into place on close, roll-over by
 * rows or text bytes: the cuts are planned in build.ts), plus the nested column types trainers read: `messages` as
 * list<struct<role, content>> (TRL's conversational layout), token ids as list<int32> and id lists
 * as list<string>. The flat ShardSet builds its schema privately, so nested columns live here; when
 * parquet-write.ts learns nested types this file can shrink to a wrapper.
 */
import { AtomicParquetFile } from "../io/parquet-write.js";

export type MixColumnType = "STRING" | "INT32" | "INT64" | "DOUBLE" | "BOOLEAN" | "MESSAGES" | "INT32_LIST" | "STRING_LIST";

export interface MixColumn {
  name: string;
  type: MixColumnType;
  /** default true */
  nullable?: boolean;
  /** long text (a packed sequence's text): PLAIN encoding, no min/max statistics */
  longText?: boolean;
}

export interface Message {
  role: string;
  content: string;
}

export type Codec = "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED";

export interface ShardOptions {
  codec: Codec;
  rowGroupRows: number;
  shardRows: number;
  shardBytes: number;
}

type SchemaElement = Record<string, unknown>;

function schemaFor(columns: MixColumn[]): SchemaElement[] {
  const s: SchemaElement[] = [{ name: "root", num_children: columns.length }];
  for (const c of columns) {
    const rep = c.nullable === false ? "REQUIRED" : "OPTIONAL";
    switch (c.type) {
      case "STRING":
        s.push({ name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: rep });
        break;
      case "INT32":
      case "INT64":
      case "DOUBLE":
      case "BOOLEAN":
        s.push({ name: c.name, type: c.type, repetition_type: rep });
        break;
      case "MESSAGES":
        s.push(
          { name: c.name, repetition_type: rep, converted_type: "LIST", num_children: 1 },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          { name: "element", repetition_type: "REQUIRED", num_children: 2 },
          { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
          { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        );
        break;
      case "INT32_LIST":
      case "STRING_LIST":
        s.push(
          { name: c.name, repetition_type: rep, converted_type: "LIST", num_children: 1 },
          { name: "list", repetition_type: "REPEATED", num_children: 1 },
          c.type === "INT32_LIST"
            ? { name: "element", type: "INT32", repetition_type: "REQUIRED" }
            : { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        );
        break;
    }
  }
  return s;
}

export interface ClosedMixShard {
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export type MixValue = string | number | boolean | null | undefined | Message[] | number[] | string[] | Int32Array;

/**
 * Text size of one row as shards count it for roll-over: string values by length (UTF-16 units),
 * messages by their contents, int32 lists at 4 bytes per value; numbers and id lists count nothing.
 */
export function rowTextBytes(columns: MixColumn[], values: MixValue[]): number {
  let n = 0;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    const v = values[i];
    if (typeof v === "string") n += v.length;
    else if (c.type === "MESSAGES" && Array.isArray(v)) for (const m of v as Message[]) n += m.content.length;
    else if (c.type === "INT32_LIST" && (Array.isArray(v) || v instanceof Int32Array)) n += v.length * 4;
  }
  return n;
}

/** One output shard: streaming row groups, hashed while written, temp file renamed into place on close. */
export class ShardWriter {
  private file: AtomicParquetFile;
  private buffered: unknown[][];
  private bufferedRows = 0;
  rows = 0;
  textBytes = 0;
  tokens = 0;

  constructor(readonly path: string, private columns: MixColumn[], private rowGroupRows: number, codec: Codec, kv: Record<string, string>) {
    this.file = new AtomicParquetFile(path, schemaFor(columns), { codec, kv, lists: true });
    this.buffered = columns.map(() => []);
  }

  append(values: MixValue[], tokens: number): void {
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i]!;
      let v: unknown = values[i];
      if (v === undefined) v = null;
      if (v === null && c.nullable === false) throw new Error(`${this.path}: column ${c.name} must not be null (row ${this.rows})`);
      if (c.type === "INT64" && typeof v === "number") v = BigInt(v);
      else if (c.type === "INT32_LIST" && v instanceof Int32Array) v = Array.from(v);
      this.buffered[i]!.push(v);
    }
    this.textBytes += rowTextBytes(this.columns, values);
    this.bufferedRows++;
    this.rows++;
    this.tokens += tokens;
    if (this.bufferedRows >= this.rowGroupRows) this.flushGroup();
  }

  private flushGroup(): void {
    if (this.bufferedRows === 0) return;
    // min/max statistics of texts, messages and id lists help no reader and cost a comparison per value
    const columnData = this.columns.map((c, i) => ({
      name: c.name,
      data: this.buffered[i]! as never[],
      nullable: c.nullable !== false,
      ...(c.longText ? { encoding: "PLAIN" as const, statistics: false } : c.type === "MESSAGES" || c.type.endsWith("_LIST") ? { statistics: false } : {}),
    }));
    this.file.parquet.write({ columnData, rowGroupSize: this.bufferedRows });
    this.buffered = this.columns.map(() => []);
    this.bufferedRows = 0;
  }

  close(): ClosedMixShard {
    const { bytes, sha256 } = this.file.close(() => this.flushGroup());
    return { path: this.path, rows: this.rows, tokens: this.tokens, bytes, sha256 };
  }

  abort(): void {
    this.file.abort();
  }
}
