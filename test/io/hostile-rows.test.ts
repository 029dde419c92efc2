/**
 * Hostile JSONL rows (issue #18). Every row stays that row's problem — quarantined with its line
 * number and reason, or failing the run naming file, row and cause — and every good row around it
 * is kept with the value that was read: deep nesting, damaged gzip streams, numbers a double would
 * change, duplicate keys, lone surrogates and U+FEFF in ids and texts, rows that are not objects.
 *
 * Each run-level test writes real files (JSONL, gzip, Parquet), runs them (`--workers 0` unless the
 * worker path is the point) and checks rows in = kept + rejected from the manifest and the rejected/
 * shards (read by DuckDB, an independent Parquet reader). The quarantine runs are made in this
 * process (test/helpers/run.ts: what `curate run` does, without a process start); the fail runs
 * spawn the CLI, since their exit code and stderr are what they check.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parquetWriteBuffer } from "hyparquet-writer";
import { LosslessNumber, MAX_ROW_DEPTH, parseJsonRow } from "../../src/io/json-row.js";
import { readJsonl, type RawRow } from "../../src/io/jsonl.js";
import { mapRow, readSources, resolveSourceFiles, type SourceItem } from "../../src/io/sources.js";
import type { SourceConfig } from "../../src/config/types.js";
import { quickstartVariant, repoRoot, tempDir } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";
import { runToEnd } from "../helpers/run.js";

const CLI_TIMEOUT_MS = 180_000;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, "dist", "cli", "main.js"), ...args], {
    encoding: "utf8",
    timeout: CLI_TIMEOUT_MS,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

type Fields = SourceConfig["fields"];
const FIELDS: Fields = { id: "id", problem: "p", response: "r" };

/** A mix with one source over `file` (in `dir`), written as mix-<onError>.json. */
function writeMix(dir: string, file: string, onError: "quarantine" | "fail", fields: Fields = FIELDS): string {
  const path = join(dir, `mix-${onError}.json`);
  writeFileSync(path, JSON.stringify({ name: "hostile", sources: [{ name: "s", path: file, onError, fields }] }));
  return path;
}

interface Manifest {
  counts: { rowsIn: number; kept: number; dropped: number; byReason: Record<string, number> };
}

/**
 * Run the file both ways. Quarantine (in this process): it finishes; the manifest, kept ids and
 * rejected rows. Fail (the CLI): the exit code and stderr.
 */
async function runBoth(dir: string, file: string, fields: Fields = FIELDS) {
  const out = join(dir, "out-q");
  await runToEnd(writeMix(dir, file, "quarantine", fields), out);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as Manifest;
  const kept = (await duck(`select id from read_parquet('${out}/data/*.parquet') order by ordinal`)).map((r) => r.id as string);
  const anyRejected = existsSync(join(out, "rejected")) && readdirSync(join(out, "rejected")).some((f) => f.endsWith(".parquet"));
  const rejected = anyRejected ? await duck(`select row::INTEGER as row, reason, detail, raw from read_parquet('${out}/rejected/*.parquet') order by row`) : [];
  expect(manifest.counts.rowsIn).toBe(manifest.counts.kept + manifest.counts.dropped);
  expect(manifest.counts.kept).toBe(kept.length);
  expect(manifest.counts.dropped).toBe(rejected.length);
  const fail = cli(["run", writeMix(dir, file, "fail", fields), "--out", join(dir, "out-f"), "--quiet", "--workers", "0"]);
  return { out, manifest, kept, rejected, fail };
}

