/**
 * Problem-text tokeniser for decontamination: one linear scan, no regexes, reusable typed buffers.
 *
 * What counts as a token (all lower-cased):
 * - a run of letters (ASCII or any Unicode letter);
 * - a number: digits, with `.` before a digit and thousands commas (`1,000`) kept inside it;
 *   letters and digits split (`2x` → `2`, `x`);
 * - a LaTeX command name, canonicalised (`\dfrac`/`\tfrac` → `frac`, `\le` → `leq`, `\cdot` → `times`);
 *   layout commands (`\left`, `\displaystyle`, `\text`, `\mathrm`, `\,` …) vanish (the rules:
 *   src/text/problem-rules.ts);
 * - one of the operator characters `+ - = < > / ^ _ ! |` (`*` and `×` read as `times`).
 * Everything else — `$` delimiters, braces, brackets, punctuation, whitespace — separates tokens and
 * is dropped, so LaTeX spacing, `$…$` vs `\(…\)` and line breaks do not change the token stream.
 *
 * Each token keeps its character span in the original text (for reporting matched spans) and two
 * 32-bit ids: `hash` (the token itself) and `masked` (every number becomes `#`, for digit-insensitive
 * matching). The canonical characters of all tokens are concatenated in `canon` (for character
 * shingles on short problems). This file is the full scan; tokenize-ids.ts the ids-only one.
 */
import { FNV_PRIME as SHARED_FNV_PRIME } from "../text/hash.js";
import {
  CHAR_CLASS,
  CHAR_LOWER,
  CHAR_TOKEN_HASH,
  CHAR_TOKEN_TEXT,
  CLASS_BACKSLASH,
  CLASS_DIGIT,
  CLASS_LETTER,
  CLASS_OP,
  CLASS_SEP,
  CLASS_SPECIAL,
  COMMAND_CANONICAL,
  COMMAND_CANONICAL_HASH,
  COMMAND_NAMES,
  FNV_START,
  MASK_HASH,
  commandEntry,
  fillCharTables,
  isDigit,
  isStopword,
} from "./token-tables.js";
import { TOKEN_NUMBER, TOKEN_SYMBOL, TOKEN_WORD, TokenStream } from "./token-stream.js";
import { IDS_SCAN_MAX_CHARS, fillByteTables, tokenizeIds } from "./tokenize-ids.js";

/**
 * FNV's multiplier as this module's own constant, as in tokenize-ids.ts (read through the import
 * binding in its hot loop, the ids scan took 30.6k instructions per bench row instead of 26.2k).
 */
const FNV_PRIME = SHARED_FNV_PRIME;

let tablesReady = false;

/**
 * Tokenise `text` into `out` (reset first). Linear in the text length; allocation-free apart from
 * buffer growth. Token ids are FNV-1a hashes of the canonical characters, computed while scanning.
 * With `full` false only the ids (`hash`, `masked`), `kind` and the content stream are written — not
 * the source spans, `isNumber` nor the canonical text (`out.full` tells which), by a scan of the text's
 * UTF-8 bytes (tokenize-ids.ts); the matcher tokenises a row that way first and again in full only
 * when it needs spans or character shingles.
 */
export function tokenize(text: string, out: TokenStream = new TokenStream(), full = true): TokenStream {
  if (!tablesReady) prepareTables();
  if (!full && text.length <= IDS_SCAN_MAX_CHARS) return tokenizeIds(text, out);
  return tokenizeFull(text, out);
}

function prepareTables(): void {
  fillCharTables();
  fillByteTables();
  tablesReady = true;
  warmUp();
}

