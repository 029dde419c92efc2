/**
 * Errors meant for people: they name the file, the row (or JSON path) and what was expected.
 *
 * File-system failures are said for people: which operation, on which path, and the cause in words with
 * its code — "cannot write /x/out/data/train-u00000-p00000-00000.parquet: no space left on device
 * (ENOSPC)". Node's own errors name the path for most calls but not for writes to an open file, and a
 * recursive mkdir on a read-only disk reports ENOENT; errors from worker threads arrive as bare
 * messages. `fsErrorOf` reads all of these (properties, or Node's "CODE: text, syscall 'path'" message).
 */
import { mkdirSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Bad usage or bad config: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A problem with one input row or file; carries where it happened. */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    readonly file: string,
    readonly row: number | null,
    readonly cause_: string,
  ) {
    super(`${file}${row === null ? "" : `, row ${row + 1}`}: ${cause_}`);
  }
}

/** One line for people (the stack too with CURATE_DEBUG set); a file-system failure names the operation and the path. */
export function formatError(err: unknown): string {
  if (err instanceof UsageError || err instanceof InputError) return `curate: ${err.message}`;
  if (err instanceof Error) {
    const msg = `curate: ${fsErrorOf(err)?.message ?? err.message}`;
    return process.env.CURATE_DEBUG ? `${msg}\n${err.stack ?? ""}` : msg;
  }
  return `curate: ${String(err)}`;
}


const CAUSES: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder",
  EEXIST: "it already exists",
  ENOTEMPTY: "the folder is not empty",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "name too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "input/output error",
  EBUSY: "resource busy",
  EXDEV: "cross-device link",
  ESTALE: "stale file handle",
};

/** the operation as people say it, by system call */
const VERBS: Record<string, string> = {
  open: "open",
  write: "write",
  fsync: "write",
  close: "write",
  read: "read",
  mkdir: "create folder",
  rename: "rename",
  link: "link",
  unlink: "remove",
  rmdir: "remove folder",
  rm: "remove",
  scandir: "list folder",
  opendir: "list folder",
  stat: "read",
  lstat: "read",
  utime: "touch",
  copyfile: "copy",
};

/** An fs operation that failed: the message names the operation, the path and the cause. */
export class FsError extends Error {
  override name = "FsError";
  constructor(
    readonly code: string,
    readonly op: string,
    readonly path: string | null,
    readonly dest: string | null = null,
  ) {
    const where = path === null ? "" : ` ${path}${dest ? ` to ${dest}` : ""}`;
    super(`cannot ${op}${where}: ${CAUSES[code] ?? code} (${code})`);
  }
}

/** `.<name>.tmp-<pid>` (see io/atomic.ts) → the file it becomes: people know the target, not the temp */
function targetOf(path: string): string | null {
  const m = /^\.(.+)\.tmp-\d+(?:-\d+)?$/.exec(basename(path));
  return m ? join(dirname(path), m[1]!) : null;
}

/**
 * The FsError for `e` when it is a file-system failure (else null); `op` and `path` say where it
 * happened when `e` does not name a path itself (a write to an open file).
 */
export function fsErrorOf(e: unknown, op?: string, path?: string): FsError | null {
  if (e instanceof FsError) return e;
  if (!(e instanceof Error)) return null;
  const x = e as NodeJS.ErrnoException & { dest?: string };
  // Node's message: "ENOSPC: no space left on device, write" / "EROFS: …, open '/a'" / "…, rename '/a' -> '/b'"
  const m = /^(E[A-Z0-9]+): [^,]*(?:, (\w+)(?: '([^']*)')?(?: -> '([^']*)')?)?/.exec(x.message);
  const code = typeof x.code === "string" && x.code.startsWith("E") ? x.code : m?.[1];
  if (!code || !(code in CAUSES)) return null;
  const syscall = x.syscall ?? m?.[2];
  let errPath = x.path ?? m?.[3] ?? null;
  const dest = x.dest ?? m?.[4] ?? null;
  let verb = syscall ? (VERBS[syscall] ?? syscall) : (op ?? "write");
  const target = errPath ? targetOf(errPath) : null;
  if (target) {
    // creating, filling or renaming a temp file is writing its target
    errPath = target;
    verb = "write";
    return new FsError(code, verb, errPath);
  }
  if (errPath === null && path) {
    errPath = targetOf(path) ?? path;
    if (op) verb = op;
  }
  return new FsError(code, verb, errPath, dest);
}

/** `fn()`, with a file-system failure rethrown as an FsError naming `op` and `path` */
export function withFsContext<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fsErrorOf(e, op, path) ?? e;
  }
}

/**
 * mkdir -p that says why it failed, one folder at a time from the deepest one that exists. Node's own
 * recursive mkdir loops forever at full CPU where a folder exists but making its child says ENOENT
 * (the working folder deleted under the process, a path in /proc: `mkdir runs` ENOENT, `mkdir .`
 * EEXIST, again), and it reports ENOENT when a parent cannot be made (a read-only disk, no
 * permission); made one by one, each folder fails with its own cause, naming it.
 */
export function mkdirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; statOrNull(d) === null; d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  // all there: a folder, or a file in the way (mkdir names it: EEXIST)
  if (missing.length === 0 && statOrNull(dir)?.isDirectory() !== true) missing.push(dir);
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && statOrNull(missing[i]!)?.isDirectory()) continue; // made meanwhile by another process
      throw fsErrorOf(e, "create folder", missing[i]!) ?? e;
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
