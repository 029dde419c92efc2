/**
 * The numeric layer: plain numbers as written (`25`, `025`, `-3.5`, `.5`, `4.5e33`, `3/4`, `\frac{3}{4}`,
 * `2\frac{1}{2}`, `3.8\times10^{35}`) read as exact rationals (exact.ts) and compared without rounding:
 * two integers by their digits (any size), anything else exactly, with the relative tolerance only where
 * a written decimal may be a rounding (`0.3333` for 1/3; `6630.65` for 6630, harness parity).
 */
import { ratFromLiteral, ratClose, ratDivide, percentOf, ratToNumber, type Budget, type Rat } from "./exact.js";

export interface NumberValue {
  /** the digits (sign included, leading zeros dropped) when the text is an integer */
  int?: string;
  /** the exact value; null for an integer, which is converted only when it meets a non-integer */
  q: Rat | null;
}

/** how two numbers are compared: the percent marks of each side and the tolerance for written decimals */
export interface NumericScale {
  goldPercent: boolean;
  predPercent: boolean;
  relTol: number;
  budget: Budget;
}

const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MIXED_RE = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/;
const FRAC_RE = /^(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}$/;
const SCI_RE = /^(-?[\d.]+)(?:\\times|\\cdot|\*)10\^(?:\{([+-]?\d+)\}|(\d))$/;

const negate = (q: Rat | null, neg: boolean): Rat | null => (q && neg ? { n: -q.n, d: q.d, approx: q.approx } : q);

/** plain numbers: 25, 025, -3.5, .5, 4.5e33, 3/4, \frac{3}{4}, -\frac{3}{4}, 2\frac{1}{2}, 3.8\times10^{35} */
export function parseNumber(s: string, budget: Budget): NumberValue | null {
  if (INT_RE.test(s)) {
    const neg = s.startsWith("-");
    const digits = s.replace(/^[+-]/, "").replace(/^0+(?=\d)/, "");
    return { int: (neg && digits !== "0" ? "-" : "") + digits, q: null };
  }
  if (DEC_RE.test(s)) return { q: ratFromLiteral(s, budget) };
  const slash = s.indexOf("/");
  if (slash > 0 && s.indexOf("/", slash + 1) < 0) {
    const a = s.slice(0, slash);
    const b = s.slice(slash + 1);
    if (DEC_RE.test(a) && DEC_RE.test(b)) {
      const q = ratDivide(ratFromLiteral(a, budget), ratFromLiteral(b, budget));
      return q && { q };
    }
  }
  const mixed = MIXED_RE.exec(s);
  if (mixed) {
    // 2\frac{1}{2}: a mixed number (a proper fraction after a whole number)
    const a = ratFromLiteral(mixed[3]!, budget);
    const b = ratFromLiteral(mixed[4]!, budget);
    if (a.n < b.n) {
      const w = ratFromLiteral(mixed[2]!, budget);
      return { q: negate({ n: w.n * b.n + a.n, d: b.n, approx: false }, mixed[1] === "-") };
    }
  }
  const fm = FRAC_RE.exec(s);
  if (fm && DEC_RE.test(fm[2]!) && DEC_RE.test(fm[3]!)) {
    const q = negate(ratDivide(ratFromLiteral(fm[2]!, budget), ratFromLiteral(fm[3]!, budget)), fm[1] === "-");
    return q && { q };
  }
  const sci = SCI_RE.exec(s);
  if (sci && DEC_RE.test(sci[1]!)) return { q: ratFromLiteral(`${sci[1]}e${sci[2] ?? sci[3]}`, budget) };
  return null;
}

/** the exact value of a parsed number (integers are converted here, bounded like every literal) */
export function ratOf(v: NumberValue, budget: Budget): Rat {
  return v.q ?? ratFromLiteral(v.int!, budget);
}

export function numbersEqual(g: NumberValue, p: NumberValue, sc: NumericScale): boolean {
  if (g.int !== undefined && p.int !== undefined) {
    // digit strings: exact at any size, linear time, no BigInt
    if (g.int === p.int) return true;
    if (sc.goldPercent === sc.predPercent) return false;
  }
  const gq = ratOf(g, sc.budget);
  const pq = ratOf(p, sc.budget);
  if (ratClose(gq, pq, sc.relTol)) return true;
  return pctMatch(gq, pq, sc);
}

/** "50\%" against "0.5" (or the reverse): only when exactly one side is written as a percentage */
export function pctMatch(g: Rat, p: Rat, sc: NumericScale): boolean {
  if (sc.goldPercent && !sc.predPercent) return ratClose(percentOf(g), p, sc.relTol);
  if (sc.predPercent && !sc.goldPercent) return ratClose(g, percentOf(p), sc.relTol);
  return false;
}

/** pctMatch against an expression the double layer evaluated (`50\%` vs `\frac{\pi}{2\pi}`) */
export function pctMatchDouble(g: Rat, p: number, sc: NumericScale): boolean {
  const gv = ratToNumber(g);
  // a gold value outside the double range cannot be matched in doubles
  if (!Number.isFinite(gv) || (g.n !== 0n && Math.abs(gv) < 1e-290)) return false;
  if (sc.goldPercent && !sc.predPercent) return relClose(gv / 100, p, sc.relTol);
  if (sc.predPercent && !sc.goldPercent) return relClose(gv, p / 100, sc.relTol);
  return false;
}

function relClose(a: number, b: number, relTol: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (a === b) return true;
  if (a === 0 || b === 0) return Math.abs(a - b) <= 1e-12;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
}
