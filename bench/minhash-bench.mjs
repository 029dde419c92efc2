// MinHash signatures + LSH clustering throughput on generated documents.
// Usage: node bench/minhash-bench.mjs [docs=20000] [words=2000] [permutations=128]
// Prints docs/s for inline (main thread), 1 and 2 worker threads; recall of planted near-duplicates
// at Jaccard >= 0.8; peak RSS. Reference: Python datasketch (numpy) does 277 docs/s on one core here.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitmix32 } from "../dist/text/hash.js";
import { SketchPool } from "../dist/group/pool.js";
import { ProblemGrouper } from "../dist/group/group.js";
import { resolveSketch } from "../dist/group/params.js";
import { sketcherFor } from "../dist/group/sketch-text.js";
import { setJaccard, shingleSet } from "../dist/group/minhash.js";

const DOCS = Number(process.argv[2] ?? 20000);
const WORDS = Number(process.argv[3] ?? 2000);
const K = Number(process.argv[4] ?? 128);
const BATCH = Number(process.env.BATCH ?? 256);

// corpus: Zipf-like vocabulary; 10% of documents are near-copies of an earlier one (1–3% of words changed)
const rand = splitmix32(2026);
const vocab = Array.from({ length: 30000 }, (_, i) => (rand() >>> 0).toString(36).slice(0, 2 + (i % 8)));
const word = () => vocab[Math.floor(Math.pow((rand() >>> 0) / 4294967296, 2.2) * vocab.length)];
const texts = [];
const planted = [];
for (let d = 0; d < DOCS; d++) {
  if (d > 10 && d % 10 === 0) {
    const src = rand() % d;
    const w = texts[src].split(" ");
    const rate = 0.01 + ((rand() % 3) * 0.01);
    for (let i = 0; i < w.length; i++) if ((rand() >>> 0) / 4294967296 < rate) w[i] = word();
    texts.push(w.join(" "));
    planted.push([src, d]);
  } else {
    const w = new Array(WORDS);
    for (let i = 0; i < WORDS; i++) w[i] = word();
    texts.push(w.join(" "));
  }
}
// datasketch parity: LSH tuned for the threshold itself (9 × 13 at 0.8 / 128), candidates confirmed by
// the one-bit estimate (no texts kept); see docs/dedupe.md for the exact-check default
const DEDUPE = { problems: { threshold: 0.8, check: "estimate" } };
const resolved = resolveSketch({ permutations: K }, DEDUPE);
const { bands, rows } = resolved.problem;
console.log(`corpus: ${DOCS} docs × ${WORDS} words (${(texts.reduce((a, t) => a + t.length, 0) / DOCS / 1024).toFixed(1)} KB each), ${K} permutations, ${bands} bands × ${rows} rows, ${planted.length} planted near-duplicates`);

// per-thread CPU from /proc (Linux): main thread vs all other threads (workers, GC helpers)
function threadCpu() {
  try {
    const { readdirSync, readFileSync } = process.getBuiltinModule ? process.getBuiltinModule("node:fs") : { readdirSync: null, readFileSync: null };
    if (!readdirSync) return null;
    let main = 0, other = 0;
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      if (Number(tid) === process.pid) main += ticks;
      else other += ticks;
    }
    return { main: main / 100, other: other / 100 };
  } catch {
    return null;
  }
}

