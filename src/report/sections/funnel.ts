/**
 * Funnel: rows in, kept and dropped per stage (from the manifest), drops per reason, per source with
 * each source's top drop reasons (from rejected/), and a warning when the shards disagree with the
 * manifest's counts.
 */
import { escapeHtml as h } from "../escape.js";
import { barChart, countsTable, fmt, pct } from "../charts.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";
import { str } from "../values.js";

export interface StageCounts {
  stage: string;
  in: number;
  kept: number;
  dropped: number;
  reasons: Record<string, number>;
}

export interface FunnelData {
  counts: {
    rowsIn: number;
    kept: number;
    dropped: number;
    keptTokens: number;
    stages: StageCounts[];
    bySource: Record<string, { in: number; kept: number; dropped: number }>;
    byReason: Record<string, number>;
  };
  /** rows scanned in data/ and rejected/ (must equal kept and dropped) */
  scanned: { kept: number; dropped: number };
  reasonBySource: Record<string, Record<string, number>>;
}

function collectFunnel(scan: ReportScan): SectionCollector<FunnelData> {
  const scanned = { kept: 0, dropped: 0 };
  const reasonBySource: Record<string, Record<string, number>> = {};
  return {
    row({ row, kept }) {
      if (kept) {
        scanned.kept++;
        return;
      }
      scanned.dropped++;
      const reason = str(row.reason) || "(no reason)";
      const source = str(row.source);
      (reasonBySource[source] ??= {})[reason] = (reasonBySource[source]![reason] ?? 0) + 1;
    },
    finish() {
      const counts = scan.manifest.counts;
      return {
        counts: {
          rowsIn: counts.rowsIn,
          kept: counts.kept,
          dropped: counts.dropped,
          keptTokens: counts.keptTokens ?? 0,
          stages: counts.stages,
          bySource: counts.bySource ?? {},
          byReason: counts.byReason ?? {},
        },
        scanned,
        reasonBySource,
      };
    },
  };
}

function stageTable(c: FunnelData["counts"]): string {
  let s = `<div class="kpis">`;
  s += `<div class="kpi">rows in<b data-kpi="rowsIn">${fmt(c.rowsIn)}</b></div><div class="kpi">kept<b data-kpi="kept">${fmt(c.kept)}</b></div><div class="kpi">dropped<b data-kpi="dropped">${fmt(c.dropped)}</b></div><div class="kpi">kept tokens<b data-kpi="keptTokens">${fmt(c.keptTokens)}</b></div><div class="kpi">kept share<b>${pct(c.kept, c.rowsIn)}</b></div></div>`;
  s += `<table id="funnel-table"><thead><tr><th>stage</th><th>in</th><th>kept</th><th>dropped</th><th>reasons</th></tr></thead><tbody>`;
  for (const st of c.stages) {
    const reasons = Object.entries(st.reasons ?? {})
      .map(([r, n]) => `<span class="tag" data-reason="${h(r)}">${h(r)} ${fmt(n)}</span>`)
      .join(" ");
    s += `<tr data-stage="${h(st.stage)}"><td>${h(st.stage)}</td><td class="num" data-field="in">${fmt(st.in)}</td><td class="num" data-field="kept">${fmt(st.kept)}</td><td class="num" data-field="dropped">${fmt(st.dropped)}</td><td>${reasons}</td></tr>`;
  }
  s += `</tbody></table>`;
  return (
    s +
    barChart(
      c.stages.map((st) => ({ label: st.stage, values: [st.in, st.kept] })),
      ["in", "kept"],
      { title: "rows per stage" },
    )
  );
}

function reasonTable(c: FunnelData["counts"]): string {
  const reasons = Object.entries(c.byReason).sort((a, b) => b[1] - a[1]);
  if (!reasons.length) return "";
  return (
    `<h3>Dropped per reason</h3>` +
    countsTable("", ["reason", "rows", "share of input"], reasons.map(([r, n]) => [r, n, pct(n, c.rowsIn)]), (_r, col) => (col === 1 ? ` data-field="reason-count"` : "")) +
    barChart(reasons.map(([r, n]) => ({ label: r, values: [n] })), ["dropped"], { title: "dropped per reason" })
  );
}

function sourceTable(d: FunnelData): string {
  const sources = Object.entries(d.counts.bySource);
  if (!sources.length) return "";
  let s = `<h3>Per source</h3><table id="source-table"><thead><tr><th>source</th><th>in</th><th>kept</th><th>dropped</th><th>kept share</th><th>top drop reasons</th></tr></thead><tbody>`;
  for (const [name, src] of sources) {
    const top = Object.entries(d.reasonBySource[name] ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([r, n]) => `${h(r)} ${fmt(n)}`)
      .join(", ");
    s += `<tr data-source="${h(name)}"><td>${h(name)}</td><td class="num" data-field="in">${fmt(src.in)}</td><td class="num" data-field="kept">${fmt(src.kept)}</td><td class="num" data-field="dropped">${fmt(src.dropped)}</td><td class="num">${pct(src.kept, src.in)}</td><td>${top}</td></tr>`;
  }
  s += `</tbody></table>`;
  return s + barChart(sources.map(([n, src]) => ({ label: n, values: [src.in, src.kept] })), ["in", "kept"], { title: "rows per source" });
}

function renderFunnel(d: FunnelData): string {
  const c = d.counts;
  let s = stageTable(c) + reasonTable(c) + sourceTable(d);
  if (d.scanned.kept !== c.kept || d.scanned.dropped !== c.dropped) {
    s += `<p class="note"><b>Warning:</b> the shards hold ${fmt(d.scanned.kept)} kept and ${fmt(d.scanned.dropped)} dropped rows; the manifest says ${fmt(c.kept)} and ${fmt(c.dropped)}.</p>`;
  }
  return s;
}

export const funnelSection: ReportSection<FunnelData> = {
  id: "funnel",
  nav: "Funnel",
  title: "Funnel",
  columns: ["source"],
  droppedColumns: ["reason"],
  collect: collectFunnel,
  render: renderFunnel,
};
