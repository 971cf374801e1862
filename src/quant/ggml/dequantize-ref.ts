// Reference dequantizers of every ggml type lowp reads: plain TypeScript ports of ggml's
// `dequantize_row_<type>` (ggml-org/ggml d99724f2, src/ggml-quants.c; block layouts from
// src/ggml-common.h), one function per type, written to be checked by eye against the C. Every float
// operation of the C is one `fround` here, in the C's order (C `float` arithmetic built without FMA
// contraction rounds each operation to float32; an operation on float32 operands computed in float64
// and rounded once gives that same float32, since float64 has more than 2·24 + 2 significand bits), so
// the results are bit for bit the C's for every byte pattern, fp16 scales that are subnormal, infinite
// or NaN included (NaN payloads aside: C and JavaScript both give NaN, not necessarily the same one).
// These are also the fallback where WebAssembly is unavailable, and the twins that tests compare the
// WebAssembly kernels (src/wasm/kernels-ggml.ts) with.
//
// Each function dequantizes `nb` whole blocks read from `src` at byte `off` into `out` at `o`.
import { e8m0Half, f32FromBits, fp16At, i8, iq4xsScale, q3kScales, scaleMinK4, u16, u32 } from './fields.js';
import { fp16Value } from './c-arith.js';
import { gridBytes, KSIGNS_IQ2XS, KVALUES_IQ4NL, KVALUES_MXFP4 } from './tables.js';

/** Dequantizes `nb` blocks of `src` from byte `off` into `out` from index `o`. */
export type BlockDecoder = (src: Uint8Array, off: number, nb: number, out: Float32Array, o: number) => void;

const f = Math.fround;

// Scratch for reading a float64 (never observable between calls).
const F64 = /* @__PURE__ */ new Float64Array(1);
const U32_64 = /* @__PURE__ */ new Uint32Array(F64.buffer);
const LITTLE = /* @__PURE__ */ new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

// ------------------------------------------------------------------ plain types

export const refF32: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = f32FromBits(u32(s, off + 4 * i));
};

export const refF16: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = fp16At(s, off + 2 * i);
};

export const refBF16: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = f32FromBits(u16(s, off + 2 * i) << 16 >>> 0);
};

export const refF64: BlockDecoder = (s, off, n, out, o) => {
  const lo = LITTLE ? 0 : 1;
  for (let i = 0; i < n; i++) {
    U32_64[lo] = u32(s, off + 8 * i);
    U32_64[1 - lo] = u32(s, off + 8 * i + 4);
    out[o + i] = f(F64[0]); // C's (float) of a double: round to nearest even
  }
};

export const refI8: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = i8(s[off + i]);
};

export const refI16: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = (u16(s, off + 2 * i) << 16) >> 16;
};

export const refI32: BlockDecoder = (s, off, n, out, o) => {
  for (let i = 0; i < n; i++) out[o + i] = f(u32(s, off + 4 * i) | 0); // (float) of an int32: nearest even
};

// ------------------------------------------------------------------ 32-value blocks

/** Q4_0: d (fp16), 16 bytes of nibbles; y = (q − 8)·d, low nibbles first. */
export const refQ4_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 18, o += 32) {
    const d = fp16At(s, off);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 2 + j];
      out[o + j] = f(((q & 0x0f) - 8) * d);
      out[o + j + 16] = f(((q >> 4) - 8) * d);
    }
  }
};

/** Q4_1: d, m (fp16), 16 bytes of nibbles; y = q·d + m. */
export const refQ4_1: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 20, o += 32) {
    const d = fp16At(s, off);
    const m = fp16At(s, off + 2);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 4 + j];
      out[o + j] = f(f((q & 0x0f) * d) + m);
      out[o + j + 16] = f(f((q >> 4) * d) + m);
    }
  }
};

/** Q5_0: d, 32 high bits (uint32), 16 bytes of nibbles; y = (q − 16)·d. */
export const refQ5_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 22, o += 32) {
    const d = fp16At(s, off);
    const qh = u32(s, off + 2);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 6 + j];
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      out[o + j] = f((((q & 0x0f) | xh0) - 16) * d);
      out[o + j + 16] = f((((q >> 4) | xh1) - 16) * d);
    }
  }
};

