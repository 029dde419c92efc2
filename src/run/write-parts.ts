/**
 * The write step for one unit: its annotated/ rows zipped with the responses re-read from its input
 * and with the saved group outcome → data/ (kept) and rejected/ (dropped, with stage and reason).
 *
 * A unit is written in parts, one per annotated shard: part p of unit u goes to
 * `data/train-u<u>-p<p>-<k>.parquet` and `rejected/rejected-u<u>-p<p>-<k>.parquet`. Names and bytes
 * depend only on the unit and part, so parts can be written by any thread or rank in any order. A
 * plain JSONL unit's parts are read from the byte offsets the annotate step recorded (in parallel);
 * gzip and Parquet inputs are read once, front to back, part after part.
 */
import { statSync } from "node:fs";
import { join, relative } from "node:path";
import { ShardSet, type ClosedShard, type Codec } from "../io/parquet-write.js";
import { readParquetRows } from "../io/parquet-read.js";
import { SourceError, readSources, type ReadStart, type SourceFile } from "../io/sources.js";
import { REJECTED_COLUMNS, KEPT_COLUMNS, decisionValues, rolloutFromRow, rolloutValues } from "../io/rollout-columns.js";
import { InputError } from "../errors.js";
import type { DropReason, Rollout } from "../record/rollout.js";
import type { GroupOutcome } from "../group/outcome.js";
import { isReadFailure, storedDrop, type Decider } from "../decide/decide.js";
import { unitName } from "../io/units.js";
import type { RaisedSignal } from "../decide/signals.js";
import { clearWritten, type SignalCount, type StageCount, type UnitMarker, type UnitShard, type WriteCounts } from "./markers.js";

export interface ShardOptions {
  codec: Codec;
  rowGroupRows: number;
  shardRows: number;
  shardBytes: number;
}

export class StageCounter {
  readonly counts = new Map<string, StageCount>();
  constructor(order: string[]) {
    for (const s of order) this.get(s);
  }
  get(stage: string): StageCount {
    let c = this.counts.get(stage);
    if (!c) {
      c = { stage, in: 0, kept: 0, dropped: 0, reasons: {} };
      this.counts.set(stage, c);
    }
    return c;
  }
  /** one row through the stages in `order`: counted in by each until the one that drops it (if any) */
  record(order: string[], drop: DropReason | null) {
    for (const s of order) {
      const c = this.get(s);
      c.in++;
      if (drop && drop.stage === s) {
        c.dropped++;
        c.reasons[drop.reason] = (c.reasons[drop.reason] ?? 0) + 1;
        return;
      }
      c.kept++;
    }
    if (drop) throw new Error(`row dropped by unknown stage "${drop.stage}" (${drop.reason})`);
  }
  /** add another counter's per-stage counts (a part's or unit's share) */
  merge(stages: StageCount[]) {
    for (const s of stages) {
      const c = this.get(s.stage);
      c.in += s.in;
      c.kept += s.kept;
      c.dropped += s.dropped;
      for (const [r, n] of Object.entries(s.reasons)) c.reasons[r] = (c.reasons[r] ?? 0) + n;
    }
  }
}

/** The signal table of some rows (src/decide/signals.ts): rows raising each signal, kept, dropped as it. */
export class SignalCounter {
  readonly counts: Record<string, SignalCount> = {};
  private readonly seen = new Set<string>();

  private get(stage: string, signal: string): SignalCount {
    return (this.counts[signal] ??= { stage, rows: 0, kept: 0, droppedAs: 0 });
  }

  /** one row: the signals it raises (each counted once) and its final decision */
  record(signals: RaisedSignal[], drop: DropReason | null) {
    this.seen.clear();
    for (const { stage, signal } of signals) {
      if (this.seen.has(signal)) continue;
      this.seen.add(signal);
      const c = this.get(stage, signal);
      c.rows++;
      if (!drop) c.kept++;
      else if (drop.reason === signal) c.droppedAs++;
    }
  }

  /** add another counter's table (a part's or unit's share) */
  merge(signals: Record<string, SignalCount>) {
    for (const [signal, s] of Object.entries(signals)) {
      const c = this.get(s.stage, signal);
      c.rows += s.rows;
      c.kept += s.kept;
      c.droppedAs += s.droppedAs;
    }
  }

  /** the table with its signals in name order, so merged counts serialise the same whatever the merge order */
  sorted(): Record<string, SignalCount> {
    const out: Record<string, SignalCount> = {};
    for (const k of Object.keys(this.counts).sort()) out[k] = this.counts[k]!;
    return out;
  }
}

/** A closed shard as a unit or write marker lists it (path relative to the run folder). */
export function unitShard(outDir: string, s: ClosedShard & { extra: Record<string, number> }): UnitShard {
  return { path: relative(outDir, s.path), rows: s.rows, tokens: s.extra.tokens ?? 0, bytes: s.bytes, sha256: s.sha256 };
}

/** How a unit's annotated shards are re-read: from the start, or shard `from` onwards at its recorded position. */
interface ReadRange {
  /** first annotated shard */
  from: number;
  /** one past the last annotated shard */
  to: number;
}

