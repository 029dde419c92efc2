/**
 * The statement proper within a row's tokens: a leading label ("Problem:", "Question 3:") and a
 * trailing instruction ("Please reason step by step, and put your final answer within \boxed{}.")
 * are not part of the problem (the lists: src/text/problem-rules.ts). The exact and digit-insensitive
 * keys, and the tokens the index aligns, are those of this range.
 */
import { TOKEN_NUMBER, type TokenStream } from "./token-stream.js";
import { fnv1a } from "./token-tables.js";
import { INSTRUCTION_OPENINGS, STATEMENT_LABELS } from "../text/problem-rules.js";

/** statement labels as token ids (their words are the tokeniser's tokens: lower case, no punctuation) */
const PREFIXES = STATEMENT_LABELS.map((p) => p.split(" ").map((w) => fnv1a(w) | 0));
/** first tokens of the prefixes: a row starting otherwise has no label */
const PREFIX_FIRST = Int32Array.from(new Set(PREFIXES.map((p) => p[0]!)));

function isPrefixStart(h: number): boolean {
  for (let i = 0; i < PREFIX_FIRST.length; i++) if (PREFIX_FIRST[i] === h) return true;
  return false;
}

/** the words that open an appended instruction, as token ids */
const SUFFIX_TRIGGERS = INSTRUCTION_OPENINGS.map((p) => p.split(" ").map((w) => fnv1a(w) | 0));

/** first tokens of the suffix triggers (few; a linear scan beats a Set of non-Smi numbers) */
const SUFFIX_FIRST = Int32Array.from(new Set(SUFFIX_TRIGGERS.map((p) => p[0]!)));

/** one bit per (first token >>> 22), 1,024 bits: all but about 1% of other tokens fail one test */
const SUFFIX_BITS = new Uint32Array(32);
for (const h of SUFFIX_FIRST) SUFFIX_BITS[h >>> 27]! |= 1 << ((h >>> 22) & 31);

function isSuffixStart(h: number): boolean {
  if (((SUFFIX_BITS[h >>> 27]! >>> ((h >>> 22) & 31)) & 1) === 0) return false;
  for (let i = 0; i < SUFFIX_FIRST.length; i++) if (SUFFIX_FIRST[i] === h) return true;
  return false;
}

function startsWith(ids: Int32Array, at: number, end: number, pattern: number[]): boolean {
  if (at + pattern.length > end) return false;
  for (let j = 0; j < pattern.length; j++) if (ids[at + j] !== pattern[j]) return false;
  return true;
}

/**
 * Token range of the problem proper: drops a leading "Problem:" / "Question 3:" style label and a
 * trailing instruction ("Please reason step by step, and put your final answer within \boxed{}.").
 * Returns [from, to).
 */
export function contentRange(ts: TokenStream): [number, number] {
  const r = new Int32Array(2);
  contentRangeInto(ts, r);
  return [r[0]!, r[1]!];
}

/** contentRange without allocating: writes [from, to) into out[0], out[1]. */
export function contentRangeInto(ts: TokenStream, out: Int32Array): void {
  const ids = ts.hash;
  let from = 0;
  let to = ts.count;
  const first = to > 0 ? ids[0]! : 0;
  for (let q = 0; q < PREFIXES.length && isPrefixStart(first); q++) {
    const p = PREFIXES[q]!;
    if (to - from > p.length && startsWith(ids, from, to, p)) {
      from += p.length;
      while (from < to - 1 && ts.kind[from] === TOKEN_NUMBER) from++;
      break;
    }
  }
  const scanFrom = Math.max(from + 1, to - 60);
  for (let i = scanFrom; i < to; i++) {
    if (!isSuffixStart(ids[i]!)) continue;
    let hit = false;
    for (const p of SUFFIX_TRIGGERS) {
      if (startsWith(ids, i, to, p)) {
        hit = true;
        break;
      }
    }
    if (hit) {
      to = i;
      break;
    }
  }
  out[0] = from;
  out[1] = to;
}
