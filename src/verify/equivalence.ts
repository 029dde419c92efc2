/**
 * Answer equivalence in layers, cheapest first:
 *
 *   1. `string`     canonical strings equal (see normalize.ts)
 *   2. `numeric`    plain numbers as exact rationals (numeric.ts): integers by their digits (any size),
 *                   the relative tolerance only where a written decimal may be a rounding
 *   3. `expression` the fast LaTeX parser; constant rational expressions (2^{64}-1, 100!, \frac{6}{4})
 *                   exactly in BigInt (exact.ts), everything else with the complex evaluator (expr.ts)
 *   4. `symbolic`   the fallback for what the fast layers cannot decide; in the main thread it throws
 *                   `NeedSymbolic`, in the symbolic worker it runs @cortex-js/compute-engine
 *
 * Structure (tuples, sets, lists, intervals, unions, matrices, equations, inequalities, `\pm`,
 * multiple-choice letters) is parsed first; its elements are compared with the scalar layers.
 */
import { normalizeAnswer, hasWord } from "./normalize.js";
import { parseExpr, exprEqual, proportional, evaluateConstant, ExprError, RefusedError, type Node } from "./expr.js";
import { exactValue, exactEligible, ratClose, newBudget } from "./exact.js";
import { parseNumber, numbersEqual, pctMatch, pctMatchDouble, ratOf, type NumberValue, type NumericScale } from "./numeric.js";
import { matchBrace } from "./extract.js";

export { RefusedError, parseNumber };

/** thrown in the fast path when only the symbolic engine can decide */
export class NeedSymbolic extends Error {
  override name = "NeedSymbolic";
}
/** the reference cannot be parsed by any layer */
export class UngradableReference extends Error {
  override name = "UngradableReference";
}

export type Layer = "string" | "numeric" | "expression" | "symbolic";
const LAYER_RANK: Record<Layer, number> = { string: 0, numeric: 1, expression: 2, symbolic: 3 };

/** scalar fallback: true/false, or throws (NeedSymbolic / UngradableReference) */
export type SymbolicCompare = (gold: string, pred: string) => boolean;

export interface CompareOptions {
  relTol: number;
  maxDepth: number;
  symbolic: SymbolicCompare;
  /** multiple-choice option texts from the problem statement (letter → text), see parseChoices */
  choices?: Record<string, string>;
}

/**
 * Multiple-choice options of a problem statement: `(A) 10 \qquad (B) 12 …` (also inside `\textbf{(A)}`).
 * The letters must appear in order A, B, C…; returns null when fewer than two options are found.
 */
