import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyModule, verifyDrop, verifyFilters, verifyInput } from "../../src/verify/annotator.js";
import { validateMix } from "../../src/config/load.js";
import { localDecider } from "../../src/decide/filters.js";
import { Verifier } from "../../src/verify/verifier.js";
import { annotateQuality } from "../../src/quality/annotator.js";
import { prepareOptions, resolveQualityOptions } from "../../src/quality/options.js";
import { normalizeTrace } from "../../src/record/trace.js";
import type { Rollout } from "../../src/record/rollout.js";
import type { MixConfig } from "../../src/config/types.js";
import { runCli, tempDir } from "../helpers/cli.js";

function rollout(id: string, response: string, reference: string | null, split = true): Rollout {
  const r: Rollout = { id, ordinal: 0, source: "s", file: "f.jsonl", row: 0, rolloutIndex: 0, problem: "p", response, reference, finishReason: null, meta: {} };
  if (split) r.trace = normalizeTrace(response);
  return r;
}

const base = { name: "t", seed: 1, tokenizer: "o200k_base", sources: [{ name: "s", path: "x.jsonl", fields: { problem: "p", response: "r" } }] } as const;
const ctx = { baseDir: "/tmp", runDir: "/tmp", seed: 1 };

describe("verify annotator", () => {
  const closers: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it("is disabled without annotate.verify or with enabled: false", async () => {
    expect(await verifyModule.create({ ...base } as unknown as MixConfig, ctx)).toBeNull();
    expect(await verifyModule.create({ ...base, annotate: { verify: { enabled: false } } } as unknown as MixConfig, ctx)).toBeNull();
  });

  it("sets record.verify from the reference and the final solution", async () => {
    const a = await verifyModule.create({ ...base, annotate: { verify: { timeoutMs: 5000 } } } as unknown as MixConfig, ctx);
    expect(a).not.toBeNull();
    closers.push(() => a!.close?.());
    const batch = [
      rollout("ok", "<|begin_of_thought|>think \\boxed{3}<|end_of_thought|><|begin_of_solution|>So \\boxed{\\frac12}.<|end_of_solution|>", "0.5"),
      // the reasoning boxes the right answer, the final solution a wrong one: the solution decides
      rollout("bad", "<think>maybe \\boxed{0.5}</think>Final: \\boxed{0.25}", "\\frac{1}{2}"),
      rollout("cut", "<|begin_of_thought|>long thinking \\boxed{0.5} and then", "0.5"),
      rollout("noref", "\\boxed{1}", null),
      rollout("raw", "The answer is \\boxed{(1,2)}", "(1, 2)", false),
      rollout("sym", "\\boxed{6}", "\\sum_{k=1}^{3} k"),
      // r1-zero layout: the opening <think> is in the prompt, the answer in <answer> tags
      rollout("r1", " 15 inches * 12 miles/inch = 180 miles. </think> <answer>180 miles</answer>", "180\\text{ miles}"),
    ];
    await a!.annotate(batch);
    const by = Object.fromEntries(batch.map((r) => [r.id, r.verify!]));
    expect(by.ok).toMatchObject({ verdict: "correct", extracted: "\\frac12", extractedBy: "boxed" });
    expect(by.bad).toMatchObject({ verdict: "incorrect", extracted: "0.25" });
    expect(by.cut).toMatchObject({ verdict: "no_answer", rule: "unterminated" });
    expect(by.noref).toMatchObject({ verdict: "ungradable_reference", rule: "no_reference" });
    // `(1, 2)` keeps its blank after a comma between digits (`1, 234` is a list, `1,234` a number): tuple/string
    expect(by.raw).toMatchObject({ verdict: "correct", rule: "tuple/string", extracted: "(1,2)" });
    expect(by.sym).toMatchObject({ verdict: "correct", rule: "symbolic" });
    expect(by.r1).toMatchObject({ verdict: "correct", extracted: "180 miles", extractedBy: "answer_tag" });
    // annotations are plain JSON (they cross worker boundaries and go to Parquet)
    expect(JSON.parse(JSON.stringify(by.ok))).toEqual(by.ok);
  });

  it("reads the whole response when the trace was not split", () => {
    const r = rollout("x", "text \\boxed{1}", "1", false);
    expect(verifyInput(r)).toEqual({ reference: "1", solution: "text \\boxed{1}", problem: "p" });
  });
});

