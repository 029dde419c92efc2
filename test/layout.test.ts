/**
 * The house rules of docs/architecture.md, measured on src/: lower layers never import upper ones at
 * run time (`import type` may cross), no import cycles, files ≤ 500 lines, functions ≤ 120 lines,
 * a README of at most 200 lines.
 */
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoRoot } from "./helpers/cli.js";

/** layer of each top-level entry of src/, lowest first (docs/architecture.md) */
const LAYER: Record<string, number> = {
  "errors.ts": 0, "workers.ts": 0, "waits.ts": 0, "version.ts": 0,
  text: 1, record: 2, io: 3, tokens: 3, config: 4, verify: 5, decontam: 5, quality: 5,
  group: 6, annotate: 7, decide: 8, mix: 9, run: 10, report: 11, cli: 12, "index.ts": 13,
};

const src = join(repoRoot, "src");
const files: string[] = [];
(function walk(d: string) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) files.push(p);
  }
})(src);

const rel = (f: string) => relative(src, f);
const layerOf = (f: string) => LAYER[rel(f).split("/")[0]!];

/** run-time imports of a file (relative, resolved to .ts paths) */
function imports(f: string): string[] {
  const text = readFileSync(f, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s*["'](\.[^'"]+)["']/g)) {
    out.push(resolve(dirname(f), m[1]!).replace(/\.js$/, ".ts"));
  }
  return out;
}

describe("layout (docs/architecture.md)", () => {
  it("places every top-level entry of src/ in a layer", () => {
    for (const f of files) expect(layerOf(f), rel(f)).toBeTypeOf("number");
  });

  it("has no run-time import from a lower layer to a higher one", () => {
    const upward = files.flatMap((f) => imports(f).filter((t) => layerOf(t)! > layerOf(f)!).map((t) => `${rel(f)} → ${rel(t)}`));
    expect(upward).toEqual([]);
  });

  it("has no import cycle", () => {
    const edges = new Map(files.map((f) => [f, imports(f).filter((t) => files.includes(t))]));
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].map(rel).join(" → "));
        return;
      }
      state.set(f, 1);
      for (const t of edges.get(f)!) visit(t, [...path, f]);
      state.set(f, 2);
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("keeps files to 500 lines and functions to 120 (as ../shared/tools/layout.mjs measures them)", () => {
    const long: string[] = [];
    for (const f of files) {
      const lines = readFileSync(f, "utf8").split("\n");
      if (lines.length > 500) long.push(`${rel(f)}: ${lines.length} lines`);
      for (let i = 0; i < lines.length; i++) {
        const top = /^(export\s+)?(default\s+)?(async\s+)?function\*?\s+(\w+)/.exec(lines[i]!);
        const method = !top && /^ {2}(?:(?:public|private|protected|static|async|readonly)\s+)*\*?(\w+)\s*(<[^>]*>)?\(.*\{\s*$/.exec(lines[i]!);
        if (!top && !method) continue;
        const end = top ? "}" : "  }";
        let j = i + 1;
        while (j < lines.length && lines[j] !== end) j++;
        if (j - i + 1 > 120) long.push(`${rel(f)}:${top ? top[4] : method![1]}: ${j - i + 1} lines`);
      }
    }
    expect(long).toEqual([]);
  });

  it("keeps the README to what a new user needs (≤ 200 lines)", () => {
    expect(readFileSync(join(repoRoot, "README.md"), "utf8").split("\n").length).toBeLessThanOrEqual(200);
  });
});
