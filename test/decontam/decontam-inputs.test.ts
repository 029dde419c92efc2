/**
 * `curate decontaminate` reads what a mix source reads: Parquet, JSON array files, globs of JSONL
 * files, hf:// paths (a real HTTP server on 127.0.0.1), field paths (`meta.question`), `--id-field`;
 * benchmarks from `name=path[:field]` files; and an unreachable Hub says how to work offline. The
 * reference for every input is the JSONL fast path's output on the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { fastPathFile, runDecontaminate, type DecontaminateRunOptions } from "../../src/decontam/match-file.js";
import { loadBenchmarks } from "../../src/decontam/load.js";
import { benchmarkList } from "../../src/cli/decontaminate.js";
import { startFakeHub, type FakeHub } from "../helpers/hub-server.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { CUBIC, FARM, MARBLES, SHORT } from "../helpers/decontam-problems.js";

const CLEAN = "Find the number of positive divisors of $2^{10} 3^{7}$ that are perfect squares, and explain why the count is a product.";
/** the rows every input holds: contaminated (reformatted), clean, contaminated */
const IDS = ["a", "b", "c"];
const PROBLEMS = [`Problem 3. ${CUBIC}`, CLEAN, MARBLES];

let dir: string;
let benchDir: string;
let hub: FakeHub;

function parquet(columns: Record<string, string[]>): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: "STRING" as const })) }));
}

