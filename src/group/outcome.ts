/**
 * The group outcome on the shared filesystem, computed once and read by every writer.
 *
 * The group step (exact duplicates, problem groups, caps) is global: it needs every row's compact
 * columns. Its result is saved under `.work/group/<token>/` so write ranks and write threads read it
 * instead of recomputing it. The merge may be split into n shares: share r decides the problem
 * groups whose key hashes to r (mod n) — every row of a group, so exact duplicates, caps and
 * representatives stay inside one share. One process is share 0 of 1. Per share:
 *
 *   share-w<n>-r<r>-u<NNNNN>.bin  per unit, per row: the share's problem-group index (int32; -1 a bad
 *                    input row, -2 another share's row), a flag byte (near-duplicate problem; has a
 *                    group decision) and, for rows with a decision, [duplicateOf, [stage, reason,
 *                    detail, duplicateOf]] as one JSON array
 *   share-w<n>-r<r>-clusters.bin  per problem group of the share: representative ordinal, rollouts,
 *                    problems, correct (int32), pass rate (float64), then keys and representative ids (JSON)
 *   share-w<n>-r<r>.json  the share's marker, written last: token, statistics, its listed groups and the
 *                    size of every file above. All n markers present with the token = outcome complete.
 *
 * Readers join the shares: statistics add up, listed groups are re-ranked, and each row must be
 * decided by exactly one share. Bytes per row and share: 5 + ~100 per dropped row; per problem group:
 * 24 + key + representative id.
 *
 * When the bucket step is split across ranks (`--phase group --world-size n`), rank r saves the
 * confirmed pairs of bands j ≡ r (mod n) as `pairs-w<n>-r<r>.bin` in the same folder; every merge
 * share reads all of them.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import type { DropReason } from "../record/rollout.js";
import type { ClusterSummary, GroupStats, RowGroupInfo } from "./types.js";
import type { BandPairs } from "./pairs.js";
import { DEFAULT_CLUSTER_LIMIT } from "./summaries.js";
import { unitName } from "../io/units.js";
import { mkdirs } from "../errors.js";

/** What the write step needs from the group step, for a row by its global index. */
export interface GroupOutcome {
  /** names of the group-level stages, in order (for per-stage counts) */
  stages: string[];
  info(index: number): RowGroupInfo;
  /** the row's new id when its input id repeats an earlier row's (see duplicate-ids.ts) */
  idOf(index: number): string | undefined;
  dropFor(index: number): DropReason | null;
  stats: OutcomeStats;
  clusters(): ClusterSummary[];
}

export type OutcomeStats = GroupStats & { exactDuplicates: number; duplicateIds: number };

export const groupDir = (outDir: string) => join(outDir, ".work", "group");
/** everything saved under one token lives in its own folder: a stale token is one folder to remove */
const tokenDir = (outDir: string, token: string) => join(groupDir(outDir), token);

const UNIT_MAGIC = "CURATE-GROUP-UNIT-2";
const CLUSTER_MAGIC = "CURATE-GROUP-CLUSTERS-2";
const PAIRS_MAGIC = "CURATE-GROUP-PAIRS-1";

/** One share of the merge: share r of n holds the problem groups whose key hashes to r (mod n). */
export interface Share {
  rank: number;
  world: number;
}

interface ShareMarker {
  token: string;
  share: Share;
  stages: string[];
  stats: OutcomeStats;
  units: { unit: number; base: number; rows: number; path: string; bytes: number }[];
  clusters: { path: string; bytes: number; count: number };
  summaries: ClusterSummary[];
  /** exact problems of each listed summary's group (the listing order's second key) */
  summaryProblems: number[];
  /** most groups listed (each share lists its own top ones) */
  summaryLimit: number;
}

const shareName = (s: Share) => `share-w${s.world}-r${s.rank}`;

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
/** unit file cluster values: a bad input row, another share's row */
const ROW_BAD = -1;
const ROW_ELSEWHERE = -2;

/** The order `clusters()` lists groups in: most rollouts, then most exact problems, then key. */
function summaryOrder(a: { s: ClusterSummary; problems: number }, b: { s: ClusterSummary; problems: number }): number {
  return b.s.rollouts - a.s.rollouts || b.problems - a.problems || (a.s.problemGroup < b.s.problemGroup ? -1 : a.s.problemGroup > b.s.problemGroup ? 1 : 0);
}

