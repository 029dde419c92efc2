/**
 * Confirmed near-duplicate pairs of exact problems, from the LSH buckets, band by band. Each band is
 * processed on its own: every member of a bucket is checked against every earlier member of that
 * bucket it is not yet connected to *by this band's pairs*. The pairs (and the counts in the stats)
 * therefore depend only on the band, not on which other bands the same process handles, so splitting
 * bands across ranks gives the same pairs, problem groups and statistics as one process.
 */
import { GrowInt32 } from "./columns.js";
import type { ExactProblems } from "./exact-problems.js";
import { UnionFind } from "./union-find.js";

/** how LSH candidates are confirmed (`dedupe.problems.check`) */
export type CandidateCheck = "exact" | "estimate" | "none";

export interface PairStats {
  candidatePairs: number;
  checkedPairs: number;
  rejectedByCheck: number;
}

/** Confirmed near-duplicate pairs of some LSH bands: flat [ordinalA, ordinalB, …] of the problems' first rows. */
export interface BandPairs {
  pairs: Int32Array;
  stats: PairStats;
}

/** comparisons per problem inside one LSH bucket (guards pathological buckets) */
const MAX_BUCKET_COMPARISONS = 64;

export function noPairStats(): PairStats {
  return { candidatePairs: 0, checkedPairs: 0, rejectedByCheck: 0 };
}

/** The confirmed pairs of `bands`, as the ordinals of the two problems' first rows. */
export function bandPairs(problems: ExactProblems, bands: Iterable<number>, check: CandidateCheck): BandPairs {
  const out = new GrowInt32();
  const first = problems.first.data;
  const stats = noPairStats();
  confirmedPairs(problems, bands, check, stats, (a, b) => {
    out.push(first[a]!);
    out.push(first[b]!);
  });
  return { pairs: out.view().slice(), stats };
}

/** `onEdge` sees each confirmed pair of `bands` (problem indices, the earlier bucket member first), band after band. */
function confirmedPairs(problems: ExactProblems, bands: Iterable<number>, check: CandidateCheck, stats: PairStats, onEdge: (a: number, b: number) => void): void {
  const confirms = memoized(problems);
  for (const band of bands) {
    if (!(band >= 0 && band < problems.bands)) throw new Error(`group: band ${band} out of range 0..${problems.bands - 1}`);
    const uf = new UnionFind(problems.count);
    problems.forEachBucket(band, (members, size) => {
      for (let i = 1; i < size; i++) {
        const m = members[i]!;
        let comparisons = 0;
        for (let j = 0; j < i && comparisons < MAX_BUCKET_COMPARISONS; j++) {
          const q = members[j]!;
          if (uf.find(q) === uf.find(m)) continue;
          stats.candidatePairs++;
          comparisons++;
          if (check !== "none") {
            stats.checkedPairs++;
            if (!confirms(q, m)) {
              stats.rejectedByCheck++;
              continue;
            }
          }
          uf.union(q, m);
          onEdge(q, m);
        }
      }
    });
  }
}

/** most check results remembered (~40 bytes each, so ≤ ~10 MB beside the memory budget) */
const MEMO_MAX = 1 << 18;

/**
 * `problems.confirms`, remembered: a near-copy pair shares most of its LSH buckets, so bands check
 * the same pair again and again (reference corpus: 17,486 checks in 25 bands, mostly repeats;
 * `finish` 0.35 → 0.24 CPU-s). The result is a function of the pair, so pairs and statistics stay.
 */
function memoized(problems: ExactProblems): (a: number, b: number) => boolean {
  const n = problems.count;
  if (n > 1 << 26) return (a, b) => problems.confirms(a, b); // a * n + b would pass 2^53
  const memo = new Map<number, boolean>();
  return (a, b) => {
    const key = a * n + b;
    let ok = memo.get(key);
    if (ok === undefined) {
      ok = problems.confirms(a, b);
      if (memo.size < MEMO_MAX) memo.set(key, ok);
    }
    return ok;
  };
}