async function run(input: string | string[], extra: Partial<DecontaminateRunOptions> = {}): Promise<{ text: string; rows: number; flagged: number }> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.jsonl`);
  const res = await runDecontaminate({ input, benchmarksDir: benchDir, benchmarks: ["math500"], field: "problem", all: true, details: false, out, workers: 0, ...extra });
  return { text: readFileSync(out, "utf8"), rows: res.rows, flagged: res.flagged };
}

/** A port nothing listens on: a server's, once closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  dir = tempDir("curate-decontam-inputs-");
  benchDir = join(dir, "benchmarks");
  mkdirSync(benchDir);
  writeFileSync(join(benchDir, "math500.jsonl"), [CUBIC, MARBLES].map((p, i) => JSON.stringify({ problem: p, unique_id: `test/hand/${i}.json` })).join("\n") + "\n");
  writeFileSync(join(dir, "rows.jsonl"), IDS.map((id, i) => JSON.stringify({ id, problem: PROBLEMS[i] })).join("\n") + "\n");
  hub = await startFakeHub();
});
afterAll(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("inputs as a source reads them", () => {
  it("Parquet, a JSON array file and an hf:// path give the JSONL fast path's bytes", async () => {
    expect(fastPathFile([join(dir, "rows.jsonl")], { field: "problem" })).toBe(join(dir, "rows.jsonl"));
    const ref = await run(join(dir, "rows.jsonl"));
    expect(ref.text.split("\n").filter(Boolean).map((l) => JSON.parse(l).matches.length > 0)).toEqual([true, false, true]);
    expect(ref).toMatchObject({ rows: 3, flagged: 2 });

    writeFileSync(join(dir, "rows.parquet"), parquet({ id: IDS, problem: PROBLEMS }));
    expect(fastPathFile([join(dir, "rows.parquet")], { field: "problem" })).toBeNull();
    expect(await run(join(dir, "rows.parquet"))).toEqual(ref);

    writeFileSync(join(dir, "rows.json"), JSON.stringify(IDS.map((id, i) => ({ id, problem: PROBLEMS[i] })), null, 2));
    expect(await run(join(dir, "rows.json"))).toEqual(ref);

    hub.addRepo("org/rows", { sha: "0123456789abcdef0123456789abcdef01234567", files: { "data/train.parquet": parquet({ id: IDS, problem: PROBLEMS }) } });
    expect(await run("hf://datasets/org/rows/data/*.parquet", { remote: { endpoint: hub.endpoint } })).toEqual(ref);
  });

  it("--field takes a field path (meta.question, $key), --id-field a path too; JSON rows name their place in errors", async () => {
    const ref = await run(join(dir, "rows.jsonl"));
    const nested = join(dir, "nested.json");
    writeFileSync(nested, JSON.stringify(IDS.map((id, i) => ({ key: { name: id }, meta: { question: PROBLEMS[i] } }))));
    expect(await run(nested, { field: "meta.question", idField: "key.name" })).toEqual(ref);
    // a JSON object file keyed by the problem: --field $key
    const keyed = join(dir, "keyed.json");
    writeFileSync(keyed, JSON.stringify(Object.fromEntries(IDS.map((id, i) => [PROBLEMS[i], { id }]))));
    expect(await run(keyed, { field: "$key" })).toEqual(ref);
    // without an id field the row number stands in, as on the fast path
    const noIds = await run(nested, { field: "meta.question" });
    expect(noIds.text.split("\n").filter(Boolean).map((l) => JSON.parse(l).id)).toEqual([0, 1, 2]);

    writeFileSync(nested, JSON.stringify([{ meta: { question: CLEAN } }, { meta: { q: CLEAN } }]));
    await expect(run(nested, { field: "meta.question" })).rejects.toThrow(/nested\.json, row 2: \$\[1\]: field "meta\.question" must be a string, found nothing \(choose the field with --field\)/);
    await expect(run(nested, { field: "meta[]" })).rejects.toThrow(/--field: "meta\[\]" takes one value per row/);
  });

  it("a glob of two JSONL files is read in order; rows without an id are file:row", async () => {
    const g = join(dir, "glob");
    mkdirSync(g);
    writeFileSync(join(g, "part-1.jsonl"), JSON.stringify({ uid: "u1", problem: PROBLEMS[0] }) + "\n" + JSON.stringify({ uid: "u2", problem: CLEAN }) + "\n");
    writeFileSync(join(g, "part-2.jsonl"), "\n" + JSON.stringify({ problem: MARBLES }) + "\n");
    const res = await run(join(g, "part-*.jsonl"));
    expect(res).toMatchObject({ rows: 3, flagged: 2 });
    expect(res.text.split("\n").filter(Boolean).map((l) => JSON.parse(l).id)).toEqual(["u1", "u2", `${join(g, "part-2.jsonl")}:1`]);
    await expect(run(join(g, "none-*.jsonl"))).rejects.toThrow(/matched no files/);
  });
});

describe("benchmarks", () => {
  it("name=path[:field] reads a JSON, JSONL or Parquet file with a field path", async () => {
    expect(benchmarkList(`math500, mine=${dir}/b.json:meta.q,pq=${dir}/b.parquet`)).toEqual([
      "math500",
      { name: "mine", path: `${dir}/b.json`, problemField: "meta.q" },
      { name: "pq", path: `${dir}/b.parquet` },
    ]);
    // a row's usual id field names the item (as for the built-ins; name=path cannot name one), else its row number
    writeFileSync(join(dir, "b.json"), JSON.stringify([{ meta: { q: FARM } }, { meta: { q: SHORT }, id: "short-1" }]));
    writeFileSync(join(dir, "b.parquet"), parquet({ problem: [CUBIC], name: ["cubic"] }));
    const items = await loadBenchmarks(benchmarkList(`mine=${dir}/b.json:meta.q,pq=${dir}/b.parquet`));
    expect(items.map((i) => [i.benchmark, i.item, i.problem])).toEqual([
      ["mine", "0", FARM],
      ["mine", "short-1", SHORT],
      ["pq", "0", CUBIC],
    ]);
    const res = await run(join(dir, "rows.jsonl"), { benchmarks: benchmarkList(`pq=${dir}/b.parquet`), all: false });
    expect(res.text.split("\n").filter(Boolean).map((l) => JSON.parse(l))).toEqual([{ id: "a", matches: [expect.objectContaining({ benchmark: "pq", item: "0" })] }]);
    await expect(loadBenchmarks(benchmarkList(`mine=${dir}/b.json:meta.x`))).rejects.toThrow(/b\.json, row 1: \$\[0\]: field "meta\.x" must be a string, found nothing/);
  });

  it("an unreachable Hub names the benchmark and URL and says how to work offline", async () => {
    const port = await closedPort();
    const prev = process.env.CURATE_BENCHMARKS_DIR;
    delete process.env.CURATE_BENCHMARKS_DIR;
    try {
      await expect(loadBenchmarks(["amc2023"], { endpoint: `http://127.0.0.1:${port}`, cacheDir: join(dir, "cache") })).rejects.toThrow(
        new RegExp(
          `benchmark amc2023: cannot reach the Hugging Face Hub for math-ai/amc23: http://127\\.0\\.0\\.1:${port}/api/datasets/math-ai/amc23/\\S+: request failed: .*` +
            `Offline, give a folder of local benchmark files \\(--benchmarks-dir DIR.*amc2023\\.jsonl.*\\) or a file of the benchmark \\(--benchmarks amc2023=path\\[:field\\]\\)`,
        ),
      );
    } finally {
      if (prev !== undefined) process.env.CURATE_BENCHMARKS_DIR = prev;
    }
  });

  it("the CLI: offline Hub → exit 2 with the message; Parquet input with name=path:field benchmarks → matches", async () => {
    const port = await closedPort();
    const env = { HF_ENDPOINT: `http://127.0.0.1:${port}`, XDG_CACHE_HOME: join(dir, "xdg"), CURATE_BENCHMARKS_DIR: "" };
    writeFileSync(join(dir, "cli.parquet"), parquet({ id: IDS, problem: PROBLEMS }));
    const off = runCli(["decontaminate", join(dir, "cli.parquet"), "--benchmarks", "aime2024"], { env });
    expect(off.code, off.stderr).toBe(2);
    expect(off.stderr).toMatch(new RegExp(`benchmark aime2024: cannot reach the Hugging Face Hub for HuggingFaceH4/aime_2024: http://127\\.0\\.0\\.1:${port}/api/datasets/.*--benchmarks-dir DIR.*--benchmarks aime2024=path\\[:field\\]`));
    writeFileSync(join(dir, "cli-bench.jsonl"), JSON.stringify({ meta: { text: MARBLES } }) + "\n");
    const ok = runCli(["decontaminate", join(dir, "cli.parquet"), "--benchmarks", `marbles=${join(dir, "cli-bench.jsonl")}:meta.text`], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ id: "c", matches: [expect.objectContaining({ benchmark: "marbles", item: "0", method: "exact" })] }]);
    expect(ok.stderr).toMatch(/decontaminate: 1 of 3 rows matched \(marbles 1\)/);
  });
});
