/**
 * The dedupe engine behind `curate dedupe`: near-duplicate problem clusters of the rows of any input
 * a mix source reads (JSONL, JSONL.gz, JSON array/object files, Parquet; globs, several paths,
 * hf:// and https://), read by the source readers (io/text-rows.ts). Problems are sketched in worker
 * threads (SketchPool) in batches and handed to the ProblemGrouper in input order; every row (a
 * JSONL file's non-empty lines) then gets its cluster and representative.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RemoteSettings } from "../io/sources.js";
import { fieldPathArg, idPathsArg, readTextRows, resolveInputFiles } from "../io/text-rows.js";
import { ProblemGrouper } from "./group.js";
import { resolveSketch } from "./params.js";
import { SketchPool, type TextBatch } from "./pool.js";
import { batchRecord, type BatchSketch } from "./sketch-text.js";
import type { DedupeConfig, RepresentativePolicy } from "./types.js";

export interface DedupeFileOptions {
  /** field path of the problem text (as a source's fields: problem, meta.question, messages[0].content) */
  field: string;
  /** field path of the row id (default: id, unique_id, uid or idx; else file:row, row from 0) */
  idField?: string;
  /** where hf:// and https:// inputs are read (default: the environment) */
  remote?: RemoteSettings;
  /** Jaccard at which two problems are near-duplicates */
  threshold: number;
  check: "exact" | "estimate" | "none";
  representative: RepresentativePolicy;
  /** words per shingle */
  ngram: number;
  permutations: number;
  /** sketch worker threads; 0 sketches inline */
  workers: number;
  /** texts per sketch batch (default 256) */
  batchSize?: number;
  /** folder for spill files (default: a new temp folder, removed at the end) */
  tmpDir?: string;
  /** told the local files to read once they are known, before any is read (the CLI checks its --out against them) */
  onFiles?: (paths: string[]) => void;
}

export interface DedupeLine {
  id: string;
  cluster: string;
  representative: string;
  duplicate: boolean;
}

export interface DedupeFileResult {
  rows: number;
  clusters: number;
  duplicates: number;
  nearDuplicateClusters: number;
}

/** What the main thread keeps of a batch's rows while its texts are sketched: not the texts. */
interface BatchRows {
  ids: string[];
  chars: number[];
}

/** Adds a sketched batch to the grouper in input order; `ids` collects the row ids by ordinal. */
function addBatch(grouper: ProblemGrouper, ids: string[], rows: BatchRows, s: BatchSketch): void {
  for (let i = 0; i < rows.ids.length; i++) {
    const ordinal = ids.length;
    ids.push(rows.ids[i]!);
    const key = ((s.keys[2 * i]! >>> 0).toString(16).padStart(8, "0") + (s.keys[2 * i + 1]! >>> 0).toString(16).padStart(8, "0"));
    grouper.add({
      ordinal,
      id: rows.ids[i]!,
      source: "input",
      problemKey: key,
      sketch: s.empty[i] ? { bands: [], bits: [] } : {
        bands: s.bands.subarray(i * s.bandCount, (i + 1) * s.bandCount),
        bits: s.bits.subarray(i * s.bitWords, (i + 1) * s.bitWords),
      },
      // the exact check's record, built by the sketch worker from what it computed anyway
      checkRecord: batchRecord(s, i),
      problemChars: rows.chars[i]!,
      responseChars: 0,
    });
  }
}

/** Clusters the problems of the input's rows; calls `emit` once per row, in input order. */
export async function dedupeFile(input: string | string[], opts: DedupeFileOptions, emit: (line: DedupeLine) => void): Promise<DedupeFileResult> {
  const read = { field: fieldPathArg("--field", opts.field), idFields: idPathsArg(opts.idField), fieldFlag: "--field", remote: opts.remote };
  const files = await resolveInputFiles(Array.isArray(input) ? input : [input], opts.remote);
  opts.onFiles?.(files.filter((f) => !f.remote).map((f) => f.path));
  const dedupe: DedupeConfig = { problems: { threshold: opts.threshold, check: opts.check }, representative: opts.representative };
  const sketchConfig = { ngram: opts.ngram, permutations: opts.permutations };
  const resolved = resolveSketch(sketchConfig, dedupe);
  const tmp = opts.tmpDir ?? mkdtempSync(join(tmpdir(), "curate-dedupe-"));
  const grouper = new ProblemGrouper({ dedupe, sketch: sketchConfig, seed: 0 }, tmp);
  const checkRecords = opts.check === "exact" ? { numbers: dedupe.problems?.numbers !== "ignore" } : undefined;
  const pool = new SketchPool({ params: resolved.problem, stripPhrases: resolved.stripPhrases, stockPhrases: resolved.stockPhrases, threads: opts.workers, checkRecords });
  const batchSize = opts.batchSize ?? 256;
  const ids: string[] = [];
  try {
    let rows: BatchRows = { ids: [], chars: [] };
    let texts: TextBatch | null = null;
    const inflight: Promise<void>[] = [];
    let chain = Promise.resolve();
    const flush = () => {
      const batchRows = rows;
      const sketched = pool.sketchBatch(texts!);
      rows = { ids: [], chars: [] };
      texts = null;
      sketched.catch(() => {}); // surfaced by `await chain`
      // results are added in input order, sketches computed in parallel
      chain = chain.then(async () => addBatch(grouper, ids, batchRows, await sketched));
      inflight.push(chain.catch(() => {}));
    };
    for await (const r of readTextRows(files, read)) {
      rows.ids.push(r.id !== null ? String(r.id) : `${r.file}:${r.row}`);
      rows.chars.push(r.text.length);
      (texts ??= pool.batch()).add(r.text);
      if (rows.ids.length >= batchSize) flush();
      if (inflight.length > Math.max(2, opts.workers * 2)) await inflight.shift();
    }
    if (rows.ids.length > 0) flush();
    await chain;
    const result = await grouper.finish();
    let duplicates = 0;
    for (let ordinal = 0; ordinal < ids.length; ordinal++) {
      const info = result.info(ordinal);
      const duplicate = info.representativeOrdinal !== ordinal;
      if (duplicate) duplicates++;
      emit({ id: ids[ordinal]!, cluster: info.problemGroup, representative: info.representative, duplicate });
    }
    return { rows: ids.length, clusters: result.stats.problemGroups, duplicates, nearDuplicateClusters: result.stats.nearDuplicateClusters };
  } finally {
    await pool.close();
    if (!opts.tmpDir) rmSync(tmp, { recursive: true, force: true });
  }
}