/** Q5_1: d, m, 32 high bits, 16 bytes of nibbles; y = q·d + m. */
export const refQ5_1: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 24, o += 32) {
    const d = fp16At(s, off);
    const m = fp16At(s, off + 2);
    const qh = u32(s, off + 4);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 8 + j];
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      out[o + j] = f(f(((q & 0x0f) | xh0) * d) + m);
      out[o + j + 16] = f(f(((q >> 4) | xh1) * d) + m);
    }
  }
};

/** Q8_0: d, 32 int8; y = q·d. */
export const refQ8_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 34, o += 32) {
    const d = fp16At(s, off);
    for (let j = 0; j < 32; j++) out[o + j] = f(i8(s[off + 2 + j]) * d);
  }
};

/** Q8_1: d, s = d·Σq (fp16, unused here), 32 int8; y = q·d (ggml has no dequantize_row_q8_1: Q8_0's rule). */
export const refQ8_1: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 36, o += 32) {
    const d = fp16At(s, off);
    for (let j = 0; j < 32; j++) out[o + j] = f(i8(s[off + 4 + j]) * d);
  }
};

/** MXFP4: e (e8m0), 16 bytes of e2m1 nibbles; y = kvalues_mxfp4[q]·(2^(e−127)/2). */
export const refMXFP4: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 17, o += 32) {
    const d = e8m0Half(s[off]);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 1 + j];
      out[o + j] = f(KVALUES_MXFP4[q & 0x0f] * d);
      out[o + j + 16] = f(KVALUES_MXFP4[q >> 4] * d);
    }
  }
};

/** IQ4_NL: d, 16 bytes of nibbles; y = d·kvalues_iq4nl[q]. */
export const refIQ4_NL: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 18, o += 32) {
    const d = fp16At(s, off);
    for (let j = 0; j < 16; j++) {
      const q = s[off + 2 + j];
      out[o + j] = f(d * KVALUES_IQ4NL[q & 0x0f]);
      out[o + j + 16] = f(d * KVALUES_IQ4NL[q >> 4]);
    }
  }
};

// ------------------------------------------------------------------ new small-block types

/**
 * ggml's ggml_ue4m3_to_fp32 (NVFP4's sub-block scale), already halved: 0 for the codes 0x00 and 0x7F;
 * else exponent (x >> 3) & 15 (bias 7; the sign bit is ignored), 3 mantissa bits, exponent 0 subnormal.
 * Every step of the C (ldexpf, 1 + m/8, ·0.5) is exact.
 */
export function ue4m3Half(x: number): number {
  if (x === 0 || x === 0x7f) return 0;
  const e = (x >> 3) & 0x0f;
  const m = x & 7;
  const raw = e === 0 ? m * 2 ** -9 : (1 + m / 8) * 2 ** (e - 7);
  return f(raw * 0.5);
}

/** NVFP4: 4 ue4m3 scales (one per 16 values), 32 bytes of e2m1 nibbles; y = kvalues_mxfp4[q]·d_s. */
export const refNVFP4: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 36, o += 64) {
    for (let sb = 0; sb < 4; sb++) {
      const d = ue4m3Half(s[off + sb]);
      for (let j = 0; j < 8; j++) {
        const q = s[off + 4 + sb * 8 + j];
        out[o + sb * 16 + j] = f(KVALUES_MXFP4[q & 0x0f] * d);
        out[o + sb * 16 + j + 8] = f(KVALUES_MXFP4[q >> 4] * d);
      }
    }
  }
};

/** Q1_0: d, 128 sign bits (bit j of byte j/8, low bit first); y = bit ? d : −d. */
export const refQ1_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 18, o += 128) {
    const d = fp16At(s, off);
    const negD = -d;
    for (let j = 0; j < 128; j++) out[o + j] = (s[off + 2 + (j >> 3)] >> (j & 7)) & 1 ? d : negD;
  }
};

/** Q2_0: d, 64 2-bit codes (low bits first); y = (q − 1)·d. */
export const refQ2_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 18, o += 64) {
    const d = fp16At(s, off);
    for (let j = 0; j < 64; j++) out[o + j] = f((((s[off + 2 + (j >> 2)] >> ((j & 3) * 2)) & 3) - 1) * d);
  }
};