describe("verify filters", () => {
  const withVerdict = (verdict: string, extra: object = {}): Rollout => ({
    ...rollout("r", "", "1", false),
    verify: { verdict: verdict as never, extracted: verdict === "no_answer" ? null : "2", extractedBy: "boxed", rule: "numeric", ms: 0.1, ...extra },
  });

  it("requireCorrect drops every other verdict with a verify:<verdict> reason", () => {
    for (const v of ["incorrect", "no_answer", "timeout", "ungradable_reference"]) {
      expect(verifyDrop(withVerdict(v), { requireCorrect: true })?.reason).toBe(`verify:${v}`);
    }
    expect(verifyDrop(withVerdict("correct"), { requireCorrect: true })).toBeNull();
    expect(verifyDrop(withVerdict("incorrect"), { requireCorrect: true })?.detail).toMatch(/incorrect \(answer "2"; rule numeric\)/);
  });
  it("dropVerdicts drops only the listed verdicts", () => {
    const f = { dropVerdicts: ["incorrect", "no_answer"] };
    expect(verifyDrop(withVerdict("incorrect"), f)?.reason).toBe("verify:incorrect");
    expect(verifyDrop(withVerdict("ungradable_reference"), f)).toBeNull();
  });
  it("dropConflictingBoxed drops several non-equivalent boxes", () => {
    const r = withVerdict("correct", { conflicting: ["1", "2"] });
    expect(verifyDrop(r, { dropConflictingBoxed: true })?.reason).toBe("verify:conflicting_boxed");
    expect(verifyDrop(r, { requireCorrect: true })).toBeNull();
  });
  it("dropConflictingAnswers is an alias of dropConflictingBoxed: one filter, one reason", () => {
    const r = withVerdict("correct", { conflicting: ["1", "2"] });
    expect(verifyFilters({ dropConflictingAnswers: true })).toEqual({ dropConflictingBoxed: true });
    expect(verifyFilters({ dropConflictingAnswers: false })).toEqual({ dropConflictingBoxed: false });
    expect(verifyDrop(r, { dropConflictingAnswers: true })).toEqual(verifyDrop(r, { dropConflictingBoxed: true }));
    expect(verifyDrop(r, { dropConflictingAnswers: true })?.reason).toBe("verify:conflicting_boxed");
    // either key set to true turns the filter on
    expect(verifyDrop(r, { dropConflictingAnswers: true, dropConflictingBoxed: false })?.reason).toBe("verify:conflicting_boxed");
    expect(verifyDrop(r, { dropConflictingAnswers: false })).toBeNull();
    expect(() => verifyFilters({ dropConflictingAnswers: "yes" } as never)).toThrow(/filters\.dropConflictingAnswers: expected true or false, got "yes"/);
  });
  it("the row decision on real text: the verify stage drops different boxes, not an echoed empty \\boxed{}", () => {
    const decide = localDecider({ ...base, annotate: { verify: {}, quality: {} }, filters: { dropConflictingAnswers: true } } as unknown as MixConfig);
    const verifier = new Verifier();
    const options = prepareOptions(resolveQualityOptions({}));
    const annotated = (response: string): Rollout => {
      const r = rollout("r", response, "4");
      r.verify = verifier.verifyFast(verifyInput(r));
      annotateQuality(r, options);
      return r;
    };
    const two = annotated("Maybe \\boxed{3}. No: the answer is \\boxed{4}.");
    expect(decide(two)).toMatchObject({ stage: "verify", reason: "verify:conflicting_boxed" });
    // the prompt's "put your final answer within \\boxed{}" echoed, then one answer: the quality signal
    // counts two distinct boxes, verification none in conflict, so the row is kept
    const echo = annotated("Please put your final answer within \\boxed{}.\n\nSo \\boxed{4}.");
    expect(echo.quality!.conflictingAnswers).toBe(true);
    expect(echo.verify!.conflicting).toBeUndefined();
    expect(decide(echo)).toBeNull();
    // boxes equal in value are no conflict either
    expect(decide(annotated("\\boxed{\\frac{8}{2}} that is \\boxed{4}"))).toBeNull();
  });
  it("no verify filter keeps everything; a missing annotation is named", () => {
    expect(verifyDrop(withVerdict("incorrect"), {})).toBeNull();
    expect(verifyDrop(rollout("m", "", "1", false), { requireCorrect: true })?.reason).toBe("verify:missing");
  });
  it("rejects wrong types with the key and the value", () => {
    expect(() => verifyFilters({ requireCorrect: "yes" } as never)).toThrow(/filters\.requireCorrect: expected true or false, got "yes"/);
    expect(() => verifyFilters({ dropVerdicts: ["wrong"] } as never)).toThrow(/filters\.dropVerdicts/);
  });
});

