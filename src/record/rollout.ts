/**
 * The record that flows through every stage: one rollout (one model generation for one problem).
 *
 * Readers fill the identity and text fields; `normalizeTrace` fills `trace`; annotators add their
 * own optional field (never remove or rewrite another's). Annotations are plain JSON-serialisable
 * data so records can cross worker-thread boundaries and be stored beside the text in Parquet.
 */
import type { TraceSplit } from "./trace.js";
import type { VerifyAnnotation } from "../verify/types.js";
import type { ContaminationMatch } from "../decontam/types.js";
import type { QualitySignals } from "../quality/types.js";
import type { ProblemSketch } from "../group/types.js";

/** Scalar values carried from the source row (e.g. `level`, `subject`, `difficulty`). */
export type MetaValue = string | number | boolean | null;

/**
 * Exact token counts (o200k_base or the configured tokenizer, no special tokens), each of one string
 * tokenised as a whole: what tiktoken's `encode_ordinary(s).length` gives.
 */
export interface TokenCounts {
  problem: number;
  /** of `trace.reasoning` (preamble included, record/trace.ts); 0 for a plain response */
  reasoning: number;
  /** of `trace.solution` */
  solution: number;
  /** of the whole response as written: not reasoning + solution (tags and whitespace count here only, and a token can span a tag) */
  response: number;
}

export interface RecordKeys {
  /** sha-256 (hex, 32 chars) of normalised problem + "\u0000" + normalised response */
  exact: string;
  /** sha-256 (hex, 32 chars) of the normalised problem alone: exact problem group key */
  problem: string;
}

export interface Rollout {
  /** stable id: the source's own id (plus `#k` for the k-th exploded rollout), else `source:file:row[:k]` */
  id: string;
  /** global input order (0-based) over all sources, files and rows; defines every tie-break */
  ordinal: number;
  source: string;
  /** file path relative to the mix file's folder */
  file: string;
  /** 0-based row (line for JSONL) within the file */
  row: number;
  /** index of this rollout among the row's exploded generations (0 when not exploded) */
  rolloutIndex: number;
  problem: string;
  response: string;
  /** gold answer, null when the source has none */
  reference: string | null;
  /** e.g. "stop" / "length" when the source records it */
  finishReason: string | null;
  meta: Record<string, MetaValue>;

  trace?: TraceSplit;
  tokens?: TokenCounts;
  keys?: RecordKeys;
  verify?: VerifyAnnotation;
  contamination?: ContaminationMatch[];
  quality?: QualitySignals;
  sketch?: ProblemSketch;
  /** set when an annotator threw on this rollout (the rest of the chain skipped it) */
  annotateError?: { annotator: string; message: string };
}

/**
 * The fields annotators add, each stored whole in the `annotations` JSON column of every shard and
 * read back from it. A new annotator adds its field to Rollout and here (and its module to
 * src/annotate/registry.ts); nothing else in io/ changes.
 */
export const ANNOTATION_FIELDS = ["verify", "contamination", "quality", "sketch", "annotateError"] as const satisfies readonly (keyof Rollout)[];

/** Why a row was removed. `stage` names the stage; `reason` is a stable machine-readable code. */
export interface DropReason {
  stage: string;
  reason: string;
  /** human-readable detail (e.g. "reasoning 31,204 tokens > 30,000") */
  detail?: string;
  /** for duplicates: id of the kept row this one duplicates */
  duplicateOf?: string;
}
