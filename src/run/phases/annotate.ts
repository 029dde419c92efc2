/**
 * Phase `annotate`: every unit this rank owns (an input file, or a piece of a large one) is read, run through the annotator
 * chain on the worker pool (input order kept) and written to annotated/u<unit>-*.parquet — every row,
 * bad input rows included, with its annotations but without the response text — then marked done
 * (the unit marker, with the input's size and mtime, or a remote input's URL, size and etag).
 * Resumable: a unit with a marker is skipped.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { DropReason, Rollout } from "../../record/rollout.js";
import { readSources, SourceError, type SourceFile } from "../../io/sources.js";
import { countLineStarts, unitName } from "../../io/units.js";
import { ShardSet } from "../../io/parquet-write.js";
import { REJECTED_COLUMNS, decisionValues, rolloutValues } from "../../io/rollout-columns.js";
import { InputError } from "../../errors.js";
import { AnnotatePool } from "../../annotate/pool.js";
import { prepareAnnotators } from "../../annotate/chain.js";
import type { Progress } from "../progress.js";
import { clearUnit, markerFits, readMarker, writeMarker, type UnitInput, type UnitMarker } from "../markers.js";
import { unitShard } from "../write-parts.js";
import type { RunContext } from "../context.js";

/** the most bytes one input row may take (longer rows are bad rows, `input:row_too_large`) */
const MAX_ROW_BYTES = 16 * 1024 * 1024;

export async function annotatePhase(ctx: RunContext): Promise<void> {
  const { config, outDir, progress } = ctx;
  const annotateCtx = { baseDir: ctx.loaded.baseDir, runDir: outDir, seed: config.seed };
  await ctx.timed("prepare", () => prepareAnnotators(config, annotateCtx));
  await ctx.timed("annotate", async () => {
    progress.phase(ctx.world > 1 ? `annotate (${ctx.rankLabel})` : "annotate");
    const mine = ctx.units.filter(({ unit }) => ctx.owns(unit));
    const todo = mine.filter(({ unit, file }) => {
      const m = readMarker(outDir, unit);
      return !m || !markerFits(m, file);
    });
    ctx.unitsSkipped = mine.length - todo.length;
    if (todo.length) {
      const pool = new AnnotatePool(config, annotateCtx, ctx.workers);
      const lineCounts = new Map<number, number>(); // lines of JSONL pieces, by unit
      ctx.annotateStats = pool.stats;
      try {
        for (const { unit, file } of todo) {
          if (ctx.opts.stopAfterUnits !== undefined && ctx.unitsAnnotated >= ctx.opts.stopAfterUnits) {
            throw new Error(`stopped after ${ctx.unitsAnnotated} unit(s) (test hook)`);
          }
          const marker = await annotateUnit(ctx, unit, await withRowBase(ctx, unit, file, lineCounts), pool);
          if (marker.lines !== undefined) lineCounts.set(unit, marker.lines);
          // fault injection for the resume tests (never set in normal use): a real SIGKILL after N units
          if (++ctx.unitsAnnotated === Number(process.env.CURATE_FAULT_KILL_AFTER_UNITS)) process.kill(process.pid, "SIGKILL");
        }
      } finally {
        await pool.close();
      }
    }
    if (ctx.unitsSkipped) progress.log(`resumed: ${ctx.unitsSkipped} unit(s) already annotated were skipped`);
  });
}

/**
 * A JSONL piece's file row of its first line: the lines of the file's pieces before it, from their
 * markers (any rank's) or `counted` here, else counted now (newlines only, no parsing).
 */
async function withRowBase(ctx: RunContext, unit: number, file: SourceFile, counted: Map<number, number>): Promise<SourceFile> {
  const range = file.range;
  if (range?.kind !== "bytes" || range.rowBase !== undefined) return file;
  let rowBase = 0;
  for (const u of ctx.units) {
    if (u.unit >= unit) break;
    const r = u.file.range;
    if (u.file.path !== file.path || u.file.source !== file.source || r?.kind !== "bytes") continue;
    let lines = counted.get(u.unit);
    if (lines === undefined) {
      const m = readMarker(ctx.outDir, u.unit);
      lines = m && markerFits(m, u.file) && m.lines !== undefined ? m.lines : await countLineStarts(u.file, r.from, r.to);
      counted.set(u.unit, lines);
    }
    rowBase += lines;
  }
  return { ...file, range: { ...range, rowBase } };
}

async function* batched<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let buf: T[] = [];
  for await (const x of items) {
    buf.push(x);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}

/** A bad input row, with where it was, waiting for its place in annotated/ (file order). */
interface BadRow {
  row: Rollout;
  drop: DropReason;
  raw: string;
  offset: number;
}