// ------------------------------------------------------------------ K-quants (256 values)

/** Q2_K: scales[16] (4-bit scale | 4-bit min), qs[64], d, dmin; y = dl·q − ml. */
export const refQ2_K: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 84) {
    const d = fp16At(s, off + 80);
    const min = fp16At(s, off + 82);
    let q = off + 16;
    let is = 0;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let sc = s[off + is++];
        let dl = f(d * (sc & 0x0f));
        let ml = f(min * (sc >> 4));
        for (let l = 0; l < 16; l++) out[o++] = f(f(dl * ((s[q + l] >> shift) & 3)) - ml);
        sc = s[off + is++];
        dl = f(d * (sc & 0x0f));
        ml = f(min * (sc >> 4));
        for (let l = 0; l < 16; l++) out[o++] = f(f(dl * ((s[q + l + 16] >> shift) & 3)) - ml);
        shift += 2;
      }
      q += 32;
    }
  }
};

/** Q3_K: hmask[32], qs[64], scales[12], d; y = (d·(sc − 32))·(q − (high bit ? 0 : 4)). */
export const refQ3_K: BlockDecoder = (s, off, nb, out, o) => {
  const scales = new Int8Array(16);
  for (let b = 0; b < nb; b++, off += 110) {
    const dAll = fp16At(s, off + 108);
    q3kScales(s, off + 96, scales);
    const hm = off;
    let q = off + 32;
    let bit = 0; // C's mask m = 1 << bit; (hm & m ? 0 : 4) is written 4 − 4·(bit of hm), without a branch on random data
    let is = 0;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let dl = f(dAll * (scales[is++] - 32));
        for (let l = 0; l < 16; l++) out[o++] = f(dl * (((s[q + l] >> shift) & 3) - (4 - (((s[hm + l] >> bit) & 1) << 2))));
        dl = f(dAll * (scales[is++] - 32));
        for (let l = 0; l < 16; l++) out[o++] = f(dl * (((s[q + l + 16] >> shift) & 3) - (4 - (((s[hm + l + 16] >> bit) & 1) << 2))));
        shift += 2;
        bit++;
      }
      q += 32;
    }
  }
};

/** Q4_K: d, dmin, scales[12], qs[128]; y = (d·sc)·q − dmin·m per 32 values. */
export const refQ4_K: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 144) {
    const d = fp16At(s, off);
    const min = fp16At(s, off + 2);
    let q = off + 16;
    let is = 0;
    for (let j = 0; j < 256; j += 64) {
      let [sc, m] = scaleMinK4(is, s, off + 4);
      const d1 = f(d * sc);
      const m1 = f(min * m);
      [sc, m] = scaleMinK4(is + 1, s, off + 4);
      const d2 = f(d * sc);
      const m2 = f(min * m);
      for (let l = 0; l < 32; l++) out[o++] = f(f(d1 * (s[q + l] & 0x0f)) - m1);
      for (let l = 0; l < 32; l++) out[o++] = f(f(d2 * (s[q + l] >> 4)) - m2);
      q += 32;
      is += 2;
    }
  }
};

/** Q5_K: d, dmin, scales[12], qh[32], qs[128]; as Q4_K with a fifth bit from qh. */
export const refQ5_K: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 176) {
    const d = fp16At(s, off);
    const min = fp16At(s, off + 2);
    const qh = off + 16;
    let ql = off + 48;
    let is = 0;
    let u1 = 0; // C's masks u1 = 1 << this, u2 = 2 << this; (qh & u ? 16 : 0) is written (bit of qh)·16, without a branch
    for (let j = 0; j < 256; j += 64) {
      let [sc, m] = scaleMinK4(is, s, off + 4);
      const d1 = f(d * sc);
      const m1 = f(min * m);
      [sc, m] = scaleMinK4(is + 1, s, off + 4);
      const d2 = f(d * sc);
      const m2 = f(min * m);
      for (let l = 0; l < 32; l++) out[o++] = f(f(d1 * ((s[ql + l] & 0x0f) + (((s[qh + l] >> u1) & 1) << 4))) - m1);
      for (let l = 0; l < 32; l++) out[o++] = f(f(d2 * ((s[ql + l] >> 4) + (((s[qh + l] >> (u1 + 1)) & 1) << 4))) - m2);
      ql += 32;
      is += 2;
      u1 += 2;
    }
  }
};

