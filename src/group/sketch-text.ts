/** Batch sketching shared by the annotator, the piscina worker and inline (0-worker) runs. */
import { CheckData, RecordBuffer } from "./check-data.js";
import { TextSketcher, type SketchParams } from "./minhash.js";
import { fmix32, FNV_PRIME } from "../text/hash.js";

export interface BatchSketchRequest {
  params: SketchParams;
  stripPhrases: string[];
  stockPhrases: boolean;
  texts: string[];
  /** the texts as UTF-8 instead (`texts` is then empty): what SketchPool transfers to a worker */
  packed?: PackedTexts;
  /**
   * Also build each text's exact-check record (check-data.ts) from the tokens and shingles the
   * sketch computes anyway; `numbers` as `dedupe.problems.numbers !== "ignore"`. Absent: no records.
   */
  checkRecords?: { numbers: boolean };
}

/** Texts as UTF-8, one after another: text i is bytes[ends[i-1] .. ends[i]) (from 0 for i = 0). */
export interface PackedTexts {
  bytes: Uint8Array;
  ends: Int32Array;
}

// ignoreBOM: a text's leading U+FEFF is kept, as it is in the string
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Text i of a request, decoded from `packed` when it has them: one at a time, so only the text being
 * sketched is a live string (a batch decoded up front stayed alive through every GC of the batch).
 */
function requestText(req: BatchSketchRequest, i: number): string {
  const p = req.packed;
  if (!p) return req.texts[i]!;
  return decoder.decode(p.bytes.subarray(i === 0 ? 0 : p.ends[i - 1]!, p.ends[i]!));
}

/** Band hashes and one-bit sketches of a batch, flattened: text i owns bands[i*B..] and bits[i*W..]. */
export interface BatchSketch {
  bands: Int32Array;
  bits: Int32Array;
  /** 64-bit exact key of the normalised token stream, two int32 per text */
  keys: Int32Array;
  /** 1 when text i had no tokens (its band hashes are meaningless) */
  empty: Uint8Array;
  bandCount: number;
  bitWords: number;
  /** with `checkRecords`: text i's check record is records[recordEnds[i-1] .. recordEnds[i]) (from 0 for i = 0) */
  records?: Int32Array;
  recordEnds?: Int32Array;
  /** the buffer of the request's packed texts, handed back (transferred) for the next batch */
  textBuffer?: ArrayBuffer;
}

const cache = new Map<string, TextSketcher>();
const checkCache = new Map<string, CheckData>();

export function sketcherFor(params: SketchParams, stripPhrases: string[], stockPhrases: boolean): TextSketcher {
  const key = JSON.stringify([params, stripPhrases, stockPhrases]);
  let s = cache.get(key);
  if (!s) {
    s = new TextSketcher(params, stripPhrases, stockPhrases);
    cache.set(key, s);
  }
  return s;
}

function checkDataFor(req: BatchSketchRequest, numbers: boolean): CheckData {
  const key = JSON.stringify([req.params, req.stripPhrases, req.stockPhrases, numbers]);
  let c = checkCache.get(key);
  if (!c) {
    c = new CheckData(sketcherFor(req.params, req.stripPhrases, req.stockPhrases), numbers);
    checkCache.set(key, c);
  }
  return c;
}

/** reused across batches: only the batch's final copy is fresh memory */
let scratch: RecordBuffer | null = null;

/** Text i's check record in a batch that has them (a view). */
export function batchRecord(s: BatchSketch, i: number): Int32Array | undefined {
  if (!s.records || !s.recordEnds) return undefined;
  return s.records.subarray(i === 0 ? 0 : s.recordEnds[i - 1]!, s.recordEnds[i]!);
}

export function sketchBatch(req: BatchSketchRequest): BatchSketch {
  const sk = sketcherFor(req.params, req.stripPhrases, req.stockPhrases);
  const check = req.checkRecords ? checkDataFor(req, req.checkRecords.numbers) : null;
  const B = req.params.bands;
  const W = req.params.permutations >>> 5;
  const n = req.packed ? req.packed.ends.length : req.texts.length;
  const bands = new Int32Array(n * B);
  const bits = new Int32Array(n * W);
  const empty = new Uint8Array(n);
  const keys = new Int32Array(n * 2);
  const recordEnds = check ? new Int32Array(n) : null;
  const records = (scratch ??= new RecordBuffer());
  records.length = 0;
  for (let i = 0; i < n; i++) {
    const text = requestText(req, i);
    const tokens = sk.tokenizer.tokens(text);
    let h1 = 0x12345678 ^ tokens.length;
    let h2 = 0x9abcdef0 | 0;
    for (let t = 0; t < tokens.length; t++) {
      h1 = Math.imul(h1 ^ tokens[t]!, FNV_PRIME);
      h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ tokens[t]!;
    }
    keys[2 * i] = fmix32(h1);
    keys[2 * i + 1] = fmix32(h2 ^ h1);
    const shingles = sk.hasher.shingles(tokens);
    const s = sk.sketchShingles(shingles);
    if (s.bands.length === 0) empty[i] = 1;
    else bands.set(s.bands, i * B);
    bits.set(s.bits, i * W);
    if (check) {
      check.recordInto(records, text, tokens, shingles);
      recordEnds![i] = records.length;
    }
  }
  const out: BatchSketch = { bands, bits, keys, empty, bandCount: B, bitWords: W };
  if (recordEnds) {
    out.records = records.data.slice(0, records.length);
    out.recordEnds = recordEnds;
  }
  return out;
}
