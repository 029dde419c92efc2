/**
 * The decontamination tokeniser's output: reusable typed buffers of one text's tokens (ids, kinds,
 * spans, canonical characters) and its content stream, which the n-gram keys are formed from.
 */
import { grown } from "../text/code-units.js";

export const TOKEN_WORD = 0;
export const TOKEN_NUMBER = 1;
/** an operator, a single letter or a LaTeX command */
export const TOKEN_SYMBOL = 2;

/** Reusable token buffers. `count` tokens are valid; buffers grow as needed. */
export class TokenStream {
  count = 0;
  /**
   * token id (unmasked): FNV-1a of the canonical text, stored as int32 (the bits of the unsigned
   * fnv1a value) so that loads stay small integers in the JIT's eyes
   */
  hash = new Int32Array(256);
  /** token id with numbers masked */
  masked = new Int32Array(256);
  /** 1 when the token is a number */
  isNumber = new Uint8Array(256);
  /** TOKEN_WORD, TOKEN_NUMBER or TOKEN_SYMBOL */
  kind = new Uint8Array(256);
  /** character span in the source text: [srcStart, srcEnd) */
  srcStart = new Uint32Array(256);
  srcEnd = new Uint32Array(256);
  /** span of the token's canonical characters in `canon` */
  canonStart = new Uint32Array(257);
  canon = new Uint16Array(1024);
  canonLength = 0;
  /** content stream: masked ids of the tokens that are not stopwords, and their token positions */
  contentCount = 0;
  content = new Int32Array(256);
  contentPos = new Uint32Array(256);
  /** were spans, isNumber and the canonical text written (tokenize's `full`)? */
  full = true;

  reset(): void {
    this.count = 0;
    this.contentCount = 0;
    this.canonLength = 0;
    this.canonStart[0] = 0;
  }

  private growTokens(): void {
    const n = this.hash.length * 2;
    this.hash = grown(this.hash, n);
    this.masked = grown(this.masked, n);
    this.srcStart = grown(this.srcStart, n);
    this.srcEnd = grown(this.srcEnd, n);
    this.canonStart = grown(this.canonStart, n + 1);
    this.content = grown(this.content, n);
    this.contentPos = grown(this.contentPos, n);
    this.isNumber = grown(this.isNumber, n);
    this.kind = grown(this.kind, n);
  }

  /** make room for a text of `chars` characters: at most one token per character, ≤ 5 canonical characters each */
  ensure(chars: number): void {
    while (this.hash.length < chars + 2) this.growTokens();
    this.reserveCanon(chars * 5 + 16);
  }

  /** room for `extra` more canonical characters */
  reserveCanon(extra: number): void {
    if (this.canonLength + extra <= this.canon.length) return;
    let n = this.canon.length * 2;
    while (n < this.canonLength + extra) n *= 2;
    const b = new Uint16Array(n);
    b.set(this.canon.subarray(0, this.canonLength));
    this.canon = b;
  }

  /** canonical text of token k (for debugging and reports) */
  tokenText(k: number): string {
    return String.fromCharCode(...this.canon.subarray(this.canonStart[k]!, this.canonStart[k + 1]!));
  }
}
