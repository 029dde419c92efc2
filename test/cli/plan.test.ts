/**
 * `curate plan` writes job scripts that really run: the sbatch scripts are plain bash with #SBATCH
 * comments, so running them with the Slurm environment variables set reproduces an array job. The
 * Kubernetes jobs are JSON (which is YAML): parsed here, checked against the Dockerfile's entrypoint
 * and the volume, and one is run as a pod would run it, with the volume's contents at the mount path
 * and nothing left at the paths of the machine that planned. Docker cannot run here: the Dockerfile
 * is checked statically.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { runCli, tempDir, repoRoot, quickstartVariant, CLI_TIMEOUT_MS } from "../helpers/cli.js";
import { loadMix } from "../../src/config/load.js";
import { podPaths, realPathOf } from "../../src/run/plan-volume.js";
import { PHASES, phaseArgs, sbatchLogPath } from "../../src/run/plan.js";
import { runToEnd } from "../helpers/run.js";

/** `command -v <name>` in bash: what `$(which node)` gives a user. */
function which(name: string): string {
  const r = spawnSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL" });
  if (r.status !== 0) throw new Error(`${name} is not on PATH`);
  return r.stdout.trim();
}
const bash = which("bash");

/** Run one sbatch script as Slurm runs array task `rank` of 2 (null: a single job). */
function runSbatch(script: string, rank: number | null, env: NodeJS.ProcessEnv = process.env) {
  const slurm = rank === null ? {} : { SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "2" };
  return spawnSync(bash, [script], { env: { ...env, ...slurm }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
}

/** Dockerfile instructions: continuation lines joined, comments and blank lines dropped. */
function dockerInstructions(text: string): { op: string; args: string; line: number }[] {
  const out: { op: string; args: string; line: number }[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (pending === null && (line === "" || line.startsWith("#"))) return;
    if (pending !== null && line.startsWith("#")) return; // comment lines inside a continued instruction
    const text = `${pending?.text ?? ""}${pending ? " " : ""}${line.replace(/\\$/, "").trim()}`;
    if (line.endsWith("\\")) {
      pending = { text, line: pending?.line ?? i + 1 };
      return;
    }
    const m = /^(\S+)\s+(.*)$/.exec(text);
    if (!m) throw new Error(`Dockerfile line ${pending?.line ?? i + 1}: expected an instruction and its arguments, found ${JSON.stringify(text)}`);
    out.push({ op: m[1]!, args: m[2]!, line: pending?.line ?? i + 1 });
    pending = null;
  });
  if (pending) throw new Error("Dockerfile ends inside a continued instruction");
  return out;
}

const dockerfile = () => dockerInstructions(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));

/** The exec-form ENTRYPOINT of the Dockerfile's last stage. */
function imageEntrypoint(): string[] {
  const entry = dockerfile().filter((x) => x.op === "ENTRYPOINT").at(-1);
  if (!entry) throw new Error("the Dockerfile has no ENTRYPOINT");
  return JSON.parse(entry.args) as string[];
}

/** A job-*.yaml: comment lines, then the Job as JSON. */
function readJob(file: string): Record<string, any> {
  const text = readFileSync(file, "utf8");
  return JSON.parse(text.split("\n").filter((l) => !l.startsWith("#")).join("\n"));
}

/** `n` rows of the sample rollouts in each of `files` JSONL files under `dir`. */
function writeInputs(dir: string, files: number, n: number): void {
  mkdirSync(dir, { recursive: true });
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  for (let k = 0; k < files; k++) writeFileSync(join(dir, `p${k}.jsonl`), lines.slice(k * n, (k + 1) * n).join("\n") + "\n");
}

