// Near-duplicate clusters of ../shared/data/problems: how many clusters span different reference
// answers, with examples. Usage: node bench/minhash-problems-clusters.mjs [threshold] [examples]
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { dedupeFile } from "../dist/group/dedupe-file.js";

const dir = new URL("../../shared/data/problems/", import.meta.url).pathname;
const threshold = Number(process.argv[2] ?? 0.8);
const examples = Number(process.argv[3] ?? 12);
const rows = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
  for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const v = JSON.parse(line);
    rows.push({ id: `${f.replace(".jsonl", "")}:${rows.length}`, problem: v.problem, answer: v.answer == null ? null : String(v.answer) });
  }
}
const tmp = mkdtempSync(join(tmpdir(), "minhash-problems-"));
const input = join(tmp, "problems.jsonl");
writeFileSync(input, rows.map((r) => JSON.stringify({ id: r.id, problem: r.problem })).join("\n") + "\n");
const lines = [];
const t0 = performance.now();
await dedupeFile(input, { field: "problem", idField: "id", threshold, check: "exact", representative: "first", ngram: 5, permutations: 128, workers: 2 }, (l) => lines.push(l));
const ms = performance.now() - t0;
const normAnswer = (a) => (a ?? "").replace(/\s+/g, "").replace(/^\$|\$$/g, "").replace(/\\[dt]frac/g, "\\frac").replace(/^0+(?=\d)/, "").replace(/\.0+$/, "");
const byCluster = new Map();
lines.forEach((l, i) => {
  if (!byCluster.has(l.cluster)) byCluster.set(l.cluster, []);
  byCluster.get(l.cluster).push(i);
});
const norm = (p) => p.toLowerCase().replace(/\s+/g, " ").trim();
let multi = 0, spanning = 0;
const spanningList = [];
for (const [cluster, idx] of byCluster) {
  const texts = new Set(idx.map((i) => norm(rows[i].problem)));
  if (texts.size < 2) continue;
  multi++;
  const answers = new Set(idx.map((i) => normAnswer(rows[i].answer)));
  if (answers.size > 1) {
    spanning++;
    spanningList.push({ cluster, idx, answers: [...answers] });
  }
}
console.log(`rows ${rows.length}, clusters ${byCluster.size}, clusters with >1 distinct problem text ${multi}, spanning different reference answers ${spanning}, ${(rows.length / ms * 1000).toFixed(0)} rows/s (threshold ${threshold})`);
for (const s of spanningList.slice(0, examples)) {
  console.log(`\n== cluster ${s.cluster} answers ${JSON.stringify(s.answers)}`);
  const seen = new Set();
  for (const i of s.idx) {
    const key = norm(rows[i].problem);
    if (seen.has(key)) continue;
    seen.add(key);
    console.log(`  [${rows[i].id}] answer=${JSON.stringify(rows[i].answer)}\n    ${rows[i].problem.replace(/\s+/g, " ").slice(0, 400)}`);
  }
}
