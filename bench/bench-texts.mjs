/**
 * Texts the module benches share (bench/keys-bench.mjs, bench/tokens-bench.mjs): the Sky-T1 long-CoT
 * traces in ../shared/data and, when `npm run bench` has made it, the first rows of the pipeline bench
 * corpus (bench/out/corpus-100k.jsonl, read from its first 64 MB: it is too large for one string).
 */
import { readFileSync, existsSync, openSync, readSync, closeSync } from "node:fs";

/** [name, rows] pairs (rows parsed from JSON: {problem, response, …}); empty when neither file exists */
export function benchRowSets(corpusRows) {
  const sets = [];
  const traces = new URL("../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url).pathname;
  if (existsSync(traces)) sets.push(["Sky-T1 traces", readFileSync(traces, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))]);
  const corpus = new URL("./out/corpus-100k.jsonl", import.meta.url).pathname;
  if (existsSync(corpus)) {
    const buf = Buffer.alloc(64 << 20);
    const fd = openSync(corpus, "r");
    const got = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const lines = buf.subarray(0, got).toString("utf8").split("\n");
    lines.pop(); // the text after the last line ending: empty, or a line cut at 64 MB
    const rows = lines.slice(0, corpusRows).map((l) => JSON.parse(l));
    sets.push([`bench corpus (${rows.length.toLocaleString("en")} rows)`, rows]);
  }
  return sets;
}
