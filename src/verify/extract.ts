/**
 * Final-answer extraction from a rollout's final solution.
 *
 * Rules, highest priority first (the first rule that finds something decides):
 *   1. `boxed`        last `\boxed{…}` / `\fbox{…}` (nested braces), also `\boxed 5`
 *   2. `answer_tag`   last `<answer>…</answer>` (a `\boxed{}` inside it wins)
 *   3. `final_answer` last "The final answer is …" (rest of the line)
 *   4. `answer_line`  last "Answer: …" / "**Answer:** …" (rest of the line)
 *   5. `answer_is`    last "the answer is …" / "the answer should be …" (up to the end of the sentence)
 *   6. `conclusion`   in the last paragraph that draws a conclusion ("Therefore", "So", "Thus", "Hence",
 *                     "the answer", "the result"; one of the last three paragraphs), its last math span,
 *                     else its last number ("Therefore, the largest angle is 120 degrees.")
 *   7. `last_math`    last `$…$` / `$$…$$` / `\[…\]` / `\(…\)` — an explicit lower-priority rule
 *   8. `bare`         the whole solution when it is a bare value ("7,425,000", "\frac{1}{3}", "28 %")
 *   9. `last_number`  the last number of the prose (prose.ts: "… which is 1,000.99€", "Soucis : 2,74 $"),
 *                     unless the text stops mid-expression
 *
 * Rules 5–7 and 9 read prose; they can be switched off together with `lastMath: false`. A "final answer"
 * line written after the last box wins over the box (Math-Verify: "… \boxed{255} … The final answer is
 * $10,455$."); a line answer written as a sentence gives its last value ("The volume is 120.").
 *
 * Several *different* boxed answers in the final solution are reported in `conflicting` (the verdict is
 * still computed on the last one; the `dropConflictingBoxed` filter can remove such rollouts). The boxes
 * that answer together by Math-Verify's rule (`boxGroup`: `\boxed{1}, \boxed{2}`, `\boxed{(2,2)} \text{ and }
 * \boxed{(6,2)}`) are in `group`, which the verifier grades when the reference is a list.
 *
 * Hand-written scanners only (indexOf / lastIndexOf and bounded brace matching; boxes: text/boxed.ts):
 * linear time on any input size.
 */
import { findBoxes, type Box } from "../text/boxed.js";
import { readWords } from "./words.js";
import { conclusion, endsMidExpression, lastMathSpan, lastNumber, lastValue, proseWords } from "./prose.js";

export type ExtractionRule = "given" | "boxed" | "answer_tag" | "final_answer" | "answer_line" | "answer_is" | "conclusion" | "last_math" | "bare" | "last_number";

export interface Extraction {
  answer: string;
  rule: ExtractionRule;
  /** distinct boxed answers in the solution (in order) when there is more than one, else undefined */
  conflicting?: string[];
  /** the last boxes that answer together (boxGroup), joined with ","; only when there are several */
  group?: string;
}

export interface ExtractOptions {
  /** the reasoning block was opened and never closed: there is no final answer */
  unterminated?: boolean;
  /** enable rule 5 (last `$…$`); default true */
  lastMath?: boolean;
  /** longest answer kept (characters); longer answers are cut (the verifier then refuses them). Default 4000 */
  maxAnswerChars?: number;
  /**
   * the solution is the content of an answer block (`<think>…</think> <answer> 16 </answer>`, already
   * unwrapped by the trace normaliser): without a box inside, the whole block is the answer
   */
  answerBlock?: boolean;
}

/** all boxed arguments in order, trimmed (text/boxed.ts: a box inside a box counts once, as the outer one;
 * a box cut off by the end of the text runs to the end) */
export function findBoxed(s: string): string[] {
  return findBoxes(s).map((b) => s.slice(b.from, b.to).trim());
}

function lastBetween(s: string, open: string, close: string): string | null {
  const c = s.lastIndexOf(close);
  if (c < 0) return null;
  const o = s.lastIndexOf(open, c);
  if (o < 0) return null;
  return s.slice(o + open.length, c);
}

/** rest of the line after the last case-insensitive occurrence of one of `phrases` */
function afterLastPhrase(s: string, lower: string, phrases: string[]): string | null {
  let best = -1;
  let len = 0;
  for (const p of phrases) {
    const k = lower.lastIndexOf(p);
    if (k > best) {
      best = k;
      len = p.length;
    }
  }
  if (best < 0) return null;
  let start = best + len;
  // skip ":", "**", spaces after the phrase
  while (start < s.length && (s[start] === ":" || s[start] === "*" || s[start] === " " || s[start] === "\t")) start++;
  let end = s.indexOf("\n", start);
  if (end < 0) end = s.length;
  let line = s.slice(start, end).trim();
  // "The final answer is $\boxed{5}$. I hope it is correct."
  const hope = line.toLowerCase().indexOf(". i hope");
  if (hope >= 0) line = line.slice(0, hope);
  return line.length > 0 ? line : null;
}

