/**
 * The run folder's dataset card is written by the one card module, src/mix/card.ts (run/ sits above
 * mix/). Kept so `import { datasetCard } from "./card.js"` in run/runner.ts still resolves; once that
 * line imports from "../mix/card.js", this file can go.
 */
export { datasetCard } from "../mix/card.js";