/** Seeded words: rows that are unique and compress like text (several zlib blocks per file). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}
function goodRows(n: number, prefix = "g"): { id: string; line: string }[] {
  const r = rng(n * 7 + prefix.length);
  const word = () => Array.from({ length: 2 + Math.floor(r() * 7) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");
  const text = (k: number) => Array.from({ length: k }, word).join(" ");
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${i}`;
    return { id, line: JSON.stringify({ id, p: `Problem ${i}: ${text(20)}`, r: `Response ${i}: ${text(120)}` }) };
  });
}

const nest = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);

describe("a deeply nested row is its own problem (input:too_deep)", () => {
  it("rows nested 6,000 deep, at the top or inside a mapped meta field, are quarantined; the rows after them are read", async () => {
    const dir = tempDir("curate-hostile-");
    const good = goodRows(5);
    const lines = [
      good[0]!.line,
      `{"id":"deep-meta","p":"P","r":"R","meta":${nest(6000, "[", "]")}}`,
      good[1]!.line,
      nest(6000, "[", "]"),
      `{"id":"deep-obj","p":"P","r":"R","meta":${nest(6000, '{"a":', "}")}}`,
      ...good.slice(2).map((g) => g.line),
    ];
    writeFileSync(join(dir, "deep.jsonl"), lines.join("\n") + "\n");
    const { manifest, kept, rejected, fail } = await runBoth(dir, "deep.jsonl", { ...FIELDS, meta: { m: "meta" } });
    expect(manifest.counts.rowsIn).toBe(8);
    expect(kept).toEqual(good.map((g) => g.id));
    expect(rejected.map((r) => [r.row, r.reason])).toEqual([[1, "input:too_deep"], [3, "input:too_deep"], [4, "input:too_deep"]]);
    for (const r of rejected) expect(r.detail).toMatch(/nested more than 512 levels deep/);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/deep\.jsonl, row 2: row is nested more than 512 levels deep/);
  }, 120_000);

  it(`${MAX_ROW_DEPTH} levels are read (and a meta value that deep is stored as JSON); ${MAX_ROW_DEPTH + 1} are refused`, async () => {
    const dir = tempDir("curate-hostile-");
    // the row object is level 1, so its meta value may open 511 more
    const ok = `{"p":"P","r":"R","meta":${nest(MAX_ROW_DEPTH - 1, "[", "]")}}`;
    const deep = `{"p":"P","r":"R","meta":${nest(MAX_ROW_DEPTH, "[", "]")}}`;
    expect(parseJsonRow(Buffer.from(ok))).toHaveProperty("value");
    expect(parseJsonRow(Buffer.from(deep))).toMatchObject({ reason: "input:too_deep" });
    writeFileSync(join(dir, "edge.jsonl"), `${ok}\n${deep}\n`);
    const [file] = await resolveSourceFiles({ name: "s", path: "edge.jsonl", onError: "quarantine", fields: { problem: "p", response: "r", meta: { m: "meta" } } }, dir);
    const items: SourceItem[] = [];
    for await (const it of readSources([file!], { maxRowBytes: 1 << 20 })) items.push(it);
    expect(items.map((i) => i.kind)).toEqual(["rollout", "bad"]);
    expect(items[0]!.kind === "rollout" && items[0]!.rollout.meta.m).toBe(nest(MAX_ROW_DEPTH - 1, "[", "]"));
  });

  it("a Parquet row nested 600 deep (a JSON column) is quarantined too", async () => {
    const dir = tempDir("curate-hostile-");
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "p", data: ["P0", "P1", "P2"], type: "STRING" },
        { name: "r", data: ["R0", "R1", "R2"], type: "STRING" },
        { name: "m", data: [{ a: 1 }, deep, [2]], type: "JSON" },
      ],
    });
    writeFileSync(join(dir, "deep.parquet"), new Uint8Array(buf));
    const [file] = await resolveSourceFiles({ name: "s", path: "deep.parquet", onError: "quarantine", fields: { problem: "p", response: "r", meta: { m: "m" } } }, dir);
    const items: SourceItem[] = [];
    for await (const it of readSources([file!], { maxRowBytes: 1 << 20 })) items.push(it);
    expect(items.map((i) => (i.kind === "rollout" ? i.rollout.meta.m : i.bad.reason))).toEqual(['{"a":1}', "input:too_deep", "[2]"]);
  });
});

describe("a damaged gzip stream keeps every complete row, then reports its tail as one row (input:corrupt_gzip)", () => {
  const good = goodRows(400);
  const plain = Buffer.from(good.map((g) => g.line).join("\n") + "\n");
  const gz = gzipSync(plain);
  /** the complete lines zlib gives for the bytes before `end` (what `zcat` would print) */
  const completeBefore = (end: number) => gunzipSync(gz.subarray(0, end), { finishFlush: constants.Z_SYNC_FLUSH }).toString().split("\n").length - 1;

  it("trailing garbage after the gzip member: all 400 rows are kept, the garbage is one bad row", async () => {
    const dir = tempDir("curate-hostile-");
    const r = rng(5);
    writeFileSync(join(dir, "trail.jsonl.gz"), Buffer.concat([gz, Buffer.from(Array.from({ length: 1000 }, () => Math.floor(r() * 256)))]));
    const { manifest, kept, rejected, fail } = await runBoth(dir, "trail.jsonl.gz");
    expect(manifest.counts.rowsIn).toBe(401);
    expect(kept).toEqual(good.map((g) => g.id));
    expect(rejected.map((x) => [x.row, x.reason])).toEqual([[400, "input:corrupt_gzip"]]);
    expect(rejected[0]!.detail).toMatch(/after 400 rows \(.+ at compressed byte [\d,]+\): no row was cut off/);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/trail\.jsonl\.gz, row 401: corrupt or truncated gzip stream after 400 rows/);
  }, 120_000);

  it("a truncated file: the rows zlib can finish are kept, the cut row is one bad row", async () => {
    const dir = tempDir("curate-hostile-");
    const cut = Math.floor(gz.length * 0.6);
    writeFileSync(join(dir, "cut.jsonl.gz"), gz.subarray(0, cut));
    const complete = completeBefore(cut);
    expect(complete).toBeGreaterThan(100);
    const { manifest, kept, rejected, fail } = await runBoth(dir, "cut.jsonl.gz");
    expect(kept).toEqual(good.slice(0, complete).map((g) => g.id));
    expect(manifest.counts.rowsIn).toBe(complete + 1);
    expect(rejected.map((x) => [x.row, x.reason])).toEqual([[complete, "input:corrupt_gzip"]]);
    expect(rejected[0]!.detail).toMatch(new RegExp(`unexpected end of file at compressed byte ${cut.toLocaleString("en-US")}\\): row ${complete + 1} is cut off after`));
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(new RegExp(`cut\\.jsonl\\.gz, row ${complete + 1}: corrupt or truncated gzip stream after ${complete} rows \\(unexpected end of file`));
  }, 120_000);

  it("corrupt bytes in the middle: every row before them is kept, the rest is one bad row", async () => {
    const dir = tempDir("curate-hostile-");
    const at = Math.floor(gz.length / 2);
    const broken = Buffer.from(gz);
    const r = rng(9);
    for (let i = at; i < at + 64; i++) broken[i] = Math.floor(r() * 256);
    writeFileSync(join(dir, "mid.jsonl.gz"), broken);
    const before = completeBefore(at);
    const { manifest, kept, rejected, fail } = await runBoth(dir, "mid.jsonl.gz");
    // zlib may decode some garbage before it notices; rows are never invented or reordered
    expect(kept.length).toBeGreaterThanOrEqual(before);
    expect(kept).toEqual(good.slice(0, kept.length).map((g) => g.id));
    expect(rejected.filter((x) => x.reason === "input:corrupt_gzip")).toHaveLength(1);
    expect(rejected.at(-1)!.reason).toBe("input:corrupt_gzip");
    expect(manifest.counts.rowsIn).toBe(kept.length + rejected.length);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/mid\.jsonl\.gz, row \d+: (corrupt or truncated gzip stream after \d+ rows|malformed JSON|invalid UTF-8)/);
  }, 120_000);

  it("a checksum that does not match is reported as such: the damage could be anywhere before it", async () => {
    const dir = tempDir("curate-hostile-");
    const bad = Buffer.from(gz);
    bad[bad.length - 8]! ^= 0xff; // the CRC-32 of the trailer
    writeFileSync(join(dir, "crc.jsonl.gz"), bad);
    const rows: RawRow[] = [];
    for await (const r of readJsonl(join(dir, "crc.jsonl.gz"), { gzip: true, maxLineBytes: 1 << 20 })) rows.push(r);
    expect(rows).toHaveLength(401);
    const last = rows.at(-1)!;
    expect("error" in last && [last.row, last.reason, last.error]).toEqual([400, "input:corrupt_gzip", expect.stringMatching(/incorrect data check .*rows read before it may hold damaged bytes/)]);
  });

  it("readJsonl gives every row `zcat` gives for the bundled sample with garbage appended", async () => {
    const dir = tempDir("curate-hostile-");
    const sample = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"));
    writeFileSync(join(dir, "s.jsonl.gz"), Buffer.concat([gzipSync(sample), Buffer.from("this is not gzip\n".repeat(50))]));
    const rows: RawRow[] = [];
    for await (const r of readJsonl(join(dir, "s.jsonl.gz"), { gzip: true, maxLineBytes: 1 << 20 })) rows.push(r);
    expect(rows.filter((r) => "value" in r)).toHaveLength(228);
    expect(rows.map((r) => ("reason" in r ? r.reason : "ok")).slice(-2)).toEqual(["ok", "input:corrupt_gzip"]);
  });
});

