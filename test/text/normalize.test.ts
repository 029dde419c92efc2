import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { normalizeTrace, normalizeForKey, normalizeForKeyBytes } from "../../src/record/trace.js";
import { Utf8Bytes } from "../../src/text/code-units.js";
import { keysFor, hashKey } from "../../src/tokens/annotator.js";
import { mulberry32, seededHash } from "../../src/text/hash.js";
import { sharedData } from "../helpers/cli.js";
import { cpuMsOf } from "../helpers/cpu.js";

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
  it("keeps text before <think> as the reasoning's first paragraph (a preamble)", () => {
    expect(normalizeTrace("Okay, let me see. \n<think>\nx = 2\n</think>\n\nSo 2.")).toMatchObject({
      format: "think", reasoning: "Okay, let me see.\n\nx = 2", solution: "So 2.", unterminated: false,
    });
    // the real cs336 row: preamble, then a <think>…</think> <answer>…</answer> response
    const cs = "The smallest positive multiple of 32 is 32.\n\n<think> Multiply 32 by 1. </think> <answer>32</answer>";
    expect(normalizeTrace(cs)).toMatchObject({ format: "think_answer", reasoning: "The smallest positive multiple of 32 is 32.\n\nMultiply 32 by 1.", solution: "32" });
    expect(normalizeTrace("Hmm.<|begin_of_thought|>a<|end_of_thought|><|begin_of_solution|>b<|end_of_solution|>")).toMatchObject({ format: "thought", reasoning: "Hmm.\n\na", solution: "b" });
  });
  it("a preamble with an empty or unterminated block, a whitespace-only preamble", () => {
    expect(normalizeTrace("Pre <think> </think> sol")).toMatchObject({ reasoning: "Pre", solution: "sol" });
    expect(normalizeTrace("Pre\n<think>still going")).toMatchObject({ reasoning: "Pre\n\nstill going", solution: "", unterminated: true });
    expect(normalizeTrace("Pre<|begin_of_thought|>cut off")).toMatchObject({ format: "thought", reasoning: "Pre\n\ncut off", unterminated: true });
    expect(normalizeTrace(" \n\t<think>r</think>s")).toMatchObject({ reasoning: "r", solution: "s" });
    // text after the closing tag and before <answer> stays outside the split, as before
    expect(normalizeTrace("<think>r</think> between <answer>a</answer>")).toMatchObject({ reasoning: "r", solution: "a" });
  });
  it("is linear on 200 KB adversarial input", () => {
    const s = "<think>".repeat(30000);
    const ms = cpuMsOf(() => {
      normalizeTrace(s);
      normalizeForKey("\\,".repeat(100000));
    });
    expect(ms).toBeLessThan(500);
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

/**
 * normalizeForKeyBytes (the exact-duplicate key's fast path) must give the UTF-8 bytes of
 * normalizeForKey for any text: fuzz from every case its passes tell apart, then real data.
 */
describe("normalizeForKeyBytes", () => {
  const PIECES = [
    ..."aZbY09 $\\,;:!{}()^_=+-.xqQLRdDtTfF", "\\", "$$", "\\$", "\\ ", "\\,", "\\;", "\\:", "\\!", "\\quad", "\\qquad", "\\Quad",
    "\\quadx", "\\qquadA", "\\q$quad", "\\le$ft", "\\left", "\\Left(", "\\leftarrow", "\\right", "\\RIGHT", "\\rightarrow", "\\right)",
    "\\dfrac", "\\tfrac", "\\DFrac", "\\d$frac", "\\dfra", "\\frac", "\\\\dfrac", "\\,dfrac", " ", "  ", "\t", "\n", "\r\n", "\v", "\f",
    "\u00a0", "\u1680", "\u2003", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u0085",
    "é", "É", "ﬁ", "Ａ", "①", "½", "ǅ", "İ", "Σ", "中", "😀", "\ud800", "\udc00", "\ud83d", "−", "×", "≤", "\u0301",
    "\ufdfa", "㍿", "ﷻ", // NFKC makes these 18, 4 and 8 characters long
  ];
  const kb = new Utf8Bytes();
  const bytes = (t: string) => {
    const n = normalizeForKeyBytes(t, kb); // may replace kb.buf
    return Buffer.from(kb.buf.subarray(0, n));
  };
  it("equals normalizeForKey's UTF-8 on 20,000 fuzzed texts", () => {
    const rnd = mulberry32(7);
    for (let i = 0; i < 20_000; i++) {
      let t = "";
      const parts = 1 + Math.floor(rnd() * 24);
      for (let k = 0; k < parts; k++) t += PIECES[Math.floor(rnd() * PIECES.length)];
      const want = Buffer.from(normalizeForKey(t), "utf8");
      const got = bytes(t);
      if (!got.equals(want)) expect.fail(`${JSON.stringify(t)}: ${JSON.stringify(got.toString())} ≠ ${JSON.stringify(want.toString())}`);
    }
  });
  it("sizes its buffer for text that NFKC makes longer", () => {
    const small = new Utf8Bytes();
    small.buf = new Uint8Array(16);
    const t = "\ufdfa".repeat(1000) + " Find $x$";
    const n = normalizeForKeyBytes(t, small);
    expect(Buffer.from(small.buf.subarray(0, n)).equals(Buffer.from(normalizeForKey(t)))).toBe(true);
    expect(n).toBeGreaterThan(30_000);
  });
  it("grows its buffer for long texts and keeps the keys", () => {
    const t = "Let $x = \\dfrac{1}{2}$\\quad and  ".repeat(20_000);
    expect(bytes(t).equals(Buffer.from(normalizeForKey(t)))).toBe(true);
    expect(keysFor("Find $x$.", t).exact).toBe(hashKey(normalizeForKey("Find $x$.") + "\u0000" + normalizeForKey(t)));
    expect(keysFor("Find $x$.", t).problem).toBe(createHash("sha256").update(normalizeForKey("Find $x$.")).digest("hex").slice(0, 32));
  });
  const dirs = ["traces", "problems", "benchmarks"].map((d) => join(sharedData, d)).filter((d) => existsSync(d));
  /**
   * By default a fixed sample of the texts: every problem, question and answer (short), and the
   * long responses and solutions of the first two rows of each file, of one row in eight (seeded
   * hash of file and row) and of every row with non-ASCII text. CURATE_TEST_FULL=1 checks every text:
   *   CURATE_TEST_FULL=1 npx vitest run test/text/normalize.test.ts
   */
  const FULL = process.env.CURATE_TEST_FULL === "1";
  const LONG = new Set(["response", "solution"]);
  it.skipIf(dirs.length < 3)(`equals normalizeForKey's UTF-8 on ${FULL ? "every" : "a fixed sample of the"} real trace, problem and benchmark text${FULL ? "" : "s"} in ../shared/data`, () => {
    let texts = 0;
    let nonAscii = 0;
    const files = new Set<string>();
    for (const d of dirs) {
      for (const f of readdirSync(d).filter((x) => x.endsWith(".jsonl")).sort()) {
        readFileSync(join(d, f), "utf8").split("\n").forEach((line, i) => {
          if (!line) return;
          const row = JSON.parse(line) as Record<string, unknown>;
          const sampled = FULL || i < 2 || seededHash(5, `${f}:${i}`) % 8 === 0;
          for (const k of ["problem", "question", "response", "solution", "answer"]) {
            const t = row[k];
            if (typeof t !== "string") continue;
            const na = /[^\x00-\x7f]/.test(t);
            if (LONG.has(k) && !sampled && !na) continue;
            if (!bytes(t).equals(Buffer.from(normalizeForKey(t)))) expect.fail(`${f} row ${i + 1}: ${k} differs`);
            texts++;
            files.add(f);
            if (na) nonAscii++;
          }
        });
      }
    }
    expect(files.size).toBeGreaterThanOrEqual(15);
    expect(texts).toBeGreaterThan(20_000);
    expect(nonAscii).toBeGreaterThan(1_000);
  });
});
