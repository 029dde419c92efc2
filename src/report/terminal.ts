/**
 * Terminal rendering for `curate inspect` / `curate show`: bar histograms, count tables, readable
 * rollouts (reasoning folded, final answer highlighted). Colour only when asked (a TTY); otherwise the
 * answer is marked with »…« so it survives pipes and logs.
 */
import { normalizeTrace } from "../record/trace.js";
import type { Description, Histogram } from "./stats.js";
import type { Row, SignalRow } from "./shards.js";

export interface Style {
  color: boolean;
}

const esc = (code: string, s: string, st: Style) => (st.color ? `\u001b[${code}m${s}\u001b[0m` : s);
export const bold = (s: string, st: Style) => esc("1", s, st);
export const dim = (s: string, st: Style) => esc("2", s, st);
const highlight = (s: string, st: Style) => (st.color ? esc("1;30;43", s, st) : `»${s}«`);

const fmt = (n: number) => n.toLocaleString("en-US");

/** Remove terminal control characters from untrusted text (a trace must not drive the terminal). */
export function safeText(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 10 && c !== 9) || c === 127 || (c >= 0x80 && c < 0xa0)) out += c === 27 ? "␛" : "�";
    else out += s[i];
  }
  return out;
}

export function bar(count: number, max: number, width: number): string {
  if (max <= 0 || count <= 0) return "";
  const cells = (count / max) * width;
  const full = Math.floor(cells);
  const parts = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  const frac = parts[Math.floor((cells - full) * 8)] ?? "";
  return "█".repeat(full) + (full === 0 && !frac ? "▏" : frac);
}

export function renderHistogram(h: Histogram, title: string, width = 40): string {
  const lines = [`${title}  (n=${fmt(h.n)}, min ${fmt(h.min)}, p50 ${fmt(h.p50)}, p90 ${fmt(h.p90)}, p99 ${fmt(h.p99)}, max ${fmt(h.max)}, mean ${fmt(Math.round(h.mean))})`];
  const max = Math.max(0, ...h.counts);
  const labels = h.edges.map((e, i) => (h.overflow && i === h.edges.length - 1 ? `≥ ${fmt(e)}` : `${fmt(e)}–${fmt(e + h.width - 1)}`));
  const lw = Math.max(...labels.map((l) => l.length));
  const cw = Math.max(...h.counts.map((c) => fmt(c).length));
  h.counts.forEach((c, i) => lines.push(`  ${labels[i]!.padStart(lw)} │${bar(c, max, width).padEnd(width)} ${fmt(c).padStart(cw)}`));
  return lines.join("\n");
}

export function renderCounts(title: string, counts: Record<string, number>, total: number, limit = 20): string {
  const entries = Object.entries(counts);
  if (!entries.length) return `${title}: (column absent)`;
  const shown = entries.slice(0, limit);
  const kw = Math.max(...shown.map(([k]) => k.length));
  const max = Math.max(...shown.map(([, v]) => v));
  const lines = [`${title}:`];
  for (const [k, v] of shown) lines.push(`  ${safeText(k).padEnd(kw)}  ${fmt(v).padStart(9)}  ${(total ? (100 * v) / total : 0).toFixed(1).padStart(5)}%  ${bar(v, max, 20)}`);
  if (entries.length > limit) lines.push(`  … ${entries.length - limit} more`);
  return lines.join("\n");
}

export function renderDescription(d: Description, st: Style): string {
  const out: string[] = [];
  out.push(bold(`${d.path}`, st) + `  ${fmt(d.rows)} rows in ${d.files.length} file(s)`);
  for (const f of d.files.slice(0, 12)) out.push(dim(`  ${f.set.padEnd(9)} ${f.path}  ${fmt(f.rows)} rows, ${f.rowGroups} row group(s)`, st));
  if (d.files.length > 12) out.push(dim(`  … ${d.files.length - 12} more files`, st));
  out.push("");
  out.push(bold("schema", st) + ` (${d.columns.length} columns)`);
  const nw = Math.max(0, ...d.columns.map((c) => c.name.length));
  for (const c of d.columns) out.push(`  ${c.name.padEnd(nw)}  ${dim(c.type, st)}`);
  out.push("");
  if (d.where) out.push(bold(`where ${d.where}`, st) + `: ${fmt(d.matched)} of ${fmt(d.rows)} rows match`, "");
  if (d.tokens) out.push(renderHistogram(d.tokens, bold("tokens_response", st)), "");
  const n = d.matched;
  out.push(renderCounts(bold("per source", st), d.bySource, n), "");
  out.push(renderCounts(bold("per domain", st), d.byDomain, n), "");
  out.push(renderCounts(bold("per verdict", st), d.byVerdict, n), "");
  if (Object.keys(d.byDecision).length) out.push(renderCounts(bold("per decision", st), d.byDecision, n), "");
  if (Object.keys(d.byContamination).length) out.push(renderCounts(bold("contaminated (per benchmark)", st), d.byContamination, n), "");
  return out.join("\n");
}

