import { loadMix } from "../../src/config/load.js";
import { runMix, type RunOptions, type RunResult } from "../../src/run/runner.js";

/**
 * `curate run <mix> --out <outDir> --quiet` in this process: what the CLI does apart from parsing
 * flags and printing (a run that fails throws what the CLI would print). For tests about what a run
 * writes, not about the CLI process (its exit code, signals, stderr wording: those spawn the CLI,
 * test/helpers/cli.ts); saves the process start, module loading and the tokenizer's tables, ~2 CPU-s
 * a run. Workers default to 0 (inline), as `--workers 0`. A phase of an array job resolves unfinished.
 */
export function runInProcess(mixPath: string, outDir: string, opts: Partial<RunOptions> = {}): Promise<RunResult> {
  return runMix(loadMix(mixPath), { workers: 0, quiet: true, ...opts, outDir });
}

/** `runInProcess` of a run that must end with its manifest (phase all or finalize): its summary. */
export async function runToEnd(mixPath: string, outDir: string, opts: Partial<RunOptions> = {}): Promise<Extract<RunResult, { finished: true }>> {
  const res = await runInProcess(mixPath, outDir, opts);
  if (!res.finished) throw new Error(`run of ${mixPath} into ${outDir} did not finish: ${res.message}`);
  return res;
}
