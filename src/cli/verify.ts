/**
 * `curate verify`: check answers ad hoc or in batch.
 *
 *   curate verify --gold '\frac12' --pred '0.5'          prints the verdict and why
 *   curate verify --pairs pairs.jsonl                    {"id","gold","pred"[,"problem"]} lines → {"id","verdict","extracted","rule"} lines
 *
 * `pred` may be a bare answer or a whole response (thought tags, \boxed{}, "Answer: …", a sentence): it is
 * split with the trace normaliser and the final answer extracted (a bare value is its own answer). The
 * reference may be an answer or a solution holding one (verifier.ts: referenceAnswer). Streaming: one
 * line in, one line out.
 */
import type { Command } from "commander";
import { createReadStream, existsSync } from "node:fs";
import { once } from "node:events";
import { normalizeTrace } from "../record/trace.js";
import { Verifier, type VerifyInput } from "../verify/verifier.js";
import type { VerifyAnnotation, VerifyConfig } from "../verify/types.js";
import { InputError, UsageError } from "../errors.js";
import { readJsonlStream } from "../io/jsonl.js";
import { LosslessNumber, stringifyRow } from "../io/json-row.js";

/** a pair's line may hold a whole response: the run's row limit */
const MAX_PAIR_BYTES = 16 * 1024 * 1024;

/**
 * The prediction is read as a model's response: split with the trace normaliser and its answer extracted.
 * A bare answer ("0.5", "\frac{1}{3}", "x = 2") is its own answer (extraction rule `bare`), a sentence
 * ("Therefore $x \geq 5$ is the solution.") gives its marked or last value.
 */
export function pairInput(gold: string, pred: string, problem?: string): VerifyInput {
  const p = problem !== undefined ? { problem } : {};
  const t = normalizeTrace(pred);
  return { reference: gold, solution: t.solution, unterminated: t.unterminated, answerBlock: t.format === "think_answer", ...p };
}

function number(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name}: expected a number in [${min}, ${max}], got "${value}"`);
  return v;
}

function explain(v: VerifyAnnotation): string {
  const lines = [`${v.verdict}`];
  lines.push(`  extracted: ${v.extracted === null ? "(none)" : v.extracted}${v.extractedBy ? ` [${v.extractedBy}]` : ""}`);
  lines.push(`  rule:      ${v.rule}`);
  if (v.conflicting) lines.push(`  conflicting boxed answers: ${v.conflicting.join(" | ")}`);
  lines.push(`  time:      ${v.ms.toFixed(2)} ms`);
  return lines.join("\n") + "\n";
}

async function write(s: string): Promise<void> {
  if (!process.stdout.write(s)) await once(process.stdout, "drain");
}

/** `gold` as the run reads a reference: a string, or a number's exact source text; null: none given. */
function goldText(v: unknown): string | null | undefined {
  if (typeof v === "string" || v === null) return v;
  if (typeof v === "number") return String(v); // a plain number from a JSON row prints as its source text (json-row.ts)
  if (v instanceof LosslessNumber) return v.text;
  return undefined;
}

async function runPairs(file: string, verifier: Verifier): Promise<void> {
  if (file !== "-" && !existsSync(file)) throw new UsageError(`--pairs: file not found: ${file}`);
  const input: AsyncIterable<Buffer> = file === "-" ? process.stdin : createReadStream(file);
  // lines are read as the run reads JSONL: numbers exact (an id of 20 digits comes back as written),
  // duplicate keys, invalid UTF-8 and nesting deeper than 512 refused with the row named
  for await (const r of readJsonlStream(input, MAX_PAIR_BYTES)) {
    if ("error" in r) throw new InputError(file, r.row, `expected one JSON object per line: ${r.error}`);
    const o = r.value as Record<string, unknown>;
    const gold = typeof o === "object" && o !== null && !Array.isArray(o) ? goldText(o.gold) : undefined;
    if (gold === undefined || typeof o.pred !== "string") {
      const text = r.text ?? "";
      throw new InputError(file, r.row, `expected {"id", "gold": string or number, "pred": string}, got ${text.length > 120 ? text.slice(0, 117) + "..." : text}`);
    }
    const v = await verifier.verify(pairInput(gold ?? "", o.pred, typeof o.problem === "string" ? o.problem : undefined));
    await write(`{"id":${stringifyRow(o.id ?? r.row)},${JSON.stringify({ verdict: v.verdict, extracted: v.extracted, rule: v.rule }).slice(1)}\n`);
  }
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("check final answers against references: one pair (--gold/--pred) or a JSONL file of pairs (--pairs)")
    .option("--gold <latex>", "reference answer")
    .option("--pred <text>", "predicted answer or a whole response")
    .option("--pairs <file>", 'JSONL with {"id","gold","pred"} per line ("-" for stdin); writes {"id","verdict","extracted","rule"} lines')
    .option("--timeout-ms <n>", "hard per-pair limit for the symbolic engine (default 1000)")
    .option("--rel-tol <x>", "relative tolerance for non-integer numbers (default 1e-4)")
    .option("--problem <text>", "with --gold/--pred: the problem statement (its (A)…(E) options let a letter match an option's text)")
    .option("--json", "with --gold/--pred: print the full annotation as JSON")
    .action(async (o: { gold?: string; pred?: string; pairs?: string; problem?: string; timeoutMs?: string; relTol?: string; json?: boolean }) => {
      const single = o.gold !== undefined || o.pred !== undefined;
      if (single && o.pairs !== undefined) throw new UsageError("use either --gold/--pred or --pairs, not both");
      if (!single && o.pairs === undefined) throw new UsageError("expected --gold and --pred, or --pairs <file>");
      if (single && (o.gold === undefined || o.pred === undefined)) throw new UsageError("--gold and --pred go together");
      const config: VerifyConfig = {};
      const timeoutMs = number("timeout-ms", o.timeoutMs, 10, 600000);
      const relTol = number("rel-tol", o.relTol, 0, 0.5);
      if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
      if (relTol !== undefined) config.relTol = relTol;
      const verifier = new Verifier(config);
      try {
        if (single) {
          const v = await verifier.verify(pairInput(o.gold!, o.pred!, o.problem));
          await write(o.json ? JSON.stringify(v) + "\n" : explain(v));
        } else {
          await runPairs(o.pairs!, verifier);
        }
      } finally {
        await verifier.close();
      }
    });
}
