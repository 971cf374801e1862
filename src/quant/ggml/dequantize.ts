// Dequantization of ggml tensor data (the blocks of a GGUF tensor) to float32, bit for bit what ggml's C
// `dequantize_row_<type>` writes (ggml-org/ggml d99724f2, src/ggml-quants.c), for every ggml type a hub
// GGUF file uses. Two entry points: `dequantizeGgml` (whole buffers, allocating or into the caller's
// array) and `dequantizeGgmlInto` (a run of whole blocks at a byte offset into an array at an offset,
// nothing allocated: what a streaming reader calls chunk by chunk into a recycled Float32Array).
// WebAssembly SIMD kernels (dequantize-wasm.ts, src/wasm/kernels-ggml.ts) run where available for runs of at least
// WASM_MIN_VALUES values; elsewhere, and for short runs, the plain TypeScript ports of
// dequantize-ref.ts, which are also the twins tests compare the kernels with.
import { describeValue } from '../../core/describe.js';
import { decodeBf16Bulk, decodeFp16Bulk } from '../../formats/fast16.js';
import { dequantGgmlWasm, type GgmlKernelName } from './dequantize-wasm.js';
import * as ref from './dequantize-ref.js';
import { GGML_TYPES, ggmlTypeInfo, type GgmlType, type GgmlTypeInfo } from './types.js';

/**
 * How each dequantizable type decodes: its TypeScript port, and where one pays a WebAssembly kernel
 * and a TypeScript fast path for when the kernel does not run (same values; tests compare them).
 */
interface Decoder {
  readonly ref: ref.BlockDecoder;
  readonly wasm?: GgmlKernelName;
  readonly fast?: ref.BlockDecoder;
}

const LITTLE_ENDIAN = /* @__PURE__ */ new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** F32 on a little-endian host: the bytes are the values (one memcpy). */
const copyF32: ref.BlockDecoder = (s, off, n, out, o) => {
  new Uint8Array(out.buffer, out.byteOffset + 4 * o, 4 * n).set(s.subarray(off, off + 4 * n));
};

/** 16-bit codes at s[off..] as a Uint16Array (a view when aligned, else a copy), little-endian host. */
function codes16(s: Uint8Array, off: number, n: number): Uint16Array {
  const a = s.byteOffset + off;
  return a % 2 === 0 ? new Uint16Array(s.buffer, a, n) : new Uint16Array(s.slice(off, off + 2 * n).buffer);
}

/** F16 and BF16 on a little-endian host: lowp/formats' bulk decoders over the codes in place. */
const bulkF16: ref.BlockDecoder = (s, off, n, out, o) => decodeFp16Bulk(codes16(s, off, n), new Uint32Array(out.buffer, out.byteOffset + 4 * o, n));
const bulkBF16: ref.BlockDecoder = (s, off, n, out, o) => decodeBf16Bulk(codes16(s, off, n), new Uint32Array(out.buffer, out.byteOffset + 4 * o, n));

const DECODERS: Partial<Record<GgmlType, Decoder>> = {
  F32: { ref: ref.refF32, fast: LITTLE_ENDIAN ? copyF32 : undefined },
  F16: { ref: ref.refF16, wasm: 'f16ToF32', fast: LITTLE_ENDIAN ? bulkF16 : undefined },
  BF16: { ref: ref.refBF16, wasm: 'bf16ToF32', fast: LITTLE_ENDIAN ? bulkBF16 : undefined },
  F64: { ref: ref.refF64 },
  I8: { ref: ref.refI8 },
  I16: { ref: ref.refI16 },
  I32: { ref: ref.refI32 },
  Q4_0: { ref: ref.refQ4_0, wasm: 'dequantQ4_0' },
  Q4_1: { ref: ref.refQ4_1, wasm: 'dequantQ4_1' },
  Q5_0: { ref: ref.refQ5_0, wasm: 'dequantQ5_0' },
  Q5_1: { ref: ref.refQ5_1, wasm: 'dequantQ5_1' },
  Q8_0: { ref: ref.refQ8_0, wasm: 'dequantQ8_0' },
  Q8_1: { ref: ref.refQ8_1 },
  Q2_K: { ref: ref.refQ2_K, wasm: 'dequantQ2_K' },
  Q3_K: { ref: ref.refQ3_K, wasm: 'dequantQ3_K' },
  Q4_K: { ref: ref.refQ4_K, wasm: 'dequantQ4_K' },
  Q5_K: { ref: ref.refQ5_K, wasm: 'dequantQ5_K' },
  Q6_K: { ref: ref.refQ6_K, wasm: 'dequantQ6_K' },
  Q8_K: { ref: ref.refQ8_K, wasm: 'dequantQ8_K' },
  IQ2_XXS: { ref: ref.refIQ2_XXS, wasm: 'dequantIQ2_XXS' },
  IQ2_XS: { ref: ref.refIQ2_XS, wasm: 'dequantIQ2_XS' },
  IQ2_S: { ref: ref.refIQ2_S, wasm: 'dequantIQ2_S' },
  IQ3_XXS: { ref: ref.refIQ3_XXS, wasm: 'dequantIQ3_XXS' },
  IQ3_S: { ref: ref.refIQ3_S, wasm: 'dequantIQ3_S' },
  IQ1_S: { ref: ref.refIQ1_S, wasm: 'dequantIQ1_S' },
  IQ1_M: { ref: ref.refIQ1_M, wasm: 'dequantIQ1_M' },
  IQ4_NL: { ref: ref.refIQ4_NL, wasm: 'dequantIQ4_NL' },
  IQ4_XS: { ref: ref.refIQ4_XS, wasm: 'dequantIQ4_XS' },
  TQ1_0: { ref: ref.refTQ1_0, wasm: 'dequantTQ1_0' },
  TQ2_0: { ref: ref.refTQ2_0, wasm: 'dequantTQ2_0' },
  MXFP4: { ref: ref.refMXFP4, wasm: 'dequantMXFP4' },
  NVFP4: { ref: ref.refNVFP4, wasm: 'dequantNVFP4' },
  Q1_0: { ref: ref.refQ1_0, wasm: 'dequantQ1_0' },
  Q2_0: { ref: ref.refQ2_0, wasm: 'dequantQ2_0' },
};

