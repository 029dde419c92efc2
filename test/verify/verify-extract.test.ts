import { describe, expect, it } from "vitest";
import { extractAnswer, findBoxed } from "../../src/verify/extract.js";
import { matchBrace } from "../../src/text/braces.js";
import { findBoxes } from "../../src/text/boxed.js";
import { boxedAnswers } from "../../src/quality/answers.js";
import { Verifier } from "../../src/verify/verifier.js";
import { cpuMsOf } from "../helpers/cpu.js";

describe("extractAnswer rules", () => {
  it("takes the last \\boxed{} with nested braces", () => {
    const r = extractAnswer("first \\boxed{1} then \\boxed{\\frac{\\sqrt{3}}{2}} done");
    expect(r).toMatchObject({ answer: "\\frac{\\sqrt{3}}{2}", rule: "boxed" });
  });
  it("reads \\fbox and the brace-less form \\boxed 5", () => {
    expect(extractAnswer("so \\fbox{42}.")).toMatchObject({ answer: "42", rule: "boxed" });
    expect(extractAnswer("the answer is $\\boxed 5$.")).toMatchObject({ answer: "5", rule: "boxed" });
    expect(extractAnswer("\\boxedsomething else")).toBeNull();
  });
  it("ranks boxed over answer tags, 'final answer', 'Answer:' and $…$", () => {
    const s = "Answer: 3\nThe final answer is 4\n<answer>5</answer> $6$ \\boxed{7}";
    expect(extractAnswer(s)?.rule).toBe("boxed");
    expect(extractAnswer("Answer: 3\nThe final answer is 4\n<answer>5</answer> $6$")).toMatchObject({ answer: "5", rule: "answer_tag" });
    expect(extractAnswer("Answer: 3\nThe final answer is $4$. I hope it is correct.\n$6$")).toMatchObject({ answer: "4", rule: "final_answer" });
    expect(extractAnswer("so we get $x=2$.\n**Answer:** 12 apples")).toMatchObject({ answer: "12 apples", rule: "answer_line" });
    expect(extractAnswer("we get $x=2$ and then $y = 3$")).toMatchObject({ answer: "y = 3", rule: "last_math" });
  });
  it("prefers a box inside an answer tag", () => {
    expect(extractAnswer("<answer>The result is \\boxed{9}</answer>")).toMatchObject({ answer: "9", rule: "boxed" });
  });
  it("reads prose conclusions when nothing is marked", () => {
    expect(extractAnswer("Compute.\n\nTherefore, the largest angle is 120 degrees.")).toMatchObject({ answer: "120", rule: "conclusion" });
    expect(extractAnswer("So total = 8 + 1 = 9.\n\nTherefore, the number of trailing zeros in 42! is 9.\n\nI think that's the answer.")).toMatchObject({ answer: "9" });
    expect(extractAnswer("Yes.\n\nSo, overall, I'm confident that the product is 22. It is a simple application of the formula and confirms the result.")).toMatchObject({ answer: "22" });
    expect(extractAnswer("Profit: $93 - $15 = $78.\n\nEverything adds up. I think that's the right answer.")).toMatchObject({ answer: "78" });
    expect(extractAnswer("Hence the answer is $\\frac{3}{4}$.")?.answer).toBe("\\frac{3}{4}");
    expect(extractAnswer("It checks out.\n\nThe distance is 100 parsecs.")).toMatchObject({ answer: "100", rule: "conclusion" });
    expect(extractAnswer("**4. Find m + n:**\n\nm + n = 25 + 169 = **194**")).toMatchObject({ answer: "194", rule: "conclusion" });
    // a cut-off sentence is not a statement
    expect(extractAnswer("Now p(0) + p(4) = 24 - 12*(-6) = 24 +")).toBeNull();
  });
  it("the lower-priority prose rules can be switched off", () => {
    expect(extractAnswer("we get $x=2$", { lastMath: false })).toBeNull();
    expect(extractAnswer("Therefore, it is 120.", { lastMath: false })).toBeNull();
  });
  it("reports several different boxed answers, not equal repeats", () => {
    expect(extractAnswer("\\boxed{1} and \\boxed{2}")).toMatchObject({ answer: "2", conflicting: ["1", "2"] });
    expect(extractAnswer("\\boxed{\\dfrac12} so \\boxed{ \\frac12 }")?.conflicting).toBeUndefined();
  });
  it("an unwrapped <answer> block (think_answer traces) is the answer itself", () => {
    expect(extractAnswer(" 16 ", { answerBlock: true })).toMatchObject({ answer: "16", rule: "answer_tag" });
    expect(extractAnswer("$\\frac{3}{4}$", { answerBlock: true })).toMatchObject({ answer: "\\frac{3}{4}", rule: "answer_tag" });
    expect(extractAnswer("180 miles", { answerBlock: true })).toMatchObject({ answer: "180 miles", rule: "answer_tag" });
    expect(extractAnswer("so it is \\boxed{7}", { answerBlock: true })).toMatchObject({ answer: "7", rule: "boxed" });
    expect(extractAnswer("The answer is 12.", { answerBlock: true })).toMatchObject({ answer: "12", rule: "answer_is" });
    expect(extractAnswer("16", {})).toMatchObject({ answer: "16", rule: "bare" });
    expect(extractAnswer("Evelyn", { answerBlock: true })).toMatchObject({ answer: "Evelyn", rule: "answer_tag" });
    expect(extractAnswer("I could not finish the computation.", { answerBlock: true })).toBeNull();
  });
  it("an empty final box (degenerate \\boxed{} loops) is no answer", () => {
    expect(extractAnswer("so $x = 6+9i$ and " + "\\boxed{}. ".repeat(50))).toBeNull();
  });
  it("an unterminated reasoning block has no answer", () => {
    expect(extractAnswer("\\boxed{5}", { unterminated: true })).toBeNull();
    expect(extractAnswer("no numbers or marks here")).toBeNull();
  });
  it("caps the answer length", () => {
    expect(extractAnswer(`\\boxed{${"1".repeat(50)}}`, { maxAnswerChars: 10 })?.answer).toHaveLength(10);
  });
  it("matchBrace respects escapes and reports unbalanced input", () => {
    expect(matchBrace("{a\\}b}c", 0)).toBe(6);
    expect(matchBrace("{{}", 0)).toBe(-1);
    expect(findBoxed("\\boxed{\\boxed{1}} \\boxed{2")).toEqual(["\\boxed{1}", "2"]);
  });
  it("is linear on 200 KB adversarial inputs", () => {
    const inputs = [
      "\\boxed{".repeat(30000),
      "$".repeat(200000),
      "{".repeat(200000),
      "Answer:".repeat(30000),
      ("Therefore " + "1,".repeat(20) + "\n\n").repeat(5000),
      "\\boxed " + "x".repeat(200000),
      "$ a".repeat(70000),
    ];
    for (const s of inputs) {
      const t = performance.now();
      extractAnswer(s);
      expect(performance.now() - t, s.slice(0, 20)).toBeLessThan(500);
    }
  });
});

