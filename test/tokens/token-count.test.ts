/**
 * The o200k counter and encoder (src/tokens/count.ts, pretoken.ts, bpe.ts) must give exactly
 * tiktoken's `encode_ordinary` (the reference: Rust regex, Rust BPE): on fuzzed text built from every
 * character class the split regex distinguishes (the three characters where a JavaScript regex and
 * Rust's disagree included), on long pieces (the heap merge), and on every string of a fixed sample of ../shared/data's rows (all of them with CURATE_TEST_FULL=1).
 */
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import o200k, { decode } from "gpt-tokenizer/encoding/o200k_base";
import { get_encoding } from "tiktoken";
import { makeO200kCounter, makeO200kEncoder, o200kPieces, O200K_SPLIT_PATTERN } from "../../src/tokens/count.js";
import { heapMerge, LONG_PIECE, vocabPieceBpe } from "../../src/tokens/bpe.js";
import { loadO200kVocab, o200kRankList, o200kSpecialTokens, Vocab, VOCAB_FILE, gptTokenizerVersion } from "../../src/tokens/vocab.js";
import { mulberry32, seededHash } from "../../src/text/hash.js";
import { sharedData } from "../helpers/cli.js";

const tiktoken = get_encoding("o200k_base");
afterAll(() => tiktoken.free());
const ref = (t: string) => tiktoken.encode_ordinary(t).length;
const vocab = await loadO200kVocab();
const bpe = vocabPieceBpe(vocab);
const regexPieces = (t: string) => [...t.matchAll(new RegExp(O200K_SPLIT_PATTERN, "gu"))].map((m) => m[0]);

// every class the o200k regex tells apart, ASCII and not: Lu Ll Lt Lm Lo M N, \s, [\r\n/], other;
// U+FEFF (\s in JavaScript only), U+0085 (\s in Rust only), ſ (a contraction's s in Rust only)
const ALPHABET = [
  ..."aZbYzA09 '/\\$^_{}()[]+-=*.,;:!?\"#%&<>|~`@",
  " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f",
  "'s", "'S", "'t", "'ll", "'LL", "'lL", "'re", "'Re", "'ve", "'vE", "'m", "'d", "'x", "'", "'ſ", "'\u212a",
  "é", "É", "ǅ", "ʰ", "中", "\u0301", "٣", "²", "½", "\u00a0", "\u2028", "\u3000", "\ufeff", "\u0085", "−", "·", "😀", "ſ", "\u212a", "ß",
  "\\frac{1}{2}", "x^2", "123456", "Hello", "HELLO", "hELLo", "<|endoftext|>", "<|begin_of_thought|>", "<think>", "</think>",
];

/**
 * The fuzz counts below are the whole ones (CURATE_TEST_FULL=1); by default a quarter of each (the
 * same seeds, so the first quarter of the same strings), with each count threshold scaled alike.
 */
const FULL = process.env.CURATE_TEST_FULL === "1";
const share = (n: number) => (FULL ? n : Math.ceil(n / 4));

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

