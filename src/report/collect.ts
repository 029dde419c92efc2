/**
 * Everything the HTML report shows, gathered in one streaming pass over a run folder's final rows
 * (data/ = kept, rejected/ = dropped with stage and reason): each row goes to every section's collector
 * (sections.ts), then each collector gives its part of the report data. Memory is bounded by the number
 * of problem groups (pass rates, clusters) plus fixed-size samples: rows are never held, and every
 * sample is a bottom-k by seeded hash of the row id (stable across re-runs, independent of shard order).
 */
import { join, resolve } from "node:path";
import { isRunFolder, openShards, readManifest, type Row } from "./shards.js";
import type { ReportOptions, ReportRow, ReportScan, ReportSettings } from "./section.js";
import { SECTIONS, type ReportData } from "./sections.js";
import { str, strOrNull } from "./values.js";
import { decontaminationStatus } from "../config/load.js";

export type { ReportOptions, ReportSettings } from "./section.js";
export type { ReportData, RunHeader } from "./sections.js";
export type { DropSample } from "./sections/drops.js";
export type { ContaminationRow } from "./sections/contamination.js";
export type { ClusterView } from "./sections/clusters.js";
export type { VerifySample } from "./sections/verifier.js";

/** Columns every row view needs (see ReportRow); sections add their own. */
const ROW_COLUMNS = ["id", "annotations", "problem_group", "problem_key"];

function settings(opts: ReportOptions, manifest: Record<string, any>): ReportSettings {
  return {
    perReason: opts.perReason ?? 5,
    seed: opts.seed ?? (typeof manifest.seed === "number" ? manifest.seed : 0),
    contaminationRows: opts.contaminationRows ?? 50,
    clusters: opts.clusters ?? 25,
    perVerdict: opts.perVerdict ?? 8,
    excerptChars: opts.excerptChars ?? 1500,
  };
}

/** The values several sections derive from a row, worked out once. */
function rowView(row: Row, kept: boolean): ReportRow {
  const ann = (row.annotations && typeof row.annotations === "object" ? row.annotations : {}) as Record<string, any>;
  const group = ann.group as Record<string, any> | undefined;
  const groupId = typeof row.problem_group === "string" && row.problem_group ? row.problem_group : typeof group?.problemGroup === "string" && group.problemGroup ? (group.problemGroup as string) : null;
  return { row, kept, id: str(row.id), ann, group, groupId, problemKey: typeof row.problem_key === "string" ? row.problem_key : null };
}

/**
 * Whether the run was decontaminated: the manifest's own line, or for manifests written before it,
 * what its config says (config/load.ts decontaminationStatus); null when neither tells.
 */
function decontamination(manifest: Record<string, any>): { decontaminated: boolean | null; warnings: string[] } {
  const warnings = Array.isArray(manifest.warnings) ? manifest.warnings.map((w: unknown) => str(w)) : null;
  if (typeof manifest.decontaminated === "boolean") return { decontaminated: manifest.decontaminated, warnings: warnings ?? [] };
  const config = manifest.config;
  if (!config || typeof config !== "object" || !Array.isArray(config.sources)) return { decontaminated: null, warnings: warnings ?? [] };
  const status = decontaminationStatus(config);
  return { decontaminated: status.decontaminated, warnings: warnings ?? status.warnings };
}

export async function collectReport(runDir: string, opts: ReportOptions = {}): Promise<ReportData> {
  const dir = resolve(runDir);
  if (!isRunFolder(dir)) throw new Error(`${runDir}: not a finished run folder (expected manifest.json beside data/ and rejected/)`);
  const manifest = readManifest(dir)!;
  if (!manifest.counts || !Array.isArray(manifest.counts.stages)) throw new Error(`${join(runDir, "manifest.json")}: counts.stages missing (expected a curate run manifest)`);
  const options = settings(opts, manifest);

  const columns = new Set(ROW_COLUMNS);
  const droppedColumns = new Set<string>();
  for (const s of SECTIONS) {
    for (const c of s.columns) columns.add(c);
    for (const c of s.droppedColumns ?? []) droppedColumns.add(c);
  }
  const keptRows = openShards(dir, { sets: ["data"], columns: [...columns] });
  // rejected/: light columns only, with positions, so a section can read a sampled row's heavy text back
  const rejectedRows = openShards(dir, { sets: ["rejected"], columns: [...columns, ...droppedColumns], position: true });
  const scan: ReportScan = { dir, manifest, options, rejectedFiles: rejectedRows.files };
  const collectors = SECTIONS.map((s) => s.collect(scan));
  const onRow = collectors.flatMap((c) => (c.row ? [c.row.bind(c)] : []));
  for await (const row of keptRows) {
    const view = rowView(row, true);
    for (const f of onRow) f(view);
  }
  for await (const row of rejectedRows) {
    const view = rowView(row, false);
    for (const f of onRow) f(view);
  }

  const run = {
    dir: runDir,
    name: str(manifest.name),
    configHash: str(manifest.configHash),
    seed: typeof manifest.seed === "number" ? manifest.seed : 0,
    tokenizer: strOrNull(manifest.tokenizer),
    tool: `${str(manifest.tool?.name)} ${str(manifest.tool?.version)}`.trim(),
    ...decontamination(manifest),
  };
  const parts: Partial<ReportData>[] = [];
  for (const c of collectors) parts.push(await c.finish());
  return Object.assign({ run }, ...parts, { options }) as ReportData;
}
