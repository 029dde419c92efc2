/**
 * Repeated rollout ids (issue #18): a sharded dataset whose numbering restarts in every file. The
 * first row with an id keeps it, later ones get <id>@<source>:<file>:<line> and keep the original in
 * annotations.group.originalId; the manifest counts them; DPO pairs never pair a rollout with itself;
 * `dedupe.duplicateIds: "fail"` refuses the input naming file and row; array ranks rename the same way.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allFiles, quickstartVariant, repoRoot, runCli, startCli, tempDir } from "../helpers/cli.js";
import { runToEnd } from "../helpers/run.js";
import { duck } from "../helpers/duckdb.js";
import { IdSet } from "../../src/group/duplicate-ids.js";

/** three files of the sample rollouts, each numbering its rows 0, 1, 2… as a sharded dump does */
function shardedCorpus(dedupe: Record<string, unknown> = {}): string {
  const d = tempDir("curate-dupids-");
  mkdirSync(join(d, "in"));
  const lines = readFileSync(join(repoRoot, "data-samples", "rollouts.jsonl"), "utf8").trim().split("\n");
  for (let k = 0; k < 3; k++) {
    const rows = lines.slice(k * 40, (k + 1) * 40).map((l, i) => JSON.stringify({ ...JSON.parse(l), id: String(i) }));
    writeFileSync(join(d, "in", `part-${k}.jsonl`), rows.join("\n") + "\n");
  }
  const mix = quickstartVariant("dupids", { path: "in/*.jsonl" }, { outputs: true });
  mix.dedupe = { ...(mix.dedupe as object), ...dedupe };
  writeFileSync(join(d, "mix.json"), JSON.stringify(mix));
  return d;
}

describe("IdSet", () => {
  it("says exactly which of 200,000 ids (half of them repeats) were seen before", () => {
    const set = new IdSet(16);
    let repeats = 0;
    const wrong: number[] = []; // one expect at the end: 200,000 expect calls cost more than the set
    for (let i = 0; i < 200_000; i++) {
      const id = `row-${i % 100_000}`;
      const fresh = set.add(id);
      if (fresh !== i < 100_000) wrong.push(i);
      if (!fresh) repeats++;
    }
    expect(wrong).toEqual([]);
    expect(repeats).toBe(100_000);
  });
});

describe("repeated ids", () => {
  let d: string;
  let out: string;
  beforeAll(async () => {
    d = shardedCorpus();
    out = join(d, "out");
    // no threads: the ids are renamed in the group step, which threads do not run; in this process (test/helpers/run.ts)
    await runToEnd(join(d, "mix.json"), out);
  });

  it("keeps the first row's id, renames the later ones by source, file and line, and counts them", async () => {
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    expect(manifest.groups.duplicateIds).toBe(80);
    const rows = await duck(
      `select id, file, "row", json_extract_string(annotations, '$.group.originalId') as original from read_parquet(['${out}/data/*.parquet', '${out}/rejected/*.parquet'], union_by_name = true) order by ordinal`,
    );
    expect(rows.length).toBe(120);
    expect(new Set(rows.map((r) => r.id)).size).toBe(120);
    for (const r of rows) {
      const line = Number(r.row) + 1;
      if (r.file === "in/part-0.jsonl") {
        expect(r.id).toBe(String(line - 1));
        expect(r.original).toBeNull();
      } else {
        expect(r.id).toBe(`${line - 1}@${manifest.config.sources[0].name}:${r.file}:${line}`);
        expect(r.original).toBe(String(line - 1));
      }
    }
  });

  it("never pairs a rollout with itself in DPO, and every pair's ids are rows of the run", async () => {
    const pairs = await duck(`select chosen_id, rejected_id from read_parquet('${out}/outputs/dpo/data/*.parquet')`);
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p.chosen_id).not.toBe(p.rejected_id);
    // the rejected side is an incorrect rollout: in rejected/ (verify:incorrect), by its unique id
    const ids = new Set((await duck(`select id from read_parquet(['${out}/data/*.parquet', '${out}/rejected/*.parquet'], union_by_name = true)`)).map((r) => r.id));
    for (const p of pairs) {
      expect(ids.has(p.chosen_id)).toBe(true);
      expect(ids.has(p.rejected_id)).toBe(true);
    }
  });

  it("renames the same way when 2 ranks split the group step (byte-identical run)", async () => {
    const ranked = join(d, "ranks");
    const runs = [0, 1].map((rank) => startCli(["run", join(d, "mix.json"), "--out", ranked, "--quiet", "--rank", String(rank), "--world-size", "2", "--workers", "0", "--wait-seconds", "600"]).exit);
    for (const r of await Promise.all(runs)) expect(r.code, r.stderr).toBe(0);
    const files = allFiles(out).filter((f) => !f.startsWith(".work/"));
    expect(allFiles(ranked).filter((f) => !f.startsWith(".work/"))).toEqual(files);
    for (const f of files) expect(readFileSync(join(ranked, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  });

  it('refuses the input with dedupe.duplicateIds "fail", naming the file and row', () => {
    const f = shardedCorpus({ duplicateIds: "fail" });
    const r = runCli(["run", join(f, "mix.json"), "--out", join(f, "out"), "--quiet", "--workers", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in\/part-1\.jsonl, row 1: rollout id "0" \(source \w+\) repeats an earlier row's id, and dedupe\.duplicateIds is "fail"/);
  });
});
