/**
 * Dataset card (README.md) of one output folder, with the YAML `configs:` header Hugging Face
 * `datasets` reads: `load_dataset("<run>/outputs/<name>")` gives the train split.
 */
import type { OutputManifest } from "./types.js";

const fmt = (n: number) => n.toLocaleString("en-US");
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const LAYOUT: Record<OutputManifest["kind"], string[]> = {
  midtrain: [
    "Packed sequences for mid-training. `text` is the decoded sequence; `input_ids` (when present) are the exact",
    "token ids — use them rather than re-tokenising `text` (a rollout cut at a sequence boundary may cut a",
    "multi-byte character, and separately encoded pieces can differ from one-string tokenisation by a token).",
    "`rollout_ids` lists the rollouts in each sequence (a rollout cut at a boundary appears in both).",
  ],
  sft: [
    "Rows in TRL's conversational layout: `messages` = [system?] + user (problem) + assistant (response).",
    "`SFTTrainer` reads the `messages` column directly.",
  ],
  dpo: [
    "Preference pairs in TRL's layout: `prompt`, `chosen`, `rejected` (message lists in the chat variant,",
    "strings in the plain one). Chosen = verified correct rollout, rejected = verified incorrect rollout of the",
    "same problem group. `DPOTrainer` reads these columns directly.",
  ],
  rl: [
    "Prompts for RL with a verifiable reward: `prompt`, `answer` (the gold reference), `pass_rate` of the teacher's",
    "rollouts, `num_rollouts`, `domain`, `difficulty`.",
  ],
};

export function outputCard(runName: string, m: OutputManifest): string {
  const lines = ["---", "configs:", "- config_name: default", "  data_files:", "  - split: train", "    path: data/*.parquet", "tags:", "- curate", "- math", "- reasoning", `- ${m.kind}`, "---", ""];
  lines.push(`# ${runName} / ${m.name} (${m.kind})`, "");
  lines.push(...LAYOUT[m.kind], "");
  lines.push(`Config hash \`${m.configHash.slice(0, 16)}\`, seed ${m.seed}, tokenizer ${m.tokenizer}.`, "");
  lines.push(`- rows: ${fmt(m.rows)}`, `- tokens: ${fmt(m.tokens)}`, `- problem groups: ${fmt(m.problems)}`);
  const d = m.details as Record<string, number | string | null>;
  if (m.kind === "midtrain") {
    lines.push(
      `- sequences of ${fmt(Number(d.packTo))} tokens: ${fmt(Number(d.sequences))}; rollouts packed: ${fmt(Number(d.rolloutsPacked))}`,
      `- packing efficiency (content / sequences × packTo): ${pct(Number(d.packingEfficiency))}; rollouts split across sequences: ${fmt(Number(d.splitRollouts))}`,
    );
  }
  if (m.rows === 0) lines.push("", "**This output is empty**: no row met its rules (see `eligibility` in manifest.json).");
  lines.push("", "## Sources", "", "| source | units | tokens |", "| --- | ---: | ---: |");
  for (const [s, c] of Object.entries(m.bySource)) lines.push(`| ${s} | ${fmt(c.rows)} | ${fmt(c.tokens)} |`);
  lines.push("", "## Domains", "", "| domain | units | tokens |", "| --- | ---: | ---: |");
  for (const [s, c] of Object.entries(m.byDomain)) lines.push(`| ${s} | ${fmt(c.rows)} | ${fmt(c.tokens)} |`);
  lines.push("", "## Pass rate of the problems", "", "| pass rate | units |", "| --- | ---: |");
  const h = m.passRateHistogram;
  h.counts.forEach((c, i) => lines.push(`| ${(i / h.bins).toFixed(1)}–${((i + 1) / h.bins).toFixed(1)} | ${fmt(c)} |`));
  lines.push(`| unknown | ${fmt(h.unknown)} |`);
  lines.push("", "## Left out", "", "| reason | count |", "| --- | ---: |");
  for (const [r, n] of Object.entries(m.eligibility)) lines.push(`| ${r} | ${fmt(n)} |`);
  if (Object.keys(m.disjoint).length) {
    lines.push("", "## Disjointness", "");
    for (const [o, x] of Object.entries(m.disjoint)) lines.push(`- kept out the ${fmt(x.problems)} problem groups (${fmt(x.rollouts)} rollouts) used by \`${o}\`; shared after build: ${x.overlapAfter}`);
  }
  lines.push(
    "",
    "## Loading",
    "",
    "```python",
    "from datasets import load_dataset",
    `ds = load_dataset("path/to/run/outputs/${m.name}", split="train")`,
    "```",
    "",
    "`manifest.json` lists every shard with rows, tokens, bytes and sha256, and the config of this output.",
    "Units in the tables are rollouts (midtrain, sft), pairs (dpo) or prompts (rl).",
    "",
  );
  return lines.join("\n");
}
