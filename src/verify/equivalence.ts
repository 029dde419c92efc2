/**
 * Answer equivalence: a reference against an extracted answer. The structure of both (tuples, sets,
 * lists, intervals, unions, matrices, equations, inequalities, `\pm`, multiple-choice letters;
 * answer-structure.ts) is parsed first; its elements are compared with the scalar layers, cheapest
 * first (scalar-equal.ts):
 *
 *   1. `string`     canonical strings equal (see normalize.ts)
 *   2. `numeric`    plain numbers as exact rationals (numeric.ts): integers by their digits (any size),
 *                   the relative tolerance only where a written decimal may be a rounding
 *   3. `expression` the fast LaTeX parser (expr-parse.ts); constant rational expressions (2^{64}-1, 100!,
 *                   \frac{6}{4}) exactly in BigInt (exact.ts), everything else with the complex evaluator
 *                   (expr-eval.ts)
 *   4. `symbolic`   the fallback for what the fast layers cannot decide; in the main thread it throws
 *                   `NeedSymbolic`, in the symbolic worker it runs @cortex-js/compute-engine
 */
import { normalizeAnswer } from "./normalize.js";
import { parseExpr, ExprError } from "./expr-parse.js";
import { proportional } from "./expr-eval.js";
import { newBudget } from "./exact.js";
import { isName, parseStructure, splitTop, FLIP, SIMPLE_LHS, type Answer } from "./answer-structure.js";
import { reduceChain } from "./relations.js";
import { scalarEqual, bump, type Ctx } from "./scalar-equal.js";

/** a fraction, a division or a decimal point: the equation is not written with integer coefficients only */
const FRACTIONAL = /\\[dtc]?frac|\/|\.|\\div/;

/** thrown in the fast path when only the symbolic engine can decide */
export class NeedSymbolic extends Error {
  override name = "NeedSymbolic";
}
/** the reference cannot be parsed by any layer */
export class UngradableReference extends Error {
  override name = "UngradableReference";
}

/** scalar fallback: true/false, or throws (NeedSymbolic / UngradableReference) */
export type SymbolicCompare = (gold: string, pred: string) => boolean;

export interface CompareOptions {
  relTol: number;
  maxDepth: number;
  symbolic: SymbolicCompare;
  /** multiple-choice option texts from the problem statement (letter → text), see parseChoices */
  choices?: Record<string, string>;
}

export interface Comparison {
  equal: boolean;
  /** e.g. "string", "numeric", "tuple/expression", "interval/numeric", "choice" */
  rule: string;
}

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

