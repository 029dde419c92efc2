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
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
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
