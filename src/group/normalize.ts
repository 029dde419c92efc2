/**
 * Problem-text normalisation for near-duplicate detection, as a single linear scanner (no regexes):
 *
 * - case folded (ASCII on the fly, other letters per code unit), whitespace of any kind collapsed;
 * - LaTeX layout removed: `$`, `\(`, `\)`, `\[`, `\]`, grouping braces, `~`, spacing commands
 *   (`\,` `\;` `\!` `\quad` `\hspace{..}` …), sizing (`\left` `\right` `\big` …), style wrappers
 *   (`\text` `\mathrm` `\displaystyle` …); `\dfrac`/`\tfrac` → `\frac`, `\le` → `\leq`, …;
 * - sentence punctuation (`. , ; : ? "`) dropped, except a decimal point between digits;
 *   operators and brackets (`+ - * / = < > ^ _ ( ) [ ] | ! '`) kept as one-character tokens;
 * - an Asymptote diagram (`[asy] … [/asy]`) becomes one token (hash of its case-folded non-space characters);
 * - a leading statement number ("Problem 3.", "12)", "(4)", "Question #2:") removed;
 * - stock prompt prefixes / suffixes ("Please reason step by step, and put your final answer
 *   within \boxed{}." and the like) removed, compared token by token so spacing variants match.
 *
 * The output is a sequence of 32-bit token hashes (int32), ready for shingling. Which commands are
 * layout or other spellings, and the stock phrases, are src/text/problem-rules.ts (shared with the
 * decontamination tokeniser, whose tokens differ: see there).
 */
import { FNV_OFFSET, FNV_PRIME as SHARED_FNV_PRIME, fmix32 } from "../text/hash.js";
import {
  COMMAND_SPELLINGS,
  DEDUPE_COMMAND_SPELLINGS,
  DEDUPE_LAYOUT_COMMANDS,
  DEDUPE_LAYOUT_COMMANDS_WITH_ARGUMENT,
  LAYOUT_COMMANDS,
  LAYOUT_COMMANDS_WITH_ARGUMENT,
  STATEMENT_NUMBER_WORDS,
  STOCK_PHRASES,
} from "../text/problem-rules.js";

const FNV_INIT = FNV_OFFSET | 0;
/** a module constant, as in src/decontam/tokenize-ids.ts: through the import binding a hot loop pays for every read */
const FNV_PRIME = SHARED_FNV_PRIME;
const CMD_SEED = 0x5c5c5c5c;
const PUNCT_SEED = 0x2f2f2f2f;
const ASY_SEED = 0x61737921;

/** Commands that carry no content: skipped entirely. */
const SKIP_COMMANDS = new Set([...LAYOUT_COMMANDS, ...DEDUPE_LAYOUT_COMMANDS]);
/** Commands whose one braced argument is layout too (`\hspace{1cm}`). */
const SKIP_WITH_ARGUMENT = new Set([...LAYOUT_COMMANDS_WITH_ARGUMENT, ...DEDUPE_LAYOUT_COMMANDS_WITH_ARGUMENT]);
/** Other spellings (a Map: a command named like an Object property, `\constructor`, is no spelling) */
const COMMAND_ALIASES = new Map(Object.entries({ ...COMMAND_SPELLINGS, ...DEDUPE_COMMAND_SPELLINGS }));

