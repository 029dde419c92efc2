import { DuckDBInstance } from "@duckdb/node-api";

/**
 * One in-memory DuckDB per test process (starting one costs ~35 ms of CPU; the suite runs ~100
 * queries), with its cache of file contents off so that every query reads the files as they are now
 * (tests rewrite and damage files between queries). Each query gets its own connection.
 */
let instance: Promise<DuckDBInstance> | undefined;
function db(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(":memory:", { enable_external_file_cache: "false" });
  return instance;
}

/** Run a query in DuckDB and return rows as plain objects. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const conn = await (await db()).connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
  }
}
