/**
 * The matcher's alignments (coverage.ts, verify.ts) walk only the window columns that can change a
 * score row (gapPenalty ≥ 0, the default); with `allColumns` the same walk visits every column — the
 * full quadratic recurrence, used for a negative gapPenalty, where the shortcut does not apply. This
 * test runs the matcher on planted copies and clean problems with every coverage and verification
 * alignment done both ways, and requires the same results.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain JS module shared with the benches
import { plantedSet, loadBenchmark } from "../../bench/decontam-planted.mjs";
import { ContaminationIndex } from "../../src/decontam/benchmark-index.js";
import { builtinCommonNgrams } from "../../src/decontam/common.js";
import { CoverageAligner } from "../../src/decontam/coverage.js";
import { MatchVerifier } from "../../src/decontam/verify.js";
import type { TokenStream } from "../../src/decontam/token-stream.js";

const data = join(__dirname, "..", "..", "..", "shared", "data");
const have = existsSync(join(data, "benchmarks", "math500.jsonl")) && existsSync(join(data, "problems"));
const NAMES = ["math500", "aime2024", "aime2025", "amc2023"];

describe("sparse and full alignment walks", () => {
  it.skipIf(!have)("give the same coverage and the same aligned tokens on every call while matching planted and clean rows (needs ../shared/data)", () => {
    const problems = NAMES.flatMap((n: string) => loadBenchmark(join(data, "benchmarks"), n));
    const index = ContaminationIndex.build(problems, {}, builtinCommonNgrams());
    const { positives, negatives } = plantedSet(join(data, "benchmarks"), join(data, "problems"), NAMES) as { positives: { text: string }[]; negatives: { text: string }[] };
    const coverage = CoverageAligner.prototype.coverage;
    const align = MatchVerifier.prototype.align;
    let alignCalls = 0;
    let exactCalls = 0; // calls whose result is exact (need 0, or need reached)
    let verifyCalls = 0;
    let mismatch = "";
    CoverageAligner.prototype.coverage = function (this: CoverageAligner, ts: TokenStream, it: number, first: number, last: number, masked: boolean, need = 0) {
      const full = this.walk(ts, it, first, last, masked, need, true);
      const sparse = this.walk(ts, it, first, last, masked, need, false);
      alignCalls++;
      // with need > 0 either may stop early with some value below need; reaching need, or need 0, is exact
      if (need === 0 || sparse >= need || full >= need) {
        exactCalls++;
        if (sparse !== full && !mismatch) mismatch = `coverage: sparse ${sparse}, full ${full} (need ${need})`;
      }
      return sparse;
    };
    MatchVerifier.prototype.align = function (this: MatchVerifier, ts: TokenStream, bs: number, L: number, from: number, W: number, allColumns: boolean) {
      expect(allColumns).toBe(false); // default options: the sparse walk
      const outcome = () => [Array.from(this.benchAligned.subarray(0, L)), Array.from(this.rowAligned.subarray(0, W)), this.rowFirst, this.rowLast];
      align.call(this, ts, bs, L, from, W, true);
      const full = outcome();
      align.call(this, ts, bs, L, from, W, false);
      verifyCalls++;
      if (JSON.stringify(outcome()) !== JSON.stringify(full) && !mismatch) mismatch = `verification alignment differs (L ${L}, W ${W})`;
    };
    let flagged = 0;
    try {
      for (const row of [...positives, ...negatives.slice(0, 2000)]) if (index.match(row.text).length) flagged++;
    } finally {
      CoverageAligner.prototype.coverage = coverage;
      MatchVerifier.prototype.align = align;
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
