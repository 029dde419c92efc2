/**
 * Was the generation cut off? The one truncation rule, shared by the quality annotator (which stores
 * it as `quality.truncated`) and the verify annotator (which never grades a cut-off trace), so the
 * verdict and the signal always agree, whatever the annotator order and whether `annotate.quality`
 * is on. Pure and linear: one boxed-answer scan of the solution and a look at the last characters.
 *
 * A trace is cut off when
 *   - its reasoning block was opened and never closed, or
 *   - the source recorded finish_reason "length", or
 *   - its solution block was opened and never closed and the solution is not complete (below), or
 *   - it has no final answer and stops mid-sentence.
 *
 * A solution block without its closing tag is complete when it has a final answer and either the
 * source recorded finish_reason "stop" or the text ends cleanly (a trailing fragment of the closing
 * tag, such as `<|end_of_`, ignored): a generation stopped at the stop string `<|end_of_solution|>`
 * loses the tag but not the answer. On the Sky-T1 evals 40 of the 41 traces whose solution block
 * lacks its tag and has a final answer are of that kind (each read by hand; test/quality-skyt1.test.ts).
 */
import { isBlank } from "../text/blank.js";
import { hasAnswerPhrase, endsDangling, scanBoxes, FINAL_ANSWER_WINDOW } from "./answers.js";

/** The parts of the normaliser's TraceSplit the truncation rule reads. */
export interface TraceView {
  format: "thought" | "think" | "think_answer" | "plain";
  reasoning: string | null;
  solution: string;
  unterminated: boolean;
  solutionUnterminated?: boolean;
}

export interface TruncationInput {
  response: string;
  /** the normaliser's split; when absent the whole response is treated as a plain trace */
  trace?: TraceView;
  finishReason: string | null;
}

export interface Truncation {
  /** the generation was cut off (the rule above) */
  truncated: boolean;
  /** reasoning block or solution block opened and never closed */
  unterminated: boolean;
  /** the source recorded finish_reason "length" */
  finishLength: boolean;
  /** a final answer in the solution (see QualitySignals.hasFinalAnswer) */
  hasFinalAnswer: boolean;
  /** the response's last non-blank character cannot end a sentence, formula or block */
  danglingEnd: boolean;
}

/** closing tags of the solution blocks (record/trace.ts), whose trailing fragments a stop string leaves */
const SOLUTION_CLOSE_TAGS = ["<|end_of_solution|>", "</answer>"];

/**
 * The response without a trailing fragment of a solution block's closing tag (`<|end_of_`, `<`),
 * which a generation stopped at that tag may leave. Looks at the last 20 characters only.
 */
export function withoutTagFragment(response: string): string {
  let end = response.length;
  while (end > 0 && (isBlank(response.charCodeAt(end - 1)) || response.charCodeAt(end - 1) === 10)) end--;
  const lt = response.lastIndexOf("<", end - 1);
  if (lt < 0 || end - lt > 20) return response;
  const tail = response.slice(lt, end);
  return SOLUTION_CLOSE_TAGS.some((tag) => tag.startsWith(tail)) ? response.slice(0, lt) : response;
}

export const plainView = (response: string): TraceView => ({ format: "plain", reasoning: null, solution: response.trim(), unterminated: false });

/**
 * The truncation signals of one rollout. `lastBoxEnd`: where the solution's last complete box ends
 * (-1 when none), when the caller has scanned the boxes already (quality/signals.ts); else scanned here.
 */
export function truncation(input: TruncationInput, lastBoxEnd?: number): Truncation {
  const trace = input.trace ?? plainView(input.response);
  lastBoxEnd ??= scanBoxes(trace.solution).lastEnd;
  const solutionOpen = trace.solutionUnterminated === true;
  const finish = input.finishReason === null ? "" : input.finishReason.toLowerCase();
  const finishLength = finish === "length";
  // a closed, non-empty <answer> block is itself the final answer (R1-Zero format)
  const answerBlock = trace.format === "think_answer" && !solutionOpen && trace.solution.length > 0;
  const hasFinalAnswer =
    answerBlock || (lastBoxEnd >= 0 && trace.solution.length - lastBoxEnd <= FINAL_ANSWER_WINDOW) || hasAnswerPhrase(trace.solution);
  const danglingEnd = endsDangling(solutionOpen ? withoutTagFragment(input.response) : input.response);
  const solutionComplete = hasFinalAnswer && (finish === "stop" || !danglingEnd);
  return {
    truncated: trace.unterminated || finishLength || (solutionOpen && !solutionComplete) || (!hasFinalAnswer && danglingEnd),
    unterminated: trace.unterminated || solutionOpen,
    finishLength,
    hasFinalAnswer,
    danglingEnd,
  };
}
