/**
 * The matcher's alignments have two forms: a sparse walk (gapPenalty ≥ 0, the default) and the full
 * quadratic recurrence, kept for a negative gapPenalty where the walk does not apply. Both compute the
 * same recurrence; this test runs the matcher on planted copies and clean problems with every
 * alignment and verification call done both ways, and requires the same results.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain JS module shared with the benches
import { plantedSet, loadBenchmark } from "../bench/decontam-planted.mjs";
import { ContaminationIndex } from "../src/decontam/benchmark-index.js";
import { builtinCommonNgrams } from "../src/decontam/common.js";

const data = join(__dirname, "..", "..", "shared", "data");
const have = existsSync(join(data, "benchmarks", "math500.jsonl")) && existsSync(join(data, "problems"));
const NAMES = ["math500", "aime2024", "aime2025", "amc2023"];

describe("dense and sparse alignments", () => {
  it.skipIf(!have)("give the same coverage and the same aligned tokens on every call while matching planted and clean rows (needs ../shared/data)", () => {
    const problems = NAMES.flatMap((n: string) => loadBenchmark(join(data, "benchmarks"), n));
    const index = ContaminationIndex.build(problems, {}, builtinCommonNgrams());
    const { positives, negatives } = plantedSet(join(data, "benchmarks"), join(data, "problems"), NAMES) as { positives: { text: string }[]; negatives: { text: string }[] };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const proto = ContaminationIndex.prototype as any;
    const align = proto.alignCoverage;
    const verify = proto.verifyAlign;
    let alignCalls = 0;
    let exactCalls = 0; // calls whose result is exact (need 0, or need reached)
    let verifyCalls = 0;
    let mismatch = "";
    proto.alignCoverage = function (this: any, ...args: unknown[]) {
      const need = (args[5] as number | undefined) ?? 0;
      const dense = this.alignCoverageDense(...args.slice(0, 5), need);
      const sparse = align.apply(this, args);
      alignCalls++;
      // with need > 0 either may stop early with some value below need; reaching need, or need 0, is exact
      if (need === 0 || sparse >= need || dense >= need) {
        exactCalls++;
        if (sparse !== dense && !mismatch) mismatch = `alignCoverage: sparse ${sparse}, dense ${dense} (need ${need})`;
      }
      return sparse;
    };
    proto.verifyAlign = function (this: any, ...args: unknown[]) {
      const [, , L, , W] = args as number[];
      this.verifyAlignDense(...args);
      const d = [Array.from(this.vBenchAligned.subarray(0, L)), Array.from(this.vRowAligned.subarray(0, W)), this.vRowFirst, this.vRowLast];
      verify.apply(this, args);
      const s = [Array.from(this.vBenchAligned.subarray(0, L)), Array.from(this.vRowAligned.subarray(0, W)), this.vRowFirst, this.vRowLast];
      verifyCalls++;
      if (JSON.stringify(s) !== JSON.stringify(d) && !mismatch) mismatch = `verifyAlign differs (L ${L}, W ${W})`;
    };
    let flagged = 0;
    try {
      for (const row of [...positives, ...negatives.slice(0, 2000)]) if (index.match(row.text).length) flagged++;
    } finally {
      proto.alignCoverage = align;
      proto.verifyAlign = verify;
    }
    expect(mismatch).toBe("");
    // measured: 1,502 alignments (1,204 compared exactly: they reached their threshold), 1,143
    // verifications, 2,908 of 4,960 rows flagged
    expect(flagged).toBeGreaterThan(2500);
    expect(alignCalls).toBeGreaterThan(1200);
    expect(exactCalls).toBeGreaterThan(1000);
    expect(verifyCalls).toBeGreaterThan(1000);
  });
});
