/**
 * The reviewer audit loop.
 *
 * `auditSample` draws a stable sample per drop reason (from rejected/) and a "kept" stratum (from
 * data/): the rows with the smallest seeded hash of their id, so the same run and seed always give the
 * same sheet. Reviewers fill `reviewer_verdict` with agree | disagree | unsure ("agree" = the filter
 * was right: the row deserved to be dropped, or, in the kept stratum, to be kept).
 *
 * `auditScore` reads the sheet back and gives each filter's precision — agree / (agree + disagree),
 * unsure and blank rows excluded — with a Wilson 95% score interval, plus the disputed rows.
 */
import { BottomK, isRunFolder, openShards, readManifest, readRowsAt, type Row } from "./shards.js";
import { parseCsvObjects, writeCsv } from "./csv.js";
import { safeText } from "./terminal.js";

export const AUDIT_COLUMNS = [
  "stratum",
  "id",
  "stage",
  "reason",
  "detail",
  "source",
  "verdict",
  "problem",
  "extracted_answer",
  "reference",
  "response_excerpt",
  "reviewer_verdict",
  "reviewer_note",
  "seed",
  "run",
] as const;

export const REVIEWER_VERDICTS = ["agree", "disagree", "unsure"] as const;
export type ReviewerVerdict = (typeof REVIEWER_VERDICTS)[number];

export interface AuditRow {
  stratum: string;
  id: string;
  stage: string;
  reason: string;
  detail: string;
  source: string;
  verdict: string;
  problem: string;
  extracted_answer: string;
  reference: string;
  response_excerpt: string;
  reviewer_verdict: string;
  reviewer_note: string;
  seed: number;
  run: string;
}

export interface AuditSampleOptions {
  perReason?: number;
  /** rows in the kept stratum (default: perReason) */
  kept?: number;
  seed?: number;
  /** characters of the response excerpt (default 1200: head third, tail two thirds, where the answer is) */
  excerptChars?: number;
}

const s = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

export function responseExcerpt(response: string, max: number): string {
  if (response.length <= max) return response;
  const head = Math.floor(max / 3);
  const tail = max - head;
  return `${response.slice(0, head)}\n[… ${(response.length - max).toLocaleString("en-US")} characters omitted …]\n${response.slice(-tail)}`;
}

export async function auditSample(runDir: string, opts: AuditSampleOptions = {}): Promise<{ rows: AuditRow[]; seed: number; strata: Record<string, { population: number; sampled: number }> }> {
  if (!isRunFolder(runDir)) throw new Error(`${runDir}: not a finished run folder (expected manifest.json beside data/ and rejected/)`);
  const manifest = readManifest(runDir)!;
  const seed = opts.seed ?? (typeof manifest.seed === "number" ? manifest.seed : 0);
  const perReason = opts.perReason ?? 25;
  const keptN = opts.kept ?? perReason;
  const max = opts.excerptChars ?? 1200;
  const run = `${s(manifest.name)}@${s(manifest.configHash).slice(0, 12)}`;
  const make = (stratum: string, row: Row): AuditRow => ({
    stratum,
    id: s(row.id),
    stage: s(row.stage),
    reason: s(row.reason),
    detail: s(row.detail),
    source: s(row.source),
    verdict: s(row.verdict),
    problem: s(row.problem).slice(0, 4000),
    extracted_answer: s(row.extracted_answer),
    reference: s(row.reference),
    response_excerpt: "",
    reviewer_verdict: "",
    reviewer_note: "",
    seed,
    run,
  });
  type Picked = AuditRow & { _pos: { file: number; row: number } };
  const pick = (stratum: string, row: Row): Picked => ({ ...make(stratum, row), _pos: { file: row._file as number, row: row._row as number } });
  // light columns in the scan; the response of the few sampled rows is read back afterwards
  const cols = ["id", "stage", "reason", "detail", "source", "verdict", "problem", "extracted_answer", "reference"];
  const byReason = new Map<string, { n: number; picker: BottomK<Picked> }>();
  const rejected = openShards(runDir, { sets: ["rejected"], columns: cols, position: true });
  for await (const row of rejected) {
    const reason = s(row.reason) || "(no reason)";
    let b = byReason.get(reason);
    if (!b) byReason.set(reason, (b = { n: 0, picker: new BottomK(perReason, seed) }));
    b.n++;
    b.picker.offer(s(row.id), () => pick(reason, row));
  }
  const keptPicker = new BottomK<Picked>(keptN, seed);
  let keptPop = 0;
  const data = openShards(runDir, { sets: ["data"], columns: cols, position: true });
  for await (const row of data) {
    keptPop++;
    keptPicker.offer(s(row.id), () => pick("kept", row));
  }
  const finish = async (items: Picked[], files: typeof data.files): Promise<AuditRow[]> => {
    const heavy = await readRowsAt(files, items.map((p) => p._pos), ["response"]);
    return items.map(({ _pos, ...r }, i) => ({ ...r, response_excerpt: responseExcerpt(s(heavy[i]!.response), max) }));
  };
  const strata: Record<string, { population: number; sampled: number }> = {};
  const rows: AuditRow[] = [];
  for (const reason of [...byReason.keys()].sort()) {
    const b = byReason.get(reason)!;
    const items = await finish(b.picker.items(), rejected.files);
    strata[reason] = { population: b.n, sampled: items.length };
    rows.push(...items);
  }
  const keptItems = await finish(keptPicker.items(), data.files);
  strata.kept = { population: keptPop, sampled: keptItems.length };
  rows.push(...keptItems);
  return { rows, seed, strata };
}

export function auditSheetCsv(rows: AuditRow[]): string {
  return writeCsv([...AUDIT_COLUMNS], rows as unknown as Record<string, unknown>[]);
}

