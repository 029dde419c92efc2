/**
 * Exact o200k_base token counts, 6.7× gpt-tokenizer's `countTokens` on math traces
 * (bench/tokens-bench.mjs: 104.6 MB per CPU second on the Sky-T1 traces in ../shared/data; README).
 *
 * Counting is pre-tokenisation (split the text into pieces with the o200k regex) then BPE per piece.
 * gpt-tokenizer runs the pre-tokeniser as a Unicode regex through `matchAll`, which is most of its
 * cost. Here a hand-written scanner reproduces that regex exactly for ASCII text, and falls back to
 * the regex itself (sticky, at the same position) for any piece whose scan meets a non-ASCII
 * character — so the pieces, and therefore the counts, are identical by construction. The scanner
 * reads the text's UTF-8 bytes (encoded once, natively; a typed-array loop runs ~4× faster than
 * `charCodeAt`), keeping the byte and the UTF-16 position of each piece in step. Piece counts
 * are memoised (math text repeats the same few thousand pieces: a direct-mapped cache compared in
 * place, then a Map); a memo miss asks gpt-tokenizer for
 * that piece alone, which gives the piece's BPE length because a match of the split regex, taken on
 * its own, is matched whole again (the only look-ahead, `\s+(?!\S)`, sees the string end instead).
 *
 * The regex (gpt-tokenizer's O200K_TOKEN_SPLIT_PATTERN, alternatives in order):
 *   1. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(contraction)?
 *   2. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(contraction)?
 *   3. \p{N}{1,3}
 *   4. ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
 *   5. \s*[\r\n]+     6. \s+(?!\S)     7. \s+
 * with contraction = '(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]). On ASCII, \p{Lu} is A–Z,
 * \p{Ll} is a–z, Lt/Lm/Lo/M are empty, \p{N} is 0–9 and \s is space, \t, \n, \v, \f, \r. The test
 * (test/token-count.test.ts) compares pieces with the regex's and counts with gpt-tokenizer's on
 * fuzzed text and on every real trace and problem.
 */
import { Utf8Bytes } from "../text/code-units.js";

type CountFn = (text: string, opts: { disallowedSpecial: Set<string> }) => number;

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

