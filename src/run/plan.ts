/**
 * Job scripts for array jobs, six phases:
 *   annotate  array: units k with k mod ranks = rank
 *   group     array: rank r confirms the near-duplicate candidate pairs of LSH bands j ≡ r (mod ranks)
 *   merge     array: rank r reads every rank's pairs, forms the problem groups and decides those whose
 *             key hashes to r (mod ranks) — exact duplicates, caps — saved as share r of the outcome
 *   write     array: each task writes its own units' data/ and rejected/ shards from the saved outcome
 *   outputs   array: every task plans the data products, waits for every part's spill (made by the
 *             write tasks: part j by task j mod ranks), then writes output shards g ≡ rank (mod ranks)
 *   finalize  one task: problem statistics, output manifests, conservation check, manifest
 * Slurm: arrays and single jobs chained by afterok dependencies; each script starts curate with the
 * `node` found on PATH when the job starts (or the one given when planning) and this checkout's
 * dist/cli/main.js, on the shared filesystem's absolute paths. Kubernetes: Indexed Jobs and Jobs
 * running the image built from the Dockerfile at the repository root (its entrypoint is
 * IMAGE_ENTRYPOINT), with every path under the volume's mount path (see plan-volume.ts). Every phase
 * waits for the markers of the one before (<out>/.work/units/, .work/group/, .work/write/,
 * .work/outputs/) on the shared filesystem, so all may be submitted at once. No phase waits for a
 * later one.
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { UsageError, mkdirs } from "../errors.js";
import { packageRoot, toolVersion } from "../version.js";

export type Phase = "annotate" | "group" | "merge" | "write" | "outputs" | "finalize";
export const PHASES: readonly Phase[] = ["annotate", "group", "merge", "write", "outputs", "finalize"];

/** What the image built from the repository's Dockerfile runs (its ENTRYPOINT). */
export const IMAGE_ENTRYPOINT: readonly string[] = ["node", "/app/dist/cli/main.js"];

export interface PlanOptions {
  ranks: number;
  units: number;
  scriptsDir: string;
  cpusPerTask: number;
  memGB: number;
}

export interface SlurmOptions extends PlanOptions {
  mixPath: string;
  outDir: string;
  /** the node that runs curate: a command name looked up on PATH when the job starts, or an absolute path */
  node: string;
  /** absolute path of curate's entry script (dist/cli/main.js) */
  curateEntry: string;
}

export interface K8sOptions extends PlanOptions {
  image: string;
  pvc: string;
  mountPath: string;
  /** the mix file and run folder as the pods see them (under mountPath) */
  podMix: string;
  podOut: string;
}

/** The image name the Dockerfile's build command in docs/arrays.md gives: curate:<version>. */
export function defaultImage(): string {
  return `curate:${toolVersion()}`;
}

/**
 * How Slurm jobs start curate: `node` (a name looked up on PATH in the job, or a path) and the entry
 * script (default: this checkout's). Paths must exist here: the scripts use this machine's absolute
 * paths, so they run where the filesystem is the same.
 */
export function slurmLaunch(node: string | undefined, curate: string | undefined): { node: string; curateEntry: string } {
  let nodeCmd = node ?? "node";
  if (nodeCmd.includes("/")) {
    nodeCmd = resolve(nodeCmd);
    if (!existsSync(nodeCmd) || statSync(nodeCmd).isDirectory()) throw new UsageError(`--node ${node}: no such file (expected the path of a node executable)`);
  }
  const curateEntry = resolve(curate ?? join(packageRoot, "dist", "cli", "main.js"));
  if (!existsSync(curateEntry) || statSync(curateEntry).isDirectory()) {
    throw new UsageError(`--curate ${curate ?? curateEntry}: no such file (expected curate's dist/cli/main.js; build it with npm run build)`);
  }
  return { node: nodeCmd, curateEntry };
}

/** curate's arguments for one phase, the same on Slurm and Kubernetes. */
export function phaseArgs(phase: Phase, mix: string, out: string, o: PlanOptions): string[] {
  const args = ["run", mix, "--out", out, "--phase", phase];
  if (phase !== "finalize") args.push("--world-size", String(o.ranks));
  // merge decides groups in one thread; on one CPU a worker thread would only share it with the main
  // thread and cost its start (each loads the annotators): inline, as curate run does for small inputs
  if (phase !== "merge") args.push("--workers", String(o.cpusPerTask > 1 ? o.cpusPerTask : 0));
  // finalize prints the run's summary to its log
  if (phase !== "finalize") args.push("--quiet");
  return args;
}

