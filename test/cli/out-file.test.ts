/**
 * `--out FILE` of decontaminate, dedupe and export: written whole or not at all (io/atomic.ts
 * AtomicFile). What is about processes (exit code, stderr) runs the CLI; the rest runs in-process. Before, decontaminate and dedupe wrote the target directly (a failed run left a
 * cut file that looked complete), a folder or a missing parent was an unhandled stream 'error' (a
 * stack trace), and export left its temp file beside the target when the rename failed.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers/cli.js";
import { AtomicFile, refuseOverwritingInput, refuseOverwritingInside } from "../../src/io/atomic.js";
import { runDecontaminate } from "../../src/decontam/match-file.js";

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, problem: `How many ways are there to colour ${i} beads on a ring with ${i % 7} colours?` }));

describe("--out files", () => {
  const dir = tempDir("curate-out-");
  const rows = join(dir, "rows.jsonl");
  writeFileSync(rows, rowsOf(3000).join("\n") + "\n");
  const bench = join(dir, "bench.jsonl");
  writeFileSync(bench, JSON.stringify({ id: "b1", problem: "How many ways are there to colour 7 beads on a ring with 0 colours?" }) + "\n");
  const decon = (input: string, out: string) => ["decontaminate", input, "--benchmarks", `mine=${bench}`, "--all", "--workers", "0", "--out", out];

  it("a failed run leaves the file it would have replaced as it was, and no temp file", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, [...rowsOf(2500), "{oops"].join("\n") + "\n"); // ~2,500 output lines before the bad row
    const out = join(dir, "flags.jsonl");
    writeFileSync(out, "earlier results\n");
    const o = { benchmarks: [{ name: "mine", path: bench }], field: "problem", all: true, details: false, workers: 0, out };
    await expect(runDecontaminate({ ...o, input: bad })).rejects.toThrow(/bad\.jsonl, row 2501: /);
    expect(readFileSync(out, "utf8")).toBe("earlier results\n");
    await runDecontaminate({ ...o, input: rows });
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(3000);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("a folder as --out is refused with the run's words (no stack trace, no temp file); a missing parent is made", () => {
    const folder = join(dir, "folder");
    mkdirSync(folder);
    for (const args of [decon(rows, folder), ["dedupe", rows, "--workers", "0", "--out", folder], ["export", rows, "--format", "jsonl", "--out", folder]]) {
      const r = runCli(args);
      expect([args[0], r.code, r.stderr.trim().split("\n").at(-1)]).toEqual([args[0], 1, `curate: cannot write ${folder}: it is a folder (EISDIR)`]);
    }
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // a name ending in "/" is a folder too, even before it exists (it used to fail on the rename: ENOTDIR)
    expect(() => AtomicFile.open(join(dir, "not-yet") + "/")).toThrow(/--out .*not-yet\/ names a folder: give the file to write/);
  });

  it("an --out that is one of the inputs (another path, a glob, a link) is refused before any work: the input keeps its bytes", async () => {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, rowsOf(50).join("\n") + "\n");
    const before = readFileSync(input);
    const o = { benchmarks: [{ name: "mine", path: bench }], field: "problem", all: true, details: false, workers: 0 };
    await expect(runDecontaminate({ ...o, input, out: join(dir, ".", "in.jsonl") })).rejects.toThrow(/--out .*in\.jsonl is an input of this command \(.*in\.jsonl\): writing it would replace that input; choose another --out/);
    await expect(runDecontaminate({ ...o, input: join(dir, "i*.jsonl"), out: input })).rejects.toThrow(/is an input of this command/);
    const r = runCli(["dedupe", join(dir, "in*.jsonl"), "--workers", "0", "--out", input]);
    expect([r.code, r.stderr.trim()]).toEqual([2, `curate: --out ${input} is an input of this command (${input}): writing it would replace that input; choose another --out`]);
    expect(readFileSync(input).equals(before)).toBe(true);
    // export reads shards, report and audit a run folder: the same rule, and no file of the folder is replaced
    expect(() => refuseOverwritingInput(join(dir, "in.jsonl"), [input])).toThrow(/is an input of this command/);
    expect(() => refuseOverwritingInput(join(dir, "new.jsonl"), [input])).not.toThrow();
    const run = join(dir, "run");
    mkdirSync(join(run, "data"), { recursive: true });
    writeFileSync(join(run, "manifest.json"), "{}");
    writeFileSync(join(run, "report.html"), "old report");
    expect(() => refuseOverwritingInside(join(run, "data", "..", "manifest.json"), run, [join(run, "report.html")])).toThrow(/--out .*manifest\.json is a file of the run folder .*which this command reads: writing it would replace it; choose another --out/);
    expect(() => refuseOverwritingInside(join(run, "report.html"), run, [join(run, "report.html")])).not.toThrow();
    expect(() => refuseOverwritingInside(join(run, "sheet.csv"), run)).not.toThrow(); // a new file
  });

  it("AtomicFile: nothing at the target until commit; abort leaves no trace", () => {
    const target = join(dir, "atomic.txt");
    const f = AtomicFile.open(target);
    for (let i = 0; i < 20_000; i++) f.write(`line ${i}\n`); // several 64 KB pieces
    expect(readdirSync(dir)).not.toContain("atomic.txt");
    f.commit();
    expect(readFileSync(target, "utf8").split("\n")).toHaveLength(20_001);
    const g = AtomicFile.open(target);
    g.write("other\n".repeat(50_000));
    g.abort();
    expect(readFileSync(target, "utf8").startsWith("line 0\n")).toBe(true);
    expect(readdirSync(dir).filter((x) => x.includes(".tmp-"))).toEqual([]);
    // a missing parent folder is made, as for every other file curate writes
    const deep = join(dir, "new", "sub", "clusters.jsonl");
    const h = AtomicFile.open(deep);
    h.write("x\n");
    h.commit();
    expect(readFileSync(deep, "utf8")).toBe("x\n");
  });
});
