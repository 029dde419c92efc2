/**
 * Load and validate a mix file against schemas/mix.schema.json (and its parts). Every error names the
 * JSON path, the value found and what was expected; unknown keys are errors.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { UsageError } from "../errors.js";
import { packageRoot } from "../version.js";
import type { MixConfig } from "./types.js";
import { checkOutputs, OutputsConfigError } from "./outputs.js";

let validator: ReturnType<Ajv2020["compile"]> | undefined;

function loadValidator() {
  if (validator) return validator;
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false, verbose: true });
  const dir = join(packageRoot, "schemas");
  for (const f of readdirSync(join(dir, "parts")).sort()) {
    if (f.endsWith(".json")) ajv.addSchema(JSON.parse(readFileSync(join(dir, "parts", f), "utf8")));
  }
  validator = ajv.compile(JSON.parse(readFileSync(join(dir, "mix.schema.json"), "utf8")));
  return validator;
}

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
  const precise = errors.filter((e) => !["anyOf", "oneOf", "allOf", "if", "propertyNames"].includes(e.keyword));
  for (const e of precise.length ? precise : errors) {
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
          (e.params as { unevaluatedProperty?: string }).unevaluatedProperty;
        const allowed = allowedKeys(e);
        out.add(`${jsonPath(at + "/" + key)}: unknown key ${JSON.stringify(key)}${allowed ? ` (expected one of: ${allowed})` : ""}`);
        break;
      }
      case "required":
        out.add(`${jsonPath(at)}: missing required key ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`);
        break;
      case "enum":
        out.add(`${jsonPath(at)}: found ${show(value)}, expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`);
        break;
      case "type":
        out.add(`${jsonPath(at)}: found ${show(value)}, expected ${(e.params as { type: string }).type}`);
        break;
      default:
        out.add(`${jsonPath(at)}: found ${show(value)}, expected it to ${(e.message ?? "match the schema").replace(/^must /, "")}`);
    }
  }
  return [...out];
}

function allowedKeys(e: ErrorObject): string | null {
  const schema = e.parentSchema as { properties?: Record<string, unknown>; allOf?: unknown[] } | undefined;
  if (schema?.properties) return Object.keys(schema.properties).join(", ");
  return null;
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

export function validateMix(doc: unknown, label: string): MixConfig {
  const validate = loadValidator();
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
  const f = (config.filters ?? {}) as Record<string, unknown>;
  const verifyOn = config.annotate?.verify !== undefined && (config.annotate.verify as { enabled?: boolean }).enabled !== false;
  for (const k of ["requireCorrect", "dropVerdicts", "dropConflictingBoxed"]) {
    if (f[k] !== undefined && f[k] !== false && !verifyOn) {
      throw new UsageError(`${label}: $.filters.${k} needs verdicts, but annotate.verify is not enabled; add "annotate": {"verify": {}}`);
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
