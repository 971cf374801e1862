// @ts-nocheck: AssemblyScript (v128, load<T>, usize ...), type-checked by asc, not by tsc.
// WebAssembly SIMD dequantizers of ggml's block types (part of lowp's kernel module: kernels.ts
// re-exports them; driver: src/wasm/ggml-dequant.ts). Each kernel decodes `nb` whole blocks at `src`
// into float32 at `dst` with exactly the float operations of ggml's `dequantize_row_<type>`
// (ggml-org/ggml d99724f2, src/ggml-quants.c), in the C's order: a sub-block scale is one scalar f32
// multiply (`d·sc`), then each value one f32x4 multiply (and one add or subtract where the C has one),
// so every value is bit for bit the C's and the TypeScript port's (src/quant/ggml/dequantize-ref.ts,
// which tests compare these with). Integers become f32 exactly (they are small). Lookup tables (the
// codebooks, the i-quant grids, the sign patterns) are written into memory by the driver; their
// addresses are arguments. Nothing is allocated.
import { f16ToF32s } from './kernels';

// Constant vectors, loaded (splat) before the loops: see the note on KT in kernels.ts.
const GK = memory.data<u8>([
  1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, //  0 bit j % 8 of lane j
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, //           16 swizzle: byte 0 to lanes 0-7, byte 1 to 8-15
  2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, //           32 swizzle: bytes 2 and 3
  0x0f, 8, 16, 3, 4, 1, 32, 0, //                              48 byte constants (load8_splat)
  0xff, 0, 3, 0, //                                            56 i16 constants 0x00ff, 3 (load16_splat)
]);

function kb(i: i32): v128 {
  return v128.load8_splat(GK + <usize>i);
}

/** ggml's fp16 block scale at p (GGML_FP16_TO_FP32, exact: lowp's fp16 decoder). */
function half(p: usize): f32 {
  return reinterpret<f32>(f16ToF32s(<u32>load<u16>(p)));
}

/** 16 int8 lanes q → 16 floats q·d at dst. */
function mul16(dst: usize, q: v128, d: v128): void {
  const a = i16x8.extend_low_i8x16_s(q);
  const b = i16x8.extend_high_i8x16_s(q);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(a)), d));
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(a)), d), 16);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(b)), d), 32);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(b)), d), 48);
}

/** 16 int8 lanes q → 16 floats (q·d) + m at dst. */
function mulAdd16(dst: usize, q: v128, d: v128, m: v128): void {
  const a = i16x8.extend_low_i8x16_s(q);
  const b = i16x8.extend_high_i8x16_s(q);
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(a)), d), m));
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(a)), d), m), 16);
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(b)), d), m), 32);
  v128.store(dst, f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(b)), d), m), 48);
}

/** 16 int8 lanes q → 16 floats (d·q) − m at dst. */
function mulSub16(dst: usize, q: v128, d: v128, m: v128): void {
  const a = i16x8.extend_low_i8x16_s(q);
  const b = i16x8.extend_high_i8x16_s(q);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(a)), d), m));
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(a)), d), m), 16);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(b)), d), m), 32);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(b)), d), m), 48);
}

/** Low nibbles of the 16 bytes q. */
function lo4(q: v128, k0f: v128): v128 {
  return v128.and(q, k0f);
}

/** High nibbles of the 16 bytes q (a 16-bit shift is one instruction; the mask drops the spill). */
function hi4(q: v128, k0f: v128): v128 {
  return v128.and(i16x8.shr_u(q, 4), k0f);
}

/** 16 lanes: 16 where bit j of the 16 bits chosen by `idx` (a swizzle of the splat word w) is set, else 0. */
function bit16(w: v128, idx: v128, bits: v128, k16: v128): v128 {
  return v128.and(v128.not(i8x16.eq(v128.and(i8x16.swizzle(w, idx), bits), i8x16.splat(0))), k16);
}

// ---------------------------------------------------------------- 32-value blocks

/** Q4_0 (18 bytes): y = (q − 8)·d. */
export function dequantQ4_0(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48), k8 = kb(49);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const q = v128.load(src, 2);
    mul16(dst, i8x16.sub(lo4(q, k0f), k8), d);
    mul16(dst + 64, i8x16.sub(hi4(q, k0f), k8), d);
    src += 18;
    dst += 128;
  }
}

/** Q4_1 (20 bytes): y = q·d + m. */
export function dequantQ4_1(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const m = f32x4.splat(half(src + 2));
    const q = v128.load(src, 4);
    mulAdd16(dst, lo4(q, k0f), d, m);
    mulAdd16(dst + 64, hi4(q, k0f), d, m);
    src += 20;
    dst += 128;
  }
}