describe("the one box scanner (text/boxed.ts), read by verification and the quality signals", () => {
  it("both read the same boxes; verification also takes a cut-off last box, the quality count does not", () => {
    const texts = [
      "so \\boxed{1} and \\fbox {2} then \\boxed 3$",
      "\\boxed{\\boxed{1}} \\boxed{\\{4\\}} \\boxed{5",
      "\\boxedfoo{6} \\fboxx \\boxed\n{7}",
      "\\boxed\u00a0{8}, \\boxed\t{9}, \\boxed5",
    ];
    for (const t of texts) {
      const boxes = findBoxes(t);
      const closed = boxes.filter((b) => b.closed).length;
      expect(boxedAnswers(t)).toHaveLength(closed);
      expect(findBoxed(t)).toHaveLength(boxes.length);
    }
    expect(findBoxed(texts[0]!)).toEqual(["1", "2", "3"]);
    expect(findBoxed(texts[1]!)).toEqual(["\\boxed{1}", "\\{4\\}", "5"]);
    expect(boxedAnswers(texts[1]!)).toEqual(["\\boxed{1}", "\\{4\\}"]);
    // `\boxedfoo` and `\fboxx` are other commands; a newline is not a blank between command and brace
    expect(findBoxed(texts[2]!)).toEqual([]);
    // as TeX reads them: no-break space and tab are blanks, and a command name ends before a digit
    expect(findBoxed(texts[3]!)).toEqual(["8", "9", "5"]);
    expect(boxedAnswers(texts[3]!)).toEqual(["8", "9", "5"]);
  });
  it("is linear on 200 KB adversarial inputs", () => {
    const inputs = [
      "\\boxed".repeat(35_000),
      "\\fbox\\boxed".repeat(18_000),
      "\\boxed{}".repeat(25_000),
      "\\boxed{".repeat(30_000),
      "\\fbox{\\boxed{".repeat(15_000) + "}".repeat(30_000),
      "\\boxed " + "\\".repeat(200_000),
      "\\boxed" + " ".repeat(200_000),
    ];
    findBoxes(inputs[0]!.slice(0, 1000)); // warm the JIT
    for (const s of inputs) {
      // CPU time of this process (the machine is shared); a quadratic scan would take minutes here
      let boxes: ReturnType<typeof findBoxes> = [];
      expect(cpuMsOf(() => (boxes = findBoxes(s))), s.slice(0, 20)).toBeLessThan(1000);
      expect(boxes.length).toBeLessThanOrEqual(s.length);
    }
    expect(findBoxes("\\boxed{}".repeat(25_000))).toHaveLength(25_000);
    expect(findBoxes("\\fbox{\\boxed{".repeat(15_000) + "}".repeat(30_000))).toHaveLength(1);
  });
});

