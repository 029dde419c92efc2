/**
 * The group outcome on the shared filesystem, computed once and read by every writer.
 *
 * The group step (exact duplicates, problem groups, caps) is global: it needs every row's compact
 * columns. Its result is saved under `.work/group/` so write ranks and write threads read it instead
 * of recomputing it:
 *
 *   u<NNNNN>.bin     per unit, per row: problem-group index (int32, -1 for a bad input row), a flag
 *                    byte (near-duplicate problem; has a group decision) and, for rows with a decision,
 *                    [duplicateOf, stage, reason, detail] as one JSON array
 *   clusters.bin     per problem group: representative ordinal, rollouts, problems, correct (int32),
 *                    pass rate (float64), then the group keys and representative ids (JSON)
 *   outcome.json     the marker, written last: token, stages, statistics, cluster summaries and the
 *                    size of every file above. Present with the current token = outcome complete.
 *
 * Bytes per row: 5 + ~100 per dropped row; per problem group: 24 + key + representative id.
 *
 * When the bucket step is split across ranks (`--phase group --world-size n`), rank r saves the
 * confirmed pairs of bands j ≡ r (mod n) as `pairs-w<n>-r<r>.bin`; rank 0 merges them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import type { DropReason } from "../trace/record.js";
import type { ClusterSummary, GroupStats, RowGroupInfo } from "../group/types.js";
import type { BandPairs } from "../group/group.js";
import { unitName } from "./units.js";

/** What the write step needs from the group step, for a row by its global index. */
export interface GroupOutcome {
  /** names of the group-level stages, in order (for per-stage counts) */
  stages: string[];
  info(index: number): RowGroupInfo;
  dropFor(index: number): DropReason | null;
  stats: GroupStats & { exactDuplicates: number };
  clusters(): ClusterSummary[];
}

export const groupDir = (outDir: string) => join(outDir, ".work", "group");

const UNIT_MAGIC = "CURATE-GROUP-UNIT-1";
const CLUSTER_MAGIC = "CURATE-GROUP-CLUSTERS-1";
const PAIRS_MAGIC = "CURATE-GROUP-PAIRS-1";

interface OutcomeMarker {
  token: string;
  stages: string[];
  stats: GroupStats & { exactDuplicates: number };
  units: { unit: number; base: number; rows: number; path: string; bytes: number }[];
  clusters: { path: string; bytes: number; count: number };
  summaries: ClusterSummary[];
}

/** header line + binary body */
function frame(magic: string, header: object, parts: ArrayBufferView[]): Buffer {
  return Buffer.concat([Buffer.from(`${magic}\n${JSON.stringify(header)}\n`, "utf8"), ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))]);
}

function unframe(buf: Buffer, magic: string, file: string): { header: Record<string, unknown>; body: Buffer } {
  const a = buf.indexOf(0x0a);
  const b = a < 0 ? -1 : buf.indexOf(0x0a, a + 1);
  if (a < 0 || b < 0 || buf.toString("utf8", 0, a) !== magic) throw new Error(`${file}: not a ${magic} file`);
  return { header: JSON.parse(buf.toString("utf8", a + 1, b)) as Record<string, unknown>, body: buf.subarray(b + 1) };
}

/** typed-array copy out of a (possibly unaligned) buffer region */
function int32s(body: Buffer, offset: number, n: number): Int32Array {
  const out = new Int32Array(n);
  Buffer.from(out.buffer).set(body.subarray(offset, offset + 4 * n));
  return out;
}

function float64s(body: Buffer, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  Buffer.from(out.buffer).set(body.subarray(offset, offset + 8 * n));
  return out;
}

const FLAG_NEAR = 1;
const FLAG_EXTRA = 2;

/**
 * Save `outcome` for rows [base, base + rows) of each unit. `grouped(i)` is false for rows the group
 * step never saw (bad input rows). The marker goes last, atomically.
 */
