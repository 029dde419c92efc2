/**
 * Exact o200k_base token counts, ~5× faster than gpt-tokenizer's `countTokens` on math traces
 * (12 → 60–70 MB/s per CPU second on the Sky-T1 traces in ../shared/data).
 *
 * Counting is pre-tokenisation (split the text into pieces with the o200k regex) then BPE per piece.
 * gpt-tokenizer runs the pre-tokeniser as a Unicode regex through `matchAll`, which is most of its
 * cost. Here a hand-written scanner reproduces that regex exactly for ASCII text, and falls back to
 * the regex itself (sticky, at the same position) for any piece whose scan meets a non-ASCII
 * character — so the pieces, and therefore the counts, are identical by construction. Piece counts
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

/** End of the contraction suffix at `i` (or `i` when there is none); BAIL on a non-ASCII character. */
function contraction(t: string, i: number, n: number): number {
  if (i >= n || t.charCodeAt(i) !== 39) return i;
  if (i + 1 >= n) return i;
  const a = t.charCodeAt(i + 1) | 0x20; // fold ASCII case (non-letters never match below)
  if (a === 115 || a === 100 || a === 109 || a === 116) return i + 2; // s d m t
  if (a === 108 || a === 118 || a === 114) {
    if (i + 2 >= n) return i;
    const b = t.charCodeAt(i + 2) | 0x20;
    if (a === 108 && b === 108) return i + 3; // ll
    if (a !== 108 && b === 101) return i + 3; // ve re
  }
  return i;
}

/**
 * End of the o200k pre-token starting at `p`, computed for ASCII text; BAIL when the decision depends
 * on a non-ASCII character (the caller then runs the regex at `p`).
 */
export function asciiPieceEnd(t: string, p: number, n: number): number {
  const c = t.charCodeAt(p);
  if (c >= 128) return BAIL;
  const k = CLS[c]!;
  // alternatives 1 and 2: optional prefix (not \r\n, not letter/digit), then letters
  if (!(k & (DIGIT | NL))) {
    const q = k & (UPPER | LOWER) ? p : p + 1;
    let i = q;
    let d = 0;
    while (i < n && (d = t.charCodeAt(i)) < 128 && CLS[d] === UPPER) i++;
    if (i < n && d >= 128) return BAIL;
    let j = i;
    while (j < n && (d = t.charCodeAt(j)) < 128 && CLS[d] === LOWER) j++;
    if (j < n && d >= 128) return BAIL;
    if (j > q) {
      // alt 1 when j > i (lower-case run); alt 2 when only capitals (i > q)
      const e = contraction(t, j, n);
      return e;
    }
  }
  if (k === DIGIT) {
    let j = p + 1;
    while (j < n && j < p + 3) {
      const d = t.charCodeAt(j);
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
      let d = t.charCodeAt(q);
      if (d >= 128) return BAIL;
      if (CLS[d] === PUNCT) {
        let j = q + 1;
        while (j < n && (d = t.charCodeAt(j)) < 128 && CLS[d] === PUNCT) j++;
        if (j < n && d >= 128) return BAIL;
        while (j < n && ((d = t.charCodeAt(j)) === 10 || d === 13 || d === 47)) j++;
        return j;
      }
    }
  }
  // alternatives 5–7: c is whitespace here (every other ASCII class returned above)
  let e = p + 1;
  let lastNl = k & NL ? p : -1;
  let d = 0;
  while (e < n && (d = t.charCodeAt(e)) < 128 && CLS[d]! & SPACE) {
    if (CLS[d]! & NL) lastNl = e;
    e++;
  }
  if (e < n && d >= 128) return BAIL;
  if (lastNl >= 0) return lastNl + 1; // \s*[\r\n]+
  if (e === n) return e; // \s+(?!\S) at the end
  return e - p >= 2 ? e - 1 : e; // \s+(?!\S) backs off one; a single space is \s+
}

/**
 * BPE merges are quadratic in the length of one piece: a 200 KB run of letters (or of spaces) would
 * take tens of seconds. Pieces longer than this are counted as the sum of their 1,000-character
 * chunks (cut outside surrogate pairs): off by a token or two per chunk, and only on such text.
 */
