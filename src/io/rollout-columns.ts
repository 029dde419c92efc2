/**
 * The Parquet layout of rollout rows: annotated/, data/ (kept) and rejected/ shards share it, so a
 * reviewer can open any of them the same way. Flat columns for the fields people filter on; the full
 * annotations as one JSON column so nothing is lost.
 */
import { ANNOTATION_FIELDS, type Rollout, type DropReason, type MetaValue } from "../record/rollout.js";
import type { ColumnSpec, RowValue } from "./parquet-write.js";
import { normalizeTrace } from "../record/trace.js";
import type { RowGroupInfo } from "../group/types.js";

export const ROLLOUT_COLUMNS: ColumnSpec[] = [
  { name: "id", type: "STRING", nullable: false },
  { name: "ordinal", type: "INT64", nullable: false },
  { name: "source", type: "STRING", nullable: false },
  { name: "file", type: "STRING", nullable: false },
  { name: "row", type: "INT64", nullable: false },
  { name: "rollout_index", type: "INT32", nullable: false },
  { name: "problem", type: "STRING" },
  { name: "response", type: "STRING", longText: true },
  { name: "reference", type: "STRING" },
  { name: "finish_reason", type: "STRING" },
  { name: "solution", type: "STRING", longText: true },
  { name: "trace_format", type: "STRING" },
  { name: "unterminated", type: "BOOLEAN" },
  { name: "tokens_problem", type: "INT32" },
  { name: "tokens_reasoning", type: "INT32" },
  { name: "tokens_solution", type: "INT32" },
  { name: "tokens_response", type: "INT32" },
  { name: "verdict", type: "STRING" },
  { name: "extracted_answer", type: "STRING" },
  { name: "contaminated", type: "STRING" },
  { name: "exact_key", type: "STRING" },
  { name: "problem_key", type: "STRING" },
  { name: "problem_group", type: "STRING" },
  { name: "representative", type: "STRING" },
  { name: "pass_rate", type: "DOUBLE" },
  { name: "meta", type: "JSON" },
  { name: "annotations", type: "JSON", longText: true },
];

export const DECISION_COLUMNS: ColumnSpec[] = [
  { name: "stage", type: "STRING" },
  { name: "reason", type: "STRING" },
  { name: "detail", type: "STRING" },
  { name: "duplicate_of", type: "STRING" },
  { name: "raw", type: "STRING", longText: true },
];

export const REJECTED_COLUMNS: ColumnSpec[] = [...ROLLOUT_COLUMNS, ...DECISION_COLUMNS];
/** kept rows (data/): the rollout columns */
export const KEPT_COLUMNS: ColumnSpec[] = ROLLOUT_COLUMNS;

/** Everything an annotator added, minus what has its own column or is recomputed on read. */
function annotationsOf(r: Rollout, group?: RowGroupInfo): Record<string, unknown> {
  const a: Record<string, unknown> = {};
  for (const field of ANNOTATION_FIELDS) if (r[field]) a[field] = r[field];
  if (group) a.group = group;
  return a;
}

/**
 * Column values of one row. `blank` (bad input rows) leaves the text and trace columns null;
 * `sketch: false` leaves the MinHash sketch out of the annotations (kept/rejected shards);
 * `response: false` leaves the response and solution texts null (annotated/ shards: finalize
 * re-reads the response from the input, so the longest text is not written and read twice).
 */
export function rolloutValues(r: Rollout, group?: RowGroupInfo, opts: { sketch?: boolean; blank?: boolean; response?: boolean } = {}): RowValue[] {
  if (opts.blank) {
    return [r.id, r.ordinal, r.source, r.file, r.row, r.rolloutIndex, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, r.meta, {}];
  }
  const trace = r.trace ?? normalizeTrace(r.response);
  const ann = annotationsOf(r, group);
  if (opts.sketch === false) delete ann.sketch;
  const contaminated = r.contamination && r.contamination.length ? [...new Set(r.contamination.map((m) => m.benchmark))].join(",") : null;
  const texts = opts.response !== false;
  return [
    r.id,
    r.ordinal,
    r.source,
    r.file,
    r.row,
    r.rolloutIndex,
    r.problem,
    texts ? r.response : null,
    r.reference,
    r.finishReason,
    texts ? trace.solution : null,
    trace.format,
    trace.unterminated,
    r.tokens?.problem ?? null,
    r.tokens?.reasoning ?? null,
    r.tokens?.solution ?? null,
    r.tokens?.response ?? null,
    r.verify?.verdict ?? null,
    r.verify?.extracted ?? null,
    contaminated,
    r.keys?.exact ?? null,
    r.keys?.problem ?? null,
    group?.problemGroup ?? null,
    group?.representative ?? null,
    group?.passRate ?? null,
    r.meta,
    ann,
  ];
}

export function decisionValues(d: DropReason, raw: string | null = null): RowValue[] {
  return [d.stage, d.reason, d.detail ?? null, d.duplicateOf ?? null, raw];
}

/** Rebuild a Rollout from an annotated-shard row (hyparquet object row). */
export function rolloutFromRow(row: Record<string, unknown>): { record: Rollout; group?: RowGroupInfo } {
  const num = (v: unknown) => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : 0);
  const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : (v ?? {}));
  const ann = parse(row.annotations) as Record<string, unknown>;
  const record: Rollout = {
    id: row.id as string,
    ordinal: num(row.ordinal),
    source: row.source as string,
    file: row.file as string,
    row: num(row.row),
    rolloutIndex: num(row.rollout_index),
    problem: (row.problem as string | null) ?? "",
    response: (row.response as string | null) ?? "",
    reference: (row.reference as string | null) ?? null,
    finishReason: (row.finish_reason as string | null) ?? null,
    meta: parse(row.meta) as Record<string, MetaValue>,
  };
  if (row.tokens_response !== null && row.tokens_response !== undefined) {
    record.tokens = { problem: num(row.tokens_problem), reasoning: num(row.tokens_reasoning), solution: num(row.tokens_solution), response: num(row.tokens_response) };
  }
  if (row.exact_key) record.keys = { exact: row.exact_key as string, problem: row.problem_key as string };
  // annotateError stays behind: a row read back was annotated (its failure, if any, is its stored drop)
  for (const field of ANNOTATION_FIELDS) if (field !== "annotateError" && ann[field]) (record as unknown as Record<string, unknown>)[field] = ann[field];
  return { record, group: ann.group as RowGroupInfo | undefined };
}
