/**
 * Tail compressibility: a greedy LZ77 parse of the response's tail, an estimate of its compression
 * ratio without entropy coding (low = repetitive).
 */
import { codeUnits } from "./units.js";

const LZ_BITS = 14;
const LZ_WINDOW = 32768;
const LZ_MIN = 4;
const LZ_MAX = 258;
/** cost of one match in "characters" (deflate spends about 3 bytes on a length/distance pair) */
const LZ_MATCH_COST = 3;
/** reused across calls: scratch tables 87 → 96 MB per CPU-s together (see tail-loops.ts) */
let lzTable: Int32Array | null = null;

/**
 * Greedy LZ77 parse of text[start…] (deflate-like window 32 K, matches 4…258 UTF-16 units, one hash
 * probe per position): returns (literals + 3·matches) / characters, an estimate of the compression
 * ratio without entropy coding. ≈ 0.5–0.7 for prose and maths, → 0.01 for a tight loop. Linear:
 * every position is either a literal or inside a match that is skipped after comparison.
 */
export function lzRatio(text: string, start = 0, u: Uint16Array = codeUnits(text)): number {
  const n = text.length;
  const len = n - start;
  if (len <= 0) return 1;
  if (!lzTable) lzTable = new Int32Array(1 << LZ_BITS);
  const table = lzTable;
  table.fill(-1);
  let cost = 0;
  let i = start;
  while (i + LZ_MIN <= n) {
    const c0 = u[i]!;
    const c1 = u[i + 1]!;
    const c2 = u[i + 2]!;
    const c3 = u[i + 3]!;
    const h = Math.imul((((c0 * 31 + c1) * 31 + c2) * 31 + c3) | 0, 0x9e3779b1) >>> (32 - LZ_BITS);
    const cand = table[h]!;
    table[h] = i;
    if (
      cand >= start &&
      i - cand <= LZ_WINDOW &&
      u[cand]! === c0 &&
      u[cand + 1]! === c1 &&
      u[cand + 2]! === c2 &&
      u[cand + 3]! === c3
    ) {
      let m = LZ_MIN;
      while (m < LZ_MAX && i + m < n && u[cand + m]! === u[i + m]!) m++;
      cost += LZ_MATCH_COST;
      i += m;
    } else {
      cost += 1;
      i++;
    }
  }
  cost += n - i;
  return Math.min(1, cost / len);
}
