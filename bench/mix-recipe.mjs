#!/usr/bin/env node
/**
 * Build the outputs of a mix file from a finished `curate run` folder (data/ + rejected/ shards),
 * the way the runner will: rows merged back into input order, problem summaries from ProblemStats,
 * then buildOutputs. Prints each product's figures, throughput and peak RSS.
 *
 *   node dist/cli/main.js run pipelines/phi4-mini-reasoning.json --out /tmp/phi4run --force
 *   node bench/mix-recipe.mjs pipelines/phi4-mini-reasoning.json /tmp/phi4run
 */
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { loadMix } from "../dist/config/load.js";
import { readParquetRows } from "../dist/io/parquet-read.js";
import { rolloutFromRow } from "../dist/io/rollout-columns.js";
import { ProblemStats } from "../dist/quality/problems.js";
import { buildOutputs } from "../dist/mix/build.js";

const [mixPath = "pipelines/phi4-mini-reasoning.json", runDir = "/tmp/phi4run"] = process.argv.slice(2);
if (!existsSync(join(runDir, "manifest.json"))) {
  console.error(`${runDir}: no finished run (manifest.json); run \`node dist/cli/main.js run ${mixPath} --out ${runDir}\` first`);
  process.exit(2);
}
const loaded = loadMix(mixPath);
const shards = (d) => (existsSync(join(runDir, d)) ? readdirSync(join(runDir, d)).filter((f) => f.endsWith(".parquet")).sort().map((f) => join(runDir, d, f)) : []);

async function* stream(files) {
  for (const f of files) for await (const { value } of readParquetRows(f)) yield value;
}
function toRow(v) {
  const { record, group } = rolloutFromRow(v);
  const drop = v.stage ? { stage: v.stage, reason: v.reason, detail: v.detail ?? undefined, duplicateOf: v.duplicate_of ?? undefined } : null;
  return { record, group: group ?? { problemGroup: v.problem_group ?? "" }, drop };
}
/** merge kept and dropped rows back into ordinal order */
async function* rows() {
  const a = stream(shards("data"))[Symbol.asyncIterator]();
  const b = stream(shards("rejected"))[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  const ord = (r) => Number(r.value.ordinal);
  while (!x.done || !y.done) {
    if (!x.done && (y.done || ord(x) <= ord(y))) {
      yield toRow(x.value);
      x = await a.next();
    } else {
      yield toRow(y.value);
      y = await b.next();
    }
  }
}

let t0 = performance.now();
const stats = new ProblemStats();
let n = 0;
for await (const r of rows()) {
  n++;
  if (r.drop?.stage === "read") continue;
  stats.add({ problemGroup: r.group.problemGroup, verdict: r.record.verify?.verdict ?? null, responseTokens: r.record.tokens?.response ?? 0, meta: r.record.meta, problem: r.record.problem });
}
const summaries = new Map(stats.summaries().map((s) => [s.problemGroup, s]));
const tStats = (performance.now() - t0) / 1000;
t0 = performance.now();
const out = loaded.config.output ?? {};
const manifests = await buildOutputs({
  config: loaded.config,
  outDir: runDir,
  rows,
  problem: (g) => summaries.get(g),
  shard: { codec: out.codec ?? "ZSTD", rowGroupRows: out.rowGroupRows ?? 1000, shardRows: out.shardRows ?? 50000, shardBytes: out.shardBytes ?? 256 * 1024 * 1024 },
  configHash: loaded.hash,
});
const secs = (performance.now() - t0) / 1000;
console.log(`rows ${n}, problem groups ${summaries.size}; stats pass ${tStats.toFixed(1)} s; buildOutputs ${secs.toFixed(1)} s (${Math.round(n / secs)} rows/s incl. 2 passes over the shards); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
for (const [name, m] of Object.entries(manifests)) {
  const d = m.details;
  const extra =
    m.kind === "midtrain" ? `sequences ${d.sequences} × ${d.packTo}, efficiency ${(100 * d.packingEfficiency).toFixed(1)}%, split rollouts ${d.splitRollouts}, rollouts packed ${d.rolloutsPacked}`
    : m.kind === "dpo" ? `pairs ${d.pairs}, mean |len(chosen) − len(rejected)| ${d.meanLengthGap.toFixed(0)} tokens`
    : m.kind === "sft" ? `longest row ${d.maxRowTokens} tokens (limit ${d.maxTokens})`
    : `prompts ${d.prompts}`;
  console.log(`\n${name} (${m.kind}): rows ${m.rows}, tokens ${m.tokens}, problems ${m.problems}; ${extra}`);
  console.log(`  by source: ${Object.entries(m.bySource).map(([k, v]) => `${k} ${v.rows}/${v.tokens}t`).join(", ")}`);
  console.log(`  by domain: ${Object.entries(m.byDomain).map(([k, v]) => `${k} ${v.rows}`).join(", ")}`);
  console.log(`  pass-rate histogram (0.0–1.0 by 0.1): ${m.passRateHistogram.counts.join(" ")} | unknown ${m.passRateHistogram.unknown}`);
  console.log(`  left out: ${Object.entries(m.eligibility).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const [o, x] of Object.entries(m.disjoint)) console.log(`  disjoint from ${o}: ${x.problems} problems / ${x.rollouts} rollouts kept out, overlap after ${x.overlapAfter}`);
  console.log(`  overlap: ${Object.entries(m.overlap).map(([k, v]) => `${k} ${v}`).join(", ")}; shards ${m.shards.length} (${m.shards.reduce((a, s) => a + s.bytes, 0)} bytes)`);
  if (m.warnings.length) console.log(`  warnings: ${m.warnings.join("; ")}`);
}