/** Q5_0 (22 bytes): y = (q − 16)·d, the fifth bit of value j being bit j of the uint32 qh. */
export function dequantQ5_0(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48), k16 = kb(50), bits = v128.load(GK), i01 = v128.load(GK, 16), i23 = v128.load(GK, 32);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const qh = v128.load32_splat(src + 2);
    const q = v128.load(src, 6);
    mul16(dst, i8x16.sub(v128.or(lo4(q, k0f), bit16(qh, i01, bits, k16)), k16), d);
    mul16(dst + 64, i8x16.sub(v128.or(hi4(q, k0f), bit16(qh, i23, bits, k16)), k16), d);
    src += 22;
    dst += 128;
  }
}

/** Q5_1 (24 bytes): y = q·d + m. */
export function dequantQ5_1(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48), k16 = kb(50), bits = v128.load(GK), i01 = v128.load(GK, 16), i23 = v128.load(GK, 32);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const m = f32x4.splat(half(src + 2));
    const qh = v128.load32_splat(src + 4);
    const q = v128.load(src, 8);
    mulAdd16(dst, v128.or(lo4(q, k0f), bit16(qh, i01, bits, k16)), d, m);
    mulAdd16(dst + 64, v128.or(hi4(q, k0f), bit16(qh, i23, bits, k16)), d, m);
    src += 24;
    dst += 128;
  }
}

/** Q8_0 (34 bytes): y = q·d. */
export function dequantQ8_0(src: usize, dst: usize, nb: i32): void {
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    mul16(dst, v128.load(src, 2), d);
    mul16(dst + 64, v128.load(src, 18), d);
    src += 34;
    dst += 128;
  }
}

/** MXFP4 (17 bytes): y = kvalues[q]·2^(e−128) (ggml's e8m0 halving: e = 0, 1 subnormal; 255 finite). */
export function dequantMXFP4(src: usize, dst: usize, nb: i32, kvalues: usize): void {
  const k0f = kb(48), tbl = v128.load(kvalues);
  for (let b = 0; b < nb; b++) {
    const e = <u32>load<u8>(src);
    const d = f32x4.splat(reinterpret<f32>(e < 2 ? <u32>0x00200000 << e : (e - 1) << 23));
    const q = v128.load(src, 1);
    mul16(dst, i8x16.swizzle(tbl, lo4(q, k0f)), d);
    mul16(dst + 64, i8x16.swizzle(tbl, hi4(q, k0f)), d);
    src += 17;
    dst += 128;
  }
}

/** IQ4_NL (18 bytes): y = d·kvalues[q]. */
export function dequantIQ4_NL(src: usize, dst: usize, nb: i32, kvalues: usize): void {
  const k0f = kb(48), tbl = v128.load(kvalues);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const q = v128.load(src, 2);
    mul16(dst, i8x16.swizzle(tbl, lo4(q, k0f)), d);
    mul16(dst + 64, i8x16.swizzle(tbl, hi4(q, k0f)), d);
    src += 18;
    dst += 128;
  }
}

/** ggml's ggml_ue4m3_to_fp32 (already halved; every step exact). */
function ue4m3Half(x: u32): f32 {
  if (x == 0 || x == 0x7f) return 0;
  const e = (x >> 3) & 15;
  const m = x & 7;
  const raw: f32 = e == 0 ? <f32>m * reinterpret<f32>(<u32>(127 - 9) << 23) : reinterpret<f32>(((e + 120) << 23) | (m << 20));
  return raw * 0.5;
}

