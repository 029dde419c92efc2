/**
 * The HTML report in real headless Chromium (Debian `chromium`, driven by playwright-core): renders
 * with no console errors, shows the manifest's funnel numbers, never executes planted script, shows
 * it as text, and makes no network request. A screenshot goes to test-artifacts/ (gitignored).
 * Skips with a message when /usr/bin/chromium is absent (`.ci/run` installs it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Browser, Page } from "playwright-core";
import { repoRoot, tempDir } from "../helpers/cli.js";
import { HOSTILE_PAYLOADS, writeSyntheticRun } from "../../src/report/synthetic.js";
import { writeReport } from "../../src/report/report.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report-browser tests skipped: ${CHROMIUM} not found (install Debian chromium: apt-get install -y chromium; .ci/run does this)`);

describe.skipIf(!haveChromium)("HTML report in headless Chromium", () => {
  const dir = join(tempDir("curate-browser-"), "syn");
  const reportFile = join(dir, "report.html");
  let browser: Browser;
  let manifest: any;

  beforeAll(async () => {
    await writeSyntheticRun(dir, { rows: 3000, seed: 11, hostile: true });
    await writeReport(dir, reportFile);
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(html: string | null): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:")) requests.push(r.url());
    });
    if (html === null) await page.goto("file://" + reportFile);
    else {
      const f = join(dir, `variant-${Math.random().toString(36).slice(2)}.html`);
      writeFileSync(f, html);
      await page.goto("file://" + f);
    }
    await page.waitForLoadState("load");
    return { page, errors, requests };
  }

  it("renders with no console errors or network requests, funnel numbers equal to the manifest, and a screenshot", async () => {
    const { page, errors, requests } = await open(null);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const num = (s: string | null) => Number(String(s).replace(/,/g, ""));
    for (const s of manifest.counts.stages) {
      const row = page.locator(`#funnel-table tr[data-stage="${s.stage}"]`);
      expect(num(await row.locator('[data-field="in"]').textContent()), s.stage).toBe(s.in);
      expect(num(await row.locator('[data-field="kept"]').textContent()), s.stage).toBe(s.kept);
      expect(num(await row.locator('[data-field="dropped"]').textContent()), s.stage).toBe(s.dropped);
    }
    for (const k of ["rowsIn", "kept", "dropped"]) expect(num(await page.locator(`[data-kpi="${k}"]`).textContent()), k).toBe(manifest.counts[k]);
    for (const [name, c] of Object.entries<any>(manifest.counts.bySource)) {
      expect(num(await page.locator(`#source-table tr[data-source="${name}"] [data-field="in"]`).textContent())).toBe(c.in);
    }
    // the inline script ran (it is allowed by its CSP hash) and parsed the embedded JSON
    expect(await page.locator("#embedded-rows").textContent()).toBe(`embedded summary: ${manifest.counts.rowsIn} rows in`);
    // charts are there
    expect(await page.locator("svg.chart").count()).toBeGreaterThan(5);
    const artifacts = join(repoRoot, "test-artifacts");
    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, "report.png");
    await page.screenshot({ path: shot, fullPage: false });
    expect(readFileSync(shot).length).toBeGreaterThan(10_000);
    await page.close();
  });

  it("planted <script>, <img onerror>, <svg onload> and javascript: links do not execute and show as text", async () => {
    const { page, errors } = await open(null);
    expect(await page.evaluate(() => (window as any).__curatePwned)).toBeUndefined();
    // open every <details> and click every link: a javascript: URL would run now
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => ((d as HTMLDetailsElement).open = true)));
    for (const a of await page.locator("a").all()) await a.click();
    expect(await page.evaluate(() => (window as any).__curatePwned)).toBeUndefined();
    const text = await page.locator("#drop-samples").innerText();
    expect(text).toContain(`<script>window.__curatePwned = "script";</script>`);
    expect(text).toContain(`<img src=x onerror="window.__curatePwned='img'">`);
    // the planted markup made no elements: no img, no extra script, no handler attributes
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(2);
    const handlers = await page.evaluate(() => [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)));
    expect(handlers).toEqual([]);
    const hrefs = await page.evaluate(() => [...document.querySelectorAll("a")].map((a) => a.getAttribute("href")));
    for (const h of hrefs) expect(h).toMatch(/^#[a-z]+$/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("escaping alone is enough: with the CSP removed the payloads still do not run", async () => {
    const html = readFileSync(reportFile, "utf8").replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "");
    expect(html).not.toContain("Content-Security-Policy");
    const { page, errors } = await open(html);
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => ((d as HTMLDetailsElement).open = true)));
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (window as any).__curatePwned)).toBeUndefined();
    expect(await page.locator("img").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the new sections render and are readable: signal table, thresholds, log lengths, drop shares, outputs table", async () => {
    const { page, errors } = await open(null);
    for (const id of ["signals", "lengths", "quality", "outputs"]) expect(await page.locator(`section#${id}`).isVisible(), id).toBe(true);
    expect(await page.locator("#signals-table tbody tr").count()).toBeGreaterThan(5);
    const num = (s: string | null) => Number(String(s).replace(/,/g, ""));
    const incorrect = page.locator('#signals-table tr[data-signal="verdict:incorrect"]');
    expect(num(await incorrect.locator('[data-field="rows"]').textContent())).toBeGreaterThan(0);
    // every drop reason has a bar at least 3 px wide, the smallest share (well under 1 %) included
    const reasons = Object.entries<number>(manifest.counts.byReason).sort((a, b) => a[1] - b[1]);
    expect(reasons[0]![1] / manifest.counts.rowsIn).toBeLessThan(0.01);
    for (const chart of ["reason-share", "rows-split"]) {
      for (const [r] of reasons) {
        const box = await page.locator(`svg[data-chart="${chart}"] rect[data-key="${r}"]`).boundingBox();
        expect(box?.width ?? 0, `${chart} ${r}`).toBeGreaterThanOrEqual(3);
      }
    }
    const widest = await page.locator(`svg[data-chart="reason-share"] rect[data-key="${reasons.at(-1)![0]}"]`).boundingBox();
    expect(widest!.width).toBeGreaterThan(200);
    // thresholds drawn inside their plot
    for (const [chart, label] of [["quality-repetition", "maxRepetition 0.5"], ["quality-tailLoopTokens", "maxTailLoopTokens 800"], ["response-tokens", "maxResponseTokens 6,000"]]) {
      const svg = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
      const line = await page.locator(`svg[data-chart="${chart}"] line.threshold[data-threshold="${label}"]`).boundingBox();
      expect(line, chart).not.toBeNull();
      expect(line!.x).toBeGreaterThan(svg!.x);
      expect(line!.x).toBeLessThan(svg!.x + svg!.width);
      expect(line!.height).toBeGreaterThan(50);
    }
    // log-axis lengths: response bars in many bins; reasoning and solution bars per source
    expect(await page.locator('svg[data-chart="response-tokens"] rect[data-series="all rows"]').count()).toBeGreaterThan(5);
    for (const src of Object.keys(manifest.counts.bySource)) {
      const chart = page.locator(`[data-source-lengths="${src}"] svg`);
      expect(await chart.locator('rect[data-series="reasoning"]').count(), src).toBeGreaterThan(0);
      expect(await chart.locator('rect[data-series="solution"]').count(), src).toBeGreaterThan(0);
    }
    // outputs as a table, timings rounded
    expect(await page.locator('#outputs-table tr[data-output="midtrain"] [data-field="packing"]').textContent()).toMatch(/^\d+\.\d%$/);
    const timings = await page.locator("#timings").innerText();
    expect(timings).toContain("10.3");
    expect(timings).not.toContain("10.346");
    expect(await page.locator("#run-warnings").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a run that was not decontaminated shows the banner first; a planted warning stays text", async () => {
    const variant = join(tempDir("curate-browser-"), "nodecontam");
    await writeSyntheticRun(variant, { rows: 300, seed: 4, hostile: true });
    const m = JSON.parse(readFileSync(join(variant, "manifest.json"), "utf8"));
    m.decontaminated = false;
    m.warnings = [`not decontaminated: ${HOSTILE_PAYLOADS[0]}`];
    writeFileSync(join(variant, "manifest.json"), JSON.stringify(m));
    await writeReport(variant, join(variant, "report.html"));
    const { page, errors } = await open(readFileSync(join(variant, "report.html"), "utf8"));
    const banner = page.locator("#run-warnings");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.innerText()).toContain("Not decontaminated.");
    expect(await banner.innerText()).toContain(HOSTILE_PAYLOADS[0]);
    const first = await page.evaluate(() => document.querySelector("main")!.firstElementChild!.id);
    expect(first).toBe("run-warnings");
    expect(await page.evaluate(() => (window as any).__curatePwned)).toBeUndefined();
    const shot = join(tmpdir(), "curate-report-banner.png");
    await page.screenshot({ path: shot, fullPage: false });
    expect(readFileSync(shot).length).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the sample filter box hides non-matching samples", async () => {
    const { page } = await open(null);
    const cards = page.locator("#drop-samples .card");
    const total = await cards.count();
    expect(total).toBeGreaterThan(5);
    await page.locator('input[data-target="drop-samples"]').fill("planted");
    const visible = await page.evaluate(() => [...document.querySelectorAll("#drop-samples .card")].filter((c) => (c as HTMLElement).style.display !== "none").length);
    expect(visible).toBe(5);
    await page.close();
  });
});
