#!/usr/bin/env node
/**
 * `curate report` at scale: generate a run-shaped folder (data/ + rejected/ + manifest) of N small
 * synthetic rollouts with every annotation the report shows, then time the report (in a child process
 * running the real CLI, so peak RSS is the report's alone) and check the HTML stays bounded.
 *
 *   node bench/report-bench.mjs [rows=1000000] [out=bench/out/report-run] [--reuse]
 *
 * --reuse skips generation when `out` already holds a synthetic run of that many rows.
 *
 * Also times `curate inspect --json` and `curate audit sample` on the same folder.
 * Prints rows/s, wall and CPU seconds (CPU is the figure to compare on a shared machine), HTML bytes
 * and peak RSS (maxRSS) per step.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const reuse = process.argv.includes("--reuse");
const rows = Number(args[0] ?? 1_000_000);
const out = resolve(args[1] ?? join(root, "bench", "out", "report-run"));
const cli = join(root, "dist", "cli", "main.js");
if (!existsSync(cli)) throw new Error("build first: npm run build");

const { writeSyntheticRun } = await import(join(root, "dist", "report", "synthetic.js"));

const t0 = performance.now();
let gen;
const manifestPath = join(out, "manifest.json");
const existing = reuse && existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : null;
if (existing && existing.counts.rowsIn === rows && existing.tool.version === "synthetic") {
  gen = { rowsIn: rows, kept: existing.counts.kept, dropped: existing.counts.dropped };
  console.log(`reusing ${out}`);
} else gen = await writeSyntheticRun(out, { rows, seed: 7, hostile: true, reasoningChars: 120, rowGroupRows: 10_000, shardRows: 250_000 });
const genSec = (performance.now() - t0) / 1000;
console.log(`generated ${gen.rowsIn.toLocaleString("en-US")} rows (${gen.kept.toLocaleString("en-US")} kept, ${gen.dropped.toLocaleString("en-US")} dropped) in ${genSec.toFixed(1)} s → ${out}`);

/** Run `curate <args>` in a fresh process; returns seconds, captured stdout and that process's peak RSS. */
function timed(args) {
  // run the real CLI in a child whose exit hook reports its own peak RSS (resourceUsage has no child accounting)
  const loader = `
    const t0 = performance.now();
    process.argv = [process.argv[0], ${JSON.stringify(cli)}, ...${JSON.stringify(args)}];
    const origWrite = process.stdout.write.bind(process.stdout);
    let captured = "";
    process.stdout.write = (c, ...rest) => { captured += c; return true; };
    process.on("exit", () => {
      const s = (performance.now() - t0) / 1000;
      const u = process.resourceUsage();
      origWrite(JSON.stringify({ seconds: s, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, stdout: captured, maxRssKb: u.maxRSS, exitCode: process.exitCode ?? 0 }) + "\\n");
    });
    await import(${JSON.stringify("file://" + cli)});
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", loader], { encoding: "utf8", maxBuffer: 1 << 28 });
  const last = r.stdout.trim().split("\n").pop();
  const res = JSON.parse(last);
  if (res.exitCode !== 0) throw new Error(`curate ${args.join(" ")} failed: ${r.stderr}`);
  return res;
}

const html = join(out, "report.html");
const rep = timed(["report", out, "--out", html]);
const bytes = statSync(html).size;
console.log(`report:        ${rep.seconds.toFixed(1)} s wall (${rep.cpuSeconds.toFixed(1)} s CPU), ${Math.round(gen.rowsIn / rep.seconds).toLocaleString("en-US")} rows/s, HTML ${(bytes / 1024).toFixed(0)} KiB, peak RSS ${(rep.maxRssKb / 1024).toFixed(0)} MB`);
if (bytes > 5 * 1024 * 1024) {
  console.error(`FAIL: report is ${bytes} bytes (> 5 MB)`);
  process.exitCode = 1;
}

const ins = timed(["inspect", out, "--json"]);
const d = JSON.parse(ins.stdout);
console.log(`inspect --json: ${ins.seconds.toFixed(1)} s wall (${ins.cpuSeconds.toFixed(1)} s CPU), ${Math.round(d.rows / ins.seconds).toLocaleString("en-US")} rows/s, peak RSS ${(ins.maxRssKb / 1024).toFixed(0)} MB (rows ${d.rows.toLocaleString("en-US")})`);

const aud = timed(["audit", "sample", out, "--per-reason", "25", "--out", join(out, "audit.csv")]);
console.log(`audit sample:  ${aud.seconds.toFixed(1)} s wall (${aud.cpuSeconds.toFixed(1)} s CPU), ${Math.round(gen.rowsIn / aud.seconds).toLocaleString("en-US")} rows/s, peak RSS ${(aud.maxRssKb / 1024).toFixed(0)} MB`);
