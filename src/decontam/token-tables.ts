/**
 * The decontamination tokeniser's vocabulary, shared by its two scans (tokenize.ts over UTF-16 code
 * units, tokenize-ids.ts over UTF-8 bytes): character classes, the LaTeX command table, the
 * one-character tokens, token ids (FNV-1a of the canonical text) and the stopwords.
 * The rules themselves (which commands are layout, which are other spellings) are
 * src/text/problem-rules.ts.
 */
import { FNV_OFFSET, fnv1a as fnv1aInt32 } from "../text/hash.js";
import {
  COMMAND_SPELLINGS,
  DECONTAM_COMMAND_SPELLINGS,
  DECONTAM_LAYOUT_COMMANDS,
  LAYOUT_COMMANDS,
  LAYOUT_COMMANDS_WITH_ARGUMENT,
} from "../text/problem-rules.js";

/** FNV-1a's start state as an int32 (same bits): hash state that starts as a double would stay one in the JIT */
export const FNV_START = FNV_OFFSET | 0;

/** 32-bit FNV-1a of a string, unsigned (token ids are its bits, stored as int32). */
export function fnv1a(s: string): number {
  return fnv1aInt32(s) >>> 0;
}

export const CLASS_SEP = 0;
export const CLASS_LETTER = 1;
export const CLASS_DIGIT = 2;
export const CLASS_OP = 3;
export const CLASS_BACKSLASH = 4;
/** non-ASCII characters with a canonical spelling (×, ≤, π …) */
export const CLASS_SPECIAL = 5;

/** the operator characters; `*` reads as `times` */
const OPERATORS = "+-=<>*/^_!|";

const SPECIAL = new Map<number, string>([
  [0x2212, "-"], // minus sign
  [0x2013, "-"], // en dash
  [0x00d7, "times"],
  [0x00b7, "times"],
  [0x22c5, "times"],
  [0x2264, "leq"],
  [0x2265, "geq"],
  [0x2260, "neq"],
  [0x221a, "sqrt"],
  [0x03c0, "pi"],
  [0x221e, "infty"],
]);

/** CLASS_* of every UTF-16 code unit, and its lower case; filled on first use (fillCharTables) */
export const CHAR_CLASS = new Uint8Array(65536);
export const CHAR_LOWER = new Uint16Array(65536);
let charTablesFilled = false;

/** Fill CHAR_CLASS and CHAR_LOWER (a few milliseconds: Unicode property tests of every code unit). */
export function fillCharTables(): void {
  if (charTablesFilled) return;
  const cls = CHAR_CLASS;
  const lower = CHAR_LOWER;
  const letter = /\p{L}/u;
  const digit = /\p{Nd}/u;
  for (let c = 0; c < 65536; c++) {
    lower[c] = c;
    if (c < 128) {
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
        cls[c] = CLASS_LETTER;
        lower[c] = c | 0x20;
      } else if (c >= 48 && c <= 57) cls[c] = CLASS_DIGIT;
      else if (c === 92) cls[c] = CLASS_BACKSLASH;
      else if (OPERATORS.includes(String.fromCharCode(c))) cls[c] = CLASS_OP;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) continue; // surrogate halves: separators
    if (SPECIAL.has(c)) {
      cls[c] = CLASS_SPECIAL;
      continue;
    }
    const s = String.fromCharCode(c);
    if (letter.test(s)) {
      cls[c] = CLASS_LETTER;
      const l = s.toLowerCase();
      if (l.length === 1) lower[c] = l.charCodeAt(0);
    } else if (digit.test(s)) cls[c] = CLASS_LETTER; // non-ASCII digits: kept as word characters
  }
  charTablesFilled = true;
}

/** id and canonical text of the one-character tokens (operators and special characters) */
export const CHAR_TOKEN_HASH = new Int32Array(65536);
// dense (filled), not a sparse array indexed up to U+2265: V8 keeps a sparse one as a dictionary,
// and its lookup was 7.5% of the tokeniser's time (commit ce5a3c3)
export const CHAR_TOKEN_TEXT: string[] = new Array<string>(65536).fill("");
for (let c = 0; c < 128; c++) {
  if (!OPERATORS.includes(String.fromCharCode(c))) continue;
  CHAR_TOKEN_TEXT[c] = c === 42 ? "times" : String.fromCharCode(c);
  CHAR_TOKEN_HASH[c] = fnv1a(CHAR_TOKEN_TEXT[c]!);
}
for (const [c, canonical] of SPECIAL) {
  CHAR_TOKEN_TEXT[c] = canonical;
  CHAR_TOKEN_HASH[c] = fnv1a(canonical);
}