/**
 * The ggml types {@link dequantizeGgml} decodes: every type of lowp's table but I64 (whose values do
 * not all fit a float32 and which ggml itself never converts to float).
 *
 * @example
 * ```ts
 * import { GGML_DEQUANTIZE_TYPES } from 'lowp/quant';
 * GGML_DEQUANTIZE_TYPES.includes('Q4_K'); // true
 * ```
 */
export const GGML_DEQUANTIZE_TYPES: readonly GgmlType[] = Object.freeze(
  (Object.keys(GGML_TYPES) as GgmlType[]).filter((t) => DECODERS[t] !== undefined),
);

/**
 * Runs of fewer values than this take the TypeScript ports even where WebAssembly is available: the
 * copies in and out of the kernels' memory cost more than they save on a few blocks (measured, Node 20:
 * at 64 values both paths take about 0.25 µs, at 128 values the kernels take 0.6× the TypeScript time,
 * at 256 values 0.4×).
 */
export const WASM_MIN_VALUES = 128;

/**
 * A ggml type as the dequantizers accept it: a name (case-insensitive, as gguf-py spells it: 'Q4_K',
 * 'q4_k', 'IQ4_NL', 'MXFP4'), a GGUF type id, or a {@link GgmlTypeInfo} of {@link GGML_TYPES}.
 *
 * @example
 * ```ts
 * const a: GgmlTypeLike = 'q6_k';
 * const b: GgmlTypeLike = 14;               // Q6_K's GGUF id
 * const c: GgmlTypeLike = GGML_TYPES.Q6_K;
 * ```
 */
export type GgmlTypeLike = string | number | GgmlTypeInfo;

/**
 * The type info of a {@link GgmlTypeLike} argument of `fn`, or a TypeError saying what was expected.
 * @internal
 */
export function resolveGgmlType(type: unknown, fn: string): GgmlTypeInfo {
  if (typeof type === 'string' || typeof type === 'number') {
    try {
      return ggmlTypeInfo(type);
    } catch (e) {
      throw new TypeError(`${fn}: ${(e as Error).message}`);
    }
  }
  if (type !== null && typeof type === 'object') {
    const o = type as GgmlTypeInfo;
    // an own entry of the table only: an inherited name ('toString', '__proto__') is no ggml type
    const t = typeof o.name === 'string' && Object.prototype.hasOwnProperty.call(GGML_TYPES, o.name) ? GGML_TYPES[o.name] : undefined;
    if (t !== undefined && o.id === t.id && o.blockSize === t.blockSize && o.typeSize === t.typeSize) return t;
  }
  throw new TypeError(`${fn}: expected a ggml type (a name such as 'Q4_K', a GGUF type id, or an entry of GGML_TYPES), got ${describeValue(type)}`);
}

function decoderOf(t: GgmlTypeInfo, fn: string): Decoder {
  const d = DECODERS[t.name];
  if (d === undefined) {
    throw new TypeError(`${fn}: expected a type lowp dequantizes (${GGML_DEQUANTIZE_TYPES.join(', ')}), got ${t.name}`);
  }
  return d;
}

