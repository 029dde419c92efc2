/**
 * Everything the HTML report shows, gathered in one streaming pass over a run folder's final rows
 * (data/ = kept, rejected/ = dropped with stage and reason). Memory is bounded by the number of problem
 * groups (pass rates, clusters) plus fixed-size samples: rows are never held, and every sample is a
 * bottom-k by seeded hash of the row id (stable across re-runs, independent of shard order).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { BottomK, isRunFolder, openShards, readManifest, readRowsAt, type Row } from "./shards.js";
import { histogram, IntSeries, rowDomain, type Histogram } from "./stats.js";

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

export interface ContaminationRow {
  id: string;
  kept: boolean;
  benchmark: string;
  item: string;
  method: string;
  score: number;
  field: string;
  /** the row's text (problem, or the response snippet) and the span(s) to highlight in it */
  text: string;
  spans: [number, number][];
  benchmarkText: string;
  benchmarkSpans: [number, number][];
}

export interface ClusterView {
  group: string;
  representative: string | null;
  rows: number;
  kept: number;
  problems: { key: string; problem: string; rows: number; kept: number; representative: boolean }[];
}

export interface VerifySample {
  id: string;
  kept: boolean;
  verdict: string;
  rule: string | null;
  extracted: string | null;
  reference: string | null;
}

export interface ReportData {
  run: { dir: string; name: string; configHash: string; seed: number; tokenizer: string | null; tool: string };
  counts: {
    rowsIn: number;
    kept: number;
    dropped: number;
    keptTokens: number;
    stages: { stage: string; in: number; kept: number; dropped: number; reasons: Record<string, number> }[];
    bySource: Record<string, { in: number; kept: number; dropped: number }>;
    byReason: Record<string, number>;
  };
  /** rows scanned in data/ and rejected/ (must equal kept and dropped) */
  scanned: { kept: number; dropped: number };
  reasonBySource: Record<string, Record<string, number>>;
  lengths: { before: Histogram; after: Histogram } | null;
  domains: { all: Record<string, number>; kept: Record<string, number> } | null;
  verifier: { all: Record<string, number>; kept: Record<string, number>; rules: Record<string, number>; samples: Record<string, VerifySample[]> } | null;
  passRate: { basis: "group" | "verdicts"; problems: number; bins: number[]; unknown: number } | null;
  contamination: { rows: number; kept: number; byBenchmark: Record<string, number>; byMethod: Record<string, number>; shown: ContaminationRow[] } | null;
  clusters: { total: number; shown: ClusterView[] } | null;
  dropSamples: { reason: string; stage: string; count: number; rows: DropSample[] }[];
  outputs: { name: string; summary: unknown; manifest: unknown; manifestPath: string | null }[];
  timings: unknown;
  options: Required<ReportOptions>;
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v));
const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : v === null || v === undefined ? null : JSON.stringify(v));
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n) + "…";
}

function bump(m: Record<string, number>, k: string, by = 1): void {
  m[k] = (m[k] ?? 0) + by;
}

function sorted(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

interface ClusterAcc {
  rows: number;
  kept: number;
  representative: string | null;
  keys: Map<string, { problem: string; rows: number; kept: number }>;
}

function readJsonIfAny(path: string, maxBytes = 512 * 1024): unknown {
  if (!existsSync(path)) return null;
  const size = statSync(path).size;
  if (size > maxBytes) return { note: `${path} is ${size} bytes; not embedded (limit ${maxBytes})` };
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return { error: `${path}: not valid JSON: ${(e as Error).message}` };
  }
}

const GRADED = new Set(["correct", "incorrect", "no_answer"]);

