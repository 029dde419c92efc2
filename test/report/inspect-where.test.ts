/**
 * The --where filter language: parsing, precedence, SQL-like null semantics, errors that point at the
 * problem, and safety (no code execution, bounded depth, linear time on long input).
 */
import { describe, expect, it } from "vitest";
import { parseWhere, WhereError } from "../../src/report/where.js";
import { compileWhere } from "../../src/report/where-eval.js";
import { cpuMsOf } from "../helpers/cpu.js";

const rows = [
  { id: "a", verdict: "incorrect", tokens_response: 9000, source: "numina", contaminated: null, annotations: { verify: { rule: "numeric" } }, meta: { subject: "Algebra" }, tags: ["x", "y"], kept: false },
  { id: "b", verdict: "correct", tokens_response: 500, source: "openr1", contaminated: "math500", annotations: { verify: { rule: "string" } }, meta: { subject: "Geometry" }, tags: [], kept: true },
  { id: "c", verdict: null, tokens_response: null, source: "numina", contaminated: null, annotations: {}, meta: {}, tags: ["y"], kept: true },
  { id: "d \"q\"", verdict: "no_answer", tokens_response: 8001, source: "chat", contaminated: null, annotations: { verify: { rule: "no_answer" } }, meta: { subject: "Algebra" }, tags: null, kept: false },
];

const ids = (expr: string) => rows.filter(compileWhere(expr).test).map((r) => r.id);

describe("where: semantics", () => {
  it("compares numbers and strings, and combines with and/or/not and parentheses", () => {
    expect(ids('verdict = "incorrect" and tokens_response > 8000')).toEqual(["a"]);
    expect(ids("tokens_response > 8000")).toEqual(["a", "d \"q\""]);
    expect(ids("tokens > 8000 and not verdict = 'incorrect'")).toEqual(["d \"q\""]);
    expect(ids('source = "numina" or source = "chat" and verdict = "no_answer"')).toEqual(["a", "c", "d \"q\""]);
    expect(ids('(source = "numina" or source = "chat") and verdict = "no_answer"')).toEqual(["d \"q\""]);
    expect(ids("tokens_response >= 500 and tokens_response <= 8001")).toEqual(["b", "d \"q\""]);
    expect(ids("tokens_response != 500")).toEqual(["a", "d \"q\""]);
  });

  it("treats null like SQL: comparisons with null are false; is null / is not null / = null test it", () => {
    expect(ids('verdict != "correct"')).toEqual(["a", "d \"q\""]);
    expect(ids("verdict is null")).toEqual(["c"]);
    expect(ids("verdict = null")).toEqual(["c"]);
    expect(ids("contaminated is not null")).toEqual(["b"]);
    expect(ids("not tokens_response > 1000")).toEqual(["b", "c"]);
  });

  it("supports in (...), not in, contains on strings and arrays, booleans and nested JSON paths", () => {
    expect(ids('verdict in ("correct", "no_answer")')).toEqual(["b", "d \"q\""]);
    expect(ids('verdict not in ("correct", "no_answer")')).toEqual(["a"]);
    expect(ids('id contains "\\"q\\""')).toEqual(["d \"q\""]);
    expect(ids('tags contains "y"')).toEqual(["a", "c"]);
    expect(ids("kept = true")).toEqual(["b", "c"]);
    expect(ids("kept")).toEqual(["b", "c"]);
    expect(ids('annotations.verify.rule = "numeric"')).toEqual(["a"]);
    expect(ids('meta.subject = "Algebra" and annotations.verify.rule is not null')).toEqual(["a", "d \"q\""]);
    expect(ids("`tokens_response` < 1000")).toEqual(["b"]);
  });

  it("does not coerce between numbers and strings", () => {
    expect(ids('tokens_response = "500"')).toEqual([]);
    expect(ids('verdict < 3')).toEqual([]);
  });
});

describe("where: errors and safety", () => {
  it("points at the position of a syntax error", () => {
    const cases: [string, RegExp, number][] = [
      ['verdict = "incorrect" and', /expected a value/, 25],
      ['verdict = "open', /unterminated string/, 10],
      ["tokens > 5 5", /unexpected 5/, 11],
      ["verdict in ('a' 'b')", /expected "," or "\)"/, 16],
      ["a = 1 ; drop", /unexpected character ";"/, 6],
      ["(a = 1", /expected "\)"/, 6],
    ];
    for (const [expr, msg, pos] of cases) {
      let err: unknown;
      try {
        parseWhere(expr);
      } catch (e) {
        err = e;
      }
      expect(err, expr).toBeInstanceOf(WhereError);
      expect((err as WhereError).message).toMatch(msg);
      expect((err as WhereError).position, expr).toBe(pos);
    }
  });

  it("rejects unknown columns when the schema is known, listing the real ones", () => {
    expect(() => compileWhere('verdikt = "x"', ["verdict", "tokens_response"])).toThrow(/unknown column "verdikt"; columns are: verdict, tokens_response/);
    expect(() => compileWhere('verdict = "x"', ["verdict"])).not.toThrow();
  });

  it("has no way to call code: JavaScript-looking input is a syntax error, not executed", () => {
    const g = globalThis as Record<string, unknown>;
    delete g.__whereRan;
    for (const expr of ['constructor.constructor("globalThis.__whereRan=1")()', "process.exit(1)", "id = `x`; globalThis.__whereRan = 1", 'require("fs")']) {
      expect(() => compileWhere(expr).test(rows[0]!)).toThrow(WhereError);
    }
    // a path through prototype properties resolves to nothing, not to functions
    expect(ids("constructor is not null")).toEqual([]);
    expect(ids("id.constructor.name is not null")).toEqual([]);
    expect(g.__whereRan).toBeUndefined();
  });

  it("bounds nesting depth and stays linear on long input", () => {
    expect(() => parseWhere("(".repeat(200) + "a = 1" + ")".repeat(200))).toThrow(/nested too deeply/);
    expect(() => parseWhere("not ".repeat(200) + "a = 1")).toThrow(/nested too deeply/);
    const long = Array.from({ length: 500 }, (_, i) => `tokens > ${i}`).join(" or ");
    expect(long.length).toBeLessThan(8192);
    expect(cpuMsOf(() => compileWhere(long).test({ tokens_response: 5 }))).toBeLessThan(500);
    expect(compileWhere(long).test({ tokens_response: 5 })).toBe(true);
    expect(() => parseWhere('"' + "x".repeat(200_000))).toThrow(/too long/);
  });
});
