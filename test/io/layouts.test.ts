/**
 * Real layouts read without a conversion script: field paths (`{}`, `["0.0"]`, `$key`), reasoning
 * kept apart from the answer (`reasoning_content`, `fields.reasoning`), OpenAI content parts, the
 * did-you-mean of mix-file typos, the missing-reference warning, the per-source run summary and the
 * annotate-config diff of --refilter. JSON array/object files themselves: json-file.test.ts.
 */
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FieldPathError, parseFieldPath } from "../../src/io/field-paths.js";
import { mapRow, MappingError } from "../../src/io/field-map.js";
import { normalizeTrace } from "../../src/record/trace.js";
import { configChanges, mixWarnings, validateMix } from "../../src/config/load.js";
import { closest } from "../../src/config/suggest.js";
import { sourceLines } from "../../src/cli/run.js";
import type { MixConfig, SourceConfig } from "../../src/config/types.js";
import { repoRoot, runCli, tempDir } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";

const source = (fields: SourceConfig["fields"]): SourceConfig => ({ name: "s", path: "x.json", fields });
const mappingError = (f: () => unknown): { reason: string; message: string } => {
  try {
    f();
  } catch (e) {
    if (e instanceof MappingError) return { reason: e.reason, message: e.message };
    throw e;
  }
  throw new Error("expected a MappingError");
};

