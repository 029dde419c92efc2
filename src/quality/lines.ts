/**
 * Line signals, one pass over the response: repeated lines and paragraphs (character weighted, compared
 * by 64-bit hashes over a typed-array set), the longest paragraph, and the code share (fenced blocks and
 * obvious code lines).
 */
import { isBlank } from "../text/blank.js";
import { FNV_OFFSET, FNV_PRIME } from "../text/hash.js";
import { codeUnits } from "./units.js";

export interface LineSignals {
  repeatedLineShare: number;
  repeatedParagraphShare: number;
  codeShare: number;
  codeBlocks: number;
  longestParagraphChars: number;
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
  // the imported FNV constants as locals: lineSignals 276 → 295 MB per CPU-s (median of 8 processes)
  const offset = FNV_OFFSET | 0;
  const prime = FNV_PRIME;
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
      // two independent 32-bit hashes of the trimmed line (FNV-1a inline: no substring is copied)
      let h = offset ^ len;
      let l = 0x2545f491;
      for (let i = a; i < b; i++) {
        const c = u[i]!;
        h = Math.imul(h ^ c, prime);
        l = Math.imul(l + c, 0x5bd1e995);
        l ^= l >>> 15;
      }
      if (len >= minLineChars) {
        lineChars += len;
        if (seenLines.add(h, l)) repeatedLineChars += len;
      }
      paraH = Math.imul(paraH ^ h, prime) ^ (paraH >>> 13);
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
