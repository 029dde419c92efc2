/**
 * Per-rollout quality signals for long chain-of-thought traces. Pure functions, no I/O.
 *
 * Every detector is a single forward scan (or a bounded number of them) over the text with typed-array
 * state, so the cost is linear in the text length whatever the input looks like (one character
 * repeated, one line repeated thousands of times, no whitespace, 200 KB of CJK). No regex runs over the
 * whole text; the only regexes run on short boxed-answer contents and are plain literal alternations.
 */
import { CodeUnits } from "../text/code-units.js";
import type { QualityConfig, QualityOptions, QualitySignals, Script } from "./types.js";
import { SCRIPTS } from "./types.js";

export const DEFAULT_QUALITY_OPTIONS: Readonly<QualityOptions> = Object.freeze({
  ngram: 12,
  tailChars: 8192,
  minLineChars: 16,
  expectedScripts: ["latin", "greek"] as Script[],
  segmentLetters: 200,
});

/** Apply defaults to `annotate.quality`; throws a message naming the JSON path on a bad value. */
export function resolveQualityOptions(config: QualityConfig | undefined): QualityOptions {
  const c = config ?? {};
  const positiveInt = (key: keyof QualityConfig, v: unknown, min: number): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`annotate.quality.${String(key)}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const expected = c.expectedScripts ?? DEFAULT_QUALITY_OPTIONS.expectedScripts;
  for (const [k, s] of expected.entries()) {
    if (!SCRIPTS.includes(s)) {
      throw new Error(`annotate.quality.expectedScripts[${k}]: expected one of ${SCRIPTS.join(", ")}, got ${JSON.stringify(s)}`);
    }
  }
  return {
    ngram: c.ngram === undefined ? DEFAULT_QUALITY_OPTIONS.ngram : positiveInt("ngram", c.ngram, 1),
    tailChars: c.tailChars === undefined ? DEFAULT_QUALITY_OPTIONS.tailChars : positiveInt("tailChars", c.tailChars, 64),
    minLineChars: c.minLineChars === undefined ? DEFAULT_QUALITY_OPTIONS.minLineChars : positiveInt("minLineChars", c.minLineChars, 1),
    expectedScripts: [...expected],
    segmentLetters: c.segmentLetters === undefined ? DEFAULT_QUALITY_OPTIONS.segmentLetters : positiveInt("segmentLetters", c.segmentLetters, 8),
  };
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Lines: repeated lines / paragraphs and code share, one pass
// ───────────────────────────────────────────────────────────────────────────────────────────────

export interface LineSignals {
  repeatedLineShare: number;
  repeatedParagraphShare: number;
  codeShare: number;
  codeBlocks: number;
  longestParagraphChars: number;
}

const units = new CodeUnits();

/** The text's UTF-16 code units (see CodeUnits: valid until the next call, read below text.length). */
export function codeUnits(text: string): Uint16Array {
  return units.of(text);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000 || c === 11 || c === 12;
}

/** does text[a, b) contain `needle`? */
function rangeIncludes(text: string, a: number, b: number, needle: string): boolean {
  const k = text.indexOf(needle, a);
  return k >= 0 && k + needle.length <= b;
}

/** Lines text[a, b) (trimmed) that are code and not maths or prose: a conservative list of statement openings. */
function isCodeLine(text: string, u: Uint16Array, a: number, b: number): boolean {
  const c0 = u[a]!;
  // all openings below start with a lower-case ASCII letter, '#', '>' or '}'
  if (!((c0 >= 97 && c0 <= 122) || c0 === 35 || c0 === 62 || c0 === 125)) return false;
  const last = u[b - 1]!;
  const at = (p: string): boolean => b - a >= p.length && text.startsWith(p, a);
  if (at("def ") || at("class ")) return rangeIncludes(text, a, b, "(") || last === 58;
  if (at("import ") || at("#include") || at(">>> ")) return true;
  if (at("from ")) return rangeIncludes(text, a, b, " import ");
  if (at("print(") || at("console.log(") || at("printf(")) return true;
  if (at("return ")) return last === 59 || !rangeIncludes(text, a, b, " the ");
  if (at("for ") || at("while ") || at("if ") || at("elif ") || at("else")) {
    return last === 58 /* : */ || last === 123 /* { */;
  }
  if (at("let ") || at("const ") || at("var ") || at("int ")) return last === 59 /* ; */;
  return at("} else");
}

/**
 * Set of 64-bit keys (two 32-bit halves) over typed arrays, open addressing, grows at half load.
 * `add` returns true when the key was already present.
 */
class KeySet {
  private hi: Int32Array;
  private lo: Int32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;
  constructor(capacity = 256) {
    let cap = 16;
    while (cap < capacity) cap <<= 1;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
  }
  add(h: number, l: number): boolean {
    let slot = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    while (this.used[slot] === 1) {
      if (this.hi[slot] === h && this.lo[slot] === l) return true;
      slot = (slot + 1) & this.mask;
    }
    this.used[slot] = 1;
    this.hi[slot] = h;
    this.lo[slot] = l;
    if (++this.count * 2 > this.mask) this.grow();
    return false;
  }
  private grow(): void {
    const { hi, lo, used } = this;
    const cap = (this.mask + 1) * 2;
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.add(hi[i]!, lo[i]!);
  }
}

/**
 * Repeated-line and repeated-paragraph shares (character weighted; lines and paragraphs with at least
 * `minLineChars` non-blank characters only) and the code share, in one pass. Lines are compared by a
 * 64-bit hash of their trimmed text, paragraphs by a hash of their lines' hashes (a false repeat needs a
 * 64-bit collision); no substring is copied.
 */
export function lineSignals(text: string, minLineChars: number, u: Uint16Array = codeUnits(text)): LineSignals {
  const n = text.length;
  const seenLines = new KeySet();
  const seenParagraphs = new KeySet(64);
  let lineChars = 0;
  let repeatedLineChars = 0;
  let paragraphChars = 0;
  let repeatedParagraphChars = 0;
  let nonBlankChars = 0;
  let codeChars = 0;
  let codeBlocks = 0;
  let inFence = false;
  let longestParagraph = 0;
  let paraLen = 0; // non-blank characters of the current paragraph's lines
  let paraH = 0;
  let paraL = 0;

  let pos = 0;
  while (pos <= n) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    let a = pos;
    let b = end;
    while (a < b && isBlank(u[a]!)) a++;
    while (b > a && isBlank(u[b - 1]!)) b--;
    const len = b - a;
    if (len === 0) {
      if (paraLen > longestParagraph) longestParagraph = paraLen;
      if (paraLen >= minLineChars) {
        paragraphChars += paraLen;
        if (seenParagraphs.add(paraH, paraL ^ paraLen)) repeatedParagraphChars += paraLen;
      }
      paraLen = 0;
      paraH = 0;
      paraL = 0;
    } else {
      nonBlankChars += len;
      // fences: ``` or ~~~ at the start of a trimmed line
      const c0 = u[a]!;
      const fence = len >= 3 && (c0 === 96 || c0 === 126) && u[a + 1] === c0 && u[a + 2] === c0;
      if (fence) {
        if (!inFence) codeBlocks++;
        inFence = !inFence;
        codeChars += len;
      } else if (inFence || isCodeLine(text, u, a, b)) {
        codeChars += len;
      }
      // two independent 32-bit hashes of the trimmed line
      let h = 0x811c9dc5 ^ len;
      let l = 0x2545f491;
      for (let i = a; i < b; i++) {
        const c = u[i]!;
        h = Math.imul(h ^ c, 0x01000193);
        l = Math.imul(l + c, 0x5bd1e995);
        l ^= l >>> 15;
      }
      if (len >= minLineChars) {
        lineChars += len;
        if (seenLines.add(h, l)) repeatedLineChars += len;
      }
      paraH = Math.imul(paraH ^ h, 0x01000193) ^ (paraH >>> 13);
      paraL = Math.imul(paraL + l, 0x85ebca6b) ^ (paraL >>> 16);
      paraLen += len;
    }
    pos = end + 1;
  }
  if (paraLen > longestParagraph) longestParagraph = paraLen;
  if (paraLen >= minLineChars) {
    paragraphChars += paraLen;
    if (seenParagraphs.add(paraH, paraL ^ paraLen)) repeatedParagraphChars += paraLen;
  }
  return {
    repeatedLineShare: lineChars === 0 ? 0 : repeatedLineChars / lineChars,
    repeatedParagraphShare: paragraphChars === 0 ? 0 : repeatedParagraphChars / paragraphChars,
    codeShare: nonBlankChars === 0 ? 0 : codeChars / nonBlankChars,
    codeBlocks,
    longestParagraphChars: longestParagraph,
  };
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Tail: token n-gram loop detector and LZ77 ratio
// ───────────────────────────────────────────────────────────────────────────────────────────────

