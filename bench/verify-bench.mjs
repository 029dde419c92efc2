#!/usr/bin/env node
/**
 * Verification throughput on one core: pairs/s and p50/p99 latency per pair on a fixed, generated pair
 * mix (integers, AIME zero padding, fractions vs decimals, radicals, π, polynomials, tuples, intervals,
 * sets, matrices, text, multiple choice, near misses), each wrapped in a short response with \boxed{}
 * so extraction is measured too. With ../shared/data present, a second row runs the real Sky-T1 and
 * baseline evaluation responses (gold vs whole response).
 *
 *   node bench/verify-bench.mjs [--pairs N] [--data DIR]
 *
 * Imports from dist/: run `npm run build` first.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Verifier } from "../dist/verify/verifier.js";
import { normalizeTrace } from "../dist/record/trace.js";
import { report } from "./bench-json.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : dflt;
};
const N = Number(opt("--pairs", "20000"));
const dataDir = resolve(opt("--data", join(here, "..", "..", "shared", "data", "traces")));

// deterministic generator (mulberry32)
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(17);
const int = (a, b) => a + Math.floor(rand() * (b - a + 1));

// [gold, pred, equal?]: the near misses (false) check that speed is not bought with wrong verdicts
const TEMPLATES = [
  () => { const n = int(0, 999); return [String(n), String(n)]; },
  () => { const n = int(0, 999); return [String(n), String(n).padStart(3, "0")]; },
  () => { const n = int(0, 999); return [String(n), String(n + int(1, 3))]; },
  () => { const a = int(1, 9), b = int(a + 1, 12); return [`\\frac{${a}}{${b}}`, `\\dfrac${a}{${b}}`]; },
  () => { const a = int(1, 9), b = int(a + 1, 12); return [`\\frac{${a}}{${b}}`, String(a / b)]; },
  () => { const a = int(1, 9), b = int(a + 1, 12); return [`\\frac{${a}}{${b}}`, `\\frac{${a}}{${b + 1}}`]; },
  () => { const a = int(2, 9), b = int(2, 5); return [`\\frac{${a}\\sqrt{${b}}}{2}`, `\\frac{${a}}{2}\\sqrt${b}`]; },
  () => { const a = int(2, 9); return [`${a}\\pi`, `\\pi \\cdot ${a}`]; },
  () => { const a = int(1, 5); return [`(x+${a})^2`, `x^2+${2 * a}x+${a * a}`]; },
  () => { const a = int(1, 5); return [`(x+${a})^2`, `x^2+${2 * a}x+${a * a + 1}`]; },
  () => { const a = int(-9, 9), b = int(-9, 9); return [`(${a},${b})`, `\\left( ${a}, ${b} \\right)`]; },
  () => { const a = int(-9, 9), b = int(10, 19); return [`(${a},${b}]`, `\\left(${a}, ${b}\\right]`]; },
  () => { const a = int(-9, 9), b = int(10, 19); return [`\\{${a},${b}\\}`, `${b}, ${a}`]; },
  () => { const a = int(1, 9); return [`\\begin{pmatrix} ${a} & 0 \\\\ 0 & ${a} \\end{pmatrix}`, `\\begin{bmatrix}${a}&0\\\\0&${a}\\end{bmatrix}`]; },
  () => ["\\text{(C)}", "C"],
  () => { const a = int(10, 99); return [`${a}^\\circ`, `${a}`]; },
  () => { const a = int(1, 99); return [`${a}\\%`, `${a}`]; },
  () => { const a = int(1000, 99999); return [String(a), a.toLocaleString("en-US")]; },
  () => { const a = int(1, 9); return [`${a}\\sqrt{2}`, `\\sqrt{${2 * a * a}}`]; },
  () => { const a = int(1, 9); return [`y=${a}x+1`, `y = 1 + ${a}x`]; },
];

function response(answer) {
  return `<|begin_of_thought|>\n\nLet me think about this step by step. First compute the value.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nAfter simplifying, we obtain the result.\n\nThe final answer is \\(\\boxed{${answer}}\\).\n\n<|end_of_solution|>`;
}

/** templates whose pair is deliberately unequal */
const NEAR_MISSES = new Set([2, 5, 9]);
const pairs = [];
for (let k = 0; k < N; k++) {
  const [gold, pred] = TEMPLATES[k % TEMPLATES.length]();
  pairs.push({ gold, response: response(pred), expect: NEAR_MISSES.has(k % TEMPLATES.length) ? "incorrect" : "correct" });
}

