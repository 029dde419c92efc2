/**
 * Planted decontamination test set, generated deterministically from the benchmark files and the
 * training problems under ../shared/data (nothing is copied into the repo).
 *
 * Positives (one per benchmark problem and variant):
 *   exact       — the benchmark problem verbatim
 *   reformatted — whitespace/newlines changed, `$…$` → `\(…\)`, `\frac` → `\dfrac`, LaTeX spacing,
 *                 a "Problem:" label and a "Please reason step by step…" instruction
 *   numbers     — one to three numbers replaced by other numbers
 *   embedded    — the problem inside a longer text (a preamble from another problem and a remark)
 *   reworded    — light rewording: two to four word/phrase substitutions from a fixed list
 * Negatives: the held-out quarter (fnv1a(problem) % 4 === 0) of every file in shared/data/problems,
 *   minus rows that are verbatim benchmark copies (same letters and digits in the same order, case
 *   ignored), which are real contamination, not negatives.
 *
 * Also exports the plain any-shared-8-gram rule (open-r1's decontaminate.py: lower-case, split on
 * whitespace, any word 8-gram of a benchmark problem in the row) as the comparison baseline.
 * Pure JS with no imports from src/, so tests and benches can share it.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

export const VARIANTS = ["exact", "reformatted", "numbers", "embedded", "reworded"];

export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: small seeded PRNG */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function readJsonl(file) {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

const ID_FIELDS = { math500: "unique_id", gsm8k: "idx", minerva_math: "idx" };
const FILES = { gsm8k: "gsm8k_test.jsonl" };

export function loadBenchmark(dir, name) {
  const rows = readJsonl(join(dir, FILES[name] ?? `${name}.jsonl`));
  const idField = ID_FIELDS[name] ?? "id";
  return rows.map((r, i) => ({ benchmark: name, item: String(r[idField] ?? i), problem: String(r.problem ?? r.question) }));
}

function reformat(text, r) {
  let t = text;
  // $…$ → \(…\) (inline math only; leaves $$ alone)
  let out = "";
  let open = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === "$" && t[i - 1] !== "\\" && t[i + 1] !== "$" && t[i - 1] !== "$") {
      out += open ? "\\)" : "\\(";
      open = !open;
    } else out += c;
  }
  if (!open) t = out;
  t = t.replace(/\\frac/g, "\\dfrac").replace(/\\le(?![a-z])/g, "\\leq");
  t = t.replace(/([=+<>])/g, " $1 ").replace(/ {2,}/g, " ");
  t = t.replace(/\. /g, r() < 0.5 ? ".\n" : ".  ");
  const prefix = ["Problem: ", "Question: ", "Problem 3. ", ""][Math.floor(r() * 4)];
  const suffix = [
    "\nPlease reason step by step, and put your final answer within \\boxed{}.",
    " Let's think step by step and output the final answer within \\boxed{}.",
    "",
  ][Math.floor(r() * 3)];
  return prefix + t + suffix;
}

function changeNumbers(text, r) {
  const spans = [];
  const re = /\d+/g;
  let m;
  while ((m = re.exec(text))) spans.push([m.index, m.index + m[0].length, m[0]]);
  if (spans.length === 0) return null;
  const k = Math.min(spans.length, 1 + Math.floor(r() * 3));
  const chosen = new Set();
  while (chosen.size < k) chosen.add(Math.floor(r() * spans.length));
  let out = "";
  let last = 0;
  spans.forEach(([s, e, num], i) => {
    out += text.slice(last, s);
    if (chosen.has(i)) {
      let v = Number(num) + 1 + Math.floor(r() * 9);
      out += String(v);
    } else out += num;
    last = e;
  });
  return out + text.slice(last);
}

const EMBED_AFTER = [
  "\n\nI tried a few approaches but could not finish; a hint would help.",
  "\n\nShow all the steps of your work.",
  "\n\n(Source: a practice set I am working through.)",
];

