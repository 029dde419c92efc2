/**
 * The figures of a bench for bench/anchors.mjs: when BENCH_JSON names a file, `report(name, figures)`
 * appends one JSON line `{bench, ...figures}` to it. Without it, nothing happens (the bench prints).
 */
import { appendFileSync } from "node:fs";

export function report(bench, figures) {
  const file = process.env.BENCH_JSON;
  if (file) appendFileSync(file, JSON.stringify({ bench, ...figures }) + "\n");
}

/** /usr/bin/time -f "%e %U %S %M" of one whole process: {wall, cpu, rssMB}, from the last stderr line. */
export function parseTime(stderr) {
  const [wall, user, sys, rssKb] = String(stderr).trim().split("\n").at(-1).split(" ").map(Number);
  return { wall, cpu: user + sys, rssMB: rssKb / 1024 };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
