/**
 * Spills: the records the data products need, written while the rows are read in input order, one
 * part (a run's unit, or all rows) at a time, and read back at random when the output shards are
 * written in output order (packing order, pair order). A part's spill for one output is two files:
 * `<part>.<output>.rec` (the records, back to back) and `<part>.<output>.idx` (per record: table
 * index, offset, length and the text size it adds to the output rows), both temp + rename, the
 * index last, so a spill whose index exists is complete. Readers hold every part's index entries (22
 * bytes per record) and open the record files on first read.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempPathFor, writeFileAtomic } from "../io/atomic.js";
import { chargeWrite } from "../io/parquet-write.js";
import { withFsContext, mkdirs } from "../errors.js";
import { sortedIndexOf } from "../group/columns.js";

const IDX_MAGIC = 0x4c505343; // "CSPL"
const ENTRY = 20; // u32 table index, f64 offset, u32 length, u32 size

export function spillPaths(dir: string, part: string, output: string): { rec: string; idx: string } {
  return { rec: join(dir, `${part}.${output}.rec`), idx: join(dir, `${part}.${output}.idx`) };
}

/** Writes one part's records for one output: temp files until `close`, which renames both (index last). */
export class SpillWriter {
  private fd: number;
  private pos = 0;
  private entries: number[] = [];
  private readonly paths: { rec: string; idx: string };
  private readonly tmp: string;
  private done = false;
  records = 0;

  constructor(dir: string, part: string, output: string) {
    mkdirs(dir);
    this.paths = spillPaths(dir, part, output);
    this.tmp = tempPathFor(this.paths.rec);
    this.fd = openSync(this.tmp, "w");
  }

  /** the record of table row i; `size` = the text size it adds to the output rows built from it */
  put(i: number, bytes: Uint8Array, size: number): void {
    withFsContext("write", this.paths.rec, () => {
      chargeWrite(bytes.length);
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    });
    this.entries.push(i, this.pos, bytes.length, size);
    this.pos += bytes.length;
    this.records++;
  }

  get bytes(): number {
    return this.pos;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.paths.rec);
    const n = this.entries.length / 4;
    const buf = Buffer.alloc(8 + n * ENTRY);
    buf.writeUInt32LE(IDX_MAGIC, 0);
    buf.writeUInt32LE(n, 4);
    for (let k = 0; k < n; k++) {
      const o = 8 + k * ENTRY;
      buf.writeUInt32LE(this.entries[4 * k]!, o);
      buf.writeDoubleLE(this.entries[4 * k + 1]!, o + 4);
      buf.writeUInt32LE(this.entries[4 * k + 2]!, o + 12);
      buf.writeUInt32LE(this.entries[4 * k + 3]!, o + 16);
    }
    writeFileAtomic(this.paths.idx, buf);
    this.entries = [];
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try { closeSync(this.fd); } catch { /* already closed */ }
    rmSync(this.tmp, { force: true });
  }
}

/**
 * Every part's records of one output, addressed by table index: the index entries of all parts in
 * table order (22 bytes per record; rows without a record cost nothing), found by binary search.
 */
export class SpillReader {
  private readonly rows: Int32Array;
  private readonly offset: Float64Array;
  private readonly length: Int32Array;
  private readonly sizes: Int32Array;
  private readonly part: Uint16Array;
  private readonly fds: number[] = [];
  private readonly recPaths: string[] = [];

  /** `parts`: the part names whose spills of `output` exist in `dir` (in table order); `rows`: table rows */
  constructor(dir: string, parts: string[], output: string, rows: number) {
    if (parts.length > 0xffff) throw new Error(`spill: ${parts.length} parts, at most 65,535`);
    const bufs: Buffer[] = [];
    let total = 0;
    parts.forEach((p) => {
      const { rec, idx } = spillPaths(dir, p, output);
      if (!existsSync(idx)) throw new Error(`spill ${idx} is missing (part ${p} of output ${output} was not spilled)`);
      if (!existsSync(rec)) throw new Error(`spill ${rec} is missing (part ${p} of output ${output})`);
      const buf = readFileSync(idx);
      if (buf.length < 8 || buf.readUInt32LE(0) !== IDX_MAGIC || buf.length !== 8 + buf.readUInt32LE(4) * ENTRY) throw new Error(`spill index ${idx} is damaged (${buf.length} bytes)`);
      bufs.push(buf);
      total += buf.readUInt32LE(4);
      this.recPaths.push(rec);
      this.fds.push(-1); // opened on first read
    });
    this.rows = new Int32Array(total);
    this.offset = new Float64Array(total);
    this.length = new Int32Array(total);
    this.sizes = new Int32Array(total);
    this.part = new Uint16Array(total);
    let w = 0;
    let sorted = true;
    bufs.forEach((buf, k) => {
      const n = buf.readUInt32LE(4);
      for (let e = 0; e < n; e++, w++) {
        const o = 8 + e * ENTRY;
        const i = buf.readUInt32LE(o);
        if (i >= rows) throw new Error(`spill index ${this.recPaths[k]}: row ${i} is outside the table (${rows} rows)`);
        if (w > 0 && i <= this.rows[w - 1]!) sorted = false;
        this.rows[w] = i;
        this.part[w] = k;
        this.offset[w] = buf.readDoubleLE(o + 4);
        this.length[w] = buf.readUInt32LE(o + 12);
        this.sizes[w] = buf.readUInt32LE(o + 16);
      }
    });
    // records put by encode threads may come out of row order within a part
    if (!sorted) {
      const perm = Int32Array.from({ length: total }, (_, e) => e).sort((a, b) => this.rows[a]! - this.rows[b]!);
      for (const a of [this.rows, this.length, this.sizes, this.part, this.offset]) {
        const copy = a.slice();
        for (let e = 0; e < total; e++) a[e] = copy[perm[e]!]!;
      }
    }
    for (let e = 1; e < total; e++) {
      if (this.rows[e] === this.rows[e - 1]) throw new Error(`spill of output ${output}: row ${this.rows[e]} is stored twice (parts ${parts[this.part[e - 1]!]} and ${parts[this.part[e]!]})`);
    }
  }

  /** entry of table row i, or -1 */
  private find(i: number): number {
    return sortedIndexOf(this.rows, i);
  }

  /** text size of row i's record, -1 when the row has none */
  size(i: number): number {
    const e = this.find(i);
    return e < 0 ? -1 : this.sizes[e]!;
  }

  get(i: number): Buffer {
    const e = this.find(i);
    if (e < 0) throw new Error(`spill: table row ${i} was never stored`);
    const k = this.part[e]!;
    const buf = Buffer.allocUnsafe(this.length[e]!);
    const at = this.offset[e]!;
    if (this.fds[k] === -1) this.fds[k] = openSync(this.recPaths[k]!, "r");
    let off = 0;
    while (off < buf.length) {
      const n = readSync(this.fds[k]!, buf, off, buf.length - off, at + off);
      if (n === 0) throw new Error(`spill ${this.recPaths[k]}: short read at row ${i}`);
      off += n;
    }
    return buf;
  }

  /** close the record files (they reopen on the next read) */
  close(): void {
    for (let k = 0; k < this.fds.length; k++) {
      if (this.fds[k] === -1) continue;
      try { closeSync(this.fds[k]!); } catch { /* ignore */ }
      this.fds[k] = -1;
    }
  }
}
