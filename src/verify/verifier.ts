/**
 * Verify one rollout: extract the final answer, compare it with the reference (fast layers in the
 * calling thread, the symbolic engine in a worker with a hard timeout), and produce the annotation.
 */
import { performance } from "node:perf_hooks";
import { extractAnswer, type Extraction } from "./extract.js";
import { compareAnswers, deferSymbolic, isListAnswer, NeedSymbolic, UngradableReference, type Comparison } from "./equivalence.js";
import { referenceAnswer } from "./reference.js";
import { parseChoices } from "./choices.js";
import { RefusedError } from "./expr-parse.js";
import { normalizeAnswer } from "./normalize.js";
import { SymbolicPool } from "./symbolic-pool.js";
import type { VerifyAnnotation, VerifyConfig, Verdict } from "./types.js";

export interface VerifyInput {
  reference: string | null;
  /** the final solution, or the whole response when the trace has no reasoning split */
  solution: string;
  /** reasoning opened and never closed */
  unterminated?: boolean;
  /** the generation was cut off (quality/truncation.ts): no answer is extracted, verdict no_answer, rule `truncated` */
  truncated?: boolean;
  /** the solution is an unwrapped `<answer>…</answer>` block (trace format think_answer) */
  answerBlock?: boolean;
  /** an already extracted answer: skips extraction (rule `given`) */
  answer?: string;
  /** the problem statement: its multiple-choice options let a letter match an option's text */
  problem?: string;
}

export interface ResolvedVerifyConfig {
  timeoutMs: number;
  relTol: number;
  maxAnswerChars: number;
  lastMath: boolean;
  maxDepth: number;
}

export function resolveVerifyConfig(c: VerifyConfig = {}): ResolvedVerifyConfig {
  return {
    timeoutMs: c.timeoutMs ?? 1000,
    relTol: c.relTol ?? 1e-4,
    maxAnswerChars: c.maxAnswerChars ?? 1000,
    lastMath: c.lastMath ?? true,
    maxDepth: 120,
  };
}

