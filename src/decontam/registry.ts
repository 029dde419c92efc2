/**
 * Built-in benchmark registry. Each entry names a public Hugging Face dataset (id, config, split,
 * fields) for download, and the file name it has in a local benchmarks folder (the layout of
 * shared/data/benchmarks: `math500.jsonl`, `gsm8k_test.jsonl`, …).
 *
 * Hub sources (public datasets; the loader reads their auto-converted Parquet files):
 * - math500        HuggingFaceH4/MATH-500 (test; problem, unique_id) — the PRM800K 500-problem split
 * - aime2024       HuggingFaceH4/aime_2024 (train; problem, id) — AIME 2024 I+II, 30 problems
 * - aime2025       MathArena/aime_2025 (train; problem, problem_idx) — AIME 2025 I+II, 30 problems
 * - amc2023        math-ai/amc23 (test; question, id) — AMC 12 2023, the 40 problems of Qwen2.5-Math eval
 * - gsm8k          openai/gsm8k (config main, test; question) — 1,319 problems, row number as id
 * - minerva_math   math-ai/minervamath (test; question) — Minerva OCW courses, 272 problems
 * - olympiadbench  Hothan/OlympiadBench (config OE_TO_maths_en_COMP, train; question, id) — 675 problems
 * - hmmt_feb_2025  MathArena/hmmt_feb_2025 (train; problem, problem_idx) — 30 problems
 * Item ids are the source's own; a local copy may number items differently from the Hub copy
 * (e.g. "AIME2025-I-1" locally, 1 on the Hub), so keep one source per run for stable ids.
 */
import type { UserBenchmark } from "./types.js";

export interface BuiltinBenchmark {
  name: string;
  description: string;
  /** Hugging Face dataset id */
  dataset: string;
  config: string;
  split: string;
  /** problem / id fields in the Hub files (id null: 0-based row number) */
  problemField: string;
  idField: string | null;
  /** file names tried in a local benchmarks folder, in order */
  localFiles: string[];
}

export const DEFAULT_BENCHMARKS = ["math500", "aime2024", "aime2025", "amc2023"] as const;

export const BUILTIN_BENCHMARKS: readonly BuiltinBenchmark[] = [
  {
    name: "math500",
    description: "MATH-500 (PRM800K test split of Hendrycks MATH)",
    dataset: "HuggingFaceH4/MATH-500",
    config: "default",
    split: "test",
    problemField: "problem",
    idField: "unique_id",
    localFiles: ["math500.jsonl", "math500.parquet", "math500_test.jsonl"],
  },
  {
    name: "aime2024",
    description: "AIME 2024 I and II",
    dataset: "HuggingFaceH4/aime_2024",
    config: "default",
    split: "train",
    problemField: "problem",
    idField: "id",
    localFiles: ["aime2024.jsonl", "aime2024.parquet", "aime24.jsonl"],
  },
  {
    name: "aime2025",
    description: "AIME 2025 I and II",
    dataset: "MathArena/aime_2025",
    config: "default",
    split: "train",
    problemField: "problem",
    idField: "problem_idx",
    localFiles: ["aime2025.jsonl", "aime2025.parquet", "aime25.jsonl"],
  },
  {
    name: "amc2023",
    description: "AMC 12 2023 (A and B), 40 problems",
    dataset: "math-ai/amc23",
    config: "default",
    split: "test",
    problemField: "question",
    idField: "id",
    localFiles: ["amc2023.jsonl", "amc2023.parquet", "amc23.jsonl"],
  },
  {
    name: "gsm8k",
    description: "GSM8K test split",
    dataset: "openai/gsm8k",
    config: "main",
    split: "test",
    problemField: "question",
    idField: null,
    localFiles: ["gsm8k_test.jsonl", "gsm8k.jsonl", "gsm8k.parquet"],
  },
  {
    name: "minerva_math",
    description: "Minerva OCW courses problems",
    dataset: "math-ai/minervamath",
    config: "default",
    split: "test",
    problemField: "question",
    idField: null,
    localFiles: ["minerva_math.jsonl", "minerva_math.parquet", "minervamath.jsonl"],
  },
  {
    name: "olympiadbench",
    description: "OlympiadBench, English open-ended competition math (OE_TO_maths_en_COMP)",
    dataset: "Hothan/OlympiadBench",
    config: "OE_TO_maths_en_COMP",
    split: "train",
    problemField: "question",
    idField: "id",
    localFiles: ["olympiadbench.jsonl", "olympiadbench.parquet"],
  },
  {
    name: "hmmt_feb_2025",
    description: "HMMT February 2025",
    dataset: "MathArena/hmmt_feb_2025",
    config: "default",
    split: "train",
    problemField: "problem",
    idField: "problem_idx",
    localFiles: ["hmmt_feb_2025.jsonl", "hmmt_feb_2025.parquet"],
  },
];

/** Fields tried, in order, when a local file does not have the registry's field names. */
export const PROBLEM_FIELD_FALLBACKS = ["problem", "question", "Problem", "Question", "prompt"];
export const ID_FIELD_FALLBACKS = ["unique_id", "id", "idx", "ID", "problem_idx"];

export function builtinBenchmark(name: string): BuiltinBenchmark | undefined {
  return BUILTIN_BENCHMARKS.find((b) => b.name === name);
}

export type BenchmarkSpec = { kind: "builtin"; entry: BuiltinBenchmark } | { kind: "file"; entry: UserBenchmark };

/** Resolve the `benchmarks` list of the config (default: math500, aime2024, aime2025, amc2023). */
export function resolveBenchmarkSpecs(list: (string | UserBenchmark)[] | undefined, where = "annotate.decontaminate.benchmarks"): BenchmarkSpec[] {
  const specs: BenchmarkSpec[] = [];
  const seen = new Set<string>();
  (list ?? [...DEFAULT_BENCHMARKS]).forEach((b, i) => {
    const name = typeof b === "string" ? b : b.name;
    if (seen.has(name)) throw new Error(`${where}[${i}]: benchmark "${name}" is listed twice`);
    seen.add(name);
    if (typeof b === "string") {
      const entry = builtinBenchmark(b);
      if (!entry) {
        throw new Error(
          `${where}[${i}]: unknown benchmark "${b}"; expected one of ${BUILTIN_BENCHMARKS.map((x) => x.name).join(", ")} or {"name", "path"} for a file`,
        );
      }
      specs.push({ kind: "builtin", entry });
    } else {
      if (!b.name || !b.path) throw new Error(`${where}[${i}]: a benchmark file needs "name" and "path"`);
      specs.push({ kind: "file", entry: b });
    }
  });
  return specs;
}
