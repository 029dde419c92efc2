// Evidence for the quality signals on the Sky-T1 long-CoT evaluation traces (issue 6).
//
//   npm run build && node bench/quality-evidence.mjs [../shared/data/traces/skyt1_long_cot_evals.jsonl] [--sample]
//
// Prints: the truncation signal's confusion matrix against the file's `truncated` field (overall and by
// format), the loop detector's hits among truncated / untruncated traces, the other signals' hit counts,
// and with --sample a seeded sample of 30 flagged and 30 unflagged traces (signals + the response's end)
// for manual review. The tag splitter below is a tiny stand-in for src/record/trace.ts.
import { readFileSync, existsSync } from "node:fs";
import { computeSignals } from "../dist/quality/signals.js";
import { prepareOptions, resolveQualityOptions } from "../dist/quality/options.js";
import { boxedAnswers } from "../dist/quality/answers.js";
import { qualityDrop } from "../dist/quality/annotator.js";

const file = process.argv.find((a, i) => i >= 2 && !a.startsWith("--")) ?? new URL("../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url).pathname;
if (!existsSync(file)) {
  console.error(`quality-evidence: ${file} not found (pass the Sky-T1 traces JSONL as the first argument)`);
  process.exit(2);
}

/** <|begin_of_thought|> … <|end_of_thought|> <|begin_of_solution|> … <|end_of_solution|> */
function split(s) {
  const a = s.indexOf("<|begin_of_thought|>");
  if (a < 0) return { format: "plain", reasoning: null, solution: s.trim(), unterminated: false, solutionUnterminated: false };
  const b = s.indexOf("<|end_of_thought|>", a);
  if (b < 0) return { format: "thought", reasoning: s.slice(a + 20).trim(), solution: "", unterminated: true, solutionUnterminated: false };
  const c = s.indexOf("<|begin_of_solution|>", b);
  const d = c < 0 ? -1 : s.indexOf("<|end_of_solution|>", c);
  const solution = c < 0 ? s.slice(b + 18) : d < 0 ? s.slice(c + 21) : s.slice(c + 21, d);
  return { format: "thought", reasoning: s.slice(a + 20, b).trim(), solution: solution.trim(), unterminated: false, solutionUnterminated: c >= 0 && d < 0 };
}

/** the thresholds proposed in docs/quality.md */
export const FILTERS = { dropTruncated: true, maxRepetition: 0.5, maxTailLoopTokens: 800, maxForeignScript: 0.2, maxCodeShare: 0.3 };

/**
 * The quality filters, with the `conflictingAnswers` signal checked where the quality filter
 * `dropConflictingAnswers` once checked it (after truncation), so that the seeded sample stays the one
 * reviewed in docs/quality.md. In a run, conflicting boxes are verification's filter (dropConflictingBoxed,
 * reason verify:conflicting_boxed).
 */
function drop(record) {
  const truncated = qualityDrop(record, { dropTruncated: true });
  if (truncated) return truncated;
  if (record.quality.conflictingAnswers) return { reason: "conflicting_answers (signal)", detail: `${record.quality.distinctBoxed} different boxed answers` };
  return qualityDrop(record, FILTERS);
}
const LOOP_TOKENS = FILTERS.maxTailLoopTokens;

const options = prepareOptions(resolveQualityOptions(undefined));
const rows = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const items = rows.map((r) => {
  const trace = split(r.response);
  const q = computeSignals({ response: r.response, trace, finishReason: null }, options);
  const record = { response: r.response, trace, quality: q, finishReason: null };
  return { r, q, trace, drop: drop(record) };
});
const label = (r) => r.truncated === true || r.truncated === "True";

function matrix(sel, name) {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (const it of items.filter(sel)) {
    const y = label(it.r);
    const p = it.q.truncated;
    if (y && p) tp++;
    else if (!y && p) fp++;
    else if (y && !p) fn++;
    else tn++;
  }
  const precision = tp / (tp + fp || 1);
  const recall = tp / (tp + fn || 1);
  console.log(`${name.padEnd(34)} n=${String(tp + fp + fn + tn).padStart(5)}  TP ${tp}  FP ${fp}  FN ${fn}  TN ${tn}  precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}`);
}
console.log(`file: ${file} (${items.length} traces)\n`);
console.log("truncation signal (q.truncated) vs the `truncated` field:");
matrix(() => true, "all");
matrix((it) => it.trace.format === "thought", "thought-tag traces");
matrix((it) => it.trace.format === "plain", "plain traces (no tags)");

// components
const count = (sel) => items.filter(sel).length;
console.log("\ncomponents:");
for (const [name, f] of [["unterminated", (q) => q.unterminated], ["!hasFinalAnswer", (q) => !q.hasFinalAnswer], ["danglingEnd", (q) => q.danglingEnd]]) {
  console.log(`  ${name.padEnd(18)} among truncated ${count((it) => label(it.r) && f(it.q))}/${count((it) => label(it.r))}   among untruncated ${count((it) => !label(it.r) && f(it.q))}/${count((it) => !label(it.r))}`);
}

console.log(`\nloop detector (tailLoopTokens > ${LOOP_TOKENS} | repetition > ${FILTERS.maxRepetition}):`);
for (const [name, sel] of [
  ["truncated (label)", (it) => label(it.r)],
  ["untruncated (label)", (it) => !label(it.r)],
  ["untruncated & correct", (it) => !label(it.r) && it.r.correct === true],
  ["untruncated & thought tags", (it) => !label(it.r) && it.trace.format === "thought"],
  ["untruncated & plain", (it) => !label(it.r) && it.trace.format === "plain"],
]) {
  const set = items.filter(sel);
  const loop = set.filter((it) => it.q.tailLoopTokens > LOOP_TOKENS).length;
  const rep = set.filter((it) => it.q.repetition > FILTERS.maxRepetition).length;
  const either = set.filter((it) => it.q.tailLoopTokens > LOOP_TOKENS || it.q.repetition > FILTERS.maxRepetition).length;
  console.log(`  ${name.padEnd(28)} n=${String(set.length).padStart(5)}  loop ${loop} (${((100 * loop) / set.length).toFixed(1)}%)  repetition ${rep} (${((100 * rep) / set.length).toFixed(1)}%)  either ${either} (${((100 * either) / set.length).toFixed(1)}%)`);
}

console.log("\nother signals (all traces):");
console.log(`  foreignShareMax > 0.2: ${count((it) => it.q.foreignShareMax > 0.2)}   foreignLetters > 0: ${count((it) => it.q.foreignLetters > 0)}`);
console.log(`  codeShare > 0.3: ${count((it) => it.q.codeShare > 0.3)}   codeShare > 0: ${count((it) => it.q.codeShare > 0)}   codeBlocks > 0: ${count((it) => it.q.codeBlocks > 0)}`);
console.log(`  conflictingAnswers: ${count((it) => it.q.conflictingAnswers)}  (of which labelled correct: ${count((it) => it.q.conflictingAnswers && it.r.correct === true)})`);
console.log(`  reasoningChars < 200 (thought tags): ${count((it) => it.trace.format === "thought" && it.q.reasoningChars < 200)}`);
const reasons = {};
for (const it of items) reasons[it.drop?.reason ?? "kept"] = (reasons[it.drop?.reason ?? "kept"] ?? 0) + 1;
console.log("\nfirst drop reason with", JSON.stringify(FILTERS), "\n ", reasons);

if (process.argv.includes("--sample")) {
  // seeded Fisher–Yates (mulberry32), deterministic
  let a = 17;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const shuffle = (xs) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const show = (it) => {
    const q = it.q;
    const tail = it.r.response.slice(-220).replace(/\s+/g, " ");
    const boxes = it.drop?.reason === "conflicting_answers (signal)" ? ` boxed=${JSON.stringify(boxedAnswers(it.trace.solution))} gt=${it.r.gt_answer}` : "";
    return `${it.r.id} | drop=${it.drop?.reason ?? "-"} trunc=${q.truncated} unterm=${q.unterminated} ans=${q.hasFinalAnswer} rep=${q.repetition} loop=${q.tailLoopTokens} lz=${q.tailLzRatio} foreign=${q.foreignShareMax} code=${q.codeShare} boxes=${q.boxedCount}/${q.distinctBoxed} | label trunc=${label(it.r)} correct=${it.r.correct} fmt=${it.r.format}${boxes}\n    …${tail}`;
  };
  // flagged: stratified by drop reason (up to 6 of each minority reason, the rest truncated), seeded
  const flagged = shuffle(items.filter((it) => it.drop));
  const byReason = new Map();
  for (const it of flagged) byReason.set(it.drop.reason, [...(byReason.get(it.drop.reason) ?? []), it]);
  const picked = [];
  for (const [reason, list] of [...byReason].sort()) if (reason !== "quality:truncated") picked.push(...list.slice(0, 6));
  picked.push(...(byReason.get("quality:truncated") ?? []).slice(0, 30 - picked.length));
  console.log("\n=== 30 flagged (stratified by reason) ===");
  for (const it of picked) console.log(show(it));
  console.log("\n=== 30 unflagged ===");
  for (const it of shuffle(items.filter((it) => !it.drop)).slice(0, 30)) console.log(show(it));
}
