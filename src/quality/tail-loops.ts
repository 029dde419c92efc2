/**
 * Tail loop detector: the last `tailChars` of a response as 32-bit token hashes, and the share and the
 * longest run of token n-grams that repeat an earlier one in that window (a model caught in a loop).
 */
import { FNV_OFFSET, FNV_PRIME } from "../text/hash.js";
import { codeUnits } from "./units.js";

export interface TailSignals {
  tailRepeatShare: number;
  tailLoopTokens: number;
}

/** a word token is a run of ASCII letters/digits, capped so that "aaaa…" still yields many tokens */
const MAX_WORD = 24;

/** ASCII letter or digit */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** blank between tokens: ASCII controls and space, no-break space, ideographic space */
function isTokenBlank(c: number): boolean {
  return c <= 32 || c === 0xa0 || c === 0x3000;
}

/**
 * Tokenise text[start…] into 32-bit token hashes: ASCII letter/digit runs (at most 24 chars) are one
 * token each, every other non-blank UTF-16 unit is a token (punctuation, LaTeX braces, CJK characters).
 */
export function tokenHashes(text: string, start: number, u: Uint16Array = codeUnits(text), out = new Uint32Array(Math.max(0, text.length - start))): Uint32Array {
  const n = text.length;
  // FNV-1a inline; the imported constants as locals: tokenHashes 212 → 237 MB per CPU-s (median of 6 processes)
  const offset = FNV_OFFSET | 0;
  const prime = FNV_PRIME;
  let count = 0;
  let i = start;
  // do not start inside a word cut by the window edge
  if (i > 0) while (i < n && isWordChar(u[i]!) && isWordChar(u[i - 1]!)) i++;
  while (i < n) {
    const c = u[i]!;
    if (isTokenBlank(c)) {
      i++;
    } else if (isWordChar(c)) {
      let h = Math.imul(offset ^ c, prime);
      const stop = Math.min(n, i + MAX_WORD);
      i++;
      while (i < stop) {
        const w = u[i]!;
        if (!isWordChar(w)) break;
        h = Math.imul(h ^ w, prime);
        i++;
      }
      out[count++] = h >>> 0;
    } else {
      out[count++] = Math.imul(c ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
      i++;
    }
  }
  return out.subarray(0, count);
}

/** base of the rolling n-gram hash (any odd multiplier would do; the FNV prime) */
const NGRAM_BASE = FNV_PRIME;
// scratch tables reused across rollouts (this n-gram set, signals.ts's tail hashes, lz-ratio.ts's table), together:
// computeSignals 87 → 96 MB per CPU-s on Sky-T1 (bench/quality-bench.mjs --only --dist, median of 5 processes)
let ngramKeys = new Uint32Array(0);
let ngramUsed = new Uint8Array(0);

/**
 * Tail loop detector over the token hashes of a window: `tailRepeatShare` is the share of n-gram
 * positions whose n-gram occurred earlier in the window; `tailLoopTokens` is the longest run of
 * consecutive such positions plus n − 1 (the number of tokens covered by the repeated copy: a block
 * of p tokens repeated k times gives about (k − 1)·p). Open-addressing hash set over typed arrays.
 */
export function tailRepetition(tokens: Uint32Array, ngram: number): TailSignals {
  const count = tokens.length;
  const positions = count - ngram + 1;
  if (positions <= 0) return { tailRepeatShare: 0, tailLoopTokens: 0 };
  let cap = 16;
  while (cap < positions * 2) cap <<= 1;
  const mask = cap - 1;
  if (ngramKeys.length < cap) {
    ngramKeys = new Uint32Array(cap);
    ngramUsed = new Uint8Array(cap);
  } else ngramUsed.fill(0, 0, cap);
  const keys = ngramKeys;
  const used = ngramUsed;
  // B^ngram for rolling removal
  let basePow = 1;
  for (let j = 0; j < ngram; j++) basePow = Math.imul(basePow, NGRAM_BASE);
  let h = 0;
  let repeated = 0;
  let run = 0;
  let longest = 0;
  for (let i = 0; i < count; i++) {
    h = (Math.imul(h, NGRAM_BASE) + tokens[i]!) | 0;
    if (i >= ngram) h = (h - Math.imul(tokens[i - ngram]!, basePow)) | 0;
    if (i < ngram - 1) continue;
    const key = h >>> 0;
    // finalise (murmur3 fmix) so that the low bits index well
    let m = key ^ (key >>> 16);
    m = Math.imul(m, 0x85ebca6b);
    m ^= m >>> 13;
    m = Math.imul(m, 0xc2b2ae35);
    m ^= m >>> 16;
    let slot = m & mask;
    let seen = false;
    while (used[slot] === 1) {
      if (keys[slot] === key) {
        seen = true;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (seen) {
      repeated++;
      run++;
      if (run > longest) longest = run;
    } else {
      used[slot] = 1;
      keys[slot] = key;
      run = 0;
    }
  }
  return { tailRepeatShare: repeated / positions, tailLoopTokens: longest === 0 ? 0 : longest + ngram - 1 };
}
