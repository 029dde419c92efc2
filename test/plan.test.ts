/**
 * `curate plan` writes job scripts that really run: the sbatch scripts are plain bash with #SBATCH
 * comments, so running them with the Slurm environment variables set reproduces an array job.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir, repoRoot, quickstartVariant, CLI_TIMEOUT_MS } from "./helpers/cli.js";

describe("curate plan", () => {
  it("writes Slurm scripts that run as annotate, group, merge, write and outputs arrays and a finalize, matching a single run", () => {
    const d = tempDir("curate-plan-");
    mkdirSync(join(d, "in"));
    const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
    for (let k = 0; k < 3; k++) writeFileSync(join(d, "in", `p${k}.jsonl`), lines.slice(k * 30, (k + 1) * 30).join("\n") + "\n");
    const mix = quickstartVariant("plan", { path: "in/*.jsonl" }, { outputs: true });
    writeFileSync(join(d, "mix.json"), JSON.stringify(mix));

    const r = runCli(["plan", join(d, "mix.json"), "--slurm", "--k8s", "--ranks", "2", "--out", join(d, "run"), "--scripts", join(d, "jobs"), "--cpus", "1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 unit\(s\) \(input files\) over 2 rank\(s\)/);
    expect(readdirSync(join(d, "jobs")).sort()).toEqual(["annotate.sbatch", "finalize.sbatch", "group.sbatch", "job-annotate.yaml", "job-finalize.yaml", "job-group.yaml", "job-merge.yaml", "job-outputs.yaml", "job-write.yaml", "merge.sbatch", "outputs.sbatch", "submit.sh", "write.sbatch"]);
    const annotate = readFileSync(join(d, "jobs", "annotate.sbatch"), "utf8");
    expect(annotate).toMatch(/#SBATCH --array=0-1/);
    const submit = readFileSync(join(d, "jobs", "submit.sh"), "utf8");
    expect(submit).toMatch(/g=\$\(sbatch --parsable --dependency=afterok:\$\{a%%_\*\} group\.sbatch\)/);
    expect(submit).toMatch(/m=\$\(sbatch --parsable --dependency=afterok:\$\{g%%_\*\} merge\.sbatch\)/);
    expect(submit).toMatch(/w=\$\(sbatch --parsable --dependency=afterok:\$\{m%%_\*\} write\.sbatch\)/);
    expect(submit).toMatch(/o=\$\(sbatch --parsable --dependency=afterok:\$\{w%%_\*\} outputs\.sbatch\)/);
    expect(submit).toMatch(/sbatch --dependency=afterok:\$\{o%%_\*\} finalize\.sbatch/);
    expect(readFileSync(join(d, "jobs", "outputs.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase outputs --world-size 2/);
    expect(readFileSync(join(d, "jobs", "job-outputs.yaml"), "utf8")).toMatch(/completionMode: Indexed[\s\S]*--phase outputs --world-size 2/);
    expect(readFileSync(join(d, "jobs", "write.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase write --world-size 2/);
    expect(readFileSync(join(d, "jobs", "job-write.yaml"), "utf8")).toMatch(/completionMode: Indexed[\s\S]*--phase write --world-size 2/);
    expect(readFileSync(join(d, "jobs", "merge.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase merge --world-size 2/);
    expect(readFileSync(join(d, "jobs", "job-merge.yaml"), "utf8")).toMatch(/completionMode: Indexed[\s\S]*--phase merge --world-size 2/);
    const k8s = readFileSync(join(d, "jobs", "job-annotate.yaml"), "utf8");
    expect(k8s).toMatch(/completionMode: Indexed\n  completions: 2\n  parallelism: 2/);

    for (const rank of [1, 0]) {
      const a = spawnSync("bash", [join(d, "jobs", "annotate.sbatch")], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
      expect(a.status, a.stderr).toBe(0);
    }
    // the group array (each task one at a time, as a throttled scheduler may run them), the merge,
    // then the write array: each task writes its own units (rank 1 first, as a scheduler may)
    for (const rank of [1, 0]) {
      const g = spawnSync("bash", [join(d, "jobs", "group.sbatch")], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
      expect(g.status, g.stderr).toBe(0);
    }
    const [tokenDir] = readdirSync(join(d, "run", ".work", "group"));
    expect(readdirSync(join(d, "run", ".work", "group", tokenDir!)).sort()).toEqual(["pairs-w2-r0.bin", "pairs-w2-r1.bin"]);
    // the merge array: each task saves its share of the problem groups
    for (const rank of [1, 0]) {
      const m = spawnSync("bash", [join(d, "jobs", "merge.sbatch")], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
      expect(m.status, m.stderr).toBe(0);
      const shares = readdirSync(join(d, "run", ".work", "group", tokenDir!)).filter((f) => /^share-.*\.json$/.test(f)).sort();
      expect(shares).toEqual(rank === 1 ? ["share-w2-r1.json"] : ["share-w2-r0.json", "share-w2-r1.json"]);
    }
    for (const rank of [1, 0]) {
      const w = spawnSync("bash", [join(d, "jobs", "write.sbatch")], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
      expect(w.status, w.stderr).toBe(0);
      expect(existsSync(join(d, "run", "manifest.json"))).toBe(false);
    }
    expect(readdirSync(join(d, "run", "data")).sort()).toEqual(["train-u00000-p00000-00000.parquet", "train-u00001-p00000-00000.parquet", "train-u00002-p00000-00000.parquet"]);
    // the outputs array, one task at a time (rank 1 first): each writes output shards g ≡ rank (mod 2)
    const spillDir = join(d, "run", ".work", "outputs", tokenDir!);
    for (const rank of [1, 0]) {
      const o = spawnSync("bash", [join(d, "jobs", "outputs.sbatch")], { env: { ...process.env, SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
      expect(o.status, o.stderr).toBe(0);
      const writers = readdirSync(spillDir).filter((f) => f.startsWith("shard-")).map((f) => JSON.parse(readFileSync(join(spillDir, f), "utf8")).by);
      expect(new Set(writers)).toEqual(new Set(rank === 1 ? ["rank 1/2"] : ["rank 0/2", "rank 1/2"]));
      expect(existsSync(join(d, "run", "manifest.json"))).toBe(false);
    }
    const f = spawnSync("bash", [join(d, "jobs", "finalize.sbatch")], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(f.status, f.stderr).toBe(0);

    const single = runCli(["run", join(d, "mix.json"), "--out", join(d, "single"), "--quiet", "--workers", "1"]);
    expect(single.code).toBe(0);
    const a = JSON.parse(readFileSync(join(d, "run", "manifest.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(d, "single", "manifest.json"), "utf8"));
    expect(a.shards).toEqual(b.shards);
    expect(a.counts).toEqual(b.counts);
    for (const e of ["manifest.json", "README.md", "problems.jsonl", "clusters.json"]) expect(readFileSync(join(d, "run", e)).equals(readFileSync(join(d, "single", e))), e).toBe(true);
    for (const [name, o] of Object.entries(a.outputs as Record<string, { shards: { path: string }[] }>)) {
      for (const sh of o.shards) expect(readFileSync(join(d, "run", "outputs", name, sh.path)).equals(readFileSync(join(d, "single", "outputs", name, sh.path))), sh.path).toBe(true);
    }
  });

  it("needs --slurm or --k8s", () => {
    const r = runCli(["plan", "pipelines/quickstart.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--slurm or --k8s/);
  });
});