async function run(threads) {
  const tmp = mkdtempSync(join(tmpdir(), "minhash-bench-"));
  const pool = new SketchPool({ params: resolved.problem, threads });
  // warm-up (JIT, worker start)
  await Promise.all(Array.from({ length: Math.max(1, threads) * 2 }, () => pool.sketch(texts.slice(0, BATCH))));
  const th0 = threadCpu();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const grouper = new ProblemGrouper({ seed: 1, sketch: { permutations: K }, dedupe: DEDUPE }, tmp);
  const inflight = [];
  let next = 0;
  let tSketch = 0;
  const submit = () => {
    const start = next;
    next = Math.min(DOCS, next + BATCH);
    inflight.push({ start, p: pool.sketch(texts.slice(start, next)) });
  };
  const depth = Math.max(1, threads) * 3;
  while (next < DOCS && inflight.length < depth) submit();
  while (inflight.length > 0) {
    const { start, p } = inflight.shift();
    const s = await p;
    if (next < DOCS) submit();
    const n = s.empty.length;
    for (let i = 0; i < n; i++) {
      const o = start + i;
      grouper.add({
        ordinal: o, id: `d${o}`, source: "bench",
        problemKey: `${s.keys[2 * i]}:${s.keys[2 * i + 1]}`,
        sketch: { bands: s.bands.subarray(i * s.bandCount, (i + 1) * s.bandCount), bits: s.bits.subarray(i * s.bitWords, (i + 1) * s.bitWords) },
        responseChars: 0,
      });
    }
  }
  tSketch = performance.now() - t0;
  const t1 = performance.now();
  const result = await grouper.finish();
  const tCluster = performance.now() - t1;
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mainBusy = performance.eventLoopUtilization(elu0).utilization;
  const th1 = threadCpu();
  const threadSeconds = th0 && th1 ? { main: th1.main - th0.main, other: th1.other - th0.other } : null;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await pool.close();
  rmSync(tmp, { recursive: true, force: true });
  return { threads, total, tSketch, tCluster, result, cpuSeconds, mainBusy, threadSeconds };
}

const sk = sketcherFor(resolved.problem, [], true);
const plantedJ = planted.map(([a, b]) => setJaccard(shingleSet(sk.shingles(texts[a])), shingleSet(sk.shingles(texts[b]))));

const results = [];
for (const threads of [0, 1, 2]) {
  const r = await run(threads);
  results.push(r);
  const docsPerS = DOCS / (r.total / 1000);
  let hit = 0, above = 0;
  planted.forEach(([a, b], i) => {
    if (plantedJ[i] >= 0.8) {
      above++;
      if (r.result.clusterIndex(a) === r.result.clusterIndex(b)) hit++;
    }
  });
  console.log(
    `${threads === 0 ? "inline   " : `${threads} worker${threads > 1 ? "s" : " "}`}  ${docsPerS.toFixed(0).padStart(6)} docs/s  ` +
      `(sketch+add ${(r.tSketch / 1000).toFixed(2)} s, clustering ${(r.tCluster / 1000).toFixed(3)} s)  ` +
      `recall@J>=0.8 ${hit}/${above} = ${(hit / above).toFixed(3)}  near-dup clusters ${r.result.stats.nearDuplicateClusters}  ` +
      `CPU ${r.cpuSeconds.toFixed(2)} s all threads → ${(DOCS / r.cpuSeconds).toFixed(0)} docs per CPU-second ` +
      `(${(DOCS / r.cpuSeconds / 277).toFixed(1)}× datasketch's 277 docs/s per core)  main thread busy ${(r.mainBusy * 100).toFixed(0)}%`,
  );
}
const one = results.find((r) => r.threads === 1), two = results.find((r) => r.threads === 2);
for (const r of results) {
  if (!r.threadSeconds) continue;
  const { main, other } = r.threadSeconds;
  console.log(`${r.threads} worker(s): main thread ${(main * 1e6 / DOCS).toFixed(0)} µs/doc, other threads ${(other * 1e6 / DOCS).toFixed(0)} µs/doc (CPU time, 10 ms ticks)`);
}
if (one?.threadSeconds && two?.threadSeconds) {
  // with free cores: 1 worker runs main and worker side by side, wall ≈ max(main, worker);
  // 2 workers + main on 2 cores, wall ≥ max(main, workers / 2, (main + workers) / 2)
  const wall1 = Math.max(one.threadSeconds.main, one.threadSeconds.other);
  const { main, other } = two.threadSeconds;
  const wall2 = Math.max(main, other / 2, (main + other) / 2);
  console.log(`projected from per-thread CPU, 2 workers vs 1 on 2 free cores: ${(wall1 / wall2).toFixed(2)}× (main-thread share ${(100 * main / (main + other)).toFixed(1)}%)`);
}
const expected = plantedJ.filter((j) => j >= 0.8).reduce((a, j) => a + (1 - Math.pow(1 - Math.pow(j, rows), bands)), 0) / plantedJ.filter((j) => j >= 0.8).length;
console.log(`S-curve expected recall for these pairs: ${expected.toFixed(3)} (datasketch with the same threshold and permutations uses the same ${bands}×${rows} banding)`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
