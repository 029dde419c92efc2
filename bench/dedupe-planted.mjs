// Planted near-duplicate problems: decision quality of the problem grouper on real statements.
//
// From the problems of ../shared/data/problems (≥ 60 words, distinct after case/space folding) it
// draws `bases` originals and plants one copy of each kind per original:
//   reformatted  case, spacing and line breaks changed                     → must merge (goal 100 %)
//   1-word       one prose word replaced by another word                   → must merge (goal ≥ 95 %)
//   2-word       two prose words replaced                                  → must merge (goal ≥ 90 %)
//   half         half of all words replaced (a different text)             → never merged
//   number       one number changed (a template sibling: another problem)  → never merged
// All copies and originals go through one grouper run (as in `curate dedupe`); a copy counts as
// merged when it ends in its original's problem group. "originals merged" counts pairs of distinct
// originals sharing a group (the data has some real near-duplicates across sources, so not all are errors).
//
// Usage: npm run build && node bench/dedupe-planted.mjs [bases=1000] [threshold=0.8] [seed=7]
// The test test/group/dedupe-planted.test.ts imports plantedSet/clusterTexts with a small set.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { rng as prng } from "./decontam-planted.mjs"; // mulberry32, shared by the planted-set benches

export const KINDS = ["reformatted", "1-word", "2-word", "half", "number"];
export const MUST_MERGE = new Set(["reformatted", "1-word", "2-word"]);

const PROSE = /^[A-Za-z]{3,}[.,;:?]?$/;

/** Problems of ≥ minWords words from the shared problem files, distinct after case/space folding, file order. */
export function loadProblems(dir, minWords = 60) {
  if (!existsSync(dir)) return null;
  const seen = new Set();
  const out = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const p = JSON.parse(line).problem;
      if (typeof p !== "string") continue;
      const words = p.split(/\s+/).filter(Boolean);
      const key = words.join(" ").toLowerCase();
      if (words.length < minWords || seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  }
  return out;
}

/** Indices of prose words (letters only, outside $…$) in a whitespace split that keeps the separators. */
function proseWords(parts) {
  const idx = [];
  let inMath = false;
  for (let i = 0; i < parts.length; i += 2) {
    const w = parts[i];
    const dollars = (w.match(/\$/g) ?? []).length;
    if (!inMath && dollars === 0 && PROSE.test(w)) idx.push(i);
    if (dollars % 2 === 1) inMath = !inMath;
  }
  return idx;
}

function replaceWords(text, count, vocab, rand) {
  const parts = text.split(/(\s+)/);
  const idx = proseWords(parts);
  if (idx.length < count) return null;
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(rand() * (idx.length - k));
    [idx[k], idx[j]] = [idx[j], idx[k]];
    const i = idx[k];
    const tail = parts[i].match(/[.,;:?]$/)?.[0] ?? "";
    let w;
    do w = vocab[Math.floor(rand() * vocab.length)];
    while (w.toLowerCase() === parts[i].replace(/[.,;:?]$/, "").toLowerCase());
    parts[i] = w + tail;
  }
  return parts.join("");
}

function reformat(text, rand) {
  const parts = text.split(/(\s+)/);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) {
      const r = rand();
      parts[i] = r < 0.15 ? "\n" : r < 0.3 ? "  " : r < 0.35 ? " \n\n" : parts[i];
    } else if (PROSE.test(parts[i]) && rand() < 0.3) {
      parts[i] = rand() < 0.5 ? parts[i].toUpperCase() : parts[i][0].toUpperCase() + parts[i].slice(1);
    }
  }
  return "  " + parts.join("") + "\n";
}

function halfRewrite(text, vocab, rand) {
  const parts = text.split(/(\s+)/);
  for (let i = 0; i < parts.length; i += 2) if (rand() < 0.5) parts[i] = vocab[Math.floor(rand() * vocab.length)];
  return parts.join("");
}

/** One number of the statement changed (n → n + 1..9): a template sibling, another problem. */
function changeNumber(text, rand) {
  const spans = [...text.matchAll(/\d+/g)].filter((m) => m.index > 20 || text.length < 40);
  if (spans.length === 0) return null;
  const m = spans[Math.floor(rand() * spans.length)];
  const n = String(Number(m[0].slice(-6)) + 1 + Math.floor(rand() * 9));
  return text.slice(0, m.index) + n + text.slice(m.index + m[0].length);
}

/**
 * Originals and their planted copies. Returns rows { text, base, kind } (kind "original" for the
 * originals), originals first, copies shuffled after them.
 */
