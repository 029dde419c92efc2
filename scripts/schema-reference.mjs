#!/usr/bin/env node
/**
 * Prints the mix-file reference (markdown tables) from schemas/mix.schema.json and schemas/parts/.
 * The README's "Mix file reference" section is this output; test/readme.test.ts checks that every
 * schema key is documented there.
 *
 *   node scripts/schema-reference.mjs > /tmp/ref.md
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const load = (p) => JSON.parse(readFileSync(join(root, "schemas", p), "utf8"));
const parts = Object.fromEntries(readdirSync(join(root, "schemas", "parts")).map((f) => [f, load(`parts/${f}`)]));

function typeOf(s) {
  if (!s) return "";
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" | ");
  if (s.oneOf || s.anyOf) return (s.oneOf ?? s.anyOf).map(typeOf).filter(Boolean).join(" | ");
  if (s.type === "array") return `array of ${typeOf(s.items) || "values"}`;
  if (s.$ref) return "object";
  return s.type ?? "";
}
const esc = (t) => String(t ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(title, schema, prefix) {
  const props = schema.properties ?? {};
  const rows = Object.entries(props);
  if (!rows.length) return "";
  const out = [`#### ${title}`, "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"];
  for (const [k, v] of rows) {
    const def = v.default === undefined ? "" : `\`${JSON.stringify(v.default)}\``;
    out.push(`| \`${prefix}${k}\` | ${esc(typeOf(v))} | ${esc(def)} | ${esc(v.description)} |`);
    if (v.type === "object" && v.properties && !v.$ref) {
      for (const [k2, v2] of Object.entries(v.properties)) {
        const d2 = v2.default === undefined ? "" : `\`${JSON.stringify(v2.default)}\``;
        out.push(`| \`${prefix}${k}.${k2}\` | ${esc(typeOf(v2))} | ${esc(d2)} | ${esc(v2.description)} |`);
      }
    }
  }
  return out.join("\n") + "\n";
}

const mix = load("mix.schema.json");
const sections = [
  table("top level", mix, ""),
  table("sources[]", parts["source.schema.json"], ""),
  table("sources[].fields", parts["source.schema.json"].properties.fields, "fields."),
  table("annotate.tokens", mix.properties.annotate.properties.tokens, "annotate.tokens."),
  table("annotate.verify", parts["verify.schema.json"], "annotate.verify."),
  table("annotate.decontaminate", parts["decontaminate.schema.json"], "annotate.decontaminate."),
  table("annotate.quality", parts["quality.schema.json"], "annotate.quality."),
  table("annotate.sketch", parts["sketch.schema.json"], "annotate.sketch."),
  table("filters (core)", parts["filters.core.schema.json"], "filters."),
  table("filters (verify)", parts["filters.verify.schema.json"], "filters."),
  table("filters (quality)", parts["filters.quality.schema.json"], "filters."),
  table("filters (decontaminate)", parts["filters.decontaminate.schema.json"], "filters."),
  table("dedupe", parts["dedupe.schema.json"], "dedupe."),
  table("output", mix.properties.output, "output."),
];
process.stdout.write(sections.filter(Boolean).join("\n"));
