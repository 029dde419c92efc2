/**
 * Fast expression layer, evaluation: complex doubles over the parser's tree (expr-parse.ts), and the
 * comparisons built on it. Constant expressions are compared by value, expressions with free variables
 * at fixed pseudo-random points (the same points for both sides). A double that over- or underflows
 * decides nothing (`RefusedError`, rule `exact/out_of_range`).
 */
import { RefusedError, TINY, type Node } from "./expr-parse.js";

export interface C {
  re: number;
  im: number;
}
const cx = (re: number, im = 0): C => ({ re, im });
const NAN: C = { re: NaN, im: NaN };

/**
 * Set when a computation on finite, non-zero operands over- or underflowed (2^{2000} → Infinity,
 * 10^{-400} → 0, 1e-200·1e-200 → 0): the value then says nothing about equality, so 10^{-400}\pi and
 * 10^{-300}\pi must not compare equal as 0 = 0. Cleared by the callers of `evaluate` that read it.
 */
let rangeLost = false;

function isZero(a: C): boolean {
  return a.re === 0 && a.im === 0;
}
/** r = a ∘ b (product, quotient, power): flag Infinity or a vanishing value from finite non-zero operands */
function guard(r: C, a: C, b: C): C {
  const m = Math.max(Math.abs(r.re), Math.abs(r.im));
  if ((m === Infinity || m < TINY) && finite(a) && finite(b) && !isZero(a) && !isZero(b)) rangeLost = true;
  return r;
}
/** sums overflow only (a difference that cancels to 0 is exact) */
function guardSum(r: C, a: C, b: C): C {
  if (!finite(r) && finite(a) && finite(b)) rangeLost = true;
  return r;
}

function cmul(a: C, b: C): C {
  return guard({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re }, a, b);
}
function cdiv(a: C, b: C): C {
  if (b.im === 0) return guard({ re: a.re / b.re, im: a.im / b.re }, a, b);
  const d = b.re * b.re + b.im * b.im;
  return guard({ re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d }, a, b);
}
function clog(a: C): C {
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}
function cexp(a: C): C {
  const m = Math.exp(a.re);
  if ((m === Infinity || m < TINY) && Number.isFinite(a.re)) rangeLost = true;
  return a.im === 0 ? { re: m, im: 0 } : { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}
function cpow(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) {
    if (a.re >= 0 || Number.isInteger(b.re)) return guard({ re: Math.pow(a.re, b.re), im: 0 }, a, b);
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? cx(0) : NAN;
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    // exact-ish repeated multiplication for integer powers of complex numbers
    let r = cx(1);
    const n = Math.abs(b.re);
    for (let k = 0; k < n; k++) r = cmul(r, a);
    return b.re < 0 ? cdiv(cx(1), r) : r;
  }
  return cexp(cmul(b, clog(a)));
}
function real(f: (x: number) => number, a: C): C {
  if (a.im !== 0) return NAN;
  return cx(f(a.re));
}

function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) return NaN;
  if (n > 170) {
    rangeLost = true;
    return Infinity;
  }
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

