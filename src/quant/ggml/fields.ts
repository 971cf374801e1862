// Reading the fields of ggml's blocks (ggml-org/ggml d99724f2, src/ggml-common.h, little-endian):
// integers, fp16 and E8M0 scales, and the packed sub-block scales of the K-quants and IQ4_XS. One copy
// for the three readers of blocks: the dequantizers (dequantize-ref.ts), the quantizers that read back
// the scales they just wrote (reference.ts, as ggml's C does) and the block scan (scales.ts).
import { fp16Value } from './c-arith.js';

/** Scratch for reinterpreting bits (never observable between calls). */
const F32 = /* @__PURE__ */ new Float32Array(1);
const U32 = /* @__PURE__ */ new Uint32Array(F32.buffer);

/** Little-endian uint16 at `s[i]`. */
export function u16(s: Uint8Array, i: number): number {
  return s[i] | (s[i + 1] << 8);
}

/** Little-endian uint32 at `s[i]` (as a non-negative number). */
export function u32(s: Uint8Array, i: number): number {
  return (s[i] | (s[i + 1] << 8) | (s[i + 2] << 16) | (s[i + 3] << 24)) >>> 0;
}

/** A byte as C's `int8_t`. */
export function i8(b: number): number {
  return (b << 24) >> 24;
}

/** The float32 with these bits. */
export function f32FromBits(bits: number): number {
  U32[0] = bits;
  return F32[0];
}

/** The fp16 scale at `s[i]` as float32 (exact): ggml's GGML_FP16_TO_FP32 of a block's `d`, `m` or `dmin`. */
export function fp16At(s: Uint8Array, i: number): number {
  return fp16Value(u16(s, i));
}

/**
 * ggml's GGML_E8M0_TO_FP32_HALF: 2^(e − 128) as a float32, e = 0 and 1 giving the subnormals 2^-128 and
 * 2^-127, e = 255 giving 2^127 (not NaN: ggml does not treat 0xFF as OCP's NaN scale).
 */
export function e8m0Half(e: number): number {
  return f32FromBits(e < 2 ? 0x00200000 << e : (e - 1) << 23);
}

/**
 * ggml's get_scale_min_k4 (Q4_K, Q5_K): the 6-bit scale (element 0) and min (element 1) of sub-block j
 * of the 12 scale bytes at `s[i]`.
 */
export function scaleMinK4(j: number, s: Uint8Array, i: number): [number, number] {
  if (j < 4) return [s[i + j] & 63, s[i + j + 4] & 63];
  return [(s[i + j + 4] & 0x0f) | ((s[i + j - 4] >> 6) << 4), (s[i + j + 4] >> 4) | ((s[i + j] >> 6) << 4)];
}

/** The 16 6-bit scales (0..63) of a Q3_K block (12 bytes at `s[i]`), as dequantize_row_q3_K's kmask1/kmask2 shuffle leaves them. */
export function q3kScales(s: Uint8Array, i: number, into: Int8Array): void {
  const kmask1 = 0x03030303;
  const kmask2 = 0x0f0f0f0f;
  const a0 = u32(s, i);
  const a1 = u32(s, i + 4);
  const tmp = u32(s, i + 8);
  const w0 = (a0 & kmask2) | (((tmp >>> 0) & kmask1) << 4);
  const w1 = (a1 & kmask2) | (((tmp >>> 2) & kmask1) << 4);
  const w2 = ((a0 >>> 4) & kmask2) | (((tmp >>> 4) & kmask1) << 4);
  const w3 = ((a1 >>> 4) & kmask2) | (((tmp >>> 6) & kmask1) << 4);
  for (let k = 0; k < 4; k++) {
    const b = 8 * k;
    into[k] = i8((w0 >>> b) & 0xff);
    into[k + 4] = i8((w1 >>> b) & 0xff);
    into[k + 8] = i8((w2 >>> b) & 0xff);
    into[k + 12] = i8((w3 >>> b) & 0xff);
  }
}

/** The 6-bit scale `ls` (0..63; the multiplier is ls − 32) of sub-block `ib` of the IQ4_XS block at `s[off]`: 4 bits of scales_l, 2 of scales_h. */
export function iq4xsScale(s: Uint8Array, off: number, ib: number): number {
  return ((s[off + 4 + (ib >> 1)] >> (4 * (ib & 1))) & 0x0f) | (((u16(s, off + 2) >> (2 * ib)) & 3) << 4);
}
