/**
 * Values in prose, for the extraction rules that read unmarked text: the last math span, the last
 * number (Math-Verify's plain-number rules: groups of three with `,` are thousands, `2,74` is a decimal
 * comma, a following `%` / "percent" / "pct" marks a percentage), and the conclusion of a solution.
 *
 * Hand-written scanners (indexOf / lastIndexOf, backward scans that only move left): linear time.
 */

const PERCENT_SUFFIX = /^\s*(?:\\%|%|percentage|percent|pct)(?![A-Za-z])/i;

/** `\%` appended when the text right after `end` marks a percentage (`$28$ %`, `28 percent`) */
function withPercent(text: string, s: string, end: number): string {
  return PERCENT_SUFFIX.test(s.slice(end, end + 14)) && !text.endsWith("%") ? `${text}\\%` : text;
}

/**
 * Last `$…$` / `$$…$$` / `\[…\]` / `\(…\)` span: its trimmed content and the index just past it.
 * Inline spans (`$…$`, `\(…\)`) do not cross a line; `$93 - $15` (a `$` before a number, the next one
 * after a blank) is money, not math.
 */
export function lastMathSpan(s: string): { text: string; end: number } | null {
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
    if (!dbl && (inner.includes("\n") || (/^\d/.test(inner) && /\s$/.test(inner)))) {
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
      if (o >= 0 && (open === "\\[" || !s.slice(o, c).includes("\n"))) {
        last = s.slice(o + open.length, c);
        lastEnd = c + 2;
      }
    }
  }
  if (last === null) return null;
  last = last.trim();
  return last.length > 0 ? { text: withPercent(last, s, lastEnd), end: lastEnd } : null;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const CURRENCY = "$€£¥₹₽₪₩₫฿";

/** the number written `tok` (digits, `.`, `,`, `/`), as plain text: thousands dropped, a decimal comma read */
function readNumberToken(tok: string): string {
  let t = tok;
  while (t.endsWith(".") || t.endsWith(",") || t.endsWith("/")) t = t.slice(0, -1);
  while (t.startsWith(",") || t.startsWith("/")) t = t.slice(1);
  if (!t.includes(",")) return t;
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(t) && t[0] !== "0") return t.replace(/,/g, "");
  if (/^\d+,\d+$/.test(t)) return t.replace(",", ".");
  return t.slice(t.lastIndexOf(",") + 1);
}

/**
 * Last number in prose with a clean left edge (start, a blank, `=`, `(`, `:`, `*`, a currency sign; never
 * a letter: "AZYUK2A" holds none): -3, 2.5, 3/4, 1,000 and 1,000.99 (groups of three), 2,74 (a decimal
 * comma, read 2.74), a following `%` / "percent" kept as `\%`.
 */
export function lastNumber(p: string): { text: string; end: number } | null {
  let i = p.length;
  while (i > 0) {
    let end = i;
    while (end > 0 && !isDigit(p.charCodeAt(end - 1))) end--;
    if (end === 0) return null;
    let start = end;
    while (start > 0) {
      const c = p.charCodeAt(start - 1);
      if (isDigit(c) || c === 46 /* . */ || c === 47 /* / */) start--;
      else if (c === 44 /* , */ && start >= 2 && isDigit(p.charCodeAt(start - 2)) && isDigit(p.charCodeAt(start))) start--;
      else break;
    }
    i = start;
    let from = start;
    if (from > 0 && p[from - 1] === "-") from--;
    let edge = from;
    while (edge > 0 && CURRENCY.includes(p[edge - 1]!)) edge--;
    const before = edge > 0 ? p.charCodeAt(edge - 1) : 32;
    if (isLetter(before) || isDigit(before) || before === 95 /* _ */ || before === 94 /* ^ */ || before === 92 /* \ */ || before === 123 /* { */) continue;
    const num = readNumberToken(p.slice(start, end));
    if (num.length === 0 || !/\d/.test(num)) continue;
    const text = (from < start ? "-" : "") + num;
    return { text: withPercent(text, p, end), end };
  }
  return null;
}

/** start of the sentence that contains index `at` (after ". ", ".\n", "? ", "\n\n" or the start) */
export function sentenceStart(p: string, at: number): number {
  let best = 0;
  for (const d of [". ", ".\n", "? "]) {
    const k = p.lastIndexOf(d, at - 1);
    if (k >= 0 && k + d.length > best) best = k + d.length;
  }
  return best;
}

/** later of the last math span and the last number in `seg` */
export function lastValue(seg: string): string | null {
  const m = lastMathSpan(seg);
  const n = lastNumber(seg);
  return m && (!n || m.end >= n.end) ? m.text : n ? n.text : null;
}

/** a text that stops mid-expression ("… = 24 +", "(3,"): cut off, not a statement of a value */
export function endsMidExpression(s: string): boolean {
  const t = s.trimEnd();
  const c = t[t.length - 1];
  if (c === undefined || "+-*/=(,^_\\{[".includes(c) || t.endsWith("\\times") || t.endsWith("\\cdot")) return true;
  // "… + (1/2": a bracket of the last line left open
  const line = t.slice(t.lastIndexOf("\n") + 1);
  let open = 0;
  for (const ch of line) open += ch === "(" || ch === "[" ? 1 : ch === ")" || ch === "]" ? -1 : 0;
  return open > 0;
}

const CUES = ["therefore", "thus", "hence", "so,", "so the", "conclusion", "the answer", "the result", "final answer", "consequently", "i'm confident", "i am confident", "right answer", "correct answer", "the value of", "is indeed", "confirmed"];

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
export function conclusion(solution: string): { text: string; at: number } | null {
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

/** a word of two or more letters outside command names, math spans and braces ("Soucis", "AZYUK2A") */
export function proseWords(s: string, limit: number): number {
  let words = 0;
  let depth = 0;
  let inMath = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      while (i < s.length && isLetter(s.charCodeAt(i))) i++;
      i--;
      continue;
    }
    if (c === 36 /* $ */) inMath = !inMath;
    else if (c === 123) depth++;
    else if (c === 125) depth = Math.max(0, depth - 1);
    else if (isLetter(c) && !inMath && depth === 0 && (i === 0 || !isLetter(s.charCodeAt(i - 1))) && i + 1 < s.length && isLetter(s.charCodeAt(i + 1))) {
      if (++words >= limit) return words;
    }
  }
  return words;
}
