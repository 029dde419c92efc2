/** The options and results of `curate run` (what the CLI and library callers see). */
import type { Manifest } from "./manifest.js";

/** `--phase`: what one process of an array job does (`all`: everything it owns, in order). */
export type Phase = "all" | "annotate" | "group" | "merge" | "write" | "outputs" | "finalize";

export interface RunOptions {
  outDir: string;
  workers?: number;
  force?: boolean;
  quiet?: boolean;
  tty?: boolean;
  rank?: number;
  worldSize?: number;
  phase?: Phase;
  /** finalize: how long to wait for other ranks' units (ms); default: forever */
  waitMs?: number;
  /** re-decide a finished run whose annotations still match (changed filters or outputs only) */
  refilter?: boolean;
  /** test hook: stop (throw) after this many units were annotated by this process */
  stopAfterUnits?: number;
}

export interface RunTimings {
  seconds: number;
  phases: Record<string, number>;
  annotatorMs: Record<string, number>;
  /** rollouts per verification-time bucket (ms); per-rollout times are not stored in shards (not deterministic) */
  verifyMsHistogram: Record<string, number>;
  workers: number;
  inputBytes: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  /** peak resident set of the process (all worker threads included), MB */
  peakRssMB: number;
  /** user + system CPU seconds of this process, all threads (robust when other jobs share the machine) */
  cpuSeconds: number;
  unitsAnnotated: number;
  unitsSkipped: number;
}

export type RunResult =
  | { finished: true; manifest: Manifest; timings: RunTimings }
  | { finished: false; message: string; timings: RunTimings };
