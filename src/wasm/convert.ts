// Bulk float32 ⇄ fp16/bf16 conversions over typed arrays with WebAssembly SIMD (src/wasm/kernels.ts),
// with pure-TypeScript twins (same bit-level algorithms) where WebAssembly SIMD is missing.
// Rounding: to nearest, ties to even (IEEE 754 default), as PyTorch/numpy/ml_dtypes; overflow → ±inf;
// subnormals kept; -0 kept; NaN → canonical quiet NaN keeping the sign (fp16 0x7E00|sign, bf16
// 0x7FC0|sign). Decoding is exact and keeps NaN payloads bit for bit (fp16: payload shifted into the
// float32 mantissa, not quieted; bf16: the 16-bit shift), exactly as lowp/formats' decodeArray does
// (PyTorch's fp16 decode additionally sets the quiet bit; NaN payloads are a policy, not a value).
// Data is streamed in cache-sized chunks through the staging area of the private-memory kernels
// (getStagingKernels: copies into a shared memory would run at half the speed).
import { describeValue } from '../core/describe.js';
import { CONVERT_BASE, CONVERT_BYTES, getStagingKernels } from './loader.js';

/** Values per chunk streamed through WebAssembly memory (fits in L2 with both buffers). */
const CHUNK = 32768;
/** Below this length the TypeScript loop is used (no call overhead). */
const SMALL = 64;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits → fp16 code, round to nearest even (scalar twin of the SIMD kernel). */
export function f32BitsToFp16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a >= 0x47800000) return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (a < 0x38800000) {
    // subnormal or zero: let the FPU round (a + 0.5 has the fp16 subnormal in its low bits)
    u32[0] = a;
    f32[0] = f32[0] + 0.5;
    return sign | (u32[0] - 0x3f000000);
  }
  return sign | ((a - 0x37fff001 + ((a >>> 13) & 1)) >>> 13);
}

/** fp16 code → float32 bits (exact; NaN payload kept as is). */
export function fp16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = h & 0x7c00;
  const m = h & 0x3ff;
  if (e === 0x7c00) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e === 0) {
    if (m === 0) return sign >>> 0;
    f32[0] = m * 5.960464477539063e-8; // m · 2^-24, exact
    return (sign | u32[0]) >>> 0;
  }
  return (sign | (((h & 0x7fff) << 13) + 0x38000000)) >>> 0;
}

/** float32 bits → bf16 code, round to nearest even. */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

function check(src: unknown, srcType: Function, out: unknown, outType: Function, name: string): number {
  if (!(src instanceof srcType)) throw new TypeError(`${name}: expected src to be a ${srcType.name}, got ${describeValue(src)}`);
  const n = (src as Float32Array).length;
  if (out !== undefined) {
    if (!(out instanceof outType)) throw new TypeError(`${name}: expected out to be a ${outType.name}, got ${describeValue(out)}`);
    if ((out as Uint16Array).length !== n) {
      throw new RangeError(`${name}: out must have the length of src (${n}), got ${describeValue(out)}`);
    }
  }
  return n;
}

type Op = 'f32ToF16' | 'f16ToF32' | 'f32ToBf16' | 'bf16ToF32';

function runChunks(op: Op, src: Float32Array | Uint16Array, out: Float32Array | Uint16Array, toHalf: boolean): boolean {
  const n = src.length;
  if (n < SMALL) return false;
  const k = getStagingKernels();
  const inBytes = CHUNK * (toHalf ? 4 : 2);
  if (!k || inBytes + CHUNK * 4 > CONVERT_BYTES) return false;
  const buf = k.memory.buffer;
  const inOff = CONVERT_BASE;
  const outOff = CONVERT_BASE + inBytes;
  const fn = k.exports[op];
  if (toHalf) {
    const vin = new Float32Array(buf, inOff, CHUNK);
    const vout = new Uint16Array(buf, outOff, CHUNK);
    for (let i = 0; i < n; i += CHUNK) {
      const m = Math.min(CHUNK, n - i);
      vin.set((src as Float32Array).subarray(i, i + m));
      fn(inOff, outOff, m);
      (out as Uint16Array).set(m === CHUNK ? vout : vout.subarray(0, m), i);
    }
  } else {
    const vin = new Uint16Array(buf, inOff, CHUNK);
    const vout = new Float32Array(buf, outOff, CHUNK);
    for (let i = 0; i < n; i += CHUNK) {
      const m = Math.min(CHUNK, n - i);
      vin.set((src as Uint16Array).subarray(i, i + m));
      fn(inOff, outOff, m);
      (out as Float32Array).set(m === CHUNK ? vout : vout.subarray(0, m), i);
    }
  }
  return true;
}