function isSpace(c: number): boolean {
  return c <= 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x2028 ||
    c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
function isAsciiLetter(c: number): boolean {
  return c >= 97 && c <= 122;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function punctHash(c: number): number {
  return fmix32(Math.imul(c, 0x9e3779b1) ^ PUNCT_SEED);
}
function commandHash(name: string): number {
  if (name.length === 1 && !isAsciiLetter(name.charCodeAt(0))) return punctHash(name.charCodeAt(0));
  let h = FNV_INIT ^ CMD_SEED;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
  return fmix32(h);
}

/** Growable int32 token buffer reused across calls. */
export class TokenBuffer {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }
  grow(): void {
    const next = new Int32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

/** Index after a leading statement number such as "Problem 3.", "12)", "(4)", "Question #2:"; 0 if none. */
export function leadingNumberEnd(t: string): number {
  const n = t.length;
  let i = 0;
  while (i < n && isSpace(t.charCodeAt(i))) i++;
  let sawWord = false;
  for (const word of STATEMENT_NUMBER_WORDS) {
    if (t.startsWith(word, i)) {
      const after = i + word.length;
      if (after < n && (isSpace(t.charCodeAt(after)) || t.charCodeAt(after) === 35 || isDigit(t.charCodeAt(after)))) {
        i = after;
        sawWord = true;
      }
      break;
    }
  }
  while (i < n && isSpace(t.charCodeAt(i))) i++;
  let paren = false;
  if (i < n && t.charCodeAt(i) === 40) { paren = true; i++; }
  if (i < n && t.charCodeAt(i) === 35) i++; // '#'
  const digitsStart = i;
  while (i < n && i - digitsStart < 6 && (isDigit(t.charCodeAt(i)) || (t.charCodeAt(i) === 46 && i + 1 < n && isDigit(t.charCodeAt(i + 1)) && i > digitsStart))) i++;
  if (i === digitsStart) return 0;
  const c = i < n ? t.charCodeAt(i) : 32;
  if (paren) {
    if (c !== 41) return 0;
    i++;
  } else if (c === 46 || c === 41 || c === 58) {
    i++;
  } else if (!(sawWord && isSpace(c))) {
    return 0; // "3 people sit at a table": a number that belongs to the statement
  }
  if (i < n && !isSpace(t.charCodeAt(i))) return 0;
  return i;
}

/** Character classes of ASCII code units (index = code unit). */
const SPACE = 0, WORD = 1, DROP = 2, PUNCT = 3, BACKSLASH = 4, DOT = 5;
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128).fill(PUNCT);
  for (let c = 0; c <= 32; c++) t[c] = SPACE;
  for (let c = 48; c <= 57; c++) t[c] = WORD;
  for (let c = 65; c <= 90; c++) t[c] = WORD;
  for (let c = 97; c <= 122; c++) t[c] = WORD;
  for (const ch of "${}~,;:?\"`") t[ch.charCodeAt(0)] = DROP;
  t[46] = DOT;
  t[92] = BACKSLASH;
  t[127] = SPACE;
  return t;
})();

/** Lower case of one non-ASCII UTF-16 unit (unchanged when lower-casing would change the length). */
function lowerUnit(d: number): number {
  if ((d >= 0xc0 && d <= 0xde && d !== 0xd7) || (d >= 0x391 && d <= 0x3a9) || (d >= 0x410 && d <= 0x42f)) return d + 32;
  if (d < 0x100 || (d >= 0x3b1 && d <= 0x3c9) || (d >= 0x430 && d <= 0x44f) || (d >= 0x3000 && d <= 0x9fff)) return d;
  const l = String.fromCharCode(d).toLowerCase();
  return l.length === 1 ? l.charCodeAt(0) : d;
}

function classOf(c: number): number {
  return c < 128 ? ASCII_CLASS[c]! : isSpace(c) ? SPACE : WORD;
}

/**
 * Appends the token hashes of `text` from `start` to `out`, case-folded on the fly.
 * Linear time: every code unit is looked at a bounded number of times.
 */