function embed(text, other, r) {
  const pre = other.split(/(?<=[.?!])\s/)[0].slice(0, 300);
  const lead = ["Here is a problem from my homework.", "Consider the following.", "Warm-up: " + pre + " Now the main problem:"][
    Math.floor(r() * 3)
  ];
  return `${lead}\n\n${text}${EMBED_AFTER[Math.floor(r() * EMBED_AFTER.length)]}`;
}

const REWORD = [
  [/\bFind\b/, "Determine"],
  [/\bfind\b/, "determine"],
  [/\bWhat is\b/, "Compute"],
  [/\bwhat is\b/, "compute"],
  [/\bCompute\b/, "Calculate"],
  [/\bcompute\b/, "calculate"],
  [/\bEvaluate\b/, "Compute"],
  [/\bLet\b/, "Suppose"],
  [/\bthe number of\b/, "how many"],
  [/\bpositive integers\b/, "positive whole numbers"],
  [/\bsuch that\b/, "so that"],
  [/\bequal to\b/, "the same as"],
  [/\bsmallest\b/, "least"],
  [/\blargest\b/, "greatest"],
  [/\bHow many\b/, "What is the number of"],
  [/\bIf\b/, "Suppose"],
  [/\bThere are\b/, "There exist"],
  [/\bwhere\b/, "in which"],
  [/\bExpress your answer\b/, "Give your answer"],
  [/\bcommon fraction\b/, "fraction in lowest terms"],
  [/\bSimplify\b/, "Reduce"],
  [/\bdistinct\b/, "different"],
  [/\bvalue\b/, "numerical value"],
  [/\bcan be written\b/, "is expressible"],
  [/\bis\b/, "equals"],
  [/\bthe\b/, "a"],
  [/\band\b/, "as well as"],
];

function reword(text, r) {
  let t = text;
  const want = 2 + Math.floor(r() * 3);
  let done = 0;
  const order = REWORD.map((_, i) => i).sort((a, b) => (fnv1a(text + a) % 97) - (fnv1a(text + b) % 97));
  for (const i of order) {
    if (done >= want) break;
    const [re, rep] = REWORD[i];
    if (re.test(t)) {
      t = t.replace(re, rep);
      done++;
    }
  }
  return t;
}

/**
 * Positives for the given benchmark problems and negatives from the problems folder.
 * Returns { positives: [{variant, benchmark, item, text}], negatives: [{file, row, text}] }.
 */
export function plantedSet(benchmarkDir, problemsDir, names = ["math500", "aime2024", "aime2025", "amc2023"], seed = 4) {
  const r = rng(seed);
  const bench = names.flatMap((n) => loadBenchmark(benchmarkDir, n));
  const otherFiles = readdirSync(problemsDir).filter((f) => f.endsWith(".jsonl")).sort();
  const others = readJsonl(join(problemsDir, otherFiles[0])).map((x) => String(x.problem));
  const positives = [];
  bench.forEach((b, i) => {
    const base = { benchmark: b.benchmark, item: b.item };
    positives.push({ ...base, variant: "exact", text: b.problem });
    positives.push({ ...base, variant: "reformatted", text: reformat(b.problem, r) });
    const num = changeNumbers(b.problem, r);
    if (num !== null && num !== b.problem) positives.push({ ...base, variant: "numbers", text: num });
    positives.push({ ...base, variant: "embedded", text: embed(b.problem, others[(i * 7919) % others.length], r) });
    const rw = reword(b.problem, r);
    if (rw !== b.problem) positives.push({ ...base, variant: "reworded", text: rw });
  });
  const verbatim = new Set(bench.map((b) => alnumKey(b.problem)));
  const negatives = [];
  for (const f of otherFiles) {
    readJsonl(join(problemsDir, f)).forEach((x, row) => {
      const p = x.problem;
      if (typeof p !== "string" || fnv1a(p) % 4 !== 0) return;
      if (verbatim.has(alnumKey(p))) return;
      negatives.push({ file: f, row, text: p });
    });
  }
  return { positives, negatives };
}

/**
 * Formatting-blind, number-blind identity of a problem: lower-cased, whitespace removed, every number
 * (digits with an optional decimal part and an optional unary minus) replaced by "#". Operators,
 * letters and LaTeX stay, so "$55^2 - 45^2$" and "$99^2+99+1$" differ.
 */
