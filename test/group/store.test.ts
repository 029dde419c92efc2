import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SpillStore } from "../../src/group/store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function entry(i: number): Int32Array {
  // small (copied) and large owned (kept as given) entries alternate irregularly
  const len = i % 3 === 0 ? 1024 + i : (i * 37) % 300;
  return Int32Array.from({ length: len }, (_, k) => Math.imul(i + 1, 0x9e3779b1) ^ k);
}

describe("SpillStore", () => {
  it("gives back every entry, small ones copied and large owned ones kept, in memory and after spilling", () => {
    for (const memoryInts of [1 << 30, 3000]) {
      const dir = mkdtempSync(join(tmpdir(), "store-"));
      dirs.push(dir);
      const store = new SpillStore(memoryInts, dir);
      const entries = Array.from({ length: 60 }, (_, i) => entry(i));
      const ids = entries.map((e) => store.append(e, true));
      expect(ids).toEqual(entries.map((_, i) => i));
      for (let i = 0; i < entries.length; i++) expect(Array.from(store.get(i))).toEqual(Array.from(entries[i]!));
      const total = entries.reduce((s, e) => s + e.length, 0);
      if (memoryInts < total) expect(store.spilledBytes).toBeGreaterThan(0);
      else expect(store.spilledBytes).toBe(0);
      store.close();
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});
