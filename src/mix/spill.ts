/**
 * A temporary file of byte records addressed by table index: the second pass appends the few texts an
 * output needs in an order other than input order (packing order, pair order), and the writer reads
 * them back by offset. Memory stays bounded by one record; the file is removed when done.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export class SpillStore {
  private fd: number;
  private pos = 0;
  private readonly offset: Float64Array;
  private readonly length: Int32Array;
  private closed = false;

  constructor(readonly path: string, rows: number) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "w+");
    this.offset = new Float64Array(rows).fill(-1);
    this.length = new Int32Array(rows);
  }

  put(i: number, bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, this.pos + off);
    this.offset[i] = this.pos;
    this.length[i] = bytes.length;
    this.pos += bytes.length;
  }

  has(i: number): boolean {
    return this.offset[i]! >= 0;
  }

  get(i: number): Buffer {
    const at = this.offset[i]!;
    if (at < 0) throw new Error(`spill ${this.path}: row ${i} was never stored`);
    const buf = Buffer.allocUnsafe(this.length[i]!);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(this.fd, buf, off, buf.length - off, at + off);
      if (n === 0) throw new Error(`spill ${this.path}: short read at row ${i}`);
      off += n;
    }
    return buf;
  }

  get bytes(): number {
    return this.pos;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try { closeSync(this.fd); } catch { /* ignore */ }
    rmSync(this.path, { force: true });
  }
}
