/**
 * The report's building blocks: number formats, tables, preformatted text and two inline SVG charts
 * (horizontal bars, and an overlaid histogram). Every label and cell goes through escape.ts here, so
 * a section passes raw strings from the run and never escapes by hand for these.
 */
import { escapeHtml as h } from "./escape.js";
import type { Histogram } from "./stats.js";

export const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString("en-US") : "—");
export const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "—");

const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** Horizontal bar chart of label → value (one or two series). */
export function barChart(rows: { label: string; values: number[] }[], series: string[], opts: { width?: number; title: string }): string {
  if (!rows.length) return "";
  const width = opts.width ?? 640;
  const labelW = Math.min(240, Math.max(80, ...rows.map((r) => r.label.length * 7 + 10)));
  const barH = 14;
  const gap = 6;
  const rowH = series.length * barH + gap;
  const valueW = 90;
  const plotW = width - labelW - valueW;
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const height = rows.length * rowH + 24;
  let svg = `<svg class="chart" role="img" aria-label="${h(opts.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
  rows.forEach((r, i) => {
    const y = i * rowH;
    svg += `<text x="${labelW - 6}" y="${y + (series.length * barH) / 2 + 4}" text-anchor="end" class="lbl">${h(r.label.length > 34 ? r.label.slice(0, 33) + "…" : r.label)}<title>${h(r.label)}</title></text>`;
    r.values.forEach((v, j) => {
      const w = Math.max(v > 0 ? 1 : 0, (v / max) * plotW);
      svg += `<rect x="${labelW}" y="${y + j * barH}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${PALETTE[j % PALETTE.length]}"><title>${h(series[j] ?? "")}: ${fmt(v)}</title></rect>`;
      svg += `<text x="${labelW + w + 4}" y="${y + j * barH + barH - 4}" class="val">${fmt(v)}</text>`;
    });
  });
  if (series.length > 1) {
    let x = labelW;
    series.forEach((s, j) => {
      svg += `<rect x="${x}" y="${height - 14}" width="10" height="10" fill="${PALETTE[j % PALETTE.length]}"/><text x="${x + 14}" y="${height - 5}" class="lbl">${h(s)}</text>`;
      x += 24 + s.length * 7;
    });
  }
  return svg + "</svg>";
}

/** Vertical histogram, two series overlaid (before = grey, after = blue). */
export function histChart(before: Histogram, after: Histogram | null, title: string): string {
  const width = 720;
  const height = 240;
  const padL = 56;
  const padB = 40;
  const plotW = width - padL - 10;
  const plotH = height - padB - 10;
  const n = before.counts.length;
  const max = Math.max(1, ...before.counts);
  const bw = plotW / n;
  let svg = `<svg class="chart" role="img" aria-label="${h(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
  svg += `<line x1="${padL}" y1="${10 + plotH}" x2="${width - 10}" y2="${10 + plotH}" stroke="#888"/>`;
  for (let t = 0; t <= 4; t++) {
    const v = Math.round((max * t) / 4);
    const y = 10 + plotH - (plotH * t) / 4;
    svg += `<text x="${padL - 4}" y="${y + 4}" text-anchor="end" class="val">${fmt(v)}</text><line x1="${padL}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="#eee"/>`;
  }
  for (let i = 0; i < n; i++) {
    const x = padL + i * bw;
    const b = before.counts[i]!;
    const a = after?.counts[i] ?? 0;
    const hb = (b / max) * plotH;
    const ha = (a / max) * plotH;
    const range = before.overflow && i === n - 1 ? `≥ ${fmt(before.edges[i]!)} tokens` : `${fmt(before.edges[i]!)}–${fmt(before.edges[i]! + before.width - 1)} tokens`;
    svg += `<rect x="${(x + 1).toFixed(1)}" y="${(10 + plotH - hb).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${hb.toFixed(1)}" fill="#c7c7c7"><title>${range}: ${fmt(b)} rows before</title></rect>`;
    if (after) svg += `<rect x="${(x + 1 + bw * 0.2).toFixed(1)}" y="${(10 + plotH - ha).toFixed(1)}" width="${Math.max(1, bw * 0.6 - 2).toFixed(1)}" height="${ha.toFixed(1)}" fill="#4e79a7"><title>${range}: ${fmt(a)} rows kept</title></rect>`;
    if (i % Math.max(1, Math.ceil(n / 8)) === 0) svg += `<text x="${x}" y="${height - padB + 16}" class="val">${fmt(before.edges[i]!)}</text>`;
  }
  svg += `<text x="${padL}" y="${height - 6}" class="lbl">tokens_response (bin width ${fmt(before.width)}${before.overflow ? ", last bin holds the long tail" : ""}) — grey: all rows, blue: kept</text>`;
  return svg + "</svg>";
}

/** A table: strings are escaped, numbers formatted and right-aligned; `attrs` adds attributes to a cell. */
export function countsTable(title: string, cols: string[], rows: (string | number)[][], attrs?: (r: number, c: number) => string): string {
  let t = `<table><thead><tr>${cols.map((c) => `<th>${h(c)}</th>`).join("")}</tr></thead><tbody>`;
  rows.forEach((r, i) => {
    t += "<tr>" + r.map((v, j) => (typeof v === "number" ? `<td class="num"${attrs ? attrs(i, j) : ""}>${fmt(v)}</td>` : `<td${attrs ? attrs(i, j) : ""}>${h(v)}</td>`)).join("") + "</tr>";
  });
  return t + `</tbody></table>${title ? `<p class="caption">${h(title)}</p>` : ""}`;
}

/** Preformatted text (trace excerpts, JSON), escaped. */
export function pre(text: string, cls = ""): string {
  return `<pre class="${cls}">${h(text)}</pre>`;
}
