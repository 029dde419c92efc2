import { describe, expect, it, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parquetWriteBuffer } from "hyparquet-writer";
import { ProblemGrouper, type GrouperConfig } from "../../src/group/group.js";
import type { BandPairs } from "../../src/group/pairs.js";
import { splitmix32 } from "../../src/text/hash.js";
import { sketchBatch } from "../../src/group/sketch-text.js";
import { sketchModule } from "../../src/group/annotator.js";
import { resolveSketch } from "../../src/group/params.js";
import { dedupeFile, type DedupeLine } from "../../src/group/dedupe-file.js";
import type { GroupInput } from "../../src/group/types.js";
import type { Rollout } from "../../src/record/rollout.js";
import type { MixConfig } from "../../src/config/types.js";

const tmpRoot = mkdtempSync(join(tmpdir(), "dedupe-test-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
const tmp = () => join(tmpRoot, `t${tmpCount++}`);

const PARAMS = resolveSketch(undefined, undefined).problem; // what the grouper expects by default
const NB = PARAMS.bands;

function words(seed: number, n: number): string {
  const rand = splitmix32(seed);
  return Array.from({ length: n }, () => (rand() >>> 0).toString(36).slice(0, 4)).join(" ");
}

interface RowSpec {
  id: string;
  problem: string;
  source?: string;
  verdict?: string;
  tokens?: number;
  eligible?: boolean;
}

/** GroupInputs from row specs (ordinal = position), with real sketches. */
function inputs(rows: RowSpec[]): GroupInput[] {
  const s = sketchBatch({ params: PARAMS, stripPhrases: [], stockPhrases: true, texts: rows.map((r) => r.problem) });
  return rows.map((r, i) => ({
    ordinal: i,
    id: r.id,
    source: r.source ?? "main",
    problemKey: `${s.keys[2 * i]}:${s.keys[2 * i + 1]}`,
    sketch: { bands: Array.from(s.bands.subarray(i * NB, i * NB + NB)), bits: Array.from(s.bits.subarray(i * 4, i * 4 + 4)) },
    problemText: r.problem,
    responseChars: (r.tokens ?? 100) * 4,
    responseTokens: r.tokens ?? 100,
    verdict: r.verdict ?? null,
    eligible: r.eligible,
  }));
}

async function group(cfg: GrouperConfig, rows: GroupInput[]) {
  const g = new ProblemGrouper(cfg, tmp());
  for (const r of rows) g.add(r);
  return g.finish();
}

const A = words(1, 200);
const A2 = A.replace(/^(\S+)/, "$1 extra"); // one word inserted: Jaccard 200/209 ≈ 0.957, P(candidate) ≈ 0.998
const B = words(2, 200);

describe("problem groups", () => {
  it("merges exact and near-duplicate problems into one group and names its representative", async () => {
    const rows = inputs([
      { id: "a1", problem: A },
      { id: "b1", problem: B },
      { id: "a2", problem: A.toUpperCase() }, // exact after normalisation
      { id: "n1", problem: A2 },
    ]);
    const r = await group({ seed: 1 }, rows);
    const [a1, b1, a2, n1] = [0, 1, 2, 3].map((o) => r.info(o));
    expect(a1!.problemGroup).toBe(a2!.problemGroup);
    expect(n1!.problemGroup).toBe(a1!.problemGroup);
    expect(b1!.problemGroup).not.toBe(a1!.problemGroup);
    expect(a1!.representative).toBe("a1");
    expect(n1!.representative).toBe("a1");
    expect(n1!.nearDuplicateProblem).toBe(true);
    expect(a2!.nearDuplicateProblem).toBe(false);
    expect(a1!.groupRollouts).toBe(3);
    expect(a1!.groupProblems).toBe(2);
    expect(r.dropFor(3)).toBeNull(); // no cap: duplicate problems are grouped, not dropped
    expect(r.stats.nearDuplicateClusters).toBe(1);
    const clusters = r.clusters();
    expect(clusters).toHaveLength(1);
    expect(clusters[0]!.representative.id).toBe("a1");
    expect(clusters[0]!.problems.map((p) => p.firstId)).toEqual(["a1", "n1"]);
    expect(clusters[0]!.problems[1]!.similarity).toBeGreaterThan(0.8);
  });

  it("chooses the representative by policy", async () => {
    const long = `${A} tail`;
    const rows = (extra: Partial<RowSpec>[] = []) =>
      inputs([
        { id: "first", problem: A, source: "low" },
        { id: "longest", problem: long, source: "high", ...extra[0] },
        { id: "longest#2", problem: long, source: "high" },
      ]);
    const sources = [{ name: "low", priority: 0 }, { name: "high", priority: 5 }];
    expect((await group({ seed: 1, sources }, rows())).info(0).representative).toBe("first");
    expect((await group({ seed: 1, sources, dedupe: { representative: "longest" } }, rows())).info(0).representative).toBe("longest");
    expect((await group({ seed: 1, sources, dedupe: { representative: "most_rollouts" } }, rows())).info(0).representative).toBe("longest");
    expect((await group({ seed: 1, sources, dedupe: { representative: "source_priority" } }, rows())).info(0).representative).toBe("longest");
    // the representative row prefers a correct rollout of the representative problem
    const withVerdict = inputs([
      { id: "x1", problem: A, verdict: "incorrect" },
      { id: "x2", problem: A, verdict: "correct" },
    ]);
    expect((await group({ seed: 1 }, withVerdict)).info(0).representative).toBe("x2");
  });

  it("pass rate counts correct over graded rollouts of the merged group", async () => {
    const rows = inputs([
      { id: "1", problem: A, verdict: "correct" },
      { id: "2", problem: A2, verdict: "incorrect" },
      { id: "3", problem: A, verdict: "no_answer" },
      { id: "4", problem: A, verdict: "timeout" },
      { id: "5", problem: B },
    ]);
    const r = await group({ seed: 1 }, rows);
    expect(r.info(0).passRate).toBeCloseTo(1 / 3);
    expect(r.info(0).groupCorrect).toBe(1);
    expect(r.info(4).passRate).toBeNull();
  });
});

describe("rollout cap", () => {
  // 16 correct rollouts with lengths 100..1600 and 8 incorrect, one problem
  const specs = (): RowSpec[] => [
    ...Array.from({ length: 16 }, (_, i) => ({ id: `c${i}`, problem: A, verdict: "correct", tokens: 100 * (i + 1) })),
    ...Array.from({ length: 8 }, (_, i) => ({ id: `w${i}`, problem: A, verdict: "incorrect", tokens: 50 * (i + 1) })),
  ];
  const survivors = (r: Awaited<ReturnType<typeof group>>, rows: GroupInput[]) =>
    rows.filter((x) => r.dropFor(x.ordinal) === null).map((x) => x.id).sort();

  it("keeps the cap, prefers correct rollouts and spreads them over lengths", async () => {
    const rows = inputs(specs());
    const r = await group({ seed: 7, dedupe: { maxRolloutsPerProblem: 4 } }, rows);
    const kept = survivors(r, rows);
    expect(kept).toHaveLength(4);
    expect(kept.every((id) => id.startsWith("c"))).toBe(true);
    // one per length quartile (the representative row takes one slot)
    const quartiles = new Set(kept.map((id) => Math.floor(Number(id.slice(1)) / 4)));
    expect(quartiles.size).toBeGreaterThanOrEqual(3);
    const rep = r.info(0).representative;
    expect(kept).toContain(rep);
    for (const x of rows) {
      const d = r.dropFor(x.ordinal);
      if (d) {
        expect(d.reason).toBe("duplicate:rollout_cap");
        expect(d.duplicateOf).toBe(rep);
        expect(r.info(x.ordinal).duplicateOf).toBe(rep);
      }
    }
    expect(r.stats.drops["duplicate:rollout_cap"]).toBe(20);
  });

  it("fills with incorrect rollouts only when correct ones run out, and ignores ineligible rows", async () => {
    const rows = inputs(specs().map((s, i) => ({ ...s, eligible: !(s.verdict === "correct" && i >= 2) })));
    const r = await group({ seed: 7, dedupe: { maxRolloutsPerProblem: 5 } }, rows);
    const kept = survivors(r, rows).filter((id) => rows.find((x) => x.id === id)!.eligible !== false);
    expect(kept.filter((id) => id.startsWith("c")).sort()).toEqual(["c0", "c1"]);
    expect(kept.filter((id) => id.startsWith("w"))).toHaveLength(3);
    // ineligible rows are never dropped by the cap (their own filter drops them)
    for (const x of rows) if (x.eligible === false) expect(r.dropFor(x.ordinal)).toBeNull();
  });

  it("depends on the seed and the ids, never on arrival order", async () => {
    const base = specs();
    const rows = inputs(base);
    const keptA = survivors(await group({ seed: 7, dedupe: { maxRolloutsPerProblem: 4 } }, rows), rows);
    // same rows in another arrival order (ordinals reassigned); the first-seen row — the
    // representative under policy "first" — stays first, every other survivor is chosen by seed + id
    const rand = splitmix32(5);
    const shuffled = base.slice(1);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rand() % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const rows2 = inputs([base[0]!, ...shuffled]);
    expect(rows2.map((r) => r.id)).not.toEqual(rows.map((r) => r.id));
    const keptB = survivors(await group({ seed: 7, dedupe: { maxRolloutsPerProblem: 4 } }, rows2), rows2);
    expect(keptB).toEqual(keptA);
    // other seeds choose other survivors
    const sets = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) sets.add(survivors(await group({ seed, dedupe: { maxRolloutsPerProblem: 4 } }, rows), rows).join(","));
    expect(sets.size).toBeGreaterThan(1);
  });

  it("applies the cap to the merged group of a duplicated problem", async () => {
    const rows = inputs([
      ...Array.from({ length: 6 }, (_, i) => ({ id: `a${i}`, problem: A, verdict: "correct", tokens: 100 + i })),
      ...Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, problem: A2, verdict: "correct", tokens: 200 + i })),
      { id: "b0", problem: B, verdict: "correct" },
    ]);
    const r = await group({ seed: 3, dedupe: { maxRolloutsPerProblem: 8 } }, rows);
    const kept = rows.filter((x) => r.dropFor(x.ordinal) === null).map((x) => x.id);
    expect(kept.filter((id) => id !== "b0")).toHaveLength(8);
    expect(kept).toContain("b0");
    expect(kept).toContain("a0"); // representative row
    expect(new Set(rows.slice(0, 12).map((x) => r.info(x.ordinal).problemGroup)).size).toBe(1);
    expect(r.info(6).nearDuplicateProblem).toBe(true);
    expect(r.info(6).representative).toBe("a0");
  });
});