const cpusFor = (phase: Phase, o: PlanOptions) => (phase === "merge" ? 1 : o.cpusPerTask);

/** A word for bash: as is when it holds no special character, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w/.,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What each phase does, said once for both schedulers; `rank` names where the rank comes from. */
function phaseComment(phase: Phase, o: PlanOptions, rank: string): string {
  const n = o.ranks;
  switch (phase) {
    case "annotate":
      return `Annotate phase: rank = ${rank} takes units k with k mod ${n} = rank (${o.units} unit(s): input files, large ones cut by unitBytes).\nRerunning a failed task resumes: units with a completion marker are skipped.`;
    case "group":
      return `Group phase: waits for every annotate marker; every task reads annotated/'s compact columns and\nconfirms the near-duplicate candidate pairs of its share of the LSH bands (bands j with j mod ${n} =\n${rank}) → .work/group/pairs-*.bin.`;
    case "merge":
      return `Merge phase: every task reads all group ranks' pairs and forms the problem groups; task r = ${rank}\ndecides the groups whose key hashes to r (mod ${n}) — exact duplicates, caps, representatives — holding\nrow data for its share only, and saves share r of the outcome (.work/group/<token>/share-w${n}-r<r>.*).`;
    case "write":
      return `Write phase: every task reads the saved group outcome and writes data/ and rejected/ for its own\nunits (k mod ${n} = ${rank}). A rerun skips units already written.`;
    case "outputs":
      return `Outputs phase: every task plans the data products from annotated/ (the same plan everywhere), waits for\nevery part's records (texts, token ids) in .work/outputs/ (spilled by the write tasks), then writes the\noutput shards g with g mod ${n} = ${rank}. A rerun skips shards written.`;
    case "finalize":
      return "Finalize phase: waits for every unit's markers, writes any unit and output shard not written yet,\nthen the conservation check, the output manifests and the run manifest (last).";
  }
}

const commentLines = (text: string) => text.split("\n").map((l) => `# ${l}`);

/**
 * A log path in an #SBATCH line, which sbatch parses itself, with no shell (src/sbatch/opt.c
 * `_get_argument`): white space ends the value and an unquoted `#` or `'` changes what follows, so
 * the path is always double-quoted, a `"` in it escaped as `\"`; `%` starts Slurm's filename patterns
 * (%j, %a), so the folder's own `%` is written `%%`. A backslash would turn those patterns off, and a
 * line break would end the directive: a folder holding either is refused.
 */
export function sbatchLogPath(dir: string, name: string): string {
  if (/[\\\r\n]/.test(dir)) throw new UsageError(`scripts folder ${JSON.stringify(dir)}: Slurm's #SBATCH --output line cannot hold a backslash or line break; choose another with --scripts`);
  return `"${dir.replaceAll("%", "%%").replaceAll('"', '\\"')}/${name}"`;
}

function sbatchScript(phase: Phase, o: SlurmOptions): string {
  const array = phase !== "finalize";
  const args = phaseArgs(phase, resolve(o.mixPath), resolve(o.outDir), o).map(shellWord).join(" ");
  const lines = [
    "#!/usr/bin/env bash",
    `#SBATCH --job-name=curate-${phase}`,
    ...(array ? [`#SBATCH --array=0-${o.ranks - 1}`] : []),
    `#SBATCH --cpus-per-task=${cpusFor(phase, o)}`,
    `#SBATCH --mem=${o.memGB}G`,
    `#SBATCH --output=${sbatchLogPath(resolve(o.scriptsDir), `${phase}${array ? "-%a" : ""}.log`)}`,
    ...commentLines(phaseComment(phase, o, "SLURM_ARRAY_TASK_ID")),
    "set -euo pipefail",
    "# node: a name is looked up on PATH when the job starts (load a Node.js module first), a path is used as is",
    `node=${shellWord(o.node)}`,
    `curate=${shellWord(o.curateEntry)}`,
    `command -v "$node" >/dev/null || { echo "curate-${phase}: cannot find node ($node) on PATH=\${PATH-}; load Node.js 22 or plan with --node <path>" >&2; exit 127; }`,
    `[ -f "$curate" ] || { echo "curate-${phase}: $curate does not exist; build curate (npm run build) or plan with --curate <path of dist/cli/main.js>" >&2; exit 1; }`,
    `exec "$node" "$curate" ${args}`,
  ];
  return `${lines.join("\n")}\n`;
}