describe("numbers keep their source text (references, ids, meta)", () => {
  const lines = [
    '{"id":12345678901234567891,"p":"P0","r":"R0","ref":12345678901234567891,"m":{"big":1e400,"x":1.50,"n":[1.0,-0,7]},"f":1.50,"i":9007199254740993,"s":27.0,"e":1e400,"k":3}',
    '{"id":9007199254740993,"p":"P1","r":"R1","ref":1.50}',
    '{"id":9007199254740992,"p":"P2","r":"R2","ref":1e400}',
    '{"id":1e2,"p":"P3","r":"R3","ref":0.1}',
    '{"id":-0,"p":"P4","r":"R4","ref":-12.000}',
  ];
  const fields: Fields = { id: "id", problem: "p", response: "r", reference: "ref", meta: { m: "m", f: "f", i: "i", s: "s", e: "e", k: "k" } };

  it("a run stores the exact text of ids and references, and meta numbers as documented", async () => {
    const dir = tempDir("curate-hostile-");
    writeFileSync(join(dir, "num.jsonl"), lines.join("\n") + "\n");
    const { out, manifest, kept, rejected, fail } = await runBoth(dir, "num.jsonl", fields);
    expect(manifest.counts.rowsIn).toBe(5);
    expect(rejected).toEqual([]);
    expect(kept).toEqual(["12345678901234567891", "9007199254740993", "9007199254740992", "1e2", "-0"]);
    const rows = await duck(`select id, reference, meta from read_parquet('${out}/data/*.parquet') order by ordinal`);
    expect(rows.map((r) => r.reference)).toEqual(["12345678901234567891", "1.50", "1e400", "0.1", "-12.000"]);
    expect(JSON.parse(rows[0]!.meta as string)).toEqual({ m: '{"big":1e400,"x":1.50,"n":[1.0,-0,7]}', f: 1.5, i: "9007199254740993", s: 27, e: "1e400", k: 3 });
    // no bad rows: onError "fail" runs to the end with the same rows
    expect(fail.code, fail.stderr).toBe(0);
    expect((await duck(`select id from read_parquet('${join(dir, "out-f")}/data/*.parquet') order by ordinal`)).map((r) => r.id)).toEqual(kept);
  }, 120_000);

  it("mapRow gives the same text for a number parsed from bytes as the source had", () => {
    const value = (line: string) => (parseJsonRow(Buffer.from(line)) as { value: unknown }).value;
    const [r] = mapRow(value(lines[0]!), { name: "s", path: "x", fields });
    expect([r!.id, r!.reference]).toEqual(["12345678901234567891", "12345678901234567891"]);
  });

  it("every number token of random rows is read back exactly: a plain number that prints as its text, or its text", () => {
    const r = rng(42);
    const tokens = ["0", "-0", "7", "-15", "1.5", "1.50", "27.0", "0.1", "1e2", "1E+2", "1e400", "-1e-400", "123456789012345", "1234567890123456", "12345678901234567891", "9007199254740993", "3.141592653589793238", "5e-324", "0.30000000000000004"];
    for (let n = 0; n < 300; n++) {
      // build text and the expected value side by side: objects with integer-like keys reorder in JS
      const gen = (depth: number): [string, unknown] => {
        const pick = r();
        if (depth > 4 || pick < 0.45) {
          const t = tokens[Math.floor(r() * tokens.length)]!;
          const v = String(Number(t)) === t ? Number(t) : new LosslessNumber(t);
          return [t, v];
        }
        if (pick < 0.55) return ['"s,\\"[1.0]\\""', 's,"[1.0]"'];
        const k = Math.floor(r() * 4);
        if (pick < 0.78) {
          const items = Array.from({ length: k }, () => gen(depth + 1));
          return [`[${items.map((x) => x[0]).join(" , ")}]`, items.map((x) => x[1])];
        }
        const keys = ["a", "10", "2", "b c", "\\u0062"].slice(0, k + 1);
        const obj: Record<string, unknown> = {};
        const parts = keys.map((key) => {
          const [t, v] = gen(depth + 1);
          obj[JSON.parse(`"${key}"`)] = v;
          return `"${key}": ${t}`;
        });
        return [`{${parts.join(",")}}`, obj];
      };
      const [text, want] = gen(0);
      const got = parseJsonRow(Buffer.from(text));
      expect(got, text).toStrictEqual({ value: want, text });
    }
  });
});

