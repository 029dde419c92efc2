/**
 * 32-bit integer hashing with Math.imul only: no float arithmetic, so nothing overflows or loses
 * precision (JS numbers are doubles; `a * b` on 32-bit values silently rounds above 2^53).
 */

/** murmur3 finaliser: a bijection on 32-bit values with full avalanche. Returns int32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** fmix32 as an unsigned value (same bits). */
export function fmix32u(h: number): number {
  return fmix32(h) >>> 0;
}

/** FNV-1a's start state and multiplier (32-bit); hot loops that hash tokens inline the step with these. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a's start state perturbed by a seed. Returns int32. */
export function fnvStart(seed: number): number {
  return (FNV_OFFSET ^ Math.imul(seed, 0x9e3779b1)) | 0;
}

/** FNV-1a over the UTF-16 code units of `s` from state `h` (default: the standard start). Returns int32. */
export function fnv1a(s: string, h = FNV_OFFSET | 0): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** FNV-1a over the bytes `b[s, e)` from state `h` (default: the standard start). Returns int32. */
export function fnv1aBytes(b: Uint8Array, s: number, e: number, h = FNV_OFFSET | 0): number {
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h;
}

/** FNV-1a over UTF-16 code units, then fmix32; `seed` perturbs the start state. Returns int32. */
export function hashString(s: string, seed = 0): number {
  return fmix32(fnv1a(s, fnvStart(seed)) ^ s.length);
}

/** Unsigned 32-bit hash of `seed` and a string, for seeded deterministic ordering. */
export function seededHash(seed: number, s: string): number {
  return hashString(s, seed) >>> 0;
}

/** splitmix32-style generator for deterministic parameters (permutation coefficients, test corpora). */
export function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Number of set bits in a 32-bit value. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** mulberry32: small seeded PRNG returning floats in [0, 1) (synthetic corpora for tests and benches). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
