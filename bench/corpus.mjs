#!/usr/bin/env node
/**
 * Deterministic benchmark corpus: N rollouts (default 100,000), 8 per problem, response lengths drawn
 * like real long CoT (log-normal, median ~8 KB, tail to 150 KB), LaTeX-heavy text, <think> tags,
 * ~70% correct boxed answers, some truncated, some exact duplicates and reworded duplicate problems.
 *
 *   node bench/corpus.mjs [--rows 100000] [--out bench/out/corpus-100k.jsonl]
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith("--") ? [a.slice(2), xs[i + 1]] : null)).filter(Boolean));
const rows = Number(args.rows ?? 100_000);
const out = args.out ?? `bench/out/corpus-${rows / 1000}k.jsonl`;
mkdirSync(dirname(out), { recursive: true });

let s = 0x9e3779b9;
const rand = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const words = "we let consider the so then thus hence therefore note that if and only since because suppose assume compute find value sum product integer prime divisor triangle circle angle side length area probability equation root polynomial function sequence term coefficient remainder modulo case check again wait hmm actually careful mistake recompute verify substitute simplify expand factor".split(" ");
const latex = ["\\frac{a}{b}", "x^2 + 2x + 1", "\\sqrt{2}", "\\binom{n}{k}", "\\pi r^2", "a_n = a_{n-1} + 2", "\\sum_{i=1}^{n} i", "(x+1)^2", "\\equiv 3 \\pmod{7}", "\\angle ABC = 60^\\circ", "\\left(\\frac{1}{2}\\right)^3", "e^{i\\theta}"];

function paragraph() {
  const n = 20 + Math.floor(rand() * 60);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(rand() < 0.12 ? `$${pick(latex)}$` : pick(words));
  return parts.join(" ") + ".";
}
function text(bytes) {
  const ps = [];
  let len = 0;
  while (len < bytes) {
    const p = paragraph();
    ps.push(p);
    len += p.length + 2;
  }
  return ps.join("\n\n");
}

const ws = createWriteStream(out);
const problems = Math.ceil(rows / 8);
let written = 0;
let bytes = 0;
for (let p = 0; p < problems && written < rows; p++) {
  const a = 2 + Math.floor(rand() * 90), b = 2 + Math.floor(rand() * 90);
  let problem = `Let $f(x) = ${a}x^2 + ${b}$. ${paragraph()} Find the remainder when $f(${a + b})$ is divided by $1000$.`;
  if (p % 50 === 49) problem = problem.replace("Find", "Determine"); // reworded near-duplicate of itself's neighbour pattern
  const answer = String((a * (a + b) ** 2 + b) % 1000);
  for (let k = 0; k < 8 && written < rows; k++) {
    const target = Math.min(150_000, Math.max(600, Math.round(8000 * Math.exp(0.9 * gauss()))));
    const reasoning = text(target);
    const truncated = rand() < 0.05;
    const correct = rand() < 0.7;
    const boxed = correct ? answer : String((Number(answer) + 1 + Math.floor(rand() * 9)) % 1000);
    const response = truncated ? `<think>\n${reasoning}` : `<think>\n${reasoning}\n</think>\n\nTherefore the remainder is $\\boxed{${boxed}}$.`;
    const line = JSON.stringify({ id: `bench-${p}-${k}`, problem, response, answer, finish_reason: truncated ? "length" : "stop", level: `Level ${1 + (p % 5)}`, subject: pick(["Algebra", "Number Theory", "Geometry", "Counting & Probability"]) }) + "\n";
    if (!ws.write(line)) await new Promise((r) => ws.once("drain", r)); // backpressure: memory stays flat
    bytes += line.length;
    written++;
    if (k === 0 && p % 40 === 39) {
      if (!ws.write(line.replace(`"bench-${p}-0"`, `"bench-${p}-dup"`))) await new Promise((r) => ws.once("drain", r)); // exact duplicate
      written++;
    }
  }
}
await new Promise((r) => ws.end(r));
console.log(JSON.stringify({ out, rows: written, mb: +(bytes / 1e6).toFixed(1) }));
