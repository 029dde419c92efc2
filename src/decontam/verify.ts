/**
 * Verification of a match found by the ngram, aligned or alignment-digits rule. Aligns the problem
 * to the same row window as the coverage (coverage.ts) with numbers masked, keeps the traceback, and
 * rejects the match when
 * - `missingRun` or more distinctive content tokens of the problem in a row are left unaligned
 *   (stopwords and tokens of weight 0 neither extend nor break a run): the row lacks a phrase of the
 *   problem — typically its question ("Determine the area of quadrilateral DBEF") while it shares
 *   the setup and the diagram;
 * - the formula edits exceed max(`formulaEdits`, `formulaEditRate` × formula tokens): problem
 *   symbols/operators left unaligned plus row symbols/operators inserted inside the aligned stretch
 *   (numbers masked, so changed numbers are no edit) — a different expression or more variables.
 * Rewordings change words, and numbers-changed copies change numbers; neither changes a phrase of
 * three distinctive words nor the formulas.
 */
import { TOKEN_SYMBOL, TOKEN_WORD, type TokenStream } from "./token-stream.js";
import { fnv1a, isStopword } from "./token-tables.js";
import { FLAG_KIND, FLAG_STOP, type IndexArrays } from "./index-build.js";
import { WEIGHT_SCALE, type IndexOptions } from "./index-options.js";
import { WindowColumns, windowFrom, windowTo } from "./window-columns.js";
import { isBaseNumber, isUnaryMinus } from "./base-numbers.js";

/** fraction notation (`\frac{a}{b}` vs `a/b`) is no formula edit */
const NOTATION = [fnv1a("frac") | 0, fnv1a("/") | 0];

/** traceback steps: align both tokens, skip the problem token, skip the row token */
const ALIGN = 1;
const SKIP_PROBLEM = 2;
const SKIP_ROW = 3;

export class MatchVerifier {
  /** longest missing run and formula edits of the last verify() call */
  lastMissingRun = 0;
  lastFormulaEdits = 0;
  /**
   * the alignment's outcome: per problem token its aligned row column + 1 (0: left out), aligned row
   * columns, first and last aligned row columns (W and -1 when none)
   */
  benchAligned = new Int32Array(64);
  rowAligned = new Uint8Array(64);
  rowFirst = 0;
  rowLast = -1;
  /** alignment weight of a word, number and symbol token (weights × WEIGHT_SCALE, rounded) */
  private readonly kindWeight: Int32Array;
  private readonly gap: number;
  private readonly columns = new WindowColumns();
  /** score row, next-column lists, formula marks of the row window, edit lists */
  private g = new Int32Array(64);
  private next = new Int32Array(64);
  private rowFormula = new Uint8Array(64);
  private edits = new Int32Array(128);
  /** per problem token the first recorded step, and the steps' columns and directions */
  private stepStart = new Int32Array(64);
  private stepCol = new Int32Array(256);
  private stepDir = new Uint8Array(256);
  /** the last verify() call's problem tokens (start, count) and row window start */
  private lastStart = 0;
  private lastLength = 0;
  private lastFrom = 0;

  constructor(
    private readonly a: IndexArrays,
    private readonly o: IndexOptions,
  ) {
    this.kindWeight = Int32Array.from(o.weights, (w) => Math.round(w * WEIGHT_SCALE));
    this.gap = Math.round(o.gapPenalty * WEIGHT_SCALE);
  }

  /** Does the row `ts` hold problem `it` around [first, last) as a whole? Sets lastMissingRun/lastFormulaEdits. */
  verify(ts: TokenStream, it: number, first: number, last: number): boolean {
    const a = this.a;
    const o = this.o;
    const bs = a.itemTokStart[it]!;
    const L = a.itemTokStart[it + 1]! - bs;
    this.lastMissingRun = 0;
    this.lastFormulaEdits = 0;
    if (L === 0) return false;
    const from = windowFrom(first, L);
    const W = windowTo(from, last, L, ts.count) - from;
    this.lastStart = bs;
    this.lastLength = L;
    this.lastFrom = from;
    this.markRowFormula(ts, from, W);
    // a negative gap breaks the invariant the sparse walk relies on: walk every column then
    const formulaGap = this.kindWeight[TOKEN_SYMBOL]!;
    this.align(ts, bs, L, from, W, this.gap < 0 || formulaGap < 0);
    const itemIds = a.itemTokMasked;
    const weights = a.itemTokWeight;
    const flags = a.itemTokFlags;
    let run = 0;
    let maxRun = 0;
    let formula = 0;
    // formula tokens missing from the problem side and inserted on the row side (masked ids)
    let missing = 0;
    let inserted = 0;
    if (this.edits.length < L + W) this.edits = new Int32Array(L + W);
    const ed = this.edits;
    for (let k = 0; k < L; k++) {
      const f = flags[bs + k]!;
      const transparent = (f & FLAG_STOP) !== 0 || weights[bs + k] === 0;
      const id = itemIds[bs + k]!;
      const isFormula = (f & (FLAG_STOP | FLAG_KIND)) !== TOKEN_WORD && (f & FLAG_STOP) === 0 && id !== NOTATION[0] && id !== NOTATION[1];
      if (isFormula) formula++;
      if (this.benchAligned[k]) {
        if (!transparent) run = 0;
        continue;
      }
      if (isFormula) ed[missing++] = id;
      if (!transparent && ++run > maxRun) maxRun = run;
    }
    for (let j = this.rowFirst + 1; j < this.rowLast; j++) if (!this.rowAligned[j] && this.rowFormula[j]) ed[L + inserted++] = ts.masked[from + j]!;
    const edits = multisetDifference(ed.subarray(0, missing).sort(), ed.subarray(L, L + inserted).sort());
    this.lastMissingRun = maxRun;
    this.lastFormulaEdits = edits;
    return maxRun < o.missingRun && edits <= Math.max(o.formulaEdits, o.formulaEditRate * formula);
  }

