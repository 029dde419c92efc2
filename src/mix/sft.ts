/**
 * SFT subset: unpacked rows in TRL's conversational layout (`messages`: optional system, user =
 * problem, assistant = response). Candidates are kept rollouts (verified correct unless
 * `requireCorrect: false`) no longer than `maxTokens`; they are visited in seeded-hash order and taken
 * while the per-problem cap, the difficulty / domain quotas (max shares) and the size (`rows` or
 * `tokenBudget`, met within one rollout) allow. Rows are written in input order.
 */
import type { SftConfig } from "./types.js";
import { S_KEPT, V_CORRECT, VERDICTS, type MixRow } from "./table.js";
import { Eligibility, Tally, rowKey, sortByKey, type OutputBuilder, type PlanContext } from "./common.js";
import { MixShardSet, type Message, type MixColumn } from "./shards.js";

export const SFT_COLUMNS: MixColumn[] = [
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

export function sftBuilder(ctx: PlanContext, systemTokens: number): OutputBuilder {
  const cfg = ctx.config as SftConfig;
  const t = ctx.table;
  const elig = new Eligibility(ctx);
  const requireCorrect = cfg.requireCorrect ?? true;
  const sys = cfg.system ? systemTokens : 0;
  const rowTokens = (i: number) => sys + t.problemTokens[i]! + t.responseTokens[i]!;

  // ---- candidates
  let cand: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const reason =
      t.status[i] !== S_KEPT ? "not_kept"
      : requireCorrect && t.verdict[i] !== V_CORRECT ? "not_correct"
      : !ctx.sourceOk[t.source[i]!] ? "source_not_selected"
      : cfg.maxTokens !== undefined && rowTokens(i) > cfg.maxTokens ? "over_maxTokens"
      : null;
    if (elig.admit(t.problem[i]!, reason)) cand.push(i);
  }
  let candidates = Int32Array.from(cand);
  cand = [];
  const order = sortByKey(candidates, rowKey(t, `${ctx.name}:order`));

  // ---- greedy selection in seeded order
  const byTokens = cfg.tokenBudget !== undefined;
  const target = cfg.rows ?? cfg.tokenBudget ?? order.length;
  const perProblem = new Int32Array(t.problems.length);
  const quotaUse = new Map<string, number>();
  const capOf = (kind: "difficulty" | "domain", cls: string): number => {
    const q = kind === "difficulty" ? cfg.difficultyQuotas : cfg.domainQuotas;
    const share = q?.[cls];
    if (share === undefined) return Infinity;
    return byTokens ? share * target : Math.floor(share * target);
  };
  const selected = new Uint8Array(t.n);
  const used = new Uint8Array(t.problems.length);
  let total = 0;
  let taken = 0;
  let stopped = false;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    const p = t.problem[i]!;
    if (stopped) {
      elig.count("size_limit");
      continue;
    }
    if (cfg.maxPerProblem !== undefined && perProblem[p]! >= cfg.maxPerProblem) {
      elig.count("per_problem_cap");
      continue;
    }
    const amount = byTokens ? rowTokens(i) : 1;
    const diff = t.difficultyName(p) ?? "unknown";
    const dom = t.pDomain[p]!;
    const dKey = `difficulty:${diff}`;
    const mKey = `domain:${dom}`;
    if ((quotaUse.get(dKey) ?? 0) + amount > capOf("difficulty", diff)) {
      elig.count(`quota:${dKey}`);
      continue;
    }
    if ((quotaUse.get(mKey) ?? 0) + amount > capOf("domain", dom)) {
      elig.count(`quota:${mKey}`);
      continue;
    }
    if (byTokens) {
      if (total + amount > target) {
        // take the crossing rollout only when that lands closer to the budget; either way within one rollout
        if (total + amount - target < target - total) {
          selected[i] = 1;
          total += amount;
          taken++;
          used[p] = 1;
          perProblem[p]!++;
        } else elig.count("size_limit");
        stopped = true;
        continue;
      }
    } else if (taken >= target) {
      elig.count("size_limit");
      stopped = true;
      continue;
    }
    selected[i] = 1;
    total += amount;
    taken++;
    used[p] = 1;
    perProblem[p]!++;
    quotaUse.set(dKey, (quotaUse.get(dKey) ?? 0) + amount);
    quotaUse.set(mKey, (quotaUse.get(mKey) ?? 0) + amount);
  }
  candidates = new Int32Array(0);
  elig.checkDisjoint(used);

  const tally = new Tally(t);
  const warnings: string[] = [];
  if (cfg.rows !== undefined && taken < cfg.rows) warnings.push(`asked for ${cfg.rows} rows, ${taken} eligible rows were available`);
  if (cfg.tokenBudget !== undefined && total < cfg.tokenBudget && !stopped) warnings.push(`asked for ${cfg.tokenBudget} tokens, eligible rows hold ${total}`);
  const shards = new MixShardSet(ctx.outputDir + "/data", "train", SFT_COLUMNS, ctx.shard, { "curate.output": ctx.name, "curate.kind": "sft" });

  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings,
    consume(i: number, row: MixRow) {
      if (!selected[i]) return;
      const r = row.record;
      const p = t.problem[i]!;
      const messages: Message[] = [];
      if (cfg.system) messages.push({ role: "system", content: cfg.system });
      messages.push({ role: "user", content: r.problem }, { role: "assistant", content: r.response });
      const tokens = rowTokens(i);
      const pr = t.pPassRate[p]!;
      shards.append(
        [messages, r.id, r.source, t.problems[p]!, tokens, Number.isNaN(pr) ? null : pr, t.pDomain[p]!, t.difficultyName(p), r.reference, VERDICTS[t.verdict[i]!] || null],
        tokens,
      );
      tally.add(p, t.source[i]!, tokens);
      tally.rows++;
      tally.tokens += tokens;
    },
    finish() {},
    abort() {
      shards.abort();
    },
    shards: () => shards,
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
      quotaUse: Object.fromEntries([...quotaUse.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    }),
  };
}
