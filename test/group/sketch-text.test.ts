import { describe, expect, it } from "vitest";
import { packTexts, TextBatch } from "../../src/group/pool.js";
import { batchRecord, sketchBatch, type BatchSketchRequest } from "../../src/group/sketch-text.js";
import { CheckData, recordSimilarity } from "../../src/group/check-data.js";
import { resolveSketch } from "../../src/group/params.js";
import { setJaccard, shingleSet, TextSketcher } from "../../src/group/minhash.js";

const PARAMS = resolveSketch(undefined, undefined).problem;
const BASE = "Let $x$ be a real number such that 3x + 7 = 22. Find the value of x squared plus 2.5 times x.";
// what a worker must read back unchanged: a leading BOM, Latin-1, Greek, CJK, an astral emoji, an empty text
const TEXTS = [BASE, `\uFEFF${BASE}`, `Café: ${BASE} ∑ αβγ 数学 😀`, "", "1 2 3 4 5 6 7 8 9 10 11 12 13", "x".repeat(3000)];

function request(extra: Partial<BatchSketchRequest>): BatchSketchRequest {
  return { params: PARAMS, stripPhrases: [], stockPhrases: true, texts: [], checkRecords: { numbers: true }, ...extra };
}

describe("sketchBatch of packed texts", () => {
  it("gives the same sketches, keys and check records as the strings themselves", () => {
    const packed = packTexts(TEXTS, null);
    expect(packed).not.toBeNull();
    const fromStrings = sketchBatch(request({ texts: TEXTS }));
    const fromBytes = sketchBatch(request({ packed: packed! }));
    for (const k of ["bands", "bits", "keys", "empty", "records", "recordEnds"] as const) {
      expect(Array.from(fromBytes[k]!), k).toEqual(Array.from(fromStrings[k]!));
    }
    // and the records are those the group step builds from the text
    const check = new CheckData(new TextSketcher(PARAMS), true);
    TEXTS.forEach((t, i) => expect(Array.from(batchRecord(fromBytes, i)!)).toEqual(Array.from(check.record(t))));
  });

  it("refuses a text with a lone surrogate (it would come back as U+FFFD) and reuses a buffer that is large enough", () => {
    expect(packTexts([BASE, "broken \ud800 pair"], null)).toBeNull();
    const big = new ArrayBuffer(1 << 16);
    expect(packTexts(TEXTS.slice(0, 3), big)!.bytes.buffer).toBe(big);
    const small = new ArrayBuffer(8);
    const p = packTexts(TEXTS.slice(0, 3), small)!;
    expect(p.bytes.buffer).not.toBe(small);
    expect(Buffer.from(p.bytes).toString("utf8")).toBe(TEXTS.slice(0, 3).join(""));
  });

  it("a batch that meets a lone surrogate goes back to the strings, all of them in order", () => {
    const batch = new TextBatch(new ArrayBuffer(8), true); // too small: grows
    for (const t of TEXTS) batch.add(t);
    expect(Buffer.from(batch.packed()!.bytes).toString("utf8")).toBe(TEXTS.join(""));
    batch.add("broken \ud800 pair");
    batch.add(BASE);
    expect(batch.packed()).toBeNull();
    expect(batch.texts()).toEqual([...TEXTS, "broken \ud800 pair", BASE]);
    expect(batch.length).toBe(TEXTS.length + 2);
  });

  it("a record's 5-gram set is sorted on first use: the similarity is the exact Jaccard, on every call", () => {
    const sk = new TextSketcher(PARAMS);
    const check = new CheckData(sk, false);
    const words = Array.from({ length: 1200 }, (_, i) => `w${(i * 7919) % 613}x`);
    const a = words.join(" ");
    const b = words.map((w, i) => (i % 50 === 7 ? "changed" : w)).join(" ");
    const exact = setJaccard(shingleSet(sk.shingles(a)), shingleSet(sk.shingles(b)));
    expect(exact).toBeGreaterThan(0.5);
    expect(exact).toBeLessThan(1);
    const ra = check.record(a);
    const rb = check.record(b);
    expect(recordSimilarity(ra, rb)).toBe(exact);
    expect(recordSimilarity(ra, rb)).toBe(exact); // sorted now
    expect(recordSimilarity(check.record(b), ra)).toBe(exact); // one sorted, one not
  });
});
