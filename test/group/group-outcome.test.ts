/**
 * The saved group outcome (.work/group/): what the write step reads back equals, row by row, what the
 * group step computed in memory — problem groups, representatives, pass rates, exact duplicates,
 * caps, skipped bad rows — and a stale or damaged save is not used.
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupStep } from "../../src/group/step.js";
import { loadGroupOutcome, readPairs, saveGroupOutcome, savePairs, type GroupOutcome } from "../../src/group/outcome.js";
import { splitmix32 } from "../../src/text/hash.js";
import { sketchBatch } from "../../src/group/sketch-text.js";
import { resolveSketch } from "../../src/group/params.js";
import type { MixConfig } from "../../src/config/types.js";
import type { Rollout } from "../../src/record/rollout.js";

const PARAMS = resolveSketch(undefined, undefined).problem;
const NB = PARAMS.bands;

function words(seed: number, n: number): string {
  const rand = splitmix32(seed);
  return Array.from({ length: n }, () => (rand() >>> 0).toString(36).slice(0, 4)).join(" ");
}

/** 40 problems (some near-duplicate variants), 1–6 rollouts each, some exact duplicate responses. */
function rollouts(): Rollout[] {
  const problems: string[] = [];
  for (let k = 0; k < 30; k++) {
    const base = words(500 + k, 80);
    problems.push(base);
    if (k % 3 === 0) problems.push(base.replace(/^(\S+ \S+)/, "$1 inserted"));
  }
  const s = sketchBatch({ params: PARAMS, stripPhrases: [], stockPhrases: true, texts: problems });
  const rand = splitmix32(77);
  const out: Rollout[] = [];
  problems.forEach((problem, p) => {
    const n = 1 + ((rand() >>> 0) % 6);
    for (let r = 0; r < n; r++) {
      const i = out.length;
      const dup = r > 0 && r % 4 === 0; // same response as the rollout before
      out.push({
        id: `p${p}-r${r}`, ordinal: i, source: "main", file: "in.jsonl", row: i, rolloutIndex: 0, problem, response: "", reference: "1",
        finishReason: "stop", meta: {},
        tokens: { problem: 80, reasoning: 100 + r, solution: 10, response: 110 + r },
        keys: { problem: `${s.keys[2 * p]}:${s.keys[2 * p + 1]}`, exact: `e-${p}-${dup ? r - 1 : r}` },
        sketch: { bands: Array.from(s.bands.subarray(p * NB, p * NB + NB)), bits: Array.from(s.bits.subarray(p * 4, p * 4 + 4)) },
        verify: { verdict: (rand() >>> 0) % 3 === 0 ? "incorrect" : "correct" },
      } as unknown as Rollout);
    }
  });
  return out;
}

/** `back` answers like `ref` for every row in `order` (a bad input row has no group); returns the dropped rows seen. */
function sameRows(back: GroupOutcome, ref: GroupOutcome, order: number[], bad: (i: number) => boolean): number {
  let drops = 0;
  for (const i of order) {
    if (bad(i)) {
      expect(() => back.info(i)).toThrow(/bad input row/);
      continue;
    }
    expect(back.info(i)).toEqual(ref.info(i));
    expect(back.dropFor(i)).toEqual(ref.dropFor(i));
    if (ref.dropFor(i)) drops++;
  }
  return drops;
}

const config = { seed: 5, sources: [{ name: "main" }], dedupe: { maxRolloutsPerProblem: 3 } } as unknown as MixConfig;