/** NVFP4 (36 bytes, 64 values): four ue4m3 scales, one per 16 values; y = kvalues_mxfp4[q]·d_s. */
export function dequantNVFP4(src: usize, dst: usize, nb: i32, kvalues: usize): void {
  const k0f = kb(48), tbl = v128.load(kvalues);
  for (let b = 0; b < nb; b++) {
    for (let s = 0; s < 4; s++) {
      const d = f32x4.splat(ue4m3Half(<u32>load<u8>(src + <usize>s)));
      const q = v128.load64_zero(src + 4 + (<usize>s << 3));
      const v = i8x16.shuffle(lo4(q, k0f), hi4(q, k0f), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      mul16(dst + (<usize>s << 6), i8x16.swizzle(tbl, v), d);
    }
    src += 36;
    dst += 256;
  }
}

/** Q1_0 (18 bytes, 128 values): y = bit ? d : −d, bit j of byte j/8. */
export function dequantQ1_0(src: usize, dst: usize, nb: i32): void {
  const bits = v128.load(GK), i01 = v128.load(GK, 16);
  for (let b = 0; b < nb; b++) {
    const dv = f32x4.splat(half(src));
    const nd = f32x4.neg(dv);
    for (let g = 0; g < 8; g++) {
      const w = v128.load16_splat(src + 2 + (<usize>g << 1));
      const m = i8x16.eq(v128.and(i8x16.swizzle(w, i01), bits), i8x16.splat(0)); // all ones where the bit is 0
      const ma = i16x8.extend_low_i8x16_s(m), mb = i16x8.extend_high_i8x16_s(m);
      const o = dst + (<usize>g << 6);
      v128.store(o, v128.bitselect(nd, dv, i32x4.extend_low_i16x8_s(ma)));
      v128.store(o, v128.bitselect(nd, dv, i32x4.extend_high_i16x8_s(ma)), 16);
      v128.store(o, v128.bitselect(nd, dv, i32x4.extend_low_i16x8_s(mb)), 32);
      v128.store(o, v128.bitselect(nd, dv, i32x4.extend_high_i16x8_s(mb)), 48);
    }
    src += 18;
    dst += 512;
  }
}

/** Q2_0 (18 bytes, 64 values): y = (q − 1)·d, value j in bits 2(j % 4) of byte j/4. */
export function dequantQ2_0(src: usize, dst: usize, nb: i32): void {
  const k3 = kb(51), k1 = kb(53);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src));
    const q = v128.load(src, 2);
    const v0 = i8x16.sub(v128.and(q, k3), k1);
    const v1 = i8x16.sub(v128.and(i16x8.shr_u(q, 2), k3), k1);
    const v2 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), k3), k1);
    const v3 = i8x16.sub(v128.and(i16x8.shr_u(q, 6), k3), k1);
    // interleave: value 4i + l is lane i of v_l
    const a0 = i8x16.shuffle(v0, v1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const a1 = i8x16.shuffle(v0, v1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const c0 = i8x16.shuffle(v2, v3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const c1 = i8x16.shuffle(v2, v3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    mul16(dst, i8x16.shuffle(a0, c0, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), d);
    mul16(dst + 64, i8x16.shuffle(a0, c0, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), d);
    mul16(dst + 128, i8x16.shuffle(a1, c1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), d);
    mul16(dst + 192, i8x16.shuffle(a1, c1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), d);
    src += 18;
    dst += 256;
  }
}

// ---------------------------------------------------------------- K-quants (256 values)

/** Q2_K (84 bytes): per 16 values dl = d·(sc & 15), ml = dmin·(sc >> 4); y = dl·q − ml. */
export function dequantQ2_K(src: usize, dst: usize, nb: i32): void {
  const k3 = kb(51);
  for (let b = 0; b < nb; b++) {
    const d = half(src + 80);
    const mn = half(src + 82);
    let sp = src;
    for (let n = 0; n < 2; n++) {
      const q0 = v128.load(src + 16 + (<usize>n << 5));
      const q1 = v128.load(src + 32 + (<usize>n << 5));
      for (let j = 0; j < 4; j++) {
        const shift = j << 1;
        let sc = <u32>load<u8>(sp);
        mulSub16(dst, v128.and(i16x8.shr_u(q0, shift), k3), f32x4.splat(d * <f32>(sc & 15)), f32x4.splat(mn * <f32>(sc >> 4)));
        sc = <u32>load<u8>(sp, 1);
        mulSub16(dst + 64, v128.and(i16x8.shr_u(q1, shift), k3), f32x4.splat(d * <f32>(sc & 15)), f32x4.splat(mn * <f32>(sc >> 4)));
        sp += 2;
        dst += 128;
      }
    }
    src += 84;
  }
}

/** Q3_K (110 bytes): per 16 values dl = d·(sc − 32); y = dl·(q − (high bit ? 0 : 4)). */
export function dequantQ3_K(src: usize, dst: usize, nb: i32): void {
  const k3 = kb(51), k4 = kb(52), zero = i8x16.splat(0);
  for (let b = 0; b < nb; b++) {
    const dAll = half(src + 108);
    // the 16 6-bit scales, as ggml's kmask1/kmask2 shuffle of the 12 bytes at 96
    const a0 = load<u32>(src, 96), a1 = load<u32>(src, 100), t = load<u32>(src, 104);
    const w0 = (a0 & 0x0f0f0f0f) | ((t & 0x03030303) << 4);
    const w1 = (a1 & 0x0f0f0f0f) | (((t >> 2) & 0x03030303) << 4);
    const w2 = ((a0 >> 4) & 0x0f0f0f0f) | (((t >> 4) & 0x03030303) << 4);
    const w3 = ((a1 >> 4) & 0x0f0f0f0f) | (((t >> 6) & 0x03030303) << 4);
    const hm0 = v128.load(src), hm1 = v128.load(src, 16);
    for (let n = 0; n < 2; n++) {
      const q0 = v128.load(src + 32 + (<usize>n << 5));
      const q1 = v128.load(src + 48 + (<usize>n << 5));
      const wa = n == 0 ? w0 : w2;
      const wb = n == 0 ? w1 : w3;
      for (let j = 0; j < 4; j++) {
        const shift = j << 1;
        const mb: i32 = 1 << ((n << 2) + j);
        const m = i8x16.splat(<i8>mb);
        // scales 8n + 2j and 8n + 2j + 1: bytes 2j, 2j + 1 of the words wa (j < 2) or wb
        const w = j < 2 ? wa : wb;
        const s0 = <i32>((w >> (((j & 1) << 4))) & 0xff) - 32;
        const s1 = <i32>((w >> (((j & 1) << 4) + 8)) & 0xff) - 32;
        const h0 = v128.and(i8x16.eq(v128.and(hm0, m), zero), k4);
        const h1 = v128.and(i8x16.eq(v128.and(hm1, m), zero), k4);
        mul16(dst, i8x16.sub(v128.and(i16x8.shr_u(q0, shift), k3), h0), f32x4.splat(dAll * <f32>s0));
        mul16(dst + 64, i8x16.sub(v128.and(i16x8.shr_u(q1, shift), k3), h1), f32x4.splat(dAll * <f32>s1));
        dst += 128;
      }
    }
    src += 110;
  }
}

/** ggml's get_scale_min_k4 for sub-block j of the 12 bytes at q: scale | (min << 8). */
function scaleMinK4(j: i32, q: usize): u32 {
  if (j < 4) return (<u32>load<u8>(q + <usize>j) & 63) | ((<u32>load<u8>(q + <usize>j + 4) & 63) << 8);
  const sc = (<u32>load<u8>(q + <usize>j + 4) & 0xf) | ((<u32>load<u8>(q + <usize>j - 4) >> 6) << 4);
  const m = (<u32>load<u8>(q + <usize>j + 4) >> 4) | ((<u32>load<u8>(q + <usize>j) >> 6) << 4);
  return sc | (m << 8);
}

/** Q4_K (144 bytes): per 32 values d1 = d·sc, m1 = dmin·m; y = d1·q − m1. */
export function dequantQ4_K(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48);
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    const mn = half(src + 2);
    for (let j = 0; j < 4; j++) {
      const sm1 = scaleMinK4(j << 1, src + 4);
      const sm2 = scaleMinK4((j << 1) + 1, src + 4);
      const d1 = f32x4.splat(d * <f32>(sm1 & 0xff)), m1 = f32x4.splat(mn * <f32>(sm1 >> 8));
      const d2 = f32x4.splat(d * <f32>(sm2 & 0xff)), m2 = f32x4.splat(mn * <f32>(sm2 >> 8));
      const q0 = v128.load(src + 16 + (<usize>j << 5));
      const q1 = v128.load(src + 32 + (<usize>j << 5));
      mulSub16(dst, lo4(q0, k0f), d1, m1);
      mulSub16(dst + 64, lo4(q1, k0f), d1, m1);
      mulSub16(dst + 128, hi4(q0, k0f), d2, m2);
      mulSub16(dst + 192, hi4(q1, k0f), d2, m2);
      dst += 256;
    }
    src += 144;
  }
}

