/**
 * The run folder (`--out`) and the rules that keep a user's files safe in it:
 *
 *  - a run writes only into a missing or empty folder, or into one of its own runs: a folder with
 *    `.work/state.json` or a `manifest.json` written by curate (or nothing but curate's lock and
 *    `.work/`, a run starting). Any other non-empty folder is refused, `--force` or not.
 *  - no symbolic link inside the run's folders (data/, rejected/, annotated/, outputs/, decontaminate/,
 *    .work/): refused, never followed, so no write or delete lands outside the run folder.
 *  - clean-up (`--force`, finalize) removes only files by the names curate gives them (shards, cards,
 *    manifests, their temp files) and `.work/`; anything else stays, and is named on stderr.
 *  - one process at a time holds the folder alone (see run-lock.ts).
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError, mkdirs } from "../errors.js";
import { TEMP_NAME, removeStaleTemps } from "../io/atomic.js";
import { configChanges } from "../config/load.js";
import { readState, writeState, type RunState } from "./markers.js";
import { LOCK_NAME, acquireRunLock, refuseIfLocked } from "./lock.js";

/** the folders a run writes in, at the top of its run folder */
export const RUN_DIRS = ["data", "rejected", "annotated", "outputs", "decontaminate", ".work"];

/** the names curate gives files: per folder of a run (`product`: outputs/<name>/, `productData`: its data/) */
const OWN = {
  top: /^(?:manifest\.json|README\.md|timings\.json|clusters\.json|problems\.jsonl)$/,
  data: /^train-u\d{5,}-(?:p\d{5,}-)?\d{5,}\.parquet$/,
  rejected: /^rejected-u\d{5,}-(?:p\d{5,}-)?\d{5,}\.parquet$/,
  annotated: /^u\d{5,}-\d{5,}\.parquet$/,
  decontaminate: /^index\.bin(?:\.tmp-\d+)?$/,
  product: /^(?:README\.md|manifest\.json)$/,
  productData: /^train-\d{5,}\.parquet$/,
} as const;

/** a file curate wrote under that name pattern, or its temp file */
const isOwn = (re: RegExp, name: string) => re.test(name) || (TEMP_NAME.test(name) && re.test(name.slice(1).replace(/\.tmp-\d+$/, "")));

const list = (names: string[]) => names.slice(0, 5).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");

