/** The README stays true: its mix-file reference is the schema's, its links resolve, its commands exist. */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot, runCli, CLI_TIMEOUT_MS } from "./helpers/cli.js";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

describe("README", () => {
  it("links the mix-file reference, which is the one generated from schemas/ (run scripts/build-readme.mjs after a schema change)", () => {
    expect(readme).toContain("](docs/reference.md)");
    const reference = readFileSync(join(repoRoot, "docs", "reference.md"), "utf8");
    const ref = execFileSync(process.execPath, [join(repoRoot, "scripts", "schema-reference.mjs")], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(reference).toContain(ref);
  });

  it("shows the two commands: npm ci + the quickstart, and npm test", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
    expect(readme).toContain("npm ci");
    expect(readme).toContain(`npm run quickstart     # = ${pkg.scripts.quickstart}`);
    expect(readme).toMatch(/npm test {15}# = npm run build \(tsc, compiled schemas, token table\) \+ vitest run/);
    expect(pkg.scripts.test).toBe("npm run build && vitest run");
    expect(pkg.scripts.build).toBe("tsc -p tsconfig.json && node scripts/compile-schema.mjs && node scripts/build-vocab.mjs");
    expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/\nnpm ci\nnpm test\n/);
  });

  it("and every page in docs/ link only to files that exist", () => {
    const pages = ["README.md", ...readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    for (const page of pages) {
      const text = readFileSync(join(repoRoot, page), "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^https?:/.test(target)) continue;
        expect(existsSync(join(repoRoot, dirname(page), target)), `${page} → ${target}`).toBe(true);
      }
    }
  });

  it("documents every command the CLI has", () => {
    const help = runCli(["--help"]).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(8);
    for (const c of commands) expect(readme, c).toContain(`curate ${c}`);
  });
});
