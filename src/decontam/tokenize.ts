/**
 * Problem-text tokeniser for decontamination: one linear scan, no regexes, reusable typed buffers.
 *
 * What counts as a token (all lower-cased):
 * - a run of letters (ASCII or any Unicode letter);
 * - a number: digits, with `.` before a digit and thousands commas (`1,000`) kept inside it;
 *   letters and digits split (`2x` → `2`, `x`);
 * - a LaTeX command name, canonicalised (`\dfrac`/`\tfrac` → `frac`, `\le` → `leq`, `\cdot` → `times`);
 *   layout commands (`\left`, `\displaystyle`, `\text`, `\mathrm`, `\,` …) vanish;
 * - one of the operator characters `+ - = < > / ^ _ ! |` (`*` and `×` read as `times`).
 * Everything else — `$` delimiters, braces, brackets, punctuation, whitespace — separates tokens and
 * is dropped, so LaTeX spacing, `$…$` vs `\(…\)` and line breaks do not change the token stream.
 *
 * Each token keeps its character span in the original text (for reporting matched spans) and two
 * 32-bit ids: `hash` (the token itself) and `masked` (every number becomes `#`, for digit-insensitive
 * matching). The canonical characters of all tokens are concatenated in `canon` (for character
 * shingles on short problems).
 */

import { Utf8Bytes } from "../text/code-units.js";

const CLASS_SEP = 0;
const CLASS_LETTER = 1;
const CLASS_DIGIT = 2;
const CLASS_OP = 3;
const CLASS_BACKSLASH = 4;
const CLASS_SPECIAL = 5; // non-ASCII characters with a canonical spelling (×, ≤, π …)

let classTable: Uint8Array | null = null;
let lowerTable: Uint16Array | null = null;
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

function tables(): { cls: Uint8Array; lower: Uint16Array } {
  if (classTable && lowerTable) return { cls: classTable, lower: lowerTable };
  const cls = new Uint8Array(65536);
  const lower = new Uint16Array(65536);
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
      else if ("+-=<>*/^_!|".includes(String.fromCharCode(c))) cls[c] = CLASS_OP;
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
  classTable = cls;
  lowerTable = lower;
  byteTables(cls);
  warmUp();
  return { cls, lower };
}

/** LaTeX commands that produce no token (layout, fonts, spacing). */
const SKIP_COMMANDS = new Set([
  "left", "right", "big", "bigl", "bigr", "Big", "Bigl", "Bigr", "bigg", "biggl", "biggr", "Bigg", "Biggl", "Biggr",
  "displaystyle", "textstyle", "scriptstyle", "text", "textbf", "textit", "textrm", "textnormal", "texttt",
  "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathcal", "mathbb", "mathscr", "mathfrak", "boldsymbol",
  "bm", "operatorname", "mbox", "hbox", "emph", "rm", "bf", "it", "quad", "qquad", "hspace", "vspace",
  "limits", "nolimits", "noindent", "newline", "hline", "ldots", "cdots", "dots", "dotsc", "dotsb", "dotsm",
  "vdots", "ddots", "begin", "end", "tiny", "small", "large", "Large", "LARGE", "normalsize", "phantom",
  "underline", "overline", "boxed", "tag", "nonumber", "label", "medskip", "smallskip", "bigskip",
]);

/** LaTeX commands spelled differently with the same meaning. */
const COMMAND_ALIAS = new Map<string, string>([
  ["dfrac", "frac"], ["tfrac", "frac"], ["cfrac", "frac"],
  ["dbinom", "binom"], ["tbinom", "binom"],
  ["le", "leq"], ["leqslant", "leq"], ["ge", "geq"], ["geqslant", "geq"], ["ne", "neq"],
  ["cdot", "times"], ["lvert", "|"], ["rvert", "|"], ["vert", "|"], ["mid", "|"],
  ["lbrace", ""], ["rbrace", ""], ["lbrack", ""], ["rbrack", ""], ["langle", ""], ["rangle", ""],
  ["to", "rightarrow"], ["gets", "leftarrow"], ["varepsilon", "epsilon"], ["varphi", "phi"],
]);

