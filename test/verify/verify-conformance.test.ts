/**
 * Conformance with Math-Verify's own test suite (github.com/huggingface/Math-Verify, tests/), the field's
 * reference for what counts as equal. test/fixtures/math-verify-cases.json holds its cases (converted by
 * scripts/math-verify-cases.mjs; upstream file, test, index and commit in each id and the header). Every
 * in-scope case goes through what `curate verify --gold G --pred P` runs (pairInput: the prediction is
 * a model's response, its answer extracted; the reference is the gold as written), and curate's verdict
 * `correct` must agree with Math-Verify's expected 1, any other verdict with 0.
 */
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Verifier } from "../../src/verify/verifier.js";
import { pairInput } from "../../src/cli/verify.js";
import { repoRoot } from "../helpers/cli.js";

interface Case {
  id: string;
  gold: string | null;
  pred: string;
  expected: number | string[];
  params: { precision?: number };
  scope: "in" | "out";
  reason?: string;
}

const fixture = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "math-verify-cases.json"), "utf8")) as { commit: string; cases: Case[] };
const inScope = fixture.cases.filter((c) => c.scope === "in");
const outOfScope = fixture.cases.filter((c) => c.scope === "out");

/**
 * Math-Verify's float_rounding (decimals both sides are rounded to, default 6) against curate's relTol:
 * the default runs with curate's default (1e-4); a test that sets another precision p gets half a unit
 * of the p-th decimal, 0.5·10^-p, as a relative tolerance (rounding to p decimals tolerates that much:
 * 0.3333 is 1/3 at p = 4, 0.333 is not).
 */
function relTolFor(precision: number | undefined): number | undefined {
  return precision === undefined || precision === 6 ? undefined : 10 ** -precision * (1 + 1e-6);
}

describe("Math-Verify conformance (test/fixtures/math-verify-cases.json)", () => {
  const verifiers = new Map<number | undefined, Verifier>();
  const verifierFor = (relTol: number | undefined): Verifier => {
    let v = verifiers.get(relTol);
    if (!v) verifiers.set(relTol, (v = new Verifier({ timeoutMs: 5000, ...(relTol !== undefined ? { relTol } : {}) })));
    return v;
  };
  afterAll(async () => {
    for (const v of verifiers.values()) await v.close();
  });

  it("the fixture names its source and keeps the out-of-scope list short, each with a reason", () => {
    expect(fixture.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(inScope.length).toBeGreaterThan(250);
    expect(outOfScope.length).toBeLessThanOrEqual(12);
    for (const c of outOfScope) expect(c.reason, c.id).toMatch(/\S{10}/);
    for (const c of inScope) expect([0, 1], c.id).toContain(c.expected);
  });

  it("agrees with Math-Verify's expected result on >= 99 % of the in-scope cases", async () => {
    const misses: string[] = [];
    for (const c of inScope) {
      const v = await verifierFor(relTolFor(c.params.precision)).verify(pairInput(c.gold!, c.pred));
      const ours = v.verdict === "correct" ? 1 : 0;
      if (ours !== c.expected) {
        misses.push(`${c.id}: expected ${c.expected}, curate ${v.verdict} (${v.rule}; extracted ${JSON.stringify(v.extracted)}; gold ${JSON.stringify(c.gold!.slice(0, 80))})`);
      }
    }
    const agree = inScope.length - misses.length;
    const pct = (100 * agree) / inScope.length;
    console.log(`Math-Verify conformance: ${agree}/${inScope.length} = ${pct.toFixed(1)}% (in scope), ${outOfScope.length} out of scope`);
    if (misses.length > 0) console.log(`disagreements:\n  ${misses.join("\n  ")}`);
    expect(pct, `disagreements:\n  ${misses.join("\n  ")}`).toBeGreaterThanOrEqual(99);
  }, 120_000);
});
