import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const sharedData = resolve(repoRoot, "..", "shared", "data");

/**
 * How long a spawned CLI may run before it is killed and the test fails with what it was doing.
 * Generous (a hang is the failure this guards against, not slowness): CURATE_TEST_CLI_TIMEOUT_S overrides.
 */
export const CLI_TIMEOUT_MS = Number(process.env.CURATE_TEST_CLI_TIMEOUT_S ?? 300) * 1000;

/** The error a test gets when a CLI it spawned did not finish: the command and the tail of its stderr. */
export function cliTimeoutError(args: string[], timeoutMs: number, stderr: string): Error {
  const tail = stderr.split("\n").filter(Boolean).slice(-15).join("\n    ");
  return new Error(`curate ${args.join(" ")} did not finish within ${timeoutMs / 1000} s and was killed; its last stderr lines:\n    ${tail || "(none)"}`);
}

/** Run the built CLI to completion (killed after `timeoutMs`, which throws with its stderr tail). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}) {
  const timeoutMs = opts.timeoutMs ?? CLI_TIMEOUT_MS;
  const r = spawnSync(process.execPath, [join(repoRoot, "dist", "cli", "main.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") throw cliTimeoutError(args, timeoutMs, r.stderr ?? "");
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Start the built CLI without waiting (several at once, or to kill it mid-run). `exit` resolves with
 * its exit code (-1 when killed by a signal) and stderr; past `timeoutMs` it is killed and `exit`
 * rejects with its stderr tail.
 */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
  const timeoutMs = opts.timeoutMs ?? CLI_TIMEOUT_MS;
  const child = spawn(process.execPath, [join(repoRoot, "dist", "cli", "main.js"), ...args], { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env } });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-64 * 1024)));
  child.stdout.resume();
  const exit = new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(cliTimeoutError(args, timeoutMs, stderr));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr });
    });
  });
  exit.catch(() => undefined); // surfaced where awaited
  return { child, exit };
}

/** Every string field `keys` of every row of every .jsonl file in `dirs` (files sorted), with its file name. */
export function* sharedTexts(dirs: string[], keys: string[]): Generator<{ file: string; key: string; text: string }> {
  for (const d of dirs) {
    for (const file of readdirSync(d).filter((f) => f.endsWith(".jsonl")).sort()) {
      for (const line of readFileSync(join(d, file), "utf8").split("\n")) {
        if (!line) continue;
        const row = JSON.parse(line) as Record<string, unknown>;
        for (const key of keys) {
          const text = row[key];
          if (typeof text === "string") yield { file, key, text };
        }
      }
    }
  }
}

export function tempDir(prefix = "curate-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * pipelines/quickstart.json with its first source re-pointed and paths made absolute; no outputs, or
 * with `outputs` the quickstart's four data products (midtrain weights: that source only).
 */
export function quickstartVariant(name: string, source: Record<string, unknown>, opts: { outputs?: boolean } = {}): Record<string, unknown> {
  const quick = JSON.parse(readFileSync(join(repoRoot, "pipelines", "quickstart.json"), "utf8"));
  for (const b of quick.annotate?.decontaminate?.benchmarks ?? []) {
    if (typeof b === "object" && b.path) b.path = resolve(repoRoot, "pipelines", b.path);
  }
  const mix = { ...quick, name, sources: [{ ...quick.sources[0], ...source }] };
  if (opts.outputs) mix.outputs.midtrain.weights = { [quick.sources[0].name]: 1 };
  else delete mix.outputs;
  return mix;
}

/** Every file below a run folder (relative, sorted), except timings.json (wall-clock, not deterministic). */
export function allFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...allFiles(dir, rel));
    else if (rel !== "timings.json") out.push(rel);
  }
  return out.sort();
}
