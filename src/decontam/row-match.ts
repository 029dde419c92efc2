/**
 * Matching of one row (problem, and the response when `checkResponse` is set). A module of its own
 * so the threads of `curate decontaminate --workers` load only the matcher, not the benchmark
 * loaders; src/decontam/annotator.ts uses it.
 */
import type { Rollout } from "../record/rollout.js";
import type { ContaminationMatch, DecontaminateConfig } from "./types.js";
import type { ContaminationIndex } from "./benchmark-index.js";

/** Match one rollout: the problem, and the start of the response when `checkResponse` is set. */
export function contaminationOf(index: ContaminationIndex, record: Pick<Rollout, "problem" | "response">, cfg: DecontaminateConfig): ContaminationMatch[] {
  const matches = index.match(record.problem ?? "", "problem");
  if (cfg.checkResponse && record.response) {
    const limit = cfg.responseChars ?? 4000;
    const text = limit > 0 && record.response.length > limit ? record.response.slice(0, limit) : record.response;
    const seen = new Set(matches.map((m) => `${m.benchmark}\u0000${m.item}`));
    for (const m of index.match(text, "response")) if (!seen.has(`${m.benchmark}\u0000${m.item}`)) matches.push(m);
  }
  return matches;
}