/** `.work/state.json` or a manifest curate wrote: a run folder */
function holdsRun(outDir: string): boolean {
  const st = readState(outDir);
  if (st && typeof st.annotateHash === "string" && Array.isArray(st.files)) return true;
  try {
    return (JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")) as { tool?: { name?: string } }).tool?.name === "curate";
  } catch {
    return false;
  }
}

/** Refuse an `--out` that is a file, or a non-empty folder that is not a curate run (with --force too). */
export function refuseForeignFolder(outDir: string): "missing" | "empty" | "run" {
  let entries: string[];
  try {
    if (!statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file, not a folder; choose another --out`);
    entries = readdirSync(outDir);
  } catch (e) {
    // missing, or below a file (ENOTDIR): creating it says what is wrong
    if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return "missing";
    throw e;
  }
  if (!entries.length) return "empty";
  if (holdsRun(outDir)) return "run";
  // a run starting: its lock and .work/ come before its state file
  if (entries.every((e) => e === ".work" || e.startsWith(LOCK_NAME))) return "run";
  throw new UsageError(
    `output folder ${outDir} is not empty and is not a curate run (no .work/state.json or manifest.json written by curate); it holds ${list(entries.sort())}. ` +
      `curate writes only into a new or empty folder or one of its own runs, and never deletes files it did not write (--force included): choose another --out, or empty that folder`,
  );
}

/** Refuse a symbolic link (or a file where a folder belongs) anywhere in the run's folders. */
export function refuseLinks(outDir: string): void {
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(outDir, rel), { withFileTypes: true });
    } catch (e) {
      // removed meanwhile (another rank's spill or temp folder): nothing to check
      if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return;
      throw e;
    }
    for (const e of entries) {
      const r = `${rel}/${e.name}`;
      if (e.isSymbolicLink()) throw linkError(outDir, r);
      if (e.isDirectory()) walk(r);
    }
  };
  for (const d of RUN_DIRS) {
    let st;
    try {
      st = lstatSync(join(outDir, d));
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) throw linkError(outDir, d);
    if (!st.isDirectory()) throw new UsageError(`${join(outDir, d)} is a file, but curate writes a folder there; move it away or choose another --out`);
    walk(d);
  }
}

function linkError(outDir: string, rel: string): UsageError {
  const abs = join(outDir, rel);
  let to = "";
  try {
    to = ` (to ${readlinkSync(abs)})`;
  } catch {
    // unreadable link: named without its target
  }
  return new UsageError(
    `${abs} is a symbolic link${to}; curate never writes or deletes through a link inside its run folder: replace it with a real folder, or choose another --out`,
  );
}

/**
 * Remove the files of folder `rel` whose names `re` gives, except those `keep` holds; anything else is
 * listed in `kept` (a subfolder named `sub` is curate's, not listed). With `dropEmpty`, the folder goes
 * when nothing is left in it.
 */
function removeOwn(outDir: string, rel: string, re: RegExp, kept: string[], o: { keep?: (name: string) => boolean; sub?: string; dropEmpty: boolean }): void {
  const dir = join(outDir, rel);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  let left = 0;
  for (const e of entries) {
    if ((e.isFile() || e.isSymbolicLink()) && isOwn(re, e.name)) {
      if (o.keep?.(e.name)) left++;
      else rmSync(join(dir, e.name), { force: true });
    } else {
      left++;
      if (!(e.isDirectory() && e.name === o.sub)) kept.push(`${rel}/${e.name}`);
    }
  }
  if (!left && o.dropEmpty) rmdirSync(dir);
}

/** outputs/<name>/ is curate's: a product of this config or of the run's manifest, or it holds an output manifest of that name */
function ownProduct(outDir: string, name: string, known: Set<string>): boolean {
  if (known.has(name)) return true;
  try {
    const m = JSON.parse(readFileSync(join(outDir, "outputs", name, "manifest.json"), "utf8")) as { name?: string; kind?: string; configHash?: string };
    return m.name === name && typeof m.kind === "string" && typeof m.configHash === "string";
  } catch {
    return false;
  }
}

/**
 * outputs/: each product's card, manifest and data/ shards, except the shards `keep` lists for the
 * products it names (absolute paths; null: keep none). `known`: product names that are curate's.
 */
function removeProducts(outDir: string, keep: Record<string, Set<string>> | null, known: Set<string>, kept: string[]): void {
  const root = join(outDir, "outputs");
  if (!existsSync(root)) return;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const rel = `outputs/${e.name}`;
    if (!e.isDirectory() || !ownProduct(outDir, e.name, known)) {
      kept.push(rel);
      continue;
    }
    const files = keep?.[e.name];
    if (files) {
      removeOwn(outDir, `${rel}/data`, OWN.productData, kept, { keep: (name) => files.has(join(outDir, rel, "data", name)), dropEmpty: false });
      continue;
    }
    removeOwn(outDir, `${rel}/data`, OWN.productData, kept, { dropEmpty: true });
    removeOwn(outDir, rel, OWN.product, kept, { sub: "data", dropEmpty: true });
  }
  if (!readdirSync(root).length) rmdirSync(root);
}

/** the product names of the run's manifest (a finished run's), with `also` */
function manifestProducts(outDir: string, also: string[]): Set<string> {
  const names = new Set(also);
  try {
    const m = JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")) as { outputs?: Record<string, unknown> };
    for (const name of Object.keys(m.outputs ?? {})) names.add(name);
  } catch {
    // no finished run: the config's names
  }
  return names;
}

/** a file or a link (never a folder someone put under that name) */
function removeFile(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isFile() || st.isSymbolicLink()) rmSync(path, { force: true });
  } catch {
    // not there
  }
}

/**
 * `--force`: remove what a run wrote — its files by the names curate gives them, and `.work/` — and
 * nothing else. Returns the files kept inside the run's folders (not curate's), relative.
 */
export function removeRun(outDir: string, products: string[]): string[] {
  const kept: string[] = [];
  const known = manifestProducts(outDir, products);
  rmSync(join(outDir, ".work"), { recursive: true, force: true }); // links in it were refused; rm never follows one
  for (const d of ["data", "rejected", "annotated", "decontaminate"] as const) removeOwn(outDir, d, OWN[d], kept, { dropEmpty: true });
  removeProducts(outDir, null, known, kept);
  for (const f of readdirSync(outDir)) if (isOwn(OWN.top, f)) removeFile(join(outDir, f));
  return kept;
}

/**
 * Finalize: remove data/ and rejected/ shards no write marker lists (`listed`: relative paths), products
 * and product shards of an earlier config (`products`: the current ones, absolute shard paths; null:
 * none), and the files finalize writes again. Returns the files kept that curate did not write.
 */
export function removeUnlisted(outDir: string, listed: Set<string>, products: Record<string, Set<string>> | null): string[] {
  const kept: string[] = [];
  refuseLinks(outDir);
  for (const set of ["data", "rejected"] as const) removeOwn(outDir, set, OWN[set], kept, { keep: (name) => listed.has(`${set}/${name}`), dropEmpty: false });
  removeProducts(outDir, products, new Set(Object.keys(products ?? {})), kept);
  for (const e of ["README.md", "timings.json", "clusters.json", "problems.jsonl"]) removeFile(join(outDir, e));
  return kept;
}

export interface OpenRunFolder {
  outDir: string;
  /** this process holds the folder alone: one-process runs (world size 1, not finalize) and --force */
  exclusive: boolean;
  /** the phase writes the state (annotate, all), else the state must be there */
  annotating: boolean;
  annotateHash: string;
  /** what the hash covers (stored in the state, diffed when the hash differs) */
  annotateConfig: unknown;
  files: string[];
  force: boolean;
  refilter: boolean;
  /** the config's output (product) names */
  products: string[];
  /** stderr lines (stale lock taken over, files kept) */
  note: (line: string) => void;
}

/**
 * Check the folder, take its lock (or check nobody holds it alone), then the state checks of the old
 * prepareOutDir: a finished run needs --force or --refilter, a different config or input list --force.
 * Returns the lock's release (a no-op for ranks and finalize).
 */
export function openRunFolder(o: OpenRunFolder): () => void {
  const { outDir } = o;
  const kind = refuseForeignFolder(outDir);
  if (kind !== "missing") refuseLinks(outDir);
  if (!o.annotating) {
    const st = readState(outDir);
    if (!st) throw new UsageError(`${outDir} holds no annotate phase of this run (.work/state.json missing); run the annotate phase first`);
    if (st.annotateHash !== o.annotateHash) throw new UsageError(`${outDir} was annotated with a different config (annotate hash ${st.annotateHash.slice(0, 16)}, now ${o.annotateHash.slice(0, 16)}${changed(st, o)})`);
  }
  if (kind === "missing") mkdirs(outDir);
  let release = () => {};
  if (o.exclusive) release = acquireRunLock(outDir, o.note);
  else refuseIfLocked(outDir);
  try {
    if (o.annotating) prepareState(o);
  } catch (e) {
    release();
    throw e;
  }
  return release;
}

function prepareState(o: OpenRunFolder): void {
  const { outDir, annotateHash: hash, files } = o;
  const state = readState(outDir);
  if (existsSync(join(outDir, "manifest.json")) && !o.force && o.refilter && state && state.annotateHash !== hash) {
    throw new UsageError(
      `--refilter cannot re-decide ${outDir}: the config changed beyond filters and outputs (annotate hash ${state.annotateHash.slice(0, 16)}, now ${hash.slice(0, 16)}${changed(state, o)}); ` +
        `the annotations depend on it: pass --force to annotate again, or undo the change`,
    );
  }
  if (existsSync(join(outDir, "manifest.json")) && !o.force && !(o.refilter && state?.annotateHash === hash)) {
    throw new UsageError(
      `output folder ${outDir} already holds a finished run (manifest.json); pass --force to replace it, --refilter to re-decide it with changed filters or outputs, or choose another --out`,
    );
  }
  if (o.force) {
    const kept = removeRun(outDir, o.products);
    if (kept.length) o.note(`curate: note: --force kept ${kept.length} file(s) in ${outDir} that curate did not write: ${list(kept)}`);
  } else if (state && state.annotateHash !== hash) {
    throw new UsageError(
      `output folder ${outDir} holds a run annotated under a different config (annotate hash ${state.annotateHash.slice(0, 16)}, now ${hash.slice(0, 16)}${changed(state, o)}; only filters and outputs may change without re-annotating); pass --force to start over`,
    );
  } else if (state && JSON.stringify(state.files) !== JSON.stringify(files)) {
    throw new UsageError(`output folder ${outDir} holds a run over different input files (the inputs matched by the mix file changed); pass --force to start over`);
  }
  mkdirs(join(outDir, ".work", "units"));
  removeStaleTemps(outDir);
  writeState(outDir, { annotateHash: hash, files, annotateConfig: o.annotateConfig });
}

/** `: changed $.annotate.verify.timeoutMs: 1000 → 3000` when the state kept its config (runs since it does). */
function changed(state: RunState, o: OpenRunFolder): string {
  if (state.annotateConfig === undefined) return "";
  const lines = configChanges(state.annotateConfig, JSON.parse(JSON.stringify(o.annotateConfig)));
  return lines.length ? `: changed ${lines.join("; ")}` : "";
}
