#!/usr/bin/env node
/**
 * Agreement of `curate` verdicts with the harness labels (`correct`) of the SkyThought evaluation
 * dumps in ../shared/data/traces. Prints agreement per file and overall, a confusion table, and
 * writes every disagreement (id, gold, harness pred, our extraction, verdict, rule, tail of the
 * response) to a JSONL file for reading.
 *
 *   node bench/verify-agreement.mjs [--data DIR] [--dump FILE] [--json]
 *
 * Imports from dist/: run `npm run build` first.
 */
import { createReadStream, existsSync, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { join, resolve, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { Verifier } from "../dist/verify/verifier.js";
import { normalizeTrace } from "../dist/record/trace.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : dflt;
};
const dataDir = resolve(opt("--data", join(here, "..", "..", "shared", "data", "traces")));
const dumpPath = resolve(opt("--dump", join(tmpdir(), "verify-disagreements.jsonl")));
const asJson = args.includes("--json");
const FILES = ["skyt1_long_cot_evals.jsonl", "short_cot_baselines_evals.jsonl"];

if (!FILES.every((f) => existsSync(join(dataDir, f)))) {
  console.log(`verify-agreement: data not found in ${dataDir} (need ${FILES.join(", ")}); nothing to do`);
  process.exit(0);
}

const verifier = new Verifier();
const dump = createWriteStream(dumpPath);
const summary = { files: {}, overall: null, dump: dumpPath };
let all = { rows: 0, agree: 0 };
const t0 = performance.now();
for (const f of FILES) {
  const confusion = {};
  let rows = 0;
  let agree = 0;
  const rl = createInterface({ input: createReadStream(join(dataDir, f)), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    const label = row.correct === true || row.correct === "True";
    const split = normalizeTrace(row.response);
    const v = await verifier.verify({ reference: row.gt_answer, solution: split.solution, unterminated: split.unterminated, answerBlock: split.format === "think_answer", problem: row.problem });
    const ours = v.verdict === "correct";
    rows++;
    const key = `${label ? "label_true" : "label_false"} / ${v.verdict}`;
    confusion[key] = (confusion[key] ?? 0) + 1;
    if (ours === label) agree++;
    else {
      dump.write(
        JSON.stringify({
          file: f,
          id: row.id,
          label,
          verdict: v.verdict,
          rule: v.rule,
          gold: row.gt_answer,
          harness_pred: row.pred,
          extracted: v.extracted,
          extractedBy: v.extractedBy,
          conflicting: v.conflicting,
          truncated: row.truncated,
          tail: row.response.slice(-300),
        }) + "\n",
      );
    }
  }
  summary.files[f] = { rows, agree, agreement: agree / rows, confusion };
  all.rows += rows;
  all.agree += agree;
}
// Mismatch check: each reference against another row's response (deterministic shuffle), skipping pairs
// whose references are themselves equivalent. A "correct" here is either a coincidence (the other model
// answered this very value, rule "string") or an equivalence false positive (any other rule).
const shuffled = [];
for (const f of FILES) {
  const rl = createInterface({ input: createReadStream(join(dataDir, f)), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) shuffled.push(JSON.parse(line));
}
const mismatch = { pairs: 0, coincidences: 0, falsePositives: 0, examples: [] };
for (let i = 0; i < shuffled.length; i++) {
  const other = shuffled[(i * 7919 + 13) % shuffled.length];
  const gold = shuffled[i].gt_answer;
  if (other.gt_answer === gold || (await verifier.compare(gold, other.gt_answer)).verdict === "correct") continue;
  const split = normalizeTrace(other.response);
  const v = await verifier.verify({ reference: gold, solution: split.solution, unterminated: split.unterminated, answerBlock: split.format === "think_answer" });
  mismatch.pairs++;
  if (v.verdict !== "correct") continue;
  if (v.rule === "string") mismatch.coincidences++;
  else {
    mismatch.falsePositives++;
    mismatch.examples.push({ gold, extracted: v.extracted, rule: v.rule });
  }
}
summary.mismatch = mismatch;
summary.overall = { rows: all.rows, agree: all.agree, agreement: all.agree / all.rows, seconds: (performance.now() - t0) / 1000, symbolic: verifier.symbolicStats };
await verifier.close();
dump.end();
if (asJson) console.log(JSON.stringify(summary, null, 2));
else {
  for (const [f, s] of Object.entries(summary.files)) {
    console.log(`${f}: ${s.agree}/${s.rows} agree (${(100 * s.agreement).toFixed(2)}%)`);
    for (const [k, n] of Object.entries(s.confusion).sort()) console.log(`    ${k.padEnd(36)} ${n}`);
  }
  const o = summary.overall;
  console.log(`overall: ${o.agree}/${o.rows} (${(100 * o.agreement).toFixed(2)}%) in ${o.seconds.toFixed(1)} s; symbolic workers spawned ${o.symbolic.spawned}, timeouts ${o.symbolic.timeouts}`);
  console.log(`disagreements: ${dumpPath}`);
  const m = summary.mismatch;
  console.log(`mismatch check: ${m.pairs} reference/other-response pairs; correct by coincidence (same value) ${m.coincidences}; equivalence false positives ${m.falsePositives}`);
  for (const e of m.examples) console.log(`    ${JSON.stringify(e)}`);
}
