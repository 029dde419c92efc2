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
 *
 * Rules 5–7 read prose; they can be switched off together with `lastMath: false`.
 *
 * Several *different* boxed answers in the final solution are reported in `conflicting` (the verdict is
 * still computed on the last one; the `dropConflictingBoxed` filter can remove such rollouts).
 *
 * Hand-written scanners only (indexOf / lastIndexOf and bounded brace matching; boxes: text/boxed.ts):
 * linear time on any input size.
 */
import { findBoxes } from "../text/boxed.js";

export type ExtractionRule = "given" | "boxed" | "answer_tag" | "final_answer" | "answer_line" | "answer_is" | "conclusion" | "last_math";

export interface Extraction {
  answer: string;
  rule: ExtractionRule;
  /** distinct boxed answers in the solution (in order) when there is more than one, else undefined */
  conflicting?: string[];
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

/** last `$…$` / `$$…$$` / `\[…\]` / `\(…\)` span: its trimmed content and the index just past it */
function lastMathSpan(s: string): { text: string; end: number } | null {
  // $$…$$ and $…$: scan dollar signs left to right (escaped \$ ignored), remember the last pair
  let last: string | null = null;
  let lastEnd = -1;
  let i = 0;
  while (i < s.length) {
    const o = s.indexOf("$", i);
    if (o < 0) break;
    if (o > 0 && s[o - 1] === "\\") {
      i = o + 1;
      continue;
    }
    const dbl = s[o + 1] === "$";
    const delim = dbl ? "$$" : "$";
    let c = s.indexOf(delim, o + delim.length);
    while (c > 0 && s[c - 1] === "\\") c = s.indexOf(delim, c + 1);
    if (c < 0) break;
    const inner = s.slice(o + delim.length, c);
    if (!dbl && (inner.endsWith(" ") || inner.startsWith(" ") || inner.includes("\n"))) {
      // "$93 - $15 = $78": dollar amounts, not math; the closing `$` may open the next span
      i = c;
      continue;
    }
    last = inner;
    lastEnd = c + delim.length;
    i = lastEnd;
  }
  // \[…\] and \(…\) after the last $-pair win when they are later in the text
  for (const [open, close] of [
    ["\\[", "\\]"],
    ["\\(", "\\)"],
  ] as const) {
    const c = s.lastIndexOf(close);
    if (c >= 0 && c + 2 > lastEnd) {
      const o = s.lastIndexOf(open, c);
      if (o >= 0) {
        last = s.slice(o + open.length, c);
        lastEnd = c + 2;
      }
    }
  }
  if (last === null) return null;
  last = last.trim();
  return last.length > 0 ? { text: last, end: lastEnd } : null;
}

function lastMath(s: string): string | null {
  return lastMathSpan(s)?.text ?? null;
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

const CUES = ["therefore", "thus", "hence", "so,", "so the", "conclusion", "the answer", "the result", "final answer", "consequently", "i'm confident", "i am confident", "right answer", "correct answer", "the value of", "is indeed", "confirmed"];

/** last number token in a text: -3, 2.5, 3/4, 1,000 (a 1–3 digit group followed by ,ddd groups) */
function lastNumber(p: string): { text: string; end: number } | null {
  if (p.length === 0) return null;
  let end = -1;
  for (let i = p.length - 1; i >= 0; i--) {
    const c = p.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) return null;
  let start = end;
  while (start > 0) {
    const ch = p[start - 1]!;
    if ((ch >= "0" && ch <= "9") || ch === "." || ch === "/") start--;
    else if (ch === "," && start >= 2 && p[start - 2]! >= "0" && p[start - 2]! <= "9" && /^\d{3}(?!\d)/.test(p.slice(start, start + 4))) start--;
    else break;
  }
  if (start > 0 && p[start - 1] === "-" && (start < 2 || p[start - 2] === " " || p[start - 2] === "(")) start--;
  let num = p.slice(start, end).replace(/,/g, "");
  while (num.startsWith(".") || num.startsWith("/")) num = num.slice(1);
  return num.length > 0 ? { text: num, end } : null;
}

/** start of the sentence that contains index `at` (after ". ", ".\n", "? ", "\n\n" or the start) */
function sentenceStart(p: string, at: number): number {
  let best = 0;
  for (const d of [". ", ".\n", "? "]) {
    const k = p.lastIndexOf(d, at - 1);
    if (k >= 0 && k + d.length > best) best = k + d.length;
  }
  return best;
}

/** later of the last math span and the last number in `seg` */
function lastValue(seg: string): string | null {
  const m = lastMathSpan(seg);
  const n = lastNumber(seg);
  return m && (!n || m.end >= n.end) ? m.text : n ? n.text : null;
}

/**
 * A closing statement "The distance is 100 parsecs." (or "… = **194**"): the last sentence of the last paragraph, complete
 * (ends with a period), with a short value after its last " is " / " are " / " equals " / " = ".
 */
function statement(para: string): string | null {
  let t = para.trimEnd();
  // "m + n = 25 + 169 = **194**": a bold closing value counts as a complete statement
  const bold = t.endsWith("**") && t.length > 4;
  if (bold) t = t.slice(0, -2);
  if ((!t.endsWith(".") && !bold) || t.length === 0) return null;
  const sentence = t.slice(sentenceStart(t, t.length - 1));
  let best = -1;
  let len = 0;
  for (const w of [" is ", " are ", " equals ", " = "]) {
    const k = sentence.lastIndexOf(w);
    if (k > best) {
      best = k;
      len = w.length;
    }
  }
  if (best < 0) return null;
  const tail = sentence.slice(best + len);
  if (tail.length > 48) return null;
  return lastValue(tail);
}

/**
 * The conclusion of a prose solution. In the last paragraph (of the last three) with a cue word, from
 * the start of the sentence holding the last cue to the end of the paragraph, the last math span or
 * number (whichever ends later); earlier cues of the paragraph are tried in turn. A paragraph such as
 * "I think that's the answer." with a cue and no value hands over to the paragraph before it.
 */
function conclusion(solution: string): { text: string; at: number } | null {
  let end = solution.length;
  let carry = false;
  for (let k = 0; k < 3 && end > 0; k++) {
    const start = solution.lastIndexOf("\n\n", end - 1);
    const from = start < 0 ? 0 : start + 2;
    const para = solution.slice(from, end);
    end = start < 0 ? 0 : start;
    if (para.trim().length === 0) {
      k--;
      if (start < 0) break;
      continue;
    }
    if (para.length > 4000) return null;
    if (carry) {
      const v = lastValue(para.slice(sentenceStart(para, para.trimEnd().length - 1)));
      if (v) return { text: v, at: from };
    }
    const lower = para.toLowerCase();
    const cues: number[] = [];
    for (const c of CUES) {
      let k2 = lower.indexOf(c);
      while (k2 >= 0) {
        cues.push(k2);
        k2 = lower.indexOf(c, k2 + c.length);
      }
    }
    if (cues.length === 0) {
      if (k === 0 && !carry) {
        const st = statement(para);
        if (st) return { text: st, at: from };
      }
      continue;
    }
    cues.sort((x, y) => y - x);
    let lastStart = -1;
    for (const ci of cues) {
      const ss = sentenceStart(para, ci);
      if (ss === lastStart) continue;
      lastStart = ss;
      const v = lastValue(para.slice(ss));
      if (v) return { text: v, at: from + ss };
    }
    carry = true;
  }
  return null;
}

function cleanLineAnswer(a: string): string {
  let s = a.trim();
  // a box or a math span inside the line wins
  const boxes = findBoxed(s);
  if (boxes.length > 0) return boxes[boxes.length - 1]!;
  if (s.startsWith("$") || s.startsWith("\\(") || s.startsWith("\\[")) {
    const m = lastMath(s);
    if (m) return m;
  }
  while (s.endsWith(".") || s.endsWith("*")) s = s.slice(0, -1).trimEnd();
  return s;
}

/** quick key used to decide whether two boxed answers differ (spacing and `\dfrac` variants collapse) */
function boxKey(s: string): string {
  return s.replace(/\s+/g, "").replace(/\\[dt]frac/g, "\\frac").replace(/\\left|\\right|\\!|\\,/g, "");
}

/**
 * Extract the final answer from a final solution (or the whole response when there is no reasoning
 * split). Returns null when there is no answer (or the reasoning is unterminated).
 */
export function extractAnswer(solution: string, opts: ExtractOptions = {}): Extraction | null {
  if (opts.unterminated) return null;
  const max = opts.maxAnswerChars ?? 4000;
  const cap = (x: Extraction): Extraction => (x.answer.length > max ? { ...x, answer: x.answer.slice(0, max) } : x);

  const boxes = findBoxed(solution);
  if (boxes.length > 0) {
    const answer = boxes[boxes.length - 1]!;
    // "\boxed{}. \boxed{}. …" (a degenerate loop): the final box is empty, there is no answer
    if (answer.length === 0) return null;
    {
      const distinct: string[] = [];
      const seen = new Set<string>();
      for (const b of boxes) {
        const k = boxKey(b);
        if (k.length > 0 && !seen.has(k)) {
          seen.add(k);
          distinct.push(b);
        }
      }
      return cap(distinct.length > 1 ? { answer, rule: "boxed", conflicting: distinct } : { answer, rule: "boxed" });
    }
  }
  if (opts.answerBlock) {
    const whole = cleanLineAnswer(solution);
    if (whole.length === 0) return null;
    // a bare answer ("16", "\frac{3}{4}", "x = 2"); prose inside the block goes through the rules below
    if (!/[A-Za-z]{3,}/.test(whole.replace(/\\[A-Za-z]+/g, " "))) return cap({ answer: whole, rule: "answer_tag" });
  }
  const tag = lastBetween(solution, "<answer>", "</answer>");
  if (tag !== null && tag.trim().length > 0) return cap({ answer: cleanLineAnswer(tag), rule: "answer_tag" });

  const lower = solution.toLowerCase();
  const fin = afterLastPhrase(solution, lower, ["the final answer is", "final answer:", "final answer is"]);
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
    const phrases = ["the answer is", "the answer should be", "answer would be"];
    const is = afterLastPhrase(solution, lower, phrases);
    const isAt = Math.max(...phrases.map((p) => lower.lastIndexOf(p)));
    const c = conclusion(solution);
    if (is && !(c && c.at > isAt)) {
      const a = firstSentence(cleanLineAnswer(is));
      if (a && /[0-9\\]/.test(a)) return cap({ answer: a, rule: "answer_is" });
    }
    if (c) return cap({ answer: c.text, rule: "conclusion" });
    const m = lastMath(solution);
    if (m) return cap({ answer: m, rule: "last_math" });
  }
  // an answer block with words and no marked value ("180 miles", "Evelyn"): the block itself; a sentence
  // without any value ("I could not finish the computation.") is no answer
  if (opts.answerBlock) {
    const whole = cleanLineAnswer(solution);
    const words = whole.split(" ").filter((w) => w.length > 0).length;
    if (whole.length > 0 && (/[0-9\\]/.test(whole) || words <= 3)) return cap({ answer: whole, rule: "answer_tag" });
  }
  return null;
}
