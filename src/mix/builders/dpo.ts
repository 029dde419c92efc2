/**
 * Rollout DPO pairs: for a problem group with at least one chosen and one rejected candidate, pairs
 * {prompt, chosen, rejected} in TRL's layout (chat: message lists; plain: strings).
 *
 *   chosen   = kept rollout, verdict correct
 *   rejected = verdict incorrect, and kept or dropped only by the requireCorrect filter
 *              (`verify:incorrect`); never no_answer / ungradable_reference / timeout, never a
 *              truncated rollout, never an exact copy of an earlier rejected rollout of the group
 *   both     = within maxResponseTokens; prompt within maxPromptTokens; group not contaminated
 *
 * Pairing: every (chosen, rejected) combination of the group (each side capped at its 64 lowest
 * seeded keys) is ranked by the policy, then taken greedily — first pairs whose two rollouts are both
 * still unused, then any unused combination — until `pairsPerProblem`.
 */
import type { OutputCommon, ResponseFormat } from "../types.js";
import { S_KEPT, S_VERIFY_INCORRECT, V_CORRECT, V_INCORRECT, type MixRow, type RowTable } from "../table.js";
import { Eligibility, Tally, type OutputBuilder, type PlanContext, type Product } from "../common.js";
import { rowTextBytes, type ColumnSpec, type Message, type RowValue } from "../../io/parquet-write.js";
import { renderResponse } from "../text.js";
import { orderKey, rowKey, saltOf, sortByKey } from "../sample-keys.js";
import { fmix32u } from "../../text/hash.js";

/** `outputs.<name>` of kind "dpo" (schemas/parts/outputs.dpo.schema.json) */
export interface DpoConfig extends OutputCommon {
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "dpo";
  /** "chat": prompt/chosen/rejected as message lists (TRL conversational); "plain": strings (default "chat") */
  format?: "chat" | "plain";
  /** system prompt (chat: first prompt message; plain: prefixed with a blank line) */
  system?: string;
  /** how a rejected rollout is matched to a chosen one (default "closest_length") */
  pairing?: "closest_length" | "random" | "hardest";
  /** pairs per problem group (default 1) */
  pairsPerProblem?: number;
  /** prompts longer than this many tokens are left out */
  maxPromptTokens?: number;
  /** chosen and rejected responses longer than this many tokens are left out */
  maxResponseTokens?: number;
  /** size: at most this many pairs in total (default: all) */
  rows?: number;
}

export const dpoProduct: Product<DpoConfig> = {
  kind: "dpo",
  unit: "pairs",
  about: [
    "Preference pairs in TRL's layout: `prompt`, `chosen`, `rejected` (message lists in the chat variant,",
    "strings in the plain one). Chosen = verified correct rollout, rejected = verified incorrect rollout of the",
    "same problem group. `DPOTrainer` reads these columns directly.",
  ],
  plan: (ctx, o, { enc }) => dpoBuilder(ctx, o.system ? enc.count(o.system) : 0),
};

/** each side of a group is capped at its MAX_SIDE lowest seeded keys before pairing */
const MAX_SIDE = 64;

export function dpoColumns(format: "chat" | "plain"): ColumnSpec[] {
  const text = format === "chat" ? "MESSAGES" : "STRING";
  return [
    { name: "prompt", type: text, nullable: false },
    { name: "chosen", type: text, nullable: false },
    { name: "rejected", type: text, nullable: false },
    { name: "problem_group", type: "STRING", nullable: false },
    { name: "chosen_id", type: "STRING", nullable: false },
    { name: "rejected_id", type: "STRING", nullable: false },
    { name: "source", type: "STRING", nullable: false },
    { name: "prompt_tokens", type: "INT32", nullable: false },
    { name: "chosen_tokens", type: "INT32", nullable: false },
    { name: "rejected_tokens", type: "INT32", nullable: false },
    { name: "pass_rate", type: "DOUBLE" },
    { name: "domain", type: "STRING" },
    { name: "difficulty", type: "STRING" },
  ];
}

/** Token counts of a row as a pair uses them: the prompt (system + problem) and the rendered response. */
interface PairTokens {
  prompt(i: number): number;
  response(i: number): number;
}

