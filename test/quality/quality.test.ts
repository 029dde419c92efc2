import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { computeSignals, type TraceView } from "../../src/quality/signals.js";
import { prepareOptions, resolveQualityOptions } from "../../src/quality/options.js";
import { codeUnits } from "../../src/quality/units.js";
import { lineSignals } from "../../src/quality/lines.js";
import { tailRepetition, tokenHashes } from "../../src/quality/tail-loops.js";
import { lzRatio } from "../../src/quality/lz-ratio.js";
import { scriptIndexOf, scriptMask, scriptSignals } from "../../src/quality/scripts.js";
import { boxedAnswers, endsDangling } from "../../src/quality/answers.js";
import { SCRIPTS } from "../../src/quality/types.js";
import { qualityDrop, qualityFilters, qualityModule } from "../../src/quality/annotator.js";
import type { Rollout } from "../../src/record/rollout.js";
import type { MixConfig } from "../../src/config/types.js";
import { cpuMsOf } from "../helpers/cpu.js";

const OPTIONS = prepareOptions(resolveQualityOptions(undefined));

/** deterministic pseudo-random generator (mulberry32) for generated fixtures */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** varied English-like maths prose without loops: sentences built from random words and numbers */
function prose(chars: number, seed: number): string {
  const words = [
    "let", "the", "sum", "of", "roots", "is", "equal", "to", "we", "consider", "triangle", "with", "sides", "and",
    "angle", "so", "therefore", "compute", "value", "when", "x", "y", "n", "prime", "factor", "hence", "check",
    "case", "first", "second", "then", "wait", "maybe", "but", "which", "gives", "modulo", "integer", "area",
  ];
  const r = rng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < chars) {
    const k = 6 + Math.floor(r() * 14);
    const s: string[] = [];
    for (let i = 0; i < k; i++) s.push(r() < 0.2 ? String(Math.floor(r() * 10000)) : words[Math.floor(r() * words.length)]!);
    const sentence = s.join(" ") + (r() < 0.3 ? ".\n\n" : ". ");
    parts.push(sentence);
    len += sentence.length;
  }
  return parts.join("");
}

function thought(reasoning: string, solution: string | null): TraceView {
  return { format: "thought", reasoning, solution: solution ?? "", unterminated: solution === null, solutionUnterminated: false };
}

function rollout(response: string, trace?: TraceView, finishReason: string | null = null): Rollout {
  return {
    id: "t",
    ordinal: 0,
    source: "test",
    file: "x.jsonl",
    row: 0,
    rolloutIndex: 0,
    problem: "p",
    response,
    reference: "1",
    finishReason,
    meta: {},
    trace: trace as Rollout["trace"],
  };
}

