/**
 * Paths for Kubernetes jobs. The pods see one folder of this machine, the volume root (what the
 * PersistentVolumeClaim holds), at the mount path, and nothing else of it. A mix runs there as written
 * only when everything the run reads (the mix file, its sources' files, decontamination benchmark
 * files or folder) and the run folder lie in that folder, and every path in the mix leads, in a pod,
 * to the same file as here: a path relative to the mix file does (the mix moves with its inputs); an
 * absolute path only when the mount path is the folder's own path here. Symbolic links are followed
 * here, so a link in the folder that points out of it is refused too (the pods cannot follow it).
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, posix, relative, resolve } from "node:path";
import type { LoadedMix } from "../config/load.js";
import { localFileFor } from "../decontam/load.js";
import { resolveBenchmarkSpecs } from "../decontam/registry.js";
import { UsageError } from "../errors.js";
import { resolveSourceFiles } from "../io/sources.js";

export interface Volume {
  /** the folder here whose contents the volume holds */
  root: string;
  /** where the pods mount the volume: an absolute POSIX path */
  mountPath: string;
}

/** One file or folder the run reads, as the mix names it. */
interface Input {
  /** what it is, for people: `source "web"`, `annotate.decontaminate.benchmarks[0] ("mini")` */
  what: string;
  /** its absolute path here, resolved as the run resolves it (against the mix file's folder) */
  local: string;
  /** the mix gives it relative to the mix file's folder (false: an absolute path) */
  relativeToMix: boolean;
}

/** The paths the pods use, and notes for people (inputs the pods fetch from the network). */
export interface PodPaths {
  mix: string;
  out: string;
  notes: string[];
}

/** The real path of `p`; for a path that does not exist yet, the real path of its nearest existing folder + the rest. */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPathOf(parent), basename(abs));
  }
}

/** `path` relative to `folder` when it lies in it ("" for the folder itself), else null. */
function within(folder: string, path: string): string | null {
  const rel = relative(folder, path);
  if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) return null;
  return rel;
}

/** Where a pod finds what lies at `real` here (a real path), or null when it is outside the volume. */
function podPathOf(real: string, realRoot: string, mountPath: string): string | null {
  const rel = within(realRoot, real);
  return rel === null ? null : posix.join(mountPath, rel);
}

/** Every file and folder a run of `loaded` reads, and the names of built-in benchmarks it fetches from the Hub. */
export async function mixInputs(loaded: LoadedMix): Promise<{ inputs: Input[]; hub: string[] }> {
  const { config, baseDir } = loaded;
  const inputs: Input[] = [];
  for (const s of config.sources) {
    for (const pattern of Array.isArray(s.path) ? s.path : [s.path]) {
      let files;
      try {
        files = await resolveSourceFiles({ ...s, path: pattern }, baseDir);
      } catch (e) {
        throw new UsageError(`${loaded.path}: ${(e as Error).message}`);
      }
      for (const f of files) inputs.push({ what: `source "${s.name}"`, local: f.path, relativeToMix: !isAbsolute(pattern) });
    }
  }
  const hub: string[] = [];
  const decontaminate = config.annotate?.decontaminate;
  if (!decontaminate) return { inputs, hub };
  let specs;
  try {
    specs = resolveBenchmarkSpecs(decontaminate.benchmarks);
  } catch (e) {
    throw new UsageError(`${loaded.path}: ${(e as Error).message}`);
  }
  const dir = config.benchmarksDir;
  if (dir !== undefined) inputs.push({ what: "benchmarksDir", local: resolve(baseDir, dir), relativeToMix: !isAbsolute(dir) });
  specs.forEach((spec, i) => {
    if (spec.kind === "file") {
      const what = `annotate.decontaminate.benchmarks[${i}] ("${spec.entry.name}")`;
      inputs.push({ what, local: resolve(baseDir, spec.entry.path), relativeToMix: !isAbsolute(spec.entry.path) });
    } else if (dir === undefined) {
      hub.push(spec.entry.name);
    } else {
      const file = localFileFor(spec, resolve(baseDir, dir));
      if (file) inputs.push({ what: `benchmark ${spec.entry.name} (in benchmarksDir)`, local: file, relativeToMix: !isAbsolute(dir) });
    }
  });
  return { inputs, hub };
}

