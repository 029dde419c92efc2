/**
 * Parquet inputs whose metadata lies (issue #18). Every hostile file is a real file written by
 * hyparquet-writer, then made to tell one lie by re-encoding its footer or one page header
 * (test/helpers/parquet-surgery.ts). Row group 0 of each is honest, row group 1 lies, so a run must
 * keep (or filter) the rows that decode and turn the lie into one record naming file, row group,
 * column and cause — never a V8 abort, never rows skipped or made up.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";
import { quickstartVariant, repoRoot, tempDir } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";
import { chunkStart, pageAt, pageOffsets, varint, withFooter, withPage, withPages } from "../helpers/parquet-surgery.js";
import { readParquetRows } from "../../src/io/parquet-read.js";
// the generators bench/faults.mjs runs too: `bytes` of text in 1 MiB pieces, and five rollouts whose
// row 3 response is `bytes` long (its page body replaced by the gzip of the real values, made in
// pieces, so neither the test nor the file holds the cell whole: 2.5 MB on disk for 400 MB)
import { bigCellFile, textPieces as text } from "../../bench/fault-inputs.mjs";
import { readSources, resolveSourceFiles } from "../../src/io/sources.js";
import { compressorsFor, initCompressors } from "../../src/io/parquet-write.js";

const MAX_RSS_MB = 600; // generous: the runs below peak near 150–250 MB
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

/** Run the CLI with a hard timeout; peak RSS from /usr/bin/time when the machine has it. */
function curate(args: string[], timeoutMs = 120_000) {
  const rssFile = join(tempDir("curate-rss-"), "rss");
  const cli = [join(repoRoot, "dist", "cli", "main.js"), ...args];
  const r = TIME
    ? spawnSync(TIME, ["-f", "%M", "-o", rssFile, process.execPath, ...cli], { encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, cli, { encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
  const rssMB = TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024 : null;
  return { code: r.status, signal: r.signal, stderr: r.stderr, rssMB };
}

interface Opts {
  codec?: "UNCOMPRESSED" | "SNAPPY" | "GZIP" | "BROTLI" | "ZSTD";
  rows?: number;
  rowGroupSize?: number;
  response?: (i: number) => string;
  problem?: (i: number) => string;
  answer?: (i: number) => string;
}

function codecOptions(codec: string) {
  if (codec === "GZIP") return { compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) } };
  if (codec === "BROTLI") return { compressors: { BROTLI: (b: Uint8Array) => new Uint8Array(brotliCompressSync(b)) } };
  if (codec === "ZSTD") return { compressors: compressorsFor("ZSTD") };
  return {};
}

/** Rollouts `tag-r<i>` in row groups of 3: row 1 of each group answers wrongly (a real filter drops it). */
function rollouts(tag: string, o: Opts = {}): Uint8Array {
  const n = o.rows ?? 6;
  const a = (i: number) => 17 * i + 3 * tag.length + 2;
  const b = (i: number) => 5 * i + tag.charCodeAt(0);
  const codec = o.codec ?? "UNCOMPRESSED";
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "id", data: Array.from({ length: n }, (_, i) => `${tag}-r${i}`), type: "STRING" },
      { name: "problem", data: Array.from({ length: n }, (_, i) => o.problem?.(i) ?? `In case ${tag}, a baker sells ${a(i)} rolls before noon and ${b(i)} after. How many rolls in all?`), type: "STRING" },
      { name: "response", data: Array.from({ length: n }, (_, i) => o.response?.(i) ?? `Adding ${a(i)} and ${b(i)} gives \\boxed{${a(i) + b(i) + (i % 3 === 1 ? 1 : 0)}}.`), type: "STRING" },
      { name: "answer", data: Array.from({ length: n }, (_, i) => o.answer?.(i) ?? String(a(i) + b(i))), type: "STRING", encoding: "RLE_DICTIONARY" },
    ],
    codec,
    ...codecOptions(codec),
    rowGroupSize: o.rowGroupSize ?? 3,
  }));
}

const ID = 0, RESPONSE = 2, ANSWER = 3; // column positions

