#!/usr/bin/env node
/**
 * Hang stress: runs the quickstart with `--workers 2` many times, several copies at once, and counts
 * runs that do not finish within a deadline (a hang) or fail. Not part of `npm test`.
 *
 *   node bench/hang-stress.mjs [--runs 400] [--copies 4] [--deadline 90] [--workers 2] [--mix pipelines/quickstart.json]
 *
 * A run past its deadline is a hang: its threads' kernel wait channels (/proc/<pid>/task/<tid>/wchan)
 * and the run folder's top-level entries are printed, then it is killed. With --probe-usr1, a hung run
 * is sent SIGUSR1 first (starts the inspector) and given 20 s more, to see whether that wakes it.
 */
import { spawn } from "node:child_process";
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
const deadlineS = Number(opt("deadline", 90));
const workers = opt("workers", "2");
const mix = opt("mix", "pipelines/quickstart.json");
const probeUsr1 = args.includes("--probe-usr1");
const cli = join(process.cwd(), "dist", "cli", "main.js");
if (!existsSync(cli)) throw new Error(`${cli} missing: run npm run build first`);

const root = mkdtempSync(join(tmpdir(), "curate-hang-"));
const threadStates = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => {
        const wchan = readFileSync(`/proc/${pid}/task/${tid}/wchan`, "utf8").trim() || "?";
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        return `${comm}:${wchan}`;
      })
      .join(" ");
  } catch {
    return "(gone)";
  }
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
    const child = spawn(process.execPath, [cli, "run", mix, "--out", out, "--workers", workers, "--force", "--quiet"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    let hung = false;
    let woke = false;
    const timer = setTimeout(() => {
      hung = true;
      console.log(`HANG run ${n} after ${deadlineS} s: threads ${threadStates(child.pid)}; folder ${listing(out)}; stderr tail: ${stderr.split("\n").slice(-4).join(" / ")}`);
      if (probeUsr1) {
        child.kill("SIGUSR1");
        setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
      } else child.kill("SIGKILL");
    }, deadlineS * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (hung && probeUsr1 && code === 0) woke = true;
      rmSync(out, { recursive: true, force: true });
      resolve({ n, code, signal, hung, woke, seconds: (Date.now() - t0) / 1000, stderr });
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
    if (!r.hung && r.code !== 0) console.log(`FAIL run ${r.n}: exit ${r.code ?? r.signal}: ${r.stderr.split("\n").slice(-3).join(" / ")}`);
    if (results.length % 50 === 0) console.log(`${results.length}/${runs} runs, ${results.filter((x) => x.hung).length} hung, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}
await Promise.all(Array.from({ length: copies }, lane));
rmSync(root, { recursive: true, force: true });
const hung = results.filter((r) => r.hung);
const failed = results.filter((r) => !r.hung && r.code !== 0);
const secs = results.filter((r) => !r.hung).map((r) => r.seconds).sort((a, b) => a - b);
const med = secs.length ? secs[Math.floor(secs.length / 2)] : NaN;
console.log(
  `${runs} runs of ${mix} --workers ${workers}, ${copies} at once: ${hung.length} hung (deadline ${deadlineS} s${probeUsr1 ? `, ${hung.filter((r) => r.woke).length} woken by SIGUSR1` : ""}), ${failed.length} failed, ${runs - hung.length - failed.length} ok; median run ${med.toFixed(1)} s, slowest ${secs.at(-1)?.toFixed(1)} s; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
);
process.exitCode = hung.length || failed.length ? 1 : 0;
