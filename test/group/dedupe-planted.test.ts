/**
 * Decision-quality goals of near-duplicate problem grouping, pinned on a small planted set drawn
 * from ../shared/data/problems (bench/dedupe-planted.mjs makes the same set at full size), plus the
 * number rule and the 2-gram signal on hand-written statements (always run).
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { clusterTexts, loadProblems, plantedSet, plantedTable } from "../../bench/dedupe-planted.mjs";
import { ProblemGrouper } from "../../src/group/group.js";
import { sketchBatch } from "../../src/group/sketch-text.js";
import { resolveSketch } from "../../src/group/params.js";
import { numberHashes } from "../../src/group/check-data.js";

const mod = { ProblemGrouper, sketchBatch, resolveSketch };
const problems = loadProblems(join(import.meta.dirname, "..", "..", "..", "shared", "data", "problems"));

const LONG =
  "A circular garden has a radius of 10 meters. A gardener walks from the center of the garden straight to the " +
  "edge, then walks along the edge for a quarter of the circumference, and finally walks straight back to the " +
  "center of the garden. The gardener repeats this walk every morning before the sun rises and records the " +
  "distance in a notebook kept in the shed. How many meters does the gardener walk each morning?";

describe("near-duplicate decisions on hand-written statements", () => {
  it("numbers: the statement number is ignored, a changed number is another problem, an extra number tag is not", async () => {
    expect(numberHashes("Problem 3. Find 12 and 4.5")).toEqual(numberHashes("Find 12 and 4.5"));
    expect(numberHashes("Find 12 and 4.5")).not.toEqual(numberHashes("Find 12 and 4.6"));
    const texts = [LONG, LONG.replace("radius of 10", "radius of 5"), "(2008 AMC 10) " + LONG, LONG.toUpperCase().replace(/ /g, "\n")];
    const groups = await clusterTexts(texts, mod, {});
    expect(groups[1]).not.toBe(groups[0]);
    expect(groups[2]).toBe(groups[0]);
    expect(groups[3]).toBe(groups[0]);
    const ignoring = await clusterTexts(texts, mod, { problems: { numbers: "ignore" } });
    expect(ignoring[1]).toBe(ignoring[0]);
  });

  it("two words changed in a long statement merge; in a short one, or half rewritten, they do not", async () => {
    const twoWords = LONG.replace("straight back", "directly back").replace("notebook", "diary");
    const half = LONG.split(" ").map((w, i) => (i % 2 === 0 ? w : "lorem")).join(" ");
    const short = "Find the sum of the roots of the quadratic equation x^2 + 5x + 6 = 0 given above.";
    const shortChanged = short.replace("sum", "product");
    const groups = await clusterTexts([LONG, twoWords, half, short, shortChanged], mod, {});
    expect(groups[1]).toBe(groups[0]);
    expect(groups[2]).not.toBe(groups[0]);
    expect(groups[4]).not.toBe(groups[3]);
  });
});

describe.skipIf(!problems)("planted near-duplicates of real problems (skipped: ../shared/data/problems absent)", () => {
  it("re-formatted 100 %, one word ≥ 95 %, two words ≥ 90 %, half-rewritten and number variants never merged", async () => {
    const rows = plantedSet(problems!, 200, 11);
    const groups = await clusterTexts(rows.map((r) => r.text), mod, { problems: { threshold: 0.8 } });
    const { table } = plantedTable(rows, groups);
    const rate = (k: string) => table[k].merged / table[k].copies;
    console.log(Object.entries(table).map(([k, t]) => `${k} ${t.merged}/${t.copies}`).join(", "));
    expect(table.reformatted.copies).toBe(200);
    expect(rate("reformatted")).toBe(1);
    expect(rate("1-word")).toBeGreaterThanOrEqual(0.95);
    expect(rate("2-word")).toBeGreaterThanOrEqual(0.9);
    expect(table.half.merged).toBe(0);
    expect(table.number.merged).toBe(0);
    // deterministic: the same input gives the same groups
    expect(await clusterTexts(rows.map((r) => r.text), mod, { problems: { threshold: 0.8 } })).toEqual(groups);
  });
});
