#!/usr/bin/env node
/**
 * Convert Math-Verify's own test suite (github.com/huggingface/Math-Verify, folder tests/) into the JSON
 * fixture test/fixtures/math-verify-cases.json that test/verify/verify-conformance.test.ts runs through curate's
 * verifier. Only the cases are taken (gold, pred, expected and the test's parameters), never upstream code.
 *
 *   node scripts/math-verify-cases.mjs <Math-Verify checkout> <commit sha> [out.json]
 *
 * The pytest files are read with a small Python-literal reader: `@pytest.mark.parametrize("names", [...])`
 * lists of tuples (strings with Python's escapes, raw strings, implicit concatenation; the one f-string
 * upstream uses, `f"{math.sqrt(17):.15f}"`, is evaluated), the test function that follows (its
 * `compare_strings(…)` keywords: match_types, precision, strict, allow_set_relation_comp), and literal
 * `compare_strings("…", "…", …) == N` asserts in unparametrised tests. Each case gets a scope: "in", or
 * "out" with the reason (SCOPE below): the cases that exercise a Math-Verify option curate does not have.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [srcDir, commit, outArg] = process.argv.slice(2);
if (!srcDir || !/^[0-9a-f]{40}$/.test(commit ?? "")) {
  console.error("usage: node scripts/math-verify-cases.mjs <Math-Verify checkout> <40-hex commit sha> [out.json]");
  process.exit(2);
}
const out = outArg ?? join(here, "..", "test", "fixtures", "math-verify-cases.json");

// ---------------------------------------------------------------- a Python literal reader

const ESC = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", f: "\f", b: "\b", a: "\x07", v: "\v", "\n": "" };

/** decode the body of a non-raw Python string (unknown escapes keep their backslash, as Python does) */
function unescape(body) {
  let s = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      s += c;
      continue;
    }
    const d = body[i + 1];
    if (d in ESC) {
      s += ESC[d];
      i++;
    } else if (d === "x") {
      s += String.fromCharCode(parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (d === "u") {
      s += String.fromCharCode(parseInt(body.slice(i + 2, i + 6), 16));
      i += 5;
    } else if (d >= "0" && d <= "7") {
      let j = i + 1;
      while (j < i + 4 && body[j] >= "0" && body[j] <= "7") j++;
      s += String.fromCharCode(parseInt(body.slice(i + 1, j), 8));
      i = j - 1;
    } else s += "\\";
  }
  return s;
}

/** an f-string: `{{`/`}}` and the one field form upstream uses, `{math.sqrt(N):.Kf}` */
function formatF(body) {
  return body.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const f = /^math\.sqrt\((\d+)\):\.(\d+)f$/.exec(field);
    if (!f) throw new Error(`unsupported f-string field {${field}}`);
    // JS toFixed and Python's format both round the exact binary value: same digits
    return Math.sqrt(Number(f[1])).toFixed(Number(f[2]));
  });
}

