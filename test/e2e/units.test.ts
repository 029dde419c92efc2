/**
 * One big file is many units (src/io/units.ts): a corpus of one JSONL file and one Parquet file of
 * several row groups, cut into pieces by a tiny `unitBytes` and run by 4 ranks at once, gives the rows
 * (data/, rejected/) and data products (outputs/) of one process reading each file as one unit — a bad
 * line in the third piece is quarantined under its line number in the file — and one process over the
 * same pieces, killed mid-way and resumed, writes the 4 ranks' bytes.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { readParquetRows, toPlain } from "../../src/io/parquet-read.js";
import { startCli, tempDir, repoRoot, quickstartVariant, allFiles } from "../helpers/cli.js";
import { runToEnd } from "../helpers/run.js";

const UNIT_BYTES = 25_000;

/** Every row of a shard folder, files in name order, as JSON text. */
async function rowsOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) for await (const r of readParquetRows(join(dir, f))) out.push(JSON.stringify(toPlain((r as { value: unknown }).value)));
  return out;
}

/** a manifest without what names the config (its hash: the config holds unitBytes), the units and their shards */
function manifestCore(path: string, drop: string[]): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8"), (key, v) => (drop.includes(key) ? undefined : v)) as Record<string, unknown>;
}

describe("large files cut into units", () => {
  let d: string;
  let badLine: number;
  beforeAll(() => {
    d = tempDir("curate-units-e2e-");
    mkdirSync(join(d, "in"));
    // the JSONL file: the first 80 sample rows; the Parquet file: the next 60
    // (rows under 20 KB: a longer line could span a whole piece, leaving the third without a line start)
    const all = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n").filter((l) => l.length < 20_000);
    const lines = all.slice(0, 80);
    // a broken line: the first that starts in the third piece [2u, 3u)
    let at = 0;
    badLine = lines.findIndex((l) => {
      const start = at;
      at += Buffer.byteLength(l) + 1;
      return start >= 2 * UNIT_BYTES;
    });
    expect(at - Buffer.byteLength(lines[badLine]!) - 1).toBeLessThan(3 * UNIT_BYTES);
    lines[badLine] = '{"problem": "cut off", "response": ';
    writeFileSync(join(d, "in", "all.jsonl"), lines.join("\n") + "\n");
    const rows = all.slice(80, 140).map((l) => JSON.parse(l) as Record<string, string>);
    const col = (name: string) => ({ name, data: rows.map((r) => r[name]!), type: "STRING" as const });
    writeFileSync(
      join(d, "in", "all.parquet"),
      new Uint8Array(parquetWriteBuffer({ columnData: ["problem", "response", "answer", "finish_reason", "level", "subject"].map(col), rowGroupSize: 10, codec: "UNCOMPRESSED" })),
    );
    const mix = quickstartVariant("units", { path: "in/all.jsonl", onError: "quarantine" }, { outputs: true }) as { sources: Record<string, unknown>[]; outputs: { midtrain: { weights: Record<string, number> } } };
    // ids from the rows' places in the files (no id field), so any row read twice or misnumbered shows
    for (const s of mix.sources) delete (s.fields as Record<string, unknown>).id;
    mix.sources.push({ ...mix.sources[0], name: "pq", path: "in/all.parquet" });
    mix.outputs.midtrain.weights = { [String(mix.sources[0]!.name)]: 1, pq: 1 };
    writeFileSync(join(d, "whole.json"), JSON.stringify(mix));
    writeFileSync(join(d, "cut.json"), JSON.stringify({ ...mix, unitBytes: UNIT_BYTES }));
  });

  it("4 ranks over the pieces give the rows and data products of one process over whole files", async () => {
    const whole = join(d, "whole");
    await runToEnd(join(d, "whole.json"), whole); // the reference, in this process (test/helpers/run.ts)
    const cut = join(d, "cut");
    const codes = await Promise.all(
      [0, 1, 2, 3].map(async (rank) => (await startCli(["run", join(d, "cut.json"), "--out", cut, "--quiet", "--rank", String(rank), "--world-size", "4", "--workers", "0", "--wait-seconds", "600"]).exit).code),
    );
    expect(codes).toEqual([0, 0, 0, 0]);

    // the pieces: byte ranges of the JSONL file, runs of the Parquet file's 6 row groups
    const inputs = JSON.parse(readFileSync(join(cut, "manifest.json"), "utf8")).inputs as { unit: string; file: string; rows: number; range?: { kind: string; from: number; to: number } }[];
    const jsonlBytes = statSync(join(d, "in", "all.jsonl")).size;
    const pieces = (file: string) => inputs.filter((i) => i.file === file).map((i) => [i.range!.from, i.range!.to]);
    expect(pieces("in/all.jsonl")).toEqual(Array.from({ length: Math.ceil(jsonlBytes / UNIT_BYTES) }, (_, k) => [k * UNIT_BYTES, Math.min(jsonlBytes, (k + 1) * UNIT_BYTES)]));
    const runs = pieces("in/all.parquet");
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.flat()).toEqual([0, ...runs.slice(1).flatMap(([from]) => [from, from]), 6]); // consecutive, every group
    expect(pieces("in/all.jsonl").length).toBeGreaterThanOrEqual(4);
    expect(readdirSync(join(cut, ".work", "units")).filter((f) => f.endsWith(".json"))).toHaveLength(inputs.length);
    expect(inputs.map((i) => i.unit)).toEqual(inputs.map((_, k) => `u${String(k).padStart(5, "0")}`));
    expect(JSON.parse(readFileSync(join(whole, "manifest.json"), "utf8")).inputs.map((i: { file: string; range?: unknown }) => `${i.file} ${i.range}`)).toEqual(["in/all.jsonl undefined", "in/all.parquet undefined"]);

    // every row once, with the same id, row, decision: data/ and rejected/ hold the same rows in the same order
    for (const set of ["data", "rejected"]) expect(await rowsOf(join(cut, set)), set).toEqual(await rowsOf(join(whole, set)));
    // the bad line is rejected under its line in the file, by the piece that holds it
    const bad = (await rowsOf(join(cut, "rejected"))).map((r) => JSON.parse(r) as { stage: string; row: number; source: string }).filter((r) => r.stage === "read");
    expect(bad.map((r) => r.row)).toEqual([badLine]);
    // the data products and the files beside them, byte for byte; manifests but for the config that names unitBytes
    const products = allFiles(whole).filter((f) => f.startsWith("outputs/") && !f.endsWith("manifest.json"));
    expect(products.length).toBeGreaterThan(4);
    expect(allFiles(cut).filter((f) => f.startsWith("outputs/") && !f.endsWith("manifest.json"))).toEqual(products);
    for (const f of [...products, "clusters.json", "problems.jsonl"]) expect(readFileSync(join(cut, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    const drop = (f: string) => (f === "manifest.json" ? ["configHash", "mixConfigHash", "config", "inputs", "shards"] : ["mixConfigHash"]);
    for (const f of allFiles(whole).filter((f) => f.endsWith("manifest.json"))) expect(manifestCore(join(cut, f), drop(f)), f).toEqual(manifestCore(join(whole, f), drop(f)));
  });

  it("one process over the same pieces, killed after three and resumed, writes the 4 ranks' bytes", async () => {
    const out = join(d, "killed");
    // a real SIGKILL after the third piece's marker (test-only fault hook); the fourth piece's first row
    // then comes from the lines the first three markers recorded
    const killed = await startCli(["run", join(d, "cut.json"), "--out", out, "--quiet", "--workers", "0"], { env: { CURATE_FAULT_KILL_AFTER_UNITS: "3" } }).exit;
    expect(killed.code).toBe(-1);
    const markers = readdirSync(join(out, ".work", "units")).filter((f) => f.endsWith(".json"));
    expect(markers).toEqual(["u00000.json", "u00001.json", "u00002.json"]);
    const m = JSON.parse(readFileSync(join(out, ".work", "units", "u00002.json"), "utf8")) as { range: { from: number; to: number; rowBase: number }; lines: number };
    expect(m.range).toMatchObject({ kind: "bytes", from: 2 * UNIT_BYTES, to: 3 * UNIT_BYTES });
    expect(m.range.rowBase).toBeGreaterThan(0);
    expect(m.lines).toBeGreaterThan(0);
    expect((await runToEnd(join(d, "cut.json"), out)).timings.unitsSkipped).toBe(3); // resumed in this process
    const cut = join(d, "cut");
    const files = allFiles(cut).filter((f) => !f.startsWith(".work/"));
    expect(allFiles(out).filter((f) => !f.startsWith(".work/"))).toEqual(files);
    for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(cut, f))), f).toBe(true);
  });
});