export function saveGroupOutcome(
  outDir: string,
  token: string,
  outcome: GroupOutcome,
  units: { unit: number; base: number; rows: number }[],
  grouped: (index: number) => boolean,
): void {
  const dir = groupDir(outDir);
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, "outcome.json"), { force: true });
  const clusterIndex = new Map<string, number>();
  const keys: string[] = [];
  const reps: string[] = [];
  const repOrdinal: number[] = [];
  const rollouts: number[] = [];
  const problems: number[] = [];
  const correct: number[] = [];
  const passRate: number[] = [];
  const saved: OutcomeMarker["units"] = [];
  for (const u of units) {
    const cluster = new Int32Array(u.rows);
    const flags = new Uint8Array(u.rows);
    const extras: unknown[] = [];
    for (let k = 0; k < u.rows; k++) {
      const i = u.base + k;
      if (!grouped(i)) {
        cluster[k] = -1;
        continue;
      }
      const info = outcome.info(i);
      let c = clusterIndex.get(info.problemGroup);
      if (c === undefined) {
        c = keys.length;
        clusterIndex.set(info.problemGroup, c);
        keys.push(info.problemGroup);
        reps.push(info.representative);
        repOrdinal.push(info.representativeOrdinal);
        rollouts.push(info.groupRollouts);
        problems.push(info.groupProblems);
        correct.push(info.groupCorrect);
        passRate.push(info.passRate ?? Number.NaN);
      }
      cluster[k] = c;
      if (info.nearDuplicateProblem) flags[k]! |= FLAG_NEAR;
      const drop = outcome.dropFor(i);
      if (drop || info.duplicateOf !== undefined) {
        flags[k]! |= FLAG_EXTRA;
        extras.push([info.duplicateOf ?? null, drop ? [drop.stage, drop.reason, drop.detail ?? null, drop.duplicateOf ?? null] : null]);
      }
    }
    const name = `${unitName(u.unit)}.bin`;
    const buf = frame(UNIT_MAGIC, { token, unit: u.unit, base: u.base, rows: u.rows }, [cluster, flags, Buffer.from(JSON.stringify(extras), "utf8")]);
    writeFileAtomic(join(dir, name), buf);
    saved.push({ unit: u.unit, base: u.base, rows: u.rows, path: name, bytes: buf.length });
  }
  const n = keys.length;
  const ints = new Int32Array(4 * n);
  ints.set(repOrdinal, 0);
  ints.set(rollouts, n);
  ints.set(problems, 2 * n);
  ints.set(correct, 3 * n);
  const cbuf = frame(CLUSTER_MAGIC, { token, count: n }, [ints, Float64Array.from(passRate), Buffer.from(JSON.stringify([keys, reps]), "utf8")]);
  writeFileAtomic(join(dir, "clusters.bin"), cbuf);
  const marker: OutcomeMarker = {
    token,
    stages: outcome.stages,
    stats: outcome.stats,
    units: saved,
    clusters: { path: "clusters.bin", bytes: cbuf.length, count: n },
    summaries: outcome.clusters(),
  };
  writeFileAtomic(join(dir, "outcome.json"), JSON.stringify(marker) + "\n");
}

/** The saved outcome under `token`, or null when there is none (or it is incomplete or stale). */
export function loadGroupOutcome(outDir: string, token: string): PersistedOutcome | null {
  const dir = groupDir(outDir);
  const p = join(dir, "outcome.json");
  if (!existsSync(p)) return null;
  let m: OutcomeMarker;
  try {
    m = JSON.parse(readFileSync(p, "utf8")) as OutcomeMarker;
  } catch {
    return null;
  }
  if (m.token !== token) return null;
  for (const f of [...m.units, m.clusters]) {
    const abs = join(dir, f.path);
    if (!existsSync(abs) || statSync(abs).size !== f.bytes) return null;
  }
  return new PersistedOutcome(dir, m);
}

/** A saved group outcome; units are loaded on first use (one at a time, in any order). */
export class PersistedOutcome implements GroupOutcome {
  readonly stages: string[];
  readonly stats: GroupStats & { exactDuplicates: number };
  private readonly keys: string[];
  private readonly reps: string[];
  private readonly ints: Int32Array;
  private readonly passRate: Float64Array;
  private readonly n: number;
  private current: { base: number; rows: number; cluster: Int32Array; flags: Uint8Array; extraAt: Int32Array; extras: ([string | null, [string, string, string | null, string | null] | null])[] } | null = null;

  constructor(private readonly dir: string, private readonly marker: OutcomeMarker) {
    this.stages = marker.stages;
    this.stats = marker.stats;
    const file = join(dir, marker.clusters.path);
    const { header, body } = unframe(readFileSync(file), CLUSTER_MAGIC, file);
    const n = (this.n = header.count as number);
    this.ints = int32s(body, 0, 4 * n);
    this.passRate = float64s(body, 16 * n, n);
    [this.keys, this.reps] = JSON.parse(body.toString("utf8", 24 * n)) as [string[], string[]];
  }

  clusters(): ClusterSummary[] {
    return this.marker.summaries;
  }

