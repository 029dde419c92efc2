import type { Command } from "commander";
import { chmodSync } from "node:fs";
import { loadMix } from "../config/load.js";
import { planUnits } from "../io/units.js";
import { defaultImage, slurmLaunch, writeK8s, writeSlurm } from "../run/plan.js";
import { runInputFiles } from "../run/context.js";
import { podPaths } from "../run/plan-volume.js";
import { UsageError } from "../errors.js";
import { parseIntOption } from "./run.js";

interface PlanArgs {
  slurm?: boolean;
  k8s?: boolean;
  ranks?: number;
  out?: string;
  scripts?: string;
  cpus: number;
  mem: number;
  node?: string;
  curate?: string;
  image?: string;
  pvc?: string;
  volumeRoot?: string;
  mountPath?: string;
}

/** Options of one scheduler given without it: a mistake worth saying (they would be ignored). */
function checkSchedulerOptions(o: PlanArgs): void {
  if (!o.slurm && !o.k8s) throw new UsageError("plan needs --slurm or --k8s (or both)");
  if (!o.slurm && (o.node !== undefined || o.curate !== undefined)) {
    throw new UsageError("--node and --curate say how Slurm jobs start curate; add --slurm (Kubernetes jobs run the image's entrypoint, see --image)");
  }
  if (!o.k8s && (o.image !== undefined || o.pvc !== undefined || o.volumeRoot !== undefined || o.mountPath !== undefined)) {
    throw new UsageError("--image, --pvc, --volume-root and --mount-path are for Kubernetes jobs; add --k8s");
  }
}

export function register(program: Command): void {
  program
    .command("plan")
    .description("write array-job scripts for a mix file: Slurm (annotate, group, merge, write and outputs arrays and a finalize job, chained by afterok) or Kubernetes (Indexed Jobs and a Job that wait on the markers); see docs/arrays.md")
    .argument("<mix>", "mix file (JSON)")
    .option("--slurm", "write annotate, group, merge, write, outputs and finalize .sbatch scripts and submit.sh")
    .option("--k8s", "write job-<phase>.yaml: Indexed Jobs for the arrays, a Job for finalize")
    .option("--ranks <n>", "array size (default: number of input files, at most 64)", parseIntOption("--ranks", 1))
    .option("-o, --out <dir>", "run output folder on the shared filesystem (default: runs/<name>)")
    .option("--scripts <dir>", "where to write the scripts (default: <out>-jobs)")
    .option("--cpus <n>", "CPUs per task (= annotate workers)", parseIntOption("--cpus", 1), 8)
    .option("--mem <gb>", "memory per task in GB", parseIntOption("--mem", 1), 16)
    .option("--node <path>", "Slurm: the node that runs curate (default: `node` on PATH when the job starts)")
    .option("--curate <path>", "Slurm: curate's entry script (default: dist/cli/main.js of this install)")
    .option("--image <image>", "Kubernetes: image built from curate's Dockerfile (default: curate:<version>)")
    .option("--pvc <name>", "Kubernetes: PersistentVolumeClaim holding the inputs and the run folder (default: curate-data)")
    .option("--volume-root <dir>", "Kubernetes: the folder here whose contents the PVC holds; the mix file, its inputs and --out must lie in it (default: the current folder)")
    .option("--mount-path <path>", "Kubernetes: where the pods mount the PVC (default: /data)")
    .action(async (mixPath: string, o: PlanArgs) => {
      checkSchedulerOptions(o);
      const loaded = loadMix(mixPath);
      const outDir = o.out ?? `runs/${loaded.config.name}`;
      const files = await runInputFiles(loaded, outDir, (n) => process.stderr.write(`note: ${n}\n`));
      // the units the run will have: files, a large one cut into several (io/units.ts)
      const units = (await planUnits(files, loaded.config.unitBytes)).length;
      const ranks = o.ranks ?? Math.min(units, 64);
      const scriptsDir = o.scripts ?? `${outDir}-jobs`;
      const base = { ranks, units, scriptsDir, cpusPerTask: o.cpus, memGB: o.mem };
      const written: string[] = [];
      const notes: string[] = [];
      // check everything before writing anything
      const slurm = o.slurm ? slurmLaunch(o.node, o.curate) : null;
      const mountPath = o.mountPath ?? "/data";
      const pod = o.k8s ? await podPaths(loaded, outDir, { root: o.volumeRoot ?? ".", mountPath }) : null;
      if (slurm) written.push(...writeSlurm({ ...base, mixPath, outDir, ...slurm }));
      if (pod) {
        written.push(...writeK8s({ ...base, image: o.image ?? defaultImage(), pvc: o.pvc ?? "curate-data", mountPath, podMix: pod.mix, podOut: pod.out }));
        notes.push(...pod.notes);
      }
      for (const f of written) if (f.endsWith(".sh") || f.endsWith(".sbatch")) chmodSync(f, 0o755);
      process.stdout.write(`${units} unit(s) (input files${units > files.length ? ", large ones cut by unitBytes" : ""}) over ${ranks} rank(s); unit k runs on rank k mod ${ranks}\n${written.map((f) => `  wrote ${f}`).join("\n")}\n`);
      if (ranks > units) notes.push(`${ranks - units} rank(s) will have no unit; a smaller unitBytes cuts large JSONL and Parquet files into more units`);
      for (const n of notes) process.stderr.write(`note: ${n}\n`);
    });
}
