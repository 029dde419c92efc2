/**
 * The annotators, in the order they run on every record. Each module is enabled by its section of the
 * mix file (`annotate.<name>`); `tokens` always runs (trace split, token counts, hash keys).
 */
import type { AnnotatorModule } from "./stage.js";
import { tokensModule } from "./tokens.js";
import { verifyModule } from "./verify.js";
import { decontaminateModule } from "./decontaminate.js";
import { qualityModule } from "./quality.js";
import { sketchModule } from "./sketch.js";

export const annotatorModules: { name: string; module: AnnotatorModule }[] = [
  { name: "tokens", module: tokensModule },
  { name: "decontaminate", module: decontaminateModule },
  { name: "verify", module: verifyModule },
  { name: "quality", module: qualityModule },
  { name: "sketch", module: sketchModule },
];
