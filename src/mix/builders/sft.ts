/**
 * SFT subset: unpacked rows in TRL's conversational layout (`messages`: optional system, user =
 * problem, assistant = response). Candidates are kept rollouts (verified correct unless
 * `requireCorrect: false`) no longer than `maxTokens`; they are visited in seeded-hash order and taken
 * while the per-problem cap, the difficulty / domain quotas (max shares) and the size (`rows` or
 * `tokenBudget`, met within one rollout) allow. Rows are written in input order.
 * A record holds the row's texts; its size is the output row's text size.
 */
import type { OutputCommon, ResponseFormat } from "../types.js";
import { S_KEPT, V_CORRECT, VERDICTS, type RowTable } from "../table.js";
import { Eligibility, Tally, rowRecords, type OutputBuilder, type PlanContext, type Product } from "../common.js";
import { rowKey, sortByKey } from "../sample-keys.js";
import { renderResponse } from "../text.js";
import type { ColumnSpec, Message } from "../../io/parquet-write.js";

/** `outputs.<name>` of kind "sft" (schemas/parts/outputs.sft.schema.json) */
export interface SftConfig extends OutputCommon {
  /** at most this many rollouts per problem group (chosen by seeded hash of the rollout id) */
  maxPerProblem?: number;
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "sft";
  /** longest row, in tokens: system + problem + response (default: no limit) */
  maxTokens?: number;
  /** system prompt placed first in `messages` */
  system?: string;
  /** size of the subset: number of rows … */
  rows?: number;
  /** … or total tokens (met within one rollout) */
  tokenBudget?: number;
  /** max share of the subset per pass-rate difficulty (solved|easy|medium|hard|unsolved) */
  difficultyQuotas?: Record<string, number>;
  /** max share of the subset per domain (algebra|geometry|number_theory|counting_probability|calculus_analysis|other) */
  domainQuotas?: Record<string, number>;
  /** only rollouts verified correct (default true) */
  requireCorrect?: boolean;
}

export const sftProduct: Product<SftConfig> = {
  kind: "sft",
  unit: "rollouts",
  about: [
    "Rows in TRL's conversational layout: `messages` = [system?] + user (problem) + assistant (response).",
    "`SFTTrainer` reads the `messages` column directly.",
  ],
  plan: (ctx, o, { enc }) => sftBuilder(ctx, o.system ? enc.count(o.system) : 0),
};

export const SFT_COLUMNS: ColumnSpec[] = [
  { name: "messages", type: "MESSAGES", nullable: false },
  { name: "id", type: "STRING", nullable: false },
  { name: "source", type: "STRING", nullable: false },
  { name: "problem_group", type: "STRING", nullable: false },
  { name: "num_tokens", type: "INT32", nullable: false },
  { name: "pass_rate", type: "DOUBLE" },
  { name: "domain", type: "STRING" },
  { name: "difficulty", type: "STRING" },
  { name: "reference", type: "STRING" },
  { name: "verdict", type: "STRING" },
];

/** The greedy selection's inputs: candidates in seeded order, and how a row counts toward the size. */
interface SelectionInput {
  t: RowTable;
  cfg: SftConfig;
  order: Int32Array;
  /** size in tokens (`tokenBudget`) rather than rows */
  byTokens: boolean;
  rowTokens: (i: number) => number;
}

interface Selection {
  selected: Uint8Array;
  total: number;
  taken: number;
  stopped: boolean;
  quotaUse: Map<string, number>;
  counts: Record<string, number>;
}

/** The configured max share of a quota key ("difficulty:hard", "domain:algebra"), if any. */
function shareOf(cfg: SftConfig, key: string): number | undefined {
  const [kind, cls] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
  return (kind === "difficulty" ? cfg.difficultyQuotas : cfg.domainQuotas)?.[cls];
}

