import { defineConfig } from "vitest/config";

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
  },
});
