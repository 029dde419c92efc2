/**
 * The closing record of a data product's shard, under the name run/ imports (products.ts,
 * products-worker.ts, runner.ts). Product shards are written by the one shard writer,
 * io/parquet-write.ts ParquetShardWriter (see build.ts writeOutputShard); this file can go once those
 * imports name io's ClosedShard.
 */
import type { ClosedShard } from "../io/parquet-write.js";

export type ClosedMixShard = ClosedShard;