export function parseChoices(problem: string): Record<string, string> | null {
  const letters = "ABCDE";
  const at: number[] = [];
  let from = 0;
  for (const l of letters) {
    const k = problem.indexOf(`(${l})`, from);
    if (k < 0) break;
    at.push(k);
    from = k + 3;
  }
  if (at.length < 2) return null;
  const out: Record<string, string> = {};
  for (let j = 0; j < at.length; j++) {
    let end = j + 1 < at.length ? at[j + 1]! : problem.indexOf("\n", at[j]!);
    if (end < 0) end = problem.length;
    let t = problem.slice(at[j]! + 3, end);
    // strip the markup around option markers: "}\ 10 \qquad \textbf{" → "10"
    t = t.split("\\qquad").join(" ").split("\\quad").join(" ");
    for (const junk of ["\\textbf{", "\\mathrm{", "\\text{", "\\mathbf{"]) if (t.endsWith(junk)) t = t.slice(0, -junk.length);
    t = t.trim();
    while (t.startsWith("}") || t.startsWith("\\ ") || t.startsWith("~") || t.startsWith("$")) t = t.replace(/^(?:}|\\ |~|\$)/, "").trim();
    while (t.endsWith("$") || t.endsWith("\\textbf{") || t.endsWith("(") || t.endsWith(",")) t = t.replace(/(?:\$|\\textbf\{|\(|,)$/, "").trim();
    if (t.length > 0 && t.length <= 200) out[letters[j]!] = t;
  }
  return Object.keys(out).length >= 2 ? out : null;
}

export interface Comparison {
  equal: boolean;
  /** e.g. "string", "numeric", "tuple/expression", "interval/numeric", "choice" */
  rule: string;
}

/** the percent marks, the tolerance and the exact big-number work spent so far (NumericScale) */
interface Ctx extends NumericScale {
  opts: CompareOptions;
  layer: Layer;
}

function bump(ctx: Ctx, l: Layer): void {
  if (LAYER_RANK[l] > LAYER_RANK[ctx.layer]) ctx.layer = l;
}

// ------------------------------------------------------------------ structure

export type Answer =
  | { kind: "scalar"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "set"; items: string[] }
  | { kind: "tuple"; items: string[]; open: string; close: string }
  | { kind: "interval"; lo: string; hi: string; loClosed: boolean; hiClosed: boolean }
  | { kind: "union"; parts: Answer[] }
  | { kind: "matrix"; rows: string[][] }
  | { kind: "relation"; op: string; lhs: string; rhs: string }
  | { kind: "choice"; letter: string; text: string };

const OPENERS = new Set(["(", "[", "{"]);
const CLOSERS = new Set([")", "]", "}"]);

/** split at top-level separators (depth counts any bracket kind; `\{` `\}` `\langle` `\rangle` too) */
export function splitTop(s: string, seps: string[]): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === "\\") {
      if (s.startsWith("\\{", i) || s.startsWith("\\langle", i)) depth++;
      else if (s.startsWith("\\}", i) || s.startsWith("\\rangle", i)) depth--;
      if (depth === 0) {
        let hit = "";
        for (const sep of seps) if (sep.startsWith("\\") && s.startsWith(sep, i) && !/[A-Za-z]/.test(s[i + sep.length] ?? "")) hit = sep;
        if (hit) {
          parts.push(s.slice(start, i));
          i += hit.length;
          start = i;
          continue;
        }
      }
      i++;
      while (i < s.length && /[A-Za-z]/.test(s[i]!)) i++;
      if (i === start + 1 || s[i - 1] === "\\") i++;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) depth--;
    else if (depth === 0 && seps.includes(ch)) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** index just past the bracket group opened at 0 (any bracket kind), or -1 */
