/**
 * src/run/context.ts `runInputFiles`: a run folder inside a source folder is never read as input. The
 * second run (--force, a resume) used to read its own shards and manifest: it failed on
 * annotated/u00000-00000.parquet ("missing field response") after --force had emptied the folder.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMix } from "../../src/config/load.js";
import { runInputFiles } from "../../src/run/context.js";
import { quickstartVariant, repoRoot, tempDir } from "../helpers/cli.js";
import { runToEnd } from "../helpers/run.js";

describe("run inputs", () => {
  it("leave out the files of a run folder inside a source folder, with a note; a second run reads the same rows", async () => {
    const d = tempDir("curate-inputs-");
    mkdirSync(join(d, "in"));
    const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n").slice(0, 12);
    writeFileSync(join(d, "in", "a.jsonl"), lines.join("\n") + "\n");
    const mix = join(d, "mix.json");
    writeFileSync(mix, JSON.stringify({ ...quickstartVariant("inputs", { path: "in" }), filters: {} }));
    const out = join(d, "in", "run");
    const first = await runToEnd(mix, out, { workers: 0 });
    expect(first.manifest.counts.rowsIn).toBe(12);

    const notes: string[] = [];
    const files = await runInputFiles(loadMix(mix), out, (n) => notes.push(n));
    expect(files.map((f) => f.rel)).toEqual(["in/a.jsonl"]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(new RegExp(`^source "samples": \\d+ file\\(s\\) inside the run folder ${out} left out \\(curate's own output, e\\.g\\. in/run/`));

    const again = await runToEnd(mix, out, { workers: 0, force: true });
    expect(again.manifest.counts.rowsIn).toBe(12);
    expect(again.manifest.counts.kept).toBe(first.manifest.counts.kept);

    // a source whose every file is inside the run folder is an error, not an empty run
    await expect(runInputFiles(loadMix(mix), join(d, "in"), () => {})).rejects.toThrow(/source "samples": every file it matches is inside the run folder .*: choose another --out/);
  });

  it("say when two sources read the same file (by another path too): its rows are read for each", async () => {
    const d = tempDir("curate-inputs-");
    mkdirSync(join(d, "in"));
    writeFileSync(join(d, "in", "a.jsonl"), readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n").slice(0, 5).join("\n") + "\n");
    const base = quickstartVariant("inputs", { path: "in/a.jsonl" });
    const src = base.sources[0]!;
    const mix = join(d, "mix.json");
    writeFileSync(mix, JSON.stringify({ ...base, sources: [src, { ...src, name: "again", path: "./in/../in/a.jsonl" }, { ...src, name: "other", path: "in/*.jsonl" }], filters: {} }));
    const notes: string[] = [];
    const files = await runInputFiles(loadMix(mix), join(d, "run"), (n) => notes.push(n));
    expect(files).toHaveLength(3);
    expect(notes).toEqual(['source "again": in/a.jsonl is also read by source "samples": its rows are read once for each', 'source "other": in/a.jsonl is also read by source "samples": its rows are read once for each']);
    const run = await runToEnd(mix, join(d, "run"), { workers: 0 });
    expect(run.manifest.counts.rowsIn).toBe(15);
  });
});
