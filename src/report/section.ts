/**
 * What a report section is: a collector that sees every final row once (kept rows from data/, then
 * dropped rows from rejected/) and keeps bounded state, and a renderer that turns what it collected
 * into the body of one <section>. sections.ts lists them in page order; collect.ts runs the collectors
 * over one scan; html.ts wraps each rendered body in its <section>, heading and nav link.
 */
import type { Row, ShardFile } from "./shards.js";

export interface ReportOptions {
  /** rows shown per drop reason (default 5) */
  perReason?: number;
  /** seed of every sample (default: the run's seed) */
  seed?: number;
  /** contamination rows shown (default 50) */
  contaminationRows?: number;
  /** near-duplicate clusters shown (default 25) */
  clusters?: number;
  /** verifier examples per verdict (default 8) */
  perVerdict?: number;
  /** characters of any one text excerpt (default 1500) */
  excerptChars?: number;
}

/** The options with every default filled in. */
export type ReportSettings = Required<ReportOptions>;

/** What a collector is given when the scan starts. */
export interface ReportScan {
  /** the run folder, absolute */
  dir: string;
  /** its manifest.json (counts.stages checked present) */
  manifest: Record<string, any>;
  options: ReportSettings;
  /** the rejected/ shards; a dropped row's `_file` indexes them and `_row` is its row there (see readRowsAt) */
  rejectedFiles: ShardFile[];
}

/** One final row, with the values several sections derive from it worked out once. */
export interface ReportRow {
  row: Row;
  /** true for rows of data/, false for rows of rejected/ (which carry stage and reason) */
  kept: boolean;
  id: string;
  /** row.annotations when it is an object, else {} */
  ann: Record<string, any>;
  /** the group step's annotation, when present */
  group: Record<string, any> | undefined;
  /** the problem group: the problem_group column, else the group annotation's problemGroup */
  groupId: string | null;
  /** the problem_key column, when a string */
  problemKey: string | null;
}

export interface SectionCollector<T> {
  /** Called once per final row; state kept across rows must stay bounded (counts, bottom-k samples). */
  row?(r: ReportRow): void;
  /** After the scan: this section's part of the report data. */
  finish(): T | Promise<T>;
}

export interface ReportSection<T> {
  /** anchor of the <section> (and of its nav link) */
  id: string;
  /** link text in the header's nav */
  nav: string;
  /** the section's <h2> */
  title: string;
  /** columns the collector reads, from data/ and rejected/ */
  columns: readonly string[];
  /** columns it reads from rejected/ only (stage, reason, …: data/ has none) */
  droppedColumns?: readonly string[];
  collect(scan: ReportScan): SectionCollector<T>;
  /**
   * The section's body HTML, or null when the run has nothing to show there (then neither the section
   * nor its nav link appears). Everything that came from the run goes through escape.ts / charts.ts.
   */
  render(d: T, options: ReportSettings): string | null;
}
