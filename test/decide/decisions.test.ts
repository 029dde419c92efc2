/**
 * The drop reason names the cause (src/decide/filters.ts precedence), cut-off traces are never graded
 * and stay out of pass rates, and the signal table counts every signal a row raises. In-process, on
 * the real annotators (verifier fast path, quality signals), real Sky-T1 rows where present.
 */
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { normalizeTrace } from "../../src/record/trace.js";
import { annotateQuality } from "../../src/quality/annotator.js";
import { prepareOptions, resolveQualityOptions } from "../../src/quality/options.js";
import { Verifier } from "../../src/verify/verifier.js";
import { gradedVerdict, verifyInput } from "../../src/verify/annotator.js";
import { LOCAL_STAGE_NAMES, localFilterStages } from "../../src/decide/filters.js";
import { Decider, type GroupDecisions } from "../../src/decide/decide.js";
import { ProblemStats } from "../../src/group/problems.js";
import { SignalCounter, mergeWriteCounts } from "../../src/run/write-parts.js";
import { signalRows } from "../../src/run/manifest.js";
import type { WriteCounts } from "../../src/run/markers.js";
import type { Rollout } from "../../src/record/rollout.js";
import type { MixConfig } from "../../src/config/types.js";
import { sharedData } from "../helpers/cli.js";

const OPTIONS = prepareOptions(resolveQualityOptions(undefined));
const verifier = new Verifier();
afterAll(() => verifier.close());

/** the quickstart's row-local filters (pipelines/quickstart.json) */
const CONFIG = {
  name: "t",
  sources: [],
  annotate: { decontaminate: { benchmarks: [] }, verify: {}, quality: {} },
  filters: { dropContaminated: true, requireCorrect: true, dropTruncated: true, maxRepetition: 0.5, maxForeignScript: 0.2, maxResponseTokens: 6000 },
} as unknown as MixConfig;
const NO_GROUP: GroupDecisions = { dropFor: () => null };

/** a record annotated as the chain does it: trace split, verify, quality */
async function annotated(response: string, reference: string, finishReason: string | null = null): Promise<Rollout> {
  const r: Rollout = { id: "r", ordinal: 0, source: "s", file: "f", row: 0, rolloutIndex: 0, problem: "Solve it.", response, reference, finishReason, meta: {} };
  r.trace = normalizeTrace(response);
  r.verify = await verifier.verify(verifyInput(r));
  annotateQuality(r, OPTIONS);
  return r;
}

const thought = (reasoning: string, solution: string, close = true) =>
  `<|begin_of_thought|>\n\n${reasoning}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${solution}${close ? "\n\n<|end_of_solution|>" : ""}`;
const REASONING = "We need the maximum. Let y = 1, then the value is 1. Check the boundary: it is 1 again. So the maximum is 1.";

describe("cut-off traces are never graded", () => {
  it("a reasoning block cut mid-formula gives no_answer (rule unterminated), never a mid-sentence answer", async () => {
    const r = await annotated(`<|begin_of_thought|>\n\n${REASONING}\n\nSo the critical points satisfy $y = \\pm 1$ and then the value`, "\\pm 1");
    expect(r.quality!.truncated).toBe(true);
    expect(r.verify).toMatchObject({ verdict: "no_answer", rule: "unterminated", extracted: null });
    expect(gradedVerdict(r.verify)).toBeNull();
  });

  it("a solution block cut before its answer gives no_answer (rule truncated); finish_reason length too", async () => {
    const cut = await annotated(thought(REASONING, "Next, we compute the partial derivatives:\n\n1.", false), "1");
    expect(cut.quality!.truncated).toBe(true);
    expect(cut.verify).toMatchObject({ verdict: "no_answer", rule: "truncated" });
    const length = await annotated(thought(REASONING, "The maximum is $\\boxed{1}$."), "1", "length");
    expect(length.verify).toMatchObject({ verdict: "no_answer", rule: "truncated" });
  });

  it("a solution that lost only its closing tag after a complete answer is graded, not truncated", async () => {
    for (const [solution, finish] of [
      ["The maximum is $\\boxed{1}$.", null], // ends cleanly
      ["The maximum is $\\boxed{1}$.<|end_of_", null], // stop string left a tag fragment
      ["The maximum is $\\boxed{1}$, reached at", "stop"], // the source says it stopped
    ] as const) {
      const r = await annotated(thought(REASONING, solution, false), "1", finish);
      expect(r.quality!.truncated, solution).toBe(false);
      expect(r.verify!.verdict, solution).toBe("correct");
    }
    const dangling = await annotated(thought(REASONING, "The maximum is $\\boxed{1}$, reached at", false), "1");
    expect(dangling.quality!.truncated).toBe(true); // no finish reason, stops mid-sentence after its answer
  });

  it("pass rates leave cut-off rollouts out; other no_answer rollouts count as failed", async () => {
    const stats = new ProblemStats();
    stats.addRollout("p", await annotated(thought(REASONING, "The maximum is $\\boxed{1}$."), "1")); // correct
    stats.addRollout("p", await annotated(thought(REASONING, "The maximum is $\\boxed{2}$."), "1")); // incorrect
    stats.addRollout("p", await annotated(`<|begin_of_thought|>\n\n${REASONING} and $y = \\pm 1$ so`, "1")); // cut off
    stats.addRollout("p", await annotated(thought(REASONING, "I could not finish this problem."), "1")); // no answer, complete
    const [p] = stats.summaries();
    expect(p).toMatchObject({ rollouts: 4, gradable: 3, correct: 1 });
    expect(p!.passRate).toBeCloseTo(1 / 3, 10);
  });
});

