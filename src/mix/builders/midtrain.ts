/**
 * Packed mid-training sequences.
 *
 * 1. Candidates: kept rollouts (verified correct with `requireCorrect`), from selected sources, capped
 *    per problem group (`maxPerProblem`, lowest seeded keys). A document is the rendered template
 *    followed by the separator; its token count is exact from the stored counts (see text.ts).
 * 2. Amount per source: with `tokenBudget` B, source s gets B·share_s (share = weights normalised, or
 *    the source's natural share of tokens without weights) and the sources are interleaved by how far
 *    each is through its target, until the total is within one document of B. Without a budget,
 *    `weights` are repeat factors (w·tokens_s, within one document). Repeats walk the source again in
 *    a fresh seeded order per epoch; downsampling takes a seeded prefix.
 * 3. Packing order and sequences (midtrain-pack.ts): every selected (document, epoch) sorted by a
 *    seeded key, so sources and problems mix within sequences; `split: "split"` fills every sequence
 *    to `packTo` and cuts documents at boundaries; `split: "never"` keeps each document whole
 *    (documents longer than `packTo` are left out).
 * The sequences are planned from the documents' token counts; their token ids come from the spill
 * (each document encoded once, in input order: midtrain-docs.ts), so any range of sequences can be
 * written alone.
 */
import type { ChatFormat, OutputCommon, ResponseFormat } from "../types.js";
import { S_KEPT, V_CORRECT } from "../table.js";
import { Eligibility, Tally, capPerProblem, type OutputBuilder, type PlanContext, type Product } from "../common.js";
import type { ColumnSpec, RowValue } from "../../io/parquet-write.js";
import { rowKey, sortByKey } from "../sample-keys.js";
import { chatTemplate, parseTemplate } from "../../config/outputs.js";
import { fmt, pct } from "../card.js";
import { documentSpiller, readDocument, type MidtrainText } from "./midtrain-docs.js";
import { packSequences, packingOrder, writeSequences, type Entries, type Packing } from "./midtrain-pack.js";

/** `outputs.<name>` of kind "midtrain" (schemas/parts/outputs.midtrain.schema.json) */
export interface MidtrainConfig extends OutputCommon {
  /** at most this many rollouts per problem group (chosen by seeded hash of the rollout id) */
  maxPerProblem?: number;
  /** "raw" (default): the response as the source wrote it; "think": reasoning re-wrapped in <think>…</think>, then the solution */
  responseFormat?: ResponseFormat;
  kind: "midtrain";
  /** tokens per packed sequence, e.g. 16384 */
  packTo: number;
  /** "plain" renders `textTemplate`; "chat" renders the rollout as a user/assistant exchange in `chatFormat` */
  template?: "plain" | "chat";
  /** plain template with `{problem}` and `{response}`, each exactly once (default "{problem}\n\n{response}") */
  textTemplate?: string;
  /** chat markup for template "chat" (default "phi4": <|user|>…<|end|><|assistant|>…<|end|>) */
  chatFormat?: ChatFormat;
  /** system prompt for template "chat" */
  system?: string;
  /** appended after every rollout; a special token of the tokenizer (default "<|endoftext|>") becomes its id */
  separator?: string;
  /** "split": fill every sequence, cutting rollouts at boundaries; "never": a rollout stays in one sequence (default "split") */
  split?: "split" | "never";
  /** per-source weights: shares of `tokenBudget` when it is set, else repeat factors (unlisted sources: 0) */
  weights?: Record<string, number>;
  /** target content tokens (rollouts and separators); met within one rollout */
  tokenBudget?: number;
  /** only rollouts verified correct (default false: every kept rollout) */
  requireCorrect?: boolean;
  /** store `input_ids` (list<int32>) beside the text (default true) */
  inputIds?: boolean;
}

