/**
 * Seeded, order-independent sampling keys. Every sampling decision sorts by a key derived from
 * sha-256(seed, id) — never by arrival order — so the same config picks the same rows whatever the
 * number of workers or the batch sizes. Per-purpose keys mix a salt into the stored 64 bits with the
 * murmur3 finaliser, so one sha-256 per row serves every output.
 */
import { createHash } from "node:crypto";
import { fmix32u } from "../text/hash.js";
import type { RowTable } from "./table.js";

/** Two uint32 words of sha-256(seed \0 text). */
export function sampleWords(seed: number, text: string): [number, number] {
  const d = createHash("sha256").update(`${seed}\u0000${text}`).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/** A uint32 salt for a purpose string (e.g. "sft:order"). */
export function saltOf(purpose: string): number {
  return createHash("sha256").update(purpose).digest().readUInt32BE(0);
}

/** 53-bit sort key in [0, 2^53) from the stored words, a salt and an optional extra word (e.g. an epoch). */
export function orderKey(h1: number, h2: number, salt: number, extra = 0): number {
  const a = fmix32u((h1 ^ salt ^ Math.imul(extra, 0x9e3779b9)) >>> 0);
  const b = fmix32u((h2 ^ fmix32u((salt + extra) >>> 0)) >>> 0);
  return a * 2097152 + (b >>> 11);
}

/** Sort indices by a 53-bit key (ties by index): deterministic, independent of arrival order. */
export function sortByKey(indices: Int32Array, key: (i: number) => number): Int32Array {
  const keys = new Float64Array(indices.length);
  for (let j = 0; j < indices.length; j++) keys[j] = key(indices[j]!);
  const perm = new Int32Array(indices.length);
  for (let j = 0; j < perm.length; j++) perm[j] = j;
  perm.sort((a, b) => keys[a]! - keys[b]! || indices[a]! - indices[b]!);
  const out = new Int32Array(indices.length);
  for (let j = 0; j < perm.length; j++) out[j] = indices[perm[j]!]!;
  return out;
}

/** The key of table row i for one purpose (e.g. "sft:order"); `extra` e.g. an epoch. */
export function rowKey(t: RowTable, purpose: string, extra = 0): (i: number) => number {
  const salt = saltOf(purpose);
  return (i) => orderKey(t.h1[i]!, t.h2[i]!, salt, extra);
}
