/** piscina worker: sketches a batch of texts (loaded from dist/ via workerUrl("group/minhash-worker")). */
import { move, transferableSymbol, valueSymbol } from "piscina";
import { sketchBatch, type BatchSketchRequest } from "./sketch-text.js";

/** The batch's sketch, its buffers moved (transferred, not copied) to the main thread. */
export default function run(req: BatchSketchRequest): unknown {
  const s = sketchBatch(req);
  const buffers = [s.bands.buffer, s.bits.buffer, s.keys.buffer, s.empty.buffer];
  if (s.records && s.recordEnds) buffers.push(s.records.buffer, s.recordEnds.buffer);
  if (req.packed) buffers.push((s.textBuffer = req.packed.bytes.buffer as ArrayBuffer));
  return move({ [transferableSymbol]: buffers, [valueSymbol]: s } as never);
}