export const midtrainProduct: Product<MidtrainConfig> = {
  kind: "midtrain",
  unit: "rollouts",
  about: [
    "Packed sequences for mid-training. `text` is the decoded sequence; `input_ids` (when present) are the exact",
    "token ids — use them rather than re-tokenising `text` (a rollout cut at a sequence boundary may cut a",
    "multi-byte character, and separately encoded pieces can differ from one-string tokenisation by a token).",
    "`rollout_ids` lists the rollouts in each sequence (a rollout cut at a boundary appears in both).",
  ],
  facts: (d) => [
    `- sequences of ${fmt(Number(d.packTo))} tokens: ${fmt(Number(d.sequences))}; rollouts packed: ${fmt(Number(d.rolloutsPacked))}`,
    `- packing efficiency (content / sequences × packTo): ${pct(Number(d.packingEfficiency))}; rollouts split across sequences: ${fmt(Number(d.splitRollouts))}`,
  ],
  plan(ctx, o, { enc, pool }) {
    const source = o.template === "chat" ? chatTemplate(o.chatFormat ?? "phi4", o.system) : (o.textTemplate ?? "{problem}\n\n{response}");
    const template = parseTemplate(source, `$.outputs.${ctx.name}.textTemplate`);
    const literalIds = template.literals.map((l) => enc.encode(l)) as [number[], number[], number[]];
    return midtrainBuilder(ctx, { enc, template, literalIds, separatorIds: enc.separatorIds(o.separator ?? "<|endoftext|>"), pool: pool() });
  },
};

export function midtrainColumns(inputIds: boolean): ColumnSpec[] {
  return [
    { name: "text", type: "STRING", nullable: false, longText: true },
    ...(inputIds ? [{ name: "input_ids", type: "INT32_LIST" as const, nullable: false }] : []),
    { name: "num_tokens", type: "INT32", nullable: false },
    { name: "content_tokens", type: "INT32", nullable: false },
    { name: "num_rollouts", type: "INT32", nullable: false },
    { name: "rollout_ids", type: "STRING_LIST", nullable: false },
  ];
}

/** 1. Eligible documents (table rows, input order), capped per problem group. */
function candidates(ctx: PlanContext, elig: Eligibility, docTokens: (i: number) => number): Int32Array {
  const cfg = ctx.config as MidtrainConfig;
  const t = ctx.table;
  const never = (cfg.split ?? "split") === "never";
  const cand: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const reason =
      t.status[i] !== S_KEPT ? "not_kept"
      : cfg.requireCorrect && t.verdict[i] !== V_CORRECT ? "not_correct"
      : !ctx.sourceOk[t.source[i]!] ? "source_not_selected"
      : docTokens(i) === 0 ? "empty"
      : never && docTokens(i) > cfg.packTo ? "longer_than_packTo"
      : null;
    if (elig.admit(t.problem[i]!, reason)) cand.push(i);
  }
  const docs = Int32Array.from(cand);
  return cfg.maxPerProblem !== undefined ? capPerProblem(t, docs, cfg.maxPerProblem, `${ctx.name}:cap`, elig) : docs;
}

/** One source's documents, its target in tokens and what the draw achieved (the manifest's `sources`). */
interface SourcePlan {
  name: string;
  docs: Int32Array;
  available: number;
  target: number;
  achieved: number;
  entries: number;
  epochs: number;
}

/** 2a. Each source's documents and token target (a share of the budget, or a repeat factor). */
function sourcePlans(ctx: PlanContext, docs: Int32Array, docTokens: (i: number) => number, warnings: string[]): SourcePlan[] {
  const cfg = ctx.config as MidtrainConfig;
  const t = ctx.table;
  const perSource: number[][] = t.sources.map(() => []);
  for (const i of docs) perSource[t.source[i]!]!.push(i);
  const plans = t.sources.map((name, s): SourcePlan => {
    const list = Int32Array.from(perSource[s]!);
    let available = 0;
    for (const i of list) available += docTokens(i);
    return { name, docs: list, available, target: 0, achieved: 0, entries: 0, epochs: 0 };
  });
  const weightOf = (name: string) => (cfg.weights ? (cfg.weights[name] ?? 0) : 1);
  const budget = cfg.tokenBudget;
  if (budget !== undefined) {
    const live = plans.filter((sp) => sp.available > 0 && weightOf(sp.name) > 0);
    for (const sp of plans) if (sp.available === 0 && cfg.weights?.[sp.name]) warnings.push(`source ${sp.name} has weight ${cfg.weights[sp.name]} but no eligible rollouts; its share went to the others`);
    const wsum = live.reduce((a, sp) => a + (cfg.weights ? weightOf(sp.name) : sp.available), 0);
    for (const sp of live) sp.target = (budget * (cfg.weights ? weightOf(sp.name) : sp.available)) / wsum;
  } else {
    for (const sp of plans) sp.target = weightOf(sp.name) * sp.available;
  }
  return plans;
}

