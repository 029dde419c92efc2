/**
 * Phase `finalize` (one process, after every unit is written): files no write marker lists go, the
 * per-problem statistics, the conservation check over the merged write markers, the outputs'
 * manifests, the dataset card, clusters.json, problems.jsonl, timings.json and — last, atomically —
 * manifest.json (with the signal table merged from the write markers), whose presence means the run
 * finished.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { datasetCard } from "../../mix/card.js";
import { removeUnlisted } from "../folder.js";
import { readWriteMarker } from "../markers.js";
import { mergeWriteCounts } from "../write-parts.js";
import { checkConservation } from "../conservation.js";
import { buildManifest } from "../manifest.js";
import type { RunContext } from "../context.js";
import type { RunResult } from "../types.js";
import type { Products } from "./products.js";

export async function finalizePhase(ctx: RunContext, products: Products): Promise<RunResult & { finished: true }> {
  const { outDir, config, progress } = ctx;
  const written = await ctx.waitForUnits((unit) => readWriteMarker(outDir, unit, ctx.token), "write marker");
  // shards no current write marker lists (an earlier, differently filtered finalize) go, and products
  // of an earlier config; only files by curate's names (see folder.ts)
  const listed = new Set(written.flatMap((w) => [...w.data, ...w.rejected].map((sh) => sh.path)));
  const current = products.configured ? Object.fromEntries(Object.entries(products.shards).map(([name, l]) => [name, new Set(l.map((sh) => sh.path))])) : null;
  const kept = removeUnlisted(outDir, listed, current);
  if (kept.length) progress.log(`kept ${kept.length} file(s) curate did not write: ${kept.slice(0, 5).join(", ")}${kept.length > 5 ? " …" : ""}`);
  const problems = await products.problemStatistics();

  const counts = mergeWriteCounts(ctx.stageOrder, written, config.sources.map((s) => s.name));
  checkConservation({ markers: ctx.markers, rowsIn: counts.rowsIn, keptRows: counts.keptRows, stages: counts.stages, bySource: counts.bySource, dataShards: counts.data, rejectedShards: counts.rejected });

  const outputs = await products.finish(ctx.loaded.hash);
  const manifest = buildManifest({
    loaded: ctx.loaded,
    outDir,
    files: ctx.units.map((u) => u.file),
    markers: ctx.markers,
    counts,
    precedence: ctx.decider.precedence(ctx.outcome.stages),
    groupStats: ctx.outcome.stats,
    problemsWithPassRate: [...problems.values()].filter((p) => p.passRate !== null).length,
    outputs,
  });
  writeFileAtomic(join(outDir, "README.md"), datasetCard(manifest, Object.keys(outputs).map((name) => ({ name, path: `outputs/${name}/data/*.parquet` }))));
  writeFileAtomic(join(outDir, "clusters.json"), JSON.stringify(ctx.outcome.clusters(), null, 1) + "\n");
  writeFileAtomic(join(outDir, "problems.jsonl"), [...problems.values()].map((p) => JSON.stringify(p)).join("\n") + (problems.size ? "\n" : ""));
  const t = ctx.timings();
  t.rowsPerSecond = counts.rowsIn / t.seconds;
  writeFileAtomic(join(outDir, "timings.json"), JSON.stringify(t, null, 2) + "\n");
  // last: the manifest marks the run finished
  writeFileAtomic(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  progress.done();
  return { finished: true, manifest, timings: t };
}
