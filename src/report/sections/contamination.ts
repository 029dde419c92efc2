/**
 * Contamination: rows that matched a benchmark, per benchmark and per method, and a seeded sample of
 * matches shown side by side (the row's text and the benchmark's, the matched spans marked).
 */
import { escapeHtml as h, highlightSpans } from "../escape.js";
import { countsTable, fmt } from "../charts.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";
import { BottomK, type Row } from "../shards.js";
import { bump, clip, sorted, str } from "../values.js";

export interface ContaminationRow {
  id: string;
  kept: boolean;
  benchmark: string;
  item: string;
  method: string;
  score: number;
  field: string;
  /** the row's text (problem, or the response snippet) and the span(s) to highlight in it */
  text: string;
  spans: [number, number][];
  benchmarkText: string;
  benchmarkSpans: [number, number][];
}

export interface ContaminationData {
  /** null when no row matched a benchmark */
  contamination: { rows: number; kept: number; byBenchmark: Record<string, number>; byMethod: Record<string, number>; shown: ContaminationRow[] } | null;
}

/**
 * The row's side of one match: the problem around the matched span (cut to `maxChars`, the span
 * shifted to match), or else the match's own snippet, all of it marked.
 */
function rowSide(row: Row, m: Record<string, any>, field: string, maxChars: number): { text: string; spans: [number, number][] } {
  const span = Array.isArray(m.span) && m.span.length === 2 ? ([Number(m.span[0]), Number(m.span[1])] as [number, number]) : null;
  if (field === "problem" && typeof row.problem === "string" && span && span[1] <= row.problem.length) {
    const text = row.problem;
    if (text.length <= maxChars) return { text, spans: [span] };
    const start = Math.max(0, Math.min(span[0] - 200, text.length - maxChars));
    const shift = start > 0 ? 1 - start : 0;
    return { text: (start > 0 ? "…" : "") + text.slice(start, start + maxChars), spans: [[span[0] + shift, span[1] + shift]] };
  }
  const text = clip(str(m.snippet) || str(row.problem), maxChars);
  return { text, spans: m.snippet ? [[0, text.length]] : [] };
}

/** Up to three matches of one row, ready to show. A row flagged only by the `contaminated` column shows one. */
function matchViews(row: Row, id: string, kept: boolean, matches: Record<string, any>[], maxChars: number): ContaminationRow[] {
  const shown: Record<string, any>[] = matches.length ? matches : [{ benchmark: row.contaminated, method: "", score: null, field: "problem" }];
  return shown.slice(0, 3).map((m) => {
    const field = str(m.field) || "problem";
    const { text, spans } = rowSide(row, m, field, maxChars);
    const bText = clip(str(m.benchmarkSnippet), maxChars);
    return {
      id,
      kept,
      benchmark: str(m.benchmark),
      item: str(m.item),
      method: str(m.method),
      score: typeof m.score === "number" ? m.score : NaN,
      field,
      text,
      spans,
      benchmarkText: bText,
      benchmarkSpans: bText ? [[0, bText.length]] : [],
    };
  });
}

function collectContamination(scan: ReportScan): SectionCollector<ContaminationData> {
  const o = scan.options;
  let rows = 0;
  let keptRows = 0;
  const byBenchmark: Record<string, number> = {};
  const byMethod: Record<string, number> = {};
  const sampler = new BottomK<ContaminationRow[]>(o.contaminationRows, o.seed);
  return {
    row({ row, kept, id, ann }) {
      const matches = Array.isArray(ann.contamination) ? (ann.contamination as Record<string, any>[]) : [];
      if (!matches.length && !(typeof row.contaminated === "string" && row.contaminated)) return;
      rows++;
      if (kept) keptRows++;
      const seen = new Set<string>();
      for (const m of matches) {
        bump(byMethod, str(m.method) || "(unknown)");
        if (!seen.has(str(m.benchmark))) bump(byBenchmark, str(m.benchmark) || "(unknown)");
        seen.add(str(m.benchmark));
      }
      if (!matches.length) for (const b of str(row.contaminated).split(",")) bump(byBenchmark, b);
      sampler.offer(id, () => matchViews(row, id, kept, matches, o.excerptChars));
    },
    finish() {
      if (!rows) return { contamination: null };
      return { contamination: { rows, kept: keptRows, byBenchmark: sorted(byBenchmark), byMethod: sorted(byMethod), shown: sampler.items().flat() } };
    },
  };
}

function renderContamination(d: ContaminationData): string | null {
  const x = d.contamination;
  if (!x) return null;
  let s = `<p>${fmt(x.rows)} rows matched a benchmark (${fmt(x.kept)} of them still kept).</p>`;
  s += countsTable("", ["benchmark", "rows"], Object.entries(x.byBenchmark));
  if (Object.keys(x.byMethod).length) s += countsTable("", ["method", "matches"], Object.entries(x.byMethod));
  s += `<h3>Matches (bounded sample of ${fmt(x.shown.length)})</h3><input class="filter" data-target="contam-rows" placeholder="filter matches…"><div id="contam-rows">`;
  for (const m of x.shown) {
    s += `<div class="card"><div class="head">${h(m.id)} · <span class="tag ${m.kept ? "kept" : "dropped"}">${m.kept ? "kept" : "dropped"}</span> ${h(m.benchmark)} ${h(m.item)} · ${h(m.method)}${Number.isFinite(m.score) ? ` · score ${m.score.toFixed(3)}` : ""} · field ${h(m.field)}</div>`;
    s += `<div class="side"><div><div class="head">row ${h(m.field)}</div><pre>${highlightSpans(m.text, m.spans)}</pre></div><div><div class="head">benchmark ${h(m.benchmark)} ${h(m.item)}</div><pre>${highlightSpans(m.benchmarkText, m.benchmarkSpans)}</pre></div></div></div>`;
  }
  return s + `</div>`;
}

export const contaminationSection: ReportSection<ContaminationData> = {
  id: "contamination",
  nav: "Contamination",
  title: "Contamination",
  columns: ["contaminated", "problem"],
  collect: collectContamination,
  render: renderContamination,
};
