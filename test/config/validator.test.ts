/**
 * The mix validator compiled at build time (scripts/compile-schema.mjs → dist/config/mix-validate.cjs)
 * is the one in use, and it judges mix files exactly as ajv compiling schemas/ now does.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { COMPILED_VALIDATOR, MIX_SCHEMA_ID, mixValidator, schemaFiles, schemaRegistry } from "../../src/config/validator.js";
import { repoRoot } from "../helpers/cli.js";

describe("compiled mix validator", () => {
  it("is built from the current schemas and is the validator loadMix uses", () => {
    expect(existsSync(COMPILED_VALIDATOR), "npm test builds first").toBe(true);
    const compiled = createRequire(import.meta.url)(COMPILED_VALIDATOR) as { default: unknown; schemaSha256: string };
    expect(compiled.schemaSha256).toBe(schemaFiles().sha256);
    expect(mixValidator()).toBe(compiled.default);
  });

  it("gives the errors a fresh compile gives, on valid and broken mix files", () => {
    const fresh = schemaRegistry().getSchema(MIX_SCHEMA_ID)!;
    const quick = JSON.parse(readFileSync(join(repoRoot, "pipelines", "quickstart.json"), "utf8"));
    const docs: unknown[] = [
      quick,
      { ...quick, filters: { ...quick.filters, requireCorect: true } },
      { ...quick, seed: "17", workers: -1 },
      { ...quick, sources: [{ name: "a", path: 3, fields: {} }] },
      { ...quick, outputs: { sft: { kind: "stf" } } },
      [],
    ];
    const errs = (v: typeof fresh, d: unknown) => (v(d) ? [] : (v.errors ?? []).map((e) => [e.instancePath, e.keyword, JSON.stringify(e.params)]));
    for (const d of docs) expect(errs(mixValidator(), d)).toEqual(errs(fresh, d));
    expect(errs(fresh, docs[1]).length).toBeGreaterThan(0);
  });
});
