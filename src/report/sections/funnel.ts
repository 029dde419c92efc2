/**
 * Funnel: rows in, kept and dropped per stage (from the manifest), where the rows went (one 100 % bar,
 * and each reason's and each stage's share drawn against the largest share, so a 1 % drop shows next
 * to a 40 % one), drops per reason, per source with each source's top drop reasons (from rejected/),
 * and a warning when the shards disagree with the manifest's counts.
 */
import { escapeHtml as h } from "../escape.js";
import { countsTable, fmt, pct } from "../charts.js";
import { reasonColors, shareBars, sharePct, stackedBar } from "../charts-dist.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";
import { str } from "../values.js";

const KEPT_COLOR = "#59a14f";

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
  s += `<table id="funnel-table"><thead><tr><th>stage</th><th>in</th><th>kept</th><th>dropped</th><th>dropped share</th><th>reasons</th></tr></thead><tbody>`;
  for (const st of c.stages) {
    const reasons = Object.entries(st.reasons ?? {})
      .map(([r, n]) => `<span class="tag" data-reason="${h(r)}">${h(r)} ${fmt(n)}</span>`)
      .join(" ");
    s += `<tr data-stage="${h(st.stage)}"><td>${h(st.stage)}</td><td class="num" data-field="in">${fmt(st.in)}</td><td class="num" data-field="kept">${fmt(st.kept)}</td><td class="num" data-field="dropped">${fmt(st.dropped)}</td><td class="num">${st.dropped ? sharePct(st.dropped / Math.max(1, st.in)) : ""}</td><td>${reasons}</td></tr>`;
  }
  return s + `</tbody></table>`;
}

/** Kept first, then every drop reason, largest first: the parts of one 100 % bar. */
function parts(kept: number, reasons: Record<string, number>, colors: Map<string, string>): { label: string; count: number; key: string; color?: string }[] {
  const drops = byCount(reasons);
  return [{ label: "kept", count: kept, key: "kept", color: KEPT_COLOR }, ...drops.map(([r, n]) => ({ label: r, count: n, key: r, color: colors.get(r) }))];
}

/** Reasons largest first, ties by name. */
function byCount(reasons: Record<string, number>): [string, number][] {
  return Object.entries(reasons).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** The run's reasons' colours (charts-dist.ts), the same in every split bar. */
function runColors(c: FunnelData["counts"]): Map<string, string> {
  return reasonColors(byCount(c.byReason).map(([r]) => r));
}

/**
 * Where the rows went: one 100 % bar (kept and each reason), then each reason's share of the rows
 * in and each stage's share of the rows it saw, both scaled to the largest share so small drops show.
 */
function dropShares(c: FunnelData["counts"]): string {
  const reasons = Object.entries(c.byReason).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (!reasons.length || c.rowsIn <= 0) return "";
  const colors = runColors(c);
  let s = `<h3>Where the rows went</h3><div id="drop-share">` + stackedBar(parts(c.kept, c.byReason, colors), { title: "share of the rows in: kept and each drop reason", id: "rows-split" });
  s += `<p class="caption">Share of the ${fmt(c.rowsIn)} rows in that each reason removed (bars scaled to the largest share):</p>`;
  s += shareBars(reasons.map(([r, n]) => ({ label: r, count: n, share: n / c.rowsIn, key: r, color: colors.get(r) })), { title: "share of the rows in removed per reason", id: "reason-share" });
  const stages = c.stages.filter((st) => st.dropped > 0 && st.in > 0);
  if (stages.length) {
    s += `<p class="caption">Share of the rows reaching each stage that it dropped:</p>`;
    s += shareBars(stages.map((st) => ({ label: `${st.stage} (of ${fmt(st.in)})`, count: st.dropped, share: st.dropped / st.in, key: st.stage })), { title: "share dropped per stage", id: "stage-share", color: "#f28e2b" });
  }
  return s + `</div>`;
}

function reasonTable(c: FunnelData["counts"]): string {
  const reasons = Object.entries(c.byReason).sort((a, b) => b[1] - a[1]);
  if (!reasons.length) return "";
  return (
    `<h3>Dropped per reason</h3>` +
    countsTable("", ["reason", "rows", "share of input"], reasons.map(([r, n]) => [r, n, n ? sharePct(n / Math.max(1, c.rowsIn)) : "0.0%"]), (_r, col) => (col === 1 ? ` data-field="reason-count"` : ""))
  );
}

/** Sources drawn as their own 100 % bars, at most this many (the table lists all). */
const SOURCE_BARS = 20;

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
  const colors = runColors(d.counts);
  for (const [name, src] of sources.slice(0, SOURCE_BARS)) {
    s += `<div class="head">${h(name)}: ${fmt(src.in)} rows in</div>` + stackedBar(parts(src.kept, d.reasonBySource[name] ?? {}, colors), { title: `${name}: kept and each drop reason`, id: `source-split` });
  }
  return s;
}

function renderFunnel(d: FunnelData): string {
  const c = d.counts;
  let s = stageTable(c) + dropShares(c) + reasonTable(c) + sourceTable(d);
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