/** items without repeats written the same way (blanks ignored): `(3,17,3,7)` and `(3, 17, 3, 7)` count once */
function distinctItems(xs: string[]): string[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = x.replace(/\s+/g, "");
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** sets and bare lists: the same items in any order; a repeated item counts once (Math-Verify's FiniteSet) */
function listEqualUnordered(gIn: string[], pIn: string[], ctx: Ctx): boolean {
  let g = gIn;
  let p = pIn;
  if (g.length !== p.length) {
    g = distinctItems(g);
    p = distinctItems(p);
  }
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
    // two equations written with integer coefficients only: equal up to sign only (an integer form is a
    // normalised one, "Ax+By+Cz+D=0 with gcd 1": 20x-28y+44z+16=0 is not 5x-7y+11z+4=0); any other
    // non-zero factor is Math-Verify's rule (2x+4y-3=0 is y=-\frac{1}{2}x+\frac{3}{4})
    const integerForms = g.op === "=" && !FRACTIONAL.test(`${g.lhs}=${g.rhs}`) && !FRACTIONAL.test(`${pl}=${pr}`);
    const r = proportional(d1, d2, g.op !== "=" && g.op !== "\\neq", !integerForms);
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
  // assignment chains and approximations as written (relations.ts): "x = 5+5+1 = 11" is "x = 11"
  const gText = reduceChain(g.text, true);
  const pText = reduceChain(p.text, false);
  let [gs, ps] = structures(gText, pText);
  // a reference matrix whose row separators were lost upstream ("\begin{pmatrix}-2-14-7\end{pmatrix}")
  if (gs.kind === "matrix" && ps.kind === "matrix" && gs.rows.length === 1 && gs.rows[0]!.length === 1) {
    const flat = ps.rows.map((r) => r.join("")).join("");
    if (ps.rows.length * (ps.rows[0]?.length ?? 0) > 1 && flat === gs.rows[0]![0]) return { equal: true, rule: "matrix/flattened_reference" };
  }
  // "1,22" against "1.22": a decimal comma (Math-Verify reads a plain `d,dd` number so)
  const dg = gText.includes(", ") ? null : decimalComma(gs, ps);
  if (dg) gs = dg;
  const dp = pText.includes(", ") ? null : decimalComma(ps, gs);
  if (dp) ps = dp;
  const equal = structureEqual(gs, ps, ctx);
  if (gs.kind === "scalar" && ps.kind === "scalar") return { equal, rule: ctx.layer };
  if (gs.kind === ps.kind) return { equal, rule: `${gs.kind}/${ctx.layer}` };
  return { equal, rule: `${gs.kind}~${ps.kind}/${!equal && ctx.layer === "string" ? "structure" : ctx.layer}` };
}

/** the name of a single `name = value` answer, or null */
function assignedName(s: string): string | null {
  if (!s.includes("=")) return null;
  const eq = splitTop(s, ["="]);
  return eq.length === 2 && isName(eq[0]!) && eq[1]!.length > 0 ? eq[0]! : null;
}

/**
 * Both sides name their value, differently, and one name is more than a letter with a subscript (`Xd =`
 * against `X_{d} =`): as in Math-Verify (two assignments keep their left-hand sides) the names count.
 * Plain letters keep curate's rule (`x = 5` answers `y = 5`: the name is the problem's, not the answer).
 */
function namesDiffer(gText: string, pText: string): boolean {
  const g = assignedName(gText);
  const p = assignedName(pText);
  if (g === null || p === null || (SIMPLE_LHS.test(g) && SIMPLE_LHS.test(p))) return false;
  return g.replace(/[{}\s]/g, "") !== p.replace(/[{}\s]/g, "");
}

const isInequality = (a: Answer): boolean => a.kind === "relation" && a.op !== "=" && a.op !== "\\neq";

/** both structures, each read in the light of the other (an equation keeps `y =`, an inequality stays one) */
function structures(gText: string, pText: string): [Answer, Answer] {
  if (namesDiffer(gText, pText)) {
    const gr = parseStructure(gText, { keepLhs: true });
    const pr = parseStructure(pText, { keepLhs: true });
    if (gr.kind === "relation" && pr.kind === "relation") return [gr, pr];
  }
  let gs = parseStructure(gText);
  let ps = parseStructure(pText);
  // "x = 417 \times 3 = 1251" against a value: the last member of an `=` chain is the answer
  if (gs.kind !== "relation" && gs.kind !== "interval" && ps.kind !== "interval" && /=|\\approx|\\equiv/.test(pText)) {
    const chain = splitTop(pText, ["=", "\\approx", "\\equiv"]);
    const assignments = splitTop(pText, [","]).filter((x) => x.includes("=")).length;
    const goldEquation = splitTop(gText, ["="]).length > 1; // `y = 2x+1` against `2x - y + 1 = 0`: two equations
    if (chain.length >= 2 && assignments < 2 && chain[chain.length - 1]!.length > 0 && !goldEquation) ps = parseStructure(chain[chain.length - 1]!);
  }
  // an equation on one side: keep the other side's `y =` as an equation too
  if (gs.kind === "relation" && ps.kind !== "relation") {
    const alt = parseStructure(pText, { keepLhs: true });
    if (alt.kind === "relation") ps = alt;
  } else if (ps.kind === "relation" && gs.kind !== "relation") {
    const alt = parseStructure(gText, { keepLhs: true });
    if (alt.kind === "relation") gs = alt;
  }
  // "x < 1" against "-x > -1": compared as inequalities, not as an interval against a relation
  if (gs.kind === "interval" && isInequality(ps)) gs = parseStructure(gText, { inequality: true });
  else if (ps.kind === "interval" && isInequality(gs)) ps = parseStructure(pText, { inequality: true });
  return [gs, ps];
}

/** a two-item list "a,b" of plain digits (no blank after the comma) read as the decimal a.b, against a number */
function decimalComma(a: Answer, other: Answer): Answer | null {
  if (a.kind !== "list" || a.items.length !== 2 || other.kind !== "scalar" || !/^-?\d*\.?\d+$/.test(other.text)) return null;
  const [x, y] = a.items as [string, string];
  if (!/^-?\d+$/.test(x) || !/^\d+$/.test(y)) return null;
  return { kind: "scalar", text: `${x}.${y}` };
}

/** the answer holds several items (a list or set of two or more): several boxes may answer it together */
export function isListAnswer(ref: string): boolean {
  const s = parseStructure(normalizeAnswer(ref).text);
  return (s.kind === "list" || s.kind === "set") && s.items.length > 1;
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