describe("the drop reason names the cause", () => {
  const decider = new Decider(CONFIG);

  it("stages come in precedence order: decontaminate, trace, verify, quality, length", () => {
    expect(localFilterStages(CONFIG).map((s) => s.name)).toEqual(["decontaminate", "trace", "verify", "quality", "length"]);
    expect(LOCAL_STAGE_NAMES).toEqual(["decontaminate", "trace", "verify", "quality", "length"]);
    // a stage whose filters are all off is left out of the funnel
    const verifyOnly = { ...CONFIG, filters: { requireCorrect: true } } as unknown as MixConfig;
    expect(localFilterStages(verifyOnly).map((s) => s.name)).toEqual(["decontaminate", "verify"]);
  });

  it("a truncated trace is quality:truncated, its no_answer verdict kept in the annotations", async () => {
    const r = await annotated(`<|begin_of_thought|>\n\n${REASONING}\n\nThen $y = \\pm 1$ and the`, "1");
    expect(decider.local(r, null)).toMatchObject({ stage: "trace", reason: "quality:truncated" });
    expect(r.verify!.verdict).toBe("no_answer");
  });

  it("a \\boxed{. \\boxed{. … loop is quality:repetition, whether or not it was cut off", async () => {
    const loop = "The answer is " + "\\boxed{. ".repeat(2000);
    const cut = await annotated(thought("We need x with 2x = 8, so x = 4.", loop, false), "4");
    expect(cut.quality!.truncated).toBe(true);
    expect(decider.local(cut, null)).toMatchObject({ stage: "trace", reason: "quality:repetition" });
    const closed = await annotated(thought("We need x with 2x = 8, so x = 4.", loop + "}"), "4");
    expect(closed.verify!.verdict).not.toBe("correct");
    expect(decider.local(closed, null)).toMatchObject({ stage: "trace", reason: "quality:repetition" });
  });

  it("contamination comes first, the verdict before the other quality filters, length last", async () => {
    const cut = await annotated(`<|begin_of_thought|>\n\n${REASONING} so`, "1");
    cut.contamination = [{ benchmark: "mini-bench", item: "1", method: "exact", score: 1, field: "problem", span: [0, 5] } as never];
    expect(decider.local(cut, null)).toMatchObject({ stage: "decontaminate", reason: "contaminated:mini-bench" });
    // varied Han text (no loop): a language mix, nothing else wrong
    let zh = "";
    for (let i = 0, x = 7; i < 400; i++, x = (x * 1103515245 + 12345) % 2147483648) zh += String.fromCharCode(0x4e00 + (x % 5000)) + (i % 17 === 16 ? "。" : "");
    const wrongAndMixed = await annotated(thought(zh, "The maximum is $\\boxed{2}$."), "1");
    expect(decider.local(wrongAndMixed, null)).toMatchObject({ stage: "verify", reason: "verify:incorrect" });
    const rightAndMixed = await annotated(thought(zh, "The maximum is $\\boxed{1}$."), "1");
    expect(decider.local(rightAndMixed, null)).toMatchObject({ stage: "quality", reason: "quality:language_mix" });
    rightAndMixed.tokens = { problem: 3, reasoning: 7000, solution: 10, response: 7010 };
    expect(decider.local(rightAndMixed, null)!.reason).toBe("quality:language_mix");
    const long = await annotated(thought(REASONING, "The maximum is $\\boxed{1}$."), "1");
    expect(decider.local(long, null)).toBeNull();
    long.tokens = { problem: 3, reasoning: 7000, solution: 10, response: 7010 };
    expect(decider.local(long, null)).toMatchObject({ stage: "length", reason: "too_long:response" });
  });

  const SKYT1 = join(sharedData, "traces", "skyt1_long_cot_evals.jsonl");
  it.skipIf(!existsSync(SKYT1))("Sky-T1 math500 #139 (27B): cut off mid-solution, no y = ±1 taken from it, dropped as truncated (skipped without ../shared/data)", async () => {
    const line = readFileSync(SKYT1, "utf8").split("\n").find((l) => l.includes('"id": "Sky-T1-math-correct-5K-27B/math500/139"'));
    const row = JSON.parse(line!) as { response: string; gt_answer: string; truncated: boolean };
    expect(row.truncated).toBe(true);
    const r = await annotated(row.response, row.gt_answer);
    expect(r.verify).toMatchObject({ verdict: "no_answer", rule: "truncated", extracted: null });
    expect(decider.local(r, null)).toMatchObject({ stage: "trace", reason: "quality:truncated" });
    const stats = new ProblemStats();
    stats.addRollout("p", r);
    expect(stats.summaries()[0]).toMatchObject({ gradable: 0, passRate: null });
  });
});