/** tokens: {t:"str",v}, {t:"num",v}, {t:"name",v}, {t:"op",v} */
function tokenize(src, from, to) {
  const toks = [];
  let i = from;
  while (i < to) {
    const c = src[i];
    if (c === "#") {
      while (i < to && src[i] !== "\n") i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pre = /^([rRfFbBuU]{0,2})(['"])/.exec(src.slice(i, i + 4));
    if (pre) {
      const prefix = pre[1].toLowerCase();
      const q = src.startsWith(pre[2].repeat(3), i + pre[1].length) ? pre[2].repeat(3) : pre[2];
      let j = i + pre[1].length + q.length;
      const start = j;
      while (!src.startsWith(q, j)) {
        if (j >= to) throw new Error(`unterminated string at ${i}`);
        j += src[j] === "\\" ? 2 : 1;
      }
      let body = src.slice(start, j);
      if (prefix.includes("f")) body = formatF(body);
      const v = prefix.includes("r") ? body : unescape(body);
      const last = toks[toks.length - 1];
      if (last && last.t === "str") last.v += v; // implicit concatenation
      else toks.push({ t: "str", v });
      i = j + q.length;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(src.slice(i, i + 32));
    if (num) {
      toks.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i, i + 80));
    if (name) {
      toks.push({ t: "name", v: name[0] });
      i += name[0].length;
      continue;
    }
    toks.push({ t: "op", v: c });
    i++;
  }
  return toks;
}

/** a literal from tokens at k: string, number, True/False/None, list or tuple; [value, next index] */
function literal(toks, k) {
  const t = toks[k];
  if (!t) throw new Error("unexpected end of literal");
  if (t.t === "str" || t.t === "num") return [t.v, k + 1];
  if (t.t === "name") {
    const names = { True: true, False: false, None: null };
    if (t.v in names) return [names[t.v], k + 1];
    if (toks[k + 1]?.v === "(") {
      // a call such as StringExtractionConfig(lowercase=False): kept as its name
      let depth = 0;
      let j = k + 1;
      for (; j < toks.length; j++) {
        if (toks[j].v === "(") depth++;
        else if (toks[j].v === ")" && --depth === 0) break;
      }
      return [{ name: t.v }, j + 1];
    }
    return [{ name: t.v }, k + 1];
  }
  if (t.v === "[" || t.v === "(") {
    const close = t.v === "[" ? "]" : ")";
    const items = [];
    k++;
    while (toks[k] && toks[k].v !== close) {
      const [v, n] = literal(toks, k);
      items.push(v);
      k = n;
      if (toks[k]?.v === ",") k++;
    }
    return [items, k + 1];
  }
  throw new Error(`unexpected token ${JSON.stringify(t)}`);
}

/** index just past the bracket that closes the one opened at `open` (strings and comments skipped) */
function closeParen(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      const q = src.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += q.length;
      while (!src.startsWith(q, i)) i += src[i] === "\\" ? 2 : 1;
      i += q.length - 1;
    } else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error(`unbalanced bracket at ${open}`);
}

// ---------------------------------------------------------------- reading the test files

/** keyword arguments of the first `compare_strings(…)` call in a function body */
function compareKeywords(body) {
  const at = body.indexOf("compare_strings(");
  if (at < 0) return null;
  const end = closeParen(body, at + "compare_strings".length);
  const toks = tokenize(body, at + "compare_strings(".length, end - 1);
  const kw = {};
  for (let k = 0; k < toks.length; k++) {
    if (toks[k].t === "name" && toks[k + 1]?.v === "=" && toks[k + 2]?.v !== "=") {
      const [v] = literal(toks, k + 2);
      kw[toks[k].v] = v;
    }
  }
  return kw;
}

const DEFAULTS = { match_types: ["latex", "expr"], precision: 6, strict: true, allow_set_relation_comp: false };

/** resolve the test's keyword arguments for one case (a keyword may name a parameter) */
function caseParams(kw, row) {
  const p = { ...DEFAULTS };
  for (const [k, v] of Object.entries(kw ?? {})) if (k in DEFAULTS) p[k] = v && typeof v === "object" && "name" in v ? row[v.name] : v;
  return p;
}

function functionsOf(src) {
  const defs = [];
  for (const m of src.matchAll(/^def (\w+)\(/gm)) defs.push({ name: m[1], at: m.index });
  return defs.map((d, k) => ({ ...d, body: src.slice(d.at, k + 1 < defs.length ? defs[k + 1].at : src.length) }));
}

function readFile(file, text) {
  const cases = [];
  const fns = functionsOf(text);
  const seen = new Set();
  for (const m of text.matchAll(/@pytest\.mark\.parametrize\(/g)) {
    const end = closeParen(text, m.index + "@pytest.mark.parametrize".length);
    const toks = tokenize(text, m.index + "@pytest.mark.parametrize(".length, end - 1);
    const [names, k] = literal(toks, 0);
    const [rows] = literal(toks, k + 1);
    const fn = fns.find((f) => f.at > end);
    seen.add(fn.name);
    const cols = names.split(",").map((s) => s.trim());
    const kw = compareKeywords(fn.body);
    rows.forEach((values, index) => {
      const row = Object.fromEntries(cols.map((c, j) => [c, values[j]]));
      cases.push({ file, test: fn.name, index, row, kw, call: kw ? "compare_strings" : /verify\(parse\(/.test(fn.body) ? "verify(parse)" : "other" });
    });
  }
  // literal compare_strings(...) == N asserts in tests without parameters (test_precision)
  for (const fn of fns) {
    if (seen.has(fn.name)) continue;
    let index = 0;
    for (const m of fn.body.matchAll(/compare_strings\(/g)) {
      const end = closeParen(fn.body, m.index + "compare_strings".length);
      const toks = tokenize(fn.body, m.index + "compare_strings(".length, end - 1);
      if (toks[0]?.t !== "str" || toks[2]?.t !== "str") continue;
      const expected = /^\s*==\s*(\d)/.exec(fn.body.slice(end));
      if (!expected) continue;
      const kw = compareKeywords(fn.body.slice(m.index));
      cases.push({ file, test: fn.name, index: index++, row: { gold: toks[0].v, pred: toks[2].v, expected: Number(expected[1]) }, kw, call: "compare_strings" });
    }
  }
  return { cases, functions: fns.map((f) => f.name) };
}

// ---------------------------------------------------------------- scope

/**
 * Cases outside curate's setting: a Math-Verify option curate does not have. Everything else is in scope,
 * including the expression-only number cases (curate reads plain numbers in prose too) and the precision
 * cases (mapped onto curate's relTol).
 */
function scope(c) {
  if (c.file === "tests/test_string_extraction.py") {
    return "StringExtractionConfig: a letter-only extraction mode (any capital A-D or a configured string anywhere in the text) that must be requested; the test checks parse() output, not a verdict. curate reads multiple-choice letters only as answers";
  }
  if (c.test === "test_latex_notation" && c.params.match_types?.join() === "latex" && c.expected === 0 && /\$ \n|\\\( \n/.test(c.row.pred)) {
    return "match_types=['latex'] only: the test checks that LaTeX extraction refuses an inline span broken across lines ('Answer $ \\n 9 \\n $'); without ExprExtractionConfig the 9 is not read. curate always reads plain numbers too (Math-Verify's default latex + expr configuration), which finds the 9";
  }
  if (c.params.strict === false) return "strict=False (variables matched by position: f(x) = f(y)); curate compares variables by name";
  if (c.params.allow_set_relation_comp === false && c.test === "test_set_rel_assymetry" && c.expected === 0) {
    return "allow_set_relation_comp=False refuses an inequality for an interval reference; curate reads a one-variable inequality as its interval in both directions (Math-Verify's allow_set_relation_comp=True, the other case of this test)";
  }
  return null;
}

// ---------------------------------------------------------------- main

const testsDir = join(srcDir, "tests");
const files = readdirSync(testsDir).filter((f) => /^test_.*\.py$/.test(f)).sort();
const all = [];
const noCases = [];
for (const f of files) {
  const file = `tests/${f}`;
  const { cases, functions } = readFile(file, readFileSync(join(testsDir, f), "utf8"));
  if (cases.length === 0) noCases.push(`${file} (${functions.join(", ")})`);
  all.push(...cases);
}

const fixture = {
  about:
    "Cases (gold, pred, expected) of Math-Verify's test suite, converted by scripts/math-verify-cases.mjs for test/verify/verify-conformance.test.ts. Cases only, no upstream code.",
  source: "https://github.com/huggingface/Math-Verify",
  commit,
  license:
    "Math-Verify is Apache-2.0 (LICENCE in the repository); tests/test_all.py carries an MIT header (Copyright (c) 2024 The HuggingFace Team). The cases are reproduced for conformance testing with attribution.",
  filesWithoutCases: noCases,
  notes: [
    "id = upstream file::test function[index in its parametrize list] (0-based; literal asserts in unparametrised tests are numbered in order)",
    "params: the compare_strings keywords of the test (match_types, precision = Math-Verify's float_rounding, strict, allow_set_relation_comp); call 'verify(parse)' is Math-Verify's default parse() of both sides",
    "test_precision's four sympy_expr_eq asserts compare SymPy objects directly and are not cases",
  ],
  cases: all.map((c) => {
    const params = caseParams(c.kw, c.row);
    const expected = Number(c.row.expected ?? c.row.result);
    const base = { id: `${c.file}::${c.test}[${c.index}]`, gold: c.row.gold, pred: c.row.pred, expected, params, call: c.call };
    if (c.file === "tests/test_string_extraction.py") {
      // parse() output cases: "pred" is the text, "expected" the extracted strings
      Object.assign(base, { gold: null, expected: c.row.expected, params: { config: String(c.row.config?.name ?? "StringExtractionConfig") } });
    }
    const reason = scope({ ...c, params, expected });
    return reason ? { ...base, scope: "out", reason } : { ...base, scope: "in" };
  }),
};

for (const c of fixture.cases) if (c.scope === "in" && (typeof c.gold !== "string" || typeof c.pred !== "string" || ![0, 1].includes(c.expected))) throw new Error(`bad case ${c.id}`);
writeFileSync(out, JSON.stringify(fixture, null, 1) + "\n");
const inScope = fixture.cases.filter((c) => c.scope === "in").length;
console.log(`${fixture.cases.length} cases (${inScope} in scope, ${fixture.cases.length - inScope} out of scope) from ${files.length} files → ${out}`);
