#!/usr/bin/env node
/**
 * The sha-256 of every file two reference runs write, to show that a change leaves outputs
 * byte-identical (a refactor, a speed-up): the quickstart, and the bench corpus (`bench/corpus.mjs`)
 * through every annotator, filter and the four data products. timings.json (wall clock) and .work/
 * (scratch) are left out.
 *
 *   node bench/outputs-digest.mjs [--rows 20000] [--workers 2] [--out bench/out/digest.txt]
 *   diff bench/out/digest-before.txt bench/out/digest-after.txt
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith("--") ? [a.slice(2), xs[i + 1]] : null)).filter(Boolean));
const rows = Number(args.rows ?? 20_000);
const workers = String(args.workers ?? 2);
const outFile = resolve(args.out ?? "bench/out/digest.txt");
mkdirSync("bench/out", { recursive: true });

const corpus = resolve(`bench/out/corpus-${rows / 1000}k.jsonl`);
if (!existsSync(corpus)) {
  const g = spawnSync(process.execPath, ["bench/corpus.mjs", "--rows", String(rows), "--out", corpus], { stdio: "inherit" });
  if (g.status !== 0) process.exit(1);
}
const quick = JSON.parse(readFileSync("pipelines/quickstart.json", "utf8"));
const benchmarksDir = resolve("../shared/data/benchmarks");
const mix = {
  name: "digest",
  seed: 17,
  // paths relative to the mix file (bench/out/): the config, and so its hash, is the same in any checkout
  sources: [{ name: "bench", path: `corpus-${rows / 1000}k.jsonl`, fields: { id: "id", problem: "problem", response: "response", reference: "answer", finish_reason: "finish_reason", meta: { level: "level", subject: "subject" } } }],
  ...(existsSync(benchmarksDir) ? { benchmarksDir: "../../../shared/data/benchmarks" } : {}),
  annotate: { verify: {}, quality: {}, ...(existsSync(benchmarksDir) ? { decontaminate: {} } : {}) },
  filters: { requireCorrect: true, dropTruncated: true, maxRepetition: 0.5, maxResponseTokens: 32768 },
  dedupe: { problems: { threshold: 0.8 }, maxRolloutsPerProblem: 8 },
  outputs: { ...quick.outputs, midtrain: { ...quick.outputs.midtrain, weights: { bench: 1 } } },
};
const mixPath = resolve("bench/out/digest-mix.json");
writeFileSync(mixPath, JSON.stringify(mix, null, 2));

function run(mixFile, out) {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", "run", mixFile, "--out", out, "--force", "--quiet", "--workers", workers], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 3_600_000 });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
}
function files(dir, rel = "") {
  return readdirSync(join(dir, rel), { withFileTypes: true })
    .flatMap((e) => {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (p === ".work" || p === "timings.json") return [];
      return e.isDirectory() ? files(dir, p) : [p];
    })
    .sort();
}
const lines = [];
for (const [name, mixFile] of [["quickstart", "pipelines/quickstart.json"], [`bench-${rows / 1000}k`, mixPath]]) {
  const out = resolve(`bench/out/digest-${name}`);
  run(mixFile, out);
  for (const f of files(out)) lines.push(`${createHash("sha256").update(readFileSync(join(out, f))).digest("hex")}  ${name}/${f}`);
}
writeFileSync(outFile, lines.join("\n") + "\n");
console.log(`${lines.length} files digested into ${outFile}`);
