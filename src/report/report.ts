/** Collect + render + write the HTML report atomically. */
import { writeFileAtomic } from "../io/atomic.js";
import { isRunFolder } from "./shards.js";
import { collectReport, type ReportData, type ReportOptions } from "./collect.js";
import { renderReport } from "./html.js";
import { UsageError } from "../errors.js";

export async function buildReport(runDir: string, opts: ReportOptions = {}): Promise<{ html: string; data: ReportData }> {
  if (!isRunFolder(runDir)) throw new UsageError(`${runDir}: not a finished run folder (expected manifest.json beside data/ and rejected/)`);
  const data = await collectReport(runDir, opts);
  return { html: renderReport(data), data };
}

export async function writeReport(runDir: string, outFile: string, opts: ReportOptions = {}): Promise<{ bytes: number; rows: number; data: ReportData }> {
  const { html, data } = await buildReport(runDir, opts);
  const bytes = Buffer.byteLength(html, "utf8");
  writeFileAtomic(outFile, html);
  return { bytes, rows: data.scanned.kept + data.scanned.dropped, data };
}
