/**
 * The annotators, in the order they run on every record. Each module is enabled by its section of the
 * mix file (`annotate.<name>`); `tokens` always runs (trace split, token counts, hash keys).
 */
import type { AnnotatorModule } from "./stage.js";
import { tokensModule } from "./tokens.js";

export const annotatorModules: { name: string; module: AnnotatorModule }[] = [
  { name: "tokens", module: tokensModule },
];
