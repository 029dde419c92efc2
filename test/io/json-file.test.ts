/** format "json": one JSON array or object of rows, streamed element by element (src/io/json-file.ts). */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { holdsJsonLines, readJsonFile } from "../../src/io/json-file.js";
import { readSources, resolveSourceFiles, type SourceItem } from "../../src/io/sources.js";
import type { SourceConfig } from "../../src/config/types.js";
import { LosslessNumber } from "../../src/io/json-row.js";
import { CLI_TIMEOUT_MS, repoRoot, tempDir } from "../helpers/cli.js";

const dir = tempDir();
const file = (name: string, text: string | Buffer) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

/** every row of a file, as `index[/key] value-or-reason`, read with the given chunk size */
async function rows(path: string, chunkBytes?: number, maxRowBytes = 1 << 20): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readJsonFile(path, { maxRowBytes, chunkBytes })) {
    const at = `${r.row}${r.key === undefined ? "" : `/${r.key}`}`;
    out.push("error" in r ? `${at} ${r.reason}` : `${at} ${JSON.stringify(r.value, (_k, v) => (v instanceof LosslessNumber ? `#${v.text}` : v))}`);
  }
  return out;
}

async function items(source: SourceConfig): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const it of readSources(await resolveSourceFiles(source, dir), { maxRowBytes: 1 << 20 })) out.push(it);
  return out;
}

describe("a JSON array of rows", () => {
  // a BOM, strings holding brackets, commas, escaped quotes and backslashes, nested values, scalars
  const text = '\ufeff[ {"problem": "a [tricky] {one}, \\"quoted\\" \\\\", "n": [1, {"x": "]"}]} ,\n{"problem":"P2","n":1.50},\t"s", 7, null, {"d":1,"d":2}, {"bad": tru}, {"p":"\\u00e9"}\n]\n';
  const path = file("array.json", text);
  const expected = [
    '0 {"problem":"a [tricky] {one}, \\"quoted\\" \\\\","n":[1,{"x":"]"}]}',
    '1 {"problem":"P2","n":"#1.50"}',
    '2 "s"',
    "3 7",
    "4 null",
    "5 input:duplicate_key",
    "6 input:malformed_json",
    '7 {"p":"é"}',
  ];

  it("gives each element, numbered by index, with the JSONL row rules (lossless numbers, duplicate keys, malformed elements)", async () => {
    expect(await rows(path)).toEqual(expected);
  });

  it("gives the same rows whatever the read size, so element boundaries, escapes and the BOM may fall across chunks", async () => {
    for (const size of [1, 2, 3, 5, 16]) expect(await rows(path, size), `chunk ${size}`).toEqual(expected);
  });

  it("an element over maxRowBytes is one input:row_too_large row with a snippet; the next elements are read", async () => {
    const big = file("big-element.json", `[{"a":1}, {"r":"${"x".repeat(5000)}"}, {"b":2}]`);
    for (const size of [64, 1 << 16]) expect(await rows(big, size, 1000)).toEqual(['0 {"a":1}', "1 input:row_too_large", '2 {"b":2}']);
    const got = [];
    for await (const r of readJsonFile(big, { maxRowBytes: 1000, chunkBytes: 64, rawSnippetBytes: 100 })) got.push(r);
    expect(got[1]).toMatchObject({ row: 1, reason: "input:row_too_large", error: "element is 5,008 bytes, over the 1,000-byte limit (maxRowBytes)", bytes: 5008 });
    expect("raw" in got[1]! && got[1].raw).toBe('{"r":"' + "x".repeat(94));
  });

  it("a break in the file's structure is one error row at the element where it happens; the elements before it are read", async () => {
    const cases: [string, string, RegExp][] = [
      ["missing-comma.json", '[{"a":1} {"b":2}]', /breaks at byte 9: expected "," or "\]" after element 0, found "\{"; nothing after it can be read/],
      ["mismatch.json", '[{"a":1}, {"b":[1}, {"c":3}]', /breaks at byte 17: mismatched bracket "\}" inside the element/],
      ["cut.json", '[{"a":1}, {"b":"x', /the file ends inside element 1 \(after 7 bytes of it\): it is cut off/],
      ["unclosed.json", '[{"a":1}, {"b":2}\n', /the file ends without the closing "\]" after 2 elements/],
      ["trailing.json", '[{"a":1}] {"b":2}', /unexpected "\{" after the end of the top-level JSON array \(one JSON value per line is format "jsonl"\)/],
      ["trailing-comma.json", '[{"a":1},]', /expected an element, found "\]"/],
      ["scalar.json", '"rows"', /expected a JSON array of rows or an object of rows, found "\\""/],
    ];
    for (const [name, content, message] of cases) {
      const got = [];
      for await (const r of readJsonFile(file(name, content), { maxRowBytes: 1 << 20, chunkBytes: 4 })) got.push(r);
      const last = got.at(-1)!;
      expect("error" in last && last.error, name).toMatch(message);
      expect(last.reason, name).toBe("input:malformed_json");
      expect(got.slice(0, -1).map((r) => ("value" in r ? r.value : r.reason)), name).toEqual(name === "scalar.json" ? [] : name === "unclosed.json" ? [{ a: 1 }, { b: 2 }] : [{ a: 1 }]);
    }
  });
});

describe("hostile elements", () => {
  it("an element nested 100,000 deep is one input:too_deep row; the scanner tracks depth past the limit and reads on", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const path = file("deep.json", `[{"a":1}, ${deep}, {"d": ${"{\"x\":".repeat(1000)}1${"}".repeat(1000)}}, {"b":2}]`);
    for (const size of [4096, 1 << 20]) expect(await rows(path, size)).toEqual(['0 {"a":1}', "1 input:too_deep", "2 input:too_deep", '3 {"b":2}']);
    const keyed = file("deep-keyed.json", `{"k1": ${deep}, "k2": {"b": 2}}`);
    expect(await rows(keyed, 1000)).toEqual(["0/k1 input:too_deep", '1/k2 {"b":2}']);
  });

  it("a member whose key alone is over maxRowBytes is input:row_too_large, and the members after it are read", async () => {
    const path = file("big-key.json", `{"${"k".repeat(5000)}": {"a": 1}, "next": {"b": 2}}`);
    expect(await rows(path, 256, 1000)).toEqual(["0 input:row_too_large", '1/next {"b":2}']);
  });
});

