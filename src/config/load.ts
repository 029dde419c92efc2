/**
 * Load and validate a mix file against schemas/mix.schema.json (and its parts). Every error names the
 * JSON path, the value found and what was expected; unknown keys are errors.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { ErrorObject } from "ajv/dist/2020.js";
import { UsageError } from "../errors.js";
import type { MixConfig } from "./types.js";
import { checkOutputs, OutputsConfigError } from "./outputs.js";
import { didYouMean } from "./suggest.js";
import { FieldPathError, parseFieldPath } from "../io/field-paths.js";
import { mixValidator, schemaByRef } from "./validator.js";

function pointerGet(doc: unknown, pointer: string): unknown {
  if (!pointer) return doc;
  let cur: unknown = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const k = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return "nothing";
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}

function jsonPath(pointer: string): string {
  if (!pointer) return "$";
  return "$" + pointer.split("/").slice(1).map((k) => (/^\d+$/.test(k) ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join("");
}

/** Turn Ajv errors into sentences; drop the noise of composite keywords when a precise error exists. */
export function describeErrors(errors: ErrorObject[], doc: unknown): string[] {
  const out = new Set<string>();
  const explained = alternativesNeeded(errors, out);
  const left = errors.filter((e) => !explained.has(e));
  const precise = left.filter((e) => !["anyOf", "oneOf", "allOf", "if", "propertyNames"].includes(e.keyword));
  for (const e of precise.length ? precise : left) {
    const at = e.instancePath;
    const value = pointerGet(doc, at);
    const key = (e as ErrorObject & { propertyName?: string }).propertyName;
    if (key !== undefined) {
      // a key that breaks `propertyNames` (output names become folder names): the key's path, the rule in words
      const rule = (e.parentSchema as { description?: string } | undefined)?.description;
      out.add(`${jsonPath(at)}[${JSON.stringify(key)}]: the name ${JSON.stringify(key)} is not allowed; ${rule ?? `expected it to ${(e.message ?? "match the schema").replace(/^must /, "")}`}`);
      continue;
    }
    switch (e.keyword) {
      case "additionalProperties":
      case "unevaluatedProperties": {
        const key = (e.params as { additionalProperty?: string; unevaluatedProperty?: string }).additionalProperty ??
          (e.params as { unevaluatedProperty?: string }).unevaluatedProperty ?? "";
        const allowed = allowedKeys(e.parentSchema);
        const listed = allowed.length ? ` (expected one of: ${allowed.join(", ")})` : "";
        out.add(`${jsonPath(at + "/" + key)}: unknown key ${JSON.stringify(key)}${didYouMean(key, allowed)}${listed}`);
        break;
      }
      case "required":
        out.add(`${jsonPath(at)}: missing required key ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`);
        break;
      case "enum": {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const hint = typeof value === "string" ? didYouMean(value, allowed.filter((v): v is string => typeof v === "string")) : "";
        out.add(`${jsonPath(at)}: found ${show(value)}, expected one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}${hint}`);
        break;
      }
      case "type":
        out.add(`${jsonPath(at)}: found ${show(value)}, expected ${(e.params as { type: string }).type}`);
        break;
      default:
        out.add(`${jsonPath(at)}: found ${show(value)}, expected it to ${(e.message ?? "match the schema").replace(/^must /, "")}`);
    }
  }
  return [...out];
}

/**
 * An `anyOf` whose every branch failed only for missing keys (a source's fields: problem and
 * response, or messages, or conversations) reads as one sentence naming the alternatives, not one
 * "missing required key" line per branch. Returns the errors it explained.
 */
function alternativesNeeded(errors: ErrorObject[], out: Set<string>): Set<ErrorObject> {
  const explained = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== "anyOf") continue;
    const branches = (e.parentSchema as { anyOf?: { required?: string[] }[] } | undefined)?.anyOf;
    const inner = errors.filter((x) => x !== e && x.schemaPath.startsWith(e.schemaPath + "/"));
    if (!branches || !inner.length || !inner.every((x) => x.keyword === "required") || !branches.every((b) => b.required?.length)) continue;
    const alternatives = branches.map((b) => b.required!.map((k) => JSON.stringify(k)).join(" and "));
    out.add(`${jsonPath(e.instancePath)}: expected ${alternatives.join(", or ")}`);
    for (const x of [e, ...inner]) explained.add(x);
  }
  return explained;
}

