/**
 * Dataset cards (README.md): the run folder's (kept rows in data/, dropped ones in rejected/, each
 * output as a further config) and each output folder's. Both carry the YAML `configs:` header Hugging
 * Face `datasets` reads to load a folder, and share one layout: front matter, title, facts, tables,
 * a loading snippet.
 */
import type { OutputManifest } from "./types.js";

export const fmt = (n: number) => n.toLocaleString("en-US");
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A folder of shards `datasets` loads as one config: `load_dataset(folder, name)`. */
export interface CardConfig {
  name: string;
  /** glob of its shards, relative to the card's folder */
  path: string;
}

/** YAML front matter: every config (the first is the default), then the tags. */
function frontMatter(configs: CardConfig[], tags: string[]): string[] {
  const yaml = ["---", "configs:"];
  for (const c of configs) yaml.push(`- config_name: ${c.name}`, "  data_files:", "  - split: train", `    path: ${c.path}`);
  yaml.push("tags:", ...tags.map((t) => `- ${t}`), "---", "");
  return yaml;
}

/** A section heading and its markdown table; `align` has one letter per column: l(eft) or r(ight, numbers). */
function tableSection(title: string, head: string[], align: string, rows: string[][]): string[] {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return ["", `## ${title}`, "", row(head), row([...align].map((a) => (a === "r" ? "---:" : "---"))), ...rows.map(row)];
}

/** The loading section: Python lines after the import, then notes on manifest.json. */
function loading(python: string[], notes: string[]): string[] {
  return ["", "## Loading", "", "```python", "from datasets import load_dataset", ...python, "```", "", ...notes, ""];
}

const TAGS = ["curate", "math", "reasoning"];

/** What the run card reads of the run's manifest (run/runner.ts Manifest). */
export interface RunCardFacts {
  name: string;
  tool: { version: string };
  configHash: string;
  seed: number;
  tokenizer: string;
  /** false: the banner under the title says so (manifests written before the field: no banner) */
  decontaminated?: boolean;
  /** the config's warnings (run/manifest.ts), each shown in the banner */
  warnings?: string[];
  counts: {
    rowsIn: number;
    kept: number;
    keptTokens: number;
    dropped: number;
    stages: { stage: string; in: number; kept: number; dropped: number; reasons: Record<string, number> }[];
    bySource: Record<string, { in: number; kept: number; dropped: number }>;
  };
}

/**
 * The banner under the title: a blockquote a reader cannot miss, opening "Not decontaminated" when
 * the rows were not checked against benchmarks (or matches were kept), then every config warning.
 */
export function warningBanner(m: Pick<RunCardFacts, "decontaminated" | "warnings">): string[] {
  const warnings = m.warnings ?? [];
  if (m.decontaminated !== false && !warnings.length) return [];
  const lines: string[] = [];
  if (m.decontaminated === false) lines.push("> **Not decontaminated.** Rows that reproduce evaluation benchmark problems may be in this data; do not evaluate a model trained on it on those benchmarks.");
  for (const w of warnings) lines.push(`${lines.length ? ">\n" : ""}> Warning: ${w.replace(/\n/g, " ")}`);
  return [...lines, ""];
}

/**
 * The run folder's card: `load_dataset("path/to/run")` gives the kept rows; `name="rejected"` the
 * dropped ones; `extraConfigs` (the outputs) are further configs.
 */
