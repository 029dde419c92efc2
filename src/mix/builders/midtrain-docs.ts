/**
 * Midtrain documents in the spill: each document (a rollout rendered with the template, then the
 * separator) encoded to token ids once, in input order — inline, or in batches on the encode threads
 * — and stored as one record; packed sequences are cut from these records when shards are written.
 */
import type { MixRow } from "../table.js";
import type { PartSpiller, PlanContext, PutRecord } from "../common.js";
import { documentPieces, type Encoder } from "../text.js";
import type { Template } from "../../config/outputs.js";
import { encodeWith, type EncodeRequest } from "../encode-core.js";
import type { ThreadPool } from "../../workers.js";

/** The template and separator as token ids, and where documents are encoded. */
export interface MidtrainText {
  enc: Encoder;
  template: Template;
  literalIds: [number[], number[], number[]];
  separatorIds: number[];
  /** encode worker pool, or null to encode inline */
  pool: ThreadPool | null;
}

/** a batch for the encode threads ends at this many documents or characters */
const BATCH_DOCS = 32;
const BATCH_CHARS = 1 << 21;

/** A document as stored: the rollout id and its token ids, separator included. */
export interface StoredDocument {
  id: string;
  ids: Int32Array;
}

/**
 * Record of table row i: u32 id length, id (UTF-8), the document's token ids and the separator's
 * (int32 LE). `tokens` is the document's length planned from the stored counts; the ids must match it.
 */
function documentRecord(output: string, text: MidtrainText, tokens: number, id: string, ids: Int32Array): Buffer {
  const sepLen = text.separatorIds.length;
  if (ids.length + sepLen !== tokens) {
    throw new Error(`outputs.${output}: rollout ${id} encoded to ${ids.length + sepLen} tokens with the template and separator, its stored token counts give ${tokens} (annotated with another tokenizer?); run again with --force`);
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
}

export function readDocument(buf: Buffer): StoredDocument {
  const idLen = buf.readUInt32LE(0);
  const id = buf.toString("utf8", 4, 4 + idLen);
  const n = (buf.length - 4 - idLen) / 4;
  const ids = new Int32Array(n);
  for (let k = 0; k < n; k++) ids[k] = buf.readInt32LE(4 + idLen + 4 * k);
  return { id, ids };
}

/**
 * One part's documents into the spill: inline, or in worker batches (records may then be put out of
 * order: they are read back by row). `docTokens(i)`: the planned length of row i's document.
 */
export function documentSpiller(ctx: PlanContext, text: MidtrainText, docTokens: (i: number) => number, put: PutRecord): PartSpiller {
  const record = (i: number, id: string, ids: Int32Array) => documentRecord(ctx.name, text, docTokens(i), id, ids);
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
}
