#!/usr/bin/env node
/**
 * The I/O floor: read a JSONL corpus with curate's reader and field mapping and write the rows to zstd
 * Parquet shards with curate's writer — no annotators, no filters. Prints rows/s, MB/s, peak RSS.
 *
 *   node bench/io-floor.mjs bench/out/corpus-100k.jsonl
 */
import { statSync, rmSync } from "node:fs";
import { resolveSourceFiles, readSources } from "../dist/io/sources.js";
import { ShardSet, initCompressors } from "../dist/io/parquet-write.js";
import { ROLLOUT_COLUMNS, rolloutValues } from "../dist/io/rollout-columns.js";

const input = process.argv[2] ?? "bench/out/corpus-100k.jsonl";
const outDir = "bench/out/floor";
rmSync(outDir, { recursive: true, force: true });
await initCompressors();
const t0 = performance.now();
const files = await resolveSourceFiles({ name: "bench", path: input, fields: { id: "id", problem: "problem", response: "response", reference: "answer" } }, process.cwd());
const shards = new ShardSet(outDir, "part", ROLLOUT_COLUMNS, { codec: "ZSTD", rowGroupRows: 1000, shardRows: 50_000, shardBytes: 256 << 20 });
let rows = 0;
for await (const it of readSources(files, { maxRowBytes: 16 << 20 })) {
  if (it.kind !== "rollout") continue;
  shards.append(rolloutValues(it.rollout));
  rows++;
}
shards.close();
const secs = (performance.now() - t0) / 1000;
const mb = statSync(input).size / 1e6;
console.log(JSON.stringify({ bench: "io-floor", rows, seconds: +secs.toFixed(2), rowsPerSec: Math.round(rows / secs), mbPerSec: +(mb / secs).toFixed(1), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), cpuSeconds: +((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(1) }));
