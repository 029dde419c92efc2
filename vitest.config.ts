import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * On a clean clone (CI) vitest has no timings cache and starts files in name order, so a slow file
 * that starts late sets the suite's end: 205 s there against 175 s with the cache. These files start
 * first, slowest first (wall within the suite, measured); the rest follow in vitest's own order.
 */
const SLOW_FIRST = [
  "e2e/resume",
  "e2e/hostile-outdir",
  "decontam/decontam-workers",
  "e2e/run",
  "cli/plan",
  "run/write-parts",
  "report/report-browser",
  "e2e/faults",
  "e2e/units",
  "io/hostile-rows",
  "io/hostile-parquet",
  "report/inspect",
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
