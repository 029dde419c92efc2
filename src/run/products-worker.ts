/**
 * Worker thread of the data products: spills parts and writes output shards (src/run/products.ts).
 * Plans once per thread, from the same compact columns and saved group outcome as the main thread,
 * so its plan is the main thread's; the per-problem statistics come with the workerData.
 */
import { workerData } from "node:worker_threads";
import type { ProblemSummary } from "../group/problems.js";
import type { OutputsPlan } from "../mix/build.js";
import type { ClosedShard } from "../io/parquet-write.js";
import { initCompressors } from "../io/parquet-write.js";
import { Decider } from "../decide/decide.js";
import { loadGroupOutcome } from "../group/outcome.js";
import { planProducts, ProductShards, spillPiece, type Decisions, type ProductsRun, type ProductsTask } from "./products.js";

const { run, token, summaries } = workerData as { run: ProductsRun; token: string; summaries: [string, ProblemSummary][] };
const ready = initCompressors();
let state: Promise<{ d: Decisions; plan: OutputsPlan; shards: ProductShards }> | null = null;

async function setUp() {
  await ready;
  const outcome = loadGroupOutcome(run.outDir, token);
  if (!outcome) throw new Error(`products worker: no saved group outcome under token ${token} in ${run.outDir}`);
  const d: Decisions = { outcome, decider: new Decider(run.config) };
  const plan = await planProducts(run, d, new Map(summaries));
  return { d, plan, shards: new ProductShards(run, plan) };
}

export default async function task(t: ProductsTask): Promise<ClosedShard | null> {
  state ??= setUp();
  const { d, plan, shards } = await state;
  if (t.kind === "spill") {
    await spillPiece(run, d, plan, t.piece, t.by);
    return null;
  }
  try {
    return shards.write(t.name, t.k);
  } finally {
    shards.closeFiles(); // no file stays open in a thread between tasks
  }
}