/** Q6_K: ql[128], qh[64], scales[16] (int8), d; y = (d·sc)·(q − 32). */
export const refQ6_K: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 210) {
    const d = fp16At(s, off + 208);
    let ql = off;
    let qh = off + 128;
    let sc = off + 192;
    for (let n = 0; n < 256; n += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = s[qh + l];
        const q1 = ((s[ql + l] & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((s[ql + l + 32] & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((s[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((s[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[o + l] = f(f(d * i8(s[sc + is])) * q1);
        out[o + l + 32] = f(f(d * i8(s[sc + is + 2])) * q2);
        out[o + l + 64] = f(f(d * i8(s[sc + is + 4])) * q3);
        out[o + l + 96] = f(f(d * i8(s[sc + is + 6])) * q4);
      }
      o += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
};

/** Q8_K: d (float32), qs[256] (int8), bsums[16] (unused); y = d·q. */
export const refQ8_K: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 292, o += 256) {
    const d = f32FromBits(u32(s, off));
    for (let j = 0; j < 256; j++) out[o + j] = f(d * i8(s[off + 4 + j]));
  }
};

// ------------------------------------------------------------------ ternary

/** One base-3 digit as ggml's TQ1_0 reads it: q = byte·3^n mod 256, digit = (q·3) >> 8. */
function trit(byte: number, pow3: number): number {
  return (((byte * pow3) & 0xff) * 3) >> 8;
}

const POW3 = [1, 3, 9, 27, 81, 243];

/** TQ1_0: qs[48] (5 trits per byte), qh[4] (4 trits per byte), d; y = (t − 1)·d. */
export const refTQ1_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 54) {
    const d = fp16At(s, off + 52);
    // qs: bytes 0..31 five times over 32, then bytes 32..47 five times over 16, then qh four times
    for (let n = 0; n < 5; n++) for (let m = 0; m < 32; m++) out[o++] = f((trit(s[off + m], POW3[n]) - 1) * d);
    for (let n = 0; n < 5; n++) for (let m = 0; m < 16; m++) out[o++] = f((trit(s[off + 32 + m], POW3[n]) - 1) * d);
    for (let n = 0; n < 4; n++) for (let j = 0; j < 4; j++) out[o++] = f((trit(s[off + 48 + j], POW3[n]) - 1) * d);
  }
};

/** TQ2_0: qs[64] (2-bit codes), d; y = (q − 1)·d. */
export const refTQ2_0: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 66) {
    const d = fp16At(s, off + 64);
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) out[o++] = f((((s[off + j + m] >> (l * 2)) & 3) - 1) * d);
      }
    }
  }
};

// ------------------------------------------------------------------ IQ4_XS

/** IQ4_XS: d, scales_h (uint16), scales_l[4], qs[128]; y = (d·(ls − 32))·kvalues_iq4nl[q]. */
export const refIQ4_XS: BlockDecoder = (s, off, nb, out, o) => {
  for (let b = 0; b < nb; b++, off += 136) {
    const d = fp16At(s, off);
    let qs = off + 8;
    for (let ib = 0; ib < 8; ib++) {
      const ls = iq4xsScale(s, off, ib);
      const dl = f(d * (ls - 32));
      for (let j = 0; j < 16; j++) {
        out[o + j] = f(dl * KVALUES_IQ4NL[s[qs + j] & 0x0f]);
        out[o + j + 16] = f(dl * KVALUES_IQ4NL[s[qs + j] >> 4]);
      }
      o += 32;
      qs += 16;
    }
  }
};

// ------------------------------------------------------------------ grid i-quants

/** ±1 for value j of a group whose sign byte is `signs` (bit j set: −1), as ggml's kmask_iq2xs test (branch-free). */
function sign(signs: number, j: number): number {
  return 1 - (((signs >> j) & 1) << 1);
}

/** IQ2_XXS: d, then per 32 values two uint32: 4 grid indices (bytes), 4×7 sign bits and a 4-bit scale. */
export const refIQ2_XXS: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq2xxs_grid');
  for (let b = 0; b < nb; b++, off += 66) {
    const d = fp16At(s, off);
    for (let ib = 0; ib < 8; ib++) {
      const a = off + 2 + 8 * ib;
      const aux1 = u32(s, a + 4);
      const db = f(f(d * f(0.5 + (aux1 >>> 28))) * 0.25);
      for (let l = 0; l < 4; l++) {
        const g = 8 * s[a + l];
        const signs = KSIGNS_IQ2XS[(aux1 >>> (7 * l)) & 127];
        for (let j = 0; j < 8; j++) out[o + j] = f(f(db * grid[g + j]) * sign(signs, j));
        o += 8;
      }
    }
  }
};

