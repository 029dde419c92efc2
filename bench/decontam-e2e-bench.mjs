#!/usr/bin/env node
/**
 * The decontamination row of the speed table, end to end: 100,000 rows built from the training
 * problems in ../shared/data/problems (MATH train, LIMR, AIME 1983–2023, cycled in file order to
 * 100k) against the default benchmarks (MATH-500, AIME24/25, AMC23), as whole processes:
 * `curate decontaminate --workers 0` and open-r1's any-8-gram rule in Python
 * (bench/decontam_plain8.py --procs 1: read, parse, match, write) on the same file. Rounds are
 * interleaved (curate, then Python, then the next round) because this shared machine's speed
 * drifts within a minute; the medians are printed side by side, with each tool's fixed cost (the
 * same command on an empty input). Every run is timed by /usr/bin/time (wall, user + system CPU).
 *
 * curate's benchmark index cache lives in bench/out/decontam-e2e-cache (XDG_CACHE_HOME): one run
 * before the rounds fills it, as any earlier run on a machine would; `--cold` empties it before
 * every curate run (the index built each time).
 *
 * `--baseline DIST` also times another build's CLI (DIST/cli/main.js, e.g. an older commit compiled
 * with `npx tsc --outDir DIST`) in the same rounds, for before/after figures on the same machine.
 *
 * `--ceiling` also times, in the same rounds, what bounds curate's wall time on this machine: Node's
 * empty process (`node -e 0`), a stock read of the rows (readFileSync, split, JSON.parse each line),
 * curate on the first half of the rows alone, and curate on the two halves at once as two processes
 * (what two cores give at best when the rows are split between them, start-up paid twice).
 *
 * Usage: npm run build && node bench/decontam-e2e-bench.mjs [--rounds 5] [--rows 100000] [--cold] [--baseline DIST] [--ceiling]
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { sharedDataDir, readJsonl } from "./decontam-planted.mjs";
import { report } from "./bench-json.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const rounds = opt("--rounds", 5);
const rowCount = opt("--rows", 100000);
const cold = args.includes("--cold");
const baseline = args.includes("--baseline") ? args[args.indexOf("--baseline") + 1] : null;
const ceiling = args.includes("--ceiling");
const data = sharedDataDir(root);
if (!data || !existsSync("/usr/bin/time")) {
  console.error("decontam-e2e-bench: needs ../shared/data/{benchmarks,problems} and /usr/bin/time");
  process.exit(2);
}
const outDir = join(root, "bench", "out");
const cache = join(outDir, "decontam-e2e-cache");
mkdirSync(outDir, { recursive: true });
const FILES = ["deepscaler_math_train.jsonl", "limr_math8k.jsonl", "deepscaler_aime_1983_2023.jsonl"];
const problems = FILES.flatMap((f) => readJsonl(join(data, "problems", f)).map((r) => String(r.problem)));
const rowsFile = join(outDir, "decontam-e2e-rows.jsonl");
const lines = [];
for (let i = 0; i < rowCount; i++) lines.push(JSON.stringify({ id: `r${i}`, problem: problems[i % problems.length] }));
writeFileSync(rowsFile, lines.join("\n") + "\n");
const empty = join(outDir, "decontam-e2e-empty.jsonl");
writeFileSync(empty, "");
const benchmarksDir = join(data, "benchmarks");

/** one run under /usr/bin/time: {wall, cpu} */
function timed(cmd, cmdArgs, env = process.env) {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S", cmd, ...cmdArgs], { encoding: "utf8", env, maxBuffer: 64 << 20, timeout: 300_000, killSignal: "SIGKILL" });
  const m = /TIME (\S+) (\S+) (\S+)\s*$/.exec(r.stderr ?? "");
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}
const curateEnv = { ...process.env, XDG_CACHE_HOME: cache };
const cli = join(root, "dist", "cli", "main.js");
/** the arguments of one curate run (after node) */
const curateArgv = (main, input, out) => [main, "decontaminate", input, "--benchmarks-dir", benchmarksDir, "--workers", "0", "--out", out];
const curateWith = (main) => (input, out) => {
  if (cold) rmSync(cache, { recursive: true, force: true });
  return timed(process.execPath, curateArgv(main, input, out), curateEnv);
};
const curate = curateWith(cli);
const before = baseline ? curateWith(join(baseline, "cli", "main.js")) : null;
const script = join(root, "bench", "decontam_plain8.py");
const python = (input, out) => timed("python3", [script, input, "--procs", "1", "--benchmarks-dir", benchmarksDir, "--out", out]);
const countLines = (f) => readFileSync(f, "utf8").split("\n").filter(Boolean).length;

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(`${rowCount} rows from ${FILES.join(", ")} (${problems.length} problems, cycled); ${rounds} interleaved rounds; load ${load()} on ${os.cpus().length} cores`);
const cOut = join(outDir, "decontam-e2e-curate.jsonl");
const pOut = join(outDir, "decontam-e2e-python.jsonl");
curate(empty, join(outDir, "decontam-e2e-curate-empty.jsonl")); // warm-up: fills the index cache, the page cache
python(empty, join(outDir, "decontam-e2e-python-empty.jsonl"));
const res = { curate: [], python: [], curateEmpty: [], pythonEmpty: [], before: [], beforeEmpty: [], nodeEmpty: [], stockParse: [], half: [], halves: [] };
// --ceiling: the rows cut in two files (whole lines), and the stock reader
const halves = [join(outDir, "decontam-e2e-half1.jsonl"), join(outDir, "decontam-e2e-half2.jsonl")];
const stockRead = join(outDir, "decontam-e2e-stock-read.mjs");
if (ceiling) {
  writeFileSync(halves[0], lines.slice(0, rowCount >> 1).join("\n") + "\n");
  writeFileSync(halves[1], lines.slice(rowCount >> 1).join("\n") + "\n");
  writeFileSync(stockRead, 'import { readFileSync } from "node:fs";\nlet n = 0;\nfor (const l of readFileSync(process.argv[2], "utf8").split("\\n")) if (l) n += JSON.parse(l).problem.length;\nconsole.log(n);\n');
}
/** one curate run as a shell command line (single-quoted words) */
const shellWord = (w) => `'${w.replaceAll("'", "'\\''")}'`;
const curateArgs = (input, out) => `${[process.execPath, ...curateArgv(cli, input, out)].map(shellWord).join(" ")} 2>/dev/null`;
function ceilingRound() {
  res.nodeEmpty.push(timed(process.execPath, ["-e", "0"]));
  res.stockParse.push(timed(process.execPath, [stockRead, rowsFile]));
  res.half.push(curate(halves[0], join(outDir, "decontam-e2e-half1.out")));
  // both halves at once: the wall until both end, their CPU together
  const both = `${curateArgs(halves[0], join(outDir, "decontam-e2e-half1.out"))} & ${curateArgs(halves[1], join(outDir, "decontam-e2e-half2.out"))} & wait`;
  res.halves.push(timed("bash", ["-c", both], curateEnv));
}
const bOut = join(outDir, "decontam-e2e-baseline.jsonl");
for (let r = 0; r < rounds; r++) {
  if (before) {
    res.beforeEmpty.push(before(empty, join(outDir, "decontam-e2e-baseline-empty.jsonl")));
    res.before.push(before(rowsFile, bOut));
  }
  res.curateEmpty.push(curate(empty, join(outDir, "decontam-e2e-curate-empty.jsonl")));
  res.curate.push(curate(rowsFile, cOut));
  res.pythonEmpty.push(python(empty, join(outDir, "decontam-e2e-python-empty.jsonl")));
  res.python.push(python(rowsFile, pOut));
  if (ceiling) ceilingRound();
  const c = res.curate[r];
  const p = res.python[r];
  console.log(`round ${r + 1}: curate ${c.wall.toFixed(2)} s (${c.cpu.toFixed(2)} CPU-s), python ${p.wall.toFixed(2)} s (${p.cpu.toFixed(2)} CPU-s): ${(p.wall / c.wall).toFixed(2)}× wall, ${(p.cpu / c.cpu).toFixed(2)}× CPU; load ${load()}`);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const m = (k, f) => median(res[k].map((x) => x[f]));
const ratios = (f) => median(res.curate.map((c, i) => res.python[i][f] / c[f]));
console.log("");
console.log(`| ${rowCount.toLocaleString("en-US")} rows, --workers 0 / 1 process | curate decontaminate | open-r1 8-gram (Python) |`);
console.log("| --- | ---: | ---: |");
console.log(`| end to end, median wall | ${m("curate", "wall").toFixed(2)} s | ${m("python", "wall").toFixed(2)} s |`);
console.log(`| end to end, median CPU | ${m("curate", "cpu").toFixed(2)} s | ${m("python", "cpu").toFixed(2)} s |`);
console.log(`| rows/s (median wall) | ${(rowCount / m("curate", "wall") / 1000).toFixed(0)}k | ${(rowCount / m("python", "wall") / 1000).toFixed(0)}k |`);
console.log(`| fixed cost (empty input), median wall | ${m("curateEmpty", "wall").toFixed(2)} s | ${m("pythonEmpty", "wall").toFixed(2)} s |`);
console.log(`| rows flagged | ${countLines(cOut)} | ${countLines(pOut)} |`);
if (before) {
  const b = (k, f) => median(res[k].map((x) => x[f]));
  console.log(
    `\nbaseline ${baseline}: end to end ${b("before", "wall").toFixed(2)} s wall, ${b("before", "cpu").toFixed(2)} CPU-s; empty input ${b("beforeEmpty", "wall").toFixed(2)} s wall, ` +
      `${b("beforeEmpty", "cpu").toFixed(2)} CPU-s (this build: empty input ${m("curateEmpty", "cpu").toFixed(2)} CPU-s); Python / baseline ` +
      `${median(res.before.map((c, i) => res.python[i].wall / c.wall)).toFixed(2)}× wall, ${median(res.before.map((c, i) => res.python[i].cpu / c.cpu)).toFixed(2)}× CPU; ${countLines(bOut)} rows flagged`,
  );
}
if (ceiling) {
  const goal = m("python", "wall") / 5;
  console.log(
    `\nceiling (median wall): 5× Python needs curate ≤ ${goal.toFixed(2)} s. Node's empty process ${m("nodeEmpty", "wall").toFixed(2)} s; ` +
      `curate on an empty input ${m("curateEmpty", "wall").toFixed(2)} s; a stock read of the rows (JSON.parse per line) ${m("stockParse", "wall").toFixed(2)} s; ` +
      `curate on half the rows alone ${m("half", "wall").toFixed(2)} s; on both halves at once, two processes, ${m("halves", "wall").toFixed(2)} s (${m("halves", "cpu").toFixed(2)} CPU-s)`,
  );
}
console.log(`\nmedian of per-round ratios, Python / curate: ${ratios("wall").toFixed(2)}× wall, ${ratios("cpu").toFixed(2)}× CPU${cold ? " (index built every run: --cold)" : ""}; load after ${load()}`);
report("decontam", {
  rows: rowCount,
  rounds,
  curate: { wall: m("curate", "wall"), cpu: m("curate", "cpu"), emptyWall: m("curateEmpty", "wall"), emptyCpu: m("curateEmpty", "cpu"), flagged: countLines(cOut) },
  python: { wall: m("python", "wall"), cpu: m("python", "cpu"), emptyWall: m("pythonEmpty", "wall"), emptyCpu: m("pythonEmpty", "cpu"), flagged: countLines(pOut) },
  ratio: { wall: ratios("wall"), cpu: ratios("cpu") },
  ...(ceiling
    ? { ceiling: { goalWall: m("python", "wall") / 5, nodeEmptyWall: m("nodeEmpty", "wall"), stockParseWall: m("stockParse", "wall"), halfWall: m("half", "wall"), halvesAtOnceWall: m("halves", "wall"), halvesAtOnceCpu: m("halves", "cpu") } }
    : {}),
});
