/**
 * The list shortcut in src/io/parquet-list-writer.ts: its repetition/definition levels equal
 * hyparquet-writer's Dremel walk, and whole files equal the library writer's, byte for byte; DuckDB
 * reads them back.
 */
import { describe, expect, it } from "vitest";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import { encodeNestedValues } from "hyparquet-writer/src/dremel.js";
import { schemaPathResolver } from "hyparquet-writer/src/schema.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListParquetWriter, listLevels } from "../../src/io/parquet-list-writer.js";
import { mulberry32 } from "../../src/text/hash.js";
import { duck } from "../helpers/duckdb.js";

const list = (name: string, rep: "OPTIONAL" | "REQUIRED", element: Record<string, unknown>) => [
  { name, repetition_type: rep, converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", ...element },
];
const schema = [
  { name: "root", num_children: 5 },
  { name: "text", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
  ...list("ids", "REQUIRED", { type: "INT32" }),
  ...list("maybe_ids", "OPTIONAL", { type: "INT32" }),
  ...list("names", "OPTIONAL", { type: "BYTE_ARRAY", converted_type: "UTF8" }),
  { name: "messages", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: 2 },
  { name: "role", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
  { name: "content", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
];

function rows(seed: number, n: number) {
  const rnd = mulberry32(seed);
  const pick = <T,>(f: () => T, pNull: number, pEmpty: number, max: number): T[] | null => {
    const u = rnd();
    if (u < pNull) return null;
    if (u < pNull + pEmpty) return [];
    return Array.from({ length: 1 + Math.floor(rnd() * max) }, f);
  };
  const int = () => Math.floor(rnd() * 200_000) - 5;
  return {
    text: Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : `row ${i} ${int()}`)),
    ids: Array.from({ length: n }, () => pick(int, 0, 0.1, 300)!),
    maybe_ids: Array.from({ length: n }, () => pick(int, 0.2, 0.2, 50)),
    names: Array.from({ length: n }, () => pick(() => `n${int()}`, 0.1, 0.1, 5)),
    messages: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : [{ role: "user", content: `q${i}` }, { role: "assistant", content: `a${int()}` }])),
  };
}

function write(Writer: typeof ParquetWriter, data: ReturnType<typeof rows>): Uint8Array {
  const writer = new ByteWriter();
  const w = new Writer({ writer, schema: schema as never, codec: "UNCOMPRESSED", statistics: true });
  for (let g = 0; g < 3; g++) {
    const at = (a: unknown[]) => a.slice(g * 400, (g + 1) * 400);
    w.write({
      columnData: [
        { name: "text", data: at(data.text) as never[] },
        { name: "ids", data: at(data.ids) as never[], statistics: false },
        { name: "maybe_ids", data: at(data.maybe_ids) as never[] },
        { name: "names", data: at(data.names) as never[] },
        { name: "messages", data: at(data.messages) as never[] },
      ],
      rowGroupSize: 150,
    });
  }
  w.finish();
  return new Uint8Array(writer.getBuffer());
}

describe("ListParquetWriter", () => {
  it("computes the Dremel walk's levels for required and optional lists, with nulls and empty lists", () => {
    const data = rows(3, 2000);
    const resolve = schemaPathResolver(schema as never);
    let checked = 0;
    for (const name of ["ids", "maybe_ids", "names"] as const) {
      const path = resolve([name]) as never as { children: unknown[] }[];
      const leaf = [...path, (path.at(-1) as any).children[0], (path.at(-1) as any).children[0].children[0]];
      const mine = listLevels(leaf as never, data[name]);
      expect(mine, name).not.toBeNull();
      const ref = encodeNestedValues(leaf as never, data[name] as never);
      // typed arrays for the levels here, plain arrays there: the same numbers
      expect({ ...mine, definitionLevels: Array.from(mine!.definitionLevels), repetitionLevels: Array.from(mine!.repetitionLevels) }).toEqual(ref);
      checked += mine!.values.length;
    }
    expect(checked).toBeGreaterThan(100_000);
    // a list of structs is another shape: left to the library
    const m = resolve(["messages"]) as any[];
    expect(listLevels([...m, m.at(-1).children[0], m.at(-1).children[0].children[0]] as never, data.messages)).toBeNull();
  });

  it("writes files byte-identical to hyparquet-writer's, which DuckDB reads back (also for a list column with no empty list)", async () => {
    const full = rows(13, 1200);
    full.ids = full.ids.map((l, i) => (l.length ? l : [i]));
    const c = write(ParquetWriter, full);
    expect(Buffer.from(write(ListParquetWriter, full)).equals(Buffer.from(c))).toBe(true);
    const data = rows(9, 1200);
    const a = write(ParquetWriter, data);
    const b = write(ListParquetWriter, data);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), "curate-lists-")), "l.parquet");
    writeFileSync(file, b);
    const back = await duck(`select len(ids)::INTEGER as n, ids[1]::INTEGER as first, maybe_ids is null as nul from read_parquet('${file}')`);
    expect(back).toHaveLength(1200);
    back.forEach((r, i) => {
      expect(r.n).toBe(data.ids[i]!.length);
      if (data.ids[i]!.length) expect(r.first).toBe(data.ids[i]![0]);
      expect(r.nul).toBe(data.maybe_ids[i] === null);
    });
  });
});
