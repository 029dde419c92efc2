/**
 * Quality signals annotator (`annotate.quality`) and the quality filters (`filters.*`, see
 * schemas/parts/filters.quality.schema.json). The annotator stores numbers only; `qualityDrop`
 * turns them into a drop decision from the mix file's thresholds, so thresholds change without
 * recomputing anything.
 */
import type { MixConfig, FiltersConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import type { QualityFilters } from "./types.js";
import { computeSignals, type TraceView } from "./signals.js";
import { prepareOptions, resolveQualityOptions } from "./options.js";
import type { Annotator, AnnotatorModule } from "../record/annotator.js";

/** Annotate one record in place (`record.quality`); reads record.trace, never the token counts. */
export function annotateQuality(record: Rollout, options: ReturnType<typeof prepareOptions>): void {
  record.quality = computeSignals(
    { response: record.response, trace: record.trace as TraceView | undefined, finishReason: record.finishReason },
    options,
  );
}

function qualityAnnotator(config: MixConfig): Annotator | null {
  const section = config.annotate?.quality;
  if (section?.enabled === false) return null;
  const options = prepareOptions(resolveQualityOptions(section));
  return {
    name: "quality",
    annotate(batch: Rollout[]) {
      for (const r of batch) annotateQuality(r, options);
    },
  };
}

export const qualityModule: AnnotatorModule = { create: qualityAnnotator };

export interface QualityDrop {
  reason: string;
  detail: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The quality filter keys present in `filters` (validated by the schema; re-checked for type here). */
export function qualityFilters(filters: FiltersConfig | undefined): QualityFilters {
  const f = (filters ?? {}) as Record<string, unknown>;
  const out: QualityFilters = {};
  const bool = (k: keyof QualityFilters): void => {
    if (f[k] === undefined) return;
    if (typeof f[k] !== "boolean") throw new Error(`filters.${k}: expected true or false, got ${JSON.stringify(f[k])}`);
    (out as Record<string, unknown>)[k] = f[k];
  };
  const num = (k: keyof QualityFilters, min: number, max: number): void => {
    if (f[k] === undefined) return;
    const v = f[k];
    if (typeof v !== "number" || !(v >= min && v <= max)) {
      throw new Error(`filters.${k}: expected a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    (out as Record<string, unknown>)[k] = v;
  };
  bool("dropTruncated");
  bool("requireFinalAnswer");
  num("maxRepetition", 0, 1);
  num("maxForeignScript", 0, 1);
  num("maxCodeShare", 0, 1);
  num("maxTailLoopTokens", 0, Number.MAX_SAFE_INTEGER);
  num("maxParagraphChars", 0, Number.MAX_SAFE_INTEGER);
  num("minReasoningChars", 0, Number.MAX_SAFE_INTEGER);
  num("minReasoningTokens", 0, Number.MAX_SAFE_INTEGER);
  return out;
}

type QualityCheck = (record: Rollout, f: QualityFilters) => QualityDrop | null;

const truncatedCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || !f.dropTruncated || !q.truncated) return null;
  const why = q.unterminated
    ? q.hasFinalAnswer && !q.finishLength
      ? "solution block never closed and the text stops mid-sentence after its answer"
      : "reasoning or solution block never closed"
    : q.finishLength
      ? "finish_reason length"
      : "no final answer and the response stops mid-sentence";
  return { reason: "quality:truncated", detail: why };
};

const repetitionCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.maxRepetition === undefined || !(q.repetition > f.maxRepetition)) return null;
  return {
    reason: "quality:repetition",
    detail: `repetition ${pct(q.repetition)} > ${pct(f.maxRepetition)} (paragraphs ${pct(q.repeatedParagraphShare)}, tail n-grams ${pct(q.tailRepeatShare)})`,
  };
};

const tailLoopCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.maxTailLoopTokens === undefined || !(q.tailLoopTokens > f.maxTailLoopTokens)) return null;
  return { reason: "quality:repetition", detail: `tail loop of ${q.tailLoopTokens} tokens > ${f.maxTailLoopTokens}` };
};

const noFinalAnswerCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || !f.requireFinalAnswer || q.hasFinalAnswer) return null;
  return { reason: "quality:no_final_answer", detail: "no complete \\boxed{} or answer phrase in the solution" };
};

const shortReasoningTokensCheck: QualityCheck = (record, f) => {
  if (f.minReasoningTokens === undefined || !record.tokens) return null;
  // plain traces have no reasoning block (tokens.reasoning 0): the response is the inline reasoning
  const q = record.quality;
  const t = q && !q.reasoningBlock ? record.tokens.response : record.tokens.reasoning;
  return t < f.minReasoningTokens ? { reason: "quality:short_reasoning", detail: `reasoning ${t} tokens < ${f.minReasoningTokens}` } : null;
};

const shortReasoningCharsCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.minReasoningChars === undefined || !(q.reasoningChars < f.minReasoningChars)) return null;
  return { reason: "quality:short_reasoning", detail: `reasoning ${q.reasoningChars} chars < ${f.minReasoningChars}` };
};

const languageMixCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.maxForeignScript === undefined || !(q.foreignShareMax > f.maxForeignScript)) return null;
  return {
    reason: "quality:language_mix",
    detail: `${pct(q.foreignShareMax)} of letters in one segment outside the expected scripts > ${pct(f.maxForeignScript)} (overall ${pct(q.foreignShare)})`,
  };
};

const codeCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.maxCodeShare === undefined || !(q.codeShare > f.maxCodeShare)) return null;
  return { reason: "quality:code", detail: `code ${pct(q.codeShare)} of the response > ${pct(f.maxCodeShare)}` };
};

const longParagraphCheck: QualityCheck = (record, f) => {
  const q = record.quality;
  if (!q || f.maxParagraphChars === undefined || !(q.longestParagraphChars > f.maxParagraphChars)) return null;
  return { reason: "quality:long_paragraph", detail: `a paragraph of ${q.longestParagraphChars} characters > ${f.maxParagraphChars}` };
};

/**
 * The trace itself is broken: a degenerate loop (`maxRepetition`, `maxTailLoopTokens`), then cut off
 * (`dropTruncated`). A loop that ran on until the length limit is a loop first: its cause is the loop.
 */
const BROKEN_TRACE_CHECKS: readonly QualityCheck[] = [repetitionCheck, tailLoopCheck, truncatedCheck];
/** The other quality filters: no final answer, short reasoning (tokens, characters), language mixing, code, long paragraph. */
const CONTENT_CHECKS: readonly QualityCheck[] = [noFinalAnswerCheck, shortReasoningTokensCheck, shortReasoningCharsCheck, languageMixCheck, codeCheck, longParagraphCheck];

function firstDrop(checks: readonly QualityCheck[], record: Rollout, filters: QualityFilters | FiltersConfig | undefined): QualityDrop | null {
  const f = (filters ?? {}) as QualityFilters;
  for (const check of checks) {
    const d = check(record, f);
    if (d) return d;
  }
  return null;
}

/** The first broken-trace filter that drops the record (`quality:repetition`, `quality:truncated`), or null. */
export function brokenTraceDrop(record: Rollout, filters: QualityFilters | FiltersConfig | undefined): QualityDrop | null {
  return firstDrop(BROKEN_TRACE_CHECKS, record, filters);
}

/** The first of the other quality filters that drops the record, or null. */
export function contentQualityDrop(record: Rollout, filters: QualityFilters | FiltersConfig | undefined): QualityDrop | null {
  return firstDrop(CONTENT_CHECKS, record, filters);
}

/**
 * First quality filter that drops the record, or null: the broken-trace filters, then the others (the
 * order src/decide/filters.ts gives them, with the verdict between the two). A record without
 * `record.quality` (the annotator disabled) is never dropped by the signal-based keys;
 * `minReasoningTokens` reads `record.tokens.reasoning`. Pass `qualityFilters(config.filters)` once,
 * or the raw filters object.
 */
export function qualityDrop(record: Rollout, filters: QualityFilters | FiltersConfig | undefined): QualityDrop | null {
  return brokenTraceDrop(record, filters) ?? contentQualityDrop(record, filters);
}

/**
 * Every quality reason the record raises under `filters` (each once, in check order), not only the
 * first: the signal table (src/decide/signals.ts). `part` picks the broken-trace or the other checks.
 */
export function qualityReasons(record: Rollout, filters: QualityFilters, part: "trace" | "content"): string[] {
  const out: string[] = [];
  for (const check of part === "trace" ? BROKEN_TRACE_CHECKS : CONTENT_CHECKS) {
    const d = check(record, filters);
    if (d && !out.includes(d.reason)) out.push(d.reason);
  }
  return out;
}
