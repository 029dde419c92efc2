/**
 * End to end: the quickstart mix on data-samples/, read back by DuckDB (an independent Parquet reader),
 * checked against the manifest; conservation; determinism across worker counts; refusing to overwrite.
 * Runs whose exit code, stderr or --json output is checked spawn the CLI; the others run in this
 * process (test/helpers/run.ts).
 */
import { describe, expect, it, beforeAll } from "vitest";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir, repoRoot, allFiles } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";
import { loadMix } from "../../src/config/load.js";
import { rebuildOutputs } from "../../src/mix/rebuild.js";
import { runToEnd } from "../helpers/run.js";

interface ManifestShard { path: string; rows: number; tokens: number; bytes: number; sha256: string }

function readManifest(dir: string) {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
}

describe("curate run pipelines/quickstart.json", () => {
  const out = join(tempDir(), "qs");
  let manifest: any;
  beforeAll(() => {
    const r = runCli(["run", "pipelines/quickstart.json", "--out", out, "--workers", "2", "--json"]);
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    manifest = readManifest(out);
    const summary = JSON.parse(r.stdout);
    expect(summary.counts.rowsIn).toBe(manifest.counts.rowsIn);
  });

  it("accounts for every input row: kept + dropped = in, per stage and per source", () => {
    const c = manifest.counts;
    expect(c.rowsIn).toBe(228 + 32 + 24);
    expect(c.kept + c.dropped).toBe(c.rowsIn);
    let prev = c.rowsIn;
    for (const s of c.stages) {
      expect(s.in).toBe(prev);
      expect(s.kept + s.dropped).toBe(s.in);
      prev = s.kept;
    }
    expect(prev).toBe(c.kept);
    for (const s of Object.values<any>(c.bySource)) expect(s.kept + s.dropped).toBe(s.in);
    expect(c.byReason["contaminated:mini-bench"]).toBe(6); // exactly the planted copies (verbatim, reformatted, numbers changed)
    for (const reason of ["duplicate:exact", "duplicate:rollout_cap", "verify:incorrect", "verify:no_answer", "quality:truncated", "quality:repetition", "quality:language_mix", "too_long:response"]) {
      expect(c.byReason[reason], reason).toBeGreaterThan(0);
    }
    // stages in precedence order by cause (src/decide/filters.ts): a broken trace before its verdict
    expect(c.stages.map((s: { stage: string }) => s.stage)).toEqual(["read", "annotate", "decontaminate", "trace", "verify", "quality", "length", "exact_dedupe", "dedupe"]);
  });

  it("the signal table counts every signal a row raises, and agrees with the funnel and the shards", async () => {
    const signals = manifest.signals as { signal: string; stage: string; rows: number; kept: number; droppedAs: number }[];
    const by = Object.fromEntries(signals.map((s) => [s.signal, s]));
    for (const [reason, n] of Object.entries<number>(manifest.counts.byReason)) expect(by[reason]?.droppedAs, reason).toBe(n);
    for (const s of signals) expect(s.kept + s.droppedAs, s.signal).toBeLessThanOrEqual(s.rows);
    // every row is verified: the verdict signals partition the rows; kept rows are all correct (requireCorrect)
    const verdicts = signals.filter((s) => s.stage === "verify" && s.signal !== "verify:conflicting_boxed");
    expect(verdicts.reduce((a, s) => a + s.rows, 0)).toBe(manifest.counts.rowsIn);
    expect(by["verify:correct"].kept).toBe(manifest.counts.kept);
    // truncated rows dropped as such keep their no_answer verdict (never graded) in rejected/
    const rows = await duck(`select verdict, count(*)::INTEGER as n from read_parquet('${out}/rejected/*.parquet') where reason = 'quality:truncated' group by verdict`);
    expect(rows).toEqual([{ verdict: "no_answer", n: by["quality:truncated"].droppedAs }]);
    expect(by["verify:no_answer"].rows).toBeGreaterThanOrEqual(by["verify:no_answer"].droppedAs + by["quality:truncated"].droppedAs);
    // in precedence order: stages as the funnel lists them
    const order = manifest.counts.stages.map((s: { stage: string }) => s.stage);
    const ranks = signals.map((s) => order.indexOf(s.stage));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  });

  it("every shard opens in DuckDB with the manifest's row count and sha256", async () => {
    const groups: ManifestShard[][] = [manifest.shards.data, manifest.shards.rejected, manifest.shards.annotated];
    for (const shards of groups) {
      expect(shards.length).toBeGreaterThan(0);
      for (const s of shards) {
        const bytes = readFileSync(join(out, s.path));
        expect(bytes.length).toBe(s.bytes);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(s.sha256);
        const [row] = await duck(`select count(*)::INTEGER as n, sum(tokens_response)::BIGINT as t from read_parquet('${join(out, s.path)}')`);
        expect(row!.n).toBe(s.rows);
        expect(Number(row!.t)).toBe(s.tokens);
        expect((await duck(`select * from read_parquet('${join(out, s.path)}')`)).length).toBe(s.rows); // every page decodes
      }
    }
    const [k] = await duck(`select count(*)::INTEGER as n from read_parquet('${out}/data/*.parquet')`);
    expect(k!.n).toBe(manifest.counts.kept);
  });

  it("every data product is fully readable by DuckDB (all columns) with its manifest's rows and sha256", async () => {
    const names = Object.keys(manifest.outputs);
    expect(names.sort()).toEqual(["dpo", "midtrain", "rl", "sft"]);
    for (const name of names) {
      const om = JSON.parse(readFileSync(join(out, "outputs", name, "manifest.json"), "utf8"));
      expect(om.rows).toBeGreaterThan(0);
      let total = 0;
      for (const s of om.shards) {
        const file = join(out, "outputs", name, s.path);
        const bytes = readFileSync(file);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(s.sha256);
        const rows = await duck(`select * from read_parquet('${file}')`); // decodes every column page
        expect(rows.length).toBe(s.rows);
        total += rows.length;
      }
      expect(total, name).toBe(om.rows);
    }
  });

  it("the outputs' first pass, read from annotated/ without texts, plans exactly what a pass over data/ and rejected/ with texts plans", async () => {
    // rebuildOutputs reads every row back with its texts from data/ and rejected/; the run's first pass
    // read token counts and trace formats from annotated/ instead: the products must be the same bytes
    const copy = join(tempDir(), "rebuilt");
    for (const d of ["data", "rejected"]) cpSync(join(out, d), join(copy, d), { recursive: true });
    const loaded = loadMix(join(repoRoot, "pipelines", "quickstart.json"));
    const rebuilt = await rebuildOutputs(loaded.config, copy, loaded.hash);
    expect(Object.keys(rebuilt).sort()).toEqual(["dpo", "midtrain", "rl", "sft"]);
    for (const [name, m] of Object.entries(rebuilt)) {
      const ran = JSON.parse(readFileSync(join(out, "outputs", name, "manifest.json"), "utf8"));
      expect(m.rows, name).toBeGreaterThan(0);
      expect(m.shards, name).toEqual(ran.shards);
      expect(JSON.parse(JSON.stringify(m))).toEqual(ran);
    }
  });

  it("rejected/ holds every dropped row with stage, reason and the kept row an exact duplicate repeats", async () => {
    const rows = await duck(`select reason, count(*)::INTEGER as n from read_parquet('${out}/rejected/*.parquet') group by reason order by reason`);
    const byReason = Object.fromEntries(rows.map((r) => [r.reason, r.n]));
    expect(byReason).toEqual(manifest.counts.byReason);
    const dups = await duck(`select r.id, r.duplicate_of, k.id as kept_id, r.response = k.response as same from read_parquet('${out}/rejected/*.parquet') r join read_parquet('${out}/data/*.parquet') k on k.id = r.duplicate_of where r.reason = 'duplicate:exact'`);
    expect(dups).toHaveLength(manifest.counts.byReason["duplicate:exact"]);
    for (const d of dups) expect(d.same).toBe(true);
  });

  it("ids are unique across kept and rejected and cover the input", async () => {
    const [r] = await duck(`select count(*)::INTEGER as n, count(distinct id)::INTEGER as d from (select id from read_parquet('${out}/data/*.parquet') union all select id from read_parquet('${out}/rejected/*.parquet'))`);
    expect(r!.n).toBe(manifest.counts.rowsIn);
    expect(r!.d).toBe(manifest.counts.rowsIn);
  });

  it("writes a dataset card with the configs header datasets reads, and the manifest's provenance", () => {
    const card = readFileSync(join(out, "README.md"), "utf8");
    expect(card).toMatch(/^---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data\/\*\.parquet\n/);
    expect(card).toContain(`config hash \`${manifest.configHash.slice(0, 16)}\``);
    expect(manifest.tool.dependencies["hyparquet-writer"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.config.name).toBe("quickstart");
  });

  it("gives byte-identical outputs with 0, 1 and 2 workers; a wait over the threshold is logged by name; a finished run is refused without --force (exit 2) and replaced with it", async () => {
    // workers 1: one batch is held 3 s on its thread and waits are reported after 1 s, so the log
    // must name the thread task it waits on (issue #23: a stuck batch job says what it waits for)
    const w1 = join(tempDir(), "w1");
    const stall = { CURATE_FAULT_SLOW_ID: "sample-0000", CURATE_FAULT_SLOW_MS: "3000", CURATE_WAIT_REPORT_S: "1" };
    const r1 = runCli(["run", "pipelines/quickstart.json", "--out", w1, "--workers", "1"], { env: stall });
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/still waiting after 1 s or more: annotate thread task \d+ rollouts from \S+ row \d+/);
    // workers 0 is the --force run over a copy of the 2-worker run: one run proves the refusal, the
    // replacement (nothing of the old run left over) and the byte identity
    const w0 = join(tempDir(), "w0");
    cpSync(out, w0, { recursive: true });
    const refused = runCli(["run", "pipelines/quickstart.json", "--out", w0, "--quiet", "--workers", "0"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds a finished run .*--force/);
    await runToEnd(join(repoRoot, "pipelines", "quickstart.json"), w0, { force: true });
    expect(readManifest(w0).counts).toEqual(manifest.counts);
    const ref = allFiles(out);
    for (const d of [w0, w1]) {
      expect(allFiles(d)).toEqual(ref);
      for (const f of ref) expect(readFileSync(join(d, f)).equals(readFileSync(join(out, f))), f).toBe(true);
    }
  });
});

describe("curate run on bad input", () => {
  function mix(dir: string, lines: string | Buffer, extra: Record<string, unknown> = {}) {
    writeFileSync(join(dir, "in.jsonl"), lines);
    writeFileSync(join(dir, "mix.json"), JSON.stringify({ name: "bad", sources: [{ name: "s", path: "in.jsonl", fields: { problem: "p", response: "r" }, ...extra }] }));
    return join(dir, "mix.json");
  }

  it("stops with file, row and cause, exit 1, and leaves no finished-looking output", () => {
    const d = tempDir();
    const m = mix(d, '{"p":"a","r":"b"}\n{"p":"a","r":7}\n');
    const r = runCli(["run", m, "--out", join(d, "out"), "--quiet", "--workers", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\.jsonl, row 2: field "response" \(path r\) must be a string, found a number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(d, "out", "manifest.json"))).toBe(false);
    const leftovers = existsSync(join(d, "out")) ? allFiles(join(d, "out")) : [];
    expect(leftovers.filter((f) => f.endsWith(".parquet"))).toEqual([]);
  });

  it("quarantines bad rows (malformed JSON, invalid UTF-8, wrong type) into rejected/ with reasons", async () => {
    const d = tempDir();
    const lines = Buffer.concat([
      Buffer.from('{"p":"a","r":"b"}\n{"p":"a",\n{"p":"x","r":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n{"p":1,"r":"b"}\n{"p":"c","r":"d"}\n'),
    ]);
    const m = mix(d, lines, { onError: "quarantine" });
    await runToEnd(m, join(d, "out"));
    const man = readManifest(join(d, "out"));
    expect(man.counts.rowsIn).toBe(5);
    expect(man.counts.kept).toBe(2);
    expect(man.counts.byReason).toEqual({ "input:malformed_json": 1, "input:invalid_utf8": 1, "input:wrong_type": 1 });
    const rows = await duck(`select row::INTEGER as row, reason, raw from read_parquet('${join(d, "out")}/rejected/*.parquet') order by row`);
    expect(rows.map((x) => [x.row, x.reason])).toEqual([[1, "input:malformed_json"], [2, "input:invalid_utf8"], [3, "input:wrong_type"]]);
    expect(rows[0]!.raw).toBe('{"p":"a",');
  });

  it("a line over the 16 MiB limit stops the run naming file and row, or is quarantined with its size", async () => {
    // 17 MiB: just over the default maxRowBytes (a bigger line proves nothing more and costs CPU-seconds)
    const d = tempDir();
    const big = '{"p":"' + "x".repeat(17 * 1024 * 1024) + '","r":"b"}';
    const m = mix(d, Buffer.from(`{"p":"a","r":"b"}\n${big}\n{"p":"c","r":"d"}\n`));
    const r = runCli(["run", m, "--out", join(d, "out"), "--quiet", "--workers", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\.jsonl, row 2: line is 17,825,8\d\d bytes, over the 16,777,216-byte limit/);
    const q = mix(d, readFileSync(join(d, "in.jsonl")), { onError: "quarantine" });
    await runToEnd(q, join(d, "outq"));
    const rows = await duck(`select reason, length(raw)::INTEGER as n from read_parquet('${join(d, "outq")}/rejected/*.parquet')`);
    expect(rows.map((x) => x.reason)).toEqual(["input:row_too_large"]);
    expect(rows[0]!.n).toBeLessThanOrEqual(65536 + 64); // a bounded snippet, not the 17 MiB
  });

  it("exits 2 when a glob matches nothing", () => {
    const d = tempDir();
    writeFileSync(join(d, "mix.json"), JSON.stringify({ name: "g", sources: [{ name: "s", path: "none/*.jsonl", fields: { problem: "p", response: "r" } }] }));
    const r = runCli(["run", join(d, "mix.json"), "--out", join(d, "out"), "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/path "none\/\*\.jsonl" matched no files/);
  });
});
