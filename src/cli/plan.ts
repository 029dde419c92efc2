import type { Command } from "commander";
import { chmodSync } from "node:fs";
import { loadMix } from "../config/load.js";
import { resolveSourceFiles } from "../io/sources.js";
import { writeK8s, writeSlurm } from "../run/plan.js";
import { UsageError } from "../errors.js";
import { parseIntOption } from "./run.js";

export function register(program: Command): void {
  program
    .command("plan")
    .description("write array-job scripts for a mix file: Slurm (annotate, group and write arrays with merge and finalize jobs, chained by afterok) or Kubernetes (Indexed Jobs and Jobs that wait on the markers)")
    .argument("<mix>", "mix file (JSON)")
    .option("--slurm", "write annotate, group, merge, write and finalize .sbatch scripts and submit.sh")
    .option("--k8s", "write job-annotate/group/write.yaml (Indexed Jobs) and job-merge/finalize.yaml")
    .option("--ranks <n>", "array size (default: number of input files, at most 64)", parseIntOption("--ranks", 1))
    .option("-o, --out <dir>", "run output folder on the shared filesystem (default: runs/<name>)")
    .option("--scripts <dir>", "where to write the scripts (default: <out>-jobs)")
    .option("--cpus <n>", "CPUs per task (= annotate workers)", parseIntOption("--cpus", 1), 8)
    .option("--mem <gb>", "memory per task in GB", parseIntOption("--mem", 1), 16)
    .option("--image <image>", "container image for --k8s (default node:20)")
    .option("--pvc <name>", "PersistentVolumeClaim holding inputs and outputs for --k8s", "curate-data")
    .option("--curate <command>", "how to invoke curate on the cluster (default: this node and install for Slurm, `npx curate` for k8s)")
    .action(async (mixPath: string, o: { slurm?: boolean; k8s?: boolean; ranks?: number; out?: string; scripts?: string; cpus: number; mem: number; image?: string; pvc: string; curate?: string }) => {
      if (!o.slurm && !o.k8s) throw new UsageError("plan needs --slurm or --k8s (or both)");
      const loaded = loadMix(mixPath);
      let units = 0;
      for (const s of loaded.config.sources) {
        try {
          units += (await resolveSourceFiles(s, loaded.baseDir)).length;
        } catch (e) {
          throw new UsageError(`${mixPath}: ${(e as Error).message}`);
        }
      }
      const ranks = o.ranks ?? Math.min(units, 64);
      const outDir = o.out ?? `runs/${loaded.config.name}`;
      const scriptsDir = o.scripts ?? `${outDir}-jobs`;
      const base = { mixPath, outDir, ranks, units, scriptsDir, cpusPerTask: o.cpus, memGB: o.mem, image: o.image, pvc: o.pvc, curate: o.curate };
      const written: string[] = [];
      if (o.slurm) written.push(...writeSlurm(base));
      if (o.k8s) written.push(...writeK8s(base));
      for (const f of written) if (f.endsWith(".sh") || f.endsWith(".sbatch")) chmodSync(f, 0o755);
      process.stdout.write(`${units} unit(s) (input files) over ${ranks} rank(s); unit k runs on rank k mod ${ranks}\n${written.map((f) => `  wrote ${f}`).join("\n")}\n`);
      if (ranks > units) process.stderr.write(`note: ${ranks - units} rank(s) will have no unit; split large inputs into more files to use them\n`);
    });
}