/** Why `input` would not be where a pod looks for it (null: it will be). */
function inputProblem(input: Input, realRoot: string, mountPath: string, podBaseDir: string, baseDir: string): string | null {
  if (!existsSync(input.local)) return `${input.what}: ${input.local} does not exist`;
  const real = realPathOf(input.local);
  const has = podPathOf(real, realRoot, mountPath);
  if (has === null) return `${input.what}: ${input.local}${real !== input.local ? ` (a link to ${real})` : ""} is outside the folder`;
  const opens = input.relativeToMix ? posix.join(podBaseDir, relative(baseDir, input.local)) : input.local;
  if (opens === has) return null;
  return input.relativeToMix
    ? `${input.what}: a pod would read ${opens}, but the volume holds ${input.local} at ${has} (a symbolic link on the way?)`
    : `${input.what}: the mix gives the absolute path ${input.local}, which a pod would read as is, but the volume holds it at ${has}; give it relative to the mix file`;
}

/**
 * The mix file and run folder as the pods address them, after checking that everything the run reads
 * and writes lies in `volume.root` and that a pod reading the mix as written finds it there. Throws a
 * UsageError listing every path that would not be, so one round of fixes is enough (the inputs are
 * judged once the mix file itself is in the folder: they are read relative to it).
 */
export async function podPaths(loaded: LoadedMix, outDir: string, volume: Volume): Promise<PodPaths> {
  const mountPath = volume.mountPath;
  if (!mountPath.startsWith("/") || posix.normalize(mountPath) !== mountPath || (mountPath.endsWith("/") && mountPath !== "/")) {
    throw new UsageError(`--mount-path ${mountPath}: expected an absolute, normalised POSIX path such as /data`);
  }
  if (!existsSync(volume.root) || !statSync(volume.root).isDirectory()) throw new UsageError(`--volume-root ${volume.root}: no such folder`);
  const realRoot = realPathOf(volume.root);
  const problems: string[] = [];
  const mix = podPathOf(realPathOf(loaded.path), realRoot, mountPath);
  if (mix === null) problems.push(`the mix file ${loaded.path} is outside the folder`);
  const { inputs, hub } = await mixInputs(loaded);
  if (mix !== null) {
    for (const input of inputs) {
      const p = inputProblem(input, realRoot, mountPath, posix.dirname(mix), loaded.baseDir);
      if (p) problems.push(p);
    }
  }
  const out = podPathOf(realPathOf(outDir), realRoot, mountPath);
  if (out === null) problems.push(`the run folder (--out) ${resolve(outDir)} is outside the folder`);
  else if (out === mountPath) problems.push(`the run folder (--out) ${resolve(outDir)} is the folder itself; give a folder in it, such as ${join(volume.root, "runs", loaded.config.name)}`);
  if (problems.length > 0) {
    throw new UsageError(
      `plan --k8s: the pods see only the folder ${realRoot} (--volume-root), mounted at ${mountPath}; ${problems.length} path(s) would not be there:\n  ${problems.join("\n  ")}\n` +
        `put the inputs and the run folder in ${realRoot}, with paths relative to the mix file, or plan with --volume-root <a folder holding them all>`,
    );
  }
  const notes = hub.length === 0 ? [] : [`decontamination benchmarks ${hub.join(", ")} are fetched from the Hugging Face Hub by every annotate pod (network needed at run time); for a run without network set "benchmarksDir" in the mix to a folder in ${realRoot} holding their files`];
  return { mix: mix!, out: out!, notes };
}