/**
 * Candidates of each side, in input order, every left-out one counted under its reason. A rejected
 * rollout that is an exact copy of an earlier rejected one of its group is left out.
 */
function pairCandidates(ctx: PlanContext, elig: Eligibility, tokens: PairTokens): { chosen: number[]; rejected: number[] } {
  const cfg = ctx.config as DpoConfig;
  const t = ctx.table;
  const chosen: number[] = [];
  const rejected: number[] = [];
  const seenExact = new Map<number, Set<number>>(); // problem -> exact hashes of rejected rollouts
  for (let i = 0; i < t.n; i++) {
    const v = t.verdict[i]!;
    const s = t.status[i]!;
    const isChosen = v === V_CORRECT && s === S_KEPT;
    const isRejected = v === V_INCORRECT && (s === S_KEPT || s === S_VERIFY_INCORRECT);
    const p = t.problem[i]!;
    let reason: string | null = null;
    if (!isChosen && !isRejected) {
      reason = v === V_CORRECT ? "correct_not_kept" : v === V_INCORRECT ? "incorrect_dropped_by_other_filter" : "verdict_not_pairable";
    } else if (!ctx.sourceOk[t.source[i]!]) reason = "source_not_selected";
    else if (cfg.maxResponseTokens !== undefined && tokens.response(i) > cfg.maxResponseTokens) reason = "over_maxResponseTokens";
    else if (isChosen && cfg.maxPromptTokens !== undefined && tokens.prompt(i) > cfg.maxPromptTokens) reason = "over_maxPromptTokens";
    else if (isRejected && t.truncated[i]) reason = "rejected_truncated";
    else if (isRejected && t.exactHash[i]) {
      let set = seenExact.get(p);
      if (!set) seenExact.set(p, (set = new Set()));
      if (set.has(t.exactHash[i]!)) reason = "rejected_duplicate";
      else set.add(t.exactHash[i]!);
    }
    if (!elig.admit(p, reason)) continue;
    (isChosen ? chosen : rejected).push(i);
  }
  return { chosen, rejected };
}

/** One side's rows grouped by problem, each group in seeded-key order: rows[start[p] .. start[p+1]). */
interface Side {
  start: Int32Array;
  rows: Int32Array;
}

function groupSide(t: RowTable, list: number[], purpose: string): Side {
  const P = t.problems.length;
  const sorted = sortByKey(Int32Array.from(list), rowKey(t, purpose));
  const start = new Int32Array(P + 1);
  for (const i of sorted) start[t.problem[i]! + 1]!++;
  for (let p = 0; p < P; p++) start[p + 1]! += start[p]!;
  const fill = start.slice(0, P);
  const out = new Int32Array(sorted.length);
  for (const i of sorted) out[fill[t.problem[i]!]!++] = i;
  return { start, rows: out };
}

/** Pairs taken, as parallel lists: chosen row, rejected row, the pair's seeded key. */
interface Pairs {
  c: number[];
  r: number[];
  key: number[];
}

/**
 * The pairs of problem p: every (chosen, rejected) combination of its capped sides ranked by the
 * policy, then taken greedily — first pairs whose two rollouts are both still unused, then any
 * unused combination — until `pairsPerProblem`.
 */
