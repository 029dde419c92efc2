/**
 * Planted near-duplicates at known edit levels: the share of pairs that end up in one problem group
 * must match the documented S-curve P(J) = 1 - (1 - J^13)^9 evaluated at each pair's exact Jaccard
 * (with the exact check: times [the check confirms the pair], see src/group/check-data.ts).
 * The random words contain digits, so the number rule is off here (test/group/dedupe-planted.test.ts covers it).
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitmix32 } from "../../src/text/hash.js";
import { setJaccard, shingleSet } from "../../src/group/minhash.js";
import { CheckData, recordsMatch } from "../../src/group/check-data.js";
import { candidateProbability } from "../../src/group/lsh.js";
import { sketchBatch, sketcherFor } from "../../src/group/sketch-text.js";
import { ProblemGrouper } from "../../src/group/group.js";

const DEFAULT_BANDS = { bands: 9, rows: 13 };

function corpus(seed: number, docs: number, words: number) {
  const rand = splitmix32(seed);
  const vocab = Array.from({ length: 5000 }, () => (rand() >>> 0).toString(36).slice(0, 3 + (rand() % 6)));
  const pick = () => vocab[rand() % vocab.length]!;
  const bases = Array.from({ length: docs }, () => Array.from({ length: words }, pick));
  return { rand, pick, bases };
}

/** Runs the grouper over bases + variants; returns for each pair whether it was grouped, and its exact Jaccard. */
async function plantedPairs(level: number, check: "none" | "exact", seed: number, banding = DEFAULT_BANDS) {
  const PARAMS = { permutations: 128, ngram: 5, seed: 1, ...banding };
  const B = banding.bands;
  const { rand, pick, bases } = corpus(seed, 700, 200);
  const variants = bases.map((words) => {
    if (level === 0) return words.join("  ").toUpperCase(); // exact after normalisation
    const w = words.slice();
    const changes = Math.round(level * w.length);
    const positions = new Set<number>();
    while (positions.size < changes) positions.add(rand() % w.length);
    for (const p of positions) {
      let r = pick();
      while (r === w[p]) r = pick();
      w[p] = r;
    }
    return w.join(" ");
  });
  const texts = [...bases.map((w) => w.join(" ")), ...variants];
  const s = sketchBatch({ params: PARAMS, stripPhrases: [], stockPhrases: true, texts });
  const tmp = mkdtempSync(join(tmpdir(), "recall-"));
  try {
    const g = new ProblemGrouper({ dedupe: { problems: { threshold: 0.8, check, numbers: "ignore" } }, sketch: banding, seed: 1 }, tmp);
    texts.forEach((text, i) => {
      g.add({
        ordinal: i, id: `d${i}`, source: "s",
        problemKey: `${s.keys[2 * i]}:${s.keys[2 * i + 1]}`,
        sketch: { bands: Array.from(s.bands.subarray(i * B, i * B + B)), bits: Array.from(s.bits.subarray(i * 4, i * 4 + 4)) },
        problemText: text, responseChars: 0,
      });
    });
    const r = await g.finish();
    const sk = sketcherFor(PARAMS, [], true);
    const checkData = new CheckData(sk, false);
    const n = bases.length;
    const pairs = [];
    let foreignMerges = 0;
    for (let i = 0; i < n; i++) {
      const a = shingleSet(sk.shingles(texts[i]!));
      const b = shingleSet(sk.shingles(texts[n + i]!));
      const confirmed = recordsMatch(checkData.record(texts[i]!), checkData.record(texts[n + i]!), 0.8);
      pairs.push({ grouped: r.clusterIndex(i) === r.clusterIndex(n + i), jaccard: setJaccard(a, b), confirmed });
    }
    // unrelated bases never share a group
    const clusterOfBase = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const c = r.clusterIndex(i);
      if (clusterOfBase.has(c)) foreignMerges++;
      clusterOfBase.set(c, i);
    }
    return { pairs, foreignMerges };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe("recall of planted near-duplicates follows the documented S-curve", () => {
  for (const level of [0, 0.01, 0.02, 0.05, 0.1, 0.2]) {
    it(`${level * 100}% of words changed`, async () => {
      for (const check of ["none", "exact"] as const) {
        const { pairs, foreignMerges } = await plantedPairs(level, check, 1000 + level * 1000);
        const expectedEach = pairs.map((p) => candidateProbability(p.jaccard, 9, 13) * (check === "exact" && !p.confirmed ? 0 : 1));
        const expected = expectedEach.reduce((a, b) => a + b, 0) / pairs.length;
        const sd = Math.sqrt(expectedEach.reduce((a, p) => a + p * (1 - p), 0)) / pairs.length;
        const observed = pairs.filter((p) => p.grouped).length / pairs.length;
        const meanJ = pairs.reduce((a, p) => a + p.jaccard, 0) / pairs.length;
        console.log(`level ${level} check ${check}: mean Jaccard ${meanJ.toFixed(3)}, recall observed ${observed.toFixed(3)} expected ${expected.toFixed(3)} ± ${sd.toFixed(3)}`);
        expect(Math.abs(observed - expected)).toBeLessThanOrEqual(4 * sd + 0.01);
        expect(foreignMerges).toBe(0);
        if (level === 0) expect(observed).toBe(1);
      }
    });
  }

  it("banding tuned for 0.7 with the exact check raises recall near 0.8 without admitting pairs the check rejects", async () => {
    const banding = { bands: 14, rows: 9 };
    for (const level of [0.01, 0.02, 0.03]) {
      const { pairs, foreignMerges } = await plantedPairs(level, "exact", 2000 + level * 1000, banding);
      const expectedEach = pairs.map((p) => (p.confirmed ? candidateProbability(p.jaccard, 14, 9) : 0));
      const expected = expectedEach.reduce((a, b) => a + b, 0) / pairs.length;
      const sd = Math.sqrt(expectedEach.reduce((a, p) => a + p * (1 - p), 0)) / pairs.length;
      const observed = pairs.filter((p) => p.grouped).length / pairs.length;
      const above = pairs.filter((p) => p.jaccard >= 0.8);
      const recallAbove = above.filter((p) => p.grouped).length / Math.max(1, above.length);
      console.log(`lsh 0.7 + exact check, level ${level}: recall observed ${observed.toFixed(3)} expected ${expected.toFixed(3)}; recall of pairs with J >= 0.8: ${recallAbove.toFixed(3)} (${above.length} pairs)`);
      expect(Math.abs(observed - expected)).toBeLessThanOrEqual(4 * sd + 0.01);
      expect(pairs.every((p) => !p.grouped || p.confirmed)).toBe(true);
      expect(foreignMerges).toBe(0);
    }
  });
});
