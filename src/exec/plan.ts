/**
 * Job scripts for array jobs: Slurm (sbatch array + a finalize job that depends on it) and Kubernetes
 * (an Indexed Job for annotate + a Job for finalize). Ranks coordinate only through the completion
 * markers under <out>/.work/units/ on the shared filesystem; finalize waits for every unit.
 */
import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";
import { packageRoot } from "../version.js";

export interface PlanOptions {
  mixPath: string;
  outDir: string;
  ranks: number;
  units: number;
  scriptsDir: string;
  cpusPerTask: number;
  memGB: number;
  image?: string;
  /** command that runs curate on the cluster; default: this node + this install */
  curate?: string;
  pvc?: string;
  mountPath?: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function defaultCurateCommand(): string {
  return `${q(process.execPath)} ${q(join(packageRoot, "dist", "cli", "main.js"))}`;
}

export function writeSlurm(o: PlanOptions): string[] {
  mkdirSync(o.scriptsDir, { recursive: true });
  const curate = o.curate ?? defaultCurateCommand();
  const mix = q(resolve(o.mixPath));
  const out = q(resolve(o.outDir));
  const annotate = `#!/usr/bin/env bash
#SBATCH --job-name=curate-annotate
#SBATCH --array=0-${o.ranks - 1}
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/annotate-%a.log
# Annotate phase: rank = SLURM_ARRAY_TASK_ID takes units k with k mod ${o.ranks} = rank (${o.units} unit(s) = input files).
# Rerunning a failed task resumes: units with a completion marker are skipped.
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase annotate --world-size ${o.ranks} --workers ${o.cpusPerTask} --quiet
`;
  const finalize = `#!/usr/bin/env bash
#SBATCH --job-name=curate-finalize
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/finalize.log
# Finalize phase: waits for every unit's marker, then groups, writes data/ rejected/ outputs/ and the manifest.
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase finalize --workers ${o.cpusPerTask}
`;
  const submit = `#!/usr/bin/env bash
# Submit the annotate array, then finalize once every array task succeeded.
set -euo pipefail
cd "$(dirname "$0")"
jid=$(sbatch --parsable annotate.sbatch)
sbatch --dependency=afterok:\${jid%%_*} finalize.sbatch
`;
  const files = { "annotate.sbatch": annotate, "finalize.sbatch": finalize, "submit.sh": submit };
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(o.scriptsDir, name), text);
  return Object.keys(files).map((f) => join(o.scriptsDir, f));
}

export function writeK8s(o: PlanOptions): string[] {
  mkdirSync(o.scriptsDir, { recursive: true });
  const image = o.image ?? "node:20";
  const mount = o.mountPath ?? "/data";
  const pvc = o.pvc ?? "curate-data";
  const curate = o.curate ?? "npx curate";
  const args = (phase: string, extra: string) =>
    `${curate} run ${q(resolve(o.mixPath))} --out ${q(resolve(o.outDir))} --phase ${phase} ${extra} --workers ${o.cpusPerTask} --quiet`;
  const volume = `        volumeMounts:
        - name: data
          mountPath: ${mount}
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: ${pvc}`;
  const annotate = `# Annotate phase as an Indexed Job: JOB_COMPLETION_INDEX is the rank; ${o.units} unit(s) over ${o.ranks} rank(s).
apiVersion: batch/v1
kind: Job
metadata:
  name: curate-annotate
spec:
  completionMode: Indexed
  completions: ${o.ranks}
  parallelism: ${o.ranks}
  backoffLimitPerIndex: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: annotate
        image: ${image}
        command: ["bash", "-c", ${JSON.stringify(args("annotate", `--world-size ${o.ranks}`))}]
        resources:
          requests: { cpu: "${o.cpusPerTask}", memory: "${o.memGB}Gi" }
${volume}
`;
  const finalize = `# Finalize phase: may be applied together with the annotate job; it waits for every unit's marker.
apiVersion: batch/v1
kind: Job
metadata:
  name: curate-finalize
spec:
  completions: 1
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: finalize
        image: ${image}
        command: ["bash", "-c", ${JSON.stringify(args("finalize", ""))}]
        resources:
          requests: { cpu: "${o.cpusPerTask}", memory: "${o.memGB}Gi" }
${volume}
`;
  const files = { "job-annotate.yaml": annotate, "job-finalize.yaml": finalize };
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(o.scriptsDir, name), text);
  return Object.keys(files).map((f) => join(o.scriptsDir, f));
}