export function evaluate(node: Node, env: Map<string, number>): C {
  switch (node.k) {
    case "num":
      if (node.lossy) rangeLost = true;
      return cx(node.v);
    case "const":
      return node.v === "pi" ? cx(Math.PI) : node.v === "e" ? cx(Math.E) : node.v === "i" ? cx(0, 1) : cx(Infinity);
    case "var": {
      const v = env.get(node.name);
      if (v === undefined) return NAN;
      return cx(v);
    }
    case "add": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      return guardSum({ re: a.re + b.re, im: a.im + b.im }, a, b);
    }
    case "sub": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      return guardSum({ re: a.re - b.re, im: a.im - b.im }, a, b);
    }
    case "neg": {
      const a = evaluate(node.a, env);
      return { re: -a.re, im: -a.im };
    }
    case "mul":
      return cmul(evaluate(node.a, env), evaluate(node.b, env));
    case "div":
      return cdiv(evaluate(node.a, env), evaluate(node.b, env));
    case "pow":
      return cpow(evaluate(node.a, env), evaluate(node.b, env));
    case "root": {
      const a = evaluate(node.a, env);
      const n = evaluate(node.n, env);
      if (n.im !== 0) return NAN;
      if (a.im === 0 && a.re < 0 && Number.isInteger(n.re) && n.re % 2 !== 0) return cx(-Math.pow(-a.re, 1 / n.re));
      if (n.re === 2 && a.im === 0) return a.re >= 0 ? cx(Math.sqrt(a.re)) : cx(0, Math.sqrt(-a.re));
      return cpow(a, cx(1 / n.re));
    }
    case "fact":
      return real(factorial, evaluate(node.a, env));
    case "abs": {
      const a = evaluate(node.a, env);
      return cx(Math.hypot(a.re, a.im));
    }
    case "binom": {
      const a = evaluate(node.a, env);
      const b = evaluate(node.b, env);
      if (a.im !== 0 || b.im !== 0 || !Number.isInteger(b.re) || b.re < 0) return NAN;
      if (b.re > 1000) return NAN;
      let r = 1;
      for (let k = 0; k < b.re; k++) r = (r * (a.re - k)) / (k + 1);
      if (!Number.isFinite(r) && Number.isFinite(a.re)) rangeLost = true;
      return cx(Number.isInteger(a.re) ? Math.round(r) : r);
    }
    case "fn": {
      const a = evaluate(node.a, env);
      switch (node.name) {
        case "sin":
          return real(Math.sin, a);
        case "cos":
          return real(Math.cos, a);
        case "tan":
          return real(Math.tan, a);
        case "cot":
          return real((x) => 1 / Math.tan(x), a);
        case "sec":
          return real((x) => 1 / Math.cos(x), a);
        case "csc":
          return real((x) => 1 / Math.sin(x), a);
        case "arcsin":
          return a.im === 0 && Math.abs(a.re) <= 1 ? cx(Math.asin(a.re)) : NAN;
        case "arccos":
          return a.im === 0 && Math.abs(a.re) <= 1 ? cx(Math.acos(a.re)) : NAN;
        case "arctan":
          return real(Math.atan, a);
        case "sinh":
          return real(Math.sinh, a);
        case "cosh":
          return real(Math.cosh, a);
        case "tanh":
          return real(Math.tanh, a);
        case "exp":
          return cexp(a);
        case "floor":
          return real(Math.floor, a);
        case "ceil":
          return real(Math.ceil, a);
        case "ln":
          return clog(a);
        case "lg":
          return cdiv(clog(a), cx(Math.LN10));
        case "log": {
          const base = node.base ? evaluate(node.base, env) : cx(10);
          return cdiv(clog(a), clog(base));
        }
      }
      return NAN;
    }
  }
}

/** the value of an expression without variables, or null when it is not finite or a double over/underflowed */
export function evaluateConstant(node: Node): C | null {
  rangeLost = false;
  const v = evaluate(node, new Map());
  return rangeLost || !finite(v) ? null : v;
}

export function freeVars(node: Node, out: Set<string> = new Set()): Set<string> {
  switch (node.k) {
    case "var":
      out.add(node.name);
      break;
    case "num":
    case "const":
      break;
    case "neg":
    case "fact":
    case "abs":
      freeVars(node.a, out);
      break;
    case "fn":
      freeVars(node.a, out);
      if (node.base) freeVars(node.base, out);
      break;
    case "root":
      freeVars(node.a, out);
      freeVars(node.n, out);
      break;
    default:
      freeVars(node.a, out);
      freeVars(node.b, out);
  }
  return out;
}

/** deterministic sample points (fixed, irrational-looking, positive: `\sqrt{x^2} = x` style identities hold) */
const POINTS = [0.7213, 1.3719, 2.1837, 0.4129, 1.8861, 2.6473, 0.9517, 1.5293];

export function closeEnough(a: C, b: C, relTol: number): boolean {
  if (!Number.isFinite(a.re) || !Number.isFinite(b.re) || !Number.isFinite(a.im) || !Number.isFinite(b.im)) return false;
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  // absolute slack only against an exact zero (sin π vs 0); otherwise purely relative, so 3.88e-10 ≠ 3.89e-10
  if (Math.min(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im)) === 0) return diff <= 1e-12;
  return diff <= relTol * scale;
}

