/**
 * Worker thread of the write step: runs write jobs (parts of a unit, see write-parts.ts) against the
 * group outcome saved under .work/group/. Loads the compressors and the outcome once per thread.
 */
import { workerData } from "node:worker_threads";
import type { MixConfig } from "../config/types.js";
import { initCompressors } from "../io/parquet-write.js";
import { Decider } from "../decide/decide.js";
import { loadGroupOutcome, type PersistedOutcome } from "../group/outcome.js";
import { writeParts, type PartResult, type WriteJob } from "./write-parts.js";

const { config, outDir, token } = workerData as { config: MixConfig; outDir: string; token: string };
const ready = initCompressors();
const decider = new Decider(config);
let outcome: PersistedOutcome | null = null;

export default async function run(job: WriteJob): Promise<PartResult[]> {
  await ready;
  outcome ??= loadGroupOutcome(outDir, token);
  if (!outcome) throw new Error(`write worker: no saved group outcome under token ${token} in ${outDir}`);
  return writeParts(job, outcome, decider);
}