describe("the signal table", () => {
  const decider = new Decider(CONFIG);

  it("counts every signal of a row, not only the one that dropped it", async () => {
    const cut = await annotated(`<|begin_of_thought|>\n\n${REASONING} so`, "1");
    cut.contamination = [{ benchmark: "mini-bench", item: "1", method: "exact", score: 1, field: "problem", span: [0, 5] } as never];
    const drop = decider.final(cut, null, 0, NO_GROUP);
    const names = decider.signals(cut, null, drop, 0, NO_GROUP).map((s) => s.signal);
    expect(drop!.reason).toBe("contaminated:mini-bench");
    expect(names).toEqual(expect.arrayContaining(["contaminated:mini-bench", "quality:truncated", "verify:no_answer"]));
    const counter = new SignalCounter();
    counter.record(decider.signals(cut, null, drop, 0, NO_GROUP), drop);
    expect(counter.counts["quality:truncated"]).toEqual({ stage: "trace", rows: 1, kept: 0, droppedAs: 0 });
    expect(counter.counts["contaminated:mini-bench"]).toEqual({ stage: "decontaminate", rows: 1, kept: 0, droppedAs: 1 });
  });

  it("adds up across parts and units like the other counts, in any merge order", async () => {
    const rows = [
      await annotated(thought(REASONING, "The maximum is $\\boxed{1}$."), "1"),
      await annotated(thought(REASONING, "The maximum is $\\boxed{2}$."), "1"),
      await annotated(`<|begin_of_thought|>\n\n${REASONING} and`, "1"),
      await annotated(thought(REASONING, "The maximum is $\\boxed{1}$."), "1"),
    ];
    const whole = new SignalCounter();
    const parts = [new SignalCounter(), new SignalCounter()];
    rows.forEach((r, i) => {
      const drop = decider.final(r, null, i, NO_GROUP);
      const raised = decider.signals(r, null, drop, i, NO_GROUP);
      whole.record(raised, drop);
      parts[i % 2]!.record(raised, drop);
    });
    const counts = (c: SignalCounter): WriteCounts => ({ rowsIn: 0, keptRows: 0, keptTokens: 0, stages: [], signals: c.sorted(), bySource: {}, data: [], rejected: [] });
    const merged = mergeWriteCounts([], [counts(parts[0]!), counts(parts[1]!)]).signals;
    expect(merged).toEqual(whole.sorted());
    expect(JSON.stringify(mergeWriteCounts([], [counts(parts[1]!), counts(parts[0]!)]).signals)).toBe(JSON.stringify(merged));
    expect(merged["verify:correct"]).toMatchObject({ rows: 2, kept: 2, droppedAs: 0 });
    expect(merged["verify:incorrect"]).toMatchObject({ rows: 1, kept: 0, droppedAs: 1 });
    expect(merged["quality:truncated"]).toMatchObject({ rows: 1, kept: 0, droppedAs: 1 });
    expect(merged["verify:no_answer"]).toMatchObject({ rows: 1, kept: 0, droppedAs: 0 });
    // the manifest's rows: stages in precedence order, then signal names
    const table = signalRows(merged, decider.precedence(["exact_dedupe", "dedupe"]));
    expect(table.map((s) => s.signal)).toEqual(["quality:truncated", "verify:correct", "verify:incorrect", "verify:no_answer", "quality:no_final_answer"]);
  });
});
