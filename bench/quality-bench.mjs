// Throughput of the per-rollout quality signals (issue 6) on the Sky-T1 long-CoT traces.
//
//   npm run build && node bench/quality-bench.mjs [traces.jsonl] [--rounds 5] [--dist dist] [--only]
//
// Prints rollouts/s and MB/s (UTF-16 characters counted as bytes of the JSON-decoded response, and
// UTF-8 bytes) for computeSignals on one core, per detector, the p50/p99 per-rollout latency, a
// comparison of the built-in LZ ratio with zlib deflate of the same tail, and peak RSS. `--dist DIR`
// measures another build (A/B of two builds: run each in its own process, interleaved, several times);
// `--only` stops after computeSignals.
import { readFileSync, existsSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const distArg = argv.indexOf("--dist");
const dist = pathToFileURL(resolve(distArg >= 0 ? argv[distArg + 1] : new URL("../dist", import.meta.url).pathname)).href;
// builds from before src/quality/signals.ts was split by concept export everything from signals.js
const mod = (name) => import(`${dist}/quality/${name}.js`).catch(() => import(`${dist}/quality/signals.js`));
const { computeSignals } = await mod("signals");
const { prepareOptions, resolveQualityOptions } = await mod("options");
const { lineSignals } = await mod("lines");
const { tokenHashes, tailRepetition } = await mod("tail-loops");
const { lzRatio } = await mod("lz-ratio");
const { scriptSignals } = await mod("scripts");
const { boxedAnswers } = await mod("answers");

const args = argv.filter((a, i) => i !== distArg + 1 || distArg < 0);
const file = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a)) ?? new URL("../../shared/data/traces/skyt1_long_cot_evals.jsonl", import.meta.url).pathname;
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 5) || 5;
if (!existsSync(file)) {
  console.error(`quality-bench: ${file} not found`);
  process.exit(2);
}
const rows = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).response);
const chars = rows.reduce((s, r) => s + r.length, 0);
const bytes = rows.reduce((s, r) => s + Buffer.byteLength(r), 0);

function split(s) {
  const a = s.indexOf("<|begin_of_thought|>");
  if (a < 0) return { format: "plain", reasoning: null, solution: s.trim(), unterminated: false, solutionUnterminated: false };
  const b = s.indexOf("<|end_of_thought|>", a);
  if (b < 0) return { format: "thought", reasoning: s.slice(a + 20).trim(), solution: "", unterminated: true, solutionUnterminated: false };
  const c = s.indexOf("<|begin_of_solution|>", b);
  const d = c < 0 ? -1 : s.indexOf("<|end_of_solution|>", c);
  const solution = c < 0 ? s.slice(b + 18) : d < 0 ? s.slice(c + 21) : s.slice(c + 21, d);
  return { format: "thought", reasoning: s.slice(a + 20, b).trim(), solution: solution.trim(), unterminated: false, solutionUnterminated: c >= 0 && d < 0 };
}
const traces = rows.map(split); // split outside the timed loop (the normaliser's job)
const options = prepareOptions(resolveQualityOptions(undefined));

// Throughput is computed from this process's CPU time (process.cpuUsage), so that other processes on a
// shared machine do not distort it; the best round (least disturbed by a loaded machine) and wall-clock
// throughput are printed beside it.
function time(name, fn) {
  fn(); // warm-up
  fn();
  const t0 = process.hrtime.bigint();
  let cpu = 0;
  let best = Infinity;
  for (let k = 0; k < rounds; k++) {
    const c0 = process.cpuUsage();
    fn();
    const cu = process.cpuUsage(c0);
    const round = (cu.user + cu.system) / 1e6;
    cpu += round;
    best = Math.min(best, round);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9 / rounds;
  const s = cpu / rounds;
  console.log(`${name.padEnd(26)} ${(rows.length / s).toFixed(0).padStart(8)} rollouts/s  ${(bytes / 1e6 / s).toFixed(1).padStart(7)} MB/s  ${(chars / 1e6 / s).toFixed(1).padStart(7)} M chars/s  (best round ${(bytes / 1e6 / best).toFixed(1)} MB/s; wall ${(bytes / 1e6 / wall).toFixed(1)} MB/s)`);
  return s;
}

console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
console.log(`corpus: ${file}\n  ${rows.length} rollouts, ${(bytes / 1e6).toFixed(1)} MB UTF-8, ${(chars / 1e6).toFixed(1)} M chars, mean ${(chars / rows.length / 1000).toFixed(1)} K chars; ${rounds} rounds, one core\n`);
time("computeSignals (all)", () => { for (let i = 0; i < rows.length; i++) computeSignals({ response: rows[i], trace: traces[i], finishReason: null }, options); });
if (args.includes("--only")) process.exit(0);
time("  lineSignals", () => { for (const r of rows) lineSignals(r, options.minLineChars); });
time("  scriptSignals", () => { for (const r of rows) scriptSignals(r, options.expectedMask, options.segmentLetters); });
time("  tail tokens + n-grams", () => { for (const r of rows) tailRepetition(tokenHashes(r, Math.max(0, r.length - options.tailChars)), options.ngram); });
time("  tail LZ ratio", () => { for (const r of rows) lzRatio(r, Math.max(0, r.length - options.tailChars)); });
time("  boxed answers", () => { for (const t of traces) boxedAnswers(t.solution); });
time("  (zlib deflate of tail)", () => { for (const r of rows) deflateRawSync(Buffer.from(r.slice(-options.tailChars)), { level: 6 }); });

// latency distribution
const lat = new Float64Array(rows.length);
for (let i = 0; i < rows.length; i++) {
  const t0 = process.hrtime.bigint();
  computeSignals({ response: rows[i], trace: traces[i], finishReason: null }, options);
  lat[i] = Number(process.hrtime.bigint() - t0) / 1e6;
}
lat.sort();
console.log(`\nper rollout: p50 ${lat[Math.floor(lat.length * 0.5)].toFixed(3)} ms  p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(3)} ms  max ${lat[lat.length - 1].toFixed(3)} ms`);

// LZ ratio vs zlib on the same tails (Pearson correlation)
const xs = [], ys = [];
for (const r of rows) {
  const tail = r.slice(-options.tailChars);
  xs.push(lzRatio(tail));
  const buf = Buffer.from(tail);
  ys.push(deflateRawSync(buf, { level: 6 }).length / buf.length);
}
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const mx = mean(xs), my = mean(ys);
let sxy = 0, sxx = 0, syy = 0;
for (let i = 0; i < xs.length; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
console.log(`LZ ratio vs zlib deflate ratio on the same tails: Pearson r = ${(sxy / Math.sqrt(sxx * syy)).toFixed(3)} (means ${mx.toFixed(3)} / ${my.toFixed(3)})`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
