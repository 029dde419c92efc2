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
 */
export type TraceFormat = "thought" | "think" | "think_answer" | "plain";

export interface TraceSplit {
  format: TraceFormat;
  /** text inside the reasoning block (trimmed), null for `plain` */
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

function block(text: string, open: string, close: string, from: number): { inner: string; end: number; closed: boolean } | null {
  const o = text.indexOf(open, from);
  if (o < 0) return null;
  const start = o + open.length;
  const c = text.indexOf(close, start);
  if (c < 0) return { inner: text.slice(start), end: text.length, closed: false };
  return { inner: text.slice(start, c), end: c + close.length, closed: true };
}

export function normalizeTrace(response: string): TraceSplit {
  // Sky-T1 / Bespoke style
  const thought = block(response, THOUGHT_OPEN, THOUGHT_CLOSE, 0);
  if (thought) {
    if (!thought.closed) {
      return { format: "thought", reasoning: thought.inner.trim(), solution: "", unterminated: true, solutionUnterminated: false };
    }
    const sol = block(response, SOLUTION_OPEN, SOLUTION_CLOSE, thought.end);
    const solution = sol ? sol.inner : response.slice(thought.end);
    return {
      format: "thought",
      reasoning: thought.inner.trim(),
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
      return { format: "think", reasoning: response.slice(openAt + THINK_OPEN.length).trim(), solution: "", unterminated: true, solutionUnterminated: false };
    }
    const reasoning = response.slice(openAt < 0 ? 0 : openAt + THINK_OPEN.length, closeAt).trim();
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
