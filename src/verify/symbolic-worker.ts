/**
 * Symbolic worker entry (loaded with workerUrl("verify/symbolic-worker")). Compares whole answer pairs
 * with the same layered code as the fast path, but with compute-engine as the scalar fallback. The
 * parent terminates this thread when an item exceeds its time limit.
 */
import { parentPort } from "node:worker_threads";
import { compareAnswers, UngradableReference } from "./equivalence.js";
import { RefusedError } from "./expr-parse.js";
import { createSymbolicCompare, sharedEngine } from "./symbolic.js";

export interface SymbolicRequest {
  id: number;
  gold: string;
  pred: string;
  relTol: number;
  maxDepth: number;
  choices?: Record<string, string>;
}
export interface SymbolicResponse {
  id: number;
  outcome: "equal" | "unequal" | "ungradable" | "refused" | "error";
  rule: string;
  message?: string;
}

const port = parentPort;
if (port) {
  const compares = new Map<number, ReturnType<typeof createSymbolicCompare>>();
  port.on("message", (req: SymbolicRequest) => {
    let res: SymbolicResponse;
    try {
      let symbolic = compares.get(req.relTol);
      if (!symbolic) {
        symbolic = createSymbolicCompare(req.relTol);
        compares.set(req.relTol, symbolic);
      }
      const c = compareAnswers(req.gold, req.pred, { relTol: req.relTol, maxDepth: req.maxDepth, symbolic, ...(req.choices ? { choices: req.choices } : {}) });
      res = { id: req.id, outcome: c.equal ? "equal" : "unequal", rule: c.rule };
    } catch (e) {
      if (e instanceof UngradableReference) res = { id: req.id, outcome: "ungradable", rule: "reference_unparseable", message: e.message };
      else if (e instanceof RefusedError) res = { id: req.id, outcome: "refused", rule: e.rule, message: e.message };
      else res = { id: req.id, outcome: "error", rule: "symbolic_error", message: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(res);
  });
  // build and warm the engine before reporting ready: the parent's per-item timer starts after this
  sharedEngine();
  port.postMessage({ ready: true });
}
