/**
 * Exact o200k_base token counts and ids, equal to tiktoken's `encode_ordinary` (no special tokens),
 * several times gpt-tokenizer's `countTokens` on math traces (bench/tokens-bench.mjs, README).
 *
 * A text is split into pieces by the pre-tokeniser (pretoken.ts) and each piece is byte-pair encoded
 * on its own (bpe.ts). Piece counts are memoised: math text repeats the same few thousand pieces (a
 * direct-mapped cache compared in place, then a Map); a memo miss encodes that piece alone.
 *
 * `parts` counts a text and ranges of it (each as its own string) in one pass: the pieces of a range
 * are the whole text's pieces except near its two ends, so only those are scanned twice (see
 * `countParts`). This is how the tokens annotator gets a response's count and its reasoning's and
 * solution's, with no seam: the response's count is always that of the whole response.
 */
import { LONG_PIECE, type PieceBpe } from "./bpe.js";
import { LOOKAHEAD, PieceScanner, skipUnits } from "./pretoken.js";

/** front cache of 2^16 slots, each holding a piece of up to FRONT_BYTES bytes (+28–38% per CPU second, commit 00b0c31) */
const FRONT_SHIFT = 16;
const FRONT_BYTES = 32;

export interface FastCounter {
  /** Tokens of `text`, or of `text.slice(start, end)`. */
  (text: string, start?: number, end?: number): number;
  /**
   * Tokens of `text`; `out[k]` gets the tokens of `text.slice(ranges[2k], ranges[2k + 1])`. The
   * ranges are in order and do not overlap.
   */
  parts(text: string, ranges: readonly number[], out: number[]): number;
  /** Pieces counted and how many came from the memo (for tests and the bench). */
  stats(): { pieces: number; memoHits: number; regexPieces: number };
}

/**
 * An exact o200k_base counter over a vocabulary's piece encoder. `maxMemo` bounds the piece memo (it
 * is cleared when full; counts do not depend on it).
 */
export function makeO200kCounter(bpe: PieceBpe, maxMemo = 200_000): FastCounter {
  const scan = new PieceScanner();
  const sub = new PieceScanner();
  // behind the front cache, a Map memo (measured faster than an open-addressing table hashed over
  // the whole piece: 50 vs 27 MB/s)
  let memo = new Map<string, number>();
  const slots = 1 << (32 - FRONT_SHIFT);
  const frontLen = new Uint8Array(slots); // 0: empty
  const frontBytes = new Uint8Array(slots * FRONT_BYTES);
  const frontVals = new Int32Array(slots);
  let pieces = 0;
  let memoHits = 0;
  /** Tokens of the scanner's current piece. */
  const tokens = (s: PieceScanner): number => {
    pieces++;
    const b = s.bytes;
    const p = s.bs;
    const e = s.be;
    const len = e - p;
    // a single byte is one token; no cache for it: 91.7 vs 82.9 MB/CPU-s on Sky-T1 (median of 8 runs each)
    if (len === 1) return 1;
    // direct-mapped front cache keyed by length and three bytes, compared in place: a hit costs
    // no substring and no full-string hash
    let slot = -1;
    if (len <= FRONT_BYTES) {
      slot = (Math.imul(b[p]! * 31 + b[p + 1]!, 0x9e3779b1) ^ Math.imul(b[e - 1]! + (len << 16), 0x85ebca6b)) >>> FRONT_SHIFT;
      if (frontLen[slot] === len) {
        const o = slot * FRONT_BYTES - p;
        let i = p;
        while (i < e && frontBytes[o + i] === b[i]) i++;
        if (i === e) {
          memoHits++;
          return frontVals[slot]!;
        }
      }
    }
    const piece = s.text.slice(s.cs, s.ce);
    if (s.ce - s.cs > LONG_PIECE) return bpe.count(piece); // not memoised: a hostile text could fill the memo with long pieces
    let v = memo.get(piece);
    if (v !== undefined) {
      memoHits++;
    } else {
      v = bpe.count(piece);
      if (memo.size >= maxMemo) memo = new Map(); // counts never depend on the memo
      memo.set(piece, v);
    }
    if (slot >= 0) {
      frontLen[slot] = len;
      frontBytes.set(b.subarray(p, e), slot * FRONT_BYTES);
      frontVals[slot] = v;
    }
    return v;
  };
  const whole = (text: string): number => {
    scan.start(text);
    let total = 0;
    while (scan.next()) total += tokens(scan);
    scan.shrink();
    return total;
  };
  const counter = ((text: string, start = 0, end = text.length): number =>
    // a range is counted as its own string: the regex must see the range's end as the end of text
    whole(start === 0 && end === text.length ? text : text.slice(start, end))) as FastCounter;
  counter.parts = (text, ranges, out) => {
    if (!rangesAreClean(text, ranges)) {
      for (let k = 0; k + 1 < ranges.length; k += 2) out[k >> 1] = whole(text.slice(ranges[k], ranges[k + 1]));
      return whole(text);
    }
    const total = countParts(scan, sub, tokens, text, ranges, out);
    scan.shrink();
    return total;
  };
  counter.stats = () => ({ pieces, memoHits, regexPieces: scan.regexPieces + sub.regexPieces });
  return counter;
}

