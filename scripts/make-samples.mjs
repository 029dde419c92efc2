#!/usr/bin/env node
/**
 * Generates data-samples/: a small, deterministic corpus made by this project that exercises every
 * stage. Run `node scripts/make-samples.mjs` (after `npm run build` for the Parquet file); the output
 * is committed so the quickstart needs no build step beyond `npm ci`.
 *
 *   rollouts.jsonl           flat layout: problem, response, answer, finish_reason, level, subject
 *   generations.jsonl.gz     one row per problem, `generations[]` + `finish_reasons[]` exploded
 *   chat.parquet             chat layout: messages [{role, content}], reference in `answer`
 *   benchmark/mini-bench.jsonl  a project-made "benchmark" some rollouts copy (decontamination)
 *   layouts/array.json       one JSON array of rows (DeepScaleR's layout), reasoning and solution in
 *                            separate fields; element 3 is bad (a numeric problem: quarantined)
 *   layouts/by-problem.json  one JSON object keyed by problem text (SkyThought's eval results), each
 *                            value holding `responses` keyed by temperature: {"0.0": {content, correctness}}
 *   layouts/reasoning-chat.jsonl  chat rows whose assistant turn keeps `reasoning_content` apart from
 *                            `content` (DeepSeek's API); some user turns are OpenAI content parts
 *   (pipelines/layouts.json reads the three)
 *
 * Planted cases: exact duplicates, rephrased duplicate problems across sources, truncated traces
 * (no end tag, finish_reason "length"), wrong answers, no answer, over-long traces, repetition loops,
 * language mixing, and problems copied from the mini benchmark (verbatim, reformatted, numbers changed).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "data-samples");
mkdirSync(join(outDir, "benchmark"), { recursive: true });

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20261128);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const gcd = (a, b) => (b ? gcd(b, a % b) : Math.abs(a));
const frac = (p, q) => {
  const g = gcd(p, q);
  p /= g; q /= g;
  if (q < 0) { p = -p; q = -q; }
  return q === 1 ? String(p) : `\\frac{${p}}{${q}}`;
};
const choose = (n, k) => { let r = 1; for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i; return Math.round(r); };
const sigma = (n) => { let s = 0; for (let d = 1; d <= n; d++) if (n % d === 0) s += d; return s; };
const powmod = (a, b, m) => { let r = 1; a %= m; for (let i = 0; i < b; i++) r = (r * a) % m; return r; };

/** problem templates: [subject, level, make(nums) -> {problem, rephrased, answer, steps}] */
const templates = [
  ["Number Theory", 2, () => {
    const n = int(12, 99);
    return { problem: `What is the sum of all positive divisors of $${n}$?`, rephrased: `Compute the sum of every positive divisor of the integer ${n}.`, answer: String(sigma(n)),
      steps: [`We list the divisors of ${n} by checking each integer up to its square root.`, `Pairing each divisor d with ${n}/d gives all divisors.`, `Adding them up carefully gives ${sigma(n)}.`] };
  }],
  ["Algebra", 1, () => {
    const a = int(2, 9), b = int(1, 20), c = int(21, 60);
    return { problem: `Solve for $x$: $${a}x + ${b} = ${c}$.`, rephrased: `Find x if ${a}x+${b}=${c}.`, answer: frac(c - b, a),
      steps: [`Subtract ${b} from both sides: ${a}x = ${c - b}.`, `Divide both sides by ${a}.`, `So x = ${frac(c - b, a)}.`] };
  }],
  ["Counting & Probability", 2, () => {
    const n = int(6, 14), k = int(2, 4);
    return { problem: `In how many ways can ${k} books be chosen from a shelf of ${n} different books?`, rephrased: `How many ways are there to choose ${k} of ${n} distinct books?`, answer: String(choose(n, k)),
      steps: [`Order does not matter, so this is a combination.`, `The count is \\binom{${n}}{${k}}.`, `Evaluating, \\binom{${n}}{${k}} = ${choose(n, k)}.`] };
  }],
  ["Geometry", 2, () => {
    const l = int(5, 20), w = int(2, l - 1);
    return { problem: `A rectangle has perimeter $${2 * (l + w)}$ and length $${l}$. What is its area?`, rephrased: `The perimeter of a rectangle is ${2 * (l + w)} and its length is ${l}. Find the area of the rectangle.`, answer: String(l * w),
      steps: [`The perimeter is 2(l + w), so l + w = ${l + w}.`, `With l = ${l}, the width is w = ${w}.`, `The area is l \\cdot w = ${l * w}.`] };
  }],
  ["Number Theory", 3, () => {
    const a = int(2, 9), b = int(5, 30), m = int(5, 13);
    return { problem: `Find the remainder when $${a}^{${b}}$ is divided by $${m}$.`, rephrased: `What is ${a}^${b} mod ${m}?`, answer: String(powmod(a, b, m)),
      steps: [`We compute successive powers of ${a} modulo ${m}.`, `The powers cycle, so we reduce the exponent ${b} by the cycle length.`, `The remainder is ${powmod(a, b, m)}.`] };
  }],
  ["Prealgebra", 1, () => {
    const a = int(1, 9), b = int(2, 9), c = int(1, 9), d = int(2, 9);
    return { problem: `Compute $\\frac{${a}}{${b}} + \\frac{${c}}{${d}}$.`, rephrased: `What is ${a}/${b} + ${c}/${d}? Express your answer as a common fraction.`, answer: frac(a * d + c * b, b * d),
      steps: [`Use the common denominator ${b * d}.`, `The numerators become ${a * d} and ${c * b}.`, `The sum is ${frac(a * d + c * b, b * d)}.`] };
  }],
];