describe("truncation", () => {
  it("flags an unterminated reasoning block, finish_reason length and a missing final answer separately", () => {
    const body = prose(3000, 1);
    const open = computeSignals({ response: body, trace: thought(body, null), finishReason: null }, OPTIONS);
    expect(open.unterminated).toBe(true);
    expect(open.truncated).toBe(true);

    const done = computeSignals({ response: body, trace: thought(body, "So the answer is $\\boxed{42}$."), finishReason: "stop" }, OPTIONS);
    expect(done.truncated).toBe(false);
    expect(done.hasFinalAnswer).toBe(true);
    expect(done.boxedCount).toBe(1);

    const length = computeSignals({ response: body, trace: thought(body, "\\boxed{42}"), finishReason: "length" }, OPTIONS);
    expect(length.finishLength).toBe(true);
    expect(length.truncated).toBe(true);

    // no final answer but a clean end: not truncated (requireFinalAnswer handles it)
    const noAnswer = computeSignals({ response: body + "We are done.", trace: thought(body, "We are done."), finishReason: null }, OPTIONS);
    expect(noAnswer.hasFinalAnswer).toBe(false);
    expect(noAnswer.danglingEnd).toBe(false);
    expect(noAnswer.truncated).toBe(false);
    // no final answer and the text stops mid-sentence: cut off
    const cut = computeSignals({ response: body + "Alternatively, maybe I", finishReason: null }, OPTIONS);
    expect(cut.danglingEnd).toBe(true);
    expect(cut.truncated).toBe(true);
    // a dangling end with a final answer is not truncation
    const answered = computeSignals({ response: "so \\boxed{4} and then", finishReason: null }, OPTIONS);
    expect(answered.truncated).toBe(false);

    const phrase = computeSignals({ response: body, trace: thought(body, "Thus the final answer is 7."), finishReason: null }, OPTIONS);
    expect(phrase.hasFinalAnswer).toBe(true);

    const solutionOpen = computeSignals(
      { response: body, trace: { ...thought(body, "To solve"), solutionUnterminated: true }, finishReason: null },
      OPTIONS,
    );
    expect(solutionOpen.unterminated).toBe(true);
  });

  it("a closed non-empty <answer> block is a final answer", () => {
    const t: TraceView = { format: "think_answer", reasoning: "4 * 4 = 16.", solution: "16", unterminated: false, solutionUnterminated: false };
    expect(computeSignals({ response: "<think> 4 * 4 = 16. </think> <answer> 16 </answer>", trace: t, finishReason: null }, OPTIONS).hasFinalAnswer).toBe(true);
    const open: TraceView = { ...t, solutionUnterminated: true };
    const s = computeSignals({ response: "<think> x </think> <answer> 1", trace: open, finishReason: null }, OPTIONS);
    expect(s.hasFinalAnswer).toBe(false);
    expect(s.truncated).toBe(true);
  });

  it("does not count a cut-off \\boxed{ as a final answer", () => {
    expect(boxedAnswers("so \\boxed{\\frac{1}{2")).toEqual([]);
    const s = computeSignals({ response: "x", trace: thought("x", "answer \\boxed{\\frac{1}{2"), finishReason: null }, OPTIONS);
    expect(s.hasFinalAnswer).toBe(false);
  });

  it("endsDangling tells a finished sentence or formula from a cut-off word", () => {
    expect(endsDangling("The answer is $5$.")).toBe(false);
    expect(endsDangling("\\[ \\boxed{3} \\]\n")).toBe(false);
    expect(endsDangling("Alternatively, maybe I")).toBe(true);
    expect(endsDangling("   ")).toBe(true);
  });
});

describe("boxed answers", () => {
  it("extracts nested, normalised and brace-less boxes and detects conflicts", () => {
    expect(boxedAnswers("\\boxed{\\dfrac{1}{2}} and \\boxed{ \\frac{1}{2} }.")).toEqual(["\\frac{1}{2}", "\\frac{1}{2}"]);
    expect(boxedAnswers("\\boxed{\\{1,2\\}}")).toEqual(["\\{1,2\\}"]);
    expect(boxedAnswers("\\boxed 5$ and \\fbox{6}")).toEqual(["5", "6"]);
    expect(boxedAnswers("\\boxedsomething{7}")).toEqual([]);
    expect(boxedAnswers("\\boxed{1.0} \\boxed{1} \\boxed{\\frac{1}{4p^{2}}} \\boxed{\\frac{1}{4p^2}}")).toEqual(["1", "1", "\\frac{1}{4p^2}", "\\frac{1}{4p^2}"]);
    const same = computeSignals({ response: "r", trace: thought("r", "\\boxed{\\left(1,2\\right)} so \\boxed{(1, 2)}"), finishReason: null }, OPTIONS);
    expect(same.boxedCount).toBe(2);
    expect(same.conflictingAnswers).toBe(false);
    const conflict = computeSignals({ response: "r", trace: thought("r", "\\boxed{3} or maybe \\boxed{4}"), finishReason: null }, OPTIONS);
    expect(conflict.distinctBoxed).toBe(2);
    expect(conflict.conflictingAnswers).toBe(true);
  });

  it("only counts boxes in the solution, not in the reasoning", () => {
    const s = computeSignals({ response: "r", trace: thought("try \\boxed{1} no \\boxed{2}", "\\boxed{2}"), finishReason: null }, OPTIONS);
    expect(s.boxedCount).toBe(1);
    expect(s.conflictingAnswers).toBe(false);
  });
});

