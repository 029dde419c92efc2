/** Response length: a token-length histogram of all rows against kept rows, and their quantiles. */
import { countsTable, histChart } from "../charts.js";
import type { ReportSection, SectionCollector } from "../section.js";
import { histogram, IntSeries, type Histogram } from "../stats.js";
import { numOrNull } from "../values.js";

export interface LengthsData {
  /** null when no row has tokens_response */
  lengths: { before: Histogram; after: Histogram } | null;
}

function collectLengths(): SectionCollector<LengthsData> {
  const before = new IntSeries();
  const after = new IntSeries();
  let anyTokens = false;
  return {
    row({ row, kept }) {
      const tokens = numOrNull(row.tokens_response);
      if (tokens === null) return;
      anyTokens = true;
      before.push(tokens);
      if (kept) after.push(tokens);
    },
    finish() {
      if (!anyTokens) return { lengths: null };
      const b = histogram(before, 24);
      return { lengths: { before: b, after: histogram(after, 24, b.width, b.counts.length) } };
    },
  };
}

function renderLengths(d: LengthsData): string | null {
  if (!d.lengths) return null;
  const { before: b, after: a } = d.lengths;
  return (
    histChart(b, a, "token-length histogram") +
    countsTable("", ["", "rows", "min", "p50", "p90", "p99", "max", "mean"], [
      ["before (all rows)", b.n, b.min, b.p50, b.p90, b.p99, b.max, Math.round(b.mean)],
      ["after (kept)", a.n, a.min, a.p50, a.p90, a.p99, a.max, Math.round(a.mean)],
    ])
  );
}

export const lengthsSection: ReportSection<LengthsData> = {
  id: "lengths",
  nav: "Lengths",
  title: "Response length (tokens)",
  columns: ["tokens_response"],
  collect: collectLengths,
  render: renderLengths,
};
