/**
 * Signals: for every signal a row can raise (each verdict, truncation, repetition, language mix,
 * contamination, too long, duplicate, …), how many rows raise it — whichever stage dropped them, or
 * none — and how many of those were kept. The funnel shows only the first reason that dropped a row;
 * this table shows what else was wrong with it.
 *
 * The run's manifest.signals is the source when present (counted in the write step). Runs written
 * before it are counted here from the rows the report reads: verdicts, annotations.quality against the
 * run's thresholds, benchmark matches, token limits, and duplicate drops (duplicates are only known
 * from the group step's drop reasons).
 */
import { escapeHtml as h } from "../escape.js";
import { fmt } from "../charts.js";
import { sharePct } from "../charts-dist.js";
import type { ReportRow, ReportScan, ReportSection, SectionCollector } from "../section.js";
import { numOrNull, str } from "../values.js";
import { filterThreshold, QUALITY_SIGNALS } from "./quality.js";

export interface SignalCount {
  signal: string;
  /** the funnel stage whose reason this signal is (manifest only) */
  stage: string | null;
  rows: number;
  kept: number;
  /** rows dropped with this signal as their reason (manifest only; null when counted from rows) */
  droppedAs: number | null;
}

export interface SignalsData {
  /** null when no row raised any signal and the manifest has none */
  signals: { basis: "manifest" | "rows"; rowsIn: number; list: SignalCount[] } | null;
}

const count = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);

/**
 * manifest.signals (counted in the write step: run/write-parts.ts SignalCounter): `[{ signal, stage, rows, kept,
 * droppedAs }]`. Null when absent (runs written before it) or not of that shape.
 */
export function manifestSignals(v: unknown): SignalCount[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const list: SignalCount[] = [];
  for (const e of v as Record<string, unknown>[]) {
    const rows = count(e?.rows);
    const kept = count(e?.kept);
    const droppedAs = count(e?.droppedAs);
    if (typeof e?.signal !== "string" || rows === null || kept === null || droppedAs === null) return null;
    list.push({ signal: e.signal, stage: typeof e.stage === "string" ? e.stage : null, rows, kept, droppedAs });
  }
  return list;
}

/** The fallback: what a row raises, from its columns and annotations. */
function rowSignals(scan: ReportScan): (r: ReportRow, raise: (signal: string) => void) => void {
  const thresholds = QUALITY_SIGNALS.map((s) => ({ ...s, threshold: filterThreshold(scan.manifest, s.filter) })).filter((s) => s.threshold !== null);
  const names: Record<string, string> = { repetition: "quality:repetition", tailLoopTokens: "quality:tail_loop", foreignShareMax: "quality:language_mix", codeShare: "quality:code", longestParagraphChars: "quality:long_paragraph", reasoningChars: "quality:short_reasoning" };
  const limits: [string, string, "max" | "min", number | null][] = [
    ["tokens_response", "too_long:response", "max", filterThreshold(scan.manifest, "maxResponseTokens")],
    ["tokens_reasoning", "too_long:reasoning", "max", filterThreshold(scan.manifest, "maxReasoningTokens")],
    ["tokens_solution", "too_long:solution", "max", filterThreshold(scan.manifest, "maxSolutionTokens")],
    ["tokens_response", "too_short:response", "min", filterThreshold(scan.manifest, "minResponseTokens")],
  ];
  return ({ row, ann, kept }, raise) => {
    if (typeof row.verdict === "string" && row.verdict) raise(`verdict:${row.verdict}`);
    const q = ann.quality;
    if (q && typeof q === "object") {
      if (q.truncated === true) raise("quality:truncated");
      if (q.hasFinalAnswer === false) raise("quality:no_final_answer");
      if (q.conflictingAnswers === true) raise("quality:conflicting_answers");
      for (const t of thresholds) {
        const v = q[t.key];
        if (typeof v === "number" && (t.side === "max" ? v > t.threshold! : v < t.threshold!)) raise(names[t.key] ?? `quality:${t.key}`);
      }
    }
    const matches = Array.isArray(ann.contamination) ? (ann.contamination as Record<string, unknown>[]) : [];
    const benchmarks = new Set(matches.map((m) => str(m.benchmark)).filter(Boolean));
    if (!benchmarks.size && typeof row.contaminated === "string") for (const b of row.contaminated.split(",")) if (b) benchmarks.add(b);
    if (benchmarks.size || matches.length) raise("contaminated");
    for (const b of benchmarks) raise(`contaminated:${b}`);
    for (const [column, signal, side, limit] of limits) {
      const v = numOrNull(row[column]);
      if (limit !== null && v !== null && (side === "max" ? v > limit : v < limit)) raise(signal);
    }
    if (!kept && typeof row.reason === "string" && row.reason.startsWith("duplicate:")) raise(row.reason);
  };
}