const SUBMIT = `#!/usr/bin/env bash
# Submit the phases in order, each once the one before succeeded: annotate, group, merge, write,
# outputs (arrays), finalize.
set -euo pipefail
cd "$(dirname "$0")"
a=$(sbatch --parsable annotate.sbatch)
g=$(sbatch --parsable --dependency=afterok:\${a%%_*} group.sbatch)
m=$(sbatch --parsable --dependency=afterok:\${g%%_*} merge.sbatch)
w=$(sbatch --parsable --dependency=afterok:\${m%%_*} write.sbatch)
o=$(sbatch --parsable --dependency=afterok:\${w%%_*} outputs.sbatch)
sbatch --dependency=afterok:\${o%%_*} finalize.sbatch
`;

/** Writes <phase>.sbatch for every phase and submit.sh; returns their paths. */
export function writeSlurm(o: SlurmOptions): string[] {
  mkdirs(o.scriptsDir);
  const files: Record<string, string> = {};
  for (const phase of PHASES) files[`${phase}.sbatch`] = sbatchScript(phase, o);
  files["submit.sh"] = SUBMIT;
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(o.scriptsDir, name), text);
  return Object.keys(files).map((f) => join(o.scriptsDir, f));
}

/** The Kubernetes Job of one phase: an Indexed Job for the arrays (JOB_COMPLETION_INDEX is the rank), a Job for finalize. */
export function k8sJob(phase: Phase, o: K8sOptions): Record<string, unknown> {
  const container = {
    name: phase,
    image: o.image,
    command: [...IMAGE_ENTRYPOINT],
    args: phaseArgs(phase, o.podMix, o.podOut, o),
    resources: { requests: { cpu: String(cpusFor(phase, o)), memory: `${o.memGB}Gi` } },
    volumeMounts: [{ name: "data", mountPath: o.mountPath }],
  };
  const completions = phase === "finalize" ? { completions: 1, backoffLimit: 3 } : { completionMode: "Indexed", completions: o.ranks, parallelism: o.ranks, backoffLimitPerIndex: 3 };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `curate-${phase}` },
    spec: {
      ...completions,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [container],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: o.pvc } }],
        },
      },
    },
  };
}

/**
 * JSON for people: a value whose line (indent, key and one-line form) fits in `width` characters stays on one line (argument
 * lists, small maps), bigger ones get a line per entry. Still JSON, so JSON.parse reads it back.
 */
export function readableJson(v: unknown, indent = "", width = 140, keyWidth = 0): string {
  const flat = oneLineJson(v);
  if (v === null || typeof v !== "object" || indent.length + keyWidth + flat.length <= width) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + readableJson(x, inner, width)).join(",\n")}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${readableJson(x, inner, width, JSON.stringify(k).length + 2)}`);
  return `{\n${entries.join(",\n")}\n${indent}}`;
}

function oneLineJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(oneLineJson).join(", ")}]`;
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${oneLineJson(x)}`);
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

/**
 * Writes job-<phase>.yaml for every phase; returns their paths. Each file is comment lines and then
 * the Job as JSON, which is YAML (kubectl reads it as any manifest) and has no quoting pitfalls:
 * paths with spaces, quotes or colons stay one argument.
 */
export function writeK8s(o: K8sOptions): string[] {
  mkdirs(o.scriptsDir);
  const header = [
    `Image ${o.image}: built from curate's Dockerfile (docker build -t ${o.image} .); see docs/arrays.md.`,
    `Volume: PersistentVolumeClaim ${o.pvc} at ${o.mountPath}, holding the mix file (${o.podMix}), its inputs and the run folder (${o.podOut}).`,
    "Apply every job-*.yaml at once (kubectl apply -f <this folder>): each phase waits for the one before.",
  ].join("\n");
  const written: string[] = [];
  for (const phase of PHASES) {
    const comment = phaseComment(phase, o, "JOB_COMPLETION_INDEX");
    const text = `${[...commentLines(comment), ...commentLines(header)].join("\n")}\n${readableJson(k8sJob(phase, o))}\n`;
    const file = join(o.scriptsDir, `job-${phase}.yaml`);
    writeFileAtomic(file, text);
    written.push(file);
  }
  return written;
}
