#!/usr/bin/env node
/**
 * Throughput and memory of buildOutputs on a synthetic annotated corpus (src/mix/synthetic.ts):
 * each product alone, then all four together. Rows are streamed from memory, so the figures are the
 * mixing cost itself (two passes, planning, encoding, packing, Parquet writing), not shard decoding.
 *
 *   node bench/mix-bench.mjs [problems=2000] [maxRollouts=8] [encodeThreads=2]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildOutputs } from "../dist/mix/build.js";
import { syntheticCorpus, replay } from "../dist/mix/synthetic.js";
import { loadCounter } from "../dist/tokens/annotator.js";

const problems = Number(process.argv[2] ?? 2000);
const maxRollouts = Number(process.argv[3] ?? 8);
const count = await loadCounter("o200k_base");
let t0 = performance.now();
const corpus = syntheticCorpus({ problems, rollouts: [2, maxRollouts], steps: [4, 40], seed: 3, contaminated: 0.05 }, count);
const rows = corpus.rows.length;
const tokens = corpus.rows.reduce((a, r) => a + r.record.tokens.problem + r.record.tokens.response, 0);
console.log(`corpus: ${problems} problems, ${rows} rollouts, ${tokens} tokens (generated + counted in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const products = {
  midtrain: { kind: "midtrain", packTo: 16384, tokenBudget: Math.round(tokens * 0.8), weights: { "teacher-a": 2, "teacher-b": 1 } },
  sft: { kind: "sft", maxTokens: 1500, maxPerProblem: 4, difficultyQuotas: { solved: 0.5 } },
  dpo: { kind: "dpo", pairsPerProblem: 2, pairing: "closest_length" },
  rl: { kind: "rl", passRate: [0.1, 0.9] },
};
const config = (outputs) => ({ name: "bench", seed: 17, tokenizer: "o200k_base", sources: [{ name: "teacher-a" }, { name: "teacher-b" }], outputs });
const shard = { codec: "ZSTD", rowGroupRows: 1000, shardRows: 50000, shardBytes: 256 * 1024 * 1024 };

async function run(label, outputs, workers = 0) {
  const dir = mkdtempSync(join(tmpdir(), "mix-bench-"));
  t0 = performance.now();
  const m = await buildOutputs({ config: config(outputs), outDir: dir, rows: replay(corpus.rows, 1024), problem: corpus.problem, shard, workers });
  const secs = (performance.now() - t0) / 1000;
  const summary = Object.entries(m).map(([k, v]) => `${k} ${v.rows} rows / ${v.tokens} tokens`).join("; ");
  console.log(`${label.padEnd(10)} ${secs.toFixed(2).padStart(6)} s  ${Math.round(rows / secs).toString().padStart(8)} rollouts/s  ${(tokens / secs / 1e6).toFixed(2)} M input tokens/s   ${summary}`);
  rmSync(dir, { recursive: true, force: true });
  return m;
}
await run("rl", { rl: products.rl });
await run("sft", { sft: products.sft });
await run("dpo", { dpo: products.dpo });
await run("midtrain", { midtrain: products.midtrain });
const threads = Number(process.argv[4] ?? 2);
const mt = await run(`midtrain w=${threads}`, { midtrain: products.midtrain }, threads);
const all = await run(`all w=${threads}`, products, threads);
if (mt.midtrain.shards[0].sha256 !== all.midtrain.shards[0].sha256) throw new Error("midtrain bytes differ between runs");
const d = all.midtrain.details;
console.log(`midtrain: ${d.sequences} sequences, efficiency ${(100 * d.packingEfficiency).toFixed(2)}%, split rollouts ${d.splitRollouts}, budget error ${d.budgetError} tokens (max document ${d.maxDocumentTokens})`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (includes the in-memory corpus)`);