function tokenizeFull(text: string, out: TokenStream): TokenStream {
  const cls = CHAR_CLASS;
  const lower = CHAR_LOWER;
  out.reset();
  out.ensure(text.length); // at most one token per character: no growth inside the loop
  const hash = out.hash;
  const masked = out.masked;
  const isNum = out.isNumber;
  const kind = out.kind;
  const srcStart = out.srcStart;
  const srcEnd = out.srcEnd;
  const canonStart = out.canonStart;
  const canon = out.canon;
  const content = out.content;
  const contentPos = out.contentPos;
  let count = 0;
  let contentCount = 0;
  let len = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const k = cls[c]!;
    if (k === CLASS_SEP) {
      i++;
      continue;
    }
    const start = i;
    const canonFrom = len;
    let h = FNV_START;
    let tokenKind = TOKEN_SYMBOL;
    if (k === CLASS_LETTER) {
      while (i < n) {
        const d = text.charCodeAt(i);
        let l: number;
        if (((d | 0x20) - 97) >>> 0 < 26) l = d | 0x20; // ASCII letter: no table loads
        else if (d < 128 || cls[d] !== CLASS_LETTER) break;
        else l = lower[d]!;
        canon[len++] = l;
        h = Math.imul(h ^ l, FNV_PRIME);
        i++;
      }
      if (len - canonFrom > 1) tokenKind = TOKEN_WORD;
    } else if (k === CLASS_DIGIT) {
      const end = numberEnd(text, i);
      for (; i < end; i++) {
        const d = text.charCodeAt(i);
        if (d === 44) continue; // thousands separator: dropped
        canon[len++] = d;
        h = Math.imul(h ^ d, FNV_PRIME);
      }
      tokenKind = TOKEN_NUMBER;
    } else if (k === CLASS_OP || k === CLASS_SPECIAL) {
      const t = CHAR_TOKEN_TEXT[c]!;
      for (let j = 0; j < t.length; j++) canon[len++] = t.charCodeAt(j);
      h = CHAR_TOKEN_HASH[c]!;
      i++;
    } else {
      // backslash: command name or escaped character
      i++;
      if (i >= n) break;
      const d = text.charCodeAt(i);
      if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90))) {
        i++; // \\, \, \; \! \{ \} \$ \% … produce nothing
        continue;
      }
      // command name: hashed case-sensitively for the command table and lower-cased for the token id
      const nameStart = i;
      let name = FNV_START;
      while (i < n) {
        const e = text.charCodeAt(i);
        if (!((e >= 97 && e <= 122) || (e >= 65 && e <= 90))) break;
        name = Math.imul(name ^ e, FNV_PRIME);
        const l = e | 0x20;
        canon[len++] = l;
        h = Math.imul(h ^ l, FNV_PRIME);
        i++;
      }
      const e = commandAt(text, nameStart, i, name);
      if (e >= 0) {
        len = canonFrom;
        const t = COMMAND_CANONICAL[e]!;
        if (t.length === 0) continue; // layout command, or respelled to nothing
        for (let j = 0; j < t.length; j++) canon[len++] = t.charCodeAt(j);
        h = COMMAND_CANONICAL_HASH[e]!;
      }
    }
    hash[count] = h;
    kind[count] = tokenKind;
    if (tokenKind === TOKEN_NUMBER) {
      masked[count] = MASK_HASH;
      content[contentCount] = MASK_HASH;
      contentPos[contentCount++] = count;
    } else {
      masked[count] = h;
      // stopwords are at most five letters (a command such as \\in spells one too)
      if (len - canonFrom > 5 || (k !== CLASS_LETTER && k !== CLASS_BACKSLASH) || !isStopword(h)) {
        content[contentCount] = h;
        contentPos[contentCount++] = count;
      }
    }
    srcStart[count] = start;
    srcEnd[count] = i;
    isNum[count] = tokenKind === TOKEN_NUMBER ? 1 : 0;
    canonStart[count + 1] = len;
    count++;
  }
  out.full = true;
  out.count = count;
  out.contentCount = contentCount;
  out.canonLength = len;
  return out;
}

/**
 * End of the number starting at `i`: digits, a decimal point followed by a digit, and thousands
 * separators (a comma, exactly three digits, then a non-digit).
 */
function numberEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (isDigit(d) || (d === 46 && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      continue;
    }
    if (
      d === 44 &&
      i + 3 < n + 1 &&
      isDigit(text.charCodeAt(i + 1)) &&
      isDigit(text.charCodeAt(i + 2)) &&
      isDigit(text.charCodeAt(i + 3)) &&
      (i + 4 >= n || !isDigit(text.charCodeAt(i + 4)))
    ) {
      i++;
      continue;
    }
    break;
  }
  return i;
}

/** The command table's entry for the name text[from, to) with case-sensitive FNV hash `name`, or -1. */
function commandAt(text: string, from: number, to: number, name: number): number {
  const e = commandEntry(name & 0x3fffffff);
  return e >= 0 && COMMAND_NAMES[e]!.length === to - from && text.startsWith(COMMAND_NAMES[e]!, from) ? e : -1;
}

/**
 * Run the tokeniser over text that takes every branch, in both modes and through buffer growth, when
 * the tables are built. The JIT optimises tokenize() once it is hot and throws the optimised code
 * away when a branch it never saw runs (a non-ASCII letter, a thousands separator, a LaTeX alias, a
 * longer text …); on real rows those turn up one at a time, thousands of rows apart, each costing a
 * recompilation: without this the matcher's first 30k rows (index build included) took 5.08G
 * instructions instead of 4.69G (valgrind, --single-threaded). Output of later calls is unaffected
 * (the stream is reset on every call).
 */
function warmUp(): void {
  const sample =
    "Problem 1: Let $x = 3.25$, $y \\le 1,000$ and \\(z\\) with \\dfrac{a}{b} \\cdot \\left( \\alpha + β \\right) " +
    "− 2×3 ≤ π √ ∞ ≠ ≥ · ⋅ – * / ^ _ ! | < > = \\, \\{ \\$ \\text{the} of an Über ÉCOLE ٣٤ 12,3456 1,2 7. x2 😀 \\";
  const ts = new TokenStream();
  for (let r = 0; r < 12; r++) {
    tokenize(sample, ts, false);
    tokenize(sample, ts, true);
    tokenize(sample.repeat(r + 1), new TokenStream(), r % 2 === 0);
  }
}

/** Canonical token strings (tests and debugging). */
export function tokenStrings(text: string): string[] {
  const ts = tokenize(text);
  const out: string[] = [];
  for (let k = 0; k < ts.count; k++) out.push(ts.tokenText(k));
  return out;
}
