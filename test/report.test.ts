/**
 * The HTML report without a browser: escaping functions, the summaries against the manifest and the
 * shards (read by DuckDB), bounded size, no network references, and hostile trace text never reaching
 * the page unescaped. The browser half is in report-browser.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./helpers/cli.js";
import { duck } from "./helpers/duckdb.js";
import { escapeHtml, jsonForScript, safeUrl, highlightSpans } from "../src/report/escape.js";
import { collectReport } from "../src/report/collect.js";
import { renderReport } from "../src/report/html.js";
import { writeSyntheticRun, HOSTILE_PAYLOADS } from "../src/report/synthetic.js";

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
