/**
 * inspect / show / export and the library API on real shards: written by the pipeline (quickstart mix
 * run into a temp folder) and written by DuckDB itself (COPY … TO 'x.parquet'). DuckDB is the
 * independent reader every count is checked against. A CLI process is started where the command line
 * is the point (options, output format, exit codes, error wording); what only the reader or the
 * renderer decides is called in-process (each CLI start costs about a CPU-second).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { runToEnd } from "../helpers/run.js";
import { duck } from "../helpers/duckdb.js";
import { describe as describeShards, openShards, sample, toArrow, arrowIpc, idPriority, findRow, collectReport } from "../../src/index.js";
import { renderRollout } from "../../src/report/terminal.js";

const sq = (p: string) => p.replace(/'/g, "''");
const count = async (sql: string) => Number((await duck(sql))[0]!.n);

describe("inspect on shards written by the pipeline", () => {
  const out = join(tempDir("curate-inspect-"), "qs");
  let manifest: any;
  beforeAll(async () => {
    // the run in this process (test/helpers/run.ts): what is inspected here is the run folder
    const r = await runToEnd(join(repoRoot, "pipelines", "quickstart.json"), out);
    expect(r.stderr).not.toMatch(/Error:/);
    manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  });

  it("describe() of the run folder accounts for every row, per decision and per source, as the manifest does", async () => {
    const d = await describeShards(out);
    expect(d.rows).toBe(manifest.counts.rowsIn);
    expect(d.matched).toBe(manifest.counts.rowsIn);
    expect(d.byDecision.kept ?? 0).toBe(manifest.counts.kept);
    for (const [reason, n] of Object.entries<number>(manifest.counts.byReason)) expect(d.byDecision[reason], reason).toBe(n);
    for (const [source, c] of Object.entries<any>(manifest.counts.bySource)) expect(d.bySource[source] ?? 0, source).toBe(c.in);
    expect(d.tokens!.n).toBe(d.rows);
    expect(d.tokens!.counts.reduce((a, b) => a + b, 0)).toBe(d.rows);
    expect(d.columns.map((c) => c.name)).toEqual(expect.arrayContaining(["id", "problem", "response", "tokens_response", "annotations", "stage", "reason"]));
    expect(Object.values(d.byDomain).reduce((a, b) => a + b, 0)).toBe(d.rows);
  });

  it("every shard opens in DuckDB with the same row count as openShards reads, and filters agree with SQL", async () => {
    const shards = [...manifest.shards.data, ...manifest.shards.rejected, ...manifest.shards.annotated];
    expect(shards.length).toBeGreaterThan(2);
    for (const s of shards) {
      const file = join(out, s.path);
      let ours = 0;
      for await (const _ of openShards(file)) ours++;
      expect(ours, s.path).toBe(s.rows);
      expect(await count(`SELECT count(*) AS n FROM read_parquet('${sq(file)}')`), s.path).toBe(s.rows);
    }
    const data = join(out, "data", "*.parquet");
    const annotated = join(out, "annotated", "*.parquet");
    const pairs: [string, string, string][] = [
      [annotated, "tokens_response > 1000", "tokens_response > 1000"],
      [annotated, 'source = "samples" and (tokens_response < 300 or tokens_response >= 2000)', "source = 'samples' AND (tokens_response < 300 OR tokens_response >= 2000)"],
      [annotated, 'finish_reason != "stop"', "finish_reason <> 'stop'"],
      [annotated, "finish_reason is null", "finish_reason IS NULL"],
      [annotated, 'source in ("chat", "grouped") and not problem contains "x"', "source IN ('chat','grouped') AND NOT contains(problem, 'x')"],
      [data, 'trace_format = "plain" or unterminated = true', "trace_format = 'plain' OR unterminated = true"],
    ];
    for (const [glob, where, sql] of pairs) {
      const dir = glob.slice(0, -"/*.parquet".length);
      let ours = 0;
      for await (const _ of openShards(dir).where(where)) ours++;
      const theirs = await count(`SELECT count(*) AS n FROM read_parquet('${sq(glob)}') WHERE ${sql}`);
      expect(ours, where).toBe(theirs);
    }
  });

  it("inspect --json and the terminal view agree with the manifest", async () => {
    const j = runCli(["inspect", out, "--json", "--where", "kept = false"]);
    expect(j.code).toBe(0);
    const d = JSON.parse(j.stdout);
    expect(d.rows).toBe(manifest.counts.rowsIn);
    expect(d.matched).toBe(manifest.counts.dropped);
    expect(d.signals).toBeUndefined(); // the run's signal table counts all rows, not the --where ones
    // a column only rejected/ has (reason) filters the whole run folder; data/ rows read it as null
    const [reason, n] = Object.entries<number>(manifest.counts.byReason)[0]!;
    expect(await describeShards(out, { where: `reason = "${reason}"` })).toMatchObject({ rows: manifest.counts.rowsIn, matched: n });
    const t = runCli(["inspect", join(out, "data")]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`${manifest.counts.kept.toLocaleString("en-US")} rows`);
    expect(t.stdout).toMatch(/tokens_response.*p50/);
    expect(t.stdout).toContain("│");
    expect(t.stdout).toMatch(/per source:\n/);
    expect(t.stdout).not.toContain("signals ("); // a folder of shards is not a run
    expect(t.stdout).not.toContain("\u001b["); // no colour when not a TTY
  });

  it("inspect <run> prints the run's signal table from the manifest; --json carries it", () => {
    const signals = manifest.signals as { signal: string; stage: string; rows: number; kept: number; droppedAs: number }[];
    expect(signals.map((s) => s.signal)).toContain("quality:truncated");
    const t = runCli(["inspect", out]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/signals \(rows raising each/);
    for (const s of signals) {
      const line = t.stdout.split("\n").find((l) => l.trim().split(/\s+/)[1] === s.signal);
      expect(line, s.signal).toBeDefined();
      const [stage, , rows, kept, droppedAs, other] = line!.trim().split(/\s+/);
      expect([stage, ...[rows, kept, droppedAs, other].map((x) => Number(x!.replace(/,/g, "")))]).toEqual([s.stage, s.rows, s.kept, s.droppedAs, s.rows - s.kept - s.droppedAs]);
    }
    // --json carries it: the --sample --json run of the next test has no --where, so it carries the table too
  });

  it("--sample N --seed S is the N rows with the smallest seeded hash of their id, reasoning folded and answer marked", async () => {
    const ids = (await duck(`SELECT id FROM read_parquet('${sq(join(out, "data", "*.parquet"))}') UNION ALL SELECT id FROM read_parquet('${sq(join(out, "rejected", "*.parquet"))}')`)).map((r) => String(r.id));
    const expected = ids.sort((a, b) => idPriority(a, 7) - idPriority(b, 7)).slice(0, 4);
    const rows = await sample(out, 4, { seed: 7 });
    expect(rows.map((r) => r.id)).toEqual(expected);
    const again = JSON.parse(runCli(["inspect", out, "--sample", "4", "--seed", "7", "--json"]).stdout);
    expect(again.sample.rows.map((r: any) => r.id)).toEqual(expected);
    expect(again.signals).toEqual(manifest.signals); // inspect <run> --json carries the run's signal table
    const other = await sample(out, 4, { seed: 8 });
    expect(other.map((r) => r.id)).not.toEqual(expected);

    const t = runCli(["inspect", out, "--sample", "3", "--seed", "1", "--where", 'trace_format != "plain" and tokens_reasoning > 200']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain("sample of 3 row(s), seed 1");
    expect(t.stdout).toMatch(/▸ reasoning folded \([\d,]+ tokens, [\d,]+ chars\)/);
    expect(t.stdout).toMatch(/»[^«\n]+«/);
    const sampled = await sample(out, 3, { seed: 1, where: 'trace_format != "plain" and tokens_reasoning > 200' });
    for (const r of sampled) {
      expect(t.stdout).toContain(`── ${r.id}`);
      // folded: the whole reasoning is not printed
      const reasoning = String(r.response).length;
      expect(t.stdout.length).toBeLessThan(reasoning * 3 + 20_000);
    }
  });

  it("--where errors are usage errors that point at the problem and name the columns", async () => {
    const r = runCli(["inspect", out, "--where", "tokns > 5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown column "tokns"; columns are: id, ordinal/);
    // a parse error is a WhereError as the unknown column is (the CLI's exit 2 shown above): in-process
    await expect(describeShards(out, { where: 'verdict = "x" and' })).rejects.toThrow(/expected a value/);
    const m = runCli(["inspect", join(out, "nope")]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/no such file or folder/);
  });

  it("show <id> prints a dropped rollout with its stage, reason and annotations", async () => {
    const [dropped] = await duck(`SELECT id, stage, reason FROM read_parquet('${sq(join(out, "rejected", "*.parquet"))}') ORDER BY id LIMIT 1`);
    expect(dropped).toBeDefined();
    const r = runCli(["show", String(dropped!.id), "--run", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`── ${dropped!.id}`);
    expect(r.stdout).toContain(`dropped at ${dropped!.stage}: ${dropped!.reason}`);
    expect(r.stdout).toContain("reasoning");
    const j = JSON.parse(runCli(["show", String(dropped!.id), "--run", out, "--json"]).stdout);
    expect(j.kept).toBe(false);
    expect(j.reason).toBe(dropped!.reason);
    expect(typeof j.annotations).toBe("object");
    const found = await findRow(out, String(dropped!.id));
    expect(found!.file.set).toBe("rejected");
    const missing = runCli(["show", "no-such-id", "--run", out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no rollout with id "no-such-id"');
  });

  it("export --format jsonl / arrow and toArrow() carry every row and value", async () => {
    const dir = tempDir("curate-export-");
    const jl = join(dir, "rows.jsonl");
    const r = runCli(["export", out, "--format", "jsonl", "--out", jl, "--columns", "id,tokens_response,kept"]);
    expect(r.code).toBe(0);
    const lines = readFileSync(jl, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBe(manifest.counts.rowsIn);
    expect(lines.filter((l) => l.kept).length).toBe(manifest.counts.kept);
    expect(Object.keys(lines[0]).sort()).toEqual(["id", "kept", "tokens_response"]);

    const arrowFile = join(dir, "kept.arrow");
    const a = runCli(["export", join(out, "data"), "--format", "arrow", "--out", arrowFile]);
    expect(a.code).toBe(0);
    const table = tableFromIPC(readFileSync(arrowFile));
    expect(table.numRows).toBe(manifest.counts.kept);
    const duckIds = (await duck(`SELECT id, tokens_response FROM read_parquet('${sq(join(out, "data", "*.parquet"))}')`)).map((x) => `${x.id}:${x.tokens_response}`).sort();
    const ids = table.getChild("id")!.toArray() as string[];
    const toks = table.getChild("tokens_response")!.toArray() as Int32Array;
    expect(ids.map((id, i) => `${id}:${toks[i]}`).sort()).toEqual(duckIds);

    // column selection yields exactly the asked columns, also when the filter reads others
    let keptIds = 0;
    for await (const row of openShards(out, { columns: ["id"] }).where('kept and source != "nope"')) {
      expect(Object.keys(row)).toEqual(["id"]);
      keptIds++;
    }
    expect(keptIds).toBe(manifest.counts.kept);
    for await (const row of openShards(join(out, "data"), { columns: ["id", "source"] })) expect(Object.keys(row).sort()).toEqual(["id", "source"]);

    const t = await toArrow(out, { columns: ["id", "ordinal", "verdict"], where: "kept" });
    expect(t.numRows).toBe(manifest.counts.kept);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["id:Utf8", "ordinal:Int64", "verdict:Utf8"]);
    // a whole run folder: the union of data/ and rejected/ columns, decisions included
    const whole = await toArrow(out);
    expect(whole.numRows).toBe(manifest.counts.rowsIn);
    const reasons = [...(whole.getChild("reason")!.toArray() as Iterable<string | null>)].filter((x) => x);
    expect(reasons.length).toBe(manifest.counts.dropped);
  });

  // curate report on the same pipeline run (report.test.ts covers the report on synthetic runs)
  it("writes report.html whose funnel equals the manifest", () => {
    const r = runCli(["report", out, "--json"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.out).toBe(join(out, "report.html"));
    const html = readFileSync(info.out, "utf8");
    expect(Buffer.byteLength(html)).toBe(info.bytes);
    for (const s of manifest.counts.stages) {
      const row = new RegExp(`<tr data-stage="${s.stage}"><td>${s.stage}</td><td class="num" data-field="in">([\\d,]+)</td><td class="num" data-field="kept">([\\d,]+)</td><td class="num" data-field="dropped">([\\d,]+)</td>`).exec(html);
      expect(row, s.stage).not.toBeNull();
      expect(row!.slice(1, 4).map((x) => Number(x.replace(/,/g, "")))).toEqual([s.in, s.kept, s.dropped]);
    }
    expect(html).toContain(`data-kpi="rowsIn">${manifest.counts.rowsIn.toLocaleString("en-US")}<`);
  });

  it("the report's verifier, length and drop-sample summaries agree with DuckDB on the pipeline's shards", async () => {
    const d = await collectReport(out);
    const all = `read_parquet(['${sq(join(out, "data", "*.parquet"))}', '${sq(join(out, "rejected", "*.parquet"))}'], union_by_name = true)`;
    expect(d.lengths!.response.allQ.n).toBe(Number((await duck(`SELECT count(tokens_response) AS n FROM ${all}`))[0]!.n));
    const verdicts = await duck(`SELECT verdict, count(*) AS n FROM ${all} WHERE verdict IS NOT NULL GROUP BY verdict`);
    if (verdicts.length === 0) expect(d.verifier).toBeNull();
    for (const v of verdicts) expect(d.verifier!.all[String(v.verdict)]).toBe(Number(v.n));
    const reasons = await duck(`SELECT reason, count(*) AS n FROM read_parquet('${sq(join(out, "rejected", "*.parquet"))}') GROUP BY reason`);
    expect(d.dropSamples.length).toBe(reasons.length);
    for (const r of reasons) expect(d.dropSamples.find((g) => g.reason === r.reason)!.count).toBe(Number(r.n));
  });

  it("refuses a folder that is not a finished run", () => {
    const r = runCli(["report", join(out, "data")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a finished run folder/);
  });
});

describe("inspect on a Parquet file written by DuckDB", () => {
  const dir = tempDir("curate-duckpq-");
  const file = join(dir, "duck.parquet");
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    await duck(`COPY (
      SELECT 'r' || i AS id,
             CASE WHEN i % 3 = 0 THEN 'alpha' WHEN i % 3 = 1 THEN 'beta' ELSE 'gamma' END AS source,
             CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN 'correct' ELSE 'incorrect' END AS verdict,
             CAST((i * 37) % 5000 AS INTEGER) AS tokens_response,
             CAST(i AS BIGINT) AS ordinal,
             'What is ' || i || ' + 1?' AS problem,
             '<think>step</think> The answer is \\boxed{' || (i + 1) || '}.' AS response,
             i % 5 = 0 AS flagged
      FROM range(5000) t(i)
    ) TO '${sq(file)}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  });

  it("reads the schema, counts and histogram DuckDB agrees with", async () => {
    // the reader decides this (inspect --json prints describe(), see the run-folder tests): in-process
    const d = JSON.parse(JSON.stringify(await describeShards(file)));
    expect(d.rows).toBe(await count(`SELECT count(*) AS n FROM '${sq(file)}'`));
    expect(d.files[0].rowGroups).toBeGreaterThan(1);
    const bySource = await duck(`SELECT source, count(*) AS n FROM '${sq(file)}' GROUP BY source`);
    for (const s of bySource) expect(d.bySource[String(s.source)]).toBe(Number(s.n));
    const byVerdict = await duck(`SELECT coalesce(verdict, '(none)') AS v, count(*) AS n FROM '${sq(file)}' GROUP BY 1`);
    for (const v of byVerdict) expect(d.byVerdict[String(v.v)]).toBe(Number(v.n));
    expect(d.tokens.n).toBe(5000);
    expect(d.tokens.max).toBe(Number((await duck(`SELECT max(tokens_response) AS n FROM '${sq(file)}'`))[0]!.n));
    const w = d.tokens.width;
    const bin0 = await count(`SELECT count(*) AS n FROM '${sq(file)}' WHERE tokens_response < ${w}`);
    expect(d.tokens.counts[0]).toBe(bin0);
    expect(d.columns.map((c: any) => c.name)).toEqual(["id", "source", "verdict", "tokens_response", "ordinal", "problem", "response", "flagged"]);
  });

  it("--where and --sample work on it", async () => {
    const r = runCli(["inspect", file, "--json", "--where", 'verdict = "incorrect" and tokens_response > 2500 and not flagged', "--sample", "5", "--seed", "3"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.matched).toBe(await count(`SELECT count(*) AS n FROM '${sq(file)}' WHERE verdict = 'incorrect' AND tokens_response > 2500 AND NOT flagged`));
    expect(d.sample.rows.length).toBe(5);
    for (const row of d.sample.rows) {
      expect(row.verdict).toBe("incorrect");
      expect(row.tokens_response).toBeGreaterThan(2500);
      expect(typeof row.ordinal).toBe("number");
    }
    // the answer is marked in the terminal view (the renderer the CLI prints with, in-process)
    const [r7] = await sample(file, 1, { where: 'id = "r7"' });
    expect(renderRollout(r7!, { color: false })).toContain("»\\boxed{8}«");
  });

  it("export writes Arrow IPC that reads back with the same rows", async () => {
    // the bytes export --format arrow writes (the CLI itself: the run-folder export test), in-process
    const t = tableFromIPC(arrowIpc(await toArrow(file, { where: "flagged" })));
    expect(t.numRows).toBe(1000);
    expect([...(t.getChild("flagged")!.toArray() as Iterable<unknown>)].every((x) => x === true)).toBe(true);
  });
});
