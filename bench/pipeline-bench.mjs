#!/usr/bin/env node
/**
 * `npm run bench`: the deterministic corpus (100k rollouts by default), the I/O floor (read JSONL →
 * write Parquet, no stages) and the full pipeline on it; prints rows/s, MB/s, per-stage share of
 * time, peak RSS and the ratio to the floor. `--rows 200000` for the memory-flatness check.
 *
 *   node bench/pipeline-bench.mjs [--rows 100000] [--workers 2]
 */
import { existsSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith("--") ? [a.slice(2), xs[i + 1]] : null)).filter(Boolean));
const rows = Number(args.rows ?? 100_000);
const workers = args.workers ?? "2";
const corpus = resolve(`bench/out/corpus-${rows / 1000}k.jsonl`);
mkdirSync("bench/out", { recursive: true });
if (!existsSync(corpus)) {
  const g = spawnSync(process.execPath, ["bench/corpus.mjs", "--rows", String(rows), "--out", corpus], { stdio: "inherit" });
  if (g.status !== 0) process.exit(1);
}

const floor = spawnSync(process.execPath, ["bench/io-floor.mjs", corpus], { encoding: "utf8" });
if (floor.status !== 0) { console.error(floor.stderr); process.exit(1); }
const floorRes = JSON.parse(floor.stdout.trim().split("\n").pop());

// the full pipeline: every annotator and filter (decontamination when ../shared/data/benchmarks exists)
const benchmarksDir = resolve("../shared/data/benchmarks");
const mix = {
  name: "bench",
  seed: 17,
  sources: [{ name: "bench", path: corpus, fields: { id: "id", problem: "problem", response: "response", reference: "answer", finish_reason: "finish_reason", meta: { level: "level", subject: "subject" } } }],
  ...(existsSync(benchmarksDir) ? { benchmarksDir } : {}),
  annotate: { verify: {}, quality: {}, ...(existsSync(benchmarksDir) ? { decontaminate: {} } : {}) },
  filters: { requireCorrect: true, dropTruncated: true, maxRepetition: 0.5, maxResponseTokens: 32768 },
  dedupe: { maxRolloutsPerProblem: 8 },
  ...(args.config ? JSON.parse(args.config) : {}),
};
const mixPath = resolve("bench/out/bench-mix.json");
writeFileSync(mixPath, JSON.stringify(mix, null, 2));
const run = spawnSync(process.execPath, ["dist/cli/main.js", "run", mixPath, "--out", "bench/out/run", "--force", "--quiet", "--json", "--workers", workers], { encoding: "utf8", maxBuffer: 64 << 20 });
if (run.status !== 0) { console.error(run.stderr); process.exit(1); }
const full = JSON.parse(run.stdout);
const t = full.timings;
const annotTotal = Object.values(t.annotatorMs).reduce((a, b) => a + b, 0);
const result = {
  rows: full.counts.rowsIn,
  corpusMB: +(t.inputBytes / 1e6).toFixed(1),
  floor: floorRes,
  full: { seconds: +t.seconds.toFixed(2), rowsPerSec: Math.round(t.rowsPerSecond), mbPerSec: +t.mbPerSecond.toFixed(1), peakRssMB: t.peakRssMB, workers: t.workers, cpuSeconds: +t.cpuSeconds.toFixed(1) },
  ratioToFloor: +(t.seconds / floorRes.seconds).toFixed(2),
  // CPU seconds over the floor's wall seconds: the ratio this would reach with no idle core and no
  // other load (2 cores: a value of 6 means ~3× wall at best)
  cpuOverFloorWall: +(t.cpuSeconds / floorRes.seconds).toFixed(2),
  loadAverage: (await import("node:os")).loadavg().map((x) => +x.toFixed(1)),
  phaseSeconds: Object.fromEntries(Object.entries(t.phases).map(([k, v]) => [k, +v.toFixed(2)])),
  annotatorShareOfThreadTime: Object.fromEntries(Object.entries(t.annotatorMs).map(([k, v]) => [k, `${((100 * v) / annotTotal).toFixed(1)}%`])),
  annotatorThreadSeconds: +(annotTotal / 1000).toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