function pairProblem(ctx: PlanContext, cs: Int32Array, rs: Int32Array, pairKey: (c: number, r: number) => number, tokens: PairTokens, out: Pairs): void {
  const cfg = ctx.config as DpoConfig;
  const t = ctx.table;
  const policy = cfg.pairing ?? "closest_length";
  if (policy === "hardest") {
    // confidently wrong first: commits to a final answer, then longest, then seeded key (the current order)
    const rank = new Map<number, number>();
    rs.forEach((i, k) => rank.set(i, k));
    rs = Int32Array.from(rs).sort((a, b) => t.finalAnswer[b]! - t.finalAnswer[a]! || tokens.response(b) - tokens.response(a) || rank.get(a)! - rank.get(b)!);
  }
  const combos: { c: number; r: number; score: number; key: number }[] = [];
  for (let a = 0; a < cs.length; a++) {
    for (let b = 0; b < rs.length; b++) {
      const c = cs[a]!;
      const r = rs[b]!;
      const key = pairKey(c, r);
      const score = policy === "closest_length" ? Math.abs(tokens.response(c) - tokens.response(r)) : policy === "hardest" ? b * MAX_SIDE + a : key;
      combos.push({ c, r, score, key });
    }
  }
  combos.sort((x, y) => x.score - y.score || x.key - y.key);
  const usedC = new Set<number>();
  const usedR = new Set<number>();
  const taken = new Set<number>();
  const limit = Math.min(cfg.pairsPerProblem ?? 1, combos.length);
  for (let phase = 0; phase < 2 && taken.size < limit; phase++) {
    for (let k = 0; k < combos.length && taken.size < limit; k++) {
      const x = combos[k]!;
      if (taken.has(k)) continue;
      if (phase === 0 && (usedC.has(x.c) || usedR.has(x.r))) continue;
      taken.add(k);
      usedC.add(x.c);
      usedR.add(x.r);
      out.c.push(x.c);
      out.r.push(x.r);
      out.key.push(x.key);
    }
  }
}

/** Every problem's pairs, in output order (by pair key), cut to `rows`. */
function pairAll(ctx: PlanContext, elig: Eligibility, tokens: PairTokens): { pairC: Int32Array; pairR: Int32Array } {
  const cfg = ctx.config as DpoConfig;
  const t = ctx.table;
  const cands = pairCandidates(ctx, elig, tokens);
  const C = groupSide(t, cands.chosen, `${ctx.name}:chosen`);
  const R = groupSide(t, cands.rejected, `${ctx.name}:rejected`);
  cands.chosen.length = 0;
  cands.rejected.length = 0;
  const pairSalt = saltOf(`${ctx.name}:pair`);
  const pairKey = (c: number, r: number) => orderKey(t.h1[c]! ^ fmix32u(t.h1[r]!), t.h2[c]! ^ fmix32u(t.h2[r]!), pairSalt);
  const pairs: Pairs = { c: [], r: [], key: [] };
  for (let p = 0; p < t.problems.length; p++) {
    const nc = Math.min(MAX_SIDE, C.start[p + 1]! - C.start[p]!);
    const nr = Math.min(MAX_SIDE, R.start[p + 1]! - R.start[p]!);
    if (nc === 0 || nr === 0) {
      const lonely = C.start[p + 1]! - C.start[p]! + R.start[p + 1]! - R.start[p]!;
      if (lonely) elig.count(nc === 0 ? "no_chosen_in_group" : "no_rejected_in_group", lonely);
      continue;
    }
    pairProblem(ctx, C.rows.subarray(C.start[p]!, C.start[p]! + nc), R.rows.subarray(R.start[p]!, R.start[p]! + nr), pairKey, tokens, pairs);
  }
  // ---- size cap and output order: by pair key
  const { c: pc, r: pr, key: pk } = pairs;
  const order = Array.from({ length: pc.length }, (_, k) => k).sort((a, b) => pk[a]! - pk[b]! || pc[a]! - pc[b]! || pr[a]! - pr[b]!);
  let kept = order;
  if (cfg.rows !== undefined && order.length > cfg.rows) {
    elig.count("pairs_over_rows", order.length - cfg.rows);
    kept = order.slice(0, cfg.rows);
  }
  return { pairC: Int32Array.from(kept, (k) => pc[k]!), pairR: Int32Array.from(kept, (k) => pr[k]!) };
}

