/**
 * The decontamination tokeniser's ids scan, every row's first pass: the ids, kinds and content stream
 * — the values the full scan (tokenize.ts) writes — from the text's UTF-8 bytes
 * (`TextEncoder.encodeInto`, native); no spans nor canonical text (those are UTF-16 offsets, which only
 * the full scan keeps). It exists for speed: 1,307 ns per bench row against 2,113 for the full scan
 * (bench rows, CPU time, best of 4 passes), and its branch-free steps and module-level scratch took
 * it from 1,735 to 1,352 ns (commit dec0160, docs/decontaminate.md "Speed").
 */
import { Utf8Bytes } from "../text/code-units.js";
import { FNV_PRIME as SHARED_FNV_PRIME } from "../text/hash.js";
import {
  CHAR_CLASS,
  CHAR_LOWER,
  CHAR_TOKEN_HASH,
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
  STOP_MULTIPLIER,
  STOP_SLOT,
  commandEntry,
  isDigit,
} from "./token-tables.js";
import { TOKEN_NUMBER, TOKEN_SYMBOL, TOKEN_WORD, type TokenStream } from "./token-stream.js";

/**
 * FNV's multiplier as this module's own constant: read through the import binding in the byte loop,
 * the ids scan took 30.6k instructions per bench row instead of 26.2k (valgrind, 25k bench rows).
 */
const FNV_PRIME = SHARED_FNV_PRIME;

/** the longest text the scan takes (its per-token scratch holds one token per character); longer ones take the full scan */
export const IDS_SCAN_MAX_CHARS = 1 << 16;

/** the text's UTF-8 bytes (one per thread: the module is loaded once per worker) */
const BYTES = new Utf8Bytes();

/*
 * Byte classes of the scan. `.` and `,` take the slow path: after a number they may continue it.
 */
const B_SEP = 0;
const B_LETTER = 1;
const B_DIGIT = 2;
const B_OP = 3;
/** in the scan: a byte the table does not decide (backslash, non-ASCII, `.`, `,`); as a token class: a command */
const B_SLOW = 4;

/*
 * Module-level arrays: V8 compiles a module constant's address into a loop, where a TokenStream's
 * (a parameter's) arrays had their type and bounds checked again on every byte (part of commit
 * dec0160's 1,735 → 1,352 ns per row).
 */
/** each token's hash, and its class | length << 3 */
const SCRATCH_HASH = new Int32Array(IDS_SCAN_MAX_CHARS + 2);
const SCRATCH_INFO = new Uint32Array(IDS_SCAN_MAX_CHARS + 2);
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

/** Fill the byte tables from the character classes (after fillCharTables). */
export function fillByteTables(): void {
  for (let c = 0; c < 256; c++) {
    let k = B_SLOW;
    if (c < 128) {
      const kc = CHAR_CLASS[c]!;
      if (kc === CLASS_LETTER) {
        k = B_LETTER;
        BYTE_LOW[c] = c | 0x20;
        BYTE_START[c] = Math.imul(FNV_START ^ (c | 0x20), FNV_PRIME);
      } else if (kc === CLASS_DIGIT) {
        k = B_DIGIT;
        BYTE_LOW[c] = c;
        BYTE_START[c] = Math.imul(FNV_START ^ c, FNV_PRIME);
      } else if (kc === CLASS_OP) {
        k = B_OP;
        BYTE_START[c] = CHAR_TOKEN_HASH[c]!;
      } else if (kc === CLASS_SEP) k = B_SEP;
    }
    BYTE_CLASS[c] = c === 46 || c === 44 ? B_SLOW : k;
  }
}

