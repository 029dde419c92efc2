/**
 * The row window an alignment of a problem looks at, and its columns by token id. Both alignments
 * (coverage.ts, verify.ts) walk only the window columns that hold a problem token, so they need, for
 * a token id, its first column and then each next one.
 */

/** Start of the row window for a seed cluster at [first, last) and a problem of L tokens. */
export function windowFrom(first: number, L: number): number {
  return Math.max(0, first - L);
}

/** End of that window: the cluster plus L tokens either side, at most 4L tokens, within the row's `count`. */
export function windowTo(from: number, last: number, L: number, count: number): number {
  return Math.min(count, Math.max(last + L, from + 1), from + 4 * L);
}

/**
 * Columns of a row window by token id: `index` fills next[j] (1-based columns) with the next column
 * holding the same id (0: none); `first` then gives an id's first column (0: absent). Open addressing
 * on the window's ids, stamped, reused across calls.
 */
export class WindowColumns {
  private key = new Int32Array(64);
  private head = new Int32Array(64);
  private stamp = new Uint32Array(64);
  private mark = 0;

  index(ids: Int32Array, from: number, W: number, next: Int32Array): void {
    let cap = this.key.length;
    if (cap < W * 2) {
      while (cap < W * 2) cap *= 2;
      this.key = new Int32Array(cap);
      this.head = new Int32Array(cap);
      this.stamp = new Uint32Array(cap);
    }
    const mask = cap - 1;
    const key = this.key;
    const head = this.head;
    const stampOf = this.stamp;
    if (++this.mark === 0xffffffff) {
      stampOf.fill(0);
      this.mark = 1;
    }
    const mark = this.mark;
    for (let j = W; j >= 1; j--) {
      const id = ids[from + j - 1]!;
      let s = (id ^ (id >>> 16)) & mask;
      while (stampOf[s] === mark && key[s] !== id) s = (s + 1) & mask;
      if (stampOf[s] === mark) {
        next[j] = head[s]!;
      } else {
        stampOf[s] = mark;
        key[s] = id;
        next[j] = 0;
      }
      head[s] = j;
    }
  }

  /** first column of `id` in the window of the last index() call, 0 when absent */
  first(id: number): number {
    const mask = this.key.length - 1;
    let s = (id ^ (id >>> 16)) & mask;
    while (this.stamp[s] === this.mark) {
      if (this.key[s] === id) return this.head[s]!;
      s = (s + 1) & mask;
    }
    return 0;
  }
}
