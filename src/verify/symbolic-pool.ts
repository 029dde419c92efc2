/**
 * One symbolic worker thread, spawned lazily on the first pair the fast layers cannot decide, with a
 * hard per-item timeout: on timeout the thread is terminated (compute-engine may be spinning on
 * `100000!`) and a fresh one is spawned for the next item. Works from the main thread and from
 * inside another worker thread (the annotate pool), since worker_threads nest.
 */
import { Worker } from "node:worker_threads";
import { workerUrl } from "../workers.js";
import type { SymbolicRequest, SymbolicResponse } from "./symbolic-worker.js";

export interface SymbolicOutcome {
  outcome: SymbolicResponse["outcome"] | "timeout";
  rule: string;
  message?: string;
}

interface Pending {
  req: SymbolicRequest;
  resolve: (r: SymbolicOutcome) => void;
}

/** how long a fresh worker may take to import compute-engine before the pool gives up */
const LOAD_TIMEOUT_MS = 30_000;

export class SymbolicPool {
  private worker: Worker | null = null;
  private ready = false;
  private queue: Pending[] = [];
  private current: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;
  /** workers spawned so far (1 + respawns after timeouts) */
  spawned = 0;
  timeouts = 0;

  constructor(
    readonly timeoutMs: number,
    private readonly entry: URL = workerUrl("verify/symbolic-worker"),
  ) {}

  compare(gold: string, pred: string, relTol: number, maxDepth: number, choices?: Record<string, string>): Promise<SymbolicOutcome> {
    if (this.closed) return Promise.reject(new Error("symbolic pool is closed"));
    return new Promise((resolve) => {
      this.queue.push({ req: { id: this.nextId++, gold, pred, relTol, maxDepth, ...(choices ? { choices } : {}) }, resolve });
      this.pump();
    });
  }

  private spawn(): void {
    this.spawned++;
    this.ready = false;
    const w = new Worker(this.entry);
    this.worker = w;
    w.unref();
    w.on("message", (msg: SymbolicResponse | { ready: true }) => {
      if (w !== this.worker) return;
      if ("ready" in msg) {
        this.ready = true;
        this.clearTimer();
        this.pump();
        return;
      }
      const cur = this.current;
      if (!cur || cur.req.id !== msg.id) return;
      this.clearTimer();
      this.current = null;
      cur.resolve({ outcome: msg.outcome, rule: msg.rule, ...(msg.message ? { message: msg.message } : {}) });
      this.pump();
    });
    w.on("error", (err) => this.fail(w, `symbolic worker crashed: ${err.message}`));
    w.on("exit", (code) => {
      if (w === this.worker && !this.closed) this.fail(w, `symbolic worker exited with code ${code}`);
    });
    // a worker that never becomes ready must not hang the run
    this.timer = setTimeout(() => this.fail(w, "symbolic worker did not start"), LOAD_TIMEOUT_MS);
  }

  /** the current worker died or hung: resolve its item as timeout/error and drop the worker */
  private fail(w: Worker, message: string): void {
    if (w !== this.worker) return;
    this.clearTimer();
    this.worker = null;
    this.ready = false;
    void w.terminate();
    const cur = this.current;
    this.current = null;
    if (cur) cur.resolve({ outcome: "error", rule: "symbolic_error", message });
    else {
      // failed while loading: everything queued is undecidable
      for (const p of this.queue.splice(0)) p.resolve({ outcome: "error", rule: "symbolic_error", message });
    }
    this.pump();
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private pump(): void {
    if (this.closed || this.current || this.queue.length === 0) return;
    if (!this.worker) {
      this.spawn();
      return;
    }
    if (!this.ready) return;
    const next = this.queue.shift()!;
    this.current = next;
    const w = this.worker;
    this.timer = setTimeout(() => {
      if (this.current !== next || w !== this.worker) return;
      this.timeouts++;
      this.timer = null;
      this.current = null;
      this.worker = null;
      this.ready = false;
      void w.terminate();
      next.resolve({ outcome: "timeout", rule: "timeout", message: `symbolic comparison exceeded ${this.timeoutMs} ms` });
      this.pump();
    }, this.timeoutMs);
    w.postMessage(next.req);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    for (const p of this.queue.splice(0)) p.resolve({ outcome: "error", rule: "symbolic_error", message: "pool closed" });
    if (this.current) {
      this.current.resolve({ outcome: "error", rule: "symbolic_error", message: "pool closed" });
      this.current = null;
    }
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
