/**
 * The self-contained HTML report: one file, inline CSS, inline SVG charts, a few lines of inline JS
 * (filtering sample tables), no network. This file is the page around the sections (sections.ts):
 * head with its CSP, header and nav, each section's body in its <section>, and the summary embedded as
 * JSON. Every string from the run goes through escape.ts; the page is rendered on the server side so it
 * reads fine with scripts off.
 */
import { createHash } from "node:crypto";
import { escapeHtml as h, jsonForScript } from "./escape.js";
import { fmt } from "./charts.js";
import { SECTIONS, type ReportData } from "./sections.js";

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
.banner{margin:16px 0 0;padding:10px 14px;border:2px solid #d62728;border-radius:6px;background:#fdecea;color:#5f1212}
.banner b{font-size:15px}.banner ul{margin:6px 0 0;padding-left:20px}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(570px,1fr));gap:8px 16px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin:4px 0 10px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.minibar{display:inline-block;height:10px;background:#f28e2b;vertical-align:middle}.minibar span{display:block;height:10px;background:#4e79a7}
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

/**
 * The warning a reviewer must not miss, above every section: "Not decontaminated" when the run did not
 * keep benchmark problems out, then every warning the manifest records. Empty when there is none.
 */
function banner(d: ReportData): string {
  const { decontaminated, warnings } = d.run;
  if (decontaminated !== false && !warnings.length) return "";
  let s = `<div class="banner" id="run-warnings" role="alert">`;
  if (decontaminated === false) s += `<b>Not decontaminated.</b> Rows that reproduce evaluation benchmark problems may be in this run's data and outputs; a model trained on it must not be evaluated on those benchmarks.`;
  else s += `<b>Warnings</b>`;
  if (warnings.length) s += `<ul>${warnings.map((w) => `<li>${h(w)}</li>`).join("")}</ul>`;
  return s + `</div>`;
}

export function renderReport(d: ReportData): string {
  const nav: [string, string][] = [];
  const parts: string[] = [];
  for (const s of SECTIONS) {
    const body = s.render(d, d.options);
    if (body === null) continue;
    nav.push([s.id, s.nav]);
    parts.push(`<section id="${h(s.id)}"><h2>${h(s.title)}</h2>${body}</section>`);
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
${banner(d)}
${parts.join("\n")}
<p class="note" id="embedded-rows"></p>
</main>
<script type="application/json" id="report-data">${jsonForScript(embedded)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
