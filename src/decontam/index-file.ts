/**
 * The index file: a magic line naming the format version, a line with the SHA-256 of everything after
 * it, a JSON header line (options, problem ids and texts, the exact/digits keys, the array layout),
 * then the typed arrays of IndexParts, 8-byte aligned. A file of another version is refused, not
 * misread; so is a damaged one (a flipped byte in the arrays used to be read as it was, and could
 * let a benchmark problem through unflagged).
 */
import { createHash } from "node:crypto";
import type { IndexOptions } from "./index-options.js";
import { TABLES, type IndexParts } from "./index-build.js";
import { TABLE_ARRAYS, type PostingTable } from "./posting-table.js";

export const MAGIC = "CURATE-DECONTAM-INDEX-5\n";

const sha256 = (parts: Uint8Array[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

interface Header {
  options: IndexOptions;
  benchmarks: string[];
  itemId: string[];
  itemText: string[];
  exact: [number, number[]][];
  digits: [number, number[]][];
  masks: Record<string, number>;
  layout: { name: string; type: string; offset: number; length: number }[];
}

type StoredArray = Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** Serialise the parts to bytes. */
export function serializeIndex(parts: IndexParts): Buffer {
  const arrays: [string, StoredArray][] = [];
  for (const [name, arr] of Object.entries(parts.arrays)) arrays.push([name, arr]);
  for (const tn of TABLES) for (const an of TABLE_ARRAYS) arrays.push([`${tn}.${an}`, parts[tn][an]]);
  const layout: Header["layout"] = [];
  let offset = 0;
  for (const [name, arr] of arrays) {
    offset = (offset + 7) & ~7;
    layout.push({ name, type: arr.constructor.name, offset, length: arr.length });
    offset += arr.byteLength;
  }
  const header: Header = {
    options: parts.options,
    benchmarks: parts.benchmarks,
    itemId: parts.itemId,
    itemText: parts.itemText,
    exact: [...parts.exact.entries()],
    digits: [...parts.digits.entries()],
    masks: Object.fromEntries(TABLES.map((tn) => [tn, parts[tn].mask])),
    layout,
  };
  const head = Buffer.from(JSON.stringify(header) + "\n", "utf8");
  const body = Buffer.alloc(offset);
  for (let i = 0; i < arrays.length; i++) {
    const arr = arrays[i]![1];
    Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).copy(body, layout[i]!.offset);
  }
  return Buffer.concat([Buffer.from(`${MAGIC}${sha256([head, body])}\n`, "utf8"), head, body]);
}

/** Read the parts back; `source` names the file in errors. */
export function deserializeIndex(bytes: Uint8Array, source: string): IndexParts {
  const magic = Buffer.from(MAGIC, "utf8");
  if (bytes.length < magic.length || !Buffer.from(bytes.subarray(0, magic.length)).equals(magic)) {
    throw new Error(`${source}: not a curate decontamination index (expected it to start with ${JSON.stringify(MAGIC.trim())})`);
  }
  const sumEnd = magic.length + 64;
  if (bytes.length <= sumEnd || bytes[sumEnd] !== 10) throw new Error(`${source}: truncated decontamination index (no checksum line)`);
  const rest = bytes.subarray(sumEnd + 1);
  if (sha256([rest]) !== Buffer.from(bytes.subarray(magic.length, sumEnd)).toString("latin1")) {
    throw new Error(`${source}: damaged decontamination index (its SHA-256 does not match: cut short, or bytes changed on disk); build it again (curate decontaminate --build-index)`);
  }
  let nl = sumEnd + 1;
  while (nl < bytes.length && bytes[nl] !== 10) nl++;
  if (nl >= bytes.length) throw new Error(`${source}: truncated decontamination index (header has no end)`);
  const header = JSON.parse(Buffer.from(bytes.subarray(sumEnd + 1, nl)).toString("utf8")) as Header;
  const bodyStart = nl + 1;
  const ctors = { Int32Array, Uint16Array, Uint32Array, Uint8Array } as const;
  const get = (name: string): any => {
    const l = header.layout.find((x) => x.name === name);
    if (!l) throw new Error(`${source}: decontamination index lacks array ${name}`);
    const Ctor = ctors[l.type as keyof typeof ctors];
    if (!Ctor) throw new Error(`${source}: decontamination index array ${name} has unknown type ${l.type}`);
    const byteLen = l.length * Ctor.BYTES_PER_ELEMENT;
    if (bodyStart + l.offset + byteLen > bytes.length) throw new Error(`${source}: truncated decontamination index (array ${name})`);
    const copy = new Uint8Array(byteLen); // aligned copy
    copy.set(bytes.subarray(bodyStart + l.offset, bodyStart + l.offset + byteLen));
    return new Ctor(copy.buffer);
  };
  const table = (tn: string): PostingTable => ({
    mask: header.masks[tn]!,
    slotKey: get(`${tn}.slotKey`),
    slotList: get(`${tn}.slotList`),
    listStart: get(`${tn}.listStart`),
    postItem: get(`${tn}.postItem`),
    postPos: get(`${tn}.postPos`),
  });
  return {
    options: header.options,
    benchmarks: header.benchmarks,
    itemId: header.itemId,
    itemText: header.itemText,
    exact: new Map(header.exact),
    digits: new Map(header.digits),
    arrays: {
      itemBenchmark: get("itemBenchmark"),
      itemNgrams: get("itemNgrams"),
      itemSeeds: get("itemSeeds"),
      itemShingles: get("itemShingles"),
      itemAnchors: get("itemAnchors"),
      itemTokStart: get("itemTokStart"),
      itemTok: get("itemTok"),
      itemTokMasked: get("itemTokMasked"),
      itemTokWeight: get("itemTokWeight"),
      itemTokFlags: get("itemTokFlags"),
      itemWeight: get("itemWeight"),
    },
    ngrams: table("ngrams"),
    seeds: table("seeds"),
    shingles: table("shingles"),
    anchors: table("anchors"),
  };
}
