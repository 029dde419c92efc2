/**
 * Units (src/io/units.ts): a large plain JSONL file is cut into byte ranges read from the first line
 * start at or after each cut, a large Parquet file into runs of row groups. Whatever the cuts, every
 * line is read by exactly one unit, with the row number and id it has in the whole file; the same
 * over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { readJsonl, type RawRow } from "../../src/io/jsonl.js";
import { readSources, resolveSourceFiles, SourceError, type SourceFile, type SourceItem } from "../../src/io/sources.js";
import { byteRanges, countLineStarts, planUnits, rowGroupRanges, type Unit } from "../../src/io/units.js";
import type { SourceConfig } from "../../src/config/types.js";
import { startFakeHub, type FakeHub } from "../helpers/hub-server.js";
import { tempDir } from "../helpers/cli.js";

const source = (path: string, extra: Partial<SourceConfig> = {}): SourceConfig => ({ name: "s", path, fields: { problem: "problem", response: "response" }, ...extra });

/** Rows of a JSONL file as one stream, without the byte offsets (which `start` may change nothing of). */
async function jsonlRows(path: string, opts: Partial<Parameters<typeof readJsonl>[1]> = {}): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const r of readJsonl(path, { gzip: false, maxLineBytes: 64, ...opts })) out.push(r);
  return out;
}

/** Every unit of `files` read on its own (JSONL pieces given the row their lines start at, as annotate does). */
async function readUnits(units: Unit[], remote = {}): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  let rowBase = 0;
  for (const { file } of units) {
    const range = file.range;
    const f: SourceFile = range?.kind === "bytes" ? { ...file, range: { ...range, rowBase } } : file;
    let lines = -1;
    for await (const item of readSources([f], { maxRowBytes: 1 << 20, remote, onLines: (n) => (lines = n) })) out.push(item);
    if (range?.kind === "bytes") {
      // the lines a reader went through are the lines counted without reading
      expect(lines).toBe(await countLineStarts(file, range.from, range.to, remote));
      rowBase += lines;
    }
  }
  return out;
}

async function readWhole(files: SourceFile[], remote = {}): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readSources(files, { maxRowBytes: 1 << 20, remote })) out.push(item);
  return out;
}

/** what a row is, whichever unit read it (ordinals are per read and set globally later) */
const what = (i: SourceItem) => (i.kind === "rollout" ? `${i.rollout.id} row ${i.rollout.row} ${i.rollout.response}` : `bad ${i.bad.row} ${i.bad.reason}`);