describe("o200k pre-tokeniser", () => {
  it("is the installed gpt-tokenizer's pattern with Rust's \\s and contraction s", async () => {
    // the package's encodingParams/constants.js is not in its exports map; read it by path
    const file = join(__dirname, "..", "..", "node_modules", "gpt-tokenizer", "esm", "encodingParams", "constants.js");
    const mod = (await import(file)) as { O200K_TOKEN_SPLIT_REGEX: RegExp };
    const ws = String.raw`\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
    const rust = mod.O200K_TOKEN_SPLIT_REGEX.source.replaceAll("[sS]", String.raw`[sS\u017f]`)
      .replace(String.raw`[^\s\p{L}`, `[^${ws}\\p{L}`)
      .replace(String.raw`\s*[\r\n]+|\s+(?!\S)|\s+`, `[${ws}]*[\\r\\n]+|[${ws}]+(?![^${ws}])|[${ws}]+`);
    expect(O200K_SPLIT_PATTERN).toBe(rust);
    // Rust's White_Space: exactly JavaScript's \s without U+FEFF, with U+0085
    const rustSpace = new RegExp(`[${ws}]`, "u");
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      if (rustSpace.test(ch) !== (c === 0x85 || (c !== 0xfeff && /\s/u.test(ch)))) expect.fail(`U+${c.toString(16)}`);
    }
  });

  it(`splits ${share(30_000)} fuzzed strings exactly as the regex, most pieces without it`, () => {
    let pieces = 0;
    for (const t of fuzz(7, share(30_000), 40)) {
      const mine = o200kPieces(t);
      expect(mine, JSON.stringify(t)).toEqual(regexPieces(t));
      pieces += mine.length;
    }
    const count = makeO200kCounter(bpe);
    for (const t of fuzz(7, 3000, 40)) count(t);
    expect(pieces).toBeGreaterThan(share(300_000));
    expect(count.stats().regexPieces).toBeLessThan(count.stats().pieces / 2);
  });
});

describe("o200k counter", () => {
  it(`counts ${share(30_000)} fuzzed strings exactly as tiktoken (U+FEFF, U+0085 and 'ſ included)`, () => {
    const count = makeO200kCounter(bpe);
    let tokens = 0;
    for (const t of fuzz(8, share(30_000), 40)) {
      const n = count(t);
      if (n !== ref(t)) expect.fail(`${JSON.stringify(t)}: ${n} tokens, tiktoken ${ref(t)}`);
      tokens += n;
    }
    expect(tokens).toBeGreaterThan(share(300_000));
  });

  it("counts a range of a string exactly as the slice itself (regex fallback included)", () => {
    const count = makeO200kCounter(bpe);
    const rnd = mulberry32(99);
    for (const t of fuzz(17, 5000, 60)) {
      const a = Math.floor(rnd() * (t.length + 1));
      const b = a + Math.floor(rnd() * (t.length - a + 1));
      // the range may stop anywhere: inside a word, between \s and a non-space, inside a surrogate pair
      expect(count(t, a, b), JSON.stringify([t, a, b])).toBe(ref(t.slice(a, b)));
    }
  });

  it(`parts: the whole text's count and each range's as its own string, in one pass (${share(20_000)} fuzzed texts, 0–3 ranges)`, () => {
    const count = makeO200kCounter(bpe);
    const rnd = mulberry32(31);
    let ranges = 0;
    for (const t of fuzz(19, share(20_000), 60)) {
      const cuts: number[] = [];
      const k = Math.floor(rnd() * 4) * 2;
      for (let j = 0; j < k; j++) cuts.push(Math.floor(rnd() * (t.length + 1)));
      cuts.sort((x, y) => x - y);
      const out: number[] = [];
      const whole = count.parts(t, cuts, out);
      const why = JSON.stringify([t, cuts]);
      expect(whole, why).toBe(ref(t));
      for (let j = 0; j < k; j += 2) expect(out[j >> 1], why).toBe(ref(t.slice(cuts[j], cuts[j + 1])));
      ranges += k / 2;
    }
    expect(ranges).toBeGreaterThan(share(20_000));
  });

  it("keeps byte and UTF-16 positions in step through lone surrogates and astral pairs (whole texts, ranges, parts, ids)", () => {
    const count = makeO200kCounter(bpe);
    const enc = makeO200kEncoder(bpe);
    const parts = ["a", "Z", " ", "\n", "'s", "1234", "\ud800", "\udc00", "\ud83d", "\ude00", "😀", "中", "é", "\u0301", "\\frac", "x\ud800y", "\ud800\udc00", "\u00a0", "..."];
    const rnd = mulberry32(21);
    for (let i = 0; i < share(5000); i++) {
      let t = "";
      for (let j = Math.floor(rnd() * 30); j >= 0; j--) t += parts[Math.floor(rnd() * parts.length)];
      const want = ref(t); // tiktoken receives UTF-8: a lone surrogate is U+FFFD
      expect(o200kPieces(t), JSON.stringify(t)).toEqual(regexPieces(t));
      expect(count(t), JSON.stringify(t)).toBe(want);
      expect(count(t + "\udc00 tail", 0, t.length), JSON.stringify(t)).toBe(want);
      const out: number[] = [];
      expect(count.parts("ab " + t + " cd", [3, 3 + t.length], out), JSON.stringify(t)).toBe(ref("ab " + t + " cd"));
      expect(out[0], JSON.stringify(t)).toBe(want);
      expect(enc(t).length, JSON.stringify(t)).toBe(want);
    }
  });

  it("is exact with a tiny memo that is cleared all the time", () => {
    const count = makeO200kCounter(bpe, 3);
    for (const t of fuzz(11, 3000, 60)) expect(count(t)).toBe(ref(t));
  });
});

describe("piece merges", () => {
  const core = (o200k as unknown as { bytePairEncodingCoreProcessor: { bytePairEncode(s: string): number[]; getBpeRankFromBytes(b: Uint8Array): number | undefined } }).bytePairEncodingCoreProcessor;
  const fuzzPieces = (seed: number, n: number, maxRun: number) => {
    const rnd = mulberry32(seed);
    const runs = ["a", "ab", "Zq", "中", "é", "😀", " ", "-", "=", "9", "x", "ſ", "\ufeff", "\u0301"];
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      let piece = "";
      const unit = runs[Math.floor(rnd() * runs.length)]!;
      for (let j = Math.floor(rnd() * maxRun); j >= 0; j--) piece += rnd() < 0.8 ? unit : runs[Math.floor(rnd() * runs.length)];
      out.push(piece);
    }
    return out;
  };

  it("the heap merge merges exactly as gpt-tokenizer's quadratic loop on 3,000 fuzzed single pieces", () => {
    const rank = (b: Uint8Array) => core.getBpeRankFromBytes(b);
    const utf8 = new TextEncoder();
    for (const piece of fuzzPieces(3, 3000, 60)) {
      if (piece.includes("\ufeff")) continue; // gpt-tokenizer's string lookup drops a leading BOM (see vocab.ts)
      expect(heapMerge(utf8.encode(piece), rank, true), JSON.stringify(piece)).toEqual(core.bytePairEncode(piece));
    }
  });

  it("the vocabulary's piece encoder merges as gpt-tokenizer's loop on 3,000 fuzzed single pieces, and as the heap merge (BOMs included)", () => {
    const rank = (b: Uint8Array) => {
      const r = vocab.rank(b, 0, b.length);
      return r < 0 ? undefined : r;
    };
    const utf8 = new TextEncoder();
    let boms = 0;
    for (const piece of fuzzPieces(4, 3000, 90)) {
      const ids = bpe.ids(piece);
      expect(bpe.count(piece)).toBe(ids.length);
      expect(ids, JSON.stringify(piece)).toEqual(heapMerge(utf8.encode(piece), rank, true));
      if (piece.includes("\ufeff")) boms++;
      else expect(ids, JSON.stringify(piece)).toEqual(core.bytePairEncode(piece));
    }
    expect(boms).toBeGreaterThan(100);
  });
});

describe("vocabulary table (src/tokens/vocab.ts)", () => {
  it("holds every token of gpt-tokenizer's o200k rank list at its rank, and no other byte string", async () => {
    const list = await o200kRankList();
    expect(vocab.size).toBe(list.length);
    const utf8 = new TextEncoder();
    for (let r = 0; r < list.length; r++) {
      const v = list[r]!;
      const b = typeof v === "string" ? utf8.encode(v) : Uint8Array.from(v);
      if (vocab.rank(b, 0, b.length) !== r) expect.fail(`token ${r} (${JSON.stringify(v)}) looks up as ${vocab.rank(b, 0, b.length)}`);
    }
    for (const s of ["", "xqzxqzxqzxqz", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"]) expect(vocab.rank(utf8.encode(s), 0, utf8.encode(s).length)).toBe(-1);
  });

  it("is loaded from the build's file (same table), and a file from another gpt-tokenizer version is not used", () => {
    expect(existsSync(VOCAB_FILE), `${VOCAB_FILE}: written by npm run build`).toBe(true);
    const bytes = readFileSync(VOCAB_FILE);
    const fromFile = Vocab.deserialize(bytes, gptTokenizerVersion())!;
    expect(fromFile).not.toBeNull();
    expect(Buffer.from(fromFile.blob).equals(Buffer.from(vocab.blob))).toBe(true);
    expect(Array.from(fromFile.offsets)).toEqual(Array.from(vocab.offsets));
    expect(Vocab.deserialize(bytes, "0.0.0-other")).toBeNull();
    expect(Vocab.deserialize(bytes.subarray(0, bytes.length - 1), gptTokenizerVersion())).toBeNull(); // truncated
  });

  it("decodes ids and special tokens as one UTF-8 text: an incomplete character at either end is U+FFFD, nothing carried to the next call", async () => {
    const specials = new Map([...(await o200kSpecialTokens())].map(([t, id]) => [id, t]));
    const text = "Let $x=中文😀$.";
    const ids = Array.from(tiktoken.encode_ordinary(text));
    expect(vocab.decode(ids)).toBe(text);
    expect(vocab.decode([...ids, 199999], specials)).toBe(text + "<|endoftext|>");
    const emoji = Array.from(tiktoken.encode_ordinary("😀😀😀"));
    const split = emoji.findIndex((_, k) => k > 0 && !vocab.decode(emoji.slice(0, k)).endsWith("😀"));
    if (split > 0) {
      expect(vocab.decode(emoji.slice(0, split))).toContain("\ufffd");
      expect(vocab.decode(ids)).toBe(text); // no bytes held back from the call before
    }
    expect(() => vocab.decode([250000])).toThrow(/no token 250000/);
  });
});

describe("long pieces (heap merge)", () => {
  it("counts and encodes pieces far over LONG_PIECE exactly as tiktoken, decoding to the text", () => {
    const enc = makeO200kEncoder(bpe);
    const count = makeO200kCounter(bpe);
    const rnd = mulberry32(5);
    const long = [
      "a".repeat(5000),
      " ".repeat(4321) + "x",
      "\\frac{" + "9".repeat(2500) + "}{2}",
      "😀".repeat(1500) + "é".repeat(777),
      "中".repeat(LONG_PIECE + 1),
      "-".repeat(3000) + "\n\n",
      Array.from({ length: 3000 }, () => "xyzXYZ"[Math.floor(rnd() * 6)]).join(""),
    ];
    for (const t of long) {
      const ids = enc(t);
      expect(ids, t.slice(0, 20)).toEqual(Array.from(tiktoken.encode_ordinary(t)));
      expect(count(t), t.slice(0, 20)).toBe(ids.length);
      expect(decode(ids)).toBe(t);
    }
  });
});

describe("o200k encoder", () => {
  it(`gives tiktoken's ids on ${share(20_000)} fuzzed strings, as many as the counter counts, with a memo cleared all the time too`, () => {
    const enc = makeO200kEncoder(bpe);
    const tiny = makeO200kEncoder(bpe, 3);
    const count = makeO200kCounter(bpe);
    let ids = 0;
    for (const t of fuzz(23, share(20_000), 40)) {
      const mine = enc(t);
      expect(mine, JSON.stringify(t)).toEqual(Array.from(tiktoken.encode_ordinary(t)));
      expect(tiny(t)).toEqual(mine);
      expect(mine.length).toBe(count(t));
      ids += mine.length;
    }
    expect(ids).toBeGreaterThan(share(200_000));
  });
});

/** Every string value in a JSON value (nested arrays and objects included), with its JSON path. */
function* strings(v: unknown, path: string): Generator<[string, string]> {
  if (typeof v === "string") yield [path, v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* strings(v[i], `${path}[${i}]`);
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) yield* strings(x, `${path}.${k}`);
}

/**
 * The rows of ../shared/data the real-data check reads. By default a fixed sample (the whole sweep
 * was ~75 % of this file's cost): the first two rows of every file, one row in sixteen picked by a
 * seeded hash of file and row, and every row with a character where JavaScript and Rust disagree
 * (U+0085, U+FEFF, ſ, K, line/paragraph separators, astral or escaped surrogates). Every file, every
 * field and non-ASCII text come in (rows per file are printed). CURATE_TEST_FULL=1 reads every row:
 *   CURATE_TEST_FULL=1 npx vitest run test/tokens/token-count.test.ts
 */
const RARE = /[\u0085\ufeff\u017f\u212a\u2028\u2029]|\\u[dD][89a-fA-F]|\\u(0085|feff|FEFF|017f|212a|2028|2029)|[\u{10000}-\u{10ffff}]/u;
const sampled = (file: string, i: number, line: string) => FULL || i < 2 || RARE.test(line) || seededHash(5, `${file}:${i}`) % 16 === 0;

describe("real data", () => {
  const dirs = ["traces", "problems", "benchmarks"].map((d) => join(sharedData, d)).filter((d) => existsSync(d));
  it.skipIf(dirs.length < 3)(`counts every string of ${FULL ? "every" : "a fixed sample of"} row in ../shared/data exactly as tiktoken; trace responses to tiktoken's ids`, () => {
    const count = makeO200kCounter(bpe);
    const enc = makeO200kEncoder(bpe);
    let texts = 0;
    let tokens = 0;
    let encoded = 0;
    const files = new Map<string, number>();
    for (const d of dirs) {
      for (const f of readdirSync(d).filter((x) => x.endsWith(".jsonl")).sort()) {
        const lines = readFileSync(join(d, f), "utf8").split("\n");
        files.set(f, 0);
        lines.forEach((line, i) => {
          if (!line || !sampled(f, i, line)) return;
          files.set(f, files.get(f)! + 1);
          for (const [path, t] of strings(JSON.parse(line), "$")) {
            const want = tiktoken.encode_ordinary(t);
            const n = count(t);
            if (n !== want.length) expect.fail(`${f} row ${i + 1} ${path}: ${n} tokens, tiktoken ${want.length}`);
            if (d.endsWith("traces") && path === "$.response") {
              const ids = enc(t);
              if (ids.some((x, k) => x !== want[k])) expect.fail(`${f} row ${i + 1} ${path}: other ids than tiktoken's`);
              encoded++;
            }
            texts++;
            tokens += n;
          }
        });
      }
    }
    console.log(`o200k vs tiktoken (${FULL ? "every row" : "sample"}): ${texts} strings, ${tokens} tokens equal; ${encoded} trace responses encoded to the same ids; rows per file ${JSON.stringify(Object.fromEntries(files))}`);
    expect(files.size).toBeGreaterThanOrEqual(15);
    for (const [f, n] of files) expect(n, f).toBeGreaterThan(0);
    // the whole data: >100k strings, >10M tokens, >3000 responses; the sample about a sixteenth of it
    expect(texts).toBeGreaterThan(FULL ? 100_000 : 6000);
    expect(tokens).toBeGreaterThan(FULL ? 10_000_000 : 600_000);
    expect(encoded).toBeGreaterThan(FULL ? 3000 : 300);
  });
});
