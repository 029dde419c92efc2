/**
 * The MinHash inner loop in WebAssembly SIMD (i32x4): the same arithmetic as the JS loop in
 * minhash.ts — `min_s(imul(a_k, x) + b_k)` per permutation, int32 lanes, wrap-around multiply —
 * four permutations per instruction and 16 per pass over the shingles. The module is ~200 bytes and
 * is assembled here byte by byte (no build tool needed); when WebAssembly SIMD is unavailable the
 * caller falls back to the JS loop, and test/group/minhash.test.ts checks both give identical signatures.
 * Measured against the JS loop (128 permutations, 2,000-word documents, median of 6 runs each):
 * signatures 54,100 vs 6,000 per CPU second, whole sketches 10,200 vs 4,100.
 */

/** The slice of the WebAssembly JS API used here (lib "dom" is not in this project's tsconfig). */
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmInstance { readonly exports: Record<string, unknown> }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const SIMD = 0xfd;
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// params: 0 shingles ptr, 1 shingle count, 2 a ptr, 3 b ptr, 4 out ptr, 5 permutations (multiple of 16)
// locals: 6 k, 7 ptr, 8 end, 9 x, 10-13 a lanes, 14-17 b lanes, 18-21 minima
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32const = (n: number) => [0x41, ...sleb(n)];
const ADD = 0x6a, SHL = 0x74, GE_U = 0x4f;
const vload = (offset: number) => [SIMD, 0x00, 0x04, ...uleb(offset)];
const vstore = (offset: number) => [SIMD, 0x0b, 0x04, ...uleb(offset)];
const splat = [SIMD, 0x11];
const vadd = [SIMD, ...uleb(0xae)];
const vmul = [SIMD, ...uleb(0xb5)];
const vmin = [SIMD, ...uleb(0xb6)];

function body(): number[] {
  const code: number[] = [];
  const addrK = (base: number) => [...get(base), ...get(6), ...i32const(2), SHL, ADD];
  code.push(...get(0), ...get(1), ...i32const(2), SHL, ADD, ...set(8));
  code.push(...i32const(0), ...set(6));
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop (over permutation blocks)
  code.push(...get(6), ...get(5), GE_U, 0x0d, 1);
  for (let l = 0; l < 4; l++) code.push(...addrK(2), ...vload(16 * l), ...set(10 + l));
  for (let l = 0; l < 4; l++) code.push(...addrK(3), ...vload(16 * l), ...set(14 + l));
  code.push(...i32const(0x7fffffff), ...splat, ...tee(18), ...tee(19), ...tee(20), ...set(21));
  code.push(...get(0), ...set(7));
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop (over shingles)
  code.push(...get(7), ...get(8), GE_U, 0x0d, 1);
  code.push(...get(7), 0x28, 0x02, 0x00, ...splat, ...set(9));
  for (let l = 0; l < 4; l++) {
    code.push(...get(18 + l), ...get(10 + l), ...get(9), ...vmul, ...get(14 + l), ...vadd, ...vmin, ...set(18 + l));
  }
  code.push(...get(7), ...i32const(4), ADD, ...set(7), 0x0c, 0, 0x0b, 0x0b);
  for (let l = 0; l < 4; l++) code.push(...addrK(4), ...get(18 + l), ...vstore(16 * l));
  code.push(...get(6), ...i32const(16), ADD, ...set(6), 0x0c, 0, 0x0b, 0x0b);
  code.push(0x0b);
  const locals = [2, 3, I32, 13, V128];
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

function moduleBytes(): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name("mem"), 0x02, 0, ...name("sig"), 0x00, 0]),
    ...section(10, [1, ...body()]),
  ];
  return Uint8Array.from(bytes);
}

/** A SIMD signature kernel bound to one coefficient set; one instance per thread. */
export class SimdSignature {
  private readonly memory: WasmMemory;
  private readonly fn: (sh: number, n: number, a: number, b: number, out: number, k: number) => void;
  private readonly K: number;
  private shinglePtr: number;
  private capacity: number;
  private view: Int32Array;

  private constructor(instance: WasmInstance, a: Int32Array, b: Int32Array) {
    this.memory = instance.exports.mem as WasmMemory;
    this.fn = instance.exports.sig as SimdSignature["fn"];
    this.K = a.length;
    // layout: [a K][b K][out K][shingles …]
    this.shinglePtr = 3 * this.K * 4;
    this.view = new Int32Array(this.memory.buffer);
    this.view.set(a, 0);
    this.view.set(b, this.K);
    this.capacity = (this.memory.buffer.byteLength - this.shinglePtr) >>> 2;
  }

  /** null when this runtime has no WebAssembly SIMD or K is not a multiple of 16. */
  static create(a: Int32Array, b: Int32Array): SimdSignature | null {
    if (a.length % 16 !== 0 || !wasm) return null;
    try {
      const mod = new wasm.Module(moduleBytes());
      return new SimdSignature(new wasm.Instance(mod, {}), a, b);
    } catch {
      return null;
    }
  }

  signatureOf(shingles: Int32Array, out: Int32Array): Int32Array {
    const n = shingles.length;
    if (n > this.capacity) {
      const needBytes = this.shinglePtr + n * 4;
      const pages = Math.ceil((needBytes - this.memory.buffer.byteLength) / 65536);
      this.memory.grow(pages);
      this.view = new Int32Array(this.memory.buffer);
      this.capacity = (this.memory.buffer.byteLength - this.shinglePtr) >>> 2;
    }
    const K = this.K;
    this.view.set(shingles, this.shinglePtr >>> 2);
    this.fn(this.shinglePtr, n, 0, K * 4, 2 * K * 4, K);
    out.set(this.view.subarray(2 * K, 3 * K));
    return out;
  }
}