function finite(a: C): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}

/**
 * true / false when the fast layer can decide, null when it cannot (non-finite values, every sample
 * point undefined): the caller then asks the symbolic engine.
 */
export function exprEqual(a: Node, b: Node, relTol: number): boolean | null {
  const vars = [...freeVars(a, freeVars(b))].sort();
  if (vars.length === 0) {
    rangeLost = false;
    const va = evaluate(a, new Map());
    const vb = evaluate(b, new Map());
    // 10^{-400}\pi vs 10^{-300}\pi are 0 = 0 in doubles, \pi^{1000} vs \pi^{1001} ∞ = ∞: no verdict from that
    if (rangeLost) throw new RefusedError("a value over- or underflows a double", "exact/out_of_range");
    if (!finite(va) || !finite(vb)) {
      // ±∞ literally on both sides
      if (isInfLiteral(a) !== 0 && isInfLiteral(a) === isInfLiteral(b)) return true;
      return null;
    }
    return closeEnough(va, vb, relTol);
  }
  // with free variables: identical values at every usable point (tight tolerance)
  const env = new Map<string, number>();
  let usable = 0;
  let lost = 0;
  for (let p = 0; p < 4; p++) {
    vars.forEach((v, k) => env.set(v, POINTS[(p * 3 + k * 5) % POINTS.length]! + k * 0.1173));
    rangeLost = false;
    const va = evaluate(a, env);
    const vb = evaluate(b, env);
    if (rangeLost) {
      // e^{-1000x} underflows to 0 at every point: such a point tells nothing, like a pole
      lost++;
      continue;
    }
    const fa = finite(va);
    const fb = finite(vb);
    if (!fa && !fb) continue;
    if (fa !== fb) return null;
    usable++;
    if (!closeEnough(va, vb, 1e-8)) return false;
  }
  if (usable >= 2) return true;
  // the engine's numeric checks are doubles too (it calls e^{-1000x} and 0 equal): refuse instead
  if (lost > 0) throw new RefusedError("values over- or underflow a double at the sample points", "exact/out_of_range");
  return null;
}

/**
 * Equations: lhs₁−rhs₁ and lhs₂−rhs₂ proportional with a constant non-zero ratio (positive when
 * `positive`, for inequalities): `2x+4y-3=0` is `y=-\frac{1}{2}x+\frac{3}{4}`, `x^2/4+y^2/3=1` is
 * `x^2/16+y^2/12=1/4` (Math-Verify solves both and compares); with `anyFactor` false only ±1 counts.
 * null when undecidable.
 */
export function proportional(d1: Node, d2: Node, positive: boolean, anyFactor = true): boolean | null {
  const vars = [...freeVars(d1, freeVars(d2))].sort();
  const env = new Map<string, number>();
  let ratio: number | null = null;
  let usable = 0;
  for (let p = 0; p < 5; p++) {
    vars.forEach((v, k) => env.set(v, POINTS[(p * 3 + k * 5) % POINTS.length]! + k * 0.1173));
    rangeLost = false;
    const a = evaluate(d1, env);
    const b = evaluate(d2, env);
    if (rangeLost) continue;
    if (!finite(a) || !finite(b) || a.im !== 0 || b.im !== 0) continue;
    if (Math.abs(a.re) < 1e-12 && Math.abs(b.re) < 1e-12) continue;
    if (Math.abs(b.re) < 1e-12 || Math.abs(a.re) < 1e-12) return false;
    const r = a.re / b.re;
    if (ratio === null) ratio = r;
    else if (Math.abs(r - ratio) > 1e-8 * Math.max(Math.abs(r), Math.abs(ratio))) return false;
    usable++;
  }
  if (ratio === null || usable < 2) return null;
  if (!anyFactor && Math.abs(Math.abs(ratio) - 1) > 1e-8) return false;
  return positive ? ratio > 0 : true;
}

/** +1 for `\infty` / `+\infty`, −1 for `-\infty`, 0 otherwise */
export function isInfLiteral(n: Node): number {
  if (n.k === "const" && n.v === "inf") return 1;
  if (n.k === "neg") return -isInfLiteral(n.a);
  return 0;
}
