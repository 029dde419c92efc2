#!/usr/bin/env node
/**
 * The fault suite of issue #18: every hostile input, run through the real CLI, one line each.
 *
 *   npx tsc -p tsconfig.json && node bench/faults.mjs [--only name[,name…]] [--timeout-s 180]
 *
 * Each case writes its input in a temp folder (bench/fault-inputs.mjs, bench/fault-hub.mjs), runs
 * `curate run` on a one-source mix (onError quarantine; fail where that is the interesting case) as a
 * child process with a kill timeout, and prints: name, mode, outcome (exit code and what the hostile
 * row became, or the error's first line), rows in = kept + dropped, peak RSS of the child, wall
 * seconds. It checks every bound: exit code as expected (and never a signal or another code), no
 * timeout, peak RSS under RSS_LIMIT_MB, rows in = kept + dropped with every good row kept, and the
 * case's own check (values stored exactly, user files intact, token not leaked). Exits 1 if any fails.
 * Not part of `npm test`: the 400 MB cell and the floods take a minute together.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { CASES } from "./fault-cases.mjs";

const repoRoot = resolve(import.meta.dirname, "..");
const CLI = join(repoRoot, "dist", "cli", "main.js");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
/** The memory bound every hostile input must hold (an idle run peaks near 150 MB). */
export const RSS_LIMIT_MB = 600;

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** VmHWM of a live process in MB (the fallback when /usr/bin/time is missing), or 0. */
function vmHwmMB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Run the CLI with `args` (in `cwd`, extra `env`), killed (its whole process group) after `timeoutMs`.
 * Peak RSS from /usr/bin/time -f %M, else from polling /proc/<pid>/status.
 */
function runCurate(args, { cwd, env = {}, timeoutMs }) {
  const rssFile = join(cwd, ".peak-rss");
  const cmd = TIME ? [TIME, "-f", "%M", "-o", rssFile, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const t0 = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-64 * 1024)));
  let polled = 0;
  const poll = TIME ? null : setInterval(() => (polled = Math.max(polled, vmHwmMB(child.pid))), 20);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid, "SIGKILL");
  }, timeoutMs);
  return new Promise((done) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let rssMB = polled;
      if (TIME && existsSync(rssFile)) {
        const text = readFileSync(rssFile, "utf8").trim().split("\n");
        rssMB = Number(text.at(-1)) / 1024;
        // /usr/bin/time reports a signal on its first line and exits 128+n
        const sig = /terminated by signal (\d+)/.exec(text[0] ?? "");
        if (sig) signal = `signal ${sig[1]}`;
        rmSync(rssFile);
      }
      done({ code, signal, timedOut, stderr, rssMB, wall: (performance.now() - t0) / 1000 });
    });
  });
}

/** Rows of every Parquet shard in `dir` (only `columns`), or [] when it holds none. */
async function shardRows(dir, columns) {
  if (!existsSync(dir)) return [];
  const rows = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".parquet")).sort()) {
    rows.push(...(await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, f)), columns, compressors })));
  }
  return rows;
}

/** Records that stand for a file's damaged tail or a lying row group rather than one row. */
const FILE_REASONS = new Set(["input:unreadable_file", "input:corrupt_gzip"]);

/** What a finished run did: its counts, and each rejected reason with its rows (1-based, as messages say). */
async function runRecord(out) {
  const path = join(out, "manifest.json");
  if (!existsSync(path)) return null;
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  const rejected = await shardRows(join(out, "rejected"), ["row", "reason", "detail"]);
  const byReason = new Map();
  for (const r of rejected) {
    const seen = byReason.get(r.reason) ?? { rows: [], detail: r.detail };
    seen.rows.push(Number(r.row) + 1);
    byReason.set(r.reason, seen);
  }
  const reasons = [...byReason].map(([reason, { rows, detail }]) => {
    // an unreadable file's record stands for the rows it could not read: it has no row of its own
    const at = reason === "input:unreadable_file" ? `×${rows.length}` : `row ${rows.slice(0, 4).join(",")}${rows.length > 4 ? ",…" : ""}`;
    const where = `${reason} ${at}`;
    // a whole-file record says where in the file it stopped: its detail is the useful part
    return FILE_REASONS.has(reason) ? `${where} "${String(detail).slice(0, 110)}"` : where;
  });
  return { out, manifest, counts: manifest.counts, reasons };
}

