/**
 * Worker threads and waits (src/workers.ts, src/waits.ts): a thread's event loop keeps running between
 * tasks (no task's I/O is frozen while its thread waits for the next one), every task in flight is a
 * named wait, and readers close their files before they return.
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ThreadPool, cpuBudget } from "../src/workers.js";
import { longWaits, reportLongWaits, waitingFor } from "../src/waits.js";
import { readJsonl } from "../src/io/jsonl.js";

/** poll `check` every 20 ms until it holds; fail after `ms` (generous: load must not fail it) */
async function eventually(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ThreadPool", () => {
  it("keeps a thread's event loop running after its task returned: a timer the task left fires with no further task", async () => {
    const dir = mkdtempSync(join(tmpdir(), "curate-workers-"));
    const entry = join(dir, "worker.mjs");
    // the task returns at once but leaves a timer that writes a file 100 ms later; a thread parked in
    // Atomics.wait between tasks (piscina's default) would never run it until the next task came
    writeFileSync(entry, `import { writeFileSync } from "node:fs";\nexport default function (t) { setTimeout(() => writeFileSync(t.path, "done"), 100); return t.n; }\n`);
    const pool = new ThreadPool({ name: "test", entry: pathToFileURL(entry).href, threads: 1 });
    try {
      const flag = join(dir, "flag");
      expect(await pool.run<number>({ n: 7, path: flag }, "one task")).toBe(7);
      await eventually(() => existsSync(flag));
    } finally {
      await pool.destroy();
    }
  });

  it("registers each task in flight as a named wait until it settles", async () => {
    const dir = mkdtempSync(join(tmpdir(), "curate-workers-"));
    const entry = join(dir, "worker.mjs");
    writeFileSync(entry, `export default async function (t) { await new Promise((r) => setTimeout(r, t.ms)); return "ok"; }\n`);
    const pool = new ThreadPool({ name: "slow", entry: pathToFileURL(entry).href, threads: 1 });
    try {
      const task = pool.run<string>({ ms: 300 }, "unit u00042 part 3");
      expect(longWaits(0).map((w) => w.what)).toContainEqual(expect.stringMatching(/^slow thread task unit u00042 part 3 \(1 threads/));
      expect(await task).toBe("ok");
      expect(longWaits(0).some((w) => w.what.includes("u00042"))).toBe(false);
    } finally {
      await pool.destroy();
    }
  });
});

describe("waits", () => {
  it("reports the waits older than the threshold, oldest first, and stops when told", async () => {
    const lines: string[] = [];
    const doneA = waitingFor("marker A");
    await new Promise((r) => setTimeout(r, 30));
    const doneB = waitingFor("marker B");
    const stop = reportLongWaits((l) => lines.push(l), 20, 20);
    // no assumption on when the timer fires (a report before B is 20 ms old names A alone): wait for
    // one that names B; every report names the oldest wait first
    await eventually(() => lines.some((l) => l.includes("marker B")));
    for (const l of lines) expect(l).toMatch(/^still waiting after 0 s or more: marker A \(\d+ s\)/);
    expect(lines.find((l) => l.includes("marker B"))).toMatch(/: marker A \(\d+ s\); marker B \(\d+ s\)$/);
    doneA();
    doneB();
    doneA(); // idempotent
    const seen = lines.length;
    stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBeLessThanOrEqual(seen + 1);
    expect(longWaits(0).some((w) => w.what.startsWith("marker "))).toBe(false);
  });
});

describe("readers leave no file open", () => {
  const openFiles = (path: string) =>
    readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it.runIf(existsSync("/proc/self/fd"))("readJsonl has closed its file when a caller stops after the first row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "curate-workers-"));
    const path = join(dir, "rows.jsonl");
    writeFileSync(path, Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ id: i, text: "x".repeat(100) })).join("\n") + "\n");
    for await (const row of readJsonl(path, { gzip: false, maxLineBytes: 1 << 20 })) {
      expect(row.row).toBe(0);
      expect(openFiles(path)).toBe(1);
      break;
    }
    // the generator's return() awaited the close: no callback left to run
    expect(openFiles(path)).toBe(0);
  });
});

describe("cpuBudget: the default thread count", () => {
  /** a fake file tree: path → contents */
  const tree = (files: Record<string, string>): string => {
    const root = mkdtempSync(join(tmpdir(), "curate-cgroup-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  };

  it("is the CPUs the process may run on, capped by a cgroup v2 or v1 CPU quota (a Kubernetes limit), at least 1", () => {
    expect(cpuBudget(tree({}), 64)).toBe(64); // no cgroup files: the affinity mask's count
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu.max": "max 100000\n" }), 64)).toBe(64);
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu.max": "200000 100000\n" }), 64)).toBe(2);
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu.max": "150000 100000\n" }), 64)).toBe(2); // 1.5 CPUs: 2 threads
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu.max": "50000 100000\n" }), 64)).toBe(1);
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu.max": "800000 100000\n" }), 4)).toBe(4); // the affinity mask is smaller
    // the process's own cgroup (a systemd slice, a nested container) is read before the mount's root
    expect(cpuBudget(tree({ "proc/self/cgroup": "0::/kubepods/pod1/c1\n", "sys/fs/cgroup/kubepods/pod1/c1/cpu.max": "300000 100000\n", "sys/fs/cgroup/cpu.max": "max 100000\n" }), 64)).toBe(3);
    // cgroup v1
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "400000\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n" }), 64)).toBe(4);
    expect(cpuBudget(tree({ "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n" }), 64)).toBe(64);
    expect(cpuBudget(tree({ "proc/self/cgroup": "4:cpu,cpuacct:/slurm/job7\n", "sys/fs/cgroup/cpu/slurm/job7/cpu.cfs_quota_us": "200000\n", "sys/fs/cgroup/cpu/slurm/job7/cpu.cfs_period_us": "100000\n" }), 64)).toBe(2);
    expect(cpuBudget("/", 1)).toBe(1);
  });
});

