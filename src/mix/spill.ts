/**
 * Spills: the records the data products need, written while the rows are read in input order, one
 * part (a run's unit, or all rows) at a time, and read back at random when the output shards are
 * written in output order (packing order, pair order). A part's spill for one output is two files:
 * `<part>.<output>.rec` (the records, back to back) and `<part>.<output>.idx` (per record: table
 * index, offset, length and the text size it adds to the output rows), both temp + rename, the
 * index last, so a spill whose index exists is complete. Readers map every part's index into dense
 * arrays over the table (20 bytes per row) and open the record files on first read.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempPathFor, writeFileAtomic } from "../io/atomic.js";
import { chargeWrite } from "../io/parquet-write.js";

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
    mkdirSync(dir, { recursive: true });
    this.paths = spillPaths(dir, part, output);
    this.tmp = tempPathFor(this.paths.rec);
    this.fd = openSync(this.tmp, "w");
  }

  /** the record of table row i; `size` = the text size it adds to the output rows built from it */
  put(i: number, bytes: Uint8Array, size: number): void {
    chargeWrite(bytes.length);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
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

/** Every part's records of one output, addressed by table index. */
export class SpillReader {
  private readonly offset: Float64Array;
  private readonly length: Int32Array;
  private readonly sizes: Int32Array;
  private readonly part: Int32Array;
  private readonly fds: number[] = [];
  private readonly recPaths: string[] = [];

  /** `parts`: the part names whose spills of `output` exist in `dir`; `rows`: table rows */
  constructor(dir: string, parts: string[], output: string, rows: number) {
    this.offset = new Float64Array(rows).fill(-1);
    this.length = new Int32Array(rows);
    this.sizes = new Int32Array(rows);
    this.part = new Int32Array(rows).fill(-1);
    try {
      parts.forEach((p, k) => {
        const { rec, idx } = spillPaths(dir, p, output);
        if (!existsSync(idx)) throw new Error(`spill ${idx} is missing (part ${p} of output ${output} was not spilled)`);
        const buf = readFileSync(idx);
        if (buf.length < 8 || buf.readUInt32LE(0) !== IDX_MAGIC || buf.length !== 8 + buf.readUInt32LE(4) * ENTRY) throw new Error(`spill index ${idx} is damaged (${buf.length} bytes)`);
        const n = buf.readUInt32LE(4);
        for (let e = 0; e < n; e++) {
          const o = 8 + e * ENTRY;
          const i = buf.readUInt32LE(o);
          if (i >= rows) throw new Error(`spill index ${idx}: row ${i} is outside the table (${rows} rows)`);
          if (this.part[i] !== -1) throw new Error(`spill index ${idx}: row ${i} is also stored by part ${parts[this.part[i]!]}`);
          this.part[i] = k;
          this.offset[i] = buf.readDoubleLE(o + 4);
          this.length[i] = buf.readUInt32LE(o + 12);
          this.sizes[i] = buf.readUInt32LE(o + 16);
        }
        if (!existsSync(rec)) throw new Error(`spill ${rec} is missing (part ${p} of output ${output})`);
        this.recPaths.push(rec);
        this.fds.push(-1); // opened on first read
      });
    } catch (e) {
      this.close();
      throw e;
    }
  }

  has(i: number): boolean {
    return this.part[i]! >= 0;
  }

  /** text size of row i's record (0 when absent) */
  size(i: number): number {
    return this.sizes[i]!;
  }

  get(i: number): Buffer {
    const k = this.part[i]!;
    if (k < 0) throw new Error(`spill: table row ${i} was never stored`);
    const buf = Buffer.allocUnsafe(this.length[i]!);
    const at = this.offset[i]!;
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
