/**
 * Build the data products named in `outputs` from a finished run's rows.
 *
 *   pass 1: rows() → compact per-rollout table (no texts) + per-problem summaries
 *   plan:   every output decides its rows from the table, in dependency order (`exclude`)
 *   pass 2: rows() again → each output writes its rows (or spills the texts it needs out of order)
 *   finish: packing (midtrain) and pairs (dpo) from the spill; shards closed; manifest + card
 *
 * Every decision sorts by seeded hashes of ids, so the result depends on the config and the rows,
 * never on worker counts or batch sizes.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import type { Rollout, DropReason } from "../trace/record.js";
import type { RowGroupInfo } from "../group/types.js";
import type { ProblemSummary } from "../quality/problems.js";
import type { MixConfig } from "../config/types.js";
import type { MidtrainConfig, OutputConfig, OutputManifest, OutputsConfig } from "./types.js";
import { canonicalJson } from "../config/load.js";
import { UsageError } from "../cli/errors.js";
import { Piscina } from "piscina";
import { workerUrl } from "../exec/worker-path.js";
import { initCompressors } from "../io/parquet-write.js";
import { writeFileAtomic } from "../io/atomic.js";
import { RowTable, isUnreadable, type MixRow as TableRow } from "./table.js";
import { sortedRecord, type OutputBuilder, type PlanContext } from "./common.js";
import { THINK_CLOSE, THINK_OPEN, chatTemplate, loadEncoder, parsePromptTemplate, parseTemplate, type Encoder } from "./text.js";
import { midtrainBuilder } from "./midtrain.js";
import { sftBuilder } from "./sft.js";
import { dpoBuilder } from "./dpo.js";
import { rlBuilder } from "./rl.js";
import { outputCard } from "./card.js";

export interface MixRow {
  record: Rollout;
  group: RowGroupInfo;
  drop: DropReason | null;
}

export interface BuildOutputsArgs {
  /** validated mix file; config.outputs names the products */
  config: MixConfig;
  /** run folder; each output goes to `${outDir}/outputs/<name>/` */
  outDir: string;
  /** ALL rows (kept and dropped), in input (ordinal) order; called twice, must yield the same rows each time */
  rows: () => AsyncIterable<MixRow>;
  /**
   * The same rows for the first pass, which reads no texts: records may leave `problem` and `response`
   * empty when they carry token counts and a `trace` whose `reasoning` is null exactly when the
   * response has none. Default: `rows`.
   */
  tableRows?: () => AsyncIterable<MixRow>;
  /** per-problem summary of the group step; called once per problem group, should be O(1) */
  problem: (problemGroup: string) => ProblemSummary | undefined;
  shard: { codec: "ZSTD" | "SNAPPY" | "GZIP" | "UNCOMPRESSED"; rowGroupRows: number; shardRows: number; shardBytes: number };
  /** hash of the whole mix file, copied into each output manifest */
  configHash?: string;
  /** worker threads that encode packed-document tokens (default 0: inline); the bytes do not depend on it */
  workers?: number;
}

/** Config errors for people (exit code 2 in the CLI): name the JSON path and what was expected. */
export class OutputsConfigError extends UsageError {
  override name = "UsageError";
}

/** Outputs in build order: every output after the ones it excludes (definition order otherwise). */
export function buildOrder(outputs: OutputsConfig): string[] {
  const names = Object.keys(outputs);
  for (const n of names) {
    for (const x of outputs[n]!.exclude ?? []) {
      if (x === n) throw new OutputsConfigError(`$.outputs.${n}.exclude: an output cannot exclude itself`);
      if (!(x in outputs)) throw new OutputsConfigError(`$.outputs.${n}.exclude: found ${JSON.stringify(x)}, expected the name of another output (${names.join(", ")})`);
    }
  }
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) throw new OutputsConfigError(`$.outputs: exclude rules form a cycle: ${[...path, n].join(" → ")}`);
    state.set(n, 1);
    for (const x of outputs[n]!.exclude ?? []) visit(x, [...path, n]);
    state.set(n, 2);
    order.push(n);
  };
  for (const n of names) visit(n, []);
  return order;
}

