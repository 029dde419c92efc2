/**
 * Dataset card (README.md) with the YAML `configs:` header Hugging Face `datasets` reads to load a
 * folder: `load_dataset("path/to/run")` gives the kept rows; `name="rejected"` the dropped ones.
 */
import type { Manifest } from "./runner.js";

const fmt = (n: number) => n.toLocaleString("en-US");

export function datasetCard(m: Manifest, extraConfigs: { name: string; path: string }[] = []): string {
  const configs = [
    { name: "default", path: "data/*.parquet" },
    { name: "rejected", path: "rejected/*.parquet" },
    ...extraConfigs,
  ];
  const yaml = ["---", "configs:"];
  for (const c of configs) {
    yaml.push(`- config_name: ${c.name}`, "  data_files:", "  - split: train", `    path: ${c.path}`);
  }
  yaml.push("tags:", "- curate", "- math", "- reasoning", "---", "");
  const lines = [
    ...yaml,
    `# ${m.name}`,
    "",
    `Curated with curate ${m.tool.version} (config hash \`${m.configHash.slice(0, 16)}\`, seed ${m.seed}, tokenizer ${m.tokenizer}).`,
    "",
    `- rows in: ${fmt(m.counts.rowsIn)}`,
    `- kept: ${fmt(m.counts.kept)} (${fmt(m.counts.keptTokens)} response tokens) in \`data/\``,
    `- dropped: ${fmt(m.counts.dropped)}, every one in \`rejected/\` with its stage and reason`,
    "",
    "## Stages",
    "",
    "| stage | in | kept | dropped | reasons |",
    "| --- | ---: | ---: | ---: | --- |",
    ...m.counts.stages.map(
      (s) => `| ${s.stage} | ${fmt(s.in)} | ${fmt(s.kept)} | ${fmt(s.dropped)} | ${Object.entries(s.reasons).sort().map(([r, n]) => `${r}: ${fmt(n)}`).join(", ")} |`,
    ),
    "",
    "## Sources",
    "",
    "| source | in | kept | dropped |",
    "| --- | ---: | ---: | ---: |",
    ...Object.entries(m.counts.bySource).map(([s, c]) => `| ${s} | ${fmt(c.in)} | ${fmt(c.kept)} | ${fmt(c.dropped)} |`),
    "",
    "## Loading",
    "",
    "```python",
    "from datasets import load_dataset",
    'kept = load_dataset("path/to/this/folder")',
    'rejected = load_dataset("path/to/this/folder", "rejected")',
    "```",
    "",
    "`manifest.json` lists every shard with its rows, tokens, bytes and sha256, the resolved config and tool versions.",
    "",
  ];
  return lines.join("\n");
}