/** One greedy pass in seeded order toward `target` rows or tokens, quotas capped as shares of `target`. */
function select({ t, cfg, order, byTokens, rowTokens }: SelectionInput, target: number): Selection {
  const perProblem = new Int32Array(t.problems.length);
  const quotaUse = new Map<string, number>();
  const counts: Record<string, number> = {};
  const skip = (r: string) => (counts[r] = (counts[r] ?? 0) + 1);
  const selected = new Uint8Array(t.n);
  let total = 0;
  let taken = 0;
  let stopped = false;
  const capOf = (key: string): number => {
    const share = shareOf(cfg, key);
    if (share === undefined) return Infinity;
    return byTokens ? share * target : Math.floor(share * target);
  };
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    const p = t.problem[i]!;
    if (stopped) {
      skip("size_limit");
      continue;
    }
    if (cfg.maxPerProblem !== undefined && perProblem[p]! >= cfg.maxPerProblem) {
      skip("per_problem_cap");
      continue;
    }
    const amount = byTokens ? rowTokens(i) : 1;
    const dKey = `difficulty:${t.difficultyName(p) ?? "unknown"}`;
    const mKey = `domain:${t.pDomain[p]!}`;
    if ((quotaUse.get(dKey) ?? 0) + amount > capOf(dKey)) {
      skip(`quota:${dKey}`);
      continue;
    }
    if ((quotaUse.get(mKey) ?? 0) + amount > capOf(mKey)) {
      skip(`quota:${mKey}`);
      continue;
    }
    if (byTokens ? total + amount > target : taken >= target) {
      // tokens: take the crossing rollout only when that lands closer to the budget; either way within one rollout
      stopped = true;
      if (!(byTokens && total + amount - target < target - total)) {
        skip("size_limit");
        continue;
      }
    }
    selected[i] = 1;
    total += amount;
    taken++;
    perProblem[p]!++;
    quotaUse.set(dKey, (quotaUse.get(dKey) ?? 0) + amount);
    quotaUse.set(mKey, (quotaUse.get(mKey) ?? 0) + amount);
  }
  return { selected, total, taken, stopped, quotaUse, counts };
}

/**
 * Quotas are shares of the subset actually produced: when they cut it below the target, the caps are
 * recomputed on the smaller size until every capped class is within its share (the target only shrinks).
 */
function selectWithinQuotas(input: SelectionInput, warnings: string[]): { sel: Selection; rounds: number } {
  const { cfg, byTokens } = input;
  const hasQuotas = Object.keys(cfg.difficultyQuotas ?? {}).length + Object.keys(cfg.domainQuotas ?? {}).length > 0;
  let target = cfg.rows ?? cfg.tokenBudget ?? input.order.length;
  let sel = select(input, target);
  let rounds = 1;
  const violates = (x: Selection) => {
    const size = byTokens ? x.total : x.taken;
    for (const [k, v] of x.quotaUse) {
      const share = shareOf(cfg, k);
      if (share !== undefined && v > share * size + 1e-9) return true;
    }
    return false;
  };
  while (hasQuotas && violates(sel)) {
    if (rounds >= 64) {
      warnings.push("difficulty/domain quotas did not settle in 64 rounds; some class may exceed its share slightly");
      break;
    }
    target = byTokens ? sel.total : sel.taken;
    sel = select(input, target);
    rounds++;
  }
  if (rounds > 1) {
    const unit = byTokens ? "tokens" : "rows";
    warnings.push(`difficulty/domain quotas cut the subset to ${byTokens ? sel.total : sel.taken} ${unit} (caps are shares of the subset produced, so classes with few candidates limit the others)`);
  }
  return { sel, rounds };
}

