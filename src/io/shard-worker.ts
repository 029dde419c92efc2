/**
 * Worker-thread entry that hosts ShardSets for {@link ShardWriterThread}: Parquet encoding, zstd
 * compression, hashing and file writes run here while the main thread reads and decides the next
 * rows. Messages are handled strictly in order, so the shards are the bytes the same ShardSet would
 * write on the main thread.
 */
import { parentPort } from "node:worker_threads";
import { ShardSet, initCompressors, type ColumnSpec, type RowValue, type Codec } from "./parquet-write.js";

type Msg =
  | { op: "open"; id: number; dir: string; prefix: string; columns: ColumnSpec[]; opts: { codec: Codec; rowGroupRows: number; shardRows: number; shardBytes: number } }
  | { op: "append"; id: number; rows: RowValue[][]; extras: (Record<string, number> | null)[] }
  | { op: "close"; id: number; seq: number }
  | { op: "abort"; id: number; seq: number };

const sets = new Map<number, ShardSet>();
const failed = new Map<number, { message: string; code?: string }>();
const ready = initCompressors();

parentPort!.on("message", async (m: Msg) => {
  await ready;
  const reply = (x: Record<string, unknown>) => parentPort!.postMessage(x);
  try {
    if (m.op === "open") {
      sets.set(m.id, new ShardSet(m.dir, m.prefix, m.columns, m.opts));
      return;
    }
    const set = sets.get(m.id);
    if (m.op === "append") {
      if (set && !failed.has(m.id)) for (let i = 0; i < m.rows.length; i++) set.append(m.rows[i]!, m.extras[i] ?? undefined);
      reply({ op: "ack", id: m.id });
      return;
    }
    if (m.op === "abort") {
      set?.abort();
      sets.delete(m.id);
      reply({ op: "done", id: m.id, seq: m.seq });
      return;
    }
    // close
    const f = failed.get(m.id);
    if (f) {
      set?.abort();
      reply({ op: "error", id: m.id, seq: m.seq, ...f });
    } else {
      const shards = set ? set.close() : [];
      reply({ op: "done", id: m.id, seq: m.seq, shards });
    }
    sets.delete(m.id);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    failed.set(m.id, { message: err.message, code: err.code });
    sets.get(m.id)?.abort();
    if (m.op === "append") reply({ op: "ack", id: m.id, error: { message: err.message, code: err.code } });
    else if (m.op === "close" || m.op === "abort") reply({ op: "error", id: m.id, seq: m.seq, message: err.message, code: err.code });
  }
});
