import { describe, expect, it } from "vitest";
import { normalizeTrace, normalizeForKey } from "../src/trace/normalize.js";

describe("normalizeTrace", () => {
  it("splits Sky-T1 thought/solution tags", () => {
    const t = normalizeTrace("<|begin_of_thought|>\nthink hard\n<|end_of_thought|>\n<|begin_of_solution|>\nso \\boxed{3}\n<|end_of_solution|>");
    expect(t).toMatchObject({ format: "thought", reasoning: "think hard", solution: "so \\boxed{3}", unterminated: false, solutionUnterminated: false });
  });
  it("marks an unterminated thought block and leaves the solution empty", () => {
    const t = normalizeTrace("<|begin_of_thought|>\nstill thinking about \\boxed{4}");
    expect(t.unterminated).toBe(true);
    expect(t.solution).toBe("");
    expect(t.reasoning).toContain("still thinking");
  });
  it("splits <think>…</think> solution", () => {
    const t = normalizeTrace("<think>a\nb</think>\n\nThe answer is $\\boxed{5}$.");
    expect(t).toMatchObject({ format: "think", reasoning: "a\nb", solution: "The answer is $\\boxed{5}$.", unterminated: false });
  });
  it("handles a lone </think> (opening tag in the prompt)", () => {
    const t = normalizeTrace("reasoning here</think>final");
    expect(t).toMatchObject({ format: "think", reasoning: "reasoning here", solution: "final" });
  });
  it("splits <think>…</think><answer>…</answer>", () => {
    const t = normalizeTrace("<think>r</think> <answer>42</answer>");
    expect(t).toMatchObject({ format: "think_answer", reasoning: "r", solution: "42", solutionUnterminated: false });
    expect(normalizeTrace("<think>r</think> <answer>42").solutionUnterminated).toBe(true);
  });
  it("marks an unterminated <think>", () => {
    const t = normalizeTrace("<think>going on and on");
    expect(t).toMatchObject({ format: "think", unterminated: true, solution: "" });
  });
  it("treats untagged text as the solution", () => {
    expect(normalizeTrace("  just 5 ")).toMatchObject({ format: "plain", reasoning: null, solution: "just 5", unterminated: false });
  });
  it("is linear on 200 KB adversarial input", () => {
    const s = "<think>".repeat(30000);
    const t0 = performance.now();
    normalizeTrace(s);
    normalizeForKey("\\,".repeat(100000));
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe("normalizeForKey", () => {
  it("ignores case, whitespace, $ and LaTeX spacing", () => {
    expect(normalizeForKey("Find  $x$ if\n$2x=4$.")).toBe(normalizeForKey("find x if 2x=4."));
    expect(normalizeForKey("\\dfrac{1}{2}\\,")).toBe(normalizeForKey("\\frac{1}{2}"));
  });
  it("keeps different numbers different", () => {
    expect(normalizeForKey("2x=4")).not.toBe(normalizeForKey("2x=5"));
  });
});
