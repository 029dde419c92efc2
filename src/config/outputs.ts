/**
 * The checks of a mix file's `outputs` that its schema cannot express: known source names, `exclude`
 * order without cycles, well-formed templates, one size per product. Used by config loading and by the
 * builders (build order, parsed templates); config/ imports no builder (only their types).
 */
import { UsageError } from "../errors.js";
import type { MixConfig } from "./types.js";
import type { ChatFormat, OutputConfig, OutputsConfig } from "../mix/types.js";

/** A template split into literals around `{problem}` / `{response}`. */
export interface Template {
  /** literals[0] slot[0] literals[1] slot[1] literals[2] */
  literals: [string, string, string];
  slots: ["problem" | "response", "problem" | "response"];
}

/** Parse a text template holding `{problem}` and `{response}` exactly once each. */
export function parseTemplate(template: string, where: string): Template {
  const p = template.indexOf("{problem}");
  const r = template.indexOf("{response}");
  if (p < 0 || r < 0 || template.indexOf("{problem}", p + 1) >= 0 || template.indexOf("{response}", r + 1) >= 0) {
    throw new Error(`${where}: found ${JSON.stringify(template)}, expected a template holding {problem} and {response} exactly once each`);
  }
  if (p < r) {
    return { literals: [template.slice(0, p), template.slice(p + 9, r), template.slice(r + 10)], slots: ["problem", "response"] };
  }
  return { literals: [template.slice(0, r), template.slice(r + 10, p), template.slice(p + 9)], slots: ["response", "problem"] };
}

/** Chat markup as a template (the system prompt, when given, becomes part of the first literal). */
export function chatTemplate(format: ChatFormat, system: string | undefined): string {
  if (format === "chatml") {
    const sys = system ? `<|im_start|>system\n${system}<|im_end|>\n` : "";
    return `${sys}<|im_start|>user\n{problem}<|im_end|>\n<|im_start|>assistant\n{response}<|im_end|>\n`;
  }
  const sys = system ? `<|system|>${system}<|end|>` : "";
  return `${sys}<|user|>{problem}<|end|><|assistant|>{response}<|end|>`;
}

/** `{problem}` exactly once. */
export function parsePromptTemplate(template: string, where: string): [string, string] {
  const p = template.indexOf("{problem}");
  if (p < 0 || template.indexOf("{problem}", p + 1) >= 0) {
    throw new Error(`${where}: found ${JSON.stringify(template)}, expected a template holding {problem} exactly once`);
  }
  return [template.slice(0, p), template.slice(p + 9)];
}

/** Config errors for people (exit code 2 in the CLI): name the JSON path and what was expected. */
export class OutputsConfigError extends UsageError {
  override name = "UsageError";
}

/** Outputs in build order: every output after the ones it excludes (definition order otherwise). */
export function buildOrder(outputs: OutputsConfig): string[] {
  const names = Object.keys(outputs);
  for (const n of names) {
    for (const x of outputs[n]!.exclude ?? []) {
      if (x === n) throw new OutputsConfigError(`$.outputs.${n}.exclude: an output cannot exclude itself`);
      if (!(x in outputs)) throw new OutputsConfigError(`$.outputs.${n}.exclude: found ${JSON.stringify(x)}, expected the name of another output (${names.join(", ")})`);
    }
  }
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) throw new OutputsConfigError(`$.outputs: exclude rules form a cycle: ${[...path, n].join(" → ")}`);
    state.set(n, 1);
    for (const x of outputs[n]!.exclude ?? []) visit(x, [...path, n]);
    state.set(n, 2);
    order.push(n);
  };
  for (const n of names) visit(n, []);
  return order;
}

type Rules<K extends OutputConfig["kind"]> = (o: Extract<OutputConfig, { kind: K }>, at: string, sources: Set<string>) => void;

/**
 * Each product kind's rules that its schema part cannot express. They live here rather than in the
 * product's file (src/mix/builders/): config loading (config/load.ts) checks a mix file before any
 * builder is loaded — a bad template must fail `curate validate` and the start of a run, not the
 * outputs phase hours later — and config/ sits below mix/, so it cannot import the registry at run
 * time. A kind whose schema says everything needs no entry.
 */
const KIND_RULES: { [K in OutputConfig["kind"]]?: Rules<K> } = {
  midtrain(o, at, sources) {
    const list = [...sources].join(", ");
    for (const s of Object.keys(o.weights ?? {})) if (!sources.has(s)) throw new OutputsConfigError(`${at}.weights: found source ${JSON.stringify(s)}, expected a source name (${list})`);
    if (o.weights && !Object.values(o.weights).some((w) => w > 0)) throw new OutputsConfigError(`${at}.weights: every weight is 0; expected at least one positive weight`);
    if (o.textTemplate !== undefined) {
      try {
        parseTemplate(o.textTemplate, `${at}.textTemplate`);
      } catch (e) {
        throw new OutputsConfigError((e as Error).message);
      }
      if (o.template === "chat") throw new OutputsConfigError(`${at}.textTemplate: only used with template "plain"; found template "chat"`);
    }
  },
  sft(o, at) {
    if (o.rows !== undefined && o.tokenBudget !== undefined) throw new OutputsConfigError(`${at}: found both rows and tokenBudget, expected one size (rows or tokenBudget)`);
  },
  rl(o, at) {
    if (o.promptTemplate === undefined) return;
    try {
      parsePromptTemplate(o.promptTemplate, `${at}.promptTemplate`);
    } catch (e) {
      throw new OutputsConfigError((e as Error).message);
    }
  },
};

/** Checks the schema cannot express: known sources, ordered bands, then each kind's rules. */
export function checkOutputs(config: MixConfig): void {
  const outputs = config.outputs ?? {};
  const sources = new Set(config.sources.map((s) => s.name));
  const list = [...sources].join(", ");
  buildOrder(outputs);
  for (const [name, o] of Object.entries(outputs)) {
    const at = `$.outputs.${name}`;
    for (const s of o.sources ?? []) if (!sources.has(s)) throw new OutputsConfigError(`${at}.sources: found ${JSON.stringify(s)}, expected a source name (${list})`);
    for (const band of ["passRate", "sourceDifficulty"] as const) {
      const b = o[band];
      if (b && b[0] > b[1]) throw new OutputsConfigError(`${at}.${band}: found [${b[0]}, ${b[1]}], expected [lo, hi] with lo ≤ hi`);
    }
    (KIND_RULES[o.kind] as Rules<typeof o.kind> | undefined)?.(o as never, at, sources);
  }
}
