#!/usr/bin/env node
/**
 * Build the outputs of a mix file from a finished `curate run` folder (data/ + rejected/ shards merged
 * back into input order, problem summaries recomputed) with src/mix/rebuild.ts, and print each
 * product's figures, the time and the peak RSS.
 *
 *   node dist/cli/main.js run pipelines/phi4-mini-reasoning.json --out /tmp/phi4run --force
 *   node bench/mix-recipe.mjs pipelines/phi4-mini-reasoning.json /tmp/phi4run [encodeThreads=0]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadMix } from "../dist/config/load.js";
import { rebuildOutputs } from "../dist/mix/rebuild.js";

const [mixPath = "pipelines/phi4-mini-reasoning.json", runDir = "/tmp/phi4run", threads = "0"] = process.argv.slice(2);
if (!existsSync(join(runDir, "manifest.json"))) {
  console.error(`${runDir}: no finished run (manifest.json); run \`node dist/cli/main.js run ${mixPath} --out ${runDir}\` first`);
  process.exit(2);
}
const loaded = loadMix(mixPath);
const t0 = performance.now();
const manifests = await rebuildOutputs(loaded.config, runDir, loaded.hash, Number(threads));
const secs = (performance.now() - t0) / 1000;
const none = Object.keys(manifests).length === 0 ? "; no outputs configured in the mix file" : "";
console.log(`rebuildOutputs ${secs.toFixed(1)} s (problem stats pass + 2 passes over the run's shards); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB${none}`);
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
  console.log(`  overlap: ${Object.entries(m.overlap).map(([k, v]) => `${k} ${v}`).join(", ")}; shards ${m.shards.length} (${m.shards.reduce((a, s) => a + s.bytes, 0)} bytes, sha256 ${m.shards.map((s) => s.sha256.slice(0, 12)).join(" ")})`);
  if (m.warnings.length) console.log(`  warnings: ${m.warnings.join("; ")}`);
}