describe("near-copy responses", () => {
  it("drops a rollout whose response is a near-copy of a kept one of the same problem", async () => {
    const config = { name: "t", seed: 1, tokenizer: "o200k_base", sources: [], dedupe: { responses: { enabled: true } } } as unknown as MixConfig;
    const annotator = (await sketchModule.create(config, { baseDir: ".", runDir: ".", seed: 1 }))!;
    const base = words(10, 400);
    const mk = (id: string, ordinal: number, problem: string, response: string, verdict: string) =>
      ({ id, ordinal, source: "s", file: "f", row: ordinal, rolloutIndex: 0, problem, response, reference: null, finishReason: null, meta: {}, verify: { verdict } }) as unknown as Rollout;
    const records = [
      mk("r0", 0, A, base, "incorrect"),
      mk("r1", 1, A, base.replace(/^(\S+ \S+)/, "$1 tweak"), "correct"),
      mk("r2", 2, A, words(11, 400), "correct"),
      mk("r3", 3, B, base, "correct"), // same response, other problem: kept
    ];
    await annotator.annotate(records);
    expect(records[0]!.sketch!.response).toHaveLength(8);
    expect(records[0]!.sketch!.bands).toHaveLength(NB);
    const g = new ProblemGrouper({ seed: 1, dedupe: config.dedupe }, tmp());
    for (const rec of records) {
      g.add({ ordinal: rec.ordinal, id: rec.id, source: rec.source, problemKey: rec.problem === A ? "A" : "B", sketch: rec.sketch, responseChars: rec.response.length, verdict: rec.verify!.verdict });
    }
    const r = await g.finish();
    // the correct near-copy is preferred; the incorrect one is dropped as its duplicate
    expect(r.dropFor(0)).toMatchObject({ reason: "duplicate:near_response", duplicateOf: "r1" });
    expect(r.dropFor(1)).toBeNull();
    expect(r.dropFor(2)).toBeNull();
    expect(r.dropFor(3)).toBeNull();
    expect(r.stats.drops["duplicate:near_response"]).toBe(1);
  });
});

