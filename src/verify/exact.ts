/**
 * Exact rational arithmetic for the numeric and expression layers.
 *
 * Integers and rationals built from integer and decimal literals with + − × ÷, integer powers,
 * factorials, binomials, |·|, ⌊·⌋ and ⌈·⌉ are evaluated as BigInt numerator/denominator pairs, so
 * 2^{64}-1 is not 18446744073709551616 and 10^{-400} is not 10^{-300} (doubles call both pairs equal).
 * Nothing here rounds: a value beyond the bounds below is refused before it is computed (RefusedError,
 * rule `exact/too_large`; the verdict is `timeout`), and one comparison may spend at most a fixed amount
 * of big-number work (rule `exact/work_limit`), so a hostile answer costs milliseconds, not minutes.
 */
import { RefusedError, type Node } from "./expr-parse.js";

/**
 * n/d with d > 0, not reduced (a gcd of two 30,000-bit numbers takes ~0.2 s; equality by cross
 * multiplication needs none). `approx`: a decimal literal with non-zero digits after the point took
 * part (`0.3333`, `4.5e33`), so the value may be a rounding and a tolerance applies when it differs.
 */
export interface Rat {
  n: bigint;
  d: bigint;
  approx: boolean;
}

/** numerators and denominators of at most ~10,000 decimal digits (33,220 bits) */
export const MAX_DIGITS = 10_000;
const MAX_BITS = Math.ceil(MAX_DIGITS * Math.log2(10));
/** 3249! is the first factorial with more than 10,000 digits */
export const MAX_FACTORIAL = 3248;
/** bits produced per comparison, 64 values of full size: the worst comparisons measured take 1-16 ms warm */
export const MAX_WORK = 64 * MAX_BITS;

/** the big-number work left to one comparison (shared by both sides and every element of a structure) */
export interface Budget {
  work: number;
}
export const newBudget = (): Budget => ({ work: 0 });

function tooLarge(what: string): RefusedError {
  return new RefusedError(`${what} is beyond the exact-arithmetic bound of ${MAX_DIGITS} digits`, "exact/too_large");
}

const TWO_53 = 2n ** 53n;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** bit length of |x|, within a few bits (linear time: hex printing is a copy, not a division) */
function bits(x: bigint): number {
  const a = abs(x);
  if (a < TWO_53) return a === 0n ? 0 : Math.floor(Math.log2(Number(a))) + 1;
  return a.toString(16).length * 4;
}

/** log₂|x| (a slight under-estimate for big x: exact sizes are checked again after computing) */
function log2(x: bigint): number {
  const a = abs(x);
  return a < TWO_53 ? Math.log2(Number(a)) : bits(a) - 4;
}

/** refuse a value over the size bound, and count its size against the comparison's work */
function charge(r: Rat, budget: Budget, weight = 1): Rat {
  const bn = bits(r.n);
  const bd = bits(r.d);
  if (bn > MAX_BITS || bd > MAX_BITS) throw tooLarge("a value");
  spend(budget, (bn + bd) * weight);
  return r;
}

function spend(budget: Budget, work: number): void {
  budget.work += work;
  if (budget.work > MAX_WORK) throw new RefusedError("too much big-number arithmetic in one comparison", "exact/work_limit");
}

/** the digits of s from `from` with leading zeros dropped (a loop: `/^0+/` style regexes backtrack) */
function skipZeros(s: string, from: number, to: number): number {
  while (from < to && s.charCodeAt(from) === 48) from++;
  return from;
}

/**
 * An integer or decimal literal as written: `-25`, `0.125`, `.5`, `5.`, `4.5e33`, `1E-5`. The caller has
 * checked the form (DEC_RE, or a tokenizer number). Throws `exact/too_large` past MAX_DIGITS.
 */
export function ratFromLiteral(text: string, budget: Budget): Rat {
  let i = 0;
  let neg = false;
  if (text[0] === "+" || text[0] === "-") {
    neg = text[0] === "-";
    i = 1;
  }
  let e = text.indexOf("e", i);
  if (e < 0) e = text.indexOf("E", i);
  const end = e < 0 ? text.length : e;
  const dot = text.indexOf(".", i);
  const wholeEnd = dot >= 0 && dot < end ? dot : end;
  let fracEnd = dot >= 0 && dot < end ? end : wholeEnd;
  const fracStart = dot >= 0 && dot < end ? dot + 1 : wholeEnd;
  while (fracEnd > fracStart && text.charCodeAt(fracEnd - 1) === 48) fracEnd--;
  const approx = fracEnd > fracStart;
  const lead = skipZeros(text, i, wholeEnd);
  let digits = text.slice(lead, wholeEnd) + text.slice(fracStart, fracEnd);
  if (lead === wholeEnd) digits = digits.slice(skipZeros(digits, 0, digits.length));
  if (digits.length === 0) return { n: 0n, d: 1n, approx };
  let exp = 0;
  if (e >= 0) {
    const es = text.slice(e + 1);
    if (es.replace(/^[+-]?0*/, "").length > 9) throw tooLarge(`the exponent of ${text.slice(0, 40)}`);
    exp = Number(es);
  }
  exp -= fracEnd - fracStart;
  if (digits.length > MAX_DIGITS || digits.length + exp > MAX_DIGITS || -exp > MAX_DIGITS) throw tooLarge(`the number ${text.slice(0, 40)}…`);
  let n = BigInt(digits);
  let d = 1n;
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d = 10n ** BigInt(-exp);
  return charge({ n: neg ? -n : n, d, approx }, budget);
}