/**
 * Converts float32 values to fp16 (IEEE binary16) codes, rounding to nearest even; overflow gives
 * ±infinity, NaN gives 0x7E00 with the sign kept. Uses WebAssembly SIMD when available.
 *
 * @param src - the values.
 * @param out - destination of `src.length` codes (allocated when omitted).
 * @returns `out`.
 * @throws TypeError for wrong array types; RangeError when `out.length !== src.length`.
 * @example
 * ```ts
 * f32ToFp16(new Float32Array([1, -2, 65520])); // Uint16Array [0x3c00, 0xc000, 0x7c00]
 * ```
 */
export function f32ToFp16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = check(src, Float32Array, out, Uint16Array, 'f32ToFp16');
  const dst = out ?? new Uint16Array(n);
  if (!runChunks('f32ToF16', src, dst, true)) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) dst[i] = f32BitsToFp16(bits[i]);
  }
  return dst;
}

/**
 * Decodes fp16 codes to float32 (exact). NaN codes keep their payload (shifted into the float32 mantissa).
 *
 * @param src - the codes.
 * @param out - destination of `src.length` values (allocated when omitted).
 * @returns `out`.
 * @throws TypeError for wrong array types; RangeError when `out.length !== src.length`.
 * @example
 * ```ts
 * fp16ToF32(new Uint16Array([0x3c00, 0x0001])); // Float32Array [1, 5.960464477539063e-8]
 * ```
 */
export function fp16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = check(src, Uint16Array, out, Float32Array, 'fp16ToF32');
  const dst = out ?? new Float32Array(n);
  if (!runChunks('f16ToF32', src, dst, false)) {
    const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = fp16ToF32Bits(src[i]);
  }
  return dst;
}

/**
 * Converts float32 values to bf16 (bfloat16) codes, rounding to nearest even; overflow gives ±infinity,
 * NaN gives 0x7FC0 with the sign kept. Uses WebAssembly SIMD when available.
 *
 * @param src - the values.
 * @param out - destination of `src.length` codes (allocated when omitted).
 * @returns `out`.
 * @throws TypeError for wrong array types; RangeError when `out.length !== src.length`.
 * @example
 * ```ts
 * f32ToBf16(new Float32Array([1, 1.00390625])); // Uint16Array [0x3f80, 0x3f80] (tie to even)
 * ```
 */
export function f32ToBf16(src: Float32Array, out?: Uint16Array): Uint16Array {
  const n = check(src, Float32Array, out, Uint16Array, 'f32ToBf16');
  const dst = out ?? new Uint16Array(n);
  if (!runChunks('f32ToBf16', src, dst, true)) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) dst[i] = f32BitsToBf16(bits[i]);
  }
  return dst;
}

/**
 * Decodes bf16 codes to float32 (exact: the code is the top half of the float32 bits).
 *
 * @param src - the codes.
 * @param out - destination of `src.length` values (allocated when omitted).
 * @returns `out`.
 * @throws TypeError for wrong array types; RangeError when `out.length !== src.length`.
 * @example
 * ```ts
 * bf16ToF32(new Uint16Array([0x3f80, 0xc040])); // Float32Array [1, -3]
 * ```
 */
export function bf16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
  const n = check(src, Uint16Array, out, Float32Array, 'bf16ToF32');
  const dst = out ?? new Float32Array(n);
  if (!runChunks('bf16ToF32', src, dst, false)) {
    const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
  }
  return dst;
}
