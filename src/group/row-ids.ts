/**
 * The group step's row ids: in memory up to a limit, then appended to a file (one JSON string a
 * line) and read back only for the rows a result names (representatives, duplicate-of targets,
 * listed problems' first rows).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { mkdirs } from "../errors.js";

export class RowIds {
  private mem: string[] = [];
  private memBase = 0;
  private fd: number | null = null;
  private readonly file: string;
  private resolved = new Map<number, string>();
  constructor(private readonly memoryIds: number, private readonly tmpDir: string) {
    this.file = join(tmpDir, "row-ids.jsonl");
  }
  push(id: string): void {
    this.mem.push(id);
    if (this.mem.length >= this.memoryIds) {
      if (this.fd === null) {
        mkdirs(this.tmpDir);
        this.fd = openSync(this.file, "w");
      }
      writeSync(this.fd, this.mem.map((s) => JSON.stringify(s)).join("\n") + "\n");
      this.memBase += this.mem.length;
      this.mem = [];
    }
  }
  /** Makes `rows` available to `get` (one sequential read of the spill file). */
  resolve(rows: Iterable<number>): void {
    const wanted = new Set<number>();
    for (const r of rows) if (r < this.memBase) wanted.add(r);
    if (wanted.size === 0 || this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    const text = readFileSync(this.file, "utf8");
    let row = 0;
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf("\n", start);
      if (wanted.has(row)) this.resolved.set(row, JSON.parse(text.slice(start, end)) as string);
      row++;
      start = end + 1;
    }
    this.fd = openSync(this.file, "a");
  }
  get(row: number): string {
    if (row >= this.memBase) return this.mem[row - this.memBase]!;
    const id = this.resolved.get(row);
    if (id === undefined) throw new Error(`internal: id of row ${row} was not resolved`);
    return id;
  }
  /** Deletes the spill file; resolved and in-memory ids stay readable. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.file, { force: true });
  }
}