export async function collectReport(runDir: string, opts: ReportOptions = {}): Promise<ReportData> {
  const dir = resolve(runDir);
  if (!isRunFolder(dir)) throw new Error(`${runDir}: not a finished run folder (expected manifest.json beside data/ and rejected/)`);
  const manifest = readManifest(dir)!;
  const counts = manifest.counts;
  if (!counts || !Array.isArray(counts.stages)) throw new Error(`${join(runDir, "manifest.json")}: counts.stages missing (expected a curate run manifest)`);
  const o: Required<ReportOptions> = {
    perReason: opts.perReason ?? 5,
    seed: opts.seed ?? (typeof manifest.seed === "number" ? manifest.seed : 0),
    contaminationRows: opts.contaminationRows ?? 50,
    clusters: opts.clusters ?? 25,
    perVerdict: opts.perVerdict ?? 8,
    excerptChars: opts.excerptChars ?? 1500,
  };
  const X = o.excerptChars;

  const before = new IntSeries();
  const after = new IntSeries();
  let anyTokens = false;
  const domainsAll: Record<string, number> = {};
  const domainsKept: Record<string, number> = {};
  let anyDomain = false;
  const domainCache = new Map<string, string | null>();
  const verdictAll: Record<string, number> = {};
  const verdictKept: Record<string, number> = {};
  const rules: Record<string, number> = {};
  let anyVerdict = false;
  const verifySamplers = new Map<string, BottomK<VerifySample>>();
  const groupPass = new Map<string, number | null>();
  const keyTally = new Map<string, { c: number; g: number }>();
  let contamRows = 0;
  let contamKept = 0;
  const byBenchmark: Record<string, number> = {};
  const byMethod: Record<string, number> = {};
  const contamSampler = new BottomK<ContaminationRow[]>(o.contaminationRows, o.seed);
  const clusters = new Map<string, ClusterAcc>();
  /** first problem text per group, for groups not (yet) known to hold several problems */
  const firstProblem = new Map<string, { key: string; problem: string; rows: number; kept: number }>();
  const dropSamplers = new Map<string, { stage: string; count: number; sampler: BottomK<DropSample & { _pos: { file: number; row: number } }> }>();
  const reasonBySource: Record<string, Record<string, number>> = {};
  const scanned = { kept: 0, dropped: 0 };

  const onRow = (row: Row, kept: boolean) => {
    if (kept) scanned.kept++;
    else scanned.dropped++;
    const id = str(row.id);
    const ann = (row.annotations && typeof row.annotations === "object" ? row.annotations : {}) as Record<string, any>;
    const tokens = numOrNull(row.tokens_response);
    if (tokens !== null) {
      anyTokens = true;
      before.push(tokens);
      if (kept) after.push(tokens);
    }
    // domain
    if (typeof row.problem === "string" && row.problem) {
      const ck = typeof row.problem_key === "string" && row.problem_key ? row.problem_key + "\u0000" + JSON.stringify(row.meta ?? null) : null;
      let d = ck !== null ? domainCache.get(ck) : undefined;
      if (d === undefined) {
        d = rowDomain(row);
        if (ck !== null && domainCache.size < 500_000) domainCache.set(ck, d);
      }
      if (d) {
        anyDomain = true;
        bump(domainsAll, d);
        if (kept) bump(domainsKept, d);
      }
    }
    // verifier
    const verdict = typeof row.verdict === "string" ? row.verdict : null;
    if (verdict) {
      anyVerdict = true;
      bump(verdictAll, verdict);
      if (kept) bump(verdictKept, verdict);
      const rule = typeof ann.verify?.rule === "string" ? ann.verify.rule : null;
      bump(rules, rule ?? "(none)");
      let s = verifySamplers.get(verdict);
      if (!s) verifySamplers.set(verdict, (s = new BottomK(o.perVerdict, o.seed)));
      s.offer(id, () => ({ id, kept, verdict, rule, extracted: strOrNull(row.extracted_answer), reference: strOrNull(row.reference) }));
      const pk = typeof row.problem_key === "string" ? row.problem_key : null;
      if (pk) {
        let t = keyTally.get(pk);
        if (!t) keyTally.set(pk, (t = { c: 0, g: 0 }));
        if (GRADED.has(verdict)) t.g++;
        if (verdict === "correct") t.c++;
      }
    }
    // pass rate from the group step
    const g = ann.group as Record<string, any> | undefined;
    const groupId = typeof row.problem_group === "string" && row.problem_group ? row.problem_group : typeof g?.problemGroup === "string" && g.problemGroup ? g.problemGroup : null;
    if (groupId && !groupPass.has(groupId)) {
      if (g && "passRate" in g) groupPass.set(groupId, numOrNull(g.passRate));
      else if ("pass_rate" in row) groupPass.set(groupId, numOrNull(row.pass_rate));
    }
    // contamination
    const matches = Array.isArray(ann.contamination) ? (ann.contamination as Record<string, any>[]) : [];
    if (matches.length || (typeof row.contaminated === "string" && row.contaminated)) {
      contamRows++;
      if (kept) contamKept++;
      const seen = new Set<string>();
      for (const m of matches) {
        bump(byMethod, str(m.method) || "(unknown)");
        if (!seen.has(str(m.benchmark))) bump(byBenchmark, str(m.benchmark) || "(unknown)");
        seen.add(str(m.benchmark));
      }
      if (!matches.length) for (const b of str(row.contaminated).split(",")) bump(byBenchmark, b);
      contamSampler.offer(id, () =>
        (matches.length ? matches : [{ benchmark: row.contaminated, method: "", score: null, field: "problem" }]).slice(0, 3).map((m) => {
          const field = str(m.field) || "problem";
          const span = Array.isArray(m.span) && m.span.length === 2 ? ([Number(m.span[0]), Number(m.span[1])] as [number, number]) : null;
          let text: string;
          let spans: [number, number][];
          if (field === "problem" && typeof row.problem === "string" && span && span[1] <= row.problem.length) {
            text = row.problem;
            spans = [span];
            if (text.length > X) {
              const start = Math.max(0, Math.min(span[0] - 200, text.length - X));
              text = (start > 0 ? "…" : "") + text.slice(start, start + X);
              const shift = start > 0 ? 1 - start : 0;
              spans = [[span[0] + shift, span[1] + shift]];
            }
          } else {
            text = clip(str(m.snippet) || str(row.problem), X);
            spans = m.snippet ? [[0, text.length]] : [];
          }
          const bText = clip(str(m.benchmarkSnippet), X);
          return {
            id,
            kept,
            benchmark: str(m.benchmark),
            item: str(m.item),
            method: str(m.method),
            score: typeof m.score === "number" ? m.score : NaN,
            field,
            text,
            spans,
            benchmarkText: bText,
            benchmarkSpans: bText ? [[0, bText.length]] : [],
          };
        }),
      );
    }
    // near-duplicate clusters: a group whose rows carry several problem keys
    const pk = typeof row.problem_key === "string" ? row.problem_key : null;
    if (groupId && pk) {
      const several = typeof g?.groupProblems === "number" ? g.groupProblems > 1 : null;
      let c = clusters.get(groupId);
      if (!c && (several === true || (several === null && pk !== groupId) || (several === null && firstProblem.has(groupId) && firstProblem.get(groupId)!.key !== pk))) {
        c = { rows: 0, kept: 0, representative: null, keys: new Map() };
        clusters.set(groupId, c);
        const first = firstProblem.get(groupId);
        if (first) {
          c.rows += first.rows;
          c.kept += first.kept;
          c.keys.set(first.key, { problem: first.problem, rows: first.rows, kept: first.kept });
          firstProblem.delete(groupId);
        }
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
        const f = firstProblem.get(groupId);
        if (!f) firstProblem.set(groupId, { key: pk, problem: clip(str(row.problem), 200), rows: 1, kept: kept ? 1 : 0 });
        else {
          f.rows++;
          if (kept) f.kept++;
        }
      }
    }
    // drop samples
    if (!kept) {
      const reason = str(row.reason) || "(no reason)";
      const stage = str(row.stage);
      const source = str(row.source);
      (reasonBySource[source] ??= {})[reason] = (reasonBySource[source]![reason] ?? 0) + 1;
      let d = dropSamplers.get(reason);
      if (!d) dropSamplers.set(reason, (d = { stage, count: 0, sampler: new BottomK(o.perReason, o.seed) }));
      d.count++;
      d.sampler.offer(id, () => ({
        id,
        source,
        stage,
        reason,
        detail: strOrNull(row.detail),
        duplicateOf: strOrNull(row.duplicate_of),
        problem: clip(str(row.problem), X),
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
    }
  };

  const keptColumns = ["id", "source", "problem", "reference", "tokens_response", "verdict", "extracted_answer", "contaminated", "problem_key", "problem_group", "representative", "pass_rate", "meta", "annotations"];
  for await (const row of openShards(dir, { sets: ["data"], columns: keptColumns })) onRow(row, true);
  // rejected/: light columns only; the heavy text of the few sampled rows is read back afterwards
  const rejectedRows = openShards(dir, { sets: ["rejected"], columns: [...keptColumns, "stage", "reason", "detail", "duplicate_of"], position: true });
  for await (const row of rejectedRows) onRow(row, false);
  for (const d of dropSamplers.values()) {
    const picked = d.sampler.items();
    const heavy = await readRowsAt(rejectedRows.files, picked.map((p) => p._pos), ["response", "solution", "raw"]);
    picked.forEach((p, i) => {
      const h = heavy[i]!;
      const response = str(h.response);
      const half = Math.floor(X / 2);
      p.responseHead = response.slice(0, half);
      p.responseTail = response.length > X ? response.slice(-half) : response.slice(half);
      p.responseChars = response.length;
      p.solution = clip(str(h.solution), X);
      p.raw = h.raw === null || h.raw === undefined ? null : clip(str(h.raw), X);
    });
  }

  // pass rate: the group step's per-group value when present, else correct / graded per exact problem
  let passRate: ReportData["passRate"] = null;
  const bins = new Array<number>(10).fill(0);
  const addRate = (r: number) => bins[Math.min(9, Math.floor(r * 10))]!++;
  if (groupPass.size) {
    let unknown = 0;
    for (const r of groupPass.values()) (r === null ? unknown++ : addRate(r));
    passRate = { basis: "group", problems: groupPass.size, bins, unknown };
  } else if (keyTally.size) {
    let unknown = 0;
    for (const t of keyTally.values()) (t.g === 0 ? unknown++ : addRate(t.c / t.g));
    passRate = { basis: "verdicts", problems: keyTally.size, bins, unknown };
  }

  let lengths: ReportData["lengths"] = null;
  if (anyTokens) {
    const b = histogram(before, 24);
    lengths = { before: b, after: histogram(after, 24, b.width, b.counts.length) };
  }

  const clusterViews: ClusterView[] = [...clusters.entries()]
    .filter(([, c]) => c.keys.size > 1)
    .sort((a, b) => b[1].keys.size - a[1].keys.size || b[1].rows - a[1].rows || (a[0] < b[0] ? -1 : 1))
    .slice(0, o.clusters)
    .map(([group, c]) => ({
      group,
      representative: c.representative,
      rows: c.rows,
      kept: c.kept,
      problems: [...c.keys.entries()]
        .sort((a, b) => Number(b[0] === group) - Number(a[0] === group) || b[1].rows - a[1].rows)
        .slice(0, 8)
        .map(([key, k]) => ({ key, problem: k.problem, rows: k.rows, kept: k.kept, representative: key === group })),
    }));
  const clusterTotal = [...clusters.values()].filter((c) => c.keys.size > 1).length;

  // outputs: the manifest's summary plus outputs/<name>/manifest.json when written
  const outputs: ReportData["outputs"] = [];
  const summaries = (manifest.outputs && typeof manifest.outputs === "object" ? manifest.outputs : {}) as Record<string, unknown>;
  const names = new Set(Object.keys(summaries));
  const outDir = join(dir, "outputs");
  if (existsSync(outDir)) for (const e of readdirSync(outDir, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
  for (const name of [...names].sort()) {
    const mp = join(outDir, name, "manifest.json");
    outputs.push({ name, summary: summaries[name] ?? null, manifest: readJsonIfAny(mp), manifestPath: existsSync(mp) ? `outputs/${name}/manifest.json` : null });
  }

  const dropSamples = [...dropSamplers.entries()]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .map(([reason, d]) => ({ reason, stage: d.stage, count: d.count, rows: d.sampler.items().map(({ _pos, ...r }) => r) }));

  return {
    run: {
      dir: runDir,
      name: str(manifest.name),
      configHash: str(manifest.configHash),
      seed: typeof manifest.seed === "number" ? manifest.seed : 0,
      tokenizer: strOrNull(manifest.tokenizer),
      tool: `${str(manifest.tool?.name)} ${str(manifest.tool?.version)}`.trim(),
    },
    counts: {
      rowsIn: counts.rowsIn,
      kept: counts.kept,
      dropped: counts.dropped,
      keptTokens: counts.keptTokens ?? 0,
      stages: counts.stages,
      bySource: counts.bySource ?? {},
      byReason: counts.byReason ?? {},
    },
    scanned,
    reasonBySource,
    lengths,
    domains: anyDomain ? { all: sorted(domainsAll), kept: sorted(domainsKept) } : null,
    verifier: anyVerdict
      ? {
          all: sorted(verdictAll),
          kept: sorted(verdictKept),
          rules: sorted(rules),
          samples: Object.fromEntries([...verifySamplers.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([v, s]) => [v, s.items()])),
        }
      : null,
    passRate,
    contamination: contamRows ? { rows: contamRows, kept: contamKept, byBenchmark: sorted(byBenchmark), byMethod: sorted(byMethod), shown: contamSampler.items().flat() } : null,
    clusters: clusterTotal ? { total: clusterTotal, shown: clusterViews } : null,
    dropSamples,
    outputs,
    timings: readJsonIfAny(join(dir, "timings.json")),
    options: o,
  };
}