/** Q5_K (176 bytes): as Q4_K, plus 16 where the value's bit of qh is set. */
export function dequantQ5_K(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48), k16 = kb(50), zero = i8x16.splat(0);
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    const mn = half(src + 2);
    const qh0 = v128.load(src, 16), qh1 = v128.load(src, 32);
    for (let j = 0; j < 4; j++) {
      const sm1 = scaleMinK4(j << 1, src + 4);
      const sm2 = scaleMinK4((j << 1) + 1, src + 4);
      const d1 = f32x4.splat(d * <f32>(sm1 & 0xff)), m1 = f32x4.splat(mn * <f32>(sm1 >> 8));
      const d2 = f32x4.splat(d * <f32>(sm2 & 0xff)), m2 = f32x4.splat(mn * <f32>(sm2 >> 8));
      const b1: i32 = 1 << (j << 1), b2: i32 = 2 << (j << 1);
      const u1 = i8x16.splat(<i8>b1), u2 = i8x16.splat(<i8>b2);
      const q0 = v128.load(src + 48 + (<usize>j << 5));
      const q1 = v128.load(src + 64 + (<usize>j << 5));
      mulSub16(dst, v128.or(lo4(q0, k0f), v128.andnot(k16, i8x16.eq(v128.and(qh0, u1), zero))), d1, m1);
      mulSub16(dst + 64, v128.or(lo4(q1, k0f), v128.andnot(k16, i8x16.eq(v128.and(qh1, u1), zero))), d1, m1);
      mulSub16(dst + 128, v128.or(hi4(q0, k0f), v128.andnot(k16, i8x16.eq(v128.and(qh0, u2), zero))), d2, m2);
      mulSub16(dst + 192, v128.or(hi4(q1, k0f), v128.andnot(k16, i8x16.eq(v128.and(qh1, u2), zero))), d2, m2);
      dst += 256;
    }
    src += 176;
  }
}

