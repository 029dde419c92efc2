#!/usr/bin/env node
/**
 * `npm run bench:anchors`: the speed table of issue #22, each row curate beside its reference tool on
 * the same inputs, whole processes, interleaved runs, medians (each bench's own method):
 *
 * | near-duplicates | bench/dedupe-reference.mjs: 10,000 × ~2,000-word docs (reference-bench gen_docs.py), threshold 0.8, vs datasketch MinHash LSH |
 * | decontamination | bench/decontam-e2e-bench.mjs: 100,000 training problems vs open-r1's any-8-gram rule (bench/decontam_plain8.py) |
 * | verification    | bench/verify-bench.mjs: real long-CoT responses (../shared/data/traces) vs Math-Verify's 15 pairs/s |
 * | full run        | bench/pipeline-bench.mjs: the 100k-rollout bench corpus, curate's floor and full run, vs DuckDB converting the JSONL to zstd Parquet (bench/duckdb-convert.mjs) |
 *
 * datasketch and Math-Verify run only where PEERS_DIR holds their sources (../shared/reference-bench
 * README); otherwise the figure measured on this machine kind is printed, marked "recorded". The
 * Python 8-gram script and DuckDB always run here.
 *
 *   npm run build && node bench/anchors.mjs [--quick] [--only dedupe,decontam,verify,pipeline]
 *
 * `--quick`: smaller inputs and fewer runs (a check that everything runs, not the table's figures).
 * Prints one line per step while it runs, then the table with each goal and whether it is met.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, cpus } from "node:os";
import { join, resolve } from "node:path";
import { median, parseTime } from "./bench-json.mjs";

const root = resolve(new URL("..", import.meta.url).pathname);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? new Set(args[args.indexOf("--only") + 1].split(",")) : null;
const want = (step) => !only || only.has(step);
const out = join(root, "bench", "out");
mkdirSync(out, { recursive: true });
const jsonFile = join(out, "anchors.jsonl");
rmSync(jsonFile, { force: true });

/** one bench, its output passed through to stderr, its figures appended to anchors.jsonl */
function step(name, cmd, cmdArgs) {
  console.error(`\n== ${name}: ${cmd} ${cmdArgs.join(" ")} (load ${loadavg().map((x) => x.toFixed(1)).join(" ")})`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, BENCH_JSON: jsonFile }, timeout: 3_600_000, killSignal: "SIGKILL" });
  if (r.status !== 0) console.error(`${name}: exited ${r.status ?? r.signal}; its row is left out`);
}

const rows = quick ? 20_000 : 100_000;
if (want("dedupe")) step("near-duplicates", process.execPath, ["bench/dedupe-reference.mjs", quick ? "1" : "3", quick ? "2000" : "10000"]);
if (want("decontam")) step("decontamination", process.execPath, ["bench/decontam-e2e-bench.mjs", "--rounds", quick ? "3" : "7", "--rows", "100000", "--ceiling"]);
if (want("verify")) step("verification", process.execPath, ["bench/verify-bench.mjs", "--pairs", quick ? "2000" : "20000"]);
const duck = [];
if (want("pipeline")) {
  step("full run", process.execPath, ["bench/pipeline-bench.mjs", "--rows", String(rows), "--repeat", quick ? "1" : "3"]);
  const corpus = join(out, `corpus-${rows / 1000}k.jsonl`);
  for (let i = 0; i < (quick ? 1 : 3) && existsSync(corpus); i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", process.execPath, "bench/duckdb-convert.mjs", corpus, join(out, "duckdb-convert.parquet")], { cwd: root, encoding: "utf8", timeout: 1_800_000, killSignal: "SIGKILL" });
    if (r.status !== 0) {
      console.error(`duckdb conversion failed: ${r.stderr.slice(-500)}`);
      break;
    }
    duck.push(parseTime(r.stderr));
    console.error(`duckdb conversion ${i + 1}: ${duck.at(-1).wall.toFixed(1)} s, ${duck.at(-1).cpu.toFixed(1)} CPU-s, ${duck.at(-1).rssMB.toFixed(0)} MB`);
  }
  rmSync(join(out, "duckdb-convert.parquet"), { force: true });
}

const figures = Object.fromEntries((existsSync(jsonFile) ? readFileSync(jsonFile, "utf8").split("\n").filter(Boolean) : []).map((l) => JSON.parse(l)).map((j) => [j.bench, j]));
const x = (v) => `${v.toFixed(1)}×`;
const table = [];
const goal = (ok) => (ok ? "met" : "**not met**");