/** IQ2_XS: d, qs[32] (uint16: 9-bit grid index, 7 sign bits), scales[8] (two 4-bit scales). */
export const refIQ2_XS: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq2xs_grid');
  for (let b = 0; b < nb; b++, off += 74) {
    const d = fp16At(s, off);
    for (let ib = 0; ib < 8; ib++) {
      const sc = s[off + 66 + ib];
      const db0 = f(f(d * f(0.5 + (sc & 0x0f))) * 0.25);
      const db1 = f(f(d * f(0.5 + (sc >> 4))) * 0.25);
      for (let l = 0; l < 4; l++) {
        const q = u16(s, off + 2 + 2 * (4 * ib + l));
        const g = 8 * (q & 511);
        const signs = KSIGNS_IQ2XS[q >> 9];
        const db = l < 2 ? db0 : db1;
        for (let j = 0; j < 8; j++) out[o + j] = f(f(db * grid[g + j]) * sign(signs, j));
        o += 8;
      }
    }
  }
};

/** IQ2_S: d, qs[32] (grid index low bytes), signs[32], qh[8] (index bits 8-9), scales[8]. */
export const refIQ2_S: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq2s_grid');
  for (let b = 0; b < nb; b++, off += 82) {
    const d = fp16At(s, off);
    let qs = off + 2;
    let signs = off + 2 + 32;
    for (let ib = 0; ib < 8; ib++) {
      const sc = s[off + 74 + ib];
      const db0 = f(f(d * f(0.5 + (sc & 0x0f))) * 0.25);
      const db1 = f(f(d * f(0.5 + (sc >> 4))) * 0.25);
      const qh = s[off + 66 + ib];
      for (let l = 0; l < 4; l++) {
        const dl = l < 2 ? db0 : db1;
        const g = 8 * (s[qs + l] | ((qh << (8 - 2 * l)) & 0x300));
        for (let j = 0; j < 8; j++) out[o + j] = f(f(dl * grid[g + j]) * sign(s[signs + l], j));
        o += 8;
      }
      qs += 4;
      signs += 4;
    }
  }
};

/** IQ3_XXS: d, qs[64] (grid indices), then per 32 values a uint32 of 4×7 sign bits and a 4-bit scale. */
export const refIQ3_XXS: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq3xxs_grid');
  for (let b = 0; b < nb; b++, off += 98) {
    const d = fp16At(s, off);
    let qs = off + 2;
    for (let ib = 0; ib < 8; ib++) {
      const aux = u32(s, off + 2 + 64 + 4 * ib);
      const db = f(f(d * f(0.5 + (aux >>> 28))) * 0.5);
      for (let l = 0; l < 4; l++) {
        const signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127];
        const g1 = 4 * s[qs + 2 * l];
        const g2 = 4 * s[qs + 2 * l + 1];
        for (let j = 0; j < 4; j++) {
          out[o + j] = f(f(db * grid[g1 + j]) * sign(signs, j));
          out[o + j + 4] = f(f(db * grid[g2 + j]) * sign(signs, j + 4));
        }
        o += 8;
      }
      qs += 8;
    }
  }
};

