/**
 * The registry of data products: one line per kind. Everything kind-specific hangs off this list —
 * build.ts plans each output with its kind's `plan`, the output card takes its `about` / `facts` /
 * `unit` from here, and the config types derive `OutputConfig` from it (types.ts). A product's
 * config rules that its schema cannot express live in config/outputs.ts (see KIND_RULES there for
 * why), its schema in schemas/parts/outputs.<kind>.schema.json. How to add one:
 * docs/architecture-products.md.
 */
import type { Product } from "./common.js";
import { midtrainProduct } from "./builders/midtrain.js";
import { sftProduct } from "./builders/sft.js";
import { dpoProduct } from "./builders/dpo.js";
import { rlProduct } from "./builders/rl.js";

/** every product kind; the order is the cards' (their units line names the kinds in this order) */
export const PRODUCTS = [midtrainProduct, sftProduct, dpoProduct, rlProduct] as const;

type Registered = (typeof PRODUCTS)[number];
/** the `outputs.<name>` config of any registered kind, discriminated by `kind` */
export type ProductConfig = Registered extends infer P ? (P extends Product<infer C> ? C : never) : never;
export type ProductKind = ProductConfig["kind"];

const byKind = new Map<string, Product<ProductConfig>>(PRODUCTS.map((p) => [p.kind, p as unknown as Product<ProductConfig>]));

/** The product of a kind (the schema lets only registered kinds through; this names the others). */
export function productOf(kind: string): Product<ProductConfig> {
  const p = byKind.get(kind);
  if (!p) throw new Error(`outputs: unknown kind ${JSON.stringify(kind)}; registered: ${[...byKind.keys()].join(", ")}`);
  return p;
}

/**
 * What a card's table units are, per kind: "rollouts (midtrain, sft), pairs (dpo) or prompts (rl)" —
 * units in order of first use, each with its kinds.
 */
export function unitsNote(): string {
  const kinds = new Map<string, string[]>();
  for (const p of PRODUCTS) kinds.set(p.unit, [...(kinds.get(p.unit) ?? []), p.kind]);
  const parts = [...kinds].map(([unit, ks]) => `${unit} (${ks.join(", ")})`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} or ${parts[parts.length - 1]}` : parts.join("");
}