describe("duplicate keys make a row malformed (input:duplicate_key)", () => {
  it("a key twice in one object, at any depth or spelled with an escape, is refused with its JSON path; siblings may share keys", async () => {
    const dir = tempDir("curate-hostile-");
    const good = goodRows(3);
    const lines = [
      good[0]!.line,
      '{"id":"d1","p":"a","r":"b","p":"c"}',
      '{"id":"d2","p":"x","r":"y","meta":{"list":[{"k":1},{"k":2,"k":3}]}}',
      good[1]!.line,
      '{"id":"d3","p":"x","r":"z","a":1,"\\u0061":2}',
      '{"id":"ok","p":"q","r":"w","o":[{"k":1},{"k":1}],"meta":{"k":{"k":1}}}',
      good[2]!.line,
    ];
    writeFileSync(join(dir, "dups.jsonl"), lines.join("\n") + "\n");
    const { manifest, kept, rejected, fail } = await runBoth(dir, "dups.jsonl");
    expect(manifest.counts.rowsIn).toBe(7);
    expect(kept).toEqual([good[0]!.id, good[1]!.id, "ok", good[2]!.id]);
    expect(rejected.map((r) => [r.row, r.reason, r.detail])).toEqual([
      [1, "input:duplicate_key", 'duplicate key "p" at $.p: JSON would keep only the last value'],
      [2, "input:duplicate_key", 'duplicate key "k" at $.meta.list[1].k: JSON would keep only the last value'],
      [4, "input:duplicate_key", 'duplicate key "a" at $.a: JSON would keep only the last value'],
    ]);
    expect(rejected[0]!.raw).toBe(lines[1]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/dups\.jsonl, row 2: duplicate key "p" at \$\.p/);
  }, 120_000);

  it("random rows: a duplicate is found exactly when one object repeats a key (escapes resolved; strings that look like keys are not keys)", () => {
    const r = rng(7);
    const spellings: Record<string, string[]> = { a: ["a", "\\u0061"], b: ["b", "\\u0062"], "x:y": ["x:y"], "{": ["{", "\\u007b"] };
    const names = Object.keys(spellings);
    let withDuplicates = 0;
    for (let n = 0; n < 400; n++) {
      let duplicated = false;
      const gen = (depth: number): string => {
        const pick = r();
        if (depth > 3 || pick < 0.3) return ['"a\\":{\\"a\\":1}"', "1", '"{[\\\\"', "null"][Math.floor(r() * 4)]!;
        if (pick < 0.5) return `[ ${Array.from({ length: Math.floor(r() * 3) }, () => gen(depth + 1)).join(" ,")}]`;
        const seen = new Set<string>();
        const parts = Array.from({ length: Math.floor(r() * 4) }, () => {
          const name = names[Math.floor(r() * names.length)]!;
          if (seen.has(name)) duplicated = true;
          seen.add(name);
          const spelled = spellings[name]![Math.floor(r() * spellings[name]!.length)]!;
          return `"${spelled}" :\t${gen(depth + 1)}`;
        });
        return `{${parts.join(", ")}}`;
      };
      const text = gen(0);
      expect(JSON.parse(text), text).toBeDefined(); // the generator writes valid JSON
      const got = parseJsonRow(Buffer.from(text));
      expect("reason" in got ? got.reason : "ok", text).toBe(duplicated ? "input:duplicate_key" : "ok");
      if (duplicated) withDuplicates++;
    }
    expect(withDuplicates).toBeGreaterThan(50);
  });
});

