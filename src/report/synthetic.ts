/**
 * A synthetic, run-shaped folder (manifest.json, data/, rejected/, timings.json, outputs/) with every
 * annotation the report knows how to show: verifier verdicts, contamination matches with spans,
 * near-duplicate problem groups with a representative, drop reasons across several stages. Used by the
 * report benchmark (1M rows) and the report / audit tests; deterministic for a given seed.
 *
 * `hostile` plants trace text that tries to run script in the report (`<script>`, `<img onerror>`,
 * `</script>` inside JSON, U+2028) in the problem, response, solution and drop detail of every 53rd
 * row, and drops those rows with reason `quality:planted_markup`, so the report's samples for that
 * reason always show the payload and the escaping can be tested in a real browser.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ShardSet, initCompressors } from "../io/parquet-write.js";
import { REJECTED_COLUMNS, ROLLOUT_COLUMNS } from "../io/rollout-columns.js";
import { mulberry32 } from "../text/hash.js";
import { mkdirs } from "../errors.js";

export interface SyntheticRunOptions {
  rows: number;
  seed?: number;
  /** rollouts per problem (default 8) */
  rolloutsPerProblem?: number;
  /** plant hostile HTML / JS in some traces (default false) */
  hostile?: boolean;
  /** bytes of filler reasoning per rollout (default 200) */
  reasoningChars?: number;
  shardRows?: number;
  rowGroupRows?: number;
}

/** The payload planted in hostile traces: executing any of it sets window.__curatePwned. */
export const HOSTILE_PAYLOADS = [
  `<script>window.__curatePwned = "script";</script>`,
  `<img src=x onerror="window.__curatePwned='img'">`,
  `</script><script>window.__curatePwned='json'</script>`,
  `<a href="javascript:window.__curatePwned='href'">click</a>`,
  `<svg onload="window.__curatePwned='svg'"></svg>`,
  "line\u2028separator\u2029here",
];


/** The config the synthetic manifest records: the thresholds the report draws, decontamination on. */
export const SYNTHETIC_CONFIG = {
  name: "synthetic",
  seed: 1,
  sources: [{ name: "numina", path: "inputs/numina.jsonl", fields: {} }, { name: "openr1", path: "inputs/openr1.jsonl", fields: {} }],
  annotate: { decontaminate: { benchmarks: ["math500"] }, verify: {}, quality: {} },
  filters: { requireCorrect: true, maxRepetition: 0.5, maxTailLoopTokens: 800, maxForeignScript: 0.2, maxResponseTokens: 6000 },
};

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0").repeat(4);
}

const SUBJECTS = ["Algebra", "Geometry", "Number Theory", "Counting & Probability", "Precalculus", "Intermediate Algebra"];

export interface SyntheticRunSummary {
  rowsIn: number;
  kept: number;
  dropped: number;
  byReason: Record<string, number>;
  hostileIds: string[];
}

/** One problem of the synthetic run: its numbers, source and group. */
interface SyntheticProblem {
  p: number;
  a: number;
  b: number;
  source: string;
  subject: string;
  nearDup: boolean;
  problem: string;
  problemKey: string;
  groupKey: string;
  contaminated: boolean;
  passRate: number;
}

type SyntheticDrop = { stage: string; reason: string; detail: string; duplicateOf?: string };

/**
 * The quality signals of one synthetic rollout (quality/types.ts names). Rows the verifier rejects
 * carry most of the trouble — loops, foreign script, cut-off traces — so the report's signal table
 * shows rows that raise a signal but were dropped for another reason first.
 */
function syntheticQuality(repetition: number, failed: boolean, noAnswer: boolean, tokens: number, rand2: () => number): Record<string, unknown> {
  const looping = failed && rand2() < 0.15;
  const foreign = failed && rand2() < 0.05;
  return {
    truncated: noAnswer,
    hasFinalAnswer: !noAnswer,
    conflictingAnswers: failed && rand2() < 0.02,
    repetition: looping ? 0.5 + rand2() * 0.5 : repetition,
    tailLoopTokens: looping ? Math.floor(600 + rand2() * 4000) : Math.floor(rand2() * rand2() * 120),
    foreignShareMax: foreign ? 0.25 + rand2() * 0.7 : rand2() < 0.05 ? rand2() * 0.1 : 0,
    codeShare: rand2() * rand2() * 0.05,
    longestParagraphChars: Math.floor(100 * 30 ** rand2()),
    reasoningChars: tokens * 4,
  };
}

