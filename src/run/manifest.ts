/**
 * manifest.json: what a finished run is — tool and dependency versions, the resolved config and its
 * hash, whether it was decontaminated (with the config's warnings), inputs, counts per stage, reason
 * and source, group statistics, every shard with rows, tokens, bytes and sha-256, and the data
 * products. Written last and atomically: its presence means finished.
 */
import { isAbsolute, relative } from "node:path";
import { decontaminationStatus, type LoadedMix } from "../config/load.js";
import type { SourceFile } from "../io/sources.js";
import { unitName, type UnitRange } from "../io/units.js";
import { redactUrl } from "../io/http.js";
import type { OutcomeStats } from "../group/outcome.js";
import { dependencyVersions, toolVersion } from "../version.js";
import { CONSERVATION_RULE } from "./conservation.js";
import type { SignalCount, StageCount, UnitMarker, WriteCounts } from "./markers.js";

export interface ShardEntry {
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

/**
 * One row of `manifest.signals`: a signal (named like the drop reason it can cause, e.g.
 * `quality:truncated`, `verify:no_answer`, `verify:correct`, `contaminated:aime24`, `duplicate:exact`),
 * the stage whose filter acts on it, the rows that raise it whichever stage dropped them, how many of
 * those were kept, and how many were dropped with it as their reason.
 */
export interface SignalRow extends SignalCount {
  signal: string;
}

export interface Manifest {
  tool: { name: string; version: string; dependencies: Record<string, string> };
  name: string;
  configHash: string;
  seed: number;
  tokenizer: string;
  /** false when rows were not checked against benchmarks, or matches were not dropped (see warnings) */
  decontaminated: boolean;
  /** what the config leaves unsafe, one line each (the lines `validate` and `run` print) */
  warnings: string[];
  config: unknown;
  inputs: ManifestInput[];
  counts: {
    rowsIn: number;
    kept: number;
    dropped: number;
    keptTokens: number;
    stages: StageCount[];
    bySource: Record<string, { in: number; kept: number; dropped: number }>;
    byReason: Record<string, number>;
  };
  conservation: { ok: true; rule: string };
  /** the signal table (src/decide/signals.ts), in stage precedence order, then by signal name */
  signals: SignalRow[];
  groups: Record<string, unknown>;
  shards: { data: ShardEntry[]; rejected: ShardEntry[]; annotated: ShardEntry[] };
  outputs: Record<string, unknown>;
}

/**
 * One input file. A remote one also records what reproduces the run: `url` (the exact URL read; Hub
 * files: the resolve URL at the commit the revision pointed to), `etag` (an LFS file's sha256, a git
 * blob id, or the server's ETag) and, for Hub files, `revision` (that commit's sha).
 */
export interface ManifestInput {
  unit: string;
  source: string;
  file: string;
  format: string;
  bytes: number;
  rows: number;
  url?: string;
  etag?: string | null;
  revision?: string;
  /** the piece of the file this unit is, when a large file is cut into several (io/units.ts) */
  range?: UnitRange;
}

function manifestInput(m: UnitMarker, f: SourceFile): ManifestInput {
  const base: ManifestInput = { unit: unitName(m.unit), source: m.source, file: m.file, format: f.format, bytes: f.bytes, rows: m.rows, ...(m.range ? { range: m.range } : {}) };
  const was = m.input;
  if (!was || !("url" in was)) return base;
  // the input as annotated (and re-read by the write step), not as listed now
  return { ...base, bytes: was.bytes, url: redactUrl(was.url), etag: was.etag, ...(was.revision ? { revision: was.revision } : {}) };
}

export interface ManifestParts {
  loaded: LoadedMix;
  outDir: string;
  /** each unit's file (in unit order, as `markers`) */
  files: SourceFile[];
  markers: UnitMarker[];
  /** the run's merged write counts */
  counts: WriteCounts;
  /** every stage in precedence order, enabled or not (Decider.precedence): the signal table's order */
  precedence: string[];
  groupStats: OutcomeStats;
  problemsWithPassRate: number;
  outputs: Record<string, unknown>;
}

/** The signal table as rows: stages in precedence order (a stage not in it last), then signal names. */
export function signalRows(signals: Record<string, SignalCount>, stageOrder: string[]): SignalRow[] {
  const rank = (stage: string) => {
    const i = stageOrder.indexOf(stage);
    return i < 0 ? stageOrder.length : i;
  };
  return Object.entries(signals)
    .map(([signal, c]) => ({ signal, stage: c.stage, rows: c.rows, kept: c.kept, droppedAs: c.droppedAs }))
    .sort((a, b) => rank(a.stage) - rank(b.stage) || (a.signal < b.signal ? -1 : a.signal > b.signal ? 1 : 0));
}

export function buildManifest(p: ManifestParts): Manifest {
  const { config } = p.loaded;
  const { rowsIn, keptRows, keptTokens, bySource, stages } = p.counts;
  const dropped = stages.reduce((a, s) => a + s.dropped, 0);
  const byReason: Record<string, number> = {};
  for (const s of stages) for (const [r, n] of Object.entries(s.reasons)) byReason[r] = (byReason[r] ?? 0) + n;
  const entry = (s: { path: string; rows: number; bytes: number; sha256: string; extra?: Record<string, number>; tokens?: number }): ShardEntry => ({
    path: isAbsolute(s.path) ? relative(p.outDir, s.path) : s.path,
    rows: s.rows,
    tokens: s.tokens ?? s.extra?.tokens ?? 0,
    bytes: s.bytes,
    sha256: s.sha256,
  });
  const gs = p.groupStats;
  const { decontaminated, warnings } = decontaminationStatus(config);
  return {
    tool: { name: "curate", version: toolVersion(), dependencies: dependencyVersions() },
    name: config.name,
    configHash: p.loaded.hash,
    seed: config.seed,
    tokenizer: config.tokenizer,
    decontaminated,
    warnings,
    config,
    inputs: p.markers.map((m, i) => manifestInput(m, p.files[i]!)),
    counts: { rowsIn, kept: keptRows, dropped, keptTokens, stages, bySource, byReason },
    conservation: { ok: true, rule: CONSERVATION_RULE },
    signals: signalRows(p.counts.signals, p.precedence),
    groups: {
      exactDuplicates: gs.exactDuplicates,
      duplicateIds: gs.duplicateIds,
      exactProblems: gs.exactProblems,
      problemGroups: gs.problemGroups,
      nearDuplicateClusters: gs.nearDuplicateClusters,
      nearDuplicateProblems: gs.nearDuplicateProblems,
      candidatePairs: gs.candidatePairs,
      rejectedByCheck: gs.rejectedByCheck,
      spillRuns: gs.spillRuns,
      problemsWithPassRate: p.problemsWithPassRate,
    },
    shards: { data: p.counts.data.map(entry), rejected: p.counts.rejected.map(entry), annotated: p.markers.flatMap((m) => m.shards.map(entry)) },
    outputs: p.outputs,
  };
}
