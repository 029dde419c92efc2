#!/usr/bin/env node
/**
 * Exact-duplicate keys: `keysFor` (bytes normalised by normalizeForKeyBytes, hashed without building
 * strings) against the reference, the string method it replaced — `normalizeForKey` (NFKC, lower case,
 * four regex rewrites) then `hashKey` of the joined strings — on the same texts: the Sky-T1 traces in
 * ../shared/data and, when it exists, the first rows of the pipeline bench corpus. The two alternate
 * in one process (robust when other jobs share the machine); MB per CPU second, and a check that
 * every key is equal.
 *
 *   npm run build && node bench/keys-bench.mjs [--rounds 4]
 */
import { keysFor, hashKey } from "../dist/tokens/annotator.js";
import { normalizeForKey } from "../dist/record/trace.js";
import { benchRowSets } from "./bench-texts.mjs";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 4) || 4;
const sets = benchRowSets(4000);
if (!sets.length) {
  console.error("keys-bench: needs ../shared/data/traces or bench/out/corpus-100k.jsonl (npm run bench makes it)");
  process.exit(2);
}
const reference = (problem, response) => {
  const p = normalizeForKey(problem);
  return { exact: hashKey(p + "\u0000" + normalizeForKey(response)), problem: hashKey(p) };
};
for (const [name, rows] of sets) {
  const mb = rows.reduce((a, r) => a + r.problem.length + r.response.length, 0) / 1e6;
  for (const r of rows) {
    const a = keysFor(r.problem, r.response);
    const b = reference(r.problem, r.response);
    if (a.exact !== b.exact || a.problem !== b.problem) throw new Error(`keys-bench: keys differ on a row of ${name}`);
  }
  const rate = { curate: [], reference: [] };
  for (let k = 0; k < rounds; k++) {
    for (const [label, f] of [["curate", keysFor], ["reference", reference]]) {
      const c0 = process.cpuUsage();
      for (const r of rows) f(r.problem, r.response);
      const c = process.cpuUsage(c0);
      rate[label].push(mb / ((c.user + c.system) / 1e6));
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (args.includes("--verbose")) console.log(name, JSON.stringify(Object.fromEntries(Object.entries(rate).map(([k, v]) => [k, v.map((x) => +x.toFixed(0))]))));
  console.log(
    `${name}: ${rows.length} rows, ${mb.toFixed(1)} M chars, keys equal — keysFor ${med(rate.curate).toFixed(0)} MB/CPU-s, ` +
      `normalizeForKey + hashKey ${med(rate.reference).toFixed(0)} MB/CPU-s (${(med(rate.curate) / med(rate.reference)).toFixed(2)}×; medians of ${rounds} alternating rounds)`,
  );
}
console.log(`load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}`);
