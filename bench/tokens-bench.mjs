#!/usr/bin/env node
/**
 * Exact o200k token counting: curate's counter (src/tokens/count.ts) against gpt-tokenizer's
 * `countTokens`, on the same texts — the Sky-T1 long-CoT traces in ../shared/data and, when it
 * exists, 2,000 rows of the pipeline bench corpus — and the tokens annotator's per-row work
 * (`traceTokens`: the whole response plus its reasoning and solution, in one scan). Prints MB per CPU
 * second (robust when other jobs share the machine) and checks every total against tiktoken's.
 *
 *   npm run build && node bench/tokens-bench.mjs [--rounds 3]
 */
import o200k, { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { get_encoding } from "tiktoken";
import { vocabPieceBpe } from "../dist/tokens/bpe.js";
import { loadO200kVocab } from "../dist/tokens/vocab.js";
import { makeO200kCounter } from "../dist/tokens/count.js";
import { traceTokens } from "../dist/tokens/annotator.js";
import { normalizeTrace } from "../dist/record/trace.js";
import { benchRowSets } from "./bench-texts.mjs";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 3) || 3;
const sets = benchRowSets(2000).map(([name, rows]) => [name, rows.map((r) => r.response).filter((t) => typeof t === "string")]);
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
const tiktoken = get_encoding("o200k_base");
for (const [name, texts] of sets) {
  const mb = texts.reduce((a, t) => a + t.length, 0) / 1e6;
  const counter = makeO200kCounter(vocabPieceBpe(await loadO200kVocab()));
  const ours = measure(texts, counter);
  const ref = measure(texts, (t) => countTokens(t, NO_SPECIAL));
  const splits = new Map(texts.map((t) => [t, normalizeTrace(t)]));
  const rows = measure(texts, (t) => traceTokens(t, splits.get(t).reasoning, splits.get(t).solution, counter).response);
  const truth = texts.reduce((a, t) => a + tiktoken.encode_ordinary(t).length, 0);
  const check = (n) => (n === truth ? "= tiktoken" : `DIFFERS from tiktoken's ${truth}`);
  console.log(
    `${name}: ${texts.length} texts, ${mb.toFixed(1)} M chars — curate ${(mb / ours.cpu).toFixed(1)} MB/CPU-s (${ours.total} tokens ${check(ours.total)}), ` +
      `gpt-tokenizer ${(mb / ref.cpu).toFixed(1)} MB/CPU-s (${(ref.cpu / ours.cpu).toFixed(1)}×; ${ref.total} ${check(ref.total)}); ` +
      `traceTokens ${(mb / rows.cpu).toFixed(1)} MB/CPU-s (response tokens ${check(rows.total)})`,
  );
}
tiktoken.free();
console.log(`best of ${rounds} rounds each; load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