/**
 * Save share `share` of the outcome for rows [base, base + rows) of each unit. `state(i)` says whether
 * this outcome decides row i ("grouped"), the row is a bad input row the group step never saw ("bad"),
 * or another share decides it ("elsewhere"). The share's marker goes last, atomically.
 */
export function saveGroupOutcome(
  outDir: string,
  token: string,
  outcome: GroupOutcome,
  units: { unit: number; base: number; rows: number }[],
  state: (index: number) => "grouped" | "bad" | "elsewhere",
  share: Share = { rank: 0, world: 1 },
): void {
  const dir = tokenDir(outDir, token);
  mkdirs(dir);
  const name = shareName(share);
  // this share's earlier files (an interrupted save), marker first
  rmSync(join(dir, `${name}.json`), { force: true });
  for (const f of readdirSync(dir)) if (f.startsWith(`${name}-`) || f.startsWith(`.${name}`)) rmSync(join(dir, f), { force: true });
  const clusterIndex = new Map<string, number>();
  const keys: string[] = [];
  const reps: string[] = [];
  const repOrdinal: number[] = [];
  const rollouts: number[] = [];
  const problems: number[] = [];
  const correct: number[] = [];
  const passRate: number[] = [];
  const saved: ShareMarker["units"] = [];
  for (const u of units) {
    const cluster = new Int32Array(u.rows);
    const flags = new Uint8Array(u.rows);
    const extras: unknown[] = [];
    for (let k = 0; k < u.rows; k++) {
      const i = u.base + k;
      const st = state(i);
      if (st !== "grouped") {
        cluster[k] = st === "bad" ? ROW_BAD : ROW_ELSEWHERE;
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
      const id = outcome.idOf(i);
      if (drop || info.duplicateOf !== undefined || id !== undefined) {
        flags[k]! |= FLAG_EXTRA;
        const extra: Extra = [info.duplicateOf ?? null, drop ? [drop.stage, drop.reason, drop.detail ?? null, drop.duplicateOf ?? null] : null];
        if (id !== undefined) extra.push([id, info.originalId!]);
        extras.push(extra);
      }
    }
    const path = `${name}-${unitName(u.unit)}.bin`;
    const buf = frame(UNIT_MAGIC, { token, share, unit: u.unit, base: u.base, rows: u.rows }, [cluster, flags, Buffer.from(JSON.stringify(extras), "utf8")]);
    writeFileAtomic(join(dir, path), buf);
    saved.push({ unit: u.unit, base: u.base, rows: u.rows, path, bytes: buf.length });
  }
  const n = keys.length;
  const ints = new Int32Array(4 * n);
  ints.set(repOrdinal, 0);
  ints.set(rollouts, n);
  ints.set(problems, 2 * n);
  ints.set(correct, 3 * n);
  const cpath = `${name}-clusters.bin`;
  const cbuf = frame(CLUSTER_MAGIC, { token, share, count: n }, [ints, Float64Array.from(passRate), Buffer.from(JSON.stringify([keys, reps]), "utf8")]);
  writeFileAtomic(join(dir, cpath), cbuf);
  const summaries = outcome.clusters();
  const marker: ShareMarker = {
    token,
    share,
    stages: outcome.stages,
    stats: outcome.stats,
    units: saved,
    clusters: { path: cpath, bytes: cbuf.length, count: n },
    summaries,
    summaryProblems: summaries.map((s) => {
      const c = clusterIndex.get(s.problemGroup);
      if (c === undefined) throw new Error(`internal: listed problem group ${s.problemGroup} has no row in share ${share.rank}/${share.world}`);
      return problems[c]!;
    }),
    summaryLimit: DEFAULT_CLUSTER_LIMIT,
  };
  writeFileAtomic(join(dir, `${name}.json`), JSON.stringify(marker) + "\n");
}

/** Share `share`'s marker under `token` when it and its files are complete, else null. */
function readShare(dir: string, token: string, share: Share): ShareMarker | null {
  const p = join(dir, `${shareName(share)}.json`);
  if (!existsSync(p)) return null;
  let m: ShareMarker;
  try {
    m = JSON.parse(readFileSync(p, "utf8")) as ShareMarker;
  } catch {
    return null;
  }
  if (m.token !== token || m.share?.rank !== share.rank || m.share?.world !== share.world) return null;
  for (const f of [...m.units, m.clusters]) {
    const abs = join(dir, f.path);
    if (!existsSync(abs) || statSync(abs).size !== f.bytes) return null;
  }
  return m;
}

/** Has share `share` of the outcome under `token` been saved (complete)? */
export function shareSaved(outDir: string, token: string, share: Share): boolean {
  return readShare(tokenDir(outDir, token), token, share) !== null;
}

/**
 * The saved outcome under `token`: every share of some split (the smallest complete one), or null
 * when no split is complete (not yet, or stale, or damaged).
 */
export function loadGroupOutcome(outDir: string, token: string): PersistedOutcome | null {
  const dir = tokenDir(outDir, token);
  if (!existsSync(dir)) return null;
  const worlds = new Set<number>();
  for (const f of readdirSync(dir)) {
    const m = /^share-w(\d+)-r\d+\.json$/.exec(f);
    if (m) worlds.add(Number(m[1]));
  }
  for (const world of [...worlds].sort((a, b) => a - b)) {
    const markers: ShareMarker[] = [];
    for (let rank = 0; rank < world; rank++) {
      const m = readShare(dir, token, { rank, world });
      if (!m) break;
      markers.push(m);
    }
    if (markers.length === world) return new PersistedOutcome(dir, markers);
  }
  return null;
}

/** per row with one: [duplicate of, group drop, [new id, original id] of a renamed row] */
type Extra = [string | null, [string, string, string | null, string | null] | null, [string, string]?];

/**
 * A saved group outcome, its shares read together; units are loaded on first use (one at a time, in
 * any order). Every grouped row must be decided by exactly one share.
 */
export class PersistedOutcome implements GroupOutcome {
  readonly stages: string[];
  readonly stats: OutcomeStats;
  private readonly keys: string[] = [];
  private readonly reps: string[] = [];
  /** per share: the index of its first cluster in the joined table */
  private readonly offsets: number[] = [];
  private readonly ints: Int32Array;
  private readonly passRate: Float64Array;
  private readonly n: number;
  private readonly summaries: ClusterSummary[];
  private current: { base: number; rows: number; cluster: Int32Array; flags: Uint8Array; extraAt: Int32Array; extras: Extra[] } | null = null;

  constructor(private readonly dir: string, private readonly markers: ShareMarker[]) {
    const first = markers[0]!;
    this.stages = first.stages;
    // pair, spill and id statistics are the whole run's (every share sees every row), reported by share 0; the rest add up
    const stats = structuredClone(first.stats);
    stats.duplicateIds ??= 0; // outcomes saved before ids were made unique
    for (const m of markers.slice(1)) {
      const s = m.stats;
      stats.rows += s.rows;
      stats.exactProblems += s.exactProblems;
      stats.problemGroups += s.problemGroups;
      stats.nearDuplicateClusters += s.nearDuplicateClusters;
      stats.nearDuplicateProblems += s.nearDuplicateProblems;
      stats.exactDuplicates += s.exactDuplicates;
      stats.drops["duplicate:rollout_cap"] += s.drops["duplicate:rollout_cap"];
      stats.drops["duplicate:near_response"] += s.drops["duplicate:near_response"];
    }
    this.stats = stats;
    const n = (this.n = markers.reduce((a, m) => a + m.clusters.count, 0));
    this.ints = new Int32Array(4 * n);
    this.passRate = new Float64Array(n);
    let off = 0;
    for (const m of markers) {
      const file = join(dir, m.clusters.path);
      const { header, body } = unframe(readFileSync(file), CLUSTER_MAGIC, file);
      const c = header.count as number;
      if (c !== m.clusters.count) throw new Error(`${file}: holds ${c} problem groups, its marker says ${m.clusters.count}`);
      const ints = int32s(body, 0, 4 * c);
      for (let f = 0; f < 4; f++) this.ints.set(ints.subarray(f * c, f * c + c), f * n + off);
      this.passRate.set(float64s(body, 16 * c, c), off);
      const [keys, reps] = JSON.parse(body.toString("utf8", 24 * c)) as [string[], string[]];
      for (let k = 0; k < c; k++) {
        this.keys.push(keys[k]!);
        this.reps.push(reps[k]!);
      }
      this.offsets.push(off);
      off += c;
    }
    const listed = markers.flatMap((m) => m.summaries.map((s, k) => ({ s, problems: m.summaryProblems[k]! })));
    listed.sort(summaryOrder);
    // each share lists its own top groups, so the joined top `limit` is among them
    this.summaries = listed.slice(0, Math.min(...markers.map((m) => m.summaryLimit))).map((x) => x.s);
  }

  clusters(): ClusterSummary[] {
    return this.summaries;
  }

  private row(index: number): { k: number; u: NonNullable<PersistedOutcome["current"]> } {
    let u = this.current;
    if (!u || index < u.base || index >= u.base + u.rows) {
      const entries = this.markers.map((m) => m.units.find((e) => index >= e.base && index < e.base + e.rows));
      const e0 = entries[0];
      if (!e0) throw new Error(`group outcome: no unit holds row ${index}`);
      const rows = e0.rows;
      const cluster = new Int32Array(rows).fill(ROW_ELSEWHERE);
      const flags = new Uint8Array(rows);
      const extraAt = new Int32Array(rows).fill(-1);
      const extras: Extra[] = [];
      const slots: Extra[][] = [];
      const owner = new Int32Array(rows).fill(-1);
      entries.forEach((entry, s) => {
        if (!entry || entry.base !== e0.base || entry.rows !== rows) throw new Error(`group outcome: share ${s} of ${this.markers.length} covers other rows than share 0 around row ${index}`);
        const file = join(this.dir, entry.path);
        const { body } = unframe(readFileSync(file), UNIT_MAGIC, file);
        const c = int32s(body, 0, rows);
        const f = body.subarray(4 * rows, 5 * rows);
        const ex = JSON.parse(body.toString("utf8", 5 * rows)) as Extra[];
        slots.push(ex);
        for (let k = 0, e = 0; k < rows; k++) {
          const v = c[k]!;
          if (v >= 0) {
            if (owner[k]! >= 0) throw new Error(`group outcome: row ${e0.base + k} is decided by shares ${owner[k]} and ${s}`);
            owner[k] = s;
            cluster[k] = this.offsets[s]! + v;
            flags[k] = f[k]!;
            if (f[k]! & FLAG_EXTRA) extraAt[k] = e;
          } else if (v === ROW_BAD) {
            if (s === 0) cluster[k] = ROW_BAD;
            else if (cluster[k] !== ROW_BAD) throw new Error(`group outcome: shares disagree on whether row ${e0.base + k} is a bad input row`);
          }
          if (v >= 0 && f[k]! & FLAG_EXTRA) e++;
        }
      });
      for (let k = 0; k < rows; k++) {
        if (owner[k]! >= 0) {
          if (extraAt[k]! >= 0) {
            extras.push(slots[owner[k]!]![extraAt[k]!]!);
            extraAt[k] = extras.length - 1;
          }
        } else if (cluster[k] !== ROW_BAD) throw new Error(`group outcome: no share decides row ${e0.base + k}`);
      }
      u = this.current = { base: e0.base, rows, cluster, flags, extraAt, extras };
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
    if (e >= 0 && u.extras[e]![2]) info.originalId = u.extras[e]![2][1];
    return info;
  }

  idOf(index: number): string | undefined {
    const { k, u } = this.row(index);
    const e = u.extraAt[k]!;
    return e >= 0 ? u.extras[e]![2]?.[0] : undefined;
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

export const pairsPath = (outDir: string, token: string, world: number, rank: number) => join(tokenDir(outDir, token), `pairs-w${world}-r${rank}.bin`);

export function savePairs(outDir: string, token: string, world: number, rank: number, p: BandPairs): void {
  // a temp file of this rank's interrupted save (the rank's own: other ranks write theirs now)
  const dir = tokenDir(outDir, token);
  if (existsSync(dir)) for (const f of readdirSync(dir)) if (f.startsWith(`.pairs-w${world}-r${rank}.bin.tmp-`)) rmSync(join(dir, f), { force: true });
  writeFileAtomic(pairsPath(outDir, token, world, rank), frame(PAIRS_MAGIC, { token, world, rank, n: p.pairs.length, stats: p.stats }, [p.pairs]));
}

/** Rank `rank`'s pairs under `token`, or null when not (yet) there. */
export function readPairs(outDir: string, token: string, world: number, rank: number): BandPairs | null {
  const file = pairsPath(outDir, token, world, rank);
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
 * Before a save: remove what was saved under other tokens (a changed config or re-annotated inputs),
 * and files of the layout before tokens had folders. The current token's folder is left alone: other
 * ranks may be writing their pairs or shares into it now (each share clears its own files).
 */
export function clearStaleGroup(outDir: string, token: string): void {
  const dir = groupDir(outDir);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f !== token) rmSync(join(dir, f), { force: true, recursive: true });
}
