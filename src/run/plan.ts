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
 * Slurm: arrays and single jobs chained by afterok dependencies. Kubernetes: Indexed Jobs and Jobs;
 * every phase waits for the markers of the one before (<out>/.work/units/, .work/group/, .work/write/,
 * .work/outputs/)
 * on the shared filesystem, so all may be applied at once. No phase waits for a later one.
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
  const group = `#!/usr/bin/env bash
#SBATCH --job-name=curate-group
#SBATCH --array=0-${o.ranks - 1}
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/group-%a.log
# Group phase: every task reads annotated/'s compact columns and confirms the near-duplicate candidate
# pairs of its share of the LSH bands (bands j with j mod ${o.ranks} = rank) → .work/group/pairs-*.bin.
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase group --world-size ${o.ranks} --workers ${o.cpusPerTask} --quiet
`;
  const merge = `#!/usr/bin/env bash
#SBATCH --job-name=curate-merge
#SBATCH --array=0-${o.ranks - 1}
#SBATCH --cpus-per-task=1
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/merge-%a.log
# Merge phase: every task reads all group ranks' pairs and forms the problem groups; task r decides the
# groups whose key hashes to r (mod ${o.ranks}) — exact duplicates, caps, representatives — holding row
# data for its share only, and saves share r of the outcome (.work/group/<token>/share-w${o.ranks}-r<r>.*).
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase merge --world-size ${o.ranks} --quiet
`;
  const write = `#!/usr/bin/env bash
#SBATCH --job-name=curate-write
#SBATCH --array=0-${o.ranks - 1}
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/write-%a.log
# Write phase: every task reads the saved group outcome and writes data/ and rejected/ for its own
# units. A rerun skips units already written.
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase write --world-size ${o.ranks} --workers ${o.cpusPerTask} --quiet
`;
  const outputs = `#!/usr/bin/env bash
#SBATCH --job-name=curate-outputs
#SBATCH --array=0-${o.ranks - 1}
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/outputs-%a.log
# Outputs phase: every task plans the data products from annotated/ (the same plan everywhere), waits for
# every part's records (texts, token ids) in .work/outputs/ (spilled by the write tasks), then writes the
# output shards g with g mod ${o.ranks} = rank. A rerun skips shards written.
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase outputs --world-size ${o.ranks} --workers ${o.cpusPerTask} --quiet
`;
  const finalize = `#!/usr/bin/env bash
#SBATCH --job-name=curate-finalize
#SBATCH --cpus-per-task=${o.cpusPerTask}
#SBATCH --mem=${o.memGB}G
#SBATCH --output=${resolve(o.scriptsDir)}/finalize.log
# Finalize phase: waits for every unit's markers, writes any unit and output shard not written yet,
# then the conservation check, the output manifests and the run manifest (last).
set -euo pipefail
exec ${curate} run ${mix} --out ${out} --phase finalize --workers ${o.cpusPerTask}
`;
  const submit = `#!/usr/bin/env bash
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
  const files = { "annotate.sbatch": annotate, "group.sbatch": group, "merge.sbatch": merge, "write.sbatch": write, "outputs.sbatch": outputs, "finalize.sbatch": finalize, "submit.sh": submit };
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
  const indexedJob = (phase: "annotate" | "group" | "merge" | "write" | "outputs", comment: string) => `${comment}
apiVersion: batch/v1
kind: Job
metadata:
  name: curate-${phase}
spec:
  completionMode: Indexed
  completions: ${o.ranks}
  parallelism: ${o.ranks}
  backoffLimitPerIndex: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: ${phase}
        image: ${image}
        command: ["bash", "-c", ${JSON.stringify(args(phase, `--world-size ${o.ranks}`))}]
        resources:
          requests: { cpu: "${o.cpusPerTask}", memory: "${o.memGB}Gi" }
${volume}
`;
  const annotate = indexedJob("annotate", `# Annotate phase as an Indexed Job: JOB_COMPLETION_INDEX is the rank; ${o.units} unit(s) over ${o.ranks} rank(s).`);
  const write = indexedJob(
    "write",
    `# Write phase as an Indexed Job: waits for the saved group outcome, then writes data/ and rejected/\n# for units k with k mod ${o.ranks} = JOB_COMPLETION_INDEX.`,
  );
  const singleJob = (phase: "finalize", comment: string, extra: string) => `${comment}
apiVersion: batch/v1
kind: Job
metadata:
  name: curate-${phase}
spec:
  completions: 1
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: ${phase}
        image: ${image}
        command: ["bash", "-c", ${JSON.stringify(args(phase, extra))}]
        resources:
          requests: { cpu: "${o.cpusPerTask}", memory: "${o.memGB}Gi" }
${volume}
`;
  const group = indexedJob(
    "group",
    `# Group phase as an Indexed Job: waits for every annotate marker; index r confirms the near-duplicate\n# pairs of LSH bands j with j mod ${o.ranks} = r.`,
  );
  const merge = indexedJob(
    "merge",
    `# Merge phase as an Indexed Job: waits for every group rank's pairs; index r decides the problem groups\n# whose key hashes to r (mod ${o.ranks}) and saves share r of the group outcome.`,
  );
  const outputs = indexedJob(
    "outputs",
    `# Outputs phase as an Indexed Job: every index plans the data products, waits for every part's records\n# (spilled by the write job), then writes output shards g with g mod ${o.ranks} = r.`,
  );
  const finalize = singleJob("finalize", "# Finalize phase: may be applied together with the other jobs; it waits for every unit's markers.", "");
  const files = { "job-annotate.yaml": annotate, "job-group.yaml": group, "job-merge.yaml": merge, "job-write.yaml": write, "job-outputs.yaml": outputs, "job-finalize.yaml": finalize };
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(o.scriptsDir, name), text);
  return Object.keys(files).map((f) => join(o.scriptsDir, f));
}