/** up to the end of the first sentence (". " or end), without trailing period */
function firstSentence(a: string): string {
  let s = a;
  const dot = s.indexOf(". ");
  if (dot > 0) s = s.slice(0, dot);
  const comma = s.indexOf(", ");
  if (comma > 0 && !s.startsWith("$") && !s.startsWith("\\")) {
    // "210, and I think that's it" → "210"; keep "1, 2" lists written in math mode
    const head = s.slice(0, comma);
    if (/^[-+]?[0-9.\/]+$/.test(head)) s = head;
  }
  while (s.endsWith(".")) s = s.slice(0, -1).trimEnd();
  return s.trim();
}

/**
 * Math-Verify's rule for boxes that answer together (latex2sympy2_extended, extract_boxed_content "last"):
 * from the last box backwards, a box joins while the text between it and the next is under 10 characters,
 * or under 70 with "and" / "or" / "," / ";" in it and a different content; equal neighbours count once.
 * Returns the contents in order (at least the last box's).
 */
export function boxGroup(s: string, boxes: Box[]): string[] {
  const contents: string[] = [];
  for (let k = boxes.length - 1; k >= 0; k--) {
    const b = boxes[k]!;
    const content = s.slice(b.from, b.to).trim();
    if (k < boxes.length - 1) {
      const between = s.slice(b.end, boxes[k + 1]!.at);
      const near = between.length < 10 || (content !== contents[contents.length - 1] && between.length < 70 && /\band\b|\bor\b|,|;/.test(between));
      if (!near) break;
    }
    if (content !== contents[contents.length - 1]) contents.push(content);
  }
  return contents.reverse();
}

/** a line's answer: a box or math span inside it, else (when `sentence`) a sentence's last value, else the line */
function cleanLineAnswer(a: string, sentence = true): string {
  let s = a.trim();
  // a box or a math span inside the line wins
  const boxes = findBoxed(s);
  if (boxes.length > 0) return boxes[boxes.length - 1]!;
  if (s.startsWith("$") || s.startsWith("\\(") || s.startsWith("\\[")) {
    const m = lastMathSpan(s);
    if (m) return m.text;
  }
  // a sentence ("The volume of $ABCDEFGH$ is 120", "Jane started growing Sphere 3 hours ago"): its last value
  if (sentence && proseWords(s, 2) >= 2) {
    const v = lastValue(s);
    if (v) return v;
  }
  while (s.endsWith(".") || s.endsWith("*")) s = s.slice(0, -1).trimEnd();
  return s;
}

/** quick key used to decide whether two boxed answers differ (spacing and `\dfrac` variants collapse) */
function boxKey(s: string): string {
  return s.replace(/\s+/g, "").replace(/\\[dt]frac/g, "\\frac").replace(/\\left|\\right|\\!|\\,/g, "");
}

/** longest solution the `last_number` rule reads (a sentence or a short paragraph) */
const LAST_NUMBER_MAX = 1000;

const FINAL_PHRASES = ["the final answer is", "final answer:", "final answer is"];

/** the boxed answer: the last box, the distinct boxes when several, and the group of boxes answering together */
function boxedAnswer(solution: string, boxes: Box[]): Extraction | null {
  const answer = solution.slice(boxes[boxes.length - 1]!.from, boxes[boxes.length - 1]!.to).trim();
  // "\boxed{}. \boxed{}. …" (a degenerate loop): the final box is empty, there is no answer
  if (answer.length === 0) return null;
  const distinct: string[] = [];
  const seen = new Set<string>();
  for (const b of boxes) {
    const content = solution.slice(b.from, b.to).trim();
    const k = boxKey(content);
    if (k.length > 0 && !seen.has(k)) {
      seen.add(k);
      distinct.push(content);
    }
  }
  const x: Extraction = { answer, rule: "boxed" };
  if (distinct.length > 1) {
    x.conflicting = distinct;
    const group = boxGroup(solution, boxes);
    if (group.length > 1) x.group = group.join(", "); // ", ": a list, never a decimal comma (60,0)
  }
  return x;
}

