/**
 * A mix that does not keep benchmark problems out says so: decontaminationStatus names each way a
 * config leaves it out; `validate` and `run` print one stderr line per warning saying how to turn it
 * on; the manifest records `decontaminated: false` and the warnings; the dataset card opens with a
 * "Not decontaminated" banner. The shipped pipelines raise none.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decontaminationStatus, loadMix } from "../src/config/load.js";
import { datasetCard, warningBanner } from "../src/mix/card.js";
import { quickstartVariant, repoRoot, runCli, tempDir } from "./helpers/cli.js";

const sources = [{ name: "s", path: "x.jsonl", fields: {} }];

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
    writeFileSync(join(dir, "in", "a.jsonl"), readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl")));
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