/** Ranges in order, inside the text, none cutting a surrogate pair (else `parts` counts slices). */
function rangesAreClean(text: string, ranges: readonly number[]): boolean {
  let last = 0;
  for (const x of ranges) {
    if (!(x >= last && x <= text.length)) return false;
    if (x > 0 && x < text.length && (text.charCodeAt(x) & 0xfc00) === 0xdc00 && (text.charCodeAt(x - 1) & 0xfc00) === 0xd800) return false;
    last = x;
  }
  return ranges.length % 2 === 0;
}

/**
 * The one-pass count behind `parts`. `w` walks the whole text and every piece counts towards the
 * total. For a range [a, b), `r` scans the range as its own string from a, the two scanners taking
 * turns (the one behind moves) until both stand at the same position: from there both split alike
 * (a piece depends only on the text from its start), so each piece of `w` counts for the range too
 * and `r` is not run, until a piece ends within LOOKAHEAD of b, where the range's end can change the
 * split: `r` then scans the rest of the range alone. So only a few pieces at each end of a range
 * are scanned twice (the test compares with counting the slices, on fuzzed text and real traces).
 */
function countParts(w: PieceScanner, r: PieceScanner, tokens: (s: PieceScanner) => number, text: string, ranges: readonly number[], out: number[]): number {
  w.start(text);
  const ascii = w.n === text.length; // byte positions are unit positions
  let total = 0;
  for (let k = 0; k + 1 < ranges.length; k += 2) {
    const a = ranges[k]!;
    const b = ranges[k + 1]!;
    while (w.ce < a && w.next()) total += tokens(w);
    if (a === b) {
      out[k >> 1] = 0;
      continue;
    }
    // w stands at or after a: a lies in w's last piece, or is its end
    const ab = ascii ? a : w.ce === a ? w.be : skipUnits(w.bytes, w.bs, a - w.cs);
    const bb = ascii ? b : skipUnits(w.bytes, ab, b - a);
    r.startRange(text, w.bytes, a, ab, b, bb);
    let part = 0;
    // 1. take turns until both stand at the same position (or the range is done)
    while (r.ce !== w.ce && r.ce < b) {
      if (r.ce < w.ce) {
        r.next();
        part += tokens(r);
      } else if (w.next()) total += tokens(w);
    }
    // 2. shared pieces, then the range's tail alone
    while (r.ce < b) {
      const c = w.ce;
      const cb = w.be;
      w.next();
      const t = tokens(w);
      total += t;
      if (w.ce + LOOKAHEAD <= b) {
        part += t;
        r.moveTo(w.ce, w.be);
      } else {
        r.moveTo(c, cb);
        while (r.next()) part += tokens(r);
      }
    }
    out[k >> 1] = part;
  }
  while (w.next()) total += tokens(w);
  return total;
}

/**
 * Exact o200k_base token ids by the counter's method: the same pre-tokens, each piece's ids memoised
 * (math text repeats a few thousand pieces) and a miss encoded by `bpe` alone, so `ids.length` always
 * equals the counter's count. `maxMemo` bounds the memo (cleared when full).
 */
export function makeO200kEncoder(bpe: PieceBpe, maxMemo = 100_000): (text: string, out?: number[]) => number[] {
  const scan = new PieceScanner();
  let memo = new Map<string, readonly number[]>();
  return (text, out = []) => {
    scan.start(text);
    while (scan.next()) {
      const piece = text.slice(scan.cs, scan.ce);
      let ids = memo.get(piece);
      if (ids === undefined) {
        ids = bpe.ids(piece);
        if (memo.size >= maxMemo) memo = new Map(); // ids never depend on the memo
        if (piece.length <= LONG_PIECE) memo.set(piece, ids); // long pieces are not kept (see the counter)
      }
      for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    }
    scan.shrink();
    return out;
  };
}

export { o200kPieces, O200K_SPLIT_PATTERN } from "./pretoken.js";