export function sftBuilder(ctx: PlanContext, systemTokens: number): OutputBuilder {
  const cfg = ctx.config as SftConfig;
  const t = ctx.table;
  const elig = new Eligibility(ctx);
  const requireCorrect = cfg.requireCorrect ?? true;
  const sys = cfg.system ? systemTokens : 0;
  const rowTokens = (i: number) => sys + t.problemTokens[i]! + t.responseTokensAs(i, ctx.think);
  const format = ctx.think ? "think" : "raw";

  // ---- candidates, in seeded order
  const cand: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const reason =
      t.status[i] !== S_KEPT ? "not_kept"
      : requireCorrect && t.verdict[i] !== V_CORRECT ? "not_correct"
      : !ctx.sourceOk[t.source[i]!] ? "source_not_selected"
      : cfg.maxTokens !== undefined && rowTokens(i) > cfg.maxTokens ? "over_maxTokens"
      : null;
    if (elig.admit(t.problem[i]!, reason)) cand.push(i);
  }
  const order = sortByKey(Int32Array.from(cand), rowKey(t, `${ctx.name}:order`));
  cand.length = 0;

  // ---- greedy selection in seeded order
  const byTokens = cfg.tokenBudget !== undefined;
  const warnings: string[] = [];
  const { sel, rounds } = selectWithinQuotas({ t, cfg, order, byTokens, rowTokens }, warnings);
  const { selected, total, taken, stopped, quotaUse } = sel;
  for (const [k, v] of Object.entries(sel.counts)) elig.count(k, v);
  const used = new Uint8Array(t.problems.length);
  for (let i = 0; i < t.n; i++) if (selected[i]) used[t.problem[i]!] = 1;
  elig.checkDisjoint(used);

  const tally = new Tally(t);
  if (cfg.rows !== undefined && taken < cfg.rows) warnings.push(`asked for ${cfg.rows} rows, selected ${taken} (eligible rows, per-problem cap and quotas)`);
  if (cfg.tokenBudget !== undefined && total < cfg.tokenBudget && !stopped) warnings.push(`asked for ${cfg.tokenBudget} tokens, eligible rows hold ${total}`);
  // output rows: the selected rollouts in input order
  const rows = new Int32Array(taken);
  for (let i = 0, k = 0; i < t.n; i++) if (selected[i]) rows[k++] = i;
  for (const i of rows) tally.row(t.problem[i]!, t.source[i]!, rowTokens(i));

  /** record: [id, problem, rendered response, reference, source] */
  type Rec = [string, string, string, string | null, string];
  const values = (i: number, [id, problem, response, reference, source]: Rec) => {
    const p = t.problem[i]!;
    const messages: Message[] = [];
    if (cfg.system) messages.push({ role: "system", content: cfg.system });
    messages.push({ role: "user", content: problem }, { role: "assistant", content: response });
    const pr = t.pPassRate[p]!;
    return [messages, id, source, t.problems[p]!, rowTokens(i), Number.isNaN(pr) ? null : pr, t.pDomain[p]!, t.difficultyName(p), reference, VERDICTS[t.verdict[i]!] || null];
  };

  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings,
    columns: SFT_COLUMNS,
    kv: { "curate.output": ctx.name, "curate.kind": "sft" },
    rowGroupRows: ctx.shard.rowGroupRows,
    ...rowRecords<Rec>(rows, SFT_COLUMNS, ({ record: r }) => [r.id, r.problem, renderResponse(r, format), r.reference, r.source], values, rowTokens),
    details: () => ({
      selection: byTokens ? "tokenBudget" : cfg.rows !== undefined ? "rows" : "all",
      target: cfg.rows ?? cfg.tokenBudget ?? null,
      achieved: byTokens ? total : taken,
      maxRowTokens: (() => {
        let m = 0;
        for (let i = 0; i < t.n; i++) if (selected[i] && rowTokens(i) > m) m = rowTokens(i);
        return m;
      })(),
      maxTokens: cfg.maxTokens ?? null,
      requireCorrect,
      responseFormat: format,
      quotaRounds: rounds,
      quotaUse: Object.fromEntries([...quotaUse.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    }),
  };
}
