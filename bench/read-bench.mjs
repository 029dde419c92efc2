/**
 * Reading throughput: rows/s and MB/s of (1) parsing rows in memory — the plain native parse
 * (strict UTF-8 decode + JSON.parse) next to parseJsonRow of src/io/json-row.ts — and (2)
 * readSources over a page-cached file (read, split, parse, map). With `--baseline <dist>` (another
 * build's dist/ folder, e.g. of the commit before a change) its readSources runs in the same rounds,
 * interleaved, so both see the same machine load.
 *
 * Inputs: data-samples/rollouts.jsonl repeated to ~200 MB, and the Sky-T1 long-CoT traces in
 * ../shared/data (rows of 5-150 KB) repeated to ~200 MB when present. Times are CPU seconds
 * (user + system) of this process — steadier than wall time on a shared machine — best of the
 * rounds; rates are computed from them.
 *
 *   npx tsc -p tsconfig.json && node bench/read-bench.mjs [--mb 200] [--rounds 5] [--baseline DIR]
 */
import { existsSync, readFileSync, writeFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const argv = process.argv;
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : dflt;
};
const targetMB = Number(arg("mb", 200));
const rounds = Number(arg("rounds", 5));
const root = new URL("..", import.meta.url).pathname;
const impls = [["this build", join(root, "dist")]];
if (arg("baseline")) impls.unshift(["baseline", resolve(arg("baseline"))]);
const readers = [];
for (const [name, dist] of impls) readers.push([name, await import(join(dist, "io/sources.js"))]);
const { parseJsonRow } = await import(join(root, "dist/io/json-row.js"));

const inputs = [["data-samples/rollouts.jsonl", join(root, "data-samples/rollouts.jsonl"), { id: "id", problem: "problem", response: "response", reference: "answer", finish_reason: "finish_reason", meta: { level: "level", subject: "subject" } }]];
const sky = join(root, "../shared/data/traces/skyt1_long_cot_evals.jsonl");
if (existsSync(sky)) inputs.push(["Sky-T1 traces", sky, { id: "id", problem: "problem", response: "response", reference: "gt_answer", meta: { benchmark: "benchmark", idx: "idx", correct: "correct", orig_answer: "orig_answer" } }]);
else console.log(`(skipping the Sky-T1 traces: ${sky} is absent)`);

const fatal = new TextDecoder("utf-8", { fatal: true });
const cpuSeconds = async (f) => {
  const t0 = process.cpuUsage();
  await f();
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1e6;
};

function lineSpans(buf) {
  const out = [];
  for (let s = 0; ; ) {
    const nl = buf.indexOf(0x0a, s);
    if (nl < 0) return out;
    if (nl > s) out.push([s, nl]);
    s = nl + 1;
  }
}

const dir = mkdtempSync(join(tmpdir(), "read-bench-"));
try {
  for (const [name, path, fields] of inputs) {
    const one = readFileSync(path);
    const copies = Math.max(1, Math.round((targetMB * 1e6) / one.length));
    const buf = Buffer.concat(Array.from({ length: copies }, () => one));
    const spans = lineSpans(buf);
    const mb = buf.length / 1e6;
    console.log(`\n${name}: ${copies} copies, ${mb.toFixed(0)} MB, ${spans.length.toLocaleString("en")} rows (${(buf.length / spans.length / 1024).toFixed(1)} KB/row), best of ${rounds} rounds, CPU seconds`);
    const file = join(dir, "in.jsonl");
    writeFileSync(file, buf);
    const best = new Map();
    const note = (label, secs) => best.set(label, Math.min(best.get(label) ?? Infinity, secs));
    for (let r = 0; r < rounds; r++) {
      note("parse in memory: decode + JSON.parse", await cpuSeconds(() => { for (const [s, e] of spans) JSON.parse(fatal.decode(buf.subarray(s, e))); }));
      note("parse in memory: parseJsonRow", await cpuSeconds(() => { for (const [s, e] of spans) parseJsonRow(buf, s, e); }));
      for (const [impl, mod] of readers) {
        const [sf] = await mod.resolveSourceFiles({ name: "b", path: file, fields }, dir);
        note(`readSources (${impl})`, await cpuSeconds(async () => { for await (const _ of mod.readSources([sf], { maxRowBytes: 16 << 20 })) { /* drain */ } }));
      }
    }
    for (const [label, secs] of best) console.log(`  ${label.padEnd(40)} ${(spans.length / secs).toFixed(0).padStart(8)} rows/s ${(mb / secs).toFixed(0).padStart(6)} MB/s  (${secs.toFixed(2)} s)`);
    const ratio = (a, b) => (best.get(a) / best.get(b)).toFixed(3);
    console.log(`  parseJsonRow / native parse: ${ratio("parse in memory: parseJsonRow", "parse in memory: decode + JSON.parse")}`);
    if (readers.length > 1) console.log(`  readSources this build / baseline: ${ratio("readSources (this build)", "readSources (baseline)")}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
