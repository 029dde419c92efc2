/**
 * Stage contracts.
 *
 * - An **Annotator** adds signals to records and never drops anything. Annotators run inside the
 *   annotate worker pool (see src/exec/annotate-pool.ts), so their factory receives only serialisable
 *   config and must build any heavy state (tokeniser, benchmark index, symbolic-math pool) itself,
 *   once per worker. They may be async (e.g. symbolic verification with a hard timeout).
 * - A **Filter** is a stage over an async iterable of record batches that marks records as dropped
 *   with a reason; the runner counts rows in / kept / dropped-by-reason for every stage and routes
 *   dropped rows to `rejected/`.
 */
import type { Rollout, DropReason } from "../trace/record.js";
import type { MixConfig } from "../config/types.js";

export interface AnnotateContext {
  /** absolute folder of the mix file (paths in the config resolve against it) */
  baseDir: string;
  /** absolute run folder (outputs, caches such as a prepared benchmark index) */
  runDir: string;
  seed: number;
}

export interface Annotator {
  readonly name: string;
  annotate(batch: Rollout[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface AnnotatorModule {
  /** runs once in the main thread before workers start (e.g. build a shared read-only index file) */
  prepare?(config: MixConfig, ctx: AnnotateContext): Promise<void>;
  /** builds the annotator inside a worker (or inline when workers = 0); null when disabled by config */
  create(config: MixConfig, ctx: AnnotateContext): Annotator | null | Promise<Annotator | null>;
}

/** A record on its way through the filter chain; `drop` is set by the first stage that removes it. */
export interface Candidate {
  record: Rollout;
  /** per-row results of the global group step (problem groups, duplicates, pass rates) */
  group: import("../group/types.js").RowGroupInfo;
  drop?: DropReason;
}

export interface FilterStage {
  readonly name: string;
  run(batches: AsyncIterable<Candidate[]>): AsyncIterable<Candidate[]>;
  /** the per-row decision, when the stage is a pure row filter (lets the runner re-decide from stored annotations) */
  readonly decide?: (c: Candidate) => Omit<DropReason, "stage"> | null;
}

/** Helper for the common case: a pure per-row predicate that returns a drop reason or null. */
export function rowFilter(
  name: string,
  decide: (c: Candidate) => Omit<DropReason, "stage"> | null,
): FilterStage {
  return {
    name,
    decide,
    async *run(batches) {
      for await (const batch of batches) {
        for (const c of batch) {
          if (c.drop) continue;
          const d = decide(c);
          if (d) c.drop = { stage: name, ...d };
        }
        yield batch;
      }
    },
  };
}