/** Q6_K (210 bytes): per 16 values ds = d·sc (int8 scale); y = ds·(q − 32). */
export function dequantQ6_K(src: usize, dst: usize, nb: i32): void {
  const k0f = kb(48), k3 = kb(51), k32 = kb(54);
  for (let b = 0; b < nb; b++) {
    const d = half(src + 208);
    for (let n = 0; n < 2; n++) {
      const ql = src + (<usize>n << 6);
      const qh = src + 128 + (<usize>n << 5);
      const sc = src + 192 + (<usize>n << 3);
      const y = dst + (<usize>n << 9);
      for (let h = 0; h < 2; h++) {
        const o = <usize>h << 4;
        const l0 = v128.load(ql + o), l1 = v128.load(ql + 32 + o), hv = v128.load(qh + o);
        const q1 = i8x16.sub(v128.or(lo4(l0, k0f), i8x16.shl(v128.and(hv, k3), 4)), k32);
        const q2 = i8x16.sub(v128.or(lo4(l1, k0f), i8x16.shl(v128.and(i16x8.shr_u(hv, 2), k3), 4)), k32);
        const q3 = i8x16.sub(v128.or(hi4(l0, k0f), i8x16.shl(v128.and(i16x8.shr_u(hv, 4), k3), 4)), k32);
        const q4 = i8x16.sub(v128.or(hi4(l1, k0f), i8x16.shl(v128.and(i16x8.shr_u(hv, 6), k3), 4)), k32);
        const yo = y + (o << 2);
        mul16(yo, q1, f32x4.splat(d * <f32>load<i8>(sc + <usize>h)));
        mul16(yo + 128, q2, f32x4.splat(d * <f32>load<i8>(sc + <usize>h + 2)));
        mul16(yo + 256, q3, f32x4.splat(d * <f32>load<i8>(sc + <usize>h + 4)));
        mul16(yo + 384, q4, f32x4.splat(d * <f32>load<i8>(sc + <usize>h + 6)));
      }
    }
    src += 210;
    dst += 1024;
  }
}

/** Q8_K (292 bytes): float32 d, 256 int8; y = d·q. */
export function dequantQ8_K(src: usize, dst: usize, nb: i32): void {
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(load<f32>(src));
    for (let k = 0; k < 16; k++) mul16(dst + (<usize>k << 6), v128.load(src + 4 + (<usize>k << 4)), d);
    src += 292;
    dst += 1024;
  }
}

// ---------------------------------------------------------------- ternary and IQ4_XS

/** TQ2_0 (66 bytes): y = (q − 1)·d, 2-bit codes, four passes over 32 bytes per 128 values. */
export function dequantTQ2_0(src: usize, dst: usize, nb: i32): void {
  const k3 = kb(51), k1 = kb(53);
  for (let b = 0; b < nb; b++) {
    const d = f32x4.splat(half(src + 64));
    for (let j = 0; j < 2; j++) {
      const qa = v128.load(src + (<usize>j << 5)), qb = v128.load(src + 16 + (<usize>j << 5));
      for (let l = 0; l < 4; l++) {
        mul16(dst, i8x16.sub(v128.and(i16x8.shr_u(qa, l << 1), k3), k1), d);
        mul16(dst + 64, i8x16.sub(v128.and(i16x8.shr_u(qb, l << 1), k3), k1), d);
        dst += 128;
      }
    }
    src += 66;
  }
}

