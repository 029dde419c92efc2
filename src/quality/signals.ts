/**
 * Per-rollout quality signals for long chain-of-thought traces: `computeSignals` runs every detector on
 * one rollout (lines.ts, tail-loops.ts, lz-ratio.ts, scripts.ts, answers.ts). Pure functions, no I/O.
 *
 * Every detector is a single forward scan (or a bounded number of them) over the text with typed-array
 * state, so the cost is linear in the text length whatever the input looks like (one character
 * repeated, one line repeated thousands of times, no whitespace, 200 KB of CJK). No regex runs over the
 * whole text; the only regexes run on short boxed-answer contents and are plain literal alternations.
 */
import type { QualitySignals } from "./types.js";
import type { PreparedOptions } from "./options.js";
import { codeUnits, shrinkUnits } from "./units.js";
import { lineSignals } from "./lines.js";
import { tailRepetition, tokenHashes } from "./tail-loops.js";
import { lzRatio } from "./lz-ratio.js";
import { scriptSignals } from "./scripts.js";
import { scanBoxes } from "./answers.js";
import { plainView, truncation, type TraceView, type TruncationInput } from "./truncation.js";

export type { TraceView };
export type SignalInput = TruncationInput;

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
/** tokenHashes' output for the tail window, reused: scratch tables 87 → 96 MB per CPU-s together (see tail-loops.ts) */
let tailHashes = new Uint32Array(0);

export function computeSignals(input: SignalInput, options: PreparedOptions): QualitySignals {
  const response = input.response;
  const trace: TraceView = input.trace ?? plainView(response);
  const scanned = scanBoxes(trace.solution);
  const boxes = scanned.answers;
  const distinct = new Set(boxes).size;
  const cut = truncation({ response, trace, finishReason: input.finishReason }, scanned.lastEnd);

  const u = codeUnits(response);
  const lines = lineSignals(response, options.minLineChars, u);
  const tailStart = Math.max(0, response.length - options.tailChars);
  if (tailHashes.length < response.length - tailStart) tailHashes = new Uint32Array(response.length - tailStart);
  const tail = tailRepetition(tokenHashes(response, tailStart, u, tailHashes), options.ngram);
  const scripts = scriptSignals(response, options.expectedMask, options.segmentLetters, u);
  const lz = lzRatio(response, tailStart, u);
  shrinkUnits();

  const reasoningBlock = trace.format !== "plain" && trace.reasoning !== null;
  return {
    ...cut,
    repetition: round(Math.max(lines.repeatedParagraphShare, tail.tailRepeatShare)),
    repeatedLineShare: round(lines.repeatedLineShare),
    repeatedParagraphShare: round(lines.repeatedParagraphShare),
    tailRepeatShare: round(tail.tailRepeatShare),
    tailLoopTokens: tail.tailLoopTokens,
    tailLzRatio: round(lz),
    foreignShare: round(scripts.foreignShare),
    foreignShareMax: round(scripts.foreignShareMax),
    foreignLetters: scripts.foreignLetters,
    codeShare: round(lines.codeShare),
    codeBlocks: lines.codeBlocks,
    longestParagraphChars: lines.longestParagraphChars,
    boxedCount: boxes.length,
    distinctBoxed: distinct,
    conflictingAnswers: distinct > 1,
    reasoningChars: reasoningBlock ? trace.reasoning!.length : trace.solution.length,
    solutionChars: trace.solution.length,
    reasoningBlock,
  };
}
