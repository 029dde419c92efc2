/**
 * Split a response into reasoning and final solution for the trace layouts distillation corpora use:
 *
 * - `thought`:      <|begin_of_thought|> … <|end_of_thought|> <|begin_of_solution|> … <|end_of_solution|>
 * - `think_answer`: <think> … </think> <answer> … </answer>
 * - `think`:        <think> … </think> solution
 * - `plain`:        no tags: the whole response is the solution, reasoning is null
 *
 * A reasoning block that is opened but never closed is `unterminated` (the generation was cut off,
 * or the model never stopped thinking); its solution is then empty. Linear time: plain indexOf scans.
 *
 * Text before the opening tag (a preamble: "Okay, let me see.<think>…") is model output written
 * before the reasoning block; it is kept as the reasoning's first paragraph: `reasoning` is the
 * trimmed preamble, a blank line ("\n\n"), then the trimmed block text (just the block text when
 * there is no preamble). So it is counted in `tokens.reasoning`, read by the quality signals, and
 * written by products that re-wrap the reasoning (`responseFormat: "think"`: inside
 * `<think>\n…\n</think>`); `raw` products write the response as it was. This matches the
 * lone-`</think>` case, where everything before the closing tag is the reasoning. Text between or
 * after the blocks (after `</think>` when there is an `<answer>` block, after `<|end_of_thought|>`
 * when there is a solution block) is not part of the split.
 */
import type { Utf8Bytes } from "../text/code-units.js";

export type TraceFormat = "thought" | "think" | "think_answer" | "plain";

export interface TraceSplit {
  format: TraceFormat;
  /** text inside the reasoning block (trimmed), after the preamble when text precedes the opening tag; null for `plain` */
  reasoning: string | null;
  /** the final solution (trimmed); empty when the reasoning is unterminated */
  solution: string;
  /** reasoning opened and never closed */
  unterminated: boolean;
  /** a solution block opened and never closed (<|begin_of_solution|> / <answer> without its end tag) */
  solutionUnterminated: boolean;
}

const THOUGHT_OPEN = "<|begin_of_thought|>";
const THOUGHT_CLOSE = "<|end_of_thought|>";
const SOLUTION_OPEN = "<|begin_of_solution|>";
const SOLUTION_CLOSE = "<|end_of_solution|>";
const THINK_OPEN = "<think>";
const THINK_CLOSE = "</think>";
const ANSWER_OPEN = "<answer>";
const ANSWER_CLOSE = "</answer>";

function block(text: string, open: string, close: string, from: number): { open: number; inner: string; end: number; closed: boolean } | null {
  const o = text.indexOf(open, from);
  if (o < 0) return null;
  const start = o + open.length;
  const c = text.indexOf(close, start);
  if (c < 0) return { open: o, inner: text.slice(start), end: text.length, closed: false };
  return { open: o, inner: text.slice(start, c), end: c + close.length, closed: true };
}

/** The reasoning of a block opened at `openAt`: the preamble before the tag (see the module comment), then the block text. */
function withPreamble(response: string, openAt: number, inner: string): string {
  const body = inner.trim();
  if (openAt <= 0) return body;
  const pre = response.slice(0, openAt).trim();
  if (!pre) return body;
  return body ? `${pre}\n\n${body}` : pre;
}

export function normalizeTrace(response: string): TraceSplit {
  // Sky-T1 / Bespoke style
  const thought = block(response, THOUGHT_OPEN, THOUGHT_CLOSE, 0);
  if (thought) {
    const reasoning = withPreamble(response, thought.open, thought.inner);
    if (!thought.closed) {
      return { format: "thought", reasoning, solution: "", unterminated: true, solutionUnterminated: false };
    }
    const sol = block(response, SOLUTION_OPEN, SOLUTION_CLOSE, thought.end);
    const solution = sol ? sol.inner : response.slice(thought.end);
    return {
      format: "thought",
      reasoning,
      solution: solution.trim(),
      unterminated: false,
      solutionUnterminated: sol ? !sol.closed : false,
    };
  }
  // DeepSeek-R1 style; the opening tag is often in the prompt, so a lone </think> also splits
  const openAt = response.indexOf(THINK_OPEN);
  const closeAt = response.indexOf(THINK_CLOSE, openAt < 0 ? 0 : openAt + THINK_OPEN.length);
  if (openAt >= 0 || closeAt >= 0) {
    if (closeAt < 0) {
      return { format: "think", reasoning: withPreamble(response, openAt, response.slice(openAt + THINK_OPEN.length)), solution: "", unterminated: true, solutionUnterminated: false };
    }
    const reasoning = openAt < 0 ? response.slice(0, closeAt).trim() : withPreamble(response, openAt, response.slice(openAt + THINK_OPEN.length, closeAt));
    const after = closeAt + THINK_CLOSE.length;
    const answer = block(response, ANSWER_OPEN, ANSWER_CLOSE, after);
    if (answer) {
      return { format: "think_answer", reasoning, solution: answer.inner.trim(), unterminated: false, solutionUnterminated: !answer.closed };
    }
    return { format: "think", reasoning, solution: response.slice(after).trim(), unterminated: false, solutionUnterminated: false };
  }
  return { format: "plain", reasoning: null, solution: response.trim(), unterminated: false, solutionUnterminated: false };
}

