/**
 * Symbolic layer with @cortex-js/compute-engine. Only loaded inside the symbolic worker (it takes
 * ~400 ms to import and can spin on pathological input, so it never runs in the caller's thread).
 */
import { ComputeEngine } from "@cortex-js/compute-engine";
import { UngradableReference, type SymbolicCompare } from "./equivalence.js";

type Expr = NonNullable<ReturnType<ComputeEngine["parse"]>>;

const POINTS = [0.7213, 1.3719, 2.1837, 0.4129, 1.8861];

let engine: ComputeEngine | null = null;

/** one engine per thread, warmed up: the first parse/evaluate of a fresh engine is slow (lazy libraries) */
export function sharedEngine(): ComputeEngine {
  if (!engine) {
    engine = new ComputeEngine();
    for (const s of ["\\sum_{k=1}^{2} k", "\\frac{\\sqrt{3}}{2}+\\sin(x)^2", "\\gcd(4,6)+\\max(1,2)", "\\ln(2)e^{i\\pi}"]) {
      const e = engine.parse(s);
      void e.isEqual(engine.parse("1"));
      void e.subs({ x: 0.5 }).N();
    }
  }
  return engine;
}

export function createSymbolicCompare(relTol: number): SymbolicCompare {
  const ce = sharedEngine();
  const numeric = (e: Expr): { re: number; im: number } | null => {
    const v = e.N();
    if (!v) return null;
    const re = Number(v.re);
    const im = Number(v.im ?? 0);
    if (!Number.isFinite(re) || !Number.isFinite(im)) return null;
    return { re, im };
  };
  const close = (a: { re: number; im: number }, b: { re: number; im: number }, tol: number): boolean => {
    const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
    return Math.hypot(a.re - b.re, a.im - b.im) <= Math.max(tol * scale, 1e-12);
  };
  return (gold: string, pred: string): boolean => {
    const g = ce.parse(gold);
    if (!g.isValid) throw new UngradableReference(`reference does not parse: ${gold.slice(0, 80)}`);
    const p = ce.parse(pred);
    if (!p.isValid) return false;
    const same = g.isEqual(p);
    if (same === true || same === false) return same;
    const vars = [...new Set([...(g.unknowns ?? []), ...(p.unknowns ?? [])])].sort();
    if (vars.length === 0) {
      const a = numeric(g);
      const b = numeric(p);
      if (a && b) return close(a, b, relTol);
      return g.isSame(p);
    }
    let usable = 0;
    for (let k = 0; k < 4; k++) {
      const sub: Record<string, number> = {};
      vars.forEach((v, j) => (sub[v] = POINTS[(k * 3 + j * 5) % POINTS.length]! + j * 0.1173));
      const a = numeric(g.subs(sub));
      const b = numeric(p.subs(sub));
      if (!a && !b) continue;
      if (!a || !b) return false;
      usable++;
      if (!close(a, b, 1e-8)) return false;
    }
    return usable >= 2 ? true : g.isSame(p);
  };
}