/** The lies, each told by row group 1 (rows 4–6) of an otherwise good file, and how the refusal reads. */
const cases: { name: string; make: (tag: string) => Uint8Array; cause: RegExp }[] = [
  {
    name: "footer-2e31-rows",
    make: (tag) => withFooter(rollouts(tag), (m) => {
      m.row_groups[1]!.num_rows = 2n ** 31n;
      m.num_rows = 3n + 2n ** 31n;
    }),
    cause: /row group 1 \(rows 4–2147483651\): column id: pages hold 3 rows, the footer says 2,147,483,648/,
  },
  {
    name: "footer-2-of-3-rows",
    make: (tag) => withFooter(rollouts(tag), (m) => void (m.row_groups[1]!.num_rows = 2n)),
    cause: /row group 1 \(rows 4–5\): column id: pages hold 3 rows, the footer says 2/,
  },
  {
    name: "footer-5-of-3-rows",
    make: (tag) => withFooter(rollouts(tag), (m) => void (m.row_groups[1]!.num_rows = 5n)),
    cause: /row group 1 \(rows 4–8\): column id: pages hold 3 rows, the footer says 5/,
  },
  {
    name: "footer-counts-agree-on-2",
    make: (tag) => withFooter(rollouts(tag), (m) => {
      m.row_groups[1]!.num_rows = 2n;
      for (const c of m.row_groups[1]!.columns) c.meta_data!.num_values = 2n;
    }),
    cause: /row group 1 \(rows 4–5\): column id: pages hold 3 values, the footer says 2/,
  },
  {
    name: "chunk-past-file-end",
    make: (tag) => withFooter(rollouts(tag), (m) => void (m.row_groups[1]!.columns[RESPONSE]!.meta_data!.data_page_offset = 1_000_000n)),
    cause: /row group 1 \(rows 4–6\): column response: bytes 1,000,000–1,000,\d+ are not inside the file's data \(bytes 4–\d[\d,]*\)/,
  },
  {
    name: "page-2e31-values",
    make: (tag) => {
      const f = rollouts(tag);
      return withPage(f, chunkStart(f, 1, ID), (p) => {
        p.header.field_8.field_1 = 2 ** 31 - 1;
        return p;
      });
    },
    cause: /row group 1 \(rows 4–6\): column id, page 0 \(byte [\d,]+\): value count is 2147483647, not a count between 0 and 4,194,304/,
  },
  {
    name: "levels-run-2e30",
    // the definition levels hold one RLE run of 2^30 values in a page of 3: hyparquet alone fills 2^30 slots
    make: (tag) => {
      const f = rollouts(tag);
      return withPage(f, chunkStart(f, 1, ID), (p) => {
        const v2 = p.header.field_8;
        const run = [...varint(2 ** 31), 1];
        const body = new Uint8Array(run.length + p.body.length - v2.field_5);
        body.set(run);
        body.set(p.body.subarray(v2.field_5), run.length);
        p.header.field_2 += run.length - v2.field_5;
        p.header.field_3 += run.length - v2.field_5;
        v2.field_5 = run.length;
        return { header: p.header, body };
      });
    },
    cause: /row group 1 \(rows 4–6\): column id, page 0 \(byte [\d,]+\): definition levels: a run of 1,073,741,824 values overflows a page of 3/,
  },
  {
    name: "dictionary-too-small",
    make: (tag) => {
      const f = rollouts(tag);
      return withPage(f, chunkStart(f, 1, ANSWER), (p) => {
        p.header.field_7.field_1 = 1; // 3 entries written, 1 declared
        return p;
      });
    },
    cause: /row group 1 \(rows 4–6\): column answer, page 1 \(byte [\d,]+\): dictionary index [12] at value [12] is out of range: the dictionary holds 1 values/,
  },
  {
    name: "page-inflates-past-header",
    make: (tag) => {
      const f = rollouts(tag, { codec: "SNAPPY" });
      return withPage(f, chunkStart(f, 1, RESPONSE), (p) => {
        p.header.field_2 -= 5;
        return p;
      });
    },
    cause: /row group 1 \(rows 4–6\): column response, page 0 \(byte [\d,]+\): page decompresses to more than the \d+ bytes its header declares/,
  },
];

