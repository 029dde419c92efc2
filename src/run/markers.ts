/**
 * Units of work, completion markers and run state, shared by local runs, array-job ranks and resume.
 *
 * A unit is one input file, or one piece of a large one (io/units.ts). Its annotated rows go to `annotated/u<NNNNN>-<KKKKK>.parquet`; when all of
 * them are closed (renamed into place), a marker `.work/units/u<NNNNN>.json` is written atomically.
 * A unit with a marker is done: a rerun (after a crash, or on another rank) skips it. A unit without
 * one is redone from scratch after its stale shards are removed. Unit k belongs to rank k mod world.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { sameRange, unitName, type UnitRange } from "../io/units.js";
import type { SourceFile } from "../io/sources.js";

/** One stage's counts: rows in, kept, dropped, and dropped rows per reason. */
export interface StageCount {
  stage: string;
  in: number;
  kept: number;
  dropped: number;
  reasons: Record<string, number>;
}

export interface UnitShard {
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export type UnitInput = { bytes: number; mtimeMs: number } | { bytes: number; url: string; etag: string | null; revision?: string };

export interface UnitMarker {
  unit: number;
  source: string;
  file: string;
  /** rollouts + bad rows read from the file */
  rows: number;
  shards: UnitShard[];
  /**
   * the input as it was annotated: annotated/ holds no response text, finalize re-reads it from the
   * input, so the input must not change in between. A local file: its size and modification time; a
   * remote one: the URL read (Hub files: at the resolved commit), its size and etag, which the
   * re-read is held to.
   */
  input?: UnitInput;
  /**
   * per annotated shard, where its first row is in the input: byte offset of the line (in the
   * uncompressed stream; -1 for Parquet), line number, rollouts of that line in earlier shards. A
   * plain JSONL unit's shards are written in parallel from these positions.
   */
  starts?: { byte: number; row: number; rollout: number }[];
  /** the piece of the file this unit is, when the file is cut into several (io/units.ts) */
  range?: UnitRange;
  /** a JSONL piece: the lines that start in it (blank ones too), so that the next pieces' rows need not be counted */
  lines?: number;
}

export function markerPath(outDir: string, unit: number): string {
  return join(outDir, ".work", "units", `${unitName(unit)}.json`);
}

/** A marker counts only when every shard it lists exists with its recorded size. */
export function readMarker(outDir: string, unit: number): UnitMarker | null {
  const p = markerPath(outDir, unit);
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, "utf8")) as UnitMarker;
    return shardsPresent(outDir, m.shards) ? m : null;
  } catch {
    return null;
  }
}

/** every listed shard (path relative to the run folder) exists with its recorded size */
export function shardsPresent(outDir: string, shards: readonly { path: string; bytes: number }[]): boolean {
  for (const s of shards) {
    const abs = join(outDir, s.path);
    if (!existsSync(abs) || statSync(abs).size !== s.bytes) return false;
  }
  return true;
}

/** The marker is this unit's: the same file and, for a piece of a file, the same piece. */
export function markerFits(m: UnitMarker, file: SourceFile): boolean {
  return m.file === file.rel && m.source === file.source.name && sameRange(m.range, file.range);
}

export function writeMarker(outDir: string, m: UnitMarker): void {
  writeFileAtomic(markerPath(outDir, m.unit), JSON.stringify(m, null, 2) + "\n");
}

/**
 * Remove a unit's shards (and temp files) in `set` (annotated/: `uNNNNN-*`, data/: `train-uNNNNN-*`,
 * …), or only those of write part `part` (`train-uNNNNN-pPPPPP-*`).
 */
export function clearUnit(outDir: string, unit: number, set = "annotated", prefixOf = "", part?: number): void {
  const dir = join(outDir, set);
  if (!existsSync(dir)) return;
  const prefix = (prefixOf ? `${prefixOf}-` : "") + unitName(unit) + "-" + (part === undefined ? "" : `p${String(part).padStart(5, "0")}-`);
  for (const f of readdirSync(dir)) {
    if (f.startsWith(prefix) || (f.startsWith(".") && f.includes(prefix))) rmSync(join(dir, f), { force: true });
  }
}

/** Remove the data/ and rejected/ shards (and temp files) of a unit, or of one of its write parts. */
export function clearWritten(outDir: string, unit: number, part?: number): void {
  clearUnit(outDir, unit, "data", "train", part);
  clearUnit(outDir, unit, "rejected", "rejected", part);
}

/**
 * The write step's record of one unit: its data/ and rejected/ shards and its share of the counts.
 * `token` ties it to one group outcome (config hash + annotated shard hashes): a marker under another
 * token is stale and the unit is written again.
 */
/**
 * One row of the signal table (src/decide/signals.ts): the rows that raise a signal, whichever stage
 * dropped them, if any.
 */
export interface SignalCount {
  /** the stage whose filter acts on the signal */
  stage: string;
  /** rows that raise it */
  rows: number;
  /** of those, rows kept */
  kept: number;
  /** of those, rows dropped with this signal as their reason (the rest were kept or dropped by another cause) */
  droppedAs: number;
}

/** Rows in, kept, dropped per stage and per source, and the shards written: of a write part, a unit or a run. */
export interface WriteCounts {
  rowsIn: number;
  keptRows: number;
  keptTokens: number;
  /** per stage, in stage order: in / kept / dropped / reasons */
  stages: StageCount[];
  /** the signal table, by signal */
  signals: Record<string, SignalCount>;
  bySource: Record<string, { in: number; kept: number; dropped: number }>;
  data: UnitShard[];
  rejected: UnitShard[];
}

export interface WriteMarker extends WriteCounts {
  unit: number;
  token: string;
}

export function writeMarkerPath(outDir: string, unit: number): string {
  return join(outDir, ".work", "write", `${unitName(unit)}.json`);
}

/**
 * A write marker counts when its token matches, it has every count (a marker from a curate before the
 * signal table has none: its unit is written again) and every shard it lists exists with its size.
 */
export function readWriteMarker(outDir: string, unit: number, token: string): WriteMarker | null {
  const p = writeMarkerPath(outDir, unit);
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, "utf8")) as WriteMarker;
    if (typeof m.signals !== "object" || m.signals === null) return null;
    return m.token === token && shardsPresent(outDir, [...m.data, ...m.rejected]) ? m : null;
  } catch {
    return null;
  }
}

export function saveWriteMarker(outDir: string, m: WriteMarker): void {
  writeFileAtomic(writeMarkerPath(outDir, m.unit), JSON.stringify(m, null, 2) + "\n");
}

export interface RunState {
  /** hash of everything annotation depends on (config minus filters and outputs) */
  annotateHash: string;
  files: string[];
  /** the config the hash covers, to name what changed when it differs (absent in older runs) */
  annotateConfig?: unknown;
}

export function statePath(outDir: string): string {
  return join(outDir, ".work", "state.json");
}

export function readState(outDir: string): RunState | null {
  try {
    return JSON.parse(readFileSync(statePath(outDir), "utf8")) as RunState;
  } catch {
    return null;
  }
}

export function writeState(outDir: string, s: RunState): void {
  writeFileAtomic(statePath(outDir), JSON.stringify(s, null, 2) + "\n");
}

export function rankOwns(unit: number, rank: number, world: number): boolean {
  return unit % world === rank;
}
