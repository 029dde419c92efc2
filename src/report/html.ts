/**
 * The self-contained HTML report: one file, inline CSS, inline SVG charts, a few lines of inline JS
 * (filtering sample tables), no network. Every string from the run goes through escape.ts; the page is
 * rendered on the server side so it reads fine with scripts off.
 */
import { createHash } from "node:crypto";
import { escapeHtml as h, highlightSpans, jsonForScript } from "./escape.js";
import type { ReportData } from "./collect.js";
import type { Histogram } from "./stats.js";

const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString("en-US") : "—");
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "—");

const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** Horizontal bar chart of label → value (one or two series). */
function barChart(rows: { label: string; values: number[] }[], series: string[], opts: { width?: number; title: string }): string {
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
function histChart(before: Histogram, after: Histogram | null, title: string): string {
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

function countsTable(title: string, cols: string[], rows: (string | number)[][], attrs?: (r: number, c: number) => string): string {
  let t = `<table><thead><tr>${cols.map((c) => `<th>${h(c)}</th>`).join("")}</tr></thead><tbody>`;
  rows.forEach((r, i) => {
    t += "<tr>" + r.map((v, j) => (typeof v === "number" ? `<td class="num"${attrs ? attrs(i, j) : ""}>${fmt(v)}</td>` : `<td${attrs ? attrs(i, j) : ""}>${h(v)}</td>`)).join("") + "</tr>";
  });
  return t + `</tbody></table>${title ? `<p class="caption">${h(title)}</p>` : ""}`;
}

function pre(text: string, cls = ""): string {
  return `<pre class="${cls}">${h(text)}</pre>`;
}

const CSS = `
:root{--fg:#1d1d1f;--muted:#6e6e73;--line:#e3e3e8;--bg:#fff;--accent:#4e79a7}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header{padding:16px 24px;border-bottom:1px solid var(--line);position:sticky;top:0;background:#fafafa;z-index:2}
header h1{margin:0;font-size:20px}header .meta{color:var(--muted);font-size:12px}
nav a{margin-right:12px;font-size:13px;color:var(--accent);text-decoration:none}
main{padding:8px 24px 48px;max-width:1280px}
section{margin:28px 0}h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.caption,.note{color:var(--muted);font-size:12px}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{border:1px solid var(--line);border-radius:6px;padding:8px 14px}
.kpi b{display:block;font-size:20px}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f9;border:1px solid var(--line);padding:6px 8px;margin:4px 0;max-height:320px;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
mark{background:#ffe08a;padding:0 1px}
.side{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}
.card .head{font-size:12px;color:var(--muted)}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;background:#eef;margin-right:4px}
.kept{background:#e3f4e1}.dropped{background:#fbe3e3}
svg.chart text.lbl{font-size:11px;fill:#333}svg.chart text.val{font-size:10px;fill:#666}
input.filter{margin:6px 0;padding:4px 8px;width:320px}
details>summary{cursor:pointer}
`;

// Inline script: filter boxes above sample lists; no network, no eval, reads only the DOM.
const SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var inputs = document.querySelectorAll("input.filter");
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", function(ev){
      var box = ev.target, q = box.value.toLowerCase();
      var scope = document.getElementById(box.getAttribute("data-target"));
      if (!scope) return;
      var items = scope.querySelectorAll(".card, tbody tr");
      for (var j = 0; j < items.length; j++) items[j].style.display = !q || items[j].textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
    });
  }
  var shown = document.getElementById("embedded-rows");
  if (shown && data && data.counts) shown.textContent = "embedded summary: " + data.counts.rowsIn + " rows in";
})();
`;

/** CSP hash of the one inline script: any other script or inline handler on the page is refused. */
const SCRIPT_HASH = "sha256-" + createHash("sha256").update(SCRIPT, "utf8").digest("base64");

export function renderReport(d: ReportData): string {
  const c = d.counts;
  const parts: string[] = [];
  const nav: [string, string][] = [["funnel", "Funnel"]];
  if (d.lengths) nav.push(["lengths", "Lengths"]);
  if (d.verifier || d.passRate) nav.push(["verifier", "Verifier"]);
  if (d.domains) nav.push(["domains", "Domains"]);
  if (d.contamination) nav.push(["contamination", "Contamination"]);
  if (d.clusters) nav.push(["clusters", "Near-duplicates"]);
  nav.push(["drops", "Drop samples"], ["outputs", "Outputs"]);

  // ---------------------------------------------------------------- funnel
  let funnel = `<section id="funnel"><h2>Funnel</h2><div class="kpis">`;
  funnel += `<div class="kpi">rows in<b data-kpi="rowsIn">${fmt(c.rowsIn)}</b></div><div class="kpi">kept<b data-kpi="kept">${fmt(c.kept)}</b></div><div class="kpi">dropped<b data-kpi="dropped">${fmt(c.dropped)}</b></div><div class="kpi">kept tokens<b data-kpi="keptTokens">${fmt(c.keptTokens)}</b></div><div class="kpi">kept share<b>${pct(c.kept, c.rowsIn)}</b></div></div>`;
  funnel += `<table id="funnel-table"><thead><tr><th>stage</th><th>in</th><th>kept</th><th>dropped</th><th>reasons</th></tr></thead><tbody>`;
  for (const s of c.stages) {
    const reasons = Object.entries(s.reasons ?? {})
      .map(([r, n]) => `<span class="tag" data-reason="${h(r)}">${h(r)} ${fmt(n)}</span>`)
      .join(" ");
    funnel += `<tr data-stage="${h(s.stage)}"><td>${h(s.stage)}</td><td class="num" data-field="in">${fmt(s.in)}</td><td class="num" data-field="kept">${fmt(s.kept)}</td><td class="num" data-field="dropped">${fmt(s.dropped)}</td><td>${reasons}</td></tr>`;
  }
  funnel += `</tbody></table>`;
  funnel += barChart(
    c.stages.map((s) => ({ label: s.stage, values: [s.in, s.kept] })),
    ["in", "kept"],
    { title: "rows per stage" },
  );
  const reasons = Object.entries(c.byReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    funnel += `<h3>Dropped per reason</h3>` + countsTable("", ["reason", "rows", "share of input"], reasons.map(([r, n]) => [r, n, pct(n, c.rowsIn)]), (_r, col) => (col === 1 ? ` data-field="reason-count"` : ""));
    funnel += barChart(reasons.map(([r, n]) => ({ label: r, values: [n] })), ["dropped"], { title: "dropped per reason" });
  }
  const sources = Object.entries(c.bySource);
  if (sources.length) {
    funnel += `<h3>Per source</h3><table id="source-table"><thead><tr><th>source</th><th>in</th><th>kept</th><th>dropped</th><th>kept share</th><th>top drop reasons</th></tr></thead><tbody>`;
    for (const [name, s] of sources) {
      const top = Object.entries(d.reasonBySource[name] ?? {})
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([r, n]) => `${h(r)} ${fmt(n)}`)
        .join(", ");
      funnel += `<tr data-source="${h(name)}"><td>${h(name)}</td><td class="num" data-field="in">${fmt(s.in)}</td><td class="num" data-field="kept">${fmt(s.kept)}</td><td class="num" data-field="dropped">${fmt(s.dropped)}</td><td class="num">${pct(s.kept, s.in)}</td><td>${top}</td></tr>`;
    }
    funnel += `</tbody></table>`;
    funnel += barChart(sources.map(([n, s]) => ({ label: n, values: [s.in, s.kept] })), ["in", "kept"], { title: "rows per source" });
  }
  if (d.scanned.kept !== c.kept || d.scanned.dropped !== c.dropped) {
    funnel += `<p class="note"><b>Warning:</b> the shards hold ${fmt(d.scanned.kept)} kept and ${fmt(d.scanned.dropped)} dropped rows; the manifest says ${fmt(c.kept)} and ${fmt(c.dropped)}.</p>`;
  }
  funnel += `</section>`;
  parts.push(funnel);

  // ---------------------------------------------------------------- lengths
  if (d.lengths) {
    const b = d.lengths.before;
    const a = d.lengths.after;
    parts.push(
      `<section id="lengths"><h2>Response length (tokens)</h2>${histChart(b, a, "token-length histogram")}` +
        countsTable("", ["", "rows", "min", "p50", "p90", "p99", "max", "mean"], [
          ["before (all rows)", b.n, b.min, b.p50, b.p90, b.p99, b.max, Math.round(b.mean)],
          ["after (kept)", a.n, a.min, a.p50, a.p90, a.p99, a.max, Math.round(a.mean)],
        ]) +
        `</section>`,
    );
  }

  // ---------------------------------------------------------------- verifier and pass rate
  if (d.verifier || d.passRate) {
    let s = `<section id="verifier"><h2>Verifier outcomes</h2>`;
    if (d.verifier) {
      const v = d.verifier;
      const all = Object.entries(v.all);
      const total = all.reduce((x, [, n]) => x + n, 0);
      s += countsTable("", ["verdict", "all rows", "share", "kept"], all.map(([k, n]) => [k, n, pct(n, total), v.kept[k] ?? 0]));
      s += barChart(all.map(([k, n]) => ({ label: k, values: [n, v.kept[k] ?? 0] })), ["all", "kept"], { title: "verdicts" });
      s += `<h3>Deciding rule</h3>` + countsTable("", ["rule", "rows"], Object.entries(v.rules).slice(0, 30));
      s += `<h3>Extracted vs reference answers</h3><input class="filter" data-target="verify-samples" placeholder="filter examples…"><div id="verify-samples">`;
      for (const [verdict, rows] of Object.entries(v.samples)) {
        s += `<h4>${h(verdict)}</h4><table><thead><tr><th>id</th><th>extracted</th><th>reference</th><th>rule</th><th>decision</th></tr></thead><tbody>`;
        for (const r of rows) s += `<tr><td>${h(r.id)}</td><td><code>${h(r.extracted ?? "—")}</code></td><td><code>${h(r.reference ?? "—")}</code></td><td>${h(r.rule ?? "")}</td><td><span class="tag ${r.kept ? "kept" : "dropped"}">${r.kept ? "kept" : "dropped"}</span></td></tr>`;
        s += `</tbody></table>`;
      }
      s += `</div>`;
    }
    if (d.passRate) {
      const p = d.passRate;
      s += `<h3>Pass rate per problem</h3><p class="note">${p.basis === "group" ? "per problem group, from the group step" : "per exact problem: correct / graded rollouts"}; ${fmt(p.problems)} problems, ${fmt(p.unknown)} with no graded rollout.</p>`;
      s += barChart(p.bins.map((n, i) => ({ label: `${(i / 10).toFixed(1)}–${i === 9 ? "1.0" : ((i + 1) / 10).toFixed(1)}`, values: [n] })), ["problems"], { title: "pass-rate distribution" });
    }
    parts.push(s + `</section>`);
  }

  // ---------------------------------------------------------------- domains
  if (d.domains) {
    const rows = Object.entries(d.domains.all);
    parts.push(
      `<section id="domains"><h2>Domains</h2>` +
        barChart(rows.map(([k, n]) => ({ label: k, values: [n, d.domains!.kept[k] ?? 0] })), ["all", "kept"], { title: "domains" }) +
        countsTable("", ["domain", "all rows", "kept", "kept share"], rows.map(([k, n]) => [k, n, d.domains!.kept[k] ?? 0, pct(d.domains!.kept[k] ?? 0, n)])) +
        `</section>`,
    );
  }

  // ---------------------------------------------------------------- contamination
  if (d.contamination) {
    const x = d.contamination;
    let s = `<section id="contamination"><h2>Contamination</h2><p>${fmt(x.rows)} rows matched a benchmark (${fmt(x.kept)} of them still kept).</p>`;
    s += countsTable("", ["benchmark", "rows"], Object.entries(x.byBenchmark));
    if (Object.keys(x.byMethod).length) s += countsTable("", ["method", "matches"], Object.entries(x.byMethod));
    s += `<h3>Matches (bounded sample of ${fmt(x.shown.length)})</h3><input class="filter" data-target="contam-rows" placeholder="filter matches…"><div id="contam-rows">`;
    for (const m of x.shown) {
      s += `<div class="card"><div class="head">${h(m.id)} · <span class="tag ${m.kept ? "kept" : "dropped"}">${m.kept ? "kept" : "dropped"}</span> ${h(m.benchmark)} ${h(m.item)} · ${h(m.method)}${Number.isFinite(m.score) ? ` · score ${m.score.toFixed(3)}` : ""} · field ${h(m.field)}</div>`;
      s += `<div class="side"><div><div class="head">row ${h(m.field)}</div><pre>${highlightSpans(m.text, m.spans)}</pre></div><div><div class="head">benchmark ${h(m.benchmark)} ${h(m.item)}</div><pre>${highlightSpans(m.benchmarkText, m.benchmarkSpans)}</pre></div></div></div>`;
    }
    parts.push(s + `</div></section>`);
  }

  // ---------------------------------------------------------------- near-duplicate clusters
  if (d.clusters) {
    let s = `<section id="clusters"><h2>Near-duplicate problem clusters</h2><p>${fmt(d.clusters.total)} problem groups merge several distinct problems; the ${fmt(d.clusters.shown.length)} largest are shown. The representative problem is listed first.</p>`;
    for (const cl of d.clusters.shown) {
      s += `<div class="card"><div class="head">group ${h(cl.group.slice(0, 16))} · ${fmt(cl.problems.length)} problems shown · ${fmt(cl.rows)} rollouts, ${fmt(cl.kept)} kept${cl.representative ? ` · representative row ${h(cl.representative)}` : ""}</div><table><tbody>`;
      for (const p of cl.problems) s += `<tr><td>${p.representative ? '<span class="tag kept">representative</span>' : '<span class="tag">merged</span>'}</td><td class="num">${fmt(p.rows)} rollouts, ${fmt(p.kept)} kept</td><td>${h(p.problem)}</td></tr>`;
      s += `</tbody></table></div>`;
    }
    parts.push(s + `</section>`);
  }

  // ---------------------------------------------------------------- samples per drop reason
  {
    let s = `<section id="drops"><h2>Samples per drop reason</h2><p class="note">Up to ${fmt(d.options.perReason)} rows per reason, chosen by seeded hash of the row id (seed ${fmt(d.options.seed)}); the same run and seed always show the same rows.</p>`;
    if (!d.dropSamples.length) s += `<p>No rows were dropped.</p>`;
    else s += `<input class="filter" data-target="drop-samples" placeholder="filter samples…">`;
    s += `<div id="drop-samples">`;
    for (const g of d.dropSamples) {
      s += `<details${d.dropSamples.length <= 6 ? " open" : ""}><summary><b>${h(g.reason)}</b> (stage ${h(g.stage)}) — ${fmt(g.count)} rows</summary>`;
      for (const r of g.rows) {
        s += `<div class="card drop-sample"><div class="head">${h(r.id)} · ${h(r.source)}${r.tokens !== null ? ` · ${fmt(r.tokens)} tokens` : ""}${r.verdict ? ` · verdict ${h(r.verdict)}` : ""}${r.detail ? ` · ${h(r.detail)}` : ""}${r.duplicateOf ? ` · duplicate of ${h(r.duplicateOf)}` : ""}</div>`;
        if (r.problem) s += `<div class="head">problem</div>${pre(r.problem)}`;
        if (r.responseChars) {
          s += `<details><summary>response (${fmt(r.responseChars)} chars${r.responseChars > r.responseHead.length + r.responseTail.length ? ", head and tail" : ""})</summary>${pre(r.responseHead, "trace")}${r.responseTail ? `${r.responseChars > r.responseHead.length + r.responseTail.length ? "<p class=note>…</p>" : ""}${pre(r.responseTail, "trace")}` : ""}</details>`;
        }
        if (r.solution) s += `<div class="head">final solution</div>${pre(r.solution, "trace")}`;
        if (r.extracted !== null || r.reference !== null) s += `<div class="head">extracted <code>${h(r.extracted ?? "—")}</code> · reference <code>${h(r.reference ?? "—")}</code></div>`;
        if (r.raw) s += `<div class="head">raw input</div>${pre(r.raw)}`;
        s += `</div>`;
      }
      s += `</details>`;
    }
    parts.push(s + `</div></section>`);
  }

  // ---------------------------------------------------------------- outputs
  {
    let s = `<section id="outputs"><h2>Outputs</h2>`;
    if (!d.outputs.length) s += `<p>This run wrote no outputs beyond data/ and rejected/.</p>`;
    for (const o of d.outputs) {
      s += `<h3>${h(o.name)}</h3>`;
      if (o.summary !== null) s += `<div class="head">manifest.json → outputs.${h(o.name)}</div>${pre(JSON.stringify(o.summary, null, 2).slice(0, 100_000))}`;
      if (o.manifest !== null) s += `<details><summary>${h(o.manifestPath ?? "manifest")}</summary>${pre(JSON.stringify(o.manifest, null, 2).slice(0, 200_000))}</details>`;
    }
    if (d.timings) s += `<h3>Timings</h3>${pre(JSON.stringify(d.timings, null, 2))}`;
    parts.push(s + `</section>`);
  }

  const embedded = { run: d.run, counts: d.counts, scanned: d.scanned, lengths: d.lengths, domains: d.domains, passRate: d.passRate, verifier: d.verifier ? { all: d.verifier.all, kept: d.verifier.kept, rules: d.verifier.rules } : null };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>curate report — ${h(d.run.name)}</title>
<style>${CSS}</style></head>
<body>
<header><h1>curate report — ${h(d.run.name)}</h1>
<div class="meta">run ${h(d.run.dir)} · config ${h(d.run.configHash.slice(0, 16))} · seed ${fmt(d.run.seed)}${d.run.tokenizer ? ` · tokenizer ${h(d.run.tokenizer)}` : ""} · ${h(d.run.tool)}</div>
<nav>${nav.map(([id, label]) => `<a href="#${id}">${h(label)}</a>`).join("")}</nav></header>
<main>
${parts.join("\n")}
<p class="note" id="embedded-rows"></p>
</main>
<script type="application/json" id="report-data">${jsonForScript(embedded)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