/** IQ3_S: d, qs[64], qh[8] (index bit 8), signs[32], scales[4] (two 4-bit scales); db = d·(1 + 2·sc). */
export const refIQ3_S: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq3s_grid');
  for (let b = 0; b < nb; b++, off += 110) {
    const d = fp16At(s, off);
    let qs = off + 2;
    let qh = off + 66;
    let signs = off + 74;
    for (let ib = 0; ib < 8; ib += 2) {
      const sc = s[off + 106 + (ib >> 1)];
      const dbs = [f(d * (1 + 2 * (sc & 0x0f))), f(d * (1 + 2 * (sc >> 4)))];
      for (let half2 = 0; half2 < 2; half2++) {
        const db = dbs[half2];
        const h = s[qh + half2];
        for (let l = 0; l < 4; l++) {
          const g1 = 4 * (s[qs + 2 * l] | ((h << (8 - 2 * l)) & 256));
          const g2 = 4 * (s[qs + 2 * l + 1] | ((h << (7 - 2 * l)) & 256));
          for (let j = 0; j < 4; j++) {
            out[o + j] = f(f(db * grid[g1 + j]) * sign(s[signs + l], j));
            out[o + j + 4] = f(f(db * grid[g2 + j]) * sign(s[signs + l], j + 4));
          }
          o += 8;
        }
        qs += 8;
        signs += 4;
      }
      qh += 2;
    }
  }
};

/** IQ1S_DELTA = IQ1M_DELTA = 0.125 (ggml-common.h). */
const IQ1_DELTA = 0.125;

/** IQ1_S: d, qs[32] (grid index low bytes), qh[8] (uint16: 4×3 index bits, 3-bit scale, delta sign). */
export const refIQ1_S: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq1s_grid');
  for (let b = 0; b < nb; b++, off += 50) {
    const d = fp16At(s, off);
    let qs = off + 2;
    for (let ib = 0; ib < 8; ib++) {
      const qh = u16(s, off + 34 + 2 * ib);
      const dl = f(d * (2 * ((qh >> 12) & 7) + 1));
      const delta = qh & 0x8000 ? -IQ1_DELTA : IQ1_DELTA;
      for (let l = 0; l < 4; l++) {
        const g = 8 * (s[qs + l] | (((qh >> (3 * l)) & 7) << 8));
        for (let j = 0; j < 8; j++) out[o + j] = f(dl * f(i8(grid[g + j]) + delta));
        o += 8;
      }
      qs += 4;
    }
  }
};

/** IQ1_M: qs[32], qh[16] (index bits and delta signs), scales[8] (3-bit scales; the fp16 d in their top nibbles). */
export const refIQ1_M: BlockDecoder = (s, off, nb, out, o) => {
  const grid = gridBytes('iq1s_grid');
  for (let b = 0; b < nb; b++, off += 56) {
    const sc = [u16(s, off + 48), u16(s, off + 50), u16(s, off + 52), u16(s, off + 54)];
    const d = fp16Value((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
    let qs = off;
    let qh = off + 32;
    for (let ib = 0; ib < 8; ib++) {
      const dl1 = f(d * (2 * ((sc[ib >> 1] >> (6 * (ib & 1))) & 7) + 1));
      const dl2 = f(d * (2 * ((sc[ib >> 1] >> (6 * (ib & 1) + 3)) & 7) + 1));
      const h0 = s[qh];
      const h1 = s[qh + 1];
      const idx = [s[qs] | ((h0 << 8) & 0x700), s[qs + 1] | ((h0 << 4) & 0x700), s[qs + 2] | ((h1 << 8) & 0x700), s[qs + 3] | ((h1 << 4) & 0x700)];
      const delta = [h0 & 0x08 ? -IQ1_DELTA : IQ1_DELTA, h0 & 0x80 ? -IQ1_DELTA : IQ1_DELTA, h1 & 0x08 ? -IQ1_DELTA : IQ1_DELTA, h1 & 0x80 ? -IQ1_DELTA : IQ1_DELTA];
      for (let l = 0; l < 4; l++) {
        const dl = l < 2 ? dl1 : dl2;
        const g = 8 * idx[l];
        for (let j = 0; j < 8; j++) out[o + j] = f(dl * f(i8(grid[g + j]) + delta[l]));
        o += 8;
      }
      qs += 4;
      qh += 2;
    }
  }
};
