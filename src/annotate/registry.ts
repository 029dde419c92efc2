/**
 * The annotators, in the order they run on every record. Each module is enabled by its section of the
 * mix file (`annotate.<name>`); `tokens` always runs (trace split, token counts, hash keys).
 */
import type { AnnotatorModule } from "../record/annotator.js";
import { tokensModule } from "../tokens/annotator.js";
import { verifyModule } from "../verify/annotator.js";
import { decontaminateModule } from "../decontam/annotator.js";
import { qualityModule } from "../quality/annotator.js";
import { sketchModule } from "../group/annotator.js";

export const annotatorModules: { name: string; module: AnnotatorModule }[] = [
  { name: "tokens", module: tokensModule },
  { name: "decontaminate", module: decontaminateModule },
  { name: "verify", module: verifyModule },
  { name: "quality", module: qualityModule },
  { name: "sketch", module: sketchModule },
];