/** bytes in the UTF-8 sequence led by byte `b` (encodeInto writes well-formed UTF-8 only) */
function utf8Width(b: number): number {
  return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

/** the BMP code point of the 2- or 3-byte sequence at `i` (lead byte `c`) */
function utf8Bmp(b: Uint8Array, i: number, c: number): number {
  return c < 0xe0 ? ((c & 31) << 6) | (b[i + 1]! & 63) : ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
}

/**
 * tokenize(text, out, false) for a text of at most IDS_SCAN_MAX_CHARS characters (tables filled).
 *
 * Most bytes (ASCII letters, digits, operators, separators) take a branch-free step: the byte's class
 * says whether it extends the current token; the current token's hash and class are stored at slot
 * `count` on every byte, and `count` advances by one exactly when a token ends, so a token boundary
 * costs no mispredicted branch (the scan by characters lost most of its time there). Backslash
 * commands, non-ASCII characters, `.` and `,` take the slow path, which ends the current token
 * unless a number goes on. A second pass (idsKinds) writes kinds, masked ids and the content stream.
 * A character outside the BMP is a separator, as its two UTF-16 halves are in the full scan; a lone
 * surrogate (U+FFFD in the bytes) is one too. (The byte loop stays in this function: moved to a
 * function of its own it took 32.8k instructions per bench row instead of 22–24k, valgrind.)
 */
export function tokenizeIds(text: string, out: TokenStream): TokenStream {
  out.reset();
  out.ensure(text.length);
  const n = BYTES.of(text);
  const b = BYTES.buf;
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
    // the bytes the table decides
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
      if (prev === B_LETTER && CHAR_CLASS[cp] === CLASS_LETTER) {
        h = Math.imul(h ^ CHAR_LOWER[cp]!, FNV_PRIME);
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
      const kc = CHAR_CLASS[cp]!;
      if (kc === CLASS_LETTER) {
        h = Math.imul(FNV_START ^ CHAR_LOWER[cp]!, FNV_PRIME);
        len = 1;
        prev = B_LETTER;
      } else if (kc === CLASS_SPECIAL) {
        hash[count] = CHAR_TOKEN_HASH[cp]!;
        info[count++] = B_OP | (1 << 3);
      }
      continue;
    }
    if (c !== 92) continue; // `.` or `,` not inside a number: a separator
    if (i >= n) break;
    i = commandToken(b, i, n, count);
    if (info[count] !== 0) count++;
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
 * After a backslash at i − 1: a command name (its token into scratch slot `count`, unless it is
 * layout) or an escaped character (nothing). Slot `count`'s info is 0 when no token was written.
 * Returns the index after what was read.
 */
function commandToken(b: Uint8Array, i: number, n: number, count: number): number {
  SCRATCH_INFO[count] = 0;
  const d = b[i]!;
  if (((d | 0x20) - 97) >>> 0 >= 26) return i + utf8Width(d); // \\, \, \{ \$ … produce nothing
  const nameStart = i;
  let name = FNV_START; // case-sensitive, for the command table
  let h = FNV_START; // lower-cased, the token id
  while (i < n) {
    const e = b[i]!;
    if (((e | 0x20) - 97) >>> 0 >= 26) break;
    name = Math.imul(name ^ e, FNV_PRIME);
    h = Math.imul(h ^ (e | 0x20), FNV_PRIME);
    i++;
  }
  let len = i - nameStart;
  const e = commandEntry(name & 0x3fffffff);
  if (e >= 0 && sameName(b, nameStart, len, COMMAND_NAMES[e]!)) {
    const t = COMMAND_CANONICAL[e]!;
    if (t.length === 0) return i; // layout command, or respelled to nothing
    len = t.length;
    h = COMMAND_CANONICAL_HASH[e]!;
  }
  SCRATCH_HASH[count] = h;
  SCRATCH_INFO[count] = B_SLOW | (len << 3);
  return i;
}

/**
 * The second pass over the `count` scratch tokens: ids, kinds, masked ids and the content stream.
 * Returns the content count. Branch-free as well (the kind and whether a token is content are
 * data-dependent, and branching on them cost more than the byte scan): each token's slot in the
 * content stream is written, and the stream advances when the token is content.
 */
function idsKinds(out: TokenStream, count: number): number {
  const scratchHash = SCRATCH_HASH;
  const info = SCRATCH_INFO;
  const hash = out.hash;
  const masked = out.masked;
  const kind = out.kind;
  const content = out.content;
  const contentPos = out.contentPos;
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
    // content: a number, an operator, a word or command longer than five letters (stopwords are at
    // most five; a command such as \\in spells one too), or not a stopword. Comparisons as
    // arithmetic: V8 compiles `a === b ? 1 : 0` to a branch, which mispredicts here
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
