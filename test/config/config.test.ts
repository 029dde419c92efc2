import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadMix, validateMix } from "../../src/config/load.js";
import { runCli, tempDir, repoRoot } from "../helpers/cli.js";

const base = { name: "t", sources: [{ name: "s", path: "x.jsonl", fields: { problem: "p", response: "r" } }] };

describe("mix validation", () => {
  it("accepts the bundled pipelines", () => {
    expect(() => loadMix(join(repoRoot, "pipelines", "quickstart.json"))).not.toThrow();
    expect(() => loadMix(join(repoRoot, "pipelines", "phi4-mini-reasoning.json"))).not.toThrow();
  });
  it("rejects unknown keys naming the path and the allowed keys", () => {
    expect(() => validateMix({ ...base, filterz: {} }, "m.json")).toThrow(/\$\.filterz: unknown key "filterz"; did you mean "filters"\? \(expected one of: .*sources/);
    expect(() => validateMix({ ...base, sources: [{ ...base.sources[0], feilds: {} }] }, "m.json")).toThrow(/\$\.sources\[0\]\.feilds: unknown key/);
    expect(() => validateMix({ ...base, filters: { maxResponseTokenz: 5 } }, "m.json")).toThrow(/\$\.filters\.maxResponseTokenz: unknown key/);
  });
  it("names the value found and what was expected", () => {
    expect(() => validateMix({ ...base, seed: "x" }, "m.json")).toThrow(/\$\.seed: found "x", expected integer/);
    expect(() => validateMix({ ...base, tokenizer: "gpt2" }, "m.json")).toThrow(/\$\.tokenizer: found "gpt2", expected one of "o200k_base", "cl100k_base"/);
    expect(() => validateMix({ name: "t" }, "m.json")).toThrow(/\$: missing required key "sources"/);
  });
  it("rejects duplicate source names", () => {
    expect(() => validateMix({ ...base, sources: [base.sources[0], base.sources[0]] }, "m.json")).toThrow(/\$\.sources\[1\]\.name/);
  });
  it("fills seed and tokenizer defaults and hashes the config canonically", () => {
    const d = tempDir();
    writeFileSync(join(d, "a.json"), JSON.stringify(base));
    writeFileSync(join(d, "b.json"), JSON.stringify({ sources: base.sources, name: "t" }, null, 4));
    const a = loadMix(join(d, "a.json"));
    expect(a.config.seed).toBe(17);
    expect(a.config.tokenizer).toBe("o200k_base");
    expect(a.baseDir).toBe(d);
    expect(loadMix(join(d, "b.json")).hash).toBe(a.hash);
    // a byte-order mark, as Windows editors save JSON, is not part of the file's JSON (same config, same hash)
    writeFileSync(join(d, "bom.json"), "\ufeff" + JSON.stringify(base));
    expect(loadMix(join(d, "bom.json")).hash).toBe(a.hash);
  });
});

describe("curate validate", () => {
  it("exits 0 on a valid file and 2 with the path on an invalid one", () => {
    const ok = runCli(["validate", "pipelines/quickstart.json"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid \(3 source\(s\), 3 file\(s\)/);
    const d = tempDir();
    writeFileSync(join(d, "bad.json"), JSON.stringify({ ...base, outputz: 1 }));
    const bad = runCli(["validate", join(d, "bad.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\$\.outputz: unknown key/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
  it("resolves source paths relative to the mix file", () => {
    const d = tempDir();
    writeFileSync(join(d, "data.jsonl"), '{"p":"a","r":"b"}\n');
    writeFileSync(join(d, "m.json"), JSON.stringify({ ...base, sources: [{ ...base.sources[0], path: "data.jsonl" }] }));
    expect(runCli(["validate", join(d, "m.json")], { cwd: "/" }).code).toBe(0);
    writeFileSync(join(d, "m2.json"), JSON.stringify({ ...base, sources: [{ ...base.sources[0], path: "*.nothing" }] }));
    const r = runCli(["validate", join(d, "m2.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/matched no files/);
  });
});

describe("cross-field checks", () => {
  it("refuses verify filters without the verify annotator", () => {
    expect(() => validateMix({ ...base, filters: { requireCorrect: true } }, "m.json")).toThrow(/\$\.filters\.requireCorrect needs verdicts, but annotate\.verify is not enabled/);
    expect(() => validateMix({ ...base, annotate: { verify: {} }, filters: { requireCorrect: true } }, "m.json")).not.toThrow();
  });
});
