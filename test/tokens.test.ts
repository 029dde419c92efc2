import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { get_encoding } from "tiktoken";
import { countSegmented, loadCounter, keysFor } from "../src/tokens/annotator.js";
import { sharedData } from "./helpers/cli.js";

const traces = join(sharedData, "traces", "skyt1_long_cot_evals.jsonl");

describe("token counts", () => {
  it("match tiktoken's o200k_base exactly on LaTeX-heavy text, including special-token lookalikes", async () => {
    const count = await loadCounter("o200k_base");
    const enc = get_encoding("o200k_base");
    const texts = [
      "Let \\( x = \\frac{1}{2} \\). Then $x^2 + 1 = \\tfrac{5}{4}$, so \\boxed{\\dfrac{5}{4}}.",
      "<|begin_of_thought|>\n\nWait, <|endoftext|> is text here.\n\n<|end_of_thought|>",
      "数学 and Ελληνικά mixed with  double  spaces\n\n\nand newlines\t\ttabs",
    ];
    for (const t of texts) expect(count(t)).toBe(enc.encode_ordinary(t).length);
    enc.free();
  });

  it.skipIf(!existsSync(traces))("segmented counting (cuts before spaces) is exact on real long CoT traces (vs tiktoken)", async () => {
    const { countTokens } = await import("gpt-tokenizer/encoding/o200k_base");
    const count = (t: string) => countSegmented(t, (s) => countTokens(s, { disallowedSpecial: new Set() }), true);
    const enc = get_encoding("o200k_base");
    const lines = readFileSync(traces, "utf8").split("\n").filter(Boolean).slice(0, 60);
    let checked = 0;
    for (const line of lines) {
      const { response } = JSON.parse(line) as { response: string };
      if (response.length < 9000) continue; // long ones exercise the segment cuts
      expect(count(response)).toBe(enc.encode_ordinary(response).length);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    enc.free();
  });

  it("stays fast on 200 KB adversarial input (no spaces, one char, one line repeated)", async () => {
    const count = await loadCounter("o200k_base");
    for (const t of ["a".repeat(200_000), " ".repeat(200_000), "\n".repeat(200_000), "中".repeat(200_000), "é".repeat(200_000), "x7".repeat(100_000), "\\frac{1}{2}".repeat(18_000), "same line again\n".repeat(12_500)]) {
      const t0 = performance.now();
      const n = count(t);
      const ms = performance.now() - t0;
      expect(n).toBeGreaterThan(0);
      expect(ms).toBeLessThan(3000);
    }
  });

  it("countSegmented sums exactly what a counter sees", () => {
    const pieces: string[] = [];
    const text = ("word ".repeat(3000) + "y".repeat(2500) + " tail").trim();
    countSegmented(text, (s) => (pieces.push(s), 0));
    expect(pieces.join("")).toBe(text);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(8192 + 1000);
  });

  it("hash keys ignore formatting but not content", () => {
    expect(keysFor("Find $x$.", "5").exact).toBe(keysFor("find  x.", "5").exact);
    expect(keysFor("Find x.", "5").exact).not.toBe(keysFor("Find x.", "6").exact);
    expect(keysFor("Find x.", "5").problem).toBe(keysFor("Find x.", "6").problem);
  });
});

describe("response tokens from parts", () => {
  it.skipIf(!existsSync(traces))("are within 4 tokens of whole-response tiktoken counts on real traces, and equal reasoning + solution + tags", async () => {
    const { tokensModule } = await import("../src/tokens/annotator.js");
    const enc = get_encoding("o200k_base");
    const annot = await tokensModule.create({ name: "t", seed: 1, tokenizer: "o200k_base", sources: [] }, { baseDir: ".", runDir: ".", seed: 1 });
    const lines = readFileSync(traces, "utf8").split("\n").filter(Boolean).slice(0, 80);
    const batch = lines.map((l, i) => {
      const j = JSON.parse(l) as { problem: string; response: string };
      return { id: String(i), ordinal: i, source: "s", file: "f", row: i, rolloutIndex: 0, problem: j.problem, response: j.response, reference: null, finishReason: null, meta: {} };
    });
    await annot!.annotate(batch);
    let maxDiff = 0;
    for (const r of batch) {
      const whole = enc.encode_ordinary(r.response).length;
      maxDiff = Math.max(maxDiff, Math.abs(whole - r.tokens!.response));
      expect(r.tokens!.response).toBeGreaterThanOrEqual(r.tokens!.reasoning + r.tokens!.solution);
      expect(r.tokens!.problem).toBe(enc.encode_ordinary(r.problem).length);
    }
    expect(maxDiff).toBeLessThanOrEqual(4);
    enc.free();
  });
});
