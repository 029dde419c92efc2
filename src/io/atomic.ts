/** Atomic file writes: write to a temp name in the same folder, fsync, then rename over the target. */
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, writeSync, rmSync, readdirSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { mkdirs, withFsContext } from "../errors.js";

/** `.<name>.tmp-<pid>`: hidden, in the target's folder (rename stays on one file system) */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
}

/** a name `tempPathFor` gives */
export const TEMP_NAME = /^\..+\.tmp-\d+$/;

/** Write `data` to `target` through a temp file; a failure names the target and the cause (see io/fs-error.ts). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  mkdirs(dirname(target));
  const tmp = tempPathFor(target);
  const fd = withFsContext("write", target, () => openSync(tmp, "w"));
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    withFsContext("write", target, () => {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    });
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  withFsContext("write", target, () => renameSync(tmp, target));
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
