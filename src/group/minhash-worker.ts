/** piscina worker: sketches a batch of texts (loaded from dist/ via workerUrl("group/minhash-worker")). */
import { sketchBatch, type BatchSketch, type BatchSketchRequest } from "./sketch-text.js";

export default function run(req: BatchSketchRequest): BatchSketch {
  return sketchBatch(req);
}