/**
 * A run's signal table: per signal, the rows that raise it whichever stage dropped them, how many of
 * those were kept, and how many were dropped with it as their reason (the rest went for another cause).
 */
export function renderSignals(signals: SignalRow[], st: Style): string {
  const lines = [bold("signals", st) + " (rows raising each, whichever stage dropped them; from manifest.json, the whole run):"];
  if (!signals.length) return lines.concat("  (none)").join("\n");
  const sw = Math.max(5, ...signals.map((s) => s.stage.length));
  const nw = Math.max(6, ...signals.map((s) => safeText(s.signal).length));
  lines.push(dim(`  ${"stage".padEnd(sw)}  ${"signal".padEnd(nw)}  ${"rows".padStart(9)}  ${"kept".padStart(9)}  ${"dropped as it".padStart(13)}  ${"by another".padStart(10)}`, st));
  for (const s of signals) {
    const other = s.rows - s.kept - s.droppedAs;
    lines.push(`  ${safeText(s.stage).padEnd(sw)}  ${safeText(s.signal).padEnd(nw)}  ${fmt(s.rows).padStart(9)}  ${fmt(s.kept).padStart(9)}  ${fmt(s.droppedAs).padStart(13)}  ${fmt(other).padStart(10)}`);
  }
  return lines.join("\n");
}

function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return s.slice(0, max) + ` … [${fmt(s.length - max)} more characters]`;
}

/** Mark the final answer in the solution: the extracted answer when it occurs, else the last \boxed{…}. */
export function markAnswer(solution: string, extracted: string | null, st: Style): string {
  if (extracted) {
    const at = solution.lastIndexOf(extracted);
    if (at >= 0) return solution.slice(0, at) + highlight(extracted, st) + solution.slice(at + extracted.length);
  }
  const b = solution.lastIndexOf("\\boxed{");
  if (b >= 0) {
    let depth = 0;
    for (let i = b + 7; i < solution.length; i++) {
      const c = solution[i];
      if (c === "{") depth++;
      else if (c === "}") {
        if (depth === 0) return solution.slice(0, b) + highlight(solution.slice(b, i + 1), st) + solution.slice(i + 1);
        depth--;
      }
    }
  }
  return solution;
}

const ROW_FIELDS_SHOWN = new Set(["id", "source", "problem", "response", "solution", "reference", "extracted_answer", "verdict", "annotations", "meta", "shard", "kept", "stage", "reason", "detail", "duplicate_of", "raw"]);

