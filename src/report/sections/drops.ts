/**
 * Samples per drop reason: every reason's count and a seeded sample of its rows. The scan reads light
 * columns only; the heavy text (response, solution, raw input) of the few sampled rows is read back
 * from rejected/ afterwards, by position.
 */
import { escapeHtml as h } from "../escape.js";
import { fmt, pre } from "../charts.js";
import type { ReportScan, ReportSection, ReportSettings, SectionCollector } from "../section.js";
import { BottomK, readRowsAt } from "../shards.js";
import { clip, numOrNull, str, strOrNull } from "../values.js";

export interface DropSample {
  id: string;
  source: string;
  stage: string;
  reason: string;
  detail: string | null;
  duplicateOf: string | null;
  problem: string;
  responseHead: string;
  responseTail: string;
  responseChars: number;
  solution: string;
  extracted: string | null;
  reference: string | null;
  verdict: string | null;
  tokens: number | null;
  raw: string | null;
}

export interface DropsData {
  /** one entry per drop reason, most rows first */
  dropSamples: { reason: string; stage: string; count: number; rows: DropSample[] }[];
}

type PendingSample = DropSample & { _pos: { file: number; row: number } };

/** How far back (characters) a cut looks for a space or line break, so it does not split a word. */
const WORD_SLACK = 80;

/**
 * A response to show: whole when it fits in `max` characters (tail ""), else its first and last
 * `max / 2`, each cut at a space or line break when one is near (never splitting a surrogate pair).
 */
export function headAndTail(text: string, max: number): { head: string; tail: string } {
  if (text.length <= max) return { head: text, tail: "" };
  const half = Math.floor(max / 2);
  let a = half;
  for (let i = half; i > half - WORD_SLACK && i > 0; i--) {
    if (/\s/.test(text[i]!)) {
      a = i;
      break;
    }
  }
  let b = text.length - half;
  for (let i = b; i < b + WORD_SLACK && i < text.length; i++) {
    if (/\s/.test(text[i - 1]!)) {
      b = i;
      break;
    }
  }
  if (a > 0 && a < text.length && isLowSurrogate(text.charCodeAt(a))) a--;
  if (b > 0 && b < text.length && isLowSurrogate(text.charCodeAt(b))) b++;
  return { head: text.slice(0, a), tail: text.slice(b) };
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Fill in the heavy text of sampled rows from rejected/: the response's head and tail, solution, raw input. */
async function readHeavyText(scan: ReportScan, picked: PendingSample[]): Promise<void> {
  const X = scan.options.excerptChars;
  const heavy = await readRowsAt(scan.rejectedFiles, picked.map((p) => p._pos), ["response", "solution", "raw"]);
  picked.forEach((p, i) => {
    const h = heavy[i]!;
    const response = str(h.response);
    const { head, tail } = headAndTail(response, X);
    p.responseHead = head;
    p.responseTail = tail;
    p.responseChars = response.length;
    p.solution = clip(str(h.solution), X);
    p.raw = h.raw === null || h.raw === undefined ? null : clip(str(h.raw), X);
  });
}

function collectDrops(scan: ReportScan): SectionCollector<DropsData> {
  const o = scan.options;
  const byReason = new Map<string, { stage: string; count: number; sampler: BottomK<PendingSample> }>();
  return {
    row({ row, kept, id }) {
      if (kept) return;
      const reason = str(row.reason) || "(no reason)";
      const stage = str(row.stage);
      let d = byReason.get(reason);
      if (!d) byReason.set(reason, (d = { stage, count: 0, sampler: new BottomK(o.perReason, o.seed) }));
      d.count++;
      d.sampler.offer(id, () => ({
        id,
        source: str(row.source),
        stage,
        reason,
        detail: strOrNull(row.detail),
        duplicateOf: strOrNull(row.duplicate_of),
        problem: clip(str(row.problem), o.excerptChars),
        responseHead: "",
        responseTail: "",
        responseChars: 0,
        solution: "",
        extracted: strOrNull(row.extracted_answer),
        reference: strOrNull(row.reference),
        verdict: strOrNull(row.verdict),
        tokens: numOrNull(row.tokens_response),
        raw: null,
        _pos: { file: row._file as number, row: row._row as number },
      }));
    },
    async finish() {
      for (const d of byReason.values()) await readHeavyText(scan, d.sampler.items());
      const dropSamples = [...byReason.entries()]
        .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
        .map(([reason, d]) => ({ reason, stage: d.stage, count: d.count, rows: d.sampler.items().map(({ _pos, ...r }) => r) }));
      return { dropSamples };
    },
  };
}

function renderSample(r: DropSample): string {
  let s = `<div class="card drop-sample"><div class="head">${h(r.id)} · ${h(r.source)}${r.tokens !== null ? ` · ${fmt(r.tokens)} tokens` : ""}${r.verdict ? ` · verdict ${h(r.verdict)}` : ""}${r.detail ? ` · ${h(r.detail)}` : ""}${r.duplicateOf ? ` · duplicate of ${h(r.duplicateOf)}` : ""}</div>`;
  if (r.problem) s += `<div class="head">problem</div>${pre(r.problem)}`;
  if (r.responseChars) {
    const left = r.responseChars - r.responseHead.length - r.responseTail.length;
    s += `<details><summary>response (${fmt(r.responseChars)} chars${left > 0 ? ", head and tail" : ""})</summary>${pre(r.responseHead, "trace")}${r.responseTail ? `<p class="note">… ${fmt(left)} characters not shown …</p>${pre(r.responseTail, "trace")}` : ""}</details>`;
  }
  if (r.solution) s += `<div class="head">final solution</div>${pre(r.solution, "trace")}`;
  if (r.extracted !== null || r.reference !== null) s += `<div class="head">extracted <code>${h(r.extracted ?? "—")}</code> · reference <code>${h(r.reference ?? "—")}</code></div>`;
  if (r.raw) s += `<div class="head">raw input</div>${pre(r.raw)}`;
  return s + `</div>`;
}

function renderDrops(d: DropsData, o: ReportSettings): string {
  let s = `<p class="note">Up to ${fmt(o.perReason)} rows per reason, chosen by seeded hash of the row id (seed ${fmt(o.seed)}); the same run and seed always show the same rows.</p>`;
  if (!d.dropSamples.length) s += `<p>No rows were dropped.</p>`;
  else s += `<input class="filter" data-target="drop-samples" placeholder="filter samples…">`;
  s += `<div id="drop-samples">`;
  for (const g of d.dropSamples) {
    s += `<details${d.dropSamples.length <= 6 ? " open" : ""}><summary><b>${h(g.reason)}</b> (stage ${h(g.stage)}) — ${fmt(g.count)} rows</summary>`;
    for (const r of g.rows) s += renderSample(r);
    s += `</details>`;
  }
  return s + `</div>`;
}

export const dropsSection: ReportSection<DropsData> = {
  id: "drops",
  nav: "Drop samples",
  title: "Samples per drop reason",
  columns: ["source", "problem", "extracted_answer", "reference", "verdict", "tokens_response"],
  droppedColumns: ["stage", "reason", "detail", "duplicate_of"],
  collect: collectDrops,
  render: renderDrops,
};
