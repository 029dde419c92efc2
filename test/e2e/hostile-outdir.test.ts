/**
 * Hostile output folders (issue #18): a folder of the user's files (with a symlinked data/ pointing at
 * more of them) is refused, --force included, and every file keeps its bytes; a run folder with a
 * symlinked run entry is refused; --force removes only what curate wrote; `.`/`..` output names are
 * refused; two runs into one folder: one holds the lock, the other exits 2 naming it; a dead
 * process's lock is taken over; read-only, under-a-file and full-disk failures name the path.
 * Every CLI call is a real process (dist/cli/main.js) with a timeout; the runs that only make or
 * complete a run folder (no refusal, no note) run in this process (test/helpers/run.ts).
 */
import { describe, expect, it, beforeAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { tempDir, repoRoot, quickstartVariant } from "../helpers/cli.js";
import { runInProcess, runToEnd } from "../helpers/run.js";
import { loadMix } from "../../src/config/load.js";
import { UsageError } from "../../src/errors.js";

const MAIN = join(repoRoot, "dist", "cli", "main.js");

/** the CLI, killed (SIGKILL) if it runs past `timeoutMs` so a hang fails the test instead of waiting */
function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL" });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** the CLI as a child process (runs alongside others), with the same timeout */
function cliAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000) {
  const p = spawn(process.execPath, [MAIN, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
  let stderr = "";
  p.stderr.on("data", (d) => (stderr += d));
  p.stdout.resume();
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    }),
  );
  return { pid: p.pid!, done };
}

/** every entry below `dir` without following links: path → file sha256, `link → target`, or `dir` */
function snapshot(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    if (st.isSymbolicLink()) out[rel] = `link → ${readlinkSync(join(dir, rel))}`;
    else if (st.isDirectory()) {
      out[rel] = "dir";
      Object.assign(out, snapshot(dir, rel));
    } else out[rel] = createHash("sha256").update(readFileSync(join(dir, rel))).digest("hex");
  }
  return out;
}

/** two 40-row input files (units) and a mix file with the quickstart's filters and its four data products */
function corpus(): { dir: string; mix: string } {
  const dir = tempDir("curate-hostile-");
  mkdirSync(join(dir, "in"));
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  for (let k = 0; k < 2; k++) writeFileSync(join(dir, "in", `part-${k}.jsonl`), lines.slice(k * 40, (k + 1) * 40).join("\n") + "\n");
  const mix = join(dir, "mix.json");
  writeFileSync(mix, JSON.stringify(quickstartVariant("hostile", { path: "in/*.jsonl" }, { outputs: true })));
  return { dir, mix };
}

/** a folder of the user's files: notes, a README, rejected/ and outputs/x/data/ of theirs, and data/ a link to another folder of theirs */
function userFolder(root: string): { out: string; elsewhere: string } {
  const out = join(root, "mine");
  const elsewhere = join(root, "elsewhere");
  mkdirSync(join(out, "rejected"), { recursive: true });
  mkdirSync(join(out, "outputs", "x", "data"), { recursive: true });
  mkdirSync(elsewhere);
  writeFileSync(join(out, "notes.txt"), "my notes\n");
  writeFileSync(join(out, "README.md"), "# my project\n");
  writeFileSync(join(out, "rejected", "old.parquet"), "not curate's\n");
  writeFileSync(join(out, "outputs", "x", "data", "train-00000.parquet"), "mine too\n");
  writeFileSync(join(elsewhere, "precious.parquet"), "keep me\n");
  writeFileSync(join(elsewhere, "train-u00000-p00000-00000.parquet"), "named like a shard, still mine\n");
  symlinkSync(elsewhere, join(out, "data"));
  return { out, elsewhere };
}

function manifestOf(out: string) {
  return JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
}

/** every shard the manifest lists is there with its size and sha256 */
function expectValidRun(out: string): void {
  const m = manifestOf(out);
  const shards = [...m.shards.data, ...m.shards.rejected, ...m.shards.annotated];
  expect(shards.length).toBeGreaterThan(2);
  for (const s of shards) {
    const bytes = readFileSync(join(out, s.path));
    expect(bytes.length, s.path).toBe(s.bytes);
    expect(createHash("sha256").update(bytes).digest("hex"), s.path).toBe(s.sha256);
  }
}

