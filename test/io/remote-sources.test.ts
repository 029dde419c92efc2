/**
 * Remote sources (hf:// and https://) against a real HTTP server on 127.0.0.1 that implements the
 * Hub's revision, tree and resolve endpoints with HTTP Range (test/helpers/hub-server.ts): no network.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parquetWriteBuffer } from "hyparquet-writer";
import { startFakeHub, type FakeHub } from "../helpers/hub-server.js";
import { repoRoot, startCli, tempDir } from "../helpers/cli.js";
import { readSources, resolveSourceFiles, type RemoteSettings, type SourceFile } from "../../src/io/sources.js";
import { readParquetRows } from "../../src/io/parquet-read.js";
import { RemoteBytes, RemoteChangedError } from "../../src/io/remote-bytes.js";
import { hubTarget } from "../../src/io/http.js";
import type { SourceConfig } from "../../src/config/types.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const TOKEN = "hf_remote_secret_7";
const MiB = 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Incompressible-ish text of `n` bytes, different per row (so a row group's bytes are its text). */
function text(seed: number, n: number): string {
  let x = seed * 2654435761 + 1;
  let s = "";
  while (s.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += x.toString(36);
  }
  return s.slice(0, n);
}

/** A Parquet file of `groups` row groups of `rows` rows each, each row's response `bytes` long. */
function parquetFile(groups: number, rows: number, bytes: number): Uint8Array {
  const n = groups * rows;
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "id", data: Array.from({ length: n }, (_, i) => `r${i}`), type: "STRING" },
        { name: "problem", data: Array.from({ length: n }, (_, i) => `What is ${i} + 1?`), type: "STRING" },
        { name: "response", data: Array.from({ length: n }, (_, i) => `${text(i, bytes)} \\boxed{${i + 1}}`), type: "STRING" },
      ],
      rowGroupSize: rows,
      codec: "UNCOMPRESSED",
    }),
  );
}

