/**
 * The o200k_base vocabulary as one byte table: token `r`'s bytes are `blob[offsets[r], offsets[r+1])`,
 * looked up by bytes in an open-addressing hash table. It replaces gpt-tokenizer's encoding object
 * on the counting and encoding paths: that module is 2.4 MB of JavaScript whose compile and rank
 * maps cost ~0.45 CPU-s in every process and thread that counts tokens; this table loads in
 * ~15 ms from the file `npm run build` writes (scripts/build-vocab.mjs → dist/tokens/o200k_base.vocab,
 * stamped with the gpt-tokenizer version it came from). Without that file (or from another version)
 * the table is built from gpt-tokenizer's rank list in-process, as slow as before but the same.
 *
 * Looking tokens up by their bytes (not by a decoded string, as gpt-tokenizer does) needs no special
 * case for the tokens that begin with a byte-order mark, which a TextDecoder would drop.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../version.js";
import { fmix32u, fnv1aBytes } from "../text/hash.js";

export const VOCAB_FILE = join(packageRoot, "dist", "tokens", "o200k_base.vocab");
const MAGIC = "curate-vocab-1";

export class Vocab {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly decoder = new TextDecoder();

  constructor(
    readonly blob: Uint8Array,
    /** token r's bytes are blob[offsets[r], offsets[r + 1]) (empty: no such token) */
    readonly offsets: Uint32Array,
  ) {
    const n = offsets.length - 1;
    let size = 1;
    while (size < n * 2) size <<= 1;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let r = 0; r < n; r++) {
      const s = offsets[r]!;
      const e = offsets[r + 1]!;
      if (e === s) continue;
      let k = fmix32u(fnv1aBytes(blob, s, e)) & this.mask;
      while (this.slots[k] !== -1) k = (k + 1) & this.mask;
      this.slots[k] = r;
    }
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** The token whose bytes are `b[s, e)`, or -1. */
  rank(b: Uint8Array, s: number, e: number): number {
    const blob = this.blob;
    const offsets = this.offsets;
    const len = e - s;
    let k = fmix32u(fnv1aBytes(b, s, e)) & this.mask;
    for (;;) {
      const r = this.slots[k]!;
      if (r === -1) return -1;
      const o = offsets[r]!;
      if (offsets[r + 1]! - o === len) {
        let i = 0;
        while (i < len && blob[o + i] === b[s + i]) i++;
        if (i === len) return r;
      }
      k = (k + 1) & this.mask;
    }
  }

  /**
   * The text of token ids: their bytes decoded as UTF-8 in one piece, so an incomplete sequence at
   * either end becomes U+FFFD (gpt-tokenizer's decode holds such bytes back in a shared decoder and
   * puts them in front of the next call's text). `specials`: ids past the vocabulary and their text.
   */
  decode(ids: ArrayLike<number>, specials?: ReadonlyMap<number, string>): string {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) parts.push(this.tokenBytes(ids[i]!, specials));
    return this.decoder.decode(Buffer.concat(parts));
  }

  private tokenBytes(id: number, specials?: ReadonlyMap<number, string>): Uint8Array {
    if (id >= 0 && id < this.size) return this.blob.subarray(this.offsets[id]!, this.offsets[id + 1]!);
    const special = specials?.get(id);
    if (special === undefined) throw new Error(`o200k_base: no token ${id}`);
    return Buffer.from(special, "utf8");
  }

  /** The table as a file: magic, source version, token count, offsets, bytes (little-endian). */
  serialize(sourceVersion: string): Buffer {
    const head = Buffer.from(`${MAGIC}\n${sourceVersion}\n`, "utf8");
    const out = Buffer.alloc(head.length + 4 + this.offsets.byteLength + this.blob.length);
    head.copy(out, 0);
    out.writeUInt32LE(this.offsets.length, head.length);
    let p = head.length + 4;
    for (const o of this.offsets) {
      out.writeUInt32LE(o, p);
      p += 4;
    }
    out.set(this.blob, p);
    return out;
  }

  /** The table of a file written by `serialize`, or null when it is not one (or from another version). */
  static deserialize(bytes: Uint8Array, sourceVersion: string): Vocab | null {
    const head = `${MAGIC}\n${sourceVersion}\n`;
    const h = Buffer.from(head, "utf8");
    if (bytes.length < h.length + 4 || !Buffer.from(bytes.buffer, bytes.byteOffset, h.length).equals(h)) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = view.getUint32(h.length, true);
    const blobStart = h.length + 4 + count * 4;
    if (count < 2 || blobStart > bytes.length) return null;
    const offsets = new Uint32Array(count);
    for (let i = 0; i < count; i++) offsets[i] = view.getUint32(h.length + 4 + i * 4, true);
    const blob = bytes.slice(blobStart);
    for (let i = 1; i < count; i++) if (offsets[i]! < offsets[i - 1]!) return null;
    if (offsets[count - 1] !== blob.length) return null;
    return new Vocab(blob, offsets);
  }

  /** The table of a rank list as gpt-tokenizer ships it: index = rank, a string or the token's bytes. */
  static fromRankList(list: readonly (string | readonly number[] | undefined)[]): Vocab {
    const enc = new TextEncoder();
    const parts = list.map((v) => (v === undefined ? new Uint8Array(0) : typeof v === "string" ? enc.encode(v) : Uint8Array.from(v)));
    const offsets = new Uint32Array(parts.length + 1);
    for (let r = 0; r < parts.length; r++) offsets[r + 1] = offsets[r]! + parts[r]!.length;
    const blob = new Uint8Array(offsets[parts.length]!);
    for (let r = 0; r < parts.length; r++) blob.set(parts[r]!, offsets[r]!);
    return new Vocab(blob, offsets);
  }
}

/** The installed gpt-tokenizer's version: the vocabulary file is valid only for the list it came from. */
export function gptTokenizerVersion(): string {
  return (createRequire(import.meta.url)("gpt-tokenizer/package.json") as { version: string }).version;
}

let cached: Promise<Vocab> | null = null;

/** The o200k_base vocabulary: from the build's file when it is current, else from gpt-tokenizer's rank list. */
export function loadO200kVocab(): Promise<Vocab> {
  cached ??= (async () => {
    const version = gptTokenizerVersion();
    try {
      const v = Vocab.deserialize(readFileSync(VOCAB_FILE), version);
      if (v) return v;
    } catch {
      /* no file: built below */
    }
    return Vocab.fromRankList(await o200kRankList());
  })();
  return cached;
}

/** o200k_base's special tokens (`<|endoftext|>` → 199999, …), from gpt-tokenizer's small parameters module. */
export async function o200kSpecialTokens(): Promise<ReadonlyMap<string, number>> {
  const mod = (await import("gpt-tokenizer/encodingParams/o200k_base")) as unknown as { createO200KSpecialTokenMap(): Map<string, number> };
  return mod.createO200KSpecialTokenMap();
}

/** gpt-tokenizer's o200k_base rank list (index = rank). */
export async function o200kRankList(): Promise<readonly (string | readonly number[])[]> {
  const mod = (await import("gpt-tokenizer/bpeRanks/o200k_base")) as unknown as { default: (string | number[])[] };
  return mod.default;
}
