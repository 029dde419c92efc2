/**
 * Phases `group` and `merge`: the global step (exact duplicates, near-duplicate problem groups, rollout
 * caps), computed once from the compact columns of annotated/ and saved under .work/group/<token>/,
 * where every writer reads it back.
 *
 * With a world size both are split across ranks: in the group phase rank r confirms the candidate
 * pairs of LSH bands j ≡ r (mod n) and saves them; in the merge phase rank r reads every rank's pairs,
 * forms the problem groups and decides those whose key hashes to r (mod n) — exact duplicates, caps,
 * representatives — holding row data for its share of the rows only. Write ranks wait for all n
 * shares. Phases never wait for a later one, so array tasks scheduled one at a time cannot deadlock.
 * One process (or finalize, when no split outcome is complete) computes it alone.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { threadId } from "node:worker_threads";
import type { DropReason, Rollout } from "../../record/rollout.js";
import { rolloutFromRow } from "../../io/rollout-columns.js";
import { GroupStep } from "../../group/step.js";
import { clearStaleGroup, loadGroupOutcome, readPairs, saveGroupOutcome, savePairs, shareSaved, type GroupOutcome } from "../../group/outcome.js";
import type { BandPairs } from "../../group/pairs.js";
import { isReadFailure, storedDrop } from "../../decide/decide.js";
import { GROUP_COLUMNS } from "../products.js";
import { annotatedRows } from "../write-parts.js";
import type { RunContext } from "../context.js";

/** Compute (or find saved) this process's part of the group outcome; the outcome when it is complete. */
export async function groupPhase(ctx: RunContext): Promise<GroupOutcome | null> {
  const { outDir, phase, rank, world, split } = ctx;
  const token = ctx.token;
  const pairsPhase = split && (phase === "group" || phase === "all");
  const merging = !split || phase === "merge" || phase === "all";
  const share = split ? { rank, world } : { rank: 0, world: 1 };
  ctx.progress.phase(pairsPhase ? `group (${ctx.rankLabel})` : split ? `merge (share ${rank}/${world})` : "group");
  const outcome = loadGroupOutcome(outDir, token);
  if (outcome) return outcome;
  const needPairs = pairsPhase && !readPairs(outDir, token, world, rank);
  const needShare = merging && !shareSaved(outDir, token, share);
  if (!needPairs && !needShare) return null;
  // spill folder of this process's group step: ranks may share a filesystem across hosts, so host,
  // pid and thread go into the name
  const groupTmp = join(outDir, ".work", `group-r${rank}-${hostname()}-${process.pid}-t${threadId}`);
  clearStaleGroup(outDir, token);
  rmSync(groupTmp, { recursive: true, force: true });
  const group = new GroupStep(ctx.config, groupTmp);
  try {
    // split: the problems of every row first (pairs need no more); one process: rows at once
    await groupPass(ctx, () => group.skip(), (record, drop) => (split ? group.addProblem(record) : group.add(record, drop())));
    if (needPairs) savePairs(outDir, token, world, rank, group.bandPairs(Array.from({ length: group.bands }, (_, j) => j).filter((j) => j % world === rank)));
    if (needShare) {
      if (split) {
        const pairs: BandPairs[] = [];
        for (let r = 0; r < world; r++) {
          pairs.push(await ctx.waiter.poll(() => readPairs(outDir, token, world, r), `the band pairs of group rank ${r} are missing`, `they are saved by \`curate run --phase group --rank ${r} --world-size ${world}\``));
        }
        group.partition(pairs, rank, world);
        await groupPass(ctx, () => group.skipRow(), (record, drop) => group.addRow(record, drop()));
      }
      const computed = await group.finish();
      saveGroupOutcome(outDir, token, computed, ctx.unitRows, (i) => group.rowState(i), share);
    }
  } finally {
    rmSync(groupTmp, { recursive: true, force: true });
  }
  const saved = loadGroupOutcome(outDir, token);
  if (!split && !saved) throw new Error("internal: the group outcome just saved does not read back");
  return saved;
}

/** One pass over the compact columns: `bad` for a bad input row, else `row` with the record and its row-local drop. */
async function groupPass(ctx: RunContext, bad: () => void, row: (record: Rollout, drop: () => DropReason | null) => void): Promise<void> {
  for await (const { value } of annotatedRows(ctx.outDir, ctx.markers, GROUP_COLUMNS)) {
    const stored = storedDrop(value);
    if (isReadFailure(stored)) {
      bad();
      continue;
    }
    const { record } = rolloutFromRow({ ...value, response: "", ordinal: 0 });
    row(record, () => ctx.decider.local(record, stored));
  }
}

/** Wait for the outcome the merge ranks save (or read it). */
export function awaitOutcome(ctx: RunContext): Promise<GroupOutcome> {
  const { world } = ctx;
  const mergeCommand = `\`curate run --phase merge --rank <r> --world-size ${world}\` for every rank r`;
  return ctx.waiter.poll(
    () => loadGroupOutcome(ctx.outDir, ctx.token),
    `the group outcome (.work/group/${ctx.token}/share-w${world}-r*.json) is incomplete`,
    ctx.split && ctx.phase !== "all" ? `its ${world} shares are saved by the merge phase: ${mergeCommand}` : "are the other ranks still running?",
  );
}
