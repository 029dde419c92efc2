/**
 * Benchmark download from a real HTTP server on 127.0.0.1 standing in for the Hugging Face Hub:
 * file list API, Parquet download, cache hit without requests, Bearer token, 404/500 and a
 * truncated download that must not leave a cache file. Parquet files are written in the test with
 * hyparquet-writer from ../shared/data/benchmarks (or from hand-written rows when that is absent).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { startFakeHub, type FakeHub } from "../helpers/hub-server.js";
import { ensureParquetFiles, defaultCacheDir, cacheFolder } from "../../src/decontam/hub.js";
import { loadBenchmarks } from "../../src/decontam/load.js";

const benchDir = join(__dirname, "..", "..", "..", "shared", "data", "benchmarks");
const haveShared = existsSync(join(benchDir, "math500.jsonl"));

function jsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Parquet bytes with the given string columns */
function parquet(columns: Record<string, string[]>): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({ columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: "STRING" as const })) }),
  );
}

const handMade = {
  problem: ["What is $1+1$?", "Find the number of positive divisors of $2024$.", "Compute $\\dbinom{8}{4}$."],
  unique_id: ["a/1", "a/2", "a/3"],
};

describe("Hub download (fake Hub on 127.0.0.1)", () => {
  let hub: FakeHub;
  let cache: string;
  let math500Rows: Record<string, unknown>[];

  beforeAll(async () => {
    hub = await startFakeHub();
    math500Rows = haveShared ? jsonl(join(benchDir, "math500.jsonl")) : handMade.problem.map((p, i) => ({ problem: p, unique_id: handMade.unique_id[i] }));
    // math500 split into two Parquet files, as the Hub does for larger splits
    const half = Math.ceil(math500Rows.length / 2);
    const part = (rows: Record<string, unknown>[]) =>
      parquet({ problem: rows.map((r) => String(r.problem)), unique_id: rows.map((r) => String(r.unique_id)) });
    hub.addSplit("HuggingFaceH4/MATH-500", "default", "test", [part(math500Rows.slice(0, half)), part(math500Rows.slice(half))]);
    const aime = haveShared ? jsonl(join(benchDir, "aime2024.jsonl")) : [{ problem: "Find $x$.", id: 60 }];
    hub.addSplit("HuggingFaceH4/aime_2024", "default", "train", [
      parquet({ problem: aime.map((r) => String(r.problem)), id: aime.map((r) => String(r.id)) }),
    ]);
  });
  afterAll(async () => {
    await hub.close();
  });
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), "curate-hub-cache-"));
    hub.requests.length = 0;
  });
  afterEach(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  it("downloads every Parquet file of a split, then serves it from the cache without a request", async () => {
    const opts = { endpoint: hub.endpoint, cacheDir: cache, token: "" };
    const items = await loadBenchmarks(["math500"], opts);
    expect(items.length).toBe(math500Rows.length);
    expect(items[0]).toEqual({ benchmark: "math500", item: String(math500Rows[0]!.unique_id), problem: String(math500Rows[0]!.problem) });
    expect(items.at(-1)!.item).toBe(String(math500Rows.at(-1)!.unique_id));
    const paths = hub.requests.map((r) => r.path);
    expect(paths).toEqual([
      "/api/datasets/HuggingFaceH4/MATH-500/parquet/default/test",
      "/files/HuggingFaceH4/MATH-500/default/test/0.parquet",
      "/files/HuggingFaceH4/MATH-500/default/test/1.parquet",
    ]);
    const folder = cacheFolder("HuggingFaceH4/MATH-500", "default", "test", { cacheDir: cache });
    expect(readdirSync(folder).sort()).toEqual(["0.parquet", "1.parquet", "files.json"]);

    hub.requests.length = 0;
    const again = await loadBenchmarks(["math500"], opts);
    expect(again).toEqual(items);
    expect(hub.requests).toEqual([]); // cache hit: no second request
  });

  it("sends HF_TOKEN as a Bearer token on the API call and the file download", async () => {
    const prev = process.env.HF_TOKEN;
    process.env.HF_TOKEN = "hf_test_token_123";
    try {
      await ensureParquetFiles("HuggingFaceH4/aime_2024", "default", "train", { endpoint: hub.endpoint, cacheDir: cache });
    } finally {
      if (prev === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = prev;
    }
    expect(hub.requests.length).toBe(2);
    for (const r of hub.requests) expect(r.authorization).toBe("Bearer hf_test_token_123");
  });

  it("honours HF_ENDPOINT when no endpoint is passed, and sends no Authorization without a token", async () => {
    const prev = { e: process.env.HF_ENDPOINT, t: process.env.HF_TOKEN };
    process.env.HF_ENDPOINT = hub.endpoint;
    delete process.env.HF_TOKEN;
    try {
      const items = await loadBenchmarks(["aime2024"], { cacheDir: cache });
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((i) => i.benchmark === "aime2024")).toBe(true);
    } finally {
      if (prev.e === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = prev.e;
      if (prev.t !== undefined) process.env.HF_TOKEN = prev.t;
    }
    expect(hub.requests.length).toBe(2);
    expect(hub.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it("names the URL and status on 404 (unknown split) and 500 (server error)", async () => {
    await expect(ensureParquetFiles("nobody/nothing", "default", "test", { endpoint: hub.endpoint, cacheDir: cache })).rejects.toThrow(
      /api\/datasets\/nobody\/nothing\/parquet\/default\/test: HTTP 404 \(no such dataset/,
    );
    hub.fail("/files/HuggingFaceH4/aime_2024/default/train/0.parquet", 500);
    try {
      await expect(ensureParquetFiles("HuggingFaceH4/aime_2024", "default", "train", { endpoint: hub.endpoint, cacheDir: cache })).rejects.toThrow(
        /0\.parquet: HTTP 500/,
      );
    } finally {
      hub.fail("/files/HuggingFaceH4/aime_2024/default/train/0.parquet", null);
    }
    const folder = cacheFolder("HuggingFaceH4/aime_2024", "default", "train", { cacheDir: cache });
    expect(existsSync(join(folder, "files.json"))).toBe(false);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
  });

  it("leaves no half-written cache file when the download is cut short, and recovers on retry", async () => {
    const file = "/files/HuggingFaceH4/MATH-500/default/test/1.parquet";
    hub.fail(file, "truncate");
    const opts = { endpoint: hub.endpoint, cacheDir: cache, token: "" };
    await expect(loadBenchmarks(["math500"], opts)).rejects.toThrow(/1\.parquet: (download interrupted|download truncated)/);
    const folder = cacheFolder("HuggingFaceH4/MATH-500", "default", "test", { cacheDir: cache });
    const left = readdirSync(folder);
    expect(left).not.toContain("1.parquet");
    expect(left).not.toContain("files.json");
    expect(left.filter((f) => f.includes(".tmp-"))).toEqual([]);
    // the next run downloads again and succeeds
    hub.fail(file, null);
    const items = await loadBenchmarks(["math500"], opts);
    expect(items.length).toBe(math500Rows.length);
    expect(readdirSync(folder).sort()).toEqual(["0.parquet", "1.parquet", "files.json"]);
  });

  it("puts the cache under XDG_CACHE_HOME, else ~/.cache", () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe(join("/x/cache", "curate", "benchmarks"));
    expect(defaultCacheDir({})).toMatch(/\.cache[/\\]curate[/\\]benchmarks$/);
  });
});
