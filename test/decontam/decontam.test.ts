/**
 * Decontamination unit tests on hand-written problems (no shared data needed): tokeniser, the
 * matching rules, index file round trip, drop rule, stage module, CLI, registry, schema parts and
 * linear time on adversarial input.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import Ajv2020 from "ajv/dist/2020.js";
import { tokenStrings, tokenize } from "../../src/decontam/tokenize.js";
import { contentRange } from "../../src/decontam/statement-range.js";
import { TokenStream } from "../../src/decontam/token-stream.js";
import { STOPWORDS, fnv1a, isStopword } from "../../src/decontam/token-tables.js";
import { ContaminationIndex } from "../../src/decontam/benchmark-index.js";
import { builtinCommonNgrams, commonNgramSizes } from "../../src/decontam/common.js";
import { BUILTIN_BENCHMARKS, DEFAULT_BENCHMARKS, resolveBenchmarkSpecs } from "../../src/decontam/registry.js";
import { loadBenchmarks } from "../../src/decontam/load.js";
import type { BenchmarkItem } from "../../src/decontam/types.js";
import {
  decontaminateDrop,
  decontaminateModule,
  decontaminationIndexPath,
  buildDecontaminationIndex,
} from "../../src/decontam/annotator.js";
import { runDecontaminate } from "../../src/decontam/match-file.js";
import type { MixConfig } from "../../src/config/types.js";
import type { Rollout } from "../../src/record/rollout.js";
// @ts-expect-error plain JS module shared with the benches
import { PlainNgramRule } from "../../bench/decontam-planted.mjs";
import { CUBIC, FARM, MARBLES, SHORT } from "../helpers/decontam-problems.js";
import { sharedData, sharedTexts, CLI_TIMEOUT_MS } from "../helpers/cli.js";
import { cpuMsOf } from "../helpers/cpu.js";

const problems: BenchmarkItem[] = [
  { benchmark: "handmade", item: "farm", problem: FARM },
  { benchmark: "handmade", item: "cubic", problem: CUBIC },
  { benchmark: "handmade", item: "marbles", problem: MARBLES },
  { benchmark: "tiny", item: "short", problem: SHORT },
];

function indexOf(list = problems): ContaminationIndex {
  return ContaminationIndex.build(list, {}, builtinCommonNgrams());
}

describe("tokeniser", () => {
  it("ignores case, $ delimiters, LaTeX spacing and \\dfrac vs \\frac", () => {
    const a = tokenStrings("Find $\\dfrac{1}{2} + x$ if $x \\le 3$.");
    const b = tokenStrings("find \\( \\frac {1}{2}+x \\) if \\(x\\leq 3\\)");
    expect(a).toEqual(b);
    expect(a).toEqual(["find", "frac", "1", "2", "+", "x", "if", "x", "leq", "3"]);
  });

  it("keeps decimals and thousands separators inside numbers, splits digits from letters", () => {
    expect(tokenStrings("1,000 apples cost 3.50 dollars; 2x and (0,3)")).toEqual(["1000", "apples", "cost", "3.50", "dollars", "2", "x", "and", "0", "3"]);
  });

  it("ids-only mode (UTF-8 bytes) gives the full scan's ids, kinds and content stream", () => {
    const full = new TokenStream();
    const ids = new TokenStream();
    const same = (text: string): boolean => {
      tokenize(text, full, true);
      tokenize(text, ids, false);
      // texts past 65,536 characters (the ids scan's scratch arrays) take the full scan
      if (ids.full !== text.length > 65_536 || full.count !== ids.count || full.contentCount !== ids.contentCount) return false;
      for (let k = 0; k < full.count; k++) {
        if (full.hash[k] !== ids.hash[k] || full.masked[k] !== ids.masked[k] || full.kind[k] !== ids.kind[k]) return false;
      }
      for (let k = 0; k < full.contentCount; k++) if (full.content[k] !== ids.content[k] || full.contentPos[k] !== ids.contentPos[k]) return false;
      return true;
    };
    // every branch the scans tell apart: commands (skipped, aliased, unknown, escaped, at the end),
    // decimals and thousands separators at the end of the text, stopwords of both spellings,
    // non-ASCII letters that lower-case, specials, astral characters and lone surrogates
    const pieces = [
      "\\", "\\dfrac", "\\le", "\\in", "\\to", "\\Left", "\\text{the}", "\\é", "\\😀", "\\\ud800", "\\", "$", "1,000", "1,00", "3.5",
      "3.", ".5", ",", "the", "of", "The", "OF", "these", "Which", "Über", "ÉCOLE", "٣٤", "😀", "\ud800", "\udc00", "×", "≤", "π", "−", "ﬁ", "İ", "ς",
      "abc", "x", "2x", " ", "\n", "{", "}", "+", "*", "é", "a\u0301", "ǅ", "Ⅻ", "ﷺ", "\ufffd", "ab\u00adc",
    ];
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let bad: string | null = null;
    for (let k = 0; k < 20_000 && bad === null; k++) {
      let t = "";
      const m = 1 + Math.floor(rnd() * 12);
      for (let j = 0; j < m; j++) t += pieces[Math.floor(rnd() * pieces.length)];
      if (!same(t)) bad = t;
    }
    for (let k = 0; k < 5_000 && bad === null; k++) {
      let t = "";
      for (let j = Math.floor(rnd() * 20); j > 0; j--) t += String.fromCharCode(rnd() < 0.5 ? Math.floor(rnd() * 128) : Math.floor(rnd() * 65536));
      if (!same(t)) bad = t;
    }
    expect(bad).toBe(null);
    // long texts grow the buffers inside one call; past 65,536 characters the full scan runs
    const long = pieces.join(" ");
    expect(same(long.repeat(Math.floor(65_536 / long.length)))).toBe(true);
    expect(same(long.repeat(3000))).toBe(true);
    expect(same("a".repeat(65_536))).toBe(true);
    expect(same("a ".repeat(32_768) + "b")).toBe(true);
  });

  it("ids-only mode agrees with the full scan on every problem, benchmark and trace text in ../shared/data", (ctx) => {
    const dirs = ["benchmarks", "problems", "traces"].map((d) => join(sharedData, d));
    if (!dirs.every((d) => existsSync(d))) return ctx.skip(`../shared/data not found at ${sharedData}`);
    const full = new TokenStream();
    const ids = new TokenStream();
    let texts = 0;
    const bad: string[] = [];
    for (const { file, key, text } of sharedTexts(dirs, ["problem", "question", "response", "solution"])) {
      texts++;
      tokenize(text, full, true);
      tokenize(text, ids, false);
      const eq =
        full.count === ids.count &&
        full.contentCount === ids.contentCount &&
        full.hash.subarray(0, full.count).every((h, k) => h === ids.hash[k] && full.masked[k] === ids.masked[k] && full.kind[k] === ids.kind[k]) &&
        full.content.subarray(0, full.contentCount).every((h, k) => h === ids.content[k] && full.contentPos[k] === ids.contentPos[k]);
      if (!eq && bad.length < 3) bad.push(`${file} ${key}: ${text.slice(0, 80)}`);
    }
    expect(bad).toEqual([]);
    expect(texts).toBeGreaterThan(20_000);
  });

  it("isStopword holds for exactly the stopwords", () => {
    for (const w of STOPWORDS) expect(isStopword(fnv1a(w) | 0)).toBe(true);
    const stop = new Set(STOPWORDS);
    let wrong = 0;
    for (let k = 0; k < 200_000; k++) {
      const w = k.toString(36);
      if (isStopword(fnv1a(w) | 0) !== stop.has(w)) wrong++;
    }
    // ids next to a stopword's, and the id that empty slots hold ("a") shifted by one
    for (const w of STOPWORDS) for (const d of [1, -1, 1 << 24]) if (isStopword((fnv1a(w) + d) | 0)) wrong++;
    expect(wrong).toBe(0);
  });

  it("records character spans of tokens in the source", () => {
    const text = "Let $x = 12$.";
    const ts = tokenize(text, new TokenStream());
    const spans = Array.from({ length: ts.count }, (_, k) => text.slice(ts.srcStart[k]!, ts.srcEnd[k]!));
    expect(spans).toEqual(["Let", "x", "=", "12"]);
  });

  it("strips a Problem: label and a trailing step-by-step instruction from the exact-match range", () => {
    const ts = tokenize("Problem 3: Find $x$. Please reason step by step, and put your final answer within \\boxed{}.", new TokenStream());
    const [from, to] = contentRange(ts);
    expect(Array.from({ length: to - from }, (_, k) => ts.tokenText(from + k))).toEqual(["find", "x"]);
  });

  it("is linear on 200 KB adversarial inputs", () => {
    const inputs = ["\\".repeat(200_000), "$".repeat(200_000), "1,".repeat(100_000), "a".repeat(200_000), "\\frac{".repeat(33_000)];
    const index = indexOf();
    for (const s of inputs) expect(cpuMsOf(() => index.match(s))).toBeLessThan(1500);
  });
});

describe("matching rules", () => {
  const index = indexOf();
  const top = (text: string) => index.match(text)[0];

  it("exact: reformatted copy with label and instruction suffix", () => {
    const copy = "Problem: let \\(P(x)\\) be a cubic polynomial with \\(P(1) = 4\\), \\(P(2) = 9\\), \\(P(3) = 20\\) and \\(P(4) = 43\\).\n" +
      "Find the remainder when \\(P(10)\\) is divided by \\(7\\).\nPlease reason step by step, and put your final answer within \\boxed{}.";
    const m = top(copy)!;
    expect(m).toMatchObject({ benchmark: "handmade", item: "cubic", method: "exact", score: 1, field: "problem" });
    expect(copy.slice(m.span[0], m.span[1]).startsWith("let \\(P(x)")).toBe(true);
    expect(copy.slice(m.span[0], m.span[1]).endsWith("\\(7")).toBe(true);
  });

  it("digits: the same problem with numbers changed", () => {
    const changed = FARM.replace("17 rows", "19 rows").replace("eats 9", "eats 11");
    expect(top(changed)).toMatchObject({ item: "farm", method: "digits" });
  });

  it("ngram: the problem embedded in a longer text, with spans in both texts", () => {
    const text = "I found this in an old contest packet and could not solve it.\n\n" + FARM + "\n\nAny hints welcome!";
    const m = top(text)!;
    expect(m.method).toBe("ngram");
    expect(m.score).toBe(1);
    expect(m.span[0]).toBeGreaterThanOrEqual(text.indexOf("A farmer"));
    expect(text.slice(m.span[0], m.span[1])).toContain("every fourth turnip");
    expect(FARM.slice(m.benchmarkSpan[0], m.benchmarkSpan[1])).toContain("every fourth turnip");
    expect(m.benchmarkSnippet.length).toBeLessThanOrEqual(160);
  });

  it("aligned: a light rewording that breaks most 8-grams", () => {
    const reworded = FARM.replace("A farmer plants", "Suppose a farmer has planted")
      .replace("After a storm", "Following a storm")
      .replace("How many turnips remain", "Determine how many turnips are left");
    const m = index.match(reworded).find((x) => x.item === "farm");
    expect(m?.method === "aligned" || m?.method === "ngram").toBe(true);
    expect(m!.score).toBeGreaterThanOrEqual(0.7);
  });

  it("chars: a short problem embedded in text", () => {
    const m = top("Quick warm-up before the real work: simplify $\\sqrt{338}$ and explain.")!;
    expect(m).toMatchObject({ benchmark: "tiny", item: "short", method: "chars" });
  });

  it("does not flag clean problems that only share stock phrasing (the plain 8-gram rule does)", () => {
    const clean =
      "A circle of radius $3$ is inscribed in a square of side $6$. A point is chosen at random inside the square, and the probability " +
      "that it lies inside the circle is $\\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$.";
    expect(index.match(clean)).toEqual([]);
    expect(new PlainNgramRule(problems, 8).match(clean)).not.toBeNull();
  });

  it("does not flag a short template with other numbers, nor unrelated text", () => {
    expect(index.match("Simplify $\\sqrt{250}$.")).toEqual([]);
    expect(index.match("The sum of two consecutive odd integers is 56. What is the larger one?")).toEqual([]);
    expect(index.match("")).toEqual([]);
  });

  it("verification: the same setup with another question, or another formula, is not a copy", () => {
    const garden =
      "A rectangular garden is 24 m long and 15 m wide. A gravel path 2 m wide runs around the outside of the garden, and a " +
      "fountain with a circular basin of radius 3 m stands at its centre. Each square metre of path costs 12 dollars to lay. " +
      "What is the total cost of the path?";
    const idx = ContaminationIndex.build([...problems, { benchmark: "handmade", item: "garden", problem: garden }], {}, builtinCommonNgrams());
    const item = (t: string) => idx.match(t).find((m) => m.item === "garden");
    // copies: reworded, numbers changed, embedded
    expect(item(garden.replace("What is the total cost", "Determine the total cost"))).toBeDefined();
    expect(item(garden.replace("24 m", "30 m").replace("12 dollars", "15 dollars"))).toMatchObject({ method: "digits" });
    expect(item("From last week's sheet:\n" + garden + "\nShow your work.")).toBeDefined();
    // a sibling: same setup, another question — the alignment covers 90% of the problem, but a phrase
    // of three distinctive words ("total cost … path") is missing
    const sibling = garden.replace("What is the total cost of the path?", "What area of the garden is not covered by the fountain?");
    idx.explain = [];
    expect(item(sibling)).toBeUndefined();
    const e = idx.explain.find((x) => idx.itemId[x.item] === "garden")!;
    expect(e.rule).not.toBeNull();
    expect(e.verified).toBe(false);
    expect(e.missingRun).toBeGreaterThanOrEqual(3);
    idx.explain = null;
    // another expression on the same setup: formula tokens inserted
    const cubic = (t: string) => idx.match(t).find((m) => m.item === "cubic");
    expect(cubic(CUBIC.replace("$P(10)$", "$P(10) + P(-1)$"))).toBeUndefined();
    expect(cubic(CUBIC.replace("$P(10)$", "$P(12)$"))).toMatchObject({ method: "digits" });
  });

  it("reports each benchmark problem at most once, strongest rule first", () => {
    const both = FARM + "\n" + CUBIC;
    const ms = index.match(both);
    expect(ms.map((m) => m.item).sort()).toEqual(["cubic", "farm"]);
    expect(new Set(ms.map((m) => m.item)).size).toBe(ms.length);
  });

  it("an index without problems matches nothing", () => {
    const empty = ContaminationIndex.build([], {}, builtinCommonNgrams());
    expect(empty.match(FARM)).toEqual([]);
    expect(ContaminationIndex.deserialize(empty.serialize()).match(FARM)).toEqual([]);
  });

  it("has a built-in common n-gram list for n = 8", () => {
    expect(commonNgramSizes()).toContain(8);
  });
});

describe("index file", () => {
  it("round-trips through serialize/deserialize with identical matches", () => {
    const index = indexOf();
    const back = ContaminationIndex.deserialize(index.serialize());
    for (const t of [FARM, CUBIC.toUpperCase(), "x " + SHORT + " y", MARBLES.replace("40", "48")]) {
      expect(back.match(t)).toEqual(index.match(t));
    }
    expect(back.summary()).toEqual(index.summary());
  });

  it("rejects a file that is not an index, or is truncated, naming the file", () => {
    expect(() => ContaminationIndex.deserialize(Buffer.from("hello"), "x.bin")).toThrow(/x\.bin: not a curate decontamination index/);
    const bytes = indexOf().serialize();
    expect(() => ContaminationIndex.deserialize(bytes.subarray(0, bytes.length - 100), "y.bin")).toThrow(/y\.bin: damaged decontamination index \(its SHA-256 does not match: cut short/);
    expect(() => ContaminationIndex.deserialize(bytes.subarray(0, 40), "z.bin")).toThrow(/z\.bin: truncated decontamination index \(no checksum line\)/);
  });
});

describe("drop rule", () => {
  const rec = (contamination: Rollout["contamination"]) => ({ id: "r1", contamination }) as unknown as Rollout;
  it("drops rows with matches as contaminated:<benchmark>", () => {
    const m = indexOf().match(FARM);
    const d = decontaminateDrop(rec(m), {});
    expect(d).toEqual({ reason: "contaminated:handmade", detail: expect.stringContaining("handmade farm by exact") });
  });
  it("keeps clean rows, rows never annotated, and everything when dropContaminated is false", () => {
    expect(decontaminateDrop(rec([]), {})).toBeNull();
    expect(decontaminateDrop(rec(undefined), {})).toBeNull();
    expect(decontaminateDrop(rec(indexOf().match(FARM)), { dropContaminated: false })).toBeNull();
  });
});

describe("stage module, loader and CLI on local benchmark files", () => {
  let dir: string;
  let benchDir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "curate-decontam-"));
    benchDir = join(dir, "benchmarks");
    mkdirSync(benchDir);
    // registry layout: math500.jsonl (unique_id) and gsm8k_test.jsonl (idx, question + problem)
    writeFileSync(
      join(benchDir, "math500.jsonl"),
      [CUBIC, MARBLES].map((p, i) => JSON.stringify({ problem: p, unique_id: `test/hand/${i}.json`, answer: "1" })).join("\n") + "\n",
    );
    writeFileSync(join(benchDir, "gsm8k_test.jsonl"), JSON.stringify({ idx: 0, question: FARM, problem: FARM }) + "\n");
    // a user benchmark as Parquet
    writeFileSync(
      join(dir, "mine.parquet"),
      new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "text", data: [SHORT], type: "STRING" }, { name: "key", data: ["s1"], type: "STRING" }] })),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads registry names from a benchmarks folder and user files with field names", async () => {
    const items = await loadBenchmarks(["math500", "gsm8k", { name: "mine", path: "mine.parquet", problemField: "text", idField: "key" }], {
      baseDir: dir,
      benchmarksDir: benchDir,
    });
    expect(items.map((i) => `${i.benchmark}/${i.item}`)).toEqual(["math500/test/hand/0.json", "math500/test/hand/1.json", "gsm8k/0", "mine/s1"]);
    await expect(loadBenchmarks(["aime2024"], { benchmarksDir: benchDir })).rejects.toThrow(/aime2024: none of aime2024\.jsonl/);
    // CURATE_BENCHMARKS_DIR when the mix file names no folder
    const prev = process.env.CURATE_BENCHMARKS_DIR;
    process.env.CURATE_BENCHMARKS_DIR = benchDir;
    try {
      expect((await loadBenchmarks(["gsm8k"], {})).map((i) => i.problem)).toEqual([FARM]);
    } finally {
      if (prev === undefined) delete process.env.CURATE_BENCHMARKS_DIR;
      else process.env.CURATE_BENCHMARKS_DIR = prev;
    }
    await expect(loadBenchmarks([{ name: "mine", path: "mine.parquet" }], { baseDir: dir })).rejects.toThrow(/row 1: field "problem"/);
  });

  it("prepare() writes the index under runDir once; create() loads it and annotates every record", async () => {
    const runDir = join(dir, "run");
    const config = {
      name: "t",
      seed: 1,
      tokenizer: "o200k_base",
      sources: [],
      benchmarksDir: "benchmarks",
      annotate: { decontaminate: { benchmarks: ["math500", "gsm8k"] } },
    } as unknown as MixConfig;
    const ctx = { baseDir: dir, runDir, seed: 1 };
    await decontaminateModule.prepare!(config, ctx);
    expect(existsSync(decontaminationIndexPath(runDir))).toBe(true);
    // create() must not need the benchmark files any more: hide them
    const annotator = await decontaminateModule.create({ ...config, benchmarksDir: "nowhere" } as MixConfig, ctx);
    const batch = [
      { id: "a", problem: "Problem: " + CUBIC, response: "" },
      { id: "b", problem: "What is 2+2?", response: "" },
    ] as unknown as Rollout[];
    await annotator!.annotate(batch);
    expect(batch[0]!.contamination![0]).toMatchObject({ benchmark: "math500", item: "test/hand/0.json", method: "exact" });
    expect(batch[1]!.contamination).toEqual([]);
    expect(await decontaminateModule.create({ ...config, annotate: {} } as MixConfig, ctx)).toBeNull();
  });

  it("checks the response's restatement only when checkResponse is set", async () => {
    const index = await buildDecontaminationIndex({ benchmarks: ["gsm8k"] }, { benchmarksDir: benchDir });
    const { contaminationOf } = await import("../../src/decontam/annotator.js");
    const row = { problem: "Solve the farm problem below.", response: "Restating: " + FARM + " So we compute..." };
    expect(contaminationOf(index, row, {})).toEqual([]);
    const m = contaminationOf(index, row, { checkResponse: true });
    expect(m[0]).toMatchObject({ benchmark: "gsm8k", field: "response" });
  });

  it("CLI writes one line per matched row (--all: every row), and --build-index/--index agree", async () => {
    const input = join(dir, "in.jsonl");
    writeFileSync(
      input,
      [
        { id: "x1", problem: MARBLES },
        { id: "x2", problem: "What is the capital of France?" },
        { problem: "Warm-up: " + CUBIC.replace("$7$", "$11$") },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n",
    );
    const out = join(dir, "out.jsonl");
    const res = await runDecontaminate({ input, benchmarksDir: benchDir, benchmarks: ["math500"], field: "problem", all: false, details: false, out });
    expect(res).toMatchObject({ rows: 3, flagged: 2 });
    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(["x1", 2]);
    expect(lines[0].matches[0]).toEqual({ benchmark: "math500", item: "test/hand/1.json", method: "exact", score: 1 });
    expect(Object.keys(lines[1].matches[0]).sort()).toEqual(["benchmark", "item", "method", "score"]);

    const idx = join(dir, "idx.bin");
    await runDecontaminate({ benchmarksDir: benchDir, benchmarks: ["math500"], field: "problem", all: false, details: false, buildIndex: idx });
    const out2 = join(dir, "out2.jsonl");
    await runDecontaminate({ input, index: idx, field: "problem", all: true, details: false, out: out2 });
    const lines2 = readFileSync(out2, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines2.length).toBe(3);
    expect(lines2[1]).toEqual({ id: "x2", matches: [] });
    expect(lines2[0]).toEqual(lines[0]);
  });

  it.skipIf(!existsSync(join(__dirname, "..", "..", "dist", "cli", "main.js")))("the curate binary runs decontaminate end to end (exit 0; exit 2 on an unknown benchmark)", () => {
    const input = join(dir, "cli-in.jsonl");
    writeFileSync(input, JSON.stringify({ id: "q", problem: "Problem: " + MARBLES }) + "\n" + JSON.stringify({ id: "r", problem: "Add 2 and 3." }) + "\n");
    const main = join(__dirname, "..", "..", "dist", "cli", "main.js");
    const ok = spawnSync(process.execPath, [main, "decontaminate", input, "--benchmarks-dir", benchDir, "--benchmarks", "math500"], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { id: "q", matches: [{ benchmark: "math500", item: "test/hand/1.json", method: "exact", score: 1 }] },
    ]);
    expect(ok.stderr).toContain("1 of 2 rows matched (math500 1)");
    const bad = spawnSync(process.execPath, [main, "decontaminate", input, "--benchmarks-dir", benchDir, "--benchmarks", "math501"], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown benchmark "math501"/);
  });

  it("CLI errors name the file and the row", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, JSON.stringify({ problem: "ok" }) + "\n{not json\n");
    await expect(runDecontaminate({ input: bad, benchmarksDir: benchDir, benchmarks: ["math500"], field: "problem", all: false, details: false, out: join(dir, "o.jsonl") })).rejects.toThrow(
      /bad\.jsonl, row 2: not valid JSON/,
    );
    await expect(runDecontaminate({ input: bad, benchmarksDir: benchDir, benchmarks: ["math500"], field: "question", all: false, details: false, out: join(dir, "o.jsonl") })).rejects.toThrow(
      /bad\.jsonl, row 1: field "question" must be a string/,
    );
  });
});

describe("registry and schema parts", () => {
  it("has the eight built-in benchmarks with Hub ids, and the default four", () => {
    expect(BUILTIN_BENCHMARKS.map((b) => b.name)).toEqual(["math500", "aime2024", "aime2025", "amc2023", "gsm8k", "minerva_math", "olympiadbench", "hmmt_feb_2025"]);
    for (const b of BUILTIN_BENCHMARKS) expect(b.dataset).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(resolveBenchmarkSpecs(undefined).map((s) => s.entry.name)).toEqual([...DEFAULT_BENCHMARKS]);
    expect(() => resolveBenchmarkSpecs(["math501"])).toThrow(/benchmarks\[0\]: unknown benchmark "math501"; expected one of math500/);
    expect(() => resolveBenchmarkSpecs(["math500", "math500"])).toThrow(/listed twice/);
  });

  it("schema parts accept the documented keys and reject unknown ones", () => {
    const ajv = new Ajv2020({ strict: false });
    const part = JSON.parse(readFileSync(join(__dirname, "..", "..", "schemas", "parts", "decontaminate.schema.json"), "utf8"));
    const validate = ajv.compile(part);
    expect(validate({ benchmarks: ["math500", { name: "mine", path: "x.jsonl", problemField: "q" }], ngram: 8, checkResponse: true })).toBe(true);
    expect(validate({ benchmarks: ["math501"] })).toBe(false);
    expect(validate({ threshold: 0.7, unknownKey: 1 })).toBe(false);
    const filters = ajv.compile(JSON.parse(readFileSync(join(__dirname, "..", "..", "schemas", "parts", "filters.decontaminate.schema.json"), "utf8")));
    expect(filters({ dropContaminated: false })).toBe(true);
    expect(filters({ dropContaminated: "yes" })).toBe(false);
  });
});
