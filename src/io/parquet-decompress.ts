/**
 * Page decompression that never trusts the page header: every codec is held to the header's
 * uncompressed size (a page that inflates to more is an error, found before the extra bytes are
 * kept), and pages too big to hold are decompressed in pieces (`streamPage`) so a 400 MB cell costs
 * a window, not 400 MB.
 */
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflateRaw, gunzipSync, inflateRawSync } from "node:zlib";
import type { Readable } from "node:stream";
import { closeStream, type ByteSource } from "./byte-source.js";
import { Decompress as ZstdStream } from "fzstd";
import { compressors } from "hyparquet-compressors";
import { wasmZstdDecompress } from "./parquet-write.js";

/** zstd's own decoder refuses windows over 2^27 bytes by default; so do we (fzstd would allocate them). */
const MAX_ZSTD_WINDOW = 1 << 27;
const PIECE = 1 << 20;

function varint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 35; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if (!(bytes[i]! & 0x80)) return { value, next: i + 1 };
  }
  throw new Error("snappy stream has no valid length header");
}

/** The first zstd frame's header: window (bytes the decoder keeps) and content size when stated. */
export function zstdFrame(bytes: Uint8Array): { window: number; content: number | null } {
  if (bytes.length < 6 || bytes[0] !== 0x28 || bytes[1] !== 0xb5 || bytes[2] !== 0x2f || bytes[3] !== 0xfd) {
    throw new Error("zstd page does not start with a zstd frame");
  }
  const fhd = bytes[4]!;
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  let at = 5;
  let window = 0;
  if (!single) {
    const wd = bytes[at++]!;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  at += dictBytes;
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  let content: number | null = null;
  if (fcsBytes) {
    content = 0;
    for (let i = 0; i < fcsBytes; i++) content += bytes[at + i]! * 2 ** (8 * i);
    if (fcsBytes === 2) content += 256;
  }
  return { window: single ? (content ?? 0) : window, content };
}

function mismatch(got: number, declared: number): Error {
  const d = declared.toLocaleString("en-US");
  return new Error(got > declared ? `page decompresses to more than the ${d} bytes its header declares` : `page decompresses to only ${got.toLocaleString("en-US")} of the ${d} bytes its header declares`);
}

function zstdInMemory(input: Uint8Array, size: number): Uint8Array {
  const frame = zstdFrame(input);
  if (frame.content !== null && frame.content > size) throw mismatch(frame.content, size);
  // the WASM decoder (when loaded) sizes its output from the first frame; a page of several frames,
  // or one it cannot decode, goes the JS way
  if (frame.content === null || frame.content === size) {
    const out = wasmZstdDecompress(input, size);
    if (out) return out;
  }
  if (frame.window > MAX_ZSTD_WINDOW) throw new Error(`zstd window of ${frame.window.toLocaleString("en-US")} bytes is over the ${MAX_ZSTD_WINDOW.toLocaleString("en-US")}-byte limit`);
  const out = new Uint8Array(size);
  let at = 0;
  const z = new ZstdStream((chunk) => {
    if (at + chunk.length > size) throw mismatch(at + chunk.length, size);
    out.set(chunk, at);
    at += chunk.length;
  });
  z.push(input, true);
  if (at !== size) throw mismatch(at, size);
  return out;
}

function isGzip(b: Uint8Array): boolean {
  return b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Decompress one page held in memory to exactly `size` bytes, or throw saying how it differs. */
export function decompressChecked(codec: string, input: Uint8Array, size: number): Uint8Array {
  let out: Uint8Array;
  switch (codec) {
    case "UNCOMPRESSED":
      out = input;
      break;
    case "SNAPPY": {
      const stated = varint(input, 0).value;
      if (stated !== size) throw mismatch(stated, size);
      out = compressors.SNAPPY!(input, size);
      break;
    }
    case "GZIP": {
      const opts = { maxOutputLength: Math.max(size, 1) };
      try {
        out = isGzip(input) ? gunzipSync(input, opts) : inflateRawSync(input, opts);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw mismatch(size + 1, size);
        throw e;
      }
      break;
    }
    case "BROTLI":
      try {
        out = brotliDecompressSync(input, { maxOutputLength: Math.max(size, 1) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw mismatch(size + 1, size);
        throw e;
      }
      break;
    case "ZSTD":
      out = zstdInMemory(input, size);
      break;
    case "LZ4":
    case "LZ4_RAW":
      out = lz4(codec, input, size);
      break;
    default:
      throw new Error(`unsupported compression codec ${codec}`);
  }
  if (out.length !== size) throw mismatch(out.length, size);
  return out;
}

// ---------------------------------------------------------------------------------------------
// LZ4 (exact: the bundled decoders write into a buffer of the declared size and drop the rest)

/** One LZ4 block into out[o, …); returns the new end; throws when it would pass out's end. */
function lz4Block(input: Uint8Array, out: Uint8Array, o: number): number {
  let i = 0;
  while (i < input.length) {
    const token = input[i++]!;
    let lit = token >> 4;
    if (lit === 15) for (let b = 255; b === 255 && i < input.length; lit += b) b = input[i++]!;
    if (i + lit > input.length) throw new Error("lz4 literal runs past the end of its block");
    if (o + lit > out.length) throw mismatch(o + lit, out.length);
    out.set(input.subarray(i, i + lit), o);
    i += lit;
    o += lit;
    if (i >= input.length) break; // the last sequence has no match
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    let len = (token & 15) + 4;
    if (len === 19) for (let b = 255; b === 255 && i < input.length; len += b) b = input[i++]!;
    if (offset === 0 || offset > o) throw new Error(`lz4 match reaches ${offset} bytes back, before the start of the page`);
    if (o + len > out.length) throw mismatch(o + len, out.length);
    for (let k = 0; k < len; k++) out[o + k] = out[o - offset + k]!;
    o += len;
  }
  return o;
}

/** Hadoop-framed LZ4 ([size][compressed size][block]…) when the frames fit exactly, else one raw block. */
function lz4Hadoop(input: Uint8Array, out: Uint8Array): number {
  const be = (at: number) => ((input[at]! << 24) | (input[at + 1]! << 16) | (input[at + 2]! << 8) | input[at + 3]!) >>> 0;
  let i = 0;
  let o = 0;
  while (i + 8 <= input.length) {
    const plain = be(i);
    const packed = be(i + 4);
    if (i + 8 + packed > input.length || o + plain > out.length) return -1;
    let end: number;
    try {
      end = lz4Block(input.subarray(i + 8, i + 8 + packed), out.subarray(0, o + plain), o);
    } catch {
      return -1;
    }
    if (end !== o + plain) return -1;
    i += 8 + packed;
    o = end;
  }
  return i === input.length ? o : -1;
}

function lz4(codec: string, input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let n = codec === "LZ4" ? lz4Hadoop(input, out) : -1;
  if (n < 0) n = lz4Block(input, out, 0);
  if (n !== size) throw mismatch(n, size);
  return out;
}

// ---------------------------------------------------------------------------------------------
// in pieces

type Sink = (piece: Uint8Array) => void;

/** Snappy decoded piece by piece with a 64 KiB history (the reference compressor never copies from further back). */
class SnappyPieces {
  private static readonly WINDOW = 1 << 16;
  private pending = new Uint8Array(0); // compressed bytes of an element split across pieces
  private out = new Uint8Array(SnappyPieces.WINDOW + PIECE);
  private o = 0; // out[0, o): history, then bytes not yet passed on from `emitted`
  private emitted = 0;
  private started = false;
  constructor(private readonly sink: Sink) {}

  private flush(): void {
    if (this.o > this.emitted) this.sink(this.out.slice(this.emitted, this.o));
    const keep = Math.min(this.o, SnappyPieces.WINDOW);
    this.out.copyWithin(0, this.o - keep, this.o);
    this.o = this.emitted = keep;
  }

  write(piece: Uint8Array): void {
    const buf = this.pending.length ? concat(this.pending, piece) : piece;
    let i = 0;
    if (!this.started) {
      if (buf.length < 5 && (buf[buf.length - 1]! & 0x80)) {
        this.pending = buf.slice();
        return;
      }
      i = varint(buf, 0).next; // the stated length was checked against the header before
      this.started = true;
    }
    const out = this.out;
    while (i < buf.length) {
      const tag = buf[i]!;
      const kind = tag & 3;
      const small = tag >> 2;
      const head = kind === 0 ? (small < 60 ? 1 : small - 58) : kind === 1 ? 2 : kind === 2 ? 3 : 5;
      if (i + head > buf.length) break;
      const len = kind === 0 ? (small < 60 ? small + 1 : 1 + readLE(buf, i + 1, small - 59)) : kind === 1 ? (small & 7) + 4 : small + 1;
      if (len > PIECE) throw new Error(`snappy literal of ${len.toLocaleString("en-US")} bytes is longer than the ${PIECE}-byte piece this page is read in`);
      const need = kind === 0 ? head + len : head;
      if (i + need > buf.length) break;
      if (this.o + len > out.length) this.flush();
      const o = this.o;
      if (kind === 0) {
        out.set(buf.subarray(i + head, i + need), o);
      } else {
        const offset = kind === 1 ? ((tag >> 5) << 8) | buf[i + 1]! : readLE(buf, i + 1, head - 1);
        if (offset === 0 || offset > o) throw new Error(`snappy copy reaches ${offset} bytes back, past the ${SnappyPieces.WINDOW}-byte window this page is read with`);
        for (let k = 0; k < len; k++) out[o + k] = out[o - offset + k]!;
      }
      this.o = o + len;
      i += need;
    }
    this.pending = buf.slice(i);
    if (this.o - this.emitted >= PIECE / 2) this.flush();
  }

  end(): void {
    if (this.pending.length) throw new Error("snappy stream ends inside an element");
    this.flush();
  }
}

function readLE(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v += b[at + k]! * 2 ** (8 * k);
  return v;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** fzstd decodes whatever it is given at once: feed it small slices so one call yields little. */
class ZstdPieces {
  private readonly z: ZstdStream;
  private first = true;
  constructor(sink: Sink) {
    this.z = new ZstdStream((chunk) => sink(chunk));
  }

  write(piece: Uint8Array): void {
    if (this.first) {
      const frame = zstdFrame(piece);
      if (frame.window > MAX_ZSTD_WINDOW) throw new Error(`zstd window of ${frame.window.toLocaleString("en-US")} bytes is over the ${MAX_ZSTD_WINDOW.toLocaleString("en-US")}-byte limit`);
      this.first = false;
    }
    // a zstd block header is 3 bytes and an RLE block inflates 1 byte to 128 KiB: 256-byte slices
    // keep one call under ~8 MiB of output
    for (let at = 0; at < piece.length; at += 256) this.z.push(piece.subarray(at, Math.min(at + 256, piece.length)), false);
  }

  end(): void {
    this.z.push(new Uint8Array(0), true);
  }
}

async function zlibPieces(input: Readable, inflater: NodeJS.ReadWriteStream & Readable, sink: Sink): Promise<void> {
  input.on("error", (e) => inflater.destroy(e));
  try {
    for await (const chunk of input.pipe(inflater) as AsyncIterable<Buffer>) sink(chunk);
  } finally {
    inflater.destroy();
    await closeStream(input);
  }
}

async function pushFile(file: ByteSource, start: number, end: number, into: { write(p: Uint8Array): void; end(): void }): Promise<void> {
  const input = file.stream(start, end);
  try {
    for await (const piece of input as AsyncIterable<Buffer>) into.write(piece);
  } finally {
    await closeStream(input);
  }
  into.end();
}

/** Thrown by a sink that has all it needs from a page: the rest is not decompressed (nor checked). */
export class PageDone extends Error {
  constructor() {
    super("page read as far as needed");
  }
}

/**
 * Pass the decompressed bytes of file[start, end) to `sink` in pieces of at most a few MiB, stopping
 * with an error as soon as they pass `size` (and checking they reach it), or quietly when the sink
 * throws PageDone. LZ4 pages are not read this way.
 */
export async function streamPage(file: ByteSource, codec: string, start: number, end: number, size: number, sink: Sink): Promise<void> {
  try {
    await streamAll(file, codec, start, end, size, sink);
  } catch (e) {
    if (!(e instanceof PageDone)) throw e;
  }
}

async function streamAll(file: ByteSource, codec: string, start: number, end: number, size: number, sink: Sink): Promise<void> {
  let got = 0;
  const counted: Sink = (piece) => {
    got += piece.length;
    if (got > size) throw mismatch(got, size);
    sink(piece);
  };
  if (codec === "UNCOMPRESSED") {
    await pushFile(file, start, end, { write: counted, end: () => {} });
  } else if (codec === "GZIP" || codec === "BROTLI") {
    let inflater: NodeJS.ReadWriteStream & Readable;
    if (codec === "BROTLI") inflater = createBrotliDecompress();
    else {
      const head = await firstBytes(file, start, end);
      inflater = isGzip(head) ? createGunzip() : createInflateRaw();
    }
    await zlibPieces(file.stream(start, end), inflater, counted);
  } else if (codec === "ZSTD") {
    await pushFile(file, start, end, new ZstdPieces(counted));
  } else if (codec === "SNAPPY") {
    const stated = varint(await firstBytes(file, start, end), 0).value;
    if (stated !== size) throw mismatch(stated, size);
    await pushFile(file, start, end, new SnappyPieces(counted));
  } else {
    throw new Error(`${codec} pages this big are not read (UNCOMPRESSED, SNAPPY, GZIP, BROTLI and ZSTD ones are read in pieces)`);
  }
  if (got !== size) throw mismatch(got, size);
}

function firstBytes(file: ByteSource, start: number, end: number): Promise<Uint8Array> {
  return file.read(start, Math.min(end, start + 8) - start);
}
