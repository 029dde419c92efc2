/**
 * Rebuild the outputs of a finished run from its folder — data/ (kept) and rejected/ (dropped, with
 * stage and reason) merged back into input order — without reading the sources or annotating again:
 * changing an output's rules never needs re-tokenising. Per-problem summaries are recomputed with
 * ProblemStats over the same rows the runner feeds it (every row except quarantined input rows).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { MixConfig } from "../config/types.js";
import type { ProblemSummary } from "../group/problems.js";
import { ProblemStats } from "../group/problems.js";
import { readParquetRows } from "../io/parquet-read.js";
import { rolloutFromRow } from "../io/rollout-columns.js";
import type { RowGroupInfo } from "../group/types.js";
import { buildOutputs, type BuildOutputsArgs, type MixRow } from "./build.js";
import type { OutputManifest } from "./types.js";

function shardsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().map((f) => join(dir, f)) : [];
}

async function* values(files: string[]): AsyncGenerator<Record<string, unknown>> {
  for (const f of files) {
    try {
      for await (const raw of readParquetRows(f)) yield (raw as unknown as { value: Record<string, unknown> }).value;
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message}`);
    }
  }
}

export function mixRowFromShardRow(v: Record<string, unknown>): MixRow {
  const { record, group } = rolloutFromRow(v);
  const drop = v.stage
    ? { stage: v.stage as string, reason: v.reason as string, detail: (v.detail as string | null) ?? undefined, duplicateOf: (v.duplicate_of as string | null) ?? undefined }
    : null;
  return { record, group: group ?? ({ problemGroup: (v.problem_group as string | null) ?? "" } as RowGroupInfo), drop };
}

/** Every row of a finished run, kept and dropped, in ordinal order (each shard set is written in that order). */
export function runRows(runDir: string): () => AsyncIterable<MixRow> {
  const kept = shardsIn(join(runDir, "data"));
  const dropped = shardsIn(join(runDir, "rejected"));
  if (kept.length + dropped.length === 0) throw new Error(`${runDir}: no data/ or rejected/ shards (is this a finished curate run folder?)`);
  return async function* () {
    const a = values(kept)[Symbol.asyncIterator]();
    const b = values(dropped)[Symbol.asyncIterator]();
    let x = await a.next();
    let y = await b.next();
    const ord = (r: IteratorResult<Record<string, unknown>>) => Number(r.value.ordinal);
    let last = -Infinity;
    while (!x.done || !y.done) {
      let row: Record<string, unknown>;
      if (!x.done && (y.done || ord(x) <= ord(y))) {
        row = x.value;
        x = await a.next();
      } else {
        row = y.value!;
        y = await b.next();
      }
      const o = Number(row.ordinal);
      if (!(o > last) && row.stage !== "read") throw new Error(`${runDir}: ordinal ${o} (id ${String(row.id)}) out of order after ${last}`);
      if (row.stage !== "read") last = o;
      yield mixRowFromShardRow(row);
    }
  };
}

/** Problem summaries over the rows, as the runner computes them. */
export async function problemSummaries(rows: () => AsyncIterable<MixRow>): Promise<Map<string, ProblemSummary>> {
  const stats = new ProblemStats();
  for await (const r of rows()) {
    if (r.drop?.stage === "read") continue;
    stats.addRollout(r.group.problemGroup, r.record);
  }
  return new Map(stats.summaries().map((s) => [s.problemGroup, s]));
}

/** Build `config.outputs` into `${runDir}/outputs/` from the run's shards. */
export async function rebuildOutputs(config: MixConfig, runDir: string, configHash?: string, workers = 0): Promise<Record<string, OutputManifest>> {
  const rows = runRows(runDir);
  const summaries = await problemSummaries(rows);
  const out = config.output ?? {};
  const args: BuildOutputsArgs = {
    config,
    outDir: runDir,
    rows,
    problem: (g) => summaries.get(g),
    shard: { codec: out.codec ?? "ZSTD", rowGroupRows: out.rowGroupRows ?? 1000, shardRows: out.shardRows ?? 50_000, shardBytes: out.shardBytes ?? 256 * 1024 * 1024 },
    ...(configHash ? { configHash } : {}),
    workers,
  };
  return buildOutputs(args);
}