/**
 * Layout and respelled commands by 30-bit name hash (the scans hash a name while reading it; the
 * name is compared on a hit): an open-addressing table of typed arrays. Names are case-sensitive.
 */
export const COMMAND_NAMES: string[] = [];
/** canonical text of each entry ("" = no token) and its token id */
export const COMMAND_CANONICAL: string[] = [];
export const COMMAND_CANONICAL_HASH: number[] = [];
const COMMAND_SLOTS = 512;
const COMMAND_SLOT_KEY = new Int32Array(COMMAND_SLOTS);
const COMMAND_SLOT_ENTRY = new Int16Array(COMMAND_SLOTS).fill(-1);

function addCommand(name: string, canonical: string): void {
  const key = fnv1a(name) & 0x3fffffff;
  let slot = commandSlot(key);
  while (COMMAND_SLOT_ENTRY[slot]! >= 0) {
    if (COMMAND_SLOT_KEY[slot] === key) throw new Error(`tokenize: command hash collision for \\${name}`);
    slot = (slot + 1) & (COMMAND_SLOTS - 1);
  }
  COMMAND_SLOT_KEY[slot] = key;
  COMMAND_SLOT_ENTRY[slot] = COMMAND_NAMES.length;
  COMMAND_NAMES.push(name);
  COMMAND_CANONICAL.push(canonical);
  COMMAND_CANONICAL_HASH.push(canonical.length > 0 ? fnv1a(canonical) | 0 : 0);
}

function commandSlot(key: number): number {
  return (key ^ (key >>> 9)) & (COMMAND_SLOTS - 1);
}

/** entry number of the command whose 30-bit name hash is `key`, or -1 */
export function commandEntry(key: number): number {
  let slot = commandSlot(key);
  for (;;) {
    const e = COMMAND_SLOT_ENTRY[slot]!;
    if (e < 0 || COMMAND_SLOT_KEY[slot] === key) return e;
    slot = (slot + 1) & (COMMAND_SLOTS - 1);
  }
}

for (const name of [...LAYOUT_COMMANDS, ...LAYOUT_COMMANDS_WITH_ARGUMENT, ...DECONTAM_LAYOUT_COMMANDS]) addCommand(name, "");
for (const [name, canonical] of Object.entries({ ...COMMAND_SPELLINGS, ...DECONTAM_COMMAND_SPELLINGS })) addCommand(name, canonical);

/** token id of every number in the masked streams (as stored: int32) */
export const MASK_HASH = fnv1a("#") | 0;

/**
 * Function words left out of the content stream that word n-grams are formed from, so a rewording
 * that swaps "the" for "a" or drops an "is" breaks fewer n-grams.
 */
export const STOPWORDS = [
  "a", "an", "the", "of", "is", "are", "was", "were", "be", "been", "to", "in", "on", "at", "and", "or",
  "that", "this", "these", "those", "it", "its", "for", "by", "with", "as", "which", "what", "there",
];

/**
 * A perfect hash of the stopword ids: STOP_SLOT[imul(id, STOP_MULTIPLIER) >>> 24] holds the id of the
 * stopword that lands there, so a token id is a stopword exactly when it equals its slot — one load,
 * and branch-free in tokenize-ids.ts (part of its measured 1,735 → 1,352 ns per row, commit dec0160).
 * Empty slots hold the id of "a", which lands elsewhere, so no id equals them. The multiplier is the
 * first of a fixed sequence that spreads the 29 ids over distinct slots.
 */
export const STOP_SLOT = new Int32Array(256);
export const STOP_MULTIPLIER = ((): number => {
  const ids = STOPWORDS.map((w) => fnv1a(w) | 0);
  for (let k = 0; ; k++) {
    const mult = (0x9e3779b1 + 2 * k) | 0;
    const slots = ids.map((h) => Math.imul(h, mult) >>> 24);
    if (new Set(slots).size !== ids.length) continue;
    STOP_SLOT.fill(ids[0]!);
    ids.forEach((h, j) => (STOP_SLOT[slots[j]!] = h));
    return mult;
  }
})();

/** is the token id (int32, as stored in a TokenStream) one of STOPWORDS? */
export function isStopword(h: number): boolean {
  return STOP_SLOT[Math.imul(h, STOP_MULTIPLIER) >>> 24] === h;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
