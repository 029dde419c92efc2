/**
 * The structure of an answer, parsed before any value is compared: tuples and points, sets and bare
 * lists, intervals (also single-variable inequalities) and their unions, matrices, equations and
 * inequalities, `\pm` pairs, multiple-choice letters, `x =` / `x \in` prefixes. Hand-written scanners
 * over top-level separators (bracket depth), linear in the answer length.
 */
import { matchBrace } from "../text/braces.js";
import { parseMatrixExpr, rowsOf } from "./matrices.js";

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

export const SIMPLE_LHS = /^(?:[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?|[A-Z]{2,3}|\\[A-Za-z]{2,8}(?:_\{?[A-Za-z0-9]{1,3}\}?)?|[A-Za-z](?:_\{?[A-Za-z0-9]{1,3}\}?)?\([A-Za-z]\))$/;

/**
 * A name made of symbols only, which an answer's `name =` prefix may carry (Math-Verify: a left-hand side
 * of symbols only is an assignment): `x`, `f(x)`, `(p,q)`, `A:B`, `|AB|`, `\frac{NO}{BO}`, `V_{1}:V_{2}`;
 * never `x+z`, `2x`, `a^2+b`.
 */
export function isName(s: string): boolean {
  if (SIMPLE_LHS.test(s)) return true;
  if (s.length === 0 || s.length > 40) return false;
  // subscripts may hold digits (V_{1}); elsewhere only letters, greek names and the punctuation of a name
  const t = s.replace(/_\{[A-Za-z0-9]{1,6}\}|_[A-Za-z0-9]/g, "").replace(/\\frac|\\(?:alpha|beta|gamma|delta|theta|lambda|mu|phi|omega|sigma)(?![A-Za-z])/g, "A");
  if (!/^[A-Za-z(),:|{}']+$/.test(t) || !/[A-Za-z]/.test(t)) return false;
  let d = 0;
  for (const c of t) {
    if (c === "(" || c === "{") d++;
    else if (c === ")" || c === "}") d--;
    if (d < 0) return false;
  }
  return d === 0;
}

/** drop `x =` / `(p,q) =` / `x \in` prefixes whose left-hand side is a name */
export function stripLhs(s: string): string {
  const inAt = s.indexOf("\\in");
  if (inAt > 0 && inAt < 14 && !/[A-Za-z]/.test(s[inAt + 3] ?? "") && SIMPLE_LHS.test(s.slice(0, inAt))) return s.slice(inAt + 3);
  if (!s.includes("=")) return s;
  const eq = splitTop(s, ["="]);
  if (eq.length === 2 && eq[1]!.length > 0 && isName(eq[0]!)) return eq[1]!;
  return s;
}

const REL_OPS = ["\\leq", "\\geq", "\\neq", "<", ">", "="];
export const FLIP: Record<string, string> = { "<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq" };

export interface StructureOptions {
  /** keep a `y =` prefix (the other side is an equation) */
  keepLhs?: boolean;
  /** keep a one-variable inequality as a relation instead of its interval (the other side is a relation) */
  inequality?: boolean;
}

/** `1,000,000` / `1,000.99`: groups of three after a first group of 1–3 digits not starting with 0 */
function thousands(parts: string[], s: string): boolean {
  if (!/^-?[1-9]\d{0,2}$/.test(parts[0]!) || s.includes(", ")) return false;
  return parts.slice(1).every((p, k) => (k === parts.length - 2 ? /^\d{3}(?:\.\d+)?$/ : /^\d{3}$/).test(p));
}

/** "p=5,q=2;p=7,q=2": groups of several assignments separated by `;` are tuples of values */
function semicolonGroups(s: string): Answer | null {
  if (!s.includes(";")) return null;
  const groups = splitTop(s, [";"]);
  if (groups.length < 2) return null;
  const items = groups.map((g) => splitTop(g, [","]));
  if (!items.every((g) => g.length >= 2 && g.every((x) => x.length > 0))) return null;
  return { kind: "list", items: items.map((g) => `(${g.map(stripLhs).join(",")})`) };
}

export function parseStructure(text: string, opts: StructureOptions = {}): Answer {
  const keepLhs = opts.keepLhs ?? false;
  let s = text.trim();
  // matrices: a literal, in brackets or not, or a sum / product of literals
  if (s.includes("\\begin")) {
    const rows = parseMatrixExpr(s);
    if (rows) return { kind: "matrix", rows };
    const mb = /^\\begin\{([pbBvV]?matrix|array)\}/.exec(s);
    const endAt = mb ? s.lastIndexOf(`\\end{${mb[1]}}`) : -1;
    if (mb && endAt > 0) return { kind: "matrix", rows: rowsOf(s.slice(mb[0].length, endAt).replace(/^\{[lcr|]*\}/, "")) };
  }
  // unions of intervals
  const union = s.includes("\\cup") ? splitTop(s, ["\\cup"]) : [s];
  if (union.length > 1) return { kind: "union", parts: union.map((u) => parseStructure(u)) };

  // top-level commas / semicolons
  let parts = splitTop(s, [",", ";"]);
  if (parts.length > 1) {
    if (thousands(parts, s)) return { kind: "scalar", text: parts.join("") };
    const groups = semicolonGroups(s);
    if (groups) return groups;
    parts = parts.filter((p) => p.length > 0);
    // "\frac{1}{4-\omega^2}, \quad \text{for } \omega^2 \neq 4": a condition is not an answer item
    const cond = parts.findIndex((p, k) => k > 0 && /^(?:for|where|if|when|provided|with|assuming)(?![a-z])/i.test(p));
    if (cond > 0) parts = parts.slice(0, cond);
    if (parts.length === 1) return parseStructure(parts[0]!, opts);
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
    let items = splitTop(inner, [","]);
    if (items.length === 1) items = splitTop(inner, [";"]); // (0;-2;6)
    if (items.length === 2) {
      if (s[0] === "(" && s.endsWith(")")) return { kind: "tuple", items, open: "(", close: ")" };
      return { kind: "interval", lo: items[0]!, hi: items[1]!, loClosed: s[0] === "[", hiClosed: s.endsWith("]") };
    }
    if (items.length > 2) return { kind: "tuple", items, open: s[0]!, close: s[s.length - 1]! };
  }
  // relations (after `x =` was stripped, a remaining relation is an equation or inequality)
  const rel = splitRelation(s);
  if (rel) {
    if (rel.length === 5) return chainInterval(rel) ?? { kind: "scalar", text: s };
    let [lhs, op, rhs] = rel as [string, string, string];
    if (SIMPLE_LHS.test(rhs) && !SIMPLE_LHS.test(lhs) && op !== "=") {
      [lhs, rhs] = [rhs, lhs];
      op = FLIP[op]!;
    }
    if (!opts.inequality && SIMPLE_LHS.test(lhs) && op !== "=" && op !== "\\neq") {
      if (op === ">" || op === "\\geq") return { kind: "interval", lo: rhs, hi: "\\infty", loClosed: op === "\\geq", hiClosed: false };
      return { kind: "interval", lo: "-\\infty", hi: rhs, loClosed: false, hiClosed: op === "\\leq" };
    }
    return { kind: "relation", op, lhs, rhs };
  }
  // ± answers
  const pm = s.includes("\\pm") || s.includes("\\mp") ? splitTop(s, ["\\pm", "\\mp"]) : [s];
  if (pm.length === 2) {
    const a = pm[0]!.length ? pm[0]! : "0";
    return { kind: "set", items: [`${a}+${wrap(pm[1]!)}`, `${a}-${wrap(pm[1]!)}`] };
  }
  // multiple choice: C, (C), (C) 12, C) 12
  const mc = /^\(?([A-E])\)(.*)$/.exec(s) ?? /^([A-E])$/.exec(s);
  if (mc) return { kind: "choice", letter: mc[1]!, text: (mc[2] ?? "").trim() };
  return { kind: "scalar", text: s };
}

const NONNEG = /^(?:\d+(?:\.\d+)?|\\frac\{\d+\}\{\d+\})$/;

/**
 * `a < x < b` (or `>`) as an interval; `a \leq |z| \leq b` with a positive `a` (or a strict `0 <`) as the
 * two intervals `[-b,-a] ∪ [a,b]`. Null for any other chain.
 */
function chainInterval(rel: string[]): Answer | null {
  let [lo, op1, mid, op2, hi] = rel as [string, string, string, string, string];
  const down = (op1 === ">" || op1 === "\\geq") && (op2 === ">" || op2 === "\\geq");
  if (down) [lo, op1, op2, hi] = [hi, FLIP[op2]!, FLIP[op1]!, lo];
  if (!((op1 === "<" || op1 === "\\leq") && (op2 === "<" || op2 === "\\leq"))) return null;
  const loClosed = op1 === "\\leq";
  const hiClosed = op2 === "\\leq";
  if (SIMPLE_LHS.test(mid)) return { kind: "interval", lo, hi, loClosed, hiClosed };
  const abs = /^\|[A-Za-z]\|$/.test(mid);
  if (abs && NONNEG.test(lo) && (!loClosed || !/^0(?:\.0*)?$/.test(lo))) {
    return {
      kind: "union",
      parts: [
        { kind: "interval", lo: `-${wrap(hi)}`, hi: `-${wrap(lo)}`, loClosed: hiClosed, hiClosed: loClosed },
        { kind: "interval", lo, hi, loClosed, hiClosed },
      ],
    };
  }
  return null;
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
