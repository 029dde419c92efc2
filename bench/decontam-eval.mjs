#!/usr/bin/env node
/**
 * Recall per planted variant and false-positive rate on clean negatives, for the curate matcher and
 * the plain any-8-gram rule on the same rows. Usage: npm run build && node bench/decontam-eval.mjs
 * [--options '{"coverage":0.85}'] [--no-common] [--show-fp] [--show-miss]
 */
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { plantedSet, loadBenchmark, PlainNgramRule, VARIANTS, sharedDataDir } from "./decontam-planted.mjs";
import { ContaminationIndex } from "../dist/decontam/benchmark-index.js";
import { builtinCommonNgrams } from "../dist/decontam/common.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const data = sharedDataDir(root);
if (!data) {
  console.error("needs ../shared/data/{benchmarks,problems}");
  process.exit(2);
}
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const names = ["math500", "aime2024", "aime2025", "amc2023"];
const problems = names.flatMap((n) => loadBenchmark(join(data, "benchmarks"), n));
const t0 = performance.now();
const index = ContaminationIndex.build(
  problems,
  JSON.parse(opt("--options", "{}")),
  args.includes("--no-common") ? null : builtinCommonNgrams(),
);
const buildMs = performance.now() - t0;
const plain = new PlainNgramRule(problems, 8);
const { positives, negatives } = plantedSet(join(data, "benchmarks"), join(data, "problems"), names);
const rows = [];
for (const v of VARIANTS) {
  const ps = positives.filter((p) => p.variant === v);
  let ours = 0;
  const methods = {};
  let base = 0;
  const misses = [];
  for (const p of ps) {
    const m = index.match(p.text);
    const hit = m.find((x) => x.benchmark === p.benchmark && x.item === p.item);
    if (hit) {
      ours++;
      methods[hit.method] = (methods[hit.method] ?? 0) + 1;
    }
    else misses.push(p);
    if (plain.match(p.text)) base++;
  }
  rows.push({ variant: v, rows: ps.length, curate: (100 * ours) / ps.length, plain8: (100 * base) / ps.length, methods });
  if (args.includes("--show-miss")) for (const p of misses.slice(0, 8)) console.log(`MISS ${v} ${p.benchmark}/${p.item}: ${p.text.slice(0, 200)}`);
}
// negatives that are numbers-changed copies of a benchmark problem (bench/decontam-excluded-negatives.json,
// written by bench/decontam-exclusions.mjs from a criterion that does not use the matcher)
const excluded = new Set(JSON.parse(readFileSync(join(root, "bench", "decontam-excluded-negatives.json"), "utf8")).map((e) => `${e.file}:${e.row}`));
let fpOurs = 0;
let fpPlain = 0;
let fpOursEx = 0;
let fpPlainEx = 0;
let kept = 0;
const fps = [];
for (const n of negatives) {
  const ex = excluded.has(`${n.file}:${n.row}`);
  if (!ex) kept++;
  const m = index.match(n.text);
  if (m.length) {
    fpOurs++;
    if (!ex) fpOursEx++;
    fps.push({ n, m: m[0], ex });
  }
  if (plain.match(n.text)) {
    fpPlain++;
    if (!ex) fpPlainEx++;
  }
}
const { options: _o, ...summary } = index.summary();
const pct = (a, b) => ((100 * a) / b).toFixed(2) + "%";
console.log(`index: ${JSON.stringify(summary)} built in ${buildMs.toFixed(0)} ms`);
const fpMethods = {};
for (const { m } of fps) fpMethods[m.method] = (fpMethods[m.method] ?? 0) + 1;
console.log(`false-positive methods: ${JSON.stringify(fpMethods)}`);
console.log("variant      rows   curate%   plain-8gram%");
for (const r of rows) console.log(`${r.variant.padEnd(12)} ${String(r.rows).padStart(5)}   ${r.curate.toFixed(2).padStart(6)}    ${r.plain8.toFixed(2).padStart(6)}   ${JSON.stringify(r.methods)}`);
console.log(`negatives ${negatives.length}: false positives curate ${fpOurs} (${pct(fpOurs, negatives.length)}), plain-8gram ${fpPlain} (${pct(fpPlain, negatives.length)})`);
console.log(
  `negatives without the ${excluded.size} numbers-changed copies (${kept}): false positives curate ${fpOursEx} (${pct(fpOursEx, kept)}), ` +
    `plain-8gram ${fpPlainEx} (${pct(fpPlainEx, kept)})`,
);
if (args.includes("--show-fp")) {
  for (const { n, m, ex } of fps) {
    console.log(`FP${ex ? "(excluded: numbers-changed copy)" : ""} ${n.file}:${n.row} ${m.benchmark}/${m.item} ${m.method} ${m.score}\n   ROW: ${n.text.slice(0, 300)}\n   BENCH: ${m.benchmarkSnippet}`);
  }
}
