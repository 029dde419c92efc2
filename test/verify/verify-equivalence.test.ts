/**
 * Table-driven answer equivalence: hundreds of gold/pred pairs over every answer type, equal and
 * deliberately unequal (near misses). Runs the real Verifier: fast layers in this thread, the
 * symbolic worker (compute-engine) for what they cannot decide. Needs `npm run build` (worker from dist/).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Verifier } from "../../src/verify/verifier.js";
import { parseChoices } from "../../src/verify/choices.js";

type Row = [gold: string, pred: string, equal: boolean];

const TABLE: Record<string, Row[]> = {
  integers: [
    ["204", "204", true], ["204", "205", false], ["-1", "-1", true], ["-1", "1", false], ["0", "0", true], ["0", "-0", true],
    ["25", "025", true], ["7", "007", true], ["100", "0100", true], ["25", "250", false], ["5", "+5", true], ["5", "5.", true],
    ["5", "5.0", true], ["12", "12.5", false], ["3159", "3,159", true], ["1000000", "1,000,000", true], ["1000", "1{,}000", true],
    ["1000", "1\\,000", true], ["1000", "1\\!000", true], ["12345678901234567890", "12345678901234567890", true],
    ["12345678901234567890", "12345678901234567891", false], ["2", "two", true], ["2", "three", false], ["10", "10^1", true], ["1024", "2^{10}", true],
    ["1023", "2^{10}", false], ["120", "5!", true], ["24", "4!", true], ["10", "\\binom{5}{2}", true], ["11", "\\binom{5}{2}", false],
  ],
  decimalsAndFractions: [
    ["\\frac12", "0.5", true], ["\\frac{1}{2}", "\\frac{1}{3}", false], ["\\frac{1}{2}", "\\dfrac{1}{2}", true], ["\\frac{1}{2}", "\\tfrac12", true],
    ["\\frac{1}{2}", "1/2", true], ["\\frac{1}{2}", "2/4", true], ["\\frac{1}{2}", "\\frac{2}{4}", true], ["\\frac{3}{4}", "0.75", true],
    ["\\frac{3}{4}", "0.7", false], ["\\frac{1}{3}", "0.3333", true], ["\\frac{1}{3}", "0.33", false], ["\\frac{1}{3}", "0.333", false],
    ["-\\frac{35}{9}", "-\\frac{35}{9}", true], ["-\\frac{35}{9}", "\\frac{-35}{9}", true], ["-\\frac{35}{9}", "\\frac{35}{-9}", true],
    ["-\\frac{35}{9}", "\\frac{35}{9}", false], ["\\frac{243}{625}", "0.3888", true], ["\\frac{243}{625}", "0.389", false],
    ["0.35625", "0.35625", true], ["0.35625", ".35625", true], ["0.35625", "0.3562", false], ["18.90", "18.9", true], ["18.90", "\\$18.90", true],
    ["2.5", "\\frac{5}{2}", true], ["2.5", "2\\frac{1}{2}", true], ["2\\frac{1}{2}", "\\dfrac{5}{2}", true], ["2\\frac{1}{2}", "1", false], ["\\frac{14}{3}", "4\\frac{2}{3}", true],
    ["-2\\frac{1}{2}", "-2.5", true], ["2\\frac{3}{2}", "3", true], ["\\frac{14}{3}", "4\\frac{1}{3}", false], ["\\frac{14}{3}", "4.6667", true],
    ["0.1", "0.10", true], ["0.1", "0.01", false], ["\\frac{3}{56}", "\\frac{6}{112}", true], ["\\frac{3}{56}", "\\frac{3}{65}", false],
  ],
  scientificAndPercent: [
    ["4.5e33", "4.5\\times10^{33}", true], ["4.5e33", "4.5 \\times 10^{35}", false], ["1e-5", "10^{-5}", true], ["1e-5", "0.00001", true],
    ["1e-5", "1e-6", false], ["3.83e35", "3.83 \\times 10^{35} \\text{ ergs/s}", true], ["3.89e-10", "3.88e-10", false], ["6e13", "6\\cdot 10^{13}", true],
    ["2.88e-19", "2.89\\times10^{-19}", false], ["1.6e-18", "1.6E-18", true], ["10\\%", "0.1", true], ["10\\%", "10", true], ["10\\%", "10\\%", true],
    ["10\\%", "1", false], ["50", "50\\%", true], ["0.5", "50\\%", true], ["0.5", "5\\%", false], ["12.5\\%", "\\frac{1}{8}", true],
  ],
  unitsAndDecorations: [
    ["30", "30^\\circ", true], ["30", "30^{\\circ}", true], ["30", "30°", true], ["30", "31^\\circ", false], ["700", "700°C", true],
    ["700", "700^\\circ \\text{C}", true], ["12", "12 \\text{ cm}", true], ["12", "12\\text{cm}^2", true], ["12", "12 \\mbox{ inches}", true],
    ["12", "13 \\text{ cm}", false], ["15000", "15,000 \\text{ kcal m}^{-2} \\text{yr}^{-1}", true], ["1000", "1000 \\text{ rad/s}", true],
    ["0.1", "0.1 \\text{ m/s}", true], ["35.06", "35.06 \\, \\text{g/mol}", true], ["2.55e-10", "2.55 \\times 10^{-10} \\mathrm{~m}", true],
    ["12", "12^{\\text{th}}", true], ["12", "12^{\\mathrm{th}} \\text{ grade}", true], ["5", "5.", true], ["5", "$5$", true], ["5", "\\(5\\)", true],
    ["5", "\\[5\\]", true], ["5", "\\boxed{5}", true], ["5", "{5}", true], ["78", "\\$78", true], ["78", "\\$87", false],
  ],
  prefixes: [
    ["5", "x=5", true], ["5", "x = 5", true], ["5", "n=5", true], ["5", "x=6", false], ["30", "QM = 30", true], ["2", "\\tan A = 2", true], ["2", "\\tan A = 3", false],
    ["\\frac{1}{2}", "p = \\frac12", true], ["3", "k \\in 3", true], ["[1,2]", "x \\in [1,2]", true], ["[1,2]", "x \\in (1,2)", false],
    ["1251", "x = 417 \\times 3 = 1251", true], ["1251", "x = 417 \\times 3 = 1250", false], ["17", "x + y = 17", true],
    ["\\sqrt{4\\pi G\\rho_{0}r_{0}^{2}}", "v(r) = \\sqrt{4\\pi G \\rho_{0} r_{0}^{2}}", true], ["s^{2}+\\omega^{2}", "p(s) = s^{2} + \\omega^{2}", true],
    ["600", "x \\approx 600", true], ["600", "x \\approx 601", false],
  ],
  radicalsAndConstants: [
    ["\\frac{\\sqrt3}{2}", "\\frac{\\sqrt{3}}{2}", true], ["\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{2}}{2}", false], ["\\frac{\\sqrt{3}}{2}", "\\sin(\\pi/3)", true],
    ["\\frac{\\sqrt{3}}{2}", "\\cos\\frac{\\pi}{3}", false], ["2\\pi", "\\pi\\cdot 2", true], ["2\\pi", "2 \\pi", true], ["2\\pi", "\\pi^2", false],
    ["2\\pi", "6.2832", true], ["2\\pi", "6.28", false], ["3\\sqrt{13}", "\\sqrt{117}", true], ["3\\sqrt{13}", "\\sqrt{118}", false],
    ["11\\sqrt{2}", "\\sqrt{242}", true], ["\\sqrt{51}", "\\sqrt{51}", true], ["\\sqrt{51}", "51^{1/2}", true], ["\\sqrt{51}", "\\sqrt{15}", false],
    ["\\sqrt[3]{2}", "2^{1/3}", true], ["\\sqrt[3]{2}", "2^{1/2}", false], ["\\sqrt[3]{-8}", "-2", true], ["\\pi", "\\pi", true], ["\\pi", "3.14159", true],
    ["\\pi", "3.14", false], ["e", "\\exp(1)", true], ["e^2", "\\exp(2)", true], ["\\ln 2", "\\log_{e} 2", true], ["\\log_2 8", "3", true],
    ["\\log_2 8", "4", false], ["\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", true], ["\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{3}}{2}", false],
    ["2+\\sqrt{3}", "\\sqrt{3}+2", true], ["2+\\sqrt{3}", "2-\\sqrt{3}", false], ["\\frac{3\\sqrt{3}}{4}", "\\frac34\\sqrt3", true], ["12\\pi", "12π", true],
    ["\\sqrt{5}", "√5", true], ["\\sqrt{5}", "√6", false],
  ],
  complex: [
    ["6-5i", "6 - 5i", true], ["6-5i", "-5i+6", true], ["6-5i", "6+5i", false], ["-2+7i", "-2 + 7i", true], ["1+\\sqrt{3}i", "1 + i \\sqrt{3}", true],
    ["1+\\sqrt{3}i", "1 - i \\sqrt{3}", false], ["\\frac{4A}{3+3i}e^{it}", "\\frac{2A(1-i)}{3}e^{it}", true], ["i", "\\sqrt{-1}", true],
    ["-1", "i^2", true], ["1", "i^2", false], ["6+9i", "(1+2i)6-3i", true],
  ],
  symbolic: [
    ["(x+1)^2", "x^2+2x+1", true], ["(x+1)^2", "x^2+x+1", false], ["(x+1)^2", "(1+x)(x+1)", true], ["x^2-1", "(x-1)(x+1)", true],
    ["x^2-1", "(x-1)^2", false], ["\\sin^2 x + \\cos^2 x", "1", true], ["2\\sin x\\cos x", "\\sin(2x)", true], ["2\\sin x\\cos x", "\\sin(x)", false],
    ["\\frac{x}{2}-\\frac14+ce^{-2x}", "\\frac{1}{2}x-\\frac{1}{4}+ce^{-2x}", true], ["\\frac{1}{2}(e^{at}+e^{-at})", "\\cosh(at)", true],
    ["\\frac{1}{2a}(\\exp{a*t}-\\exp{-a*t})", "\\frac{1}{a}\\sinh(at)", true], ["\\frac{1}{2a}(\\exp{a*t}-\\exp{-a*t})", "\\frac{1}{a}\\cosh(at)", false],
    ["p-q", "-q+p", true], ["p-q", "q-p", false], ["8n^2+4n+1", "4n+8n^2+1", true], ["8n^2+4n+1", "8n^2+4n", false],
    ["\\frac{s+\\sigma}{(s+\\sigma)^{2}+\\omega_{d}^{2}}", "\\frac{s + \\sigma}{(s + \\sigma)^2 + \\omega_d^2}", true],
    ["x_{0}\\cos(\\omegat)+\\dot{x}_{0}\\sin(\\omegat)/\\omega", "x_{0} \\cos(\\omega t) + \\frac{\\dot{x}_{0}}{\\omega} \\sin(\\omega t)", true],
    ["2\\cos(\\pit+\\pi/3)", "-2\\cos(\\pi t-\\frac{2\\pi}{3})", true], ["2\\cos(\\pit+\\pi/3)", "2\\cos(\\pi t-\\frac{2\\pi}{3})", false],
    ["\\frac{a}{b}", "a/b", true], ["\\frac{a}{b}", "b/a", false], ["ab", "ba", true], ["a^b", "b^a", false], ["|x|", "\\left|x\\right|", true],
    ["\\lfloor 2.5 \\rfloor", "2", true], ["\\lceil 2.5 \\rceil", "2", false], ["x_1+x_2", "x_2+x_1", true], ["x_1+x_2", "x_1+x_3", false],
  ],
  tuplesAndPoints: [
    ["(1,2)", "(1,2)", true], ["(1,2)", "(1, 2)", true], ["(1,2)", "\\left(1,2\\right)", true], ["(1,2)", "(2,1)", false], ["(1,2)", "[1,2]", false],
    ["(1,2)", "\\{1,2\\}", false], ["(3,\\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", true], ["(3,\\frac{\\pi}{2})", "(3, 1.5708)", true],
    ["(3,\\frac{\\pi}{2})", "(3, \\pi)", false], ["(1,2,3)", "(1,2,3)", true], ["(1,2,3)", "(1,3,2)", false], ["(15,-29)", "(15, -29)", true],
    ["(15,-29)", "(-29, 15)", false], ["(\\frac12, 3)", "(0.5, 3)", true], ["(1,2)", "1, 2", true], ["(1,2)", "x=1, y=2", true], ["(1,2)", "(1,2,3)", false],
    ["\\langle 1,2\\rangle", "(1,2)", true],
  ],
  setsAndLists: [
    ["\\{1,2\\}", "\\{2,1\\}", true], ["\\{1,2\\}", "\\{1,3\\}", false], ["\\{1,2\\}", "1, 2", true], ["\\{1,2\\}", "2,1", true], ["\\{1,2\\}", "\\{1,2,3\\}", false],
    ["1,-1", "W(x)=1orW(x)=-1", true], ["1,-1", "W(x)=1orW(x)=2", false], ["6,8", "6 \\text{ and } 8", true], ["19,46,82", "19, 46, and 82", true],
    ["-2,1", "1,-2", true], ["-2,1", "-2, 1", true], ["-2,1", "-2", false], ["-2,1", "x=-2, x=1", true], ["-2,1", "\\{-2, 1\\}", true],
    ["1,\\frac{1}{2}", "\\frac12, 1", true], ["1,\\frac{1}{2}", "0.5, 1", true], ["1,\\frac{1}{2}", "1, \\frac13", false], ["4", "4, \\frac{7}{2}", false],
    ["1", "1, \\frac{1}{2} + \\frac{\\sqrt{3}}{2} i, \\frac{1}{2} - \\frac{\\sqrt{3}}{2} i", false], ["1 \\pm \\sqrt{2}", "1+\\sqrt{2}, 1-\\sqrt{2}", true],
    ["1 \\pm \\sqrt{2}", "1-\\sqrt2, 1+\\sqrt2", true], ["1 \\pm \\sqrt{2}", "1+\\sqrt{2}", false], ["\\pm 3", "3, -3", true], ["\\pm 3", "3", false],
    ["x=\\pm 1", "1, -1", true], ["\\frac{1}{4-\\omega^{2}}", "\\frac{1}{4 - \\omega^2}, \\quad \\text{for } \\omega^2 \\neq 4", true],
    ["1,2 \\text{ and } 3", "1, 2, 3", true],
  ],
  intervals: [
    ["(-\\infty, 2]", "(-\\infty,2]", true], ["(-\\infty, 2]", "(-\\infty, 2)", false], ["(-\\infty, 2]", "x \\le 2", true], ["(-\\infty, 2]", "x \\leq 2", true],
    ["(-\\infty, 2]", "x < 2", false], ["(-\\infty, 2]", "2 \\geq x", true], ["[2,\\infty)", "x \\ge 2", true], ["(2,\\infty)", "[2,\\infty)", false],
    ["(2,\\infty)", "x>2", true], ["(\\frac{3}{5},\\frac{8}{3}]", "\\left(\\frac{3}{5}, \\frac{8}{3}\\right]", true],
    ["(\\frac{3}{5},\\frac{8}{3}]", "\\left(\\frac{3}{5}, \\frac{8}{3}\\right)", false], ["(0.6, 3]", "(\\frac35, 3]", true], ["[1,3)", "1 \\le x < 3", true],
    ["[1,3)", "1 < x \\le 3", false], ["(-\\infty,1)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,1)", true],
    ["(-\\infty,1)\\cup(2,\\infty)", "(-\\infty,1]\\cup(2,\\infty)", false], ["(-\\infty,1)\\cup(2,\\infty)", "(-\\infty,1)", false], ["[-1, 1]", "[-1,1]", true],
  ],
  matrices: [
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1 & 2\\\\ 3&4\\end{bmatrix}", true],
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", false],
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\end{pmatrix}", false],
    ["\\begin{pmatrix}\\frac12\\\\ 2\\end{pmatrix}", "\\begin{pmatrix} 0.5 \\\\ 2 \\end{pmatrix}", true],
    ["\\begin{pmatrix}-2-14-7\\end{pmatrix}", "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}", true],
    ["\\begin{pmatrix}-2-14-7\\end{pmatrix}", "\\begin{pmatrix} -2 \\\\ -14 \\\\ -8 \\end{pmatrix}", false],
    ["\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", true],
  ],
  // equations equal up to a non-zero factor are equal (Math-Verify solves both and compares the solutions),
  // except two integer forms, equal up to sign only (a problem's "Ax+By+Cz+D=0 with gcd 1")
  equations: [
    ["y=2x+1", "y = 1 + 2x", true], ["y=2x+1", "2x - y + 1 = 0", true], ["y=2x+1", "y=2x-1", false], ["y=2x+1", "2y-4x=2", false],
    ["5x-7y+11z+4=0", "5x - 7y + 11z + 4 = 0", true], ["5x-7y+11z+4=0", "20x-28y+44z+16=0", false], ["5x-7y+11z+4=0", "-5x+7y-11z-4=0", true],
    ["2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", true], ["2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{5}", false],
    ["x^2/4+y^2/3=1", "x^2/16+y^2/12=1/4", true], ["x^2/4+y^2/3=1", "x^2/16+y^2/12=1/3", false],
    ["x^2+y^2=1", "y^2+x^2=1", true], ["x^2+y^2=1", "x^2+y^2=2", false], ["m\\frac{dv}{dt}+bv=f", "m\\frac{dv}{dt}+bv=f", true],
  ],
  multipleChoice: [
    ["C", "C", true], ["C", "(C)", true], ["C", "\\text{(C)}", true], ["C", "\\textbf{(C)}", true], ["C", "(C) 12", true], ["C", "\\textbf{(C) }12", true],
    ["C", "D", false], ["C", "(D)", false], ["(B)", "\\textbf{(B)}", true], ["(B)", "B", true], ["\\text{(E)}", "E", true], ["\\text{(E)}", "(A)", false],
  ],
  text: [
    ["\\mbox{four}", "4", true], ["4", "four", true], ["\\text{four}", "5", false], ["\\dfrac{5}{11}", "5⁄11", true], ["\\dfrac{5}{11}", "5⁄12", false],
    ["\\text{Evelyn}", "Evelyn", true], ["Evelyn", "\\text{Evelyn}", true], ["Evelyn", "evelyn", true], ["Evelyn", "Evlyen", false], ["Evelyn", "Bob", false],
    ["\\text{east}", "east", true], ["\\text{east}", "west", false], ["\\text{odd}", "\\text{odd}", true], ["\\text{odd}", "\\text{even}", false],
  ],
  bases: [["52_8", "52_8", true], ["52_8", "52_{8}", true], ["52_8", "42", true], ["52_8", "53_8", false], ["1011_2", "11", true], ["1011_2", "1011", false]],
};

// generated rows: every integer 0..60 against itself, its AIME zero padding and its neighbour
for (let n = 0; n <= 60; n++) {
  TABLE.integers!.push([String(n), String(n).padStart(3, "0"), true], [String(n), String(n + 1), false]);
}
// fractions a/b (lowest terms) against decimal, \dfrac and a near miss with the next denominator
for (let b = 2; b <= 9; b++) {
  for (let a = 1; a < b; a++) {
    TABLE.decimalsAndFractions!.push([`\\frac{${a}}{${b}}`, `\\dfrac{${a}}{${b}}`, true], [`\\frac{${a}}{${b}}`, `\\frac{${a}}{${b + 1}}`, false]);
  }
}

const verifier = new Verifier({ timeoutMs: 5000 });
afterAll(() => verifier.close());

const total = Object.values(TABLE).reduce((n, rows) => n + rows.length, 0);

describe(`answer equivalence table (${total} pairs)`, () => {
  it("has hundreds of pairs, both equal and unequal in every category", () => {
    expect(total).toBeGreaterThan(400);
    for (const [name, rows] of Object.entries(TABLE)) {
      expect(rows.some((r) => r[2]), `${name} has an equal pair`).toBe(true);
      expect(rows.some((r) => !r[2]), `${name} has an unequal pair`).toBe(true);
    }
  });
  for (const [name, rows] of Object.entries(TABLE)) {
    it(name, async () => {
      const wrong: string[] = [];
      for (const [gold, pred, equal] of rows) {
        const v = await verifier.compare(gold, pred);
        const want = equal ? "correct" : "incorrect";
        if (v.verdict !== want) wrong.push(`${JSON.stringify(gold)} vs ${JSON.stringify(pred)}: expected ${want}, got ${v.verdict} (rule ${v.rule})`);
      }
      expect(wrong).toEqual([]);
    });
  }
  it("is symmetric on equal pairs without structure prefixes", async () => {
    const wrong: string[] = [];
    for (const cat of ["integers", "decimalsAndFractions", "radicalsAndConstants", "symbolic", "setsAndLists", "intervals"]) {
      for (const [gold, pred, equal] of TABLE[cat]!) {
        if (!equal || /=|\\in|\\le|\\ge|<|>|\\pm|text|\\\$/.test(gold + pred)) continue;
        const v = await verifier.compare(pred, gold);
        if (v.verdict !== "correct") wrong.push(`${pred} vs ${gold}: ${v.verdict} (${v.rule})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("thousands separators inside a command argument", () => {
  it("grades \\dfrac{1}{29,\\!322,\\!216} as a reference (was ungradable_reference)", async () => {
    const ref = "\\dfrac{1}{29,\\!322,\\!216}";
    expect(await verifier.compare(ref, "\\frac{1}{29322216}")).toMatchObject({ verdict: "correct" });
    expect(await verifier.compare(ref, "1/29322216")).toMatchObject({ verdict: "correct" });
    expect(await verifier.compare(ref, "\\frac{1}{29322217}")).toMatchObject({ verdict: "incorrect" });
    expect(await verifier.compare("\\frac{1}{29{,}322{,}216}", "\\dfrac{1}{29,322,216}")).toMatchObject({ verdict: "correct" });
    // a set keeps its items: `\{1,234\}` is two numbers, not 1234
    expect(await verifier.compare("\\{1,234\\}", "\\{234,1\\}")).toMatchObject({ verdict: "correct" });
    expect(await verifier.compare("\\{1,234\\}", "1234")).toMatchObject({ verdict: "incorrect" });
  });
});

describe("multiple choice with the options of the problem", () => {
  const problem =
    "Which equation has the largest solution $x$?\n\n$\\textbf{(A)}\\ 3(1 + r)^x = 7\\qquad \\textbf{(B)}\\ 12 \\qquad \\textbf{(C)}\\ \\frac{1}{2}$ $\\textbf{(D)}\\ 14\\qquad \\textbf{(E)}\\ 15$";
  it("parses the options", () => {
    expect(parseChoices(problem)).toEqual({ A: "3(1 + r)^x = 7", B: "12", C: "\\frac{1}{2}", D: "14", E: "15" });
    expect(parseChoices("no options here (A) only")).toBeNull();
  });
  it("matches a letter reference against the option text and the reverse", async () => {
    expect((await verifier.verify({ reference: "C", solution: "", answer: "0.5", problem })).verdict).toBe("correct");
    expect((await verifier.verify({ reference: "C", solution: "", answer: "12", problem })).verdict).toBe("incorrect");
    expect((await verifier.verify({ reference: "12", solution: "", answer: "(B)", problem })).verdict).toBe("correct");
    expect((await verifier.verify({ reference: "12", solution: "", answer: "(D)", problem })).verdict).toBe("incorrect");
    // without the problem a bare letter cannot match a number
    expect((await verifier.compare("12", "(B)")).verdict).toBe("incorrect");
  });
});

describe("verdicts that are not the model's fault", () => {
  it("an empty or missing reference is ungradable_reference, never incorrect", async () => {
    expect((await verifier.verify({ reference: null, solution: "\\boxed{5}" })).verdict).toBe("ungradable_reference");
    expect((await verifier.verify({ reference: "  ", solution: "\\boxed{5}" })).verdict).toBe("ungradable_reference");
  });
  it("a reference with unbalanced braces is ungradable_reference", async () => {
    const v = await verifier.compare("\\frac{1}{2", "0.5");
    expect(v.verdict).toBe("ungradable_reference");
    expect(v.rule).toBe("reference_unparseable");
  });
  it("a reference no layer can parse is ungradable_reference", async () => {
    const v = await verifier.compare("\\frac{2\\pic^{2}R^{2}}{\\lambda^{5}[e^{hc/(\\lambdakT)}-1]d^{2}}", "1");
    expect(["ungradable_reference", "incorrect"]).toContain(v.verdict);
    expect(v.verdict).not.toBe("correct");
  });
  it("reports the deciding layer", async () => {
    expect((await verifier.compare("5", "5")).rule).toBe("string");
    expect((await verifier.compare("\\frac12", "0.5")).rule).toBe("numeric");
    expect((await verifier.compare("(x+1)^2", "x^2+2x+1")).rule).toBe("expression");
    expect((await verifier.compare("(1,2)", "[1,2]")).rule).toBe("tuple~interval/structure");
  });
});

describe("fuzz: random LaTeX fragments never throw and always get a verdict", () => {
  it("20,000 deterministic random pairs", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pieces = ["{", "}", "(", ")", "[", "]", "\\", "^", "_", "$", ",", "=", "<", ">", "|", "!", ".", "-", "+", "1", "2", "0", "9", "x", "y", " ",
      "\\frac", "\\sqrt", "\\left", "\\right", "\\pi", "\\boxed{", "\\text{", "\\begin{pmatrix}", "&", "\\\\", "\\end{pmatrix}",
      "\\infty", "\\cup", "\\pm", "\\{", "\\}", "\\%", "^\\circ", "e", "i", "\\sin", "\\log_", "!", "'", "\\dot{"];
    const frag = () => {
      let s = "";
      const n = 1 + Math.floor(rnd() * 16);
      for (let j = 0; j < n; j++) s += pieces[Math.floor(rnd() * pieces.length)];
      return s;
    };
    const fast = new Verifier();
    const verdicts = new Set(["correct", "incorrect", "no_answer", "ungradable_reference", "timeout"]);
    const internal: string[] = [];
    for (let k = 0; k < 10000; k++) {
      const g = frag();
      const p = frag();
      for (const v of [fast.verifyFast({ reference: g, solution: "", answer: p }), fast.verifyFast({ reference: g, solution: p })]) {
        expect(verdicts.has(v.verdict)).toBe(true);
        if (v.rule.startsWith("internal_error")) internal.push(`${g} | ${p}`);
      }
    }
    expect(internal).toEqual([]);
  });
});
