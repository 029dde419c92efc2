/**
 * Rendering rollouts into training text, and exact token ids for packing.
 *
 * Token ids are produced piecewise: each template literal is encoded once, and the problem and the
 * response are encoded on their own (o200k: by the pre-tokens and piece encoder src/tokens/count.ts
 * counts with, so `encode(t).length === count(t)` for every text), then concatenated. So a document's
 * length is exactly
 *   literal tokens + record.tokens.problem + record.tokens.response
 * (`responseFormat: "think"`: + THINK_OPEN + record.tokens.reasoning + THINK_CLOSE +
 * record.tokens.solution, each piece encoded on its own) and budgets can be decided from the stored
 * counts before any text is read again. The ids decode to exactly the document text; a trainer that
 * re-tokenises the `text` column as one string may differ by a token at a literal/text join, which is
 * why packed outputs store `input_ids`.
 */
import type { MixConfig } from "../config/types.js";
import { countSegmented } from "../tokens/annotator.js";
import { vocabPieceBpe } from "../tokens/bpe.js";
import { loadO200kVocab, o200kSpecialTokens } from "../tokens/vocab.js";
import { makeO200kCounter, makeO200kEncoder } from "../tokens/count.js";
import type { Template } from "../config/outputs.js";
import type { Rollout } from "../record/rollout.js";
import { normalizeTrace } from "../record/trace.js";

/** `responseFormat: "think"`: reasoning re-wrapped uniformly whatever the source's tags */
export const THINK_OPEN = "<think>\n";
export const THINK_CLOSE = "\n</think>\n\n";

/** Reasoning and solution of a rollout with a reasoning block, else null (plain responses stay as they are). */
export function thinkParts(r: Rollout): { reasoning: string; solution: string } | null {
  const t = r.trace ?? normalizeTrace(r.response);
  return t.reasoning === null ? null : { reasoning: t.reasoning, solution: t.solution };
}

/** The response as written into a product: raw, or `<think>\n{reasoning}\n</think>\n\n{solution}`. */
export function renderResponse(r: Rollout, format: "raw" | "think"): string {
  if (format === "raw") return r.response;
  const parts = thinkParts(r);
  return parts ? THINK_OPEN + parts.reasoning + THINK_CLOSE + parts.solution : r.response;
}

export interface Encoder {
  /** exact ids (o200k: tiktoken's, by the counter's pre-tokens and piece encoder, so `encode(t).length === count(t)`; cl100k: space-aligned segments) */
  encode(text: string): number[];
  count(text: string): number;
  decode(ids: ArrayLike<number>): string;
  /** ids of a separator: a special token of the encoding becomes its single id, other text is encoded */
  separatorIds(text: string): number[];
}

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

type TokMod = {
  encode: (t: string, o?: { allowedSpecial?: Set<string>; disallowedSpecial?: Set<string> }) => number[];
  decode: (ids: Iterable<number>) => string;
};

const gptTokenizer = (tokenizer: MixConfig["tokenizer"]): Promise<TokMod> =>
  (tokenizer === "cl100k_base" ? import("gpt-tokenizer/encoding/cl100k_base") : import("gpt-tokenizer/encoding/o200k_base")) as unknown as Promise<TokMod>;

export async function loadEncoder(tokenizer: MixConfig["tokenizer"]): Promise<Encoder> {
  if (tokenizer === "cl100k_base") return cl100kEncoder(await gptTokenizer(tokenizer));
  // the pre-tokeniser, piece encoder and piece memo of the annotate counter (src/tokens/count.ts) over
  // the vocabulary table (src/tokens/vocab.ts): ~3× gpt-tokenizer's encode on math text, tiktoken's ids
  const vocab = await loadO200kVocab();
  const specials = await o200kSpecialTokens();
  const specialText = new Map([...specials].map(([text, id]) => [id, text]));
  const bpe = vocabPieceBpe(vocab);
  const encode = makeO200kEncoder(bpe);
  const count = makeO200kCounter(bpe);
  return {
    encode,
    count: (text) => count(text),
    decode: (ids) => vocab.decode(ids, specialText),
    separatorIds: (text) => {
      const id = specials.get(text);
      return id !== undefined ? [id] : encode(text);
    },
  };
}

/** The id of a special token of the encoding, or null when `text` is not one. */
function specialId(mod: TokMod, text: string): number[] | null {
  try {
    const ids = mod.encode(text, { allowedSpecial: new Set([text]) });
    if (ids.length === 1) return ids;
  } catch {
    /* not a special token of this encoding */
  }
  return null;
}

/** cl100k_base: gpt-tokenizer in space-aligned segments (see countSegmented). */
function cl100kEncoder(mod: TokMod): Encoder {
  const encode = (text: string): number[] => {
    const out: number[] = [];
    countSegmented(text, (s) => {
      const ids = mod.encode(s, NO_SPECIAL);
      for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
      return ids.length;
    });
    return out;
  };
  return {
    encode,
    count: (text) => countSegmented(text, (s) => mod.encode(s, NO_SPECIAL).length),
    decode: (ids) => mod.decode(Array.from(ids)),
    separatorIds: (text) => specialId(mod, text) ?? encode(text),
  };
}

export function render(t: Template, problem: string, response: string): string {
  const v = (s: "problem" | "response") => (s === "problem" ? problem : response);
  return t.literals[0] + v(t.slots[0]) + t.literals[1] + v(t.slots[1]) + t.literals[2];
}

/**
 * The pieces of a rendered document, each to be encoded on its own (see the module comment): the
 * template literals, the problem, and the response — or, with `think`, THINK_OPEN, the reasoning,
 * THINK_CLOSE and the solution. Concatenated they are the document text.
 */
export function documentPieces(t: Template, r: Rollout, think: boolean): string[] {
  const out: string[] = [t.literals[0]];
  const slot = (s: "problem" | "response") => {
    if (s === "problem") return void out.push(r.problem);
    const parts = think ? thinkParts(r) : null;
    if (!parts) return void out.push(r.response);
    out.push(THINK_OPEN, parts.reasoning, THINK_CLOSE, parts.solution);
  };
  slot(t.slots[0]);
  out.push(t.literals[1]);
  slot(t.slots[1]);
  out.push(t.literals[2]);
  return out;
}