function groupEnd(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\") {
      if (s.startsWith("\\{", i) || s.startsWith("\\langle", i)) depth++;
      else if (s.startsWith("\\}", i) || s.startsWith("\\rangle", i)) {
        depth--;
        if (depth === 0) return i + (s.startsWith("\\}", i) ? 2 : 7);
      }
      i++;
      while (i < s.length && /[A-Za-z]/.test(s[i]!)) i++;
      i--;
      continue;
    }
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const SIMPLE_LHS = /^(?:[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?|[A-Z]{2,3}|\\[A-Za-z]{2,8}(?:_\{?[A-Za-z0-9]{1,3}\}?)?|[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?\([A-Za-z]\))$/;

/** drop `x =` / `x \in` prefixes with a simple left-hand side */
export function stripLhs(s: string): string {
  const inAt = s.indexOf("\\in");
  if (inAt > 0 && inAt < 14 && !/[A-Za-z]/.test(s[inAt + 3] ?? "") && SIMPLE_LHS.test(s.slice(0, inAt))) return s.slice(inAt + 3);
  const eq = splitTop(s, ["="]);
  if (eq.length === 2 && SIMPLE_LHS.test(eq[0]!) && eq[1]!.length > 0) return eq[1]!;
  return s;
}

const REL_OPS = ["\\leq", "\\geq", "\\neq", "<", ">", "="];
const FLIP: Record<string, string> = { "<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq" };

export function parseStructure(text: string, keepLhs = false): Answer {
  let s = text.trim();
  // matrices
  const mb = /^\\begin\{([pbBvV]?matrix|array)\}/.exec(s);
  if (mb) {
    let body = s.slice(mb[0].length);
    if (mb[1] === "array" && body.startsWith("{")) {
      const e = matchBrace(body, 0);
      if (e > 0) body = body.slice(e);
    }
    const endTag = `\\end{${mb[1]}}`;
    const endAt = body.lastIndexOf(endTag);
    if (endAt >= 0) {
      body = body.slice(0, endAt);
      const rows = body
        .split("\\\\")
        .map((r) => r.trim())
        .filter((r) => r.length > 0)
        .map((r) => r.split("&").map((c) => c.trim()));
      return { kind: "matrix", rows };
    }
  }
  // unions of intervals
  const union = splitTop(s, ["\\cup"]);
  if (union.length > 1) return { kind: "union", parts: union.map((u) => parseStructure(u)) };

  // top-level commas / semicolons
  let parts = splitTop(s, [",", ";"]);
  if (parts.length > 1) {
    // thousands separators 1,000,000
    if (/^-?\d{1,3}$/.test(parts[0]!) && parts.slice(1).every((p) => /^\d{3}$/.test(p)) && !s.includes(", ")) {
      return { kind: "scalar", text: parts.join("") };
    }
    parts = parts.filter((p) => p.length > 0);
    // "\frac{1}{4-\omega^2}, \quad \text{for } \omega^2 \neq 4": a condition is not an answer item
    const cond = parts.findIndex((p, k) => k > 0 && /^(?:for|where|if|when|provided|with|assuming)(?![a-z])/i.test(p));
    if (cond > 0) parts = parts.slice(0, cond);
    if (parts.length === 1) return parseStructure(parts[0]!, keepLhs);
    return { kind: "list", items: parts.map(stripLhs) };
  }
  if (!keepLhs) s = stripLhs(s);
  // sets
  if (s.startsWith("\\{") && groupEnd(s) === s.length && s.endsWith("\\}")) {
    const inner = s.slice(2, -2).trim();
    return { kind: "set", items: inner.length ? splitTop(inner, [",", ";"]).map(stripLhs) : [] };
  }
  if (s.startsWith("\\langle") && s.endsWith("\\rangle") && groupEnd(s) === s.length) {
    return { kind: "tuple", items: splitTop(s.slice(7, -7), [","]), open: "(", close: ")" };
  }
  // tuples and intervals
  if ((s[0] === "(" || s[0] === "[") && (s.endsWith(")") || s.endsWith("]")) && groupEnd(s) === s.length) {
    const inner = s.slice(1, -1);
    const items = splitTop(inner, [","]);
    if (items.length === 2) {
      if (s[0] === "(" && s.endsWith(")")) return { kind: "tuple", items, open: "(", close: ")" };
      return { kind: "interval", lo: items[0]!, hi: items[1]!, loClosed: s[0] === "[", hiClosed: s.endsWith("]") };
    }
    if (items.length > 2) return { kind: "tuple", items, open: s[0]!, close: s[s.length - 1]! };
  }
  // relations (after `x =` was stripped, a remaining relation is an equation or inequality)
  const rel = splitRelation(s);
  if (rel) {
    if (rel.length === 5) {
      // a < x < b  → interval
      const [lo, op1, mid, op2, hi] = rel;
      if (SIMPLE_LHS.test(mid) && (op1 === "<" || op1 === "\\leq") && (op2 === "<" || op2 === "\\leq")) {
        return { kind: "interval", lo, hi, loClosed: op1 === "\\leq", hiClosed: op2 === "\\leq" };
      }
      if (SIMPLE_LHS.test(mid) && (op1 === ">" || op1 === "\\geq") && (op2 === ">" || op2 === "\\geq")) {
        return { kind: "interval", lo: hi, hi: lo, loClosed: op2 === "\\geq", hiClosed: op1 === "\\geq" };
      }
    } else if (rel.length === 3) {
      let [lhs, op, rhs] = rel;
      if (SIMPLE_LHS.test(rhs) && !SIMPLE_LHS.test(lhs) && op !== "=") {
        [lhs, rhs] = [rhs, lhs];
        op = FLIP[op]!;
      }
      if (SIMPLE_LHS.test(lhs) && op !== "=" && op !== "\\neq") {
        if (op === ">" || op === "\\geq") return { kind: "interval", lo: rhs, hi: "\\infty", loClosed: op === "\\geq", hiClosed: false };
        return { kind: "interval", lo: "-\\infty", hi: rhs, loClosed: false, hiClosed: op === "\\leq" };
      }
      return { kind: "relation", op, lhs, rhs };
    }
  }
  // ± answers
  const pm = splitTop(s, ["\\pm", "\\mp"]);
  if (pm.length === 2) {
    const a = pm[0]!.length ? pm[0]! : "0";
    return { kind: "set", items: [`${a}+${wrap(pm[1]!)}`, `${a}-${wrap(pm[1]!)}`] };
  }
  // multiple choice: C, (C), (C) 12, C) 12
  const mc = /^\(?([A-E])\)(.*)$/.exec(s) ?? /^([A-E])$/.exec(s);
  if (mc) return { kind: "choice", letter: mc[1]!, text: (mc[2] ?? "").trim() };
  return { kind: "scalar", text: s };
}

function wrap(s: string): string {
  return /^[A-Za-z0-9.\\{}]*$/.test(s) && !s.includes("+") && !s.includes("-") ? s : `(${s})`;
}

/** [lhs, op, rhs] or [a, op1, b, op2, c] for chains, null when no relation at top level */
function splitRelation(s: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (OPENERS.has(ch)) depth++;
    else if (CLOSERS.has(ch)) depth--;
    if (depth !== 0) continue;
    let op = "";
    if (ch === "<" || ch === ">" || ch === "=") op = ch;
    else if (ch === "\\") {
      for (const o of REL_OPS) if (o.startsWith("\\") && s.startsWith(o, i) && !/[A-Za-z]/.test(s[i + o.length] ?? "")) op = o;
    }
    if (op) {
      out.push(s.slice(start, i).trim(), op);
      i += op.length - 1;
      start = i + 1;
    }
  }
  if (out.length === 0) return null;
  out.push(s.slice(start).trim());
  if (out.some((p, k) => k % 2 === 0 && p.length === 0)) return null;
  return out.length === 3 || out.length === 5 ? out : null;
}

// ------------------------------------------------------------------ scalars

/** tolerance against an integer reference (float noise only) */
const INT_TOL = 1e-9;

function textKey(s: string): string {
  return s.toLowerCase().replace(/[\s{}\\]/g, "").replace(/^\((.*)\)$/, "$1");
}

/** `5bananas` / `12 \text{apples}` leftovers: numeric head followed by a trailing word */
function dropTrailingWord(s: string): string {
  let end = s.length;
  while (end > 0 && /[A-Za-z ]/.test(s[end - 1]!)) end--;
  const tail = s.slice(end).trim();
  if (end > 0 && tail.length >= 3 && !s.slice(0, end).endsWith("\\")) return s.slice(0, end).trim();
  return s;
}

const exprCache = new Map<string, Node | ExprError>();

function parseCached(s: string, maxDepth: number): Node {
  let r = exprCache.get(s);
  if (r === undefined) {
    try {
      r = parseExpr(s, maxDepth);
    } catch (e) {
      if (e instanceof ExprError) r = e;
      else throw e;
    }
    if (exprCache.size > 4096) exprCache.clear();
    exprCache.set(s, r);
  }
  if (r instanceof ExprError) throw r;
  return r;
}

/** commands that never denote a number */
const NON_VALUE = ["\\angle", "\\overline", "\\square", "\\rightarrow", "\\to", "\\star", "\\triangle", "\\equiv", "\\ldots", "\\dotsm", "\\dotsb", "\\dots", "\\Rightarrow", "\\implies", "\\mid", "\\parallel", "\\perp", "\\cong", "\\sim", "\\circ"];

function hasNonValue(s: string): boolean {
  if (!s.includes("\\") && !s.includes("?")) return false;
  if (s.includes("?")) return true;
  for (const c of NON_VALUE) {
    const k = s.indexOf(c);
    if (k >= 0 && !/[A-Za-z]/.test(s[k + c.length] ?? "")) return true;
  }
  return false;
}

const NUMBER_WORDS = new Map<string, string>(
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
    .split(" ")
    .map((w, k) => [w, String(k)] as [string, string]),
);

function scalarEqual(gold: string, pred: string, ctx: Ctx): boolean {
  if (gold === pred) return true;
  let g = NUMBER_WORDS.get(gold.toLowerCase()) ?? gold;
  let p = NUMBER_WORDS.get(pred.toLowerCase()) ?? pred;
  if (g === p) return true;
  if (hasWord(g) || hasWord(p)) {
    if (textKey(g) === textKey(p)) return true;
    if (!hasWord(g)) {
      p = dropTrailingWord(p);
      if (hasWord(p)) return false;
    } else return false;
    if (g === p) return true;
  }
  const gn = parseNumber(g, ctx.budget);
  const pn = gn ? parseNumber(p, ctx.budget) : null;
  if (gn && pn) {
    bump(ctx, "numeric");
    return numbersEqual(gn, pn, ctx);
  }
  if (gn && hasNonValue(p)) {
    // a number against "\angle B", "D \rightarrow C", "\overline{PQ}": no engine needed to say no
    bump(ctx, "expression");
    return false;
  }
  let ge: Node;
  let pe: Node;
  try {
    ge = parseCached(g, ctx.opts.maxDepth);
    pe = parseCached(p, ctx.opts.maxDepth);
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    bump(ctx, "symbolic");
    return ctx.opts.symbolic(g, p);
  }
  bump(ctx, "expression");
  return expressionEqual(g, p, ge, pe, gn, ctx);
}

/** 2^{53}: integers beyond it are not all doubles, so a double comparison cannot tell 2^{64} from 2^{64}-1 */
const EXACT_DOUBLE_LIMIT = 2 ** 53;

function expressionEqual(g: string, p: string, ge: Node, pe: Node, gn: NumberValue | null, ctx: Ctx): boolean {
  // an integer reference against an expression is exact: 13535 is not (\sqrt7+\sqrt5)^6 = 13535.99…
  // (a written decimal such as 6630.65 against 6630 is a rounding question, left to relTol above)
  const tol = gn?.int !== undefined ? INT_TOL : ctx.opts.relTol;
  if (exactEligible(ge) && exactEligible(pe)) {
    // rational constants on both sides (2^{64}-1, 100!, \frac{6}{4}): BigInt, never doubles
    const gq = exactValue(ge, ctx.budget);
    const pq = gq && exactValue(pe, ctx.budget);
    if (gq && pq) return ratClose(gq, pq, tol) || pctMatch(gq, pq, ctx);
  }
  const r = exprEqual(ge, pe, tol);
  if (r === true && gn?.int !== undefined && Math.abs(Number(gn.int)) >= EXACT_DOUBLE_LIMIT) {
    // 12345678901234567891 against an expression the exact layer cannot evaluate (\sqrt, \pi, variables)
    throw new RefusedError("an integer reference beyond 2^53 against an expression evaluated in doubles", "exact/double_precision");
  }
  if (r !== null) {
    if (r || !(ctx.goldPercent || ctx.predPercent)) return r;
    if (gn) {
      // percent with an expression on the other side: compare scaled values
      const pv = evaluateConstant(pe);
      if (pv && pv.im === 0) return pctMatchDouble(ratOf(gn, ctx.budget), pv.re, ctx);
    }
    return r;
  }
  bump(ctx, "symbolic");
  return ctx.opts.symbolic(g, p);
}

// ------------------------------------------------------------------ structures

/** compare with an option text taken from the problem (normalised like an answer) */
function optionEqual(gold: string, pred: string, ctx: Ctx): boolean {
  const g = normalizeAnswer(gold).text;
  const p = normalizeAnswer(pred).text;
  if (g === p) return true;
  try {
    return structureEqual(parseStructure(g), parseStructure(p), ctx);
  } catch (e) {
    if (e instanceof UngradableReference) return false;
    throw e;
  }
}

function listEqualOrdered(g: string[], p: string[], ctx: Ctx): boolean {
  if (g.length !== p.length) return false;
  for (let k = 0; k < g.length; k++) if (!scalarEqual(g[k]!, p[k]!, ctx)) return false;
  return true;
}

function listEqualUnordered(g: string[], p: string[], ctx: Ctx): boolean {
  if (g.length !== p.length) return false;
  // fast: same multiset of strings
  const gs = [...g].sort();
  const ps = [...p].sort();
  if (gs.every((x, k) => x === ps[k])) return true;
  const used = new Uint8Array(p.length);
  for (const x of g) {
    let found = false;
    for (let k = 0; k < p.length; k++) {
      if (used[k]) continue;
      if (scalarEqual(x, p[k]!, ctx)) {
        used[k] = 1;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

function relationEqual(g: Extract<Answer, { kind: "relation" }>, p: Extract<Answer, { kind: "relation" }>, ctx: Ctx): boolean {
  let pl = p.lhs;
  let pr = p.rhs;
  let pop = p.op;
  if (g.op !== pop && FLIP[pop] === g.op) {
    [pl, pr] = [pr, pl];
    pop = g.op;
  }
  if (g.op !== pop) return false;
  // same sides
  const saved = ctx.layer;
  try {
    if (scalarEqual(g.lhs, pl, ctx) && scalarEqual(g.rhs, pr, ctx)) return true;
    if ((g.op === "=" || g.op === "\\neq") && scalarEqual(g.lhs, pr, ctx) && scalarEqual(g.rhs, pl, ctx)) return true;
  } catch (e) {
    if (!(e instanceof NeedSymbolic) && !(e instanceof UngradableReference)) throw e;
    ctx.layer = saved;
  }
  // proportional differences (y = 2x+1 vs 2y - 4x = 2)
  try {
    const d1 = parseExpr(`(${g.lhs})-(${g.rhs})`, ctx.opts.maxDepth);
    const d2 = parseExpr(`(${pl})-(${pr})`, ctx.opts.maxDepth);
    bump(ctx, "expression");
    const r = proportional(d1, d2, g.op !== "=" && g.op !== "\\neq");
    if (r !== null) return r;
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
  }
  bump(ctx, "symbolic");
  return ctx.opts.symbolic(`${g.lhs}-(${g.rhs})`, `${pl}-(${pr})`);
}

function structureEqual(g: Answer, p: Answer, ctx: Ctx): boolean {
  switch (g.kind) {
    case "scalar":
      if (p.kind === "scalar") return scalarEqual(g.text, p.text, ctx);
      if (p.kind === "choice" && p.text) return scalarEqual(g.text, p.text, ctx);
      if (p.kind === "choice" && ctx.opts.choices?.[p.letter] !== undefined) return optionEqual(g.text, ctx.opts.choices[p.letter]!, ctx);
      if ((p.kind === "list" || p.kind === "set") && p.items.length === 1) return scalarEqual(g.text, p.items[0]!, ctx);
      return false;
    case "choice":
      if (p.kind === "choice") return g.letter === p.letter;
      if (p.kind === "scalar" && g.text) return scalarEqual(g.text, p.text, ctx);
      // the reference is a letter, the answer the option's text: look the letter up in the problem
      if (p.kind === "scalar" && ctx.opts.choices?.[g.letter] !== undefined) return optionEqual(ctx.opts.choices[g.letter]!, p.text, ctx);
      return false;
    case "list":
    case "set":
      if (p.kind === "list" || p.kind === "set") return listEqualUnordered(g.items, p.items, ctx);
      if (p.kind === "scalar" && g.items.length === 1) return scalarEqual(g.items[0]!, p.text, ctx);
      if (g.kind === "list" && p.kind === "tuple") return listEqualOrdered(g.items, p.items, ctx);
      return false;
    case "tuple":
      if (p.kind === "tuple") return g.open === p.open && g.close === p.close && listEqualOrdered(g.items, p.items, ctx);
      if (p.kind === "list") return listEqualOrdered(g.items, p.items, ctx);
      // "(2,\infty)" is an open interval as much as a pair: "x > 2" answers it
      if (p.kind === "interval" && g.items.length === 2 && g.open === "(" && !p.loClosed && !p.hiClosed) {
        return scalarEqual(g.items[0]!, p.lo, ctx) && scalarEqual(g.items[1]!, p.hi, ctx);
      }
      return false;
    case "interval":
      if (p.kind === "tuple" && p.items.length === 2 && p.open === "(" && !g.loClosed && !g.hiClosed) {
        return scalarEqual(g.lo, p.items[0]!, ctx) && scalarEqual(g.hi, p.items[1]!, ctx);
      }
      if (p.kind === "interval") {
        return g.loClosed === p.loClosed && g.hiClosed === p.hiClosed && scalarEqual(g.lo, p.lo, ctx) && scalarEqual(g.hi, p.hi, ctx);
      }
      return false;
    case "union":
      if (p.kind === "union" && p.parts.length === g.parts.length) {
        const used = new Uint8Array(p.parts.length);
        for (const gp of g.parts) {
          let found = false;
          for (let k = 0; k < p.parts.length; k++) {
            if (!used[k] && structureEqual(gp, p.parts[k]!, ctx)) {
              used[k] = 1;
              found = true;
              break;
            }
          }
          if (!found) return false;
        }
        return true;
      }
      return false;
    case "matrix":
      if (p.kind !== "matrix" || p.rows.length !== g.rows.length) return false;
      for (let r = 0; r < g.rows.length; r++) if (!listEqualOrdered(g.rows[r]!, p.rows[r]!, ctx)) return false;
      return true;
    case "relation":
      if (p.kind === "relation") return relationEqual(g, p, ctx);
      return false;
  }
}

/**
 * Compare a reference with an extracted answer. Throws NeedSymbolic (fast path only),
 * UngradableReference, or RefusedError (nesting too deep).
 */
export function compareAnswers(goldRaw: string, predRaw: string, opts: CompareOptions): Comparison {
  const g = normalizeAnswer(goldRaw);
  const p = normalizeAnswer(predRaw);
  if (g.text.length === 0) throw new UngradableReference("empty reference");
  if (!balanced(g.text)) throw new UngradableReference("unbalanced braces in the reference");
  if (g.text === p.text) return { equal: true, rule: "string" };
  if (p.text.length === 0) return { equal: false, rule: "empty" };
  const ctx: Ctx = { opts, layer: "string", goldPercent: g.percent, predPercent: p.percent, relTol: opts.relTol, budget: newBudget() };
  let gs = parseStructure(g.text);
  let ps = parseStructure(p.text);
  // "x = 417 \times 3 = 1251" against a value: the last member of an `=` chain is the answer
  if (gs.kind !== "relation" && gs.kind !== "interval" && ps.kind !== "interval") {
    const chain = splitTop(p.text, ["=", "\\approx", "\\equiv"]);
    const assignments = splitTop(p.text, [","]).filter((x) => x.includes("=")).length;
    if (chain.length >= 2 && assignments < 2 && chain[chain.length - 1]!.length > 0 && splitTop(g.text, ["="]).length === 1) {
      ps = parseStructure(chain[chain.length - 1]!);
    }
  }
  // a reference matrix whose row separators were lost upstream ("\begin{pmatrix}-2-14-7\end{pmatrix}")
  if (gs.kind === "matrix" && ps.kind === "matrix" && gs.rows.length === 1 && gs.rows[0]!.length === 1) {
    const flat = ps.rows.map((r) => r.join("")).join("");
    if (ps.rows.length * (ps.rows[0]?.length ?? 0) > 1 && flat === gs.rows[0]![0]) return { equal: true, rule: "matrix/flattened_reference" };
  }
  // an equation on one side: keep the other side's `y =` as an equation too
  if (gs.kind === "relation" && ps.kind !== "relation") {
    const alt = parseStructure(p.text, true);
    if (alt.kind === "relation") ps = alt;
  } else if (ps.kind === "relation" && gs.kind !== "relation") {
    const alt = parseStructure(g.text, true);
    if (alt.kind === "relation") gs = alt;
  }
  const equal = structureEqual(gs, ps, ctx);
  if (gs.kind === "scalar" && ps.kind === "scalar") return { equal, rule: ctx.layer };
  if (gs.kind === ps.kind) return { equal, rule: `${gs.kind}/${ctx.layer}` };
  return { equal, rule: `${gs.kind}~${ps.kind}/${!equal && ctx.layer === "string" ? "structure" : ctx.layer}` };
}

function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      if (--depth < 0) return false;
    }
  }
  return depth === 0;
}

/** the fast-path symbolic callback: always defers to the worker */
export const deferSymbolic: SymbolicCompare = () => {
  throw new NeedSymbolic("needs the symbolic engine");
};
