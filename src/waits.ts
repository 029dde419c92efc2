/**
 * What this process is waiting for right now: tasks on worker threads and markers other ranks owe.
 * Every wait that can last is registered here while it lasts, so a run that stops moving says in its
 * log what it waits on (`reportLongWaits`), instead of sitting silent in a batch job for days.
 *
 * One registry per thread (module state): waits are cheap to enter and leave, and the reporter of the
 * thread that drives a run sees every wait that thread started.
 */

interface Wait {
  what: string;
  since: number;
}

const open = new Map<number, Wait>();
let nextId = 0;

/** Enter a wait; call the returned function when it is over (idempotent). */
export function waitingFor(what: string): () => void {
  const id = nextId++;
  open.set(id, { what, since: Date.now() });
  return () => {
    open.delete(id);
  };
}

/** Waits open for at least `olderThanMs`, oldest first, each with its age in whole seconds. */
export function longWaits(olderThanMs: number, now = Date.now()): { what: string; seconds: number }[] {
  return [...open.values()]
    .filter((w) => now - w.since >= olderThanMs)
    .sort((a, b) => a.since - b.since)
    .map((w) => ({ what: w.what, seconds: Math.floor((now - w.since) / 1000) }));
}

/** 30 s, or CURATE_WAIT_REPORT_S seconds (tests make it short) */
function reportAfterMs(): number {
  const s = Number(process.env.CURATE_WAIT_REPORT_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

/**
 * Log the waits older than `afterMs`, checking every `everyMs` (a timer that never keeps the process
 * alive). Returns the function that stops it. At most `maxLines` waits are named per report.
 */
export function reportLongWaits(log: (line: string) => void, afterMs = reportAfterMs(), everyMs = afterMs, maxLines = 8): () => void {
  const timer = setInterval(() => {
    const long = longWaits(afterMs);
    if (long.length === 0) return;
    const shown = long.slice(0, maxLines).map((w) => `${w.what} (${w.seconds} s)`);
    const more = long.length > maxLines ? `; and ${long.length - maxLines} more` : "";
    log(`still waiting after ${Math.round(afterMs / 1000)} s or more: ${shown.join("; ")}${more}`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
