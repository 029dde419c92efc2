/**
 * `curate decontaminate --workers N`: the batched reader and the worker pool give the bytes, counts
 * and errors of the one-line-at-a-time readline loop the command had before (kept here as the
 * reference, verbatim but for .gz input: there it reads every line zlib can give, as `zcat`, and a
 * truncated file's error is worded as the run's), for any number of workers and any batch size — on contaminated and clean rows,
 * CRLF, lone CR, blank lines, invalid UTF-8, a last line without an ending, a .gz input, a
 * truncated .gz, a 50 MB line and every kind of bad row. Workers run dist/ (npm test builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { defaultWorkers, runDecontaminate, type DecontaminateRunOptions, type DecontaminateRunResult } from "../../src/decontam/match-file.js";
import { InputError } from "../../src/errors.js";
import { buildDecontaminationIndex, contaminationOf } from "../../src/decontam/annotator.js";
import { BufferPool, chunkSource, lineBatches } from "../../src/decontam/batch.js";
import { damageText } from "../../src/io/gzip-chunks.js";
import type { DecontaminateConfig } from "../../src/decontam/types.js";
import { repoRoot, CLI_TIMEOUT_MS } from "../helpers/cli.js";

import { CUBIC, FARM, MARBLES, SHORT } from "../helpers/decontam-problems.js";

type Opts = Omit<DecontaminateRunOptions, "field" | "all" | "details"> & Partial<Pick<DecontaminateRunOptions, "field" | "all" | "details">>;

/** The command's loop before batches and workers (readline, one line at a time), verbatim. */
async function reference(o: DecontaminateRunOptions): Promise<DecontaminateRunResult> {
  const cfg: DecontaminateConfig = {};
  if (o.benchmarks) cfg.benchmarks = o.benchmarks;
  if (o.responseField) cfg.checkResponse = true;
  const index = await buildDecontaminationIndex(cfg, { benchmarksDir: o.benchmarksDir });
  const rowId = (v: Record<string, unknown>, row: number): string | number => {
    for (const k of ["id", "unique_id", "uid", "idx"]) {
      const x = v[k];
      if (typeof x === "string" || typeof x === "number") return x;
    }
    return row;
  };
  const result: DecontaminateRunResult = { rows: 0, flagged: 0, byBenchmark: {} };
  // a .gz: every line zlib can give, as `zcat` prints them; a truncated one ends with the line it cut
  // off held back (the only damage these tests make), reported after the lines before it
  let stream: Readable = createReadStream(o.input!);
  let truncated: { message: string; size: number; cutBytes: number } | null = null;
  if (o.input!.endsWith(".gz")) {
    const gz = readFileSync(o.input!);
    let text = gunzipSync(gz, { finishFlush: constants.Z_SYNC_FLUSH });
    try {
      gunzipSync(gz);
    } catch (e) {
      expect((e as Error).message).toBe("unexpected end of file");
      const end = Math.max(text.lastIndexOf(10), text.lastIndexOf(13)) + 1;
      truncated = { message: (e as Error).message, size: gz.length, cutBytes: text.length - end };
      text = text.subarray(0, end);
    }
    stream = Readable.from([text]);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let row = -1;
  try {
    for await (const line of lines) {
      row++;
      if (line.trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new InputError(o.input!, row, `not valid JSON (${(e as Error).message})`);
      }
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InputError(o.input!, row, "expected a JSON object");
      const rec = v as Record<string, unknown>;
      const problem = rec[o.field];
      if (typeof problem !== "string") throw new InputError(o.input!, row, `field "${o.field}" must be a string (choose the field with --field)`);
      const response = o.responseField ? rec[o.responseField] : undefined;
      const matches = contaminationOf(index, { problem, response: typeof response === "string" ? response : "" }, cfg);
      result.rows++;
      if (matches.length > 0) {
        result.flagged++;
        for (const m of matches) result.byBenchmark[m.benchmark] = (result.byBenchmark[m.benchmark] ?? 0) + 1;
      }
      if (matches.length > 0 || o.all) {
        const ms = matches.map((m) => (o.details ? m : { benchmark: m.benchmark, item: m.item, method: m.method, score: m.score }));
        await o.write!(JSON.stringify({ id: rowId(rec, row), matches: ms }) + "\n");
      }
    }
  } finally {
    lines.close();
  }
  if (truncated) throw new InputError(o.input!, row + 1, damageText({ message: truncated.message, compressedOffset: truncated.size }, row + 1, truncated.cutBytes));
  return result;
}

/** Outcome of a run: output bytes (all it wrote, an error's too), counts (with byBenchmark's key order), or the error's message. */
async function outcome(run: (o: DecontaminateRunOptions) => Promise<DecontaminateRunResult>, o: DecontaminateRunOptions) {
  let res: string;
  const written: string[] = [];
  try {
    const r = await run({ ...o, write: (text) => void written.push(text) });
    res = JSON.stringify({ rows: r.rows, flagged: r.flagged, byBenchmark: Object.entries(r.byBenchmark) });
  } catch (e) {
    res = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const out = Buffer.from(written.join(""));
  return { res, outBytes: out.length, outSha256: createHash("sha256").update(out).digest("hex"), text: () => out.toString("utf8") };
}

let dir: string;
let benchDir: string;
const base = (o: Opts): DecontaminateRunOptions => ({
  field: "problem",
  all: false,
  details: false,
  benchmarksDir: benchDir,
  benchmarks: ["math500", "gsm8k"],
  ...o,
});

/** The reference's outcome, and each (workers, batchBytes) variant's: all must be equal. */
async function expectSame(o: Opts, variants: [number, number | undefined][]) {
  const want = await outcome(reference, base(o));
  for (const [workers, batchBytes] of variants) {
    const { text: _, ...got } = await outcome(runDecontaminate, base({ ...o, workers, batchBytes }));
    const { text: __, ...same } = want;
    expect({ workers, batchBytes, ...got }).toEqual({ workers, batchBytes, ...same });
  }
  return want;
}

/** workers 0-3, batches of one line (1 byte), a few lines, many lines, the default (one batch here) */
const ALL_VARIANTS: [number, number | undefined][] = [
  [0, 1],
  [0, undefined],
  [1, 4096],
  [2, 97],
  [2, undefined],
  [3, 1],
];

/** Rows: copies of benchmark problems (exact, prefixed, numbers changed) among clean ones, ids of every kind. */
function fixtureRows(count: number, seed = 7): string[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const words = ["prime", "triangle", "integer", "sum", "área", "数", "θ", "😀", "ratio", "circle", "digits", "probability"];
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const k = r();
    let problem: string;
    if (k < 0.05) problem = MARBLES;
    else if (k < 0.1) problem = "Problem: " + CUBIC.replace("$7$", "$11$");
    else if (k < 0.13) problem = "Warm-up first. " + FARM;
    else if (k < 0.15) problem = SHORT;
    else problem = Array.from({ length: 5 + Math.floor(r() * 60) }, () => words[Math.floor(r() * words.length)]).join(" ") + "?";
    const idk = r();
    const row: Record<string, unknown> = idk < 0.3 ? { id: `r${i}` } : idk < 0.4 ? { unique_id: i * 10 } : idk < 0.45 ? { uid: `u${i}`, id: null } : {};
    row.problem = problem;
    if (r() < 0.2) row.response = "We restate: " + FARM;
    rows.push(JSON.stringify(row));
    if (r() < 0.03) rows.push(r() < 0.5 ? "" : "   \t ");
  }
  return rows;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "curate-decontam-workers-"));
  benchDir = join(dir, "benchmarks");
  mkdirSync(benchDir);
  writeFileSync(
    join(benchDir, "math500.jsonl"),
    [CUBIC, MARBLES, SHORT].map((p, i) => JSON.stringify({ problem: p, unique_id: `test/hand/${i}.json`, answer: "1" })).join("\n") + "\n",
  );
  writeFileSync(join(benchDir, "gsm8k_test.jsonl"), JSON.stringify({ idx: 0, question: FARM, problem: FARM }) + "\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("decontaminate in batches on worker threads", () => {
  it("writes the bytes and counts of the readline loop for --workers 0-3 and any batch size (LF, .gz, --all, --details)", async () => {
    const input = join(dir, "rows.jsonl");
    writeFileSync(input, fixtureRows(1500).join("\n") + "\n");
    const want = await expectSame({ input }, ALL_VARIANTS);
    expect(JSON.parse(want.res).flagged).toBeGreaterThan(100);
    expect(JSON.parse(want.res).rows).toBe(1500);
    const gz = join(dir, "rows.jsonl.gz");
    writeFileSync(gz, gzipSync(readFileSync(input)));
    const wantGz = await expectSame({ input: gz }, [
      [0, 4096],
      [2, 4096],
      [3, 97],
    ]);
    expect({ ...wantGz, text: 0 }).toEqual({ ...want, text: 0 });
    await expectSame({ input, all: true, details: true, responseField: "response" }, [
      [0, undefined],
      [1, 4096],
      [2, 1],
      [3, 5000],
    ]);
  });

  it("reads CRLF, lone CR, blank lines, invalid UTF-8 and a last line without an ending as readline does", async () => {
    const rows = fixtureRows(400, 11);
    const enc = (s: string) => Buffer.from(s, "utf8");
    const parts: Buffer[] = [];
    rows.forEach((row, i) => {
      parts.push(enc(row));
      parts.push(enc(i % 3 === 0 ? "\r\n" : i % 3 === 1 ? "\n" : "\r"));
      if (i % 50 === 7) parts.push(enc("\r\n\r\n"), enc("\n\r\n"), enc("\r\r"));
      // invalid UTF-8 inside a string, and a cut multi-byte sequence before a line ending
      if (i % 40 === 5) parts.push(Buffer.from('{"id":"cut","problem":"y'), Buffer.from([0xe2, 0x82]), enc('"}\n'));
      if (i % 40 === 3) parts.push(Buffer.from('{"id":"bad-utf8","problem":"x'), Buffer.from([0xff, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80]), Buffer.from('"}\n'));
    });
    parts.push(enc(JSON.stringify({ id: "last", problem: "Problem: " + MARBLES }))); // no ending
    const input = join(dir, "weird.jsonl");
    writeFileSync(input, Buffer.concat(parts));
    const want = await expectSame({ input, all: true }, ALL_VARIANTS);
    expect(want.res).toMatch(/"rows":4\d\d/);
    expect(want.text()).toContain('"id":"last"');
    // a cut UTF-8 sequence right before a line ending: the same bad row and message
    const before = join(dir, "cut-before-end.jsonl");
    for (const [bytes, end] of [
      [[0xe2, 0x82], "\n"],
      [[0xf0, 0x9f, 0x98], "\r\n"],
    ] as const) {
      writeFileSync(before, Buffer.concat([enc(rows.slice(0, 5).join("\n") + "\n{}"), Buffer.from(bytes), enc(end + rows[6] + "\n")]));
      const bad = await expectSame({ input: before }, [
        [0, 97],
        [2, 97],
      ]);
      expect(bad.res).toMatch(/row 6: not valid JSON/);
    }
    // a file ending in a cut UTF-8 sequence (readline drops it), or in a lone CR
    const cut = join(dir, "cut.jsonl");
    writeFileSync(cut, Buffer.concat([enc(rows.slice(0, 30).join("\n") + "\n"), Buffer.from([0xf0, 0x9f])]));
    await expectSame({ input: cut, all: true }, [
      [0, 97],
      [2, 97],
      [2, undefined],
    ]);
    writeFileSync(cut, enc(rows.slice(0, 30).join("\r") + "\r"));
    await expectSame({ input: cut, all: true }, [
      [0, 97],
      [2, 97],
    ]);
  });

  it("cuts batches only after whole lines, whatever the stream's chunks (long lines, CR LF across chunks)", async () => {
    const text = Buffer.from(
      ["a", "", "bb\r", "ccc\r\r", "d".repeat(5000), "é😀", "\r", "x".repeat(300_000), "end"].join("\n") + "\r\n" + "tail\rlast",
      "utf8",
    );
    const lineEnds = (b: Buffer) => (b.toString("latin1").match(/\r?\n|\r(?!\n)/g) ?? []).length;
    let s = 3;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 40; trial++) {
      const chunks: Buffer[] = [];
      for (let p = 0; p < text.length; ) {
        // 1-4 bytes (every "\r\n" split somewhere) over the short lines, else up to 70 KB
        const len = trial % 4 === 0 && p < 12_000 ? 1 + Math.floor(r() * 4) : 1 + Math.floor(r() * 70_000);
        chunks.push(text.subarray(p, p + len));
        p += len;
      }
      const batchBytes = [1, 10, 1000, 65_536, 1 << 20][trial % 5]!;
      const got: Buffer[] = [];
      const pool = new BufferPool(batchBytes + 100, 3);
      for await (const b of lineBatches(chunkSource(Readable.from(chunks)), batchBytes, pool)) {
        const bytes = Buffer.from(b.bytes);
        expect(b.bytes.byteOffset).toBe(0); // at the start of its own buffer (transferable)
        pool.release(b.bytes.buffer as ArrayBuffer); // reused for later batches
        got.push(bytes);
      }
      // batches of at least batchBytes, ending at the first line ending from there
      for (const b of got.slice(0, -1)) {
        expect(b.length).toBeGreaterThanOrEqual(batchBytes);
        expect(lineEnds(b.subarray(0, Math.max(0, batchBytes - 1)))).toBe(lineEnds(b) - 1);
      }
      expect(Buffer.concat(got).equals(text)).toBe(true);
      for (const b of got.slice(0, -1)) {
        const last = b[b.length - 1];
        expect(last === 10 || last === 13).toBe(true);
      }
      // "\r\n" is never cut in two
      for (let i = 1; i < got.length; i++) expect(got[i - 1]![got[i - 1]!.length - 1] === 13 && got[i]![0] === 10).toBe(false);
    }
  });

  it("matches around a 50 MB line (a batch of its own)", async () => {
    const input = join(dir, "big.jsonl");
    const rows = fixtureRows(300, 5);
    const big = JSON.stringify({ id: "big", pad: "ab ".repeat(17_500_000), problem: "Before the pad: " + CUBIC });
    writeFileSync(input, [...rows.slice(0, 150), big, ...rows.slice(150)].join("\n") + "\n");
    const want = await expectSame({ input }, [
      [2, undefined],
      [1, 4096],
    ]);
    expect(want.text()).toContain('{"id":"big","matches":[{"benchmark":"math500"');
  });

  it("reports a bad row as InputError naming the file and row, after the same output, for any worker count", async () => {
    const rows = fixtureRows(1200, 13);
    const bad = ['{"problem": "x",', "[1, 2]", "null", "42", '{"question": "no problem field"}', '{"problem": 7}', '\uFEFF{"problem": "BOM"}'];
    const messages: string[] = [];
    for (const [k, line] of bad.entries()) {
      const input = join(dir, `bad-${k}.jsonl`);
      // blank lines before the bad row count as rows, as before
      writeFileSync(input, [...rows.slice(0, 700), "", "  ", line, ...rows.slice(700)].join("\r\n") + "\r\n");
      const want = await expectSame(
        { input },
        k === 0
          ? [
              [0, 4096],
              [1, 4096],
              [2, 97],
              [3, 4096],
              [2, undefined],
            ]
          : [
              [0, 4096],
              [2, 97],
            ],
      );
      expect(want.res).toContain(`InputError: ${input}, row 703: `);
      messages.push(want.res.slice(want.res.indexOf("row 703: ")));
    }
    expect(messages).toEqual([
      expect.stringMatching(/^row 703: not valid JSON/),
      "row 703: expected a JSON object",
      "row 703: expected a JSON object",
      "row 703: expected a JSON object",
      'row 703: field "problem" must be a string (choose the field with --field)',
      'row 703: field "problem" must be a string (choose the field with --field)',
      expect.stringMatching(/^row 703: not valid JSON/),
    ]);
  });

  it("a truncated .gz: the rows before the cut, then the read error, for any worker count", async () => {
    const input = join(dir, "trunc.jsonl.gz");
    const gz = gzipSync(Buffer.from(fixtureRows(3000, 17).join("\n") + "\n"));
    writeFileSync(input, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const want = await expectSame({ input, all: true }, [
      [0, 4096],
      [1, 4096],
      [2, 8192],
      [2, undefined],
    ]);
    expect(want.res).toMatch(/^InputError: .*trunc\.jsonl\.gz, row \d+: corrupt or truncated gzip stream after \d+ rows \(unexpected end of file at compressed byte [\d,]+\): row \d+ is cut off after [\d,]+ bytes; nothing after it can be read$/);
    // every complete line zlib gives before the cut is matched (--all: one output line each); a bare
    // Gunzip stream drops its last output on the error, up to 16 KB of rows
    const lines = gunzipSync(gz.subarray(0, Math.floor(gz.length * 0.6)), { finishFlush: constants.Z_SYNC_FLUSH }).toString().split("\n").slice(0, -1);
    const complete = lines.filter((l) => l.trim() !== "").length;
    expect(complete).toBeGreaterThan(100);
    expect(want.text().split("\n").length - 1).toBe(complete);
    const [, errorRow, before, cutRow] = /row (\d+): .* after (\d+) rows .*: row (\d+) is cut off/.exec(want.res)!.map(Number);
    expect([errorRow, cutRow]).toEqual([before! + 1, before! + 1]);
  });

  it("garbage after a whole .gz: every row is matched, then the damage is reported with no row cut off", async () => {
    const input = join(dir, "trail.jsonl.gz");
    const rows = fixtureRows(500, 23);
    writeFileSync(input, Buffer.concat([gzipSync(Buffer.from(rows.join("\n") + "\n")), Buffer.from("this is not gzip\n".repeat(20))]));
    for (const workers of [0, 2]) {
      const got = await outcome(runDecontaminate, base({ input, all: true, workers, batchBytes: 2048 }));
      expect(got.res).toMatch(new RegExp(`trail\\.jsonl\\.gz, row ${rows.length + 1}: corrupt or truncated gzip stream after ${rows.length} rows \\(.+ at compressed byte [\\d,]+\\): no row was cut off; nothing after it can be read$`));
      expect(got.text().split("\n").length - 1).toBe(rows.filter((l) => l.trim() !== "").length);
    }
  });

  it("leaves no worker behind after an error, and the binary exits promptly with the error", async () => {
    const input = join(dir, "late-bad.jsonl");
    writeFileSync(input, [...fixtureRows(2000, 19), "{oops"].join("\n") + "\n");
    const ports = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;
    const before = ports();
    await expect(runDecontaminate(base({ input, workers: 2, batchBytes: 2048 }))).rejects.toThrow(/late-bad\.jsonl, row \d+: not valid JSON/);
    expect(ports()).toBe(before);
    const main = join(repoRoot, "dist", "cli", "main.js");
    const args = [main, "decontaminate", input, "--benchmarks-dir", benchDir, "--benchmarks", "math500", "--workers", "2", "--batch-bytes", "2048"];
    const t0 = Date.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/curate: .*late-bad\.jsonl, row \d+: not valid JSON/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const good = join(dir, "good.jsonl");
    writeFileSync(good, fixtureRows(1500, 19).join("\n") + "\n");
    const ok = spawnSync(process.execPath, [...args.slice(0, 2), good, ...args.slice(3)], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/decontaminate: \d+ of 1500 rows matched \(math500 \d+\)/);
    const zero = spawnSync(process.execPath, [...args.slice(0, -4), "--workers", "-1"], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/--workers: expected a whole number ≥ 0/);
  });
});

describe("decontaminate's default thread count", () => {
  it("matches inputs under 64 MB (16 MB gzipped) on the main thread and larger ones on one thread per core", () => {
    const d = mkdtempSync(join(tmpdir(), "curate-dc-default-"));
    const at = (name: string, mb: number) => {
      const f = join(d, name);
      writeFileSync(f, "");
      truncateSync(f, Math.round(mb * 1024 * 1024)); // sparse: only the size matters
      return f;
    };
    expect(defaultWorkers(at("small.jsonl", 63.9))).toBe(0);
    expect(defaultWorkers(at("large.jsonl", 64))).toBe(availableParallelism());
    expect(defaultWorkers(at("small.jsonl.gz", 15.9))).toBe(0);
    expect(defaultWorkers(at("large.jsonl.gz", 16))).toBe(availableParallelism());
    expect(defaultWorkers(join(d, "missing.jsonl"))).toBe(0);
    expect(defaultWorkers(undefined)).toBe(0);
    rmSync(d, { recursive: true, force: true });
  });
});