describe("a JSON object of rows (keyed by problem text)", () => {
  const path = file("keyed.json", '{"What is 1+1?": {"responses": {"0.0": {"content": "2"}}}, "say \\"hi\\" [now]": {"r": 1},\n "What is 1+1?": {"r": 2}, "x": 5}');

  it("gives each member value as a row with its key; a repeated key gives a row each (nothing is lost)", async () => {
    const expected = ['0/What is 1+1? {"responses":{"0.0":{"content":"2"}}}', '1/say "hi" [now] {"r":1}', '2/What is 1+1? {"r":2}', "3/x 5"];
    for (const size of [1, 7, 1 << 16]) expect(await rows(path, size)).toEqual(expected);
  });

  it("a bad member key is that member's error", async () => {
    expect(await rows(file("bad-key.json", '{"ok": {"a": 1}, "b\\x": {"a": 2}, "c": {"a": 3}}'))).toEqual(['0/ok {"a":1}', "1 input:malformed_json", '2/c {"a":3}']);
  });
});

describe("reading JSON files as a source", () => {
  it("quarantines bad elements with their index (row and $[i]) and goes on; fail mode names file, row, $[i] and cause", async () => {
    file("mixed.json", JSON.stringify([{ p: "P0", r: "R0" }, { p: 1, r: "R1" }, "text", { p: "P3", r: "R3" }]));
    const q = await items({ name: "s", path: "mixed.json", onError: "quarantine", fields: { problem: "p", response: "r" } });
    expect(q.map((i) => (i.kind === "rollout" ? `${i.rollout.row}:${i.rollout.id}` : `${i.bad.row}:${i.bad.reason}:${i.bad.detail}`))).toEqual([
      "0:s:mixed.json:1",
      '1:input:wrong_type:$[1]: field "problem" (path p) must be a string, found a number',
      "2:input:wrong_type:$[2]: row must be a JSON object, found a string",
      "3:s:mixed.json:4",
    ]);
    await expect(items({ name: "s", path: "mixed.json", fields: { problem: "p", response: "r" } })).rejects.toThrow(/^mixed\.json, row 2: \$\[1\]: field "problem" \(path p\) must be a string, found a number$/);
  });

  it("maps $key to the member key and names members by key in messages", async () => {
    file("by-problem.json", JSON.stringify({ "What is 2+2?": { answer: "4", responses: { "0.0": { content: "4" }, "0.7": { content: "5" } } }, "Broken?": { answer: "1", responses: [] } }));
    const q = await items({ name: "s", path: "by-problem.json", onError: "quarantine", fields: { problem: "$key", response: "responses{}.content", reference: "answer" } });
    expect(q.map((i) => (i.kind === "rollout" ? [i.rollout.problem, i.rollout.response, i.rollout.reference] : i.bad.detail))).toEqual([
      ["What is 2+2?", "4", "4"],
      ["What is 2+2?", "5", "4"],
      '$["Broken?"] (member 1): field "response" (path responses{}.content) must be an object to explode, found an array; [] explodes an array',
    ]);
  });

  it("a .json file holding JSON Lines is read as JSONL; with format \"json\" named it is refused, saying to use jsonl", async () => {
    file("lines.json", '{"p":"P1","r":"R1"}\n{"p":"P2","r":"R2"}\n');
    expect(await holdsJsonLines(join(dir, "lines.json"), 1 << 20)).toBe(true);
    expect(await holdsJsonLines(join(dir, "keyed.json"), 1 << 20)).toBe(false);
    const q = await items({ name: "s", path: "lines.json", fields: { problem: "p", response: "r" } });
    expect(q.map((i) => i.kind === "rollout" && i.rollout.problem)).toEqual(["P1", "P2"]);
    await expect(items({ name: "s", path: "lines.json", format: "json", fields: { problem: "p", response: "r" } })).rejects.toThrow(/lines\.json: the file holds one JSON value per line \(JSON Lines\), not one JSON array or object of rows; set "format": "jsonl"/);
  });

  it("an empty array holds no rows (input:empty_file)", async () => {
    file("empty.json", " [ ] ");
    const q = await items({ name: "s", path: "empty.json", onError: "quarantine", fields: { problem: "p", response: "r" } });
    expect(q.map((i) => i.kind === "bad" && i.bad.reason)).toEqual(["input:empty_file"]);
  });
});

