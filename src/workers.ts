/**
 * Worker threads: where a worker's compiled entry lives (`workerUrl`) and `ThreadPool`, the one way
 * this code base runs tasks on a pool of threads (piscina underneath).
 *
 * Threads wait for their next task on their event loop (piscina's `atomics: "disabled"`), not parked
 * in `Atomics.wait`: a parked thread runs no callback, so I/O its last task left in flight (a file
 * being closed, a read completing) would stay frozen until the next task arrives, and a run whose
 * last task was that one waited forever for the thread to exit (see bench/hang-stress.mjs and
 * docs/internals.md). Tasks are batches, so the event-loop hop costs nothing measurable.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { TransferListItem } from "node:worker_threads";
import type { Piscina } from "piscina";
import { packageRoot } from "./version.js";
import { waitingFor } from "./waits.js";

const require = createRequire(import.meta.url);

/**
 * URL of a compiled worker entry (e.g. "verify/symbolic-worker") under dist/. Workers always run
 * compiled JS, also when the caller is TypeScript under vitest, so `npm test` builds first.
 */
export function workerUrl(relativeNoExt: string): URL {
  const file = join(packageRoot, "dist", `${relativeNoExt}.js`);
  if (!existsSync(file)) {
    throw new Error(`worker ${relativeNoExt} is not built (${file} missing): run \`npm run build\``);
  }
  return pathToFileURL(file);
}

/**
 * The CPUs this process may use, the default thread count of every command: the CPUs it may run on
 * (`os.availableParallelism`: the affinity mask, which Slurm's cpusets set), capped by a cgroup CPU
 * quota, which is how a Kubernetes CPU limit reaches a container and which neither `os.cpus()` nor
 * the affinity mask shows: 64 threads on a 64-core node with a 2-CPU limit each load the annotators
 * and hold a heap, for the work of 2. cgroup v2 `cpu.max` ("200000 100000" = 2 CPUs), else v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`; in the process's own cgroup when /proc/self/cgroup names
 * one, else at the root of the mount. `root` is for tests (a fake file tree).
 */
export function cpuBudget(root = "/", cpus = availableParallelism()): number {
  const quota = cgroupCpuQuota(root);
  return Math.max(1, quota === null ? cpus : Math.min(cpus, Math.ceil(quota)));
}

/** CPUs allowed by the cgroup quota (fractional), or null when there is none or it cannot be read. */
function cgroupCpuQuota(root: string): number | null {
  const read = (path: string): string | null => {
    try {
      return readFileSync(join(root, path), "utf8").trim();
    } catch {
      return null;
    }
  };
  const own = read("proc/self/cgroup") ?? "";
  const v2Path = /^0::(\/.*)$/m.exec(own)?.[1] ?? "/";
  for (const dir of [join("sys/fs/cgroup", v2Path), "sys/fs/cgroup"]) {
    const max = read(join(dir, "cpu.max"));
    if (max === null) continue;
    const [q, period] = max.split(/\s+/);
    return q === "max" || !(Number(period) > 0) ? null : Number(q) / Number(period);
  }
  const v1Path = /^\d+:[^:]*\bcpu\b[^:]*:(\/.*)$/m.exec(own)?.[1] ?? "/";
  for (const dir of [join("sys/fs/cgroup/cpu", v1Path), "sys/fs/cgroup/cpu", "sys/fs/cgroup/cpu,cpuacct"]) {
    const q = Number(read(join(dir, "cpu.cfs_quota_us")));
    const period = Number(read(join(dir, "cpu.cfs_period_us")));
    if (Number.isFinite(q) && q > 0 && period > 0) return q / period;
    if (q === -1) return null;
  }
  return null;
}

export interface ThreadPoolOptions {
  /** what the threads do, for people reading a stall report ("write", "annotate", …) */
  name: string;
  /** compiled worker entry, relative to dist/ without extension (see workerUrl), or a file: URL */
  entry: string;
  threads: number;
  workerData?: unknown;
  /** ms an idle thread above the fixed count lives (piscina's default when absent) */
  idleTimeout?: number;
}

/**
 * A fixed number of threads running one entry's default export. Every task in flight is registered
 * as a wait (src/waits.ts) under its label, so a stalled run names the task it waits for.
 */
export class ThreadPool {
  readonly name: string;
  readonly threads: number;
  private readonly pool: Piscina;

  constructor(o: ThreadPoolOptions) {
    this.name = o.name;
    this.threads = o.threads;
    // piscina is loaded with the first pool, not at start-up (~0.05 CPU-s a process; runs with
    // --workers 0 start none); its CommonJS build is the class its ESM entry re-exports
    const { Piscina: Pool } = require("piscina") as typeof import("piscina");
    this.pool = new Pool({
      // a file: URL is used as given (tests write their own entries)
      filename: o.entry.startsWith("file:") ? o.entry : workerUrl(o.entry).href,
      minThreads: o.threads,
      maxThreads: o.threads,
      ...(o.idleTimeout !== undefined ? { idleTimeout: o.idleTimeout } : {}),
      workerData: o.workerData,
      atomics: "disabled",
    });
  }

  /** Run one task; `label` says which (e.g. "unit u00003 part 2"). */
  async run<T>(task: unknown, label: string, transferList?: TransferListItem[]): Promise<T> {
    const done = waitingFor(`${this.name} thread task ${label} (${this.threads} threads, ${this.pool.queueSize} queued)`);
    try {
      return (await this.pool.run(task, transferList ? { transferList } : {})) as T;
    } finally {
      done();
    }
  }

  /** Stop the threads (tasks still queued fail); resolves when every thread has exited. */
  async destroy(): Promise<void> {
    const done = waitingFor(`${this.name} threads to exit`);
    try {
      await this.pool.destroy();
    } finally {
      done();
    }
  }
}
