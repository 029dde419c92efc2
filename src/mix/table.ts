/**
 * The compact per-rollout table every sampling decision is made from: one pass over the run's rows
 * keeps a few numbers per rollout (≈ 40 bytes) in typed arrays — never the texts — plus one entry per
 * problem group with its summary from the group step.
 */
import { fnv1a } from "../text/hash.js";
import type { Rollout, DropReason } from "../record/rollout.js";
import type { RowGroupInfo } from "../group/types.js";
import type { ProblemSummary } from "../group/problems.js";
import { sampleWords } from "./sample-keys.js";
import { normalizeTrace } from "../record/trace.js";

export interface MixRow {
  record: Rollout;
  group: RowGroupInfo;
  drop: DropReason | null;
}

export const VERDICTS = ["", "correct", "incorrect", "no_answer", "ungradable_reference", "timeout"] as const;
export const V_CORRECT = 1;
export const V_INCORRECT = 2;

/** row status: kept, dropped only by the requireCorrect filter, or dropped for any other reason */
export const S_KEPT = 0;
export const S_VERIFY_INCORRECT = 1;
export const S_OTHER = 2;

export const DIFFICULTIES = ["solved", "easy", "medium", "hard", "unsolved"] as const;

class Grow<T extends Int32Array | Uint32Array | Float64Array | Uint8Array | Uint16Array> {
  data: T;
  length = 0;
  constructor(private make: (n: number) => T) {
    this.data = make(1024);
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data as never);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
  done(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** Problem group key of a row: the group step's, else the exact problem key, else the row id. */
export function problemGroupOf(row: MixRow): string {
  return row.group?.problemGroup || row.record.keys?.problem || `id:${row.record.id}`;
}

/** A row the reader could not parse (quarantined): it has no problem or response to use. */
export function isUnreadable(row: MixRow): boolean {
  return row.drop?.stage === "read";
}

export function isContaminated(row: MixRow): boolean {
  if (row.drop && row.drop.reason.startsWith("contaminated:")) return true;
  return (row.record.contamination?.length ?? 0) > 0;
}

const hash32 = (text: string): number => fnv1a(text) >>> 0;

export class RowTable {
  n = 0;
  ordinal!: Float64Array;
  problem!: Int32Array;
  source!: Uint16Array;
  verdict!: Uint8Array;
  status!: Uint8Array;
  contaminated!: Uint8Array;
  /** quality.truncated or an unterminated trace */
  truncated!: Uint8Array;
  /** quality.hasFinalAnswer (1 when unknown) */
  finalAnswer!: Uint8Array;
  hasReference!: Uint8Array;
  problemTokens!: Int32Array;
  responseTokens!: Int32Array;
  /** tokens of trace.reasoning / trace.solution; hasReasoning = the trace has a reasoning block */
  reasoningTokens!: Int32Array;
  solutionTokens!: Int32Array;
  hasReasoning!: Uint8Array;
  /** 32-bit hash of record.keys.exact (0 when absent): spots exact copies among rejected rollouts */
  exactHash!: Uint32Array;
  h1!: Uint32Array;
  h2!: Uint32Array;
  /** rows whose record.tokens was missing and had to be counted here */
  recounted = 0;
  /** input rows the reader quarantined (drop stage "read"): no text, left out of every output */
  unreadable = 0;

  readonly sources: string[] = [];
  readonly problems: string[] = [];
  // per problem
  pContaminated!: Uint8Array;
  pPassRate!: Float64Array; // NaN: none
  pGradable!: Int32Array;
  pRollouts!: Int32Array;
  pDifficulty!: Int8Array; // index in DIFFICULTIES, -1 none
  pSourceDifficulty!: Float64Array; // NaN none
  pLengthSpread!: Float64Array;
  pP90!: Float64Array;
  pDomain: string[] = [];
  pH1!: Uint32Array;
  pH2!: Uint32Array;
  /** lowest row index of the group with a reference, per source allowed; computed on demand */

  static async collect(
    rows: () => AsyncIterable<MixRow>,
    problem: (g: string) => ProblemSummary | undefined,
    seed: number,
    count: (text: string) => number,
  ): Promise<RowTable> {
    const t = new RowTable();
    const ordinal = new Grow((n) => new Float64Array(n));
    const prob = new Grow((n) => new Int32Array(n));
    const source = new Grow((n) => new Uint16Array(n));
    const verdict = new Grow((n) => new Uint8Array(n));
    const status = new Grow((n) => new Uint8Array(n));
    const contaminated = new Grow((n) => new Uint8Array(n));
    const truncated = new Grow((n) => new Uint8Array(n));
    const finalAnswer = new Grow((n) => new Uint8Array(n));
    const hasReference = new Grow((n) => new Uint8Array(n));
    const pt = new Grow((n) => new Int32Array(n));
    const rt = new Grow((n) => new Int32Array(n));
    const rs = new Grow((n) => new Int32Array(n));
    const so = new Grow((n) => new Int32Array(n));
    const hr = new Grow((n) => new Uint8Array(n));
    const exact = new Grow((n) => new Uint32Array(n));
    const h1 = new Grow((n) => new Uint32Array(n));
    const h2 = new Grow((n) => new Uint32Array(n));
    const pIndex = new Map<string, number>();
    const sIndex = new Map<string, number>();
    const pCont = new Grow((n) => new Uint8Array(n));
    let lastOrdinal = -Infinity;
    for await (const row of rows()) {
      if (isUnreadable(row)) {
        t.unreadable++;
        continue;
      }
      const r = row.record;
      if (!(r.ordinal > lastOrdinal)) {
        throw new Error(`outputs: rows must come in increasing ordinal order; got ordinal ${r.ordinal} (id ${r.id}) after ${lastOrdinal}`);
      }
      lastOrdinal = r.ordinal;
      const g = problemGroupOf(row);
      let p = pIndex.get(g);
      if (p === undefined) {
        p = t.problems.length;
        pIndex.set(g, p);
        t.problems.push(g);
        pCont.push(0);
      }
      let s = sIndex.get(r.source);
      if (s === undefined) {
        s = t.sources.length;
        if (s >= 65535) throw new Error("outputs: more than 65,535 sources");
        sIndex.set(r.source, s);
        t.sources.push(r.source);
      }
      const c = isContaminated(row);
      if (c) pCont.data[p] = 1;
      ordinal.push(r.ordinal);
      prob.push(p);
      source.push(s);
      const v = r.verify?.verdict;
      verdict.push(v ? Math.max(0, VERDICTS.indexOf(v)) : 0);
      status.push(row.drop === null || row.drop === undefined ? S_KEPT : row.drop.reason === "verify:incorrect" ? S_VERIFY_INCORRECT : S_OTHER);
      contaminated.push(c ? 1 : 0);
      truncated.push(r.quality?.truncated || r.trace?.unterminated ? 1 : 0);
      finalAnswer.push(r.quality ? (r.quality.hasFinalAnswer ? 1 : 0) : 1);
      hasReference.push(r.reference !== null && r.reference !== undefined && r.reference.trim() !== "" ? 1 : 0);
      let tp = r.tokens?.problem;
      let tr = r.tokens?.response;
      if (tp === undefined || tr === undefined) {
        tp = count(r.problem ?? "");
        tr = count(r.response ?? "");
        t.recounted++;
      }
      pt.push(tp);
      rt.push(tr);
      const trace = r.trace ?? normalizeTrace(r.response ?? "");
      hr.push(trace.reasoning === null ? 0 : 1);
      if (trace.reasoning === null) {
        rs.push(0);
        so.push(tr);
      } else if (r.tokens) {
        // rows read back from shards carry no trace: the split recomputed here is the same one the counts came from
        rs.push(r.tokens.reasoning);
        so.push(r.tokens.solution);
      } else {
        rs.push(count(trace.reasoning));
        so.push(trace.solution ? count(trace.solution) : 0);
      }
      exact.push(r.keys?.exact ? hash32(r.keys.exact) : 0);
      const [a, b] = sampleWords(seed, r.id);
      h1.push(a);
      h2.push(b);
    }
    t.n = ordinal.length;
    t.ordinal = ordinal.done();
    t.problem = prob.done();
    t.source = source.done();
    t.verdict = verdict.done();
    t.status = status.done();
    t.contaminated = contaminated.done();
    t.truncated = truncated.done();
    t.finalAnswer = finalAnswer.done();
    t.hasReference = hasReference.done();
    t.problemTokens = pt.done();
    t.responseTokens = rt.done();
    t.reasoningTokens = rs.done();
    t.solutionTokens = so.done();
    t.hasReasoning = hr.done();
    t.exactHash = exact.done();
    t.h1 = h1.done();
    t.h2 = h2.done();
    const P = t.problems.length;
    t.pContaminated = pCont.done();
    t.pPassRate = new Float64Array(P);
    t.pGradable = new Int32Array(P);
    t.pRollouts = new Int32Array(P);
    t.pDifficulty = new Int8Array(P);
    t.pSourceDifficulty = new Float64Array(P);
    t.pLengthSpread = new Float64Array(P);
    t.pP90 = new Float64Array(P);
    t.pH1 = new Uint32Array(P);
    t.pH2 = new Uint32Array(P);
    for (let p = 0; p < P; p++) {
      const name = t.problems[p]!;
      const s = problem(name);
      t.pPassRate[p] = s?.passRate ?? Number.NaN;
      t.pGradable[p] = s?.gradable ?? 0;
      t.pRollouts[p] = s?.rollouts ?? 0;
      t.pDifficulty[p] = s?.difficulty ? DIFFICULTIES.indexOf(s.difficulty) : -1;
      t.pSourceDifficulty[p] = s?.sourceDifficulty ?? Number.NaN;
      t.pLengthSpread[p] = s?.lengthSpread ?? 0;
      t.pP90[p] = s?.p90Tokens ?? 0;
      t.pDomain.push(s?.domain ?? "other");
      const [a, b] = sampleWords(seed, `problem:${name}`);
      t.pH1[p] = a;
      t.pH2[p] = b;
    }
    return t;
  }

  /** tokens of row i's response as rendered: raw, or re-wrapped in <think> (open/close = the wrapper's tokens) */
  responseTokensAs(i: number, think: { openTokens: number; closeTokens: number } | null): number {
    if (!think || !this.hasReasoning[i]) return this.responseTokens[i]!;
    return think.openTokens + this.reasoningTokens[i]! + think.closeTokens + this.solutionTokens[i]!;
  }

  difficultyName(p: number): string | null {
    const d = this.pDifficulty[p]!;
    return d < 0 ? null : DIFFICULTIES[d]!;
  }
}
