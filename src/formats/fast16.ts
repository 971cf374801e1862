// Fast paths for float32 <-> bf16 and float32 <-> fp16: branch-light integer arithmetic on the float32
// bit pattern, round to nearest even, overflow to infinity, NaN to the canonical quiet NaN keeping its
// sign (bf16 0x7FC0, fp16 0x7E00), -0 kept, subnormals kept. They implement exactly the default policy
// of the generic codec (codec.ts), which tests compare them with over all 65,536 codes and sampled
// float32 inputs; any other option goes through the generic codec.
//
// A float64 is rounded to bf16/fp16 once, directly, by rounding it to float32 *to odd* first
// (roundToOddF32Bits: toward zero, then the last bit set when inexact) and then the float32 bits to
// nearest even: with float32's 24-bit significand at least two bits wider than the target's (8 or 11
// bits), the second rounding of a round-to-odd value equals a single direct rounding (Boldo &
// Melquiond, "When double rounding is odd", 2005).

/** Scratch for reinterpreting float32 bit patterns (shared, never observable between calls). */
const F32 = /* @__PURE__ */ new Float32Array(1);
const U32 = /* @__PURE__ */ new Uint32Array(F32.buffer);

/**
 * The float32 bit pattern of `v` rounded to float32 *to odd* (exact when v is a float32): rounding that
 * pattern to a format with at most 22 significand bits equals rounding `v` directly. A NaN gives a
 * NaN pattern (the quiet NaN with its last bit set).
 */
export function roundToOddF32Bits(v: number): number {
  const f = Math.fround(v);
  F32[0] = f;
  const u = U32[0];
  if (f === v) return u;
  // inexact: step toward zero when fround went away from zero, then set the sticky bit
  return ((Math.abs(f) > Math.abs(v) ? u - 1 : u) | 1) >>> 0;
}

/** float32 bit pattern -> bf16 code (RNE). */
export function f32BitsToBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) & 0x8000) | 0x7fc0;
  return (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
}

/** bf16 code -> float32 bit pattern (exact; NaN payloads kept). */
export function bf16ToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/** float32 bit pattern -> fp16 code (RNE). */
export function f32BitsToFp16(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a >= 0x38800000) {
    // normal range in fp16 (|x| >= 2^-14)
    if (a >= 0x477ff000) {
      // >= 65520 = max + half an ulp: overflow (ties go up, to the even code 0x7C00), inf, NaN
      return a > 0x7f800000 ? sign | 0x7e00 : sign | 0x7c00;
    }
    // rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even; a carry
    // propagates into the exponent naturally
    return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
  }
  // fp16 subnormal or zero: n = round(|x| / 2^-24)
  if (a <= 0x33000000) return sign; // |x| <= 2^-25: rounds to 0 (2^-25 is a tie, to even 0)
  const e = a >>> 23; // 102..112
  const mant = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e; // 14..24
  let n = mant >>> shift;
  const rem = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (n & 1) === 1)) n++;
  return sign | n;
}

/** fp16 code -> float32 bit pattern (exact; NaN payloads kept). */
export function fp16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = h & 0x7c00;
  if (e === 0x7c00) return (sign | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0;
  if (e !== 0) return (sign | (((h & 0x7fff) << 13) + 0x38000000)) >>> 0;
  const m = h & 0x3ff;
  if (m === 0) return sign >>> 0;
  const s = Math.clz32(m) - 21; // shift that brings the leading 1 to bit 10
  return (sign | ((113 - s) << 23) | (((m << s) & 0x3ff) << 13)) >>> 0;
}

/**
 * Bulk float32 -> bf16 over the float32 bit patterns, read as int32 so V8 keeps every intermediate a
 * small integer (the Uint32Array view is ~30% slower: values >= 2^31 become doubles). The Uint16Array
 * store keeps the low 16 bits, so an arithmetic shift is as good as a logical one here.
 */
export function encodeBf16Bulk(src: Int32Array, out: Uint16Array): void {
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const u = src[i];
    if ((u & 0x7fffffff) > 0x7f800000) out[i] = ((u >> 16) & 0x8000) | 0x7fc0;
    else out[i] = (u + 0x7fff + ((u >> 16) & 1)) >> 16;
  }
}

/** Bulk bf16 -> float32 bit patterns. */
export function decodeBf16Bulk(codes: Uint16Array, out: Uint32Array): void {
  const n = codes.length;
  for (let i = 0; i < n; i++) out[i] = codes[i] << 16;
}

/** Bulk float32 -> fp16 over the float32 bit patterns (read as int32, see encodeBf16Bulk). */
export function encodeFp16Bulk(src: Int32Array, out: Uint16Array): void {
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const u = src[i];
    const a = u & 0x7fffffff;
    if (a >= 0x38800000 && a < 0x477ff000) {
      out[i] = ((u >> 16) & 0x8000) | ((a - 0x38000000 + 0xfff + ((a >> 13) & 1)) >> 13);
    } else {
      out[i] = f32BitsToFp16(u >>> 0);
    }
  }
}

/** Bulk fp16 -> float32 bit patterns. */
export function decodeFp16Bulk(codes: Uint16Array, out: Uint32Array): void {
  const n = codes.length;
  for (let i = 0; i < n; i++) {
    const h = codes[i];
    const e = h & 0x7c00;
    if (e !== 0 && e !== 0x7c00) out[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000);
    else out[i] = fp16ToF32Bits(h);
  }
}
