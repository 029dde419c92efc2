/** Batch sketching shared by the annotator, the piscina worker and inline (0-worker) runs. */
import { TextSketcher, type SketchParams } from "./minhash.js";
import { fmix32, FNV_PRIME } from "../text/hash.js";

export interface BatchSketchRequest {
  params: SketchParams;
  stripPhrases: string[];
  stockPhrases: boolean;
  texts: string[];
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
}

const cache = new Map<string, TextSketcher>();

export function sketcherFor(params: SketchParams, stripPhrases: string[], stockPhrases: boolean): TextSketcher {
  const key = JSON.stringify([params, stripPhrases, stockPhrases]);
  let s = cache.get(key);
  if (!s) {
    s = new TextSketcher(params, stripPhrases, stockPhrases);
    cache.set(key, s);
  }
  return s;
}

export function sketchBatch(req: BatchSketchRequest): BatchSketch {
  const sk = sketcherFor(req.params, req.stripPhrases, req.stockPhrases);
  const B = req.params.bands;
  const W = req.params.permutations >>> 5;
  const n = req.texts.length;
  const bands = new Int32Array(n * B);
  const bits = new Int32Array(n * W);
  const empty = new Uint8Array(n);
  const keys = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const tokens = sk.tokenizer.tokens(req.texts[i]!);
    let h1 = 0x12345678 ^ tokens.length;
    let h2 = 0x9abcdef0 | 0;
    for (let t = 0; t < tokens.length; t++) {
      h1 = Math.imul(h1 ^ tokens[t]!, FNV_PRIME);
      h2 = Math.imul((h2 << 5) | (h2 >>> 27), 0x5bd1e995) ^ tokens[t]!;
    }
    keys[2 * i] = fmix32(h1);
    keys[2 * i + 1] = fmix32(h2 ^ h1);
    const s = sk.sketchTokens(tokens);
    if (s.bands.length === 0) empty[i] = 1;
    else bands.set(s.bands, i * B);
    bits.set(s.bits, i * W);
  }
  return { bands, bits, keys, empty, bandCount: B, bitWords: W };
}
