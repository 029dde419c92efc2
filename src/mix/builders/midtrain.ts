/**
 * Packed mid-training sequences.
 *
 * 1. Candidates: kept rollouts (verified correct with `requireCorrect`), from selected sources, capped
 *    per problem group (`maxPerProblem`, lowest seeded keys). A document is the rendered template
 *    followed by the separator; its token count is exact from the stored counts (see text.ts).
 * 2. Amount per source: with `tokenBudget` B, source s gets B·share_s (share = weights normalised, or
 *    the source's natural share of tokens without weights) and the sources are interleaved by how far
 *    each is through its target, until the total is within one document of B. Without a budget,
 *    `weights` are repeat factors (w·tokens_s, within one document). Repeats walk the source again in
 *    a fresh seeded order per epoch; downsampling takes a seeded prefix.
 * 3. Packing order: every selected (document, epoch) sorted by a seeded key, so sources and problems
 *    mix within sequences. `split: "split"` fills every sequence to `packTo` and cuts documents at
 *    boundaries; `split: "never"` keeps each document whole with first-fit over a window of 8 open
 *    sequences (documents longer than `packTo` are left out).
 * The sequences are planned from the documents' token counts; their token ids come from the spill
 * (each document encoded once, in input order), so any range of sequences can be written alone.
 */
import type { MidtrainConfig } from "../types.js";
import { S_KEPT, V_CORRECT, type MixRow } from "../table.js";
import { Eligibility, Tally, capPerProblem, rowKey, sortByKey, type OutputBuilder, type PartSpiller, type PlanContext } from "../common.js";
import type { ColumnSpec, RowValue } from "../../io/parquet-write.js";
import { orderKey, saltOf } from "../sample-keys.js";
import { documentPieces, type Encoder } from "../text.js";
import type { Template } from "../../config/outputs.js";
import { encodeWith, type EncodeRequest } from "../encode-core.js";
import type { ThreadPool } from "../../workers.js";

const WINDOW = 8;

export function midtrainColumns(inputIds: boolean): ColumnSpec[] {
  return [
    { name: "text", type: "STRING", nullable: false, longText: true },
    ...(inputIds ? [{ name: "input_ids", type: "INT32_LIST" as const, nullable: false }] : []),
    { name: "num_tokens", type: "INT32", nullable: false },
    { name: "content_tokens", type: "INT32", nullable: false },
    { name: "num_rollouts", type: "INT32", nullable: false },
    { name: "rollout_ids", type: "STRING_LIST", nullable: false },
  ];
}

export interface MidtrainText {
  enc: Encoder;
  template: Template;
  literalIds: [number[], number[], number[]];
  separatorIds: number[];
  /** encode worker pool, or null to encode inline */
  pool: ThreadPool | null;
}

const BATCH_DOCS = 32;
const BATCH_CHARS = 1 << 21;

interface SourcePlan {
  name: string;
  docs: Int32Array;
  available: number;
  target: number;
  achieved: number;
  entries: number;
  epochs: number;
}

