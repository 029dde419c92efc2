/** Encoding of document pieces, shared by the inline path and the encode worker. */
import type { MixConfig } from "../config/types.js";
import { loadEncoder, type Encoder } from "./text.js";

export interface EncodeRequest {
  tokenizer: MixConfig["tokenizer"];
  /** per document: pieces encoded separately, concatenated in order */
  docs: string[][];
}

const encoders = new Map<string, Promise<Encoder>>();

export function encoderFor(tokenizer: MixConfig["tokenizer"]): Promise<Encoder> {
  let e = encoders.get(tokenizer);
  if (!e) encoders.set(tokenizer, (e = loadEncoder(tokenizer)));
  return e;
}

export function encodeWith(enc: Encoder, pieces: string[]): Int32Array {
  const parts = pieces.map((p) => (p === "" ? [] : enc.encode(p)));
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function encodePieces(req: EncodeRequest): Promise<Int32Array[]> {
  const enc = await encoderFor(req.tokenizer);
  return req.docs.map((d) => encodeWith(enc, d));
}
