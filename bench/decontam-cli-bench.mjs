#!/usr/bin/env node
/**
 * End to end: `curate decontaminate` (the CLI, as a child process: start-up, index build from the
 * benchmark files, reading, parsing, matching, writing) on the 100k rows bench/decontam-bench.mjs
 * writes, with --workers 0, 1 and 2; and, as the reference, the plain any-8-gram rule in Python (one
 * merged lookup, bench/decontam_plain8.py --procs N) end to end on the same rows, in one process and
 * in a multiprocessing pool of 2. bench/decontam-bench.mjs runs this script at its end.
 *
 * The rows file holds one JSON string per line; the CLI reads JSONL objects, so the rows are written
 * to bench/out/decontam-rows-objects.jsonl as {"id", "problem"} and both tools read that file.
 * Every run is timed by /usr/bin/time: wall seconds, CPU seconds (user + system of all threads, and
 * of the pool's processes, which Python waits for), peak RSS (of the largest process: for Python's
 * pool, one process, not the sum) and minor page faults. Each tool also runs on an empty file: its
 * fixed cost (start-up, index or lookup build), printed beside the rates.
 *
 * Usage: npm run build && node bench/decontam-cli-bench.mjs [--rows-file FILE] [--no-python]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { sharedDataDir } from "./decontam-planted.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outDir = join(root, "bench", "out");
const rowsFile = args.includes("--rows-file") ? args[args.indexOf("--rows-file") + 1] : join(outDir, "decontam-rows.jsonl");
const data = sharedDataDir(root);
if (!data || !existsSync(rowsFile)) {
  console.error(`decontam-cli-bench: needs ../shared/data/benchmarks and ${rowsFile} (node bench/decontam-bench.mjs writes it)`);
  process.exit(2);
}
if (!existsSync("/usr/bin/time")) {
  console.error("decontam-cli-bench: needs /usr/bin/time");
  process.exit(2);
}
const benchmarksDir = join(data, "benchmarks");
mkdirSync(outDir, { recursive: true });
const texts = readFileSync(rowsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const objects = join(outDir, "decontam-rows-objects.jsonl");
writeFileSync(objects, texts.map((t, i) => JSON.stringify({ id: `r${i}`, problem: t })).join("\n") + "\n");
const empty = join(outDir, "decontam-empty.jsonl");
writeFileSync(empty, "");
const rows = texts.length;

/** one timed run: {wall, cpu, rssMb, faults} */
function timed(cmd, cmdArgs) {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M %R", cmd, ...cmdArgs], { encoding: "utf8", maxBuffer: 64 << 20 });
  const m = /TIME (\S+) (\S+) (\S+) (\d+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, faults: Number(m[5]), stdout: r.stdout };
}
const sha = (f) => createHash("sha256").update(readFileSync(f)).digest("hex").slice(0, 16);
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");

const runs = [];
function report(label, full, fixed, outFile) {
  const r = { label, ...full, fixedWall: fixed.wall, fixedCpu: fixed.cpu, rowsPerSec: rows / full.wall, rowsPerCpuSec: rows / full.cpu, out: outFile ? sha(outFile) : "" };
  runs.push(r);
  console.log(
    `${label.padEnd(30)} ${String(rows).padStart(7)} rows  ${r.wall.toFixed(2).padStart(6)} s wall ${r.rowsPerSec.toFixed(0).padStart(7)} rows/s  ` +
      `${r.cpu.toFixed(2).padStart(6)} CPU-s ${r.rowsPerCpuSec.toFixed(0).padStart(7)} rows/CPU-s  peak RSS ${r.rssMb.toFixed(0).padStart(4)} MB  ` +
      `faults ${String(r.faults).padStart(6)}  (empty input: ${fixed.wall.toFixed(2)} s wall, ${fixed.cpu.toFixed(2)} CPU-s)${outFile ? `  out ${r.out}` : ""}`,
  );
  return r;
}

console.log(`end to end on ${rows} rows (${objects}), load average before: ${load()} on ${os.cpus().length} cores`);
const cli = join(root, "dist", "cli", "main.js");
const curate = {};
for (const w of [0, 1, 2]) {
  const out = join(outDir, `decontam-cli-w${w}.jsonl`);
  const a = (input, o) => [cli, "decontaminate", input, "--benchmarks-dir", benchmarksDir, "--workers", String(w), "--out", o];
  const fixed = timed(process.execPath, a(empty, join(outDir, "decontam-cli-empty.jsonl")));
  curate[w] = report(`curate --workers ${w}`, timed(process.execPath, a(objects, out)), fixed, out);
}
if (new Set(Object.values(curate).map((r) => r.out)).size !== 1) throw new Error("decontam-cli-bench: outputs differ between worker counts");
const py = {};
if (!args.includes("--no-python")) {
  const script = join(root, "bench", "decontam_plain8.py");
  for (const p of [1, 2]) {
    const out = join(outDir, `decontam-py-p${p}.jsonl`);
    const a = (input, o) => [script, input, "--procs", String(p), "--benchmarks-dir", benchmarksDir, "--out", o];
    const fixed = timed("python3", a(empty, join(outDir, "decontam-py-empty.jsonl")));
    const full = timed("python3", a(objects, out));
    py[p] = report(`python merged, ${p} proc${p > 1 ? "s" : ""}`, full, fixed, out);
  }
  if (py[1].out !== py[2].out) throw new Error("decontam-cli-bench: Python's outputs differ between 1 and 2 processes");
}
console.log(`load average after: ${load()}`);
const ratio = (a, b) => `${(a.rowsPerSec / b.rowsPerSec).toFixed(2)}× wall rows/s, ${(a.rowsPerCpuSec / b.rowsPerCpuSec).toFixed(2)}× per CPU-second`;
if (py[1]) {
  console.log(`curate --workers 2 / Python 1 proc:  ${ratio(curate[2], py[1])}`);
  console.log(`curate --workers 2 / Python 2 procs: ${ratio(curate[2], py[2])}`);
  console.log(`curate --workers 0 / Python 1 proc:  ${ratio(curate[0], py[1])}`);
}
console.log(`curate --workers 2 / --workers 0: ${ratio(curate[2], curate[0])}`);
writeFileSync(join(outDir, "decontam-cli-bench.json"), JSON.stringify({ rows, load: os.loadavg(), runs }, null, 1) + "\n");