describe("Verifier on whole solutions", () => {
  const verifier = new Verifier();
  it("no answer and unterminated reasoning are no_answer, never incorrect", async () => {
    expect(await verifier.verify({ reference: "5", solution: "I am still thinking", unterminated: true })).toMatchObject({ verdict: "no_answer", rule: "unterminated", extracted: null });
    expect(await verifier.verify({ reference: "5", solution: "nothing to see" })).toMatchObject({ verdict: "no_answer", rule: "no_answer" });
  });
  it("annotates extraction rule, deciding rule and time", async () => {
    const v = await verifier.verify({ reference: "\\frac{1}{2}", solution: "Thus $x = \\boxed{0.5}$." });
    expect(v).toMatchObject({ verdict: "correct", extracted: "0.5", extractedBy: "boxed", rule: "numeric" });
    expect(v.ms).toBeGreaterThanOrEqual(0);
  });
  it("keeps conflicting boxes beside the verdict on the last one", async () => {
    const v = await verifier.verify({ reference: "2", solution: "\\boxed{1} ... actually \\boxed{2}" });
    expect(v).toMatchObject({ verdict: "correct", conflicting: ["1", "2"] });
    const w = await verifier.verify({ reference: "2", solution: "\\boxed{\\frac{4}{2}} so \\boxed{2}" });
    expect(w.conflicting).toBeUndefined();
  });
  it("grades a list reference against several boxes", async () => {
    const v = await verifier.verify({ reference: "-2,1", solution: "So $n=\\boxed{-2}$ or $n=\\boxed{1}$." });
    expect(v.verdict).toBe("correct");
    expect(v.rule.startsWith("boxed_all/")).toBe(true);
  });
  it("refuses over-long answers cheaply", async () => {
    const v = await verifier.verify({ reference: "21", solution: `\\boxed{${"9".repeat(5000)}}` });
    expect(v).toMatchObject({ verdict: "timeout", rule: "refused:length" });
  });
});