/** result of the fast path: a finished annotation, or a pair that needs the symbolic worker */
type Fast = { done: VerifyAnnotation } | { gold: string; pred: string; extraction: Extraction; t0: number; choices?: Record<string, string> };

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export class Verifier {
  readonly config: ResolvedVerifyConfig;
  private pool: SymbolicPool | null = null;

  constructor(config: VerifyConfig = {}) {
    this.config = resolveVerifyConfig(config);
  }

  /** pairs the symbolic worker has seen / timeouts, for stats */
  get symbolicStats(): { spawned: number; timeouts: number } {
    return { spawned: this.pool?.spawned ?? 0, timeouts: this.pool?.timeouts ?? 0 };
  }

  private annotation(
    verdict: Verdict,
    extraction: Extraction | null,
    rule: string,
    t0: number,
  ): VerifyAnnotation {
    const a: VerifyAnnotation = {
      verdict,
      extracted: extraction ? extraction.answer : null,
      extractedBy: extraction ? extraction.rule : null,
      rule,
      ms: round(performance.now() - t0),
    };
    if (extraction?.conflicting) a.conflicting = extraction.conflicting;
    return a;
  }

  /** the synchronous part: everything except the symbolic worker */
  private fast(input: VerifyInput): Fast {
    const t0 = performance.now();
    const cfg = this.config;
    // a solution given as the reference is reduced to its answer (reference.ts)
    const ref = input.reference === null ? null : referenceAnswer(input.reference);
    // a cut-off trace is never graded: its last sentence or formula is not an answer
    const cutOff = input.unterminated === true || input.truncated === true;
    let extraction: Extraction | null = cutOff
      ? null
      : input.answer !== undefined
        ? input.answer.trim().length > 0
          ? { answer: input.answer.trim(), rule: "given" as Extraction["rule"] }
          : null
        : extractAnswer(input.solution, {
            unterminated: input.unterminated ?? false,
            lastMath: cfg.lastMath,
            maxAnswerChars: cfg.maxAnswerChars + 1,
            answerBlock: input.answerBlock ?? false,
          });
    if (ref === null || ref.trim().length === 0) return { done: this.annotation("ungradable_reference", extraction, "no_reference", t0) };
    if (ref.length > cfg.maxAnswerChars * 4) return { done: this.annotation("ungradable_reference", extraction, "reference_too_long", t0) };
    if (!extraction) return { done: this.annotation("no_answer", null, input.unterminated ? "unterminated" : input.truncated ? "truncated" : "no_answer", t0) };
    // boxes that answer together ("\boxed{(2,2)} and \boxed{(6,2)}") answer a list reference as one
    const grouped = extraction.group !== undefined && isListAnswer(ref);
    if (grouped) extraction = { ...extraction, answer: extraction.group! };
    const pred = extraction.answer;
    if (pred.length > cfg.maxAnswerChars) return { done: this.annotation("timeout", extraction, "refused:length", t0) };
    if (extraction.conflicting) {
      // boxes that are all equivalent to the last one (e.g. \frac12 then 0.5) are no conflict
      const last = extraction.answer;
      const differs = extraction.conflicting.some((b) => {
        if (b === last) return false;
        try {
          return !compareAnswers(last, b, { relTol: cfg.relTol, maxDepth: cfg.maxDepth, symbolic: deferSymbolic }).equal;
        } catch {
          return true;
        }
      });
      if (!differs) delete extraction.conflicting;
    }
    let cmp: Comparison;
    const choices = input.problem && input.problem.includes("(A)") && input.problem.includes("(B)") ? parseChoices(input.problem) : null;
    try {
      cmp = compareAnswers(ref, pred, { relTol: cfg.relTol, maxDepth: cfg.maxDepth, symbolic: deferSymbolic, ...(choices ? { choices } : {}) });
    } catch (e) {
      if (e instanceof NeedSymbolic) return { gold: ref, pred, extraction, t0, ...(choices ? { choices } : {}) };
      if (e instanceof UngradableReference) return { done: this.annotation("ungradable_reference", extraction, "reference_unparseable", t0) };
      // nesting too deep (refused:depth), a number too large to decide exactly (exact/too_large, …)
      if (e instanceof RefusedError) return { done: this.annotation("timeout", extraction, e.rule, t0) };
      // a stack overflow on a huge answer (only reachable with a raised maxAnswerChars) is a refusal too
      if (e instanceof RangeError) return { done: this.annotation("timeout", extraction, "refused:depth", t0) };
      // never let one odd rollout stop a run: undecided, named so it can be found (fuzzing finds none)
      return { done: this.annotation("timeout", extraction, `internal_error:${e instanceof Error ? e.name : "unknown"}`, t0) };
    }
    if (!cmp.equal && extraction.conflicting && extraction.conflicting.length > 1) {
      // several boxes: "\boxed{1}, \boxed{2}" can answer a list reference as a whole
      try {
        const joined = compareAnswers(ref, extraction.conflicting.join(", "), { relTol: cfg.relTol, maxDepth: cfg.maxDepth, symbolic: deferSymbolic });
        if (joined.equal) return { done: this.annotation("correct", { ...extraction, answer: extraction.conflicting.join(", ") }, "boxed_all/" + joined.rule, t0) };
      } catch {
        // keep the verdict on the last box
      }
    }
    return { done: this.annotation(cmp.equal ? "correct" : "incorrect", extraction, grouped ? `boxed_all/${cmp.rule}` : cmp.rule, t0) };
  }

  /** Verify without the symbolic engine: pairs that would need it get verdict `timeout`, rule `needs_symbolic`. */
  verifyFast(input: VerifyInput): VerifyAnnotation {
    const f = this.fast(input);
    if ("done" in f) return f.done;
    return this.annotation("timeout", f.extraction, "needs_symbolic", f.t0);
  }

  async verify(input: VerifyInput): Promise<VerifyAnnotation> {
    const f = this.fast(input);
    if ("done" in f) return f.done;
    this.pool ??= new SymbolicPool(this.config.timeoutMs);
    const r = await this.pool.compare(f.gold, f.pred, this.config.relTol, this.config.maxDepth, f.choices);
    switch (r.outcome) {
      case "equal":
        return this.annotation("correct", f.extraction, r.rule, f.t0);
      case "unequal":
        return this.annotation("incorrect", f.extraction, r.rule, f.t0);
      case "ungradable":
        return this.annotation("ungradable_reference", f.extraction, "reference_unparseable", f.t0);
      case "refused":
        return this.annotation("timeout", f.extraction, r.rule, f.t0);
      case "timeout":
        return this.annotation("timeout", f.extraction, "timeout", f.t0);
      default:
        // the engine failed on this pair: undecided, reported like a timeout (never blamed on the model)
        return this.annotation("timeout", f.extraction, "symbolic_error", f.t0);
    }
  }

  /** compare a reference with an answer directly (no extraction); used by `curate verify --gold --pred` */
  async compare(gold: string, pred: string): Promise<VerifyAnnotation> {
    return this.verify({ reference: gold, solution: "", answer: pred });
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    if (p) await p.close();
  }
}

export { normalizeAnswer };
