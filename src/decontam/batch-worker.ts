/**
 * Piscina worker of `curate decontaminate --workers N`: loads the benchmark index once from the
 * serialized bytes the main thread shares (workerData.index), then matches batches of whole lines.
 */
import { workerData } from "node:worker_threads";
import { ContaminationIndex } from "./benchmark-index.js";
import { matchBatch, type BatchOptions, type BatchResult, type LineBatch } from "./batch.js";

let index: ContaminationIndex | undefined;

export default function match(batch: LineBatch): BatchResult {
  index ??= ContaminationIndex.deserialize(new Uint8Array(workerData.index as SharedArrayBuffer), "decontamination index");
  return matchBatch(index, workerData.options as BatchOptions, batch.bytes, batch.firstRow);
}
