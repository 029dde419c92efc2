/**
 * The real traces in ../shared/data/traces run through a quickstart-style config without loss: every
 * input line is accounted for, verdicts exist for every rollout, and the harness's own labels mostly
 * agree with ours (the verification issue measures agreement in detail). The one real-data
 * end-to-end run of the suite: all of every file, one run, no worker threads (threads are proven by
 * the tests about them; here they would double the cost).
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sharedData, tempDir } from "../helpers/cli.js";
import { runToEnd } from "../helpers/run.js";
import { duck } from "../helpers/duckdb.js";

const traces = join(sharedData, "traces");
const present = existsSync(join(traces, "skyt1_long_cot_evals.jsonl"));
if (!present) console.warn(`skipping real-trace run: ${traces} not found (../shared/data absent)`);

describe.skipIf(!present)("real traces end to end", () => {
  it("every line of every trace file is kept or dropped with a reason", async () => {
    const d = tempDir("curate-traces-");
    const mix = {
      name: "traces",
      sources: [
        { name: "skyt1", path: join(traces, "skyt1_long_cot_evals.jsonl"), fields: { id: "id", problem: "problem", response: "response", reference: "gt_answer", meta: { correct: "correct", truncated: "truncated", benchmark: "benchmark" } } },
        { name: "short", path: join(traces, "short_cot_baselines_evals.jsonl"), fields: { id: "id", problem: "problem", response: "response", reference: "gt_answer", meta: { correct: "correct", benchmark: "benchmark" } } },
        { name: "r1zero", path: join(traces, "cs336_math_sft_r1zero_format.jsonl"), fields: { id: "id", problem: "problem", response: "response", reference: "gt_answer" } },
      ],
      annotate: { verify: {}, quality: {} },
      filters: { requireCorrect: true, dropTruncated: true, maxRepetition: 0.5 },
      dedupe: { maxRolloutsPerProblem: 8 },
    };
    writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
    // in this process (test/helpers/run.ts): the run's outputs are the point, not the CLI
    const r = await runToEnd(join(d, "mix.json"), join(d, "out"));
    expect(r.stderr).toBe("");
    const m = JSON.parse(readFileSync(join(d, "out", "manifest.json"), "utf8"));
    const lines = (f: string) => readFileSync(join(traces, f), "utf8").split("\n").filter((l) => l.trim()).length;
    expect(m.counts.bySource.skyt1.in).toBe(lines("skyt1_long_cot_evals.jsonl"));
    expect(m.counts.bySource.short.in).toBe(lines("short_cot_baselines_evals.jsonl"));
    expect(m.counts.bySource.r1zero.in).toBe(lines("cs336_math_sft_r1zero_format.jsonl"));
    expect(m.counts.kept + m.counts.dropped).toBe(m.counts.rowsIn);
    // one scan: a verdict on every rollout, and ours vs the harness label on Sky-T1 (labels "True"/"False";
    // avg skips the other sources' nulls)
    const [v] = await duck(`select count(*)::INTEGER as n, count(verdict)::INTEGER as v,
      avg(case when source = 'skyt1' then (case when (verdict = 'correct') = (json_extract(meta, '$.correct')::BOOLEAN) then 1 else 0 end) end) as agree
      from read_parquet('${join(d, "out")}/annotated/*.parquet')`);
    expect(v!.v).toBe(v!.n);
    expect(Number(v!.agree)).toBeGreaterThan(0.9);
  });
});
