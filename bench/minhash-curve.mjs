// Prints the LSH S-curve table used in docs/dedupe.md: P(candidate | Jaccard) for the default
// banding at thresholds 0.7 / 0.8 / 0.9 with 128 permutations, plus false-positive / false-negative areas.
import { optimalBands, candidateProbability } from "../dist/group/lsh.js";

const K = Number(process.argv[2] ?? 128);
const levels = [0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];
const choices = [0.7, 0.8, 0.9].map((t) => ({ t, ...optimalBands(t, K) }));
console.log(`| Jaccard | ${choices.map((c) => `P(candidate), t=${c.t} (${c.bands}×${c.rows})`).join(" | ")} |`);
console.log(`|---:|${choices.map(() => "---:").join("|")}|`);
for (const s of levels) console.log(`| ${s.toFixed(2)} | ${choices.map((c) => candidateProbability(s, c.bands, c.rows).toFixed(4)).join(" | ")} |`);
console.log("");
for (const c of choices) console.log(`t=${c.t}: ${c.bands} bands × ${c.rows} rows, false-positive area ${c.falsePositiveArea.toFixed(4)}, false-negative area ${c.falseNegativeArea.toFixed(4)}`);
