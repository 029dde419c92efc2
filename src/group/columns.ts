/**
 * Growable typed-array columns for the group step's per-row and per-problem numbers: 4 bytes an
 * entry for int32 and 8 for float64 (a JS number array takes 8 for small integers, boxes doubles).
 * `data` may hold more entries than `length`; read below `length`.
 */

/** Where `v` is in the ascending `a[0 .. length)`, or -1 (binary search). */
export function sortedIndexOf(a: Int32Array, v: number, length = a.length): number {
  let lo = 0;
  let hi = length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export class GrowInt32 {
  data: Int32Array;
  length = 0;
  constructor(initial = 1024) {
    this.data = new Int32Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class GrowFloat64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}