function checkBlocks(blocks: unknown, fn: string): asserts blocks is Uint8Array {
  if (!(blocks instanceof Uint8Array)) throw new TypeError(`${fn}: expected blocks as a Uint8Array, got ${describeValue(blocks)}`);
}

function checkCount(count: unknown, t: GgmlTypeInfo, what: string, fn: string): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`${fn}: expected ${what} as a non-negative integer, got ${describeValue(count)}`);
  }
  if (count % t.blockSize !== 0) {
    throw new RangeError(`${fn}: expected ${what} to be a whole number of ${t.name} blocks (a multiple of ${t.blockSize} values), got ${count}`);
  }
  return count;
}

function checkIndex(i: unknown, what: string, fn: string): number {
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) {
    throw new RangeError(`${fn}: expected ${what} as a non-negative integer, got ${describeValue(i)}`);
  }
  return i;
}

/** RangeError when writing `count` floats at `out[o]` would overwrite bytes [off, off + n) of `blocks`. */
function checkNoOverlap(blocks: Uint8Array, off: number, n: number, out: Float32Array, o: number, count: number, fn: string): void {
  if (out.buffer !== blocks.buffer || n === 0 || count === 0) return;
  const a0 = blocks.byteOffset + off;
  const b0 = out.byteOffset + 4 * o;
  if (a0 < b0 + 4 * count && b0 < a0 + n) {
    throw new RangeError(`${fn}: expected out not to overlap the blocks it decodes (they share an ArrayBuffer), got overlapping ranges`);
  }
}

/** Decodes `count` values (whole blocks, checked) from `blocks` at `off` into `out` at `o`. */
function run(t: GgmlTypeInfo, d: Decoder, blocks: Uint8Array, off: number, count: number, out: Float32Array, o: number): void {
  const nb = count / t.blockSize;
  if (nb === 0) return;
  if (d.wasm !== undefined && count >= WASM_MIN_VALUES && dequantGgmlWasm(d.wasm, t.typeSize, t.blockSize, blocks, off, nb, out, o)) return;
  (d.fast ?? d.ref)(blocks, off, nb, out, o);
}

/**
 * Options of {@link dequantizeGgml}.
 *
 * @example
 * ```ts
 * const opts: DequantizeGgmlOptions = { length: 256, out: new Float32Array(256) };
 * ```
 */
export interface DequantizeGgmlOptions {
  /**
   * Values to decode, a multiple of the type's block size; the first `length / blockSize` blocks are
   * read (`blocks` may hold more). Default: every block of `blocks`, whose length must then be a whole
   * number of blocks.
   */
  length?: number;
  /** Destination (at least `length` values; written from index 0). Default: a new Float32Array. */
  out?: Float32Array;
}

/**
 * Dequantizes ggml blocks (a GGUF tensor's data, or what a ggml quantizer wrote) to float32, bit for bit
 * as ggml's C `dequantize_row_<type>` does (every intermediate rounded to float32 in the C's order,
 * e.g. Q6_K's `(d·scale)·q`; fp16 block scales that are subnormal, infinite or NaN give what C gives:
 * ±inf, and NaN where C has NaN). Types: F32, F16, BF16, F64, I8, I16, I32, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M,
 * IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0, Q2_0 ({@link GGML_DEQUANTIZE_TYPES}). `blocks` is
 * never modified. Uses WebAssembly SIMD where available.
 *
 * @param blocks - the raw bytes: whole blocks, little-endian, as in a GGUF file.
 * @param type - the ggml type: name (case-insensitive), GGUF id or {@link GgmlTypeInfo}.
 * @param options - `length` (values to decode) and `out` (destination).
 * @returns the `length` values: `out` itself when its length is `length`, else `out.subarray(0, length)`;
 *   a new Float32Array when `out` is omitted.
 * @throws TypeError for a `blocks` that is not a Uint8Array, an unknown or undecodable type, an `out`
 *   that is not a Float32Array; RangeError for a `length` that is not a whole number of blocks or needs
 *   more bytes than `blocks` holds, a `blocks` of partial blocks (no `length`), an `out` shorter than
 *   `length` or overlapping `blocks`.
 * @example
 * ```ts
 * import { dequantizeGgml } from 'lowp/quant';
 * // one Q8_0 block: fp16 scale 0.5 (0x3800), then 32 int8 values
 * const block = new Uint8Array(34);
 * block[0] = 0x00; block[1] = 0x38;
 * block[2] = 3; block[3] = 0xfe; // 3 and -2
 * dequantizeGgml(block, 'q8_0').subarray(0, 3); // Float32Array [1.5, -1, 0]
 * ```
 */