const jsonl = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${tag}${i}`, problem: `P${i}`, response: `R${i} \\boxed{${i}}` })).join("\n") + "\n";

const source = (path: string | string[]): SourceConfig => ({ name: "s", path, fields: { id: "id", problem: "problem", response: "response" } });

async function rollouts(files: SourceFile[], remote: RemoteSettings): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of readSources(files, { maxRowBytes: 16 * MiB, remote })) if (item.kind === "rollout") ids.push(item.rollout.id);
  return ids;
}

describe("remote sources", () => {
  let hub: FakeHub;
  let cdn: FakeHub;
  let remote: RemoteSettings;
  const big = parquetFile(12, 40, 50_000); // 12 row groups of ~2 MB
  const gz = gzipSync(Buffer.from(jsonl(3000, "g")));

  beforeAll(async () => {
    hub = await startFakeHub();
    cdn = await startFakeHub();
    remote = { endpoint: hub.endpoint, token: TOKEN, limits: { retryBaseMs: 1 } };
    hub.addRepo("org/math", {
      sha: SHA,
      files: {
        "README.md": Buffer.from("# math\n"),
        "data/train-00000-of-00002.parquet": parquetFile(2, 5, 100),
        "data/train-00001-of-00002.parquet": parquetFile(2, 5, 100),
        "data/test-00000-of-00001.parquet": parquetFile(1, 3, 100),
        "big/all.parquet": big,
        "jsonl/rows.jsonl.gz": gz,
      },
    });
    hub.addRepo("org/lfs", { sha: SHA.replace(/0/g, "9"), files: { "data/a.jsonl": Buffer.from(jsonl(5, "a")) }, cdn });
  });
  afterAll(async () => {
    await hub?.close();
    await cdn?.close();
  });

  it("lists globs and folders through the tree API at the resolved commit, sorted", async () => {
    hub.requests.length = 0;
    const files = await resolveSourceFiles(source("hf://datasets/org/math/data/train-*.parquet"), "/", remote);
    expect(files.map((f) => f.rel)).toEqual(["hf://datasets/org/math/data/train-00000-of-00002.parquet", "hf://datasets/org/math/data/train-00001-of-00002.parquet"]);
    for (const f of files) {
      expect(f.remote?.revision).toBe(SHA);
      expect(f.path).toBe(`${hub.endpoint}/datasets/org/math/resolve/${SHA}/${f.rel.slice("hf://datasets/org/math/".length)}`);
      expect(f.remote?.etag).toMatch(/^[0-9a-f]{64}$/); // the LFS sha256
    }
    const paths = hub.requests.map((r) => r.path);
    expect(paths).toContain("/api/datasets/org/math/revision/main");
    expect(paths).toContain(`/api/datasets/org/math/tree/${SHA}/data`);
    // a folder gives its data files (no README); a pinned revision needs no revision request
    hub.requests.length = 0;
    const all = await resolveSourceFiles(source(`hf://datasets/org/math@${SHA}`), "/", remote);
    expect(all.map((f) => f.rel.replace(`hf://datasets/org/math@${SHA}/`, ""))).toEqual([
      "big/all.parquet",
      "data/test-00000-of-00001.parquet",
      "data/train-00000-of-00002.parquet",
      "data/train-00001-of-00002.parquet",
      "jsonl/rows.jsonl.gz",
    ]);
    expect(hub.requests.some((r) => r.path.includes("/revision/"))).toBe(false);
    expect(await rollouts(files, remote)).toEqual([...Array.from({ length: 10 }, (_, i) => `r${i}`), ...Array.from({ length: 10 }, (_, i) => `r${i}`)]);
    await expect(resolveSourceFiles(source("hf://datasets/org/math/data/nope-*.parquet"), "/", remote)).rejects.toThrow(/matched no files/);
    await expect(resolveSourceFiles(source("hf://datasets/org/missing/x.parquet"), "/", remote)).rejects.toThrow(/HTTP 404/);
  });

  it("reads Parquet by range: the footer, then row group by row group, memory flat", async () => {
    const files = await resolveSourceFiles(source("hf://datasets/org/math/big/all.parquet"), "/", remote);
    const path = `/datasets/org/math/resolve/${SHA}/big/all.parquet`;
    const requests = () => hub.requests.filter((r) => r.path === path);
    const reset = () => {
      hub.requests.length = 0;
      hub.bytesOut.delete(path);
    };

    // stopping after the first rows: the footer and the first row group only (this also warms up
    // what the readers set up once, so that it does not count as growth below)
    reset();
    let k = 0;
    for await (const item of readSources(files, { maxRowBytes: 16 * MiB, remote })) if (item.kind === "rollout" && ++k === 5) break;
    expect(requests().length).toBe(2);
    expect(hub.bytesOut.get(path)!).toBeLessThan(big.length / 4);

    // the whole file: one request for the tail (footer), one per row group
    reset();
    // what stays reachable (after a full collection) in the middle of each row group
    const held = async () => {
      // twice, a turn apart: buffers' memory is given back after the collection that finds them dead
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = await held();
    const samples: number[] = [];
    let n = 0;
    for await (const item of readSources(files, { maxRowBytes: 16 * MiB, remote })) {
      if (item.kind === "rollout" && ++n % 40 === 20) samples.push((await held()) - before);
    }
    expect(n).toBe(480);
    expect(requests().every((r) => r.range !== undefined)).toBe(true);
    expect(requests().length).toBe(1 + 12);
    expect(hub.bytesOut.get(path)!).toBeLessThanOrEqual(big.length + 64 * 1024); // each byte once, the tail window twice at most
    // flat: the last groups hold no more than the first ones (generous slack), and far less than the file
    const peak = Math.max(...samples);
    expect(Math.max(...samples.slice(6))).toBeLessThan(Math.max(...samples.slice(0, 6)) + 6 * MiB);
    expect(peak).toBeLessThan(big.length / 2);

    // one column: only its chunks are fetched
    reset();
    const ids: unknown[] = [];
    for await (const row of readParquetRows(new RemoteBytes(files[0]!.remote!, hubTarget(remote), files[0]!.rel), { columns: ["id"] })) ids.push((row as { value?: Record<string, unknown> }).value?.id);
    expect(ids).toEqual(Array.from({ length: 480 }, (_, i) => `r${i}`));
    expect(hub.bytesOut.get(path)!).toBeLessThan(256 * 1024);
    const mib = (b: number) => (b / MiB).toFixed(1);
    console.log(`remote Parquet ${big.length} bytes, 12 row groups: 13 requests for all rows; retained per group (MiB): ${samples.map(mib).join(" ")}`);
  });

  it("applies the hostile-footer checks to a remote file, naming it", async () => {
    const bad = new Uint8Array(big.subarray(0, 4096));
    bad.set([0xff, 0xff, 0xff, 0x7f, 0x50, 0x41, 0x52, 0x31], bad.length - 8); // footer length 2 GB, then PAR1
    hub.addRepo("org/bad", { sha: SHA.replace(/1/g, "2"), files: { "x.parquet": bad } });
    const files = await resolveSourceFiles(source("hf://datasets/org/bad/x.parquet"), "/", remote);
    await expect(rollouts(files, remote)).rejects.toThrow(/hf:\/\/datasets\/org\/bad\/x\.parquet.*footer length/);
  });

  it("streams a JSONL.gz source by ranges", async () => {
    const files = await resolveSourceFiles(source("hf://datasets/org/math/jsonl/rows.jsonl.gz"), "/", remote);
    expect(files[0]!.format).toBe("jsonl.gz");
    hub.requests.length = 0;
    const ids = await rollouts(files, remote);
    expect(ids.length).toBe(3000);
    expect(ids[2999]).toBe("g2999");
    const got = hub.requests.filter((r) => r.path.endsWith("rows.jsonl.gz"));
    expect(got.length).toBe(1); // a small file: one range
    expect(got[0]!.range).toBe(`bytes=0-${gz.length - 1}`);
  });

  it("retries a 503 and a 429, then reads; gives up after the set tries", async () => {
    const files = await resolveSourceFiles(source("hf://datasets/org/math/data/test-*.parquet"), "/", remote);
    const path = `/datasets/org/math/resolve/${SHA}/data/test-00000-of-00001.parquet`;
    hub.on(path, { status: 503, times: 1 });
    hub.requests.length = 0;
    expect((await rollouts(files, remote)).length).toBe(3);
    expect(hub.count(path)).toBeGreaterThanOrEqual(2);
    hub.on(path, { status: 429, headers: { "retry-after": "0" }, times: 1 });
    expect((await rollouts(files, remote)).length).toBe(3);
    expect(hub.count(path)).toBeGreaterThanOrEqual(2);
    hub.on(path, { status: 503 });
    await expect(rollouts(files, { ...remote, limits: { retryBaseMs: 1, attempts: 2 } })).rejects.toThrow(/HTTP 503.*gave up after 2 tries/);
    hub.on(path, null);
  });

  it("sends the token to the Hub's origin only: never to the CDN it redirects to, nor to an https source elsewhere", async () => {
    hub.requests.length = 0;
    cdn.requests.length = 0;
    const files = await resolveSourceFiles(source("hf://datasets/org/lfs/data/*.jsonl"), "/", remote);
    expect(await rollouts(files, remote)).toEqual(["a0", "a1", "a2", "a3", "a4"]);
    expect(hub.requests.length).toBeGreaterThan(0);
    for (const r of hub.requests) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    expect(cdn.requests.length).toBeGreaterThan(0);
    for (const r of cdn.requests) expect(r.authorization).toBeUndefined();
    // an https source on another origin than HF_ENDPOINT
    cdn.serve("/plain/b.jsonl", Buffer.from(jsonl(2, "b")), { etag: '"b1"' });
    cdn.requests.length = 0;
    const other = await resolveSourceFiles(source(`${cdn.endpoint}/plain/b.jsonl`), "/", remote);
    expect(other[0]!.remote?.etag).toBe("b1");
    expect(await rollouts(other, remote)).toEqual(["b0", "b1"]);
    await expect(resolveSourceFiles(source(`${cdn.endpoint}/plain/*.jsonl`), "/", remote)).rejects.toThrow(/cannot be a glob/);
    for (const r of cdn.requests) expect(r.authorization).toBeUndefined();
  });

  it("refuses a file whose etag changed since it was listed, naming it", async () => {
    cdn.serve("/plain/c.jsonl", Buffer.from(jsonl(2, "c")), { etag: '"c1"' });
    const files = await resolveSourceFiles(source(`${cdn.endpoint}/plain/c.jsonl`), "/", remote);
    cdn.serve("/plain/c.jsonl", Buffer.from(jsonl(2, "d")), { etag: '"c2"' });
    const bytes = new RemoteBytes(files[0]!.remote!, hubTarget(remote), files[0]!.rel);
    await expect(bytes.read(0, 4)).rejects.toThrow(RemoteChangedError);
    await expect(bytes.read(0, 4)).rejects.toThrow(/plain\/c\.jsonl: the file on the server changed: its etag was c1, the server now says c2/);
  });
});

