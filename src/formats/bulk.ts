// Bulk casts between float32/float64 arrays and arrays of codes, into a new array or one the caller
// owns (`out`). Default-policy bf16/fp16 casts between Float32Array and codes run lowp/wasm's bulk
// conversions (WebAssembly SIMD from 128 values, else the integer fast paths of fast16.ts: the same
// bits); every other combination runs the generic codec element by element.
// Nothing is allocated per element.
import { describeValue } from '../core/describe.js';
import { decodeGeneric, encodeGeneric } from './codec.js';
import { resolveCastOptions, type CastOptions } from './options.js';
import { BF16, FP16, getFormat, type FormatLike } from './registry.js';
import type { FloatFormat } from './spec.js';
import { bf16ToF32, f32ToBf16, f32ToFp16, fp16ToF32 } from '../wasm/convert.js';
import { checkOptionsObject } from '../core/options.js';

/** Arrays of codes: one byte per code up to 8 bits, two up to 16, four for fp32. */
export type CodeArray = Uint8Array | Uint16Array | Uint32Array;

/** Names of the built-in 16-bit formats (their codes are a Uint16Array). */
export type Format16Name = 'bf16' | 'bfloat16' | 'fp16' | 'float16' | 'half';

/** Names of the built-in formats of 8 bits or fewer (their codes are a Uint8Array, one per byte). */
export type Format8Name =
  | 'fp8-e4m3fn' | 'float8_e4m3fn' | 'fp8-e5m2' | 'float8_e5m2' | 'fp8-e4m3fnuz' | 'float8_e4m3fnuz'
  | 'fp8-e5m2fnuz' | 'float8_e5m2fnuz' | 'fp8-e8m0fnu' | 'float8_e8m0fnu' | 'fp6-e2m3fn' | 'float6_e2m3fn'
  | 'fp6-e3m2fn' | 'float6_e3m2fn' | 'fp4-e2m1fn' | 'float4_e2m1fn';

/** Sources a bulk encode accepts. */
export type FloatSource = Float32Array | Float64Array | readonly number[];

/** Options of {@link encodeArray}. */
export interface EncodeArrayOptions<O extends CodeArray = CodeArray> extends CastOptions {
  /** Destination of the codes, of exactly the source's length and the format's code type. */
  out?: O;
}

/** Options of {@link decodeArray}. */
export interface DecodeArrayOptions<O extends Float32Array | Float64Array = Float32Array | Float64Array> {
  /** Destination of the values, of exactly the codes' length. Default: a new Float32Array. */
  out?: O;
}

/**
 * The typed-array type that holds codes of `format`: Uint8Array up to 8 bits, Uint16Array up to 16,
 * Uint32Array for 32.
 *
 * @example
 * ```ts
 * codeArrayType('bf16') === Uint16Array; // true
 * codeArrayType('fp8-e4m3fn') === Uint8Array; // true
 * ```
 */
export function codeArrayType(format: FormatLike): typeof Uint8Array | typeof Uint16Array | typeof Uint32Array {
  const f = getFormat(format);
  return f.bits <= 8 ? Uint8Array : f.bits <= 16 ? Uint16Array : Uint32Array;
}

/**
 * True when two typed arrays share bytes. Writing `out` while still reading an overlapping source would
 * overwrite values not yet read (and the caller's array), so `out` must not overlap its source.
 */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function checkSource(src: unknown, fn: string): asserts src is FloatSource {
  if (!(src instanceof Float32Array) && !(src instanceof Float64Array) && !Array.isArray(src)) {
    throw new TypeError(`${fn}: expected a Float32Array, Float64Array or number[] source, got ${describeValue(src)}`);
  }
}

/**
 * Encodes every element of `src` into `format`, rounding each exact value once (a Float64Array is
 * rounded directly, never through float32). Returns `opts.out` when given (it must have exactly
 * `src.length` elements, be the format's code array type and share no memory with `src`, else a
 * `TypeError`/`RangeError`), else a new code array. `src` is never modified.
 *
 * @example
 * ```ts
 * const codes = encodeArray(new Float32Array([1, 0.1, 70000]), 'fp16'); // Uint16Array [0x3c00, 0x2e66, 0x7c00]
 * const out = new Uint16Array(3);
 * encodeArray([1, 2, 3], 'bf16', { out }); // writes into out
 * ```
 */