/**
 * Text normalisation for hashing problems and responses: Unicode NFKC, lower case, LaTeX spacing
 * commands and `$` delimiters dropped, whitespace collapsed. Two texts equal under this are treated
 * as the same problem (exact group) by dedupe.
 */
export function normalizeForKey(text: string): string {
  let s = text.normalize("NFKC").toLowerCase();
  s = s.replace(/\$/g, "");
  s = s.replace(/\\[,;:! ]|\\q?quad(?![a-z])|\\left(?![a-z])|\\right(?![a-z])/g, " ");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  // = replace(/\s+/g, " "), without rewriting every single space (4× faster on traces)
  s = s.replace(/\s\s+|[^\S ]/g, " ").trim();
  return s;
}

/** byte → byte with A–Z lowered */
const LOWER = new Uint8Array(256);
/** byte → byte with ASCII whitespace written as a space */
const SPACED = new Uint8Array(256);
/** pass 2's byte classes: 0 copied, 1 ASCII whitespace (`\s`), 2 a backslash or the lead byte of a possible non-ASCII `\s` */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c;
  SPACED[c] = c === 32 || (c >= 9 && c <= 13) ? 32 : c;
  CLASS[c] = c === 32 || (c >= 9 && c <= 13) ? 1 : c === 92 || c === 0xc2 || c === 0xe1 || c === 0xe2 || c === 0xe3 || c === 0xef ? 2 : 0;
}

/** `\s` of a JavaScript regex above ASCII (what String.prototype.trim also removes) */
function isJsSpaceAbove127(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const isAz = (c: number) => c >= 97 && c <= 122;

/**
 * The UTF-8 bytes of `normalizeForKey(text)`, written to `kb.buf`; returns their length. The string
 * version makes six rewrites of the whole text; this encodes it once (natively) and makes two passes
 * over the bytes with lookup tables (keysFor 104 → 245 MB per CPU second on bench rows, commit
 * f27a47c; 87–103 against 53–57 on Sky-T1, README), as traces are hashed whole for the
 * exact-duplicate key.
 *
 * NFKC and lower-casing are skipped for ASCII text, where they change only A–Z. Pass 1 lowers A–Z and
 * drops `$`. Pass 2 applies the remaining rewrites in their order: at a backslash, LaTeX spacing (`\,`
 * `\;` `\:` `\!` `\ `, and `\quad` `\qquad` `\left` `\right` not followed by a letter) becomes a
 * space, else `\dfrac`/`\tfrac` becomes `\frac` (a spacing match always leaves a space, so it never
 * joins a `\dfrac` the string version would not see); every whitespace run, non-ASCII `\s` included,
 * becomes one space, with none at either end. Bytes of multi-byte characters never equal an ASCII
 * byte, so ASCII tests on bytes are tests on characters. Lone surrogates become U+FFFD, as Node
 * encodes them for hashing. The test compares the bytes with `normalizeForKey` on fuzzed text and on
 * every real trace and problem.
 */
export function normalizeForKeyBytes(text: string, kb: Utf8Bytes): number {
  let n = kb.of(text);
  if (n !== text.length) {
    // not ASCII. NFKC and lower-casing can lengthen the text (U+FDFA becomes 18 characters): the
    // normalised string is encoded in its turn (kb.of sizes the buffer for it)
    let t = text.normalize("NFKC").toLowerCase();
    // a lone surrogate is encoded as U+FFFD on its own, but the string version drops `$` first, which
    // can join two halves into one character ("\ud800$\udc00"): drop `$` before encoding such text
    // (every other rewrite leaves a space, so it never joins halves)
    if (!(t as unknown as { isWellFormed(): boolean }).isWellFormed() && t.includes("$")) t = t.replace(/\$/g, "");
    n = kb.of(t);
  }
  return collapse(kb.buf, dropDollarLower(kb.buf, n));
}

/** Pass 1 in place: A–Z lowered, `$` dropped; returns the new length. */
function dropDollarLower(b: Uint8Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c !== 36) b[m++] = LOWER[c]!;
  }
  return m;
}

