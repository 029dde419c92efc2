/**
 * `curate decontaminate` on any input a mix source reads (Parquet, JSON array/object files, globs,
 * several paths, hf:// and https:// paths, field paths such as `meta.question`): rows come from the
 * source readers (io/text-rows.ts) and are matched on this thread. A single local JSONL(.gz) file
 * with a plain `--field` takes the batched fast path instead (match-file.ts, batch.ts), whose bytes
 * this path gives for the same rows: {"id", "matches"} per matched row (`all`: every row), the id
 * the row's own (`--id-field`, else id/unique_id/uid/idx), else its row number from 0 — and with
 * several files, "file:row", since a row number alone would not say which file.
 */
import type { SourceFile } from "../io/sources.js";
import { readTextRows, type TextRowOptions } from "../io/text-rows.js";
import type { ContaminationIndex } from "./benchmark-index.js";
import type { BatchOptions, OutputSink } from "./batch.js";
import { contaminationOf } from "./row-match.js";

export interface RowsResult {
  rows: number;
  flagged: number;
  byBenchmark: Record<string, number>;
}

/** Match every row of `files` and hand the output lines to `write`, in input order. */
export async function matchRows(files: SourceFile[], index: ContaminationIndex, o: BatchOptions, read: TextRowOptions, write: OutputSink, result: RowsResult): Promise<void> {
  const several = files.length > 1;
  let pending = "";
  const flush = async () => {
    if (pending !== "") await write(pending);
    pending = "";
  };
  try {
    for await (const r of readTextRows(files, read)) {
      const matches = contaminationOf(index, { problem: r.text, response: r.extra ?? "" }, o.cfg);
      result.rows++;
      if (matches.length > 0) {
        result.flagged++;
        for (const m of matches) result.byBenchmark[m.benchmark] = (result.byBenchmark[m.benchmark] ?? 0) + 1;
      }
      if (matches.length === 0 && !o.all) continue;
      const ms = matches.map((m) => (o.details ? m : { benchmark: m.benchmark, item: m.item, method: m.method, score: m.score }));
      const id = r.id ?? (several ? `${r.file}:${r.row}` : r.row);
      pending += JSON.stringify({ id, matches: ms }) + "\n";
      if (pending.length >= 1 << 16) await flush();
    }
  } finally {
    await flush(); // the rows before a bad one are written, as on the fast path
  }
}
