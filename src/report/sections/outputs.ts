/**
 * Outputs: what the run wrote beyond data/ and rejected/ — each product's summary from manifest.json
 * and its own outputs/<name>/manifest.json — and the run's timings.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml as h } from "../escape.js";
import { pre } from "../charts.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";

export interface OutputsData {
  outputs: { name: string; summary: unknown; manifest: unknown; manifestPath: string | null }[];
  timings: unknown;
}

/** A JSON file's value; null when absent, a note when too big to embed, an error object when not JSON. */
function readJsonIfAny(path: string, maxBytes = 512 * 1024): unknown {
  if (!existsSync(path)) return null;
  const size = statSync(path).size;
  if (size > maxBytes) return { note: `${path} is ${size} bytes; not embedded (limit ${maxBytes})` };
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return { error: `${path}: not valid JSON: ${(e as Error).message}` };
  }
}

/** Nothing to see per row: the manifest's summary plus outputs/<name>/manifest.json when written. */
function collectOutputs({ dir, manifest }: ReportScan): SectionCollector<OutputsData> {
  return {
    finish() {
      const outputs: OutputsData["outputs"] = [];
      const summaries = (manifest.outputs && typeof manifest.outputs === "object" ? manifest.outputs : {}) as Record<string, unknown>;
      const names = new Set(Object.keys(summaries));
      const outDir = join(dir, "outputs");
      if (existsSync(outDir)) for (const e of readdirSync(outDir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
      for (const name of [...names].sort()) {
        const mp = join(outDir, name, "manifest.json");
        outputs.push({ name, summary: summaries[name] ?? null, manifest: readJsonIfAny(mp), manifestPath: existsSync(mp) ? `outputs/${name}/manifest.json` : null });
      }
      return { outputs, timings: readJsonIfAny(join(dir, "timings.json")) };
    },
  };
}

function renderOutputs(d: OutputsData): string {
  let s = "";
  if (!d.outputs.length) s += `<p>This run wrote no outputs beyond data/ and rejected/.</p>`;
  for (const o of d.outputs) {
    s += `<h3>${h(o.name)}</h3>`;
    if (o.summary !== null) s += `<div class="head">manifest.json → outputs.${h(o.name)}</div>${pre(JSON.stringify(o.summary, null, 2).slice(0, 100_000))}`;
    if (o.manifest !== null) s += `<details><summary>${h(o.manifestPath ?? "manifest")}</summary>${pre(JSON.stringify(o.manifest, null, 2).slice(0, 200_000))}</details>`;
  }
  if (d.timings) s += `<h3>Timings</h3>${pre(JSON.stringify(d.timings, null, 2))}`;
  return s;
}

export const outputsSection: ReportSection<OutputsData> = {
  id: "outputs",
  nav: "Outputs",
  title: "Outputs",
  columns: [],
  collect: collectOutputs,
  render: renderOutputs,
};
