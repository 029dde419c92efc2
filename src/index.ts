/**
 * `curate` as a library: open shards like in a notebook.
 *
 *   import { openShards, describe, sample, toArrow } from "curate";
 *   for await (const row of openShards("runs/qs").where('verdict = "incorrect"')) …
 *
 * See docs/inspect.md for a worked, notebook-style example.
 */
export { openShards, resolveShards, isRunFolder, readManifest, idPriority, BottomK, ShardRows } from "./report/shards.js";
export type { Row, ShardFile, ReadOptions } from "./report/shards.js";
export { describe, sample, histogram, IntSeries, rowDomain, rowDecision } from "./report/stats.js";
export type { Description, Histogram } from "./report/stats.js";
export { toArrow, arrowIpc } from "./report/arrow.js";
export type { ArrowOptions } from "./report/arrow.js";
export { parseWhere, WhereError } from "./report/where.js";
export { compileWhere } from "./report/where-eval.js";
export type { WhereNode } from "./report/where.js";
export type { CompiledWhere, RowPredicate } from "./report/where-eval.js";
export { findRow } from "./report/find.js";
export { collectReport } from "./report/collect.js";
export type { ReportData, ReportOptions } from "./report/collect.js";
export { buildReport, writeReport } from "./report/report.js";
export { renderReport } from "./report/html.js";
export { escapeHtml, jsonForScript, safeUrl } from "./report/escape.js";
export { auditSample, auditScore, auditSheetCsv, auditSheetJsonl, wilson, AUDIT_COLUMNS, REVIEWER_VERDICTS } from "./report/audit.js";
export type { AuditRow, AuditScore, FilterScore } from "./report/audit.js";
export { parseCsv, parseCsvObjects, writeCsv, csvField } from "./report/csv.js";
export { writeSyntheticRun } from "./report/synthetic.js";
export type { Rollout, DropReason, TokenCounts, MetaValue } from "./record/rollout.js";
export type { Manifest, StageCount, ShardEntry } from "./run/runner.js";
export type { VerifyAnnotation, Verdict } from "./verify/types.js";
export type { ContaminationMatch } from "./decontam/types.js";
export type { QualitySignals } from "./quality/types.js";
export type { RowGroupInfo } from "./group/types.js";
