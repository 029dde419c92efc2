#!/usr/bin/env node
/**
 * Decontamination throughput: rows/s of the curate matcher on 100k training problems against the
 * default benchmark set (math500, aime2024, aime2025, amc2023), and of the plain any-8-gram rule
 * (open-r1's decontaminate.py rule, in JS) on the same rows. With traces present, also rows/s on
 * long chain-of-thought responses (`checkResponse`: the first 4,000 characters, then the whole text).
 *
 * The 100k rows are made deterministically from ../shared/data/problems: each row is a training
 * problem, half of them prefixed by the first sentence of another problem, a tenth with a suffix
 * instruction, so rows are not byte-identical repeats.
 *
 * Throughput is printed per wall second and per CPU second of this process (the second is the
 * robust figure when other jobs share the machine). Single thread; the annotate pool runs one
 * matcher per worker.
 *
 * The same rows (and responses) are written to bench/out/decontam-rows.jsonl (and
 * decontam-responses.jsonl), one JSON string per line, and bench/decontam_plain8.py — open-r1's rule in
 * standard-library Python — is run on them afterwards (skip with --no-python), so the Python reference
 * is measured on exactly the rows curate was. Both JS matchers are timed on the rows read back from
 * that file, as the Python script and a pipeline reading JSONL get them: the rows as built here are
 * concatenated strings, which V8 flattens (allocates and copies) on the first character read, a cost
 * of how the bench makes its rows that whichever matcher runs first would pay.
 *
 * At the end it runs bench/decontam-cli-bench.mjs (skip with --no-cli): `curate decontaminate` end to
 * end as a command (--workers 0, 1, 2) on the same rows, against the Python rule end to end in one
 * process and in a pool of two (wall rows/s, CPU seconds of all threads and processes, peak RSS).
 *
 * Usage: npm run build && node bench/decontam-bench.mjs [--rows 100000] [--rounds 5] [--no-python] [--no-responses] [--no-cli]
 */
import { readdirSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { rng, loadBenchmark, PlainNgramRule, sharedDataDir, readJsonl } from "./decontam-planted.mjs";
import { ContaminationIndex } from "../dist/decontam/benchmark-index.js";
import { builtinCommonNgrams } from "../dist/decontam/common.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const data = sharedDataDir(root);
if (!data) {
  console.error("decontam-bench: needs ../shared/data/{benchmarks,problems}");
  process.exit(2);
}
const args = process.argv.slice(2);
const total = Number(args.includes("--rows") ? args[args.indexOf("--rows") + 1] : 100000);

const names = ["math500", "aime2024", "aime2025", "amc2023"];
const problems = names.flatMap((n) => loadBenchmark(join(data, "benchmarks"), n));
let t0 = performance.now();
const index = ContaminationIndex.build(problems, {}, builtinCommonNgrams());
const buildMs = performance.now() - t0;
t0 = performance.now();
const bytes = index.serialize();
const loaded = ContaminationIndex.deserialize(bytes);
const loadMs = performance.now() - t0;

const pool = [];
for (const f of readdirSync(join(data, "problems")).sort()) for (const r of readJsonl(join(data, "problems", f))) if (typeof r.problem === "string") pool.push(r.problem);
const r = rng(20240917);
const rows = [];
for (let i = 0; i < total; i++) {
  let p = pool[Math.floor(r() * pool.length)];
  if (r() < 0.5) p = pool[Math.floor(r() * pool.length)].split(/(?<=[.?!])\s/)[0].slice(0, 200) + " " + p;
  if (r() < 0.1) p += "\nPlease reason step by step, and put your final answer within \\boxed{}.";
  rows.push(p);
}
const chars = rows.reduce((a, b) => a + b.length, 0);
const outDir = join(root, "bench", "out");
mkdirSync(outDir, { recursive: true });
const rowsFile = join(outDir, "decontam-rows.jsonl");
writeFileSync(rowsFile, rows.map((t) => JSON.stringify(t)).join("\n") + "\n");

function timeIt(label, fn, list, batch = 1000) {
  for (let i = 0; i < Math.min(5000, list.length); i++) fn(list[i]); // warm-up
  const perRow = [];
  let flagged = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < list.length; i += batch) {
    const b0 = performance.now();
    const end = Math.min(list.length, i + batch);
    for (let j = i; j < end; j++) if (fn(list[j])) flagged++;
    perRow.push(((performance.now() - b0) * 1000) / (end - i));
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  perRow.sort((a, b) => a - b);
  const q = (p) => perRow[Math.min(perRow.length - 1, Math.floor(p * perRow.length))].toFixed(1);
  console.log(
    `${label.padEnd(34)} ${String(list.length).padStart(7)} rows  ${((list.length / ms) * 1000).toFixed(0).padStart(8)} rows/s wall  ` +
      `${((list.length / cpuMs) * 1000).toFixed(0).padStart(8)} rows/CPU-s  per-row µs wall (batches of ${batch}) p50 ${q(0.5)} p99 ${q(0.99)}  flagged ${flagged}`,
  );
  return { wall: (list.length / ms) * 1000, cpu: (list.length / cpuMs) * 1000 };
}

const os = await import("node:os");
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`index: ${problems.length} problems, built in ${buildMs.toFixed(0)} ms, ${bytes.length} bytes, loaded in ${loadMs.toFixed(0)} ms`);
console.log(`rows: ${rows.length} training problems, mean ${(chars / rows.length).toFixed(0)} chars (written to ${rowsFile})`);
const plain = new PlainNgramRule(problems, 8);
const fileRows = readJsonl(rowsFile); // the same rows as the Python script reads them
if (fileRows.length !== rows.length || fileRows.some((t, i) => t !== rows[i])) throw new Error("decontam-bench: rows file does not round-trip");
console.log(`load average before: ${load()} on ${os.cpus().length} cores`);
const ours = timeIt("curate (all rules)", (t) => loaded.match(t).length > 0, fileRows);
const base = timeIt("plain any-8-gram (JS)", (t) => plain.match(t) !== null, fileRows);
console.log(`load average after: ${load()}`);