export function numbersMaskedKey(text) {
  const s = text.toLowerCase().replace(/\s+/g, "");
  return s.replace(/(^|[^a-z0-9)}\]])-(?=[0-9])/g, "$1").replace(/[0-9]+(\.[0-9]+)?/g, "#");
}

/**
 * Negatives that are numbers-changed copies of a benchmark problem — contamination under the issue's
 * own definition, so not clean negatives. Criterion (independent of the matcher): the row's
 * numbersMaskedKey equals a benchmark problem's, or contains it (problem of at least 40 key
 * characters, e.g. the copy followed by a diagram). Returns [{file, row, benchmark, item, how}].
 */
export function numbersChangedCopies(negatives, problems) {
  const keys = problems.map((p) => ({ p, k: numbersMaskedKey(p.problem) }));
  const out = [];
  for (const n of negatives) {
    const k = numbersMaskedKey(n.text);
    for (const { p, k: b } of keys) {
      const how = k === b ? "equal" : b.length >= 40 && k.includes(b) ? "contains" : null;
      if (how) out.push({ file: n.file, row: n.row, benchmark: p.benchmark, item: p.item, how });
    }
  }
  return out;
}

/** the numbers of a text in order (as numbersMaskedKey masks them) */
export function numbersOf(text) {
  const s = text.toLowerCase().replace(/\s+/g, "");
  return [...s.matchAll(/(?:(?:^|(?<=[^a-z0-9)}\]]))-)?[0-9]+(?:\.[0-9]+)?/g)].map((m) => m[0]);
}

/**
 * The checked-in exclusion list (bench/decontam-excluded-negatives.json): one entry per negative row
 * that numbersChangedCopies finds, with a one-line reason showing the numbers that differ.
 */
export function exclusionList(negatives, problems) {
  const byId = new Map(problems.map((p) => [`${p.benchmark}/${p.item}`, p.problem]));
  const byRow = new Map(negatives.map((n) => [`${n.file}:${n.row}`, n.text]));
  return numbersChangedCopies(negatives, problems).map((c) => {
    const a = numbersOf(byId.get(`${c.benchmark}/${c.item}`));
    const b = numbersOf(byRow.get(`${c.file}:${c.row}`));
    const diff = [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) diff.push(`${a[i]}→${b[i]}`);
    const shown = diff.length > 6 ? diff.slice(0, 6).join(", ") + ", …" : diff.join(", ");
    const what = c.how === "equal" ? "same text as" : "contains the text of";
    return { ...c, reason: `${what} ${c.benchmark} ${c.item} with only numbers changed (${shown})` };
  });
}

export function sharedDataDir(from) {
  const d = join(from, "..", "shared", "data");
  return existsSync(join(d, "benchmarks")) && existsSync(join(d, "problems")) ? d : null;
}

/** letters and digits only, lower-cased: formatting-blind identity of a problem */
export function alnumKey(text) {
  let out = "";
  for (const ch of text.toLowerCase()) if (/[\p{L}\p{Nd}]/u.test(ch)) out += ch;
  return out;
}

// ---- the plain any-8-gram rule (baseline) ----

export function plainNormalize(text) {
  return text.toLowerCase().trim().split(/\s+/).join(" ");
}

export class PlainNgramRule {
  constructor(problems, n = 8) {
    this.n = n;
    this.ngrams = new Map();
    for (const p of problems) {
      const w = plainNormalize(p.problem).split(" ");
      for (let i = 0; i + n <= w.length; i++) {
        const g = w.slice(i, i + n).join(" ");
        if (!this.ngrams.has(g)) this.ngrams.set(g, p);
      }
    }
  }
  /** the first benchmark problem sharing a word n-gram with `text`, else null */
  match(text) {
    const w = plainNormalize(text).split(" ");
    for (let i = 0; i + this.n <= w.length; i++) {
      const hit = this.ngrams.get(w.slice(i, i + this.n).join(" "));
      if (hit) return hit;
    }
    return null;
  }
}
