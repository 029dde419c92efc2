/**
 * Lengths in tokens, on a log axis (long-CoT responses run from tens to ~100,000 tokens, which linear
 * bins squash into two bars): the response of all rows against kept rows with the run's length limits
 * drawn, then per source the reasoning against the final solution, and quantiles per source.
 * Histograms use the fixed bins of bins.ts; quantiles keep one Int32 per row and value.
 */
import { escapeHtml as h } from "../escape.js";
import { countsTable } from "../charts.js";
import { COLORS, distChart, type Threshold } from "../charts-dist.js";
import { BinnedSeries } from "../bins.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";
import { IntSeries } from "../stats.js";
import { numOrNull, str } from "../values.js";

export interface Quantiles {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface SourceLengths {
  source: string;
  reasoning: { all: number[]; q: Quantiles };
  solution: { all: number[]; q: Quantiles };
  response: Quantiles;
}

export interface LengthsData {
  /** null when no row has tokens_response */
  lengths: {
    /** response tokens over the log bins of bins.ts, all rows and kept rows */
    response: { all: number[]; kept: number[]; allQ: Quantiles; keptQ: Quantiles };
    bySource: SourceLengths[];
    /** rows of the sources past SOURCE_LIMIT, counted under "(other sources)" */
    otherRows: number;
    /** the run's token limits (filters.max*Tokens / minResponseTokens) */
    limits: Record<string, number>;
  } | null;
}

/** Sources charted one by one; rows of further sources go to "(other sources)". */
const SOURCE_LIMIT = 16;
const OTHER = "(other sources)";
const LIMIT_KEYS = ["maxResponseTokens", "minResponseTokens", "maxReasoningTokens", "maxSolutionTokens"] as const;

function quantiles(s: IntSeries): Quantiles {
  const v = s.sorted();
  const n = v.length;
  const at = (q: number) => (n ? v[Math.min(n - 1, Math.floor(q * n))]! : 0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i]!;
  return { n, min: n ? v[0]! : 0, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n ? v[n - 1]! : 0, mean: n ? sum / n : 0 };
}

/** The run's token limits from manifest.config.filters, numbers only. */
function tokenLimits(manifest: Record<string, any>): Record<string, number> {
  const f = manifest.config?.filters;
  const out: Record<string, number> = {};
  if (f && typeof f === "object") for (const k of LIMIT_KEYS) if (typeof f[k] === "number" && Number.isFinite(f[k])) out[k] = f[k];
  return out;
}

interface SourceTally {
  reasoning: BinnedSeries;
  solution: BinnedSeries;
  reasoningQ: IntSeries;
  solutionQ: IntSeries;
  responseQ: IntSeries;
}

function collectLengths(scan: ReportScan): SectionCollector<LengthsData> {
  const response = new BinnedSeries("log");
  const all = new IntSeries();
  const kept = new IntSeries();
  const sources = new Map<string, SourceTally>();
  let otherRows = 0;
  const add = (name: string): SourceTally => {
    const t = { reasoning: new BinnedSeries("log"), solution: new BinnedSeries("log"), reasoningQ: new IntSeries(), solutionQ: new IntSeries(), responseQ: new IntSeries() };
    sources.set(name, t);
    return t;
  };
  const tally = (name: string): SourceTally => {
    const t = sources.get(name);
    if (t) return t;
    if (sources.size < SOURCE_LIMIT) return add(name);
    otherRows++;
    return sources.get(OTHER) ?? add(OTHER);
  };
  return {
    row({ row, kept: isKept }) {
      const tokens = numOrNull(row.tokens_response);
      if (tokens === null) return;
      response.add(tokens, isKept);
      all.push(tokens);
      if (isKept) kept.push(tokens);
      const t = tally(str(row.source));
      t.responseQ.push(tokens);
      const reasoning = numOrNull(row.tokens_reasoning);
      const solution = numOrNull(row.tokens_solution);
      if (reasoning !== null) {
        t.reasoning.add(reasoning, isKept);
        t.reasoningQ.push(reasoning);
      }
      if (solution !== null) {
        t.solution.add(solution, isKept);
        t.solutionQ.push(solution);
      }
    },
    finish() {
      if (!response.n) return { lengths: null };
      const bySource = [...sources.entries()]
        .sort((a, b) => (a[0] === OTHER ? 1 : b[0] === OTHER ? -1 : a[0] < b[0] ? -1 : 1))
        .map(([source, t]) => ({
          source,
          reasoning: { all: t.reasoning.all, q: quantiles(t.reasoningQ) },
          solution: { all: t.solution.all, q: quantiles(t.solutionQ) },
          response: quantiles(t.responseQ),
        }));
      return { lengths: { response: { all: response.all, kept: response.kept, allQ: quantiles(all), keptQ: quantiles(kept) }, bySource, otherRows, limits: tokenLimits(scan.manifest) } };
    },
  };
}

function limitLines(limits: Record<string, number>, keys: readonly string[]): Threshold[] {
  return keys.filter((k) => limits[k] !== undefined).map((k) => ({ value: limits[k]!, label: `${k} ${limits[k]!.toLocaleString("en-US")}` }));
}

function qRow(label: string, q: Quantiles): (string | number)[] {
  return [label, q.n, q.min, q.p50, q.p90, q.p99, q.max, Math.round(q.mean)];
}

function renderLengths(d: LengthsData): string | null {
  const L = d.lengths;
  if (!L) return null;
  let s = distChart({
    id: "response-tokens",
    title: "response tokens, all rows and kept rows",
    xLabel: "response tokens",
    scale: "log",
    series: [{ name: "all rows", counts: L.response.all, color: COLORS.all }, { name: "kept", counts: L.response.kept, color: COLORS.kept }],
    thresholds: limitLines(L.limits, ["maxResponseTokens", "minResponseTokens"]),
  });
  s += countsTable("", ["response tokens", "rows", "min", "p50", "p90", "p99", "max", "mean"], [qRow("all rows", L.response.allQ), qRow("kept", L.response.keptQ)]);
  s += `<h3>Reasoning and final solution, per source</h3><p class="note">All rows of each source (kept and dropped); a plain trace has no reasoning block, so its reasoning is 0 and its whole response is the solution.${L.otherRows ? ` Sources after the first ${SOURCE_LIMIT} are counted together as ${h(OTHER)} (${L.otherRows.toLocaleString("en-US")} rows).` : ""}</p><div class="grid2">`;
  for (const src of L.bySource) {
    s += `<div data-source-lengths="${h(src.source)}"><div class="head">${h(src.source)} · ${src.response.n.toLocaleString("en-US")} rows</div>`;
    s += distChart({
      id: "source-lengths",
      title: `${src.source}: reasoning and solution tokens`,
      xLabel: "tokens",
      scale: "log",
      mode: "side",
      width: 560,
      height: 190,
      series: [{ name: "reasoning", counts: src.reasoning.all, color: COLORS.reasoning }, { name: "solution", counts: src.solution.all, color: COLORS.solution }],
      thresholds: limitLines(L.limits, ["maxReasoningTokens", "maxSolutionTokens"]),
    });
    s += `</div>`;
  }
  s += `</div>`;
  const rows: (string | number)[][] = [];
  for (const src of L.bySource) {
    rows.push([src.source, "reasoning", ...qRow("", src.reasoning.q).slice(1)]);
    rows.push([src.source, "solution", ...qRow("", src.solution.q).slice(1)]);
    rows.push([src.source, "response", ...qRow("", src.response).slice(1)]);
  }
  return s + countsTable("", ["source", "part", "rows", "min", "p50", "p90", "p99", "max", "mean"], rows);
}

export const lengthsSection: ReportSection<LengthsData> = {
  id: "lengths",
  nav: "Lengths",
  title: "Lengths (tokens)",
  columns: ["source", "tokens_response", "tokens_reasoning", "tokens_solution"],
  collect: collectLengths,
  render: renderLengths,
};
