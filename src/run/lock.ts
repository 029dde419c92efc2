/**
 * The run folder's lock, `<out>/.curate.lock`: JSON naming its holder (pid, host, start time, command).
 *
 * Who holds it: a one-process run (world size 1, every phase but finalize) and every `--force` run,
 * for the whole run. Array-job ranks (world size > 1) and finalize share a folder on purpose — they
 * coordinate through the unit, write and shard markers, and a rank retried on another host must not
 * find its own dead lock in the way — so they take none, but refuse to start while the lock is held.
 * A lock whose holder is gone (this host, pid not running) is taken over with a note on stderr; a lock
 * from another host is never taken over (its process cannot be checked from here): the message says
 * to delete it once that process is known to be gone.
 *
 * The lock file is written complete under a temp name and linked into place: link fails when the name
 * exists, so of two processes exactly one gets it, and a reader never sees half a lock.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { UsageError, FsError, fsErrorOf } from "../errors.js";

export const LOCK_NAME = ".curate.lock";

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock */
  started: string;
  command: string;
  /** tells this holder's lock from a later one with the same pid */
  id: string;
}

/** ids of the locks this process holds (a lock with this pid and another id is a dead process's) */
const held = new Set<string>();

function readHolder(path: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw fsErrorOf(e, "read", path) ?? e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.pid === "number" && typeof h.host === "string") return h;
  } catch {
    // not a lock this tool wrote: described as unreadable below
  }
  return { pid: -1, host: "?", started: "?", command: "(unreadable lock file)", id: "?" };
}

/** "alive", "dead", or "unknown" (another host: its processes cannot be checked from here) */
function holderState(h: LockHolder): "alive" | "dead" | "unknown" {
  if (h.pid === -1) return "unknown";
  if (h.host !== hostname()) return "unknown";
  if (h.pid === process.pid) return held.has(h.id) ? "alive" : "dead";
  try {
    process.kill(h.pid, 0);
    return "alive";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? "alive" : "dead";
  }
}

const describe = (h: LockHolder) => `pid ${h.pid} on host ${h.host}, started ${h.started}: ${h.command}`;

function heldError(outDir: string, path: string, h: LockHolder, state: "alive" | "unknown", why = ""): UsageError {
  const gone = state === "unknown" ? ` If that process is no longer running, delete ${path} and run again.` : "";
  return new UsageError(`output folder ${outDir} is in use by another curate run${why} (${describe(h)}; lock ${path}); wait for it to finish or choose another --out.${gone}`);
}

/** a failure writing the lock (or its temp file) names the lock */
function asLockWrite(e: unknown, path: string): unknown {
  const fe = fsErrorOf(e);
  return fe ? new FsError(fe.code, "write", path) : e;
}

/** Link a complete lock file into place; false when one is there already. */
function tryCreate(path: string, text: string): boolean {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(tmp, text);
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw asLockWrite(e, path);
    // a file system without hard links: exclusive create (a reader may see it empty for a moment)
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw asLockWrite(e2, path);
    }
    writeSync(fd, text);
    closeSync(fd);
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Remove a dead holder's lock, only if it is still that holder's: moved aside first, checked, and put
 * back when another process took the lock in between. True when it was removed.
 */
function takeOver(path: string, dead: LockHolder): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // gone already: someone else took it over
  }
  const moved = readHolder(aside);
  if (moved && moved.id === dead.id && moved.pid === dead.pid) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    linkSync(aside, path);
  } catch {
    // a third process took the free name meanwhile: its lock stands
  }
  rmSync(aside, { force: true });
  return false;
}

/** test hook (never set in normal use): hold the lock, once taken, until this file exists */
function holdForTest(): void {
  const until = process.env.CURATE_FAULT_HOLD_LOCK_UNTIL;
  if (!until) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 6000; i++) {
    try {
      statSync(until);
      return;
    } catch {
      Atomics.wait(cell, 0, 0, 50);
    }
  }
}

/** Take the lock of `outDir` for this process; returns the release. `note` gets the stale-lock takeover note. */
export function acquireRunLock(outDir: string, note: (line: string) => void): () => void {
  const path = join(outDir, LOCK_NAME);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    command: ["curate", ...process.argv.slice(2)].join(" "),
    id: randomBytes(8).toString("hex"),
  };
  const text = JSON.stringify(me, null, 2) + "\n";
  for (let attempt = 0; attempt < 8; attempt++) {
    if (tryCreate(path, text)) {
      held.add(me.id);
      const release = () => {
        process.off("exit", release);
        if (!held.delete(me.id)) return;
        if (readHolder(path)?.id === me.id) rmSync(path, { force: true });
      };
      process.on("exit", release);
      holdForTest();
      return release;
    }
    const h = readHolder(path);
    if (!h) continue; // released meanwhile: try again
    const state = holderState(h);
    if (state !== "dead") throw heldError(outDir, path, h, state);
    if (takeOver(path, h)) note(`curate: note: took over the lock ${path} of ${describe(h)}; that process is no longer running`);
  }
  throw new UsageError(`output folder ${outDir}: could not take its lock ${path}, other processes kept taking it; is another curate run starting there?`);
}

/** Refuse to start while a one-process run holds `outDir` (array-job ranks and finalize take no lock). */
export function refuseIfLocked(outDir: string): void {
  const path = join(outDir, LOCK_NAME);
  const h = readHolder(path);
  if (!h) return;
  const state = holderState(h);
  if (state !== "dead") throw heldError(outDir, path, h, state, " that holds the folder alone (one process, or --force)");
}
