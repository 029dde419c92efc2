import { describe, expect, it } from "vitest";
import { ProblemTokenizer } from "../../src/group/normalize.js";
import {
  MinHasher, TextSketcher, bandHashes, oneBitJaccard, oneBitSketch, setJaccard, shingleSet, signatureJaccard,
} from "../../src/group/minhash.js";
import { candidateProbability, optimalBands } from "../../src/group/lsh.js";
import { KNOWN_BANDS } from "../../src/group/params.js";
import { splitmix32 } from "../../src/text/hash.js";

const tok = new ProblemTokenizer();
const same = (a: string, b: string) => Array.from(tok.tokens(a)).join(",") === Array.from(tok.tokens(b)).join(",");

describe("problem normalisation", () => {
  it("folds case, whitespace and LaTeX spacing", () => {
    expect(same("Find  the VALUE of $x\\,+\\;y$.", "find the value of x + y")).toBe(true);
    expect(same("\\left( \\dfrac{1}{2} \\right)", "(\\frac{1}{2})")).toBe(true);
    expect(same("$a \\le b$ and \\(c\\)", "a \\leq b and c")).toBe(true);
    expect(same("ÉCOLE Ωmega ПРИВЕТ", "école ωmega привет")).toBe(true);
    expect(same("[ASY]draw(a);[/ASY] Find", "[asy] draw(a); [/asy] find")).toBe(true);
    expect(same("x+y", "x-y")).toBe(false);
    expect(same("3.5 apples", "35 apples")).toBe(false);
  });

  it("reads a command named like an Object property as a command (it used to throw)", () => {
    expect(tok.tokens("Let \\constructor x").length).toBe(3);
    expect(same("\\constructor x", "\\hasownproperty x")).toBe(false);
    expect(same("\\constructor x", "\\CONSTRUCTOR x")).toBe(true);
  });

  it("removes stock prompt phrases at either end, spacing-insensitively", () => {
    const base = "What is $2+2$?";
    expect(same(`${base} Please reason step by step, and put your final answer within \\boxed{}.`, base)).toBe(true);
    expect(same(`${base}\nLet's think step by step and output the final answer within \\boxed{ }.`, base)).toBe(true);
    expect(same(`Please reason step by step, and put your final answer within \\boxed{}. ${base}`, base)).toBe(true);
    // a phrase in the middle is content
    expect(same(`Think step by step. ${base} Think step by step, then ${base}`, `${base} Think step by step, then ${base}`)).toBe(true);
    expect(same(`${base} then think step by step about it`, base)).toBe(false);
  });

  it("treats an Asymptote diagram as one token", () => {
    const d1 = "[asy] draw((0,0)--(1,1)); label(\"$A$\", (0,0), S); [/asy]";
    const d2 = "[asy] draw((0,0)--(2,1)); label(\"$A$\", (0,0), S); [/asy]";
    expect(tok.tokens(`Find $x$. ${d1}`).length).toBe(3);
    expect(same(`Find $x$. ${d1}`, `Find x ${d1.replace(/ /g, "  ")}`)).toBe(true);
    expect(same(`Find $x$. ${d1}`, `Find $x$. ${d2}`)).toBe(false);
    expect(tok.tokens("[asy] unterminated diagram").length).toBe(1);
  });

  it("removes a leading statement number but keeps numbers that belong to the statement", () => {
    expect(same("Problem 3. Find x.", "Find x.")).toBe(true);
    expect(same("12) Find x.", "Find x.")).toBe(true);
    expect(same("(4) Find x.", "Find x.")).toBe(true);
    expect(same("Question #2: Find x.", "Find x.")).toBe(true);
    expect(same("3 people sit at a table.", "people sit at a table.")).toBe(false);
    expect(same("3.5 is a number", "is a number")).toBe(false);
  });

  it("tokenises 200 KB adversarial inputs in linear time", () => {
    const patterns = ["\\", "\\hspace{", "1.", "problem ", "$", "a", "\\left(", "[asy]", "\\(", "{}"];
    const best = (s: string) => {
      let t = Infinity;
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        tok.tokens(s);
        t = Math.min(t, performance.now() - t0);
      }
      return t;
    };
    for (const p of patterns) {
      const small = p.repeat(Math.ceil(200_000 / p.length));
      const large = p.repeat(Math.ceil(800_000 / p.length));
      const ts = best(small);
      const tl = best(large);
      // 4× the input must cost about 4× the time (quadratic would be 16×); absolute bound is loose for loaded machines
      expect(tl).toBeLessThan(Math.max(8 * ts, 150));
      expect(ts).toBeLessThan(1000);
    }
  });
});

function randomSet(rand: () => number, size: number, offset: number): Int32Array {
  const s = new Int32Array(size);
  for (let i = 0; i < size; i++) s[i] = (rand() ^ offset) | 0;
  return s;
}