/** Byte length of the non-ASCII `\s` character whose lead byte is at `i`, else 0. */
function nonAsciiSpace(b: Uint8Array, i: number, m: number): number {
  const c = b[i]!;
  const len = c < 0xe0 ? 2 : 3;
  if (i + len > m) return 0;
  const cp = len === 2 ? ((c & 31) << 6) | (b[i + 1]! & 63) : ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
  return isJsSpaceAbove127(cp) ? len : 0;
}

/**
 * Pass 2 in place (it never writes more bytes than it has read); returns the new length. Whitespace
 * is collapsed without branches: a whitespace byte is written as a space and kept only when the byte
 * before it was not whitespace (`ws` starts at 1 so that leading whitespace is dropped; a trailing
 * space is cut after). Its own function, as is pass 1: text with non-ASCII characters reaches
 * branches ASCII text does not: one large function optimised on mixed feedback ran at ~150 MB per
 * CPU second on ASCII rows instead of ~240; split, ~180 (commit 495228d).
 */
function collapse(b: Uint8Array, m: number): number {
  let o = 0;
  let ws = 1;
  let i = 0;
  while (i < m) {
    const c = b[i]!;
    const k = CLASS[c]!;
    if (k !== 2) {
      // branch-free: keysFor 223 vs 141 MB/CPU-s with a branch per byte, on bench rows (median of 8 runs each)
      b[o] = SPACED[c]!;
      o += 1 - (k & ws);
      ws = k;
      i++;
      continue;
    }
    if (c === 92) {
      let skip = 0;
      if (i + 1 < m) {
        const d = b[i + 1]!;
        if (d === 44 || d === 59 || d === 58 || d === 33 || d === 32) skip = 2;
        else if (d === 113) {
          // \qquad, else \quad; neither followed by a letter
          if (i + 5 < m && b[i + 2] === 113 && b[i + 3] === 117 && b[i + 4] === 97 && b[i + 5] === 100 && !(i + 6 < m && isAz(b[i + 6]!))) skip = 6;
          else if (i + 4 < m && b[i + 2] === 117 && b[i + 3] === 97 && b[i + 4] === 100 && !(i + 5 < m && isAz(b[i + 5]!))) skip = 5;
        } else if (d === 108) {
          if (i + 4 < m && b[i + 2] === 101 && b[i + 3] === 102 && b[i + 4] === 116 && !(i + 5 < m && isAz(b[i + 5]!))) skip = 5; // \left
        } else if (d === 114) {
          if (i + 5 < m && b[i + 2] === 105 && b[i + 3] === 103 && b[i + 4] === 104 && b[i + 5] === 116 && !(i + 6 < m && isAz(b[i + 6]!))) skip = 6; // \right
        } else if ((d === 100 || d === 116) && i + 5 < m && b[i + 2] === 102 && b[i + 3] === 114 && b[i + 4] === 97 && b[i + 5] === 99) {
          // \dfrac, \tfrac → \frac (5 bytes written for 6 read)
          b[o++] = 92;
          b[o++] = 102;
          b[o++] = 114;
          b[o++] = 97;
          b[o++] = 99;
          ws = 0;
          i += 6;
          continue;
        }
      }
      if (skip) {
        // LaTeX spacing: a whitespace character
        b[o] = 32;
        o += 1 - ws;
        ws = 1;
        i += skip;
        continue;
      }
    } else {
      // the lead byte of a 2- or 3-byte character that may be whitespace
      const len = nonAsciiSpace(b, i, m);
      if (len) {
        b[o] = 32;
        o += 1 - ws;
        ws = 1;
        i += len;
        continue;
      }
    }
    b[o++] = c;
    ws = 0;
    i++;
  }
  if (ws && o > 0) o--; // a trailing space
  return o;
}