/** 16 base-3 digits t of the bytes q as TQ1_0 reads them (((q·p) mod 256)·3 >> 8), as int8 t − 1. */
function trits16(q: v128, p: v128, kff: v128, k3: v128): v128 {
  const a = i16x8.shr_u(i16x8.mul(v128.and(i16x8.mul(i16x8.extend_low_i8x16_u(q), p), kff), k3), 8);
  const b = i16x8.shr_u(i16x8.mul(v128.and(i16x8.mul(i16x8.extend_high_i8x16_u(q), p), kff), k3), 8);
  return i8x16.sub(i8x16.narrow_i16x8_u(a, b), i8x16.splat(1));
}

/** TQ1_0 (54 bytes): y = (t − 1)·d, five trits per byte of qs[48], four per byte of qh[4]. */
export function dequantTQ1_0(src: usize, dst: usize, nb: i32): void {
  const kff = v128.load16_splat(GK + 56), k3 = v128.load16_splat(GK + 58);
  for (let b = 0; b < nb; b++) {
    const df = half(src + 52);
    const d = f32x4.splat(df);
    const qa = v128.load(src), qb = v128.load(src, 16), qc = v128.load(src, 32);
    let p: i32 = 1;
    for (let n = 0; n < 5; n++) {
      const pv = i16x8.splat(<i16>p);
      mul16(dst, trits16(qa, pv, kff, k3), d);
      mul16(dst + 64, trits16(qb, pv, kff, k3), d);
      dst += 128;
      p *= 3;
    }
    p = 1;
    for (let n = 0; n < 5; n++) {
      mul16(dst, trits16(qc, i16x8.splat(<i16>p), kff, k3), d);
      dst += 64;
      p *= 3;
    }
    p = 1;
    for (let n = 0; n < 4; n++) {
      for (let j = 0; j < 4; j++) {
        const t = <i32>(((((<u32>load<u8>(src + 48 + <usize>j)) * <u32>p) & 0xff) * 3) >> 8);
        store<f32>(dst, <f32>(t - 1) * df);
        dst += 4;
      }
      p *= 3;
    }
    src += 54;
  }
}

/** IQ4_XS (136 bytes): per 32 values dl = d·(ls − 32) (6-bit ls); y = dl·kvalues_iq4nl[q]. */
export function dequantIQ4_XS(src: usize, dst: usize, nb: i32, kvalues: usize): void {
  const k0f = kb(48), tbl = v128.load(kvalues);
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    const sh = <u32>load<u16>(src + 2);
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((<u32>load<u8>(src + 4 + (<usize>ib >> 1)) >> ((ib & 1) << 2)) & 0xf) | (((sh >> (ib << 1)) & 3) << 4);
      const dl = f32x4.splat(d * <f32>(<i32>ls - 32));
      const q = v128.load(src + 8 + (<usize>ib << 4));
      mul16(dst, i8x16.swizzle(tbl, lo4(q, k0f)), dl);
      mul16(dst + 64, i8x16.swizzle(tbl, hi4(q, k0f)), dl);
      dst += 128;
    }
    src += 136;
  }
}

// ---------------------------------------------------------------- grid i-quants
// `signs` points at 256 sign patterns as float32 (pattern s: 8 values, −1 where bit j of s is set, else
// +1), so y = (db·grid)·(±1) is two multiplies per value, as in the C. `ksigns` is ggml's ksigns_iq2xs.

/** 8 values (db·g_j)·sign_j: g the 8 unsigned grid bytes at `g`, signs the pattern at `sv`. */
function grid8(dst: usize, g: v128, db: v128, sv: usize): void {
  const w = i16x8.extend_low_i8x16_u(g);
  v128.store(dst, f32x4.mul(f32x4.mul(db, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(w))), v128.load(sv)));
  v128.store(dst, f32x4.mul(f32x4.mul(db, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(w))), v128.load(sv, 16)), 16);
}

/** IQ2_XXS (66 bytes): per 32 values two uint32: 4 grid indices, then 4×7 sign bits and a 4-bit scale. */
export function dequantIQ2_XXS(src: usize, dst: usize, nb: i32, grid: usize, ksigns: usize, signs: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const a = src + 2 + (<usize>ib << 3);
      const aux1 = load<u32>(a, 4);
      const db = f32x4.splat((d * (<f32>0.5 + <f32>(aux1 >> 28))) * <f32>0.25);
      for (let l = 0; l < 4; l++) {
        const g = v128.load64_zero(grid + (<usize>load<u8>(a + <usize>l) << 3));
        const s = <usize>load<u8>(ksigns + <usize>((aux1 >> (7 * l)) & 127));
        grid8(dst, g, db, signs + (s << 5));
        dst += 32;
      }
    }
    src += 66;
  }
}