export function auditSheetJsonl(rows: AuditRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
}

/** Wilson score interval for k successes in n trials (z = 1.96 → 95%). */
export function wilson(k: number, n: number, z = 1.959963984540054): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: k === 0 ? 0 : Math.max(0, center - half), high: k === n ? 1 : Math.min(1, center + half) };
}

export interface FilterScore {
  stratum: string;
  stage: string;
  sampled: number;
  reviewed: number;
  agree: number;
  disagree: number;
  unsure: number;
  /** agree / (agree + disagree); null when nobody judged a row */
  precision: number | null;
  low: number | null;
  high: number | null;
}

export interface AuditScore {
  filters: FilterScore[];
  disputed: { stratum: string; id: string; reason: string; note: string; record: number }[];
  unsure: { stratum: string; id: string; note: string; record: number }[];
  seeds: number[];
}

/** Read a sheet (CSV or JSONL text) and score it. `file` is used in error messages. */
export function auditScore(text: string, file: string, format: "csv" | "jsonl" = file.endsWith(".jsonl") ? "jsonl" : "csv"): AuditScore {
  let rows: Record<string, string>[];
  if (format === "jsonl") {
    rows = [];
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}, line ${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      if (!o || typeof o !== "object" || Array.isArray(o)) throw new Error(`${file}, line ${i + 1}: expected a JSON object`);
      rows.push(Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, s(v)])));
    });
  } else {
    let parsed;
    try {
      parsed = parseCsvObjects(text, file);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message.replace(`${file}: `, "")}`);
    }
    for (const need of ["stratum", "id", "reviewer_verdict"]) {
      if (!parsed.header.includes(need)) throw new Error(`${file}: header lacks the "${need}" column (expected the columns written by curate audit sample: ${AUDIT_COLUMNS.join(", ")})`);
    }
    rows = parsed.rows;
  }
  const filters = new Map<string, FilterScore>();
  const disputed: AuditScore["disputed"] = [];
  const unsure: AuditScore["unsure"] = [];
  const seeds = new Set<number>();
  rows.forEach((r, i) => {
    const record = i + 2; // header is record 1
    const stratum = (r.stratum ?? "").trim();
    if (!stratum) throw new Error(`${file}, record ${record}: empty stratum (expected a drop reason or "kept")`);
    const v = (r.reviewer_verdict ?? "").trim().toLowerCase();
    if (v && !(REVIEWER_VERDICTS as readonly string[]).includes(v)) {
      throw new Error(`${file}, record ${record} (id ${r.id}): reviewer_verdict ${JSON.stringify(r.reviewer_verdict)} is not one of ${REVIEWER_VERDICTS.join(", ")} (or blank for not reviewed)`);
    }
    if (r.seed && /^\d+$/.test(r.seed)) seeds.add(Number(r.seed));
    let f = filters.get(stratum);
    if (!f) filters.set(stratum, (f = { stratum, stage: r.stage ?? "", sampled: 0, reviewed: 0, agree: 0, disagree: 0, unsure: 0, precision: null, low: null, high: null }));
    f.sampled++;
    if (!v) return;
    f.reviewed++;
    if (v === "agree") f.agree++;
    else if (v === "disagree") {
      f.disagree++;
      disputed.push({ stratum, id: r.id ?? "", reason: r.detail || r.reason || "", note: r.reviewer_note ?? "", record });
    } else {
      f.unsure++;
      unsure.push({ stratum, id: r.id ?? "", note: r.reviewer_note ?? "", record });
    }
  });
  for (const f of filters.values()) {
    const n = f.agree + f.disagree;
    if (n > 0) {
      f.precision = f.agree / n;
      const ci = wilson(f.agree, n);
      f.low = ci.low;
      f.high = ci.high;
    }
  }
  const order = [...filters.values()].sort((a, b) => Number(a.stratum === "kept") - Number(b.stratum === "kept") || (a.stratum < b.stratum ? -1 : 1));
  return { filters: order, disputed, unsure, seeds: [...seeds].sort((a, b) => a - b) };
}

export function renderAuditScore(score: AuditScore): string {
  const pct = (x: number | null) => (x === null ? "—" : `${(100 * x).toFixed(1)}%`);
  const w = Math.max(8, ...score.filters.map((f) => f.stratum.length));
  const lines = [`${"filter".padEnd(w)}  sampled  reviewed  agree  disagree  unsure  precision  95% CI (Wilson)`];
  for (const f of score.filters) {
    lines.push(
      `${f.stratum.padEnd(w)}  ${String(f.sampled).padStart(7)}  ${String(f.reviewed).padStart(8)}  ${String(f.agree).padStart(5)}  ${String(f.disagree).padStart(8)}  ${String(f.unsure).padStart(6)}  ${pct(f.precision).padStart(9)}  ${f.low === null ? "—" : `${pct(f.low)} – ${pct(f.high)}`}`,
    );
  }
  lines.push("", `kept stratum: agree means the row was rightly kept (its precision is the share of kept rows reviewers would keep).`);
  if (score.seeds.length) lines.push(`sample seed(s): ${score.seeds.join(", ")}`);
  lines.push("", score.disputed.length ? `disputed rows (${score.disputed.length}):` : "no disputed rows");
  for (const d of score.disputed) lines.push(`  [${d.stratum}] ${d.id}${d.note ? ` — ${d.note.replace(/\s+/g, " ")}` : ""}  (record ${d.record})`);
  if (score.unsure.length) {
    lines.push("", `unsure (${score.unsure.length}):`);
    for (const u of score.unsure) lines.push(`  [${u.stratum}] ${u.id}${u.note ? ` — ${u.note.replace(/\s+/g, " ")}` : ""}`);
  }
  return safeText(lines.join("\n"));
}
