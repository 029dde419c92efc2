#!/usr/bin/env node
/**
 * Writes bench/decontam-excluded-negatives.json: the held-out negatives of the planted set
 * (bench/decontam-planted.mjs) that are numbers-changed copies of a default benchmark problem, with a
 * one-line reason each. The criterion is `numbersChangedCopies` (same text as a benchmark problem once
 * whitespace and case are ignored and every number is masked, or that text contained in the row) and
 * does not use the matcher. bench/decontam-eval.mjs reports the false-positive rate with and without
 * these rows; test/decontam/decontam-eval.test.ts checks that the file is what this script writes.
 *
 * Usage: node bench/decontam-exclusions.mjs [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { plantedSet, loadBenchmark, sharedDataDir, exclusionList } from "./decontam-planted.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const data = sharedDataDir(root);
if (!data) {
  console.error("needs ../shared/data/{benchmarks,problems}");
  process.exit(2);
}
const names = ["math500", "aime2024", "aime2025", "amc2023"];
const problems = names.flatMap((n) => loadBenchmark(join(data, "benchmarks"), n));
const { negatives } = plantedSet(join(data, "benchmarks"), join(data, "problems"), names);
// one entry per line, so a review reads (and a diff shows) one excluded row per line
const text = "[\n" + exclusionList(negatives, problems).map((e) => " " + JSON.stringify(e)).join(",\n") + "\n]\n";
const file = join(root, "bench", "decontam-excluded-negatives.json");
if (process.argv.includes("--check")) {
  const same = readFileSync(file, "utf8") === text;
  console.log(same ? `${file} is up to date` : `${file} differs from the criterion's output`);
  process.exit(same ? 0 : 1);
}
writeFileSync(file, text);
console.log(`wrote ${file}: ${JSON.parse(text).length} negatives`);