/** structurally rational: numbers and the operations below, no variables, constants, roots or functions */
export function exactEligible(node: Node): boolean {
  switch (node.k) {
    case "num":
      return true;
    case "neg":
    case "fact":
    case "abs":
      return exactEligible(node.a);
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "pow":
    case "binom":
      return exactEligible(node.a) && exactEligible(node.b);
    case "fn":
      return (node.name === "floor" || node.name === "ceil") && exactEligible(node.a);
    default:
      return false;
  }
}

/** the integer value of q, or null when q is not an integer */
function integer(q: Rat): bigint | null {
  if (q.d === 1n) return q.n;
  return q.n % q.d === 0n ? q.n / q.d : null;
}

function add(a: Rat, b: Rat, sign: bigint): Rat {
  const approx = a.approx || b.approx;
  if (a.d === b.d) return { n: a.n + sign * b.n, d: a.d, approx };
  return { n: a.n * b.d + sign * b.n * a.d, d: a.d * b.d, approx };
}

/** a/b; null when b is 0 */
export function ratDivide(a: Rat, b: Rat): Rat | null {
  if (b.n === 0n) return null; // a pole: the double layer and the engine decide what 1/0 means
  const s = b.n < 0n ? -1n : 1n;
  return { n: s * a.n * b.d, d: s * a.d * b.n, approx: a.approx || b.approx };
}

/** base^ex for an integer ex; null for a non-integer exponent (4^{1/2} is left to the double layer) */
function power(base: Rat, ex: Rat, budget: Budget): Rat | null {
  let k = integer(ex);
  if (k === null) return null;
  const approx = base.approx || ex.approx;
  if (k === 0n) return { n: 1n, d: 1n, approx };
  if (base.n === 0n) return k > 0n ? { n: 0n, d: 1n, approx } : null;
  let { n, d } = base;
  if (k < 0n) {
    k = -k;
    [n, d] = n < 0n ? [-d, -n] : [d, n];
  }
  if (abs(n) === d) return { n: n < 0n && k % 2n === 1n ? -1n : 1n, d: 1n, approx };
  // |n| or d is at least 2 here, so the result has at least k bits: refuse before computing 2^{10^9}
  const size = Math.max(log2(n), log2(d));
  if (k > BigInt(MAX_BITS) || Number(k) * size > MAX_BITS) throw tooLarge("a power");
  return charge({ n: n ** k, d: d ** k, approx }, budget, 2);
}

/** lo·(lo+1)·…·hi as a balanced product tree (3248! in ~2 ms, a running product takes 10×) */
function product(lo: bigint, hi: bigint): bigint {
  if (hi - lo < 16n) {
    let r = 1n;
    for (let k = lo; k <= hi; k++) r *= k;
    return r;
  }
  const mid = (lo + hi) / 2n;
  return product(lo, mid) * product(mid + 1n, hi);
}

function factorial(a: Rat, budget: Budget): Rat | null {
  const m = integer(a);
  if (m === null || m < 0n) return null; // Γ of a fraction, or a pole: not rational
  if (m > BigInt(MAX_FACTORIAL)) throw tooLarge("a factorial");
  return charge({ n: product(1n, m), d: 1n, approx: a.approx }, budget, 8);
}

