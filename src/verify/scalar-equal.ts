/**
 * One scalar against another, through the layers cheapest first: canonical strings, then plain numbers
 * as exact rationals (numeric.ts), then the fast expression parser (exact BigInt for constant rational
 * expressions, complex doubles otherwise), then the symbolic callback (`ctx.opts.symbolic`). The layer
 * that decided is recorded in the context and becomes the comparison's rule.
 */
import { hasWord } from "./normalize.js";
import { parseExpr, ExprError, RefusedError, type Node } from "./expr-parse.js";
import { exprEqual, evaluateConstant } from "./expr-eval.js";
import { exactValue, exactEligible, ratClose } from "./exact.js";
import { parseNumber, numbersEqual, pctMatch, pctMatchDouble, ratOf, type NumberValue, type NumericScale } from "./numeric.js";
import type { CompareOptions } from "./equivalence.js";

export type Layer = "string" | "numeric" | "expression" | "symbolic";
const LAYER_RANK: Record<Layer, number> = { string: 0, numeric: 1, expression: 2, symbolic: 3 };

/** the percent marks, the tolerance and the exact big-number work spent so far (NumericScale) */
export interface Ctx extends NumericScale {
  opts: CompareOptions;
  layer: Layer;
}

/** record that layer `l` took part (the rule names the most expensive layer used) */
export function bump(ctx: Ctx, l: Layer): void {
  if (LAYER_RANK[l] > LAYER_RANK[ctx.layer]) ctx.layer = l;
}

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

export function scalarEqual(gold: string, pred: string, ctx: Ctx): boolean {
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
