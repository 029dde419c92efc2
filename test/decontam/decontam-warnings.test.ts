/**
 * A mix that does not keep benchmark problems out says so: decontaminationStatus names each way a
 * config leaves it out; `validate` and `run` print one stderr line per warning saying how to turn it
 * on; the manifest records `decontaminated: false` and the warnings; the dataset card opens with a
 * "Not decontaminated" banner. The shipped pipelines raise none, and the phi4 recipe, decontaminated,
 * still builds all four products (from the MATH-train traces; its other sources are eval dumps).
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { decontaminationStatus, loadMix } from "../../src/config/load.js";
import { datasetCard, warningBanner } from "../../src/mix/card.js";
import { quickstartVariant, repoRoot, runCli, sharedData, tempDir } from "../helpers/cli.js";

const sources = [{ name: "s", path: "x.jsonl", fields: {} }];

/** Every row of every third problem (in order of first appearance) of the MATH-train traces, written to `out`; the row count. */
function mathTrainThird(traces: string, out: string): number {
  const order = new Map<string, number>();
  const rows = readFileSync(join(traces, "cs336_math_sft_r1zero_format.jsonl"), "utf8").split("\n").filter((l) => l.trim()).filter((l) => {
    const problem = (JSON.parse(l) as { problem: string }).problem;
    if (!order.has(problem)) order.set(problem, order.size);
    return order.get(problem)! % 3 === 0;
  });
  writeFileSync(out, rows.join("\n") + "\n");
  return rows.length;
}

describe("decontaminationStatus", () => {
  it("no annotate.decontaminate: not decontaminated, one line that says how to turn it on", () => {
    const s = decontaminationStatus({ annotate: { verify: {} }, filters: {}, outputs: {} } as never);
    expect(s.decontaminated).toBe(false);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^not decontaminated: no row is checked against evaluation benchmarks/);
    expect(s.warnings[0]).toContain(`"annotate": {"decontaminate": {"benchmarks": [`);
    expect(s.warnings[0]).not.toContain("\n");
    expect(decontaminationStatus({ sources } as never).decontaminated).toBe(false);
  });

  it("dropContaminated: false and allowContaminated outputs are warned about too", () => {
    const dec = { decontaminate: { benchmarks: ["math500"] } };
    const keep = decontaminationStatus({ annotate: dec, filters: { dropContaminated: false } } as never);
    expect(keep.decontaminated).toBe(false);
    expect(keep.warnings).toEqual([expect.stringMatching(/filters\.dropContaminated is false, .* remove it to drop them$/)]);
    const allow = decontaminationStatus({ annotate: dec, filters: {}, outputs: { sft: { kind: "sft", allowContaminated: true }, rl: { kind: "rl" } } } as never);
    expect(allow.decontaminated).toBe(true);
    expect(allow.warnings).toEqual([expect.stringMatching(/^outputs\.sft\.allowContaminated is true/)]);
    expect(decontaminationStatus({ annotate: dec, filters: { dropContaminated: true } } as never)).toEqual({ decontaminated: true, warnings: [] });
  });

  it("every shipped pipeline decontaminates and raises no warning", () => {
    for (const p of ["quickstart.json", "phi4-mini-reasoning.json"]) {
      const loaded = loadMix(join(repoRoot, "pipelines", p));
      expect(decontaminationStatus(loaded.config), p).toEqual({ decontaminated: true, warnings: [] });
    }
  });

  it("the card's banner says Not decontaminated and lists each warning; none when decontaminated", () => {
    const facts = { name: "n", tool: { version: "0" }, configHash: "0".repeat(64), seed: 1, tokenizer: "o200k_base", counts: { rowsIn: 1, kept: 1, dropped: 0, keptTokens: 1, stages: [], byReason: {}, bySource: {} } } as never;
    expect(warningBanner({ decontaminated: true, warnings: [] })).toEqual([]);
    expect(warningBanner({})).toEqual([]);
    const card = datasetCard({ ...(facts as object), decontaminated: false, warnings: ["not decontaminated: x\ny"] } as never);
    expect(card).toMatch(/\n# n\n\n> \*\*Not decontaminated\.\*\*/);
    expect(card).toContain("> Warning: not decontaminated: x y");
    expect(datasetCard({ ...(facts as object), decontaminated: true, warnings: [] } as never)).not.toContain("decontaminated");
  });
});

