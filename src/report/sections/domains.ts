/** Domains: rows per math domain (stored by the quality step, else derived from problem and meta), all and kept. */
import { barChart, countsTable, pct } from "../charts.js";
import type { ReportSection, SectionCollector } from "../section.js";
import { rowDomain } from "../stats.js";
import { bump, sorted } from "../values.js";

export interface DomainsData {
  /** null when no row has a domain */
  domains: { all: Record<string, number>; kept: Record<string, number> } | null;
}

/** Problems whose domain is remembered (rollouts of one problem share it); beyond this, derive again. */
const DOMAIN_CACHE_LIMIT = 500_000;

function collectDomains(): SectionCollector<DomainsData> {
  const all: Record<string, number> = {};
  const kept: Record<string, number> = {};
  let anyDomain = false;
  const cache = new Map<string, string | null>();
  return {
    row({ row, kept: isKept }) {
      if (typeof row.problem !== "string" || !row.problem) return;
      const ck = typeof row.problem_key === "string" && row.problem_key ? row.problem_key + "\u0000" + JSON.stringify(row.meta ?? null) : null;
      let d = ck !== null ? cache.get(ck) : undefined;
      if (d === undefined) {
        d = rowDomain(row);
        if (ck !== null && cache.size < DOMAIN_CACHE_LIMIT) cache.set(ck, d);
      }
      if (d) {
        anyDomain = true;
        bump(all, d);
        if (isKept) bump(kept, d);
      }
    },
    finish() {
      return { domains: anyDomain ? { all: sorted(all), kept: sorted(kept) } : null };
    },
  };
}

function renderDomains(d: DomainsData): string | null {
  if (!d.domains) return null;
  const { all, kept } = d.domains;
  const rows = Object.entries(all);
  return (
    barChart(rows.map(([k, n]) => ({ label: k, values: [n, kept[k] ?? 0] })), ["all", "kept"], { title: "domains" }) +
    countsTable("", ["domain", "all rows", "kept", "kept share"], rows.map(([k, n]) => [k, n, kept[k] ?? 0, pct(kept[k] ?? 0, n)]))
  );
}

export const domainsSection: ReportSection<DomainsData> = {
  id: "domains",
  nav: "Domains",
  title: "Domains",
  columns: ["problem", "meta"],
  collect: collectDomains,
  render: renderDomains,
};
