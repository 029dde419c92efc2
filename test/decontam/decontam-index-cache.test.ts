/**
 * The benchmark index cache (src/decontam/index-cache.ts): a second build of the same index reads the
 * cached file (same bytes, same matches), other problems or options get another file, an unreadable
 * or damaged cache file (its SHA-256) is rebuilt and replaced, and `indexCache: false` writes nothing.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDecontaminationIndex } from "../../src/decontam/annotator.js";
import { indexCacheDir } from "../../src/decontam/index-cache.js";
import { ContaminationIndex } from "../../src/decontam/benchmark-index.js";
import { CUBIC, FARM, MARBLES } from "../helpers/decontam-problems.js";

const dir = mkdtempSync(join(tmpdir(), "curate-index-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bench = join(dir, "bench.jsonl");
writeFileSync(bench, [FARM, CUBIC, MARBLES].map((problem, i) => JSON.stringify({ id: `p${i}`, problem })).join("\n") + "\n");
const cfg = { benchmarks: [{ name: "mine", path: bench, idField: "id" }] };

describe("benchmark index cache", () => {
  it("builds once, then reads the cached index: same bytes, same matches", async () => {
    const cacheDir = join(dir, "a");
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    const built = await buildDecontaminationIndex(cfg, { cacheDir, log });
    const files = readdirSync(indexCacheDir(cacheDir));
    expect(files).toHaveLength(1);
    expect(logs.some((m) => m.includes("read from the cache"))).toBe(false);
    const read = await buildDecontaminationIndex(cfg, { cacheDir, log });
    expect(logs.filter((m) => m.includes("read from the cache"))).toHaveLength(1);
    expect(Buffer.compare(read.serialize(), built.serialize())).toBe(0);
    expect(read.match(FARM)).toEqual(built.match(FARM));
    expect(read.match(FARM).map((m) => m.method)).toEqual(["exact"]);
    // other options: another key, another file
    await buildDecontaminationIndex({ ...cfg, coverage: 0.9 }, { cacheDir });
    expect(readdirSync(indexCacheDir(cacheDir))).toHaveLength(2);
  });

  it("rebuilds and replaces an unreadable cache file", async () => {
    const cacheDir = join(dir, "b");
    const built = await buildDecontaminationIndex(cfg, { cacheDir });
    const [file] = readdirSync(indexCacheDir(cacheDir));
    writeFileSync(join(indexCacheDir(cacheDir), file!), "CURATE-DECONTAM-INDEX-1\nnot an index");
    const logs: string[] = [];
    const again = await buildDecontaminationIndex(cfg, { cacheDir, log: (m) => logs.push(m) });
    expect(logs.some((m) => m.includes("read from the cache"))).toBe(false);
    expect(Buffer.compare(again.serialize(), built.serialize())).toBe(0);
    const logs2: string[] = [];
    await buildDecontaminationIndex(cfg, { cacheDir, log: (m) => logs2.push(m) });
    expect(logs2.some((m) => m.includes("read from the cache"))).toBe(true);
    // one byte changed on disk in the arrays: caught by the file's SHA-256, rebuilt (it used to be read as it was)
    const path = join(indexCacheDir(cacheDir), file!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 9]! ^= 0x40;
    writeFileSync(path, bytes);
    expect(() => ContaminationIndex.deserialize(bytes, "x.idx")).toThrow(/x\.idx: damaged decontamination index \(its SHA-256 does not match/);
    const logs3: string[] = [];
    const third = await buildDecontaminationIndex(cfg, { cacheDir, log: (m) => logs3.push(m) });
    expect(logs3.some((m) => m.includes("read from the cache"))).toBe(false);
    expect(Buffer.compare(third.serialize(), built.serialize())).toBe(0);
    expect(Buffer.compare(readFileSync(path), built.serialize())).toBe(0);
  });

  it("writes nothing with indexCache: false; the folder follows XDG_CACHE_HOME", async () => {
    const cacheDir = join(dir, "c");
    await buildDecontaminationIndex(cfg, { cacheDir, indexCache: false });
    expect(() => readdirSync(indexCacheDir(cacheDir))).toThrow();
    expect(indexCacheDir(undefined, { XDG_CACHE_HOME: "/x/y" })).toBe(join("/x/y", "curate", "decontam-index"));
  });
});