describe("text is normalised once, at mapping time: lone surrogates → U+FFFD, leading U+FEFF dropped", () => {
  // the rule, written out independently of cleanText
  const expectText = (s: string) => s.replace(/^\uFEFF+/, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

  it("rows with such ids and texts run end to end (annotate, group, write; 0 and 2 workers; --force), every row accounted for", async () => {
    const dir = tempDir("curate-hostile-");
    mkdirSync(join(dir, "in"));
    const sample = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n").slice(0, 24).map((l) => JSON.parse(l) as Record<string, string>);
    sample[0]!.id = "a\ud800b";
    sample[1]!.id = "\ufeffsample-bom";
    sample[2]!.problem = "\ufeff\ufeff" + sample[2]!.problem;
    sample[2]!.answer = "\ufeff" + sample[2]!.answer;
    sample[3]!.id = "low\udc00";
    sample[3]!.response = sample[3]!.response + " \ud83d";
    sample[4]!.id = "mid\ufeffdle"; // a U+FEFF inside is kept
    // JSON.stringify writes lone surrogates as \udXXX escapes, U+FEFF as the character itself
    writeFileSync(join(dir, "in", "odd.jsonl"), sample.map((s) => JSON.stringify(s)).join("\n") + "\n");
    const mix = quickstartVariant("odd-text", { path: "in/odd.jsonl", onError: "fail" });
    writeFileSync(join(dir, "mix.json"), JSON.stringify(mix));
    const ids = sample.map((s) => expectText(s.id!)).sort();
    // --force replaces the 2-worker run without threads: each of 0 and 2 workers and --force once
    // (in this process: what a run writes is the point here, not the CLI)
    for (const [out, extra] of [["o0", { workers: 0 }], ["o2", { workers: 2 }], ["o2", { workers: 0, force: true }]] as const) {
      await runToEnd(join(dir, "mix.json"), join(dir, out), extra);
      const m = JSON.parse(readFileSync(join(dir, out, "manifest.json"), "utf8")) as Manifest;
      expect(m.counts.rowsIn).toBe(24);
      expect(m.counts.kept + m.counts.dropped).toBe(24);
      expect(Object.keys(m.counts.byReason).filter((k) => k.startsWith("input:"))).toEqual([]);
      const rows = await duck(`select id, problem, reference from read_parquet(['${join(dir, out)}/data/*.parquet', '${join(dir, out)}/rejected/*.parquet']) order by ordinal`);
      expect(rows.map((x) => x.id as string).sort()).toEqual(ids);
      expect(rows.map((x) => x.problem)).toEqual(sample.map((s) => expectText(s.problem!)));
      expect(rows.map((x) => x.reference)).toEqual(sample.map((s) => expectText(s.answer!)));
      // annotated/ holds the same values: the write step compared them with the input, row by row
      const annotated = await duck(`select id, problem from read_parquet('${join(dir, out)}/annotated/*.parquet') order by ordinal`);
      expect(annotated.map((x) => [x.id, x.problem])).toEqual(rows.map((x) => [x.id, x.problem]));
    }
  }, 300_000);
});

describe("rows that are valid JSON but not objects, and a BOM at the start of the file", () => {
  it("arrays, strings, numbers, null and booleans are each a wrong_type row; a leading BOM is skipped", async () => {
    const dir = tempDir("curate-hostile-");
    const good = goodRows(3);
    const lines = [good[0]!.line, "[1,2]", '"text"', "42", "null", "12345678901234567891", "true", good[1]!.line, "\ufeff" + good[2]!.line];
    writeFileSync(join(dir, "notobj.jsonl"), "\ufeff" + lines.join("\n") + "\n");
    const { manifest, kept, rejected, fail } = await runBoth(dir, "notobj.jsonl");
    expect(manifest.counts.rowsIn).toBe(9);
    expect(kept).toEqual(good.map((g) => g.id));
    expect(rejected.map((r) => [r.row, r.reason, r.detail])).toEqual(
      ["an array", "a string", "a number", "null", "a number", "a boolean"].map((t, i) => [i + 1, "input:wrong_type", `row must be a JSON object, found ${t}`]),
    );
    expect(rejected.map((r) => r.raw)).toEqual(lines.slice(1, 7));
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/notobj\.jsonl, row 2: row must be a JSON object, found an array/);
  }, 120_000);

  it("mapping a hostile value never throws past the row: a role whose toString is not a function", () => {
    const row = (parseJsonRow(Buffer.from('{"messages":[{"role":{"toString":1},"content":"x"},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}')) as { value: unknown }).value;
    expect(mapRow(row, { name: "s", path: "x", fields: { messages: "messages" } })).toMatchObject([{ problem: "Q", response: "A" }]);
    const noUser = (parseJsonRow(Buffer.from('{"messages":[{"role":{"toString":1},"content":"x"}]}')) as { value: unknown }).value;
    expect(() => mapRow(noUser, { name: "s", path: "x", fields: { messages: "messages" } })).toThrow(/has no user turn/);
  });
});