export function encodeArray(src: FloatSource, format: Format16Name, opts?: EncodeArrayOptions<Uint16Array>): Uint16Array;
export function encodeArray(src: FloatSource, format: Format8Name, opts?: EncodeArrayOptions<Uint8Array>): Uint8Array;
export function encodeArray(src: FloatSource, format: 'fp32' | 'float32', opts?: EncodeArrayOptions<Uint32Array>): Uint32Array;
export function encodeArray<O extends CodeArray = CodeArray>(src: FloatSource, format: FormatLike, opts?: EncodeArrayOptions<O>): O;
export function encodeArray<O extends CodeArray = CodeArray>(src: FloatSource, format: FormatLike, opts?: EncodeArrayOptions<O>): O {
  checkSource(src, 'encodeArray');
  checkOptionsObject(opts, 'encodeArray', '{ out }');
  const f = getFormat(format);
  const o = resolveCastOptions(f, opts);
  const Ctor = codeArrayType(f);
  const n = src.length;
  let out = opts?.out as CodeArray | undefined;
  if (out === undefined) out = new Ctor(n);
  else {
    if (!(out instanceof Ctor)) throw new TypeError(`encodeArray: out must be a ${Ctor.name} for ${f.name} codes, got ${describeValue(out)}`);
    if (out.length !== n) throw new RangeError(`encodeArray: out must have the source's length ${n}, got ${out.length}`);
    if (!Array.isArray(src) && overlaps(out, src as Float32Array | Float64Array)) {
      throw new RangeError(`encodeArray: out must not share memory with src (it would overwrite values not yet read), got ${describeValue(out)} over the same bytes`);
    }
  }
  const defaultPolicy = o.rounding === 'nearest-even' && o.overflow === 'inf' && !o.flushSubnormals;
  if (defaultPolicy && src instanceof Float32Array && (f === BF16 || f === FP16)) {
    // WebAssembly SIMD, or for short arrays (or without it) the fast16 integer paths: the same bits
    if (f === BF16) f32ToBf16(src, out as Uint16Array);
    else f32ToFp16(src, out as Uint16Array);
    return out as O;
  }
  if (Array.isArray(src)) {
    for (let i = 0; i < n; i++) {
      const x = src[i];
      if (typeof x !== 'number') throw new TypeError(`encodeArray: src[${i}] must be a number, got ${describeValue(x)}`);
      out[i] = encodeGeneric(x, f, o);
    }
  } else if (src instanceof Float32Array) {
    // NaN signs are read from the bits (encodeGeneric looks at the flag only for a NaN)
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = encodeGeneric(src[i], f, o, bits[i] >= 0x80000000);
  } else {
    const s = src as Float64Array;
    const words = new Uint32Array(s.buffer, s.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) out[i] = encodeGeneric(s[i], f, o, words[2 * i + 1] >= 0x80000000);
  }
  return out as O;
}

/**
 * Writes the canonical quiet NaN of NaN code `code` as a bit pattern (a JS number cannot carry the
 * sign of a NaN reliably): negative when the code's sign bit is set, except in formats whose one NaN
 * code is the sign bit itself (fnuz, positive as in PyTorch) and unsigned formats (no sign bit).
 * `words` is a Uint32Array view of `out`'s elements.
 */
function writeNaN(out: Float32Array | Float64Array, words: Uint32Array, i: number, code: number, f: FloatFormat): void {
  const negative = f.signed && f.nan !== 'negative-zero' && code >= f.signBit;
  if (out instanceof Float32Array) {
    words[i] = negative ? 0xffc00000 : 0x7fc00000;
  } else {
    words[2 * i] = 0;
    words[2 * i + 1] = negative ? 0xfff80000 : 0x7ff80000;
  }
}

function throwWideCode(c: number, i: number, f: FloatFormat): never {
  throw new RangeError(`decodeArray: codes[${i}] = ${c} is not a ${f.name} code (${f.bits} bits: 0..${2 ** f.bits - 1})`);
}

function checkCodes(codes: unknown, f: FloatFormat, fn: string): asserts codes is CodeArray {
  const Ctor = codeArrayType(f);
  if (!(codes instanceof Ctor)) throw new TypeError(`${fn}: expected a ${Ctor.name} of ${f.name} codes, got ${describeValue(codes)}`);
}

/**
 * Decodes an array of `format` codes into float values: into `opts.out` when given (a Float32Array or
 * Float64Array of exactly `codes.length` elements sharing no memory with `codes`), else a new
 * Float32Array. `codes` is never modified. Every value of a format of
 * 16 bits or fewer is exact in float32. Codes wider than the format (e.g. 17 in a Uint8Array of fp4
 * codes) are a `RangeError`.
 *
 * @example
 * ```ts
 * decodeArray(new Uint16Array([0x3f80, 0xc000]), 'bf16'); // Float32Array [1, -2]
 * decodeArray(new Uint8Array([0x7e]), 'fp8-e4m3fn', { out: new Float64Array(1) }); // Float64Array [448]
 * ```
 */
export function decodeArray<O extends Float32Array | Float64Array = Float32Array>(codes: CodeArray, format: FormatLike, opts?: DecodeArrayOptions<O>): O {
  const f = getFormat(format);
  checkCodes(codes, f, 'decodeArray');
  checkOptionsObject(opts, 'decodeArray', '{ out }');
  const n = codes.length;
  let out = opts?.out as Float32Array | Float64Array | undefined;
  if (out === undefined) out = new Float32Array(n);
  else {
    if (!(out instanceof Float32Array) && !(out instanceof Float64Array)) {
      throw new TypeError(`decodeArray: out must be a Float32Array or Float64Array, got ${describeValue(out)}`);
    }
    if (out.length !== n) throw new RangeError(`decodeArray: out must have the codes' length ${n}, got ${out.length}`);
    if (overlaps(out, codes)) {
      throw new RangeError(`decodeArray: out must not share memory with codes (it would overwrite codes not yet read), got ${describeValue(out)} over the same bytes`);
    }
  }
  if (out instanceof Float32Array && (f === BF16 || f === FP16)) {
    if (f === BF16) bf16ToF32(codes as Uint16Array, out);
    else fp16ToF32(codes as Uint16Array, out);
    return out as O;
  }
  const size = 2 ** f.bits;
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length * (out.BYTES_PER_ELEMENT / 4));
  if (f.bits <= 8) {
    // a 2^bits-entry table, then a lookup per element
    const table = new Float64Array(size);
    for (let c = 0; c < size; c++) table[c] = decodeGeneric(c, f);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (c >= size) throwWideCode(c, i, f);
      const v = table[c];
      if (v === v) out[i] = v;
      else writeNaN(out, words, i, c, f);
    }
    return out as O;
  }
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (c >= size) throwWideCode(c, i, f); // a custom format of 9 to 15 bits in a Uint16Array
    const v = decodeGeneric(c, f);
    if (v === v) out[i] = v;
    else writeNaN(out, words, i, c, f);
  }
  return out as O;
}
