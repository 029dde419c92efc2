/**
 * The `digits` rule (numbers changed, everything else kept) and issue #19: a base is not a digit
 * change. Hand-written rows against an in-process index; no shared data needed.
 */
import { describe, expect, it } from "vitest";
import { ContaminationIndex } from "../../src/decontam/benchmark-index.js";
import { builtinCommonNgrams } from "../../src/decontam/common.js";
import type { BenchmarkItem } from "../../src/decontam/types.js";

/** MATH-500 test/number_theory/864.json and test/number_theory/1257.json, verbatim */
const PRODUCT_BASE_8 = "Find the product of $6_8 \\cdot 7_8.$ Express your answer in base $8.$";
const QUOTIENT_BASE_5 = "Express the quotient $413_5 \\div 2_5$ in base 5.";
/** MATH-500 test/algebra/425.json */
const ABSOLUTE = "In the equation $|x-4| -10 = 2$, what is the product of all possible values of $x$?";
const problems: BenchmarkItem[] = [
  { benchmark: "math500", item: "test/number_theory/864.json", problem: PRODUCT_BASE_8 },
  { benchmark: "math500", item: "test/number_theory/1257.json", problem: QUOTIENT_BASE_5 },
  { benchmark: "math500", item: "test/algebra/425.json", problem: ABSOLUTE },
];
const index = ContaminationIndex.build(problems, {}, builtinCommonNgrams());
const methods = (ix: ContaminationIndex, text: string) => ix.match(text).map((m) => `${m.item} ${m.method} ${m.score}`);

describe("digits rule: numbers changed, bases kept (issue #19)", () => {
  it("does not flag '$218_9 \\cdot 5_9$ … base 9' (DeepScaleR MATH train) as MATH-500's '$6_8 \\cdot 7_8$ … base 8'", () => {
    expect(methods(index, "Find the product of $218_9 \\cdot 5_9$.  Express your answer in base 9.")).toEqual([]);
  });

  it("still flags the same problem with only its operands changed, in the same base", () => {
    expect(methods(index, "Find the product of $5_8 \\cdot 3_8.$ Express your answer in base $8.$")).toEqual(["test/number_theory/864.json digits 1"]);
    expect(methods(index, "Express the quotient $1031_5 \\div 4_5$ in base 5.")).toEqual(["test/number_theory/1257.json digits 1"]);
  });

  it("a changed base anywhere — a subscript or the number after 'base' — is no digit change", () => {
    const digits = (text: string) => index.match(text).filter((m) => m.method === "digits");
    expect(digits("Find the product of $6_8 \\cdot 7_8.$ Express your answer in base $9.$")).toEqual([]);
    expect(digits("Find the product of $6_9 \\cdot 7_8.$ Express your answer in base $8.$")).toEqual([]);
    expect(methods(index, "Express the quotient $413_7 \\div 2_7$ in base 7.")).toEqual([]);
    // the rest of the text identical, one base changed: the n-gram rule (unmasked coverage ≥ 0.75) may still fire
    expect(methods(index, "Find the product of $6_8 \\cdot 7_8.$ Express your answer in base $9.$")).toEqual(["test/number_theory/864.json ngram 1"]);
  });

  it("a sign added to a number is a number change, a binary minus turned plus is not (alignment form)", () => {
    // DeepScaleR MATH train holds this one: numbers changed and 2 → -2
    expect(methods(index, "In the equation $|x-7| -3 = -2$, what is the product of all possible values of $x$?")).toEqual(["test/algebra/425.json digits 0.9917"]);
    expect(methods(index, "In the equation $|x+7| -3 = 2$, what is the product of all possible values of $x$?")).toEqual([]);
  });

  it("alignment form: only numbers may change inside the aligned problem, bases and words may not", () => {
    // n-gram and aligned rules out of the way, so the alignment form of `digits` decides
    const strict = ContaminationIndex.build(problems, { threshold: 2, coverage: 2 }, builtinCommonNgrams());
    const pre = "First a warm-up exercise. ";
    const rule = (text: string) => {
      strict.explain = [];
      const found = methods(strict, text);
      const c = strict.explain.find((e) => e.item === 0);
      strict.explain = null;
      return { found, rule: c?.rule ?? null, verified: c?.verified ?? false };
    };
    expect(rule(pre + "Find the product of $55_8 \\cdot 36_8$.  Express your answer in base 8.")).toEqual({
      found: ["test/number_theory/864.json digits 1"],
      rule: "digits",
      verified: true,
    });
    // masked coverage 1, but the base changed
    expect(rule(pre + "Find the product of $5_8 \\cdot 3_8$.  Express your answer in base 9.")).toEqual({ found: [], rule: "digits", verified: false });
    // a word inserted inside the problem
    expect(rule(pre + "Find the product of $5_8 \\cdot 3_8$.  Express your final answer in base 8.")).toEqual({ found: [], rule: "digits", verified: false });
  });
});
