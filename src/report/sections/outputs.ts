/**
 * Outputs: what the run wrote beyond data/ and rejected/ — one table of the data products (rows,
 * tokens, problem groups, packing efficiency and the kind's other figures, warnings) from
 * manifest.json and each outputs/<name>/manifest.json, what each output left out and why, and the
 * run's timings.json as rounded tables. Each product's full manifest stays one click away.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml as h } from "../escape.js";
import { countsTable, fmt, pre } from "../charts.js";
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

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A measured number, rounded for reading: 3 significant digits below 100, whole numbers above. */
export function rounded(v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (Number.isInteger(v) || Math.abs(v) >= 100) return Math.round(v).toLocaleString("en-US");
  return (+v.toPrecision(3)).toLocaleString("en-US", { maximumFractionDigits: 3 });
}

const percent = (v: number | null) => (v === null ? "" : `${(100 * v).toFixed(1)}%`);

/** The kind's headline figures from `details` (mix/builders/*): packing, sizes, pairs, prompts. */
function kindFacts(kind: string, d: Obj): string {
  const facts: string[] = [];
  const add = (label: string, v: unknown, show: (n: number) => string = fmt) => {
    const n = num(v);
    if (n !== null) facts.push(`${label} ${show(n)}`);
  };
  if (kind === "midtrain") {
    add("rollouts packed", d.rolloutsPacked);
    add("split across sequences", d.splitRollouts);
    add("padding tokens", d.paddingTokens);
  } else if (kind === "sft") {
    add("longest row", d.maxRowTokens, (n) => `${fmt(n)} tokens`);
    add("quota rounds", d.quotaRounds);
  } else if (kind === "dpo") {
    add("mean |Δ length|", d.meanLengthGap, (n) => `${rounded(n)} tokens`);
  }
  return facts.join(" · ");
}

function productsTable(d: OutputsData): string {
  let s = `<table id="outputs-table"><thead><tr><th>output</th><th>kind</th><th>rows</th><th>tokens</th><th>problems</th><th>packing efficiency</th><th>sequences</th><th>more</th><th>warnings</th></tr></thead><tbody>`;
  for (const o of d.outputs) {
    const m = { ...obj(o.manifest), ...obj(o.summary) };
    const details = obj(m.details);
    const kind = typeof m.kind === "string" ? m.kind : "";
    const cell = (field: string, v: unknown) => `<td class="num" data-field="${field}">${num(v) === null ? "—" : fmt(num(v)!)}</td>`;
    const warnings = Array.isArray(m.warnings) ? m.warnings.map((w) => `<div>${h(String(w))}</div>`).join("") : "";
    s += `<tr data-output="${h(o.name)}"><td>${h(o.name)}</td><td>${h(kind)}</td>${cell("rows", m.rows)}${cell("tokens", m.tokens)}${cell("problems", m.problems)}`;
    s += `<td class="num" data-field="packing">${percent(num(details.packingEfficiency))}</td>${cell("sequences", details.sequences)}<td>${h(kindFacts(kind, details))}</td><td class="note">${warnings}</td></tr>`;
  }
  return s + `</tbody></table><p class="caption">Rows are the output's units: packed sequences (midtrain), rollouts (sft), pairs (dpo), prompts (rl). Packing efficiency = content tokens / (sequences × packTo).</p>`;
}

/** Left out per reason (rows: reasons, columns: outputs). */
function eligibilityTable(d: OutputsData): string {
  const per = d.outputs.map((o) => obj({ ...obj(o.manifest), ...obj(o.summary) }.eligibility));
  const reasons = [...new Set(per.flatMap((e) => Object.keys(e)))].sort();
  if (!reasons.length) return "";
  const rows = reasons.map((r) => [r, ...per.map((e) => num(e[r]) ?? "")]);
  return `<h3>Left out, per reason</h3>` + countsTable("candidates each output left out (eligibility in its manifest)", ["reason", ...d.outputs.map((o) => o.name)], rows as (string | number)[][]);
}

/** timings.json as tables: phases and annotators with their share, then the other figures, all rounded. */
function timingsTables(t: unknown): string {
  const x = obj(t);
  if (!Object.keys(x).length) return "";
  const total = num(x.seconds);
  let s = `<h3>Timings</h3><div id="timings">`;
  const phases = Object.entries(obj(x.phases)).filter(([, v]) => num(v) !== null) as [string, number][];
  if (phases.length) s += countsTable("", ["phase", "seconds", "share"], phases.map(([k, v]) => [k, rounded(v), total ? `${((100 * v) / total).toFixed(0)}%` : ""]));
  const annotators = Object.entries(obj(x.annotatorMs)).filter(([, v]) => num(v) !== null) as [string, number][];
  if (annotators.length) s += countsTable("annotator time, summed over workers", ["annotator", "seconds"], annotators.map(([k, v]) => [k, rounded(v / 1000)]));
  const scalars: [string, string][] = [];
  for (const [k, v] of Object.entries(x)) {
    if (k === "phases" || k === "annotatorMs") continue;
    if (typeof v === "number") scalars.push([k, rounded(v)]);
    else if (typeof v === "string" || typeof v === "boolean") scalars.push([k, String(v)]);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      const inner = Object.entries(v as Obj).filter(([, n]) => typeof n === "number") as [string, number][];
      if (inner.length) scalars.push([k, inner.map(([a, n]) => `${a}: ${rounded(n)}`).join(", ")]);
    }
  }
  if (scalars.length) s += countsTable("", ["figure", "value"], scalars);
  return s + `</div>`;
}

function renderOutputs(d: OutputsData): string {
  let s = "";
  if (!d.outputs.length) s += `<p>This run wrote no outputs beyond data/ and rejected/.</p>`;
  else s += productsTable(d) + eligibilityTable(d);
  for (const o of d.outputs) {
    const full = o.manifest ?? o.summary;
    if (full !== null) s += `<details><summary>${h(o.manifestPath ?? `manifest.json → outputs.${o.name}`)} (full)</summary>${pre(JSON.stringify(full, null, 2).slice(0, 200_000))}</details>`;
  }
  return s + timingsTables(d.timings);
}

export const outputsSection: ReportSection<OutputsData> = {
  id: "outputs",
  nav: "Outputs",
  title: "Outputs and timings",
  columns: [],
  collect: collectOutputs,
  render: renderOutputs,
};