export function midtrainBuilder(ctx: PlanContext, text: MidtrainText): OutputBuilder {
  const cfg = ctx.config as MidtrainConfig;
  const t = ctx.table;
  const elig = new Eligibility(ctx);
  const packTo = cfg.packTo;
  const never = (cfg.split ?? "split") === "never";
  const literal = text.literalIds[0].length + text.literalIds[1].length + text.literalIds[2].length;
  const sepLen = text.separatorIds.length;
  const docTokens = (i: number) => literal + t.problemTokens[i]! + t.responseTokensAs(i, ctx.think) + sepLen;
  const warnings: string[] = [];

  // ---- 1. candidates
  const cand: number[] = [];
  for (let i = 0; i < t.n; i++) {
    const reason =
      t.status[i] !== S_KEPT ? "not_kept"
      : cfg.requireCorrect && t.verdict[i] !== V_CORRECT ? "not_correct"
      : !ctx.sourceOk[t.source[i]!] ? "source_not_selected"
      : docTokens(i) === 0 ? "empty"
      : never && docTokens(i) > packTo ? "longer_than_packTo"
      : null;
    if (elig.admit(t.problem[i]!, reason)) cand.push(i);
  }
  let docs: Int32Array = Int32Array.from(cand);
  if (cfg.maxPerProblem !== undefined) docs = capPerProblem(t, docs, cfg.maxPerProblem, `${ctx.name}:cap`, elig);

  // ---- 2. amount per source
  const S = t.sources.length;
  const perSource: number[][] = Array.from({ length: S }, () => []);
  for (const i of docs) perSource[t.source[i]!]!.push(i);
  const plans: SourcePlan[] = [];
  for (let s = 0; s < S; s++) {
    const list = Int32Array.from(perSource[s]!);
    let available = 0;
    for (const i of list) available += docTokens(i);
    plans.push({ name: t.sources[s]!, docs: list, available, target: 0, achieved: 0, entries: 0, epochs: 0 });
  }
  const weightOf = (name: string) => (cfg.weights ? (cfg.weights[name] ?? 0) : 1);
  const budget = cfg.tokenBudget;
  if (budget !== undefined) {
    const live = plans.filter((sp) => sp.available > 0 && weightOf(sp.name) > 0);
    for (const sp of plans) if (sp.available === 0 && cfg.weights?.[sp.name]) warnings.push(`source ${sp.name} has weight ${cfg.weights[sp.name]} but no eligible rollouts; its share went to the others`);
    const wsum = live.reduce((a, sp) => a + (cfg.weights ? weightOf(sp.name) : sp.available), 0);
    for (const sp of live) sp.target = (budget * (cfg.weights ? weightOf(sp.name) : sp.available)) / wsum;
  } else {
    for (const sp of plans) sp.target = weightOf(sp.name) * sp.available;
  }

  // entries = (document, epoch); each source walks its documents in a seeded order per epoch
  const entryDoc: number[] = [];
  const entryEpoch: number[] = [];
  const cursor = plans.map((sp) => ({ order: new Int32Array(0) as Int32Array, pos: 0, epoch: -1, cum: 0, sp }));
  const nextDoc = (k: number): number => {
    const c = cursor[k]!;
    if (c.pos >= c.order.length) {
      c.epoch++;
      c.order = sortByKey(c.sp.docs, rowKey(t, `${ctx.name}:epoch`, c.epoch));
      c.pos = 0;
    }
    return c.order[c.pos]!;
  };
  const take = (k: number) => {
    const c = cursor[k]!;
    const i = c.order[c.pos++]!;
    entryDoc.push(i);
    entryEpoch.push(c.epoch);
    c.cum += docTokens(i);
    c.sp.achieved = c.cum;
    c.sp.entries++;
    c.sp.epochs = c.epoch + 1;
  };
  let total = 0;
  if (budget !== undefined) {
    const active = cursor.map((_, k) => k).filter((k) => plans[k]!.target > 0);
    while (active.length && total < budget) {
      let best = -1;
      let bestV = Infinity;
      for (const k of active) {
        const i = nextDoc(k);
        const v = (cursor[k]!.cum + docTokens(i)) / plans[k]!.target;
        if (v < bestV) {
          bestV = v;
          best = k;
        }
      }
      const dt = docTokens(nextDoc(best));
      if (total + dt > budget) {
        if (total + dt - budget < budget - total) {
          take(best);
          total += dt;
        }
        break;
      }
      take(best);
      total += dt;
    }
  } else {
    for (let k = 0; k < cursor.length; k++) {
      const target = plans[k]!.target;
      if (plans[k]!.docs.length === 0) continue;
      while (cursor[k]!.cum < target) {
        const dt = docTokens(nextDoc(k));
        const cum = cursor[k]!.cum;
        if (cum + dt > target) {
          if (cum + dt - target < target - cum) take(k);
          break;
        }
        take(k);
      }
      total += cursor[k]!.cum;
    }
  }
  if (entryDoc.length === 0 && docs.length === 0) warnings.push("no eligible rollouts: the output is empty (see eligibility)");
  const copies = new Int32Array(t.n);
  for (const i of entryDoc) copies[i]!++;
  let unusedDocs = 0;
  for (const i of docs) if (!copies[i]) unusedDocs++;
  if (unusedDocs) elig.count("downsampled", unusedDocs);

  // ---- 3. packing order
  const packSalt = saltOf(`${ctx.name}:pack`);
  const nEntries = entryDoc.length;
  const keys = new Float64Array(nEntries);
  for (let e = 0; e < nEntries; e++) keys[e] = orderKey(t.h1[entryDoc[e]!]!, t.h2[entryDoc[e]!]!, packSalt, entryEpoch[e]!);
  const packOrder = Int32Array.from({ length: nEntries }, (_, e) => e).sort((a, b) => keys[a]! - keys[b]! || entryDoc[a]! - entryDoc[b]! || entryEpoch[a]! - entryEpoch[b]!);

  const used = new Uint8Array(t.problems.length);
  for (const i of entryDoc) used[t.problem[i]!] = 1;
  elig.checkDisjoint(used);

  const inputIds = cfg.inputIds ?? true;
  const tally = new Tally(t);
  const stats = { sequences: 0, tokens: 0, contentTokens: 0, separatorTokens: 0, splitRollouts: 0, fullSequences: 0 };
  // ---- 4. sequences, from the documents' token counts (the encoder's ids match them; the spill checks)
  // "split": positions in the concatenation of the entries in packing order (entryCum), sequence s =
  // [s·packTo, (s+1)·packTo); "never": seqEntries[seqStartNever[s] .. seqStartNever[s+1]) are sequence
  // s's entries in the order they were placed
  const entryCum = new Float64Array(nEntries + 1);
  let seqEntries: Int32Array | null = null;
  let seqStartNever: Int32Array | null = null;
  let seqFill: Int32Array;
  let seqCount: number;
  for (let k = 0; k < nEntries; k++) {
    const e = packOrder[k]!;
    const i = entryDoc[e]!;
    const n = docTokens(i);
    const contentLen = n - sepLen;
    const position = entryCum[k]!;
    if (!never && contentLen > 0 && Math.floor(position / packTo) !== Math.floor((position + contentLen - 1) / packTo)) stats.splitRollouts++;
    stats.contentTokens += contentLen;
    stats.separatorTokens += sepLen;
    tally.add(t.problem[i]!, t.source[i]!, n);
    entryCum[k + 1] = position + n;
  }
  const placed = entryCum[nEntries]!;
  if (!never) {
    seqCount = Math.ceil(placed / packTo);
    seqFill = new Int32Array(seqCount).fill(packTo);
    if (seqCount > 0) seqFill[seqCount - 1] = placed - (seqCount - 1) * packTo;
  } else {
    // first fit over a window of WINDOW open sequences; when none fits and the window is full, the
    // fullest open sequence is written out
    type Bin = { entries: number[]; fill: number; born: number };
    let bins: Bin[] = [];
    let born = 0;
    const out: Bin[] = [];
    for (let k = 0; k < nEntries; k++) {
      const n = docTokens(entryDoc[packOrder[k]!]!);
      let bin = bins.find((b) => b.fill + n <= packTo);
      if (!bin) {
        if (bins.length >= WINDOW) {
          let full = 0;
          for (let b = 1; b < bins.length; b++) if (bins[b]!.fill > bins[full]!.fill) full = b;
          out.push(bins[full]!);
          bins.splice(full, 1);
        }
        bin = { entries: [], fill: 0, born: born++ };
        bins.push(bin);
      }
      bin.entries.push(k);
      bin.fill += n;
    }
    bins.sort((a, b) => a.born - b.born);
    out.push(...bins);
    bins = [];
    seqCount = out.length;
    seqFill = Int32Array.from(out, (b) => b.fill);
    seqEntries = new Int32Array(nEntries);
    const starts = new Int32Array(seqCount + 1);
    let w = 0;
    out.forEach((b, s) => {
      for (const k of b.entries) seqEntries![w++] = k;
      starts[s + 1] = w;
    });
    seqStartNever = starts;
  }
  for (let s = 0; s < seqCount; s++) {
    stats.sequences++;
    stats.tokens += seqFill[s]!;
    if (seqFill[s] === packTo) stats.fullSequences++;
  }
  tally.rows = stats.sequences;
  tally.tokens = stats.tokens;
  const columns = midtrainColumns(inputIds);
  // a packed sequence is a large row (packTo ids + text): cap row groups near 2^20 tokens to bound the writer's buffer
  const rowGroupRows = Math.min(ctx.shard.rowGroupRows, Math.max(4, Math.floor(1_048_576 / packTo)));

  /** record: u32 id length, id (UTF-8), the document's token ids and the separator's (int32 LE) */
  const record = (i: number, id: string, ids: Int32Array): Buffer => {
    if (ids.length + sepLen !== docTokens(i)) {
      throw new Error(`outputs.${ctx.name}: rollout ${id} encoded to ${ids.length + sepLen} tokens with the template and separator, its stored token counts give ${docTokens(i)} (annotated with another tokenizer?); run again with --force`);
    }
    const idBytes = Buffer.from(id, "utf8");
    const buf = Buffer.allocUnsafe(4 + idBytes.length + 4 * (ids.length + sepLen));
    buf.writeUInt32LE(idBytes.length, 0);
    idBytes.copy(buf, 4);
    let o = 4 + idBytes.length;
    for (let k = 0; k < ids.length; k++, o += 4) buf.writeInt32LE(ids[k]!, o);
    for (const sid of text.separatorIds) {
      buf.writeInt32LE(sid, o);
      o += 4;
    }
    return buf;
  };
  const read = (buf: Buffer): { id: string; ids: Int32Array } => {
    const idLen = buf.readUInt32LE(0);
    const id = buf.toString("utf8", 4, 4 + idLen);
    const n = (buf.length - 4 - idLen) / 4;
    const ids = new Int32Array(n);
    for (let k = 0; k < n; k++) ids[k] = buf.readInt32LE(4 + idLen + 4 * k);
    return { id, ids };
  };
  const emit = (append: (values: RowValue[], tokens: number) => void, seq: Int32Array, n: number, content: number, rollouts: string[]) => {
    const ids = seq.subarray(0, n);
    const row: RowValue[] = [text.enc.decode(ids)];
    if (inputIds) row.push(Array.from(ids));
    row.push(n, content, rollouts.length, rollouts);
    append(row, n);
  };

  return {
    used,
    eligibility: elig.counts,
    disjoint: elig.disjoint,
    tally,
    warnings,
    columns,
    kv: { "curate.output": ctx.name, "curate.kind": "midtrain", "curate.packTo": String(packTo) },
    rowGroupRows,
    count: seqCount,
    // sequences are near packTo tokens each: shards count 4 bytes per token for the ids and 4 for the text
    exactSizes: false,
    needs: (i) => copies[i]! > 0,
    spiller(put): PartSpiller {
      // inline, or in worker batches (records may be put out of order: they are read back by row)
      let batch: { i: number; id: string; pieces: string[] }[] = [];
      let batchChars = 0;
      let failure: Error | null = null;
      const inFlight = new Set<Promise<void>>();
      const maxInFlight = 2 * Math.max(1, text.pool?.threads ?? 1);
      const dispatch = async (): Promise<void> => {
        const mine = batch;
        batch = [];
        batchChars = 0;
        const req: EncodeRequest = { tokenizer: ctx.tokenizer as EncodeRequest["tokenizer"], docs: mine.map((d) => d.pieces) };
        const job: Promise<void> = text.pool!.run<Int32Array[]>(req, `${mine.length} documents from table row ${mine[0]!.i}`).then(
          (out) => {
            try {
              mine.forEach((d, k) => put(d.i, record(d.i, d.id, out[k]!), 0));
            } catch (e) {
              failure ??= e instanceof Error ? e : new Error(String(e));
            }
          },
          (e: unknown) => {
            failure ??= e instanceof Error ? e : new Error(String(e));
          },
        ).finally(() => inFlight.delete(job));
        inFlight.add(job);
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        if (failure) throw failure;
      };
      return {
        row(i: number, row: MixRow): void | Promise<void> {
          if (failure) throw failure;
          const r = row.record;
          const pieces = documentPieces(text.template, r, ctx.think !== null);
          if (!text.pool) return put(i, record(i, r.id, encodeWith(text.enc, pieces)), 0);
          batch.push({ i, id: r.id, pieces });
          batchChars += pieces.reduce((a, p) => a + p.length, 0);
          if (batch.length >= BATCH_DOCS || batchChars >= BATCH_CHARS) return dispatch();
        },
        async end() {
          if (!text.pool) return;
          if (batch.length) await dispatch();
          await Promise.all(inFlight);
          if (failure) throw failure;
        },
      };
    },
    rowTokens: (s) => seqFill[s]!,
    rowSize: (s) => (inputIds ? 8 : 4) * seqFill[s]!,
    writeRows(a, b, get, append) {
      if (a >= b) return;
      let cached = -1;
      let doc: { id: string; ids: Int32Array } = { id: "", ids: new Int32Array(0) };
      const docAt = (k: number) => {
        const i = entryDoc[packOrder[k]!]!;
        if (i !== cached) {
          doc = read(get(i));
          cached = i;
        }
        return doc;
      };
      const seq = new Int32Array(packTo);
      if (!never) {
        // the first entry overlapping sequence a: the last k with entryCum[k] ≤ a·packTo
        const from = a * packTo;
        let lo = 0;
        let hi = nEntries - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (entryCum[mid]! <= from) lo = mid;
          else hi = mid - 1;
        }
        let k = lo;
        for (let s = a; s < b; s++) {
          const start = s * packTo;
          const end = start + seqFill[s]!;
          let fill = 0;
          let content = 0;
          const names: string[] = [];
          while (k < nEntries && entryCum[k]! < end) {
            const { id, ids } = docAt(k);
            const off = Math.max(0, start - entryCum[k]!);
            const n = Math.min(ids.length - off, end - (entryCum[k]! + off));
            const contentLen = ids.length - sepLen;
            seq.set(ids.subarray(off, off + n), fill);
            content += Math.max(0, Math.min(off + n, contentLen) - off);
            if (names[names.length - 1] !== id) names.push(id);
            fill += n;
            if (entryCum[k + 1]! <= end) k++;
            else break; // the entry goes on in the next sequence
          }
          emit(append, seq, fill, content, names);
        }
      } else {
        for (let s = a; s < b; s++) {
          let fill = 0;
          let content = 0;
          const names: string[] = [];
          for (let j = seqStartNever![s]!; j < seqStartNever![s + 1]!; j++) {
            const { id, ids } = docAt(seqEntries![j]!);
            seq.set(ids, fill);
            fill += ids.length;
            content += ids.length - sepLen;
            names.push(id);
          }
          emit(append, seq, fill, content, names);
        }
      }
    },
    details: () => ({
      packTo,
      split: never ? "never" : "split",
      template: cfg.template ?? "plain",
      responseFormat: cfg.responseFormat ?? "raw",
      separatorTokens: sepLen,
      templateTokens: literal,
      sequences: stats.sequences,
      fullSequences: stats.fullSequences,
      rolloutsPacked: nEntries,
      distinctRollouts: docs.length - unusedDocs,
      totalTokens: stats.tokens,
      contentTokens: stats.contentTokens,
      separatorTokensTotal: stats.separatorTokens,
      paddingTokens: stats.sequences * packTo - stats.tokens,
      /** content tokens / (sequences × packTo): separators and the padding a trainer adds count as waste */
      packingEfficiency: stats.sequences ? stats.contentTokens / (stats.sequences * packTo) : 0,
      splitRollouts: stats.splitRollouts,
      tokenBudget: budget ?? null,
      budgetAchieved: total,
      budgetError: budget !== undefined ? total - budget : null,
      maxDocumentTokens: (() => {
        let m = 0;
        for (const i of docs) if (copies[i] && docTokens(i) > m) m = docTokens(i);
        return m;
      })(),
      sources: Object.fromEntries(
        plans.filter((sp) => sp.docs.length || sp.target).map((sp) => [sp.name, {
          weight: cfg.weights ? (cfg.weights[sp.name] ?? 0) : null,
          availableTokens: sp.available,
          targetTokens: Math.round(sp.target),
          achievedTokens: sp.achieved,
          documents: sp.docs.length,
          entries: sp.entries,
          epochs: sp.epochs,
          repeatFactor: sp.available ? sp.achieved / sp.available : 0,
        }]),
      ),
      tokenCountMismatches: 0,
    }),
  };
}