function binomial(a: Rat, b: Rat, budget: Budget): Rat | null {
  const n = integer(a);
  let k = integer(b);
  if (n === null || k === null || n < 0n || k < 0n) return null;
  const approx = a.approx || b.approx;
  if (k > n) return { n: 0n, d: 1n, approx };
  if (n - k < k) k = n - k;
  // log₂ C(n,k) ≥ k for k ≤ n/2, so k alone bounds the loop that estimates the size
  if (k > BigInt(MAX_BITS)) throw tooLarge("a binomial coefficient");
  const kk = Number(k);
  const nn = Number(n);
  let top = 0; // log₂ of n·(n−1)·…·(n−k+1) (k·log₂ n past 2^53, where n−j is n to a double)
  let bottom = 0; // log₂ k!
  for (let j = 0; j < kk; j++) {
    top += n < TWO_53 ? Math.log2(nn - j) : log2(n);
    bottom += Math.log2(j + 1);
  }
  if (top - bottom > MAX_BITS) throw tooLarge("a binomial coefficient");
  // the cost is the two products and their division, far more than the result's size: pay for it first
  spend(budget, 4 * (top + bottom));
  return charge({ n: k === 0n ? 1n : product(n - k + 1n, n) / product(1n, k), d: 1n, approx }, budget);
}

function rounding(a: Rat, up: boolean): Rat {
  let q = a.n / a.d; // truncates toward zero
  if (q * a.d !== a.n && (a.n < 0n) !== up) q += up ? 1n : -1n;
  return { n: q, d: 1n, approx: a.approx };
}

function ev(node: Node, budget: Budget): Rat | null {
  switch (node.k) {
    case "num": {
      if (node.int !== undefined) {
        if (node.int.length > MAX_DIGITS) throw tooLarge(`a ${node.int.length}-digit integer`);
        return charge({ n: BigInt(node.int), d: 1n, approx: false }, budget);
      }
      return node.dec !== undefined ? ratFromLiteral(node.dec, budget) : null;
    }
    case "neg": {
      const a = ev(node.a, budget);
      return a && { n: -a.n, d: a.d, approx: a.approx };
    }
    case "abs": {
      const a = ev(node.a, budget);
      return a && { n: abs(a.n), d: a.d, approx: a.approx };
    }
    case "fn": {
      if (node.name !== "floor" && node.name !== "ceil") return null;
      const a = ev(node.a, budget);
      return a && rounding(a, node.name === "ceil");
    }
    case "fact": {
      const a = ev(node.a, budget);
      return a && factorial(a, budget);
    }
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "pow":
    case "binom": {
      const a = ev(node.a, budget);
      const b = a && ev(node.b, budget);
      if (!a || !b) return null;
      if (node.k === "pow") return power(a, b, budget);
      if (node.k === "binom") return binomial(a, b, budget);
      if (node.k === "div") {
        const q = ratDivide(a, b);
        return q && charge(q, budget);
      }
      if (node.k === "mul") return charge({ n: a.n * b.n, d: a.d * b.d, approx: a.approx || b.approx }, budget);
      return charge(add(a, b, node.k === "add" ? 1n : -1n), budget);
    }
    default:
      return null;
  }
}

/**
 * The exact value of a constant rational expression; null when it is not one (variables, π, roots,
 * functions, a non-integer power, a division by zero). Throws RefusedError past the bounds. Check
 * `exactEligible` on both sides first: a huge rational part next to a variable is the double layer's.
 */
export function exactValue(node: Node, budget: Budget): Rat | null {
  return ev(node, budget);
}

/** p/q as a double for 0 ≤ p ≤ 2q (the relative difference): both cut to their top ~60 bits */
function ratio(p: bigint, q: bigint): number {
  const shift = BigInt(Math.max(0, bits(q) - 60));
  return Number(p >> shift) / Number(q >> shift);
}

const ABS_ZERO_TOL = 10n ** 12n;

/**
 * Equal values are equal; different values are different unless a side is `approx` (a written decimal
 * such as 0.3333 for 1/3, or 6630.65 for 6630): then |a−b| ≤ relTol·max(|a|,|b|), or |a−b| ≤ 1e-12
 * against an exact zero, the tolerance of the double layers, here computed without rounding.
 */
export function ratClose(a: Rat, b: Rat, relTol: number): boolean {
  const x = a.n * b.d;
  const y = b.n * a.d;
  if (x === y) return true;
  if (!a.approx && !b.approx) return false;
  if (a.n === 0n || b.n === 0n) {
    const o = a.n === 0n ? b : a;
    return abs(o.n) * ABS_ZERO_TOL <= o.d;
  }
  const ax = abs(x);
  const ay = abs(y);
  return ratio(abs(x - y), ax > ay ? ax : ay) <= relTol;
}

/** q / 100 (a percentage read as a fraction) */
export function percentOf(q: Rat): Rat {
  return { n: q.n, d: q.d * 100n, approx: q.approx };
}

/** a double for q (percent scaling against a double-evaluated expression); ±Infinity or 0 beyond range */
export function ratToNumber(q: Rat): number {
  const shift = Math.max(0, Math.max(bits(q.n), bits(q.d)) - 1000);
  if (shift === 0) return Number(q.n) / Number(q.d);
  const s = BigInt(shift);
  return Number(q.n >> s) / Number(q.d >> s);
}