/** the rules that read unmarked prose (5–7 and 9), in order */
function proseAnswer(solution: string, lower: string): Extraction | null {
  const phrases = ["the answer is", "the answer should be", "answer would be"];
  const is = afterLastPhrase(solution, lower, phrases);
  const isAt = Math.max(...phrases.map((p) => lower.lastIndexOf(p)));
  const c = conclusion(solution);
  if (is && !(c && c.at > isAt)) {
    const a = firstSentence(cleanLineAnswer(is));
    if (a && /[0-9\\]/.test(a)) return { answer: a, rule: "answer_is" };
  }
  if (c) return { answer: c.text, rule: "conclusion" };
  const m = lastMathSpan(solution);
  if (m) return { answer: m.text, rule: "last_math" };
  return null;
}

/** a solution that is only a value ("7,425,000", "1,000.99$", "\frac{1}{3}", "28 %") */
function bareAnswer(solution: string): string | null {
  const t = solution.trim();
  if (t.length === 0 || t.length > 200 || t.includes("\n") || !/[0-9\\]/.test(t)) return null;
  // words.ts reads "and" / "or" between values, also glued ("1orW(x)"): they are no prose
  if (proseWords(t, 1) > 0 && proseWords(readWords(t).text, 1) > 0) return null;
  return t;
}

/**
 * Extract the final answer from a final solution (or the whole response when there is no reasoning
 * split). Returns null when there is no answer (or the reasoning is unterminated).
 */
export function extractAnswer(solution: string, opts: ExtractOptions = {}): Extraction | null {
  if (opts.unterminated) return null;
  const max = opts.maxAnswerChars ?? 4000;
  const cap = (x: Extraction | null): Extraction | null => (x && x.answer.length > max ? { ...x, answer: x.answer.slice(0, max) } : x);
  const boxes = findBoxes(solution);
  if (boxes.length > 0) {
    // "\boxed{255} … Final Answer: The final answer is $10,455$.": a final-answer line after the last box
    // wins (only the text after the box is read: usually short, and lowercased only then)
    const after = solution.slice(boxes[boxes.length - 1]!.end);
    const fin = after.length > 0 ? afterLastPhrase(after, after.toLowerCase(), FINAL_PHRASES) : null;
    const a = fin && cleanLineAnswer(fin);
    if (a && /[0-9\\]/.test(a)) return cap({ answer: a, rule: "final_answer" });
    return cap(boxedAnswer(solution, boxes));
  }
  const lower = solution.toLowerCase();
  if (opts.answerBlock) {
    const whole = cleanLineAnswer(solution, false);
    if (whole.length === 0) return null;
    // a bare answer ("16", "\frac{3}{4}", "x = 2"); prose inside the block goes through the rules below
    if (!/[A-Za-z]{3,}/.test(whole.replace(/\\[A-Za-z]+/g, " "))) return cap({ answer: whole, rule: "answer_tag" });
  }
  const tag = lastBetween(solution, "<answer>", "</answer>");
  if (tag !== null && tag.trim().length > 0) return cap({ answer: cleanLineAnswer(tag), rule: "answer_tag" });

  const fin = afterLastPhrase(solution, lower, FINAL_PHRASES);
  if (fin) {
    const a = cleanLineAnswer(fin);
    if (a) return cap({ answer: a, rule: "final_answer" });
  }
  const ans = afterLastPhrase(solution, lower, ["answer:", "answer is:", "**answer**"]);
  if (ans) {
    const a = cleanLineAnswer(ans);
    if (a) return cap({ answer: a, rule: "answer_line" });
  }
  if (opts.lastMath !== false) {
    const p = proseAnswer(solution, lower);
    if (p) return cap(p);
  }
  // an answer block with words and no marked value ("180 miles", "Evelyn"): the block itself; a sentence
  // without any value ("I could not finish the computation.") is no answer
  if (opts.answerBlock) {
    const whole = cleanLineAnswer(solution);
    const words = whole.split(" ").filter((w) => w.length > 0).length;
    if (whole.length > 0 && (/[0-9\\]/.test(whole) || words <= 3)) return cap({ answer: whole, rule: "answer_tag" });
  }
  const bare = bareAnswer(solution);
  if (bare) return cap({ answer: bare, rule: "bare" });
  // a short text only ("… which is 1,000.99€"): in a long cut-off reasoning the last number is noise
  if (opts.lastMath !== false && solution.length <= LAST_NUMBER_MAX && !endsMidExpression(solution)) {
    const n = lastNumber(solution);
    if (n) return cap({ answer: n.text, rule: "last_number" });
  }
  return null;
}
