/**
 * piscina worker (loaded from dist/ via workerUrl("mix/encode-worker")): token ids of packed-document
 * pieces. Each piece is encoded on its own (see text.ts), so the ids are the same as inline encoding.
 */
import { encodePieces, type EncodeRequest } from "./encode-core.js";

export default async function run(req: EncodeRequest): Promise<Int32Array[]> {
  return encodePieces(req);
}
