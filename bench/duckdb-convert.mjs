#!/usr/bin/env node
/**
 * The reference of the full-run row in bench/anchors.mjs: DuckDB (the dev-only oracle,
 * @duckdb/node-api) converting a JSONL file to one zstd Parquet file, no stages. Run it under
 * /usr/bin/time for wall, CPU and peak RSS.
 *
 *   node bench/duckdb-convert.mjs INPUT.jsonl OUTPUT.parquet [--threads 2]
 */
import { DuckDBInstance } from "@duckdb/node-api";

const [input, output] = process.argv.slice(2);
const k = process.argv.indexOf("--threads");
const threads = k > 0 ? process.argv[k + 1] : "2";
if (!input || !output) {
  console.error("usage: node bench/duckdb-convert.mjs INPUT.jsonl OUTPUT.parquet [--threads 2]");
  process.exit(2);
}
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(":memory:", { threads });
const con = await instance.connect();
await con.run(`COPY (SELECT * FROM read_json(${quote(input)}, format = 'newline_delimited', maximum_object_size = 67108864)) TO ${quote(output)} (FORMAT parquet, COMPRESSION zstd)`);
const rows = await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${quote(output)})`);
console.log(JSON.stringify({ rows: Number(rows.getRowObjects()[0].n), threads }));
con.closeSync();
instance.closeSync();