const FNV_OFFSET = 0x811c9dc5;
/** the offset basis as an int32 (same bits): hash state that starts as a double would stay one in the JIT */
const FNV_OFFSET_I32 = FNV_OFFSET | 0;
const FNV_PRIME = 0x01000193;

/**
 * Skipped and aliased commands by 30-bit name hash (the name is compared on a hit): an open-addressing
 * table of typed arrays, probed for every command in the text.
 */
const COMMAND_NAMES: string[] = [];
const COMMAND_CANONICAL: string[] = [];
const COMMAND_CANONICAL_HASH: number[] = [];
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
function commandEntry(key: number): number {
  let slot = commandSlot(key);
  for (;;) {
    const e = COMMAND_SLOT_ENTRY[slot]!;
    if (e < 0 || COMMAND_SLOT_KEY[slot] === key) return e;
    slot = (slot + 1) & (COMMAND_SLOTS - 1);
  }
}
for (const name of SKIP_COMMANDS) addCommand(name, "");
for (const [name, canonical] of COMMAND_ALIAS) addCommand(name, canonical);

/** 32-bit FNV-1a of a string (used for canonical token ids). */
export function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

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
 * stopword that lands there, so a token id is a stopword exactly when it equals its slot: one load
 * (isStopword), and branch-free in tokenizeIds. Empty slots hold the id of "a", which lands elsewhere, so no id equals them. The
 * multiplier is the first of a fixed sequence that spreads the 29 ids over distinct slots.
 */
