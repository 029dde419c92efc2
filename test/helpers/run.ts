import { loadMix } from "../../src/config/load.js";
import { runMix, type RunOptions, type RunResult } from "../../src/run/runner.js";

/**
 * `curate run <mix> --out <outDir> --quiet` in this process: what the CLI does apart from parsing
 * flags and printing (a run that fails throws what the CLI would print). For tests about what a run
 * writes, not about the CLI process (its exit code, signals, stderr wording: those spawn the CLI,
 * test/helpers/cli.ts); saves the process start, module loading and the tokenizer's tables, ~2 CPU-s
 * a run. Workers default to 0 (inline), as `--workers 0`. A phase of an array job resolves unfinished.
 * `stderr`: what this process wrote to its stderr meanwhile (notes, warnings), as a spawned CLI's.
 */
export async function runInProcess(mixPath: string, outDir: string, opts: Partial<RunOptions> = {}): Promise<RunResult & { stderr: string }> {
  let stderr = "";
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stderr.write;
  try {
    return { ...(await runMix(loadMix(mixPath), { workers: 0, quiet: true, ...opts, outDir })), stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** `runInProcess` of a run that must end with its manifest (phase all or finalize): its summary. */
export async function runToEnd(mixPath: string, outDir: string, opts: Partial<RunOptions> = {}): Promise<Extract<RunResult, { finished: true }> & { stderr: string }> {
  const res = await runInProcess(mixPath, outDir, opts);
  if (!res.finished) throw new Error(`run of ${mixPath} into ${outDir} did not finish: ${res.message}`);
  return res;
}
