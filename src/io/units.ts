/**
 * Units: the pieces of the input a rank annotates and writes on its own, named u<NNNNN> in every
 * file the run writes (annotated/, data/, rejected/, markers, the group outcome), in the order the
 * sources list their files.
 *
 * A file of at most `unitBytes` (default 256 MiB) is one unit. A larger one is cut so that ranks share
 * it:
 * - plain JSONL by byte ranges: the cuts are at k × unitBytes; a unit reads the lines that START in
 *   its range [from, to) — it begins at the first line start at or after `from`, and the line that
 *   crosses `to` is its own (the next unit skips it). Row numbers are those of the whole file: a unit's
 *   first row is the number of lines starting before `from` (counted, see {@link countLineStarts}).
 * - Parquet by runs of consecutive row groups, each run at least `unitBytes` of compressed data (the
 *   last one what is left); row numbers come from the footer's row counts.
 * gzip files (a stream cannot be entered in the middle), JSON array/object files and files of a source
 * with a `limit` (taken in file order) stay whole.
 */
import type { SourceFile } from "./sources.js";
import { LocalBytes, closeStream, type ByteSource } from "./byte-source.js";
import { openBytes } from "./remote-bytes.js";
import type { HubSettings } from "./http.js";
import { UsageError } from "../errors.js";

export const unitName = (i: number) => `u${String(i).padStart(5, "0")}`;

/** input bytes per unit when the config sets no `unitBytes` */
export const DEFAULT_UNIT_BYTES = 256 * 1024 * 1024;

/**
 * The part of a file one unit reads. `bytes`: plain JSONL lines starting in [from, to); `rowBase` is
 * the file row of the first of them, known once counted (the annotate step records it in the unit's
 * marker). `rowGroups`: Parquet row groups [from, to).
 */
export type UnitRange = { kind: "bytes"; from: number; to: number; rowBase?: number } | { kind: "rowGroups"; from: number; to: number };

export interface Unit {
  unit: number;
  /** the file; `file.range` is set when the unit is one piece of it */
  file: SourceFile;
}

function opened(file: SourceFile, remote: HubSettings): ByteSource {
  return file.remote ? openBytes(file, remote) : LocalBytes.open(file.path);
}

/** Byte cuts of a plain JSONL file of `size` bytes: [0, u), [u, 2u), … */
export function byteRanges(size: number, unitBytes: number): UnitRange[] {
  const out: UnitRange[] = [];
  for (let from = 0; from < size; from += unitBytes) out.push({ kind: "bytes", from, to: Math.min(size, from + unitBytes) });
  return out;
}

/** Runs of consecutive row groups, each of at least `unitBytes` compressed bytes (the last: the rest). */
export function rowGroupRanges(groupBytes: readonly number[], unitBytes: number): UnitRange[] {
  const out: UnitRange[] = [];
  let from = 0;
  let bytes = 0;
  for (let g = 0; g < groupBytes.length; g++) {
    bytes += groupBytes[g]!;
    if (bytes >= unitBytes || g === groupBytes.length - 1) {
      out.push({ kind: "rowGroups", from, to: g + 1 });
      from = g + 1;
      bytes = 0;
    }
  }
  return out;
}

/** The ranges a file is cut into, or null when it stays one unit. */
async function rangesOf(file: SourceFile, unitBytes: number, remote: HubSettings): Promise<UnitRange[] | null> {
  if (file.bytes <= unitBytes || file.source.limit !== undefined) return null;
  if (file.format === "jsonl") return byteRanges(file.bytes, unitBytes);
  if (file.format !== "parquet") return null;
  const { parquetRowGroups } = await import("./parquet-read.js"); // loaded on first use (see io/sources.ts)
  const bytes = opened(file, remote);
  try {
    const ranges = rowGroupRanges(await parquetRowGroups(bytes), unitBytes);
    return ranges.length > 1 ? ranges : null;
  } catch {
    return null; // an unreadable footer: the file is one unit, whose read reports the problem as always
  } finally {
    await bytes.close();
  }
}

/** the most units a run may have: unit names have five digits, and files sort by them */
export const MAX_UNITS = 100_000;

function tooMany(file: SourceFile, unitBytes: number): UsageError {
  return new UsageError(`unitBytes ${unitBytes} cuts the input into more than ${MAX_UNITS.toLocaleString("en-US")} units (by ${file.rel}, ${file.bytes.toLocaleString("en-US")} bytes); set a larger unitBytes`);
}

/** Every file's units, in file order: one per file, or one per range of a large one. */
export async function planUnits(files: SourceFile[], unitBytes = DEFAULT_UNIT_BYTES, remote: HubSettings = {}): Promise<Unit[]> {
  const out: Unit[] = [];
  for (const file of files) {
    // checked before the ranges are made: a tiny unitBytes on a large file would make billions
    if (file.format === "jsonl" && file.source.limit === undefined && out.length + Math.ceil(file.bytes / unitBytes) > MAX_UNITS) throw tooMany(file, unitBytes);
    const ranges = await rangesOf(file, unitBytes, remote);
    if (out.length + (ranges?.length ?? 1) > MAX_UNITS) throw tooMany(file, unitBytes);
    if (!ranges) out.push({ unit: out.length, file });
    else for (const range of ranges) out.push({ unit: out.length, file: { ...file, range } });
  }
  return out;
}

/** A piece of a file, for messages: "bytes 0–1,048,576", "row groups 4–7"; "the whole file". */
export function describeRange(r: UnitRange | undefined): string {
  if (!r) return "the whole file";
  return r.kind === "bytes" ? `bytes ${r.from.toLocaleString("en-US")}–${r.to.toLocaleString("en-US")}` : `row groups ${r.from}–${r.to - 1}`;
}

/** Same piece of the input (the row base aside, which is derived)? */
export function sameRange(a: UnitRange | undefined, b: UnitRange | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && a.from === b.from && a.to === b.to;
}

/**
 * Lines of a plain JSONL file that start in bytes [from, to) (a line starts at 0 and after every
 * newline that is not the file's last byte; blank lines count: they have row numbers too). Reads the
 * bytes [from − 1, to − 1) and counts newlines, nothing is parsed.
 */
export async function countLineStarts(file: SourceFile, from: number, to: number, remote: HubSettings = {}): Promise<number> {
  const bytes = opened(file, remote);
  try {
    let n = from === 0 && bytes.size > 0 ? 1 : 0;
    const stream = bytes.stream(Math.max(0, from - 1), Math.min(to - 1, bytes.size - 1));
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
      }
    } finally {
      await closeStream(stream);
    }
    return n;
  } finally {
    await bytes.close();
  }
}
