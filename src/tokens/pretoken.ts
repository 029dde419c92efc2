/**
 * The o200k_base pre-tokeniser as tiktoken runs it: the text is split into pieces ("pre-tokens") by
 * the o200k regex, and each piece is byte-pair encoded on its own (bpe.ts).
 *
 * The regex (tiktoken's o200k_base pat_str, alternatives in order):
 *   1. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   2. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   3. \p{N}{1,3}
 *   4. ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
 *   5. \s*[\r\n]+     6. \s+(?!\S)     7. \s+
 * tiktoken runs it in Rust, where `\s` is Unicode White_Space and `(?i)` folds case by Unicode rules;
 * a JavaScript regex differs in three characters, and gpt-tokenizer (whose pattern is the same text
 * run as JavaScript) splits them otherwise: U+FEFF is `\s` in JavaScript only, U+0085 in Rust only,
 * and `'ſ` (U+017F, which folds to s) is a contraction in Rust only. O200K_SPLIT_PATTERN below is
 * the Rust meaning written for JavaScript; no text in ../shared/data has any of the three, and
 * the tests compare counts with tiktoken on fuzzed text that has them.
 *
 * A hand-written scanner reproduces the regex exactly for ASCII text (where both meanings agree), and
 * falls back to the regex itself (sticky, at the same position) for any piece whose scan meets a
 * non-ASCII character, so the pieces are identical by construction. The scanner reads the text's UTF-8
 * bytes (encoded once, natively; a typed-array loop runs ~4× faster than `charCodeAt`), keeping the
 * byte and the UTF-16 position of each piece in step. On ASCII, \p{Lu} is A–Z, \p{Ll} is a–z,
 * Lt/Lm/Lo/M are empty, \p{N} is 0–9 and \s is space, \t, \n, \v, \f, \r. The tests
 * (test/tokens/token-count.test.ts) compare pieces with the regex's and counts with tiktoken's on fuzzed text
 * and on every string in ../shared/data.
 */
import { Utf8Bytes } from "../text/code-units.js";

// character classes for codes < 128
const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const SPACE = 8; // \s
const NL = 16; // \r or \n
const PUNCT = 32; // not \s, not a letter, not a digit
const CLS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 65 && c <= 90) CLS[c] = UPPER;
  else if (c >= 97 && c <= 122) CLS[c] = LOWER;
  else if (c >= 48 && c <= 57) CLS[c] = DIGIT;
  else if (c === 10 || c === 13) CLS[c] = SPACE | NL;
  else if (c === 32 || c === 9 || c === 11 || c === 12) CLS[c] = SPACE;
  else CLS[c] = PUNCT;
}
const BAIL = -1;

/** End of the contraction suffix at `i` (or `i` when there is none); BAIL for `'ſ`, a contraction in tiktoken. */
function contraction(t: Uint8Array, i: number, n: number): number {
  if (i >= n || t[i] !== 39) return i;
  if (i + 1 >= n) return i;
  if (t[i + 1] === 0xc5 && i + 2 < n && t[i + 2] === 0xbf) return BAIL; // U+017F: bytes and units differ, the regex decides
  const a = t[i + 1]! | 0x20; // fold ASCII case (non-letters never match below)
  if (a === 115 || a === 100 || a === 109 || a === 116) return i + 2; // s d m t
  if (a === 108 || a === 118 || a === 114) {
    if (i + 2 >= n) return i;
    const b = t[i + 2]! | 0x20;
    if (a === 108 && b === 108) return i + 3; // ll
    if (a !== 108 && b === 101) return i + 3; // ve re
  }
  return i;
}

/**
 * End of the o200k pre-token starting at byte `p` of UTF-8 text `t[0, n)`, computed for ASCII text;
 * BAIL when the decision depends on a non-ASCII character (a byte ≥ 128: bytes of multi-byte
 * characters never equal an ASCII byte), and the caller then runs the regex at that position.
 * Hand-written scanner instead of the regex: 12 → 45–50 MB/s per core (commit 209b0c9).
 */