const filler = [
  "Let me double-check this step before moving on.",
  "Wait, I should make sure I have not made an arithmetic slip here.",
  "Hmm, let me reconsider the setup of the problem once more.",
  "That seems consistent with what I found earlier.",
  "Alternatively, I could verify this by a different method.",
  "Let me recompute to be safe.",
];

function reasoningText(steps, extra) {
  const lines = [];
  for (const s of steps) {
    lines.push(s);
    for (let i = 0; i < extra; i++) lines.push(pick(filler));
  }
  return lines.join("\n\n");
}

const styles = ["thought", "think", "think_answer"];
function render(style, reasoning, solution, answer, { truncated = false } = {}) {
  const boxed = answer === null ? solution : `${solution}\n\nThe final answer is $\\boxed{${answer}}$.`;
  if (style === "thought") {
    if (truncated) return `<|begin_of_thought|>\n\n${reasoning}`;
    return `<|begin_of_thought|>\n\n${reasoning}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${boxed}\n\n<|end_of_solution|>`;
  }
  if (style === "think") {
    if (truncated) return `<think>\n${reasoning}`;
    return `<think>\n${reasoning}\n</think>\n\n${boxed}`;
  }
  if (truncated) return `<think>\n${reasoning}`;
  return `<think>\n${reasoning}\n</think>\n<answer>\n${answer === null ? solution : `\\boxed{${answer}}`}\n</answer>`;
}

function wrongAnswer(answer) {
  const n = Number(answer);
  if (Number.isFinite(n)) return String(n + pick([1, -1, 2, 10]));
  return answer.replace(/\d+/, (d) => String(Number(d) + 1));
}

