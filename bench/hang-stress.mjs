#!/usr/bin/env node
/**
 * Hang stress: runs the quickstart with `--workers 2` many times, several copies at once, and counts
 * runs that stop moving (a hang) or fail. Not part of `npm test`.
 *
 *   node bench/hang-stress.mjs [--runs 400] [--copies 4] [--idle 30] [--deadline 900] [--workers 2]
 *                              [--mix pipelines/quickstart.json] [--env K=V]…
 *
 * A hang is a run whose process used no CPU time at all (every thread's user + system time, from
 * /proc/<pid>/stat) for `--idle` seconds: a slow run on a loaded machine still moves, a stuck one
 * does not. A run past `--deadline` seconds is counted apart (slow, not stuck). For a hung run the
 * threads' kernel wait channels, the native stacks (gdb, when installed) and the run folder's
 * entries are printed, then it is killed.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt("runs", 400));
const copies = Number(opt("copies", 4));
const idleS = Number(opt("idle", 30));
const deadlineS = Number(opt("deadline", 900));
const workers = opt("workers", "2");
const mix = opt("mix", "pipelines/quickstart.json");
const extraEnv = Object.fromEntries(args.flatMap((a, i) => (a === "--env" ? [args[i + 1].split("=")] : [])));
const cli = join(process.cwd(), "dist", "cli", "main.js");
if (!existsSync(cli)) throw new Error(`${cli} missing: run npm run build first`);

const root = mkdtempSync(join(tmpdir(), "curate-hang-"));

/** CPU ticks (user + system, all threads) of a process, or null when it is gone */
const cpuTicks = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
};
const threadStates = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => `${readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim()}:${readFileSync(`/proc/${pid}/task/${tid}/wchan`, "utf8").trim() || "?"}`)
      .join(" ");
  } catch {
    return "(gone)";
  }
};
const nativeStacks = (pid) => {
  const gdb = spawnSync("gdb", ["-p", String(pid), "-batch", "-ex", "thread apply all bt 15"], { encoding: "utf8", timeout: 120_000 });
  if (gdb.error) return "(no gdb)";
  return gdb.stdout.split("\n").filter((l) => /^(Thread|#)/.test(l)).join("\n");
};
const listing = (dir) => {
  try {
    const top = readdirSync(dir).sort();
    const work = existsSync(join(dir, ".work")) ? readdirSync(join(dir, ".work")).sort() : [];
    return `${top.join(",")} | .work: ${work.join(",")}`;
  } catch {
    return "(no folder)";
  }
};

function once(n) {
  const out = join(root, `r${n}`);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, "run", mix, "--out", out, "--workers", workers, "--force"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...extraEnv } });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-8000)));
    let verdict = null;
    let lastTicks = -1;
    let lastMove = Date.now();
    const watch = setInterval(() => {
      const ticks = cpuTicks(child.pid);
      if (ticks === null) return;
      if (ticks !== lastTicks) {
        lastTicks = ticks;
        lastMove = Date.now();
      }
      const stuck = Date.now() - lastMove >= idleS * 1000;
      const late = Date.now() - t0 >= deadlineS * 1000;
      if (!stuck && !late) return;
      clearInterval(watch);
      verdict = stuck ? "hung" : "late";
      console.log(`${stuck ? "HANG" : "LATE"} run ${n} (${((Date.now() - t0) / 1000).toFixed(0)} s, no CPU for ${((Date.now() - lastMove) / 1000).toFixed(0)} s): threads ${threadStates(child.pid)}`);
      console.log(`  folder: ${listing(out)}`);
      console.log(`  stderr tail: ${stderr.split("\n").slice(-6).join(" / ")}`);
      if (stuck) console.log(nativeStacks(child.pid));
      child.kill("SIGKILL");
    }, 1000);
    child.on("exit", (code, signal) => {
      clearInterval(watch);
      rmSync(out, { recursive: true, force: true });
      resolve({ n, code, signal, verdict, seconds: (Date.now() - t0) / 1000, stderr });
    });
  });
}

const t0 = Date.now();
let next = 0;
const results = [];
async function lane() {
  while (next < runs) {
    const r = await once(next++);
    results.push(r);
    if (!r.verdict && r.code !== 0) console.log(`FAIL run ${r.n}: exit ${r.code ?? r.signal}: ${r.stderr.split("\n").slice(-3).join(" / ")}`);
    if (results.length % 50 === 0) console.log(`${results.length}/${runs} runs, ${results.filter((x) => x.verdict === "hung").length} hung, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}
await Promise.all(Array.from({ length: copies }, lane));
rmSync(root, { recursive: true, force: true });
const hung = results.filter((r) => r.verdict === "hung");
const late = results.filter((r) => r.verdict === "late");
const failed = results.filter((r) => !r.verdict && r.code !== 0);
const secs = results.filter((r) => !r.verdict).map((r) => r.seconds).sort((a, b) => a - b);
const med = secs.length ? secs[Math.floor(secs.length / 2)] : NaN;
console.log(
  `${runs} runs of ${mix} --workers ${workers}, ${copies} at once${Object.keys(extraEnv).length ? ` (${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(" ")})` : ""}: ` +
    `${hung.length} hung (no CPU for ${idleS} s), ${late.length} past ${deadlineS} s, ${failed.length} failed, ${runs - hung.length - late.length - failed.length} ok; ` +
    `median run ${med.toFixed(1)} s, slowest ${secs.at(-1)?.toFixed(1)} s; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
);
process.exitCode = hung.length || failed.length ? 1 : 0;