/** The keys a schema object allows: its properties and those of the parts it combines (allOf, $ref). */
function allowedKeys(schema: unknown, depth = 0): string[] {
  const s = schema as { properties?: Record<string, unknown>; allOf?: unknown[]; $ref?: string } | undefined;
  if (!s || typeof s !== "object" || depth > 4) return [];
  const keys = Object.keys(s.properties ?? {});
  if (typeof s.$ref === "string") keys.push(...allowedKeys(schemaByRef(s.$ref), depth + 1));
  for (const part of s.allOf ?? []) keys.push(...allowedKeys(part, depth + 1));
  return [...new Set(keys)];
}

export interface LoadedMix {
  config: MixConfig;
  /** absolute path of the mix file */
  path: string;
  /** folder paths resolve against */
  baseDir: string;
  /** sha-256 of the canonical JSON of the resolved config */
  hash: string;
}

/** Canonical JSON: keys sorted at every level, so the hash ignores formatting and key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Where two configs differ, as JSON paths with the old and new values (`$.annotate.verify.timeoutMs:
 * 1000 → 3000`), at most `max` lines: says which key changed a config hash.
 */
export function configChanges(before: unknown, after: unknown, max = 8): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, pointer: string) => {
    if (canonicalJson(a) === canonicalJson(b)) return;
    const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    if (isMap(a) && isMap(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], `${pointer}/${k}`);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${pointer}/${i}`);
    } else {
      out.push(`${jsonPath(pointer)}: ${a === undefined ? "added" : show(a)} → ${b === undefined ? "removed" : show(b)}`);
    }
  };
  walk(before, after, "");
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}

export function validateMix(doc: unknown, label: string): MixConfig {
  const validate = mixValidator();
  if (!validate(doc)) {
    const lines = describeErrors(validate.errors ?? [], doc);
    throw new UsageError(`${label} is not a valid mix file:\n  ${lines.join("\n  ")}`);
  }
  const config = doc as Partial<MixConfig> & { sources: MixConfig["sources"] };
  const names = new Set<string>();
  config.sources.forEach((s, i) => {
    if (names.has(s.name)) throw new UsageError(`${label}: $.sources[${i}].name: found ${JSON.stringify(s.name)}, expected a name no other source uses`);
    names.add(s.name);
  });
  checkFieldPaths(config.sources, label);
  const f = (config.filters ?? {}) as Record<string, unknown>;
  const verifyOn = config.annotate?.verify !== undefined && (config.annotate.verify as { enabled?: boolean }).enabled !== false;
  for (const k of ["requireCorrect", "dropVerdicts", "dropConflictingBoxed", "dropConflictingAnswers"]) {
    if (f[k] !== undefined && f[k] !== false && !verifyOn) {
      const alias = k === "dropConflictingAnswers" ? " (an alias of dropConflictingBoxed)" : "";
      throw new UsageError(`${label}: $.filters.${k}${alias} needs verdicts, but annotate.verify is not enabled; add "annotate": {"verify": {}}`);
    }
  }
  const full = { ...config, seed: config.seed ?? 17, tokenizer: config.tokenizer ?? "o200k_base" } as MixConfig;
  try {
    checkOutputs(full);
  } catch (e) {
    if (e instanceof OutputsConfigError) throw new UsageError(`${label}: ${e.message}`);
    throw e;
  }
  return full;
}

/** Every field path of every source parses (field-paths.ts); else the path, where and what was expected. */
function checkFieldPaths(sources: MixConfig["sources"], label: string): void {
  sources.forEach((s, i) => {
    const entries: [string, string][] = [
      ...Object.entries(s.fields).filter((e): e is [string, string] => typeof e[1] === "string"),
      ...Object.entries(s.fields.meta ?? {}).map(([k, v]): [string, string] => [`meta${jsonPath("/" + k).slice(1)}`, v]),
    ];
    for (const [field, path] of entries) {
      try {
        parseFieldPath(path);
      } catch (e) {
        if (e instanceof FieldPathError) throw new UsageError(`${label}: $.sources[${i}].fields.${field}: ${e.message}`);
        throw e;
      }
    }
  });
}

/**
 * Things that are valid but likely not meant, for `curate validate`: a source that maps no
 * `reference` while a filter or an output needs one loses every row there (the verdict of a rollout
 * without a reference is ungradable_reference).
 */
export function mixWarnings(config: MixConfig): string[] {
  const f = (config.filters ?? {}) as { requireCorrect?: boolean; dropVerdicts?: string[] };
  const needs: { what: string; sources: string[] | null }[] = [];
  if (f.requireCorrect) needs.push({ what: "filters.requireCorrect drops all its rows (verify:ungradable_reference)", sources: null });
  else if (f.dropVerdicts?.includes("ungradable_reference")) needs.push({ what: `filters.dropVerdicts drops all its rows (verify:ungradable_reference)`, sources: null });
  for (const [name, o] of Object.entries((config.outputs ?? {}) as Record<string, { kind?: string; requireCorrect?: boolean; sources?: string[] }>)) {
    const takes =
      o.kind === "sft" && o.requireCorrect !== false ? "takes only verified-correct rollouts"
      : o.kind === "midtrain" && o.requireCorrect === true ? "takes only verified-correct rollouts"
      : o.kind === "dpo" ? "pairs verified-correct with incorrect rollouts"
      : o.kind === "rl" ? "takes only problems with a reference answer"
      : null;
    if (takes) needs.push({ what: `outputs.${name} (${o.kind}) ${takes}: none of its rows`, sources: o.sources ?? null });
  }
  const out: string[] = [];
  for (const s of config.sources) {
    if (s.fields.reference !== undefined) continue;
    for (const n of needs) if (!n.sources || n.sources.includes(s.name)) out.push(`source "${s.name}" maps no reference (fields.reference): ${n.what}`);
  }
  return out;
}

/** The benchmarks the warning suggests: the built-in default set (decontam/registry.ts DEFAULT_BENCHMARKS). */
const SUGGESTED_BENCHMARKS = `["math500", "aime2024", "aime2025", "amc2023"]`;

/** Whether a mix keeps benchmark problems out of data/, and the lines that say why not. */
export interface DecontaminationStatus {
  /** true when rows are checked against benchmarks and matching rows are dropped */
  decontaminated: boolean;
  /** one line each, for stderr (`validate`, `run`), the manifest, the dataset card and the report */
  warnings: string[];
}

/**
 * Decontamination is what keeps evaluation problems out of training data, and a mix can leave it
 * out without any error, so `validate` and `run` say so on stderr and the run records it. Three ways
 * to leave it out: no `annotate.decontaminate` (nothing is checked), `filters.dropContaminated: false`
 * (matches are flagged but stay in data/), and an output's `allowContaminated: true` (that output
 * takes problem groups with a match).
 */
export function decontaminationStatus(config: Pick<MixConfig, "annotate" | "filters" | "outputs">): DecontaminationStatus {
  const warnings: string[] = [];
  let decontaminated = true;
  if (!config.annotate?.decontaminate) {
    decontaminated = false;
    warnings.push(
      `not decontaminated: no row is checked against evaluation benchmarks, so benchmark problems can reach data/ and every output; ` +
        `turn it on with "annotate": {"decontaminate": {"benchmarks": ${SUGGESTED_BENCHMARKS}}} (local copies: "benchmarksDir")`,
    );
  } else if ((config.filters as { dropContaminated?: unknown } | undefined)?.dropContaminated === false) {
    decontaminated = false;
    warnings.push(`not decontaminated: filters.dropContaminated is false, so rows matching a benchmark stay in data/ (outputs still leave their problems out); remove it to drop them`);
  }
  for (const [name, o] of Object.entries(config.outputs ?? {})) {
    if ((o as { allowContaminated?: unknown }).allowContaminated === true) {
      warnings.push(`outputs.${name}.allowContaminated is true, so ${name} may hold problems that match a benchmark; remove it to leave them out`);
    }
  }
  return { decontaminated, warnings };
}

export function loadMix(path: string): LoadedMix {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read mix file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  // a byte-order mark (Windows editors write one) is not part of the JSON (RFC 8259 lets parsers skip it)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  const config = validateMix(doc, path);
  const hash = createHash("sha256").update(canonicalJson(config)).digest("hex");
  return { config, path: abs, baseDir: dirname(abs), hash };
}