/**
 * 2b. The entries (document, epoch): each source walks its documents in a seeded order per epoch.
 * With a budget the sources are interleaved by how far each is through its target; without one each
 * source is drawn to its target alone. Either way a target is met within one document.
 */
function drawEntries(ctx: PlanContext, plans: SourcePlan[], docTokens: (i: number) => number): Entries & { total: number } {
  const t = ctx.table;
  const budget = (ctx.config as MidtrainConfig).tokenBudget;
  const entries: Entries = { doc: [], epoch: [] };
  const cursor = plans.map((sp) => ({ order: new Int32Array(0) as Int32Array, pos: 0, epoch: -1, cum: 0, sp }));
  const nextDoc = (k: number): number => {
    const c = cursor[k]!;
    if (c.pos >= c.order.length) {
      c.epoch++;
      c.order = sortByKey(c.sp.docs, rowKey(t, `${ctx.name}:epoch`, c.epoch));
      c.pos = 0;
    }
    return c.order[c.pos]!;
  };
  const take = (k: number) => {
    const c = cursor[k]!;
    const i = c.order[c.pos++]!;
    entries.doc.push(i);
    entries.epoch.push(c.epoch);
    c.cum += docTokens(i);
    c.sp.achieved = c.cum;
    c.sp.entries++;
    c.sp.epochs = c.epoch + 1;
  };
  let total = 0;
  if (budget !== undefined) {
    const active = cursor.map((_, k) => k).filter((k) => plans[k]!.target > 0);
    while (active.length && total < budget) {
      let best = -1;
      let bestV = Infinity;
      for (const k of active) {
        const i = nextDoc(k);
        const v = (cursor[k]!.cum + docTokens(i)) / plans[k]!.target;
        if (v < bestV) {
          bestV = v;
          best = k;
        }
      }
      const dt = docTokens(nextDoc(best));
      if (total + dt > budget) {
        if (total + dt - budget < budget - total) {
          take(best);
          total += dt;
        }
        break;
      }
      take(best);
      total += dt;
    }
  } else {
    for (let k = 0; k < cursor.length; k++) {
      const target = plans[k]!.target;
      if (plans[k]!.docs.length === 0) continue;
      while (cursor[k]!.cum < target) {
        const dt = docTokens(nextDoc(k));
        const cum = cursor[k]!.cum;
        if (cum + dt > target) {
          if (cum + dt - target < target - cum) take(k);
          break;
        }
        take(k);
      }
      total += cursor[k]!.cum;
    }
  }
  return { ...entries, total };
}

