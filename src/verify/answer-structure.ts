/**
 * The structure of an answer, parsed before any value is compared: tuples and points, sets and bare
 * lists, intervals (also single-variable inequalities) and their unions, matrices, equations and
 * inequalities, `\pm` pairs, multiple-choice letters, `x =` / `x \in` prefixes. Hand-written scanners
 * over top-level separators (bracket depth), linear in the answer length.
 */
import { matchBrace } from "../text/braces.js";

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
export const FLIP: Record<string, string> = { "<": ">", ">": "<", "\\leq": "\\geq", "\\geq": "\\leq", "=": "=", "\\neq": "\\neq" };

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
