/**
 * Hashing helpers shared by the index builder, the matcher and the common-n-gram generator
 * (bench/decontam-common-ngrams.mjs), so the committed list and the runtime agree bit for bit.
 */
import type { TokenStream } from "./tokenize.js";
import { TOKEN_NUMBER, fnv1a } from "./tokenize.js";
import { fmix32u as fmix32 } from "../text/hash.js";


/** 32-bit hash of ids[start .. start+n) (order-sensitive). */
export function ngramHash(ids: Int32Array, start: number, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let j = 0; j < n; j++) {
    h = Math.imul(h ^ ids[start + j]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h);
}

/**
 * Keys of the index's window tables (seed and distinctive n-grams, anchor bigrams): a polynomial hash
 * of the window's ids mod 2^32 — which the matcher rolls along the row in two multiplications per
 * position — then fmix32. `windowKey` computes one window from scratch (index build, tests).
 */
export const ROLL_BASE = 0x9e3779b1;

/** ROLL_BASE^n mod 2^32 (what the id leaving an n-window was multiplied by). */
export function rollPower(n: number): number {
  let p = 1;
  for (let j = 0; j < n; j++) p = Math.imul(p, ROLL_BASE);
  return p;
}

/**
 * The key of a rolling polynomial state: one xorshift-multiply-xorshift round (the tables use its top
 * bits for their bit filters and its low bits for their slots; token ids are hashes already).
 */
export function rollKey(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

export function windowKey(ids: Int32Array, start: number, n: number): number {
  let h = 0;
  for (let j = 0; j < n; j++) h = (Math.imul(h, ROLL_BASE) + ids[start + j]!) | 0;
  return rollKey(h);
}

/** One 32-bit hash of ids[from..to) (the matcher's cheap pre-check before `sequenceKey`). */
export function sequenceHash32(ids: Int32Array, from: number, to: number): number {
  let a = 0x12345679 ^ (to - from);
  for (let j = from; j < to; j++) {
    a = Math.imul(a ^ ids[j]!, 0x5bd1e995);
    a ^= a >>> 15;
  }
  return fmix32(a);
}

/** Two independent 32-bit hashes of ids[from..to) folded into one exact-match key (53-bit safe). */
export function sequenceKey(ids: Int32Array, from: number, to: number): number {
  let a = 0x12345679 ^ (to - from);
  let b = 0x2545f491 ^ (to - from);
  for (let j = from; j < to; j++) {
    const t = ids[j]!;
    a = Math.imul(a ^ t, 0x5bd1e995);
    a ^= a >>> 15;
    b = Math.imul(b ^ t, 0x27d4eb2f);
    b ^= b >>> 13;
  }
  return fmix32(a) * 0x200000 + (fmix32(b) & 0x1fffff);
}

const PREFIXES = [
  "solve the following math problem",
  "solve the following problem",
  "problem statement",
  "problem",
  "question",
  "q",
].map((p) => p.split(" ").map((w) => fnv1a(w) | 0));
/** first tokens of the prefixes: a row starting otherwise has no label */
const PREFIX_FIRST = Int32Array.from(new Set(PREFIXES.map((p) => p[0]!)));

function isPrefixStart(h: number): boolean {
  for (let i = 0; i < PREFIX_FIRST.length; i++) if (PREFIX_FIRST[i] === h) return true;
  return false;
}

const SUFFIX_TRIGGERS = [
  "please reason step by step",
  "let s think step by step",
  "lets think step by step",
  "think step by step",
  "please put your final answer",
  "put your final answer within",
  "output the final answer within",
  "return your final response",
  "provide your final answer",
  "mark your solution with",
].map((p) => p.split(" ").map((w) => fnv1a(w) | 0));

/** first tokens of the suffix triggers (few; a linear scan beats a Set of non-Smi numbers) */
const SUFFIX_FIRST = Int32Array.from(new Set(SUFFIX_TRIGGERS.map((p) => p[0]!)));

/** one bit per (first token >>> 22), 1,024 bits: all but about 1% of other tokens fail one test */
const SUFFIX_BITS = new Uint32Array(32);
for (const h of SUFFIX_FIRST) SUFFIX_BITS[h >>> 27]! |= 1 << ((h >>> 22) & 31);

function isSuffixStart(h: number): boolean {
  if (((SUFFIX_BITS[h >>> 27]! >>> ((h >>> 22) & 31)) & 1) === 0) return false;
  for (let i = 0; i < SUFFIX_FIRST.length; i++) if (SUFFIX_FIRST[i] === h) return true;
  return false;
}

function startsWith(ids: Int32Array, at: number, end: number, pattern: number[]): boolean {
  if (at + pattern.length > end) return false;
  for (let j = 0; j < pattern.length; j++) if (ids[at + j] !== pattern[j]) return false;
  return true;
}

/**
 * Token range of the problem proper: drops a leading "Problem:" / "Question 3:" style label and a
 * trailing instruction ("Please reason step by step, and put your final answer within \boxed{}.").
 * Returns [from, to).
 */
export function contentRange(ts: TokenStream): [number, number] {
  const r = new Int32Array(2);
  contentRangeInto(ts, r);
  return [r[0]!, r[1]!];
}

/** contentRange without allocating: writes [from, to) into out[0], out[1]. */
export function contentRangeInto(ts: TokenStream, out: Int32Array): void {
  const ids = ts.hash;
  let from = 0;
  let to = ts.count;
  const first = to > 0 ? ids[0]! : 0;
  for (let q = 0; q < PREFIXES.length && isPrefixStart(first); q++) {
    const p = PREFIXES[q]!;
    if (to - from > p.length && startsWith(ids, from, to, p)) {
      from += p.length;
      while (from < to - 1 && ts.kind[from] === TOKEN_NUMBER) from++;
      break;
    }
  }
  const scanFrom = Math.max(from + 1, to - 60);
  for (let i = scanFrom; i < to; i++) {
    if (!isSuffixStart(ids[i]!)) continue;
    let hit = false;
    for (const p of SUFFIX_TRIGGERS) {
      if (startsWith(ids, i, to, p)) {
        hit = true;
        break;
      }
    }
    if (hit) {
      to = i;
      break;
    }
  }
  out[0] = from;
  out[1] = to;
}
