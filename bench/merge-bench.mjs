#!/usr/bin/env node
/**
 * Memory and time of the merge (the group step's global part) in one process against one share of a
 * merge split by problem group: the per-row bytes each holds. Rows are synthetic compact rows (what
 * the merge reads from annotated/: ids, problem and exact keys, sketches, token counts, verdicts),
 * `--per-problem` rollouts per problem, some exact-duplicate responses and near-duplicate problems.
 * Each measurement runs in its own process; per input row it prints (peak RSS − RSS of the same process
 * before any row) / rows, and the heap + external bytes held once every row is in (after a full GC,
 * before the decisions) / rows.
 *
 *   npm run build && node bench/merge-bench.mjs [--rows 1000000] [--per-problem 8] [--world 4]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).map((a, i, xs) => (a.startsWith("--") ? [a.slice(2), xs[i + 1]] : null)).filter(Boolean));
const rows = Number(args.rows ?? 1_000_000);
const perProblem = Number(args["per-problem"] ?? 8);
const world = Number(args.world ?? 4);

if (args.child) {
  const { GroupStep } = await import("../dist/group/step.js");
  const { splitmix32 } = await import("../dist/text/hash.js");
  const { resolveSketch } = await import("../dist/group/params.js");
  const config = { seed: 5, sources: [{ name: "main" }], dedupe: { maxRolloutsPerProblem: 4, problems: { check: "estimate" } } };
  const { bands, permutations } = resolveSketch(undefined, config.dedupe).problem;
  const rank = Number(args.rank ?? 0);
  const share = args.child === "share";
  /** the i-th row, deterministic (regenerated on each pass, as the merge re-reads annotated/) */
  const problemOf = (p) => {
    // every 20th problem is a near-copy of the one before: same bands but one, same bits
    const base = p % 20 === 19 ? p - 1 : p;
    const rand = splitmix32(base * 7919 + 1);
    const b = Array.from({ length: bands }, () => rand() | 0);
    if (base !== p) b[0] = (b[0] ^ 0x55aa) | 0;
    return { key: `k${p.toString(16).padStart(30, "0")}`, bands: b, bits: Array.from({ length: permutations >>> 5 }, () => rand() | 0), text: `problem ${p} ` + "x".repeat(80) };
  };
  let cached = { p: -1, v: null };
  const row = (i) => {
    const p = Math.floor(i / perProblem);
    if (cached.p !== p) cached = { p, v: problemOf(p) };
    const pr = cached.v;
    const r = i % perProblem;
    return {
      id: `row-${i.toString(36)}-${"i".repeat(20)}`, ordinal: i, source: "main", problem: pr.text, response: "", meta: {},
      tokens: { problem: 40, reasoning: 900 + r, solution: 50, response: 950 + r },
      keys: { problem: pr.key, exact: `e${p.toString(16).padStart(20, "0")}-${r % 5 === 4 ? r - 1 : r}`.padEnd(32, "0") },
      sketch: { bands: pr.bands, bits: pr.bits },
      verify: { verdict: (i * 2654435761) % 3 === 0 ? "incorrect" : "correct" },
    };
  };
  const held = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const held0 = held();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const tmp = mkdtempSync(join(tmpdir(), "merge-bench-"));
  const t0 = performance.now();
  const step = new GroupStep(config, tmp);
  if (!share) {
    for (let i = 0; i < rows; i++) {
      step.add(row(i), null);
      if ((i & 0xffff) === 0) sample();
    }
  } else {
    for (let i = 0; i < rows; i++) {
      step.addProblem(row(i));
      if ((i & 0xffff) === 0) sample();
    }
    step.partition(undefined, rank, world);
    for (let i = 0; i < rows; i++) {
      step.addRow(row(i), null);
      if ((i & 0xffff) === 0) sample();
    }
  }
  sample();
  const heldRows = held() - held0;
  const out = await step.finish();
  sample();
  let decided = 0;
  for (let i = 0; i < rows; i++) if (!step.rowState || step.rowState(i) === "grouped") decided++;
  const seconds = (performance.now() - t0) / 1000;
  rmSync(tmp, { recursive: true, force: true });
  console.log(JSON.stringify({ mode: args.child, rank, rows, decided, problemGroups: out.stats.problemGroups, drops: out.stats.drops, exactDuplicates: out.stats.exactDuplicates, seconds, rss0MB: rss0 / 1e6, peakMB: peak / 1e6, bytesPerRow: (peak - rss0) / rows, heldPerRow: heldRows / rows }));
} else {
  const run = (extra) => {
    const r = spawnSync(process.execPath, ["--max-old-space-size=8192", "--expose-gc", "bench/merge-bench.mjs", "--rows", String(rows), "--per-problem", String(perProblem), "--world", String(world), ...extra], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop());
  };
  const one = run(["--child", "one"]);
  const shares = [];
  for (let rank = 0; rank < world; rank++) shares.push(run(["--child", "share", "--rank", String(rank)]));
  const fmt = (x) => `${x.mode === "one" ? "one process " : `share ${x.rank}/${world}  `}  ${x.decided} rows decided, ${x.problemGroups} groups, ${x.seconds.toFixed(1)} s, peak RSS ${x.peakMB.toFixed(0)} MB (${x.rss0MB.toFixed(0)} MB before rows), ${x.bytesPerRow.toFixed(0)} B of peak RSS and ${x.heldPerRow.toFixed(0)} B held (after GC, before the decisions) per input row`;
  console.log(`merge bench: ${rows} rows, ${perProblem} rollouts per problem`);
  console.log(fmt(one));
  for (const s of shares) console.log(fmt(s));
  const sum = (k) => shares.reduce((a, s) => a + s[k], 0);
  const sumDrops = shares.reduce((a, s) => a + s.drops["duplicate:rollout_cap"], 0);
  console.log(`shares together: ${sum("decided")} rows, ${sum("problemGroups")} groups, ${sumDrops} cap drops, ${sum("exactDuplicates")} exact duplicates (one process: ${one.decided}, ${one.problemGroups}, ${one.drops["duplicate:rollout_cap"]}, ${one.exactDuplicates})`);
  console.log(JSON.stringify({ rows, perProblem, world, one, shares }));
}
