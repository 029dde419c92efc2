/**
 * Fault suite: a full disk while writing, an annotator that throws on one rollout, a worker thread
 * that dies on one rollout, and corrupt input files. Failures are injected with the test-only
 * CURATE_FAULT_* variables (src/io/parquet-write.ts, src/exec/annotate-core.ts), read by the spawned
 * CLI; the clean runs around the faults run in this process (test/helpers/run.ts).
 */
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { runCli, tempDir, repoRoot, quickstartVariant } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";
import { runInProcess, runToEnd } from "../helpers/run.js";

function corpus(onError?: "quarantine", outputs = false): string {
  const d = tempDir("curate-faults-");
  mkdirSync(join(d, "in"));
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  for (let k = 0; k < 3; k++) writeFileSync(join(d, "in", `p${k}.jsonl`), lines.slice(k * 40, (k + 1) * 40).join("\n") + "\n");
  const mix = quickstartVariant("faults", { path: "in/*.jsonl", ...(onError ? { onError } : {}) }, { outputs });
  writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
  return d;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  return out;
}

describe("fault suite", () => {
  // one corpus and its clean run, the reference of the full-disk tests below (each writes its own --out)
  let d: string;
  beforeAll(async () => {
    d = corpus();
    await runToEnd(join(d, "mix.json"), join(d, "clean"));
  });

  it("a full disk fails the run with no completion marker for the unit, no partial shard, and a clean rerun", async () => {
    const out = join(d, "out-annotate");
    const r = runCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--workers", "0"], { env: { CURATE_FAULT_WRITE_BYTES: "25000" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write \S+\/annotated\/u\d{5}-\d{5}\.parquet: no space left on device \(ENOSPC\)/);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    const markers = readdirSync(join(out, ".work", "units"));
    const shards = readdirSync(join(out, "annotated"));
    // every shard on disk belongs to a unit with a marker; no temp files survive
    for (const s of shards) expect(markers).toContain(`${s.slice(0, 6)}.json`);
    expect(files(out).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(markers.length).toBeLessThan(3);
    await runToEnd(join(d, "mix.json"), out);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")).shards).toEqual(JSON.parse(readFileSync(join(d, "clean", "manifest.json"), "utf8")).shards);
  });

  it("a full disk in the write phase leaves no write marker for the unit being written and no manifest; finalize again completes it", async () => {
    const out = join(d, "out-write");
    await runInProcess(join(d, "mix.json"), out, { phase: "annotate" });
    // two failed finalizes on the same annotated run, each checked: a 60 KB budget with no threads,
    // then 20 KB with 2 write threads (the failure lands in a later unit and shard set)
    for (const [workers, budget] of [["0", "60000"], ["2", "20000"]] as const) {
      const r = runCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--phase", "finalize", "--workers", workers], { env: { CURATE_FAULT_WRITE_BYTES: budget } });
      expect(r.code, `${budget} bytes`).toBe(1);
      expect(r.stderr).toMatch(/cannot write \S+\/(data\/train|rejected\/rejected)-u\d{5}-p\d{5}-\d{5}\.parquet: no space left on device \(ENOSPC\)/);
      expect(existsSync(join(out, "manifest.json"))).toBe(false);
      const written = existsSync(join(out, ".work", "write")) ? readdirSync(join(out, ".work", "write")) : [];
      expect(written.length).toBeLessThan(3);
      // every data/ and rejected/ shard on disk belongs to a unit with a write marker; no temp files
      for (const set of ["data", "rejected"]) {
        for (const f of existsSync(join(out, set)) ? readdirSync(join(out, set)) : []) expect(written).toContain(`${f.match(/u\d{5}/)![0]}.json`);
      }
      expect(files(out).filter((f) => f.includes(".tmp-"))).toEqual([]);
    }
    await runToEnd(join(d, "mix.json"), out, { phase: "finalize", workers: 2 });
    expect(readFileSync(join(out, "manifest.json")).equals(readFileSync(join(d, "clean", "manifest.json")))).toBe(true);
  });

  it("a full disk in the data products (spilling, then writing output shards) leaves no marker for the part or shard being written; finalize again completes them", async () => {
    const d = corpus(undefined, true);
    const clean = join(d, "clean");
    await runToEnd(join(d, "mix.json"), clean);
    const cleanManifest = JSON.parse(readFileSync(join(clean, "manifest.json"), "utf8"));
    const shardBytes = (list: { bytes: number }[]) => list.reduce((a, s) => a + s.bytes, 0);
    const out = join(d, "out");
    // the runs that fill the disk are CLI processes (the budget is read at start-up); the others run here
    const run = (phase: string, budget: number) => runCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--phase", phase, "--workers", "0"], { env: { CURATE_FAULT_WRITE_BYTES: String(budget) } });
    const runHere = (phase: "annotate" | "group" | "write" | "finalize") => runInProcess(join(d, "mix.json"), out, { phase });
    await runHere("annotate");
    await runHere("group");
    // 1. the write phase (one process: every unit) writes data/ and rejected/, then spills each unit's
    // records: the disk fills 3 KB into the spill
    const dataBytes = shardBytes(cleanManifest.shards.data) + shardBytes(cleanManifest.shards.rejected);
    let r = run("write", dataBytes + 3000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write \S+\/\.work\/outputs\/\w+\/u\d{5}-p\d{5}\.\w+\.rec: no space left on device \(ENOSPC\)/);
    const [token] = readdirSync(join(out, ".work", "group"));
    const spillDir = join(out, ".work", "outputs", token!);
    expect(readdirSync(join(out, ".work", "write")).length).toBe(3); // the units were written before
    expect(readdirSync(spillDir).filter((f) => f.endsWith(".done.json")).length).toBeLessThan(3);
    expect(files(out).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // 2. the write phase again spills the units left (their data/ is written); then finalize, whose
    // only writes are the output shards (midtrain's first, in build order), fills the disk 1 byte
    // after midtrain's
    await runHere("write");
    expect(readdirSync(spillDir).filter((f) => f.endsWith(".done.json")).length).toBe(3);
    r = run("finalize", shardBytes(cleanManifest.outputs.midtrain.shards) + 1);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write \S+\/outputs\/\w+\/data\/train-\d{5}\.parquet: no space left on device \(ENOSPC\)/);
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
    // every output shard with a marker is on disk, whole (its sha256), and the shard being written left nothing
    const markers = readdirSync(spillDir).filter((f) => f.startsWith("shard-")).map((f) => JSON.parse(readFileSync(join(spillDir, f), "utf8")));
    const onDisk = files(join(out, "outputs")).map((f) => f.slice(out.length + 1)).sort();
    expect(onDisk).toEqual(markers.map((m) => m.path).sort());
    for (const m of markers) expect(createHash("sha256").update(readFileSync(join(out, m.path))).digest("hex")).toBe(m.sha256);
    expect(markers.map((m) => m.path.split("/")[1])).toEqual(cleanManifest.outputs.midtrain.shards.map(() => "midtrain"));
    expect(markers.length).toBeLessThan(Object.values(cleanManifest.outputs as Record<string, { shards: unknown[] }>).reduce((a, o) => a + o.shards.length, 0));
    expect(files(out).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // 3. finalize again writes the shards left: the same bytes as the clean run
    expect((await runHere("finalize")).finished).toBe(true);
    expect(readFileSync(join(out, "manifest.json")).equals(readFileSync(join(clean, "manifest.json")))).toBe(true);
    for (const [name, o] of Object.entries(cleanManifest.outputs as Record<string, { shards: { path: string }[] }>)) {
      for (const sh of o.shards) expect(readFileSync(join(out, "outputs", name, sh.path)).equals(readFileSync(join(clean, "outputs", name, sh.path))), sh.path).toBe(true);
    }
  });

  it("an annotator throwing on one rollout stops the run naming file, row, rollout and annotator", () => {
    const r = runCli(["run", join(d, "mix.json"), "--out", join(d, "out-throw"), "--quiet", "--workers", "0"], { env: { CURATE_FAULT_THROW_ID: "sample-0045" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\/p1\.jsonl, row 6: annotator fault failed on rollout sample-0045: injected fault on sample-0045/);
  });

  // one threaded run for both: an annotator throwing on sample-0045 and a worker thread dying on sample-0050
  it("with onError quarantine a failing rollout goes to rejected/ and the run continues; a worker thread dying on one rollout is isolated: that rollout is reported, the others are annotated", async () => {
    const q = corpus("quarantine");
    const out = join(q, "out");
    const r = runCli(["run", join(q, "mix.json"), "--out", out, "--quiet", "--workers", "2"], { env: { CURATE_FAULT_THROW_ID: "sample-0045", CURATE_FAULT_EXIT_ID: "sample-0050" } });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(m.counts.byReason["annotate:error"]).toBe(2);
    expect(m.counts.rowsIn).toBe(120);
    const rows = await duck(`select id, reason, detail from read_parquet('${out}/rejected/*.parquet') where stage = 'annotate' order by id`);
    expect(rows.map((x) => [x.id, x.reason])).toEqual([
      ["sample-0045", "annotate:error"],
      ["sample-0050", "annotate:error"],
    ]);
    expect(rows[0]!.detail).toBe("annotator fault failed on rollout sample-0045: injected fault on sample-0045");
    expect(String(rows[1]!.detail)).toMatch(/annotator worker failed on rollout sample-0050: worker thread died/);
    const [k] = await duck(`select count(*)::INTEGER as n from read_parquet('${out}/annotated/*.parquet') where verdict is null and stage = ''`);
    expect(k!.n).toBe(0); // every other rollout was verified
  });

  it("corrupt inputs: a truncated gzip and a truncated Parquet file are named; quarantine records them and goes on", async () => {
    const d = tempDir("curate-corrupt-");
    const gz = gzipSync(Buffer.from('{"p":"a","r":"b"}\n'.repeat(500)));
    writeFileSync(join(d, "a.jsonl.gz"), gz.subarray(0, gz.length - 30));
    writeFileSync(join(d, "b.parquet"), Buffer.from("PAR1 this is not really parquet PAR1"));
    writeFileSync(join(d, "c.jsonl"), '{"p":"x","r":"y"}\n');
    const mix = (onError: string) => ({ name: "c", sources: [{ name: "s", path: "*.{jsonl,jsonl.gz,parquet}", onError, fields: { problem: "p", response: "r" } }] });
    writeFileSync(join(d, "fail.json"), JSON.stringify(mix("fail")));
    writeFileSync(join(d, "q.json"), JSON.stringify(mix("quarantine")));
    const r = runCli(["run", join(d, "fail.json"), "--out", join(d, "o1"), "--quiet", "--workers", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a\.jsonl\.gz, row \d+: corrupt or truncated gzip stream after \d+ rows/);
    await runToEnd(join(d, "q.json"), join(d, "o2"));
    const m = JSON.parse(readFileSync(join(d, "o2", "manifest.json"), "utf8"));
    // the gzip's complete rows are read; its cut tail is one row (test/io/hostile-rows.test.ts)
    expect(m.counts.byReason["input:unreadable_file"]).toBe(1);
    expect(m.counts.byReason["input:corrupt_gzip"]).toBe(1);
    expect(m.counts.kept).toBeGreaterThanOrEqual(1);
    expect(m.counts.bySource.s.in).toBe(m.counts.kept + m.counts.dropped);
  });
});
