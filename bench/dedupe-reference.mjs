// `curate dedupe` beside datasketch MinHash LSH on the reference corpus: the near-duplicate row of
// the speed table (issue #22). Whole processes, interleaved runs, medians.
//
// Corpus: ../shared/reference-bench/gen_docs.py (10,000 docs of ~2,000 Zipf-vocabulary words, 20 %
// edited copies at 0 / 1 / 2 / 5 % of words replaced). datasketch runs through the reference
// wrapper ds_dedup.py (128 perms, word 5-grams, threshold 0.8, --normalize lower) when PEERS_DIR
// holds a datasketch checkout (PEERS_DIR/datasketch); without it only curate runs and the reference
// figures measured on this machine kind (52.0 s wall idle, 54.3 CPU-s, 192 docs/s) are printed beside it.
//
// Usage: npm run build && [PEERS_DIR=…] node bench/dedupe-reference.mjs [runs=3] [docs=10000] [words=2000]
// Needs python3 with numpy (the generator) and /usr/bin/time (CPU seconds and peak RSS of each run).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report } from "./bench-json.mjs";

const runs = Number(process.argv[2] ?? 3);
const docs = Number(process.argv[3] ?? 10000);
const words = Number(process.argv[4] ?? 2000);
const refDir = process.env.REFERENCE_BENCH ?? new URL("../../shared/reference-bench/", import.meta.url).pathname;
const root = new URL("..", import.meta.url).pathname;
// wall on an idle machine (issue #22); CPU seconds of one run on this shared VM (docs/dedupe.md)
const REFERENCE = { wall: 52.0, cpu: 54.3, docsPerSecond: 192, recall: { "1%": 96, "2%": 57, "5%": 2 }, note: "datasketch 1.10.0, measured on this machine kind for issue #22" };

if (!existsSync(join(refDir, "gen_docs.py"))) {
  console.log(`skipped: ${refDir}gen_docs.py is absent (set REFERENCE_BENCH)`);
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "dedupe-reference-"));
try {
  const corpus = join(work, "docs.jsonl");
  const gen = spawnSync("python3", [join(refDir, "gen_docs.py"), String(docs), String(words), "3"], { maxBuffer: 1 << 30, timeout: 600_000, killSignal: "SIGKILL" });
  if (gen.status !== 0) throw new Error(`gen_docs.py failed: ${gen.stderr}`);
  writeFileSync(corpus, gen.stdout);
  const truth = readFileSync(corpus, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

  const sides = [{ name: "curate", cmd: ["node", join(root, "dist/cli/main.js"), "dedupe", corpus, "--field", "text", "--threshold", "0.8"] }];
  const peers = process.env.PEERS_DIR;
  if (peers && existsSync(join(peers, "datasketch"))) {
    sides.unshift({ name: "datasketch", cmd: ["python3", join(refDir, "ds_dedup.py"), corpus, "--clusters", join(work, "ds.clusters"), "--normalize", "lower"] });
  }
  const results = Object.fromEntries(sides.map((s) => [s.name, []]));
  const outputs = {};
  for (let r = 0; r < runs; r++) {
    for (const side of sides) {
      const p = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", ...side.cmd], { env: { ...process.env, PEERS_DIR: peers ?? "" }, maxBuffer: 1 << 30, timeout: 900_000, killSignal: "SIGKILL" });
      if (p.status !== 0) throw new Error(`${side.name} failed (${p.status}): ${String(p.stderr).slice(-2000)}`);
      const [wall, user, sys, rssKb] = String(p.stderr).trim().split("\n").at(-1).split(" ").map(Number);
      results[side.name].push({ wall, cpu: user + sys, rss: rssKb / 1024 });
      outputs[side.name] = p.stdout;
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const sameGroup = {};
  sameGroup.curate = (() => {
    const cluster = new Map(String(outputs.curate).split("\n").filter(Boolean).map((l) => JSON.parse(l)).map((j) => [j.id, j.cluster]));
    return (a, b) => cluster.get(a) !== undefined && cluster.get(a) === cluster.get(b);
  })();
  if (results.datasketch) {
    const comp = new Map();
    for (const l of readFileSync(join(work, "ds.clusters"), "utf8").split("\n").filter(Boolean)) {
      const c = JSON.parse(l);
      for (const m of c.members) comp.set(m, c.rep);
    }
    sameGroup.datasketch = (a, b) => (comp.get(a) ?? a) === (comp.get(b) ?? b);
  }
  const recall = (same) => {
    const hit = new Map();
    const total = new Map();
    for (const d of truth) {
      if (d.dup_of === null) continue;
      total.set(d.edit_rate, (total.get(d.edit_rate) ?? 0) + 1);
      hit.set(d.edit_rate, (hit.get(d.edit_rate) ?? 0) + (same(d.id, d.dup_of) ? 1 : 0));
    }
    return Object.fromEntries([...total.keys()].sort((a, b) => a - b).map((k) => [`${(k * 100).toFixed(0)}%`, +((100 * hit.get(k)) / total.get(k)).toFixed(1)]));
  };
  const recallText = (r) => Object.entries(r).map(([k, v]) => `${k.replace("%", " %")}: ${v.toFixed(1)} %`).join(", ");
  console.log(`${docs} docs × ~${words} words, threshold 0.8, ${runs} interleaved runs each, medians`);
  const figures = {};
  for (const side of sides) {
    const rs = results[side.name];
    const wall = median(rs.map((x) => x.wall));
    const cpu = median(rs.map((x) => x.cpu));
    figures[side.name] = { wall, cpu, rssMB: median(rs.map((x) => x.rss)), recall: recall(sameGroup[side.name]) };
    console.log(`${side.name.padEnd(10)} wall ${wall.toFixed(1)} s (${(docs / wall).toFixed(0)} docs/s), CPU ${cpu.toFixed(1)} s, peak RSS ${figures[side.name].rssMB.toFixed(0)} MB; recall ${recallText(figures[side.name].recall)}`);
  }
  const c = figures.curate;
  if (figures.datasketch) {
    const d = figures.datasketch;
    console.log(`ratio: wall ${(d.wall / c.wall).toFixed(1)}×, per CPU-second ${(d.cpu / c.cpu).toFixed(1)}×`);
  } else {
    console.log(`reference (${REFERENCE.note}): ${REFERENCE.wall} s wall, ${REFERENCE.cpu} CPU-s, ${REFERENCE.docsPerSecond} docs/s → wall ratio ${(REFERENCE.wall / c.wall).toFixed(1)}×, per CPU-second ${(REFERENCE.cpu / c.cpu).toFixed(1)}×`);
  }
  report("dedupe", { docs, words, runs, curate: c, datasketch: figures.datasketch ?? null, reference: REFERENCE });
} finally {
  rmSync(work, { recursive: true, force: true });
}
