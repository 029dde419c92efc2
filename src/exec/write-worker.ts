/**
 * Worker-thread entry for a one-process run's write step: the thread runs the write phase as rank
 * `rank` of `world` (src/exec/runner.ts, phase "write") — computes the group outcome from annotated/
 * and writes the data/ and rejected/ shards of units k with k mod world = rank, with their write
 * markers. The shard bytes depend only on the unit, so they are the same whichever thread writes them.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { LoadedMix } from "../config/load.js";
import { InputError, UsageError } from "../cli/errors.js";
import { runMix } from "./runner.js";

const { loaded, outDir, rank, world } = workerData as { loaded: LoadedMix; outDir: string; rank: number; world: number };
try {
  await runMix(loaded, { outDir, phase: "write", rank, worldSize: world, workers: 0, quiet: true });
  parentPort!.postMessage({ ok: true });
} catch (e) {
  const err = e as Error;
  parentPort!.postMessage({
    ok: false,
    kind: e instanceof InputError ? "input" : e instanceof UsageError ? "usage" : "error",
    message: err.message,
    file: e instanceof InputError ? e.file : null,
    row: e instanceof InputError ? e.row : null,
    cause: e instanceof InputError ? e.cause_ : null,
  });
}
