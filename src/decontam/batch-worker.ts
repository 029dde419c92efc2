/**
 * Piscina worker of `curate decontaminate --workers N`: loads the benchmark index once, from the
 * serialized bytes the main thread shares with every task (a SharedArrayBuffer: not copied), then
 * matches batches of whole lines.
 */
import { workerData } from "node:worker_threads";
import { move, transferableSymbol, valueSymbol } from "piscina";
import { ContaminationIndex } from "./benchmark-index.js";
import { matchBatch, type BatchOptions, type BatchResult, type LineBatch } from "./batch.js";

let index: ContaminationIndex | undefined;

/** The batch's result, and its buffer handed back (transferred) for the main thread to reuse. */
export default function match(task: LineBatch & { index: SharedArrayBuffer }): unknown {
  index ??= ContaminationIndex.deserialize(new Uint8Array(task.index), "decontamination index");
  const res: BatchResult & { buffer?: ArrayBuffer } = matchBatch(index, workerData.options as BatchOptions, task.bytes);
  res.buffer = task.bytes.buffer as ArrayBuffer;
  return move({ [transferableSymbol]: [res.buffer], [valueSymbol]: res } as never);
}