export function dequantizeGgml(blocks: Uint8Array, type: GgmlTypeLike, options?: DequantizeGgmlOptions): Float32Array {
  const fn = 'dequantizeGgml';
  checkBlocks(blocks, fn);
  const t = resolveGgmlType(type, fn);
  const d = decoderOf(t, fn);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${fn}: expected options as an object ({ length, out }), got ${describeValue(options)}`);
  }
  const available = Math.floor(blocks.length / t.typeSize) * t.blockSize;
  let length: number;
  if (options?.length === undefined) {
    if (blocks.length % t.typeSize !== 0) {
      throw new RangeError(
        `${fn}: expected whole ${t.name} blocks (a multiple of ${t.typeSize} bytes), got ${blocks.length} bytes; pass options.length to decode fewer blocks`,
      );
    }
    length = available;
  } else {
    length = checkCount(options.length, t, 'options.length', fn);
    if (length > available) {
      throw new RangeError(`${fn}: expected options.length of at most ${available} (the whole ${t.name} blocks of ${blocks.length} bytes), got ${length}`);
    }
  }
  let out = options?.out;
  if (out === undefined) out = new Float32Array(length);
  else {
    if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: expected options.out as a Float32Array, got ${describeValue(out)}`);
    if (out.length < length) throw new RangeError(`${fn}: expected options.out to hold at least ${length} values, got ${describeValue(out)}`);
    checkNoOverlap(blocks, 0, (length / t.blockSize) * t.typeSize, out, 0, length, fn);
  }
  run(t, d, blocks, 0, length, out, 0);
  return out.length === length ? out : out.subarray(0, length);
}

/**
 * Dequantizes `count` values (whole blocks) of ggml data starting at byte `byteOffset` of `blocks` into
 * `out` from index `outOffset`, allocating nothing: the step of a streaming reader that decodes a tensor
 * chunk by chunk (each chunk a whole number of blocks) into a recycled Float32Array. Same values as
 * {@link dequantizeGgml}; `blocks` is never modified; bytes of `blocks` past the run are not read.
 *
 * @param blocks - bytes holding the run of blocks.
 * @param byteOffset - index in `blocks` of the run's first byte.
 * @param type - the ggml type: name (case-insensitive), GGUF id or {@link GgmlTypeInfo}.
 * @param count - values to decode, a multiple of the type's block size.
 * @param out - destination.
 * @param outOffset - index in `out` of the first value (default 0).
 * @returns the number of bytes read (`count / blockSize · typeSize`), the offset step to the next run.
 * @throws TypeError for bad argument types or an undecodable type; RangeError for offsets or counts
 *   that are not non-negative integers, a `count` that is not whole blocks, a run past the end of
 *   `blocks` or of `out`, or an `out` range that overlaps the blocks.
 * @example
 * ```ts
 * import { dequantizeGgmlInto, GGML_TYPES } from 'lowp/quant';
 * // a Q4_K tensor of 4096 values (16 blocks of 144 bytes), decoded 1024 values at a time
 * const data = new Uint8Array(16 * 144);
 * const buf = new Float32Array(1024);
 * let at = 0;
 * for (let v = 0; v < 4096; v += 1024) {
 *   at += dequantizeGgmlInto(data, at, GGML_TYPES.Q4_K, 1024, buf);
 *   // use buf (values v .. v + 1023)
 * }
 * ```
 */
export function dequantizeGgmlInto(
  blocks: Uint8Array,
  byteOffset: number,
  type: GgmlTypeLike,
  count: number,
  out: Float32Array,
  outOffset = 0,
): number {
  const fn = 'dequantizeGgmlInto';
  checkBlocks(blocks, fn);
  const off = checkIndex(byteOffset, 'byteOffset', fn);
  const t = resolveGgmlType(type, fn);
  const d = decoderOf(t, fn);
  const n = checkCount(count, t, 'count', fn);
  if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: expected out as a Float32Array, got ${describeValue(out)}`);
  const o = checkIndex(outOffset, 'outOffset', fn);
  const bytes = (n / t.blockSize) * t.typeSize;
  if (off + bytes > blocks.length) {
    throw new RangeError(`${fn}: expected ${bytes} bytes of ${t.name} blocks from byte ${off}, got ${Math.max(0, blocks.length - off)} bytes there`);
  }
  if (o + n > out.length) {
    throw new RangeError(`${fn}: expected out to hold ${n} values from index ${o}, got ${describeValue(out)}`);
  }
  checkNoOverlap(blocks, off, bytes, out, o, n, fn);
  run(t, d, blocks, off, n, out, o);
  return bytes;
}

/**
 * The reference TypeScript decoder of a type (tests compare the WebAssembly kernels with it).
 * @internal
 */
export function referenceDecoder(type: GgmlTypeLike): ref.BlockDecoder {
  const t = resolveGgmlType(type, 'referenceDecoder');
  return decoderOf(t, 'referenceDecoder').ref;
}