describe("repetition", () => {
  it("separates a clean trace from one that falls into a loop at the end", () => {
    const clean = prose(20000, 2);
    const block = "Wait, let me reconsider the case n = 3 and check the sum of the roots again carefully.\n\n";
    const looped = prose(12000, 3) + block.repeat(80);
    const a = computeSignals({ response: clean, finishReason: null }, OPTIONS);
    const b = computeSignals({ response: looped, finishReason: null }, OPTIONS);
    expect(a.repetition).toBeLessThan(0.2);
    expect(a.tailLoopTokens).toBeLessThan(100);
    expect(a.tailLzRatio).toBeGreaterThan(0.3);
    expect(b.repetition).toBeGreaterThan(0.8);
    expect(b.tailLoopTokens).toBeGreaterThan(1000);
    expect(b.tailLzRatio).toBeLessThan(0.2); // the 8 K tail still holds ~1 K chars of prose
    expect(b.repeatedParagraphShare).toBeGreaterThan(0.3);
  });

  it("longest paragraph counts non-blank characters between blank lines", () => {
    const text = "short one\n\n" + "x".repeat(50) + "\n" + "y".repeat(30) + "\n\n  \nend";
    expect(lineSignals(text, 16).longestParagraphChars).toBe(80);
  });

  it("repeated line share is character weighted and ignores short lines", () => {
    const text = ["\\[", "x = 1", "\\]", "\\[", "x = 1", "\\]", "This line is long enough to count.", "This line is long enough to count."].join("\n");
    const s = lineSignals(text, 16);
    expect(s.repeatedLineShare).toBeCloseTo(0.5, 5);
  });

  it("tail loop length matches the repeated span of a periodic token stream", () => {
    // 100 distinct tokens, then a 50-token block repeated 4 times: the repeats cover 150 tokens
    const tokens = new Uint32Array(300);
    for (let i = 0; i < 100; i++) tokens[i] = 1000 + i;
    for (let k = 0; k < 4; k++) for (let i = 0; i < 50; i++) tokens[100 + k * 50 + i] = 5000 + i;
    const t = tailRepetition(tokens, 12);
    expect(t.tailLoopTokens).toBe(150);
    expect(t.tailRepeatShare).toBeCloseTo(139 / 289, 6);
  });

  it("tokenises words, punctuation and CJK characters and skips a word cut by the window", () => {
    expect(tokenHashes("abc def", 0).length).toBe(2);
    expect(tokenHashes("abc def", 1).length).toBe(1);
    expect(tokenHashes("\\frac{1}{2}", 0).length).toBe(8);
    expect(tokenHashes("数学题", 0).length).toBe(3);
    expect(tokenHashes("a".repeat(240), 0).length).toBe(10);
  });

  it("reads code units exactly as charCodeAt does (lone surrogates, astral pairs, a buffer that grows)", () => {
    for (const t of ["", "a", "\ud800x\udc00", "😀数\u3000é", "ab".repeat(100_000) + "\udfff"]) {
      const u = codeUnits(t);
      expect(u.length).toBeGreaterThan(t.length);
      let same = true;
      for (let i = 0; i < t.length; i++) if (u[i] !== t.charCodeAt(i)) same = false;
      expect(same).toBe(true);
      expect(u[t.length]).toBe(0); // the sentinel after the text
    }
  });

  it("gives the same signals however the rollouts are ordered (no state left between calls)", () => {
    const texts = ["short text\n\nshort text", "loop ".repeat(3000), "数学".repeat(500) + " mixed Latin", "x", "p\n".repeat(10_000)];
    const fwd = texts.map((t) => JSON.stringify(computeSignals({ response: t, trace: undefined, finishReason: null }, OPTIONS)));
    const rev = [...texts].reverse().map((t) => JSON.stringify(computeSignals({ response: t, trace: undefined, finishReason: null }, OPTIONS))).reverse();
    expect(rev).toEqual(fwd);
  });

  it("LZ ratio: random text near 1, a loop near 0", () => {
    const r = rng(5);
    let random = "";
    for (let i = 0; i < 5000; i++) random += String.fromCharCode(33 + Math.floor(r() * 90));
    expect(lzRatio(random)).toBeGreaterThan(0.9);
    expect(lzRatio("abcdefgh".repeat(1000))).toBeLessThan(0.02);
  });
});

