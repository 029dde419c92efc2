/**
 * Array jobs and crash recovery: ranks as separate processes (annotate, group, merge, write and
 * outputs phases, each rank in each, then finalize) give the same bytes as one process; a run killed with SIGKILL mid-way resumes to the same bytes;
 * a changed config is refused; a finalize without all units waits, then fails clearly.
 *
 * What is about processes (ranks, SIGKILL, exit codes and stderr) runs the CLI; the reference run and
 * the steps that only prepare or complete a run folder run in this process (test/helpers/run.ts: the
 * same run without a process start, ~2 CPU-s less each).
 */
import { describe, expect, it, beforeAll } from "vitest";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startCli, tempDir, repoRoot, quickstartVariant, allFiles } from "../helpers/cli.js";
import { runInProcess, runToEnd } from "../helpers/run.js";

function expectSameTree(a: string, b: string) {
  const fa = allFiles(a).filter((f) => !f.startsWith(".work/"));
  const fb = allFiles(b).filter((f) => !f.startsWith(".work/"));
  expect(fb).toEqual(fa);
  for (const f of fa) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
}

/** a corpus of 6 files (units) copied from data-samples, plus a mix file */
function makeCorpus(): string {
  const d = tempDir("curate-resume-");
  mkdirSync(join(d, "in"));
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  for (let k = 0; k < 6; k++) writeFileSync(join(d, "in", `part-${k}.jsonl`), lines.slice(k * 38, (k + 1) * 38).join("\n") + "\n");
  // with the data products, in shards of at most 10 rows, so that the outputs phase has shards for every rank
  const mix = quickstartVariant("resume", { path: "in/*.jsonl" }, { outputs: true }) as { output?: Record<string, unknown> };
  mix.output = { ...mix.output, shardRows: 10 };
  writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
  return d;
}

