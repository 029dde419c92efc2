/**
 * Append-only store of int32 arrays (shingle sets of exact problems for the candidate check) that
 * keeps the newest entries in memory and spills older ones to a file; `get` reads spilled entries
 * back with positioned reads (candidates are rare, so random reads are cheap).
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { mkdirs } from "../errors.js";

export class SpillStore {
  private mem = new Int32Array(1 << 14);
  private memLen = 0;
  /** ints already written to the file (global offset of mem[0]) */
  private flushed = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private count = 0;
  private fd: number | null = null;
  private readonly file: string;

  constructor(private readonly memoryInts: number, private readonly tmpDir: string, name = "check-store.bin") {
    this.file = join(tmpDir, name);
  }

  get size(): number {
    return this.count;
  }

  /** bytes written to the spill file so far */
  get spilledBytes(): number {
    return this.flushed * 4;
  }

  append(values: Int32Array): number {
    if (this.count === this.offsets.length) {
      const o = new Float64Array(this.count * 2);
      o.set(this.offsets);
      this.offsets = o;
      const l = new Int32Array(this.count * 2);
      l.set(this.lengths);
      this.lengths = l;
    }
    if (this.memLen + values.length > this.memoryInts && this.memLen > 0) this.flush();
    if (this.memLen + values.length > this.mem.length) {
      const m = new Int32Array(Math.max(this.memLen + values.length, this.mem.length * 2));
      m.set(this.mem.subarray(0, this.memLen));
      this.mem = m;
    }
    this.mem.set(values, this.memLen);
    this.offsets[this.count] = this.flushed + this.memLen;
    this.lengths[this.count] = values.length;
    this.memLen += values.length;
    return this.count++;
  }

  private flush(): void {
    if (this.fd === null) {
      mkdirs(this.tmpDir);
      this.fd = openSync(this.file, "w+");
    }
    writeSync(this.fd, new Uint8Array(this.mem.buffer, 0, this.memLen * 4), 0, this.memLen * 4, this.flushed * 4);
    this.flushed += this.memLen;
    this.memLen = 0;
    if (this.mem.length > this.memoryInts * 2) this.mem = new Int32Array(Math.max(1 << 14, this.memoryInts));
  }

  get(index: number): Int32Array {
    const off = this.offsets[index]!;
    const len = this.lengths[index]!;
    if (off >= this.flushed) {
      const s = off - this.flushed;
      return this.mem.subarray(s, s + len);
    }
    const out = new Int32Array(len);
    readSync(this.fd!, new Uint8Array(out.buffer), 0, len * 4, off * 4);
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      rmSync(this.file, { force: true });
    }
  }
}