describe("bounded memory", () => {
  it("spilling band buckets to sorted run files gives the same groups as in memory", async () => {
    const rand = splitmix32(77);
    const P = 20000;
    const NB = resolveSketch(undefined, { problems: { check: "none" } }).problem.bands;
    const rows: GroupInput[] = [];
    for (let p = 0; p < P; p++) {
      const bands = Array.from({ length: NB }, () => rand() | 0);
      // every 50th problem shares band (p % NB) with problem p - 25
      if (p % 50 === 25 && p >= 25) bands[p % NB] = rows[p - 25]!.sketch!.bands[p % NB]!;
      rows.push({ ordinal: p * 2, id: `p${p}`, source: "s", problemKey: `k${p}`, sketch: { bands, bits: [0, 0, 0, 0] }, responseChars: 10 });
    }
    const cfg = (mb: number): GrouperConfig => ({ seed: 1, dedupe: { problems: { check: "none" }, memoryBudgetMB: mb } });
    const small = await group(cfg(1), rows);
    const big = await group(cfg(512), rows);
    expect(small.stats.spillRuns).toBeGreaterThan(3);
    expect(big.stats.spillRuns).toBe(0);
    expect(small.stats.nearDuplicateClusters).toBe(400);
    for (const row of rows) expect(small.info(row.ordinal)).toEqual(big.info(row.ordinal));
  });

  it("exact-check shingle sets and row ids spilled to disk give the same groups", async () => {
    const specs: RowSpec[] = [];
    for (let k = 0; k < 900; k++) {
      const base = words(5000 + k, 150);
      specs.push({ id: `b${k}`, problem: base });
      if (k % 4 === 0) specs.push({ id: `v${k}`, problem: base.replace(/^(\S+ \S+)/, "$1 inserted") });
    }
    const rows = inputs(specs);
    const small = await group({ seed: 1, dedupe: { memoryBudgetMB: 1 } }, rows);
    const big = await group({ seed: 1, dedupe: { memoryBudgetMB: 512 } }, rows);
    expect(small.stats.checkedPairs).toBeGreaterThan(200);
    expect(small.stats.spilledCheckBytes).toBeGreaterThan(0);
    expect(big.stats.spilledCheckBytes).toBe(0);
    expect(small.stats.nearDuplicateClusters).toBe(big.stats.nearDuplicateClusters);
    expect(small.stats.nearDuplicateClusters).toBeGreaterThan(200);
    for (const r of rows) expect(small.info(r.ordinal)).toEqual(big.info(r.ordinal));
  });

  it("splitting the bucket step by band across ranks gives the same groups", async () => {
    const specs: RowSpec[] = [];
    for (let k = 0; k < 40; k++) {
      const base = words(100 + k, 120);
      specs.push({ id: `b${k}`, problem: base });
      if (k % 3 === 0) specs.push({ id: `v${k}`, problem: base.replace(/^(\S+ \S+)/, "$1 inserted") });
      if (k % 5 === 0) specs.push({ id: `w${k}`, problem: base.replace(/(\S+)$/, "changed $1") });
    }
    const rows = inputs(specs);
    const single = await group({ seed: 1 }, rows);
    const world = 3;
    const pairs: BandPairs[] = [];
    for (let rank = 0; rank < world; rank++) {
      const g = new ProblemGrouper({ seed: 1 }, tmp());
      for (const r of rows) g.add(r);
      pairs.push(g.bandPairs(Array.from({ length: NB }, (_, j) => j).filter((j) => j % world === rank)));
    }
    const final = new ProblemGrouper({ seed: 1 }, tmp());
    for (const r of rows) final.add(r);
    const merged = await final.finish({ pairs });
    expect(single.stats.nearDuplicateClusters).toBeGreaterThan(10);
    // the statistics too: each band is processed on its own, whichever rank has it
    expect(merged.stats).toEqual(single.stats);
    for (const r of rows) expect(merged.info(r.ordinal)).toEqual(single.info(r.ordinal));
  });

  it("names the row when input is out of order or sketched with other parameters", async () => {
    const g = new ProblemGrouper({ seed: 1 }, tmp());
    const [row] = inputs([{ id: "first", problem: A }]);
    g.add({ ...row!, ordinal: 5 });
    expect(() => g.add({ ...row!, ordinal: 3, id: "late" })).toThrow(/late.*ordinal 3 after 5/);
    expect(() => g.add({ ...row!, ordinal: 6, id: "odd", problemKey: "other", sketch: { bands: [1, 2], bits: [0, 0, 0, 0] } })).toThrow(new RegExp(`odd.*2 bands, expected ${NB}`));
  });
});

