/**
 * Exact integers and rationals in answer verification (src/verify/exact.ts, numeric.ts): different exact
 * numbers are never equal because they round to the same double, equal ones stay equal, the relative
 * tolerance applies only where a written decimal may be a rounding, and values beyond the size bounds
 * are refused (verdict `timeout`, rule `exact/…`) instead of rounded. Every pair is checked both ways.
 * Runs the real Verifier (fast layers here; nothing below needs the symbolic worker).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Verifier } from "../../src/verify/verifier.js";
import { ratFromLiteral, newBudget, MAX_DIGITS, MAX_FACTORIAL } from "../../src/verify/exact.js";

const verifier = new Verifier({ timeoutMs: 5000, maxAnswerChars: 300_000 });
afterAll(() => verifier.close());

type Pair = [gold: string, pred: string];

function factorial(n: number): bigint {
  let r = 1n;
  for (let k = 2n; k <= BigInt(n); k++) r *= k;
  return r;
}
const HUNDRED_FACTORIAL = factorial(100).toString();

/** every pair both ways: [gold, pred, verdict, rule] of each that differs from the expectation */
async function misses(pairs: Pair[], verdict: string, rule?: (r: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const [g, p] of pairs) {
    for (const [a, b] of [[g, p], [p, g]] as const) {
      const v = await verifier.compare(a, b);
      if (v.verdict !== verdict || (rule && !rule(v.rule))) out.push(`${a.slice(0, 60)} vs ${b.slice(0, 60)}: ${v.verdict} (${v.rule})`);
    }
  }
  return out;
}

describe("different exact numbers are incorrect, whatever doubles say", () => {
  it("integers, powers, factorials, tiny powers, binomials", async () => {
    const pairs: Pair[] = [
      ["2^{64}-1", "18446744073709551616"],
      ["3^{40}", "12157665459056928802"],
      ["2^{100}", "2^{100}+1"],
      ["100!", "100!+1"],
      ["100!", `${HUNDRED_FACTORIAL.slice(0, -1)}1`],
      ["10^{-400}", "10^{-300}"],
      ["0", "10^{-400}"],
      ["2^{-1074}", "2^{-1075}"],
      ["12345678901234567891", "12345678901234567890"],
      ["\\binom{100}{50}", "100891344545564193334812497257"],
      ["2^{33219}", "2^{33219}+1"],
      ["3248!", "3248!+1"],
      ["10^{10000}", "10^{10000}+1"],
    ];
    expect(await misses(pairs, "incorrect", (r) => r === "numeric" || r === "expression")).toEqual([]);
  });
  it("numbers written out: 1e400 is not 1e401, an integer-valued decimal is an integer", async () => {
    const pairs: Pair[] = [
      ["1e400", "1e401"],
      ["1e-400", "1e-300"],
      ["0", "1e-400"],
      ["12345678901234567891", "12345678901234567890.0"],
      // no decimal on either side: exact, no tolerance (doubles with relTol called these equal)
      ["\\frac{1}{3}", "\\frac{3333}{10000}"],
      ["\\frac{1}{3}", "\\frac{33333}{100000}"],
    ];
    expect(await misses(pairs, "incorrect", (r) => r === "numeric" || r === "expression")).toEqual([]);
  });
});

