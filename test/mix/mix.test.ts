/**
 * Mixtures (issue 7): the four data products built from a synthetic annotated corpus, written as real
 * Parquet and read back with DuckDB (an independent reader). Every expectation is recomputed here from
 * the corpus, not copied from the builder.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildOutputs, finishOutputs, layoutOutput, partSpilled, planOutputs, spillPart, tableRange, writeOutputShard, type BuildOutputsArgs } from "../../src/mix/build.js";
import { buildOrder, checkOutputs } from "../../src/config/outputs.js";
import { syntheticCorpus, replay, type SyntheticCorpus } from "../../src/mix/synthetic.js";
import type { MixRow } from "../../src/mix/table.js";
import type { MixConfig } from "../../src/config/types.js";
import type { OutputsConfig, OutputManifest } from "../../src/mix/types.js";
import { loadCounter } from "../../src/tokens/annotator.js";
import { loadMix, validateMix } from "../../src/config/load.js";
import { duck } from "../helpers/duckdb.js";
import { rebuildOutputs } from "../../src/mix/rebuild.js";
import { ParquetShardWriter, ShardSet, initCompressors, rowTextBytes, type ColumnSpec } from "../../src/io/parquet-write.js";
import { PRODUCTS, productOf, unitsNote } from "../../src/mix/products.js";
import { REJECTED_COLUMNS, ROLLOUT_COLUMNS, decisionValues, rolloutValues } from "../../src/io/rollout-columns.js";
import { tempDir } from "../helpers/cli.js";

let count: (t: string) => number;
let corpus: SyntheticCorpus;
const byId = new Map<string, MixRow>();
const groupOf = (r: MixRow) => r.group.problemGroup;
const SHARD = { codec: "ZSTD" as const, rowGroupRows: 50, shardRows: 400, shardBytes: 1 << 30 };

function mixConfig(outputs: OutputsConfig, seed = 17): MixConfig {
  return {
    name: "mix-test",
    seed,
    tokenizer: "o200k_base",
    sources: [
      { name: "teacher-a", path: "a.jsonl", fields: { problem: "problem", response: "response" } },
      { name: "teacher-b", path: "b.jsonl", fields: { problem: "problem", response: "response" } },
    ],
    outputs,
  };
}

async function build(outputs: OutputsConfig, opts: { seed?: number; batch?: number; dir?: string; rows?: MixRow[]; workers?: number } = {}) {
  const outDir = opts.dir ?? tempDir("curate-mix-");
  const args: BuildOutputsArgs = {
    config: mixConfig(outputs, opts.seed),
    outDir,
    rows: replay(opts.rows ?? corpus.rows, opts.batch ?? 64),
    problem: corpus.problem,
    shard: SHARD,
    workers: opts.workers ?? 0,
  };
  const manifests = await buildOutputs(args);
  return { outDir, manifests };
}

const q = (dir: string, name: string) => `read_parquet('${join(dir, "outputs", name, "data", "*.parquet")}', filename = true, file_row_number = true)`;

const isChosen = (r: MixRow) => r.drop === null && r.record.verify?.verdict === "correct";
const isRejected = (r: MixRow) =>
  r.record.verify?.verdict === "incorrect" && (r.drop === null || r.drop.reason === "verify:incorrect") && !r.record.quality?.truncated;

beforeAll(async () => {
  count = await loadCounter("o200k_base");
  corpus = syntheticCorpus({ problems: 90, rollouts: [2, 8], steps: [3, 30], seed: 5, contaminated: 0.12, requireCorrect: true }, count);
  for (const r of corpus.rows) byId.set(r.record.id, r);
});

function contaminatedGroups(): Set<string> {
  const s = new Set<string>();
  for (const r of corpus.rows) if (r.drop?.reason.startsWith("contaminated:") || r.record.contamination?.length) s.add(groupOf(r));
  return s;
}

describe("the four products of one mix", () => {
  const outputs: OutputsConfig = {
    midtrain: { kind: "midtrain", packTo: 2048, tokenBudget: 60_000, weights: { "teacher-a": 3, "teacher-b": 1 } },
    sft: { kind: "sft", maxTokens: 600, maxPerProblem: 2, exclude: ["rl"] },
    dpo: { kind: "dpo", pairsPerProblem: 2, pairing: "closest_length" },
    rl: { kind: "rl", passRate: [0.1, 0.9] },
  };
  let outDir = "";
  let manifests: Record<string, OutputManifest>;
  beforeAll(async () => {
    ({ outDir, manifests } = await build(outputs));
  });

  it("DPO: every pair shares one problem group, chosen is a kept correct rollout, rejected an incorrect one", async () => {
    const pairs = await duck(`select prompt, chosen, rejected, chosen_id, rejected_id, problem_group, chosen_tokens, rejected_tokens from ${q(outDir, "dpo")}`);
    expect(pairs.length).toBeGreaterThan(20);
    const bad = contaminatedGroups();
    const perProblem = new Map<string, number>();
    for (const p of pairs) {
      const c = byId.get(p.chosen_id as string)!;
      const r = byId.get(p.rejected_id as string)!;
      expect(groupOf(c)).toBe(groupOf(r));
      expect(groupOf(c)).toBe(p.problem_group);
      expect(isChosen(c)).toBe(true);
      expect(isRejected(r)).toBe(true);
      expect(r.record.verify!.verdict).toBe("incorrect");
      expect(bad.has(groupOf(c))).toBe(false);
      const prompt = p.prompt as { role: string; content: string }[];
      expect(prompt).toEqual([{ role: "user", content: c.record.problem }]);
      expect(p.chosen).toEqual([{ role: "assistant", content: c.record.response }]);
      expect(p.rejected).toEqual([{ role: "assistant", content: r.record.response }]);
      expect(p.chosen_tokens).toBe(count(c.record.response));
      perProblem.set(p.problem_group as string, (perProblem.get(p.problem_group as string) ?? 0) + 1);
    }
    // expected pair count, recomputed: min(pairsPerProblem, |C|·|R|) per clean group (rejected exact copies removed)
    const C = new Map<string, number>();
    const R = new Map<string, Set<string>>();
    for (const r of corpus.rows) {
      const g = groupOf(r);
      if (bad.has(g)) continue;
      if (isChosen(r)) C.set(g, (C.get(g) ?? 0) + 1);
      if (isRejected(r)) (R.get(g) ?? R.set(g, new Set()).get(g)!).add(r.record.keys!.exact);
    }
    let expected = 0;
    for (const [g, c] of C) expected += Math.min(2, c * (R.get(g)?.size ?? 0));
    expect(pairs.length).toBe(expected);
    for (const n of perProblem.values()) expect(n).toBeLessThanOrEqual(2);
    expect(manifests.dpo!.rows).toBe(pairs.length);
  });

  it("DPO closest_length: the first pair of a group is the closest-length combination", async () => {
    const pairs = await duck(`select problem_group, chosen_tokens, rejected_tokens from ${q(outDir, "dpo")}`);
    const best = new Map<string, number>();
    const byGroup = new Map<string, MixRow[]>();
    for (const r of corpus.rows) (byGroup.get(groupOf(r)) ?? byGroup.set(groupOf(r), []).get(groupOf(r))!).push(r);
    for (const [g, rows] of byGroup) {
      let m = Infinity;
      for (const c of rows.filter(isChosen)) for (const r of rows.filter(isRejected)) m = Math.min(m, Math.abs(c.record.tokens!.response - r.record.tokens!.response));
      best.set(g, m);
    }
    const minGap = new Map<string, number>();
    for (const p of pairs) {
      const gap = Math.abs((p.chosen_tokens as number) - (p.rejected_tokens as number));
      minGap.set(p.problem_group as string, Math.min(minGap.get(p.problem_group as string) ?? Infinity, gap));
    }
    for (const [g, gap] of minGap) expect(gap).toBe(best.get(g));
  });

  it("SFT: no row over maxTokens, at most k per problem, only kept correct rollouts, TRL messages layout", async () => {
    const rows = await duck(`select messages, id, problem_group, num_tokens from ${q(outDir, "sft")}`);
    expect(rows.length).toBeGreaterThan(10);
    const per = new Map<string, number>();
    for (const r of rows) {
      const m = r.messages as { role: string; content: string }[];
      expect(m.map((x) => x.role)).toEqual(["user", "assistant"]);
      const tokens = count(m[0]!.content) + count(m[1]!.content);
      expect(tokens).toBe(r.num_tokens);
      expect(tokens).toBeLessThanOrEqual(600);
      const src = byId.get(r.id as string)!;
      expect(isChosen(src)).toBe(true);
      expect(m[1]!.content).toBe(src.record.response);
      per.set(r.problem_group as string, (per.get(r.problem_group as string) ?? 0) + 1);
    }
    for (const n of per.values()) expect(n).toBeLessThanOrEqual(2);
    // some eligible rollouts really were over the limit, so the limit was exercised
    expect(manifests.sft!.eligibility.over_maxTokens).toBeGreaterThan(0);
  });

  it("disjointness: SFT holds no RL problem, and the rule actually removed rows", async () => {
    const rl = new Set((await duck(`select problem_group from ${q(outDir, "rl")}`)).map((r) => r.problem_group as string));
    const sft = (await duck(`select problem_group from ${q(outDir, "sft")}`)).map((r) => r.problem_group as string);
    expect(rl.size).toBeGreaterThan(5);
    for (const g of sft) expect(rl.has(g)).toBe(false);
    const d = manifests.sft!.disjoint.rl!;
    expect(d.problems).toBeGreaterThan(0);
    expect(d.rollouts).toBeGreaterThanOrEqual(d.problems);
    expect(d.overlapAfter).toBe(0);
    expect(manifests.sft!.overlap.rl).toBe(0);
    // DPO has no rule against RL: its overlap is reported, and real
    const dpo = new Set((await duck(`select problem_group from ${q(outDir, "dpo")}`)).map((r) => r.problem_group as string));
    expect(manifests.dpo!.overlap.rl).toBe([...dpo].filter((g) => rl.has(g)).length);
    expect(manifests.dpo!.overlap.rl).toBeGreaterThan(0);
  });

  it("RL: one prompt per clean problem group inside the pass-rate band, with its reference and pass rate", async () => {
    const rows = await duck(`select prompt, answer, pass_rate, num_rollouts, domain, difficulty, problem_group, id from ${q(outDir, "rl")}`);
    const bad = contaminatedGroups();
    const expected = new Set<string>();
    for (const s of corpus.summaries.values()) {
      if (s.passRate !== null && s.passRate >= 0.1 && s.passRate <= 0.9 && !bad.has(s.problemGroup)) expected.add(s.problemGroup);
    }
    expect(new Set(rows.map((r) => r.problem_group))).toEqual(expected);
    expect(rows.length).toBe(expected.size);
    for (const r of rows) {
      const s = corpus.summaries.get(r.problem_group as string)!;
      expect(r.pass_rate).toBe(s.passRate);
      expect(r.pass_rate as number).toBeGreaterThanOrEqual(0.1);
      expect(r.pass_rate as number).toBeLessThanOrEqual(0.9);
      expect(r.num_rollouts).toBe(s.rollouts);
      expect(r.domain).toBe(s.domain);
      expect(r.difficulty).toBe(s.difficulty);
      const src = byId.get(r.id as string)!;
      expect(r.prompt).toBe(src.record.problem);
      expect(r.answer).toBe(src.record.reference);
    }
  });

  it("midtrain: token budget met within one rollout, weights 3:1, full sequences of packTo, ids decode to text", async () => {
    const m = manifests.midtrain!;
    const d = m.details as Record<string, any>;
    expect(Math.abs(d.budgetAchieved - 60_000)).toBeLessThanOrEqual(d.maxDocumentTokens);
    const seqs = await duck(`select text, input_ids, num_tokens, content_tokens, num_rollouts, rollout_ids, filename, file_row_number from ${q(outDir, "midtrain")} order by filename, file_row_number`);
    expect(seqs.length).toBe(d.sequences);
    const { decode } = await import("gpt-tokenizer/encoding/o200k_base");
    let total = 0;
    for (let k = 0; k < seqs.length; k++) {
      const s = seqs[k]!;
      const ids = s.input_ids as number[];
      expect(ids.length).toBe(s.num_tokens);
      if (k < seqs.length - 1) expect(ids.length).toBe(2048);
      expect(decode(ids)).toBe(s.text);
      total += ids.length;
    }
    expect(total).toBe(d.budgetAchieved);
    // the concatenated stream, cut at the separator, is exactly the rendered rollouts listed in rollout_ids
    const all: number[] = seqs.flatMap((s) => s.input_ids as number[]);
    const docs: string[] = [];
    let start = 0;
    for (let k = 0; k < all.length; k++) if (all[k] === 199999) { docs.push(decode(all.slice(start, k))); start = k + 1; }
    const idsInOrder: string[] = [];
    for (const s of seqs) for (const id of s.rollout_ids as string[]) if (idsInOrder[idsInOrder.length - 1] !== id) idsInOrder.push(id);
    expect(docs.length).toBe(idsInOrder.length);
    docs.forEach((doc, k) => {
      const r = byId.get(idsInOrder[k]!)!;
      expect(doc).toBe(`${r.record.problem}\n\n${r.record.response}`);
      expect(r.drop).toBeNull();
    });
    // per-source targets: 3:1 within one rollout each
    const a = d.sources["teacher-a"];
    const b = d.sources["teacher-b"];
    expect(Math.abs(a.achievedTokens - 45_000)).toBeLessThanOrEqual(d.maxDocumentTokens);
    expect(Math.abs(b.achievedTokens - 15_000)).toBeLessThanOrEqual(d.maxDocumentTokens);
    expect(d.packingEfficiency).toBeGreaterThan(0.9);
    expect(d.splitRollouts).toBeGreaterThan(0);
    expect(m.tokens).toBe(total);
  });

  it("manifests list every shard with its bytes and sha256, and the cards carry the datasets header", () => {
    for (const [name, m] of Object.entries(manifests)) {
      const dir = join(outDir, "outputs", name);
      const files = readdirSync(join(dir, "data")).filter((f) => f.endsWith(".parquet")).sort();
      expect(m.shards.map((s) => s.path)).toEqual(files.map((f) => `data/${f}`));
      let rows = 0;
      for (const s of m.shards) {
        const bytes = readFileSync(join(dir, s.path));
        expect(bytes.length).toBe(s.bytes);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(s.sha256);
        rows += s.rows;
      }
      expect(rows).toBe(m.rows);
      const card = readFileSync(join(dir, "README.md"), "utf8");
      expect(card.startsWith("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/*.parquet\n")).toBe(true);
      expect(card).toContain(`\n\n${productOf(m.kind).about.join("\n")}\n\n`);
      expect(card).toContain("\nUnits in the tables are rollouts (midtrain, sft), pairs (dpo) or prompts (rl).\n");
      expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(m)));
      expect(m.configHash).toMatch(/^[0-9a-f]{64}$/);
      const hist = m.passRateHistogram.counts.reduce((x, y) => x + y, 0) + m.passRateHistogram.unknown;
      const units = Object.values(m.bySource).reduce((x, c) => x + c.rows, 0);
      expect(hist).toBe(units);
      expect(Object.values(m.byDomain).reduce((x, c) => x + c.rows, 0)).toBe(units);
    }
    expect(existsSync(join(outDir, "outputs", ".work"))).toBe(false);
  });
});

describe("determinism", () => {
  const outputs: OutputsConfig = {
    rl: { kind: "rl", passRate: [0, 1], rows: 20 },
    sft: { kind: "sft", rows: 40, exclude: ["rl"], domainQuotas: { algebra: 0.2 } },
    dpo: { kind: "dpo", pairing: "random", pairsPerProblem: 3, format: "plain", rows: 50 },
    midtrain: { kind: "midtrain", packTo: 1024, split: "never", weights: { "teacher-a": 1.5, "teacher-b": 0.5 } },
  };
  const shardHashes = (ms: Record<string, OutputManifest>) => Object.fromEntries(Object.entries(ms).map(([k, m]) => [k, m.shards.map((s) => s.sha256)]));

  it("identical bytes whatever the batch sizes, for fresh row objects, and across calls", async () => {
    const one = await build(outputs, { batch: 1 });
    const copy = corpus.rows.map((r) => structuredClone(r));
    const two = await build(outputs, { batch: 97, rows: copy });
    const again = await build(outputs, { batch: 8, dir: one.outDir });
    expect(shardHashes(two.manifests)).toEqual(shardHashes(one.manifests));
    expect(shardHashes(again.manifests)).toEqual(shardHashes(one.manifests));
    for (const m of Object.values(one.manifests)) expect(m.rows).toBeGreaterThan(0);
    // token ids encoded in 2 worker threads (batches complete in any order): same bytes
    const threaded = await build(outputs, { workers: 2 });
    expect(shardHashes(threaded.manifests)).toEqual(shardHashes(one.manifests));
    const split = { mt: { kind: "midtrain" as const, packTo: 1500, tokenBudget: 40_000, responseFormat: "think" as const } };
    expect(shardHashes((await build(split, { workers: 2 })).manifests)).toEqual(shardHashes((await build(split)).manifests));
    // a different seed picks a different sample
    const other = await build(outputs, { seed: 18 });
    expect(shardHashes(other.manifests).sft).not.toEqual(shardHashes(one.manifests).sft);
  });
});

describe("midtrain options", () => {
  it("never split: every rollout whole inside one sequence, none longer than packTo, no split reported", async () => {
    const { outDir, manifests } = await build({ mt: { kind: "midtrain", packTo: 700, split: "never", template: "chat", separator: "\n\n" } });
    const d = manifests.mt!.details as Record<string, any>;
    expect(d.splitRollouts).toBe(0);
    const seqs = await duck(`select text, num_tokens, rollout_ids from ${q(outDir, "mt")}`);
    const seen = new Set<string>();
    for (const s of seqs) {
      expect(s.num_tokens as number).toBeLessThanOrEqual(700);
      for (const id of s.rollout_ids as string[]) {
        const r = byId.get(id)!;
        expect(s.text as string).toContain(`<|user|>${r.record.problem}<|end|><|assistant|>${r.record.response}<|end|>\n\n`);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    // every kept rollout that fits went in exactly once (no budget, weight 1)
    const fits = corpus.rows.filter((r) => r.drop === null && !contaminatedGroups().has(groupOf(r)));
    expect(seen.size + (manifests.mt!.eligibility.longer_than_packTo ?? 0)).toBe(fits.length);
    expect(manifests.mt!.eligibility.longer_than_packTo).toBeGreaterThan(0);
  });

  it("weights without a budget are repeat factors: 2 doubles a source exactly, 0.5 halves it within one rollout", async () => {
    const { manifests } = await build({ mt: { kind: "midtrain", packTo: 4096, weights: { "teacher-a": 2, "teacher-b": 0.5 }, inputIds: false } });
    const d = manifests.mt!.details as Record<string, any>;
    const a = d.sources["teacher-a"];
    const b = d.sources["teacher-b"];
    expect(a.achievedTokens).toBe(2 * a.availableTokens);
    expect(a.epochs).toBe(2);
    expect(Math.abs(b.achievedTokens - b.availableTokens / 2)).toBeLessThanOrEqual(d.maxDocumentTokens);
    expect(b.achievedTokens).toBeLessThan(b.availableTokens);
  });

  it("a budget larger than the corpus repeats it deterministically and still lands within one rollout", async () => {
    const { manifests } = await build({ mt: { kind: "midtrain", packTo: 8192, tokenBudget: 500_000, inputIds: false } });
    const d = manifests.mt!.details as Record<string, any>;
    expect(Math.abs(d.budgetAchieved - 500_000)).toBeLessThanOrEqual(d.maxDocumentTokens);
    expect(d.sources["teacher-a"].epochs).toBeGreaterThan(1);
  });
});

describe("sft sizes and quotas", () => {
  it("tokenBudget met within one rollout; quotas cap their classes", async () => {
    const { outDir, manifests } = await build({
      s: { kind: "sft", tokenBudget: 20_000, maxTokens: 1200, domainQuotas: { geometry: 0.1 }, difficultyQuotas: { easy: 0.2 }, system: "Think step by step." },
    });
    const d = manifests.s!.details as Record<string, any>;
    expect(Math.abs(d.achieved - 20_000)).toBeLessThanOrEqual(1200);
    const rows = await duck(`select messages, num_tokens, domain, difficulty from ${q(outDir, "s")}`);
    let total = 0;
    let geometry = 0;
    let easy = 0;
    for (const r of rows) {
      const m = r.messages as { role: string; content: string }[];
      expect(m[0]).toEqual({ role: "system", content: "Think step by step." });
      const t = m.reduce((a, x) => a + count(x.content), 0);
      expect(t).toBe(r.num_tokens);
      total += t;
      if (r.domain === "geometry") geometry += t;
      if (r.difficulty === "easy") easy += t;
    }
    expect(total).toBe(d.achieved);
    expect(geometry).toBeLessThanOrEqual(0.1 * total);
    expect(easy).toBeLessThanOrEqual(0.2 * total);
    expect(manifests.s!.eligibility["quota:domain:geometry"]).toBeGreaterThan(0);
  });

  it("quotas are shares of the subset produced, also without a size", async () => {
    const { outDir, manifests } = await build({ s: { kind: "sft", difficultyQuotas: { solved: 0.3 }, domainQuotas: { algebra: 0.15 } } });
    const rows = await duck(`select difficulty, domain from ${q(outDir, "s")}`);
    const solved = rows.filter((r) => r.difficulty === "solved").length;
    const algebra = rows.filter((r) => r.domain === "algebra").length;
    expect(rows.length).toBeGreaterThan(10);
    expect(solved).toBeGreaterThan(0);
    expect(solved).toBeLessThanOrEqual(0.3 * rows.length);
    expect(algebra).toBeLessThanOrEqual(0.15 * rows.length);
    expect(manifests.s!.eligibility["quota:difficulty:solved"]).toBeGreaterThan(0);
  });

  it("pass-rate band: every row's problem lies inside it", async () => {
    const { outDir } = await build({ s: { kind: "sft", passRate: [0.2, 0.7] } });
    const rows = await duck(`select pass_rate, problem_group from ${q(outDir, "s")}`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.pass_rate as number).toBeGreaterThanOrEqual(0.2);
      expect(r.pass_rate as number).toBeLessThanOrEqual(0.7);
      expect(corpus.summaries.get(r.problem_group as string)!.passRate).toBe(r.pass_rate);
    }
  });
});

describe("responseFormat think", () => {
  it("SFT and DPO re-wrap any source's reasoning tags as <think>; counts are the sum of the pieces", async () => {
    const { outDir, manifests } = await build({
      s: { kind: "sft", responseFormat: "think", maxTokens: 800 },
      d: { kind: "dpo", responseFormat: "think", format: "plain" },
      m: { kind: "midtrain", responseFormat: "think", packTo: 1024, tokenBudget: 20_000 },
    });
    const rows = await duck(`select messages, id, num_tokens from ${q(outDir, "s")}`);
    let sky = 0;
    let maxDrift = 0;
    for (const r of rows) {
      const src = byId.get(r.id as string)!;
      const a = (r.messages as { content: string }[])[1]!.content;
      const t = src.record.trace!;
      expect(a).toBe(`<think>\n${t.reasoning}\n</think>\n\n${t.solution}`);
      expect(a).not.toContain("begin_of_thought");
      if (src.record.response.includes("<|begin_of_thought|>")) sky++;
      const pieces = count(src.record.problem) + count("<think>\n") + count(t.reasoning!) + count("\n</think>\n\n") + count(t.solution);
      expect(r.num_tokens).toBe(pieces);
      expect(pieces).toBeLessThanOrEqual(800);
      // re-tokenising the whole message may differ at the two joins only
      maxDrift = Math.max(maxDrift, Math.abs(count(src.record.problem) + count(a) - pieces));
    }
    expect(sky).toBeGreaterThan(0);
    expect(maxDrift).toBeLessThanOrEqual(2);
    const pairs = await duck(`select chosen, rejected from ${q(outDir, "d")}`);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) for (const side of [p.chosen, p.rejected] as string[]) expect(side.startsWith("<think>\n")).toBe(true);
    const d = manifests.m!.details as Record<string, any>;
    expect(d.tokenCountMismatches).toBe(0);
    const seqs = await duck(`select text from ${q(outDir, "m")}`);
    expect(seqs.some((x) => (x.text as string).includes("begin_of_thought"))).toBe(false);
    expect(Math.abs(d.budgetAchieved - 20_000)).toBeLessThanOrEqual(d.maxDocumentTokens);
  });
});

describe("shared options", () => {
  it("sources restrict rows; allowContaminated lets contaminated groups back in; an empty output says so", async () => {
    const { outDir, manifests } = await build({
      a: { kind: "sft", sources: ["teacher-a"] },
      clean: { kind: "rl", passRate: [0, 1] },
      dirty: { kind: "rl", passRate: [0, 1], allowContaminated: true },
      none: { kind: "rl", passRate: [0.991, 0.999] },
    });
    const a = await duck(`select source from ${q(outDir, "a")}`);
    expect(a.length).toBeGreaterThan(0);
    for (const r of a) expect(r.source).toBe("teacher-a");
    expect(manifests.a!.eligibility.source_not_selected).toBeGreaterThan(0);
    const bad = contaminatedGroups();
    const dirty = (await duck(`select problem_group from ${q(outDir, "dirty")}`)).map((r) => r.problem_group as string);
    const clean = (await duck(`select problem_group from ${q(outDir, "clean")}`)).map((r) => r.problem_group as string);
    expect(bad.size).toBeGreaterThan(0);
    expect(clean.filter((g) => bad.has(g))).toEqual([]);
    expect(dirty.filter((g) => bad.has(g)).length).toBe([...bad].filter((g) => corpus.summaries.get(g)!.passRate !== null).length);
    expect(dirty.length - clean.length).toBe(manifests.clean!.eligibility.problem_contaminated);
    expect(manifests.none!.rows).toBe(0);
    expect(manifests.none!.shards).toEqual([]);
    expect(readFileSync(join(outDir, "outputs", "none", "README.md"), "utf8")).toContain("This output is empty");
  });
});

describe("split by part and output shard", () => {
  const outputs: OutputsConfig = {
    midtrain: { kind: "midtrain", packTo: 512, weights: { "teacher-a": 2, "teacher-b": 1 } },
    whole: { kind: "midtrain", packTo: 1024, split: "never" },
    sft: { kind: "sft", maxTokens: 900 },
    dpo: { kind: "dpo", pairsPerProblem: 2 },
    rl: { kind: "rl" },
  };
  const names = Object.keys(outputs);
  const rowsOf = async (dir: string, name: string) =>
    JSON.stringify(await duck(`SELECT * EXCLUDE (filename, file_row_number) FROM ${q(dir, name)} ORDER BY filename, file_row_number`), (_, v) => (typeof v === "bigint" ? Number(v) : v));
  const shardBytes = (dir: string, name: string) => {
    const files = readdirSync(join(dir, "outputs", name, "data")).sort();
    return files.map((f) => readFileSync(join(dir, "outputs", name, "data", f)).toString("base64"));
  };

  it("shards cut every 3 rows hold the rows of one shard, in order (sequences and pairs spanning cuts included)", async () => {
    const one = tempDir("curate-mix-one-");
    await buildOutputs({ config: mixConfig(outputs), outDir: one, rows: replay(corpus.rows), problem: corpus.problem, shard: { ...SHARD, shardRows: 1_000_000 } });
    const cut = tempDir("curate-mix-cut-");
    const manifests = await buildOutputs({ config: mixConfig(outputs), outDir: cut, rows: replay(corpus.rows), problem: corpus.problem, shard: { ...SHARD, shardRows: 3 } });
    for (const name of names) {
      const m = manifests[name]!;
      expect(m.rows, name).toBeGreaterThan(6);
      expect(m.shards.length, name).toBe(Math.ceil(m.rows / 3));
      expect(await rowsOf(cut, name), name).toBe(await rowsOf(one, name));
    }
    // a packed document cut across sequences, and so across shards, is there to test
    expect((manifests.midtrain!.details as { splitRollouts: number }).splitRollouts).toBeGreaterThan(3);
  });

  it("parts spilled separately and shards written in any order give the bytes of one build", async () => {
    const shard = { ...SHARD, shardRows: 5 };
    const ref = tempDir("curate-mix-ref-");
    const refManifests = await buildOutputs({ config: mixConfig(outputs), outDir: ref, rows: replay(corpus.rows), problem: corpus.problem, shard });
    const dir = tempDir("curate-mix-parts-");
    const plan = (await planOutputs({ config: mixConfig(outputs), outDir: dir, tableRows: replay(corpus.rows), problem: corpus.problem, shard }))!;
    const spill = join(dir, "spill");
    // three parts cut at arbitrary rows, spilled last part first
    const ords = corpus.rows.map((r) => r.record.ordinal);
    const bounds = [0, ords[Math.floor(ords.length / 3)]!, ords[Math.floor((2 * ords.length) / 3)]!, ords[ords.length - 1]! + 1];
    const parts = ["p0", "p1", "p2"];
    for (const k of [2, 0, 1]) {
      const rows = corpus.rows.filter((r) => r.record.ordinal >= bounds[k]! && r.record.ordinal < bounds[k + 1]!);
      await spillPart(plan, spill, parts[k]!, replay(rows)(), tableRange(plan, bounds[k]!, bounds[k + 1]!));
      expect(partSpilled(spill, parts[k]!)).toBe(true);
    }
    const shards: Record<string, ReturnType<typeof writeOutputShard>[]> = {};
    for (const name of [...plan.order].reverse()) {
      const layout = layoutOutput(plan, spill, parts, name);
      const order = Array.from({ length: layout.cuts.length - 1 }, (_, k) => k).reverse();
      const written = order.map((k) => ({ k, shard: writeOutputShard(plan, layout, k) }));
      layout.reader.close();
      shards[name] = written.sort((a, b) => a.k - b.k).map((w) => w.shard);
    }
    const manifests = finishOutputs(plan, shards);
    await plan.close();
    for (const name of names) {
      expect(manifests[name]!.shards, name).toEqual(refManifests[name]!.shards);
      expect(shardBytes(dir, name), name).toEqual(shardBytes(ref, name));
      expect(readFileSync(join(dir, "outputs", name, "manifest.json"), "utf8"), name).toBe(readFileSync(join(ref, "outputs", name, "manifest.json"), "utf8"));
    }
    // a part missing from the spill is named; so is a row two parts both stored
    expect(() => layoutOutput(plan, spill, [...parts, "p3"], "sft")).toThrow(/part p3 of output sft was not spilled/);
    const p1 = corpus.rows.filter((r) => r.record.ordinal >= bounds[1]! && r.record.ordinal < bounds[2]!);
    await spillPart(plan, spill, "p1-again", replay(p1)(), tableRange(plan, bounds[1]!, bounds[2]!));
    expect(() => layoutOutput(plan, spill, [...parts, "p1-again"], "sft")).toThrow(/row \d+ is stored twice \(parts p1 and p1-again\)/);
  });
});

describe("rebuild from a run folder", () => {
  it("data/ + rejected/ shards read back give byte-identical outputs to the in-memory rows", async () => {
    const outputs: OutputsConfig = {
      rl: { kind: "rl", passRate: [0.1, 0.9] },
      sft: { kind: "sft", maxTokens: 900, exclude: ["rl"], responseFormat: "think" },
      dpo: { kind: "dpo", pairsPerProblem: 2 },
      mt: { kind: "midtrain", packTo: 2048, tokenBudget: 30_000 },
    };
    const direct = await build(outputs);
    // write the rows the way the runner does: kept rows to data/, dropped rows (with stage and reason) to rejected/
    const runDir = tempDir("curate-mix-run-");
    await initCompressors();
    const opts = { codec: "ZSTD" as const, rowGroupRows: 100, shardRows: 60, shardBytes: 1 << 30 };
    const kept = new ShardSet(join(runDir, "data"), "train", ROLLOUT_COLUMNS, opts);
    const rejected = new ShardSet(join(runDir, "rejected"), "rejected", REJECTED_COLUMNS, opts);
    for (const r of corpus.rows) {
      if (r.drop) rejected.append([...rolloutValues(r.record, r.group, { sketch: false }), ...decisionValues(r.drop)]);
      else kept.append(rolloutValues(r.record, r.group, { sketch: false }));
    }
    expect(kept.close().length).toBeGreaterThan(1);
    rejected.close();
    const rebuilt = await rebuildOutputs({ ...mixConfig(outputs), output: SHARD }, runDir);
    for (const name of Object.keys(outputs)) {
      expect(rebuilt[name]!.rows).toBeGreaterThan(0);
      expect(rebuilt[name]!.shards.map((s) => s.sha256)).toEqual(direct.manifests[name]!.shards.map((s) => s.sha256));
    }
  });
});

describe("dpo hardest", () => {
  it("with one pair per problem the rejected rollout is the longest one that commits to an answer", async () => {
    const { outDir } = await build({ d: { kind: "dpo", pairing: "hardest", format: "plain", maxResponseTokens: 900 } });
    const pairs = await duck(`select prompt, chosen, rejected, rejected_id, problem_group from ${q(outDir, "d")}`);
    expect(pairs.length).toBeGreaterThan(5);
    for (const p of pairs) {
      expect(typeof p.prompt).toBe("string");
      const g = p.problem_group as string;
      const candidates = corpus.rows.filter((r) => groupOf(r) === g && isRejected(r) && r.record.tokens!.response <= 900);
      const longest = Math.max(...candidates.map((r) => r.record.tokens!.response));
      expect(byId.get(p.rejected_id as string)!.record.tokens!.response).toBe(longest);
    }
  });
});

describe("config rules", () => {
  it("exclude cycles, unknown outputs and unknown sources are errors that name the path", () => {
    expect(() => buildOrder({ a: { kind: "sft", exclude: ["b"] }, b: { kind: "rl", exclude: ["a"] } })).toThrow(/cycle: a → b → a/);
    expect(() => buildOrder({ a: { kind: "sft", exclude: ["zz"] } })).toThrow(/\$\.outputs\.a\.exclude: found "zz"/);
    expect(buildOrder({ sft: { kind: "sft", exclude: ["rl"] }, rl: { kind: "rl" } })).toEqual(["rl", "sft"]);
    expect(() => checkOutputs(mixConfig({ m: { kind: "midtrain", packTo: 64, weights: { nope: 1 } } }))).toThrow(/\$\.outputs\.m\.weights: found source "nope"/);
    expect(() => checkOutputs(mixConfig({ m: { kind: "midtrain", packTo: 64, textTemplate: "{problem} {problem} {response}" } }))).toThrow(/exactly once/);
    expect(() => checkOutputs(mixConfig({ s: { kind: "sft", rows: 3, tokenBudget: 9 } }))).toThrow(/\$\.outputs\.s: found both rows and tokenBudget/);
    expect(() => checkOutputs(mixConfig({ s: { kind: "sft", sources: ["teacher-z"] } }))).toThrow(/\$\.outputs\.s\.sources: found "teacher-z"/);
  });

  it("the phi4-mini-reasoning recipe validates, passes the output checks and builds RL before SFT", () => {
    const loaded = loadMix(join(import.meta.dirname, "..", "..", "pipelines", "phi4-mini-reasoning.json"));
    expect(() => checkOutputs(loaded.config)).not.toThrow();
    const o = loaded.config.outputs!;
    expect(Object.values(o).map((x) => x.kind).sort()).toEqual(["dpo", "midtrain", "rl", "sft"]);
    expect(o.midtrain).toMatchObject({ packTo: 16384 });
    expect(o.sft).toMatchObject({ maxTokens: 20480, exclude: ["rl"] });
    expect(buildOrder(o).indexOf("rl")).toBeLessThan(buildOrder(o).indexOf("sft"));
  });

  it("the schema part accepts the four kinds and rejects unknown keys with their path", () => {
    const base = { name: "x", sources: [{ name: "s", path: "a.jsonl", fields: { problem: "p", response: "r" } }] };
    expect(() => validateMix({ ...base, outputs: { m: { kind: "midtrain", packTo: 16384 }, s: { kind: "sft", maxTokens: 20480, rows: 10 }, d: { kind: "dpo" }, r: { kind: "rl", passRate: [0.1, 0.9] } } }, "t.json")).not.toThrow();
    expect(() => validateMix({ ...base, outputs: { s: { kind: "sft", packTo: 5 } } }, "t.json")).toThrow(/\$\.outputs\.s\.packTo: unknown key/);
    expect(() => validateMix({ ...base, outputs: { m: { kind: "midtrain" } } }, "t.json")).toThrow(/missing required key "packTo"/);
    expect(() => validateMix({ ...base, outputs: { r: { kind: "rl", passRate: [0.1, 2] } } }, "t.json")).toThrow(/passRate/);
  });
});

describe("the product registry", () => {
  it("names every kind the outputs schema names, each with its own schema part, builder and card text", () => {
    const parts = join(import.meta.dirname, "..", "..", "schemas", "parts");
    const outputs = JSON.parse(readFileSync(join(parts, "outputs.schema.json"), "utf8"));
    const kinds = PRODUCTS.map((p) => p.kind);
    expect(kinds).toEqual(["midtrain", "sft", "dpo", "rl"]);
    expect(outputs.additionalProperties.properties.kind.enum).toEqual(kinds);
    const branches = outputs.additionalProperties.allOf as { if: { properties: { kind: { const: string } } }; then: { $ref: string } }[];
    expect(branches.map((b) => [b.if.properties.kind.const, b.then.$ref])).toEqual(kinds.map((k) => [k, `outputs.${k}.schema.json`]));
    for (const p of PRODUCTS) {
      const part = JSON.parse(readFileSync(join(parts, `outputs.${p.kind}.schema.json`), "utf8"));
      expect(part.$id.endsWith(`/parts/outputs.${p.kind}.schema.json`)).toBe(true);
      expect(part.properties.kind).toEqual({ const: p.kind });
      expect(productOf(p.kind)).toBe(p);
      expect(p.about.length).toBeGreaterThan(0);
      expect(typeof p.plan).toBe("function");
    }
    expect(unitsNote()).toBe("rollouts (midtrain, sft), pairs (dpo) or prompts (rl)");
    expect(() => productOf("pretrain")).toThrow(/unknown kind "pretrain"; registered: midtrain, sft, dpo, rl/);
  });
});

describe("the one shard writer", () => {
  const columns: ColumnSpec[] = [
    { name: "messages", type: "MESSAGES", nullable: false },
    { name: "ids", type: "INT32_LIST", nullable: false },
    { name: "names", type: "STRING_LIST", nullable: false },
    { name: "meta", type: "JSON" },
    { name: "n", type: "INT64", nullable: false },
    { name: "note", type: "STRING" },
  ];
  const rows = [
    [[{ role: "user", content: "1+1?" }, { role: "assistant", content: "2" }], Int32Array.from([5, 6, 7]), ["a", "b"], { level: 3 }, 1, "x"],
    [[{ role: "user", content: "héllo" }], [], [], null, 2, null],
    [[{ role: "user", content: "q" }, { role: "assistant", content: "long answer" }], [1], ["c"], { k: [1, 2] }, 3, undefined],
  ];

  it("writes nested and flat columns DuckDB reads back, counts text as rowTextBytes and rolls shards over on it", async () => {
    await initCompressors();
    const dir = tempDir();
    const w = new ParquetShardWriter(join(dir, "one.parquet"), columns, { codec: "ZSTD", rowGroupRows: 2, kv: { "curate.test": "1" } });
    rows.forEach((r, k) => w.append(r, 10 * (k + 1)));
    expect(w.textBytes).toBe(4 + 1 + 3 * 4 + 1 + 5 + 0 + 1 + 11 + 4);
    expect(w.textBytes).toBe(rows.reduce((a, r) => a + rowTextBytes(columns, r), 0));
    const closed = w.close();
    expect(closed).toMatchObject({ path: join(dir, "one.parquet"), rows: 3, tokens: 60 });
    expect(closed.sha256).toBe(createHash("sha256").update(readFileSync(closed.path)).digest("hex"));
    const back = await duck(`select messages, ids, names, meta, n, note from read_parquet('${closed.path}') order by n`);
    expect(back.map((r) => (r.messages as { content: string }[]).map((m) => m.content))).toEqual([["1+1?", "2"], ["héllo"], ["q", "long answer"]]);
    expect(back.map((r) => r.ids)).toEqual([[5, 6, 7], [], [1]]);
    expect(back.map((r) => r.names)).toEqual([["a", "b"], [], ["c"]]);
    expect(back.map((r) => (r.meta === null ? null : JSON.parse(r.meta as string)))).toEqual([{ level: 3 }, null, { k: [1, 2] }]);
    expect(back.map((r) => [Number(r.n), r.note])).toEqual([[1, "x"], [2, null], [3, null]]);

    // a set of shards rolls over once a shard holds 20 text bytes: messages' contents count
    const set = new ShardSet(join(dir, "set"), "part", columns, { codec: "SNAPPY", rowGroupRows: 10, shardRows: 100, shardBytes: 20 });
    for (const r of rows) set.append(r, { tokens: 1 });
    const shards = set.close();
    expect(shards.map((s) => [s.rows, s.tokens, s.extra.tokens])).toEqual([[2, 2, 2], [1, 1, 1]]);
    expect(readdirSync(join(dir, "set")).sort()).toEqual(["part-00000.parquet", "part-00001.parquet"]);
  });

  it("refuses a null in a required column, naming the shard, column and row, and leaves no file", async () => {
    await initCompressors();
    const dir = tempDir();
    const w = new ParquetShardWriter(join(dir, "bad.parquet"), columns, { codec: "ZSTD", rowGroupRows: 10 });
    w.append(rows[0]!);
    expect(() => w.append([rows[1]![0], null, [], null, 5, null])).toThrow(/bad\.parquet: column ids must not be null \(row 1\)/);
    w.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});
