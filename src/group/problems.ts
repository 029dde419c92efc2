/**
 * Per-problem statistics after grouping: rollouts, correct count, pass rate, rollout length
 * distribution, difficulty and domain. The lead feeds one row per rollout (in input order) and reads
 * one summary per problem group.
 *
 * Pass rate counts only gradable rollouts:
 *   correct                → gradable, correct
 *   incorrect, no_answer   → gradable, failed (a rollout that gives no final answer failed the problem)
 *   cut off (no_answer with rule unterminated / truncated) → excluded (never graded: the generation
 *                            was cut before its answer; verify/annotator.ts gradedVerdict)
 *   timeout                → excluded (the verifier could not decide; not the model's fault)
 *   ungradable_reference   → excluded (the reference cannot be graded)
 *   no verdict (null)      → excluded (verification off)
 * passRate = correct / gradable, null when nothing is gradable.
 *
 * Storage is columnar (typed arrays indexed by problem number) so millions of rollouts cost a few
 * bytes each; summaries come out in first-seen order, which is deterministic for a fixed input order.
 */
import type { MetaValue, Rollout } from "../record/rollout.js";
import type { Verdict } from "../verify/types.js";
import { gradedVerdict } from "../verify/annotator.js";
import type { Domain, PassRateDifficulty } from "../quality/types.js";
import { DOMAINS, problemDomain } from "../quality/domain.js";
import { GrowFloat64, GrowInt32 } from "./columns.js";

export interface ProblemRow {
  problemGroup: string;
  /** verification verdict as pass rates count it (gradedVerdict); null/undefined when not verified or cut off */
  verdict: Verdict | null | undefined;
  /** record.tokens.response */
  responseTokens: number;
  meta?: Record<string, MetaValue>;
  /** problem text; only the first row of a group is read (keyword domain classifier) */
  problem?: string;
}

export interface ProblemSummary {
  problemGroup: string;
  rollouts: number;
  /** rollouts counted in the pass rate (correct + incorrect + no_answer, cut-off traces excluded) */
  gradable: number;
  correct: number;
  /** correct / gradable; null when no rollout is gradable */
  passRate: number | null;
  meanTokens: number;
  /** 90th percentile of response tokens (nearest rank) */
  p90Tokens: number;
  minTokens: number;
  maxTokens: number;
  /** coefficient of variation of response tokens across the rollouts (std / mean); 0 for one rollout */
  lengthSpread: number;
  /** from the pass rate: solved (1), easy (≥ 0.75), medium (≥ 0.25), hard (> 0), unsolved (0); null when no pass rate */
  difficulty: PassRateDifficulty | null;
  /** from the source: meta.level / meta.difficulty (numbers, or strings such as "Level 5"), else null */
  sourceDifficulty: number | null;
  domain: Domain;
  domainFrom: "meta" | "keywords";
}

export function difficultyFromPassRate(passRate: number | null): PassRateDifficulty | null {
  if (passRate === null) return null;
  if (passRate >= 1) return "solved";
  if (passRate >= 0.75) return "easy";
  if (passRate >= 0.25) return "medium";
  if (passRate > 0) return "hard";
  return "unsolved";
}

const LEVEL_KEYS = ["level", "difficulty", "Level", "Difficulty"];

/** First numeric value in meta.level / meta.difficulty ("Level 5" → 5, "3.5" → 3.5), else null. */
export function sourceDifficultyOf(meta: Record<string, MetaValue> | undefined): number | null {
  if (!meta) return null;
  for (const key of LEVEL_KEYS) {
    const v = meta[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string") {
      // first number in the string, scanned by hand (no regex on source text)
      let i = 0;
      while (i < v.length && !(v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57)) i++;
      let j = i;
      while (j < v.length && ((v.charCodeAt(j) >= 48 && v.charCodeAt(j) <= 57) || v.charCodeAt(j) === 46)) j++;
      if (j > i) {
        const x = Number.parseFloat(v.slice(i, j));
        if (Number.isFinite(x)) return x;
      }
    }
  }
  return null;
}

export class ProblemStats {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly domainIdx = new GrowInt32();
  private readonly domainFromMeta = new GrowInt32();
  private readonly sourceDifficulty = new GrowFloat64(); // NaN when none
  private readonly rollouts = new GrowInt32();
  private readonly gradable = new GrowInt32();
  private readonly correct = new GrowInt32();
  // one entry per rollout: problem number and response tokens
  private readonly rowProblem = new GrowInt32();
  private readonly rowTokens = new GrowFloat64();

  /** number of problems seen */
  get size(): number {
    return this.names.length;
  }

