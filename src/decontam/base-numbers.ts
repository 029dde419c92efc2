/**
 * Numbers that name a base (issue #19): the subscript of a number ("$218_9$": a number, `_`, a
 * number) and the number after the word "base" ("in base 9"). The `digits` rule lets every number of
 * a problem differ, but a base is not a digit change: "$6_8\cdot7_8$ … in base 8" and
 * "$218_9\cdot5_9$ … in base 9" are different exercises. So `digits` keeps a match only when every
 * base of the problem is the same in the row.
 */
import type { IndexArrays } from "./index-build.js";
import { TOKEN_NUMBER, TOKEN_WORD } from "./token-stream.js";
import { fnv1a } from "./token-tables.js";

const UNDERSCORE = fnv1a("_") | 0;
const BASE_WORD = fnv1a("base") | 0;
const MINUS = fnv1a("-") | 0;
/** tokens after which a minus sign is unary: operators, relations, `\cdot`-like commands */
const BEFORE_UNARY = new Set(["+", "-", "=", "<", ">", "times", "/", "^", "_", "!", "|", "cdot", "le", "leq", "ge", "geq", "neq", "pm", "mp", "div", "left"].map((t) => fnv1a(t) | 0));

/**
 * Is token k a base? `ids` are unmasked token ids, `kinds` token kinds in the low two bits (a
 * TokenStream's `kind`, an index's `itemTokFlags`), `lo` the first token that may be looked back at.
 */
export function isBaseNumber(ids: Int32Array, kinds: Uint8Array, lo: number, k: number): boolean {
  if ((kinds[k]! & 3) !== TOKEN_NUMBER) return false;
  if (k - 1 >= lo && ids[k - 1] === BASE_WORD) return true;
  return k - 2 >= lo && ids[k - 1] === UNDERSCORE && (kinds[k - 2]! & 3) === TOKEN_NUMBER;
}

/**
 * Whole-row form of `digits`: the row's tokens from `rowFrom` on equal problem `it`'s with numbers
 * masked, position by position. Are the problem's bases the same numbers in the row?
 */
export function sameBases(a: IndexArrays, it: number, rowIds: Int32Array, rowFrom: number): boolean {
  const bs = a.itemTokStart[it]!;
  const be = a.itemTokStart[it + 1]!;
  for (let k = bs; k < be; k++) {
    if (isBaseNumber(a.itemTok, a.itemTokFlags, bs, k) && rowIds[rowFrom + k - bs] !== a.itemTok[k]) return false;
  }
  return true;
}

/** Is token k a unary minus: `-` before a number, after an operator, a word or nothing (`lo`: first token)? */
export function isUnaryMinus(ids: Int32Array, kinds: Uint8Array, lo: number, end: number, k: number): boolean {
  if (ids[k] !== MINUS || k + 1 >= end || (kinds[k + 1]! & 3) !== TOKEN_NUMBER) return false;
  return k === lo || BEFORE_UNARY.has(ids[k - 1]!) || (kinds[k - 1]! & 3) === TOKEN_WORD;
}
