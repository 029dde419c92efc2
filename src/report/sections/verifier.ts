/**
 * Verifier outcomes: rows per verdict (all and kept), the deciding rule, a seeded sample of extracted
 * against reference answers per verdict, and the pass-rate distribution over problems (the group
 * step's per-group value when present, else correct / graded rollouts per exact problem).
 */
import { escapeHtml as h } from "../escape.js";
import { barChart, countsTable, fmt, pct } from "../charts.js";
import type { ReportRow, ReportScan, ReportSection, SectionCollector } from "../section.js";
import { BottomK } from "../shards.js";
import { bump, numOrNull, sorted, strOrNull } from "../values.js";

export interface VerifySample {
  id: string;
  kept: boolean;
  verdict: string;
  rule: string | null;
  extracted: string | null;
  reference: string | null;
}

export interface VerifierData {
  /** null when no row has a verdict */
  verifier: { all: Record<string, number>; kept: Record<string, number>; rules: Record<string, number>; samples: Record<string, VerifySample[]> } | null;
  /** problems per pass-rate decile; null when neither the group step nor the verifier gave one */
  passRate: { basis: "group" | "verdicts"; problems: number; bins: number[]; unknown: number } | null;
}

/** Verdicts that count as graded for a pass rate (others, e.g. skipped, do not). */
const GRADED = new Set(["correct", "incorrect", "no_answer"]);

/** Per-problem pass rates, from the group step's value per group or else from the verdicts per exact problem. */
class PassRates {
  private readonly groupPass = new Map<string, number | null>();
  private readonly keyTally = new Map<string, { c: number; g: number }>();

  row({ row, group: g, groupId, problemKey }: ReportRow, verdict: string | null): void {
    if (verdict && problemKey) {
      let t = this.keyTally.get(problemKey);
      if (!t) this.keyTally.set(problemKey, (t = { c: 0, g: 0 }));
      if (GRADED.has(verdict)) t.g++;
      if (verdict === "correct") t.c++;
    }
    if (groupId && !this.groupPass.has(groupId)) {
      if (g && "passRate" in g) this.groupPass.set(groupId, numOrNull(g.passRate));
      else if ("pass_rate" in row) this.groupPass.set(groupId, numOrNull(row.pass_rate));
    }
  }

  result(): VerifierData["passRate"] {
    const bins = new Array<number>(10).fill(0);
    const addRate = (r: number) => bins[Math.min(9, Math.floor(r * 10))]!++;
    let unknown = 0;
    if (this.groupPass.size) {
      for (const r of this.groupPass.values()) (r === null ? unknown++ : addRate(r));
      return { basis: "group", problems: this.groupPass.size, bins, unknown };
    }
    if (this.keyTally.size) {
      for (const t of this.keyTally.values()) (t.g === 0 ? unknown++ : addRate(t.c / t.g));
      return { basis: "verdicts", problems: this.keyTally.size, bins, unknown };
    }
    return null;
  }
}

function collectVerifier(scan: ReportScan): SectionCollector<VerifierData> {
  const o = scan.options;
  const all: Record<string, number> = {};
  const kept: Record<string, number> = {};
  const rules: Record<string, number> = {};
  let anyVerdict = false;
  const samplers = new Map<string, BottomK<VerifySample>>();
  const passRates = new PassRates();
  return {
    row(r) {
      const { row, id } = r;
      const verdict = typeof row.verdict === "string" ? row.verdict : null;
      if (verdict) {
        anyVerdict = true;
        bump(all, verdict);
        if (r.kept) bump(kept, verdict);
        const rule = typeof r.ann.verify?.rule === "string" ? (r.ann.verify.rule as string) : null;
        bump(rules, rule ?? "(none)");
        let s = samplers.get(verdict);
        if (!s) samplers.set(verdict, (s = new BottomK(o.perVerdict, o.seed)));
        s.offer(id, () => ({ id, kept: r.kept, verdict, rule, extracted: strOrNull(row.extracted_answer), reference: strOrNull(row.reference) }));
      }
      passRates.row(r, verdict);
    },
    finish() {
      const samples = Object.fromEntries([...samplers.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([v, s]) => [v, s.items()]));
      return {
        verifier: anyVerdict ? { all: sorted(all), kept: sorted(kept), rules: sorted(rules), samples } : null,
        passRate: passRates.result(),
      };
    },
  };
}

function renderVerdicts(v: NonNullable<VerifierData["verifier"]>): string {
  const all = Object.entries(v.all);
  const total = all.reduce((x, [, n]) => x + n, 0);
  let s = countsTable("", ["verdict", "all rows", "share", "kept"], all.map(([k, n]) => [k, n, pct(n, total), v.kept[k] ?? 0]));
  s += barChart(all.map(([k, n]) => ({ label: k, values: [n, v.kept[k] ?? 0] })), ["all", "kept"], { title: "verdicts" });
  s += `<h3>Deciding rule</h3>` + countsTable("", ["rule", "rows"], Object.entries(v.rules).slice(0, 30));
  s += `<h3>Extracted vs reference answers</h3><input class="filter" data-target="verify-samples" placeholder="filter examples…"><div id="verify-samples">`;
  for (const [verdict, rows] of Object.entries(v.samples)) {
    s += `<h4>${h(verdict)}</h4><table><thead><tr><th>id</th><th>extracted</th><th>reference</th><th>rule</th><th>decision</th></tr></thead><tbody>`;
    for (const r of rows) s += `<tr><td>${h(r.id)}</td><td><code>${h(r.extracted ?? "—")}</code></td><td><code>${h(r.reference ?? "—")}</code></td><td>${h(r.rule ?? "")}</td><td><span class="tag ${r.kept ? "kept" : "dropped"}">${r.kept ? "kept" : "dropped"}</span></td></tr>`;
    s += `</tbody></table>`;
  }
  return s + `</div>`;
}

function renderPassRate(p: NonNullable<VerifierData["passRate"]>): string {
  const s = `<h3>Pass rate per problem</h3><p class="note">${p.basis === "group" ? "per problem group, from the group step" : "per exact problem: correct / graded rollouts"}; ${fmt(p.problems)} problems, ${fmt(p.unknown)} with no graded rollout.</p>`;
  return s + barChart(p.bins.map((n, i) => ({ label: `${(i / 10).toFixed(1)}–${i === 9 ? "1.0" : ((i + 1) / 10).toFixed(1)}`, values: [n] })), ["problems"], { title: "pass-rate distribution" });
}

function renderVerifier(d: VerifierData): string | null {
  if (!d.verifier && !d.passRate) return null;
  return (d.verifier ? renderVerdicts(d.verifier) : "") + (d.passRate ? renderPassRate(d.passRate) : "");
}

export const verifierSection: ReportSection<VerifierData> = {
  id: "verifier",
  nav: "Verifier",
  title: "Verifier outcomes",
  columns: ["verdict", "extracted_answer", "reference", "pass_rate"],
  collect: collectVerifier,
  render: renderVerifier,
};