describe("saved group outcome", () => {
  it("reads back exactly what was computed, row by row, across units; stale or damaged saves are not used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "curate-outcome-"));
    const rows = rollouts();
    const step = new GroupStep(config, join(dir, "tmp"));
    let index = 0;
    const skipped = new Set<number>();
    for (const r of rows) {
      if (index % 17 === 5) {
        step.skip(); // a bad input row in between
        skipped.add(index++);
      }
      step.add(r, null);
      index++;
    }
    const total = index;
    const computed = await step.finish();
    expect(computed.stats.exactDuplicates).toBeGreaterThan(0);
    expect(computed.stats.nearDuplicateClusters).toBeGreaterThan(3);
    expect(computed.stats.drops["duplicate:rollout_cap"]).toBeGreaterThan(0);
    // three units of uneven size
    const units = [
      { unit: 0, base: 0, rows: 50 },
      { unit: 1, base: 50, rows: 7 },
      { unit: 2, base: 57, rows: total - 57 },
    ];
    saveGroupOutcome(dir, "tok-1", computed, units, (i) => step.rowState(i));
    const back = loadGroupOutcome(dir, "tok-1")!;
    expect(back).not.toBeNull();
    expect(back.stats).toEqual(computed.stats);
    expect(back.stages).toEqual(computed.stages);
    expect(back.clusters()).toEqual(computed.clusters());
    // read units out of order, as write threads do
    const order = [...Array(total).keys()].sort((a, b) => (a % 3) - (b % 3) || a - b);
    expect(sameRows(back, computed, order, (i) => skipped.has(i))).toBeGreaterThan(10);
    // another token (changed config or annotations) is not this outcome
    expect(loadGroupOutcome(dir, "tok-2")).toBeNull();
    // a unit file cut short is not used
    const u1 = join(dir, ".work", "group", "tok-1", "share-w1-r0-u00001.bin");
    truncateSync(u1, 10);
    expect(loadGroupOutcome(dir, "tok-1")).toBeNull();
    // band pairs: read back under their token only
    // a temp file left by this rank's interrupted save goes; another rank's (being written now) stays
    writeFileSync(join(dir, ".work", "group", "tok-1", ".pairs-w2-r1.bin.tmp-999"), "partial");
    writeFileSync(join(dir, ".work", "group", "tok-1", ".pairs-w2-r0.bin.tmp-998"), "partial");
    savePairs(dir, "tok-1", 2, 1, { pairs: Int32Array.from([3, 9, 4, 12]), stats: { candidatePairs: 5, checkedPairs: 5, rejectedByCheck: 3 } });
    expect(existsSync(join(dir, ".work", "group", "tok-1", ".pairs-w2-r1.bin.tmp-999"))).toBe(false);
    expect(existsSync(join(dir, ".work", "group", "tok-1", ".pairs-w2-r0.bin.tmp-998"))).toBe(true);
    expect(readPairs(dir, "tok-1", 2, 1)).toEqual({ pairs: Int32Array.from([3, 9, 4, 12]), stats: { candidatePairs: 5, checkedPairs: 5, rejectedByCheck: 3 } });
    expect(readPairs(dir, "tok-2", 2, 1)).toBeNull();
    expect(readPairs(dir, "tok-1", 2, 0)).toBeNull();
    const pf = join(dir, ".work", "group", "tok-1", "pairs-w2-r1.bin");
    writeFileSync(pf, readFileSync(pf).subarray(0, readFileSync(pf).length - 4));
    expect(readPairs(dir, "tok-1", 2, 1)).toBeNull();
  });

  it("a merge split into 3 shares by problem group joins to the one-process outcome, row by row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "curate-shares-"));
    const rows = rollouts();
    const bad = (k: number) => k % 13 === 4;
    /** the rows with bad input rows in between, as `visit` calls */
    const feed = (row: (r: Rollout) => void, skip: () => void) => {
      rows.forEach((r, k) => {
        if (bad(k)) skip();
        row(r);
      });
    };
    const one = new GroupStep(config, join(dir, "t-one"));
    feed((r) => one.add(r, null), () => one.skip());
    const whole = await one.finish();
    const total = rows.length + rows.filter((_, k) => bad(k)).length;
    // band pairs from two group ranks
    const bander = new GroupStep(config, join(dir, "t-bands"));
    feed((r) => bander.addProblem(r), () => bander.skip());
    const all = Array.from({ length: bander.bands }, (_, j) => j);
    const pairs = [0, 1].map((r) => bander.bandPairs(all.filter((j) => j % 2 === r)));
    const units = [
      { unit: 0, base: 0, rows: 31 },
      { unit: 1, base: 31, rows: total - 31 },
    ];
    const shares: GroupStep[] = [];
    for (let rank = 0; rank < 3; rank++) {
      expect(loadGroupOutcome(dir, "tok")).toBeNull(); // incomplete until the last share
      const step = new GroupStep(config, join(dir, `t-${rank}`));
      feed((r) => step.addProblem(r), () => step.skip());
      step.partition(pairs, rank, 3);
      feed((r) => step.addRow(r, null), () => step.skipRow());
      saveGroupOutcome(dir, "tok", await step.finish(), units, (i) => step.rowState(i), { rank, world: 3 });
      shares.push(step);
    }
    // every share decides some rows, every grouped row exactly one share
    for (const step of shares) expect([...Array(total).keys()].filter((i) => step.rowState(i) === "grouped").length).toBeGreaterThan(5);
    for (let i = 0; i < total; i++) expect(shares.filter((s) => s.rowState(i) === "grouped").length).toBe(shares[0]!.rowState(i) === "bad" ? 0 : 1);
    const back = loadGroupOutcome(dir, "tok")!;
    expect(back).not.toBeNull();
    expect(back.stats).toEqual(whole.stats);
    expect(back.clusters()).toEqual(whole.clusters());
    expect(back.clusters().length).toBeGreaterThan(3);
    expect(sameRows(back, whole, [...Array(total).keys()], (i) => shares[0]!.rowState(i) === "bad")).toBeGreaterThan(10);
    // share 1's decisions saved again as share 2: rows decided twice (and share 2's by none) are refused
    const again = new GroupStep(config, join(dir, "t-again"));
    feed((r) => again.addProblem(r), () => again.skip());
    again.partition(pairs, 1, 3);
    feed((r) => again.addRow(r, null), () => again.skipRow());
    saveGroupOutcome(dir, "tok", await again.finish(), units, (i) => again.rowState(i), { rank: 2, world: 3 });
    const wrong = loadGroupOutcome(dir, "tok")!;
    expect(() => {
      for (let i = 0; i < total; i++) if (shares[0]!.rowState(i) !== "bad") wrong.info(i);
    }).toThrow(/decided by shares 1 and 2|no share decides row/);
  });
});
