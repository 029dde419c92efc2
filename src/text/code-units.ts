/**
 * Text in reusable typed arrays, for hot loops: a scan over a typed array runs 2–4× faster in V8 than
 * one calling `charCodeAt`, and both forms here are written natively.
 */

const utf8 = new TextEncoder();

/**
 * A text's UTF-8 bytes (`TextEncoder.encodeInto`, lone surrogates as U+FFFD) at the start of a buffer
 * that grows to 3 bytes per UTF-16 unit and is reused across texts (keysFor 215 vs 193 MB per CPU
 * second on bench rows with a fresh buffer per text, median of 6 runs each). Used by the o200k
 * pre-tokeniser (65 → 98 MB per CPU second on Sky-T1 against charCodeAt, commit 5d937b1) and the
 * exact-key normaliser.
 */
/** `a` copied into a new array of its type with `length` elements (default twice as many): a grown buffer. */
export function grown<T extends Int32Array | Uint32Array | Uint8Array>(a: T, length = a.length * 2): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

export class Utf8Bytes {
  buf = new Uint8Array(1 << 16);

  /** Encodes `text` at offset 0 of `buf` (which may be replaced by a larger one); returns the byte count. */
  of(text: string): number {
    if (this.buf.length < 3 * text.length) this.buf = new Uint8Array(Math.max(3 * text.length, 2 * this.buf.length));
    return utf8.encodeInto(text, this.buf).written;
  }

  /** Drops a buffer grown past 16 MB by one huge text. */
  shrink(): void {
    if (this.buf.length > 1 << 24) this.buf = new Uint8Array(1 << 16);
  }
}

/**
 * A text's UTF-16 code units in a typed array: `u[i] === text.charCodeAt(i)` for i < text.length
 * (lone surrogates included), then a 0 at `u[text.length]`, written with `Buffer.write(…, "utf16le")`
 * (several GB/s). The quality detectors read these (computeSignals 61–76 → 106.6 MB per CPU second
 * on Sky-T1 against charCodeAt, bench/quality-bench.mjs, README).
 *
 * One instance per user: `of` overwrites the previous text's units and returns a view of the whole
 * buffer (it may be longer than the text; read below `text.length`, or up to the 0 after it).
 */
export class CodeUnits {
  private bytes = Buffer.alloc(1 << 14);
  private view = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length >> 1);

  of(text: string): Uint16Array {
    const need = 2 * (text.length + 1);
    if (this.bytes.length < need) this.resize(Math.max(need, 2 * this.bytes.length));
    this.bytes.write(text, 0, "utf16le");
    this.view[text.length] = 0;
    return this.view;
  }

  /** Drops a buffer grown past 32 MB by one huge text. */
  shrink(): void {
    if (this.bytes.length > 1 << 25) this.resize(1 << 14);
  }

  private resize(bytes: number): void {
    // Buffer.allocUnsafeSlow: never a slice of the shared pool, so the offset is 0 (aligned for 16-bit units)
    this.bytes = Buffer.allocUnsafeSlow(bytes);
    this.view = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length >> 1);
  }
}