// ---------------------------------------------------------------- mini benchmark
// hand-written problems no training template shares, so only the planted copies match them
const benchProblems = [
  ["A bag holds $5$ red marbles and $7$ blue marbles. Two marbles are drawn without replacement. What is the probability that both are red? Express your answer as a common fraction.", "\\frac{5}{33}", "Counting & Probability"],
  ["The hypotenuse of a right triangle is $13$ and one leg is $5$. What is the area of the triangle?", "30", "Geometry"],
  ["Find the largest prime factor of $1001$.", "13", "Number Theory"],
  ["If $f(x) = 3x^2 - 2x + 7$, what is $f(-2)$?", "23", "Algebra"],
  ["How many positive three-digit integers are divisible by neither $5$ nor $7$?", "618", "Number Theory"],
  ["The arithmetic sequence $4, 11, 18, \\ldots$ continues. What is its $40$th term?", "277", "Algebra"],
  ["A regular polygon has interior angles of $156$ degrees. How many sides does it have?", "15", "Geometry"],
  ["What is the units digit of $7^{2026}$?", "9", "Number Theory"],
  ["In how many ways can the letters of the word BANANA be arranged?", "60", "Counting & Probability"],
  ["Solve for $y$: $\\log_2 (y+3) = 5$.", "29", "Algebra"],
];
const bench = benchProblems.map(([problem, answer, subject], i) => ({
  id: `mini-bench/${i}`,
  problem,
  answer,
  subject,
  _p: { problem, answer, steps: [`We set up the computation for this problem carefully.`, `Working through the arithmetic step by step gives the value.`, `So the answer is ${answer}.`] },
}));
writeFileSync(join(outDir, "benchmark", "mini-bench.jsonl"), bench.map(({ _p, ...b }) => JSON.stringify(b)).join("\n") + "\n");

// ---------------------------------------------------------------- training problems
// a story preamble makes problems long enough (~50 words) for word 5-gram near-duplicate detection
const openings = [
  "During the annual mathematics fair at the town library, a group of students set up a table of puzzles for visitors",
  "Maria keeps a notebook of interesting problems that she collects from old competition booklets in the attic",
  "In a small village school the teacher writes a challenge on the blackboard every Friday afternoon before the bell",
  "A puzzle club meets in the back room of a bakery on Sunday mornings to trade problems over coffee",
  "On a long train journey across the northern plains two cousins passed the time by inventing questions",
  "The robotics team at the county high school warms up before every practice with a short written exercise",
];
const middles = [
  "and the organisers asked each team to prepare one careful question with a single numerical answer for the judges.",
  "so that her younger brother can try one of them each evening before dinner is served in the kitchen.",
  "and the first pupil who explains a correct solution earns the right to choose the next story for reading hour.",
  "and this week the oldest member brought a question she remembered from her own school days long ago.",
  "while the conductor checked tickets and the snow outside grew deeper with every passing station on the line.",
  "which the captain copies from a worn textbook that has been handed down through many generations of students.",
];
const problems = [];
for (let i = 0; i < 36; i++) {
  const [subject, level, make] = templates[i % templates.length];
  const p = make();
  const pre = `${openings[i % 6]} ${middles[Math.floor(i / 6) % 6]} ${middles[(i + 3) % 6].replace(/^(and|so|while|which) /, "Meanwhile, ")}`;
  // near-duplicate rewrite: the same statement with its second word changed (Jaccard ≈ 0.92 on word 5-grams)
  const words = pre.split(" ");
  words[1] = `very${words[1]}`;
  const near = `${words.join(" ")} ${p.problem}`;
  problems.push({ ...p, problem: `${pre} ${p.problem}`, near, subject, level: `Level ${level + (i % 3)}` });
}

