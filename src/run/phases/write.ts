/**
 * Phase `write`: each unit's annotated/ rows, zipped with the responses re-read from its input (ids
 * checked row by row) and the saved group outcome, become data/train-<unit>-* (kept) and
 * rejected/rejected-<unit>-* (stage + reason); then the unit's write marker (its shards and counts).
 * Resumable per unit; array ranks write their own units, one process or finalize every unit left.
 */
import { unitName } from "../../io/units.js";
import { ThreadPool } from "../../workers.js";
import { clearWritten, readWriteMarker, saveWriteMarker } from "../markers.js";
import { mergeWriteCounts, partsSeekable, writeParts, type PartResult, type WriteJob } from "../write-parts.js";
import type { RunContext } from "../context.js";
import type { Products } from "./products.js";

interface UnitJobs {
  unit: number;
  jobs: WriteJob[];
}

/**
 * Every unit this process writes and has not written yet, cut into jobs: one per part (annotated
 * shard) when the input can be read from the recorded offsets (plain JSONL), else one for the whole
 * unit. Names and contents depend only on unit and part, so any number of threads gives the same bytes.
 */
function writeJobs(ctx: RunContext): UnitJobs[] {
  const { outDir, phase, world, markers } = ctx;
  // an explicit finalize (or a one-process run) writes whatever units are not written yet; array ranks
  // write their own units; the outputs phase writes none
  const mine = phase === "outputs" ? [] : phase === "finalize" || world === 1 ? ctx.units : ctx.units.filter(({ unit }) => ctx.owns(unit));
  const todo = mine.filter(({ unit }) => !readWriteMarker(outDir, unit, ctx.token));
  const unitRows = ctx.unitRows;
  const order = ctx.stageOrder;
  return todo.map(({ unit, file }) => {
    const m = markers[unit]!;
    clearWritten(outDir, unit);
    const job = (from: number, to: number): WriteJob => ({ outDir, marker: m, file, base: unitRows[unit]!.base, from, to, order, shard: ctx.shard });
    return { unit, jobs: partsSeekable(m, file) ? m.shards.map((_, p) => job(p, p + 1)) : [job(0, m.shards.length)] };
  });
}

export async function writePhase(ctx: RunContext, products: Products): Promise<void> {
  const { outDir, progress } = ctx;
  progress.phase(ctx.split ? `write (${ctx.rankLabel})` : "write");
  const jobsByUnit = writeJobs(ctx);
  const jobCount = jobsByUnit.reduce((a, u) => a + u.jobs.length, 0);
  const threads = jobCount > 1 ? Math.min(ctx.workers, jobCount) : 0;
  const pool = threads > 0 ? new ThreadPool({ name: "write", entry: "run/write-worker", threads, workerData: { config: ctx.config, outDir, token: ctx.token } }) : null;
  const runJob = (job: WriteJob): Promise<PartResult[]> => {
    if (!pool) return writeParts(job, ctx.outcome, ctx.decider, (n) => progress.rows(n));
    const label = `unit ${unitName(job.marker.unit)} (${job.file.rel}) part${job.to - job.from > 1 ? `s ${job.from}–${job.to - 1}` : ` ${job.from}`}`;
    return pool.run<PartResult[]>(job, label).then((r) => {
      progress.rows(r.reduce((a, x) => a + x.rowsIn, 0));
      return r;
    });
  };
  try {
    // inline: one job at a time; on threads: every job queued at once, each unit's marker written when its parts are done
    const settled = pool ? jobsByUnit.map((u) => Promise.allSettled(u.jobs.map(runJob))) : null;
    // a process that finalizes makes its per-problem statistics pass while the write threads work
    // (inline, it comes after the writes: both read the saved outcome unit by unit)
    if (pool && (ctx.finalizing || products.configured)) products.startStatistics();
    let failure: unknown = null;
    for (let i = 0; i < jobsByUnit.length; i++) {
      const outcomes = settled ? await settled[i]! : await runInOrder(jobsByUnit[i]!.jobs, runJob);
      const bad = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      const { unit } = jobsByUnit[i]!;
      if (bad) {
        // a unit's shards exist only with its write marker
        clearWritten(outDir, unit);
        failure ??= bad.reason;
        if (!settled) break;
        continue;
      }
      const parts = outcomes.flatMap((o) => (o as PromiseFulfilledResult<PartResult[]>).value);
      saveWriteMarker(outDir, { unit, token: ctx.token, ...mergeWriteCounts(ctx.stageOrder, parts) });
      // fault injection for the resume tests (never set in normal use): a real SIGKILL after N written units
      if (++ctx.unitsWritten === Number(process.env.CURATE_FAULT_KILL_AFTER_WRITTEN_UNITS)) process.kill(process.pid, "SIGKILL");
    }
    if (failure) throw failure;
  } finally {
    await pool?.destroy();
  }
}

/** One job after the other, stopping at the first failure (inline writing). */
async function runInOrder(jobs: WriteJob[], run: (job: WriteJob) => Promise<PartResult[]>): Promise<PromiseSettledResult<PartResult[]>[]> {
  const outcomes: PromiseSettledResult<PartResult[]>[] = [];
  for (const job of jobs) {
    try {
      outcomes.push({ status: "fulfilled", value: await run(job) });
    } catch (e) {
      outcomes.push({ status: "rejected", reason: e });
      break;
    }
  }
  return outcomes;
}