/** run bench/decontam_plain8.py on a rows file; returns {merged, openr1} rates ({wall, cpu}) or null */
function python(file, mode) {
  if (args.includes("--no-python")) return null;
  const r = spawnSync("python3", [join(root, "bench", "decontam_plain8.py"), file, "--mode", mode, "--benchmarks-dir", join(data, "benchmarks")], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    console.log(`python3 reference not run: ${r.error?.message ?? r.stderr.trim().split("\n").pop()}`);
    return null;
  }
  process.stdout.write(r.stdout);
  const rate = (label) => {
    const m = new RegExp(`\\(${label}[^)]*\\)\\s+\\d+ rows\\s+(\\d+) rows/s wall\\s+(\\d+) rows/CPU-s`).exec(r.stdout);
    return m ? { wall: Number(m[1]), cpu: Number(m[2]) } : null;
  };
  return { merged: rate("merged lookup"), openr1: rate("open-r1 loop") };
}
const ratio = (a, b) => `${(a.cpu / b.cpu).toFixed(2)}× per CPU-second, ${(a.wall / b.wall).toFixed(2)}× wall`;
console.log(`curate / plain any-8-gram in JS on the same rows: ${ratio(ours, base)}`);
const py = python(rowsFile, "both");
console.log(`load average after python: ${load()}`);
if (py?.merged) console.log(`curate / Python any-8-gram, one merged lookup (same rows): ${ratio(ours, py.merged)}`);
if (py?.openr1) console.log(`curate / Python any-8-gram, open-r1's loop as written (same rows): ${ratio(ours, py.openr1)}`);

// Interleaved rounds: on a shared machine the speed of both tools drifts by tens of percent over a
// minute, so one curate run then one Python run can give any ratio in a wide band. Each round times
// curate then the merged Python rule right after it; the per-round ratios and their median are the
// figure to quote (--rounds N, default 5; 0 skips).
const rounds = Number(args.includes("--rounds") ? args[args.indexOf("--rounds") + 1] : 5);
if (py?.merged && rounds > 0) {
  const per = [];
  for (let k = 0; k < rounds; k++) {
    const c = timeIt(`round ${k + 1}: curate`, (t) => loaded.match(t).length > 0, fileRows);
    const p = python(rowsFile, "merged")?.merged;
    if (!p) break;
    per.push({ cpu: c.cpu / p.cpu, wall: c.wall / p.wall });
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `interleaved, curate / Python merged lookup per CPU-second: ${per.map((r) => r.cpu.toFixed(2) + "×").join(" ")} — median ${med(per.map((r) => r.cpu)).toFixed(2)}× ` +
      `(wall: median ${med(per.map((r) => r.wall)).toFixed(2)}×); load average ${load()}`,
  );
}

const traces = join(data, "traces");
if (existsSync(traces) && !args.includes("--no-responses")) {
  const responses = [];
  for (const f of readdirSync(traces).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const row of readJsonl(join(traces, f))) if (typeof row.response === "string") responses.push(row.response);
  }
  const meanKb = responses.reduce((a, b) => a + b.length, 0) / responses.length / 1024;
  const respFile = join(outDir, "decontam-responses.jsonl");
  writeFileSync(respFile, responses.map((t) => JSON.stringify(t)).join("\n") + "\n");
  console.log(`responses: ${responses.length} long-CoT rollouts from shared/data/traces, mean ${meanKb.toFixed(1)} KB (written to ${respFile})`);
  timeIt("curate response, first 4000 chars", (t) => loaded.match(t.length > 4000 ? t.slice(0, 4000) : t, "response").length > 0, responses, 100);
  const whole = timeIt("curate response, whole text", (t) => loaded.match(t, "response").length > 0, responses, 100);
  const plainWhole = timeIt("plain any-8-gram, whole text (JS)", (t) => plain.match(t) !== null, responses, 100);
  console.log(`responses, whole text: curate / plain any-8-gram in JS ${ratio(whole, plainWhole)}`);
  const pr = python(respFile, "both");
  if (pr?.merged) console.log(`responses, whole text: curate / Python any-8-gram (merged lookup) ${ratio(whole, pr.merged)}`);
  if (pr?.openr1) console.log(`responses, whole text: curate / Python any-8-gram (open-r1's loop as written) ${ratio(whole, pr.openr1)}`);
  console.log(`load average after responses: ${load()}`);
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

if (!args.includes("--no-cli")) {
  console.log("\n# end to end: the curate decontaminate command and the Python rule as processes");
  const cliArgs = [join(root, "bench", "decontam-cli-bench.mjs"), "--rows-file", rowsFile];
  if (args.includes("--no-python")) cliArgs.push("--no-python");
  const r = spawnSync(process.execPath, cliArgs, { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = 1;
}
