/**
 * Exact token counts (gpt-tokenizer, o200k_base by default) for problem, reasoning, solution and
 * response, and the hash keys exact dedupe and grouping use.
 *
 * o200k_base is counted by count.ts (hand-written pre-tokeniser, exact, pieces over 1,000
 * characters counted in chunks). cl100k_base goes through gpt-tokenizer: BPE is quadratic in the
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
import { makeO200kCounter } from "./count.js";

type CountFn = (text: string, opts: { disallowedSpecial: Set<string> }) => number;

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const SEGMENT = 8192;
const MAX_RUN = 1000;

export async function loadCounter(tokenizer: MixConfig["tokenizer"]): Promise<TokenCounter> {
  const mod: { countTokens: CountFn } =
    tokenizer === "cl100k_base" ? await import("gpt-tokenizer/encoding/cl100k_base") : await import("gpt-tokenizer/encoding/o200k_base");
  const count = mod.countTokens;
  if (tokenizer !== "cl100k_base") {
    // cuts long pieces itself (count.ts MAX_PIECE), so no segmenting pass is needed
    return makeO200kCounter(count);
  }
  return (text: string, start?: number, end?: number) => countSegmented(start === undefined && end === undefined ? text : text.slice(start, end), (s) => count(s, NO_SPECIAL));
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

/** A counter; with `start`/`end`, the tokens of `text.slice(start, end)`. */
export type TokenCounter = (text: string, start?: number, end?: number) => number;

/**
 * Reasoning, solution and response tokens from the parts: reasoning + solution + everything else
 * (tags, whitespace), each counted exactly. Tokenising the response as one string can differ by a
 * token or two at the 2–4 part boundaries; counting the long reasoning once instead of twice halves
 * the annotate cost. The parts are counted in place in the response when they occur in it.
 */
export function traceTokens(response: string, reasoning: string | null, solution: string, count: TokenCounter): { reasoning: number; solution: number; response: number } {
  let a = 0;
  let b = 0;
  if (reasoning) {
    a = response.indexOf(reasoning);
    b = a + reasoning.length;
  }
  let c = b;
  let d = b;
  if (solution && a >= 0) {
    c = response.indexOf(solution, b);
    d = c + solution.length;
  }
  const r = reasoning ? (a >= 0 ? count(response, a, b) : count(reasoning)) : 0;
  const s = solution ? (a >= 0 && c >= 0 ? count(response, c, d) : count(solution)) : 0;
  if (a < 0 || c < 0) return { reasoning: r, solution: s, response: count(response) };
  const other = response.slice(0, a) + response.slice(b, c) + response.slice(d);
  return { reasoning: r, solution: s, response: r + s + (other ? count(other) : 0) };
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