describe("mix schema parts", () => {
  it("accepts the verify keys and rejects unknown or mistyped ones", () => {
    expect(() => validateMix({ ...base, annotate: { verify: { timeoutMs: 1000, relTol: 1e-6, maxAnswerChars: 500, lastMath: false } }, filters: { requireCorrect: true, dropVerdicts: ["incorrect"], dropConflictingBoxed: true } }, "m.json")).not.toThrow();
    expect(() => validateMix({ ...base, annotate: { verify: { timeout: 5 } } }, "m.json")).toThrow(/annotate\.verify/);
    expect(() => validateMix({ ...base, filters: { requireCorrect: "yes" } }, "m.json")).toThrow(/requireCorrect/);
    expect(() => validateMix({ ...base, filters: { dropVerdicts: ["correct"] } }, "m.json")).toThrow(/dropVerdicts/);
    // the alias needs verdicts like the key it names
    expect(() => validateMix({ ...base, annotate: { verify: {} }, filters: { dropConflictingAnswers: true } }, "m.json")).not.toThrow();
    expect(() => validateMix({ ...base, filters: { dropConflictingAnswers: true } }, "m.json")).toThrow(/filters\.dropConflictingAnswers \(an alias of dropConflictingBoxed\) needs verdicts/);
    expect(() => validateMix({ ...base, filters: { dropConflictingAnswers: false } }, "m.json")).not.toThrow();
  });
});

describe("curate verify CLI", () => {
  it("prints the verdict and why for one pair", () => {
    const r = runCli(["verify", "--gold", "\\frac12", "--pred", "0.5"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^correct\n/);
    expect(r.stdout).toMatch(/rule: +numeric/);
    const j = runCli(["verify", "--gold", "(1,2)", "--pred", "[1,2]", "--json"]);
    expect(JSON.parse(j.stdout)).toMatchObject({ verdict: "incorrect", rule: "tuple~interval/structure" });
  });
  it("streams JSONL pairs, extracting from whole responses", () => {
    const d = tempDir();
    const f = join(d, "pairs.jsonl");
    const lines = [
      { id: "a", gold: "\\frac12", pred: "<think>hmm</think>So the answer is \\boxed{0.5}." },
      { id: "b", gold: "3", pred: "4" },
      { id: "c", gold: "5", pred: "<|begin_of_thought|>still thinking" },
      { id: "d", gold: "\\{1,2\\}", pred: "(1,2)" },
    ];
    writeFileSync(f, "\ufeff" + lines.map((l) => JSON.stringify(l)).join("\n") + "\n"); // a byte-order mark first, as Windows editors write
    const r = runCli(["verify", "--pairs", f]);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out).toEqual([
      { id: "a", verdict: "correct", extracted: "0.5", rule: "numeric" },
      { id: "b", verdict: "incorrect", extracted: "4", rule: "numeric" },
      { id: "c", verdict: "no_answer", extracted: null, rule: "unterminated" },
      { id: "d", verdict: "incorrect", extracted: "(1,2)", rule: "set~tuple/structure" },
    ]);
  });
  it("bad usage exits 2; a bad line names the file and row", () => {
    expect(runCli(["verify"]).code).toBe(2);
    const usage = runCli(["verify", "--gold", "1", "--pred", "1", "--timeout-ms", "abc"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--timeout-ms: expected a number/);
    const d = tempDir();
    const f = join(d, "bad.jsonl");
    writeFileSync(f, '{"id":1,"gold":"1","pred":"1"}\nnot json\n');
    const r = runCli(["verify", "--pairs", f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl, row 2: expected one JSON object per line/);
    // read as the run reads JSONL: a duplicate key or invalid UTF-8 is refused, with the row named
    const dup = join(d, "dup.jsonl");
    writeFileSync(dup, '{"id":1,"gold":"1","pred":"1"}\n{"id":2,"gold":"1","gold":"2","pred":"2"}\n');
    expect(runCli(["verify", "--pairs", dup]).stderr).toMatch(/dup\.jsonl, row 2: expected one JSON object per line: duplicate key "gold"/);
    const bin = join(d, "bin.jsonl");
    writeFileSync(bin, Buffer.concat([Buffer.from('{"id":1,"gold":"1","pred":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    expect(runCli(["verify", "--pairs", bin]).stderr).toMatch(/bin\.jsonl, row 1: expected one JSON object per line: invalid UTF-8/);
  });
  it("gives ids back exactly as written and takes a numeric gold by its source text", () => {
    const d = tempDir();
    const f = join(d, "ids.jsonl");
    // JSON.parse would print 12345678901234567000 and 1e+21; the gold 0.10 is compared as written
    writeFileSync(f, '{"id":12345678901234567891,"gold":72,"pred":"The answer is 72."}\n{"id":1e21,"gold":0.10,"pred":"0.1"}\n{"gold":3,"pred":"4"}\n');
    const r = runCli(["verify", "--pairs", f]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      '{"id":12345678901234567891,"verdict":"correct","extracted":"72","rule":"string"}',
      '{"id":1e21,"verdict":"correct","extracted":"0.1","rule":"numeric"}',
      '{"id":2,"verdict":"incorrect","extracted":"4","rule":"numeric"}',
    ]);
  });
});
