/**
 * When to run the character-shingle pass (rule `chars`, short problems): only for a row that holds
 * at least 80% of the distinct token bigrams ("anchors") of some short problem. Most rows hold none,
 * so a gate runs first: per short problem with A anchors, of which `need` (the least integer ≥ 0.8 × A)
 * must be present, any A − need + 2 of its anchors hold at least 2 present ones (all A hold `need`
 * when A − need + 2 > A). The gate table lists, per short problem, such a subset — the anchors least
 * frequent as bigrams of the indexed problems, rarely present in a row — and says no when no problem
 * reaches its count: the full test cannot hold then. It probes the bigrams the full test probes (same
 * vocabulary test, same keys), so its answer never differs where the full test says yes, whichever
 * subset is chosen; the subsets only decide how often the full test runs (1.7% of the 100k bench
 * rows, commit d2c7e04). Without the gate the matcher took 53.6k instructions per bench row instead
 * of 50.0k (valgrind) and did 196k rows per CPU-second at best instead of 221k (6 processes each).
 */
import type { TokenStream } from "./token-stream.js";
import type { IndexArrays } from "./index-build.js";
import { addProbes, buildTable, findRecord, type Pair, type PostingTable } from "./posting-table.js";
import { ROLL_BASE, rollKey } from "./ngram.js";

export class AnchorTest {
  /** bit (id >>> 20) set for every token of a short problem: bigrams of other tokens are no anchors */
  private readonly vocab = new Uint32Array(128);
  /** anchors a row must hold per short problem (the least integer ≥ 0.8 × its anchors) */
  private readonly need: Uint32Array;
  private readonly gate: PostingTable;
  private readonly gateNeed: Uint32Array;
  /** per problem: anchors present in the row so far (0 between calls), and the problems counted */
  private readonly count: Uint32Array;
  private readonly touched: Uint32Array;

  /** `anchors`: the index's anchor table, with its probe records (addProbes) */
  constructor(
    a: IndexArrays,
    private readonly anchors: PostingTable,
  ) {
    const items = a.itemTokStart.length - 1;
    this.need = new Uint32Array(items);
    this.gateNeed = new Uint32Array(items);
    this.count = new Uint32Array(items);
    this.touched = new Uint32Array(items);
    for (let it = 0; it < items; it++) {
      const total = a.itemAnchors[it]!;
      if (total === 0) continue;
      for (let t = a.itemTokStart[it]!; t < a.itemTokStart[it + 1]!; t++) {
        const v = a.itemTok[t]! >>> 20;
        this.vocab[v >>> 5]! |= 1 << (v & 31);
      }
      let need = 0;
      while (need < 0.8 * total) need++;
      this.need[it] = need;
    }
    this.gate = addProbes(buildTable(this.gatePairs(a)));
  }

  /** Does the row hold ≥ 80% of the anchors of some short problem? */
  present(ts: TokenStream, stamp: number): boolean {
    return this.reaches(ts, stamp, this.gate, this.gateNeed) && this.reaches(ts, stamp, this.anchors, this.need);
  }

  /**
   * Does some problem reach its `need` of the bigrams of table `t` present in the row? Each bigram
   * counts once per row (the record's stamp).
   */
  private reaches(ts: TokenStream, stamp: number, t: PostingTable, need: Uint32Array): boolean {
    const rec = t.rec!;
    const filter = t.filter!;
    const shift = t.filterShift!;
    const items = t.postItem;
    const ids = ts.hash;
    const vocab = this.vocab;
    const count = this.count;
    const base = ROLL_BASE | 0;
    let touched = 0;
    let any = false;
    let inVocab = ts.count > 0 && (vocab[ids[0]! >>> 25]! & (1 << ((ids[0]! >>> 20) & 31))) !== 0;
    for (let i = 0; i + 2 <= ts.count && !any; i++) {
      const next = (vocab[ids[i + 1]! >>> 25]! & (1 << ((ids[i + 1]! >>> 20) & 31))) !== 0;
      const both = inVocab && next;
      inVocab = next;
      if (!both) continue; // a token no short problem has: no anchor bigram
      const key = rollKey((Math.imul(ids[i]!, base) + ids[i + 1]!) | 0);
      const b = key >>> shift;
      if ((filter[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const r = findRecord(t, key);
      if (r < 0 || rec[r + 3] === stamp) continue; // absent, or already counted in this row
      rec[r + 3] = stamp;
      for (let p = rec[r + 1]!, e = rec[r + 2]!; p < e; p++) {
        const it = items[p]!;
        if (count[it] === 0) this.touched[touched++] = it;
        if (++count[it]! >= need[it]!) any = true;
      }
    }
    for (let j = 0; j < touched; j++) count[this.touched[j]!] = 0;
    return any;
  }

  /** The gate's postings (anchor key, short problem), and gateNeed. */
  private gatePairs(a: IndexArrays): Pair[] {
    const t = this.anchors;
    const df = anchorFrequencies(a, t);
    const dfOf = (key: number): number => df[findRecord(t, key) >> 2]!;
    // each short problem's anchor keys (from the anchor table's postings)
    const perItem = new Map<number, number[]>();
    for (let s = 0; s <= t.mask; s++) {
      const l = t.slotList[s]!;
      if (l < 0) continue;
      for (let p = t.listStart[l]!; p < t.listStart[l + 1]!; p++) {
        const it = t.postItem[p]!;
        let keys = perItem.get(it);
        if (!keys) perItem.set(it, (keys = []));
        keys.push(t.slotKey[s]!);
      }
    }
    const pairs: Pair[] = [];
    for (const it of [...perItem.keys()].sort((x, y) => x - y)) {
      const keys = perItem.get(it)!;
      const total = a.itemAnchors[it]!;
      const need = this.need[it]!;
      if (keys.length !== total || need === 0) {
        // not the layout the argument assumes: count every anchor, need them all as the full test does
        this.gateNeed[it] = Math.max(need, 1);
        for (const key of keys) pairs.push({ key, item: it, pos: 0 });
        continue;
      }
      const size = Math.min(total, total - need + 2);
      this.gateNeed[it] = Math.min(2, need);
      keys.sort((x, y) => dfOf(x) - dfOf(y) || x - y);
      for (let j = 0; j < size; j++) pairs.push({ key: keys[j]!, item: it, pos: 0 });
    }
    return pairs;
  }

  /** a stamp wrap-around: no record may carry a stamp a later row could have */
  clearStamps(): void {
    const rec = this.gate.rec!;
    for (let r = 3; r < rec.length; r += 4) rec[r] = 0;
  }
}

/**
 * How many indexed problems have each anchor bigram among their token bigrams, by the anchor table's
 * probe record (record offset >> 2).
 */
function anchorFrequencies(a: IndexArrays, t: PostingTable): Int32Array {
  const slots = t.rec!.length >> 2;
  const df = new Int32Array(slots);
  const lastItem = new Int32Array(slots); // last problem counted, + 1
  const base = ROLL_BASE | 0;
  for (let it = 0; it + 1 < a.itemTokStart.length; it++) {
    for (let q = a.itemTokStart[it]!; q + 1 < a.itemTokStart[it + 1]!; q++) {
      const r = findRecord(t, rollKey((Math.imul(a.itemTok[q]!, base) + a.itemTok[q + 1]!) | 0));
      if (r < 0 || lastItem[r >> 2] === it + 1) continue;
      df[r >> 2]!++;
      lastItem[r >> 2] = it + 1;
    }
  }
  return df;
}