describe("validate and run on a mix without decontamination", () => {
  it("warn on stderr, and the manifest and dataset card record it", () => {
    const dir = tempDir("curate-nodecontam-");
    mkdirSync(join(dir, "in"));
    // 40 of the sample's rows: the warnings are about the config, the rows only have to run through
    const rows = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").split("\n").slice(0, 40);
    writeFileSync(join(dir, "in", "a.jsonl"), rows.join("\n") + "\n");
    const mix = quickstartVariant("nodecontam", { path: "in/*.jsonl" }) as { annotate: Record<string, unknown> };
    delete mix.annotate.decontaminate;
    const mixPath = join(dir, "mix.json");
    writeFileSync(mixPath, JSON.stringify(mix));

    const v = runCli(["validate", mixPath], { cwd: dir });
    expect(v.code, v.stderr).toBe(0);
    const lines = v.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: .*mix\.json: not decontaminated: .*turn it on with "annotate": \{"decontaminate"/);

    const r = runCli(["run", mixPath, "-o", join(dir, "run"), "--workers", "0"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(lines[0]);
    const manifest = JSON.parse(readFileSync(join(dir, "run", "manifest.json"), "utf8"));
    expect(manifest.decontaminated).toBe(false);
    expect(manifest.warnings).toEqual([lines[0]!.replace(/^warning: .*?mix\.json: /, "")]);
    const card = readFileSync(join(dir, "run", "README.md"), "utf8");
    expect(card).toContain("> **Not decontaminated.**");
    expect(card).toContain(`> Warning: ${manifest.warnings[0]}`);
  });
});

describe("the phi4-mini-reasoning recipe, decontaminated, on the shared traces", () => {
  it("drops every row of the eval dumps as contaminated and still builds all four products", (ctx) => {
    const traces = join(sharedData, "traces");
    if (!existsSync(traces) || !existsSync(join(sharedData, "benchmarks"))) return ctx.skip(`../shared/data not found at ${sharedData}: the recipe reads its traces and benchmarks`);
    const recipe = JSON.parse(readFileSync(join(repoRoot, "pipelines", "phi4-mini-reasoning.json"), "utf8"));
    const abs = (p: string) => resolve(repoRoot, "pipelines", p);
    recipe.benchmarksDir = abs(recipe.benchmarksDir);
    const dir = tempDir("curate-phi4-");
    // the eval dumps cut to a few rows each (they are all dropped); math-train to a third of its 128
    // problems, each with all its rollouts, so pass rates (RL's band, SFT's difficulty) stay as in the whole
    const mathTrain = mathTrainThird(traces, join(dir, "math-train.jsonl"));
    for (const s of recipe.sources) {
      s.path = Array.isArray(s.path) ? s.path.map(abs) : abs(s.path);
      if (s.name === "math-train") s.path = join(dir, "math-train.jsonl");
      else s.limit = 10;
    }
    writeFileSync(join(dir, "mix.json"), JSON.stringify(recipe));
    const r = runCli(["run", join(dir, "mix.json"), "-o", join(dir, "run"), "--workers", "0"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^warning:/m);
    const m = JSON.parse(readFileSync(join(dir, "run", "manifest.json"), "utf8"));
    expect(m.decontaminated).toBe(true);
    expect(m.warnings).toEqual([]);
    for (const name of ["long-cot", "short-cot"]) {
      expect(m.counts.bySource[name], name).toEqual({ in: 10, kept: 0, dropped: 10 });
    }
    const contaminated = Object.entries<number>(m.counts.byReason).filter(([k]) => k.startsWith("contaminated:")).reduce((a, [, n]) => a + n, 0);
    expect(contaminated).toBe(20);
    expect(m.counts.bySource["math-train"].in).toBe(mathTrain);
    expect(m.counts.bySource["math-train"].kept).toBeGreaterThan(mathTrain / 2); // whole (1,767 rows): > 1,000
    for (const name of ["midtrain", "sft", "dpo", "rl"]) expect(m.outputs[name]?.rows, name).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "run", "README.md"), "utf8")).not.toContain("Not decontaminated");
  });
});