  private row(index: number): { k: number; u: NonNullable<PersistedOutcome["current"]> } {
    let u = this.current;
    if (!u || index < u.base || index >= u.base + u.rows) {
      const entry = this.marker.units.find((e) => index >= e.base && index < e.base + e.rows);
      if (!entry) throw new Error(`group outcome: no unit holds row ${index}`);
      const file = join(this.dir, entry.path);
      const { body } = unframe(readFileSync(file), UNIT_MAGIC, file);
      const rows = entry.rows;
      const cluster = int32s(body, 0, rows);
      const flags = Uint8Array.from(body.subarray(4 * rows, 5 * rows));
      const extras = JSON.parse(body.toString("utf8", 5 * rows)) as NonNullable<PersistedOutcome["current"]>["extras"];
      const extraAt = new Int32Array(rows).fill(-1);
      for (let k = 0, e = 0; k < rows; k++) if (flags[k]! & FLAG_EXTRA) extraAt[k] = e++;
      u = this.current = { base: entry.base, rows, cluster, flags, extraAt, extras };
    }
    return { k: index - u.base, u };
  }

  info(index: number): RowGroupInfo {
    const { k, u } = this.row(index);
    const c = u.cluster[k]!;
    if (c < 0) throw new Error(`group outcome: row ${index} is a bad input row (no group)`);
    const n = this.n;
    const pr = this.passRate[c]!;
    const info: RowGroupInfo = {
      problemGroup: this.keys[c]!,
      representative: this.reps[c]!,
      representativeOrdinal: this.ints[c]!,
      nearDuplicateProblem: (u.flags[k]! & FLAG_NEAR) !== 0,
      groupRollouts: this.ints[n + c]!,
      groupProblems: this.ints[2 * n + c]!,
      groupCorrect: this.ints[3 * n + c]!,
      passRate: Number.isNaN(pr) ? null : pr,
    };
    const e = u.extraAt[k]!;
    if (e >= 0 && u.extras[e]![0] !== null) info.duplicateOf = u.extras[e]![0];
    return info;
  }

  dropFor(index: number): DropReason | null {
    const { k, u } = this.row(index);
    const e = u.extraAt[k]!;
    const d = e >= 0 ? u.extras[e]![1] : null;
    if (!d) return null;
    const drop: DropReason = { stage: d[0], reason: d[1] };
    if (d[2] !== null) drop.detail = d[2];
    if (d[3] !== null) drop.duplicateOf = d[3];
    return drop;
  }
}

// ---------------------------------------------------------------------------------- band pairs

export const pairsPath = (outDir: string, world: number, rank: number) => join(groupDir(outDir), `pairs-w${world}-r${rank}.bin`);

export function savePairs(outDir: string, token: string, world: number, rank: number, p: BandPairs): void {
  writeFileAtomic(pairsPath(outDir, world, rank), frame(PAIRS_MAGIC, { token, world, rank, n: p.pairs.length, stats: p.stats }, [p.pairs]));
}

/** Rank `rank`'s pairs under `token`, or null when not (yet) there. */
export function readPairs(outDir: string, token: string, world: number, rank: number): BandPairs | null {
  const file = pairsPath(outDir, world, rank);
  if (!existsSync(file)) return null;
  try {
    const { header, body } = unframe(readFileSync(file), PAIRS_MAGIC, file);
    if (header.token !== token) return null;
    const n = header.n as number;
    if (body.length !== 4 * n) return null;
    return { pairs: int32s(body, 0, n), stats: header.stats as BandPairs["stats"] };
  } catch {
    return null;
  }
}

/**
 * Before a save: remove temp files of an interrupted save, and saved outcomes and pairs under other
 * tokens (a changed config or re-annotated inputs).
 */
export function clearStaleGroup(outDir: string, token: string): void {
  const dir = groupDir(outDir);
  if (!existsSync(dir)) return;
  let current = false;
  try {
    current = (JSON.parse(readFileSync(join(dir, "outcome.json"), "utf8")) as OutcomeMarker).token === token;
  } catch {
    current = false;
  }
  /** pairs saved under this token (another rank's work for this very merge) */
  const currentPairs = (f: string): boolean => {
    try {
      const file = join(dir, f);
      return unframe(readFileSync(file), PAIRS_MAGIC, file).header.token === token;
    } catch {
      return false;
    }
  };
  for (const f of readdirSync(dir)) {
    const temp = f.startsWith(".") && f.includes(".tmp-");
    if (temp ? f.includes("pairs-") : current || (f.startsWith("pairs-") && currentPairs(f))) continue; // a pairs temp: a group rank writing now
    rmSync(join(dir, f), { force: true, recursive: true });
  }
}
