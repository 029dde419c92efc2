/**
 * Near-duplicate clusters: problem groups whose rows carry several distinct problem keys (the group
 * step merged near-duplicate problems), the largest shown with their problems, representative first.
 */
import { escapeHtml as h } from "../escape.js";
import { fmt } from "../charts.js";
import type { ReportRow, ReportScan, ReportSection, SectionCollector } from "../section.js";
import { clip, str } from "../values.js";

export interface ClusterView {
  group: string;
  representative: string | null;
  rows: number;
  kept: number;
  problems: { key: string; problem: string; rows: number; kept: number; representative: boolean }[];
}

export interface ClustersData {
  /** null when no group holds several problems */
  clusters: { total: number; shown: ClusterView[] } | null;
}

interface ProblemTally {
  problem: string;
  rows: number;
  kept: number;
}

interface ClusterAcc {
  rows: number;
  kept: number;
  representative: string | null;
  keys: Map<string, ProblemTally>;
}

/** Problems shown per cluster. */
const PROBLEMS_SHOWN = 8;

/**
 * Tallies per problem group, kept only for groups known to hold several problems. Without the group
 * step's groupProblems count a group is one only once a second key shows up (or its one key differs from
 * the group id), so the first key's tally waits in `firstProblem` until then.
 */
class ClusterTally {
  readonly clusters = new Map<string, ClusterAcc>();
  private readonly firstProblem = new Map<string, { key: string } & ProblemTally>();

  row({ row, kept, group: g, groupId, problemKey: pk }: ReportRow): void {
    if (!groupId || !pk) return;
    const several = typeof g?.groupProblems === "number" ? g.groupProblems > 1 : null;
    let c = this.clusters.get(groupId);
    if (!c && (several === true || (several === null && pk !== groupId) || (several === null && this.firstProblem.has(groupId) && this.firstProblem.get(groupId)!.key !== pk))) {
      c = this.open(groupId);
    }
    if (c) {
      c.rows++;
      if (kept) c.kept++;
      if (!c.representative) {
        if (typeof g?.representative === "string") c.representative = g.representative;
        else if (typeof row.representative === "string" && row.representative) c.representative = row.representative;
      }
      let k = c.keys.get(pk);
      if (!k) c.keys.set(pk, (k = { problem: clip(str(row.problem), 400), rows: 0, kept: 0 }));
      k.rows++;
      if (kept) k.kept++;
    } else if (several === null) {
      const f = this.firstProblem.get(groupId);
      if (!f) this.firstProblem.set(groupId, { key: pk, problem: clip(str(row.problem), 200), rows: 1, kept: kept ? 1 : 0 });
      else {
        f.rows++;
        if (kept) f.kept++;
      }
    }
  }

  /** Start a cluster for `groupId`, taking over its waiting first-problem tally. */
  private open(groupId: string): ClusterAcc {
    const c: ClusterAcc = { rows: 0, kept: 0, representative: null, keys: new Map() };
    this.clusters.set(groupId, c);
    const first = this.firstProblem.get(groupId);
    if (first) {
      c.rows += first.rows;
      c.kept += first.kept;
      c.keys.set(first.key, { problem: first.problem, rows: first.rows, kept: first.kept });
      this.firstProblem.delete(groupId);
    }
    return c;
  }
}

function clusterViews(clusters: Map<string, ClusterAcc>, shown: number): ClusterView[] {
  return [...clusters.entries()]
    .filter(([, c]) => c.keys.size > 1)
    .sort((a, b) => b[1].keys.size - a[1].keys.size || b[1].rows - a[1].rows || (a[0] < b[0] ? -1 : 1))
    .slice(0, shown)
    .map(([group, c]) => ({
      group,
      representative: c.representative,
      rows: c.rows,
      kept: c.kept,
      problems: [...c.keys.entries()]
        .sort((a, b) => Number(b[0] === group) - Number(a[0] === group) || b[1].rows - a[1].rows)
        .slice(0, PROBLEMS_SHOWN)
        .map(([key, k]) => ({ key, problem: k.problem, rows: k.rows, kept: k.kept, representative: key === group })),
    }));
}

function collectClusters(scan: ReportScan): SectionCollector<ClustersData> {
  const tally = new ClusterTally();
  return {
    row: (r) => tally.row(r),
    finish() {
      const views = clusterViews(tally.clusters, scan.options.clusters);
      const total = [...tally.clusters.values()].filter((c) => c.keys.size > 1).length;
      return { clusters: total ? { total, shown: views } : null };
    },
  };
}

function renderClusters(d: ClustersData): string | null {
  if (!d.clusters) return null;
  let s = `<p>${fmt(d.clusters.total)} problem groups merge several distinct problems; the ${fmt(d.clusters.shown.length)} largest are shown. The representative problem is listed first.</p>`;
  for (const cl of d.clusters.shown) {
    s += `<div class="card"><div class="head">group ${h(cl.group.slice(0, 16))} · ${fmt(cl.problems.length)} problems shown · ${fmt(cl.rows)} rollouts, ${fmt(cl.kept)} kept${cl.representative ? ` · representative row ${h(cl.representative)}` : ""}</div><table><tbody>`;
    for (const p of cl.problems) s += `<tr><td>${p.representative ? '<span class="tag kept">representative</span>' : '<span class="tag">merged</span>'}</td><td class="num">${fmt(p.rows)} rollouts, ${fmt(p.kept)} kept</td><td>${h(p.problem)}</td></tr>`;
    s += `</tbody></table></div>`;
  }
  return s;
}

export const clustersSection: ReportSection<ClustersData> = {
  id: "clusters",
  nav: "Near-duplicates",
  title: "Near-duplicate problem clusters",
  columns: ["problem", "representative"],
  collect: collectClusters,
  render: renderClusters,
};
