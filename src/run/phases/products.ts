/**
 * Phases `spill` and `outputs`: the data products (mid-training, SFT, DPO, RL outputs). Planned from
 * the compact columns by every process that needs the plan (the same plan everywhere).
 *
 *   spill (with the write step; part j by rank j mod n): the records (texts, token ids) the products
 *         use of a part's rows → .work/outputs/<token>/<part>.<output>.rec/.idx + a done marker
 *   outputs (after every part is spilled): output shard g of all outputs in build order, g ≡ rank
 *         (mod n), each with a marker. Finalize (or one process) does whatever is left, then joins them.
 *
 * Tasks (part spills, output shards) run on up to `workers` threads when there are at least two; each
 * thread plans once (the same plan), so threads pay off when the tasks outweigh a plan.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import { ThreadPool } from "../../workers.js";
import type { ProblemSummary } from "../../group/problems.js";
import { finishOutputs, partSpilled, type OutputsPlan } from "../../mix/build.js";
import type { ClosedShard } from "../../io/parquet-write.js";
import { planProducts, problemSummaries, ProductShards, spillPiece, spillPieces, type Decisions, type ProductsRun, type ProductsTask, type SpillPiece } from "../products.js";
import { shardsPresent } from "../markers.js";
import type { RunContext } from "../context.js";
import { mkdirs } from "../../errors.js";

export class Products {
  readonly configured: boolean;
  readonly run: ProductsRun;
  private readonly decisions: Decisions;
  private statistics: Promise<Map<string, ProblemSummary>> | null = null;
  private summaries: Map<string, ProblemSummary> | null = null;
  private plan: OutputsPlan | null = null;
  private pool: ThreadPool | null = null;
  /** output shards by output name: listed as finished (a phase run again), or as this process joins them */
  readonly shards: Record<string, ClosedShard[]>;
  /** the output shards were all listed as finished by an earlier finalize */
  readonly finished: boolean;

  constructor(private readonly ctx: RunContext) {
    this.configured = Object.keys(ctx.config.outputs ?? {}).length > 0;
    this.run = {
      config: ctx.config,
      outDir: ctx.outDir,
      markers: ctx.markers,
      bases: ctx.unitRows.map((u) => u.base),
      inputs: ctx.units.map((u) => u.file),
      shard: ctx.shard,
      spillDir: join(ctx.outDir, ".work", "outputs", ctx.token),
    };
    this.decisions = { outcome: ctx.outcome, decider: ctx.decider };
    const listed = this.configured ? this.readFinished() : null;
    this.finished = listed !== null;
    this.shards = listed ?? {};
  }

  /** who did it, in the markers (for people auditing a run) */
  private get by(): string {
    return this.ctx.split ? this.ctx.rankLabel : this.ctx.phase === "finalize" ? "finalize" : "one process";
  }

  private get finishedPath(): string {
    return join(this.run.spillDir, "finished.json");
  }

  // markers hold output shards with paths relative to the run folder (ranks may mount it elsewhere)
  private relShard(sh: ClosedShard): ClosedShard {
    return { ...sh, path: relative(this.ctx.outDir, sh.path) };
  }

  private absShard(sh: ClosedShard): ClosedShard {
    return { path: join(this.ctx.outDir, sh.path), rows: sh.rows, tokens: sh.tokens, bytes: sh.bytes, sha256: sh.sha256 };
  }

  /**
   * The output shards a finished run listed. A listed shard counts only while its file is there with
   * the size it was written with (as write markers check data/ shards): one deleted or truncated since
   * is built again, never listed as done.
   */
  private readFinished(): Record<string, ClosedShard[]> | null {
    try {
      const m = JSON.parse(readFileSync(this.finishedPath, "utf8")) as Record<string, ClosedShard[]>;
      if (!Object.values(m).every((list) => shardsPresent(this.ctx.outDir, list))) return null;
      return Object.fromEntries(Object.entries(m).map(([name, list]) => [name, list.map((sh) => this.absShard(sh))]));
    } catch {
      return null;
    }
  }

  /** Start the per-problem statistics pass now (e.g. while write threads work); awaited when needed. */
  startStatistics(): void {
    this.statistics ??= problemSummaries(this.run, this.ctx.outcome);
    this.statistics.catch(() => undefined); // surfaced where it is awaited
  }

  async problemStatistics(): Promise<Map<string, ProblemSummary>> {
    this.startStatistics();
    return (this.summaries ??= await this.statistics!);
  }

  async getPlan(): Promise<OutputsPlan> {
    return (this.plan ??= await planProducts(this.run, this.decisions, await this.problemStatistics()));
  }

  /** Run product tasks: on up to `workers` threads when there are at least two, else here. */
  private async tasks<T>(tasks: ProductsTask[], inline: (t: ProductsTask) => Promise<T>, done: (t: ProductsTask, r: T) => void): Promise<void> {
    const threads = tasks.length > 1 ? Math.min(this.ctx.workers, tasks.length) : 0;
    if (threads < 2) {
      for (const t of tasks) done(t, await inline(t));
      return;
    }
    this.pool ??= new ThreadPool({
      name: "products",
      entry: "run/products-worker",
      threads,
      workerData: { run: this.run, token: this.ctx.token, summaries: [...(await this.problemStatistics()).entries()] },
    });
    const pool = this.pool;
    const label = (t: ProductsTask) => (t.kind === "spill" ? `spill of part ${t.piece.name}` : `shard ${t.k} of output ${t.name}`);
    const settled = await Promise.allSettled(tasks.map((t) => pool.run<T>(t, label(t)).then((r) => done(t, r))));
    const bad = settled.find((x): x is PromiseRejectedResult => x.status === "rejected");
    if (bad) throw bad.reason;
  }

  /** Spill this process's parts not spilled yet (one process or finalize: every part). */
  async spill(): Promise<void> {
    const { ctx } = this;
    if (!this.configured || this.finished) return;
    const outputsWork = join(ctx.outDir, ".work", "outputs");
    if (existsSync(outputsWork)) for (const f of readdirSync(outputsWork)) if (f !== ctx.token) rmSync(join(outputsWork, f), { recursive: true, force: true });
    // no sweep of temp files here: other ranks may be writing theirs (names carry the pid; a crashed
    // process's leftovers go when the run is finished)
    mkdirs(this.run.spillDir);
    // parts (an annotated shard of a plain JSONL unit, else a unit) j ≡ rank (mod n), so one big
    // input file is spilled by every rank; one process or finalize: every part not spilled yet
    const pieces = spillPieces(this.run);
    const toSpill = ctx.phase === "outputs" ? [] : pieces.filter((pc, j) => (!ctx.split || j % ctx.world === ctx.rank) && !partSpilled(this.run.spillDir, pc.name));
    if (!toSpill.length) return;
    await ctx.timed("spill", async () => {
      ctx.progress.phase(ctx.split ? `spill (${ctx.rankLabel})` : "spill");
      const by = this.by;
      await this.tasks(
        toSpill.map((piece) => ({ kind: "spill", piece, by })),
        async (t) => spillPiece(this.run, this.decisions, await this.getPlan(), (t as { piece: SpillPiece }).piece, by),
        () => undefined,
      );
    });
  }

  /** Write this process's output shards (after every part is spilled); a finalizing process joins them all. */
  async outputs(): Promise<void> {
    const { ctx } = this;
    if (!this.configured || this.finished) return;
    await ctx.timed("outputs", async () => {
      ctx.progress.phase(ctx.split ? `outputs (${ctx.rankLabel})` : "outputs");
      await this.awaitSpills();
      const local = new ProductShards(this.run, await this.getPlan());
      try {
        // the cuts of every output (from the spill index), then this process's shards: g ≡ rank (mod n) of all
        const counts = local.cuts();
        await this.writeShards(local, counts);
        if (ctx.finalizing) await this.joinShards(counts);
      } finally {
        local.close();
      }
    });
  }

  private async awaitSpills(): Promise<void> {
    const { ctx } = this;
    const pieces = spillPieces(this.run);
    for (let j = 0; j < pieces.length; j++) {
      const pc = pieces[j]!;
      await ctx.waiter.poll(
        () => (partSpilled(this.run.spillDir, pc.name) ? true : null),
        `part ${pc.name} (${this.run.inputs[pc.unit]!.rel}) is not spilled for the outputs`,
        `parts are spilled by the write phase: \`curate run --phase write --rank ${j % ctx.world} --world-size ${ctx.world}\``,
      );
    }
  }

  private shardMarker(name: string, k: number): string {
    return join(this.run.spillDir, `shard-${name}-${k}.json`);
  }

  private readShard(name: string, k: number): ClosedShard | null {
    try {
      const sh = JSON.parse(readFileSync(this.shardMarker(name, k), "utf8")) as ClosedShard;
      return shardsPresent(this.ctx.outDir, [sh]) ? this.absShard(sh) : null;
    } catch {
      return null;
    }
  }

  private async writeShards(local: ProductShards, counts: { name: string; shards: number }[]): Promise<void> {
    const { ctx } = this;
    const tasks: ProductsTask[] = [];
    let g = 0;
    for (const { name, shards } of counts) {
      for (let k = 0; k < shards; k++, g++) if (!(ctx.split && g % ctx.world !== ctx.rank) && !this.readShard(name, k)) tasks.push({ kind: "shard", name, k });
    }
    let shardsWritten = 0;
    const by = this.by;
    await this.tasks(
      tasks,
      async (t) => local.write((t as { name: string }).name, (t as { k: number }).k),
      (t, closed) => {
        const { name, k } = t as { name: string; k: number };
        writeFileAtomic(this.shardMarker(name, k), JSON.stringify({ ...this.relShard(closed as ClosedShard), by }) + "\n");
        // fault injection for the resume tests (never set in normal use): a real SIGKILL after N output shards
        if (++shardsWritten === Number(process.env.CURATE_FAULT_KILL_AFTER_SHARDS)) process.kill(process.pid, "SIGKILL");
      },
    );
  }

  private async joinShards(counts: { name: string; shards: number }[]): Promise<void> {
    for (const { name, shards } of counts) {
      const list: ClosedShard[] = [];
      for (let k = 0; k < shards; k++) {
        list.push(await this.ctx.waiter.poll(() => this.readShard(name, k), `shard ${k} of output ${name} is not written`, `output shards are written by \`curate run --phase outputs --rank <r> --world-size ${this.ctx.world}\``));
      }
      this.shards[name] = list;
    }
  }

  /** The outputs' manifests and cards; the spills go, the list of output shards stays (finished.json). */
  async finish(configHash: string): Promise<Record<string, unknown>> {
    const outputsWork = join(this.ctx.outDir, ".work", "outputs");
    if (!this.configured) {
      rmSync(outputsWork, { recursive: true, force: true }); // products of an earlier config (--refilter without outputs)
      return {};
    }
    const outputs = finishOutputs(await this.getPlan(), this.shards, configHash);
    if (!this.finished) {
      const rel = Object.fromEntries(Object.entries(this.shards).map(([name, list]) => [name, list.map((sh) => this.relShard(sh))]));
      writeFileAtomic(this.finishedPath, JSON.stringify(rel) + "\n");
      for (const f of readdirSync(this.run.spillDir)) if (f !== "finished.json") rmSync(join(this.run.spillDir, f), { recursive: true, force: true });
    }
    return outputs;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = null;
  }
}
