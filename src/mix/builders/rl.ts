/**
 * RL prompt pool: one row per problem group with a gradable reference (the group has a pass rate,
 * i.e. at least one rollout was graded correct / incorrect / no_answer against it), inside the
 * `passRate` band, optionally length-uniform (`maxLengthSpread`, `maxP90Tokens`), never from a
 * contaminated group. The prompt and answer come from the group's first row (input order) that has a
 * reference; the pool is already deduplicated because groups merge exact and near-duplicate problems.
 */
import type { OutputCommon } from "../types.js";
import { Eligibility, Tally, rowRecords, type OutputBuilder, type PlanContext, type Product } from "../common.js";
import type { ColumnSpec, Message } from "../../io/parquet-write.js";
import { orderKey, saltOf, sortByKey } from "../sample-keys.js";
import { parsePromptTemplate } from "../../config/outputs.js";

/** `outputs.<name>` of kind "rl" (schemas/parts/outputs.rl.schema.json) */
export interface RlConfig extends OutputCommon {
  kind: "rl";
  /** "plain": prompt is a string; "chat": a one-message user list (default "plain") */
  format?: "chat" | "plain";
  /** prompt template with `{problem}` exactly once (default "{problem}") */
  promptTemplate?: string;
  /** system prompt (chat format only) */
  system?: string;
  /** leave out problems whose rollout lengths vary more than this (coefficient of variation, std/mean) */
  maxLengthSpread?: number;
  /** leave out problems whose 90th-percentile rollout is longer than this many tokens */
  maxP90Tokens?: number;
  /** at least this many gradable rollouts behind the pass rate (default 1) */
  minRollouts?: number;
  maxPromptTokens?: number;
  /** size: at most this many prompts (seeded sample; default all) */
  rows?: number;
}

export const rlProduct: Product<RlConfig> = {
  kind: "rl",
  unit: "prompts",
  about: [
    "Prompts for RL with a verifiable reward: `prompt`, `answer` (the gold reference), `pass_rate` of the teacher's",
    "rollouts, `num_rollouts`, `domain`, `difficulty`.",
  ],
  plan(ctx, o, { enc }) {
    const [before, after] = parsePromptTemplate(o.promptTemplate ?? "{problem}", `$.outputs.${ctx.name}.promptTemplate`);
    return rlBuilder(ctx, { before, after, tokens: enc.count(before) + enc.count(after) }, o.system ? enc.count(o.system) : 0);
  },
};

export function rlColumns(format: "chat" | "plain"): ColumnSpec[] {
  return [
    { name: "prompt", type: format === "chat" ? "MESSAGES" : "STRING", nullable: false },
    { name: "answer", type: "STRING", nullable: false },
    { name: "pass_rate", type: "DOUBLE", nullable: false },
    { name: "num_rollouts", type: "INT32", nullable: false },
    { name: "num_graded", type: "INT32", nullable: false },
    { name: "domain", type: "STRING", nullable: false },
    { name: "difficulty", type: "STRING" },
    { name: "source_difficulty", type: "DOUBLE" },
    { name: "problem_group", type: "STRING", nullable: false },
    { name: "id", type: "STRING", nullable: false },
    { name: "source", type: "STRING", nullable: false },
    { name: "prompt_tokens", type: "INT32", nullable: false },
  ];
}

/** The prompt template's text around `{problem}` and its tokens. */
export interface PromptTemplate {
  before: string;
  after: string;
  tokens: number;
}

export function rlBuilder(ctx: PlanContext, template: PromptTemplate, systemTokens: number): OutputBuilder {
  const cfg = ctx.config as RlConfig;
  const t = ctx.table;
  const P = t.problems.length;
  const elig = new Eligibility(ctx);
  const format = cfg.format ?? "plain";
  const { before, after } = template;
  const sys = cfg.system && format === "chat" ? systemTokens : 0;
  const minRollouts = cfg.minRollouts ?? 1;

  // representative row per problem: first row (input order) with a reference, from a selected source
  const rep = new Int32Array(P).fill(-1);
  for (let i = 0; i < t.n; i++) {
    const p = t.problem[i]!;
    if (rep[p] === -1 && t.hasReference[i] && ctx.sourceOk[t.source[i]!]) rep[p] = i;
  }
  const promptTokens = (p: number) => sys + template.tokens + t.problemTokens[rep[p]!]!;
  const cand: number[] = [];
  for (let p = 0; p < P; p++) {
    const pr = t.pPassRate[p]!;
    const reason =
      rep[p] === -1 ? "no_reference"
      : t.pContaminated[p] && !cfg.allowContaminated ? "problem_contaminated"
      : Number.isNaN(pr) ? "no_gradable_rollout"
      : t.pGradable[p]! < minRollouts ? "too_few_rollouts"
      : cfg.maxLengthSpread !== undefined && t.pLengthSpread[p]! > cfg.maxLengthSpread ? "length_spread"
      : cfg.maxP90Tokens !== undefined && t.pP90[p]! > cfg.maxP90Tokens ? "p90_tokens"
      : cfg.maxPromptTokens !== undefined && promptTokens(p) > cfg.maxPromptTokens ? "over_maxPromptTokens"
      : null;
    if (elig.admit(p, reason)) cand.push(p);
  }
  let chosen = Int32Array.from(cand);
  if (cfg.rows !== undefined && chosen.length > cfg.rows) {
    const salt = saltOf(`${ctx.name}:sample`);
    const ranked = sortByKey(chosen, (p) => orderKey(t.pH1[p]!, t.pH2[p]!, salt));
    elig.count("size_limit", chosen.length - cfg.rows);
    chosen = ranked.slice(0, cfg.rows);
  }
  const used = new Uint8Array(P);
  const writeAt = new Uint8Array(t.n);
  for (const p of chosen) {
    used[p] = 1;
    writeAt[rep[p]!] = 1;
  }
  elig.checkDisjoint(used);
  const tally = new Tally(t);
  // output rows: the chosen problems' representative rows, in input order
  const rows = new Int32Array(chosen.length);
  for (let i = 0, k = 0; i < t.n; i++) if (writeAt[i]) rows[k++] = i;
  for (const i of rows) tally.row(t.problem[i]!, t.source[i]!, promptTokens(t.problem[i]!));
  const columns = rlColumns(format);

  /** record: [id, problem, reference, source] */
  type Rec = [string, string, string, string];
  const values = (i: number, [id, problem, reference, source]: Rec) => {
    const p = t.problem[i]!;
    const text = before + problem + after;
    let prompt: string | Message[] = text;
    if (format === "chat") {
      prompt = [];
      if (cfg.system) prompt.push({ role: "system", content: cfg.system });
      prompt.push({ role: "user", content: text });
    }
    const sd = t.pSourceDifficulty[p]!;
    return [prompt, reference, t.pPassRate[p]!, t.pRollouts[p]!, t.pGradable[p]!, t.pDomain[p]!, t.difficultyName(p), Number.isNaN(sd) ? null : sd, t.problems[p]!, id, source, promptTokens(p)];
  };
  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings: [],
    columns,
    kv: { "curate.output": ctx.name, "curate.kind": "rl" },
    rowGroupRows: ctx.shard.rowGroupRows,
    ...rowRecords<Rec>(rows, columns, ({ record: r }) => [r.id, r.problem, r.reference!, r.source], values, (i) => promptTokens(t.problem[i]!)),
    details: () => ({ format, passRate: cfg.passRate ?? null, prompts: chosen.length, unit: "eligibility counts are problem groups" }),
  };
}