export function renderRollout(row: Row, st: Style, opts: { full?: boolean; maxChars?: number } = {}): string {
  const maxChars = opts.full ? Number.POSITIVE_INFINITY : (opts.maxChars ?? 1200);
  const s = (v: unknown) => safeText(v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
  const out: string[] = [];
  const decision = row.kept === true ? "kept" : row.stage ? `dropped at ${s(row.stage)}: ${s(row.reason)}${row.detail ? ` (${s(row.detail)})` : ""}${row.duplicate_of ? ` duplicate of ${s(row.duplicate_of)}` : ""}` : row.kept === false ? "dropped" : "";
  out.push(bold(`── ${s(row.id)}`, st) + dim(`  ${s(row.source)}${row.shard ? `  ${s(row.shard)}` : ""}`, st));
  const facts: string[] = [];
  if (row.verdict !== undefined) facts.push(`verdict ${row.verdict ?? "—"}`);
  if (typeof row.tokens_response === "number") facts.push(`${fmt(row.tokens_response)} response tokens`);
  if (row.contaminated) facts.push(`contaminated: ${s(row.contaminated)}`);
  if (decision) facts.push(decision);
  if (facts.length) out.push("  " + facts.join(" · "));
  if (row.problem !== undefined) out.push(bold("problem", st), indent(clip(s(row.problem), maxChars)));
  const response = typeof row.response === "string" ? row.response : null;
  const split = response !== null ? normalizeTrace(response) : null;
  const reasoning = split?.reasoning ?? null;
  const solution = typeof row.solution === "string" ? row.solution : (split?.solution ?? "");
  if (reasoning !== null) {
    const rt = typeof row.tokens_reasoning === "number" ? `${fmt(row.tokens_reasoning)} tokens, ` : "";
    if (opts.full) out.push(bold("reasoning", st) + dim(` (${rt}${fmt(reasoning.length)} chars)`, st), indent(s(reasoning)));
    else {
      const head = reasoning.slice(0, 160).replace(/\s+/g, " ");
      const tail = reasoning.length > 320 ? reasoning.slice(-160).replace(/\s+/g, " ") : "";
      out.push(bold("▸ reasoning", st) + dim(` folded (${rt}${fmt(reasoning.length)} chars): ${s(head)}${tail ? ` … ${s(tail)}` : ""}`, st));
    }
  } else if (split && split.format === "plain" && response) {
    out.push(dim(`▸ plain response (no reasoning block), ${fmt(response.length)} chars`, st));
  }
  if (solution || response !== null) {
    out.push(bold("solution", st), indent(markAnswer(clip(s(solution), maxChars), row.extracted_answer ? s(row.extracted_answer) : null, st)));
  }
  const answers: string[] = [];
  if (row.extracted_answer !== undefined) answers.push(`extracted ${row.extracted_answer === null ? "—" : highlight(s(row.extracted_answer), st)}`);
  if (row.reference !== undefined) answers.push(`reference ${row.reference === null ? "—" : s(row.reference)}`);
  if (answers.length) out.push("  " + answers.join("   "));
  if (!opts.full && row.annotations && typeof row.annotations === "object") {
    const a = row.annotations as Record<string, any>;
    const bits: string[] = [];
    if (a.verify) bits.push(`verify: rule ${a.verify.rule ?? "—"}${a.verify.extractedBy ? `, by ${a.verify.extractedBy}` : ""}`);
    if (Array.isArray(a.contamination) && a.contamination.length) bits.push(`contamination: ${a.contamination.map((m: any) => `${m.benchmark} ${m.item} (${m.method})`).join("; ")}`);
    if (a.quality) {
      const q = a.quality;
      const flags = ["truncated", "conflictingAnswers"].filter((k) => q[k] === true);
      const rep = typeof q.repetition === "number" ? `repetition ${q.repetition.toFixed(2)}` : "";
      bits.push(`quality: ${[...flags, rep].filter(Boolean).join(", ") || "ok"}`);
    }
    if (a.group) bits.push(`group: ${a.group.groupRollouts ?? "?"} rollouts${typeof a.group.passRate === "number" ? `, pass rate ${a.group.passRate.toFixed(2)}` : ""}${a.group.nearDuplicateProblem ? ", near-duplicate problem" : ""}`);
    if (bits.length) out.push(dim("  " + s(bits.join(" · ")), st));
  }
  if (opts.full) {
    if (row.annotations && typeof row.annotations === "object" && Object.keys(row.annotations).length) {
      out.push(bold("annotations", st), indent(s(JSON.stringify(row.annotations, null, 2))));
    }
    if (row.meta && typeof row.meta === "object" && Object.keys(row.meta).length) out.push(bold("meta", st), indent(s(JSON.stringify(row.meta))));
    const rest = Object.entries(row).filter(([k]) => !ROW_FIELDS_SHOWN.has(k));
    if (rest.length) out.push(bold("columns", st), ...rest.map(([k, v]) => `  ${k}: ${s(v)}`));
    if (row.raw) out.push(bold("raw (quarantined input)", st), indent(clip(s(row.raw), 4000)));
  }
  return out.join("\n");
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => "  " + l)
    .join("\n");
}
