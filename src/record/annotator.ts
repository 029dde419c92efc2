/**
 * Stage contracts.
 *
 * - An **Annotator** adds signals to records and never drops anything. Annotators run inside the
 *   annotate worker pool (see src/annotate/pool.ts), so their factory receives only serialisable
 *   config and must build any heavy state (tokeniser, benchmark index, symbolic-math pool) itself,
 *   once per worker. They may be async (e.g. symbolic verification with a hard timeout).
 * - A **FilterStage** decides, per row and from the stored annotations, whether to drop it and why;
 *   the runner applies the stages in order, counts rows in / kept / dropped-by-reason for every
 *   stage and routes dropped rows to `rejected/`.
 */
import type { Rollout, DropReason } from "./rollout.js";
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

/**
 * A row-local filter: a pure decision over one rollout's stored annotations (null = keep). The runner
 * applies the enabled stages in order at finalize (first drop wins) and counts rows in / kept /
 * dropped per reason for each, so a changed threshold never needs re-annotating.
 */
export interface FilterStage {
  readonly name: string;
  decide(record: Rollout): Omit<DropReason, "stage"> | null;
}