export function plantedSet(problems, bases, seed = 7) {
  const rand = prng(seed);
  const order = problems.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const vocab = [];
  for (const p of problems.slice(0, 2000)) for (const w of p.split(/\s+/)) if (/^[a-z]{4,}$/.test(w)) vocab.push(w);
  const rows = [];
  const copies = [];
  for (const i of order) {
    if (rows.length >= bases) break;
    const text = problems[i];
    const made = {
      reformatted: reformat(text, rand),
      "1-word": replaceWords(text, 1, vocab, rand),
      "2-word": replaceWords(text, 2, vocab, rand),
      half: halfRewrite(text, vocab, rand),
      number: changeNumber(text, rand),
    };
    if (Object.values(made).some((t) => t === null)) continue;
    const base = rows.length;
    rows.push({ text, base, kind: "original" });
    for (const kind of KINDS) copies.push({ text: made[kind], base, kind });
  }
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copies[i], copies[j]] = [copies[j], copies[i]];
  }
  return rows.concat(copies);
}

/**
 * Problem group of every text, grouped in process like `curate dedupe` (sketches inline).
 * `mod` holds ProblemGrouper, sketchBatch and resolveSketch (from src/ in tests, dist/ in benches).
 */
export async function clusterTexts(texts, mod, dedupe = {}, sketch = {}) {
  const resolved = mod.resolveSketch(sketch, dedupe);
  const tmp = mkdtempSync(join(tmpdir(), "dedupe-planted-"));
  try {
    const grouper = new mod.ProblemGrouper({ dedupe, sketch, seed: 0 }, tmp);
    const s = mod.sketchBatch({ params: resolved.problem, stripPhrases: resolved.stripPhrases, stockPhrases: resolved.stockPhrases, texts });
    const hex = (x) => (x >>> 0).toString(16).padStart(8, "0");
    texts.forEach((text, i) => {
      grouper.add({
        ordinal: i, id: String(i), source: "planted", problemKey: hex(s.keys[2 * i]) + hex(s.keys[2 * i + 1]),
        sketch: s.empty[i] ? { bands: [], bits: [] } : { bands: s.bands.subarray(i * s.bandCount, (i + 1) * s.bandCount), bits: s.bits.subarray(i * s.bitWords, (i + 1) * s.bitWords) },
        problemText: text, responseChars: 0,
      });
    });
    const result = await grouper.finish();
    return texts.map((_, i) => result.info(i).problemGroup);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Merged fraction per kind, and pairs of distinct originals that share a group. */
export function plantedTable(rows, groups) {
  const groupOfBase = new Map();
  const table = Object.fromEntries(KINDS.map((k) => [k, { copies: 0, merged: 0 }]));
  const perGroup = new Map();
  rows.forEach((r, i) => {
    if (r.kind !== "original") return;
    groupOfBase.set(r.base, groups[i]);
    perGroup.set(groups[i], (perGroup.get(groups[i]) ?? 0) + 1);
  });
  rows.forEach((r, i) => {
    if (r.kind === "original") return;
    table[r.kind].copies++;
    if (groups[i] === groupOfBase.get(r.base)) table[r.kind].merged++;
  });
  let originalsMerged = 0;
  for (const n of perGroup.values()) originalsMerged += (n * (n - 1)) / 2;
  return { table, originals: groupOfBase.size, originalsMerged };
}

async function main() {
  const bases = Number(process.argv[2] ?? 1000);
  const threshold = Number(process.argv[3] ?? 0.8);
  const seed = Number(process.argv[4] ?? 7);
  const dir = new URL("../../shared/data/problems/", import.meta.url).pathname;
  const problems = loadProblems(dir);
  if (!problems) {
    console.log(`skipped: ${dir} is absent`);
    return;
  }
  const [{ ProblemGrouper }, { sketchBatch }, { resolveSketch }] = await Promise.all([
    import("../dist/group/group.js"), import("../dist/group/sketch-text.js"), import("../dist/group/params.js"),
  ]);
  const rows = plantedSet(problems, bases, seed);
  const cpu0 = process.cpuUsage();
  const groups = await clusterTexts(rows.map((r) => r.text), { ProblemGrouper, sketchBatch, resolveSketch }, { problems: { threshold } });
  const cpu = process.cpuUsage(cpu0);
  const { table, originals, originalsMerged } = plantedTable(rows, groups);
  console.log(`${originals} originals of ≥ 60 words (${problems.length} available), seed ${seed}, threshold ${threshold}, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} CPU-s`);
  console.log("| copy | copies | merged with its original | goal |\n|---|---:|---:|---|");
  for (const k of KINDS) {
    const t = table[k];
    const goal = { reformatted: "100 %", "1-word": "≥ 95 %", "2-word": "≥ 90 %", half: "0 %", number: "0 %" }[k];
    console.log(`| ${k} | ${t.copies} | ${((100 * t.merged) / t.copies).toFixed(1)} % (${t.merged}) | ${goal} |`);
  }
  console.log(`pairs of distinct originals in one group: ${originalsMerged}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
