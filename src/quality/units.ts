/**
 * The quality detectors' one UTF-16 unit buffer (text/code-units.ts): computeSignals writes a response
 * into it once and every detector reads the same units.
 */
import { CodeUnits } from "../text/code-units.js";

// typed-array reads instead of charCodeAt: computeSignals 88 → 96 MB per CPU-s on Sky-T1 (bench/quality-bench.mjs)
const units = new CodeUnits();

/** The text's UTF-16 code units (see CodeUnits: valid until the next call, read below text.length). */
export function codeUnits(text: string): Uint16Array {
  return units.of(text);
}

/** Drops a buffer grown past 32 MB by one huge text (after each rollout). */
export function shrinkUnits(): void {
  units.shrink();
}