  /** one rollout of problem group `problemGroup` (its verdict, response tokens, meta and problem text) */
  addRollout(problemGroup: string, record: Rollout): void {
    this.add({ problemGroup, verdict: gradedVerdict(record.verify), responseTokens: record.tokens?.response ?? 0, meta: record.meta, problem: record.problem });
  }

  add(row: ProblemRow): void {
    if (!(row.responseTokens >= 0)) {
      throw new Error(`ProblemStats.add: problem group ${row.problemGroup}: responseTokens must be a number ≥ 0, got ${row.responseTokens}`);
    }
    let p = this.index.get(row.problemGroup);
    if (p === undefined) {
      p = this.names.length;
      this.index.set(row.problemGroup, p);
      this.names.push(row.problemGroup);
      const d = problemDomain(row.problem ?? "", row.meta);
      this.domainIdx.push(DOMAINS.indexOf(d.domain));
      this.domainFromMeta.push(d.from === "meta" ? 1 : 0);
      this.sourceDifficulty.push(sourceDifficultyOf(row.meta) ?? Number.NaN);
      this.rollouts.push(0);
      this.gradable.push(0);
      this.correct.push(0);
    } else if (Number.isNaN(this.sourceDifficulty.data[p]!)) {
      const s = sourceDifficultyOf(row.meta);
      if (s !== null) this.sourceDifficulty.data[p] = s;
    }
    this.rollouts.data[p]!++;
    switch (row.verdict) {
      case "correct":
        this.correct.data[p]!++;
        this.gradable.data[p]!++;
        break;
      case "incorrect":
      case "no_answer":
        this.gradable.data[p]!++;
        break;
      default: // timeout, ungradable_reference, unverified
        break;
    }
    this.rowProblem.push(p);
    this.rowTokens.push(row.responseTokens);
  }

  /** One summary per problem, in first-seen order. Linear in rows plus a sort of each problem's lengths. */
  summaries(): ProblemSummary[] {
    const problems = this.names.length;
    // bucket rollout lengths by problem (counting sort on problem number)
    const start = new Int32Array(problems + 1);
    for (let p = 0; p < problems; p++) start[p + 1] = start[p]! + this.rollouts.data[p]!;
    const fill = start.slice(0, problems);
    const lengths = new Float64Array(this.rowTokens.length);
    for (let r = 0; r < this.rowTokens.length; r++) lengths[fill[this.rowProblem.data[r]!]!++] = this.rowTokens.data[r]!;
    const out: ProblemSummary[] = new Array(problems);
    for (let p = 0; p < problems; p++) out[p] = this.summarize(p, lengths.subarray(start[p]!, start[p + 1]!));
    return out;
  }

  /** Summary of one problem group, or undefined when never seen. O(rows): for spot checks, not loops. */
  get(problemGroup: string): ProblemSummary | undefined {
    const p = this.index.get(problemGroup);
    if (p === undefined) return undefined;
    const lengths = new Float64Array(this.rollouts.data[p]!);
    let k = 0;
    for (let r = 0; r < this.rowTokens.length; r++) if (this.rowProblem.data[r] === p) lengths[k++] = this.rowTokens.data[r]!;
    return this.summarize(p, lengths);
  }

  private summarize(p: number, lengths: Float64Array): ProblemSummary {
    const mine = lengths.sort();
    const k = mine.length;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += mine[i]!;
    const mean = k === 0 ? 0 : sum / k;
    let sq = 0;
    for (let i = 0; i < k; i++) sq += (mine[i]! - mean) ** 2;
    const std = k === 0 ? 0 : Math.sqrt(sq / k);
    const gradable = this.gradable.data[p]!;
    const correct = this.correct.data[p]!;
    const passRate = gradable === 0 ? null : correct / gradable;
    const sd = this.sourceDifficulty.data[p]!;
    return {
      problemGroup: this.names[p]!,
      rollouts: k,
      gradable,
      correct,
      passRate,
      meanTokens: mean,
      p90Tokens: k === 0 ? 0 : mine[Math.min(k - 1, Math.ceil(0.9 * k) - 1)]!,
      minTokens: k === 0 ? 0 : mine[0]!,
      maxTokens: k === 0 ? 0 : mine[k - 1]!,
      lengthSpread: mean === 0 ? 0 : std / mean,
      difficulty: difficultyFromPassRate(passRate),
      sourceDifficulty: Number.isNaN(sd) ? null : sd,
      domain: DOMAINS[this.domainIdx.data[p]!]!,
      domainFrom: this.domainFromMeta.data[p] === 1 ? "meta" : "keywords",
    };
  }
}
