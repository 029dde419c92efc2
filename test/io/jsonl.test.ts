import { describe, expect, it } from "vitest";
import { writeFileSync, createWriteStream } from "node:fs";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { join } from "node:path";
import { readJsonl, type RawRow } from "../../src/io/jsonl.js";
import { tempDir } from "../helpers/cli.js";

async function all(path: string, opts: Partial<Parameters<typeof readJsonl>[1]> = {}): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const r of readJsonl(path, { gzip: false, maxLineBytes: 1 << 20, ...opts })) out.push(r);
  return out;
}

describe("readJsonl", () => {
  const dir = tempDir();

  it("names UTF-16 as the likely cause of a UTF-16 file's bad rows (either byte order), and says how to convert it", async () => {
    const text = '{"a":1}\n{"a":2}\n';
    const le = join(dir, "utf16le.jsonl");
    writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    const be = join(dir, "utf16be.jsonl");
    writeFileSync(be, Buffer.from(Buffer.from(text, "utf16le").map((_, i, b) => b[i ^ 1]!)));
    for (const p of [le, be]) {
      const [first] = await all(p);
      expect(first && "error" in first && first.error, p).toMatch(/the bytes look like UTF-16 .*iconv -f UTF-16 -t UTF-8/);
    }
    // a plain bad row gets no such hint
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"a":\n');
    const [row] = await all(bad);
    expect(row && "error" in row && row.error).toMatch(/malformed JSON/);
    expect(row && "error" in row && row.error).not.toMatch(/UTF-16/);
  });

  it("reads rows, skips blank lines, handles CRLF and a missing final newline", async () => {
    const p = join(dir, "a.jsonl");
    writeFileSync(p, '{"a":1}\r\n\n  \n{"a":2}\n{"a":3}');
    const rows = await all(p);
    expect(rows.map((r) => ("value" in r ? (r.value as { a: number }).a : -1))).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.row)).toEqual([0, 3, 4]); // line numbers (0-based) survive blank lines
  });

  it("reports each line's byte offset, and starting at one gives the same rows from there (chunk boundaries included)", async () => {
    const p = join(dir, "offsets.jsonl");
    const lines = ['{"a":"é"}\r', "", "  ", ...Array.from({ length: 3000 }, (_, i) => JSON.stringify({ a: i, pad: "x".repeat(i % 997) }))];
    writeFileSync(p, lines.join("\n") + "\n");
    const text = Buffer.from(lines.join("\n") + "\n");
    const rows = await all(p);
    expect(rows).toHaveLength(3001);
    for (const r of rows) {
      expect(text.subarray(r.offset!, r.offset! + 4).toString()).toBe('{"a"');
      expect(r.offset === 0 || text[r.offset! - 1] === 0x0a).toBe(true);
    }
    for (const k of [1, 1500, 3000]) {
      const from = await all(p, { start: { byte: rows[k]!.offset!, row: rows[k]!.row } });
      expect(from).toEqual(rows.slice(k));
    }
  });

  it("reports malformed JSON with its row and keeps going", async () => {
    const p = join(dir, "b.jsonl");
    writeFileSync(p, '{"a":1}\n{"a":\n{"a":3}\n');
    const rows = await all(p);
    expect(rows).toHaveLength(3);
    expect("error" in rows[1]! && rows[1].error).toMatch(/malformed JSON/);
    expect(rows[1]!.row).toBe(1);
  });

  it("reports invalid UTF-8 per row", async () => {
    const p = join(dir, "c.jsonl");
    writeFileSync(p, Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n{"a":"é"}\n')]));
    const rows = await all(p);
    expect(rows).toHaveLength(3);
    expect("error" in rows[1]! && rows[1].error).toMatch(/invalid UTF-8/);
    expect("value" in rows[2]! && rows[2].value).toEqual({ a: "é" });
  });

  it("reads gzip; a truncated gzip stream gives every complete row, then one error row for the tail", async () => {
    const p = join(dir, "d.jsonl.gz");
    const gz = gzipSync(Buffer.from('{"a":1}\n{"a":2}\n'.repeat(1000)));
    writeFileSync(p, gz);
    expect((await all(p, { gzip: true })).length).toBe(2000);
    const q = join(dir, "e.jsonl.gz");
    const cut = gz.subarray(0, gz.length - 20);
    writeFileSync(q, cut);
    // what zlib can decompress from the cut file: its complete lines are the rows to expect
    const complete = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString().split("\n").length - 1;
    const rows = await all(q, { gzip: true });
    expect(rows.filter((r) => "value" in r)).toHaveLength(complete);
    const last = rows.at(-1)!;
    expect(rows).toHaveLength(complete + 1);
    expect("error" in last && [last.row, last.reason, last.error]).toEqual([complete, "input:corrupt_gzip", expect.stringMatching(/truncated gzip stream after \d+ rows \(unexpected end of file/)]);
  });

  it("skips a 50 MB line without buffering it and reports its size", async () => {
    const p = join(dir, "big.jsonl");
    const ws = createWriteStream(p);
    ws.write('{"a":1}\n{"a":"');
    const chunk = "x".repeat(1 << 20);
    for (let i = 0; i < 50; i++) ws.write(chunk);
    ws.write('"}\n{"a":3}\n');
    await new Promise((r) => ws.end(r));
    const before = process.memoryUsage().rss;
    const rows = await all(p, { maxLineBytes: 16 << 20 });
    expect(rows).toHaveLength(3);
    expect("error" in rows[1]! && rows[1].error).toMatch(/52,428,8\d\d bytes, over the 16,777,216-byte limit/);
    expect("value" in rows[2]! && rows[2].value).toEqual({ a: 3 });
    expect(process.memoryUsage().rss - before).toBeLessThan(48 << 20);
  });

  it("yields nothing for an empty file", async () => {
    const p = join(dir, "empty.jsonl");
    writeFileSync(p, "");
    expect(await all(p)).toEqual([]);
  });
});
