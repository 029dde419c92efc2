import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { normalizeTrace } from "../../src/record/trace.js";
import { computeSignals } from "../../src/quality/signals.js";
import { prepareOptions, resolveQualityOptions } from "../../src/quality/options.js";

const TRACES = fileURLToPath(new URL("../../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url));

interface SkyRow {
  id: string;
  response: string;
  truncated: boolean | string;
  correct: boolean;
}

describe.skipIf(!existsSync(TRACES))("Sky-T1 long-CoT traces (skipped when ../shared/data/traces/skyt1_long_cot_evals.jsonl is absent)", () => {
  const rows = existsSync(TRACES)
    ? readFileSync(TRACES, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as SkyRow)
    : [];
  const options = prepareOptions(resolveQualityOptions(undefined));
  const items = rows.map((r) => {
    const trace = normalizeTrace(r.response);
    return { r, trace, q: computeSignals({ response: r.response, trace, finishReason: null }, options) };
  });
  const label = (r: SkyRow): boolean => r.truncated === true || r.truncated === "True";

  // The file's `truncated` field means "never reached <|end_of_solution|>". A solution block that lost
  // its closing tag after a complete answer (generation stopped at the stop string, or a tag fragment
  // such as `<|end_of_` left) is not cut off (quality/truncation.ts): read by hand, e.g.
  // Sky-T1-math-correct-5K-27B/math500/434 ends `\(\boxed{32}\).<|end_of_`,
  // Sky-T1-math-wrong-5K-27B/minerva_math/55 ends `\( \boxed{0.32968 \text{ bits per second}} \).`
  const tagOnly = (it: (typeof items)[number]): boolean =>
    label(it.r) && !it.trace.unterminated && it.trace.solutionUnterminated === true && it.q.hasFinalAnswer && !it.q.danglingEnd;

  it("truncation signal against the `truncated` field on tagged traces", () => {
    const tagged = items.filter((it) => it.trace.format === "thought");
    let tp = 0, fp = 0, fn = 0, tn = 0;
    for (const it of tagged) {
      const y = label(it.r);
      if (y && it.q.truncated) tp++;
      else if (!y && it.q.truncated) fp++;
      else if (y) fn++;
      else tn++;
    }
    const complete = tagged.filter(tagOnly);
    console.log(`tagged traces: TP ${tp} FP ${fp} FN ${fn} TN ${tn}; of the FN, ${complete.length} lost only the closing tag after a complete answer`);
    expect(tp + fn).toBeGreaterThan(100);
    expect(fp).toBe(0);
    // every miss is a complete solution that lost its closing tag; every trace whose reasoning never closed is caught
    expect(fn).toBe(complete.length);
    for (const it of complete) expect(it.q.truncated, it.r.id).toBe(false);
    expect(complete.map((it) => it.r.id)).toEqual(expect.arrayContaining(["Sky-T1-math-correct-5K-27B/math500/434", "Sky-T1-math-wrong-5K-27B/minerva_math/55"]));
    expect(complete.length).toBeLessThan(50);
    for (const it of tagged.filter((t) => t.trace.unterminated)) expect(it.q.truncated, it.r.id).toBe(true);
    expect(tp / (tp + fp)).toBeGreaterThan(0.99); // precision
  });

  it("a solution block that lost its tag is still cut off when it stops mid-sentence or has no answer", () => {
    const open = items.filter((it) => it.trace.format === "thought" && !it.trace.unterminated && it.trace.solutionUnterminated === true);
    const cut = open.filter((it) => it.q.truncated);
    expect(cut.length).toBeGreaterThan(20);
    for (const it of cut) expect(!it.q.hasFinalAnswer || it.q.danglingEnd, it.r.id).toBe(true);
  });

  it("plain traces flagged as truncated end mid-sentence or in a loop", () => {
    // the file's `truncated` field is derived from the tags and is false for every plain trace
    const flagged = items.filter((it) => it.trace.format === "plain" && it.q.truncated);
    expect(flagged.length).toBeGreaterThan(0);
    for (const it of flagged) expect(it.q.danglingEnd && !it.q.hasFinalAnswer, it.r.id).toBe(true);
  });

  it("the loop detector fires on many truncated traces and almost never on clean correct ones", () => {
    const loop = (q: (typeof items)[number]["q"]): boolean => q.tailLoopTokens > 400 || q.repetition > 0.5;
    const truncated = items.filter((it) => label(it.r));
    const clean = items.filter((it) => !label(it.r) && it.trace.format === "thought" && it.r.correct);
    const hitTruncated = truncated.filter((it) => loop(it.q)).length / truncated.length;
    const hitClean = clean.filter((it) => loop(it.q)).length / clean.length;
    console.log(`loop hits: truncated ${(hitTruncated * 100).toFixed(1)}%, clean correct tagged ${(hitClean * 100).toFixed(1)}%`);
    expect(hitTruncated).toBeGreaterThan(0.5);
    expect(hitClean).toBeLessThan(0.02);
  });
});
