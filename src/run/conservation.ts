/**
 * The conservation check, run before a run is marked finished: every input row is kept or dropped
 * with a reason, per stage (each stage's input = the previous stage's kept), per source and in total,
 * and the shards on disk hold exactly those rows. A run that fails it is not finished.
 */
import type { StageCount, UnitMarker } from "./markers.js";

export const CONSERVATION_RULE =
  "rows in = kept + dropped, per stage (each stage's input = the previous stage's kept), per source and in total; rejected/ holds every dropped row";

export interface ConservationInput {
  markers: UnitMarker[];
  rowsIn: number;
  keptRows: number;
  stages: StageCount[];
  bySource: Record<string, { in: number; kept: number; dropped: number }>;
  dataShards: { rows: number }[];
  rejectedShards: { rows: number }[];
}

/** Every way the counts disagree, in words (empty: conserved). */
export function conservationProblems(c: ConservationInput): string[] {
  const problems: string[] = [];
  const droppedTotal = c.stages.reduce((a, s) => a + s.dropped, 0);
  const markerRows = c.markers.reduce((a, m) => a + m.rows, 0);
  const rejectedRows = c.rejectedShards.reduce((a, s) => a + s.rows, 0);
  const keptShardRows = c.dataShards.reduce((a, s) => a + s.rows, 0);
  // rows in = rows the readers produced (a bad input row counts once; an exploded row counts per rollout)
  const annotatedRows = c.markers.reduce((a, m) => a + m.shards.reduce((b, s) => b + s.rows, 0), 0);
  if (c.rowsIn !== annotatedRows) problems.push(`wrote ${c.rowsIn} annotated rows, unit markers list ${annotatedRows}`);
  if (markerRows !== annotatedRows) problems.push(`unit markers count ${markerRows} input rows, annotated/ holds ${annotatedRows}`);
  if (c.rowsIn !== c.keptRows + droppedTotal) problems.push(`rows in ${c.rowsIn} ≠ kept ${c.keptRows} + dropped ${droppedTotal}`);
  if (rejectedRows !== droppedTotal) problems.push(`rejected/ holds ${rejectedRows} rows but stages dropped ${droppedTotal}`);
  if (keptShardRows !== c.keptRows) problems.push(`data/ holds ${keptShardRows} rows but ${c.keptRows} were kept`);
  let prevKept = c.rowsIn;
  for (const s of c.stages) {
    if (s.in !== prevKept) problems.push(`stage ${s.stage} received ${s.in} rows but the stage before kept ${prevKept}`);
    if (s.in !== s.kept + s.dropped) problems.push(`stage ${s.stage}: in ${s.in} ≠ kept ${s.kept} + dropped ${s.dropped}`);
    const reasons = Object.values(s.reasons).reduce((a, b) => a + b, 0);
    if (reasons !== s.dropped) problems.push(`stage ${s.stage}: reasons add to ${reasons}, dropped ${s.dropped}`);
    prevKept = s.kept;
  }
  if (prevKept !== c.keptRows) problems.push(`last stage kept ${prevKept} but ${c.keptRows} rows were written`);
  for (const [name, s] of Object.entries(c.bySource)) {
    if (s.in !== s.kept + s.dropped) problems.push(`source ${name}: in ${s.in} ≠ kept ${s.kept} + dropped ${s.dropped}`);
  }
  return problems;
}

/** Throw, naming every disagreement, unless the counts are conserved. */
export function checkConservation(c: ConservationInput): void {
  const problems = conservationProblems(c);
  if (problems.length) throw new Error(`conservation check failed, run not finished:\n  ${problems.join("\n  ")}`);
}