export function dpoBuilder(ctx: PlanContext, systemTokens: number): OutputBuilder {
  const cfg = ctx.config as DpoConfig;
  const t = ctx.table;
  const P = t.problems.length;
  const elig = new Eligibility(ctx);
  const format = cfg.format ?? "chat";
  const sys = cfg.system ? systemTokens : 0;
  const promptTokens = (i: number) => sys + t.problemTokens[i]!;
  const respTokens = (i: number) => t.responseTokensAs(i, ctx.think);
  const responseFormat = ctx.think ? "think" : "raw";

  const { pairC, pairR } = pairAll(ctx, elig, { prompt: promptTokens, response: respTokens });
  let lengthGap = 0;
  for (let k = 0; k < pairC.length; k++) lengthGap += Math.abs(respTokens(pairC[k]!) - respTokens(pairR[k]!));
  const role = new Uint8Array(t.n); // 1: chosen (prompt + response), 2: rejected (response)
  const used = new Uint8Array(P);
  for (let k = 0; k < pairC.length; k++) {
    role[pairC[k]!] |= 1;
    role[pairR[k]!] |= 2;
    used[t.problem[pairC[k]!]!] = 1;
  }
  elig.checkDisjoint(used);

  const tally = new Tally(t);
  for (let k = 0; k < pairC.length; k++) {
    const c = pairC[k]!;
    tally.row(t.problem[c]!, t.source[c]!, promptTokens(c) + respTokens(c) + respTokens(pairR[k]!));
  }
  let stored = 0;
  for (let i = 0; i < t.n; i++) if (role[i]) stored++;
  const columns = dpoColumns(format);
  const side = (text: string): string | Message[] => (format === "chat" ? [{ role: "assistant", content: text }] : text);
  const promptOf = (problem: string): string | Message[] => {
    if (format !== "chat") return cfg.system ? `${cfg.system}\n\n${problem}` : problem;
    const prompt: Message[] = [];
    if (cfg.system) prompt.push({ role: "system", content: cfg.system });
    prompt.push({ role: "user", content: problem });
    return prompt;
  };
  /** the pair's values without its texts: every string here comes from the table */
  const tableValues = (c: number, r: number): RowValue[] => {
    const p = t.problem[c]!;
    const pass = t.pPassRate[p]!;
    return [null, null, null, t.problems[p]!, null, null, t.sources[t.source[c]!]!, promptTokens(c), respTokens(c), respTokens(r), Number.isNaN(pass) ? null : pass, t.pDomain[p]!, t.difficultyName(p)];
  };
  /** record: [id, problem (chosen side) or null, rendered response] */
  type Rec = [string, string | null, string];
  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings: [],
    columns,
    kv: { "curate.output": ctx.name, "curate.kind": "dpo" },
    rowGroupRows: ctx.shard.rowGroupRows,
    count: pairC.length,
    exactSizes: true,
    needs: (i) => role[i] !== 0,
    spiller: (put) => ({
      row(i: number, row: MixRow) {
        const r = row.record;
        const chosenSide = (role[i]! & 1) !== 0;
        const rec: Rec = [r.id, chosenSide ? r.problem : null, renderResponse(r, responseFormat)];
        // the text this rollout adds to its pairs: prompt, chosen and its id, or rejected and its id
        const v: RowValue[] = new Array(columns.length).fill(null);
        if (chosenSide) {
          v[0] = promptOf(r.problem);
          v[1] = side(rec[2]);
          v[4] = r.id;
        } else {
          v[2] = side(rec[2]);
          v[5] = r.id;
        }
        put(i, Buffer.from(JSON.stringify(rec), "utf8"), rowTextBytes(columns, v));
      },
      end() {},
    }),
    rowTokens: (k) => promptTokens(pairC[k]!) + respTokens(pairC[k]!) + respTokens(pairR[k]!),
    rowSize: (k, size) => size(pairC[k]!) + size(pairR[k]!) + rowTextBytes(columns, tableValues(pairC[k]!, pairR[k]!)),
    writeRows(a, b, get, append) {
      for (let k = a; k < b; k++) {
        const c = pairC[k]!;
        const r = pairR[k]!;
        const [cid, problem, chosen] = JSON.parse(get(c).toString("utf8")) as Rec;
        const [rid, , rejected] = JSON.parse(get(r).toString("utf8")) as Rec;
        const v = tableValues(c, r);
        v[0] = promptOf(problem!);
        v[1] = side(chosen);
        v[2] = side(rejected);
        v[4] = cid;
        v[5] = rid;
        append(v, promptTokens(c) + respTokens(c) + respTokens(r));
      }
    },
    details: () => ({
      format,
      pairing: cfg.pairing ?? "closest_length",
      responseFormat,
      pairsPerProblem: cfg.pairsPerProblem ?? 1,
      pairs: pairC.length,
      meanLengthGap: pairC.length ? lengthGap / pairC.length : 0,
      rolloutsStored: stored,
    }),
  };
}