export const MAX_PIECE = 1000;
/** front cache of 2^16 slots */
const FRONT_SHIFT = 16;

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
  /**
   * Tokens of `text`, or of `text.slice(start, end)` without making the slice (counting a slice of a
   * long string is ~30% slower in V8 than counting a flat string).
   */
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
  const sticky = new RegExp(O200K_SPLIT_PATTERN, "uy");
  // behind the front cache, a Map memo (measured faster than an open-addressing table hashed over
  // the whole piece: 50 vs 27 MB/s)
  let memo = new Map<string, number>();
  const frontKeys: (string | undefined)[] = new Array(1 << (32 - FRONT_SHIFT)).fill(undefined);
  const frontVals = new Int32Array(1 << (32 - FRONT_SHIFT));
  let pieces = 0;
  let memoHits = 0;
  let regexPieces = 0;
  const counter = ((text: string, start = 0, end = text.length): number => {
    const n = end;
    let total = 0;
    let p = start;
    while (p < n) {
      let e = asciiPieceEnd(text, p, n);
      if (e === BAIL) {
        // inside a range, the regex must see the range's end as the end of the string
        e = n === text.length ? regexPieceEnd(sticky, text, p) : p + regexPieceEnd(sticky, text.slice(p, n), 0);
        regexPieces++;
      }
      pieces++;
      if (e - p === 1 && text.charCodeAt(p) < 128) {
        total++; // every single byte is a token
      } else if (e - p > maxPiece) {
        total += longPiece(text.slice(p, e), maxPiece, countTokens, NO_SPECIAL);
      } else {
        // direct-mapped front cache keyed by length and three characters, compared in place: a hit
        // costs no substring and no full-string hash (113 vs 82 MB/s on the bench corpus, 70 vs 58
        // on Sky-T1 traces, per CPU second)
        const len = e - p;
        const slot =
          (Math.imul(text.charCodeAt(p) * 31 + text.charCodeAt(p + 1), 0x9e3779b1) ^ Math.imul(text.charCodeAt(e - 1) + (len << 16), 0x85ebca6b)) >>> FRONT_SHIFT;
        const k = frontKeys[slot];
        let v = -1;
        if (k !== undefined && k.length === len) {
          let i = 0;
          while (i < len && k.charCodeAt(i) === text.charCodeAt(p + i)) i++;
          if (i === len) v = frontVals[slot]!;
        }
        if (v >= 0) {
          memoHits++;
        } else {
          const piece = text.slice(p, e);
          const hit = memo.get(piece);
          if (hit !== undefined) {
            v = hit;
            memoHits++;
          } else {
            v = countTokens(piece, NO_SPECIAL);
            if (memo.size >= maxMemo) memo = new Map(); // counts never depend on the memo
            memo.set(piece, v);
          }
          frontKeys[slot] = piece;
          frontVals[slot] = v;
        }
        total += v;
      }
      p = e;
    }
    return total;
  }) as FastCounter;
  counter.stats = () => ({ pieces, memoHits, regexPieces });
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
  const sticky = new RegExp(O200K_SPLIT_PATTERN, "uy");
  let memo = new Map<string, number[]>();
  return (text, out = []) => {
    const n = text.length;
    let p = 0;
    while (p < n) {
      let e = asciiPieceEnd(text, p, n);
      if (e === BAIL) e = regexPieceEnd(sticky, text, p);
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
      p = e;
    }
    return out;
  };
}

/** The pre-tokens of `text` as the counter splits it (for tests: must equal the regex's matchAll). */
export function o200kPieces(text: string): string[] {
  const sticky = new RegExp(O200K_SPLIT_PATTERN, "uy");
  const out: string[] = [];
  for (let p = 0; p < text.length; ) {
    let e = asciiPieceEnd(text, p, text.length);
    if (e === BAIL) e = regexPieceEnd(sticky, text, p);
    out.push(text.slice(p, e));
    p = e;
  }
  return out;
}