describe("units", () => {
  const dir = tempDir("curate-units-");

  it("cuts: byte ranges of unitBytes, runs of row groups of at least unitBytes", () => {
    expect(byteRanges(10, 4)).toEqual([
      { kind: "bytes", from: 0, to: 4 },
      { kind: "bytes", from: 4, to: 8 },
      { kind: "bytes", from: 8, to: 10 },
    ]);
    expect(rowGroupRanges([3, 3, 3, 1, 5], 5)).toEqual([
      { kind: "rowGroups", from: 0, to: 2 },
      { kind: "rowGroups", from: 2, to: 5 },
    ]);
    expect(rowGroupRanges([9], 5)).toEqual([{ kind: "rowGroups", from: 0, to: 1 }]);
  });

  it("a JSONL file read as byte ranges gives every line once, with its file row, for every cut position", async () => {
    // blank lines, CRLF, a line over the row limit (64 bytes here), no final newline: each cut lands
    // on a line start, inside a line, on a newline or just after one for some unit size
    const text = ['{"a":0}', "", '{"a":1}\r', "  ", `{"a":"${"x".repeat(80)}"}`, '{"a":2}', "", "", '{"a":3,"b":"é"}', "{bad", '{"a":4}'].join("\n");
    const p = join(dir, "cuts.jsonl");
    writeFileSync(p, text);
    const whole = await jsonlRows(p);
    expect(whole.map((r) => r.row)).toEqual([0, 2, 4, 5, 8, 9, 10]);
    const file = { path: p, rel: "cuts.jsonl" } as SourceFile;
    const size = Buffer.byteLength(text);
    for (let unitBytes = 1; unitBytes <= size; unitBytes++) {
      const got: RawRow[] = [];
      let rowBase = 0;
      for (const r of byteRanges(size, unitBytes)) {
        if (r.kind !== "bytes") throw new Error("byte ranges only");
        let lines = -1;
        got.push(...(await jsonlRows(p, { start: { byte: r.from, row: rowBase }, align: true, end: r.to, onLines: (n) => (lines = n) })));
        expect(lines, `unit size ${unitBytes}, range ${r.from}–${r.to}`).toBe(await countLineStarts(file, r.from, r.to));
        rowBase += lines;
      }
      expect(got, `unit size ${unitBytes}`).toEqual(whole);
    }
  });

  it("a piece inside a long line reads no line and stops at its end, not at the line's", async () => {
    const p = join(dir, "long.jsonl");
    writeFileSync(p, `{"a":"${"x".repeat(8 << 20)}"}\n{"a":1}\n`);
    let read = 0;
    let lines = -1;
    const rows = await jsonlRows(p, { start: { byte: 2 << 20, row: 1 }, align: true, end: 3 << 20, onBytes: (n) => (read += n), onLines: (n) => (lines = n) });
    expect(rows).toEqual([]);
    expect(lines).toBe(0);
    expect(read).toBeLessThanOrEqual(2 << 20); // 1 MiB stream chunks: at most one past the piece
    expect(await countLineStarts({ path: p } as SourceFile, 2 << 20, 3 << 20)).toBe(0);
  });

  it("small files, gzip, JSON arrays and sources with a limit stay one unit; a large JSONL or Parquet file makes several", async () => {
    const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ problem: `P${i % 7}`, response: `R${i} ${"y".repeat(i % 50)} \\boxed{${i}}` })).join("\n") + "\n";
    writeFileSync(join(dir, "big.jsonl"), lines);
    writeFileSync(join(dir, "big.jsonl.gz"), gzipSync(lines));
    writeFileSync(join(dir, "big.json"), JSON.stringify(lines.trim().split("\n").map((l) => JSON.parse(l))));
    writeFileSync(join(dir, "small.jsonl"), lines.slice(0, 1000));
    const files: SourceFile[] = [];
    for (const name of ["big.jsonl", "big.jsonl.gz", "big.json", "small.jsonl"]) files.push(...(await resolveSourceFiles(source(name), dir)));
    files.push(...(await resolveSourceFiles(source("big.jsonl", { name: "limited", limit: 1000 }), dir)));
    const size = Buffer.byteLength(lines); // 30,5xx bytes
    const units = await planUnits(files, 8192);
    expect(units.map((u) => `${u.unit} ${u.file.rel}${u.file.range ? ` ${u.file.range.from}-${u.file.range.to}` : ""}`)).toEqual([
      "0 big.jsonl 0-8192",
      "1 big.jsonl 8192-16384",
      "2 big.jsonl 16384-24576",
      `3 big.jsonl 24576-${size}`,
      "4 big.jsonl.gz",
      "5 big.json",
      "6 small.jsonl",
      "7 big.jsonl",
    ]);
    // a unit size that would make more units than names: refused before any range is made
    await expect(planUnits([{ ...files[0]!, bytes: 50e9 }], 1)).rejects.toThrow(/unitBytes 1 cuts the input into more than 100,000 units \(by big\.jsonl, 50,000,000,000 bytes\); set a larger unitBytes/);
    // the default unit size: one unit per file, as before units were cut
    expect((await planUnits(files)).map((u) => u.file.range)).toEqual(files.map(() => undefined));
    // the four pieces read the rows (ids from file rows) that the whole file gives
    expect((await readUnits(units.slice(0, 4))).map(what)).toEqual((await readWhole(files.slice(0, 1))).map(what));
  });

  it("a Parquet file of several row groups is cut into runs of them; rows keep their file row numbers", async () => {
    const n = 120;
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "problem", data: Array.from({ length: n }, (_, i) => `P${i}`), type: "STRING" },
        { name: "response", data: Array.from({ length: n }, (_, i) => `R${i} ${"z".repeat(200 + i)}`), type: "STRING" },
      ],
      rowGroupSize: 10,
      codec: "UNCOMPRESSED",
    });
    writeFileSync(join(dir, "groups.parquet"), new Uint8Array(buf));
    const files = await resolveSourceFiles(source("groups.parquet"), dir);
    const units = await planUnits(files, 9000); // a row group is ~3-5 KB: two or three per unit
    expect(units.length).toBeGreaterThanOrEqual(4);
    expect(units.map((u) => u.file.range?.kind)).toEqual(units.map(() => "rowGroups"));
    expect(units.at(-1)!.file.range!.to).toBe(12);
    const got = await readUnits(units);
    expect(got.map(what)).toEqual((await readWhole(files)).map(what));
    expect(got.map((i) => (i.kind === "rollout" ? i.rollout.row : -1))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("a bad row in the third unit is named by its line in the file", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ problem: `P${i}`, response: `R${i} \\boxed{${i}}` }));
    lines[250] = '{"problem": "P250", "response": ';
    writeFileSync(join(dir, "bad.jsonl"), lines.join("\n") + "\n");
    const [file] = await resolveSourceFiles(source("bad.jsonl"), dir);
    const units = await planUnits([file!], 5000); // ~45 bytes a line: line 251 is in the third unit
    const third = units[2]!.file.range!;
    expect(third.kind).toBe("bytes");
    const offset = Buffer.byteLength(lines.slice(0, 250).join("\n") + "\n");
    expect(third.from <= offset && offset < third.to).toBe(true);
    const err = await readUnits(units).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).message).toMatch(/^bad\.jsonl, row 251: /);
    // quarantined: the bad row's record names line 251 too
    const [q] = await resolveSourceFiles(source("bad.jsonl", { onError: "quarantine" }), dir);
    const bad = (await readUnits(await planUnits([q!], 5000))).filter((i) => i.kind === "bad");
    expect(bad.map((i) => i.kind === "bad" && i.bad.row + 1)).toEqual([251]);
  });

  describe("over HTTP", () => {
    let hub: FakeHub;
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ problem: `P${i}`, response: `R${i} ${"w".repeat(i % 40)}` })).join("\n") + "\n";
    beforeAll(async () => {
      hub = await startFakeHub();
      hub.addRepo("org/one", { sha: "0123456789abcdef0123456789abcdef01234567", files: { "all.jsonl": Buffer.from(lines) } });
    });
    afterAll(async () => {
      await hub?.close();
    });

    it("a remote JSONL file is cut and read by byte ranges like a local one", async () => {
      const remote = { endpoint: hub.endpoint, limits: { retryBaseMs: 1 } };
      const files = await resolveSourceFiles(source("hf://datasets/org/one/all.jsonl"), "/", remote);
      const units = await planUnits(files, 4096, remote);
      expect(units.length).toBe(Math.ceil(Buffer.byteLength(lines) / 4096));
      hub.requests.length = 0;
      const got = await readUnits(units, remote);
      expect(got.map(what)).toEqual((await readWhole(files, remote)).map(what));
      expect(got).toHaveLength(500);
      // the pieces were read with Range requests, not the whole file each time
      expect(hub.requests.some((r) => /^bytes=[1-9]/.test(r.range ?? ""))).toBe(true);
    });
  });
});
