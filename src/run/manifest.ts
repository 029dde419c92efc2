/**
 * manifest.json: what a finished run is — tool and dependency versions, the resolved config and its
 * hash, whether it was decontaminated (with the config's warnings), inputs, counts per stage, reason
 * and source, group statistics, every shard with rows, tokens, bytes and sha-256, and the data
 * products. Written last and atomically: its presence means finished.
 */
import { isAbsolute, relative } from "node:path";
import { decontaminationStatus, type LoadedMix } from "../config/load.js";
import type { SourceFile } from "../io/sources.js";
import { unitName } from "../io/units.js";
import type { OutcomeStats } from "../group/outcome.js";
import { dependencyVersions, toolVersion } from "../version.js";
import { CONSERVATION_RULE } from "./conservation.js";
import type { StageCount, UnitMarker, WriteCounts } from "./markers.js";

export interface ShardEntry {
  path: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
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
  inputs: { unit: string; source: string; file: string; format: string; bytes: number; rows: number }[];
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
  groups: Record<string, unknown>;
  shards: { data: ShardEntry[]; rejected: ShardEntry[]; annotated: ShardEntry[] };
  outputs: Record<string, unknown>;
}

export interface ManifestParts {
  loaded: LoadedMix;
  outDir: string;
  files: SourceFile[];
  markers: UnitMarker[];
  /** the run's merged write counts */
  counts: WriteCounts;
  groupStats: OutcomeStats;
  problemsWithPassRate: number;
  outputs: Record<string, unknown>;
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
    inputs: p.markers.map((m, i) => ({ unit: unitName(m.unit), source: m.source, file: m.file, format: p.files[i]!.format, bytes: p.files[i]!.bytes, rows: m.rows })),
    counts: { rowsIn, kept: keptRows, dropped, keptTokens, stages, bySource, byReason },
    conservation: { ok: true, rule: CONSERVATION_RULE },
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
