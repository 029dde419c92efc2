import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * On a clean clone (CI) vitest has no timings cache and starts files in name order, so a slow file
 * that starts late sets the suite's end: 205 s there against 175 s with the cache. These files start
 * first, slowest first (longest-first packs two workers closest to half the total: the clean-clone
 * run of 2026-12-07 with the 12 slowest listed ended 15 s after half its 345 s of files); the rest,
 * each under 2.5 s, follow in vitest's own order and fill the gaps. Wall seconds within that run.
 */
const SLOW_FIRST = [
  "e2e/resume", // 56.6
  "e2e/hostile-outdir", // 35.8
  "decontam/decontam-workers", // 25.5
  "run/write-parts", // 20.7
  "e2e/run", // 15.8
  "e2e/faults", // 15.4
  "report/report-browser", // 14.7
  "cli/plan", // 13.9
  "io/hostile-parquet", // 12.3
  "report/inspect", // 11.5
  "io/hostile-rows", // 10.2
  "tokens/token-count", // 8.4
  "decontam/decontam-hub", // 7.3
  "e2e/traces", // 7.1
  "e2e/units", // 6.6
  "e2e/duplicate-ids", // 5.9
  "decontam/decontam", // 5.6
  "mix/mix", // 5.4
  "tokens/tokens", // 5.3
  "verify/verify-isolation", // 5.1
  "io/hostile-hub", // 4.7
  "decontam/decontam-warnings", // 4.6
  "io/remote-sources", // 4.1
  "report/audit", // 4.0
  "verify/verify-stage", // 3.3
  "cli/out-file", // 3.2
  "cli/pipe", // 2.8
  "group/minhash-recall", // 2.7
].map((f) => `/test/${f}.test.ts`);

class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((suffix) => f.moduleId.endsWith(suffix));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    const order = await super.sort(files);
    return order.map((f, k) => ({ f, k, r: rank(f) })).sort((a, b) => a.r - b.r || a.k - b.k).map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A test fails on what it asserts, not on how busy the machine is: these limits only end a test
    // that is truly stuck. Every spawned CLI has its own kill timeout (test/helpers/cli.ts), which
    // fails the test first and says what the process was doing.
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: "forks",
    maxWorkers: 2,
    // files share a worker's module cache (no re-import of src/ per file): 434 instead of 484 CPU-s
    // for the suite, 243 instead of 272 s on 2 cores; tests keep no state in modules between files
    isolate: false,
    sequence: { sequencer: SlowFilesFirst },
    // ranks look for each other's markers every 100 ms instead of every 2 s (src/run/context.ts):
    // the multi-rank tests wait for markers, not for the clock (inherited by every spawned CLI)
    env: { CURATE_WAIT_POLL_MS: "100" },
  },
});
