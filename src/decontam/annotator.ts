/**
 * Decontamination stage: annotator (`record.contamination`) and drop rule (`contaminated:<benchmark>`).
 *
 * The benchmark index is built once in the main thread (`prepare`) and written to
 * `<runDir>/decontaminate/index.bin`; every worker loads that file read-only in `create`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AnnotateContext, Annotator, AnnotatorModule } from "../record/annotator.js";
import type { MixConfig, FiltersConfig } from "../config/types.js";
import type { Rollout } from "../record/rollout.js";
import type { DecontaminateConfig } from "./types.js";
import { ContaminationIndex } from "./benchmark-index.js";
import { resolveIndexOptions, type IndexOptions } from "./index-options.js";
import { indexCacheDir, indexCacheFile, readCachedIndex } from "./index-cache.js";
import { builtinCommonNgrams } from "./common.js";
import { loadBenchmarks, type LoadOptions } from "./load.js";
import { contaminationOf } from "./row-match.js";
import { writeFileAtomic } from "../io/atomic.js";

export { contaminationOf };

export const DECONTAMINATE_STAGE = "decontaminate";

/** Where `prepare` writes the index inside a run folder. */
export function decontaminationIndexPath(runDir: string): string {
  return join(runDir, "decontaminate", "index.bin");
}

/** Index options from `annotate.decontaminate` (unset keys keep the defaults). */
export function indexOptionsFrom(cfg: DecontaminateConfig): Partial<IndexOptions> {
  const o: Partial<IndexOptions> = {};
  if (cfg.ngram !== undefined) o.ngram = cfg.ngram;
  if (cfg.threshold !== undefined) o.threshold = cfg.threshold;
  if (cfg.coverage !== undefined) o.coverage = cfg.coverage;
  if (cfg.charShingle !== undefined) o.charShingle = cfg.charShingle;
  if (cfg.charThreshold !== undefined) o.charThreshold = cfg.charThreshold;
  if (cfg.digitInsensitive !== undefined) o.digitInsensitive = cfg.digitInsensitive;
  return o;
}

/**
 * Load the configured benchmarks and build the index — or read it from the index cache
 * (index-cache.ts) when the same index was built before; `indexCache: false` turns the cache off.
 */
export async function buildDecontaminationIndex(cfg: DecontaminateConfig, load: LoadOptions & { indexCache?: boolean } = {}): Promise<ContaminationIndex> {
  const problems = await loadBenchmarks(cfg.benchmarks, load);
  const useCommon = cfg.commonNgrams !== "none";
  const options = resolveIndexOptions(indexOptionsFrom(cfg));
  const file = load.indexCache === false ? null : indexCacheFile(indexCacheDir(load.cacheDir), problems, options, useCommon);
  const cached = file ? readCachedIndex(file) : null;
  if (file && cached) {
    try {
      const index = ContaminationIndex.deserialize(cached, file);
      load.log?.(`decontaminate: benchmark index read from the cache ${file}`);
      return index;
    } catch {
      // unreadable (another format, cut short): built again and replaced below
    }
  }
  const index = ContaminationIndex.build(problems, options, useCommon ? builtinCommonNgrams() : null);
  if (file) {
    try {
      writeIndexFile(index, file);
    } catch {
      // a read-only or full cache folder: the index is simply not kept
    }
  }
  return index;
}

/** Write an index file atomically (temp file + rename). */
export function writeIndexFile(index: ContaminationIndex, file: string): void {
  writeFileAtomic(file, index.serialize());
}

export function readIndexFile(file: string): ContaminationIndex {
  if (!existsSync(file)) throw new Error(`decontamination index ${file} does not exist (build it with prepare() or \`curate decontaminate --build-index\`)`);
  return ContaminationIndex.deserialize(readFileSync(file), file);
}

export function decontaminationAnnotator(index: ContaminationIndex, cfg: DecontaminateConfig): Annotator {
  return {
    name: DECONTAMINATE_STAGE,
    annotate(batch: Rollout[]): void {
      for (const r of batch) r.contamination = contaminationOf(index, r, cfg);
    },
  };
}

function loadOptions(config: MixConfig, ctx: AnnotateContext): LoadOptions {
  return { baseDir: ctx.baseDir, benchmarksDir: config.benchmarksDir };
}

export const decontaminateModule: AnnotatorModule = {
  async prepare(config: MixConfig, ctx: AnnotateContext): Promise<void> {
    const cfg = config.annotate?.decontaminate;
    if (!cfg) return;
    const index = await buildDecontaminationIndex(cfg, loadOptions(config, ctx));
    writeIndexFile(index, decontaminationIndexPath(ctx.runDir));
  },
  async create(config: MixConfig, ctx: AnnotateContext): Promise<Annotator | null> {
    const cfg = config.annotate?.decontaminate;
    if (!cfg) return null;
    const file = decontaminationIndexPath(ctx.runDir);
    // prepare() normally wrote the file; without it (inline use) build here
    const index = existsSync(file) ? readIndexFile(file) : await buildDecontaminationIndex(cfg, loadOptions(config, ctx));
    return decontaminationAnnotator(index, cfg);
  },
};

/**
 * Drop rule for `filters.dropContaminated` (default true): a row with any contamination match is
 * dropped with reason `contaminated:<benchmark>` (the strongest match's benchmark).
 */
export function decontaminateDrop(record: Rollout, filters: FiltersConfig | undefined): { reason: string; detail: string } | null {
  if (filters?.dropContaminated === false) return null;
  const m = record.contamination;
  if (!m || m.length === 0) return null;
  const top = m[0]!;
  const more = m.length > 1 ? ` (+${m.length - 1} more)` : "";
  return {
    reason: `contaminated:${top.benchmark}`,
    detail: `${top.field} matches ${top.benchmark} ${top.item} by ${top.method} (score ${top.score})${more}`,
  };
}
