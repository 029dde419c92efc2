/** TypeScript view of a validated mix file (schemas/mix.schema.json is the source of truth). */
import type { VerifyConfig } from "../verify/types.js";
import type { DecontaminateConfig } from "../decontam/types.js";
import type { QualityConfig } from "../quality/types.js";
import type { DedupeConfig, SketchConfig } from "../group/types.js";
import type { OutputsConfig } from "../mix/types.js";

export interface SourceFields {
  id?: string;
  problem?: string;
  response?: string;
  /** reasoning kept apart from the response (flat rows); see src/io/field-map.ts */
  reasoning?: string;
  reference?: string;
  finish_reason?: string;
  messages?: string;
  conversations?: string;
  meta?: Record<string, string>;
}

export interface SourceConfig {
  name: string;
  path: string | string[];
  format?: "jsonl" | "jsonl.gz" | "json" | "parquet";
  onError?: "fail" | "quarantine";
  limit?: number;
  priority?: number;
  fields: SourceFields;
}

export interface CoreFilters {
  /** drop exact duplicates (same normalised problem + response); default true */
  exactDuplicates?: boolean;
  maxReasoningTokens?: number;
  maxSolutionTokens?: number;
  maxResponseTokens?: number;
  minResponseTokens?: number;
}

/** Every module adds its own keys (see schemas/parts/filters.*.schema.json). */
export type FiltersConfig = CoreFilters & Record<string, unknown>;

export interface OutputShardConfig {
  shardRows?: number;
  shardBytes?: number;
  rowGroupRows?: number;
  codec?: "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED";
}

export interface MixConfig {
  name: string;
  description?: string;
  seed: number;
  tokenizer: "o200k_base" | "cl100k_base";
  workers?: number;
  batchSize?: number;
  /** input bytes per unit of work: a larger plain JSONL or Parquet file is cut into several units (io/units.ts) */
  unitBytes?: number;
  benchmarksDir?: string;
  sources: SourceConfig[];
  annotate?: {
    tokens?: { maxChars?: number };
    verify?: VerifyConfig;
    decontaminate?: DecontaminateConfig;
    quality?: QualityConfig;
    sketch?: SketchConfig;
  };
  filters?: FiltersConfig;
  dedupe?: DedupeConfig;
  outputs?: OutputsConfig;
  output?: OutputShardConfig;
}