/**
 * Rollout r of problem `q`: its columns by name and its drop (the first matching stage). The calls to
 * `rand` keep their order, so a seed gives the same run.
 */
function syntheticRollout(q: SyntheticProblem, r: number, k: number, ordinal: number, groupRep: string, rand: () => number, filler: string, hostile: boolean, seed: number) {
  const { p, a, b, problem } = q;
  const id = `syn-${p}-${r}`;
  const correct = rand() < q.passRate;
  const noAnswer = !correct && rand() < 0.1;
  const answer = a * b;
  const extracted = noAnswer ? null : String(correct ? answer : answer + 1 + Math.floor(rand() * 10));
  const verdict = noAnswer ? "no_answer" : correct ? "correct" : "incorrect";
  const tokens = Math.floor(200 + -Math.log(1 - rand() * 0.999) * 1500);
  const payload = hostile ? HOSTILE_PAYLOADS.join(" ") : "";
  const reasoning = `${filler}${payload} ${a} times ${b} is ${extracted ?? "unclear"}.`;
  const solution = extracted === null ? `I could not finish. ${payload}` : `So the product is $\\boxed{${extracted}}$. ${payload}`;
  const response = `<think>\n${reasoning}\n</think>\n\n${solution}`;
  const contamination = q.contaminated
    ? [{ benchmark: "math500", item: `test/algebra/${p}.json`, method: "ngram", score: 0.83, field: "problem", span: [0, Math.min(problem.length, 12)], benchmarkSpan: [0, 12], snippet: problem.slice(0, 12), benchmarkSnippet: `${problem.slice(0, 12)}${hostile ? payload : ""}` }]
    : undefined;
  const groupInfo = { problemGroup: q.groupKey, representative: groupRep, representativeOrdinal: 0, nearDuplicateProblem: q.nearDup, groupRollouts: q.nearDup ? 2 * k : k, groupProblems: q.nearDup || (p + 1) % 40 === 0 ? 2 : 1, groupCorrect: 0, passRate: Math.round(q.passRate * 8) / 8 };
  const ann: Record<string, unknown> = {
    verify: { verdict, extracted, extractedBy: extracted === null ? null : "boxed", rule: extracted === null ? "no_answer" : correct ? "numeric" : "numeric", ms: 0.1 },
    quality: { truncated: false, repetition: rand() * 0.2 },
    group: groupInfo,
  };
  // a second stream, per row, so the signals below leave the first stream (and so every existing count) as it was
  const rand2 = mulberry32(Math.imul(ordinal + 1, 0x9e3779b1) ^ seed);
  const solutionTokens = Math.min(tokens - 1, 10 + Math.floor(rand2() * rand2() * 600));
  if (contamination) ann.contamination = contamination;
  let drop: SyntheticDrop | null = null;
  if (hostile) drop = { stage: "quality", reason: "quality:planted_markup", detail: `planted ${payload}` };
  else if (r === k - 1 && p % 33 === 0) drop = { stage: "exact_dedupe", reason: "duplicate:exact", detail: "same problem and response as " + `syn-${p}-0`, duplicateOf: `syn-${p}-0` };
  else if (q.contaminated) drop = { stage: "decontaminate", reason: "contaminated:math500", detail: `math500 test/algebra/${p}.json ngram 0.83` };
  else if (verdict !== "correct") drop = { stage: "verify", reason: `verify:${verdict}`, detail: `extracted ${extracted ?? "nothing"} vs reference ${answer}` };
  else if (tokens > 6000) drop = { stage: "length", reason: "too_long:response", detail: `response ${tokens} tokens > 6,000` };
  else if (q.nearDup && r >= 4) drop = { stage: "group", reason: "duplicate:rollout_cap", detail: "group already holds 8 kept rollouts", duplicateOf: groupRep };
  ann.quality = syntheticQuality((ann.quality as { repetition: number }).repetition, verdict !== "correct", extracted === null, tokens, rand2);
  const named: Record<string, unknown> = {
    id, ordinal, source: q.source, file: `inputs/${q.source}.jsonl`, row: ordinal, rollout_index: r,
    problem: hostile ? `${problem} ${payload}` : problem, response, reference: String(answer), finish_reason: "stop",
    solution, trace_format: "think", unterminated: false,
    tokens_problem: 12, tokens_reasoning: tokens - solutionTokens, tokens_solution: solutionTokens, tokens_response: tokens,
    verdict, extracted_answer: extracted, contaminated: contamination ? "math500" : null,
    exact_key: hex32(ordinal * 7919 + seed), problem_key: q.problemKey, problem_group: q.groupKey,
    representative: groupRep, pass_rate: groupInfo.passRate,
    meta: { subject: q.subject }, annotations: ann,
    stage: drop?.stage ?? null, reason: drop?.reason ?? null, detail: drop?.detail ?? null, duplicate_of: drop?.duplicateOf ?? null, raw: null,
  };
  return { id, named, drop, tokens };
}

