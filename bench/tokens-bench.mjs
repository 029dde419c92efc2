#!/usr/bin/env node
/**
 * Exact o200k token counting: curate's counter (src/tokens/count.ts) against the reference,
 * gpt-tokenizer's `countTokens`, on the same texts — the Sky-T1 long-CoT traces in ../shared/data
 * and, when it exists, 2,000 rows of the pipeline bench corpus. Prints MB per CPU second (robust when
 * other jobs share the machine) and checks that the two totals agree.
 *
 *   npm run build && node bench/tokens-bench.mjs [--rounds 3]
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { makeO200kCounter } from "../dist/tokens/count.js";
import { benchRowSets } from "./bench-texts.mjs";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 3) || 3;
const sets = benchRowSets(2000).map(([name, rows]) => [name, rows.map((r) => r.response)]);
if (!sets.length) {
  console.error("tokens-bench: needs ../shared/data/traces or bench/out/corpus-100k.jsonl (npm run bench makes it)");
  process.exit(2);
}
const NO_SPECIAL = { disallowedSpecial: new Set() };
function measure(texts, count) {
  let best = Infinity;
  let total = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    total = 0;
    for (const t of texts) total += count(t);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e6);
  }
  return { cpu: best, total };
}
for (const [name, texts] of sets) {
  const mb = texts.reduce((a, t) => a + t.length, 0) / 1e6;
  const ours = measure(texts, makeO200kCounter(countTokens));
  const ref = measure(texts, (t) => countTokens(t, NO_SPECIAL));
  console.log(
    `${name}: ${texts.length} texts, ${mb.toFixed(1)} M chars — curate ${(mb / ours.cpu).toFixed(1)} MB/CPU-s, ` +
      `gpt-tokenizer ${(mb / ref.cpu).toFixed(1)} MB/CPU-s (${(ref.cpu / ours.cpu).toFixed(1)}×); tokens ${ours.total} vs ${ref.total}${ours.total === ref.total ? " (equal)" : " (DIFFER)"}`,
  );
}
console.log(`best of ${rounds} rounds each; load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
