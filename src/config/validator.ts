/**
 * The mix-file validator: schemas/mix.schema.json and its parts, compiled by ajv. Compiling takes
 * ~0.45 s of CPU, paid by every command that reads a mix file, so `npm run build` compiles it once
 * (scripts/compile-schema.mjs → dist/config/mix-validate.cjs, ajv's standalone code) and this loads
 * that file in ~25 ms — when it was made from the schemas as they are now (their sha-256 is in it);
 * otherwise (schemas edited since the build) it compiles here, as before.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv2020, AnySchema, ValidateFunction } from "ajv/dist/2020.js";
import { packageRoot } from "../version.js";

const require = createRequire(import.meta.url);

export const MIX_SCHEMA_ID = "https://curate.local/schemas/mix.schema.json";
export const AJV_OPTIONS = { allErrors: true, strict: false, useDefaults: false, verbose: true } as const;
export const COMPILED_VALIDATOR = join(packageRoot, "dist", "config", "mix-validate.cjs");

/** The schema files, parts in name order then the mix schema, and the sha-256 of all their bytes. */
export function schemaFiles(): { parts: AnySchema[]; mix: AnySchema; sha256: string } {
  const dir = join(packageRoot, "schemas");
  const hash = createHash("sha256");
  const read = (path: string): AnySchema => {
    const text = readFileSync(path);
    hash.update(path.slice(dir.length)).update(text);
    return JSON.parse(text.toString("utf8")) as AnySchema;
  };
  const parts = readdirSync(join(dir, "parts")).sort().filter((f) => f.endsWith(".json")).map((f) => read(join(dir, "parts", f)));
  const mix = read(join(dir, "mix.schema.json"));
  return { parts, mix, sha256: hash.digest("hex") };
}

/** An ajv instance holding every schema (compiled lazily: getSchema compiles what it is asked for). */
export function schemaRegistry(files = schemaFiles()): Ajv2020 {
  // ajv itself is loaded here, not at start-up (~0.1 CPU-s per command): only when the build's
  // compiled validator is missing or stale, or an error message needs a schema
  const { Ajv2020: Ajv } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const ajv = new Ajv({ ...AJV_OPTIONS });
  for (const p of files.parts) ajv.addSchema(p);
  ajv.addSchema(files.mix);
  return ajv;
}

let validator: ValidateFunction | undefined;
let registry: Ajv2020 | undefined;

export function mixValidator(): ValidateFunction {
  if (validator) return validator;
  const files = schemaFiles();
  if (existsSync(COMPILED_VALIDATOR)) {
    const compiled = require(COMPILED_VALIDATOR) as { default: ValidateFunction; schemaSha256: string };
    if (compiled.schemaSha256 === files.sha256) return (validator = compiled.default);
  }
  registry = schemaRegistry(files);
  return (validator = registry.getSchema(MIX_SCHEMA_ID) as ValidateFunction);
}

/** A schema by its id or `$ref` (resolved against the mix schema), for error messages. */
export function schemaByRef(ref: string): unknown {
  registry ??= schemaRegistry();
  return registry.getSchema(new URL(ref, MIX_SCHEMA_ID).href)?.schema;
}
