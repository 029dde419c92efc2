/**
 * Near-duplicate problem clusters on the real problem sets in ../shared/data/problems (MATH, AIME,
 * DeepScaleR, LIMR: ~18k rows with many cross-source duplicates). Unrelated problems must never
 * share a cluster; clusters spanning different reference answers are counted and printed.
 * Sketched inline (workers: 0): the sketch threads are tested elsewhere and would only add their start-up.
 */
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dedupeFile, type DedupeLine } from "../../src/group/dedupe-file.js";
import { sketcherFor } from "../../src/group/sketch-text.js";
import { CheckData, recordSimilarity } from "../../src/group/check-data.js";

const DIR = join(import.meta.dirname, "..", "..", "..", "shared", "data", "problems");
const present = existsSync(DIR);

describe.skipIf(!present)("near-duplicate problems in ../shared/data/problems (skipped: data absent)", () => {
  it("groups exact duplicates, merges only closely related statements, and reports answer-spanning clusters", async () => {
    const rows: { id: string; problem: string; answer: string | null }[] = [];
    for (const f of readdirSync(DIR).filter((f) => f.endsWith(".jsonl")).sort()) {
      for (const line of readFileSync(join(DIR, f), "utf8").split("\n")) {
        if (!line.trim()) continue;
        const v = JSON.parse(line) as { problem: string; answer?: unknown };
        rows.push({ id: `${f}:${rows.length}`, problem: v.problem, answer: v.answer == null ? null : String(v.answer) });
      }
    }
    const tmp = mkdtempSync(join(tmpdir(), "dedupe-problems-"));
    try {
      const input = join(tmp, "problems.jsonl");
      writeFileSync(input, rows.map((r) => JSON.stringify({ id: r.id, problem: r.problem })).join("\n") + "\n");
      const lines: DedupeLine[] = [];
      await dedupeFile(input, { field: "problem", idField: "id", threshold: 0.8, check: "exact", representative: "first", ngram: 5, permutations: 128, workers: 0 }, (l) => lines.push(l));
      expect(lines).toHaveLength(rows.length);

      // identical statements (up to case and whitespace) are always in one cluster
      const byText = new Map<string, string>();
      const norm = (s: string) => s.toLowerCase().replace(/\s+/g, " ").trim();
      let exactDuplicates = 0;
      lines.forEach((l, i) => {
        const t = norm(rows[i]!.problem);
        const c = byText.get(t);
        if (c === undefined) byText.set(t, l.cluster);
        else {
          exactDuplicates++;
          expect(l.cluster).toBe(c);
        }
      });
      expect(exactDuplicates).toBeGreaterThan(1000);

      // every member of a cluster is close to its representative: no unrelated problem is merged
      const sk = sketcherFor({ permutations: 128, ngram: 5, seed: 1, bands: 9, rows: 13 }, [], true);
      // similarity as the check sees it (larger of 5-gram and 2-gram Jaccard), numbers aside: a chain may pass through a copy with an extra number
      const check = new CheckData(sk, false);
      const index = new Map(rows.map((r, i) => [r.id, i]));
      const clusters = new Map<string, number[]>();
      lines.forEach((l, i) => {
        const members = clusters.get(l.cluster);
        if (members) members.push(i);
        else clusters.set(l.cluster, [i]);
      });
      let multi = 0, spanning = 0, minSimilarity = 1;
      const answer = (a: string | null) => (a ?? "").replace(/\s+/g, "").replace(/\\[dt]frac/g, "\\frac");
      for (const members of clusters.values()) {
        const texts = new Set(members.map((i) => norm(rows[i]!.problem)));
        if (texts.size < 2) continue;
        multi++;
        const rep = index.get(lines[members[0]!]!.representative)!;
        const repRecord = check.record(rows[rep]!.problem);
        for (const i of members) minSimilarity = Math.min(minSimilarity, recordSimilarity(repRecord, check.record(rows[i]!.problem)));
        if (new Set(members.map((i) => answer(rows[i]!.answer))).size > 1) spanning++;
      }
      console.log(`problems: ${rows.length} rows, ${clusters.size} clusters, ${multi} with more than one distinct statement, ${spanning} spanning different reference answers, min Jaccard to representative ${minSimilarity.toFixed(3)}`);
      expect(multi).toBeGreaterThan(0);
      // union-find may chain A~B~C; members still share most of the statement with the representative
      expect(minSimilarity).toBeGreaterThanOrEqual(0.6);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
