/**
 * Final answers and how the text ends, the evidence for truncation: boxed answers (text/boxed.ts, with a
 * light normalisation so formatting variants of one answer compare equal), answer phrases near the end,
 * and a last character that cannot end a sentence, formula or block.
 */
import { isBlank } from "../text/blank.js";
import { findBoxes } from "../text/boxed.js";

/** Light normalisation of a boxed answer so that formatting variants of one answer compare equal. */
export function normalizeBoxed(content: string): string {
  let plain = true;
  for (let i = 0; i < content.length && plain; i++) {
    const c = content.charCodeAt(i);
    if (c === 92 || c === 36 || c <= 32 || isBlank(c)) plain = false;
  }
  if (plain && !content.endsWith(".") && !content.endsWith(",") && !content.includes("{")) return canonicalNumber(content);
  let s = content.replace(/\\(?:left|right|displaystyle|[,;:! ])/g, "");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  s = s.replace(/\s+/g, "");
  s = s.replace(/\$/g, "");
  s = s.replace(/([\^_])\{([^{}\\])\}/g, "$1$2"); // x^{2} → x^2
  while (s.endsWith(".") || s.endsWith(",")) s = s.slice(0, -1);
  return canonicalNumber(s);
}

/** "1.0" → "1", "056" → "56", "-2.50" → "-2.5"; anything that is not a plain decimal is returned as is */
function canonicalNumber(s: string): string {
  if (s.length === 0 || s.length > 30) return s;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  let digits = 0;
  let dots = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && dots === 0) dots++;
    else return s;
  }
  if (digits === 0) return s;
  const x = Number(s);
  return Number.isFinite(x) ? String(x) : s;
}

/**
 * Normalised contents of every complete box in the text (text/boxed.ts), in order. A box cut off by the
 * end of the text is not counted.
 */
export function boxedAnswers(text: string): string[] {
  return scanBoxes(text).answers;
}

/** normalised complete boxes and the index just past the last one (-1 when none) */
export function scanBoxes(text: string): { answers: string[]; lastEnd: number } {
  const answers: string[] = [];
  let lastEnd = -1;
  for (const box of findBoxes(text)) {
    if (!box.closed) break;
    answers.push(normalizeBoxed(text.slice(box.from, box.to)));
    lastEnd = box.end;
  }
  return { answers, lastEnd };
}

/**
 * A final answer must sit near the end of the solution: a box this many characters before the end of
 * a long plain trace is an intermediate result, not the answer (the text went on and may be cut off).
 */
export const FINAL_ANSWER_WINDOW = 3000;

/** phrases that announce a final answer, searched (lower-cased) in the last 2,000 characters */
const ANSWER_PHRASES = ["answer is", "answer:", "answer =", "final answer", "answer**", "answer\n"];

export function hasAnswerPhrase(solution: string): boolean {
  const tail = solution.slice(-2000).toLowerCase();
  for (const p of ANSWER_PHRASES) if (tail.includes(p)) return true;
  return false;
}

/** characters that can end a finished sentence, formula or block */
function isTerminal(c: number): boolean {
  return (
    c === 46 || c === 33 || c === 63 || // . ! ?
    c === 36 || c === 41 || c === 93 || c === 125 || // $ ) ] }
    c === 62 || c === 42 || c === 96 || c === 34 || c === 39 || c === 124 || // > * ` " ' |
    c === 0x3002 || c === 0xff01 || c === 0xff1f // 。！？
  );
}

/** the last non-blank character is not a plausible end of a sentence, formula or block */
export function endsDangling(text: string): boolean {
  let i = text.length - 1;
  while (i >= 0 && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 10)) i--;
  if (i < 0) return true;
  return !isTerminal(text.charCodeAt(i));
}