describe("field paths", () => {
  it("parse dotted keys, bracketed JSON-string keys, indexes, [] and {}", () => {
    expect(parseFieldPath('responses["0.0"].content')).toMatchObject({ head: ["responses", "0.0", "content"], explode: null, tail: [] });
    expect(parseFieldPath('a["x]\\"y"][2]')).toMatchObject({ head: ["a", 'x]"y', "2"], explode: null });
    expect(parseFieldPath("responses{}.content")).toMatchObject({ head: ["responses"], explode: "object", tail: ["content"] });
    expect(parseFieldPath("generations[]")).toMatchObject({ head: ["generations"], explode: "array", tail: [] });
    expect(parseFieldPath("$key")).toMatchObject({ memberKey: true });
  });

  it("a malformed path is a mix-file error naming the field, the character and what was expected", () => {
    const bad = (response: string) => () => validateMix({ name: "t", sources: [{ name: "s", path: "x", fields: { problem: "p", response } }] }, "m.json");
    expect(bad('responses["0.0.content')).toThrow(/^m\.json: \$\.sources\[0\]\.fields\.response: path "responses\[\\"0\.0\.content", character 11: the key's string is not closed/);
    expect(bad("a[]b[]")).toThrow(/character 4: expected "\.", "\[" or the end of the path, found "b"/);
    expect(bad("a[].b{}")).toThrow(/only one \[\] or \{\} per path/);
    expect(bad("a{x}")).toThrow(/expected "\}" after "\{"/);
    expect(() => parseFieldPath("a..b")).toThrow(FieldPathError);
  });
});

describe("mapping real layouts", () => {
  // SkyThought's eval results: keyed by problem text, responses keyed by temperature
  const skyRow = { answer: "4", responses: { "0.0": { content: "R0", correctness: true }, "0.7": { content: "R1", correctness: false } } };

  it("{} explodes an object's values in key order; side fields and meta follow element by element; [\"0.0\"] takes one key", () => {
    const s = source({ problem: "$key", response: "responses{}.content", reference: "answer", meta: { correctness: "responses{}.correctness", greedy: 'responses["0.0"].correctness' } });
    const got = mapRow(skyRow, s, "What is 2+2?");
    expect(got.map((r) => [r.problem, r.response, r.reference, r.meta])).toEqual([
      ["What is 2+2?", "R0", "4", { correctness: true, greedy: true }],
      ["What is 2+2?", "R1", "4", { correctness: false, greedy: true }],
    ]);
  });

  it("exploded objects are paired key by key; [] on an object and $key outside an object file are the row's errors", () => {
    const paired = source({ problem: "p", response: "r{}", finish_reason: "f{}" });
    expect(mappingError(() => mapRow({ p: "P", r: { a: "1", b: "2" }, f: { b: "stop", a: "stop" } }, paired))).toEqual({
      reason: "input:shape_mismatch",
      message: 'field "finish_reason" (path f{}) has key "b" at position 0 where response has "a": exploded objects are paired key by key, in order',
    });
    expect(mappingError(() => mapRow(skyRow, source({ problem: "answer", response: "responses[]" })))).toMatchObject({ reason: "input:wrong_type", message: expect.stringContaining("; {} explodes an object's values") });
    expect(mappingError(() => mapRow(skyRow, source({ problem: "$key", response: "answer" })))).toMatchObject({ reason: "input:missing_field", message: expect.stringContaining("not a member of a JSON object file") });
  });

  it("reasoning_content becomes the <think> block, which the trace split gives back exactly; content parts are joined", () => {
    const row = {
      messages: [
        { role: "user", content: [{ type: "text", text: "What is " }, { type: "text", text: "2+2?" }] },
        { role: "assistant", content: "So the answer is $\\boxed{4}$.", reasoning_content: "2+2 is 4." },
      ],
    };
    const [r] = mapRow(row, source({ messages: "messages" }));
    expect(r!.problem).toBe("What is 2+2?");
    expect(r!.response).toBe("<think>\n2+2 is 4.\n</think>\n\nSo the answer is $\\boxed{4}$.");
    expect(normalizeTrace(r!.response)).toMatchObject({ format: "think", reasoning: "2+2 is 4.", solution: "So the answer is $\\boxed{4}$.", unterminated: false });
    // a null reasoning_content leaves the response as it is
    const plain = { messages: [row.messages[0], { role: "assistant", content: "4", reasoning_content: null }] };
    expect(mapRow(plain, source({ messages: "messages" }))[0]!.response).toBe("4");
    const image = { messages: [{ role: "user", content: [{ type: "image_url", image_url: "x" }] }, row.messages[1]] };
    expect(mappingError(() => mapRow(image, source({ messages: "messages" })))).toMatchObject({ reason: "input:wrong_type", message: expect.stringContaining('found a part of type "image_url"') });
  });

  it("fields.reasoning does the same for flat rows; a reasoning that would not split back is the row's error", () => {
    const s = source({ problem: "p", reasoning: "think", response: "answer" });
    expect(mapRow({ p: "P", think: "T", answer: "A" }, s)[0]!.response).toBe("<think>\nT\n</think>\n\nA");
    expect(mapRow({ p: "P", think: null, answer: "A" }, s)[0]!.response).toBe("A");
    expect(mappingError(() => mapRow({ p: "P", think: "a </think> b", answer: "A" }, s))).toMatchObject({ reason: "input:ambiguous_reasoning", message: expect.stringContaining('the reasoning holds "</think>"') });
  });
});

describe("mix-file typos", () => {
  const base = { name: "t", sources: [{ name: "s", path: "x.jsonl", fields: { problem: "p", response: "r", reference: "a" } }] };
  const message = (doc: unknown): string => {
    try {
      validateMix(doc, "m.json");
    } catch (e) {
      return (e as Error).message;
    }
    return "valid";
  };

  it("get a did-you-mean and the allowed keys in every section", () => {
    const cases: [unknown, string][] = [
      [{ ...base, annotate: { verify: {} }, filters: { requireCorect: true } }, '$.filters.requireCorect: unknown key "requireCorect"; did you mean "requireCorrect"? (expected one of: exactDuplicates,'],
      [{ ...base, sources: [{ ...base.sources[0], onEror: "fail" }] }, '$.sources[0].onEror: unknown key "onEror"; did you mean "onError"? (expected one of: name, path, format, onError, limit, priority, fields)'],
      [{ ...base, sources: [{ ...base.sources[0], fields: { problem: "p", response: "r", refrence: "a" } }] }, '$.sources[0].fields.refrence: unknown key "refrence"; did you mean "reference"?'],
      [{ ...base, filtres: {} }, '$.filtres: unknown key "filtres"; did you mean "filters"?'],
      [{ ...base, annotate: { qualty: {} } }, '$.annotate.qualty: unknown key "qualty"; did you mean "quality"?'],
      [{ ...base, annotate: { verify: { timeoutMS: 5 } } }, '$.annotate.verify.timeoutMS: unknown key "timeoutMS"; did you mean "timeoutMs"?'],
      [{ ...base, outputs: { sft: { kind: "sft", requireCorect: true } } }, '$.outputs.sft.requireCorect: unknown key "requireCorect"; did you mean "requireCorrect"?'],
      [{ ...base, outputs: { sft: { kind: "stf" } } }, '$.outputs.sft.kind: found "stf", expected one of "midtrain", "sft", "dpo", "rl"; did you mean "sft"?'],
      [{ ...base, sources: [{ ...base.sources[0], format: "jsn" }] }, '$.sources[0].format: found "jsn", expected one of "jsonl", "jsonl.gz", "json", "parquet"; did you mean "json"?'],
    ];
    for (const [doc, expected] of cases) expect(message(doc)).toContain(expected);
  });

  it("suggest nothing for a name far from every allowed one, and name the alternatives of a source's fields once", () => {
    expect(message({ ...base, zzzzzz: 1 })).toMatch(/\$\.zzzzzz: unknown key "zzzzzz" \(expected one of/);
    expect(closest("requireCorect", ["requireCorrect", "dropTruncated"])).toBe("requireCorrect");
    expect(closest("x", ["requireCorrect"])).toBeNull();
    expect(message({ ...base, sources: [{ name: "s", path: "x", fields: { problem: "p" } }] })).toBe('m.json is not a valid mix file:\n  $.sources[0].fields: expected "problem" and "response", or "messages", or "conversations"');
  });
});

describe("a source that maps no reference", () => {
  const mix = (extra: Partial<MixConfig>): MixConfig =>
    ({ name: "t", seed: 17, tokenizer: "o200k_base", sources: [{ name: "graded", path: "a", fields: { problem: "p", response: "r", reference: "a" } }, { name: "raw", path: "b", fields: { problem: "p", response: "r" } }], ...extra }) as MixConfig;

  it("is warned about, by name, when a filter or an output needs a reference", () => {
    expect(mixWarnings(mix({ annotate: { verify: {} }, filters: { requireCorrect: true } } as Partial<MixConfig>))).toEqual([
      'source "raw" maps no reference (fields.reference): filters.requireCorrect drops all its rows (verify:ungradable_reference)',
    ]);
    expect(mixWarnings(mix({ outputs: { rl: { kind: "rl", sources: ["graded"] } } } as Partial<MixConfig>))).toEqual([]);
    expect(mixWarnings(mix({ outputs: { sft: { kind: "sft" } } } as Partial<MixConfig>))).toEqual(['source "raw" maps no reference (fields.reference): outputs.sft (sft) takes only verified-correct rollouts: none of its rows']);
    expect(mixWarnings(mix({}))).toEqual([]);
  });

  it("shows in the run summary: per-source lines, a source that lost every row called out", () => {
    const lines = sourceLines({ graded: { in: 10, kept: 7, dropped: 3 }, raw: { in: 5, kept: 0, dropped: 5 } });
    expect(lines).toEqual([
      "  source graded  in        10  kept         7  dropped        3",
      "  source raw     in         5  kept         0  dropped        5  ← every row dropped",
    ]);
  });
});

describe("configChanges", () => {
  it("names the changed keys with old and new values", () => {
    expect(configChanges({ annotate: { verify: { timeoutMs: 1000 } }, sources: [{ name: "a" }] }, { annotate: { verify: { timeoutMs: 3000 }, quality: {} }, sources: [{ name: "a" }] })).toEqual([
      "$.annotate.quality: added → {}",
      "$.annotate.verify.timeoutMs: 1000 → 3000",
    ]);
    expect(configChanges({ a: 1 }, { a: 1 })).toEqual([]);
  });
});

describe("pipelines/layouts.json on data-samples/layouts/ (CLI)", () => {
  it("reads the three layouts, quarantines the bad element by index, counts reasoning tokens; --refilter names a changed annotate key; run and validate warn of a source without reference", async () => {
    const dir = tempDir();
    const doc = JSON.parse(readFileSync(join(repoRoot, "pipelines", "layouts.json"), "utf8")) as MixConfig & { $schema?: string };
    delete doc.$schema;
    for (const s of doc.sources) s.path = join(repoRoot, "pipelines", s.path as string);
    for (const b of doc.annotate!.decontaminate!.benchmarks as { path: string }[]) b.path = join(repoRoot, "pipelines", b.path);
    const mixPath = join(dir, "layouts.json");
    writeFileSync(mixPath, JSON.stringify(doc));
    const out = join(dir, "out");
    const run = runCli(["run", mixPath, "--workers", "0", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/quarantined \S*array\.json row 4: \$\[3\]: field "problem" \(path problem\) must be a string, found a number/);
    expect(run.stderr).toMatch(/ {2}source array +in +6 +kept +4 +dropped +2\n/);
    expect(run.stderr).toMatch(/ {2}source by-problem +in +8 +kept +6 +dropped +2\n/);
    expect(run.stderr).toMatch(/ {2}source reasoning-chat +in +5 +kept +4 +dropped +1\n/);
    const rows = await duck(`select source, min(tokens_reasoning) as min_r, count(*) as n, count(distinct meta) as metas from read_parquet('${out}/data/*.parquet') group by source order by source`);
    expect(rows.map((r) => [r.source, Number(r.n), Number(r.min_r) > 0])).toEqual([["array", 4, true], ["by-problem", 6, true], ["reasoning-chat", 4, true]]);
    const bad = await duck(`select row, reason from read_parquet('${out}/rejected/*.parquet') where source = 'array' and reason like 'input:%'`);
    expect(bad.map((r) => [Number(r.row), r.reason])).toEqual([[3, "input:wrong_type"]]);

    doc.annotate = { ...doc.annotate, verify: { timeoutMs: 3000 } } as MixConfig["annotate"];
    delete doc.sources[2]!.fields.reference;
    writeFileSync(mixPath, JSON.stringify(doc));
    const warning = `warning: ${mixPath}: ` + 'source "reasoning-chat" maps no reference (fields.reference): filters.requireCorrect drops all its rows (verify:ungradable_reference)\n';
    const refilter = runCli(["run", mixPath, "--workers", "0", "--out", out, "--refilter"]);
    expect(refilter.code).toBe(2);
    expect(refilter.stderr.startsWith(warning), refilter.stderr).toBe(true);
    expect(refilter.stderr).toMatch(/--refilter cannot re-decide .*: changed \$\.annotate\.verify\.timeoutMs: 1000 → 3000; \$\.sources\[2\]\.fields\.reference: "answer" → removed\); .*pass --force/);

    const validate = runCli(["validate", mixPath]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toBe(warning);
  });
});