describe("identities on 20- to 40-digit integers hold exactly and break by one", () => {
  it("200 random triples, 4 identities each, both ways", () => {
    let seed = 11;
    const digit = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 10;
    const big = () => String(1 + digit()) + Array.from({ length: 19 + 2 * digit() }, digit).join("");
    const fast = new Verifier();
    const wrong: string[] = [];
    for (let t = 0; t < 200; t++) {
      const [a, b, c] = [big(), big(), big()];
      const rows: [string, string, string][] = [
        [`(${a}+${b})^{2}`, `${a}^{2}+2\\cdot ${a}\\cdot ${b}+${b}^{2}`, `${a}^{2}+2\\cdot ${a}\\cdot ${b}+${b}^{2}+1`],
        [`\\frac{${a}}{${b}}+\\frac{${c}}{${b}}`, `\\frac{${a}+${c}}{${b}}`, `\\frac{${a}+${c}+1}{${b}}`],
        [`${a}\\cdot ${b}-${c}`, String(BigInt(a) * BigInt(b) - BigInt(c)), String(BigInt(a) * BigInt(b) - BigInt(c) - 1n)],
        [`\\frac{${a}\\cdot ${c}}{${b}\\cdot ${c}}`, `${a}/${b}`, `${BigInt(a) + 1n}/${b}`],
      ];
      for (const [lhs, same, offByOne] of rows) {
        for (const [g, p, want] of [[lhs, same, "correct"], [same, lhs, "correct"], [lhs, offByOne, "incorrect"], [offByOne, lhs, "incorrect"]]) {
          const v = fast.verifyFast({ reference: g, solution: "", answer: p });
          if (v.verdict !== want) wrong.push(`${g} vs ${p}: ${v.verdict} (${v.rule}), expected ${want}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("equal exact numbers stay correct", () => {
  it("powers, fractions against decimals, 100! written out, negative bases", async () => {
    expect(HUNDRED_FACTORIAL).toHaveLength(158);
    const pairs: Pair[] = [
      ["2^{64}", "18446744073709551616"],
      ["\\frac{6}{4}", "1.5"],
      ["100!", HUNDRED_FACTORIAL],
      ["(-3)^{3}", "-27"],
      ["0.1+0.2", "0.3"],
      ["\\frac{1}{8}", "0.125"],
      ["2^{-3}", "0.125"],
      ["1e-5", "10^{-5}"],
      ["\\binom{100}{50}", "100891344545564193334812497256"],
      ["\\lfloor \\frac{7}{2} \\rfloor", "3"],
      ["12345678901234567890", "12345678901234567890.000"],
      ["2^{33219}", "2^{33218}\\cdot 2"],
    ];
    expect(await misses(pairs, "correct")).toEqual([]);
  });
});

describe("the tolerance stays where a written decimal may be a rounding", () => {
  it("decimal approximations of rationals and irrationals", async () => {
    const close: Pair[] = [
      ["\\frac{1}{3}", "0.3333"],
      ["\\frac{14}{3}", "4.6667"],
      ["6630", "6630.65"],
      ["\\pi", "3.14159"],
      ["2^{64}-1", "1.8446744e19"],
    ];
    expect(await misses(close, "correct")).toEqual([]);
    const far: Pair[] = [
      ["\\frac{1}{3}", "0.333"],
      ["\\pi", "3.14"],
      ["2^{64}-1", "1.844e19"],
    ];
    expect(await misses(far, "incorrect")).toEqual([]);
  });
});

describe("beyond the bounds: timeout with the rule that says why, never a rounded verdict", () => {
  it("too large: powers, factorials, exponents, literals", async () => {
    const pairs: Pair[] = [
      ["2^{10^{9}}", "1"],
      ["2^{10^{9}}", "2^{10^{9}}+1"],
      ["1000000!", "5"],
      [`${MAX_FACTORIAL + 1}!`, `${MAX_FACTORIAL + 1}!+1`],
      ["2^{33221}", "2^{33221}+1"],
      ["10^{10001}", "10^{10001}+1"],
      ["1e99999999999", "1"],
      [`${"9".repeat(MAX_DIGITS + 1)}+1`, "1"],
    ];
    expect(await misses(pairs, "timeout", (r) => r === "exact/too_large")).toEqual([]);
  });
  it("over- or underflow of a double where no exact value exists", async () => {
    const pairs: Pair[] = [
      ["10^{-400}\\pi", "10^{-300}\\pi"],
      ["\\pi^{1000}", "\\pi^{1001}"],
      ["e^{-1000x}", "0"],
    ];
    expect(await misses(pairs, "timeout", (r) => r === "exact/out_of_range")).toEqual([]);
  });
  it("too much big-number work in one comparison", async () => {
    const pairs: Pair[] = [
      [Array(40).fill(`${MAX_FACTORIAL}!`).join("+"), "1"],
      [`\\{${Array.from({ length: 30 }, (_, k) => `3^{${20000 + k}}`).join(",")}\\}`, `\\{${Array.from({ length: 30 }, (_, k) => `3^{${20100 + k}}`).join(",")}\\}`],
    ];
    expect(await misses(pairs, "timeout", (r) => r === "exact/work_limit")).toEqual([]);
  });
  it("an integer reference beyond 2^53 that only doubles find equal", async () => {
    // the reverse (an expression reference) is compared with relTol by design, like 10000\sqrt{2} vs 14142
    const v = await verifier.compare("12345678901234567891", "\\sqrt{12345678901234567890^{2}}");
    expect(v).toMatchObject({ verdict: "timeout", rule: "exact/double_precision" });
    expect((await verifier.compare("12345678901234567891", "12345678901234567890+\\sin(0)")).verdict).not.toBe("correct");
  });
});

describe("100,000-digit inputs decide or refuse (times are logged, not asserted)", () => {
  const huge = "7".repeat(100_000);
  const cases: [string, string, string, string, string][] = [
    ["integer vs integer+1", huge, `${huge.slice(0, -1)}8`, "incorrect", "numeric"],
    ["integer vs itself with a leading zero", huge, `0${huge}`, "correct", "numeric"],
    ["integer inside an expression", `${huge}+1`, "5", "timeout", "exact/too_large"],
    ["a power against its digits", "10^{100000}", `1${"0".repeat(100_000)}`, "timeout", "exact/too_large"],
    ["a decimal with 100,000 digits", `0.${huge}`, "0.7", "timeout", "exact/too_large"],
  ];
  for (const [name, gold, pred, verdict, rule] of cases) {
    it(name, async () => {
      for (const [a, b] of [[gold, pred], [pred, gold]] as const) {
        const t = performance.now();
        const v = await verifier.compare(a, b);
        console.log(`verify-exact: ${name} (${a.length}+${b.length} chars): ${v.verdict} ${v.rule} in ${(performance.now() - t).toFixed(1)} ms`);
        expect(v).toMatchObject({ verdict, rule });
      }
    }, 60_000);
  }
});

describe("exact literals", () => {
  it("reads decimals as exact rationals and marks the possibly rounded ones", () => {
    const b = newBudget();
    expect(ratFromLiteral("0.125", b)).toEqual({ n: 125n, d: 1000n, approx: true });
    expect(ratFromLiteral("5.000", b)).toEqual({ n: 5n, d: 1n, approx: false });
    expect(ratFromLiteral("-.5e1", b)).toEqual({ n: -5n, d: 1n, approx: true });
    expect(ratFromLiteral("1e-5", b)).toEqual({ n: 1n, d: 100000n, approx: false });
    expect(ratFromLiteral("0003.1400e2", b)).toEqual({ n: 314n, d: 1n, approx: true });
    expect(ratFromLiteral("0.000", b)).toEqual({ n: 0n, d: 1n, approx: false });
  });
  it("the factorial bound is the last factorial with at most MAX_DIGITS digits", () => {
    expect(factorial(MAX_FACTORIAL).toString().length).toBeLessThanOrEqual(MAX_DIGITS);
    expect(factorial(MAX_FACTORIAL + 1).toString().length).toBeGreaterThan(MAX_DIGITS);
  });
});
