/** Atomic file writes: write to a temp name in the same folder, fsync, then rename over the target. */
import { closeSync, fsyncSync, lstatSync, openSync, realpathSync, renameSync, writeSync, rmSync, readdirSync, statSync } from "node:fs";
import { dirname, join, basename, sep } from "node:path";
import { FsError, UsageError, mkdirs, withFsContext } from "../errors.js";

/** `.<name>.tmp-<pid>`: hidden, in the target's folder (rename stays on one file system) */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
}

/** a name `tempPathFor` gives */
export const TEMP_NAME = /^\..+\.tmp-\d+$/;

/**
 * Write `data` to `target` through a temp file (`AtomicFile.create`: curate's own files, no checks on
 * the target); a failure names the target and the cause (see io/fs-error.ts).
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const file = AtomicFile.create(target);
  try {
    file.write(data);
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit();
}

/** Rename the finished temp file over `target`; when that fails (a folder there), the temp file goes. */
function renameOver(tmp: string, target: string): void {
  try {
    withFsContext("write", target, () => renameSync(tmp, target));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A folder at `target` is refused before any work is done (it could never be renamed over). */
function refuseFolder(target: string): void {
  if (target.endsWith("/") || target.endsWith(sep)) throw new UsageError(`--out ${target} names a folder: give the file to write`);
  let isDir = false;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    // nothing there yet (or unreadable: the write says why)
  }
  if (isDir) throw new FsError("EISDIR", "write", target);
}

/** An output at `target` is refused when it is one of `inputs` (by device and inode): it would replace that input. */
export function refuseOverwritingInput(target: string, inputs: readonly string[]): void {
  const id = (p: string): string | null => {
    try {
      const st = statSync(p);
      return `${st.dev}:${st.ino}`;
    } catch {
      return null;
    }
  };
  const t = id(target);
  if (t === null) return;
  const same = inputs.find((p) => id(p) === t);
  if (same !== undefined) throw new UsageError(`--out ${target} is an input of this command (${same}): writing it would replace that input; choose another --out`);
}

/**
 * An output that would replace an existing file inside `folder` (a run folder the command reads: its
 * manifest, a shard) is refused; `allowed` names the files it may replace (its own earlier output).
 */
export function refuseOverwritingInside(target: string, folder: string, allowed: readonly string[] = []): void {
  let real: string;
  let root: string;
  try {
    if (!statSync(target).isFile()) return;
    real = realpathSync(target);
    root = realpathSync(folder);
  } catch {
    return; // nothing there to replace
  }
  if (real.startsWith(root + sep) && !allowed.some((a) => realOrNull(a) === real)) {
    throw new UsageError(`--out ${target} is a file of the run folder ${folder}, which this command reads: writing it would replace it; choose another --out`);
  }
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * A file written through a temp file beside the target (`tempPathFor`): `commit` fsyncs it and renames
 * it over the target, `abort` removes it. So the target holds a whole output or its earlier contents,
 * never a cut one, and a command that fails leaves no temp file behind. `writeFileAtomic` writes one
 * at once; `curate decontaminate --out`, `dedupe --out` and `export --out` write theirs piece by piece
 * (`open`). Text is gathered into 64 KB pieces and written synchronously (a piece reaches the page
 * cache in microseconds; callers may be synchronous callbacks).
 */
export class AtomicFile {
  private pending: string[] = [];
  private pendingChars = 0;
  private constructor(
    readonly target: string,
    private readonly tmp: string,
    private fd: number,
  ) {}

  /**
   * Opens the temp file for a user's `--out`. Refused here: a folder at the target, a folder that
   * cannot be made, and a target that is one of `inputs` (the files the command reads, by device and
   * inode): the rename would replace that input with the output.
   */
  static open(target: string, inputs: readonly string[] = []): AtomicFile {
    refuseFolder(target);
    refuseOverwritingInput(target, inputs);
    return AtomicFile.create(target);
  }

  /** Opens the temp file, making the target's folder if needed (no other check: curate's own files). */
  static create(target: string): AtomicFile {
    mkdirs(dirname(target));
    const tmp = tempPathFor(target);
    return new AtomicFile(target, tmp, withFsContext("write", target, () => openSync(tmp, "w")));
  }

  write(data: string | Uint8Array): void {
    if (typeof data !== "string") {
      this.flush();
      this.writeBytes(data);
      return;
    }
    this.pending.push(data);
    this.pendingChars += data.length;
    if (this.pendingChars >= 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(""), "utf8");
    this.pending = [];
    this.pendingChars = 0;
    this.writeBytes(buf);
  }

  private writeBytes(buf: Uint8Array): void {
    withFsContext("write", this.target, () => {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    });
  }

  /** The whole output in place; on a failure the temp file is removed and the error thrown. */
  commit(): void {
    try {
      this.flush();
      withFsContext("write", this.target, () => fsyncSync(this.fd));
    } catch (e) {
      this.abort();
      throw e;
    }
    this.close();
    renameOver(this.tmp, this.target);
  }

  /** Drop the output: the temp file goes, the target is left as it was. */
  abort(): void {
    this.close();
    rmSync(this.tmp, { force: true });
  }

  private close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Remove temp files left by a crashed writer in `dir` (names `tempPathFor` gives). Plain files only: a
 * folder or a link that happens to have such a name is not ours to delete.
 */
export function removeStaleTemps(dir: string): number {
  let n = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!TEMP_NAME.test(e)) continue;
    try {
      if (!lstatSync(join(dir, e)).isFile()) continue;
    } catch {
      continue;
    }
    rmSync(join(dir, e), { force: true });
    n++;
  }
  return n;
}