describe("MinHash", () => {
  it("the WebAssembly SIMD kernel and the JS kernel give identical signatures", () => {
    const h = new MinHasher({ permutations: 128 });
    const rand = splitmix32(3);
    for (const size of [0, 1, 3, 16, 17, 255, 4000, 70_000, 5]) { // 70k shingles grow the wasm memory
      const sh = randomSet(rand, size, 0);
      expect(Array.from(h.signatureOf(sh))).toEqual(Array.from(h.signatureJs(sh)));
    }
    const js = new MinHasher({ permutations: 64, simd: false });
    expect(js.kernel).toBe("js");
  });

  it("estimates Jaccard without bias and with binomial variance (full and one-bit)", () => {
    const K = 128;
    const h = new MinHasher({ permutations: K, seed: 9 });
    const rand = splitmix32(11);
    for (const J of [0.5, 0.8, 0.9]) {
      // |A ∩ B| = s, |A \ B| = |B \ A| = d with s / (s + 2d) = J
      const d = 40;
      const s = Math.round((2 * d * J) / (1 - J));
      const trials = 300;
      let sum = 0, sumSq = 0, sumBits = 0;
      for (let t = 0; t < trials; t++) {
        const common = randomSet(rand, s, 0);
        const a = new Int32Array([...common, ...randomSet(rand, d, 0)]);
        const b = new Int32Array([...common, ...randomSet(rand, d, 0)]);
        const exact = setJaccard(shingleSet(a), shingleSet(b));
        const sa = h.signatureOf(a).slice();
        const sb = h.signatureOf(b).slice();
        const est = signatureJaccard(sa, sb);
        sum += est - exact;
        sumSq += (est - exact) ** 2;
        sumBits += oneBitJaccard(oneBitSketch(sa), oneBitSketch(sb)) - exact;
      }
      const bias = sum / trials;
      const variance = sumSq / trials - bias * bias;
      const expectedVar = (J * (1 - J)) / K;
      expect(Math.abs(bias)).toBeLessThan(4 * Math.sqrt(expectedVar / trials));
      expect(variance / expectedVar).toBeGreaterThan(0.7);
      expect(variance / expectedVar).toBeLessThan(1.4);
      // one-bit: agreement p = (1+J)/2, estimator 2p-1 has variance 4 p (1-p) / K
      const p = (1 + J) / 2;
      expect(Math.abs(sumBits / trials)).toBeLessThan(4 * Math.sqrt((4 * p * (1 - p)) / K / trials) + 0.005);
    }
  });

  it("exact Jaccard of sets and band hashes behave", () => {
    expect(setJaccard(new Int32Array([1, 2, 3]), new Int32Array([2, 3, 4]))).toBeCloseTo(0.5);
    expect(setJaccard(new Int32Array([]), new Int32Array([]))).toBe(0);
    const sig = new Int32Array(128).map((_, i) => i * 7919);
    const b1 = bandHashes(sig, 9, 13);
    const sig2 = sig.slice();
    sig2[13 * 4 + 2] = 1; // changes band 4 only
    const b2 = bandHashes(sig2, 9, 13);
    const diff = Array.from(b1).map((v, i) => (v === b2[i] ? 0 : 1));
    expect(diff).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(() => bandHashes(sig, 10, 13)).toThrow(/bands × rows/);
  });

  it("padded shingles give every word the same weight", () => {
    const sk = new TextSketcher({ permutations: 128, ngram: 5, seed: 1, bands: 9, rows: 13 });
    const a = shingleSet(sk.shingles("if x minus y is six and x plus y is twelve what is the value of x"));
    const b = shingleSet(sk.shingles("if x minus y is six and x plus y is twelve what is the value of y"));
    const c = shingleSet(sk.shingles("if x minus y is six and x plus y is twelve what is the value of x"));
    // 18 words: 18 + 5 - 1 = 22 shingles each; the last word is in 5 of them
    expect(a.length).toBe(22);
    expect(setJaccard(a, b)).toBeCloseTo(17 / 27, 5);
    expect(setJaccard(a, c)).toBe(1);
  });
});

describe("LSH parameters", () => {
  it("KNOWN_BANDS holds what optimalBands computes", () => {
    for (const [key, known] of KNOWN_BANDS) {
      const [threshold, permutations] = key.split(":").map(Number);
      const best = optimalBands(threshold!, permutations!);
      expect({ bands: best.bands, rows: best.rows }, key).toEqual(known);
    }
  });

  it("picks the datasketch-optimal 9 bands × 13 rows for threshold 0.8 and 128 permutations", () => {
    const best = optimalBands(0.8, 128);
    expect([best.bands, best.rows]).toEqual([9, 13]);
    // the S-curve is monotone and crosses 1/2 near the threshold
    let prev = 0;
    for (let s = 0; s <= 1.0001; s += 0.05) {
      const p = candidateProbability(Math.min(1, s), 9, 13);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
    expect(candidateProbability(0.75, 9, 13)).toBeLessThan(0.5);
    expect(candidateProbability(0.85, 9, 13)).toBeGreaterThan(0.5);
  });
});
