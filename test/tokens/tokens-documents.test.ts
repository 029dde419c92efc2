/**
 * The data products' documents are encoded piecewise (src/mix/text.ts documentPieces: each template
 * literal, the problem, the response — or THINK_OPEN, reasoning, THINK_CLOSE, solution — on its own),
 * and their budgets are planned from the stored counts (src/mix/table.ts responseTokensAs). The ids
 * of a document must number exactly literal tokens + tokens.problem + tokens.response (or the think
 * pieces' stored counts), decode to the rendered text, and the response's ids be tiktoken's.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { get_encoding } from "tiktoken";
import { documentPieces, loadEncoder, render, renderResponse, THINK_CLOSE, THINK_OPEN } from "../../src/mix/text.js";
import { encodeWith } from "../../src/mix/encode-core.js";
import { tokensModule } from "../../src/tokens/annotator.js";
import type { Template } from "../../src/config/outputs.js";
import type { Rollout } from "../../src/record/rollout.js";
import { mulberry32 } from "../../src/text/hash.js";
import { sharedData } from "../helpers/cli.js";

const rollout = (id: string, problem: string, response: string): Rollout => ({ id, ordinal: 0, source: "s", file: "f", row: 1, rolloutIndex: 0, problem, response, reference: null, finishReason: null, meta: {} });

/** Up to `per` rows of each trace file, and every row whose response has text before its opening tag. */
function realRows(per: number): Rollout[] {
  const dir = join(sharedData, "traces");
  const out: Rollout[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    readFileSync(join(dir, f), "utf8").split("\n").forEach((l, i) => {
      if (!l) return;
      const j = JSON.parse(l) as { problem: string; response: string };
      const open = Math.max(j.response.indexOf("<think>"), j.response.indexOf("<|begin_of_thought|>"));
      if (i < per || (open > 0 && j.response.slice(0, open).trim())) out.push(rollout(`${f}:${i + 1}`, j.problem, j.response));
    });
  }
  return out;
}

function fuzzRows(n: number): Rollout[] {
  const bits = ["<think>", "</think>", "<answer>", "</answer>", "<|begin_of_thought|>", "<|end_of_thought|>", " ", "\n", "\n\n", " \n", "\t", ".", "Okay", " so", "'s", "42", "\\boxed{7}", "é", "中", "😀", "\ufeff", "\u0085"];
  const rnd = mulberry32(77);
  return Array.from({ length: n }, (_, i) => {
    let t = "";
    for (let j = Math.floor(rnd() * 30); j >= 0; j--) t += bits[Math.floor(rnd() * bits.length)];
    return rollout(`fuzz:${i}`, `Find x.${" ".repeat(i % 3)}`, t);
  });
}

const TEMPLATES: Template[] = [
  { literals: ["<|user|>", "<|end|><|assistant|>", "<|end|>"], slots: ["problem", "response"] },
  { literals: ["", "\n\n", ""], slots: ["problem", "response"] },
  { literals: ["Answer: ", " | Question:", "."], slots: ["response", "problem"] },
];

describe("document token counts (midtrain, SFT, DPO pieces)", () => {
  it.skipIf(!existsSync(join(sharedData, "traces")))("equal literal + stored problem + stored response tokens, raw and think, on real and fuzzed rows", async () => {
    const enc = await loadEncoder("o200k_base");
    const tiktoken = get_encoding("o200k_base");
    const annot = await tokensModule.create({ name: "t", seed: 1, tokenizer: "o200k_base", sources: [] } as never, { baseDir: ".", runDir: ".", seed: 1 });
    // 8 rows a file (and every preamble row): Sky-T1's responses average 70 KB, each encoded eight times
    // here (40 rows a file were 3 MB of text)
    const rows = [...realRows(8), ...fuzzRows(2000)];
    await annot!.annotate(rows);
    const open = enc.count(THINK_OPEN);
    const close = enc.count(THINK_CLOSE);
    let preambles = 0;
    for (const r of rows) {
      const tk = r.tokens!;
      const ids = enc.encode(r.response);
      const ref = tiktoken.encode_ordinary(r.response);
      if (ids.length !== ref.length || ids.some((x, i) => x !== ref[i])) expect.fail(`${r.id}: the response's ids are not tiktoken's`);
      expect(ids.length, r.id).toBe(tk.response);
      const think = r.trace!.reasoning === null ? tk.response : open + tk.reasoning + close + tk.solution;
      if (r.trace!.reasoning && !r.response.includes(r.trace!.reasoning)) preambles++;
      for (const [k, t] of TEMPLATES.entries()) {
        const literal = t.literals.reduce((a, l) => a + enc.count(l), 0);
        for (const thinkFormat of [false, true]) {
          const doc = encodeWith(enc, documentPieces(t, r, thinkFormat));
          const want = literal + tk.problem + (thinkFormat ? think : tk.response);
          if (doc.length !== want) expect.fail(`${r.id} template ${k} think=${thinkFormat}: ${doc.length} ids, stored counts give ${want}`);
          // decoding is slow; one template shows the ids are the text
          if (k === 0 && enc.decode(doc) !== render(t, r.problem, renderResponse(r, thinkFormat ? "think" : "raw"))) expect.fail(`${r.id} template ${k} think=${thinkFormat}: the ids do not decode to the document`);
        }
      }
    }
    expect(preambles).toBeGreaterThan(10); // the cs336 row and fuzzed preambles went through the think path
    tiktoken.free();
  });

  it("writes a preamble into the think format before the block text, and raw as written", async () => {
    const r = rollout("p", "Q", "Okay, let me see.\n<think>\nx = 2\n</think>\n\nSo 2.");
    expect(renderResponse(r, "think")).toBe("<think>\nOkay, let me see.\n\nx = 2\n</think>\n\nSo 2.");
    expect(renderResponse(r, "raw")).toBe(r.response);
  });
});