describe("language mixing", () => {
  it("classifies scripts", () => {
    const at = (s: string) => SCRIPTS[scriptIndexOf(s.codePointAt(0)!)] ?? "none";
    expect(at("a")).toBe("latin");
    expect(at("é")).toBe("latin");
    expect(at("α")).toBe("greek");
    expect(at("ж")).toBe("cyrillic");
    expect(at("数")).toBe("cjk");
    expect(at("か")).toBe("cjk");
    expect(at("한")).toBe("cjk");
    expect(at("ب")).toBe("arabic");
    expect(at("ℝ")).toBe("latin");
    expect(at("𝑥")).toBe("latin");
    expect(at("∑")).toBe("none");
    expect(at("7")).toBe("none");
    expect(at("ა")).toBe("other"); // Georgian
  });

  it("reports the overall and the worst-segment foreign share", () => {
    const english = prose(20000, 4);
    const chinese = "或者，也许我需要考虑问题旨在通过区块链实现供应链中的决策支持和分析。".repeat(20);
    const mixed = english + "\n\n" + chinese + "\n\n" + english;
    const mask = scriptMask(["latin", "greek"]);
    const s = scriptSignals(mixed, mask, 200);
    expect(s.foreignShareMax).toBeGreaterThan(0.9);
    expect(s.foreignShare).toBeLessThan(0.1);
    expect(s.foreignShare).toBeGreaterThan(0.01);
    const clean = scriptSignals(english + " with α, β and ℝ", mask, 200);
    expect(clean.foreignShareMax).toBe(0);
    // expected scripts are configurable
    const zh = scriptSignals(chinese, scriptMask(["latin", "cjk"]), 200);
    expect(zh.foreignShare).toBe(0);
    // all-ASCII text skips the scan when Latin is expected, and is scanned (all foreign) when not
    expect(scriptSignals(english, mask, 200)).toEqual({ foreignShare: 0, foreignShareMax: 0, foreignLetters: 0 });
    const notLatin = scriptSignals(english, scriptMask(["cjk"]), 200);
    expect(notLatin.foreignShare).toBe(1);
    expect(notLatin.foreignLetters).toBeGreaterThan(10_000);
  });
});

describe("code share", () => {
  it("counts fenced blocks and obvious code lines, not maths", () => {
    const maths = "Let x = 3.\n\nif we take n = 2, then\n\n\\[ f(x) = x^2 \\]\n\nFor each k we have k + 1 > k.";
    expect(lineSignals(maths, 16).codeShare).toBe(0);
    const code = "Let me compute it.\n\n```python\nimport math\nfor i in range(10):\n    print(i)\n```\n\nSo it is 45.";
    const s = lineSignals(code, 16);
    expect(s.codeBlocks).toBe(1);
    expect(s.codeShare).toBeGreaterThan(0.4);
    expect(s.codeShare).toBeLessThan(0.9);
    expect(lineSignals("def f(n):\n    return n + 1", 16).codeShare).toBe(1);
  });
});

describe("adversarial 200 KB inputs finish in linear time", () => {
  const r = rng(9);
  let noSpace = "";
  const alphabet = "abcxyz0123456789+-=*/^_{}()[]\\$.,;:";
  for (let i = 0; i < 200_000; i++) noSpace += alphabet[Math.floor(r() * alphabet.length)];
  let cjk = "";
  for (let i = 0; i < 200_000; i++) cjk += String.fromCharCode(0x4e00 + Math.floor(r() * 0x5000));
  const cases: [string, string, (s: ReturnType<typeof computeSignals>) => void][] = [
    ["one character repeated", "a".repeat(200_000), (s) => expect(s.tailLzRatio).toBeLessThan(0.05)],
    [
      "one line repeated 10,000 times",
      "Let me check this step again.\n".repeat(10_000).slice(0, 300_000),
      (s) => {
        expect(s.repeatedLineShare).toBeGreaterThan(0.99);
        expect(s.tailLoopTokens).toBeGreaterThan(1000);
      },
    ],
    ["no whitespace at all", noSpace, (s) => expect(s.repetition).toBeLessThan(0.5)],
    ["200 KB of CJK", cjk, (s) => expect(s.foreignShare).toBe(1)],
    ["unclosed boxes and braces", "\\boxed{{{".repeat(25_000), (s) => expect(s.boxedCount).toBe(0)],
    ["200 KB of backslashes", "\\".repeat(200_000), (s) => expect(s.boxedCount).toBe(0)],
    ["25,000 boxes", "\\boxed{1}\\boxed{2}".repeat(12_500), (s) => expect(s.distinctBoxed).toBe(2)],
    ["one fence per line", "```\n".repeat(50_000), (s) => expect(s.codeShare).toBe(1)],
  ];
  for (const [name, text, check] of cases) {
    it(`${name} (${(text.length / 1000).toFixed(0)} K chars)`, () => {
      computeSignals({ response: text.slice(0, 1000), finishReason: null }, OPTIONS); // warm the JIT
      // CPU time of this process (the test machine is shared and often loaded); wall time is logged beside it
      let s: ReturnType<typeof computeSignals> | undefined;
      const t0 = performance.now();
      const ms = cpuMsOf(() => (s = computeSignals({ response: text, trace: thought(text, text), finishReason: null }, OPTIONS)));
      const wall = performance.now() - t0;
      console.log(`adversarial ${name}: ${ms.toFixed(1)} ms CPU (${wall.toFixed(1)} ms wall)`);
      expect(ms).toBeLessThan(1000);
      check(s!);
    });
  }
});

