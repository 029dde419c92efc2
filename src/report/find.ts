/**
 * Find one rollout by id: scan only the `id` column of each shard, then decode the single matching row.
 */
import { parquetReadObjects, parquetSchema } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { openParquet } from "../io/parquet-read.js";
import { plainRow, resolveShards, type Row, type ShardFile } from "./shards.js";
import { resolve } from "node:path";
import { statSync } from "node:fs";

export interface FoundRow {
  row: Row;
  file: ShardFile;
  /** 0-based row within the file */
  index: number;
}

export async function findRow(pathOrFolder: string, id: string, sets: ShardFile["set"][] = ["data", "rejected", "annotated"]): Promise<FoundRow | null> {
  const files = resolveShards(pathOrFolder, sets);
  for (const f of files) {
    const { file, metadata } = await openParquet(f.path).catch((e: Error) => {
      throw new Error(`${f.path}: ${e.message}`);
    });
    if (!parquetSchema(metadata).children.some((c) => c.element.name === "id")) continue;
    let rowStart = 0;
    for (const g of metadata.row_groups) {
      const n = Number(g.num_rows);
      const ids = (await parquetReadObjects({ file, metadata, rowStart, rowEnd: rowStart + n, columns: ["id"], compressors })) as { id: unknown }[];
      const at = ids.findIndex((r) => r.id === id);
      if (at >= 0) {
        const index = rowStart + at;
        const [raw] = (await parquetReadObjects({ file, metadata, rowStart: index, rowEnd: index + 1, compressors })) as Record<string, unknown>[];
        const root = resolve(pathOrFolder);
        return { row: plainRow(raw!, f, statSync(root).isFile() ? resolve(root, "..") : root, null), file: f, index };
      }
      rowStart += n;
    }
  }
  return null;
}