export function datasetCard(m: RunCardFacts, extraConfigs: CardConfig[] = []): string {
  const configs = [{ name: "default", path: "data/*.parquet" }, { name: "rejected", path: "rejected/*.parquet" }, ...extraConfigs];
  const c = m.counts;
  return [
    ...frontMatter(configs, TAGS),
    `# ${m.name}`,
    "",
    ...warningBanner(m),
    `Curated with curate ${m.tool.version} (config hash \`${m.configHash.slice(0, 16)}\`, seed ${m.seed}, tokenizer ${m.tokenizer}).`,
    "",
    `- rows in: ${fmt(c.rowsIn)}`,
    `- kept: ${fmt(c.kept)} (${fmt(c.keptTokens)} response tokens) in \`data/\``,
    `- dropped: ${fmt(c.dropped)}, every one in \`rejected/\` with its stage and reason`,
    ...tableSection("Stages", ["stage", "in", "kept", "dropped", "reasons"], "lrrrl",
      c.stages.map((s) => [s.stage, fmt(s.in), fmt(s.kept), fmt(s.dropped), Object.entries(s.reasons).sort().map(([r, n]) => `${r}: ${fmt(n)}`).join(", ")])),
    ...tableSection("Sources", ["source", "in", "kept", "dropped"], "lrrr", Object.entries(c.bySource).map(([s, x]) => [s, fmt(x.in), fmt(x.kept), fmt(x.dropped)])),
    ...loading(
      ['kept = load_dataset("path/to/this/folder")', 'rejected = load_dataset("path/to/this/folder", "rejected")'],
      ["`manifest.json` lists every shard with its rows, tokens, bytes and sha256, the resolved config and tool versions."],
    ),
  ].join("\n");
}

/** What an output's card says about its kind (from the product registry, products.ts). */
export interface ProductCardText {
  /** the row layout and which trainer reads it */
  about: string[];
  /** lines after rows / tokens / problem groups (from the manifest's details) */
  facts: string[];
  /** what the tables' units are, for every kind: "rollouts (midtrain, sft), pairs (dpo) or prompts (rl)" */
  units: string;
}

/** One output folder's card: `load_dataset("<run>/outputs/<name>")` gives the train split. */
export function outputCard(runName: string, m: OutputManifest, text: ProductCardText): string {
  const lines = [...frontMatter([{ name: "default", path: "data/*.parquet" }], [...TAGS, m.kind])];
  lines.push(`# ${runName} / ${m.name} (${m.kind})`, "");
  lines.push(...text.about, "");
  lines.push(`Config hash \`${m.configHash.slice(0, 16)}\`, seed ${m.seed}, tokenizer ${m.tokenizer}.`, "");
  lines.push(`- rows: ${fmt(m.rows)}`, `- tokens: ${fmt(m.tokens)}`, `- problem groups: ${fmt(m.problems)}`, ...text.facts);
  if (m.rows === 0) lines.push("", "**This output is empty**: no row met its rules (see `eligibility` in manifest.json).");
  const h = m.passRateHistogram;
  lines.push(
    ...tableSection("Sources", ["source", "units", "tokens"], "lrr", Object.entries(m.bySource).map(([s, c]) => [s, fmt(c.rows), fmt(c.tokens)])),
    ...tableSection("Domains", ["domain", "units", "tokens"], "lrr", Object.entries(m.byDomain).map(([s, c]) => [s, fmt(c.rows), fmt(c.tokens)])),
    ...tableSection("Pass rate of the problems", ["pass rate", "units"], "lr", [
      ...h.counts.map((c, i) => [`${(i / h.bins).toFixed(1)}–${((i + 1) / h.bins).toFixed(1)}`, fmt(c)]),
      ["unknown", fmt(h.unknown)],
    ]),
    ...tableSection("Left out", ["reason", "count"], "lr", Object.entries(m.eligibility).map(([r, n]) => [r, fmt(n)])),
  );
  if (Object.keys(m.disjoint).length) {
    lines.push("", "## Disjointness", "");
    for (const [o, x] of Object.entries(m.disjoint)) lines.push(`- kept out the ${fmt(x.problems)} problem groups (${fmt(x.rollouts)} rollouts) used by \`${o}\`; shared after build: ${x.overlapAfter}`);
  }
  lines.push(
    ...loading(
      [`ds = load_dataset("path/to/run/outputs/${m.name}", split="train")`],
      ["`manifest.json` lists every shard with rows, tokens, bytes and sha256, and the config of this output.", `Units in the tables are ${text.units}.`],
    ),
  );
  return lines.join("\n");
}
