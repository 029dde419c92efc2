/**
 * The signals a row raises, for the signal table (`manifest.signals`): every cause the row has, not
 * only the one that dropped it, so "how many truncated traces were there, and how many of them did
 * we keep?" has an answer whatever the precedence (filters.ts) made of them.
 *
 * A signal is named like the drop reason it can cause and listed under the stage whose filter acts
 * on it. A yes/no signal is raised whether or not its filter is on: each verdict (`verify:correct`,
 * `verify:incorrect`, `verify:no_answer`, …), `verify:conflicting_boxed`, `quality:truncated`,
 * `quality:no_final_answer`, `contaminated:<benchmark>`. A signal with a threshold is raised against
 * the mix file's threshold, only when it sets one: `quality:repetition`, `quality:language_mix`,
 * `quality:code`, `quality:long_paragraph`, `quality:short_reasoning`, `too_long:*`, `too_short:*`.
 * The stored failures (`read`, `annotate`), the group's drops (`duplicate:*`, which the group step
 * decides only for rows no row-local filter dropped) and the row's own drop reason are signals too.
 */
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import { qualityFilters, qualityReasons } from "../quality/annotator.js";
import { decontaminateDrop } from "../decontam/annotator.js";
import { lengthChecks } from "./filters.js";

export interface RaisedSignal {
  /** the stage whose filter acts on it */
  stage: string;
  /** named like the drop reason it can cause */
  signal: string;
}

/** The row-local signals of one record under `config` (stored failures and group drops are added by decide.ts). */
export function localSignals(config: MixConfig): (record: Rollout) => RaisedSignal[] {
  const qf = qualityFilters(config.filters);
  const traceFilters = { ...qf, dropTruncated: true };
  const contentFilters = { ...qf, requireFinalAnswer: true };
  const lengths = lengthChecks(config);
  return (record) => {
    const out: RaisedSignal[] = [];
    const add = (stage: string, signal: string) => out.push({ stage, signal });
    const contaminated = decontaminateDrop(record, undefined);
    if (contaminated) add("decontaminate", contaminated.reason);
    for (const r of qualityReasons(record, traceFilters, "trace")) add("trace", r);
    const v = record.verify;
    if (v) {
      add("verify", `verify:${v.verdict}`);
      if (v.conflicting && v.conflicting.length > 1) add("verify", "verify:conflicting_boxed");
    }
    for (const r of qualityReasons(record, contentFilters, "content")) add("quality", r);
    if (record.tokens) {
      for (const check of lengths) {
        const d = check(record.tokens);
        if (d) add("length", d.reason);
      }
    }
    return out;
  };
}