export function asciiPieceEnd(t: Uint8Array, p: number, n: number): number {
  const c = t[p]!;
  if (c >= 128) return BAIL;
  const k = CLS[c]!;
  // alternatives 1 and 2: optional prefix (not \r\n, not letter/digit), then letters
  if (!(k & (DIGIT | NL))) {
    const q = k & (UPPER | LOWER) ? p : p + 1;
    let i = q;
    let d = 0;
    while (i < n && (d = t[i]!) < 128 && CLS[d] === UPPER) i++;
    if (i < n && d >= 128) return BAIL;
    let j = i;
    while (j < n && (d = t[j]!) < 128 && CLS[d] === LOWER) j++;
    if (j < n && d >= 128) return BAIL;
    if (j > q) {
      // alt 1 when j > i (lower-case run); alt 2 when only capitals (i > q)
      return contraction(t, j, n);
    }
  }
  if (k === DIGIT) {
    let j = p + 1;
    while (j < n && j < p + 3) {
      const d = t[j]!;
      if (d >= 128) return BAIL;
      if (CLS[d] !== DIGIT) break;
      j++;
    }
    return j;
  }
  // alternative 4: optional space, punctuation run, then [\r\n/]*
  {
    const q = c === 32 ? p + 1 : p;
    if (q < n) {
      let d = t[q]!;
      if (d >= 128) return BAIL;
      if (CLS[d] === PUNCT) {
        let j = q + 1;
        while (j < n && (d = t[j]!) < 128 && CLS[d] === PUNCT) j++;
        if (j < n && d >= 128) return BAIL;
        while (j < n && ((d = t[j]!) === 10 || d === 13 || d === 47)) j++;
        return j;
      }
    }
  }
  // alternatives 5–7: c is whitespace here (every other ASCII class returned above)
  let e = p + 1;
  let lastNl = k & NL ? p : -1;
  let d = 0;
  while (e < n && (d = t[e]!) < 128 && CLS[d]! & SPACE) {
    if (CLS[d]! & NL) lastNl = e;
    e++;
  }
  if (e < n && d >= 128) return BAIL;
  if (lastNl >= 0) return lastNl + 1; // \s*[\r\n]+
  if (e === n) return e; // \s+(?!\S) at the end
  return e - p >= 2 ? e - 1 : e; // \s+(?!\S) backs off one; a single space is \s+
}

/** Byte position after `units` UTF-16 code units of UTF-8 text from byte `p` (never inside a surrogate pair). */
export function skipUnits(t: Uint8Array, p: number, units: number): number {
  while (units > 0) {
    const c = t[p]!;
    if (c < 0x80) p++;
    else if (c < 0xe0) p += 2;
    else if (c < 0xf0) p += 3;
    else {
      p += 4; // a surrogate pair
      units--;
    }
    units--;
  }
  return p;
}