/**
 * Every annotated row in global order (unit order, then row order), with its dense index. With
 * `inputs` (unit → file), each rollout row gets its `response` back from the input file, re-read in
 * the same order; the ids must agree row by row and the file must have the size and mtime it had
 * when it was annotated, else the input changed and finalize stops. `range` restricts one unit to
 * some of its annotated shards (`base` is then the index of the range's first row).
 */
export async function* annotatedRows(outDir: string, markers: UnitMarker[], columns?: string[], inputs?: Record<number, SourceFile>, base = 0, range?: ReadRange) {
  let index = base;
  for (const m of markers) {
    const file = inputs?.[m.unit];
    const from = range?.from ?? 0;
    const to = range?.to ?? m.shards.length;
    const start = from > 0 ? m.starts?.[from] : undefined;
    if (from > 0 && !(start && file?.format === "jsonl" && start.byte >= 0)) throw new Error(`internal: unit ${unitName(m.unit)} cannot be read from annotated shard ${from}`);
    const responses = file ? inputResponses(file, m, start) : null;
    for (let p = from; p < to; p++) {
      for await (const raw of readParquetRows(join(outDir, m.shards[p]!.path), { columns })) {
        const value = (raw as { value: Record<string, unknown> }).value;
        if (responses && value.stage !== "read") {
          const next = await responses.next();
          if (next.done || next.value.id !== value.id) {
            throw new InputError(file!.rel, Number(value.row), `input changed since it was annotated: annotated/ has rollout ${String(value.id)} here, the input now has ${next.done ? "no more rows" : next.value.id}; run again with --force`);
          }
          value.response = next.value.response;
        }
        yield { index: index++, value, part: p };
      }
    }
    if (responses && to === m.shards.length && !(await responses.next()).done) {
      throw new InputError(file!.rel, null, `input changed since it was annotated: it now has more rollouts than the ${m.rows} rows annotated; run again with --force`);
    }
    if (responses) await responses.return(undefined);
  }
}

/**
 * The input as it was annotated: a local file must still have its size and mtime; a remote one is
 * read from the URL recorded then (a Hub file at the commit it resolved to) and held to the size and
 * etag recorded then, whatever its listing says now.
 */
function inputAsAnnotated(file: SourceFile, m: UnitMarker): SourceFile {
  const was = m.input;
  if (file.remote) {
    if (!was || !("url" in was)) return file;
    return { ...file, path: was.url, bytes: was.bytes, remote: { url: was.url, size: was.bytes, etag: was.etag, ...(was.revision ? { revision: was.revision } : {}) } };
  }
  let st;
  try {
    st = statSync(file.path);
  } catch {
    throw new InputError(file.rel, null, `input is gone: finalize re-reads response texts from the inputs (annotated/ stores none); restore it or run again with --force`);
  }
  if (was && !("mtimeMs" in was)) throw new InputError(file.rel, null, `input changed since it was annotated (it was a remote file then); run again with --force`);
  // mtime compared to the millisecond: copies that keep mtimes (cp -p, rsync -t) may round the rest
  if (was && (st.size !== was.bytes || Math.abs(st.mtimeMs - was.mtimeMs) >= 1)) {
    throw new InputError(file.rel, null, `input changed since it was annotated (size ${was.bytes} → ${st.size} bytes, mtime ${new Date(was.mtimeMs).toISOString()} → ${new Date(st.mtimeMs).toISOString()}); run again with --force`);
  }
  return file;
}

/** The rollouts' responses of one unit's input, in order (bad rows are skipped: they have none). */
async function* inputResponses(file: SourceFile, m: UnitMarker, start?: ReadStart): AsyncGenerator<{ id: string; response: string }> {
  const input = inputAsAnnotated(file, m);
  try {
    for await (const item of readSources([input], { maxRowBytes: 16 * 1024 * 1024, start })) {
      if (item.kind === "rollout") yield { id: item.rollout.id, response: item.rollout.response };
    }
  } catch (e) {
    if (e instanceof SourceError && e.reason === "input:changed") {
      throw new InputError(file.rel, null, `input changed since it was annotated: ${e.message.slice(file.rel.length + 2)}; run again with --force`);
    }
    throw e;
  }
}

/** Can the unit's parts be read independently (plain JSONL with recorded positions)? */
export function partsSeekable(m: UnitMarker, file: SourceFile): boolean {
  return file.format === "jsonl" && m.starts?.length === m.shards.length && m.starts.every((s) => s.byte >= 0) && file.source.limit === undefined;
}

/** One write job: parts [from, to) of one unit. Plain data, so it can go to a worker thread. */
export interface WriteJob {
  outDir: string;
  marker: UnitMarker;
  file: SourceFile;
  /** global index of the unit's first annotated row */
  base: number;
  from: number;
  to: number;
  order: string[];
  shard: ShardOptions;
}

export interface PartResult extends WriteCounts {
  part: number;
}

/**
 * The sum of some parts' (or units') counts, stages in `order`; sources listed in `sources` come first
 * (with zeros when absent), the others in the order met. Shard lists are concatenated in order.
 */