/** End of the contraction suffix at `i` (or `i` when there is none). */
function contraction(t: Uint8Array, i: number, n: number): number {
  if (i >= n || t[i] !== 39) return i;
  if (i + 1 >= n) return i;
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
function skipUnits(t: Uint8Array, p: number, units: number): number {
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

/**
 * The o200k pre-tokens of one text, in order: `next()` moves to the next piece, which is text[cs, ce)
 * in UTF-16 units and bytes[bs, be) of its UTF-8 encoding. The byte buffer is reused across texts.
 */
class PieceScanner {
  // the text's UTF-8 bytes in one reused buffer, not charCodeAt: 65 → 98 MB per CPU second on Sky-T1 (commit 5d937b1)
  private readonly enc = new Utf8Bytes();
  bytes = this.enc.buf;
  text = "";
  n = 0;
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
    this.be = 0;
    this.ce = 0;
  }

  /** Moves to the next piece; false at the end of the text. */
  next(): boolean {
    const bs = (this.bs = this.be);
    const cs = (this.cs = this.ce);
    if (bs >= this.n) return false;
    const be = asciiPieceEnd(this.bytes, bs, this.n);
    if (be === BAIL) {
      const ce = regexPieceEnd(this.sticky, this.text, cs);
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

/**
 * BPE merges are quadratic in the length of one piece: a 200 KB run of letters (or of spaces) would
 * take tens of seconds. Pieces longer than this are counted as the sum of their 1,000-character
 * chunks (cut outside surrogate pairs): off by a token or two per chunk, and only on such text.
 */
export const MAX_PIECE = 1000;
/** front cache of 2^16 slots, each holding a piece of up to FRONT_BYTES bytes (+28–38% per CPU second, commit 00b0c31) */
const FRONT_SHIFT = 16;
const FRONT_BYTES = 32;

function longPiece(piece: string, max: number, countTokens: CountFn, opts: { disallowedSpecial: Set<string> }): number {
  let total = 0;
  for (let a = 0; a < piece.length; ) {
    let b = Math.min(piece.length, a + max);
    if (b < piece.length && (piece.charCodeAt(b) & 0xfc00) === 0xdc00) b--;
    total += countTokens(piece.slice(a, b), opts);
    a = b;
  }
  return total;
}

/** End of the pre-token at `p` by the split regex itself (`sticky`: the pattern with flags "uy"). */
function regexPieceEnd(sticky: RegExp, text: string, p: number): number {
  sticky.lastIndex = p;
  const m = sticky.exec(text);
  // the split regex matches at every position (any character is a letter, digit, space or other)
  if (!m || m[0].length === 0) throw new Error(`o200k pre-tokeniser: no match at ${p}`);
  return p + m[0].length;
}

export interface FastCounter {
  /** Tokens of `text`, or of `text.slice(start, end)`. */
  (text: string, start?: number, end?: number): number;
  /** Pieces counted and how many came from the memo (for tests and the bench). */
  stats(): { pieces: number; memoHits: number; regexPieces: number };
}

/**
 * An exact o200k_base counter. `maxMemo` bounds the piece memo (it is cleared when full; counts do
 * not depend on it).
 */
export function makeO200kCounter(countTokens: CountFn, maxMemo = 200_000, maxPiece = MAX_PIECE): FastCounter {
  const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
  const scan = new PieceScanner();
  // behind the front cache, a Map memo (measured faster than an open-addressing table hashed over
  // the whole piece: 50 vs 27 MB/s)
  let memo = new Map<string, number>();
  const slots = 1 << (32 - FRONT_SHIFT);
  const frontLen = new Uint8Array(slots); // 0: empty
  const frontBytes = new Uint8Array(slots * FRONT_BYTES);
  const frontVals = new Int32Array(slots);
  let pieces = 0;
  let memoHits = 0;
  const counter = ((text: string, start = 0, end = text.length): number => {
    // a range is counted as its own string: the regex must see the range's end as the end of text
    scan.start(start === 0 && end === text.length ? text : text.slice(start, end));
    const b = scan.bytes;
    let total = 0;
    while (scan.next()) {
      pieces++;
      const p = scan.bs;
      const e = scan.be;
      const len = e - p;
      if (len === 1) {
        total++; // a single byte is one token; no cache for it: 91.7 vs 82.9 MB/CPU-s on Sky-T1 (median of 8 runs each)
      } else if (scan.ce - scan.cs > maxPiece) {
        total += longPiece(scan.text.slice(scan.cs, scan.ce), maxPiece, countTokens, NO_SPECIAL);
      } else {
        // direct-mapped front cache keyed by length and three bytes, compared in place: a hit costs
        // no substring and no full-string hash
        let v = -1;
        let slot = -1;
        if (len <= FRONT_BYTES) {
          slot = (Math.imul(b[p]! * 31 + b[p + 1]!, 0x9e3779b1) ^ Math.imul(b[e - 1]! + (len << 16), 0x85ebca6b)) >>> FRONT_SHIFT;
          if (frontLen[slot] === len) {
            const o = slot * FRONT_BYTES - p;
            let i = p;
            while (i < e && frontBytes[o + i] === b[i]) i++;
            if (i === e) v = frontVals[slot]!;
          }
        }
        if (v >= 0) {
          memoHits++;
        } else {
          const piece = scan.text.slice(scan.cs, scan.ce);
          const hit = memo.get(piece);
          if (hit !== undefined) {
            v = hit;
            memoHits++;
          } else {
            v = countTokens(piece, NO_SPECIAL);
            if (memo.size >= maxMemo) memo = new Map(); // counts never depend on the memo
            memo.set(piece, v);
          }
          if (slot >= 0) {
            frontLen[slot] = len;
            frontBytes.set(b.subarray(p, e), slot * FRONT_BYTES);
            frontVals[slot] = v;
          }
        }
        total += v;
      }
    }
    scan.shrink();
    return total;
  }) as FastCounter;
  counter.stats = () => ({ pieces, memoHits, regexPieces: scan.regexPieces });
  return counter;
}

/**
 * gpt-tokenizer's O200K_TOKEN_SPLIT_PATTERN (4.0.0), which `asciiPieceEnd` reproduces; a test fails
 * if the package's pattern ever differs.
 */
export const O200K_SPLIT_PATTERN = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/**
 * Exact o200k_base token ids by the counter's method: the same pre-tokens (hand-written scanner,
 * regex fallback), each piece's ids memoised (math text repeats a few thousand pieces) and a miss
 * encoded by `encodePiece` (gpt-tokenizer's encode) alone. gpt-tokenizer encodes a text as the
 * concatenation of its pieces' BPE, so the ids are gpt-tokenizer's; pieces over `maxPiece` characters
 * are encoded in chunks exactly where the counter counts chunks, so `ids.length` always equals the
 * counter's count (and the ids still decode to the text). `maxMemo` bounds the memo (cleared when full).
 */
export function makeO200kEncoder(encodePiece: (piece: string) => number[], maxMemo = 100_000, maxPiece = MAX_PIECE): (text: string, out?: number[]) => number[] {
  const scan = new PieceScanner();
  let memo = new Map<string, number[]>();
  return (text, out = []) => {
    scan.start(text);
    while (scan.next()) {
      const p = scan.cs;
      const e = scan.ce;
      if (e - p > maxPiece) {
        for (let a = p; a < e; ) {
          let b = Math.min(e, a + maxPiece);
          if (b < e && (text.charCodeAt(b) & 0xfc00) === 0xdc00) b--;
          const ids = encodePiece(text.slice(a, b));
          for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
          a = b;
        }
      } else {
        const piece = text.slice(p, e);
        let ids = memo.get(piece);
        if (ids === undefined) {
          ids = encodePiece(piece);
          if (memo.size >= maxMemo) memo = new Map(); // ids never depend on the memo
          memo.set(piece, ids);
        }
        for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
      }
    }
    scan.shrink();
    return out;
  };
}

/** The pre-tokens of `text` as the counter splits it (for tests: must equal the regex's matchAll). */
export function o200kPieces(text: string): string[] {
  const scan = new PieceScanner();
  const out: string[] = [];
  scan.start(text);
  while (scan.next()) out.push(text.slice(scan.cs, scan.ce));
  return out;
}
