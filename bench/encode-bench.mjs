#!/usr/bin/env node
/**
 * o200k token ids for the data products: curate's encoder (src/tokens/count.ts
 * makeO200kEncoder: the counter's pre-tokens, a memo of each piece's ids) against the reference,
 * gpt-tokenizer's encode in space-aligned segments (the previous path in src/mix/text.ts), on the
 * Sky-T1 long-CoT traces in ../shared/data. Prints MB per CPU second for both, twice, and how many
 * texts got different ids (must be 0).
 *
 *   npm run build && node bench/encode-bench.mjs
 */
import { existsSync, readFileSync } from "node:fs";
import o200k, { encode } from "gpt-tokenizer/encoding/o200k_base";
import { vocabPieceBpe } from "../dist/tokens/bpe.js";
import { loadO200kVocab } from "../dist/tokens/vocab.js";
import { makeO200kEncoder } from "../dist/tokens/count.js";
import { countSegmented } from "../dist/tokens/annotator.js";

const file = new URL("../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url).pathname;
if (!existsSync(file)) {
  console.error("encode-bench: needs ../shared/data/traces/skyt1_long_cot_evals.jsonl");
  process.exit(2);
}
const texts = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).response);
const NO_SPECIAL = { disallowedSpecial: new Set() };
const reference = (t) => {
  const out = [];
  countSegmented(t, (s) => {
    const ids = encode(s, NO_SPECIAL);
    for (const x of ids) out.push(x);
    return ids.length;
  });
  return out;
};
const fast = makeO200kEncoder(vocabPieceBpe(await loadO200kVocab()));
const mb = texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / 1e6;
let differing = 0;
for (const t of texts) {
  const a = reference(t);
  const b = fast(t);
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) differing++;
}
for (const [name, f] of [["gpt-tokenizer encode (reference)", reference], ["curate encoder", fast], ["gpt-tokenizer encode (reference)", reference], ["curate encoder", fast]]) {
  const c0 = process.cpuUsage();
  let n = 0;
  for (const t of texts) n += f(t).length;
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(34)} ${n} tokens  ${(mb / ((c.user + c.system) / 1e6)).toFixed(1)} MB per CPU second`);
}
console.log(`${texts.length} texts, ${mb.toFixed(1)} MB, ${differing} with different ids`);
