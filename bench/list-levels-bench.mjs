#!/usr/bin/env node
/**
 * Repetition/definition levels of a list<int32> column (packed `input_ids`: 256 rows of 4,096 ids
 * = one 1M-value row group): curate's ListParquetWriter shortcut (src/io/parquet-list-writer.ts
 * listLevels) against the reference, hyparquet-writer's Dremel walk (encodeNestedValues). Prints ms
 * per row group for both, twice; the files they lead to are tested byte-identical.
 *
 *   npm run build && node bench/list-levels-bench.mjs
 */
import { encodeNestedValues } from "hyparquet-writer/src/dremel.js";
import { schemaPathResolver } from "hyparquet-writer/src/schema.js";
import { listLevels } from "../dist/io/parquet-list-writer.js";

const schema = [
  { name: "root", num_children: 1 },
  { name: "ids", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", type: "INT32" },
];
const path = schemaPathResolver(schema)(["ids"]);
const leaf = [...path, path.at(-1).children[0], path.at(-1).children[0].children[0]];
const rows = Array.from({ length: 256 }, (_, r) => Array.from({ length: 4096 }, (_, i) => (r * 7 + i * 13) % 200000));
for (const [name, f] of [["hyparquet-writer Dremel walk (reference)", () => encodeNestedValues(leaf, rows)], ["curate listLevels", () => listLevels(leaf, rows)], ["hyparquet-writer Dremel walk (reference)", () => encodeNestedValues(leaf, rows)], ["curate listLevels", () => listLevels(leaf, rows)]]) {
  const t = performance.now();
  let n = 0;
  for (let k = 0; k < 20; k++) n += f().values.length;
  const ms = performance.now() - t;
  console.log(`${name.padEnd(42)} ${(ms / 20).toFixed(1)} ms per 1M-value row group, ${(n / ms / 1e3).toFixed(1)} M values/s`);
}
