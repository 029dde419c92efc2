/**
 * `curate inspect <shard|folder>`, `curate show <id>`, `curate export <shard|folder>`: look at shards
 * from the terminal, and hand them to tools that prefer Arrow IPC or JSONL.
 */
import type { Command } from "commander";
import { once } from "node:events";
import { UsageError } from "../errors.js";
import { describe, sample } from "../report/stats.js";
import { renderDescription, renderRollout, renderSignals, type Style } from "../report/terminal.js";
import { findRow } from "../report/find.js";
import { isRunFolder, openShards, runSignals, ShardPathError, type ShardFile } from "../report/shards.js";
import { WhereError } from "../report/where.js";
import { AtomicFile, refuseOverwritingInput, writeFileAtomic } from "../io/atomic.js";

function intOption(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a non-negative integer, got "${v}"`);
    return n;
  };
}

function setsOption(v: string): ShardFile["set"][] {
  const sets = v.split(",").map((s) => s.trim());
  for (const s of sets) if (s !== "data" && s !== "rejected" && s !== "annotated") throw new UsageError(`--sets expects data, rejected and/or annotated (comma-separated), got "${s}"`);
  return sets as ShardFile["set"][];
}

function style(o: { color?: boolean }): Style {
  return { color: o.color !== false && !!process.stdout.isTTY && !process.env.NO_COLOR };
}

/** Turn reader errors into usage errors where the person can fix the call. */
async function guard<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof WhereError) throw new UsageError(`--where: ${e.message}`);
    if (e instanceof ShardPathError) throw new UsageError(e.message);
    throw e;
  }
}

async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

export function register(program: Command): void {
  program
    .command("inspect")
    .description("schema, row counts, token-length histogram and per-source / domain / verdict counts of a shard, folder or run folder (and a run's signal table); --sample prints rows")
    .argument("<path>", "a .parquet shard, a folder of shards, or a run folder (reads data/ + rejected/)")
    .option("--where <expr>", `filter rows, e.g. 'verdict = "incorrect" and tokens_response > 8000' (see docs/inspect.md)`)
    .option("--sample <n>", "print n rows (a stable seeded sample)", intOption("--sample"))
    .option("--seed <s>", "sampling seed (default 0)", intOption("--seed"), 0)
    .option("--sets <list>", "for run folders: data,rejected,annotated (default data,rejected)", setsOption)
    .option("--full", "with --sample: print whole traces and all annotations")
    .option("--no-color", "no ANSI colours")
    .option("--json", "print a JSON object (description, and sampled rows) on stdout")
    .action(async (path: string, o: { where?: string; sample?: number; seed: number; sets?: ShardFile["set"][]; full?: boolean; color?: boolean; json?: boolean }) => {
      await guard(async () => {
        const d = await describe(path, { where: o.where, sets: o.sets });
        const rows = o.sample ? await sample(path, o.sample, { seed: o.seed, where: o.where, sets: o.sets }) : null;
        // the run's signal table (manifest.signals) counts every row of the run: shown unless --where narrows the rows
        const signals = o.where ? null : runSignals(path);
        if (o.json) {
          await writeOut(JSON.stringify({ ...d, ...(signals ? { signals } : {}), ...(rows ? { sample: { seed: o.seed, rows } } : {}) }, null, 2) + "\n");
          return;
        }
        const st = style(o);
        await writeOut(renderDescription(d, st) + "\n");
        if (signals) await writeOut(renderSignals(signals, st) + "\n");
        if (rows) {
          await writeOut(`\nsample of ${rows.length} row(s), seed ${o.seed}${o.where ? `, where ${o.where}` : ""}\n\n`);
          for (const r of rows) await writeOut(renderRollout(r, st, { full: o.full }) + "\n\n");
        }
      });
    });

  program
    .command("show")
    .description("print one rollout with all its annotations and its decision (kept, or stage and reason)")
    .argument("<id>", "rollout id")
    .option("--run <dir>", "run folder, shard or folder to search (default: the current folder, when it is a run folder)")
    .option("--no-color", "no ANSI colours")
    .option("--json", "print the row as JSON")
    .action(async (id: string, o: { run?: string; color?: boolean; json?: boolean }) => {
      await guard(async () => {
        if (o.run === undefined && !isRunFolder(".")) throw new UsageError("the current folder is not a run folder (no manifest.json): pass --run DIR");
        const run = o.run ?? ".";
        const found = await findRow(run, id);
        if (!found) throw new UsageError(`${run}: no rollout with id ${JSON.stringify(id)} in data/, rejected/ or annotated/`);
        if (o.json) {
          await writeOut(JSON.stringify({ ...found.row, shardRow: found.index }, null, 2) + "\n");
          return;
        }
        await writeOut(renderRollout(found.row, style(o), { full: true }) + "\n");
      });
    });

  program
    .command("export")
    .description("write shards as Arrow IPC (file format) or JSONL")
    .argument("<path>", "a .parquet shard, a folder of shards, or a run folder (reads data/ + rejected/)")
    .requiredOption("--format <fmt>", "arrow | jsonl")
    .option("-o, --out <file>", "output file (JSONL default: stdout; Arrow requires --out)")
    .option("--where <expr>", "filter rows (see docs/inspect.md)")
    .option("--columns <list>", "comma-separated columns to keep")
    .option("--sets <list>", "for run folders: data,rejected,annotated (default data,rejected)", setsOption)
    .action(async (path: string, o: { format: string; out?: string; where?: string; columns?: string; sets?: ShardFile["set"][] }) => {
      await guard(async () => {
        const columns = o.columns ? o.columns.split(",").map((c) => c.trim()).filter(Boolean) : undefined;
        if (o.format === "arrow") {
          if (!o.out) throw new UsageError("--format arrow needs --out FILE (binary output is not written to a terminal)");
          // apache-arrow (~0.2 CPU-s to load) only for this format: inspect, show and JSONL never need it
          refuseOverwritingInput(o.out, openShards(path, { sets: o.sets }).files.map((f) => f.path));
          const { arrowIpc, toArrow } = await import("../report/arrow.js");
          const table = await toArrow(path, { columns, where: o.where, sets: o.sets });
          writeFileAtomic(o.out, Buffer.from(arrowIpc(table)));
          process.stderr.write(`wrote ${table.numRows.toLocaleString("en-US")} rows × ${table.numCols} columns to ${o.out}\n`);
          return;
        }
        if (o.format !== "jsonl") throw new UsageError(`--format expects arrow or jsonl, got "${o.format}"`);
        const rows = openShards(path, { columns, where: o.where, sets: o.sets });
        let n = 0;
        if (o.out) {
          const file = AtomicFile.open(o.out, rows.files.map((f) => f.path));
          try {
            for await (const r of rows) {
              n++;
              file.write(JSON.stringify(r) + "\n");
            }
          } catch (e) {
            file.abort();
            throw e;
          }
          file.commit();
          process.stderr.write(`wrote ${n.toLocaleString("en-US")} rows to ${o.out}\n`);
        } else {
          for await (const r of rows) await writeOut(JSON.stringify(r) + "\n");
        }
      });
    });
}
