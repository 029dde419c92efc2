/**
 * Append-only store of int32 arrays (check records of exact problems for the candidate check) that
 * keeps the newest entries in memory and spills older ones to a file; `get` reads spilled entries
 * back with positioned reads (candidates are rare, so random reads are cheap).
 *
 * Entries live in chunks: small ones are copied into a fixed-size fill chunk (no doubling buffer:
 * appending 10,000 records of ~2,000 ints took 0.97 CPU-s with the regrowth copies, reference corpus,
 * `node --cpu-prof`), large ones the caller hands over (`owned`) become a chunk of their own, uncopied.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { mkdirs } from "../errors.js";
import { grown } from "../text/code-units.js";

/** an owned entry at least this long is kept as it is (a view's own overhead is then < 3 %) */
const ADOPT_MIN_INTS = 1024;

export class SpillStore {
  /** in-memory chunks (null once written to the file) and each chunk's int offset in the file */
  private chunks: (Int32Array | null)[] = [];
  private chunkFileAt: number[] = [];
  /** the chunk small entries are copied into, and how much of it is used */
  private fill = -1;
  private fillUsed = 0;
  private readonly fillInts: number;
  /** ints held in memory */
  private memLen = 0;
  /** ints written to the file */
  private flushed = 0;
  /** entry → its chunk, start within the chunk, length */
  private chunkOf = new Int32Array(1024);
  private startOf = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private count = 0;
  private fd: number | null = null;
  private readonly file: string;

  constructor(private readonly memoryInts: number, private readonly tmpDir: string, name = "check-store.bin") {
    this.file = join(tmpDir, name);
    this.fillInts = Math.min(1 << 20, Math.max(1 << 14, memoryInts));
  }

  get size(): number {
    return this.count;
  }

  /** bytes written to the spill file so far */
  get spilledBytes(): number {
    return this.flushed * 4;
  }

  /** Stores `values`; `owned`: the caller never changes them afterwards, so a large entry is kept uncopied. */
  append(values: Int32Array, owned = false): number {
    if (this.count === this.chunkOf.length) this.growEntries();
    if (this.memLen + values.length > this.memoryInts && this.memLen > 0) this.flush();
    let chunk: number;
    let start = 0;
    if (owned && values.length >= ADOPT_MIN_INTS) {
      chunk = this.chunks.push(values) - 1;
      this.chunkFileAt.push(-1);
    } else {
      if (this.fill < 0 || this.fillUsed + values.length > this.chunks[this.fill]!.length) {
        this.fill = this.chunks.push(new Int32Array(Math.max(this.fillInts, values.length))) - 1;
        this.chunkFileAt.push(-1);
        this.fillUsed = 0;
      }
      chunk = this.fill;
      start = this.fillUsed;
      this.chunks[chunk]!.set(values, start);
      this.fillUsed += values.length;
    }
    this.chunkOf[this.count] = chunk;
    this.startOf[this.count] = start;
    this.lengths[this.count] = values.length;
    this.memLen += values.length;
    return this.count++;
  }

  private growEntries(): void {
    this.chunkOf = grown(this.chunkOf);
    this.startOf = grown(this.startOf);
    this.lengths = grown(this.lengths);
  }

  /** Writes every in-memory chunk (its used part) to the end of the file and frees it. */
  private flush(): void {
    if (this.fd === null) {
      mkdirs(this.tmpDir);
      this.fd = openSync(this.file, "w+");
    }
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      if (!chunk) continue;
      const used = c === this.fill ? this.fillUsed : chunk.length;
      writeSync(this.fd, new Uint8Array(chunk.buffer, chunk.byteOffset, used * 4), 0, used * 4, this.flushed * 4);
      this.chunkFileAt[c] = this.flushed;
      this.chunks[c] = null;
      this.flushed += used;
    }
    this.memLen = 0;
    this.fill = -1;
  }

  get(index: number): Int32Array {
    const c = this.chunkOf[index]!;
    const start = this.startOf[index]!;
    const len = this.lengths[index]!;
    const chunk = this.chunks[c];
    if (chunk) return chunk.subarray(start, start + len);
    const out = new Int32Array(len);
    readSync(this.fd!, new Uint8Array(out.buffer), 0, len * 4, (this.chunkFileAt[c]! + start) * 4);
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