const fields = { id: "id", problem: "problem", response: "response", reference: "answer" };

/** Ids of the rollouts a run kept (its data/ shards; none when it kept nothing). */
async function keptIds(out: string): Promise<string[]> {
  if (!existsSync(join(out, "data")) || !readdirSync(join(out, "data")).some((f) => f.endsWith(".parquet"))) return [];
  return (await duck(`select id from read_parquet('${out}/data/*.parquet')`)).map((x) => String(x.id));
}

describe("Parquet inputs whose metadata lies", () => {
  const dir = tempDir("curate-pq-lies-");
  beforeAll(async () => {
    await initCompressors();
    mkdirSync(join(dir, "in"));
    for (const c of cases) writeFileSync(join(dir, "in", `${c.name}.parquet`), c.make(c.name));
  });

  // fail: the CLI's exit code, signal and memory are the same for every lie (the quarantine run below
  // reads every lying file in one process, its peak RSS under the cap), so one case runs the CLI and
  // the others ask the reader in-process for the error the CLI prints (a CLI start is ~1 CPU-s)
  it(`fail: ${cases[0]!.name} stops the run naming file, row group, column and cause, in bounded memory (CLI)`, () => {
    const c = cases[0]!;
    const mix = join(dir, `fail-${c.name}.json`);
    writeFileSync(mix, JSON.stringify({ name: "h", sources: [{ name: "pq", path: join(dir, "in", `${c.name}.parquet`), onError: "fail", fields }] }));
    const r = curate(["run", mix, "--out", join(dir, `out-fail-${c.name}`), "--quiet", "--workers", "0"]);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${c.name}\\.parquet: cannot decode ${c.cause.source}`));
    if (r.rssMB !== null) expect(r.rssMB).toBeLessThan(MAX_RSS_MB);
  }, 150_000);

  for (const c of cases.slice(1)) {
    it(`fail: ${c.name} stops the read naming file, row group, column and cause`, async () => {
      const [file] = await resolveSourceFiles({ name: "pq", path: join(dir, "in", `${c.name}.parquet`), onError: "fail", fields }, dir);
      const read = async () => {
        for await (const _ of readSources([file!], { maxRowBytes: 16 << 20 }));
      };
      await expect(read()).rejects.toThrow(new RegExp(`${c.name}\\.parquet: cannot decode ${c.cause.source}`));
    });
  }

  it("quarantine: rows that decode are kept or filtered, each lying row group is one record with its cause", async () => {
    const mix = join(dir, "quarantine.json");
    writeFileSync(mix, JSON.stringify(quickstartVariant("hostile", { name: "pq", path: join(dir, "in", "*.parquet"), onError: "quarantine", fields })));
    const out = join(dir, "out-q");
    const r = curate(["run", mix, "--out", out, "--quiet", "--workers", "0"]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const counts = m.counts.bySource.pq;
    expect(counts.in).toBe(counts.kept + counts.dropped);
    expect(counts.in).toBe(cases.length * 4); // 3 honest rows and 1 record per file
    expect(m.counts.byReason["input:unreadable_file"]).toBe(cases.length);
    const rejected = await duck(`select id, file, reason, detail from read_parquet('${out}/rejected/*.parquet')`);
    const kept = await keptIds(out);
    expect(kept.length).toBe(counts.kept);
    expect(kept.length).toBeGreaterThan(0);
    for (const c of cases) {
      const records = rejected.filter((x) => x.file === `in/${c.name}.parquet` && String(x.reason).startsWith("input:"));
      expect(records.map((x) => x.reason), c.name).toEqual(["input:unreadable_file"]);
      expect(records[0]!.detail, c.name).toMatch(new RegExp(`^cannot decode ${c.cause.source}`));
      // the honest row group: every row kept or dropped by a filter; nothing of the lying one
      const seen = new Set([...kept, ...rejected.filter((x) => !String(x.reason).startsWith("input:")).map((x) => x.id)]);
      for (const i of [0, 1, 2]) expect(seen.has(`${c.name}-r${i}`), `${c.name}-r${i}`).toBe(true);
      for (const i of [3, 4, 5]) expect(seen.has(`${c.name}-r${i}`), `${c.name}-r${i}`).toBe(false);
    }
    const timings = JSON.parse(readFileSync(join(out, "timings.json"), "utf8"));
    expect(timings.peakRssMB).toBeLessThan(MAX_RSS_MB);
    if (r.rssMB !== null) expect(r.rssMB).toBeLessThan(MAX_RSS_MB); // every lie read in bounded memory
  }, 300_000);
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

describe("a 400 MB cell", () => {
  const dir = tempDir("curate-pq-big-");
  const path = join(dir, "big.parquet");
  const cell = 400_000_000;
  beforeAll(async () => {
    const file = await bigCellFile("big", cell);
    expect(pageAt(file, chunkStart(file, 0, RESPONSE)).header.field_1).toBe(3); // one DATA_PAGE_V2 holds the column
    writeFileSync(path, file);
  }, 120_000);

  it("quarantine: is one row_too_large record with a snippet, the other rows go on, memory stays small", async () => {
    const mix = join(dir, "q.json");
    writeFileSync(mix, JSON.stringify(quickstartVariant("big", { name: "pq", path, onError: "quarantine", fields })));
    const out = join(dir, "out-q");
    const r = curate(["run", mix, "--out", out, "--quiet", "--workers", "0"], 240_000);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(m.counts.bySource.pq.in).toBe(5);
    expect(m.counts.byReason["input:row_too_large"]).toBe(1);
    const rejected = await duck(`select id, row::INTEGER as row, reason, detail, raw from read_parquet('${out}/rejected/*.parquet')`);
    const big = rejected.filter((x) => x.reason === "input:row_too_large");
    expect(big.map((x) => x.row)).toEqual([2]);
    expect(big[0]!.detail).toMatch(/^row is 400,000,\d{3} bytes, over the 16,777,216-byte limit \(maxRowBytes\)$/);
    const raw = String(big[0]!.raw);
    expect(raw.length).toBeLessThanOrEqual(65536);
    expect(raw).toContain('"id":"big-r2"');
    expect(raw).toContain("big thinks step by step");
    const kept = await keptIds(out);
    expect(kept.length).toBe(m.counts.bySource.pq.kept);
    expect(kept.length).toBeGreaterThan(0);
    const seen = new Set([...kept, ...rejected.filter((x) => x.reason !== "input:row_too_large").map((x) => x.id)]);
    expect([...seen].sort()).toEqual(["big-r0", "big-r1", "big-r3", "big-r4"]);
    const timings = JSON.parse(readFileSync(join(out, "timings.json"), "utf8"));
    expect(timings.peakRssMB).toBeLessThan(MAX_RSS_MB);
    if (r.rssMB !== null) expect(r.rssMB).toBeLessThan(MAX_RSS_MB);
  }, 300_000);

  it("fail: stops naming file, row and size, in bounded memory", () => {
    const mix = join(dir, "f.json");
    writeFileSync(mix, JSON.stringify({ name: "big", sources: [{ name: "pq", path, onError: "fail", fields }] }));
    const r = curate(["run", mix, "--out", join(dir, "out-f"), "--quiet", "--workers", "0"], 240_000);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/big\.parquet, row 3: row is 400,000,\d{3} bytes, over the 16,777,216-byte limit \(maxRowBytes\)/);
    if (r.rssMB !== null) expect(r.rssMB).toBeLessThan(MAX_RSS_MB);
  }, 300_000);
});

async function read(file: Uint8Array, maxRowBytes?: number) {
  const p = join(tempDir("curate-pq-read-"), "f.parquet");
  writeFileSync(p, file);
  const rows = [];
  for await (const r of readParquetRows(p, { maxRowBytes })) rows.push(r);
  return rows;
}

const MiB = 1 << 20;
const CODECS = ["UNCOMPRESSED", "SNAPPY", "GZIP", "BROTLI", "ZSTD"] as const;

describe("the reader holds every codec to the page header", () => {
  beforeAll(() => initCompressors());

  for (const codec of CODECS) {
    it(`${codec}: a page that inflates to more, or to less, than its header declares is refused`, async () => {
      const f = rollouts(codec, { codec, rows: 3 });
      const at = chunkStart(f, 0, RESPONSE);
      for (const [delta, says] of [[-1, "more than the \\d+"], [1, "only \\d+ of the \\d+"]] as const) {
        const lying = withPage(f, at, (p) => {
          p.header.field_2 += delta;
          return p;
        });
        await expect(read(lying), `${codec} ${delta}`).rejects.toThrow(new RegExp(`^cannot decode row group 0 \\(rows 1–3\\): column response, page 0 \\(byte [\\d,]+\\): page decompresses to ${says} bytes its header declares`));
      }
      expect((await read(f)).length).toBe(3);
    });

    it(`${codec}: a page too big to hold is read in pieces; a value over the cap becomes a too-large row`, async () => {
      // cap 1 MiB: pages over 4 MiB are read in pieces; row 2 holds a 6 MB response, row 4 one of 900 kB
      const long = (n: number, seed: string) => Buffer.concat([...text(n, seed)]).toString();
      const responses = ["short \\boxed{1}", long(6_000_000, "six"), "short \\boxed{3}", long(900_000, "nine"), "short \\boxed{5}"];
      const f = rollouts(codec, { codec, rows: 5, rowGroupSize: 5, response: (i) => responses[i]! });
      const rows = await read(f, MiB);
      expect(rows.map((r) => r.row)).toEqual([0, 1, 2, 3, 4]);
      const bad = rows[1]!;
      expect("error" in bad && bad.reason).toBe("input:row_too_large");
      if (!("error" in bad)) return;
      expect(bad.error).toMatch(/^row is 6,000,\d{3} bytes, over the 1,048,576-byte limit \(maxRowBytes\)$/);
      expect(bad.raw.length).toBeLessThanOrEqual(65536);
      expect(bad.raw).toContain('"id":"' + codec + '-r1"');
      expect(bad.raw).toContain("six thinks step by step");
      for (const i of [0, 2, 3, 4]) {
        const r = rows[i]!;
        expect("value" in r && (r.value as Record<string, unknown>).response).toBe(responses[i]);
      }
    });
  }

  it("a dictionary entry over the cap makes every row that uses it too large, read in pieces", async () => {
    const huge = Buffer.concat([...text(5_000_000, "dict")]).toString();
    const f = new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: "id", data: ["d0", "d1", "d2", "d3"], type: "STRING" },
        { name: "label", data: ["a", huge, "a", huge], type: "STRING", encoding: "RLE_DICTIONARY" },
      ],
      codec: "SNAPPY",
    }));
    expect(pageAt(f, chunkStart(f, 0, 1)).header.field_1).toBe(2); // a DICTIONARY_PAGE of 5 MB
    const rows = await read(f, MiB);
    expect(rows.map((r) => ("error" in r ? `${r.row}:${r.reason}` : `${r.row}:${(r.value as { label: string }).label}`))).toEqual(["0:a", "1:input:row_too_large", "2:a", "3:input:row_too_large"]);
  });

  it("a row over the cap made of values under it is a too-large row; exactly at the cap it is kept", async () => {
    const half = Buffer.concat([...text(600_000, "half")]).toString();
    const f = rollouts("sum", { rows: 3, problem: (i) => (i === 1 ? half : "p"), response: (i) => (i === 1 ? half : "r") });
    const rows = await read(f, MiB);
    expect(rows.map((r) => ("error" in r ? r.reason : "ok"))).toEqual(["ok", "input:row_too_large", "ok"]);
    const bad = rows[1]!;
    if ("error" in bad) expect(bad.error).toMatch(/^row is 1,200,0\d\d bytes/);
    const exact = await read(f, ("error" in bad ? bad.bytes : 0));
    expect(exact.map((r) => ("error" in r ? r.reason : "ok"))).toEqual(["ok", "ok", "ok"]);
  });

  it("a page whose compressed size runs past its column chunk is refused naming both", async () => {
    const f = rollouts("past", { rows: 3 });
    const lying = withPage(f, chunkStart(f, 0, ID), (p) => {
      p.header.field_3 += 1000;
      return p;
    });
    await expect(read(lying)).rejects.toThrow(/^cannot decode row group 0 \(rows 1–3\): column id, page 0 \(byte 4\): page of 1,0\d\d bytes runs past the column chunk's end at byte \d+/);
  });

  it("in-pieces pages are held to their header too", async () => {
    const f = rollouts("gz", { codec: "GZIP", rows: 3, rowGroupSize: 3, response: (i) => (i === 1 ? Buffer.concat([...text(5_000_000, "gz")]).toString() : "r") });
    const big = pageOffsets(f, 0, RESPONSE).find((at) => pageAt(f, at).header.field_2 > 4 * MiB)!;
    for (const [delta, says] of [[-1, "more than the"], [1, "only [\\d,]+ of the"]] as const) {
      const lying = withPage(f, big, (p) => {
        p.header.field_2 += delta;
        return p;
      });
      await expect(read(lying, MiB)).rejects.toThrow(new RegExp(`column response, page \\d \\(byte [\\d,]+\\): page decompresses to ${says} [\\d,]+ bytes its header declares`));
    }
  });
});

describe("rows that go on into the next page", () => {
  /** A v1 page of a list<int32> column: levels as one-value RLE runs, values plain. */
  function v1Page(rep: number[], def: number[], values: number[]) {
    const runs = (levels: number[]) => Buffer.from(levels.flatMap((l) => [2, l]));
    const ints = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => ints.writeInt32LE(v, 4 * i));
    const body = Buffer.concat([u32(2 * rep.length), runs(rep), u32(2 * def.length), runs(def), ints]);
    return { header: { field_1: 0, field_2: body.length, field_3: body.length, field_5: { field_1: rep.length, field_2: 0, field_3: 3, field_4: 3 } }, body: new Uint8Array(body) };
  }
  const schema = [
    { name: "root", num_children: 2 },
    { name: "id", type: "BYTE_ARRAY" as const, converted_type: "UTF8" as const, repetition_type: "REQUIRED" as const },
    { name: "xs", repetition_type: "OPTIONAL" as const, converted_type: "LIST" as const, num_children: 1 },
    { name: "list", repetition_type: "REPEATED" as const, num_children: 1 },
    { name: "element", type: "INT32" as const, repetition_type: "REQUIRED" as const },
  ];
  const file = new Uint8Array(parquetWriteBuffer({ schema, columnData: [{ name: "id", data: ["a", "b", "c"] }, { name: "xs", data: [[1, 2], [3, 4, 5], [6]] }], codec: "UNCOMPRESSED" }));
  // [[1,2],[3,4,5],[6]] with row "b" split after 4: levels rep 0,1,0,1 | 1,0, def 2 throughout
  const split = (second: { rep: number[]; values: number[] }) => withPages(file, chunkStart(file, 0, 1), () => [v1Page([0, 1, 0, 1], [2, 2, 2, 2], [1, 2, 3, 4]), v1Page(second.rep, second.rep.map(() => 2), second.values)]);

  it("a list split across two pages is read whole", async () => {
    const rows = await read(split({ rep: [1, 0], values: [5, 6] }));
    expect(rows.map((r) => ("value" in r ? r.value : r))).toEqual([{ id: "a", xs: [1, 2] }, { id: "b", xs: [3, 4, 5] }, { id: "c", xs: [6] }]);
  });

  it("a page that ends the row group one row short is refused, not read as fewer rows", async () => {
    // the footer still says 3 rows and 6 values; the second page holds only the end of row "b" and a 7th value
    await expect(read(split({ rep: [1, 1], values: [5, 6] }))).rejects.toThrow(/^cannot decode row group 0 \(rows 1–3\): column xs\.list\.element ends after 2 rows, column id holds more/);
  });
});