describe("options and schema", () => {
  it("resolves defaults and names the bad key", () => {
    expect(resolveQualityOptions({}).ngram).toBe(12);
    expect(() => resolveQualityOptions({ ngram: 0 })).toThrow(/annotate\.quality\.ngram/);
    expect(() => resolveQualityOptions({ expectedScripts: ["latin", "klingon" as "latin"] })).toThrow(/expectedScripts\[1\]/);
  });

  it("the schema parts accept the documented keys and reject unknown ones", () => {
    const root = fileURLToPath(new URL("../../schemas/parts/", import.meta.url));
    const ajv = new Ajv2020({ strict: false });
    const annotate = ajv.compile(JSON.parse(readFileSync(root + "quality.schema.json", "utf8")));
    expect(annotate({ ngram: 8, tailChars: 4096, expectedScripts: ["latin", "cjk"], segmentLetters: 100 })).toBe(true);
    expect(annotate({ ngrams: 8 })).toBe(false);
    expect(annotate({ expectedScripts: ["klingon"] })).toBe(false);
    const filters = ajv.compile(JSON.parse(readFileSync(root + "filters.quality.schema.json", "utf8")));
    expect(filters({ dropTruncated: true, maxRepetition: 0.5, maxForeignScript: 0.05, maxCodeShare: 0.2, minReasoningChars: 200 })).toBe(true);
    expect(filters({ maxRepetition: 1.5 })).toBe(false);
  });
});

describe("mix file", () => {
  it("the full mix schema (lead's validateMix) accepts the quality keys and names an unknown one", async () => {
    const { validateMix } = await import("../../src/config/load.js");
    const mix = {
      name: "q",
      sources: [{ name: "s", path: "x.jsonl", fields: { problem: "problem", response: "response" } }],
      annotate: { quality: { ngram: 10, expectedScripts: ["latin", "greek", "cyrillic"] } },
      filters: { dropTruncated: true, maxRepetition: 0.5, maxTailLoopTokens: 800, maxForeignScript: 0.2, maxCodeShare: 0.3, maxParagraphChars: 2000, requireFinalAnswer: false },
    };
    const config = validateMix(mix, "q.json");
    expect(qualityFilters(config.filters)).toMatchObject({ dropTruncated: true, maxTailLoopTokens: 800, maxParagraphChars: 2000 });
    expect(() => validateMix({ ...mix, filters: { maxRepetitions: 0.5 } }, "q.json")).toThrow(/maxRepetitions/);
    expect(() => validateMix({ ...mix, annotate: { quality: { tailChars: 10 } } }, "q.json")).toThrow(/tailChars/);
  });
});