let counter = 0;
function rollout(p, kind, style) {
  const extra = int(1, 4);
  let reasoning = reasoningText(p.steps, extra);
  if (kind === "overlong") {
    // a long but honest case check: every line different, so only the length filter catches it
    const lines = [];
    for (let j = 1; j <= 700; j++) lines.push(`Case ${j}: trying the value ${j}, we get ${j} squared equal to ${j * j} and ${j} cubed equal to ${j * j * j}, which does not settle it yet.`);
    reasoning += "\n\n" + lines.join("\n");
  }
  let answer = p.answer;
  let finish = "stop";
  let truncated = false;
  if (kind === "wrong") answer = wrongAnswer(p.answer);
  if (kind === "noanswer") answer = null;
  if (kind === "truncated") { truncated = true; finish = "length"; }
  if (kind === "loop") reasoning += "\n\n" + Array(120).fill("So the answer is the answer, so the answer is the answer.").join("\n");
  if (kind === "mixed") reasoning += "\n\n" + "我们需要仔细检查这个计算过程，确保每一步都是正确的。".repeat(6);
  const solution = `Therefore, following the steps above, ${p.steps[p.steps.length - 1]}`;
  return {
    id: `sample-${String(counter++).padStart(4, "0")}`,
    problem: p.problem,
    response: render(style, reasoning, kind === "noanswer" ? "I could not finish the computation." : solution, answer, { truncated }),
    answer: p.answer,
    finish_reason: finish,
    level: p.level,
    subject: p.subject,
  };
}

const flat = [];
problems.forEach((p, i) => {
  const n = 4 + (i % 5); // 4..8 rollouts
  for (let k = 0; k < n; k++) {
    let kind = "correct";
    if (k === 1 && i % 2 === 0) kind = "wrong";
    if (k === 2 && i % 3 === 0) kind = "wrong";
    if (k === 3 && i % 7 === 0) kind = "truncated";
    if (k === 3 && i % 7 === 1) kind = "noanswer";
    if (k === 3 && i % 7 === 2) kind = "loop";
    if (k === 3 && i % 7 === 3) kind = "mixed";
    if (k === 4 && i % 9 === 0) kind = "overlong";
    flat.push(rollout(p, kind, styles[(i + k) % 3]));
  }
});
// exact duplicates (same problem and response, new id)
for (let i = 0; i < 8; i++) {
  const src = flat[i * 11];
  flat.push({ ...src, id: `sample-${String(counter++).padStart(4, "0")}` });
}
// problems copied from the mini benchmark: verbatim, reformatted, numbers changed
bench.slice(0, 6).forEach((b, i) => {
  let problem = b.problem;
  if (i % 3 === 1) problem = `Problem: ${b.problem.replace(/\$/g, "").replace(/ /g, "  ")}`;
  if (i % 3 === 2) problem = b.problem.replace(/\d+/, (d) => String(Number(d) + 3));
  const r = rollout({ ...b._p, problem, level: "Level 3", subject: b.subject }, "correct", "think");
  flat.push(r);
});
writeFileSync(join(outDir, "rollouts.jsonl"), flat.map((r) => JSON.stringify(r)).join("\n") + "\n");

// ---------------------------------------------------------------- exploded layout, rephrased duplicates
const grouped = [];
for (let i = 0; i < 8; i++) {
  const p = problems[i * 4];
  // i < 4: a near-duplicate rewrite; i = 4: a rewording (a different problem for 5-gram MinHash);
  // otherwise the same problem with different spacing (an exact problem-key match)
  const text = i < 4 ? p.near : i === 4 ? p.rephrased : `  ${p.problem.replace(/ /g, "  ")}  `;
  const gens = [];
  const finish = [];
  for (let k = 0; k < 4; k++) {
    const kind = k === 3 ? (i % 2 ? "wrong" : "truncated") : "correct";
    const r = rollout({ ...p, problem: text }, kind, styles[k % 3]);
    gens.push(r.response);
    finish.push(r.finish_reason);
  }
  grouped.push({ uid: `grouped-${i}`, question: text, gold: { answer: p.answer }, generations: gens, finish_reasons: finish, type: p.subject });
}
writeFileSync(join(outDir, "generations.jsonl.gz"), gzipSync(Buffer.from(grouped.map((r) => JSON.stringify(r)).join("\n") + "\n"), { level: 9, mtime: 0 }));

