#!/usr/bin/env node
/**
 * The data products at scale: the four outputs of pipelines/quickstart.json (midtrain packed to 4,096
 * tokens with input_ids, SFT, rollout DPO, RL prompts) built from the 100k-rollout bench run. It
 * re-decides the finished bench run with `--refilter` (no re-annotation; the write step is skipped
 * when its markers are current), so the figure is the data products' two steps (spill: plan, texts
 * re-read, rendered and encoded; output shards): wall seconds, CPU seconds of all threads, rows and
 * tokens per output, peak RSS. (Before the products were split into the two steps, the whole was one
 * "outputs" phase; an older build prints it as the output shards' figure.)
 *
 *   npm run bench            # once: makes bench/out/run (the 100k run folder)
 *   node bench/outputs-bench.mjs [--run bench/out/run] [--curate dist/cli/main.js] [--workers N]
 *
 * `--curate` runs another build (e.g. a worktree of an older commit) on the same folder, for before /
 * after figures. `--ranks N` first runs the products as an array job would: N write ranks at once
 * (`--workers 1` each: ranks on one machine share its cores)
 * (each spills its own units; the write itself is current), then N outputs ranks at once (each writes
 * output shards g ≡ rank mod N), timed per step with each rank's wall, CPU seconds and peak RSS; the
 * finalize that follows only joins (its products figures are then ~0).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith("--") ? [a.slice(2), xs[i + 1]] : null)).filter(Boolean));
const runDir = resolve(args.run ?? "bench/out/run");
const curate = resolve(args.curate ?? "dist/cli/main.js");
if (!existsSync(resolve(runDir, "manifest.json"))) {
  console.error(`outputs-bench: needs a finished bench run in ${runDir}: run \`npm run bench\` first`);
  process.exit(2);
}
// the run's own mix (bench/out/bench-mix.json is rewritten by every pipeline bench, e.g. for 200k)
const mix = JSON.parse(readFileSync(resolve(runDir, "manifest.json"), "utf8")).config;
const quick = JSON.parse(readFileSync(resolve("pipelines/quickstart.json"), "utf8"));
mix.outputs = quick.outputs;
for (const o of Object.values(mix.outputs)) delete o.sources;
if (mix.outputs.midtrain) mix.outputs.midtrain.weights = { [mix.sources[0].name]: 1 };
// next to bench-mix.json: source paths resolve relative to the mix file
const mixPath = resolve("bench/out/bench-mix-outputs.json");
writeFileSync(mixPath, JSON.stringify(mix, null, 2));
// the products' markers of an earlier bench (spills, shard list) would let the run skip them
rmSync(resolve(runDir, ".work", "outputs"), { recursive: true, force: true });
if (args.ranks) await splitRun(Number(args.ranks));
const t0 = performance.now();
const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, curate, "run", mixPath, "--out", runDir, "--refilter", "--quiet", "--json", ...(args.workers ? ["--workers", args.workers] : [])], { encoding: "utf8", maxBuffer: 64 << 20 });
const wall = (performance.now() - t0) / 1000;
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const out = JSON.parse(r.stdout);
const rssMB = Number(r.stderr.trim().split("\n").pop()) / 1024;
const t = out.timings;
console.log(`outputs bench: ${out.counts.rowsIn} rows in, ${out.counts.kept} kept (${curate})`);
// the products: the spill step (plan, texts re-read and rendered/encoded per unit) + the shards
const products = (t.phases.spill ?? 0) + (t.phases.outputs ?? 0);
console.log(`  data products ${products.toFixed(1)} s wall: spill ${(t.phases.spill ?? 0).toFixed(1)} s + output shards ${(t.phases.outputs ?? 0).toFixed(1)} s (whole command ${wall.toFixed(1)} s, ${t.cpuSeconds.toFixed(1)} CPU s, write ${(t.phases.write ?? 0).toFixed(1)} s), peak RSS ${rssMB.toFixed(0)} MB`);
for (const [name, m] of Object.entries(out.outputs ?? {})) {
  console.log(`  ${name.padEnd(9)} ${String(m.rows).padStart(7)} rows ${String(m.tokens).padStart(11)} tokens ${String(m.shards.length).padStart(3)} shard(s)`);
}
console.log(JSON.stringify({ productsSeconds: products, spillSeconds: t.phases.spill ?? 0, shardsSeconds: t.phases.outputs ?? 0, cpuSeconds: t.cpuSeconds, peakRssMB: rssMB, outputs: Object.fromEntries(Object.entries(out.outputs ?? {}).map(([k, m]) => [k, { rows: m.rows, tokens: m.tokens }])) }));

/** N processes of one phase at once: wall of the step, per rank wall / CPU s / peak RSS */
async function phaseRanks(phase, n) {
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: n }, (_, rank) => new Promise((done, fail) => {
      const p = spawn("/usr/bin/time", ["-f", "TIME %e %U %S %M", process.execPath, curate, "run", mixPath, "--out", runDir, "--quiet", "--phase", phase, "--rank", String(rank), "--world-size", String(n), "--workers", "1"], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      p.stderr.on("data", (d) => (err += d));
      p.on("exit", (code) => {
        const m = /TIME (\S+) (\S+) (\S+) (\d+)\s*$/.exec(err);
        if (code !== 0 || !m) fail(new Error(`${phase} rank ${rank} failed (${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`));
        else done({ rank, wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMB: Number(m[4]) / 1024 });
      });
    })),
  );
  const wall = (performance.now() - t0) / 1000;
  console.log(`  ${phase.padEnd(7)} ${n} ranks at once: ${wall.toFixed(1)} s wall; ${runs.map((x) => `rank ${x.rank} ${x.wall.toFixed(1)} s, ${x.cpu.toFixed(1)} CPU s, ${x.rssMB.toFixed(0)} MB`).join("; ")}`);
  return wall;
}

async function splitRun(n) {
  console.log(`outputs bench, ${n} ranks (${curate}):`);
  const spill = await phaseRanks("write", n);
  const shards = await phaseRanks("outputs", n);
  console.log(`  data products ${(spill + shards).toFixed(1)} s wall over ${n} ranks (spill ${spill.toFixed(1)} s + output shards ${shards.toFixed(1)} s); the finalize below only joins`);
}
