/**
 * Every Apache parquet-testing file is read with the row count its footer (INDEX.json) states, or —
 * for the malformed ones under bad_data/ and the one whose values exceed JavaScript's string limit —
 * refused with an error that says where (footer / row group) and why.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readParquetRows } from "../../src/io/parquet-read.js";
import { sharedData } from "../helpers/cli.js";

const dir = join(sharedData, "parquet-testing");
const present = existsSync(join(dir, "INDEX.json"));
if (!present) console.warn(`skipping parquet-testing suite: ${dir} not found (../shared/data absent)`);

async function count(path: string): Promise<number> {
  let n = 0;
  for await (const _ of readParquetRows(path)) n++;
  return n;
}

// footer num_rows is 0 but its row group holds 6 rows (parquet-rs 0.3 quirk): we read the row groups
const ROWS_OVERRIDE: Record<string, number> = { "repeated_no_annotation.parquet": 6 };

// files the reader refuses, with the reason (checked below to fail clearly, not to crash or hang)
const REFUSED: Record<string, RegExp> = {
  "nation.dict-malformed.parquet": /row group 0/,
};

// read with the row cap runs use (16 MiB): a 4 KB brotli file whose 2 rows are 1 GB strings each
// gives 2 too-large rows with their sizes, without decompressing the gigabytes
const CAPPED: Record<string, string[]> = {
  "large_string_map.brotli.parquet": ["0:input:row_too_large:1,073,741,828", "1:input:row_too_large:1,073,741,828"],
};

describe.skipIf(!present)("Apache parquet-testing files", () => {
  const index = present ? (JSON.parse(readFileSync(join(dir, "INDEX.json"), "utf8")) as { files: { file: string; rows: number; codecs: string[] }[] }) : { files: [] };

  it("covers every codec the issue names", () => {
    const codecs = new Set(index.files.flatMap((f) => f.codecs));
    for (const c of ["SNAPPY", "GZIP", "ZSTD", "BROTLI", "LZ4", "LZ4_RAW", "UNCOMPRESSED"]) expect(codecs).toContain(c);
  });

  for (const f of index.files) {
    it(`${f.file}: ${CAPPED[f.file] ? "too-large rows under the row cap" : REFUSED[f.file] ? "refused clearly" : `${f.rows} rows`} (${f.codecs.join(",")})`, async () => {
      const p = join(dir, f.file);
      if (CAPPED[f.file]) {
        const rows: string[] = [];
        for await (const r of readParquetRows(p, { maxRowBytes: 16 * 1024 * 1024 })) rows.push("error" in r ? `${r.row}:${r.reason}:${/row is ([\d,]+) bytes/.exec(r.error)?.[1]}` : `${r.row}:ok`);
        expect(rows).toEqual(CAPPED[f.file]);
      } else if (REFUSED[f.file]) {
        await expect(count(p)).rejects.toThrow(REFUSED[f.file]!);
      } else {
        expect(await count(p)).toBe(ROWS_OVERRIDE[f.file] ?? f.rows);
      }
    });
  }

  const bad = present ? readdirSync(join(dir, "bad_data")).filter((f) => f.endsWith(".parquet")) : [];
  for (const f of bad) {
    it(`bad_data/${f}: read fully or refused with footer/row-group context`, async () => {
      try {
        const n = await count(join(dir, "bad_data", f));
        expect(n).toBeGreaterThanOrEqual(0);
      } catch (e) {
        expect((e as Error).message).toMatch(/^(corrupt or truncated Parquet footer|cannot decode row group \d+ \(rows \d+–\d+\)|not a Parquet file)/);
      }
    });
  }

  it("zstd files read the same through the WASM decoder as through the JS one", async () => {
    const { initCompressors } = await import("../../src/io/parquet-write.js");
    const zstdFiles = index.files.filter((f) => f.codecs.includes("ZSTD") && !REFUSED[f.file]);
    expect(zstdFiles.length).toBeGreaterThan(0);
    const before = [];
    for (const f of zstdFiles) {
      const rows = [];
      for await (const r of readParquetRows(join(dir, f.file))) rows.push(r);
      before.push(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    }
    await initCompressors();
    for (let i = 0; i < zstdFiles.length; i++) {
      const rows = [];
      for await (const r of readParquetRows(join(dir, zstdFiles[i]!.file))) rows.push(r);
      expect(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toBe(before[i]);
    }
  });

  it("a truncated Parquet file is refused naming the footer", async () => {
    const { writeFileSync } = await import("node:fs");
    const { tempDir } = await import("../helpers/cli.js");
    const src = readFileSync(join(dir, "alltypes_plain.parquet"));
    const p = join(tempDir(), "cut.parquet");
    writeFileSync(p, src.subarray(0, Math.floor(src.length / 2)));
    await expect(count(p)).rejects.toThrow(/corrupt or truncated Parquet footer/);
    writeFileSync(p, src.subarray(0, 5));
    await expect(count(p)).rejects.toThrow(/not a Parquet file/);
  });
});
