/**
 * What the exact candidate check keeps per exact problem, and the decision it makes.
 *
 * Two problems are near-duplicates when their numbers agree (below) and either signal reaches the
 * threshold:
 * - the Jaccard of padded word 5-gram sets (the MinHash signal), or
 * - for statements of ≥ 50 words that differ in at most two words: the Jaccard of padded word
 *   2-gram sets. An edit costs 2 shingles here instead of 5, so a 60-word statement with two words
 *   changed keeps 2-gram Jaccard ≈ 0.88 where its 5-gram Jaccard is ≈ 0.7; a half-rewritten
 *   statement stays far below (≈ 0.2). Planted copies of 1,000 problems of ≥ 60 words
 *   (bench/dedupe-planted.mjs), merged with their original: two words changed 40 % → 93 %, one
 *   word 88 % → 99 % (with the lower LSH tuning of params.ts).
 *
 * Numbers: statements that differ in a number are different problems in mathematics (radius 10 vs 5,
 * "less than 1992" vs "less than 2500") although every text similarity calls them near-copies. The
 * check therefore requires the numbers of one statement, in order, to be a subsequence of the other's:
 * equal numbers pass, and so does a copy with an extra number such as a source tag ("2008 AMC 10"),
 * but a changed number never does. `dedupe.problems.numbers: "ignore"` turns this off.
 *
 * Record layout (int32): [words, numberCount, ...numberHashes, set5Room, set5Size, ...set5 (set5Room
 * ints), ...set2]. The 5-gram set is sorted on first use (`parts`): set5Size is -1 until then and
 * set5 holds the shingles as they came; sorted and de-duplicated it takes the first set5Size ints.
 */
import { fmix32 } from "../text/hash.js";
import { MinHasher, intersectionSize, setJaccard, sortedSetInto, type TextSketcher } from "./minhash.js";
import { leadingNumberEnd } from "./normalize.js";

const NUMBER_SEED = 0x4e554d42;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Does the digit at `i` follow a word of ≥ 2 letters that is not a LaTeX command (`kalo3` yes; `x5`, `\sqrt2`, `\frac12` no)? */
function gluedToName(text: string, i: number): boolean {
  let j = i;
  while (j > 0 && isLetter(text.charCodeAt(j - 1))) j--;
  return i - j >= 2 && !(j > 0 && text.charCodeAt(j - 1) === 92);
}

/**
 * Hashes of the numbers of a statement in order: digit runs, a decimal point between digits kept;
 * the leading statement number ("Problem 3.") is skipped as the tokeniser skips it, and so are digits
 * glued to a preceding word ("kalo3", "cse5": part of a name, not a quantity — the reference bench's
 * generated words end in digits, where counting them kept 1 %-edited copies apart). Linear.
 */