export interface TailSignals {
  tailRepeatShare: number;
  tailLoopTokens: number;
}

/** a word token is a run of ASCII letters/digits, capped so that "aaaa…" still yields many tokens */
const MAX_WORD = 24;
const BLANK = 0;
const WORD = 1;
const OTHER = 2;
/** character class of ASCII code units: blank (≤ 32), word (letters, digits), other */
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128).fill(OTHER);
  for (let c = 0; c <= 32; c++) t[c] = BLANK;
  for (let c = 48; c <= 57; c++) t[c] = WORD;
  for (let c = 65; c <= 90; c++) t[c] = WORD;
  for (let c = 97; c <= 122; c++) t[c] = WORD;
  return t;
})();

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Tokenise text[start…] into 32-bit token hashes: ASCII letter/digit runs (at most 24 chars) are one
 * token each, every other non-blank UTF-16 unit is a token (punctuation, LaTeX braces, CJK characters).
 */
export function tokenHashes(text: string, start: number, u: Uint16Array = codeUnits(text), out = new Uint32Array(Math.max(0, text.length - start))): Uint32Array {
  const n = text.length;
  const cls = ASCII_CLASS;
  let count = 0;
  let i = start;
  // do not start inside a word cut by the window edge
  if (i > 0) while (i < n && isWordChar(u[i]!) && isWordChar(u[i - 1]!)) i++;
  while (i < n) {
    const c = u[i]!;
    const k = c < 128 ? cls[c]! : c === 0xa0 || c === 0x3000 ? BLANK : OTHER;
    if (k === BLANK) {
      i++;
    } else if (k === WORD) {
      let h = Math.imul(0x811c9dc5 ^ c, 0x01000193);
      const stop = Math.min(n, i + MAX_WORD);
      i++;
      while (i < stop) {
        const w = u[i]!;
        if (w >= 128 || cls[w] !== WORD) break;
        h = Math.imul(h ^ w, 0x01000193);
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

const NGRAM_BASE = 0x01000193;
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
  // scratch tables reused across calls (a fresh pair per rollout was most of the detector's garbage)
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

const LZ_BITS = 14;
const LZ_WINDOW = 32768;
const LZ_MIN = 4;
const LZ_MAX = 258;
/** cost of one match in "characters" (deflate spends about 3 bytes on a length/distance pair) */
const LZ_MATCH_COST = 3;
let lzTable: Int32Array | null = null;

/**
 * Greedy LZ77 parse of text[start…] (deflate-like window 32 K, matches 4…258 UTF-16 units, one hash
 * probe per position): returns (literals + 3·matches) / characters, an estimate of the compression
 * ratio without entropy coding. ≈ 0.5–0.7 for prose and maths, → 0.01 for a tight loop. Linear:
 * every position is either a literal or inside a match that is skipped after comparison.
 */
export function lzRatio(text: string, start = 0, u: Uint16Array = codeUnits(text)): number {
  const n = text.length;
  const len = n - start;
  if (len <= 0) return 1;
  if (!lzTable) lzTable = new Int32Array(1 << LZ_BITS);
  const table = lzTable;
  table.fill(-1);
  let cost = 0;
  let i = start;
  while (i + LZ_MIN <= n) {
    const c0 = u[i]!;
    const c1 = u[i + 1]!;
    const c2 = u[i + 2]!;
    const c3 = u[i + 3]!;
    const h = Math.imul((((c0 * 31 + c1) * 31 + c2) * 31 + c3) | 0, 0x9e3779b1) >>> (32 - LZ_BITS);
    const cand = table[h]!;
    table[h] = i;
    if (
      cand >= start &&
      i - cand <= LZ_WINDOW &&
      u[cand]! === c0 &&
      u[cand + 1]! === c1 &&
      u[cand + 2]! === c2 &&
      u[cand + 3]! === c3
    ) {
      let m = LZ_MIN;
      while (m < LZ_MAX && i + m < n && u[cand + m]! === u[i + m]!) m++;
      cost += LZ_MATCH_COST;
      i += m;
    } else {
      cost += 1;
      i++;
    }
  }
  cost += n - i;
  return Math.min(1, cost / len);
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Scripts
// ───────────────────────────────────────────────────────────────────────────────────────────────

const S_LATIN = 0;
const S_GREEK = 1;
const S_CYRILLIC = 2;
const S_CJK = 3;
const S_ARABIC = 4;
const S_HEBREW = 5;
const S_DEVANAGARI = 6;
const S_THAI = 7;
const S_OTHER = 8;
const NOT_LETTER = -1;
const UNKNOWN = -2;

const LETTER_RE = /^\p{L}$/u;

/** Script index (into SCRIPTS) of a code point, or -1 when it is not a letter. */
export function scriptIndexOf(cp: number): number {
  if (cp < 0x80) return (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) ? S_LATIN : NOT_LETTER;
  if (cp < 0x250) {
    if (cp === 0xaa || cp === 0xb5 || cp === 0xba) return S_LATIN;
    return cp >= 0xc0 && cp !== 0xd7 && cp !== 0xf7 ? S_LATIN : NOT_LETTER;
  }
  if (cp < 0x2b0) return S_LATIN; // IPA
  if (cp < 0x370) return NOT_LETTER; // modifiers, combining marks
  if (cp < 0x400) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_GREEK : NOT_LETTER;
  if (cp < 0x530) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_CYRILLIC : NOT_LETTER;
  if (cp >= 0x590 && cp < 0x600) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_HEBREW : NOT_LETTER;
  if ((cp >= 0x600 && cp < 0x700) || (cp >= 0x750 && cp < 0x780) || (cp >= 0x8a0 && cp < 0x900) || (cp >= 0xfb50 && cp < 0xfe00) || (cp >= 0xfe70 && cp < 0xff00)) {
    return LETTER_RE.test(String.fromCodePoint(cp)) ? S_ARABIC : NOT_LETTER;
  }
  if (cp >= 0x900 && cp < 0x980) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_DEVANAGARI : NOT_LETTER;
  if (cp >= 0xe00 && cp < 0xe80) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_THAI : NOT_LETTER;
  if (cp >= 0x1e00 && cp < 0x1f00) return S_LATIN;
  if (cp >= 0x1f00 && cp < 0x2000) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_GREEK : NOT_LETTER;
  // letterlike symbols (ℝ, ℕ, ℵ, ℓ) and mathematical alphanumerics (𝑥, 𝔽) are maths notation
  if (cp >= 0x2100 && cp < 0x2150) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_LATIN : NOT_LETTER;
  if (cp >= 0x1d400 && cp < 0x1d800) return LETTER_RE.test(String.fromCodePoint(cp)) ? S_LATIN : NOT_LETTER;
  if ((cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) return S_LATIN; // fullwidth Latin
  if (
    (cp >= 0x1100 && cp < 0x1200) || // Hangul Jamo
    (cp >= 0x3040 && cp < 0x3100) || // kana
    (cp >= 0x3130 && cp < 0x3190) || // Hangul compatibility Jamo
    (cp >= 0x3400 && cp < 0x4dc0) || // CJK ext A
    (cp >= 0x4e00 && cp < 0xa000) || // CJK unified
    (cp >= 0xac00 && cp < 0xd7b0) || // Hangul syllables
    (cp >= 0xf900 && cp < 0xfb00) || // CJK compatibility
    (cp >= 0xff66 && cp < 0xffa0) || // halfwidth katakana
    (cp >= 0x20000 && cp < 0x40000) // CJK ext B…
  ) {
    return LETTER_RE.test(String.fromCodePoint(cp)) ? S_CJK : NOT_LETTER;
  }
  return LETTER_RE.test(String.fromCodePoint(cp)) ? S_OTHER : NOT_LETTER;
}

/** lazily filled script table for the BMP: UNKNOWN until first seen */
let bmpScripts: Int8Array | null = null;

function bmpScript(c: number): number {
  if (!bmpScripts) bmpScripts = new Int8Array(0x10000).fill(UNKNOWN);
  let s = bmpScripts[c]!;
  if (s === UNKNOWN) {
    s = scriptIndexOf(c);
    bmpScripts[c] = s;
  }
  return s;
}

export function scriptMask(scripts: readonly Script[]): number {
  let m = 0;
  for (const s of scripts) m |= 1 << SCRIPTS.indexOf(s);
  return m;
}

export interface ScriptSignals {
  foreignShare: number;
  foreignShareMax: number;
  foreignLetters: number;
}

/**
 * Share of letters outside the expected scripts (bit mask over SCRIPTS): overall, and the maximum over
 * consecutive segments of `segmentLetters` letters (a trailing partial segment counts when it holds at
 * least a quarter of a segment, or when it is the only one). Non-letters (digits, punctuation, maths
 * symbols, LaTeX) are ignored.
 */
export function scriptSignals(text: string, expectedMask: number, segmentLetters: number, units?: Uint16Array): ScriptSignals {
  // all-ASCII text (UTF-8 length = UTF-16 length, checked natively at GB/s) has only Latin letters:
  // with Latin expected, nothing is foreign and the per-character loop is skipped
  if (expectedMask & (1 << S_LATIN) && Buffer.byteLength(text, "utf8") === text.length) return { foreignShare: 0, foreignShareMax: 0, foreignLetters: 0 };
  const n = text.length;
  const u = units ?? codeUnits(text);
  let letters = 0;
  let foreign = 0;
  let segLetters = 0;
  let segForeign = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const c = u[i]!;
    let s: number;
    if (c < 0x80) {
      // fast path: ASCII letter or not
      if ((c | 32) < 97 || (c | 32) > 122) continue;
      s = S_LATIN;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      const d = u[i + 1]!;
      if (d >= 0xdc00 && d < 0xe000) {
        s = scriptIndexOf(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
      } else s = NOT_LETTER;
    } else {
      s = bmpScript(c);
    }
    if (s < 0) continue;
    letters++;
    segLetters++;
    if ((expectedMask & (1 << s)) === 0) {
      foreign++;
      segForeign++;
    }
    if (segLetters === segmentLetters) {
      const share = segForeign / segLetters;
      if (share > max) max = share;
      segLetters = 0;
      segForeign = 0;
    }
  }
  if (segLetters > 0 && (segLetters * 4 >= segmentLetters || segLetters === letters)) {
    const share = segForeign / segLetters;
    if (share > max) max = share;
  }
  return { foreignShare: letters === 0 ? 0 : foreign / letters, foreignShareMax: max, foreignLetters: foreign };
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// Final answers
// ───────────────────────────────────────────────────────────────────────────────────────────────

/** Light normalisation of a boxed answer so that formatting variants of one answer compare equal. */
export function normalizeBoxed(content: string): string {
  let plain = true;
  for (let i = 0; i < content.length && plain; i++) {
    const c = content.charCodeAt(i);
    if (c === 92 || c === 36 || c <= 32 || isBlank(c)) plain = false;
  }
  if (plain && !content.endsWith(".") && !content.endsWith(",") && !content.includes("{")) return canonicalNumber(content);
  let s = content.replace(/\\(?:left|right|displaystyle|[,;:! ])/g, "");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  s = s.replace(/\s+/g, "");
  s = s.replace(/\$/g, "");
  s = s.replace(/([\^_])\{([^{}\\])\}/g, "$1$2"); // x^{2} → x^2
  while (s.endsWith(".") || s.endsWith(",")) s = s.slice(0, -1);
  return canonicalNumber(s);
}

/** "1.0" → "1", "056" → "56", "-2.50" → "-2.5"; anything that is not a plain decimal is returned as is */
function canonicalNumber(s: string): string {
  if (s.length === 0 || s.length > 30) return s;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  let digits = 0;
  let dots = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && dots === 0) dots++;
    else return s;
  }
  if (digits === 0) return s;
  const x = Number(s);
  return Number.isFinite(x) ? String(x) : s;
}

/**
 * Normalised contents of every complete \boxed{…} / \fbox{…} (balanced braces) in the text, in order.
 * An unbalanced box (cut off) is not counted. `\boxed 5` (no braces) takes the next blank-delimited
 * token. Linear: each character is scanned once.
 */
export function boxedAnswers(text: string): string[] {
  return scanBoxes(text).answers;
}

/** boxed answers and the index just past the last complete box (-1 when none) */
export function scanBoxes(text: string): { answers: string[]; lastEnd: number } {
  const out: string[] = [];
  let lastEnd = -1;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const k = text.indexOf("\\", i);
    if (k < 0) break;
    let j: number;
    if (text.startsWith("\\boxed", k)) j = k + 6;
    else if (text.startsWith("\\fbox", k)) j = k + 5;
    else {
      i = k + 1;
      continue;
    }
    if (j < n && isWordChar(text.charCodeAt(j))) {
      i = j; // e.g. \boxedfoo: another command
      continue;
    }
    while (j < n && isBlank(text.charCodeAt(j))) j++;
    if (j >= n) break;
    if (text.charCodeAt(j) === 123 /* { */) {
      let depth = 0;
      let e = j;
      for (; e < n; e++) {
        const c = text.charCodeAt(e);
        if (c === 92 /* \ */) {
          e++; // skip escaped char such as \{ or \}
          continue;
        }
        if (c === 123) depth++;
        else if (c === 125 && --depth === 0) break;
      }
      if (e >= n) break; // unbalanced: cut off
      out.push(normalizeBoxed(text.slice(j + 1, e)));
      lastEnd = e + 1;
      i = e + 1;
    } else {
      let e = j;
      while (e < n && !isBlank(text.charCodeAt(e)) && text.charCodeAt(e) !== 10 && text.charCodeAt(e) !== 36) e++;
      if (e > j) {
        out.push(normalizeBoxed(text.slice(j, e)));
        lastEnd = e;
      }
      i = e;
    }
  }
  return { answers: out, lastEnd };
}

/**
 * A final answer must sit near the end of the solution: a box this many characters before the end of
 * a long plain trace is an intermediate result, not the answer (the text went on and may be cut off).
 */
export const FINAL_ANSWER_WINDOW = 3000;

/** phrases that announce a final answer, searched (lower-cased) in the last 2,000 characters */
const ANSWER_PHRASES = ["answer is", "answer:", "answer =", "final answer", "answer**", "answer\n"];

export function hasAnswerPhrase(solution: string): boolean {
  const tail = solution.slice(-2000).toLowerCase();
  for (const p of ANSWER_PHRASES) if (tail.includes(p)) return true;
  return false;
}

/** characters that can end a finished sentence, formula or block */
function isTerminal(c: number): boolean {
  return (
    c === 46 || c === 33 || c === 63 || // . ! ?
    c === 36 || c === 41 || c === 93 || c === 125 || // $ ) ] }
    c === 62 || c === 42 || c === 96 || c === 34 || c === 39 || c === 124 || // > * ` " ' |
    c === 0x3002 || c === 0xff01 || c === 0xff1f // 。！？
  );
}

/** the last non-blank character is not a plausible end of a sentence, formula or block */
export function endsDangling(text: string): boolean {
  let i = text.length - 1;
  while (i >= 0 && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 10)) i--;
  if (i < 0) return true;
  return !isTerminal(text.charCodeAt(i));
}

// ───────────────────────────────────────────────────────────────────────────────────────────────
// All signals for one rollout
// ───────────────────────────────────────────────────────────────────────────────────────────────

/** The parts of the normaliser's TraceSplit these signals read. */
export interface TraceView {
  format: "thought" | "think" | "think_answer" | "plain";
  reasoning: string | null;
  solution: string;
  unterminated: boolean;
  solutionUnterminated?: boolean;
}

export interface SignalInput {
  response: string;
  /** the normaliser's split; when absent the whole response is treated as a plain trace */
  trace?: TraceView;
  finishReason: string | null;
}

export interface PreparedOptions extends QualityOptions {
  expectedMask: number;
}

export function prepareOptions(options: QualityOptions): PreparedOptions {
  return { ...options, expectedMask: scriptMask(options.expectedScripts) };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
/** tokenHashes' output for the tail window, reused across rollouts */
let tailHashes = new Uint32Array(0);

export function computeSignals(input: SignalInput, options: PreparedOptions): QualitySignals {
  const response = input.response;
  const trace: TraceView = input.trace ?? { format: "plain", reasoning: null, solution: response.trim(), unterminated: false };
  const unterminated = trace.unterminated || trace.solutionUnterminated === true;
  const finishLength = input.finishReason !== null && input.finishReason.toLowerCase() === "length";
  const scanned = scanBoxes(trace.solution);
  const boxes = scanned.answers;
  const distinct = new Set(boxes).size;
  // a closed, non-empty <answer> block is itself the final answer (R1-Zero format)
  const answerBlock = trace.format === "think_answer" && trace.solutionUnterminated !== true && trace.solution.length > 0;
  const hasFinalAnswer =
    answerBlock ||
    (scanned.lastEnd >= 0 && trace.solution.length - scanned.lastEnd <= FINAL_ANSWER_WINDOW) ||
    hasAnswerPhrase(trace.solution);
  const dangling = endsDangling(response);

  const u = codeUnits(response);
  const lines = lineSignals(response, options.minLineChars, u);
  const tailStart = Math.max(0, response.length - options.tailChars);
  if (tailHashes.length < response.length - tailStart) tailHashes = new Uint32Array(response.length - tailStart);
  const tail = tailRepetition(tokenHashes(response, tailStart, u, tailHashes), options.ngram);
  const scripts = scriptSignals(response, options.expectedMask, options.segmentLetters, u);
  const lz = lzRatio(response, tailStart, u);
  units.shrink();

  const reasoningBlock = trace.format !== "plain" && trace.reasoning !== null;
  return {
    truncated: unterminated || finishLength || (!hasFinalAnswer && dangling),
    unterminated,
    finishLength,
    hasFinalAnswer,
    danglingEnd: dangling,
    repetition: round(Math.max(lines.repeatedParagraphShare, tail.tailRepeatShare)),
    repeatedLineShare: round(lines.repeatedLineShare),
    repeatedParagraphShare: round(lines.repeatedParagraphShare),
    tailRepeatShare: round(tail.tailRepeatShare),
    tailLoopTokens: tail.tailLoopTokens,
    tailLzRatio: round(lz),
    foreignShare: round(scripts.foreignShare),
    foreignShareMax: round(scripts.foreignShareMax),
    foreignLetters: scripts.foreignLetters,
    codeShare: round(lines.codeShare),
    codeBlocks: lines.codeBlocks,
    longestParagraphChars: lines.longestParagraphChars,
    boxedCount: boxes.length,
    distinctBoxed: distinct,
    conflictingAnswers: distinct > 1,
    reasoningChars: reasoningBlock ? trace.reasoning!.length : trace.solution.length,
    solutionChars: trace.solution.length,
    reasoningBlock,
  };
}
