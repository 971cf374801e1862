// Bulk float32 ⇄ fp16/bf16 conversions over typed arrays with WebAssembly SIMD (src/wasm/kernels.ts);
// where WebAssembly SIMD is missing (or for short arrays) lowp/formats' integer fast paths run
// (src/formats/fast16.ts: the same bits, which tests check against the generic codec).
// Rounding: to nearest, ties to even (IEEE 754 default), as PyTorch/numpy/ml_dtypes; overflow → ±inf;
// subnormals kept; -0 kept; NaN → canonical quiet NaN keeping the sign (fp16 0x7E00|sign, bf16
// 0x7FC0|sign). Decoding is exact and keeps NaN payloads bit for bit (fp16: payload shifted into the
// float32 mantissa, not quieted; bf16: the 16-bit shift), exactly as lowp/formats' decodeArray does
// (PyTorch's fp16 decode additionally sets the quiet bit; NaN payloads are a policy, not a value).
// Data is streamed in chunks of 1 MiB of results through the staging area of the private-memory kernels
// (getStagingKernels: copies into a shared memory would run at half the speed).
import { describeValue } from '../core/describe.js';
import { decodeBf16Bulk, decodeFp16Bulk, encodeBf16Bulk, encodeFp16Bulk } from '../formats/fast16.js';
import { CONVERT_BASE, align64, getStagingKernels } from './loader.js';

/**
 * Values per chunk streamed through WebAssembly memory: chunks whose results take 1 MiB (262,144 values
 * decoded to float32, 524,288 encoded to 16-bit codes; up to 3 MiB of staging with the inputs). Copying
 * the results out is most of the time of a large conversion, and V8 copies with the C library's
 * memmove, which (glibc 2.36 on AMD) moves blocks up to the L2 size with `rep movsb` and larger ones
 * with its vector loop, twice as fast here: 2,300 against 4,600 M float32 values/s out of memory in
 * chunks of 128 KiB and 1 MiB (Node 26.10 and 20.20, AMD EPYC, 1 MiB of L2; 786 KiB chunks stayed
 * slow). That took fp16 → float32 over 16 M values from 1.5 to 2.2 G values/s on Gaussian data.
 */
const DECODE_CHUNK = 262144;
const ENCODE_CHUNK = 524288;
/**
 * Below this length the TypeScript fast paths run: the calls and copies cost more than the SIMD saves
 * (measured, Node 20: at 64 values the TypeScript loops take 0.5–0.8× the WebAssembly path's time, at
 * 128 0.9–1.5×, at 1024 4.6–5×).
 */
const SMALL = 128;

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

/**
 * Runs the kernel `op` over `src` into `out` (float32 → codes when `src` is a Float32Array, else codes
 * → float32), chunk by chunk through the staging area; false (nothing written) for short arrays or
 * where the kernels are unavailable.
 */
function runChunks(op: Op, src: Float32Array | Uint16Array, out: Float32Array | Uint16Array): boolean {
  const n = src.length;
  if (n < SMALL) return false;
  const toHalf = src instanceof Float32Array;
  const chunk = Math.min(n, toHalf ? ENCODE_CHUNK : DECODE_CHUNK);
  const inBytes = align64(chunk * (toHalf ? 4 : 2));
  const k = getStagingKernels(inBytes + chunk * (toHalf ? 2 : 4));
  if (!k) return false;
  const buf = k.memory.buffer;
  const inOff = CONVERT_BASE;
  const outOff = CONVERT_BASE + inBytes;
  const fn = k.exports[op];
  const vin = toHalf ? new Float32Array(buf, inOff, chunk) : new Uint16Array(buf, inOff, chunk);
  const vout = toHalf ? new Uint16Array(buf, outOff, chunk) : new Float32Array(buf, outOff, chunk);
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    vin.set(src.subarray(i, i + m));
    fn(inOff, outOff, m);
    out.set(m === chunk ? vout : vout.subarray(0, m), i);
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
  if (!runChunks('f32ToF16', src, dst)) encodeFp16Bulk(new Int32Array(src.buffer, src.byteOffset, n), dst);
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
  if (!runChunks('f16ToF32', src, dst)) decodeFp16Bulk(src, new Uint32Array(dst.buffer, dst.byteOffset, n));
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
  if (!runChunks('f32ToBf16', src, dst)) encodeBf16Bulk(new Int32Array(src.buffer, src.byteOffset, n), dst);
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
  if (!runChunks('bf16ToF32', src, dst)) decodeBf16Bulk(src, new Uint32Array(dst.buffer, dst.byteOffset, n));
  return dst;
}