describe("curate plan", () => {
  it("writes Slurm scripts that run as annotate, group, merge, write and outputs arrays and a finalize, matching a single run, with node from PATH or --node", async () => {
    const d = tempDir("curate-plan-");
    writeInputs(join(d, "in"), 3, 30);
    const mix = quickstartVariant("plan", { path: "in/*.jsonl" }, { outputs: true });
    writeFileSync(join(d, "mix.json"), JSON.stringify(mix));

    // two plans of the same run: node from PATH (the default), and --node $(which node)
    const common = [join(d, "mix.json"), "--slurm", "--ranks", "2", "--out", join(d, "run"), "--cpus", "1"];
    const r = runCli(["plan", ...common, "--scripts", join(d, "jobs")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 unit\(s\) \(input files\) over 2 rank\(s\)/);
    const node = which("node");
    expect(runCli(["plan", ...common, "--scripts", join(d, "jobs-node"), "--node", node]).code).toBe(0);
    expect(readdirSync(join(d, "jobs")).sort()).toEqual(["annotate.sbatch", "finalize.sbatch", "group.sbatch", "merge.sbatch", "outputs.sbatch", "submit.sh", "write.sbatch"]);
    const annotate = readFileSync(join(d, "jobs", "annotate.sbatch"), "utf8");
    expect(annotate).toMatch(/#SBATCH --array=0-1/);
    expect(annotate).toMatch(/--phase annotate --world-size 2 --workers 0 /); // one CPU: inline, no thread to start
    expect(phaseArgs("write", "m.json", "out", { ranks: 2, cpusPerTask: 4 } as never).join(" ")).toContain("--workers 4");
    const submit = readFileSync(join(d, "jobs", "submit.sh"), "utf8");
    expect(submit).toMatch(/g=\$\(sbatch --parsable --dependency=afterok:\$\{a%%_\*\} group\.sbatch\)/);
    expect(submit).toMatch(/m=\$\(sbatch --parsable --dependency=afterok:\$\{g%%_\*\} merge\.sbatch\)/);
    expect(submit).toMatch(/w=\$\(sbatch --parsable --dependency=afterok:\$\{m%%_\*\} write\.sbatch\)/);
    expect(submit).toMatch(/o=\$\(sbatch --parsable --dependency=afterok:\$\{w%%_\*\} outputs\.sbatch\)/);
    expect(submit).toMatch(/sbatch --dependency=afterok:\$\{o%%_\*\} finalize\.sbatch/);
    expect(readFileSync(join(d, "jobs", "outputs.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase outputs --world-size 2/);
    expect(readFileSync(join(d, "jobs", "write.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase write --world-size 2/);
    expect(readFileSync(join(d, "jobs", "merge.sbatch"), "utf8")).toMatch(/#SBATCH --array=0-1[\s\S]*--phase merge --world-size 2/);

    // no node on PATH: the default scripts stop with a message saying what to do; the --node ones run
    // (rank 0 and finalize below run with this PATH, so they use --node's file)
    const noNode = { ...process.env, PATH: join(d, "empty-bin") };
    mkdirSync(noNode.PATH);
    const missing = runSbatch(join(d, "jobs", "annotate.sbatch"), 0, noNode);
    expect(missing.status).toBe(127);
    expect(missing.stderr).toMatch(/^curate-annotate: cannot find node \(node\) on PATH=.*empty-bin; load Node\.js 22 or plan with --node <path>\n$/);
    /** rank 1 from the default scripts (node found on PATH), rank 0 from the --node ones without node on PATH */
    const runArray = (phase: string, check: (rank: number) => void = () => undefined) => {
      for (const rank of [1, 0]) {
        const s = rank === 1 ? runSbatch(join(d, "jobs", `${phase}.sbatch`), rank) : runSbatch(join(d, "jobs-node", `${phase}.sbatch`), rank, noNode);
        expect(s.status, `${phase} rank ${rank}: ${s.stderr}`).toBe(0);
        check(rank);
      }
    };
    runArray("annotate");
    // the group array (each task one at a time, as a throttled scheduler may run them), the merge,
    // then the write array: each task writes its own units (rank 1 first, as a scheduler may)
    runArray("group");
    const [tokenDir] = readdirSync(join(d, "run", ".work", "group"));
    expect(readdirSync(join(d, "run", ".work", "group", tokenDir!)).sort()).toEqual(["pairs-w2-r0.bin", "pairs-w2-r1.bin"]);
    // the merge array: each task saves its share of the problem groups
    runArray("merge", (rank) => {
      const shares = readdirSync(join(d, "run", ".work", "group", tokenDir!)).filter((f) => /^share-.*\.json$/.test(f)).sort();
      expect(shares).toEqual(rank === 1 ? ["share-w2-r1.json"] : ["share-w2-r0.json", "share-w2-r1.json"]);
    });
    runArray("write", () => expect(existsSync(join(d, "run", "manifest.json"))).toBe(false));
    expect(readdirSync(join(d, "run", "data")).sort()).toEqual(["train-u00000-p00000-00000.parquet", "train-u00001-p00000-00000.parquet", "train-u00002-p00000-00000.parquet"]);
    // the outputs array, one task at a time (rank 1 first): each writes output shards g ≡ rank (mod 2)
    const spillDir = join(d, "run", ".work", "outputs", tokenDir!);
    runArray("outputs", (rank) => {
      const writers = readdirSync(spillDir).filter((f) => f.startsWith("shard-")).map((f) => JSON.parse(readFileSync(join(spillDir, f), "utf8")).by);
      expect(new Set(writers)).toEqual(new Set(rank === 1 ? ["rank 1/2"] : ["rank 0/2", "rank 1/2"]));
      expect(existsSync(join(d, "run", "manifest.json"))).toBe(false);
    });
    const f = runSbatch(join(d, "jobs-node", "finalize.sbatch"), null, noNode);
    expect(f.status, f.stderr).toBe(0);

    // the reference single run without threads (outputs do not depend on the worker count: test/e2e/run.test.ts), in this process
    await runToEnd(join(d, "mix.json"), join(d, "single"));
    const a = JSON.parse(readFileSync(join(d, "run", "manifest.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(d, "single", "manifest.json"), "utf8"));
    expect(a.shards).toEqual(b.shards);
    expect(a.counts).toEqual(b.counts);
    for (const e of ["manifest.json", "README.md", "problems.jsonl", "clusters.json"]) expect(readFileSync(join(d, "run", e)).equals(readFileSync(join(d, "single", e))), e).toBe(true);
    for (const [name, o] of Object.entries(a.outputs as Record<string, { shards: { path: string }[] }>)) {
      for (const sh of o.shards) expect(readFileSync(join(d, "run", "outputs", name, sh.path)).equals(readFileSync(join(d, "single", "outputs", name, sh.path))), sh.path).toBe(true);
    }
  });

  it("writes Kubernetes jobs that run the image's entrypoint on paths under the mount, and run as written from the volume alone", () => {
    const d = tempDir("curate-plan-k8s-");
    // the folder the volume holds: a mix that names its inputs relative to itself
    const vol = join(d, "vol");
    writeInputs(join(vol, "in"), 3, 4);
    mkdirSync(join(vol, "bench"));
    cpSync(join(repoRoot, "data-samples", "benchmark", "mini-bench.jsonl"), join(vol, "bench", "mini-bench.jsonl"));
    const mix = quickstartVariant("plan-k8s", { path: "../in/*.jsonl" });
    (mix as any).annotate.decontaminate.benchmarks = [{ name: "mini-bench", path: "../bench/mini-bench.jsonl", idField: "id" }];
    mkdirSync(join(vol, "mixes"));
    writeFileSync(join(vol, "mixes", "mix.json"), JSON.stringify(mix));
    // the pods mount the volume somewhere this machine can stand in for: d/pod
    const mount = join(realPathOf(d), "pod");
    const r = runCli(["plan", "mixes/mix.json", "--k8s", "--ranks", "2", "--out", "runs/plan", "--scripts", "../jobs", "--cpus", "1", "--mount-path", mount], { cwd: vol });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(d, "jobs")).sort()).toEqual(PHASES.map((p) => `job-${p}.yaml`).sort());

    const entrypoint = imageEntrypoint();
    const version = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;
    for (const phase of PHASES) {
      const job = readJob(join(d, "jobs", `job-${phase}.yaml`));
      expect(job).toMatchObject({ apiVersion: "batch/v1", kind: "Job", metadata: { name: `curate-${phase}` } });
      expect(job.spec).toMatchObject(phase === "finalize" ? { completions: 1 } : { completionMode: "Indexed", completions: 2, parallelism: 2 });
      const pod = job.spec.template.spec;
      expect(pod.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "curate-data" } }]);
      expect(pod.containers).toHaveLength(1);
      const c = pod.containers[0];
      expect(c.image).toBe(`curate:${version}`);
      expect(c.command, "the container runs the image's ENTRYPOINT").toEqual(entrypoint);
      expect(c.volumeMounts).toEqual([{ name: "data", mountPath: mount }]);
      expect(c.args.slice(0, 6)).toEqual(["run", `${mount}/mixes/mix.json`, "--out", `${mount}/runs/plan`, "--phase", phase]);
      expect(c.args.includes("--world-size"), phase).toBe(phase !== "finalize");
      for (const arg of c.args as string[]) {
        if (arg.includes("/")) expect(arg.startsWith(`${mount}/`) && posix.normalize(arg) === arg, `${phase}: ${arg} lies under ${mount}`).toBe(true);
      }
    }

    // a pod: the volume's contents at the mount path, nothing at this machine's paths; the image's
    // /app/dist is this checkout's dist/
    cpSync(vol, mount, { recursive: true });
    renameSync(vol, join(d, "vol-elsewhere"));
    const c = readJob(join(d, "jobs", "job-annotate.yaml")).spec.template.spec.containers[0];
    expect(entrypoint[0]).toBe("node");
    const main = join(repoRoot, posix.relative("/app", entrypoint[1]!));
    const pod = spawnSync(process.execPath, [main, ...c.args], { cwd: d, env: { ...process.env, JOB_COMPLETION_INDEX: "0" }, encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(pod.status, pod.stderr).toBe(0);
    // rank 0 of 2 annotated units 0 and 2, decontaminated against the benchmark on the volume
    const annotated = readdirSync(join(mount, "runs", "plan", "annotated")).filter((f) => f.endsWith(".parquet")).sort();
    expect(annotated.map((f) => f.slice(0, 6))).toEqual(["u00000", "u00002"]);
    expect(existsSync(join(mount, "runs", "plan", "decontaminate", "index.bin"))).toBe(true);
  });

  it("refuses a Kubernetes plan whose inputs or run folder are outside the mounted folder, naming each, and writes nothing", async () => {
    const d = realPathOf(tempDir("curate-plan-vol-"));
    const root = join(d, "vol");
    writeInputs(join(root, "in"), 2, 3);
    writeInputs(join(d, "outside"), 1, 3);
    symlinkSync(join(d, "outside", "p0.jsonl"), join(root, "in", "link.jsonl"));
    // the quickstart's benchmark is an absolute path into the repository
    const mix = quickstartVariant("vol", { path: ["in/p0.jsonl", "../outside/p0.jsonl", join(root, "in", "p1.jsonl"), "in/link.jsonl"] });
    writeFileSync(join(root, "mix.json"), JSON.stringify(mix));
    const loaded = loadMix(join(root, "mix.json"));
    const bench = JSON.parse(readFileSync(join(root, "mix.json"), "utf8")).annotate.decontaminate.benchmarks[0].path;

    const err = await podPaths(loaded, join(d, "run"), { root, mountPath: "/data" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message.split("\n")).toEqual([
      `plan --k8s: the pods see only the folder ${root} (--volume-root), mounted at /data; 5 path(s) would not be there:`,
      `  source "samples": ${join(d, "outside", "p0.jsonl")} is outside the folder`,
      `  source "samples": the mix gives the absolute path ${join(root, "in", "p1.jsonl")}, which a pod would read as is, but the volume holds it at /data/in/p1.jsonl; give it relative to the mix file`,
      `  source "samples": ${join(root, "in", "link.jsonl")} (a link to ${join(d, "outside", "p0.jsonl")}) is outside the folder`,
      `  annotate.decontaminate.benchmarks[0] ("mini-bench"): ${bench} is outside the folder`,
      `  the run folder (--out) ${join(d, "run")} is outside the folder`,
      `put the inputs and the run folder in ${root}, with paths relative to the mix file, or plan with --volume-root <a folder holding them all>`,
    ]);
    // the same inputs from the folder above: the link's target and ../outside are in it now, but a pod
    // reads the absolute path as is, and the link's own path is not where the volume holds its file
    const above = await podPaths(loaded, join(d, "run"), { root: d, mountPath: "/data" }).catch((e: Error) => e);
    expect((above as Error).message).toMatch(/; 3 path\(s\) would not be there:\n.*absolute path .*p1\.jsonl.*\n.*a pod would read \/data\/vol\/in\/link\.jsonl, but the volume holds .* at \/data\/outside\/p0\.jsonl .*\n.*benchmarks\[0\]/);
    // a folder mounted at its own path: absolute paths are where the pods look
    const own = quickstartVariant("own", { path: ["in/p0.jsonl", "../outside/p0.jsonl", join(root, "in", "p1.jsonl")] });
    delete (own as any).annotate.decontaminate;
    writeFileSync(join(root, "own.json"), JSON.stringify(own));
    const ownPath = await podPaths(loadMix(join(root, "own.json")), join(d, "runs", "x"), { root: d, mountPath: d });
    expect(ownPath).toEqual({ mix: join(root, "own.json"), out: join(d, "runs", "x"), notes: [] });
    expect((await podPaths(loaded, root, { root, mountPath: "/data" }).catch((e: Error) => e) as Error).message).toMatch(/the run folder \(--out\) .* is the folder itself/);
    expect((await podPaths(loaded, join(root, "run"), { root, mountPath: "data/" }).catch((e: Error) => e) as Error).message).toMatch(/^--mount-path data\/: expected an absolute/);

    // built-in benchmarks without benchmarksDir come from the Hub: a note, not a refusal
    const hubMix = quickstartVariant("hub", { path: "in/p*.jsonl" });
    (hubMix as any).annotate.decontaminate.benchmarks = ["math500", "aime2025"];
    writeFileSync(join(root, "hub.json"), JSON.stringify(hubMix));
    const hub = await podPaths(loadMix(join(root, "hub.json")), join(root, "runs", "hub"), { root, mountPath: "/data" });
    expect(hub.mix).toBe("/data/hub.json");
    expect(hub.out).toBe("/data/runs/hub");
    expect(hub.notes).toEqual([expect.stringMatching(/^decontamination benchmarks math500, aime2025 are fetched from the Hugging Face Hub by every annotate pod \(network needed at run time\); .*benchmarksDir/)]);

    // the command line says the same and writes no script
    const cli = runCli(["plan", join(root, "mix.json"), "--k8s", "--volume-root", root, "--out", join(root, "run"), "--scripts", join(d, "jobs")]);
    expect(cli.code).toBe(2);
    // the link and the file it points to are one input, read once (a note), yet each path is checked
    expect(cli.stderr).toMatch(/^note: source "samples": in\/link\.jsonl is the same file as \.\.\/outside\/p0\.jsonl \(reached through a link\): read once\ncurate: plan --k8s: the pods see only the folder .* 4 path\(s\) would not be there:\n/);
    expect(existsSync(join(d, "jobs"))).toBe(false);
  });

  it("builds the image the jobs run from a Dockerfile that parses: Node.js 22 slim, npm ci and build, entrypoint the built CLI", () => {
    const steps = dockerfile();
    const known = new Set(["FROM", "RUN", "COPY", "WORKDIR", "ENV", "ENTRYPOINT", "CMD", "ARG", "LABEL", "USER", "EXPOSE", "ADD", "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD"]);
    for (const s of steps) expect(known.has(s.op), `Dockerfile line ${s.line}: ${s.op}`).toBe(true);
    // stages: FROM starts each; the last one is the image
    const stages: (typeof steps)[] = [];
    for (const s of steps) (s.op === "FROM" ? stages.push([s]) : stages.at(-1)!.push(s));
    expect(stages.length).toBeGreaterThanOrEqual(1);
    expect(steps[0]!.op).toBe("FROM");

    // every base image is Node.js slim, new enough for every runtime dependency's engines.node
    const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8"));
    let need = [0, 0];
    for (const [name, p] of Object.entries(lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>)) {
      const m = name && !p.dev ? /^>=\s*(\d+)(?:\.(\d+))?/.exec(p.engines?.node ?? "") : null;
      if (m && (Number(m[1]) > need[0]! || (Number(m[1]) === need[0] && Number(m[2] ?? 0) > need[1]!))) need = [Number(m[1]), Number(m[2] ?? 0)];
    }
    expect(need[0], "@cortex-js/compute-engine wants >= 22.3").toBeGreaterThanOrEqual(22);
    for (const from of stages.map((st) => st[0]!)) {
      const m = /^node:(\d+)(?:\.(\d+))?[.\w-]*slim(?:\s+AS\s+\w+)?$/i.exec(from.args);
      expect(m, `Dockerfile line ${from.line}: FROM ${from.args} is a node:<version>-…slim image`).not.toBeNull();
      // a tag without a minor follows the newest 22.x, which is an LTS release (22.11 or later)
      const [major, minor] = [Number(m![1]), m![2] === undefined ? 11 : Number(m![2])];
      expect(major > need[0]! || (major === need[0] && minor >= need[1]!), `FROM ${from.args} satisfies node >= ${need.join(".")}`).toBe(true);
      expect(major).toBeGreaterThanOrEqual(22);
    }

    // what COPY takes from the build context exists and is not left out by .dockerignore
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const s of steps.filter((x) => x.op === "COPY" && !x.args.startsWith("--from"))) {
      const sources = s.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(join(repoRoot, src)), `Dockerfile line ${s.line}: COPY ${src} exists`).toBe(true);
        expect(ignored.some((pat) => src === pat || src.startsWith(`${pat}/`)), `Dockerfile line ${s.line}: ${src} is in .dockerignore`).toBe(false);
      }
    }
    // npm ci: the package's prepare script compiles (needs src/ and TypeScript), so no stage runs it
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.scripts.build).toMatch(/^tsc /);
    const installs = steps.filter((x) => x.op === "RUN" && /\bnpm ci\b/.test(x.args));
    expect(installs.length).toBeGreaterThanOrEqual(1);
    for (const s of installs) expect(s.args, `Dockerfile line ${s.line}`).toMatch(/--ignore-scripts/);

    // the image: the runtime dependencies only, the build's dist/ at /app/dist, the schemas the mix
    // loader reads, and the entrypoint the jobs run (node on the built CLI; nothing fetched at run time)
    const image = stages.at(-1)!;
    expect(image.filter((x) => x.op === "WORKDIR").map((x) => x.args)).toEqual(["/app"]);
    expect(image.find((x) => x.op === "RUN" && /\bnpm ci\b/.test(x.args))?.args).toMatch(/--omit=dev/);
    const build = stages.find((st) => st.some((x) => x.op === "RUN" && /npm run build/.test(x.args)));
    expect(build, "a stage runs npm run build").toBeDefined();
    expect(build!.filter((x) => x.op === "WORKDIR").map((x) => x.args)).toEqual(["/app"]);
    expect(pkg.scripts.build).toBe("tsc -p tsconfig.json && node scripts/compile-schema.mjs && node scripts/build-vocab.mjs");
    // every script the build runs is copied into the build stage
    for (const script of pkg.scripts.build.match(/scripts\/[\w-]+\.mjs/g)) expect(build!.some((x) => x.op === "COPY" && x.args.split(" ").includes(script)), `${script} copied before npm run build`).toBe(true);
    const tsconfig = JSON.parse(readFileSync(join(repoRoot, "tsconfig.json"), "utf8"));
    expect([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir]).toEqual(["src", "dist"]);
    expect(image.some((x) => x.op === "COPY" && /^--from=\w+ \/app\/dist \.\/dist$/.test(x.args))).toBe(true);
    for (const need of ["package.json package-lock.json ./", "schemas ./schemas"]) expect(image.some((x) => x.op === "COPY" && x.args === need), need).toBe(true);
    expect(existsSync(join(repoRoot, "src", "cli", "main.ts"))).toBe(true);
    expect(imageEntrypoint()).toEqual(["node", "/app/dist/cli/main.js"]);
    expect(image.some((x) => x.op === "CMD")).toBe(false);
  });

  it("needs --slurm or --k8s, and each scheduler's options with it", () => {
    const r = runCli(["plan", "pipelines/quickstart.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--slurm or --k8s/);
    const n = runCli(["plan", "pipelines/quickstart.json", "--k8s", "--node", "/usr/bin/node"]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--node and --curate say how Slurm jobs start curate; add --slurm/);
  });
});

describe("#SBATCH --output, read by Slurm itself (no shell)", () => {
  it("is double-quoted, with the folder's % doubled and \" escaped; a backslash or line break is refused", () => {
    expect(sbatchLogPath("/scratch/runs/a-jobs", "annotate-%a.log")).toBe('"/scratch/runs/a-jobs/annotate-%a.log"');
    // Slurm reads %j, %a, … in the name: the folder's own % stays a %
    expect(sbatchLogPath("/scratch/100%/a-jobs", "annotate-%a.log")).toBe('"/scratch/100%%/a-jobs/annotate-%a.log"');
    // white space, #, ' and $(…) are plain characters inside double quotes (and no shell reads the line)
    expect(sbatchLogPath("/tmp/we$(touch x)ird dir/o'ut #1/jobs", "finalize.log")).toBe(`"/tmp/we$(touch x)ird dir/o'ut #1/jobs/finalize.log"`);
    expect(sbatchLogPath('/tmp/say "hi"', "x.log")).toBe('"/tmp/say \\"hi\\"/x.log"');
    for (const bad of ["/tmp/a\\b", "/tmp/a\nb"]) expect(() => sbatchLogPath(bad, "x.log")).toThrow(/cannot hold a backslash or line break; choose another with --scripts/);
  });
});