describe("hostile output folders", () => {
  let c: { dir: string; mix: string };
  let clean: string;
  beforeAll(async () => {
    c = corpus();
    clean = join(c.dir, "clean");
    expect((await runToEnd(c.mix, clean)).stderr).toBe("");
  }, 120_000);

  it("a folder of user files (data/ a link to more of them) is refused, --force and --refilter too, and every file keeps its bytes", async () => {
    const { out, elsewhere } = userFolder(join(c.dir, "user"));
    const before = { out: snapshot(out), elsewhere: snapshot(elsewhere) };
    const refused = new RegExp(`output folder ${out} is not empty and is not a curate run.*it holds README\\.md, data, notes\\.txt, outputs, rejected\\. .*never deletes files it did not write \\(--force included\\): choose another --out`, "s");
    // as processes: the exit code and the words on stderr
    for (const extra of [[], ["--force"]]) {
      const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0", ...extra]);
      expect(r.code, `${extra.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(refused);
    }
    // the other ways in, in this process (the same check refuses them before anything is written)
    for (const opts of [{ refilter: true }, { phase: "finalize" as const }, { phase: "annotate" as const, rank: 0, worldSize: 2 }]) {
      await expect(runInProcess(c.mix, out, opts), JSON.stringify(opts)).rejects.toThrow(refused);
    }
    // nothing written, nothing removed, on either side of the link
    expect(snapshot(out)).toEqual(before.out);
    expect(snapshot(elsewhere)).toEqual(before.elsewhere);
  }, 120_000);

  it("a run folder whose data/ (or a folder inside .work/) is a symbolic link is refused; the link's target keeps its files", () => {
    const out = join(c.dir, "linked");
    cpSync(clean, out, { recursive: true }); // a finished run (the clean one's copy: a run of its own proves nothing more)
    const elsewhere = join(c.dir, "linked-target");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "precious.parquet"), "keep me\n");
    writeFileSync(join(elsewhere, "train-u00000-p00000-00000.parquet"), "named like a shard, still mine\n");
    rmSync(join(out, "data"), { recursive: true });
    symlinkSync(elsewhere, join(out, "data"));
    const target = snapshot(elsewhere);
    for (const extra of [["--force"], ["--refilter"], ["--phase", "finalize", "--force"], ["--phase", "write", "--rank", "1", "--world-size", "2"]]) {
      const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0", ...extra]);
      expect(r.code, `${extra.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${join(out, "data")} is a symbolic link (to ${elsewhere}); curate never writes or deletes through a link inside its run folder`);
    }
    expect(snapshot(elsewhere)).toEqual(target);
    // a link deeper in: .work/units
    rmSync(join(out, "data"));
    mkdirSync(join(out, "data"));
    rmSync(join(out, ".work", "units"), { recursive: true });
    symlinkSync(elsewhere, join(out, ".work", "units"));
    const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0", "--force"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(out, ".work", "units")} is a symbolic link`);
    expect(snapshot(elsewhere)).toEqual(target);
  }, 120_000);

  it("--force and finalize remove only what curate wrote: user files inside and beside a run keep their bytes, the run matches a clean one", async () => {
    const out = join(c.dir, "forced");
    cpSync(clean, out, { recursive: true }); // a finished run: the clean one's copy
    const user: Record<string, string> = {
      "notes.txt": "beside the run\n",
      "data/user.txt": "inside data/\n",
      "rejected/keep.parquet": "not a name curate gives\n",
      "outputs/mine/data/train-00000.parquet": "a product folder curate never made\n",
      "annotated/README": "mine\n",
    };
    for (const [rel, text] of Object.entries(user)) {
      mkdirSync(join(out, rel, ".."), { recursive: true });
      writeFileSync(join(out, rel), text);
    }
    const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0", "--force"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/--force kept 4 file\(s\) in \S+ that curate did not write: /);
    for (const [rel, text] of Object.entries(user)) expect(readFileSync(join(out, rel), "utf8"), rel).toBe(text);
    expect(manifestOf(out).shards).toEqual(manifestOf(clean).shards);
    expect(manifestOf(out).outputs).toEqual(manifestOf(clean).outputs);
    expectValidRun(out);
    // a --refilter finalize (stale shards and products removed) keeps them too
    await runToEnd(c.mix, out, { refilter: true });
    for (const [rel, text] of Object.entries(user)) expect(readFileSync(join(out, rel), "utf8"), rel).toBe(text);
    expect(manifestOf(out).shards).toEqual(manifestOf(clean).shards);
    expect(existsSync(join(out, ".curate.lock"))).toBe(false);
  }, 120_000);

  it("output names \".\", \"..\", \"a/b\" and \"x.y\" are refused by validate and run (exit 2, JSON path); nothing is written", () => {
    const mixWithOutput = (name: string) => {
      const mix = JSON.parse(readFileSync(c.mix, "utf8"));
      mix.outputs = { [name]: mix.outputs.sft };
      const file = join(c.dir, `bad-output-${name.replace(/\W/g, "_")}.json`);
      writeFileSync(file, JSON.stringify(mix));
      return file;
    };
    const expected = (name: string) => `$.outputs[${JSON.stringify(name)}]: the name ${JSON.stringify(name)} is not allowed; an output name is a folder name (outputs/<name>/): letters, digits, _ and -`;
    // the two commands as processes for "." (exit code, stderr); both load the mix with loadMix, so
    // the other names are checked there, in this process
    const file = mixWithOutput(".");
    const v = cli(["validate", file]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(expected("."));
    const out = join(c.dir, "never-dot");
    const r = cli(["run", file, "--out", out, "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(expected("."));
    expect(existsSync(out)).toBe(false);
    for (const name of ["..", "a/b", "x.y"]) {
      let err: unknown;
      try {
        loadMix(mixWithOutput(name));
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(UsageError);
      expect((err as Error).message, name).toContain(expected(name));
    }
  });

  it("a mix name with a leading dot (the default folder runs/<name>) is refused", () => {
    for (const name of [".", "..", ".hidden"]) {
      const mix = { ...JSON.parse(readFileSync(c.mix, "utf8")), name };
      const file = join(c.dir, "bad-name.json");
      writeFileSync(file, JSON.stringify(mix));
      const v = cli(["validate", file]);
      expect(v.code).toBe(2);
      expect(v.stderr).toContain(`$.name: found ${JSON.stringify(name)}, expected it to match pattern`);
    }
  });

  it("two runs into one folder at once: one holds the lock and finishes, the other exits 2 naming the holder", async () => {
    const out = join(c.dir, "race");
    const gate = join(c.dir, "race-gate");
    // the lock holder waits (test hook) until the gate file exists, so the other finds it held whatever the machine's speed
    const env = { CURATE_FAULT_HOLD_LOCK_UNTIL: gate };
    const args = ["run", c.mix, "--out", out, "--quiet", "--workers", "0"];
    const a = cliAsync(args, env);
    const b = cliAsync(args, env);
    const first = await Promise.race([a.done.then((r) => ({ r, loser: a, winner: b })), b.done.then((r) => ({ r, loser: b, winner: a }))]);
    writeFileSync(gate, "");
    const won = await first.winner.done;
    expect(first.r.code, first.r.stderr).toBe(2);
    expect(first.r.stderr).toContain(`output folder ${out} is in use by another curate run (pid ${first.winner.pid} on host ${hostname()}, started `);
    expect(first.r.stderr).toMatch(/: curate run .*--out .*; lock \S+\.curate\.lock\); wait for it to finish or choose another --out/);
    expect(first.r.stderr.trim().split("\n")).toHaveLength(1);
    expect(won.code, won.stderr).toBe(0);
    expectValidRun(out);
    expect(manifestOf(out).shards).toEqual(manifestOf(clean).shards);
    expect(existsSync(join(out, ".curate.lock"))).toBe(false);
  }, 120_000);

  it("a lock left by a dead process on this host is taken over with a note; one from another host is refused, ranks included", () => {
    const out = join(c.dir, "stale");
    mkdirSync(out);
    const dead = spawnSync(process.execPath, ["-e", ""], { timeout: 30_000, killSignal: "SIGKILL" }).pid;
    const lock = (pid: number, host: string) => JSON.stringify({ pid, host, started: "2020-01-01T00:00:00.000Z", command: "curate run old.json", id: "0123456789abcdef" });
    writeFileSync(join(out, ".curate.lock"), lock(dead, hostname()));
    const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`curate: note: took over the lock ${join(out, ".curate.lock")} of pid ${dead} on host ${hostname()}, started 2020-01-01T00:00:00.000Z: curate run old.json; that process is no longer running`);
    expect(existsSync(join(out, ".curate.lock"))).toBe(false);
    expectValidRun(out);
    // another host: its process cannot be checked from here
    writeFileSync(join(out, ".curate.lock"), lock(dead, "node-elsewhere"));
    const before = snapshot(out);
    for (const extra of [["--force"], ["--phase", "annotate", "--rank", "0", "--world-size", "2"], ["--phase", "finalize", "--refilter"]]) {
      const h = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0", ...extra]);
      expect(h.code, `${extra.join(" ")}: ${h.stderr}`).toBe(2);
      expect(h.stderr).toContain(`is in use by another curate run`);
      expect(h.stderr).toContain(`(pid ${dead} on host node-elsewhere, started 2020-01-01T00:00:00.000Z: curate run old.json; lock ${join(out, ".curate.lock")})`);
      expect(h.stderr).toContain(`If that process is no longer running, delete ${join(out, ".curate.lock")} and run again.`);
    }
    expect(snapshot(out)).toEqual(before);
  }, 120_000);

  it("a full disk names the file being written (ENOSPC), in the annotate and the write phase, on threads too", async () => {
    const out = join(c.dir, "full");
    let r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0"], { CURATE_FAULT_WRITE_BYTES: "2000" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`curate: cannot write ${join(out, "annotated", "u00000-00000.parquet")}: no space left on device (ENOSPC)\n`);
    await runInProcess(c.mix, out, { phase: "annotate" });
    // two units: their write jobs run on two threads, the error crosses from a worker thread
    r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "2", "--phase", "finalize"], { CURATE_FAULT_WRITE_BYTES: "2000" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^curate: cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(data/train|rejected/rejected)-u0000[01]-p00000-00000\\.parquet: no space left on device \\(ENOSPC\\)\\n$`));
  }, 120_000);

  it("an --out below a file names the folder it cannot create (ENOTDIR), exit 1", () => {
    writeFileSync(join(c.dir, "a-file"), "x\n");
    const out = join(c.dir, "a-file", "out");
    const r = cli(["run", c.mix, "--out", out, "--quiet", "--workers", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`curate: cannot create folder ${out}: a part of the path is a file, not a folder (ENOTDIR)\n`);
  });

  it("a read-only data/ names the shard it cannot write (EACCES as a user; EROFS through a read-only bind mount as root)", async (ctx) => {
    const out = join(c.dir, "readonly");
    await runInProcess(c.mix, out, { phase: "annotate" });
    const data = join(out, "data");
    mkdirSync(data);
    const finalize = ["run", c.mix, "--out", out, "--quiet", "--workers", "0", "--phase", "finalize"];
    let r: ReturnType<typeof cli>;
    let cause: string;
    if (process.getuid?.() !== 0) {
      chmodSync(data, 0o555);
      try {
        r = cli(finalize);
      } finally {
        chmodSync(data, 0o755);
      }
      cause = "permission denied \\(EACCES\\)";
    } else {
      // root writes through chmod 0555: a read-only bind mount of data/ in a private mount namespace instead
      if (spawnSync("unshare", ["-m", "true"], { timeout: 30_000, killSignal: "SIGKILL" }).status !== 0) {
        console.warn("skipped: running as root without `unshare -m`, so no read-only folder can be made here (ENOTDIR and ENOSPC above name the path)");
        ctx.skip();
        return;
      }
      const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`;
      const s = spawnSync("unshare", ["-m", "sh", "-c", script, "sh", data, process.execPath, MAIN, ...finalize], { cwd: repoRoot, encoding: "utf8", timeout: 90_000, killSignal: "SIGKILL" });
      r = { code: s.status, signal: s.signal, stdout: s.stdout, stderr: s.stderr };
      cause = "read-only file system \\(EROFS\\)";
    }
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^curate: cannot write ${data.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/train-u00000-p00000-00000\\.parquet: ${cause}\\n$`));
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // writable again: finalize completes, to the clean run's shards
    await runToEnd(c.mix, out, { phase: "finalize" });
    expect(manifestOf(out).shards).toEqual(manifestOf(clean).shards);
  }, 120_000);
});
