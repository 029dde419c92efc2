/**
 * A deterministic synthetic corpus of annotated rollouts (MixRow streams) for the mixtures tests and
 * benchmarks: math problems of several domains, several rollouts per problem with <think> reasoning of
 * varied length and a boxed final answer, verdicts drawn from a per-problem solve rate, and the drop
 * reasons a run produces (exact duplicates, truncation, contamination, requireCorrect). Token counts
 * are exact (the caller passes the real counter); problem summaries come from the real ProblemStats.
 */
import type { Rollout, DropReason } from "../record/rollout.js";
import type { Verdict } from "../verify/types.js";
import type { ProblemSummary } from "../group/problems.js";
import { ProblemStats } from "../group/problems.js";
import { keysFor } from "../tokens/annotator.js";
import { normalizeTrace } from "../record/trace.js";
import type { MixRow } from "./table.js";
import { mulberry32 } from "../text/hash.js";


const SUBJECTS = [
  { subject: "Algebra", make: (a: number, b: number) => [`Let $f(x) = ${a}x^2 + ${b}x - ${a + b}$. Find the sum of the squares of the roots of $f(x) = 0$.`, `${b * b - 2 * a * -(a + b)}/${a * a}`] },
  { subject: "Geometry", make: (a: number, b: number) => [`A right triangle has legs of length ${a} and ${b + a}. A circle is inscribed in the triangle. What is the area of the circle? Express your answer in terms of $\\pi$.`, `${a}\\pi`] },
  { subject: "Number Theory", make: (a: number, b: number) => [`What is the remainder when $${a + 2}^{${b + 10}}$ is divided by ${b + 7}?`, `${(a * b) % (b + 7)}`] },
  { subject: "Counting & Probability", make: (a: number, b: number) => [`In how many ways can ${a + 3} distinct books be arranged on a shelf if ${Math.min(a, 2) + 1} particular books must stay together and the ${b % 3 + 1} red books may not be at either end?`, `${(a + 3) * b * 12}`] },
  { subject: "Precalculus", make: (a: number, b: number) => [`Compute $\\lim_{x \\to 0} \\frac{\\sin(${a}x) - ${a}x}{x^3}$ and then evaluate $\\int_0^{${b}} x e^{-x} \\, dx$ to four decimal places. Give the sum.`, `${(-(a ** 3) / 6).toFixed(3)}`] },
];

const STEPS = [
  "Let me start by writing down what is given and what we need to find.",
  "First, I'll consider the structure of the expression and see whether a substitution simplifies it.",
  "Wait, I should double-check that step, because the sign of the constant term matters here.",
  "Using Vieta's formulas, the sum of the roots is $-b/a$ and the product is $c/a$, so $r_1^2 + r_2^2 = (r_1 + r_2)^2 - 2 r_1 r_2$.",
  "Hmm, that doesn't look right. Let me recompute the discriminant: $\\Delta = b^2 - 4ac$.",
  "So the inradius of a right triangle is $r = (a + b - c)/2$, where $c$ is the hypotenuse.",
  "By Fermat's little theorem, $a^{p-1} \\equiv 1 \\pmod p$ when $p$ is prime and does not divide $a$.",
  "Let me verify with a small case: if there are only three books, the count should be easy to list by hand.",
  "Expanding with the Taylor series, $\\sin(u) = u - u^3/6 + O(u^5)$, which gives the cubic term directly.",
  "Alternatively, I could approach this with complementary counting and subtract the bad arrangements.",
  "Now I'll combine the two partial results and simplify the fraction carefully.",
  "Actually, let me reconsider whether the problem intends the roots to be real or complex; the formula works either way.",
  "Checking the arithmetic once more: each term agrees with the earlier computation, so the result stands.",
  "这一步需要再检查一下。",
];

export interface SyntheticOptions {
  problems: number;
  /** rollouts per problem: min..max */
  rollouts: [number, number];
  /** reasoning paragraphs per rollout: min..max */
  steps: [number, number];
  seed: number;
  sources?: string[];
  /** share of problems whose rollouts matched a benchmark */
  contaminated?: number;
  /** drop incorrect rollouts as `verify:incorrect` (the requireCorrect filter) */
  requireCorrect?: boolean;
}

export interface SyntheticCorpus {
  rows: MixRow[];
  summaries: Map<string, ProblemSummary>;
  problem: (g: string) => ProblemSummary | undefined;
}