export function mergeWriteCounts(order: string[], items: WriteCounts[], sources: string[] = []): WriteCounts {
  const counter = new StageCounter(order);
  const signals = new SignalCounter();
  const bySource: WriteCounts["bySource"] = {};
  for (const name of sources) bySource[name] = { in: 0, kept: 0, dropped: 0 };
  let rowsIn = 0;
  let keptRows = 0;
  let keptTokens = 0;
  for (const w of items) {
    rowsIn += w.rowsIn;
    keptRows += w.keptRows;
    keptTokens += w.keptTokens;
    counter.merge(w.stages);
    signals.merge(w.signals);
    for (const [name, c] of Object.entries(w.bySource)) {
      const t = (bySource[name] ??= { in: 0, kept: 0, dropped: 0 });
      t.in += c.in;
      t.kept += c.kept;
      t.dropped += c.dropped;
    }
  }
  return { rowsIn, keptRows, keptTokens, stages: order.map((s) => counter.get(s)), signals: signals.sorted(), bySource, data: items.flatMap((w) => w.data), rejected: items.flatMap((w) => w.rejected) };
}

export const partName = (unit: number, part: number) => `${unitName(unit)}-p${String(part).padStart(5, "0")}`;

/** Write parts [job.from, job.to) of a unit; on failure its parts' shards (closed or not) are removed. */
export async function writeParts(job: WriteJob, outcome: GroupOutcome, decider: Decider, onRows?: (n: number) => void): Promise<PartResult[]> {
  const { outDir, marker, order } = job;
  const results: PartResult[] = [];
  let base = job.base;
  for (let p = 0; p < job.from; p++) base += marker.shards[p]!.rows;
  let part = -1;
  let kept: ShardSet | null = null;
  let rejected: ShardSet | null = null;
  let counter = new StageCounter(order);
  let signals = new SignalCounter();
  let result: PartResult | null = null;
  const close = () => {
    if (!result) return;
    result.stages = order.map((s) => counter.get(s));
    result.signals = signals.sorted();
    result.data = kept!.close().map((s) => unitShard(outDir, s));
    result.rejected = rejected!.close().map((s) => unitShard(outDir, s));
    results.push(result);
    result = null;
  };
  const open = (p: number) => {
    close();
    part = p;
    clearWritten(outDir, marker.unit, p);
    rejected = new ShardSet(join(outDir, "rejected"), `rejected-${partName(marker.unit, p)}`, REJECTED_COLUMNS, job.shard);
    kept = new ShardSet(join(outDir, "data"), `train-${partName(marker.unit, p)}`, KEPT_COLUMNS, job.shard);
    counter = new StageCounter(order);
    signals = new SignalCounter();
    result = { part: p, rowsIn: 0, keptRows: 0, keptTokens: 0, stages: [], signals: {}, bySource: {}, data: [], rejected: [] };
  };
  try {
    let sinceProgress = 0;
    for await (const { index, value, part: p } of annotatedRows(outDir, [marker], undefined, { [marker.unit]: job.file }, base, { from: job.from, to: job.to })) {
      if (p !== part) open(p);
      const r = result!;
      r.rowsIn++;
      const { record } = rolloutFromRow(value);
      record.ordinal = index;
      const stored = storedDrop(value);
      const src = (r.bySource[record.source] ??= { in: 0, kept: 0, dropped: 0 });
      src.in++;
      if (isReadFailure(stored)) {
        counter.record(order, stored);
        signals.record(decider.signals(null, stored, stored, index, outcome), stored);
        src.dropped++;
        rejected!.append([...rolloutValues(record, undefined, { blank: true }), ...decisionValues(stored!, (value.raw as string | null) ?? null)]);
        continue;
      }
      const info = outcome.info(index);
      record.id = outcome.idOf(index) ?? record.id;
      const drop = decider.final(record, stored, index, outcome);
      counter.record(order, drop);
      signals.record(decider.signals(record, stored, drop, index, outcome), drop);
      const tokens = record.tokens?.response ?? 0;
      if (drop) {
        src.dropped++;
        rejected!.append([...rolloutValues(record, info, { sketch: false }), ...decisionValues(drop)], { tokens });
      } else {
        src.kept++;
        r.keptRows++;
        r.keptTokens += tokens;
        kept!.append(rolloutValues(record, info, { sketch: false }), { tokens });
      }
      if (++sinceProgress === 1000) {
        onRows?.(sinceProgress);
        sinceProgress = 0;
      }
    }
    // a part with no rows (cannot happen: every annotated shard has rows) would still get its sets
    for (let p = part + 1; p < job.to; p++) open(p);
    close();
    if (sinceProgress) onRows?.(sinceProgress);
    return results;
  } catch (e) {
    (kept as ShardSet | null)?.abort();
    (rejected as ShardSet | null)?.abort();
    // shards of these parts already closed go too: a unit's shards exist only with its write marker
    for (let p = job.from; p < job.to; p++) clearWritten(outDir, marker.unit, p);
    throw e;
  }
}