describe("a 50 MB JSON array", () => {
  it("is read element by element with bounded memory: peak RSS grows far less than the file, and a 24 MB heap suffices", () => {
    const path = join(dir, "big.json");
    const fd = openSync(path, "w");
    const response = "Let me think about \\\"this\\\" [step] by {step}. ".repeat(60);
    let bytes = 0;
    let n = 0;
    writeSync(fd, "[\n");
    for (; bytes < 50e6; n++) {
      const row = `${n ? ",\n" : ""}{"id": ${n}, "problem": "What is ${n} + ${n}?", "answer": "${2 * n}", "response": "${response}"}`;
      writeSync(fd, row);
      bytes += row.length;
    }
    writeSync(fd, "\n]\n");
    closeSync(fd);
    const size = statSync(path).size;
    // a child process: its own peak RSS, and a heap too small to hold the file (or a tenth of it)
    const script = `
      const { readJsonFile } = await import(${JSON.stringify(join(repoRoot, "dist", "io", "json-file.js"))});
      const before = process.resourceUsage().maxRSS * 1024;
      let rows = 0, last = -1, ordered = true;
      for await (const r of readJsonFile(${JSON.stringify(path)}, { maxRowBytes: 16 << 20 })) {
        rows++;
        if (!("value" in r) || r.value.id !== last + 1) ordered = false;
        last = r.value?.id ?? last;
      }
      console.log(JSON.stringify({ rows, ordered, before, peak: process.resourceUsage().maxRSS * 1024 }));`;
    const r = spawnSync(process.execPath, ["--max-old-space-size=24", "--input-type=module", "-e", script], { encoding: "utf8", timeout: CLI_TIMEOUT_MS, killSignal: "SIGKILL" });
    rmSync(path); // 50 MB: not left in the temp folder
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { rows: number; ordered: boolean; before: number; peak: number };
    expect(got.rows).toBe(n);
    expect(got.ordered).toBe(true);
    const growth = got.peak - got.before;
    console.log(`50 MB JSON array: ${size.toLocaleString("en-US")} bytes, ${n.toLocaleString("en-US")} elements, peak RSS ${(got.peak / 2 ** 20).toFixed(0)} MiB (+${(growth / 2 ** 20).toFixed(0)} MiB while reading)`);
    expect(growth).toBeLessThan(size / 3);
  });
});