  /**
   * After verify(): is the row the problem with only numbers changed (the alignment form of rule
   * `digits`)? Every weighted problem token aligned, no weighted row token inserted inside the
   * aligned stretch, and every base (base-numbers.ts) the same number — a base or a changed word or
   * symbol is no digit change; a sign added to or dropped from a number is.
   */
  onlyNumbersChanged(ts: TokenStream): boolean {
    const a = this.a;
    const bs = this.lastStart;
    const L = this.lastLength;
    const from = this.lastFrom;
    for (let k = 0; k < L; k++) {
      const col = this.benchAligned[k]!;
      const transparent = (a.itemTokFlags[bs + k]! & FLAG_STOP) !== 0 || a.itemTokWeight[bs + k] === 0;
      if (col === 0) {
        if (!transparent && !isUnaryMinus(a.itemTok, a.itemTokFlags, bs, bs + L, bs + k)) return false;
      } else if (isBaseNumber(a.itemTok, a.itemTokFlags, bs, bs + k) && ts.hash[from + col - 1] !== a.itemTok[bs + k]) return false;
    }
    for (let j = this.rowFirst + 1; j < this.rowLast; j++) {
      const t = from + j;
      if (this.rowAligned[j] || isStopword(ts.hash[t]!) || (!this.rowFormula[j] && ts.kind[t] !== TOKEN_WORD)) continue;
      if (!isUnaryMinus(ts.hash, ts.kind, 0, ts.count, t)) return false;
    }
    return true;
  }

  /** rowFormula[j]: is window column j a formula token (symbol, operator or number, not fraction notation)? */
  private markRowFormula(ts: TokenStream, from: number, W: number): void {
    if (this.rowFormula.length < W) this.rowFormula = new Uint8Array(W);
    const rowFormula = this.rowFormula;
    for (let j = 0; j < W; j++) {
      const t = from + j;
      const id = ts.masked[t]!;
      rowFormula[j] = ts.kind[t] !== TOKEN_WORD && !isStopword(ts.hash[t]!) && id !== NOTATION[0] && id !== NOTATION[1] ? 1 : 0;
    }
  }