// ---------------------------------------------------------------- chat layout in Parquet
const chatRows = [];
for (let i = 0; i < 24; i++) {
  const p = problems[(i * 5 + 3) % problems.length];
  const r = rollout(p, i % 6 === 5 ? "wrong" : "correct", styles[i % 3]);
  chatRows.push({ id: `chat-${i}`, messages: JSON.stringify([{ role: "system", content: "Please reason step by step." }, { role: "user", content: p.problem }, { role: "assistant", content: r.response }]), answer: p.answer });
}
const { parquetWriteBuffer } = await import("hyparquet-writer");
const buf = parquetWriteBuffer({
  columnData: [
    { name: "id", data: chatRows.map((r) => r.id), type: "STRING" },
    { name: "messages", data: chatRows.map((r) => JSON.parse(r.messages)), type: "JSON" },
    { name: "answer", data: chatRows.map((r) => r.answer), type: "STRING" },
  ],
  codec: "SNAPPY",
  rowGroupSize: 10,
});
writeFileSync(join(outDir, "chat.parquet"), Buffer.from(buf));
// ---------------------------------------------------------------- layouts read without conversion
// (appended after everything above, so the random draws, and the files, above stay as they were)
mkdirSync(join(outDir, "layouts"), { recursive: true });
const short = (p, kind) => {
  const reasoning = reasoningText(p.steps, 0);
  const answer = kind === "wrong" ? wrongAnswer(p.answer) : p.answer;
  return { reasoning, solution: `So the answer is $\\boxed{${answer}}$.` };
};
const arrayRows = [];
for (let i = 0; i < 6; i++) {
  const p = problems[(i * 7 + 1) % problems.length];
  const r = short(p, i === 4 ? "wrong" : "correct");
  arrayRows.push({ id: `array-${i}`, problem: p.problem, answer: p.answer, reasoning: r.reasoning, solution: r.solution });
}
arrayRows[3] = { ...arrayRows[3], problem: 3 }; // a bad element: quarantined as input:wrong_type with its index, $[3]
writeFileSync(join(outDir, "layouts", "array.json"), "[\n" + arrayRows.map((r) => "  " + JSON.stringify(r)).join(",\n") + "\n]\n");

const byProblem = {};
for (let i = 0; i < 4; i++) {
  const p = problems[(i * 5 + 2) % problems.length];
  const responses = {};
  for (const [k, t] of ["0.0", "0.7"].entries()) {
    const wrong = i % 2 === 1 && k === 1;
    const content = render("thought", reasoningText(p.steps, k), k === 0 ? "Collecting the steps above." : "Putting the steps together.", wrong ? wrongAnswer(p.answer) : p.answer);
    responses[t] = { content, correctness: !wrong };
  }
  byProblem[p.problem] = { answer: p.answer, subject: p.subject, responses };
}
writeFileSync(join(outDir, "layouts", "by-problem.json"), JSON.stringify(byProblem, null, 1) + "\n");

const reasoningChat = [];
for (let i = 0; i < 5; i++) {
  const p = problems[(i * 3 + 5) % problems.length];
  const r = short(p, "correct");
  const user = i % 2 ? [{ type: "text", text: p.problem }] : p.problem; // OpenAI content parts, or a string
  reasoningChat.push({ id: `reasoning-chat-${i}`, messages: [{ role: "user", content: user }, { role: "assistant", content: r.solution, reasoning_content: r.reasoning }], answer: p.answer });
}
writeFileSync(join(outDir, "layouts", "reasoning-chat.jsonl"), reasoningChat.map((r) => JSON.stringify(r)).join("\n") + "\n");

console.log(`data-samples: ${flat.length} flat rollouts, ${grouped.length} grouped rows (${grouped.length * 4} rollouts), ${chatRows.length} chat rows, ${bench.length} benchmark problems; layouts/: ${arrayRows.length} array elements, ${Object.keys(byProblem).length} problems × 2 responses, ${reasoningChat.length} reasoning_content chats`);