export function tokenizeInto(text: string, start: number, out: TokenBuffer): void {
  const n = text.length;
  let i = start;
  while (i < n) {
    const c = text.charCodeAt(i);
    const cls = classOf(c);
    if (cls === SPACE) { i++; continue; }
    if (cls === WORD) {
      // fast path: two ASCII word characters per multiply (the text is already lower-cased);
      // slow path: one unit (decimal point between digits, non-ASCII letters)
      let h = FNV_INIT;
      for (;;) {
        if (i + 1 < n) {
          const x = text.charCodeAt(i);
          const y = text.charCodeAt(i + 1);
          if (x < 128 && y < 128 && ASCII_CLASS[x] === WORD && ASCII_CLASS[y] === WORD) {
            // `| 32` folds ASCII letters to lower case and leaves digits as they are
            h = Math.imul(h ^ ((x | 32) | ((y | 32) << 16)), FNV_PRIME);
            i += 2;
            continue;
          }
        }
        if (i >= n) break;
        let d = text.charCodeAt(i);
        if (d < 128) {
          const k = ASCII_CLASS[d]!;
          if (k !== WORD && !(k === DOT && isDigit(text.charCodeAt(i - 1)) && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) break;
          d |= 32; // lower case; digits and '.' are unchanged
        } else if (isSpace(d)) break;
        else d = lowerUnit(d);
        h = Math.imul(h ^ d, FNV_PRIME);
        i++;
      }
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      if (out.length === out.data.length) out.grow();
      out.data[out.length++] = h;
      continue;
    }
    if (cls === DROP || cls === DOT) { i++; continue; }
    if (cls === BACKSLASH) {
      // backslash: command, escaped symbol or layout
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 32;
      if (isAsciiLetter(next) || (next >= 65 && next <= 90)) {
        let j = i + 1;
        while (j < n && (isAsciiLetter(text.charCodeAt(j)) || (text.charCodeAt(j) >= 65 && text.charCodeAt(j) <= 90))) j++;
        let name = text.slice(i + 1, j).toLowerCase();
        if (j < n && text.charCodeAt(j) === 42) { name += "*"; j++; }
        i = j;
        if (SKIP_COMMANDS.has(name)) continue;
        if (SKIP_WITH_ARGUMENT.has(name)) {
          while (i < n && isSpace(text.charCodeAt(i))) i++;
          if (i < n && text.charCodeAt(i) === 123) {
            const close = text.indexOf("}", i);
            i = close < 0 ? n : close + 1;
          }
          continue;
        }
        out.push(commandHash(COMMAND_ALIASES.get(name) ?? name));
        continue;
      }
      // `\,` `\;` `\:` `\!` `\ ` spacing; `\(` `\)` `\[` `\]` math delimiters; `\\` line break
      if (next === 44 || next === 59 || next === 58 || next === 33 || isSpace(next) || next === 40 ||
          next === 41 || next === 91 || next === 93 || next === 92) {
        i += 2;
        continue;
      }
      // `\{` `\}` set braces and escaped `$ % & # _` are content
      if (next === 123 || next === 125 || next === 36 || next === 37 || next === 38 || next === 35 || next === 95) {
        out.push(punctHash(next));
        i += 2;
        continue;
      }
      i += 1;
      continue;
    }
    if (c === 91 && i + 4 < n && (text.charCodeAt(i + 1) | 32) === 97 && (text.charCodeAt(i + 2) | 32) === 115 &&
        (text.charCodeAt(i + 3) | 32) === 121 && text.charCodeAt(i + 4) === 93) {
      // an Asymptote diagram is one token: equal diagrams match, and a long diagram cannot
      // outweigh the question asked about it
      let close = text.indexOf("[/asy]", i + 5);
      if (close < 0) close = text.indexOf("[/ASY]", i + 5);
      const end = close < 0 ? n : close;
      let h = FNV_INIT ^ ASY_SEED;
      for (let j = i + 5; j < end; j++) {
        const d = text.charCodeAt(j);
        // case-folded: a re-typed copy with other capitals keeps its diagram (4 % of reformatted planted copies missed without)
        if (d > 32) h = Math.imul(h ^ (d >= 65 && d <= 90 ? d | 32 : d), FNV_PRIME);
      }
      out.push(fmix32(h));
      i = close < 0 ? n : close + 6;
      continue;
    }
    out.push(punctHash(c));
    i++;
  }
}

function tokenizePhrase(phrase: string): Int32Array {
  const buf = new TokenBuffer();
  tokenizeInto(phrase.toLowerCase(), 0, buf);
  return buf.data.slice(0, buf.length);
}

/** Tokeniser for problem statements with a configurable list of stock phrases to remove. */
export class ProblemTokenizer {
  private readonly phrases: Int32Array[];
  private readonly buffer = new TokenBuffer();

  constructor(extraPhrases: readonly string[] = [], useStockPhrases = true) {
    const all = [...(useStockPhrases ? STOCK_PHRASES : []), ...extraPhrases];
    this.phrases = all.map(tokenizePhrase).filter((p) => p.length > 0);
    // longest first so "please put your final answer…" wins over "put your final answer…"
    this.phrases.sort((a, b) => b.length - a.length);
  }

  /**
   * Token hashes of the normalised text. Returns a view into an internal buffer that the next call
   * overwrites; copy it (`.slice()`) to keep it.
   */
  tokens(text: string, stripNumbering = true): Int32Array {
    const buf = this.buffer;
    buf.length = 0;
    let start = 0;
    if (stripNumbering) {
      // the statement number sits in the first few characters; lower-case only those
      const head = text.slice(0, 64);
      const lower = head.toLowerCase();
      if (lower.length === head.length) start = leadingNumberEnd(lower);
    }
    tokenizeInto(text, start, buf);
    let lo = 0;
    let hi = buf.length;
    const d = buf.data;
    for (let changed = true; changed && lo < hi; ) {
      changed = false;
      for (const p of this.phrases) {
        const m = p.length;
        if (m > hi - lo) continue;
        let prefix = true;
        for (let k = 0; k < m; k++) if (d[lo + k] !== p[k]) { prefix = false; break; }
        if (prefix) { lo += m; changed = true; continue; }
        let suffix = true;
        for (let k = 0; k < m; k++) if (d[hi - m + k] !== p[k]) { suffix = false; break; }
        if (suffix) { hi -= m; changed = true; }
      }
    }
    return d.subarray(lo, hi);
  }
}
