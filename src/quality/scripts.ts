/**
 * Language mixing: the script of every letter (Latin, Greek, Cyrillic, CJK, …) and the share of letters
 * outside the expected scripts, overall and in the worst segment.
 */
import { codeUnits } from "./units.js";
import type { Script } from "./types.js";
import { SCRIPTS } from "./types.js";

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

/** lazily filled script table for the BMP: UNKNOWN until first seen (no regex per letter: scriptSignals 75 → 147 MB
 * per CPU-s on mixed Latin/CJK text, median of 5 processes) */
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
  // with Latin expected, nothing is foreign and the per-character loop is skipped (455 → 247 CPU ms per 25 MB, f8c0f9f)
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
