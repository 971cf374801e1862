// The scalar arithmetic that ggml's C quantizers rely on (ggml-org/ggml d99724f2, src/ggml-quants.c,
// compiled for x86-64 by gcc -O2 -ffp-contract=off), reproduced with JavaScript doubles:
// - every float operation is one IEEE float32 operation: `Math.fround` of the double result (exact for
//   +, -, *, / and sqrt of float32 operands, whose double result rounds to float32 correctly);
// - `nearest_int`: adds 1.5·2^23 in float32 and reads the low mantissa bits (ties to even in range,
//   the same bit arithmetic outside it, where ggml's assert is compiled out);
// - C's float-to-integer conversions as x86-64 performs them (`cvttss2si`: truncation toward zero,
//   0x80000000 for NaN or out-of-range values), then the low bits for `int8_t`/`uint8_t` targets;
// - `roundf`/`lroundf`: ties away from zero;
// - fp16 block scales: float32 to fp16 nearest-even with overflow to infinity (ggml's
//   `ggml_compute_fp32_to_fp16`), through lowp's own fp16 encoder (formats/fast16).
import { f32BitsToFp16, fp16ToF32Bits } from '../../formats/fast16.js';

/** Scratch for float32 bit patterns (never observable between calls). */
const F32 = /* @__PURE__ */ new Float32Array(1);
const I32 = /* @__PURE__ */ new Int32Array(F32.buffer);

/** 1.5 · 2^23: adding it to a float32 of magnitude < 2^22 leaves the rounded integer in the low mantissa bits. */
export const NEAREST_INT_MAGIC = 12582912;

/**
 * ggml's `nearest_int(fval)` for a float32 `v`: round to nearest, ties to even, for |v| <= 4194303;
 * beyond that (where ggml's assert is compiled out) the same bit arithmetic on fround(v + 12582912).
 */
export function nearestInt(v: number): number {
  const f = Math.fround(v + NEAREST_INT_MAGIC);
  if (f >= 8388608 && f < 16777216) return f - NEAREST_INT_MAGIC;
  F32[0] = f;
  return (I32[0] & 0x7fffff) - 0x400000;
}

/** C's conversion of a float to a 32-bit int on x86-64 (`cvttss2si`): truncation, INT_MIN for NaN and out of range. */
export function cvtI32(v: number): number {
  return v > -2147483649 && v < 2147483648 ? v | 0 : -2147483648;
}

/** C's `(int8_t)` of a float on x86-64: the low byte of {@link cvtI32}, sign-extended. */
export function cvtI8(v: number): number {
  return (cvtI32(v) << 24) >> 24;
}

/** C's `roundf`: nearest integer, ties away from zero (a float result; NaN and ±inf unchanged). */
export function roundfAway(v: number): number {
  if (!(Math.abs(v) < 4503599627370496)) return v;
  const r = Math.floor(Math.abs(v) + 0.5);
  return v < 0 ? -r : r;
}

/**
 * The low 32 bits of glibc's `lroundf(v)` on x86-64 (ties away from zero; NaN, ±inf and values past
 * 2^63 give LONG_MIN, whose low 32 bits are 0).
 */
export function lroundfLow32(v: number): number {
  if (!(Math.abs(v) < 9223372036854775808)) return 0;
  const r = roundfAway(v);
  return Math.abs(r) < 2147483648 ? r : Number(BigInt.asIntN(32, BigInt(r)));
}

/** The fp16 code of a float32 value `v` (nearest even, overflow to ±inf): ggml's GGML_FP32_TO_FP16. */
export function fp16Code(v: number): number {
  F32[0] = v;
  return f32BitsToFp16(I32[0] >>> 0);
}

/** The float32 value of an fp16 code (exact): ggml's GGML_FP16_TO_FP32. */
export function fp16Value(h: number): number {
  I32[0] = fp16ToF32Bits(h);
  return F32[0];
}

/** Writes the fp16 code of float32 `v` at `y[o]`, `y[o + 1]` (little-endian) and returns the code. */
export function putFp16(y: Uint8Array, o: number, v: number): number {
  const h = fp16Code(v);
  y[o] = h & 0xff;
  y[o + 1] = h >>> 8;
  return h;
}
