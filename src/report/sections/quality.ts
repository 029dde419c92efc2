/**
 * Quality signals: each numeric signal's distribution over all rows and kept rows, with the run's
 * threshold for it (from the config in the manifest) drawn as a line and the rows beyond it counted.
 * Shares sit on a [0, 1] axis, counts on a log axis; row counts on a log axis too, so the few rows past
 * a threshold show beside the many at zero. Reads `annotations.quality` (quality/types.ts).
 */
import { escapeHtml as h } from "../escape.js";
import { fmt } from "../charts.js";
import { COLORS, distChart, sharePct } from "../charts-dist.js";
import { BinnedSeries, type BinScale } from "../bins.js";
import type { ReportScan, ReportSection, SectionCollector } from "../section.js";

/** A quality signal the report draws, and the filter key that thresholds it. */
export interface QualitySignalSpec {
  /** key in annotations.quality */
  key: string;
  label: string;
  scale: BinScale;
  /** filters key; `max` drops values above it, `min` below */
  filter: string;
  side: "max" | "min";
}

export const QUALITY_SIGNALS: readonly QualitySignalSpec[] = [
  { key: "repetition", label: "repetition (repeated paragraphs or tail n-grams, share)", scale: "share", filter: "maxRepetition", side: "max" },
  { key: "tailLoopTokens", label: "tail loop (tokens)", scale: "log", filter: "maxTailLoopTokens", side: "max" },
  { key: "foreignShareMax", label: "foreign-script letters in the worst segment (share)", scale: "share", filter: "maxForeignScript", side: "max" },
  { key: "codeShare", label: "code (share of the response)", scale: "share", filter: "maxCodeShare", side: "max" },
  { key: "longestParagraphChars", label: "longest paragraph (characters)", scale: "log", filter: "maxParagraphChars", side: "max" },
  { key: "reasoningChars", label: "reasoning (characters)", scale: "log", filter: "minReasoningChars", side: "min" },
];

export interface QualityDist {
  key: string;
  label: string;
  scale: BinScale;
  filter: string;
  /** the run's threshold, null when the run sets none */
  threshold: number | null;
  side: "max" | "min";
  all: number[];
  kept: number[];
  n: number;
  /** rows past the threshold, and how many of them were kept */
  beyond: number;
  beyondKept: number;
}

export interface QualityData {
  /** null when no row has quality signals */
  quality: QualityDist[] | null;
}

/** The run's threshold for a filter key: a finite number in manifest.config.filters, else null. */
export function filterThreshold(manifest: Record<string, any>, key: string): number | null {
  const v = manifest.config?.filters?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function collectQuality(scan: ReportScan): SectionCollector<QualityData> {
  const specs = QUALITY_SIGNALS.map((spec) => ({ spec, threshold: filterThreshold(scan.manifest, spec.filter), series: new BinnedSeries(spec.scale), beyond: 0, beyondKept: 0 }));
  return {
    row({ ann, kept }) {
      const q = ann.quality;
      if (!q || typeof q !== "object") return;
      for (const s of specs) {
        const v = q[s.spec.key];
        if (typeof v !== "number" || !Number.isFinite(v)) continue;
        s.series.add(v, kept);
        if (s.threshold !== null && (s.spec.side === "max" ? v > s.threshold : v < s.threshold)) {
          s.beyond++;
          if (kept) s.beyondKept++;
        }
      }
    },
    finish() {
      const shown = specs.filter((s) => s.series.n > 0);
      if (!shown.length) return { quality: null };
      return {
        quality: shown.map((s) => ({ key: s.spec.key, label: s.spec.label, scale: s.spec.scale, filter: s.spec.filter, threshold: s.threshold, side: s.spec.side, all: s.series.all, kept: s.series.kept, n: s.series.n, beyond: s.beyond, beyondKept: s.beyondKept })),
      };
    },
  };
}

function renderOne(q: QualityDist): string {
  const past = q.side === "max" ? "above" : "below";
  const note = q.threshold === null
    ? `no threshold set (filters.${h(q.filter)})`
    : `<b data-field="beyond">${fmt(q.beyond)}</b> rows (${sharePct(q.beyond / Math.max(1, q.n))}) ${past} ${h(q.filter)} ${fmt(q.threshold)}, <span data-field="beyond-kept">${fmt(q.beyondKept)}</span> of them kept`;
  let s = `<div data-signal-dist="${h(q.key)}"><div class="head"><b>${h(q.label)}</b> · ${fmt(q.n)} rows · ${note}</div>`;
  s += distChart({
    id: `quality-${q.key}`,
    title: q.label,
    xLabel: q.key,
    scale: q.scale,
    yScale: "log",
    width: 560,
    height: 180,
    series: [{ name: "all rows", counts: q.all, color: COLORS.all }, { name: "kept", counts: q.kept, color: COLORS.kept }],
    thresholds: q.threshold === null ? [] : [{ value: q.threshold, label: `${q.filter} ${fmt(q.threshold)}` }],
  });
  return s + `</div>`;
}

function renderQuality(d: QualityData): string | null {
  if (!d.quality) return null;
  return `<p class="note">Grey: all rows; blue: kept. Red dashed line: the run's threshold (filters in the manifest's config); rows past it are dropped unless an earlier stage already dropped them.</p><div class="grid2">${d.quality.map(renderOne).join("")}</div>`;
}

export const qualitySection: ReportSection<QualityData> = {
  id: "quality",
  nav: "Quality signals",
  title: "Quality signals and thresholds",
  columns: [],
  collect: collectQuality,
  render: renderQuality,
};