/** Checks the schema cannot express: known sources, templates, budgets. */
export function checkOutputs(config: MixConfig): void {
  const outputs = config.outputs ?? {};
  const sources = new Set(config.sources.map((s) => s.name));
  const list = [...sources].join(", ");
  buildOrder(outputs);
  for (const [name, o] of Object.entries(outputs)) {
    const at = `$.outputs.${name}`;
    for (const s of o.sources ?? []) if (!sources.has(s)) throw new OutputsConfigError(`${at}.sources: found ${JSON.stringify(s)}, expected a source name (${list})`);
    for (const band of ["passRate", "sourceDifficulty"] as const) {
      const b = o[band];
      if (b && b[0] > b[1]) throw new OutputsConfigError(`${at}.${band}: found [${b[0]}, ${b[1]}], expected [lo, hi] with lo ≤ hi`);
    }
    if (o.kind === "midtrain") {
      for (const s of Object.keys(o.weights ?? {})) if (!sources.has(s)) throw new OutputsConfigError(`${at}.weights: found source ${JSON.stringify(s)}, expected a source name (${list})`);
      if (o.weights && !Object.values(o.weights).some((w) => w > 0)) throw new OutputsConfigError(`${at}.weights: every weight is 0; expected at least one positive weight`);
      if (o.textTemplate !== undefined) {
        try {
          parseTemplate(o.textTemplate, `${at}.textTemplate`);
        } catch (e) {
          throw new OutputsConfigError((e as Error).message);
        }
        if (o.template === "chat") throw new OutputsConfigError(`${at}.textTemplate: only used with template "plain"; found template "chat"`);
      }
    }
    if (o.kind === "sft" && o.rows !== undefined && o.tokenBudget !== undefined) {
      throw new OutputsConfigError(`${at}: found both rows and tokenBudget, expected one size (rows or tokenBudget)`);
    }
    if (o.kind === "rl" && o.promptTemplate !== undefined) {
      try {
        parsePromptTemplate(o.promptTemplate, `${at}.promptTemplate`);
      } catch (e) {
        throw new OutputsConfigError((e as Error).message);
      }
    }
  }
}

/** sha-256 of the canonical JSON of one output's config with everything that changes its bytes. */
export function outputConfigHash(config: MixConfig, name: string): string {
  const o = config.outputs?.[name];
  return createHash("sha256").update(canonicalJson({ name, output: o, seed: config.seed, tokenizer: config.tokenizer })).digest("hex");
}

function midtrainTemplate(o: MidtrainConfig) {
  return o.template === "chat" ? chatTemplate(o.chatFormat ?? "phi4", o.system) : (o.textTemplate ?? "{problem}\n\n{response}");
}

async function makeBuilder(ctx: PlanContext, enc: Encoder, pool: () => Piscina | null): Promise<OutputBuilder> {
  const o = ctx.config;
  const sysTokens = "system" in o && o.system ? enc.count(o.system) : 0;
  switch (o.kind) {
    case "midtrain": {
      const template = parseTemplate(midtrainTemplate(o), `$.outputs.${ctx.name}.textTemplate`);
      const literalIds = template.literals.map((l) => enc.encode(l)) as [number[], number[], number[]];
      return midtrainBuilder(ctx, { enc, template, literalIds, separatorIds: enc.separatorIds(o.separator ?? "<|endoftext|>"), pool: pool() });
    }
    case "sft":
      return sftBuilder(ctx, sysTokens);
    case "dpo":
      return dpoBuilder(ctx, sysTokens);
    case "rl": {
      const [before, after] = parsePromptTemplate(o.promptTemplate ?? "{problem}", `$.outputs.${ctx.name}.promptTemplate`);
      return rlBuilder(ctx, enc.count(before) + enc.count(after), sysTokens);
    }
  }
}