describe("ranks and resume", () => {
  let corpus: string;
  let single: string;
  /** a finished run of mix.json at `out`: a copy of `single` (the same bytes a fresh run writes; a run less) */
  const finishedRun = (out: string) => cpSync(single, out, { recursive: true, preserveTimestamps: true });
  beforeAll(async () => {
    corpus = makeCorpus();
    single = join(corpus, "single");
    // no threads: the reference of every test (the thread count's bytes are checked in test/run/write-parts.test.ts)
    expect((await runToEnd(join(corpus, "mix.json"), single)).stderr).toBe("");
  });

  // 2 ranks (5 phases × 2 processes): the uneven split of 6 units over 4 ranks is run by the --phase all test below
  it("2 ranks as separate processes, then finalize, give byte-identical outputs", async () => {
    const out = join(corpus, "ranks");
    const W = 2;
    const all = [...Array(W).keys()];
    const ranks = (phase: string) =>
      Promise.all(
        all.map(
          async (rank) => (await startCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--phase", phase, "--rank", String(rank), "--world-size", String(W), "--workers", "0", "--wait-seconds", "600"]).exit).code,
        ),
      );
    const ok = all.map(() => 0);
    expect(await ranks("annotate")).toEqual(ok);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // the group phase, all ranks at once: each confirms the near-duplicate pairs of its share of the
    // LSH bands; no outcome yet
    expect(await ranks("group")).toEqual(ok);
    const [token] = readdirSync(join(out, ".work", "group"));
    const groupDir = join(out, ".work", "group", token!);
    expect(readdirSync(groupDir).sort()).toEqual(all.map((r) => `pairs-w${W}-r${r}.bin`));
    // the merge phase, all ranks at once: each reads every rank's pairs and saves its share of the
    // problem groups (exact duplicates, caps, representatives)
    expect(await ranks("merge")).toEqual(ok);
    expect(readdirSync(groupDir).filter((f) => f.endsWith(".json")).sort()).toEqual(all.map((r) => `share-w${W}-r${r}.json`));
    // the shares split the rows: each decides some
    for (const r of all) expect(JSON.parse(readFileSync(join(groupDir, `share-w${W}-r${r}.json`), "utf8")).stats.rows).toBeGreaterThan(0);
    // the write phase, all ranks at once, each writing its own units from the saved outcome
    expect(await ranks("write")).toEqual(ok);
    expect(readdirSync(join(out, ".work", "write")).sort()).toEqual([0, 1, 2, 3, 4, 5].map((u) => `u0000${u}.json`));
    // with the write step, the ranks spilled the records the data products need: part j (an annotated
    // shard of a unit, in table order) by rank j mod W
    const spillDir = join(out, ".work", "outputs", token!);
    const done = readdirSync(spillDir).filter((f) => f.endsWith(".done.json")).sort();
    expect(done.length).toBeGreaterThan(6); // units of 38 rows in annotated shards of 10
    done.forEach((f, j) => expect(JSON.parse(readFileSync(join(spillDir, f), "utf8")).by, f).toBe(`rank ${j % W}/${W}`));
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // the outputs phase, all ranks at once: output shard g (of all outputs) is written by rank g mod W
    expect(await ranks("outputs")).toEqual(ok);
    const shardMarkers = readdirSync(spillDir).filter((f) => f.startsWith("shard-")).map((f) => JSON.parse(readFileSync(join(spillDir, f), "utf8")));
    expect(shardMarkers.length).toBeGreaterThanOrEqual(4);
    expect(new Set(shardMarkers.map((m) => m.by))).toEqual(new Set(all.map((r) => `rank ${r}/${W}`)));
    const mtimes = new Map(shardMarkers.map((m) => [m.path as string, statSync(join(out, m.path)).mtimeMs]));
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    const fin = runCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--json", "--phase", "finalize", "--wait-seconds", "5"]);
    expect(fin.code).toBe(0);
    expect(JSON.parse(fin.stdout).timings.phases.write).toBeLessThan(1); // every unit was already written
    expect(JSON.parse(fin.stdout).timings.phases.spill).toBeUndefined(); // … and spilled
    // finalize wrote no output shard: every listed shard is the one a rank wrote
    const listed = Object.values(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).outputs as Record<string, { name: string; shards: { path: string }[] }>).flatMap((o) => o.shards.map((sh) => `outputs/${o.name}/${sh.path}`));
    expect(listed.sort()).toEqual([...mtimes.keys()].sort());
    for (const [f, t] of mtimes) expect(statSync(join(out, f)).mtimeMs, f).toBe(t);
    // once the run is finished the spills go; the list of output shards stays, and an outputs rank run again has nothing to do
    expect(readdirSync(spillDir)).toEqual(["finished.json"]);
    await runInProcess(join(corpus, "mix.json"), out, { phase: "outputs", rank: 1, worldSize: W, waitMs: 1000, workers: undefined });
    for (const [f, t] of mtimes) expect(statSync(join(out, f)).mtimeMs, f).toBe(t);
    await runToEnd(join(corpus, "mix.json"), out, { phase: "finalize", workers: undefined });
    expectSameTree(single, out);
  });

  // one test for both: the ranks take their number from the SLURM variables and run every phase (--phase all);
  // 4 ranks, so that the 6 units split unevenly
  it("4 ranks running every phase at once, numbered by SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT, give byte-identical outputs; rank 0 finalizes after waiting for the others", async () => {
    const out = join(corpus, "slurm");
    const run = (rank: number) =>
      startCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--workers", "0", "--wait-seconds", "600"], {
        env: { SLURM_ARRAY_TASK_ID: String(rank), SLURM_ARRAY_TASK_COUNT: "4" },
      }).exit;
    const codes = await Promise.all([0, 1, 2, 3].map(run));
    expect(codes.map((c) => c.code)).toEqual([0, 0, 0, 0]);
    // every rank saved its own share of the merge
    const [token] = readdirSync(join(out, ".work", "group"));
    expect(readdirSync(join(out, ".work", "group", token!)).filter((f) => f.endsWith(".json")).sort()).toEqual([0, 1, 2, 3].map((r) => `share-w4-r${r}.json`));
    expectSameTree(single, out);
  });

  it("a write phase that stopped half-way is completed by finalize, to the same bytes", async () => {
    const out = join(corpus, "half-written");
    await runInProcess(join(corpus, "mix.json"), out, { phase: "annotate" });
    // a write rank without the group outcome waits for it, then says what is missing
    const early = runCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--phase", "write", "--rank", "1", "--world-size", "3", "--wait-seconds", "1"]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/group outcome.*incomplete.*--phase merge --rank <r> --world-size 3/);
    // the group phase in one process saves the outcome; one write rank then writes its units
    await runInProcess(join(corpus, "mix.json"), out, { phase: "group", workers: undefined });
    await runInProcess(join(corpus, "mix.json"), out, { phase: "write", rank: 1, worldSize: 3, workers: undefined });
    expect(readdirSync(join(out, ".work", "write")).sort()).toEqual(["u00001.json", "u00004.json"]);
    const before = readFileSync(join(out, "data", "train-u00001-p00000-00000.parquet"));
    // rank 1 spilled its third of the parts for the data products; an outputs rank waits for the others' spills, then says who owes them
    const [token] = readdirSync(join(out, ".work", "group"));
    const spillDir = join(out, ".work", "outputs", token!);
    const spilled = readdirSync(spillDir).filter((f) => f.endsWith(".done.json"));
    expect(spilled.length).toBeGreaterThan(2);
    for (const f of spilled) expect(JSON.parse(readFileSync(join(spillDir, f), "utf8")).by).toBe("rank 1/3");
    expect(spilled).toContain("u00000-p00001.done.json");
    const outputsRank = runCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--phase", "outputs", "--rank", "2", "--world-size", "3", "--wait-seconds", "1"]);
    expect(outputsRank.code).not.toBe(0);
    expect(outputsRank.stderr).toMatch(/part u00000-p00000 \(in\/part-0\.jsonl\) is not spilled for the outputs.*--phase write --rank 0 --world-size 3/);
    expect(readdirSync(spillDir).filter((f) => f.startsWith("shard-"))).toEqual([]);
    await runToEnd(join(corpus, "mix.json"), out, { phase: "finalize", workers: undefined });
    expect(readFileSync(join(out, "data", "train-u00001-p00000-00000.parquet")).equals(before)).toBe(true);
    expectSameTree(single, out);
  });

  it("a run killed with SIGKILL mid-way resumes, skipping finished units, to identical outputs", async () => {
    const out = join(corpus, "killed");
    // a real SIGKILL after the second unit's marker (test-only fault hook), whatever the machine's speed
    const killed = await startCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--workers", "0"], { env: { CURATE_FAULT_KILL_AFTER_UNITS: "2" } }).exit;
    expect(killed.code).toBe(-1);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    const done = readdirSync(join(out, ".work", "units")).filter((f) => f.endsWith(".json")).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(6);
    const summary = await runToEnd(join(corpus, "mix.json"), out);
    expect(summary.timings.unitsSkipped).toBe(done);
    expect(summary.timings.unitsAnnotated).toBe(6 - done);
    expectSameTree(single, out);
  });

  it("a run killed with SIGKILL while writing its data products resumes them, skipping the shards written, to identical outputs", async () => {
    const out = join(corpus, "killed-outputs");
    const markers = () => {
      const dir = join(out, ".work", "outputs");
      if (!existsSync(dir)) return [];
      return readdirSync(dir).flatMap((t) => readdirSync(join(dir, t)).filter((f) => f.startsWith("shard-")).map((f) => join(dir, t, f)));
    };
    // the process sends itself SIGKILL right after its third output shard (a fixed point, whatever the machine's speed)
    const killed = runCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--workers", "0"], { env: { CURATE_FAULT_KILL_AFTER_SHARDS: "3" } });
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    const before = markers().map((f) => JSON.parse(readFileSync(f, "utf8")).path as string);
    expect(before.length).toBe(3);
    const mtimes = new Map(before.map((f) => [f, statSync(join(out, f)).mtimeMs]));
    const summary = await runToEnd(join(corpus, "mix.json"), out);
    expect(summary.timings.unitsSkipped).toBe(6);
    expect(summary.timings.phases.spill).toBeUndefined(); // every unit was spilled before the first shard
    const listed = Object.values(summary.manifest.outputs as Record<string, { shards: unknown[] }>).reduce((a, o) => a + o.shards.length, 0);
    expect(before.length).toBeLessThan(listed); // killed mid-way through the shards
    for (const [f, t] of mtimes) expect(statSync(join(out, f)).mtimeMs, f).toBe(t); // not written again
    expectSameTree(single, out); // no temp file of the shard being written survives either
  });

  it("--refilter rebuilds a data-product shard that was truncated or deleted after the run finished, to the same bytes, and leaves intact ones alone", async () => {
    const out = join(corpus, "damaged-outputs");
    finishedRun(out);
    const shards = Object.values(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).outputs as Record<string, { name: string; shards: { path: string }[] }>).flatMap((o) => o.shards.map((sh) => `outputs/${o.name}/${sh.path}`));
    expect(shards.length).toBeGreaterThanOrEqual(4);
    const mtimes = () => new Map(shards.filter((f) => existsSync(join(out, f))).map((f) => [f, statSync(join(out, f)).mtimeMs]));
    // intact: a refilter with nothing changed writes no output shard
    const before = mtimes();
    await runToEnd(join(corpus, "mix.json"), out, { refilter: true });
    expect(mtimes()).toEqual(before);
    // one shard cut short, another deleted: both are built again (the list of finished shards is not trusted blindly)
    truncateSync(join(out, shards[0]!), 100);
    rmSync(join(out, shards[shards.length - 1]!));
    await runToEnd(join(corpus, "mix.json"), out, { refilter: true });
    expectSameTree(single, out);
  });

  it("refuses to resume with a changed config unless --force", async () => {
    const out = join(corpus, "changed");
    await runInProcess(join(corpus, "mix.json"), out, { phase: "annotate" });
    const mix = JSON.parse(readFileSync(join(corpus, "mix.json"), "utf8"));
    writeFileSync(join(corpus, "mix2.json"), JSON.stringify({ ...mix, seed: 99 }));
    const r = runCli(["run", join(corpus, "mix2.json"), "--out", out, "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/annotated under a different config \(annotate hash [0-9a-f]{16}, now [0-9a-f]{16}: changed \$\.seed: \d+ → 99; only filters and outputs may change without re-annotating\); pass --force/);
    await runToEnd(join(corpus, "mix2.json"), out, { force: true });
  });

  it("--refilter re-decides a finished run with changed filters without re-annotating, to the bytes of a fresh run", async () => {
    const out = join(corpus, "refilter");
    finishedRun(out);
    const mix = JSON.parse(readFileSync(join(corpus, "mix.json"), "utf8"));
    writeFileSync(join(corpus, "mix-refilter.json"), JSON.stringify({ ...mix, filters: { ...mix.filters, maxResponseTokens: 1500, requireCorrect: false } }));
    expect(runCli(["run", join(corpus, "mix-refilter.json"), "--out", out, "--quiet"]).code).toBe(2); // finished run: needs --refilter
    const summary = await runToEnd(join(corpus, "mix-refilter.json"), out, { refilter: true, workers: undefined });
    expect(summary.timings.unitsAnnotated).toBe(0);
    expect(summary.manifest.counts.byReason["verify:incorrect"]).toBeUndefined();
    expect(summary.manifest.counts.byReason["too_long:response"]).toBeGreaterThan(0);
    const fresh = join(corpus, "refilter-fresh");
    await runToEnd(join(corpus, "mix-refilter.json"), fresh);
    expectSameTree(fresh, out);
    // the products' work folder holds the current token only; without outputs, the products go
    expect(readdirSync(join(out, ".work", "outputs")).length).toBe(1);
    const noOutputs = { ...mix, filters: { ...mix.filters, maxResponseTokens: 1500, requireCorrect: false } };
    delete noOutputs.outputs;
    writeFileSync(join(corpus, "mix-no-outputs.json"), JSON.stringify(noOutputs));
    await runToEnd(join(corpus, "mix-no-outputs.json"), out, { refilter: true, workers: undefined });
    expect(existsSync(join(out, "outputs"))).toBe(false);
    expect(existsSync(join(out, ".work", "outputs"))).toBe(false);
    // a change that affects annotation is refused
    writeFileSync(join(corpus, "mix-tok.json"), JSON.stringify({ ...mix, tokenizer: "cl100k_base" }));
    const t = runCli(["run", join(corpus, "mix-tok.json"), "--out", out, "--quiet", "--refilter"]);
    expect(t.code).toBe(2);
  });

  it("finalize re-reads responses from the inputs and stops when an input changed or vanished after annotate", async () => {
    // annotated/ holds no response text: finalize zips it back from the inputs, checked by
    // size + mtime and then id by id
    const d = makeCorpus();
    const out = join(d, "out");
    await runInProcess(join(d, "mix.json"), out, { phase: "annotate" });
    const annotated = readdirSync(join(out, "annotated"));
    expect(new Set(annotated.map((f) => f.slice(0, 6)))).toEqual(new Set([0, 1, 2, 3, 4, 5].map((u) => `u0000${u}`))); // every unit annotated
    const part = join(d, "in", "part-2.jsonl");
    const original = readFileSync(part, "utf8");
    const finalize = () => runCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--phase", "finalize"]);
    // 1. a row appended: size differs
    writeFileSync(part, original + original.split("\n")[0] + "\n");
    let r = finalize();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\/part-2\.jsonl: input changed since it was annotated \(size \d+ → \d+ bytes/);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // 2. same size and mtime, but an id changed: caught row by row
    const annotatedAt = JSON.parse(readFileSync(join(out, ".work", "units", "u00002.json"), "utf8")).input.mtimeMs / 1000;
    writeFileSync(part, original.replace('"id":"sample-0077"', '"id":"sample-7077"'));
    utimesSync(part, annotatedAt, annotatedAt);
    r = finalize();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\/part-2\.jsonl, row \d+: input changed since it was annotated: annotated\/ has rollout sample-0077 here, the input now has sample-7077/);
    // 3. restored: finalize completes, to the bytes of a one-process run
    writeFileSync(part, original);
    utimesSync(part, annotatedAt, annotatedAt);
    r = finalize();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectSameTree(single, out);
    // 4. an input deleted before a --refilter
    rmSync(join(d, "in", "part-4.jsonl"));
    r = runCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--refilter"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds a run over different input files \(the inputs matched by the mix file changed\); pass --force/);
  });

  it("array-job ranks refuse --force", () => {
    const r = runCli(["run", join(corpus, "mix.json"), "--out", join(corpus, "ranks-force"), "--quiet", "--rank", "1", "--world-size", "2", "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--force cannot be used by array-job ranks \(world size 2\)/);
  });

  it("finalize fails clearly when a rank's units never arrive", async () => {
    const out = join(corpus, "missing");
    await runInProcess(join(corpus, "mix.json"), out, { phase: "annotate", rank: 0, worldSize: 2 });
    const r = runCli(["run", join(corpus, "mix.json"), "--out", out, "--quiet", "--phase", "finalize", "--wait-seconds", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unit u00001 \(in\/part-1\.jsonl\) has no completion marker after 1000 ms/);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
  });
});