describe("annotator and filters", () => {
  const config = { name: "t", seed: 1, tokenizer: "o200k_base", sources: [] } as unknown as MixConfig;

  it("qualityModule annotates a batch and is disabled by enabled: false", async () => {
    const ann = await qualityModule.create(config, { baseDir: "/", runDir: "/", seed: 1 });
    expect(ann).not.toBeNull();
    const batch = [rollout("x", thought("think " + prose(500, 6), "\\boxed{1}")), rollout("y", thought("t", null))];
    await ann!.annotate(batch);
    expect(batch[0]!.quality?.truncated).toBe(false);
    expect(batch[1]!.quality?.truncated).toBe(true);
    const off = await qualityModule.create({ ...config, annotate: { quality: { enabled: false } } }, { baseDir: "/", runDir: "/", seed: 1 });
    expect(off).toBeNull();
  });

  it("qualityDrop returns one reason per filter", () => {
    const opts = OPTIONS;
    const make = (response: string, trace: TraceView, finish: string | null = null): Rollout => {
      const r = rollout(response, trace, finish);
      r.quality = computeSignals({ response, trace, finishReason: finish }, opts);
      return r;
    };
    const good = make(prose(4000, 7), thought(prose(4000, 7), "\\boxed{3}"));
    const all = { dropTruncated: true, maxRepetition: 0.5, maxForeignScript: 0.2, maxCodeShare: 0.3, minReasoningChars: 100 };
    expect(qualityDrop(good, all)).toBeNull();
    expect(qualityDrop(make("x", thought("x", null)), all)?.reason).toBe("quality:truncated");
    const noBox = make(prose(4000, 7), thought(prose(4000, 7), "It is three."));
    expect(qualityDrop(noBox, all)).toBeNull();
    expect(qualityDrop(noBox, { ...all, requireFinalAnswer: true })?.reason).toBe("quality:no_final_answer");
    expect(qualityDrop(make("x", thought("short", "\\boxed{3}")), all)?.reason).toBe("quality:short_reasoning");
    // several different boxes: a signal here, the decision is verification's (dropConflictingAnswers is an
    // alias of dropConflictingBoxed, test/verify/verify-stage.test.ts)
    const twoBoxes = make("x", thought(prose(500, 8), "\\boxed{3} \\boxed{4}"));
    expect(twoBoxes.quality!.conflictingAnswers).toBe(true);
    expect(qualityDrop(twoBoxes, { ...all, dropConflictingAnswers: true } as never)).toBeNull();
    const loop = prose(2000, 9) + "I think that the answer should be checked again.\n\n".repeat(100);
    expect(qualityDrop(make(loop, thought(loop, "\\boxed{3}")), all)?.reason).toBe("quality:repetition");
    const zh = prose(2000, 10) + "我需要重新考虑这个问题的条件。".repeat(30);
    const mixDrop = qualityDrop(make(zh, thought(zh, "\\boxed{3}")), all);
    expect(mixDrop?.reason).toBe("quality:language_mix");
    expect(mixDrop?.detail).toMatch(/expected scripts/);
    const code = prose(300, 11) + "\n```python\n" + Array.from({ length: 50 }, (_, i) => `v${i} = v${i - 1} * ${i} + ${i * i}`).join("\n") + "\n```\n";
    expect(qualityDrop(make(code, thought(code, "\\boxed{3}")), all)?.reason).toBe("quality:code");
    const wall = make("A".repeat(3000) + "\n\nok.", thought("A".repeat(3000), "\\boxed{3}"));
    expect(qualityDrop(wall, { maxParagraphChars: 2000 })?.reason).toBe("quality:long_paragraph");
    expect(qualityDrop(wall, { maxParagraphChars: 5000 })).toBeNull();
    // thresholds change the decision without recomputing
    expect(qualityDrop(make(code, thought(code, "\\boxed{3}")), { maxCodeShare: 0.99 })).toBeNull();
    // minReasoningTokens reads record.tokens
    const tok = make(prose(4000, 12), thought(prose(4000, 12), "\\boxed{3}"));
    tok.tokens = { problem: 5, reasoning: 40, solution: 3, response: 43 };
    expect(qualityDrop(tok, { minReasoningTokens: 100 })?.reason).toBe("quality:short_reasoning");
    expect(qualityDrop(tok, { minReasoningTokens: 10 })).toBeNull();
  });

  it("qualityFilters rejects a wrong type naming the key", () => {
    expect(() => qualityFilters({ maxRepetition: "high" } as never)).toThrow(/filters\.maxRepetition/);
    expect(qualityFilters({ dropTruncated: true, maxReasoningTokens: 5 })).toEqual({ dropTruncated: true });
  });

  it("a record without a trace is read as a plain trace", () => {
    const s = computeSignals({ response: "Thinking... so the answer is \\boxed{12}.", finishReason: null }, OPTIONS);
    expect(s.reasoningBlock).toBe(false);
    expect(s.hasFinalAnswer).toBe(true);
    expect(s.reasoningChars).toBe(s.solutionChars);
  });
});

describe("final answer position", () => {
  it("a box far from the end of a long plain trace is not its final answer", () => {
    const early = "so \\boxed{5} for now. " + prose(6000, 13) + "and then we";
    const s = computeSignals({ response: early, finishReason: null }, OPTIONS);
    expect(s.boxedCount).toBe(1);
    expect(s.hasFinalAnswer).toBe(false);
    expect(s.truncated).toBe(true);
    const late = prose(6000, 13) + " Hence \\boxed{5}. A short remark follows";
    expect(computeSignals({ response: late, finishReason: null }, OPTIONS).truncated).toBe(false);
  });
});