/**
 * The unit's rollouts, for the annotator chain; bad rows go to `bad` (in order) and each rollout's line
 * offset to `offsets`. A reader error names the file and row.
 */
async function* unitRollouts(file: SourceFile, progress: Progress, bad: BadRow[], offsets: number[], counted: () => void, onLines: (n: number) => void): AsyncGenerator<Rollout> {
  try {
    for await (const item of readSources([file], { maxRowBytes: MAX_ROW_BYTES, onBytes: (n) => progress.bytes(n), onLines })) {
      counted();
      if (item.kind === "bad") {
        const b = item.bad;
        const placeholder: Rollout = {
          id: `${b.source}:${b.file}:${b.row + 1}`, ordinal: -1, source: b.source, file: b.file, row: Math.max(b.row, 0),
          rolloutIndex: 0, problem: "", response: "", reference: null, finishReason: null, meta: {},
        };
        bad.push({ row: placeholder, drop: { stage: "read", reason: b.reason, detail: b.detail }, raw: b.raw, offset: item.offset ?? -1 });
        progress.log(`quarantined ${b.file}${b.row >= 0 ? ` row ${b.row + 1}` : ""}: ${b.detail}`);
        continue;
      }
      offsets.push(item.offset ?? -1);
      yield item.rollout;
    }
  } catch (e) {
    if (e instanceof SourceError) throw new InputError(e.file, e.row, e.message.slice(e.message.indexOf(": ") + 2));
    throw e;
  }
}

/** What the write step holds the input to when it re-reads it (see UnitMarker.input). */
function inputIdentity(file: SourceFile): UnitInput {
  if (file.remote) {
    const { url, size, etag, revision } = file.remote;
    return { bytes: size, url, etag, ...(revision ? { revision } : {}) };
  }
  const st = statSync(file.path);
  return { bytes: st.size, mtimeMs: st.mtimeMs };
}

async function annotateUnit(ctx: RunContext, unit: number, file: SourceFile, pool: AnnotatePool): Promise<UnitMarker> {
  const { outDir, progress } = ctx;
  clearUnit(outDir, unit);
  const input = inputIdentity(file);
  const shards = new ShardSet(join(outDir, "annotated"), unitName(unit), REJECTED_COLUMNS, ctx.shard);
  let rows = 0;
  // where each annotated shard starts in the input (see UnitMarker.starts)
  const starts: NonNullable<UnitMarker["starts"]> = [];
  const offsets: number[] = []; // line offsets of the rollouts in flight, in order
  try {
    const badRows: BadRow[] = [];
    // bad rows are written at their place in the file order: before the batch that follows them
    const flushBad = (beforeRow: number) => {
      while (badRows.length && badRows[0]!.row.row < beforeRow) {
        const b = badRows.shift()!;
        if (shards.atShardStart) starts.push({ byte: b.offset, row: b.row.row, rollout: 0 });
        shards.append([...rolloutValues(b.row, undefined, { blank: true }), ...decisionValues(b.drop, b.raw)]);
      }
    };
    const quarantine = file.source.onError === "quarantine";
    // only annotator failures are decided here; row filters are decided at finalize from the stored
    // annotations (thresholds can change without re-annotating)
    let lines: number | undefined;
    const rollouts = unitRollouts(file, progress, badRows, offsets, () => rows++, (n) => (lines = n));
    for await (const batch of pool.stream(batched(rollouts, ctx.config.batchSize ?? 256))) {
      for (const record of batch) {
        flushBad(record.row);
        let drop: DropReason = { stage: "", reason: "" };
        const err = record.annotateError;
        if (err) {
          const what = `annotator ${err.annotator} failed on rollout ${record.id}: ${err.message}`;
          if (!quarantine) throw new InputError(file.rel, record.row, what);
          progress.log(`quarantined ${file.rel} row ${record.row + 1}: ${what}`);
          drop = { stage: "annotate", reason: "annotate:error", detail: what };
        }
        const offset = offsets.shift()!;
        if (shards.atShardStart) starts.push({ byte: offset, row: record.row, rollout: record.rolloutIndex });
        shards.append([...rolloutValues(record, undefined, { response: false }), ...decisionValues(drop)], { tokens: record.tokens?.response ?? 0 });
      }
      progress.rows(batch.length);
    }
    flushBad(Infinity);
    const closed = shards.close();
    const marker: UnitMarker = { unit, source: file.source.name, file: file.rel, rows, shards: closed.map((s) => unitShard(outDir, s)), input, starts };
    if (file.range) Object.assign(marker, { range: file.range }, lines === undefined ? {} : { lines });
    writeMarker(outDir, marker);
    return marker;
  } catch (e) {
    shards.abort();
    clearUnit(outDir, unit); // and any shard of this unit already rolled over: no marker, no shards
    throw e;
  }
}
