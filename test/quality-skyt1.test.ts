import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { normalizeTrace } from "../src/record/trace.js";
import { computeSignals } from "../src/quality/signals.js";
import { prepareOptions, resolveQualityOptions } from "../src/quality/options.js";

const TRACES = fileURLToPath(new URL("../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url));

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
    console.log(`tagged traces: TP ${tp} FP ${fp} FN ${fn} TN ${tn}`);
    expect(tp + fn).toBeGreaterThan(100);
    expect(tp / (tp + fn)).toBeGreaterThan(0.99); // recall
    expect(tp / (tp + fp)).toBeGreaterThan(0.95); // precision
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