/** IQ2_XS (74 bytes): uint16 per 8 values (9-bit grid index, 7 sign bits), two 4-bit scales per 32. */
export function dequantIQ2_XS(src: usize, dst: usize, nb: i32, grid: usize, ksigns: usize, signs: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(src + 66 + <usize>ib);
      const db0 = f32x4.splat((d * (<f32>0.5 + <f32>(sc & 15))) * <f32>0.25);
      const db1 = f32x4.splat((d * (<f32>0.5 + <f32>(sc >> 4))) * <f32>0.25);
      for (let l = 0; l < 4; l++) {
        const q = <u32>load<u16>(src + 2 + (<usize>((ib << 2) + l) << 1));
        const g = v128.load64_zero(grid + (<usize>(q & 511) << 3));
        const s = <usize>load<u8>(ksigns + <usize>(q >> 9));
        grid8(dst, g, l < 2 ? db0 : db1, signs + (s << 5));
        dst += 32;
      }
    }
    src += 74;
  }
}

/** IQ2_S (82 bytes): grid index bytes qs[32], sign bytes [32], index bits 8-9 in qh[8], scales[8]. */
export function dequantIQ2_S(src: usize, dst: usize, nb: i32, grid: usize, signs: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(src + 74 + <usize>ib);
      const db0 = f32x4.splat((d * (<f32>0.5 + <f32>(sc & 15))) * <f32>0.25);
      const db1 = f32x4.splat((d * (<f32>0.5 + <f32>(sc >> 4))) * <f32>0.25);
      const qh = <u32>load<u8>(src + 66 + <usize>ib);
      const qs = src + 2 + (<usize>ib << 2);
      for (let l = 0; l < 4; l++) {
        const idx = <u32>load<u8>(qs + <usize>l) | ((qh << (8 - (l << 1))) & 0x300);
        const g = v128.load64_zero(grid + (<usize>idx << 3));
        const s = <usize>load<u8>(qs + 32 + <usize>l);
        grid8(dst, g, l < 2 ? db0 : db1, signs + (s << 5));
        dst += 32;
      }
    }
    src += 82;
  }
}

/** IQ3_XXS (98 bytes): grid index bytes qs[64] (4 values each), then per 32 values a uint32 of signs and scale. */
export function dequantIQ3_XXS(src: usize, dst: usize, nb: i32, grid: usize, ksigns: usize, signs: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const aux = load<u32>(src + 66 + (<usize>ib << 2));
      const db = f32x4.splat((d * (<f32>0.5 + <f32>(aux >> 28))) * <f32>0.5);
      const qs = src + 2 + (<usize>ib << 3);
      for (let l = 0; l < 4; l++) {
        const g1 = load<u32>(grid + (<usize>load<u8>(qs + (<usize>l << 1)) << 2));
        const g2 = load<u32>(grid + (<usize>load<u8>(qs + (<usize>l << 1) + 1) << 2));
        const g = i32x4.replace_lane(i32x4.splat(g1), 1, g2);
        const s = <usize>load<u8>(ksigns + <usize>((aux >> (7 * l)) & 127));
        grid8(dst, g, db, signs + (s << 5));
        dst += 32;
      }
    }
    src += 98;
  }
}

/** IQ3_S (110 bytes): qs[64], qh[8] (index bit 8), sign bytes [32], scales[4]; db = d·(1 + 2·sc). */
export function dequantIQ3_S(src: usize, dst: usize, nb: i32, grid: usize, signs: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const sc = <u32>load<u8>(src + 106 + (<usize>ib >> 1)); // one byte per 64 values: low nibble, then high
      const k: u32 = (ib & 1) == 0 ? sc & 15 : sc >> 4;
      const db = f32x4.splat(d * <f32>((k << 1) + 1));
      const qh = <u32>load<u8>(src + 66 + <usize>ib);
      const qs = src + 2 + (<usize>ib << 3);
      const sg = src + 74 + (<usize>ib << 2);
      for (let l = 0; l < 4; l++) {
        const i1 = <u32>load<u8>(qs + (<usize>l << 1)) | ((qh << (8 - (l << 1))) & 256);
        const i2 = <u32>load<u8>(qs + (<usize>l << 1) + 1) | ((qh << (7 - (l << 1))) & 256);
        const g = i32x4.replace_lane(i32x4.splat(load<u32>(grid + (<usize>i1 << 2))), 1, load<u32>(grid + (<usize>i2 << 2)));
        const s = <usize>load<u8>(sg + <usize>l);
        grid8(dst, g, db, signs + (s << 5));
        dst += 32;
      }
    }
    src += 110;
  }
}