export function numberHashes(text: string): number[] {
  const head = text.slice(0, 64);
  const lower = head.toLowerCase();
  const numbers = NUMBER;
  let end = lower.length === head.length ? leadingNumberEnd(lower) : 0;
  numbers.lastIndex = end;
  const out: number[] = [];
  // test(), not exec(): no match object per number (the reference corpus has a digit run in most
  // words, nearly all glued to a name): 0.43 → 0.37 CPU-s per 10,000 of its documents, and 4.0 →
  // 3.7 CPU-s for the whole `curate dedupe --workers 0` (less garbage; medians of 3). The match is
  // text[start, lastIndex): back from its end over digits and points down to the previous match's
  // end, then past leading points (it starts with a digit).
  while (numbers.test(text)) {
    const matchEnd = numbers.lastIndex;
    let start = matchEnd;
    while (start > end && isDigitOrPoint(text.charCodeAt(start - 1))) start--;
    while (text.charCodeAt(start) === 46) start++;
    end = matchEnd;
    if (gluedToName(text, start)) continue;
    let h = NUMBER_SEED;
    for (let k = start; k < matchEnd; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
    out.push(fmix32(h));
  }
  return out;
}

function isDigitOrPoint(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/**
 * A digit run with decimal points between digits; linear (no two ways to match). The engine's
 * native scan for the next digit: 5,000 reference-corpus documents of ~2,000 words in 0.34 instead
 * of 0.51 CPU-s with a charCodeAt loop (medians of 3, same hashes on the MATH train problems).
 * Global, for numberHashes only, which sets lastIndex before each use (it runs to the end unbroken).
 */
const NUMBER = /[0-9]+(?:\.[0-9]+)*/g;

/** Is `short` (in order) a subsequence of `long`? */
function isSubsequence(x: Int32Array, y: Int32Array): boolean {
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  let j = 0;
  for (let i = 0; i < long.length && j < short.length; i++) if (long[i] === short[j]) j++;
  return j === short.length;
}

/** A growable int32 buffer that check records are written to, one after another. */
export class RecordBuffer {
  data: Int32Array;
  length = 0;
  constructor(initial = 1 << 16) {
    this.data = new Int32Array(initial);
  }
  /** Room for `extra` more ints. */
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = new Int32Array(Math.max(this.length + extra, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

export class CheckData {
  private readonly bigrams = new MinHasher({ ngram: 2, permutations: 32, simd: false });

  constructor(private readonly sketcher: TextSketcher, private readonly numbers: boolean) {}

  /** The check record of one statement. */
  record(text: string): Int32Array {
    const tokens = this.sketcher.tokenizer.tokens(text);
    const out = new RecordBuffer(0);
    this.recordInto(out, text, tokens, this.sketcher.hasher.shingles(tokens));
    return out.data.subarray(0, out.length);
  }

  /**
   * Appends the check record to `out`, from what sketching the statement already computed: its
   * tokens and their word n-gram shingles (this sketcher's tokenizer and hasher; read only).
   * Written in place: a record per text allocated and then copied cost ~0.5 CPU-s per 10,000
   * reference-corpus documents.
   */
  recordInto(out: RecordBuffer, text: string, tokens: Int32Array, shingles: Int32Array): void {
    const nums = this.numbers ? numberHashes(text) : [];
    const bigrams = tokens.length > SECOND_SIGNAL_MAX_TOKENS ? null : this.bigrams.shingles(tokens);
    out.reserve(4 + nums.length + shingles.length + (bigrams?.length ?? 0));
    const d = out.data;
    let at = out.length;
    d[at] = wordCount(text, SECOND_SIGNAL_MIN_WORDS);
    d[at + 1] = nums.length;
    for (let k = 0; k < nums.length; k++) d[at + 2 + k] = nums[k]!;
    at += 2 + nums.length;
    // the 5-gram set is sorted when a candidate check first needs it: most problems are never a
    // candidate, and the sort was 0.26 of the sketch worker's ~2.3 CPU-s on the reference corpus
    d[at] = shingles.length;
    d[at + 1] = UNSORTED;
    d.set(shingles, at + 2);
    at += 2 + shingles.length;
    if (bigrams) at += sortedSetInto(bigrams, d, at);
    out.length = at;
  }
}

interface Parts {
  words: number;
  numbers: Int32Array;
  set5: Int32Array;
  set2: Int32Array;
}

const UNSORTED = -1;
let sortScratch = new Int32Array(0);

/** The parts of a record; sorts its 5-gram set in place first when it is not yet sorted. */
function parts(rec: Int32Array): Parts {
  const k = rec[1]!;
  const room = rec[2 + k]!;
  const start = 4 + k;
  if (rec[3 + k] === UNSORTED) {
    if (sortScratch.length < room) sortScratch = new Int32Array(Math.max(room, sortScratch.length * 2));
    const raw = sortScratch.subarray(0, room);
    raw.set(rec.subarray(start, start + room));
    rec[3 + k] = sortedSetInto(raw, rec, start);
  }
  const set5 = rec.subarray(start, start + rec[3 + k]!);
  return { words: rec[0]!, numbers: rec.subarray(2, 2 + k), set5, set2: rec.subarray(start + room) };
}

/** Similarity of two records: the larger of the 5-gram and 2-gram Jaccard (0 when the numbers disagree). */
export function recordSimilarity(a: Int32Array, b: Int32Array): number {
  const x = parts(a);
  const y = parts(b);
  if (!isSubsequence(x.numbers, y.numbers)) return 0;
  const j5 = setJaccard(x.set5, y.set5);
  return secondSignal(x, y) ? Math.max(j5, setJaccard(x.set2, y.set2)) : j5;
}

/** The check: numbers agree and either Jaccard reaches the threshold (5-gram first: it decides most pairs). */
export function recordsMatch(a: Int32Array, b: Int32Array, threshold: number): boolean {
  const x = parts(a);
  const y = parts(b);
  if (!isSubsequence(x.numbers, y.numbers)) return false;
  return setJaccard(x.set5, y.set5) >= threshold || (secondSignal(x, y) && smallEdit(x.set2, y.set2, threshold));
}

/**
 * The 2-gram signal counts only for statements of ≥ SECOND_SIGNAL_MIN_WORDS words (whitespace
 * separated, as written) each: in a short statement one word is the question ("find the sum" /
 * "find the product", "the value of x" / "of y"). Measured (before the 8-shingle cap below) on ../shared/data/problems at 0.8,
 * clusters spanning different reference answers: 18 before this check, 52 with the 2-gram signal
 * and no floor, 18 / 13 / 11 with a floor of 40 / 50 / 60 words; planted copies of ≥ 60-word
 * problems merge alike with each (1 word 99 %, 2 words 93 %).
 */
export const SECOND_SIGNAL_MIN_WORDS = 50;

/**
 * The 2-gram signal is for a few changed words, not a rate: the two 2-gram sets may differ in at most
 * this many shingles (a replaced word changes 2 in each set, so 8 = two words) and must still reach
 * the threshold. A ratio alone would merge long documents with 5 % of their words replaced (2-gram
 * Jaccard ≈ 0.82), which the 5-gram rule (≈ 2 % at 0.8) leaves apart.
 */
export const SECOND_SIGNAL_MAX_DIFFERENCE = 8;

function smallEdit(x: Int32Array, y: Int32Array, threshold: number): boolean {
  const inter = intersectionSize(x, y);
  const union = x.length + y.length - inter;
  return union - inter <= SECOND_SIGNAL_MAX_DIFFERENCE && inter >= threshold * union;
}

function secondSignal(x: Parts, y: Parts): boolean {
  return x.words >= SECOND_SIGNAL_MIN_WORDS && y.words >= SECOND_SIGNAL_MIN_WORDS && x.set2.length > 0 && y.set2.length > 0;
}

/**
 * Statements longer than this many tokens keep no 2-gram set: two changed words leave their 5-gram
 * Jaccard above 0.95 anyway, so the 5-gram rule decides. On the reference corpus (10,000 documents
 * of ~2,000 words) the 2-gram sets raised `curate dedupe`'s peak RSS from 375 to 505 MB; without
 * them 366–394 MB.
 */
export const SECOND_SIGNAL_MAX_TOKENS = 1000;

/**
 * Whitespace-separated words of the text as written (an Asymptote diagram counts its words too), up
 * to `limit`: only "≥ limit" matters (counting all words of 2,000-word documents cost ~1 CPU-s per 10,000).
 */
function wordCount(text: string, limit: number): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length && words < limit; i++) {
    const space = text.charCodeAt(i) <= 32;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}
