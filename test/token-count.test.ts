/**
 * The hand-written o200k pre-tokeniser (src/tokens/count.ts) must split exactly as
 * gpt-tokenizer's regex and count exactly as gpt-tokenizer: on fuzzed text built from every
 * character class the regex distinguishes, and on every real trace and problem in ../shared/data.
 */
import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { countTokens, decode, encode } from "gpt-tokenizer/encoding/o200k_base";
import { get_encoding } from "tiktoken";
import { makeO200kCounter, makeO200kEncoder, o200kPieces, O200K_SPLIT_PATTERN } from "../src/tokens/count.js";
import { mulberry32 } from "../src/text/hash.js";
import { sharedData, sharedTexts } from "./helpers/cli.js";

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
const regexPieces = (t: string) => [...t.matchAll(new RegExp(O200K_SPLIT_PATTERN, "gu"))].map((m) => m[0]);

// every class the o200k regex tells apart, ASCII and not: Lu Ll Lt Lm Lo M N, \s, [\r\n/], other
const ALPHABET = [
  ..."aZbYzA09 '/\\$^_{}()[]+-=*.,;:!?\"#%&<>|~`@",
  " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f",
  "'s", "'S", "'t", "'ll", "'LL", "'lL", "'re", "'Re", "'ve", "'vE", "'m", "'d", "'x", "'",
  "é", "É", "ǅ", "ʰ", "中", "\u0301", "٣", "²", "½", "\u00a0", "\u2028", "\u3000", "\ufeff", "−", "·", "😀", "ſ", "\u212a", "ß",
  "\\frac{1}{2}", "x^2", "123456", "Hello", "HELLO", "hELLo", "<|endoftext|>", "<|begin_of_thought|>",
];

function fuzz(seed: number, count: number, maxParts: number): string[] {
  const rnd = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts = Math.floor(rnd() * maxParts);
    let s = "";
    for (let j = 0; j < parts; j++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    out.push(s);
  }
  return out;
}

describe("fast o200k counter", () => {
  it("uses the same split pattern as the installed gpt-tokenizer", async () => {
    // the package's encodingParams/constants.js is not in its exports map; read it by path
    const file = join(__dirname, "..", "node_modules", "gpt-tokenizer", "esm", "encodingParams", "constants.js");
    const mod = (await import(file)) as { O200K_TOKEN_SPLIT_REGEX: RegExp };
    expect(mod.O200K_TOKEN_SPLIT_REGEX.source).toBe(O200K_SPLIT_PATTERN);
  });

  it("splits 30,000 fuzzed strings exactly as the regex and counts them exactly as gpt-tokenizer", () => {
    const count = makeO200kCounter(countTokens);
    let pieces = 0;
    for (const t of fuzz(7, 30_000, 40)) {
      const mine = o200kPieces(t);
      expect(mine, JSON.stringify(t)).toEqual(regexPieces(t));
      expect(count(t), JSON.stringify(t)).toBe(countTokens(t, NO_SPECIAL));
      pieces += mine.length;
    }
    expect(pieces).toBeGreaterThan(300_000);
    // most pieces were decided by the ASCII scanner, not the regex fallback
    const s = count.stats();
    expect(s.regexPieces).toBeLessThan(s.pieces / 2);
  });

  it("counts a range of a string exactly as the slice itself (regex fallback included)", () => {
    const count = makeO200kCounter(countTokens);
    let rng = 99;
    const next = () => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let ranges = 0;
    for (const t of fuzz(17, 5000, 60)) {
      const a = Math.floor(next() * (t.length + 1));
      const b = a + Math.floor(next() * (t.length - a + 1));
      // the range may stop anywhere: inside a word, between \s and a non-space, inside a surrogate pair
      expect(count(t, a, b), JSON.stringify([t, a, b])).toBe(countTokens(t.slice(a, b), NO_SPECIAL));
      ranges++;
    }
    expect(ranges).toBe(5000);
  });

  it("keeps byte and UTF-16 positions in step through lone surrogates and astral pairs (whole texts, ranges, pieces, ids)", () => {
    const count = makeO200kCounter(countTokens);
    const enc = makeO200kEncoder((p) => encode(p, NO_SPECIAL));
    const parts = ["a", "Z", " ", "\n", "'s", "1234", "\ud800", "\udc00", "\ud83d", "\ude00", "😀", "中", "é", "\u0301", "\\frac", "x\ud800y", "\ud800\udc00", "\u00a0", "..."];
    const rnd = mulberry32(21);
    for (let i = 0; i < 5000; i++) {
      let t = "";
      for (let j = Math.floor(rnd() * 30); j >= 0; j--) t += parts[Math.floor(rnd() * parts.length)];
      const want = countTokens(t, NO_SPECIAL);
      expect(o200kPieces(t), JSON.stringify(t)).toEqual(regexPieces(t));
      expect(count(t), JSON.stringify(t)).toBe(want);
      expect(count(t + "\udc00 tail", 0, t.length), JSON.stringify(t)).toBe(want);
      expect(enc(t).length, JSON.stringify(t)).toBe(want);
    }
  });

  it("is exact with a tiny memo that is cleared all the time", () => {
    const count = makeO200kCounter(countTokens, 3);
    for (const t of fuzz(11, 3000, 60)) expect(count(t)).toBe(countTokens(t, NO_SPECIAL));
  });

  it("agrees with tiktoken's encode_ordinary on LaTeX, tags and mixed scripts (U+FEFF aside)", () => {
    const count = makeO200kCounter(countTokens);
    const enc = get_encoding("o200k_base");
    // JS's \s includes U+FEFF and Rust's does not, so gpt-tokenizer (and this counter) split a BOM
    // differently from tiktoken: one token more per BOM next to other text
    for (const t of fuzz(13, 2000, 30)) {
      const clean = t.replaceAll("\ufeff", "");
      expect(count(clean), JSON.stringify(clean)).toBe(enc.encode_ordinary(clean).length);
    }
    enc.free();
  });

  const dirs = ["traces", "problems"].map((d) => join(sharedData, d)).filter((d) => existsSync(d));
  it.skipIf(dirs.length < 2)("counts every real trace and problem in ../shared/data exactly as gpt-tokenizer", () => {
    const count = makeO200kCounter(countTokens);
    let texts = 0;
    let tokens = 0;
    for (const { file: f, key: k, text: t } of sharedTexts(dirs, ["problem", "response", "solution"])) {
      const n = count(t);
      if (n !== countTokens(t, NO_SPECIAL)) expect.fail(`${f}: ${k} of a row counts ${n}, gpt-tokenizer ${countTokens(t, NO_SPECIAL)}`);
      texts++;
      tokens += n;
    }
    expect(texts).toBeGreaterThan(20_000);
    expect(tokens).toBeGreaterThan(10_000_000);
  });
});