export async function buildOutputs(args: BuildOutputsArgs): Promise<Record<string, OutputManifest>> {
  const { config } = args;
  const outputs = config.outputs ?? {};
  const names = Object.keys(outputs);
  if (names.length === 0) return {};
  checkOutputs(config);
  const order = buildOrder(outputs);
  await initCompressors(); // the one shared zstd instance (a second WASM init corrupts pages)
  const enc = await loadEncoder(config.tokenizer);
  const root = join(args.outDir, "outputs");
  const workDir = join(root, ".work");

  // ---- pass 1
  const table = await RowTable.collect((args.tableRows ?? args.rows) as () => AsyncIterable<TableRow>, args.problem, config.seed, enc.count);

  // ---- plan, in dependency order
  for (const n of names) rmSync(join(root, n), { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const builders = new Map<string, OutputBuilder>();
  let encodePool: Piscina | null = null;
  const threads = args.workers ?? 0;
  const getPool = () => {
    if (threads <= 0) return null;
    encodePool ??= new Piscina({ filename: workerUrl("mix/encode-worker").href, minThreads: threads, maxThreads: threads });
    return encodePool;
  };
  const open = enc.encode(THINK_OPEN);
  const close = enc.encode(THINK_CLOSE);
  const thinkWrap = { open, close, openTokens: open.length, closeTokens: close.length };
  try {
    for (const name of order) {
      const o: OutputConfig = outputs[name]!;
      const sourceOk = new Uint8Array(table.sources.length);
      for (let s = 0; s < table.sources.length; s++) sourceOk[s] = !o.sources || o.sources.includes(table.sources[s]!) ? 1 : 0;
      const ctx: PlanContext = {
        name,
        config: o,
        table,
        seed: config.seed,
        blockers: (o.exclude ?? []).map((x) => ({ name: x, used: builders.get(x)!.used })),
        sourceOk,
        outputDir: join(root, name),
        workDir,
        shard: args.shard,
        tokenizer: config.tokenizer,
        think: "responseFormat" in o && o.responseFormat === "think" ? thinkWrap : null,
      };
      builders.set(name, await makeBuilder(ctx, enc, getPool));
    }

    // ---- pass 2
    let i = 0;
    const all = [...builders.values()];
    for await (const row of args.rows()) {
      if (isUnreadable(row)) continue;
      if (i >= table.n || table.ordinal[i] !== row.record.ordinal) {
        throw new Error(`outputs: rows() yielded ordinal ${row.record.ordinal} (id ${row.record.id}) at position ${i} on the second pass, expected ${i < table.n ? table.ordinal[i] : "no more rows"}: rows() must yield the same rows each call`);
      }
      for (const b of all) {
        const wait = b.consume(i, row);
        if (wait) await wait;
      }
      i++;
    }
    if (i !== table.n) throw new Error(`outputs: rows() yielded ${i} rows on the second pass, ${table.n} on the first`);

    // ---- finish
    const manifests: Record<string, OutputManifest> = {};
    for (const name of order) {
      const b = builders.get(name)!;
      await b.finish();
      const shards = b.shards().close();
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const overlap: Record<string, number> = {};
      for (const other of names) {
        if (other === name) continue;
        const u = builders.get(other)!.used;
        let n = 0;
        for (let p = 0; p < u.length; p++) if (u[p] && b.used[p]) n++;
        overlap[other] = n;
      }
      const o = outputs[name]!;
      const m: OutputManifest = {
        name,
        kind: o.kind,
        configHash: outputConfigHash(config, name),
        ...(args.configHash ? { mixConfigHash: args.configHash } : {}),
        seed: config.seed,
        tokenizer: config.tokenizer,
        config: o,
        rows: b.tally.rows,
        tokens: b.tally.tokens,
        problems: b.tally.problems,
        bySource: sortedRecord(b.tally.bySource),
        byDomain: sortedRecord(b.tally.byDomain),
        byDifficulty: sortedRecord(b.tally.byDifficulty),
        passRateHistogram: b.tally.histogram,
        eligibility: sortedRecord(b.eligibility),
        disjoint: b.disjoint,
        overlap,
        shards: shards.map((s) => ({ path: relative(dir, s.path), rows: s.rows, tokens: s.tokens, bytes: s.bytes, sha256: s.sha256 })),
        details: b.details(),
        warnings: b.warnings,
      };
      if (table.recounted) m.warnings.push(`${table.recounted} row(s) had no token counts and were counted here`);
      writeFileAtomic(join(dir, "README.md"), outputCard(config.name, m));
      writeFileAtomic(join(dir, "manifest.json"), JSON.stringify(m, null, 2) + "\n");
      manifests[name] = m;
    }
    return manifests;
  } catch (e) {
    for (const b of builders.values()) b.abort();
    throw e;
  } finally {
    await (encodePool as Piscina | null)?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}
