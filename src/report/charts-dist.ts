/**
 * SVG charts for distributions and shares: a binned histogram (log or share axis, linear or log
 * counts) with thresholds drawn as lines, bars of a share scaled to the largest share (a 1 % drop next
 * to a 40 % one still shows), and one 100 % bar split by part. Every label goes through escape.ts;
 * bars and lines carry data-* attributes so the browser test can measure them.
 */
import { escapeHtml as h } from "./escape.js";
import { fmt } from "./charts.js";
import { binPosition, binRange, LOG_BINS, logLower, PER_DECADE, SHARE_BINS, shortNumber, type BinScale } from "./bins.js";

export const COLORS = { all: "#c7c7c7", kept: "#4e79a7", reasoning: "#4e79a7", solution: "#f28e2b", threshold: "#d62728" };
/** drop reasons' colours: no green, which stands for kept */
const PALETTE = ["#e15759", "#f28e2b", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#4e79a7", "#8cd17d"];
/** the narrowest bar drawn for a non-zero count, in px, so a small share is never invisible */
export const MIN_BAR_PX = 3;

export interface DistSeries {
  name: string;
  counts: number[];
  color: string;
}

export interface Threshold {
  value: number;
  /** e.g. "maxRepetition 0.5" */
  label: string;
}

export interface DistChartOptions {
  title: string;
  xLabel: string;
  scale: BinScale;
  series: DistSeries[];
  thresholds?: Threshold[];
  /** overlay: the second series drawn narrower over the first (all vs kept); side: bars side by side */
  mode?: "overlay" | "side";
  /** log: bar heights ∝ log(1 + count), so a bin of 3 rows shows beside one of 30,000 */
  yScale?: "linear" | "log";
  width?: number;
  height?: number;
  /** data-chart attribute, for tests and links */
  id?: string;
}

/** The bins to draw: log axes from the first to the last non-empty bin (and any threshold), share axes all. */
function visibleBins(o: DistChartOptions): [number, number] {
  if (o.scale === "share") return [0, SHARE_BINS];
  let lo = LOG_BINS;
  let hi = 0;
  for (const s of o.series) {
    s.counts.forEach((c, i) => {
      if (c > 0) {
        lo = Math.min(lo, i);
        hi = Math.max(hi, i + 1);
      }
    });
  }
  for (const t of o.thresholds ?? []) {
    const p = binPosition("log", t.value);
    lo = Math.min(lo, Math.floor(p));
    hi = Math.max(hi, Math.ceil(p) + 1);
  }
  if (hi <= lo) return [0, 1];
  // whole decades at both ends read better, and keep at least one decade in view
  lo = lo <= 1 ? lo : 1 + Math.floor((lo - 1) / PER_DECADE) * PER_DECADE;
  hi = Math.min(LOG_BINS, Math.max(hi, lo + PER_DECADE));
  return [lo, hi];
}

/** x-axis ticks: decades on a log axis (and 0), quarters on a share axis. */
function xTicks(scale: BinScale, lo: number, hi: number): { pos: number; label: string }[] {
  if (scale === "share") return [0, 0.25, 0.5, 0.75, 1].map((v) => ({ pos: v * SHARE_BINS, label: String(v) }));
  const ticks: { pos: number; label: string }[] = [];
  if (lo === 0) ticks.push({ pos: 0.5, label: "0" });
  for (let b = Math.max(1, lo); b <= hi; b++) if ((b - 1) % PER_DECADE === 0) ticks.push({ pos: b, label: shortNumber(logLower(b)) });
  return ticks;
}

function yTicks(max: number, yScale: "linear" | "log"): number[] {
  if (yScale === "log") {
    const t: number[] = [];
    for (let v = 1; v <= max; v *= 10) t.push(v);
    return t;
  }
  return [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
}

export function distChart(o: DistChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 220;
  const padL = 56;
  const padR = 12;
  const padT = 18;
  const padB = 38;
  const plotW = width - padL - padR;
  const plotH = height - padT - padB;
  const [lo, hi] = visibleBins(o);
  const bw = plotW / (hi - lo);
  const yScale = o.yScale ?? "linear";
  const max = Math.max(1, ...o.series.flatMap((s) => s.counts.slice(lo, hi)));
  const y = (c: number) => (yScale === "log" ? Math.log10(1 + c) / Math.log10(1 + max) : c / max) * plotH;
  const xAt = (pos: number) => padL + (pos - lo) * bw;
  let svg = `<svg class="chart dist" data-chart="${h(o.id ?? "")}" role="img" aria-label="${h(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
  for (const v of yTicks(max, yScale)) {
    const ty = padT + plotH - y(v);
    svg += `<line x1="${padL}" y1="${ty.toFixed(1)}" x2="${width - padR}" y2="${ty.toFixed(1)}" stroke="#eee"/><text x="${padL - 4}" y="${(ty + 4).toFixed(1)}" text-anchor="end" class="val">${h(shortNumber(v))}</text>`;
  }
  svg += `<line x1="${padL}" y1="${padT + plotH}" x2="${width - padR}" y2="${padT + plotH}" stroke="#888"/>`;
  const side = o.mode === "side";
  o.series.forEach((s, j) => {
    for (let b = lo; b < hi; b++) {
      const c = s.counts[b] ?? 0;
      if (c <= 0) continue;
      const bh = Math.max(1, y(c));
      const inset = side ? (bw / o.series.length) * j : j === 0 ? 0 : bw * 0.2;
      const w = side ? bw / o.series.length : j === 0 ? bw : bw * 0.6;
      svg += `<rect data-series="${h(s.name)}" data-bin="${b}" x="${(xAt(b) + inset + 0.5).toFixed(1)}" y="${(padT + plotH - bh).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.color}"><title>${h(s.name)}, ${h(binRange(o.scale, b))}: ${fmt(c)} rows</title></rect>`;
    }
  });
  for (const t of xTicks(o.scale, lo, hi)) svg += `<text x="${xAt(t.pos).toFixed(1)}" y="${padT + plotH + 14}" text-anchor="middle" class="val">${h(t.label)}</text>`;
  for (const t of o.thresholds ?? []) {
    const x = xAt(binPosition(o.scale, t.value));
    svg += `<line class="threshold" data-threshold="${h(t.label)}" x1="${x.toFixed(1)}" y1="${padT - 4}" x2="${x.toFixed(1)}" y2="${padT + plotH}" stroke="${COLORS.threshold}" stroke-width="2" stroke-dasharray="5 3"/>`;
    // the label sits right of the line, or left of it when the line is in the right third
    const left = x > padL + (plotW * 2) / 3;
    svg += `<text x="${(left ? x - 4 : x + 4).toFixed(1)}" y="${padT + 6}"${left ? ` text-anchor="end"` : ""} class="lbl" fill="${COLORS.threshold}">${h(t.label)}</text>`;
  }
  const legend = o.series.map((s) => `<tspan fill="${s.color}">■</tspan> ${h(s.name)}`).join("  ");
  svg += `<text x="${padL}" y="${height - 6}" class="lbl">${h(o.xLabel)}${o.scale === "log" ? " (log axis)" : ""}${yScale === "log" ? ", rows on a log axis" : ""} — ${legend}</text>`;
  return svg + "</svg>";
}

export interface ShareRow {
  label: string;
  count: number;
  /** count / the row count it is a share of */
  share: number;
  /** data-key attribute of the bar */
  key: string;
  /** the bar's colour, else the chart's */
  color?: string;
}

/**
 * One bar per row, its length the share scaled to the largest share in the chart (so the largest
 * fills the plot), at least MIN_BAR_PX for any non-zero count; labelled with share and count.
 */
export function shareBars(rows: ShareRow[], opts: { title: string; id: string; color?: string }): string {
  if (!rows.length) return "";
  const width = 720;
  const labelW = Math.min(260, Math.max(90, ...rows.map((r) => Math.min(36, r.label.length) * 7 + 10)));
  const valueW = 130;
  const plotW = width - labelW - valueW;
  const barH = 14;
  const rowH = 20;
  const height = rows.length * rowH + 6;
  const max = Math.max(...rows.map((r) => r.share), 1e-12);
  let svg = `<svg class="chart shares" data-chart="${h(opts.id)}" role="img" aria-label="${h(opts.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
  rows.forEach((r, i) => {
    const y = i * rowH + 3;
    const w = r.count > 0 ? Math.max(MIN_BAR_PX, (r.share / max) * plotW) : 0;
    const label = r.label.length > 36 ? r.label.slice(0, 35) + "…" : r.label;
    svg += `<text x="${labelW - 6}" y="${y + barH - 3}" text-anchor="end" class="lbl">${h(label)}<title>${h(r.label)}</title></text>`;
    svg += `<rect data-key="${h(r.key)}" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${r.color ?? opts.color ?? PALETTE[0]}"><title>${h(r.label)}: ${fmt(r.count)} rows, ${(100 * r.share).toFixed(2)}%</title></rect>`;
    svg += `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 3}" class="val">${h(sharePct(r.share))} · ${fmt(r.count)}</text>`;
  });
  return svg + "</svg>";
}

/**
 * One colour per drop reason, in the order given (the run's reasons, largest first), so a reason has
 * the same colour in every split bar of the page.
 */
export function reasonColors(reasons: string[]): Map<string, string> {
  return new Map(reasons.map((r, i) => [r, PALETTE[i % PALETTE.length]!]));
}

/** A share as a percentage that never reads 0.0% for a non-zero share. */
export function sharePct(x: number): string {
  if (x > 0 && x < 0.001) return "<0.1%";
  return `${(100 * x).toFixed(1)}%`;
}

/**
 * One 100 % bar split into parts (kept, then each drop reason), each non-zero part at least
 * MIN_BAR_PX wide (the widest part gives up the difference), with a legend underneath.
 */
export function stackedBar(parts: { label: string; count: number; key: string; color?: string }[], opts: { title: string; id: string }): string {
  const total = parts.reduce((a, p) => a + p.count, 0);
  if (total <= 0) return "";
  const width = 720;
  const barH = 26;
  const widths = parts.map((p) => (p.count > 0 ? Math.max(MIN_BAR_PX, (p.count / total) * width) : 0));
  const over = widths.reduce((a, w) => a + w, 0) - width;
  if (over > 0) {
    const widest = widths.indexOf(Math.max(...widths));
    widths[widest] = widths[widest]! - over;
  }
  let svg = `<svg class="chart stacked" data-chart="${h(opts.id)}" role="img" aria-label="${h(opts.title)}" viewBox="0 0 ${width} ${barH}" width="${width}" height="${barH}" xmlns="http://www.w3.org/2000/svg">`;
  let x = 0;
  const legend: string[] = [];
  parts.forEach((p, i) => {
    const color = p.color ?? PALETTE[i % PALETTE.length]!;
    if (widths[i]! > 0) svg += `<rect data-key="${h(p.key)}" x="${x.toFixed(1)}" y="0" width="${widths[i]!.toFixed(1)}" height="${barH}" fill="${color}" stroke="#fff" stroke-width="0.5"><title>${h(p.label)}: ${fmt(p.count)} rows, ${sharePct(p.count / total)}</title></rect>`;
    x += widths[i]!;
    legend.push(`<span class="swatch" style="background:${color}"></span>${h(p.label)} <b>${sharePct(p.count / total)}</b> (${fmt(p.count)})`);
  });
  return svg + `</svg><div class="legend">${legend.map((l) => `<span>${l}</span>`).join("")}</div>`;
}