/** Write a synthetic finished run into `dir` (replacing what curate writes there). */
export async function writeSyntheticRun(dir: string, opts: SyntheticRunOptions): Promise<SyntheticRunSummary> {
  const seed = opts.seed ?? 1;
  const rand = mulberry32(seed);
  const k = opts.rolloutsPerProblem ?? 8;
  const fillerChars = opts.reasoningChars ?? 200;
  for (const e of ["data", "rejected", "annotated", "outputs", "manifest.json", "timings.json"]) rmSync(join(dir, e), { recursive: true, force: true });
  mkdirs(dir);
  await initCompressors();
  const shardOpts = { codec: "ZSTD" as const, rowGroupRows: opts.rowGroupRows ?? 5000, shardRows: opts.shardRows ?? 250_000, shardBytes: 512 * 1024 * 1024 };
  const data = new ShardSet(join(dir, "data"), "train", ROLLOUT_COLUMNS, shardOpts);
  const rejected = new ShardSet(join(dir, "rejected"), "rejected", REJECTED_COLUMNS, shardOpts);

  const stageNames = ["read", "quality", "exact_dedupe", "decontaminate", "verify", "length", "group"];
  const stages = stageNames.map((stage) => ({ stage, in: 0, kept: 0, dropped: 0, reasons: {} as Record<string, number> }));
  const bySource: Record<string, { in: number; kept: number; dropped: number }> = {};
  const byReason: Record<string, number> = {};
  const hostileIds: string[] = [];
  let kept = 0;
  let keptTokens = 0;
  const filler = "Let me think about this step by step. ".repeat(Math.ceil(fillerChars / 38)).slice(0, fillerChars);
  const problems = Math.ceil(opts.rows / k);
  let ordinal = 0;
  let prevGroupKey = "";
  let prevGroupRep = "";
  for (let p = 0; p < problems && ordinal < opts.rows; p++) {
    const a = 2 + Math.floor(rand() * 97);
    const b = 2 + Math.floor(rand() * 97);
    const source = rand() < 0.7 ? "numina" : "openr1";
    const subject = SUBJECTS[Math.floor(rand() * SUBJECTS.length)]!;
    // every 40th problem is a near-duplicate rewording of the previous one: same group, own exact key
    const nearDup = p > 0 && p % 40 === 0;
    const problemKey = hex32(Math.imul(p + 1, 0x9e3779b1) ^ seed);
    const problem = nearDup ? `Compute the value of ${a - 0} times ${b} please.` : `Compute ${a} times ${b}.`;
    const q: SyntheticProblem = { p, a, b, source, subject, nearDup, problem, problemKey, groupKey: nearDup ? prevGroupKey : problemKey, contaminated: p % 97 === 5, passRate: rand() };
    let groupRep = nearDup ? prevGroupRep : "";
    for (let r = 0; r < k && ordinal < opts.rows; r++, ordinal++) {
      if (!groupRep) groupRep = `syn-${p}-${r}`;
      const hostile = (opts.hostile ?? false) && ordinal % 53 === 7;
      const { id, named, drop, tokens } = syntheticRollout(q, r, k, ordinal, groupRep, rand, filler, hostile, seed);
      if (hostile) hostileIds.push(id);
      const src = (bySource[source] ??= { in: 0, kept: 0, dropped: 0 });
      src.in++;
      for (const s of stages) {
        s.in++;
        if (drop && drop.stage === s.stage) {
          s.dropped++;
          s.reasons[drop.reason] = (s.reasons[drop.reason] ?? 0) + 1;
          break;
        }
        s.kept++;
      }
      // by column name, so the layout in rollout-columns.ts may grow without breaking this generator
      const values = (cols: typeof ROLLOUT_COLUMNS) => cols.map((c) => (named[c.name] ?? null) as never);
      if (drop) {
        src.dropped++;
        byReason[drop.reason] = (byReason[drop.reason] ?? 0) + 1;
        rejected.append(values(REJECTED_COLUMNS), { tokens });
      } else {
        src.kept++;
        kept++;
        keptTokens += tokens;
        data.append(values(ROLLOUT_COLUMNS), { tokens });
      }
    }
    prevGroupKey = q.groupKey;
    prevGroupRep = groupRep;
  }
  const entry = (s: { path: string; rows: number; bytes: number; sha256: string; extra: Record<string, number> }) => ({ path: s.path.slice(dir.length + 1), rows: s.rows, tokens: s.extra.tokens ?? 0, bytes: s.bytes, sha256: s.sha256 });
  const dataShards = data.close().map(entry);
  const rejectedShards = rejected.close().map(entry);
  mkdirs(join(dir, "outputs", "sft"));
  const sftManifest = { kind: "sft", rows: kept, note: `synthetic output manifest ${opts.hostile ? HOSTILE_PAYLOADS[0] : ""}`, warnings: opts.hostile ? [`planted ${HOSTILE_PAYLOADS[1]}`] : [] };
  writeFileSync(join(dir, "outputs", "sft", "manifest.json"), JSON.stringify(sftManifest, null, 2));
  const midtrain = { kind: "midtrain", rows: Math.ceil(keptTokens / 16384), tokens: keptTokens, problems: Math.ceil(kept / k), details: { sequences: Math.ceil(keptTokens / 16384), packingEfficiency: keptTokens / (Math.ceil(keptTokens / 16384) * 16384), rolloutsPacked: kept }, eligibility: { not_kept: ordinal - kept } };
  const manifest = {
    tool: { name: "curate", version: "synthetic", dependencies: {} },
    name: opts.hostile ? `synthetic <b>run</b>` : "synthetic",
    configHash: hex32(seed),
    seed,
    tokenizer: "o200k_base",
    decontaminated: true,
    warnings: [],
    config: { ...SYNTHETIC_CONFIG, seed },
    inputs: [],
    counts: { rowsIn: ordinal, kept, dropped: ordinal - kept, keptTokens, stages, bySource, byReason },
    conservation: { ok: true, rule: "rows in = kept + dropped" },
    shards: { data: dataShards, rejected: rejectedShards, annotated: [] },
    outputs: { midtrain, sft: { kind: "sft", rows: kept, path: "outputs/sft" } },
  };
  // measured-looking figures with long fractions, as a real run writes them
  const timings = { seconds: 10.346749514999999, phases: { annotate: 6.123456789, group: 1.0149592360000006, write: 3.2083374 }, annotatorMs: { verify: 2140.9543239999975, quality: 1492.574028 }, rowsPerSecond: ordinal / 10.346749514999999, synthetic: true };
  writeFileSync(join(dir, "timings.json"), JSON.stringify(timings, null, 2));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return { rowsIn: ordinal, kept, dropped: ordinal - kept, byReason, hostileIds };
}
