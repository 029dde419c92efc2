/**
 * `annotate.quality` options: the defaults, their validation (errors name the JSON path), and the form
 * the detectors read (expected scripts as a bit mask).
 */
import type { QualityConfig, QualityOptions, Script } from "./types.js";
import { SCRIPTS } from "./types.js";
import { scriptMask } from "./scripts.js";

export const DEFAULT_QUALITY_OPTIONS: Readonly<QualityOptions> = Object.freeze({
  ngram: 12,
  tailChars: 8192,
  minLineChars: 16,
  expectedScripts: ["latin", "greek"] as Script[],
  segmentLetters: 200,
});

/** Apply defaults to `annotate.quality`; throws a message naming the JSON path on a bad value. */
export function resolveQualityOptions(config: QualityConfig | undefined): QualityOptions {
  const c = config ?? {};
  const positiveInt = (key: keyof QualityConfig, v: unknown, min: number): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new Error(`annotate.quality.${String(key)}: expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const expected = c.expectedScripts ?? DEFAULT_QUALITY_OPTIONS.expectedScripts;
  for (const [k, s] of expected.entries()) {
    if (!SCRIPTS.includes(s)) {
      throw new Error(`annotate.quality.expectedScripts[${k}]: expected one of ${SCRIPTS.join(", ")}, got ${JSON.stringify(s)}`);
    }
  }
  return {
    ngram: c.ngram === undefined ? DEFAULT_QUALITY_OPTIONS.ngram : positiveInt("ngram", c.ngram, 1),
    tailChars: c.tailChars === undefined ? DEFAULT_QUALITY_OPTIONS.tailChars : positiveInt("tailChars", c.tailChars, 64),
    minLineChars: c.minLineChars === undefined ? DEFAULT_QUALITY_OPTIONS.minLineChars : positiveInt("minLineChars", c.minLineChars, 1),
    expectedScripts: [...expected],
    segmentLetters: c.segmentLetters === undefined ? DEFAULT_QUALITY_OPTIONS.segmentLetters : positiveInt("segmentLetters", c.segmentLetters, 8),
  };
}

export interface PreparedOptions extends QualityOptions {
  expectedMask: number;
}

export function prepareOptions(options: QualityOptions): PreparedOptions {
  return { ...options, expectedMask: scriptMask(options.expectedScripts) };
}
