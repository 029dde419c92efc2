/** The README stays true: its mix-file reference is the schema's, its links resolve, its commands exist. */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, runCli, CLI_TIMEOUT_MS } from "./helpers/cli.js";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

describe("README", () => {
  it("holds the mix-file reference generated from schemas/ (run scripts/build-readme.mjs after a schema change)", () => {
    const ref = execFileSync(process.execPath, [join(repoRoot, "scripts", "schema-reference.mjs")], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(readme).toContain(ref);
  });

  it("shows the two commands: npm ci + the quickstart, and npm test", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    expect(readme).toContain("npm ci");
    expect(readme).toContain(`npm run quickstart     # = ${pkg.scripts.quickstart}`);
    expect(readme).toMatch(/npm test {15}# = tsc build \+ vitest run/);
    expect(pkg.scripts.test).toBe("tsc -p tsconfig.json && vitest run");
    expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/\nnpm ci\nnpm test\n/);
  });

  it("links only to files that exist", () => {
    for (const m of readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^https?:/.test(target)) continue;
      expect(existsSync(join(repoRoot, target)), target).toBe(true);
    }
  });

  it("documents every command the CLI has", () => {
    const help = runCli(["--help"]).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(8);
    for (const c of commands) expect(readme, c).toContain(`curate ${c}`);
  });
});
