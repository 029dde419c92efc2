/**
 * The HTML report without a browser: escaping functions, the summaries against the manifest and the
 * shards (read by DuckDB), bounded size, no network references, and hostile trace text never reaching
 * the page unescaped. The browser half is in report-browser.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/cli.js";
import { duck } from "../helpers/duckdb.js";
import { escapeHtml, jsonForScript, safeUrl, highlightSpans } from "../../src/report/escape.js";
import { collectReport } from "../../src/report/collect.js";
import { renderReport } from "../../src/report/html.js";
import { writeSyntheticRun, HOSTILE_PAYLOADS } from "../../src/report/synthetic.js";
import { manifestSignals } from "../../src/report/sections/signals.js";
import { filterThreshold } from "../../src/report/sections/quality.js";
import { headAndTail } from "../../src/report/sections/drops.js";
import { rounded } from "../../src/report/sections/outputs.js";
import { binRange, LOG_BINS, logBin, logLower } from "../../src/report/bins.js";

const sq = (p: string) => p.replace(/'/g, "''");

describe("escaping", () => {
  it("escapeHtml turns every markup character into an entity", () => {
    const s = `<script>alert("x")</script><img src=x onerror='y'>\`&`;
    const e = escapeHtml(s);
    expect(e).not.toMatch(/[<>"'`]/);
    expect(e).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&#96;&amp;");
    expect(escapeHtml("plain text 2 + 2")).toBe("plain text 2 + 2");
    expect(escapeHtml(null)).toBe("");
    expect(escapeHtml(42)).toBe("42");
  });

  it("jsonForScript cannot close the script element and keeps U+2028/9 escaped, and still parses to the same value", () => {
    const v = { a: "</script><script>alert(1)</script>", b: "<!-- x", c: "line\u2028sep\u2029", d: "&amp;" };
    const j = jsonForScript(v);
    expect(j).not.toContain("<");
    expect(j).not.toContain("\u2028");
    expect(j).not.toContain("\u2029");
    expect(j.toLowerCase()).not.toContain("</script");
    expect(JSON.parse(j)).toEqual(v);
  });

  it("safeUrl refuses javascript:, data: and vbscript: (also disguised) and keeps http(s) and fragments", () => {
    for (const bad of ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>", "vbscript:x", "\u0001javascript:x"]) expect(safeUrl(bad), bad).toBe("#");
    expect(safeUrl("https://example.org/a?b=1&c=2")).toBe("https://example.org/a?b=1&amp;c=2");
    expect(safeUrl("#funnel")).toBe("#funnel");
  });

  it("highlightSpans escapes inside and outside the marked span, clamping bad spans", () => {
    expect(highlightSpans("a<b>c", [[1, 4]])).toBe("a<mark>&lt;b&gt;</mark>c");
    expect(highlightSpans("abc", [[2, 99], [-5, 1]])).toBe("<mark>a</mark>b<mark>c</mark>");
    expect(highlightSpans("abc", [[3, 1]])).toBe("abc");
  });
});

describe("report on a synthetic run with every annotation and hostile traces", () => {
  const dir = join(tempDir("curate-report-"), "syn");
  let summary: Awaited<ReturnType<typeof writeSyntheticRun>>;
  let manifest: any;
  let html: string;
  beforeAll(async () => {
    summary = await writeSyntheticRun(dir, { rows: 4000, seed: 5, hostile: true });
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    html = renderReport(await collectReport(dir));
  });

  it("summaries agree with the manifest and with DuckDB over the shards", async () => {
    const d = await collectReport(dir);
    expect(d.scanned.kept).toBe(manifest.counts.kept);
    expect(d.scanned.dropped).toBe(manifest.counts.dropped);
    expect(d.lengths!.response.allQ.n).toBe(manifest.counts.rowsIn);
    expect(d.lengths!.response.keptQ.n).toBe(manifest.counts.kept);
    expect(d.lengths!.response.kept.length).toBe(d.lengths!.response.all.length);
    const all = `read_parquet(['${sq(join(dir, "data", "*.parquet"))}', '${sq(join(dir, "rejected", "*.parquet"))}'], union_by_name = true)`;
    const verdicts = await duck(`SELECT verdict, count(*) AS n FROM ${all} GROUP BY verdict`);
    for (const v of verdicts) expect(d.verifier!.all[String(v.verdict)]).toBe(Number(v.n));
    const contaminated = Number((await duck(`SELECT count(*) AS n FROM ${all} WHERE contaminated IS NOT NULL`))[0]!.n);
    expect(d.contamination!.rows).toBe(contaminated);
    // every drop reason gets its sample, bounded, all of that reason
    expect(d.dropSamples.map((g) => g.reason).sort()).toEqual(Object.keys(manifest.counts.byReason).sort());
    for (const g of d.dropSamples) {
      expect(g.count).toBe(manifest.counts.byReason[g.reason]);
      expect(g.rows.length).toBe(Math.min(5, g.count));
      for (const r of g.rows) expect(r.reason).toBe(g.reason);
    }
    // near-duplicate clusters: groups holding several problem keys, representative listed first
    const multi = Number((await duck(`SELECT count(*) AS n FROM (SELECT problem_group FROM ${all} GROUP BY problem_group HAVING count(DISTINCT problem_key) > 1)`))[0]!.n);
    expect(multi).toBeGreaterThan(0);
    expect(d.clusters!.total).toBe(multi);
    for (const c of d.clusters!.shown) {
      expect(c.problems.length).toBeGreaterThan(1);
      expect(c.problems[0]!.representative).toBe(true);
      expect(c.problems[0]!.key).toBe(c.group);
    }
    expect(d.passRate!.basis).toBe("group");
    expect(d.outputs.map((o) => o.name)).toEqual(["midtrain", "sft"]);
    expect(d.domains).not.toBeNull();
  });

  it("the same run and seed give the same report; another seed other samples", async () => {
    const again = renderReport(await collectReport(dir));
    expect(again).toBe(html);
    const other = renderReport(await collectReport(dir, { seed: 99 }));
    expect(other).not.toBe(html);
  });

  it("no hostile payload reaches the page unescaped; the run name is escaped too", () => {
    expect(summary.hostileIds.length).toBeGreaterThan(10);
    for (const p of HOSTILE_PAYLOADS.slice(0, 5)) expect(html.includes(p), p).toBe(false);
    expect(html).toContain(escapeHtml(HOSTILE_PAYLOADS[0]!));
    expect(html).not.toContain("<b>run</b>");
    expect(html).toContain("synthetic &lt;b&gt;run&lt;/b&gt;");
    expect(html).not.toMatch(/<[a-z]+[^>]*\son[a-z]+\s*=/i); // no tag carries an inline event handler
    expect(html).not.toMatch(/href="javascript:/i);
    const planted = html.match(/planted &lt;script&gt;window.__curatePwned/g) ?? [];
    expect(planted.length).toBe(5); // the five sampled rows of quality:planted_markup show it as text
    const json = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
    expect(json).not.toBeNull();
    expect(json![1]).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(json![1]!).run.name).toBe("synthetic <b>run</b>");
    // exactly our two script elements
    expect(html.match(/<script\b/g)!.length).toBe(2);
  });

  it("is self-contained: no external URL is referenced, and a CSP forbids the network", () => {
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
  });
});

describe("what a reviewer reads: signals, thresholds, log bins, shares, tables, banner", () => {
  const dir = join(tempDir("curate-report-sections-"), "syn");
  let manifest: any;
  let d: Awaited<ReturnType<typeof collectReport>>;
  let html: string;
  beforeAll(async () => {
    await writeSyntheticRun(dir, { rows: 1500, seed: 3, hostile: true });
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    d = await collectReport(dir);
    html = renderReport(d);
  });

  it("without manifest.signals the signal table is counted from the rows, and agrees with DuckDB", async () => {
    expect(manifest.signals).toBeUndefined();
    expect(d.signals!.basis).toBe("rows");
    const bySignal = new Map(d.signals!.list.map((e) => [e.signal, e]));
    const all = `(SELECT *, true AS k FROM read_parquet('${sq(join(dir, "data", "*.parquet"))}') UNION ALL BY NAME SELECT *, false AS k FROM read_parquet('${sq(join(dir, "rejected", "*.parquet"))}'))`;
    for (const v of await duck(`SELECT verdict, count(*) AS n, count(*) FILTER (WHERE k) AS kept FROM ${all} GROUP BY verdict`)) {
      expect(bySignal.get(`verdict:${v.verdict}`), String(v.verdict)).toEqual({ signal: `verdict:${v.verdict}`, stage: null, rows: Number(v.n), kept: Number(v.kept), droppedAs: null });
    }
    const c = (await duck(`SELECT count(*) AS n, count(*) FILTER (WHERE k) AS kept FROM ${all} WHERE contaminated IS NOT NULL`))[0]!;
    expect(bySignal.get("contaminated")).toEqual({ signal: "contaminated", stage: null, rows: Number(c.n), kept: Number(c.kept), droppedAs: null });
    const long = Number((await duck(`SELECT count(*) AS n FROM ${all} WHERE tokens_response > 6000`))[0]!.n);
    expect(bySignal.get("too_long:response")!.rows).toBe(long);
    // a row is counted under every signal it raises: repetition past 0.5 shows though verify dropped those rows first
    expect(bySignal.get("quality:repetition")!.rows).toBeGreaterThan(0);
    expect(manifest.counts.byReason["quality:repetition"]).toBeUndefined();
    expect(html).toContain(`id="signals-table"`);
    expect(html).toContain("this run's manifest has no <code>signals</code> table");
  });

  it("manifest.signals is used when present, and the page says so", () => {
    const table = [
      { signal: "quality:truncated", stage: "trace", rows: 10, kept: 0, droppedAs: 8 },
      { signal: "verify:correct", stage: "verify", rows: 231, kept: 183, droppedAs: 0 },
    ];
    expect(manifestSignals(table)).toEqual(table);
    expect(manifestSignals(null)).toBeNull();
    expect(manifestSignals([])).toBeNull();
    expect(manifestSignals({ "verdict:correct": { rows: 10, kept: 7 } })).toBeNull();
    expect(manifestSignals([{ signal: "x", rows: 2, kept: 1 }])).toBeNull();
    const shown = renderReport({ ...d, signals: { basis: "manifest", rowsIn: 300, list: manifestSignals(table)! } });
    expect(shown).toMatch(/<tr data-signal="quality:truncated"><td>quality:truncated<\/td><td>trace<\/td><td class="num" data-field="rows">10<\/td>.*?data-field="kept">0<\/td><td class="num" data-field="dropped-as">8<\/td><td class="num" data-field="dropped-other">2<\/td>/);
    const page = renderReport({ ...d, signals: { basis: "manifest", rowsIn: 100, list: [{ signal: "quality:<b>x</b>", stage: null, rows: 3, kept: 0, droppedAs: null }] } });
    expect(page).toContain("From the manifest's <code>signals</code> table");
    expect(page).toContain(`<tr data-signal="quality:&lt;b&gt;x&lt;/b&gt;">`);
    const many = Array.from({ length: 250 }, (_, i) => ({ signal: `contaminated:b${i}`, stage: "decontaminate", rows: 250 - i, kept: 0, droppedAs: 250 - i }));
    const capped = renderReport({ ...d, signals: { basis: "manifest", rowsIn: 1000, list: many } });
    expect(capped.match(/<tr data-signal=/g)!.length).toBe(200);
    expect(capped).toContain("The 50 least raised signals are not shown.");
  });

  it("quality signals carry the run's thresholds and count the rows past them", async () => {
    const q = new Map(d.quality!.map((x) => [x.key, x]));
    expect(q.get("repetition")!.threshold).toBe(0.5);
    expect(q.get("codeShare")!.threshold).toBeNull();
    const rep = q.get("repetition")!;
    expect(rep.all.reduce((a, b) => a + b, 0)).toBe(rep.n);
    expect(rep.beyond).toBeGreaterThan(0);
    expect(html).toContain(`data-threshold="maxRepetition 0.5"`);
    expect(html).toContain(`data-threshold="maxTailLoopTokens 800"`);
    expect(html).toContain(`data-threshold="maxResponseTokens 6,000"`);
    expect(filterThreshold({ config: { filters: { maxRepetition: "0.5" } } }, "maxRepetition")).toBeNull();
  });

  it("log bins: 4 per decade, exact at the decade edges, 0 in its own bin", () => {
    expect(logBin(0)).toBe(0);
    expect(logBin(0.5)).toBe(0);
    expect(logBin(1)).toBe(1);
    expect(logBin(999)).toBe(12);
    expect(logBin(1000)).toBe(13);
    expect(logBin(1e12)).toBe(LOG_BINS - 1);
    for (let b = 1; b < LOG_BINS; b++) expect(logBin(logLower(b)), String(b)).toBe(b);
    expect(binRange("log", 13)).toBe("1k–1.78k"); // 1,000 to 1,778 (10^3.25 = 1,778.3)
    // response lengths spread over many bins, not two
    expect(d.lengths!.response.all.filter((n) => n > 0).length).toBeGreaterThan(5);
  });

  it("responses are cut at a space, not mid-word, and short ones are whole", () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
    const { head, tail } = headAndTail(words, 200);
    expect(words.startsWith(head)).toBe(true);
    expect(words.endsWith(tail)).toBe(true);
    expect(words[head.length]).toBe(" ");
    expect(words[words.length - tail.length - 1]).toBe(" ");
    expect(head.length).toBeLessThanOrEqual(100);
    expect(tail.length).toBeLessThanOrEqual(100);
    expect(headAndTail("short answer", 200)).toEqual({ head: "short answer", tail: "" });
    const emoji = "😀".repeat(300);
    const cut = headAndTail(emoji, 101);
    expect(cut.head + cut.tail).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it("outputs are a table and timings are rounded", () => {
    expect(rounded(10.346749514999999)).toBe("10.3");
    expect(rounded(0.0012345)).toBe("0.001");
    expect(rounded(2140.9543239999975)).toBe("2,141");
    expect(html).toContain(`<tr data-output="midtrain">`);
    expect(html).toMatch(/<td class="num" data-field="packing">\d+\.\d%<\/td>/);
    expect(html).not.toContain("10.346749514999999");
    expect(html).not.toContain("1492.574028");
  });

  it("the drop-share bars give every reason a visible bar, scaled to the largest share", () => {
    const bars = [...html.matchAll(/<svg class="chart shares" data-chart="reason-share"[\s\S]*?<\/svg>/g)][0]![0];
    const widths = new Map([...bars.matchAll(/<rect data-key="([^"]+)" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [m[1]!, Number(m[2])]));
    expect([...widths.keys()].sort()).toEqual(Object.keys(manifest.counts.byReason).sort());
    for (const [r, w] of widths) expect(w, r).toBeGreaterThanOrEqual(3);
    const largest = Object.entries<number>(manifest.counts.byReason).sort((a, b) => b[1] - a[1])[0]![0];
    expect(Math.max(...widths.values())).toBe(widths.get(largest));
  });

  it("a run that was not decontaminated opens with a banner; its warnings are escaped", () => {
    expect(d.run.decontaminated).toBe(true);
    expect(html).not.toContain(`id="run-warnings"`);
    const page = renderReport({ ...d, run: { ...d.run, decontaminated: false, warnings: [`not decontaminated: <script>x</script>`] } });
    expect(page).toMatch(/<main>\s*<div class="banner" id="run-warnings" role="alert"><b>Not decontaminated\.<\/b>/);
    expect(page).toContain("<li>not decontaminated: &lt;script&gt;x&lt;/script&gt;</li>");
  });
});
