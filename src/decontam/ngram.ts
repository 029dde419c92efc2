/**
 * Hashes of token windows and character shingles, shared by the index builder, the matcher and the
 * common-n-gram generator (bench/decontam-common-ngrams.mjs), so the committed list and the runtime
 * agree bit for bit.
 */
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

/**
 * Character shingles of short problems: a polynomial hash of `k` canonical characters (mod 2^32),
 * rolled along the text by `rollShingle`; `mixShingle` scrambles it before table lookup. Build and
 * match use the same functions.
 */
const SHINGLE_BASE = 0x01000193;

/** SHINGLE_BASE^(k−1): what the character leaving a k-shingle was multiplied by */
export function shinglePow(k: number): number {
  let p = 1;
  for (let j = 0; j < k - 1; j++) p = Math.imul(p, SHINGLE_BASE);
  return p;
}

export function shingleStart(canon: Uint16Array, start: number, k: number): number {
  let h = 0;
  for (let j = 0; j < k; j++) h = (Math.imul(h, SHINGLE_BASE) + canon[start + j]!) | 0;
  return h;
}

export function rollShingle(h: number, out: number, inc: number, pow: number): number {
  return (Math.imul((h - Math.imul(out, pow)) | 0, SHINGLE_BASE) + inc) | 0;
}

export function mixShingle(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