/** 8 values dl·(g_j + delta): g the 8 int8 grid values at `g`. */
function grid1(dst: usize, g: v128, dl: v128, delta: v128): void {
  const w = i16x8.extend_low_i8x16_s(g);
  v128.store(dst, f32x4.mul(dl, f32x4.add(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(w)), delta)));
  v128.store(dst, f32x4.mul(dl, f32x4.add(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(w)), delta)), 16);
}

/** IQ1_S (50 bytes): qs[32], qh[8] (uint16: 4×3 index bits, 3-bit scale, delta sign); y = dl·(g + delta). */
export function dequantIQ1_S(src: usize, dst: usize, nb: i32, grid: usize): void {
  for (let b = 0; b < nb; b++) {
    const d = half(src);
    for (let ib = 0; ib < 8; ib++) {
      const qh = <u32>load<u16>(src + 34 + (<usize>ib << 1));
      const dl = f32x4.splat(d * <f32>((((qh >> 12) & 7) << 1) + 1));
      const delta = f32x4.splat(qh & 0x8000 ? <f32>-0.125 : <f32>0.125);
      const qs = src + 2 + (<usize>ib << 2);
      for (let l = 0; l < 4; l++) {
        const idx = <u32>load<u8>(qs + <usize>l) | (((qh >> (3 * l)) & 7) << 8);
        grid1(dst, v128.load64_zero(grid + (<usize>idx << 3)), dl, delta);
        dst += 32;
      }
    }
    src += 50;
  }
}

/** IQ1_M (56 bytes): qs[32], qh[16], scales[8] (3-bit scales; the fp16 d in their top nibbles). */
export function dequantIQ1_M(src: usize, dst: usize, nb: i32, grid: usize): void {
  for (let b = 0; b < nb; b++) {
    const s0 = <u32>load<u16>(src, 48), s1 = <u32>load<u16>(src, 50), s2 = <u32>load<u16>(src, 52), s3 = <u32>load<u16>(src, 54);
    const d = reinterpret<f32>(f16ToF32s((s0 >> 12) | ((s1 >> 8) & 0x00f0) | ((s2 >> 4) & 0x0f00) | (s3 & 0xf000)));
    for (let ib = 0; ib < 8; ib++) {
      const sc = <u32>load<u16>(src + 48 + (<usize>ib >> 1 << 1));
      const sh = (ib & 1) * 6;
      const dl1 = f32x4.splat(d * <f32>((((sc >> sh) & 7) << 1) + 1));
      const dl2 = f32x4.splat(d * <f32>((((sc >> (sh + 3)) & 7) << 1) + 1));
      const qs = src + (<usize>ib << 2);
      const h0 = <u32>load<u8>(src + 32 + (<usize>ib << 1));
      const h1 = <u32>load<u8>(src + 33 + (<usize>ib << 1));
      const i0 = <u32>load<u8>(qs) | ((h0 << 8) & 0x700);
      const i1 = <u32>load<u8>(qs, 1) | ((h0 << 4) & 0x700);
      const i2 = <u32>load<u8>(qs, 2) | ((h1 << 8) & 0x700);
      const i3 = <u32>load<u8>(qs, 3) | ((h1 << 4) & 0x700);
      grid1(dst, v128.load64_zero(grid + (<usize>i0 << 3)), dl1, f32x4.splat(h0 & 0x08 ? <f32>-0.125 : <f32>0.125));
      grid1(dst + 32, v128.load64_zero(grid + (<usize>i1 << 3)), dl1, f32x4.splat(h0 & 0x80 ? <f32>-0.125 : <f32>0.125));
      grid1(dst + 64, v128.load64_zero(grid + (<usize>i2 << 3)), dl2, f32x4.splat(h1 & 0x08 ? <f32>-0.125 : <f32>0.125));
      grid1(dst + 96, v128.load64_zero(grid + (<usize>i3 << 3)), dl2, f32x4.splat(h1 & 0x80 ? <f32>-0.125 : <f32>0.125));
      dst += 128;
    }
    src += 56;
  }
}