/** The outcome column: exit code and what happened. */
function outcomeOf(r, rec, max = 200) {
  if (r.timedOut) return "TIMEOUT (killed)";
  if (r.signal) return `killed by ${r.signal}`;
  if (r.code !== 0) {
    const line = r.stderr.split("\n").find((l) => l.trim() !== "") ?? "(no message)";
    const short = line
      .replace(/\/tmp\/curate-fault-[^/]+\//g, "")
      .replace(/http:\/\/127\.0\.0\.1:\d+/g, "<hub>")
      .replace(/[0-9a-f]{40}/g, "<sha>");
    return `exit ${r.code}: ${short.slice(0, max)}`;
  }
  return `exit 0: ${rec && rec.reasons.length ? `quarantined ${rec.reasons.join("; ")}` : "all rows kept"}`;
}

/** Every bound the case must hold; the failures, as words (empty: the case passed). */
function boundsBroken(spec, r, rec) {
  const broken = [];
  if (r.timedOut) broken.push(`hung past ${spec.timeoutMs / 1000} s`);
  if (r.signal) broken.push(`crashed (${r.signal})`);
  if (![0, 1, 2].includes(r.code)) broken.push(`exit code ${r.code}`);
  else if (r.code !== spec.code) broken.push(`expected exit ${spec.code}`);
  if (r.rssMB >= RSS_LIMIT_MB) broken.push(`peak RSS ${r.rssMB.toFixed(0)} MB ≥ ${RSS_LIMIT_MB} MB`);
  if (spec.code === 0 && rec) {
    const { rowsIn, kept, dropped } = rec.counts;
    if (rowsIn !== kept + dropped) broken.push("rows in ≠ kept + dropped");
    if (spec.rows !== undefined && rowsIn !== spec.rows) broken.push(`rows in ${rowsIn}, the input holds ${spec.rows}`);
    if (spec.good !== undefined && kept !== spec.good) broken.push(`kept ${kept} of ${spec.good} good rows`);
  }
  if (spec.code === 0 && !rec) broken.push("no manifest");
  if (spec.reason && !spec.reason.test(outcomeOf(r, rec, Infinity))) broken.push(`outcome does not match ${spec.reason}`);
  return broken;
}

function rowsColumn(rec) {
  if (!rec) return "— (run stopped)";
  const { rowsIn, kept, dropped } = rec.counts;
  return `${rowsIn} = ${kept} + ${dropped}`;
}

async function runCase(c, timeoutMs) {
  const dir = mkdtempSync(join(tmpdir(), `curate-fault-${c.name}-`));
  let spec;
  try {
    spec = { timeoutMs, ...(await c.make(dir)) };
    const r = await runCurate(spec.args, { cwd: dir, env: spec.env, timeoutMs });
    const rec = spec.out ? await runRecord(spec.out) : null;
    const extra = spec.check ? await spec.check({ r, rec, shardRows }) : {};
    const broken = boundsBroken(spec, r, rec);
    if (extra.broken) broken.push(extra.broken);
    return { r, rec, broken, note: extra.note };
  } finally {
    await spec?.cleanup?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const only = argValue("--only", null)?.split(",");
  const timeoutMs = Number(argValue("--timeout-s", "180")) * 1000;
  const cases = only ? CASES.filter((c) => only.includes(c.name)) : CASES;
  if (only && only.some((n) => !CASES.some((c) => c.name === n))) throw new Error(`--only: no case named ${only.filter((n) => !CASES.some((c) => c.name === n)).join(", ")}; cases: ${CASES.map((c) => c.name).join(", ")}`);
  console.log(`fault suite: ${cases.length} hostile inputs; bounds: peak RSS < ${RSS_LIMIT_MB} MB, killed after ${timeoutMs / 1000} s, rows in = kept + dropped`);
  console.log(`| ${["input", "onError", "outcome", "rows in = kept + dropped", "peak RSS MB", "wall s", "bounds"].join(" | ")} |`);
  console.log("|---|---|---|---|---:|---:|---|");
  let failed = 0;
  for (const c of cases) {
    let result;
    try {
      result = await runCase(c, timeoutMs);
    } catch (e) {
      failed++;
      console.log(`| ${c.name} | ${c.mode} | the bench could not run it: ${String(e?.message ?? e).split("\n")[0]} | — | — | — | FAIL |`);
      continue;
    }
    const { r, rec, broken, note } = result;
    if (broken.length) failed++;
    const outcome = outcomeOf(r, rec) + (note ? ` (${note})` : "");
    const verdict = broken.length ? `FAIL: ${broken.join("; ")}` : "ok";
    console.log(`| ${[c.name, c.mode, outcome.replaceAll("|", "\\|"), rowsColumn(rec), r.rssMB.toFixed(0), r.wall.toFixed(1), verdict].join(" | ")} |`);
  }
  console.log(failed ? `${failed} of ${cases.length} hostile inputs broke a bound` : `all ${cases.length} hostile inputs held their bounds`);
  process.exitCode = failed ? 1 : 0;
}

await main();