export function midtrainBuilder(ctx: PlanContext, text: MidtrainText): OutputBuilder {
  const cfg = ctx.config as MidtrainConfig;
  const t = ctx.table;
  const elig = new Eligibility(ctx);
  const packTo = cfg.packTo;
  const never = (cfg.split ?? "split") === "never";
  const literal = text.literalIds[0].length + text.literalIds[1].length + text.literalIds[2].length;
  const sepLen = text.separatorIds.length;
  const docTokens = (i: number) => literal + t.problemTokens[i]! + t.responseTokensAs(i, ctx.think) + sepLen;
  const warnings: string[] = [];

  const docs = candidates(ctx, elig, docTokens);
  const plans = sourcePlans(ctx, docs, docTokens, warnings);
  const entries = drawEntries(ctx, plans, docTokens);
  if (entries.doc.length === 0 && docs.length === 0) warnings.push("no eligible rollouts: the output is empty (see eligibility)");
  const copies = new Int32Array(t.n);
  for (const i of entries.doc) copies[i]!++;
  let unusedDocs = 0;
  for (const i of docs) if (!copies[i]) unusedDocs++;
  if (unusedDocs) elig.count("downsampled", unusedDocs);

  const order = packingOrder(t, ctx.name, entries);
  const used = new Uint8Array(t.problems.length);
  for (const i of entries.doc) used[t.problem[i]!] = 1;
  elig.checkDisjoint(used);

  const inputIds = cfg.inputIds ?? true;
  const tally = new Tally(t);
  // ---- sequences, from the documents' token counts (the encoder's ids match them; the spill checks)
  const packing = packSequences(t, entries, order, docTokens, { packTo, never, sepLen }, tally);
  tally.rows = packing.stats.sequences;
  tally.tokens = packing.stats.tokens;
  const { seqFill } = packing;
  let maxDocumentTokens = 0;
  for (const i of docs) if (copies[i] && docTokens(i) > maxDocumentTokens) maxDocumentTokens = docTokens(i);
  const facts = { literal, sepLen, distinctRollouts: docs.length - unusedDocs, total: entries.total, maxDocumentTokens };

  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings,
    columns: midtrainColumns(inputIds),
    kv: { "curate.output": ctx.name, "curate.kind": "midtrain", "curate.packTo": String(packTo) },
    // a packed sequence is a large row (packTo ids + text): cap row groups near 2^20 tokens to bound the writer's buffer
    rowGroupRows: Math.min(ctx.shard.rowGroupRows, Math.max(4, Math.floor(1_048_576 / packTo))),
    count: seqFill.length,
    // sequences are near packTo tokens each: shards count 4 bytes per token for the ids and 4 for the text
    exactSizes: false,
    needs: (i) => copies[i]! > 0,
    spiller: (put) => documentSpiller(ctx, text, docTokens, put),
    rowTokens: (s) => seqFill[s]!,
    rowSize: (s) => (inputIds ? 8 : 4) * seqFill[s]!,
    writeRows(a, b, get, append) {
      writeSequences(packing, a, b, get, readDocument, sepLen, (seq, n, content, rollouts) => {
        const ids = seq.subarray(0, n);
        const row: RowValue[] = [text.enc.decode(ids)];
        if (inputIds) row.push(Array.from(ids));
        row.push(n, content, rollouts.length, rollouts);
        append(row, n);
      });
    },
    details: () => midtrainDetails(cfg, packing, plans, facts),
  };
}

/** The manifest's `details` of a midtrain output. */
function midtrainDetails(cfg: MidtrainConfig, packing: Packing, plans: SourcePlan[], f: { literal: number; sepLen: number; distinctRollouts: number; total: number; maxDocumentTokens: number }): Record<string, unknown> {
  const { packTo, stats } = packing;
  const budget = cfg.tokenBudget;
  return {
    packTo,
    split: packing.never ? "never" : "split",
    template: cfg.template ?? "plain",
    responseFormat: cfg.responseFormat ?? "raw",
    separatorTokens: f.sepLen,
    templateTokens: f.literal,
    sequences: stats.sequences,
    fullSequences: stats.fullSequences,
    rolloutsPacked: packing.docAt.length,
    distinctRollouts: f.distinctRollouts,
    totalTokens: stats.tokens,
    contentTokens: stats.contentTokens,
    separatorTokensTotal: stats.separatorTokens,
    paddingTokens: stats.sequences * packTo - stats.tokens,
    /** content tokens / (sequences × packTo): separators and the padding a trainer adds count as waste */
    packingEfficiency: stats.sequences ? stats.contentTokens / (stats.sequences * packTo) : 0,
    splitRollouts: stats.splitRollouts,
    tokenBudget: budget ?? null,
    budgetAchieved: f.total,
    budgetError: budget !== undefined ? f.total - budget : null,
    maxDocumentTokens: f.maxDocumentTokens,
    sources: Object.fromEntries(
      plans.filter((sp) => sp.docs.length || sp.target).map((sp) => [sp.name, {
        weight: cfg.weights ? (cfg.weights[sp.name] ?? 0) : null,
        availableTokens: sp.available,
        targetTokens: Math.round(sp.target),
        achievedTokens: sp.achieved,
        documents: sp.docs.length,
        entries: sp.entries,
        epochs: sp.epochs,
        repeatFactor: sp.available ? sp.achieved / sp.available : 0,
      }]),
    ),
    tokenCountMismatches: 0,
  };
}