const d = figures.dedupe;
if (d) {
  const ref = d.datasketch ?? { wall: d.reference.wall, cpu: d.reference.cpu, recall: d.reference.recall };
  const tag = d.datasketch ? "" : " (recorded)";
  const recallOk = Object.entries(ref.recall).every(([k, v]) => (d.curate.recall[k] ?? 0) >= v || k === "5%");
  const wall = ref.wall / d.curate.wall;
  const cpu = ref.cpu / d.curate.cpu;
  table.push([
    `near-duplicates, ${d.docs.toLocaleString("en-US")} docs × ~${d.words.toLocaleString("en-US")} words, threshold 0.8`,
    `datasketch MinHash LSH${tag}: ${ref.wall.toFixed(1)} s, ${ref.cpu.toFixed(1)} CPU-s; recall ${Object.entries(ref.recall).map(([k, v]) => `${k} ${v}%`).join(", ")}`,
    `${d.curate.wall.toFixed(2)} s, ${d.curate.cpu.toFixed(2)} CPU-s; recall ${Object.entries(d.curate.recall).map(([k, v]) => `${k} ${v}%`).join(", ")}`,
    `${x(wall)} wall, ${x(cpu)} per CPU-s`,
    `≥ 20× wall ${goal(wall >= 20)}, ≥ 12× per CPU-s ${goal(cpu >= 12)}, recall at 1–2% ${goal(recallOk)}`,
  ]);
}
const c = figures.decontam;
if (c) {
  table.push([
    `decontamination, ${c.rows.toLocaleString("en-US")} training problems vs MATH-500, AIME24/25, AMC23`,
    `open-r1 8-gram rule (Python): ${c.python.wall.toFixed(2)} s, ${c.python.cpu.toFixed(2)} CPU-s; flags ${c.python.flagged}`,
    `${c.curate.wall.toFixed(2)} s, ${c.curate.cpu.toFixed(2)} CPU-s (start-up ${c.curate.emptyCpu.toFixed(2)}); flags ${c.curate.flagged}`,
    `${x(c.ratio.wall)} wall, ${x(c.ratio.cpu)} per CPU-s`,
    `≥ 5× end to end ${goal(c.ratio.wall >= 5)}` +
      (c.ceiling ? ` (needs ≤ ${c.ceiling.goalWall.toFixed(2)} s; a stock JSON read of the rows takes ${c.ceiling.stockParseWall.toFixed(2)} s, curate on half the rows ${c.ceiling.halfWall.toFixed(2)} s)` : ""),
  ]);
}
const v = figures.verify;
if (v) {
  const ratio = v.real.pairsPerSecond / v.reference.pairsPerSecond;
  table.push([
    `answer verification, ${v.real.pairs.toLocaleString("en-US")} real long-CoT responses`,
    `Math-Verify (recorded): ${v.reference.pairsPerSecond} pairs/s`,
    `${Math.round(v.real.pairsPerSecond).toLocaleString("en-US")} pairs/s (${Math.round(v.real.pairsPerCpuSecond).toLocaleString("en-US")} per CPU-s)`,
    x(ratio),
    `≥ 100× ${goal(ratio >= 100)}`,
  ]);
}
const p = figures.pipeline;
if (p) {
  const full = p.medianFull ?? p.full.seconds;
  const floor = p.medianFloor ?? p.floor.seconds;
  const dw = duck.length ? median(duck.map((r) => r.wall)) : null;
  const toFloor = full / floor;
  table.push([
    `full \`curate run\`, ${p.rows.toLocaleString("en-US")} rollouts (${(p.corpusMB / 1000).toFixed(2)} GB)`,
    dw === null ? "DuckDB conversion: not run" : `DuckDB JSONL → zstd Parquet: ${dw.toFixed(1)} s, ${median(duck.map((r) => r.cpu)).toFixed(1)} CPU-s, ${(median(duck.map((r) => r.rssMB)) / 1024).toFixed(1)} GB RSS`,
    `${full.toFixed(1)} s (${p.full.cpuSeconds} CPU-s, ${p.full.peakRssMB} MB); own floor ${floor.toFixed(1)} s`,
    `${dw === null ? "" : `${x(full / dw)} DuckDB's wall, `}${x(toFloor)} own floor`,
    `${dw === null ? "" : `≤ 1.5× DuckDB ${goal(full / dw <= 1.5)}, `}≤ 2× own floor ${goal(toFloor <= 2)}` +
      (p.ratioToFloorBound ? ` (bound with both cores busy and no overhead: ${x(p.ratioToFloorBound)})` : ""),
  ]);
}
console.log(`\n${quick ? "QUICK (small inputs: not the table's figures); " : ""}${cpus().length} cores, load after ${loadavg().map((x) => x.toFixed(1)).join(" ")}; figures in ${jsonFile}\n`);
console.log("| work | reference tool | curate | ratio | goal |");
console.log("|---|---|---|---|---|");
for (const r of table) console.log(`| ${r.join(" | ")} |`);