const STOP_SLOT = new Int32Array(256);
const STOP_MULTIPLIER = ((): number => {
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

export const TOKEN_WORD = 0;
export const TOKEN_NUMBER = 1;
export const TOKEN_SYMBOL = 2;

/** Reusable token buffers. `count` tokens are valid; buffers grow as needed. */
export class TokenStream {
  count = 0;
  /**
   * token id (unmasked): FNV-1a of the canonical text, stored as int32 (the bits of the unsigned
   * fnv1a value) so that loads stay small integers in the JIT's eyes
   */
  hash = new Int32Array(256);
  /** token id with numbers masked */
  masked = new Int32Array(256);
  /** 1 when the token is a number */
  isNumber = new Uint8Array(256);
  /** TOKEN_WORD, TOKEN_NUMBER or TOKEN_SYMBOL (operator, single letter, LaTeX command) */
  kind = new Uint8Array(256);
  /** character span in the source text: [srcStart, srcEnd) */
  srcStart = new Uint32Array(256);
  srcEnd = new Uint32Array(256);
  /** span of the token's canonical characters in `canon` */
  canonStart = new Uint32Array(257);
  canon = new Uint16Array(1024);
  canonLength = 0;
  /** content stream: masked ids of the tokens that are not stopwords, and their token positions */
  contentCount = 0;
  content = new Int32Array(256);
  contentPos = new Uint32Array(256);
  /** were spans, isNumber and the canonical text written (tokenize's `full`)? */
  full = true;

  reset(): void {
    this.count = 0;
    this.contentCount = 0;
    this.canonLength = 0;
    this.canonStart[0] = 0;
  }

  private growTokens(): void {
    const n = this.hash.length * 2;
    const grow32 = (a: Uint32Array, len = n) => {
      const b = new Uint32Array(len);
      b.set(a);
      return b;
    };
    const growI32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.hash = growI32(this.hash);
    this.masked = growI32(this.masked);
    this.srcStart = grow32(this.srcStart);
    this.srcEnd = grow32(this.srcEnd);
    this.canonStart = grow32(this.canonStart, n + 1);
    this.content = growI32(this.content);
    this.contentPos = grow32(this.contentPos);
    const num = new Uint8Array(n);
    num.set(this.isNumber);
    this.isNumber = num;
    const kind = new Uint8Array(n);
    kind.set(this.kind);
    this.kind = kind;
  }

  /** make room for a text of `chars` characters: at most one token per character, ≤ 5 canonical characters each */
  ensure(chars: number): void {
    while (this.hash.length < chars + 2) this.growTokens();
    this.reserveCanon(chars * 5 + 16);
  }

  /** room for `extra` more canonical characters */
  reserveCanon(extra: number): void {
    if (this.canonLength + extra <= this.canon.length) return;
    let n = this.canon.length * 2;
    while (n < this.canonLength + extra) n *= 2;
    const b = new Uint16Array(n);
    b.set(this.canon.subarray(0, this.canonLength));
    this.canon = b;
  }

  /** canonical text of token k (for debugging and reports) */
  tokenText(k: number): string {
    return String.fromCharCode(...this.canon.subarray(this.canonStart[k]!, this.canonStart[k + 1]!));
  }
}

/** hash, canonical text and kind of the one-character tokens (operators and special characters) */
const CHAR_TOKEN_HASH = new Int32Array(65536);
// dense (filled), not a sparse array indexed up to U+2265: V8 keeps a sparse one as a dictionary,
// and its lookup was 7.5% of the tokeniser's time
const CHAR_TOKEN_TEXT: string[] = new Array<string>(65536).fill("");
for (let c = 0; c < 128; c++) {
  if (!"+-=<>*/^_!|".includes(String.fromCharCode(c))) continue;
  CHAR_TOKEN_TEXT[c] = c === 42 ? "times" : String.fromCharCode(c);
  CHAR_TOKEN_HASH[c] = fnv1a(CHAR_TOKEN_TEXT[c]!);
}
for (const [c, canonical] of SPECIAL) {
  CHAR_TOKEN_TEXT[c] = canonical;
  CHAR_TOKEN_HASH[c] = fnv1a(canonical);
}

/**
 * Tokenise `text` into `out` (reset first). Linear in the text length; allocation-free apart from
 * buffer growth. Token ids are FNV-1a hashes of the canonical characters, computed while scanning.
 * With `full` false only the ids (`hash`, `masked`), `kind` and the content stream are written — not
 * the source spans, `isNumber` nor the canonical text (`out.full` tells which), by a scan of the text's
 * UTF-8 bytes (tokenizeIds); the matcher tokenises a row that way first and again in full only when it
 * needs spans or character shingles.
 */
export function tokenize(text: string, out: TokenStream = new TokenStream(), full = true): TokenStream {
  if (!full) return tokenizeIds(text, out);
  if (classTable === null) tables();
  const cls = classTable!;
  const lower = lowerTable!;
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
    let h = FNV_OFFSET_I32;
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
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 48 && d <= 57) {
          canon[len++] = d;
          h = Math.imul(h ^ d, FNV_PRIME);
          i++;
          continue;
        }
        // decimal point followed by a digit stays inside the number
        if (d === 46 && i + 1 < n && isDigit(text.charCodeAt(i + 1))) {
          canon[len++] = 46;
          h = Math.imul(h ^ 46, FNV_PRIME);
          i++;
          continue;
        }
        // thousands separator: exactly three digits then a non-digit
        if (
          d === 44 &&
          i + 3 < n + 1 &&
          isDigit(text.charCodeAt(i + 1)) &&
          isDigit(text.charCodeAt(i + 2)) &&
          isDigit(text.charCodeAt(i + 3)) &&
          (i + 4 >= n || !isDigit(text.charCodeAt(i + 4)))
        ) {
          i++; // drop the comma, keep reading digits
          continue;
        }
        break;
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
      // command name: hashed case-sensitively for the command table (30-bit, so Map keys stay small
      // integers) and lower-cased for the token id
      const nameStart = i;
      let name = FNV_OFFSET_I32;
      while (i < n) {
        const e = text.charCodeAt(i);
        if (!((e >= 97 && e <= 122) || (e >= 65 && e <= 90))) break;
        name = Math.imul(name ^ e, FNV_PRIME);
        const l = e | 0x20;
        canon[len++] = l;
        h = Math.imul(h ^ l, FNV_PRIME);
        i++;
      }
      const e = commandEntry(name & 0x3fffffff);
      if (e >= 0 && COMMAND_NAMES[e]!.length === i - nameStart && text.startsWith(COMMAND_NAMES[e]!, nameStart)) {
        len = canonFrom;
        const t = COMMAND_CANONICAL[e]!;
        if (t.length === 0) continue; // layout command, or alias to nothing
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

/** the text's UTF-8 bytes for tokenizeIds (one per thread: the module is loaded once per worker) */
const BYTES = new Utf8Bytes();

/** bytes in the UTF-8 sequence led by byte `b` (encodeInto writes well-formed UTF-8 only) */
function utf8Width(b: number): number {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** the BMP code point of the 2- or 3-byte sequence at `i` (lead byte `c`) */
function utf8Bmp(b: Uint8Array, i: number, c: number): number {
  return c < 0xe0 ? ((c & 31) << 6) | (b[i + 1]! & 63) : ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
}

/*
 * Byte tables of the ids scan (tokenizeIds), built with the character tables. `.` and `,` take the
 * slow path: after a number they may continue it.
 */
const B_SEP = 0;
const B_LETTER = 1;
const B_DIGIT = 2;
const B_OP = 3;
/** in the scan: a byte the table does not decide (backslash, non-ASCII, `.`, `,`); as a token class: a command */
const B_SLOW = 4;
/** tokenizeIds's per-token scratch (at most one token per character; longer texts take the full scan) */
const SCRATCH_TOKENS = 1 << 16;
const SCRATCH_HASH = new Int32Array(SCRATCH_TOKENS + 2);
const SCRATCH_INFO = new Uint32Array(SCRATCH_TOKENS + 2);
/** B_* class of a byte */
const BYTE_CLASS = new Uint8Array(256);
/** the value a letter or digit byte adds to its token's FNV hash (letters lower-cased) */
const BYTE_LOW = new Int32Array(256);
/** the hash of a token that starts with the byte: one FNV step for letters and digits, the operator's id */
const BYTE_START = new Int32Array(256);
/** TOKEN_* kind of a token of class B_* (c) with `big` 1 when it has more than one character: KIND_OF[c << 1 | big] */
const KIND_OF = new Uint8Array(10).fill(TOKEN_SYMBOL);
KIND_OF[(B_LETTER << 1) | 1] = TOKEN_WORD;
KIND_OF[B_DIGIT << 1] = TOKEN_NUMBER;
KIND_OF[(B_DIGIT << 1) | 1] = TOKEN_NUMBER;
/** bit prev << 2 | class: set when a byte of that class extends a token of class prev (runs of letters, of digits) */
const CONTINUES_BITS = (1 << ((B_LETTER << 2) | B_LETTER)) | (1 << ((B_DIGIT << 2) | B_DIGIT));

function byteTables(cls: Uint8Array): void {
  for (let c = 0; c < 256; c++) {
    let k = B_SLOW;
    if (c < 128) {
      const kc = cls[c]!;
      if (kc === CLASS_LETTER) {
        k = B_LETTER;
        BYTE_LOW[c] = c | 0x20;
        BYTE_START[c] = Math.imul(FNV_OFFSET_I32 ^ (c | 0x20), FNV_PRIME);
      } else if (kc === CLASS_DIGIT) {
        k = B_DIGIT;
        BYTE_LOW[c] = c;
        BYTE_START[c] = Math.imul(FNV_OFFSET_I32 ^ c, FNV_PRIME);
      } else if (kc === CLASS_OP) {
        k = B_OP;
        BYTE_START[c] = CHAR_TOKEN_HASH[c]!;
      } else if (kc === CLASS_SEP) k = B_SEP;
    }
    BYTE_CLASS[c] = c === 46 || c === 44 ? B_SLOW : k;
  }
}

/**
 * tokenize(text, out, false): the ids, kinds and content stream — the same values as the full scan
 * writes — from the text's UTF-8 bytes (`TextEncoder.encodeInto`, native); no spans nor canonical text
 * (those are UTF-16 offsets, which only the full scan keeps).
 *
 * Most bytes (ASCII letters, digits, operators, separators) take a branch-free step: the byte's class
 * says whether it extends the current token; the current token's hash and class are stored at slot
 * `count` on every byte, and `count` advances by one exactly when a token ends, so a token boundary
 * costs no mispredicted branch (the scan by characters lost most of its time there). Backslash
 * commands, non-ASCII characters, `.` and `,` take the slow path, which ends the current token
 * unless a number goes on. A second pass over the tokens writes kinds, masked ids and the content stream.
 * A character outside the BMP is a separator, as its two UTF-16 halves are in the full scan; a lone
 * surrogate (U+FFFD in the bytes) is one too.
 */
function tokenizeIds(text: string, out: TokenStream): TokenStream {
  // a text too long for the scratch arrays: the full scan (the same ids, and more)
  if (text.length > SCRATCH_TOKENS) return tokenize(text, out, true);
  if (classTable === null) tables();
  const cls = classTable!;
  const lower = lowerTable!;
  out.reset();
  out.ensure(text.length);
  const n = BYTES.of(text);
  const b = BYTES.buf;
  // each token's hash and class | length << 3, in module-level arrays: V8 compiles the fixed arrays'
  // addresses into the loop, where a TokenStream's (a parameter's) arrays had their type and bounds
  // checked again on every byte
  const hash = SCRATCH_HASH;
  const info = SCRATCH_INFO;
  const byteClass = BYTE_CLASS;
  const byteLow = BYTE_LOW;
  const byteStart = BYTE_START;
  let count = 0;
  let prev = B_SEP; // class of the token being read (B_SEP: none)
  let h = 0;
  let len = 0; // characters of the token being read
  let i = 0;
  for (;;) {
    // the fast steps, in a loop of their own without the slow path's calls (~5% faster)
    let c = 0;
    while (i < n) {
      c = b[i]!;
      const k = byteClass[c]!;
      if (k === B_SLOW) break;
      const cont = (CONTINUES_BITS >>> ((prev << 2) | k)) & 1;
      hash[count] = h;
      info[count] = prev | (len << 3);
      // a token was being read (prev 1–3: (prev + 3) >>> 2 is 1) and this byte does not extend it;
      // no negation here: -0 is not an integer to V8, and would turn the step into float arithmetic
      count += ((prev + 3) >>> 2) & (cont ^ 1);
      const keep = 0 - cont; // all ones when the byte extends the token
      h = (Math.imul(h ^ byteLow[c]!, FNV_PRIME) & keep) | (byteStart[c]! & ~keep);
      len = (len & keep) + 1;
      prev = k;
      i++;
    }
    if (i >= n) break;
    if (prev === B_DIGIT) {
      // decimal point followed by a digit, or a thousands separator (exactly three digits then a
      // non-digit): the number goes on
      if (c === 46 && i + 1 < n && isDigit(b[i + 1]!)) {
        h = Math.imul(h ^ 46, FNV_PRIME);
        i++;
        continue;
      }
      if (c === 44 && i + 3 < n && isDigit(b[i + 1]!) && isDigit(b[i + 2]!) && isDigit(b[i + 3]!) && (i + 4 >= n || !isDigit(b[i + 4]!))) {
        i++;
        continue;
      }
    }
    // a non-ASCII letter goes on a word
    let w = 1;
    let cp = c;
    if (c >= 0x80) {
      w = utf8Width(c);
      cp = w === 4 ? 0 : utf8Bmp(b, i, c); // outside the BMP: a separator (class of U+0000)
      if (prev === B_LETTER && cls[cp] === CLASS_LETTER) {
        h = Math.imul(h ^ lower[cp]!, FNV_PRIME);
        len++;
        i += w;
        continue;
      }
    }
    // the end of the current token
    if (prev !== B_SEP) {
      hash[count] = h;
      info[count++] = prev | (len << 3);
    }
    prev = B_SEP;
    i += w;
    if (c >= 0x80) {
      const kc = cls[cp]!;
      if (kc === CLASS_LETTER) {
        h = Math.imul(FNV_OFFSET_I32 ^ lower[cp]!, FNV_PRIME);
        len = 1;
        prev = B_LETTER;
      } else if (kc === CLASS_SPECIAL) {
        hash[count] = CHAR_TOKEN_HASH[cp]!;
        info[count++] = B_OP | (1 << 3);
      }
      continue;
    }
    if (c !== 92) continue; // `.` or `,` not inside a number: a separator
    // backslash: command name or escaped character
    if (i >= n) break;
    const d = b[i]!;
    if (((d | 0x20) - 97) >>> 0 >= 26) {
      i += utf8Width(d); // \\, \, \{ \$ … produce nothing
      continue;
    }
    const nameStart = i;
    let name = FNV_OFFSET_I32;
    let ch = FNV_OFFSET_I32;
    while (i < n) {
      const e = b[i]!;
      if (((e | 0x20) - 97) >>> 0 >= 26) break;
      name = Math.imul(name ^ e, FNV_PRIME);
      ch = Math.imul(ch ^ (e | 0x20), FNV_PRIME);
      i++;
    }
    let clen = i - nameStart;
    const e = commandEntry(name & 0x3fffffff);
    if (e >= 0 && sameName(b, nameStart, clen, COMMAND_NAMES[e]!)) {
      const t = COMMAND_CANONICAL[e]!;
      if (t.length === 0) continue; // layout command, or alias to nothing
      clen = t.length;
      ch = COMMAND_CANONICAL_HASH[e]!;
    }
    hash[count] = ch;
    info[count++] = B_SLOW | (clen << 3);
  }
  if (prev !== B_SEP) {
    hash[count] = h;
    info[count++] = prev | (len << 3);
  }
  BYTES.shrink();
  const cc = idsKinds(out, count);
  out.full = false;
  out.count = count;
  out.contentCount = cc;
  out.canonLength = 0;
  return out;
}

/**
 * tokenizeIds's second pass over its `count` tokens (in the scratch arrays): ids, kinds, masked ids and
 * the content stream. Returns the content count.
 */
function idsKinds(out: TokenStream, count: number): number {
  // (stopwords are at most five letters; a command such as \\in spells one too)
  const scratchHash = SCRATCH_HASH;
  const info = SCRATCH_INFO;
  const hash = out.hash;
  const masked = out.masked;
  const kind = out.kind;
  const content = out.content;
  const contentPos = out.contentPos;
  // Branch-free as well (the kind and whether a token is content are data-dependent, and branching
  // on them cost more than the byte scan): each token's slot in the content stream is written, and
  // the stream advances when the token is content.
  const kindOf = KIND_OF;
  const stopSlot = STOP_SLOT;
  const stopMult = STOP_MULTIPLIER;
  const maskId = MASK_HASH;
  let cc = 0;
  for (let t = 0; t < count; t++) {
    const inf = info[t]!;
    const tc = inf & 7;
    const tl = inf >>> 3;
    const id = scratchHash[t]!;
    hash[t] = id;
    const num = ((tc ^ B_DIGIT) - 1) >> 31; // all ones for a number
    const m = (maskId & num) | (id & ~num);
    kind[t] = kindOf[(tc << 1) | ((1 - tl) >>> 31)]!;
    masked[t] = m;
    content[cc] = m;
    contentPos[cc] = t;
    // content: a number, an operator, a word or command longer than five letters, or not a stopword
    // (comparisons as arithmetic: V8 compiles `a === b ? 1 : 0` to a branch, which mispredicts here)
    const x = stopSlot[Math.imul(id, stopMult) >>> 24]! ^ id; // 0 for a stopword
    const stop = (((x | Math.imul(x, -1)) >>> 31) ^ 1) & ((tl - 6) >>> 31);
    cc += (num & 1) | (((tc ^ B_OP) - 1) >>> 31) | (stop ^ 1);
  }
  return cc;
}

/** are the `len` bytes at `at` the (ASCII) command name `name`? */
function sameName(b: Uint8Array, at: number, len: number, name: string): boolean {
  if (name.length !== len) return false;
  for (let j = 0; j < len; j++) if (b[at + j] !== name.charCodeAt(j)) return false;
  return true;
}

/**
 * Run the tokeniser over text that takes every branch, in both modes and through buffer growth, when
 * the tables are built. The JIT optimises tokenize() once it is hot and throws the optimised code
 * away when a branch it never saw runs (a non-ASCII letter, a thousands separator, a LaTeX alias, a
 * longer text …); on real rows those turn up one at a time, thousands of rows apart, each costing a
 * recompilation. Output of later calls is unaffected (the stream is reset on every call).
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

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Canonical token strings (tests and debugging). */
export function tokenStrings(text: string): string[] {
  const ts = tokenize(text);
  const out: string[] = [];
  for (let k = 0; k < ts.count; k++) out.push(ts.tokenText(k));
  return out;
}
