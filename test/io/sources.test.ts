import { describe, expect, it } from "vitest";
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { mapRow, readSources, resolveSourceFiles, SourceError } from "../../src/io/sources.js";
import type { SourceConfig } from "../../src/config/types.js";
import { tempDir } from "../helpers/cli.js";

const src = (fields: SourceConfig["fields"], extra: Partial<SourceConfig> = {}): SourceConfig => ({ name: "s", path: "x.jsonl", fields, ...extra });

describe("mapRow", () => {
  it("maps dotted paths and numeric references", () => {
    const [r] = mapRow({ q: { text: "P" }, out: "R", gold: { value: 25 } }, src({ problem: "q.text", response: "out", reference: "gold.value" }));
    expect(r).toMatchObject({ problem: "P", response: "R", reference: "25", id: null });
  });
  it("explodes generations[] with per-rollout side arrays and suffixes ids", () => {
    const rows = mapRow({ id: 7, p: "P", gens: ["a", "b", "c"], fin: ["stop", "length", "stop"], level: 3 }, src({ id: "id", problem: "p", response: "gens[]", finish_reason: "fin[]", meta: { level: "level" } }));
    expect(rows.map((r) => [r.id, r.response, r.finishReason, r.meta.level])).toEqual([["7#0", "a", "stop", 3], ["7#1", "b", "length", 3], ["7#2", "c", "stop", 3]]);
  });
  it("explodes arrays of objects (arr[].field)", () => {
    const rows = mapRow({ p: "P", outs: [{ text: "x" }, { text: "y" }] }, src({ problem: "p", response: "outs[].text" }));
    expect(rows.map((r) => r.response)).toEqual(["x", "y"]);
  });
  it("refuses side arrays whose length differs", () => {
    expect(() => mapRow({ p: "P", g: ["a", "b"], f: ["stop"] }, src({ problem: "p", response: "g[]", finish_reason: "f[]" }))).toThrow(/has 1 elements but response has 2 rollouts/);
  });
  it("maps chat messages: first user turn is the problem, last assistant turn the response", () => {
    const [r] = mapRow({ messages: [{ role: "system", content: "sys" }, { role: "user", content: "Q" }, { role: "assistant", content: "draft" }, { role: "user", content: "more" }, { role: "assistant", content: "A" }] }, src({ messages: "messages" }));
    expect(r).toMatchObject({ problem: "Q", response: "A" });
  });
  it("maps ShareGPT conversations (from/value)", () => {
    const [r] = mapRow({ conversations: [{ from: "human", value: "Q" }, { from: "gpt", value: "A" }] }, src({ conversations: "conversations" }));
    expect(r).toMatchObject({ problem: "Q", response: "A" });
  });
  it("names the missing field and its path", () => {
    expect(() => mapRow({ p: "P" }, src({ problem: "p", response: "out.text" }))).toThrow(/missing field "response" \(path out\.text\)/);
  });
  it("refuses non-string text with the type found", () => {
    expect(() => mapRow({ p: 5, r: "x" }, src({ problem: "p", response: "r" }))).toThrow(/"problem" \(path p\) must be a string, found a number/);
    expect(() => mapRow([1, 2], src({ problem: "p", response: "r" }))).toThrow(/must be a JSON object, found an array/);
  });
});

