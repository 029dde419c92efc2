/**
 * Exact token counts (o200k_base by default) for problem, reasoning, solution and response, and the
 * hash keys exact dedupe and grouping use.
 *
 * o200k_base is counted by count.ts: equal to tiktoken's `encode_ordinary(text).length` on every text
 * (long pieces included, see bpe.ts). cl100k_base goes through gpt-tokenizer: BPE is quadratic in the
 * length of one pre-token, so a 200 KB run with no spaces would take tens of seconds, and a text with
 * a run of more than 1,000 non-space characters is counted in segments cut just before a space that
 * follows a non-space character (a cut that never changes cl100k pre-tokenisation, so the sum is
 * exact), and the degenerate runs themselves in 1,000-character pieces (off by at most a token or two
 * per piece, and only on such text). Other texts are counted whole.
 */
import { createHash } from "node:crypto";
import type { MixConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import { normalizeForKeyBytes, normalizeTrace } from "../record/trace.js";
import { Utf8Bytes } from "../text/code-units.js";
import type { Annotator, AnnotatorModule } from "../record/annotator.js";
import { vocabPieceBpe } from "./bpe.js";
import { makeO200kCounter } from "./count.js";
import { loadO200kVocab } from "./vocab.js";

type CountFn = (text: string, opts: { disallowedSpecial: Set<string> }) => number;

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const SEGMENT = 8192;
const MAX_RUN = 1000;

export async function loadCounter(tokenizer: MixConfig["tokenizer"]): Promise<TokenCounter> {
  if (tokenizer !== "cl100k_base") {
    return makeO200kCounter(vocabPieceBpe(await loadO200kVocab()));
  }
  const { countTokens: count }: { countTokens: CountFn } = await import("gpt-tokenizer/encoding/cl100k_base");
  const counter = ((text: string, start?: number, end?: number) =>
    countSegmented(start === undefined && end === undefined ? text : text.slice(start, end), (s) => count(s, NO_SPECIAL))) as TokenCounter;
  counter.parts = (text, ranges, out) => {
    for (let k = 0; k + 1 < ranges.length; k += 2) out[k >> 1] = counter(text, ranges[k], ranges[k + 1]);
    return counter(text);
  };
  return counter;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x3000;
}

/** Sum of counts over safe segments; see the module comment. Linear in text length. */
export function countSegmented(text: string, count: (s: string) => number, alwaysSegment = false): number {
  // whole texts count fastest (22.6 MB/s vs 21.5 at 8 KB pieces, 11.8 at 2 KB); cut only around
  // degenerate runs, where BPE's quadratic merge loop would take seconds
  if (!alwaysSegment && !hasLongRun(text)) return count(text);
  let total = 0;
  let start = 0;
  let run = 0; // current non-space run length
  let lastCut = -1; // last safe cut position (index of a space preceded by non-space)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (c === 32 && run > 0) lastCut = i;
      run = 0;
    } else {
      run++;
      if (run > MAX_RUN) {
        // cut inside a degenerate run (avoid splitting a surrogate pair)
        let cut = i;
        if (cut > 0 && (text.charCodeAt(cut) & 0xfc00) === 0xdc00) cut--;
        if (cut > start) total += count(text.slice(start, cut));
        start = cut;
        run = i - cut + 1;
        lastCut = -1;
        continue;
      }
    }
    if (i - start >= SEGMENT && lastCut > start) {
      total += count(text.slice(start, lastCut));
      start = lastCut;
      lastCut = -1;
    }
  }
  if (start < text.length) total += count(text.slice(start));
  return total;
}

function hasLongRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) run = 0;
    else if (++run > MAX_RUN) return true;
  }
  return false;
}

export function hashKey(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

const ZERO = new Uint8Array(1);
const problemBytes = new Utf8Bytes();
const responseBytes = new Utf8Bytes();

/**
 * The exact-duplicate key (sha-256 of the normalised problem, a NUL, the normalised response) and the
 * problem key (of the normalised problem), both as 32 hex digits: `hashKey(normalizeForKey(problem) +
 * "\0" + normalizeForKey(response))` and `hashKey(normalizeForKey(problem))`, hashed from the bytes
 * `normalizeForKeyBytes` writes (no normalised strings are built).
 */
export function keysFor(problem: string, response: string): { exact: string; problem: string } {
  const pn = normalizeForKeyBytes(problem, problemBytes);
  const rn = normalizeForKeyBytes(response, responseBytes);
  const p = problemBytes.buf.subarray(0, pn);
  const exact = createHash("sha256").update(p).update(ZERO).update(responseBytes.buf.subarray(0, rn)).digest("hex").slice(0, 32);
  const key = createHash("sha256").update(p).digest("hex").slice(0, 32);
  // a huge response must not pin its buffers for the rest of the run
  responseBytes.shrink();
  problemBytes.shrink();
  return { exact, problem: key };
}

/**
 * A counter; with `start`/`end`, the tokens of `text.slice(start, end)`; `parts` counts a text and
 * ranges of it, each as its own string, in one pass (count.ts).
 */
export interface TokenCounter {
  (text: string, start?: number, end?: number): number;
  parts(text: string, ranges: readonly number[], out: number[]): number;
}

/**
 * The token counts of a response and of its trace split:
 * - `response`: the whole response as one string — exactly what a tokenizer gives for it;
 * - `reasoning`, `solution`: the split's reasoning and solution strings, each as its own string —
 *   what a product that writes them separately (`responseFormat: "think"`: `<think>\n` reasoning
 *   `\n</think>\n\n` solution, each encoded on its own) spends on them.
 * The parts do not add up to the response: the tags and the whitespace around them count in the
 * response only, and a token can span a tag boundary in the response (a piece such as `.\n` or
 * ` word` that the split cuts in two). The ranges are found in the response so that its one scan
 * also counts them (count.ts `parts`); a part the response does not contain as written (reasoning
 * with a preamble, record/trace.ts) is counted on its own.
 */
export function traceTokens(response: string, reasoning: string | null, solution: string, count: TokenCounter): { reasoning: number; solution: number; response: number } {
  const ranges: number[] = [];
  let a = -1;
  if (reasoning) {
    a = response.indexOf(reasoning);
    if (a >= 0) ranges.push(a, a + reasoning.length);
  }
  let c = -1;
  if (solution) {
    c = response.indexOf(solution, a >= 0 ? a + reasoning!.length : 0);
    if (c >= 0) ranges.push(c, c + solution.length);
  }
  const out = [0, 0];
  const whole = count.parts(response, ranges, out);
  const r = !reasoning ? 0 : a >= 0 ? out[0]! : count(reasoning);
  const s = !solution ? 0 : c >= 0 ? out[a >= 0 && reasoning ? 1 : 0]! : count(solution);
  return { reasoning: r, solution: s, response: whole };
}

/** Trace split + token counts + keys: the first annotator, always on. */
export const tokensModule: AnnotatorModule = {
  async create(config: MixConfig): Promise<Annotator> {
    const count = await loadCounter(config.tokenizer);
    let lastProblem = "";
    let lastProblemTokens = 0;
    return {
      name: "tokens",
      annotate(batch: Rollout[]) {
        for (const r of batch) {
          r.trace ??= normalizeTrace(r.response);
          if (r.problem !== lastProblem) {
            lastProblem = r.problem;
            lastProblemTokens = count(r.problem);
          }
          const t = traceTokens(r.response, r.trace.reasoning, r.trace.solution, count);
          r.tokens = { problem: lastProblemTokens, reasoning: t.reasoning, solution: t.solution, response: t.response };
          r.keys = keysFor(r.problem, r.response);
        }
      },
    };
  },
};