/** Build the corpus in memory (tests and benchmarks keep it small enough). */
export function syntheticCorpus(opts: SyntheticOptions, count: (text: string) => number): SyntheticCorpus {
  const rnd = mulberry32(opts.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const sources = opts.sources ?? ["teacher-a", "teacher-b"];
  const rows: MixRow[] = [];
  const stats = new ProblemStats();
  let ordinal = 0;
  for (let p = 0; p < opts.problems; p++) {
    const subj = SUBJECTS[p % SUBJECTS.length]!;
    const [problem, reference] = subj.make(int(2, 9), int(1, 40)) as [string, string];
    const problemText = `${problem} (Problem ${p + 1}.)`;
    const level = int(1, 5);
    const solveRate = [0, 0.15, 0.4, 0.6, 0.85, 1][int(0, 5)]!;
    const contaminated = rnd() < (opts.contaminated ?? 0);
    const source = sources[p % sources.length]!;
    const n = int(opts.rollouts[0], opts.rollouts[1]);
    let prevResponse = "";
    for (let k = 0; k < n; k++) {
      const roll = rnd();
      let verdict: Verdict = roll < solveRate ? "correct" : "incorrect";
      if (rnd() < 0.06) verdict = "no_answer";
      else if (rnd() < 0.03) verdict = "timeout";
      const steps: string[] = [];
      const m = int(opts.steps[0], opts.steps[1]);
      for (let s = 0; s < m; s++) steps.push(STEPS[int(0, STEPS.length - 1)]!);
      const truncated = rnd() < 0.05;
      const answer = verdict === "correct" ? reference : `${reference}${int(1, 9)}`;
      const final = verdict === "no_answer" ? "I could not finish the computation." : `Therefore, the answer is $\\boxed{${answer}}$.`;
      // the second source writes Sky-T1 style thought/solution tags, the others <think>
      const skyStyle = sources.indexOf(source) % 2 === 1;
      let response = skyStyle
        ? `<|begin_of_thought|>\n\n${steps.join("\n\n")}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${final}\n\n<|end_of_solution|>`
        : `<think>\n${steps.join("\n\n")}\n</think>\n\n${final}`;
      if (truncated) response = skyStyle ? `<|begin_of_thought|>\n\n${steps.join("\n\n")}` : `<think>\n${steps.join("\n\n")}`;
      let drop: DropReason | null = null;
      const duplicate = k > 0 && rnd() < 0.05;
      if (duplicate) response = prevResponse;
      prevResponse = response;
      const trace = normalizeTrace(response);
      if (duplicate) drop = { stage: "exact_dedupe", reason: "duplicate:exact" };
      else if (contaminated) drop = { stage: "decontaminate", reason: "contaminated:math500" };
      else if (truncated) drop = { stage: "quality", reason: "quality:truncated" };
      else if (opts.requireCorrect && verdict !== "correct") drop = { stage: "verify", reason: `verify:${verdict}` };
      const reasoning = trace.reasoning ? count(trace.reasoning) : 0;
      const solution = trace.solution ? count(trace.solution) : 0;
      const record: Rollout = {
        id: `${source}/${p}#${k}`,
        ordinal: ordinal++,
        source,
        file: `${source}.jsonl`,
        row: p,
        rolloutIndex: k,
        problem: problemText,
        response,
        reference,
        finishReason: truncated ? "length" : "stop",
        meta: { level, subject: subj.subject },
        trace,
        tokens: { problem: count(problemText), reasoning, solution, response: count(response) },
        keys: keysFor(problemText, response),
        verify: { verdict, extracted: verdict === "no_answer" ? null : answer } as Rollout["verify"],
        contamination: contaminated ? ([{ benchmark: "math500" }] as unknown as Rollout["contamination"]) : undefined,
        quality: { truncated, hasFinalAnswer: verdict !== "no_answer" && !truncated } as Rollout["quality"],
      };
      const problemGroup = record.keys!.problem;
      rows.push({
        record,
        group: { problemGroup, representative: `${source}/${p}#0`, representativeOrdinal: ordinal - 1 - k, nearDuplicateProblem: false, groupRollouts: n, groupProblems: 1, groupCorrect: 0, passRate: null },
        drop,
      });
      stats.add({ problemGroup, verdict, responseTokens: record.tokens!.response, meta: record.meta, problem: problemText });
    }
  }
  const summaries = new Map<string, ProblemSummary>();
  for (const s of stats.summaries()) summaries.set(s.problemGroup, s);
  return { rows, summaries, problem: (g) => summaries.get(g) };
}

/** Replay rows as an async stream, yielding to the event loop every `batch` rows. */
export function replay(rows: MixRow[], batch = 64): () => AsyncIterable<MixRow> {
  return async function* () {
    for (let i = 0; i < rows.length; i++) {
      if (i % batch === 0) await new Promise((r) => setImmediate(r));
      yield rows[i]!;
    }
  };
}