function collectSignals(scan: ReportScan): SectionCollector<SignalsData> {
  const rowsIn = typeof scan.manifest.counts?.rowsIn === "number" ? scan.manifest.counts.rowsIn : 0;
  const fromManifest = manifestSignals(scan.manifest.signals);
  if (fromManifest) return { finish: () => ({ signals: { basis: "manifest", rowsIn, list: sortSignals(fromManifest) } }) };
  const tally = new Map<string, { rows: number; kept: number }>();
  const signalsOf = rowSignals(scan);
  let scanned = 0;
  return {
    row(r) {
      scanned++;
      signalsOf(r, (signal) => {
        let t = tally.get(signal);
        if (!t) tally.set(signal, (t = { rows: 0, kept: 0 }));
        t.rows++;
        if (r.kept) t.kept++;
      });
    },
    finish() {
      if (!tally.size) return { signals: null };
      const list = [...tally.entries()].map(([signal, t]) => ({ signal, stage: null, rows: t.rows, kept: t.kept, droppedAs: null }));
      return { signals: { basis: "rows", rowsIn: rowsIn || scanned, list: sortSignals(list) } };
    },
  };
}

function sortSignals(list: SignalCount[]): SignalCount[] {
  return [...list].sort((a, b) => b.rows - a.rows || (a.signal < b.signal ? -1 : 1));
}

/** Rows of the table at most: signal names include benchmark names, which a run's data can multiply. */
const SHOWN = 200;

function renderSignals(d: SignalsData): string | null {
  const x = d.signals;
  if (!x) return null;
  const basis = x.basis === "manifest"
    ? "From the manifest's <code>signals</code> table (counted when the run wrote its rows)."
    : "Counted here from the rows of data/ and rejected/ (this run's manifest has no <code>signals</code> table): verdicts, quality flags, quality values past the run's thresholds, benchmark matches, token limits, and duplicate drops.";
  let s = `<p class="note">${basis} A row counts under every signal it raises, whichever stage dropped it; the funnel counts only the first reason.</p>`;
  s += `<table id="signals-table"><thead><tr><th>signal</th><th>stage</th><th>rows raising it</th><th>share of rows in</th><th>kept</th><th>dropped for it</th><th>dropped for another cause</th><th></th></tr></thead><tbody>`;
  const max = Math.max(1, ...x.list.map((e) => e.rows));
  for (const e of x.list.slice(0, SHOWN)) {
    const width = e.rows > 0 ? Math.max(3, (160 * e.rows) / max) : 0;
    const keptW = e.rows > 0 ? (width * e.kept) / e.rows : 0;
    const other = e.droppedAs === null ? null : e.rows - e.kept - e.droppedAs;
    s += `<tr data-signal="${h(e.signal)}"><td>${h(e.signal)}</td><td>${h(e.stage ?? "—")}</td><td class="num" data-field="rows">${fmt(e.rows)}</td><td class="num">${sharePct(e.rows / Math.max(1, x.rowsIn))}</td>`;
    s += `<td class="num" data-field="kept">${fmt(e.kept)}</td><td class="num" data-field="dropped-as">${e.droppedAs === null ? "—" : fmt(e.droppedAs)}</td><td class="num" data-field="dropped-other">${other === null ? `${fmt(e.rows - e.kept)} (any cause)` : fmt(other)}</td>`;
    s += `<td><span class="minibar" style="width:${width.toFixed(0)}px"><span style="width:${keptW.toFixed(0)}px"></span></span></td></tr>`;
  }
  const more = x.list.length > SHOWN ? ` The ${fmt(x.list.length - SHOWN)} least raised signals are not shown.` : "";
  return s + `</tbody></table><p class="caption">Bar: rows raising the signal (scaled to the most raised), the blue part kept.${more}</p>`;
}

export const signalsSection: ReportSection<SignalsData> = {
  id: "signals",
  nav: "Signals",
  title: "Signals: rows raising each, and how many were kept",
  columns: ["verdict", "contaminated", "tokens_reasoning", "tokens_solution", "tokens_response"],
  droppedColumns: ["reason"],
  collect: collectSignals,
  render: renderSignals,
};