describe("readSources", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.jsonl"), ['{"p":"P1","r":"R1"}', '{"p":"P2"', '{"p":"P3","r":"R3"}'].join("\n") + "\n");
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "sub", "b.jsonl"), '{"p":"P4","r":"R4"}\n');
  writeFileSync(join(dir, "empty.jsonl"), "");

  it("stops at the first bad row with file, row and cause by default", async () => {
    const s = { name: "s", path: "a.jsonl", fields: { problem: "p", response: "r" } };
    const files = await resolveSourceFiles(s, dir);
    const seen: string[] = [];
    await expect(async () => {
      for await (const it of readSources(files, { maxRowBytes: 1 << 20 })) if (it.kind === "rollout") seen.push(it.rollout.problem);
    }).rejects.toThrow(/a\.jsonl, row 2: malformed JSON/);
    expect(seen).toEqual(["P1"]);
  });

  it("quarantines bad rows and goes on when onError is quarantine; ids and ordinals are stable", async () => {
    const s = { name: "s", path: ["a.jsonl", "sub/*.jsonl"], onError: "quarantine" as const, fields: { problem: "p", response: "r" } };
    const files = await resolveSourceFiles(s, dir);
    const items = [];
    for await (const it of readSources(files, { maxRowBytes: 1 << 20 })) items.push(it);
    expect(items.map((i) => i.kind)).toEqual(["rollout", "bad", "rollout", "rollout"]);
    const rollouts = items.flatMap((i) => (i.kind === "rollout" ? [i.rollout] : []));
    expect(rollouts.map((r) => r.id)).toEqual(["s:a.jsonl:1", "s:a.jsonl:3", "s:sub/b.jsonl:1"]);
    expect(rollouts.map((r) => r.ordinal)).toEqual([0, 1, 2]);
    const bad = items.find((i) => i.kind === "bad")!;
    expect(bad.kind === "bad" && bad.bad).toMatchObject({ file: "a.jsonl", row: 1, reason: "input:malformed_json", raw: '{"p":"P2"' });
  });

  it("reads a file reached by two paths (a linked folder looping back, a hard link) once, under the path that sorts first, and says so", async () => {
    const d = tempDir();
    mkdirSync(join(d, "in", "sub"), { recursive: true });
    writeFileSync(join(d, "in", "a.jsonl"), '{"p":"P1","r":"R1"}\n');
    symlinkSync(join(d, "in"), join(d, "in", "sub", "back")); // in/sub/back/a.jsonl is in/a.jsonl
    linkSync(join(d, "in", "a.jsonl"), join(d, "in", "z-hard.jsonl"));
    writeFileSync(join(d, "in", "b.jsonl"), '{"p":"P1","r":"R1"}\n'); // same bytes, another file: read
    const notes: string[] = [];
    const files = await resolveSourceFiles({ name: "s", path: ["in", "in/**/*.jsonl"], fields: { problem: "p", response: "r" } }, d, {}, (n) => notes.push(n));
    expect(files.map((f) => f.rel)).toEqual(["in/a.jsonl", "in/b.jsonl"]);
    expect(notes).toContain('source "s": in/sub/back/a.jsonl is the same file as in/a.jsonl (reached through a link): read once');
    expect(notes).toContain('source "s": in/z-hard.jsonl is the same file as in/a.jsonl (reached through a link): read once');
  });

  it.skipIf(spawnSync("mkfifo", ["--version"]).status !== 0)("refuses a named pipe as an input (it was read as an empty file: 0 rows, nothing said)", async () => {
    const d = tempDir();
    expect(spawnSync("mkfifo", [join(d, "rows.jsonl")]).status).toBe(0);
    await expect(resolveSourceFiles({ name: "s", path: "rows.jsonl", fields: { problem: "p", response: "r" } }, d)).rejects.toThrow(
      'source "s": rows.jsonl is a named pipe (FIFO), not a regular file: curate reads an input by its size, and a run reads it twice (annotate, then write); save it to a file first',
    );
  });

  it("refuses a glob that matches nothing, naming the pattern", async () => {
    await expect(resolveSourceFiles({ name: "s", path: "nope/*.jsonl", fields: { problem: "p", response: "r" } }, dir)).rejects.toThrow(/source "s": path "nope\/\*\.jsonl" matched no files/);
  });

  it("refuses an empty file (or quarantines it)", async () => {
    const s = { name: "s", path: "empty.jsonl", fields: { problem: "p", response: "r" } };
    const files = await resolveSourceFiles(s, dir);
    await expect(async () => { for await (const _ of readSources(files, { maxRowBytes: 1 << 20 })) { /* drain */ } }).rejects.toThrow(SourceError);
    const q = await resolveSourceFiles({ ...s, onError: "quarantine" }, dir);
    const items = [];
    for await (const it of readSources(q, { maxRowBytes: 1 << 20 })) items.push(it);
    expect(items).toHaveLength(1);
    expect(items[0]!.kind === "bad" && items[0]!.bad.reason).toBe("input:empty_file");
  });

  it("honours limit per source", async () => {
    const s = { name: "s", path: ["a.jsonl", "sub/b.jsonl"], onError: "quarantine" as const, limit: 2, fields: { problem: "p", response: "r" } };
    const files = await resolveSourceFiles(s, dir);
    const items = [];
    for await (const it of readSources(files, { maxRowBytes: 1 << 20 })) items.push(it);
    expect(items).toHaveLength(2);
  });
});