  /**
   * The fitting alignment: the whole problem (tokens bs .. bs+L) against any stretch of the row
   * window (numbers masked). Aligning a problem token earns its kind's weight and skipping it costs as
   * much — common n-grams are no evidence of a match, but a difference inside them is evidence
   * against one; skipping a row word costs `gap` (a rewording), skipping a row formula token what a
   * symbol earns (an edit). Ties prefer aligning, then skipping the problem token. Sets benchAligned,
   * rowAligned, rowFirst and rowLast.
   *
   * Scores are kept shifted by the weight of the problem tokens so far, g_i[j] = score_i[j] + S_i: a
   * skipped problem token then leaves g unchanged, an aligned one adds twice its weight to the
   * diagonal, a skipped row token costs its gap; with gaps ≥ 0 every row has g[j] ≥ g[j−1] − gap(j).
   * So, as in the coverage, a problem token changes the row only from the window columns holding the
   * same token while the carried score minus the gap beats the previous row, and every other cell's
   * traceback step is "skip the problem token": the walk records only the other steps, per row. Same
   * scores, ties and traceback as the full recurrence, which `allColumns` walks.
   */
  align(ts: TokenStream, bs: number, L: number, from: number, W: number, allColumns: boolean): void {
    const itemIds = this.a.itemTokMasked;
    const flags = this.a.itemTokFlags;
    const kindWeight = this.kindWeight;
    const gap = this.gap;
    const formulaGap = kindWeight[TOKEN_SYMBOL]!;
    const sparse = !allColumns;
    if (this.g.length < W + 1) {
      this.g = new Int32Array(W + 1);
      this.next = new Int32Array(W + 1);
    }
    const rowFormula = this.rowFormula;
    const g = this.g;
    g.fill(0, 0, W + 1); // the row stretch may start anywhere
    const next = this.next;
    this.columns.index(ts.masked, from, W, next);
    if (this.stepStart.length < L + 2) this.stepStart = new Int32Array(L + 2);
    const stepStart = this.stepStart;
    let steps = 0;
    for (let i = 0; i < L; i++) {
      stepStart[i + 1] = steps;
      const wt2 = 2 * kindWeight[flags[bs + i]! & FLAG_KIND]!;
      let match = this.columns.first(itemIds[bs + i]!);
      let j = sparse ? match : 1;
      if (j === 0) continue;
      let carry = g[j - 1]!; // new value of column j − 1
      let oldLeft = carry; // its value before this token
      for (;;) {
        const old = g[j]!;
        let h = old;
        let d = SKIP_PROBLEM;
        if (j === match) {
          if (oldLeft + wt2 >= h) {
            h = oldLeft + wt2;
            d = ALIGN;
          }
          match = next[j]!;
        }
        const left = carry - (rowFormula[j - 1] ? formulaGap : gap);
        if (left > h) {
          h = left;
          d = SKIP_ROW;
        }
        g[j] = h;
        if (d !== SKIP_PROBLEM) steps = this.addStep(steps, j, d);
        if (h === old && sparse) {
          // unchanged: so are the columns up to the next one holding the token
          if (match === 0) break;
          j = match;
          carry = g[j - 1]!;
          oldLeft = carry;
          continue;
        }
        if (j === W) break;
        oldLeft = old;
        carry = h;
        j++;
      }
    }
    stepStart[L + 1] = steps;
    let bj = 0; // ... and end anywhere: the best last column
    for (let j = 1; j <= W; j++) if (g[j]! > g[bj]!) bj = j;
    this.traceback(L, W, bj);
  }

  /** record step `d` at column j of the current problem token; returns the step count */
  private addStep(steps: number, j: number, d: number): number {
    if (steps === this.stepCol.length) {
      const col = new Int32Array(steps * 2);
      col.set(this.stepCol);
      this.stepCol = col;
      const dir = new Uint8Array(steps * 2);
      dir.set(this.stepDir);
      this.stepDir = dir;
    }
    this.stepCol[steps] = j;
    this.stepDir[steps] = d;
    return steps + 1;
  }

  /** Follow the recorded steps back from (L, bj): the aligned tokens of both sides. */
  private traceback(L: number, W: number, bj: number): void {
    if (this.benchAligned.length < L) this.benchAligned = new Int32Array(L);
    if (this.rowAligned.length < W) this.rowAligned = new Uint8Array(W);
    const benchAligned = this.benchAligned;
    const rowAligned = this.rowAligned;
    const stepStart = this.stepStart;
    const stepCol = this.stepCol;
    const stepDir = this.stepDir;
    benchAligned.fill(0, 0, L);
    rowAligned.fill(0, 0, W);
    let rowFirst = W;
    let rowLast = -1;
    for (let i = L, j = bj; i > 0; ) {
      // the step recorded for (i, j), "skip the problem token" when none (records ascend by column)
      let d = SKIP_PROBLEM;
      let lo = stepStart[i]!;
      let hi = stepStart[i + 1]! - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = stepCol[mid]!;
        if (c === j) {
          d = stepDir[mid]!;
          break;
        }
        if (c < j) lo = mid + 1;
        else hi = mid - 1;
      }
      if (d === ALIGN) {
        benchAligned[i - 1] = j;
        rowAligned[j - 1] = 1;
        if (j - 1 < rowFirst) rowFirst = j - 1;
        if (j - 1 > rowLast) rowLast = j - 1;
        i--;
        j--;
      } else if (d === SKIP_PROBLEM) i--;
      else j--;
    }
    this.rowFirst = rowFirst;
    this.rowLast = rowLast;
  }
}

/**
 * Size of the multiset difference of two sorted id lists: a token missing in one place and inserted
 * in another was moved ("Express X in terms of k" → "In terms of k, what is X"), not changed.
 */
function multisetDifference(mis: Int32Array, ins: Int32Array): number {
  let edits = 0;
  for (let x = 0, y = 0; x < mis.length || y < ins.length; ) {
    if (y >= ins.length || (x < mis.length && mis[x]! < ins[y]!)) {
      edits++;
      x++;
    } else if (x >= mis.length || ins[y]! < mis[x]!) {
      edits++;
      y++;
    } else {
      x++;
      y++;
    }
  }
  return edits;
}