/** tiktoken's `\s` (Unicode White_Space): JavaScript's `\s` without U+FEFF, with U+0085 */
const WS = String.raw`\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
const CONTRACTION = String.raw`(?:'(?:[sS\u017f]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?`;

/**
 * tiktoken's o200k split regex with Rust's meaning, for a JavaScript regex with the "u" flag:
 * gpt-tokenizer's O200K_TOKEN_SPLIT_PATTERN (4.0.0) with `\s` spelt out as WS and ſ in the
 * contraction (a test checks that it is otherwise the package's pattern).
 */
export const O200K_SPLIT_PATTERN =
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` +
  CONTRACTION +
  String.raw`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` +
  CONTRACTION +
  String.raw`|\p{N}{1,3}| ?[^${WS}\p{L}\p{N}]+[\r\n/]*|[${WS}]*[\r\n]+|[${WS}]+(?![^${WS}])|[${WS}]+`;

/**
 * How far past a piece's end the regex's decision can look: a contraction is tried on the three
 * characters after a letter run (6 UTF-16 units at most); every other alternative stops at the first
 * character that is not of its class. A piece of the whole text that ends at least this far before
 * the end of a range is the same piece in the range taken as its own string.
 */
export const LOOKAHEAD = 6;

/** End of the pre-token at `p` by the split regex itself (`sticky`: the pattern with flags "uy"). */
function regexPieceEnd(sticky: RegExp, text: string, p: number): number {
  sticky.lastIndex = p;
  const m = sticky.exec(text);
  // the split regex matches at every position (any character is a letter, digit, space or other)
  if (!m || m[0].length === 0) throw new Error(`o200k pre-tokeniser: no match at ${p}`);
  return p + m[0].length;
}

/**
 * The o200k pre-tokens of one text, or of one range of a text taken as its own string, in order:
 * `next()` moves to the next piece, which is text[cs, ce) in UTF-16 units and bytes[bs, be) of its
 * UTF-8 encoding. The byte buffer is reused across texts.
 */
export class PieceScanner {
  // the text's UTF-8 bytes in one reused buffer, not charCodeAt: 65 → 98 MB per CPU second on Sky-T1 (commit 5d937b1)
  private readonly enc = new Utf8Bytes();
  bytes: Uint8Array = this.enc.buf;
  text = "";
  /** end of the scanned text or range: in bytes, and in UTF-16 units */
  n = 0;
  end = 0;
  bs = 0;
  be = 0;
  cs = 0;
  ce = 0;
  regexPieces = 0;
  private readonly sticky = new RegExp(O200K_SPLIT_PATTERN, "uy");

  start(text: string): void {
    // a lone surrogate is written as U+FFFD (3 bytes for 1 unit), as skipUnits assumes
    this.text = text;
    this.n = this.enc.of(text);
    this.bytes = this.enc.buf;
    this.end = text.length;
    this.be = 0;
    this.ce = 0;
  }

  /**
   * Scans text[a, b) as if it were the whole text, from the bytes another scanner holds (`ab`, `bb`:
   * the byte positions of a and b). Neither end may cut a surrogate pair.
   */
  startRange(text: string, bytes: Uint8Array, a: number, ab: number, b: number, bb: number): void {
    this.text = text;
    this.bytes = bytes;
    this.n = bb;
    this.end = b;
    this.moveTo(a, ab);
  }

  /** Continues from UTF-16 position `c`, byte `bpos` (a piece boundary). */
  moveTo(c: number, bpos: number): void {
    this.ce = c;
    this.be = bpos;
  }

  /** Moves to the next piece; false at the end of the text or range. */
  next(): boolean {
    const bs = (this.bs = this.be);
    const cs = (this.cs = this.ce);
    if (bs >= this.n) return false;
    const be = asciiPieceEnd(this.bytes, bs, this.n);
    if (be === BAIL) {
      let ce = regexPieceEnd(this.sticky, this.text, cs);
      // in a range, a piece that reaches (or looks) past the range's end is matched on the range itself
      if (this.end < this.text.length && ce + LOOKAHEAD > this.end) ce = cs + regexPieceEnd(this.sticky, this.text.slice(cs, this.end), 0);
      this.ce = ce;
      this.be = skipUnits(this.bytes, bs, ce - cs);
      this.regexPieces++;
    } else {
      this.be = be;
      this.ce = cs + (be - bs);
    }
    return true;
  }

  /** Drops a buffer grown past 16 MB by one huge text. */
  shrink(): void {
    this.enc.shrink();
    this.bytes = this.enc.buf;
  }
}

/** The pre-tokens of `text` as the counter splits it (for tests: must equal the regex's matchAll). */
export function o200kPieces(text: string): string[] {
  const scan = new PieceScanner();
  const out: string[] = [];
  scan.start(text);
  while (scan.next()) out.push(text.slice(scan.cs, scan.ce));
  return out;
}