describe("remote sources in a run", () => {
  it("pins the revision in the manifest; --refilter refuses an input whose etag changed", async () => {
    const hub = await startFakeHub();
    try {
      const rows = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"));
      const head = Buffer.from(rows.toString("utf8").split("\n").slice(0, 40).join("\n") + "\n");
      hub.addRepo("org/samples", { sha: SHA, files: { "data/rollouts.jsonl": head } });
      const quick = JSON.parse(readFileSync(join(repoRoot, "pipelines", "quickstart.json"), "utf8"));
      const mix = { ...quick, name: "remote", sources: [{ ...quick.sources[0], path: "hf://datasets/org/samples/data/*.jsonl" }] };
      delete mix.outputs;
      delete mix.annotate?.decontaminate;
      const d = tempDir();
      writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
      const env = { HF_ENDPOINT: hub.endpoint, HF_TOKEN: "" };
      const out = join(d, "out");
      const first = await startCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--workers", "0"], { env }).exit;
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
      expect(manifest.inputs).toEqual([
        expect.objectContaining({
          file: "hf://datasets/org/samples/data/rollouts.jsonl",
          bytes: head.length,
          url: `${hub.endpoint}/datasets/org/samples/resolve/${SHA}/data/rollouts.jsonl`,
          revision: SHA,
          etag: expect.stringMatching(/^[0-9a-f]{64}$/),
          rows: 40,
        }),
      ]);
      // the same commit now serves other bytes (a server that rewrote the file)
      const changed = Buffer.from(head.toString("utf8").replace(/"sample-0000"/, '"sample-XXXX"'));
      hub.serve(`/datasets/org/samples/resolve/${SHA}/data/rollouts.jsonl`, changed, { etag: '"rewritten"' });
      // a changed filter: the write step runs again and re-reads the input for the response texts
      writeFileSync(join(d, "mix.json"), JSON.stringify({ ...mix, filters: { ...mix.filters, maxResponseTokens: 5000 } }));
      const again = await startCli(["run", join(d, "mix.json"), "--out", out, "--quiet", "--workers", "0", "--refilter"], { env }).exit;
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/hf:\/\/datasets\/org\/samples\/data\/rollouts\.jsonl.*input changed since it was annotated.*etag/);
    } finally {
      await hub.close();
    }
  }, 120_000);
});
