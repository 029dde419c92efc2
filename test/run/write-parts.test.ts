/**
 * The write step in parts: a unit with several annotated shards is written part by part — plain JSONL
 * parts from the byte offsets recorded at annotate, in parallel on write threads; gzip parts front to
 * back in one pass. Same bytes for any number of workers, and the same rows and decisions as a run
 * whose units are one part each. Also: exploded rows cut between parts, a quarantined bad line at a
 * part start, the input-changed check of a part read from an offset.
 *
 * Runs that only make a run folder to compare with run in this process (test/helpers/run.ts); the
 * threaded run of the first test, the SIGKILL and the failing finalizes are CLI processes.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { gunzipSync } from "node:zlib";
import { appendFileSync, readFileSync, readdirSync, utimesSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { runCli, startCli, tempDir, repoRoot, allFiles } from "../helpers/cli.js";
import { readParquetRows } from "../../src/io/parquet-read.js";
import { runInProcess, runToEnd } from "../helpers/run.js";

const SHARD_ROWS = 7;

function makeCorpus(shardRows: number | null): string {
  const d = tempDir("curate-parts-");
  mkdirSync(join(d, "in"));
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  // a malformed line at the first part boundary of the plain unit (rows 0..6 are part 0)
  lines.splice(SHARD_ROWS, 0, '{"id": "broken", "problem": ');
  writeFileSync(join(d, "in", "a-rollouts.jsonl"), lines.join("\n") + "\n");
  const gz = readFileSync(join(repoRoot, "data-samples", "generations.jsonl.gz"));
  writeFileSync(join(d, "in", "b-generations.jsonl"), gunzipSync(gz)); // exploded rows, plain: parts from offsets
  writeFileSync(join(d, "in", "c-generations.jsonl.gz"), gz); // the same, gzip: parts in one pass
  const quick = JSON.parse(readFileSync(join(repoRoot, "pipelines", "quickstart.json"), "utf8"));
  for (const b of quick.annotate?.decontaminate?.benchmarks ?? []) if (typeof b === "object" && b.path) b.path = join(repoRoot, "pipelines", b.path);
  const mix = {
    ...quick,
    name: "parts",
    sources: [
      { ...quick.sources[0], path: "in/a-*.jsonl", onError: "quarantine" },
      { ...quick.sources[1], name: "grouped-plain", path: "in/b-*.jsonl" },
      { ...quick.sources[1], name: "grouped-gz", path: "in/c-*.jsonl.gz" },
    ],
    ...(shardRows ? { output: { shardRows, rowGroupRows: 10 } } : {}),
  };
  delete mix.outputs;
  writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
  return d;
}

async function rowsOf(dir: string, set: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of readdirSync(join(dir, set)).sort()) {
    for await (const r of readParquetRows(join(dir, set, f), { columns: set === "data" ? ["id", "problem_group"] : ["id", "reason", "duplicate_of"] })) {
      const v = (r as { value: Record<string, unknown> }).value;
      out.push(`${String(v.id)} ${String(v.reason ?? v.problem_group ?? "")} ${String(v.duplicate_of ?? "")}`);
    }
  }
  return out;
}

describe("write parts", () => {
  let d: string;
  beforeAll(() => {
    d = makeCorpus(SHARD_ROWS);
  });

  it("writes a multi-shard unit in parts, the same bytes on 0 and 2 write threads", async () => {
    expect((await runToEnd(join(d, "mix.json"), join(d, "w0"))).stderr).toBe("");
    const r = runCli(["run", join(d, "mix.json"), "--out", join(d, "w2"), "--quiet", "--workers", "2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const marker = JSON.parse(readFileSync(join(d, "w2", ".work", "units", "u00000.json"), "utf8"));
    expect(marker.shards.length).toBeGreaterThanOrEqual(6);
    // part 1 starts at the quarantined line, whose offset is where the 8th line begins
    const text = readFileSync(join(d, "in", "a-rollouts.jsonl"), "utf8");
    const lineStart = text.split("\n").slice(0, SHARD_ROWS).join("\n").length + 1;
    expect(marker.starts[1]).toEqual({ byte: Buffer.byteLength(text.slice(0, lineStart)), row: SHARD_ROWS, rollout: 0 });
    // the exploded unit has a part that starts inside a line
    const exploded = JSON.parse(readFileSync(join(d, "w2", ".work", "units", "u00001.json"), "utf8"));
    expect(exploded.starts.some((s: { rollout: number }) => s.rollout > 0)).toBe(true);
    // (the gzip unit repeats the plain one: its rows are all exact duplicates, so it has rejected/ shards only)
    const written = [...readdirSync(join(d, "w2", "data")), ...readdirSync(join(d, "w2", "rejected"))];
    for (const u of ["u00000", "u00001", "u00002"]) expect(new Set(written.filter((f) => f.includes(`-${u}-p`)).map((f) => f.match(/-p\d{5}-/)![0])).size, u).toBeGreaterThanOrEqual(3);
    const files = allFiles(join(d, "w0")).filter((f) => !f.startsWith(".work/"));
    expect(allFiles(join(d, "w2")).filter((f) => !f.startsWith(".work/"))).toEqual(files);
    for (const w of ["w2"]) for (const f of files) expect(readFileSync(join(d, w, f)).equals(readFileSync(join(d, "w0", f))), `${w}/${f}`).toBe(true);
  });

  it("keeps and drops the same rows, with the same reasons, as a run whose units are one part each", async () => {
    const whole = makeCorpus(null);
    await runToEnd(join(whole, "mix.json"), join(whole, "out"));
    if (!readdirSync(d).includes("w2")) await runToEnd(join(d, "mix.json"), join(d, "w2"), { workers: 2 });
    expect(readdirSync(join(whole, "out", "data")).every((f) => f.includes("-p00000-"))).toBe(true);
    const a = JSON.parse(readFileSync(join(d, "w2", "manifest.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(whole, "out", "manifest.json"), "utf8"));
    expect(a.counts).toEqual(b.counts);
    expect(a.counts.byReason["input:malformed_json"]).toBe(1);
    expect(await rowsOf(join(d, "w2"), "data")).toEqual(await rowsOf(join(whole, "out"), "data"));
    expect(await rowsOf(join(d, "w2"), "rejected")).toEqual(await rowsOf(join(whole, "out"), "rejected"));
  });

  it("a run killed with SIGKILL while its write threads work resumes to the same bytes", async () => {
    // the corpus of the first test, whose w0 run is the reference (no second clean run)
    const c = d;
    if (!readdirSync(c).includes("w0")) await runToEnd(join(c, "mix.json"), join(c, "w0"));
    const out = join(c, "killed");
    // a real SIGKILL after the first unit's write marker, while the write threads work on the others (test-only fault hook)
    const killed = await startCli(["run", join(c, "mix.json"), "--out", out, "--quiet", "--workers", "2"], { env: { CURATE_FAULT_KILL_AFTER_WRITTEN_UNITS: "1" } }).exit;
    expect(killed.code).toBe(-1);
    expect(readdirSync(join(out, "data")).length).toBeGreaterThan(0);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    await runToEnd(join(c, "mix.json"), out, { workers: 2 });
    const files = allFiles(join(c, "w0")).filter((f) => !f.startsWith(".work/"));
    expect(allFiles(out).filter((f) => !f.startsWith(".work/"))).toEqual(files);
    for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(c, "w0", f))), f).toBe(true);
  });

  it("a part read from its offset still stops when the input changed under it", async () => {
    const c = makeCorpus(SHARD_ROWS);
    await runInProcess(join(c, "mix.json"), join(c, "out"), { phase: "annotate" });
    // swap two ids in the last part's range, keeping size and mtime
    const file = join(c, "in", "a-rollouts.jsonl");
    const st = statSync(file);
    const text = readFileSync(file, "utf8");
    const swapped = text.replace("sample-0200", "sample-02x0").replace("sample-0201", "sample-0200").replace("sample-02x0", "sample-0201");
    expect(swapped.length).toBe(text.length);
    writeFileSync(file, swapped);
    utimesSync(file, st.atime, st.mtime);
    const r = runCli(["run", join(c, "mix.json"), "--out", join(c, "out"), "--quiet", "--phase", "finalize", "--workers", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\/a-rollouts\.jsonl, row \d+: input changed since it was annotated: annotated\/ has rollout sample-020[01] here, the input now has sample-020[01]/);
    expect(readdirSync(join(c, "out", "data")).filter((f) => f.startsWith("train-u00000-"))).toEqual([]);
    // an appended row is caught by the size check before any part is read
    appendFileSync(file, "\n");
    expect(runCli(["run", join(c, "mix.json"), "--out", join(c, "out"), "--quiet", "--phase", "finalize"]).stderr).toMatch(/size \d+ → \d+ bytes/);
  });
});