describe("fast o200k encoder", () => {
  const encodePiece = (p: string) => encode(p, NO_SPECIAL);

  it("gives gpt-tokenizer's ids on 20,000 fuzzed strings, as many as the counter counts, with a memo cleared all the time too", () => {
    const enc = makeO200kEncoder(encodePiece);
    const tiny = makeO200kEncoder(encodePiece, 3);
    const count = makeO200kCounter(countTokens);
    let ids = 0;
    for (const t of fuzz(23, 20_000, 40)) {
      const mine = enc(t);
      expect(mine, JSON.stringify(t)).toEqual(encode(t, NO_SPECIAL));
      expect(tiny(t)).toEqual(mine);
      expect(mine.length).toBe(count(t));
      ids += mine.length;
    }
    expect(ids).toBeGreaterThan(200_000);
  });

  it("cuts pieces over 1,000 characters where the counter does: same length as the count, decodes to the text", () => {
    const enc = makeO200kEncoder(encodePiece);
    const count = makeO200kCounter(countTokens);
    const rnd = mulberry32(5);
    const long = [
      "a".repeat(5000),
      " ".repeat(4321) + "x",
      "\frac{" + "9".repeat(2500) + "}{2}",
      "😀".repeat(1500) + "é".repeat(777), // surrogate pairs across a 1,000-character cut
      Array.from({ length: 3000 }, () => "xyzXYZ"[Math.floor(rnd() * 6)]).join(""),
    ];
    for (const t of long) {
      const ids = enc(t);
      expect(ids.length, t.slice(0, 20)).toBe(count(t));
      expect(decode(ids)).toBe(t);
    }
  });

  const traces = join(sharedData, "traces");
  it.skipIf(!existsSync(traces))("encodes every real trace in ../shared/data/traces to gpt-tokenizer's ids", () => {
    const enc = makeO200kEncoder(encodePiece);
    let texts = 0;
    for (const { file: f, text: t } of sharedTexts([traces], ["response"])) {
      const mine = enc(t);
      const ref = encode(t, NO_SPECIAL);
      if (mine.length !== ref.length || mine.some((x, i) => x !== ref[i])) expect.fail(`${f}: a response encodes to ${mine.length} ids, gpt-tokenizer ${ref.length} (or other ids)`);
      texts++;
    }
    expect(texts).toBeGreaterThan(3000);
  });
});
