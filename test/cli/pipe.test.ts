/**
 * A reader that stops early (`curate dedupe rows.jsonl | head -1`): the command ends quietly with
 * status 0 (src/cli/main.ts), not with a stack trace (an unhandled EPIPE 'error' event) or
 * "curate: write EPIPE" and status 1. The child's stdout is closed after its first chunk; each child
 * is killed if it runs past 60 s.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quickstartVariant, repoRoot, tempDir } from "../helpers/cli.js";

const MAIN = join(repoRoot, "dist", "cli", "main.js");

/** the CLI with its stdout (or stderr) closed after the first chunk it writes: exit code, signal, the other stream */
function readFirstChunk(args: string[], close: "stdout" | "stderr" = "stdout"): Promise<{ code: number | null; signal: string | null; stderr: string; chunks: number }> {
  const p = spawn(process.execPath, [MAIN, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let chunks = 0;
  const closed = close === "stdout" ? p.stdout : p.stderr;
  (close === "stdout" ? p.stderr : p.stdout).on("data", (d) => (stderr += d));
  closed.on("data", () => {
    if (chunks++ === 0) closed.destroy(); // the reader goes away, as head does
  });
  const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, chunks });
    }),
  );
}

describe("stdout closed by the reader", () => {
  const dir = tempDir("curate-pipe-");
  const rows = join(dir, "rows.jsonl");
  // ~600 KB of output lines: far more than a pipe holds, so the writer meets the closed pipe
  const lines = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ id: `r${i}`, problem: `Find the number ${i} of ways to colour ${i % 97} beads on a ring of ${i % 13} colours.` }));
  writeFileSync(rows, lines.join("\n") + "\n");
  const bench = join(dir, "bench.jsonl");
  writeFileSync(bench, JSON.stringify({ id: "b1", problem: "How many positive divisors does 3600 have, counting 1 and 3600 itself?" }) + "\n");

  it("ends `curate dedupe` and `curate decontaminate --all` with status 0 and nothing on stderr about the pipe", async () => {
    for (const args of [
      ["dedupe", rows],
      ["decontaminate", rows, "--all", "--benchmarks", `b=${bench}`, "--workers", "0"],
    ]) {
      const r = await readFirstChunk(args);
      expect(r.signal, `${args[0]}: killed after 60 s`).toBeNull();
      expect(r.stderr, args[0]).not.toMatch(/EPIPE|Error|at /);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
  });

  it("lets `curate run` finish every file when its stderr reader goes away after the first progress line", async () => {
    const mix = join(dir, "mix.json");
    writeFileSync(mix, JSON.stringify({ ...quickstartVariant("pipe", { path: join(repoRoot, "data-samples", "rollouts.jsonl"), limit: 12 }), filters: {} }));
    const out = join(dir, "run");
    const r = await readFirstChunk(["run", mix, "--out", out, "--workers", "0", "--json"], "stderr");
    expect(r.signal, "killed after 60 s").toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stderr).finished).toBe(true); // stdout (read here) got the run's summary
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.counts.rowsIn).toBe(12);
    expect(manifest.counts.kept + manifest.counts.dropped).toBe(12);
  });
});