describe("prose answers and references given as solutions (Math-Verify parity)", () => {
  const verifier = new Verifier();
  it("a final-answer line after the last box wins; a bare value is its own answer", () => {
    expect(extractAnswer("so \\boxed{255}.\n\nFinal Answer: The final answer is $10,455$.")).toMatchObject({ answer: "10,455", rule: "final_answer" });
    expect(extractAnswer("so \\boxed{255}. Final Answer: none")).toMatchObject({ answer: "255", rule: "boxed" });
    expect(extractAnswer("x >= 5")).toMatchObject({ answer: "x >= 5", rule: "bare" });
  });
  it("last_number reads a short text only, never a cut-off one", () => {
    expect(extractAnswer("Soucis : 2,74 $")).toMatchObject({ answer: "2.74", rule: "last_number" });
    expect(extractAnswer("It is 28 percent of it")).toMatchObject({ answer: "28\\%", rule: "last_number" });
    // a long reasoning cut off mid-thought, or a last line with an open bracket: no answer
    expect(extractAnswer("we try another case 7 ".repeat(60))).toBeNull();
    expect(extractAnswer("Expanding: x^2 + y^2 < x^2 + kx + (1/2")).toBeNull();
  });
  it("a reference that is a solution is graded by its answer; an answer reference as written", async () => {
    const sol = "We add the two parts, so the total number of ways is $\\boxed{14{,}916}$ and we are done.";
    expect(await verifier.verify({ reference: sol, solution: "", answer: "14916" })).toMatchObject({ verdict: "correct" });
    expect(await verifier.verify({ reference: sol, solution: "", answer: "14917" })).toMatchObject({ verdict: "incorrect" });
    expect(await verifier.verify({ reference: "$\\boxed{1}\\boxed{2}$", solution: "", answer: "1, 2" })).toMatchObject({ verdict: "correct" });
    // a value written with words is not a solution: "125 miles" stays the reference
    expect(await verifier.verify({ reference: "125 miles", solution: "", answer: "125" })).toMatchObject({ verdict: "correct" });
  });
  it("boxes of a list answer are graded together, never read as a decimal comma", async () => {
    const v = await verifier.verify({ reference: "(2,2),(6,2)", solution: "so \\boxed{(2,2)} \\text{ and } \\boxed{(6,2)}" });
    expect(v).toMatchObject({ verdict: "correct" });
    expect(v.rule.startsWith("boxed_all/")).toBe(true);
    // "\boxed{60} … \boxed{0}" against 60: the last box is 0, and "60, 0" is not 60.0
    expect(await verifier.verify({ reference: "60", solution: "A is \\(\\boxed{60}\\).\n- B is \\(\\boxed{0}\\)." })).toMatchObject({ verdict: "incorrect" });
  });
  it("stays linear on 200 KB references and solutions of the new shapes", () => {
    const rep = (s: string): string => s.repeat(Math.ceil(200_000 / s.length)).slice(0, 200_000);
    const shapes = ["1 and ", "{1,234,567", "1{, }", "so (1/2\n", "12,345.6 ", '\\"', "Therefore the answer is 5. ", "x=1=", "\\approx ", "1 miles ", "Thus $x$.\n\n", "$1 "];
    verifier.verifyFast({ reference: "5", solution: "5" }); // warm the JIT
    for (const s of shapes.map(rep)) {
      const ms = cpuMsOf(() => {
        verifier.verifyFast({ reference: s, solution: s });
        verifier.verifyFast({ reference: "5", solution: s });
      });
      // measured ≤ 60 ms wall for both calls; a quadratic scan would take many seconds
      expect(ms, s.slice(0, 20)).toBeLessThan(2000);
    }
  });
});
