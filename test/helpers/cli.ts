import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
export const sharedData = resolve(repoRoot, "..", "shared", "data");

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const r = spawnSync(process.execPath, [join(repoRoot, "dist", "cli", "main.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
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
