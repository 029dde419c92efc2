/**
 * src/errors.ts `mkdirs`: Node's own `mkdirSync(dir, { recursive: true })` loops forever at full CPU
 * where a folder exists but making its child says ENOENT: a working folder deleted under the
 * process, a path in /proc. Each case runs in a child process with a kill timeout, so a hang fails
 * instead of waiting.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { mkdirs } from "../src/errors.js";
import { repoRoot, sharedData, tempDir } from "./helpers/cli.js";

const ERRORS = pathToFileURL(join(repoRoot, "dist", "errors.js")).href;
const MAIN = join(repoRoot, "dist", "cli", "main.js");

/** `sh -c script` with a kill timeout; a hang ends as signal SIGKILL */
function sh(script: string, env: Record<string, string> = {}) {
  const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000, killSignal: "SIGKILL" });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** a node command that calls mkdirs(dir) and prints the error message, or "made" (a script file: `-e` code resolves against the working folder) */
function callMkdirs(dir: string): string {
  const script = join(tempDir("curate-mkdirs-script-"), "mkdirs.mjs");
  writeFileSync(script, `const { mkdirs } = await import(${JSON.stringify(ERRORS)});\ntry { mkdirs(${JSON.stringify(dir)}); console.log("made"); } catch (e) { console.log(e.message); }\n`);
  return `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)}`; // exec: the kill timeout reaches node itself
}

describe("mkdirs", () => {
  it("makes nested folders, again without error, and names a file in the way", () => {
    const dir = tempDir("curate-mkdirs-");
    mkdirs(join(dir, "a", "b", "c"));
    mkdirs(join(dir, "a", "b", "c"));
    expect(statSync(join(dir, "a", "b", "c")).isDirectory()).toBe(true);
    writeFileSync(join(dir, "f"), "x");
    expect(() => mkdirs(join(dir, "f", "g"))).toThrow(`cannot create folder ${join(dir, "f", "g")}: a part of the path is a file, not a folder (ENOTDIR)`);
    expect(() => mkdirs(join(dir, "f"))).toThrow(`cannot create folder ${join(dir, "f")}: it already exists (EEXIST)`);
  });

  it("in a working folder deleted under the process: fails at once naming the folder (Node's recursive mkdir spins forever)", () => {
    const dir = tempDir("curate-gone-");
    const gone = join(dir, "gone");
    mkdirSync(gone);
    const r = sh(`cd ${JSON.stringify(gone)} && rmdir ${JSON.stringify(gone)} && ${callMkdirs("runs/x")}`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout).toMatch(/^cannot create folder runs: .*\(ENOENT\)\n$/);
    // the CLI says what is wrong before anything resolves a path against it
    const cli = sh(`mkdir ${JSON.stringify(gone)} && cd ${JSON.stringify(gone)} && rmdir ${JSON.stringify(gone)} && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} run ${JSON.stringify(join(repoRoot, "pipelines", "quickstart.json"))} --out runs/x --workers 0`);
    expect(cli.signal).toBeNull();
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain("the working folder no longer exists");
  });

  it.skipIf(!existsSync("/proc/self"))("below /proc: fails at once, and `curate decontaminate` with its index cache there still runs (the cache is not kept)", () => {
    const r = sh(callMkdirs("/proc/curate-test/x"));
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout).toMatch(/^cannot create folder \/proc\/curate-test: .*\(ENOENT\)\n$/);
    if (!existsSync(join(sharedData, "benchmarks"))) return; // the decontamination half needs ../shared/data
    const empty = join(tempDir("curate-proc-cache-"), "empty.jsonl");
    writeFileSync(empty, "");
    const out = `${empty}.out`;
    const d = sh(`exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} decontaminate ${JSON.stringify(empty)} --benchmarks-dir ${JSON.stringify(join(sharedData, "benchmarks"))} --workers 0 --out ${JSON.stringify(out)}`, { XDG_CACHE_HOME: "/proc/curate-cache" });
    expect(d.signal, "decontaminate hung creating its index cache under /proc").toBeNull();
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toContain("0 of 0 rows matched");
  });
});