/** fast layers only (no symbolic worker): what the annotate threads spend per rollout */
function runFast(label, list) {
  const verifier = new Verifier();
  for (let k = 0; k < Math.min(2000, list.length); k++) {
    const t = normalizeTrace(list[k].response);
    verifier.verifyFast({ reference: list[k].gold, solution: t.solution, unterminated: t.unterminated });
  }
  const lat = new Float64Array(list.length);
  let deferred = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < list.length; k++) {
    const s = performance.now();
    const t = normalizeTrace(list[k].response);
    const v = verifier.verifyFast({ reference: list[k].gold, solution: t.solution, unterminated: t.unterminated, answerBlock: t.format === "think_answer" });
    lat[k] = performance.now() - s;
    if (v.rule === "needs_symbolic") deferred++;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(
    `${label}: ${list.length} pairs in ${secs.toFixed(2)} s = ${Math.round(list.length / secs).toLocaleString("en-US")} pairs/s ` +
      `(${Math.round(list.length / cpuSecs).toLocaleString("en-US")} pairs per CPU-second); ` +
      `p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms; would need the symbolic worker: ${deferred}`,
  );
}

async function run(label, list) {
  const verifier = new Verifier();
  // warm-up (JIT) on a prefix, not timed
  for (let k = 0; k < Math.min(2000, list.length); k++) {
    const t = normalizeTrace(list[k].response);
    verifier.verifyFast({ reference: list[k].gold, solution: t.solution, unterminated: t.unterminated });
  }
  // the symbolic worker starts once per annotator (compute-engine import + warm-up): timed apart
  const ws = performance.now();
  await verifier.compare("\\sum_{k=1}^{2} k", "3");
  const workerStartMs = performance.now() - ws;
  const lat = new Float64Array(list.length);
  const verdicts = {};
  let symbolic = 0;
  let wrong = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < list.length; k++) {
    const s = performance.now();
    const t = normalizeTrace(list[k].response);
    const v = await verifier.verify({ reference: list[k].gold, solution: t.solution, unterminated: t.unterminated, answerBlock: t.format === "think_answer" });
    lat[k] = performance.now() - s;
    verdicts[v.verdict] = (verdicts[v.verdict] ?? 0) + 1;
    if (list[k].expect && v.verdict !== list[k].expect) wrong++;
    if (v.rule.includes("symbolic") || v.rule === "timeout") symbolic++;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  await verifier.close();
  const sorted = Array.from(lat).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(
    `${label}: ${list.length} pairs in ${secs.toFixed(2)} s = ${Math.round(list.length / secs).toLocaleString("en-US")} pairs/s ` +
      `(${Math.round(list.length / cpuSecs).toLocaleString("en-US")} pairs per CPU-second, symbolic thread included); ` +
      `p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms; ` +
      `symbolic ${symbolic}; verdicts ${JSON.stringify(verdicts)}` +
      (list[0].expect ? `; wrong verdicts ${wrong}` : "") +
      `; symbolic worker start (once, untimed) ${workerStartMs.toFixed(0)} ms`,
  );
  return { pairs: list.length, pairsPerSecond: list.length / secs, pairsPerCpuSecond: list.length / cpuSecs, p50Ms: q(0.5), p99Ms: q(0.99) };
}

await run("generated mix", pairs);

const files = ["skyt1_long_cot_evals.jsonl", "short_cot_baselines_evals.jsonl"].map((f) => join(dataDir, f));
if (files.every(existsSync)) {
  const real = [];
  for (const f of files) {
    const rl = createInterface({ input: createReadStream(f), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.trim()) continue;
      const r = JSON.parse(line);
      real.push({ gold: r.gt_answer, response: r.response });
    }
  }
  runFast("sky-t1 + baselines, fast layers only", real);
  const figures = await run("sky-t1 + baselines (whole responses)", real);
  report("verify", { real: figures, reference: { pairsPerSecond: 15, note: "Math-Verify 0.8.0 on the same kind of responses, measured for issue #22" } });
} else {
  console.log(`(no evaluation data in ${dataDir}; real-response row skipped)`);
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
