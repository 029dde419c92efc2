/**
 * Append-only store of int32 arrays (shingle sets of exact problems for the candidate check) that
 * keeps the newest entries in memory and spills older ones to a file; `get` reads spilled entries
 * back with positioned reads (candidates are rare, so random reads are cheap).
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export class SpillStore {
  /** in-memory entries: chunks filled in turn (an entry never straddles two), global offset of each chunk's first int */
  private chunks: Int32Array[] = [];
  private chunkStart: number[] = [];
  private chunkUsed = 0;
  private readonly chunkInts: number;
  /** ints held in memory (global offsets flushed .. flushed + memLen) */
  private memLen = 0;
  /** ints already written to the file (global offset of the first int in memory) */
  private flushed = 0;
  private offsets = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private count = 0;
  private fd: number | null = null;
  private readonly file: string;

  constructor(private readonly memoryInts: number, private readonly tmpDir: string, name = "check-store.bin") {
    this.file = join(tmpDir, name);
    // fixed chunks instead of one doubling buffer: appending 10,000 records of ~2,000 ints took
    // 0.97 CPU-s with the regrowth copies (reference corpus, `node --cpu-prof`)
    this.chunkInts = Math.min(1 << 20, Math.max(1 << 14, memoryInts));
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
    let last = this.chunks[this.chunks.length - 1];
    if (last === undefined || this.chunkUsed + values.length > last.length) {
      last = new Int32Array(Math.max(this.chunkInts, values.length));
      this.chunks.push(last);
      this.chunkStart.push(this.flushed + this.memLen);
      this.chunkUsed = 0;
    }
    last.set(values, this.chunkUsed);
    this.chunkUsed += values.length;
    this.offsets[this.count] = this.flushed + this.memLen;
    this.lengths[this.count] = values.length;
    this.memLen += values.length;
    return this.count++;
  }

  /** Writes every in-memory entry to the file, in order, and frees the chunks. */
  private flush(): void {
    if (this.fd === null) {
      mkdirSync(this.tmpDir, { recursive: true });
      this.fd = openSync(this.file, "w+");
    }
    for (let c = 0; c < this.chunks.length; c++) {
      const used = (c + 1 < this.chunks.length ? this.chunkStart[c + 1]! : this.flushed + this.memLen) - this.chunkStart[c]!;
      writeSync(this.fd, new Uint8Array(this.chunks[c]!.buffer, this.chunks[c]!.byteOffset, used * 4), 0, used * 4, this.chunkStart[c]! * 4);
    }
    this.flushed += this.memLen;
    this.memLen = 0;
    this.chunks = [];
    this.chunkStart = [];
    this.chunkUsed = 0;
  }

  get(index: number): Int32Array {
    const off = this.offsets[index]!;
    const len = this.lengths[index]!;
    if (off >= this.flushed) {
      let c = this.chunks.length - 1;
      while (this.chunkStart[c]! > off) c--;
      const s = off - this.chunkStart[c]!;
      return this.chunks[c]!.subarray(s, s + len);
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
