/**
 * Isolation of the symbolic layer: compute-engine loads on this Node, the worker has a hard per-item
 * timeout (terminate + respawn), pathological inputs end as `timeout` (or a cheap refusal) and the run
 * goes on, and the symbolic worker can be spawned from inside another worker thread (the annotate pool).
 * Needs `npm run build` (workers load dist/).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { SymbolicPool } from "../../src/verify/symbolic-pool.js";
import { Verifier } from "../../src/verify/verifier.js";
import { repoRoot } from "../helpers/cli.js";

describe("compute-engine on this Node", () => {
  it("loads and evaluates LaTeX on Node >= 20", async () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(20);
    const { ComputeEngine } = await import("@cortex-js/compute-engine");
    const ce = new ComputeEngine();
    const e = ce.parse("\\frac{\\sqrt{3}}{2}");
    expect(e.isValid).toBe(true);
    expect(Number(e.N().re)).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(ce.parse("2\\pi").isEqual(ce.parse("\\pi\\cdot 2"))).toBe(true);
  });
});

describe("symbolic worker pool", () => {
  const pool = new SymbolicPool(400);
  afterAll(() => pool.close());

  it("is created lazily: no worker before the first pair", () => {
    const v = new Verifier();
    expect(v.symbolicStats.spawned).toBe(0);
  });

  it("decides pairs the fast layers cannot (sums, gcd) in the worker", async () => {
    expect(await pool.compare("\\sum_{k=1}^{3} k", "6", 1e-4, 120)).toMatchObject({ outcome: "equal", rule: "symbolic" });
    expect(await pool.compare("\\gcd(12, 18)", "7", 1e-4, 120)).toMatchObject({ outcome: "unequal" });
  });

  it("times out on \\max(100000!, 1), terminates the worker, and the next pair still works", async () => {
    // a bare 100000! never reaches the engine: the exact layer refuses it (exact/too_large, test/verify/verify-exact.test.ts);
    // inside \max, which only the engine reads, it still makes compute-engine spin
    const spawnedBefore = pool.spawned;
    const t = performance.now();
    const r = await pool.compare("\\max(100000!, 1)", "5", 1e-4, 120);
    expect(r.outcome).toBe("timeout");
    expect(performance.now() - t).toBeLessThan(400 + 10_000); // limit + respawn/load slack under load
    expect(pool.timeouts).toBeGreaterThanOrEqual(1);
    const next = await pool.compare("\\max(2,3)", "3", 1e-4, 120);
    expect(next.outcome).toBe("equal");
    expect(pool.spawned).toBe(spawnedBefore + 1);
  });
});

describe("pathological answers end as timeout (or a cheap refusal) and the run goes on", () => {
  const verifier = new Verifier({ timeoutMs: 1500 });
  afterAll(() => verifier.close());

  it("10^{10^{10}}", async () => {
    const v = await verifier.compare("3", "10^{10^{10}}");
    expect(v.verdict).toBe("timeout");
    // the same power on both sides is still cheap
    expect((await verifier.compare("10^{10^{10}}", "10^{10^{10}}")).verdict).toBe("correct");
  });
  // 100000! against the worker's hard timeout (terminate + respawn) is covered by the pool test above
  it("5,000 nested braces and parentheses", async () => {
    const braces = "{".repeat(5000) + "5" + "}".repeat(5000);
    expect(await verifier.compare("5", braces)).toMatchObject({ verdict: "timeout", rule: "refused:length" });
    const wide = new Verifier({ maxAnswerChars: 20000 });
    const parens = "(".repeat(5000) + "5" + ")".repeat(5000);
    const t = performance.now();
    expect(await wide.compare("5", parens)).toMatchObject({ verdict: "timeout", rule: "refused:depth" });
    expect(performance.now() - t).toBeLessThan(2000);
    await wide.close();
  });
  it("keeps verifying after the pathological pairs", async () => {
    expect((await verifier.compare("\\frac{1}{2}", "0.5")).verdict).toBe("correct");
    expect((await verifier.compare("\\sum_{k=1}^{4} k", "10")).verdict).toBe("correct");
  });
});

describe("nested workers", () => {
  it("a Verifier inside a worker thread spawns its own symbolic worker and closes it", async () => {
    const url = pathToFileURL(join(repoRoot, "dist", "verify", "verifier.js")).href;
    const code = `
      const { parentPort } = require("node:worker_threads");
      import(${JSON.stringify(url)}).then(async (m) => {
        const v = new m.Verifier({ timeoutMs: 5000 });
        const a = await v.compare("\\\\sum_{k=1}^{3} k", "6");
        const b = await v.compare("\\\\frac12", "0.5");
        const spawned = v.symbolicStats.spawned;
        await v.close();
        parentPort.postMessage({ a, b, spawned });
      });`;
    const w = new Worker(code, { eval: true });
    const msg = await new Promise<{ a: { verdict: string; rule: string }; b: { verdict: string; rule: string }; spawned: number }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    await w.terminate();
    expect(msg.a).toMatchObject({ verdict: "correct", rule: "symbolic" });
    expect(msg.b).toMatchObject({ verdict: "correct", rule: "numeric" });
    expect(msg.spawned).toBe(1);
  });
});