describe("curate dedupe (file)", () => {
  it("writes one line per row with cluster, representative and duplicate flag, the same with and without workers", async () => {
    const file = join(tmpRoot, "in.jsonl");
    const problems = [A, B, `Problem 7. ${A}`, `${A2} Please reason step by step, and put your final answer within \\boxed{}.`, words(3, 50)];
    writeFileSync(file, problems.map((p, i) => JSON.stringify({ uid: `u${i}`, q: { text: p } })).join("\n") + "\n");
    const run = async (workers: number) => {
      const lines: DedupeLine[] = [];
      const res = await dedupeFile(file, { field: "q.text", idField: "uid", threshold: 0.8, check: "exact", representative: "first", ngram: 5, permutations: 128, workers, tmpDir: tmp() }, (l) => lines.push(l));
      return { lines, res };
    };
    const inline = await run(0);
    const pooled = await run(2);
    expect(pooled.lines).toEqual(inline.lines);
    const l = inline.lines;
    expect(l.map((x) => x.id)).toEqual(["u0", "u1", "u2", "u3", "u4"]);
    expect(l.map((x) => x.duplicate)).toEqual([false, false, true, true, false]);
    expect(l[2]!.representative).toBe("u0");
    expect(l[3]!.cluster).toBe(l[0]!.cluster);
    expect(inline.res).toMatchObject({ rows: 5, clusters: 3, duplicates: 2 });
  });

  it("reads Parquet (and a glob of files) through the source readers: the JSONL file's lines, ids from the default id fields", async () => {
    const problems = [A, B, `Problem 7. ${A}`, words(3, 50)];
    const opts = { field: "q", threshold: 0.8, check: "exact" as const, representative: "first" as const, ngram: 5, permutations: 128, workers: 0 };
    const jsonl = join(tmpRoot, "p.jsonl");
    writeFileSync(jsonl, problems.map((p, i) => JSON.stringify({ unique_id: `p${i}`, q: p })).join("\n") + "\n");
    const pq = join(tmpRoot, "p.parquet");
    const cols = [{ name: "unique_id", data: problems.map((_, i) => `p${i}`), type: "STRING" as const }, { name: "q", data: problems, type: "STRING" as const }];
    writeFileSync(pq, new Uint8Array(parquetWriteBuffer({ columnData: cols })));
    const lines = async (input: string | string[]) => {
      const out: DedupeLine[] = [];
      const res = await dedupeFile(input, { ...opts, tmpDir: tmp() }, (l) => out.push(l));
      return { out, res };
    };
    const fromJsonl = await lines(jsonl);
    expect(fromJsonl.out.map((l) => [l.id, l.duplicate, l.representative])).toEqual([["p0", false, "p0"], ["p1", false, "p1"], ["p2", true, "p0"], ["p3", false, "p3"]]);
    expect(await lines(pq)).toEqual(fromJsonl);
    // both files at once: the Parquet rows repeat the JSONL ones, so all four are duplicates of them
    const both = await lines([jsonl, join(tmpRoot, "p.parq*")]);
    expect(both.res).toMatchObject({ rows: 8, duplicates: 5 });
    expect(both.out.slice(4).map((l) => l.representative)).toEqual(["p0", "p1", "p0", "p3"]);
    await expect(lines(join(tmpRoot, "missing.parquet"))).rejects.toThrow(/missing\.parquet does not exist/);
  });

  it("reports a missing field with file and row", async () => {
    const file = join(tmpRoot, "bad.jsonl");
    writeFileSync(file, `{"problem": "a b c"}\n{"question": "x"}\n`);
    await expect(dedupeFile(file, { field: "problem", idField: "id", threshold: 0.8, check: "exact", representative: "first", ngram: 5, permutations: 128, workers: 0 }, () => {}))
      .rejects.toThrow(/bad\.jsonl, row 2: field "problem" must be a string, found nothing \(choose the field with --field\)/);
  });
});

describe("mix-file schema parts", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const dedupe = ajv.compile(JSON.parse(readFileSync(new URL("../../schemas/parts/dedupe.schema.json", import.meta.url), "utf8")));
  const sketch = ajv.compile(JSON.parse(readFileSync(new URL("../../schemas/parts/sketch.schema.json", import.meta.url), "utf8")));
  it("accepts the documented keys and rejects wrong ones", () => {
    expect(dedupe({ problems: { threshold: 0.85, check: "estimate" }, representative: "source_priority", maxRolloutsPerProblem: 8, responses: { enabled: true, threshold: 0.9 }, memoryBudgetMB: 256 })).toBe(true);
    expect(dedupe({ problems: { threshold: 1.2 } })).toBe(false);
    expect(dedupe({ representative: "random" })).toBe(false);
    expect(dedupe({ maxRolloutsPerProblem: 0 })).toBe(false);
    expect(dedupe({ unknown: 1 })).toBe(false);
    expect(sketch({ ngram: 5, permutations: 128, bands: 9, rows: 13, stripPhrases: ["Answer:"], responses: true, responsePermutations: 256 })).toBe(true);
    expect(sketch({ permutations: 100 })).toBe(false);
  });
});
