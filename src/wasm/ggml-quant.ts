// @ts-nocheck: AssemblyScript (v128, load<T>, usize ...), type-checked by asc, not by tsc.
// WebAssembly SIMD kernels of llama.cpp's ggml quantizers, bit for bit what ggml's C reference
// `quantize_row_<type>_ref` writes (ggml-org/ggml d99724f2; reference twins in
// src/quant/ggml/reference.ts, which tests compare these with). Exactness comes from doing, lane by
// lane, the very float32 operations of the C in the C's order (WebAssembly's f32 and f32x4 arithmetic
// is IEEE single precision, no FMA):
// - the K-quants' scale searches run on four sub-blocks at once, one per lane (a lane's sums are
//   sequential over its values, as in C; comparisons become lane masks);
// - `nearest_int` is its integer bit trick on the lanes (exact for every input, NaN and huge values
//   included); C's float-to-int conversions (`cvttss2si`: truncation, INT_MIN for NaN and out of
//   range) are `trunc_sat` with the out-of-range lanes set to INT_MIN;
// - fp16 block scales use lowp's scalar fp16 codec (half-scalar.ts).
// Blocks are independent, so a kernel takes `nb` consecutive blocks from `src` (float32) to `dst`;
// `s` is 4 KiB of 16-byte-aligned scratch.
import { f16ToF32s, f32ToF16s } from './half-scalar';

// Constants, loaded with v128.load32_splat before the loops (see kernels.ts: V8 keeps a vector loaded
// from memory in a register, where it re-materialises a v128.const or a splat at every use).
const GK = memory.data<i32>([
  0x4b400000, //  0 12582912.0f, nearest_int's 1.5·2^23
  0x007fffff, //  1 mantissa mask
  0x00400000, //  2 2^22
  0x7fffffff, //  3 |x| mask
  0,          //  4
  0x3f800000, //  5 1.0f
  0x42000000, //  6 32.0f
  0x80000000, //  7 INT_MIN
  0x4f000000, //  8 2^31 as f32
]);

function gk(j: i32): v128 {
  return v128.load32_splat(GK + (<usize>j << 2));
}

/** C's nearest_int on a float32: the low mantissa bits of fval + 1.5·2^23, for every input. */
function nearestS(v: f32): i32 {
  return (reinterpret<i32>(v + <f32>12582912.0) & 0x7fffff) - 0x400000;
}

/** nearest_int on four lanes (i32x4 result). */
function nearestV(v: v128, magic: v128, mant: v128, half: v128): v128 {
  return i32x4.sub(v128.and(f32x4.add(v, magic), mant), half);
}

/** fp16 code of a float32 (RNE, overflow to inf). */
function fp16(v: f32): u32 {
  return <u32>f32ToF16s(reinterpret<u32>(v));
}

/** float32 value of an fp16 code. */
function fp16v(h: u32): f32 {
  return reinterpret<f32>(f16ToF32s(h));
}

function putFp16(o: usize, v: f32): u32 {
  const h = fp16(v);
  store<u16>(o, <u16>h);
  return h;
}

// ---------------------------------------------------------------- K-quant scratch layout
// T: values of four sub-blocks transposed (lane = sub-block), W: their weights, LB: best levels,
// LA: candidate levels (i32 lanes), K: per-call constants, SC/MN: scales and mins of 16 sub-blocks,
// L: the super-block's levels in natural order (u8).
const T_OFF: usize = 0;
const W_OFF: usize = 512;
const LB_OFF: usize = 1024;
const LA_OFF: usize = 1536;
const K_OFF: usize = 2048;
const SC_OFF: usize = 2112;
const MN_OFF: usize = 2176;
const L_OFF: usize = 2240;

/** Fills T with the n values of sub-blocks x0, x0 + n·4 … (four sub-blocks, consecutive in memory). */
function transpose4(x: usize, n: i32, T: usize): void {
  const stride = <usize>n << 2;
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 2);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
    v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
    v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
    v128.store(T + (<usize>i << 4), v);
  }
}

/** Writes lane k of LB (i32 levels) to L[k·n + i] (u8), for the four sub-blocks starting at L. */
function scatterLevels(LB: usize, n: i32, L: usize): void {
  const nn = <usize>n;
  for (let i = 0; i < n; i++) {
    const v = v128.load(LB + (<usize>i << 4));
    const q = L + <usize>i;
    store<u8>(q, <u8>i32x4.extract_lane(v, 0));
    store<u8>(q + nn, <u8>i32x4.extract_lane(v, 1));
    store<u8>(q + 2 * nn, <u8>i32x4.extract_lane(v, 2));
    store<u8>(q + 3 * nn, <u8>i32x4.extract_lane(v, 3));
  }
}

/**
 * make_qkx2_quants on four sub-blocks of n values (T, W at s; nstep >= 1): levels to LB, scales to
 * `outScale` and −min to `outMin` (four f32 each).
 */
function qkx2Lanes(n: i32, nmax: i32, s: usize, rmin: f32, rdelta: f32, nstep: i32, useMad: bool, outScale: usize, outMin: usize): void {
  const T = s + T_OFF, W = s + W_OFF, LB = s + LB_OFF, LA = s + LA_OFF, K = s + K_OFF;
  v128.store(K, i32x4.splat(nmax));
  const zero = gk(4), magic = gk(0), mant = gk(1), half = gk(2), one = gk(5);
  const vnmax = v128.load(K);
  const x0 = v128.load(T);
  let mn = x0, mx = x0;
  let sw = v128.load(W);
  let sx = f32x4.mul(sw, x0);
  for (let i = 1; i < n; i++) {
    const xi = v128.load(T + (<usize>i << 4));
    const w = v128.load(W + (<usize>i << 4));
    mn = v128.bitselect(xi, mn, f32x4.lt(xi, mn));
    mx = v128.bitselect(xi, mx, f32x4.gt(xi, mx));
    sw = f32x4.add(sw, w);
    sx = f32x4.add(sx, f32x4.mul(w, xi));
  }
  mn = v128.bitselect(zero, mn, f32x4.gt(mn, zero));
  const mn0 = mn;
  const same = f32x4.eq(mx, mn);
  let iscale = f32x4.div(f32x4.convert_i32x4_s(vnmax), f32x4.sub(mx, mn));
  let scale = f32x4.div(one, iscale);
  let best = zero;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const xi = v128.load(T + o);
    const l = i32x4.max_s(zero, i32x4.min_s(vnmax, nearestV(f32x4.mul(iscale, f32x4.sub(xi, mn)), magic, mant, half)));
    v128.store(LB + o, l);
    let diff = f32x4.sub(f32x4.add(f32x4.mul(scale, f32x4.convert_i32x4_s(l)), mn), xi);
    diff = useMad ? f32x4.abs(diff) : f32x4.mul(diff, diff);
    best = f32x4.add(best, f32x4.mul(v128.load(W + o), diff));
  }
  for (let is = 0; is <= nstep; is++) {
    const num: f32 = rmin + rdelta * <f32>is + <f32>nmax;
    iscale = f32x4.div(f32x4.splat(num), f32x4.sub(mx, mn));
    let sl = zero, sl2 = zero, sxl = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(T + o);
      const l = i32x4.max_s(zero, i32x4.min_s(vnmax, nearestV(f32x4.mul(iscale, f32x4.sub(xi, mn)), magic, mant, half)));
      v128.store(LA + o, l);
      const lf = f32x4.convert_i32x4_s(l);
      const wl = f32x4.mul(v128.load(W + o), lf);
      sl = f32x4.add(sl, wl);
      sl2 = f32x4.add(sl2, f32x4.mul(wl, lf));
      sxl = f32x4.add(sxl, f32x4.mul(wl, xi));
    }
    const D = f32x4.sub(f32x4.mul(sw, sl2), f32x4.mul(sl, sl));
    const posD = f32x4.gt(D, zero);
    if (!v128.any_true(posD)) continue;
    let ts = f32x4.div(f32x4.sub(f32x4.mul(sw, sxl), f32x4.mul(sx, sl)), D);
    let tm = f32x4.div(f32x4.sub(f32x4.mul(sl2, sx), f32x4.mul(sl, sxl)), D);
    const pos = f32x4.gt(tm, zero);
    tm = v128.bitselect(zero, tm, pos);
    ts = v128.bitselect(f32x4.div(sxl, sl2), ts, pos);
    let ce = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      let diff = f32x4.sub(f32x4.add(f32x4.mul(ts, f32x4.convert_i32x4_s(v128.load(LA + o))), tm), v128.load(T + o));
      diff = useMad ? f32x4.abs(diff) : f32x4.mul(diff, diff);
      ce = f32x4.add(ce, f32x4.mul(v128.load(W + o), diff));
    }
    const acc = v128.and(posD, f32x4.lt(ce, best));
    if (v128.any_true(acc)) {
      for (let i = 0; i < n; i++) {
        const o = <usize>i << 4;
        v128.store(LB + o, v128.bitselect(v128.load(LA + o), v128.load(LB + o), acc));
      }
      best = v128.bitselect(ce, best, acc);
      scale = v128.bitselect(ts, scale, acc);
      mn = v128.bitselect(tm, mn, acc);
    }
  }
  // lanes whose values are all equal (after clamping min to <= 0): levels 0, scale 0, min as clamped
  if (v128.any_true(same)) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      v128.store(LB + o, v128.bitselect(zero, v128.load(LB + o), same));
    }
    scale = v128.bitselect(zero, scale, same);
    mn = v128.bitselect(mn0, mn, same);
  }
  v128.store(outScale, scale);
  v128.store(outMin, f32x4.neg(mn));
}

/** Q2_K: 16 sub-blocks of 16, levels 0..3 with 4-bit scales and mins (84-byte blocks). */
export function ggmlQ2K(src: usize, dst: usize, nb: i32, s: usize): void {
  const T = s + T_OFF, W = s + W_OFF, SC = s + SC_OFF, MN = s + MN_OFF, L = s + L_OFF;
  const absm = gk(3);
  for (let ib = 0; ib < nb; ib++) {
    const x = src + (<usize>ib << 10);
    const y = dst + <usize>ib * 84;
    for (let g = 0; g < 4; g++) {
      transpose4(x + (<usize>g << 8), 16, T);
      for (let i = 0; i < 16; i++) v128.store(W + (<usize>i << 4), v128.and(v128.load(T + (<usize>i << 4)), absm));
      qkx2Lanes(16, 3, s, -0.5, <f32>0.1, 15, true, SC + (<usize>g << 4), MN + (<usize>g << 4));
      scatterLevels(s + LB_OFF, 16, L + (<usize>g << 6));
    }
    let maxScale: f32 = 0, maxMin: f32 = 0;
    for (let j = 0; j < 16; j++) {
      const sc = load<f32>(SC + (<usize>j << 2));
      if (sc > maxScale) maxScale = sc;
      const m = load<f32>(MN + (<usize>j << 2));
      if (m > maxMin) maxMin = m;
    }
    if (maxScale > 0) {
      const iscale: f32 = <f32>15 / maxScale;
      for (let j = 0; j < 16; j++) store<u8>(y + <usize>j, <u8>nearestS(iscale * load<f32>(SC + (<usize>j << 2))));
      putFp16(y + 80, maxScale / <f32>15);
    } else {
      for (let j = 0; j < 16; j++) store<u8>(y + <usize>j, 0);
      putFp16(y + 80, 0);
    }
    if (maxMin > 0) {
      const iscale: f32 = <f32>15 / maxMin;
      for (let j = 0; j < 16; j++) {
        const p = y + <usize>j;
        store<u8>(p, load<u8>(p) | <u8>(nearestS(iscale * load<f32>(MN + (<usize>j << 2))) << 4));
      }
      putFp16(y + 82, maxMin / <f32>15);
    } else {
      putFp16(y + 82, 0);
    }
    const dAll = fp16v(<u32>load<u16>(y + 80));
    const mAll = fp16v(<u32>load<u16>(y + 82));
    levelsAsym(x, y, L, 16, 16, 3, dAll, mAll, false);
    for (let j = 0; j < 256; j += 128) {
      for (let l = 0; l < 32; l++) {
        const q = L + <usize>(j + l);
        store<u8>(y + 16 + <usize>((j >> 2) + l), load<u8>(q) | (load<u8>(q, 32) << 2) | (load<u8>(q, 64) << 4) | (load<u8>(q, 96) << 6));
      }
    }
  }
}

/**
 * The final levels of the asymmetric K-quants: for each of `nsub` sub-blocks of `n` values whose
 * block scale d = dAll·sc is not 0, L = clamp(nearest_int((x + dAll_min·m)/d), 0, nmax); sub-blocks
 * with d = 0 keep the search's levels. `six` selects Q4_K/Q5_K's 6-bit scale packing (at y + 4),
 * else Q2_K's 4-bit (at y).
 */
function levelsAsym(x: usize, y: usize, L: usize, nsub: i32, n: i32, nmax: i32, dAll: f32, mAll: f32, six: bool): void {
  const magic = gk(0), mant = gk(1), half = gk(2), zero = gk(4);
  for (let j = 0; j < nsub; j++) {
    let sc: i32, m: i32;
    if (!six) {
      const b = <i32>load<u8>(y + <usize>j);
      sc = b & 0xf;
      m = b >> 4;
    } else {
      const q = y + 4;
      if (j < 4) {
        sc = <i32>load<u8>(q + <usize>j) & 63;
        m = <i32>load<u8>(q + <usize>(j + 4)) & 63;
      } else {
        sc = (<i32>load<u8>(q + <usize>(j + 4)) & 0xf) | ((<i32>load<u8>(q + <usize>(j - 4)) >> 6) << 4);
        m = (<i32>load<u8>(q + <usize>(j + 4)) >> 4) | ((<i32>load<u8>(q + <usize>j) >> 6) << 4);
      }
    }
    const d: f32 = dAll * <f32>sc;
    if (d == 0) continue;
    const dm: f32 = mAll * <f32>m;
    const vd = f32x4.splat(d), vdm = f32x4.splat(dm), vmax = i32x4.splat(nmax);
    for (let ii = 0; ii < n; ii += 4) {
      const p = x + (<usize>(j * n + ii) << 2);
      const l = i32x4.max_s(zero, i32x4.min_s(vmax, nearestV(f32x4.div(f32x4.add(v128.load(p), vdm), vd), magic, mant, half)));
      const q = L + <usize>(j * n + ii);
      store<u8>(q, <u8>i32x4.extract_lane(l, 0));
      store<u8>(q + 1, <u8>i32x4.extract_lane(l, 1));
      store<u8>(q + 2, <u8>i32x4.extract_lane(l, 2));
      store<u8>(q + 3, <u8>i32x4.extract_lane(l, 3));
    }
  }
}

/** Q4_K (five = 0: 144-byte blocks, levels 0..15) and Q5_K (five = 1: 176 bytes, levels 0..31). */
export function ggmlQ45K(src: usize, dst: usize, nb: i32, s: usize, five: i32): void {
  const T = s + T_OFF, W = s + W_OFF, SC = s + SC_OFF, MN = s + MN_OFF, L = s + L_OFF;
  const absm = gk(3), n32 = gk(6);
  const nmax = five ? 31 : 15;
  const rmin: f32 = five ? -0.5 : -1.0;
  const nstep = five ? 15 : 20;
  const bytes: usize = five ? 176 : 144;
  for (let ib = 0; ib < nb; ib++) {
    const x = src + (<usize>ib << 10);
    const y = dst + <usize>ib * bytes;
    for (let g = 0; g < 2; g++) {
      transpose4(x + (<usize>g << 9), 32, T);
      let s2 = gk(4);
      for (let l = 0; l < 32; l++) {
        const v = v128.load(T + (<usize>l << 4));
        s2 = f32x4.add(s2, f32x4.mul(v, v));
      }
      const av = f32x4.sqrt(f32x4.div(s2, n32));
      for (let l = 0; l < 32; l++) {
        const o = <usize>l << 4;
        v128.store(W + o, f32x4.add(av, v128.and(v128.load(T + o), absm)));
      }
      qkx2Lanes(32, nmax, s, rmin, <f32>0.1, nstep, false, SC + (<usize>g << 4), MN + (<usize>g << 4));
      scatterLevels(s + LB_OFF, 32, L + (<usize>g << 7));
    }
    let maxScale: f32 = 0, maxMin: f32 = 0;
    for (let j = 0; j < 8; j++) {
      const sc = load<f32>(SC + (<usize>j << 2));
      if (sc > maxScale) maxScale = sc;
      const m = load<f32>(MN + (<usize>j << 2));
      if (m > maxMin) maxMin = m;
    }
    const invScale: f32 = maxScale > 0 ? <f32>63 / maxScale : 0;
    const invMin: f32 = maxMin > 0 ? <f32>63 / maxMin : 0;
    const q = y + 4;
    for (let j = 0; j < 8; j++) {
      let ls = nearestS(invScale * load<f32>(SC + (<usize>j << 2))) & 0xff;
      let lm = nearestS(invMin * load<f32>(MN + (<usize>j << 2))) & 0xff;
      if (ls > 63) ls = 63;
      if (lm > 63) lm = 63;
      if (j < 4) {
        store<u8>(q + <usize>j, <u8>ls);
        store<u8>(q + <usize>(j + 4), <u8>lm);
      } else {
        store<u8>(q + <usize>(j + 4), <u8>((ls & 0xf) | ((lm & 0xf) << 4)));
        store<u8>(q + <usize>(j - 4), load<u8>(q + <usize>(j - 4)) | <u8>((ls >> 4) << 6));
        store<u8>(q + <usize>j, load<u8>(q + <usize>j) | <u8>((lm >> 4) << 6));
      }
    }
    const dh = putFp16(y, maxScale / <f32>63);
    const mh = putFp16(y + 2, maxMin / <f32>63);
    levelsAsym(x, y, L, 8, 32, nmax, fp16v(dh), fp16v(mh), true);
    if (!five) {
      for (let j = 0; j < 4; j++) {
        const qs = y + 16 + (<usize>j << 5);
        const lj = L + (<usize>j << 6);
        for (let l = 0; l < 32; l++) store<u8>(qs + <usize>l, load<u8>(lj + <usize>l) | (load<u8>(lj + <usize>l, 32) << 4));
      }
    } else {
      const qh = y + 16;
      v128.store(qh, gk(4));
      v128.store(qh, gk(4), 16);
      let m1: u8 = 1, m2: u8 = 2;
      for (let nn = 0; nn < 256; nn += 64) {
        const ql = y + 48 + <usize>(nn >> 1);
        for (let j = 0; j < 32; j++) {
          let l1 = load<u8>(L + <usize>(nn + j));
          let h: u8 = load<u8>(qh + <usize>j);
          if (l1 > 15) {
            l1 -= 16;
            h |= m1;
          }
          let l2 = load<u8>(L + <usize>(nn + j + 32));
          if (l2 > 15) {
            l2 -= 16;
            h |= m2;
          }
          store<u8>(qh + <usize>j, h);
          store<u8>(ql + <usize>j, l1 | (l2 << 4));
        }
        m1 <<= 2;
        m2 <<= 2;
      }
    }
  }
}

/** Per lane: the value of largest magnitude (the first one, as C's `if (ax > amax)` keeps) and that magnitude. */
function signedMaxLanes(T: usize, n: i32, K: usize): void {
  const absm = gk(3);
  let amax = gk(4), max = gk(4);
  for (let i = 0; i < n; i++) {
    const xi = v128.load(T + (<usize>i << 4));
    const ax = v128.and(xi, absm);
    const gt = f32x4.gt(ax, amax);
    amax = v128.bitselect(ax, amax, gt);
    max = v128.bitselect(xi, max, gt);
  }
  v128.store(K, amax);
  v128.store(K, max, 16);
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (Q6_K: n 16, nmax 32) on four sub-blocks:
 * levels + nmax to LB (i32), scales to `outScale`.
 */
function qxLanes(n: i32, nmax: i32, s: usize, outScale: usize): void {
  const T = s + T_OFF, LB = s + LB_OFF, LA = s + LA_OFF, K = s + K_OFF;
  signedMaxLanes(T, n, K);
  const amax = v128.load(K), max = v128.load(K, 16);
  v128.store(K, i32x4.splat(-nmax), 32);
  v128.store(K, i32x4.splat(nmax - 1), 48);
  const zero = gk(4), magic = gk(0), mant = gk(1), half = gk(2);
  const lo = v128.load(K, 32), hi = v128.load(K, 48);
  const allZero = f32x4.lt(amax, f32x4.splat(<f32>1e-15));
  let iscale = f32x4.div(f32x4.convert_i32x4_s(lo), max);
  let sumlx = zero, suml2 = zero;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const xi = v128.load(T + o);
    const l = i32x4.max_s(lo, i32x4.min_s(hi, nearestV(f32x4.mul(iscale, xi), magic, mant, half)));
    v128.store(LB + o, i32x4.sub(l, lo));
    const lf = f32x4.convert_i32x4_s(l);
    const w = f32x4.mul(xi, xi);
    sumlx = f32x4.add(sumlx, f32x4.mul(f32x4.mul(w, xi), lf));
    suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(w, lf), lf));
  }
  let scale = v128.bitselect(f32x4.div(sumlx, suml2), zero, f32x4.ne(suml2, zero));
  let best = f32x4.mul(scale, sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    const num: f32 = -(<f32>nmax + <f32>0.1 * <f32>is);
    iscale = f32x4.div(f32x4.splat(num), max);
    sumlx = zero;
    suml2 = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(T + o);
      const l = i32x4.max_s(lo, i32x4.min_s(hi, nearestV(f32x4.mul(iscale, xi), magic, mant, half)));
      v128.store(LA + o, i32x4.sub(l, lo));
      const lf = f32x4.convert_i32x4_s(l);
      const w = f32x4.mul(xi, xi);
      sumlx = f32x4.add(sumlx, f32x4.mul(f32x4.mul(w, xi), lf));
      suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(w, lf), lf));
    }
    const acc = v128.and(f32x4.gt(suml2, zero), f32x4.gt(f32x4.mul(sumlx, sumlx), f32x4.mul(best, suml2)));
    if (v128.any_true(acc)) {
      for (let i = 0; i < n; i++) {
        const o = <usize>i << 4;
        v128.store(LB + o, v128.bitselect(v128.load(LA + o), v128.load(LB + o), acc));
      }
      const ns = f32x4.div(sumlx, suml2);
      scale = v128.bitselect(ns, scale, acc);
      best = v128.bitselect(f32x4.mul(ns, sumlx), best, acc);
    }
  }
  if (v128.any_true(allZero)) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      v128.store(LB + o, v128.bitselect(zero, v128.load(LB + o), allZero));
    }
    scale = v128.bitselect(zero, scale, allZero);
  }
  v128.store(outScale, scale);
}

/** Q6_K: 16 sub-blocks of 16, levels −32..31 with int8 scales (210-byte blocks). */
export function ggmlQ6K(src: usize, dst: usize, nb: i32, s: usize): void {
  const T = s + T_OFF, SC = s + SC_OFF, L = s + L_OFF;
  const magic = gk(0), mant = gk(1), half = gk(2);
  const eps: f32 = <f32>1e-15;
  for (let ib = 0; ib < nb; ib++) {
    const x = src + (<usize>ib << 10);
    const y = dst + <usize>ib * 210;
    for (let g = 0; g < 4; g++) {
      transpose4(x + (<usize>g << 8), 16, T);
      qxLanes(16, 32, s, SC + (<usize>g << 4));
      scatterLevels(s + LB_OFF, 16, L + (<usize>g << 6));
    }
    let maxScale: f32 = 0, maxAbsScale: f32 = 0;
    for (let j = 0; j < 16; j++) {
      const sc = load<f32>(SC + (<usize>j << 2));
      const a = abs<f32>(sc);
      if (a > maxAbsScale) {
        maxAbsScale = a;
        maxScale = sc;
      }
    }
    if (maxAbsScale < eps) {
      memory.fill(y, 0, 210);
      continue;
    }
    const iscale: f32 = <f32>-128 / maxScale;
    const dh = putFp16(y + 208, <f32>1 / iscale);
    for (let j = 0; j < 16; j++) {
      const l = nearestS(iscale * load<f32>(SC + (<usize>j << 2)));
      store<i8>(y + 192 + <usize>j, <i8>(l < 127 ? l : 127));
    }
    const dAll = fp16v(dh);
    const vlo = i32x4.splat(-32), vhi = i32x4.splat(31), v32 = i32x4.splat(32);
    for (let j = 0; j < 16; j++) {
      const d: f32 = dAll * <f32>load<i8>(y + 192 + <usize>j);
      if (d == 0) continue;
      const vd = f32x4.splat(d);
      for (let ii = 0; ii < 16; ii += 4) {
        const p = x + (<usize>((j << 4) + ii) << 2);
        const l = i32x4.add(i32x4.max_s(vlo, i32x4.min_s(vhi, nearestV(f32x4.div(v128.load(p), vd), magic, mant, half))), v32);
        const q = L + <usize>((j << 4) + ii);
        store<u8>(q, <u8>i32x4.extract_lane(l, 0));
        store<u8>(q + 1, <u8>i32x4.extract_lane(l, 1));
        store<u8>(q + 2, <u8>i32x4.extract_lane(l, 2));
        store<u8>(q + 3, <u8>i32x4.extract_lane(l, 3));
      }
    }
    for (let j = 0; j < 256; j += 128) {
      const ql = y + <usize>(j >> 1);
      const qh = y + 128 + <usize>(j >> 2);
      for (let l = 0; l < 32; l++) {
        const q = L + <usize>(j + l);
        const a = load<u8>(q), b = load<u8>(q, 32), c = load<u8>(q, 64), d = load<u8>(q, 96);
        store<u8>(ql + <usize>l, (a & 0xf) | ((c & 0xf) << 4));
        store<u8>(ql + <usize>(l + 32), (b & 0xf) | ((d & 0xf) << 4));
        store<u8>(qh + <usize>l, (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((d >> 4) << 6));
      }
    }
  }
}

/**
 * make_q3_quants with rmse (Q3_K: n 16, nmax 4) on four sub-blocks: up to 5 rounds of coordinate
 * descent; a lane whose round changes nothing is at a fixed point, so running further rounds (while
 * another lane still changes) leaves it as C leaves it. Levels + nmax (or 0 for an all-zero lane) to
 * LB, scales to `outScale`.
 */
function q3Lanes(n: i32, nmax: i32, s: usize, outScale: usize): void {
  const T = s + T_OFF, LB = s + LB_OFF, K = s + K_OFF;
  signedMaxLanes(T, n, K);
  const amax = v128.load(K), max = v128.load(K, 16);
  v128.store(K, i32x4.splat(-nmax), 32);
  v128.store(K, i32x4.splat(nmax - 1), 48);
  const zero = gk(4), magic = gk(0), mant = gk(1), half = gk(2);
  const lo = v128.load(K, 32), hi = v128.load(K, 48);
  const allZero = f32x4.lt(amax, f32x4.splat(<f32>1e-15));
  const iscale = f32x4.div(f32x4.convert_i32x4_s(lo), max);
  let sumlx = zero, suml2 = zero;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    const xi = v128.load(T + o);
    const l = i32x4.max_s(lo, i32x4.min_s(hi, nearestV(f32x4.mul(iscale, xi), magic, mant, half)));
    v128.store(LB + o, l);
    const lf = f32x4.convert_i32x4_s(l);
    const w = f32x4.mul(xi, xi);
    sumlx = f32x4.add(sumlx, f32x4.mul(f32x4.mul(w, xi), lf));
    suml2 = f32x4.add(suml2, f32x4.mul(f32x4.mul(w, lf), lf));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = zero;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 4;
      const xi = v128.load(T + o);
      const w = f32x4.mul(xi, xi);
      const li = v128.load(LB + o);
      const lf = f32x4.convert_i32x4_s(li);
      const wx = f32x4.mul(w, xi);
      let slx = f32x4.sub(sumlx, f32x4.mul(wx, lf));
      const c1 = f32x4.gt(slx, zero);
      if (!v128.any_true(c1)) continue;
      let sl2 = f32x4.sub(suml2, f32x4.mul(f32x4.mul(w, lf), lf));
      const nl = i32x4.max_s(lo, i32x4.min_s(hi, nearestV(f32x4.div(f32x4.mul(xi, sl2), slx), magic, mant, half)));
      const c2 = v128.andnot(c1, i32x4.eq(nl, li));
      if (!v128.any_true(c2)) continue;
      const nf = f32x4.convert_i32x4_s(nl);
      slx = f32x4.add(slx, f32x4.mul(wx, nf));
      sl2 = f32x4.add(sl2, f32x4.mul(f32x4.mul(w, nf), nf));
      const c3 = v128.and(c2, v128.and(f32x4.gt(sl2, zero), f32x4.gt(f32x4.mul(f32x4.mul(slx, slx), suml2), f32x4.mul(f32x4.mul(sumlx, sumlx), sl2))));
      v128.store(LB + o, v128.bitselect(nl, li, c3));
      sumlx = v128.bitselect(slx, sumlx, c3);
      suml2 = v128.bitselect(sl2, suml2, c3);
      changed = v128.or(changed, c3);
    }
    if (!v128.any_true(changed)) break;
  }
  const vn = i32x4.splat(nmax);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 4;
    v128.store(LB + o, v128.bitselect(zero, i32x4.add(v128.load(LB + o), vn), allZero));
  }
  let scale = v128.bitselect(f32x4.div(sumlx, suml2), zero, f32x4.gt(suml2, zero));
  scale = v128.bitselect(zero, scale, allZero);
  v128.store(outScale, scale);
}

/** Q3_K: 16 sub-blocks of 16, levels −4..3 with 6-bit signed scales (110-byte blocks). */
export function ggmlQ3K(src: usize, dst: usize, nb: i32, s: usize): void {
  const T = s + T_OFF, SC = s + SC_OFF, L = s + L_OFF;
  const magic = gk(0), mant = gk(1), half = gk(2);
  for (let ib = 0; ib < nb; ib++) {
    const x = src + (<usize>ib << 10);
    const y = dst + <usize>ib * 110;
    const sc = y + 96;
    for (let g = 0; g < 4; g++) {
      transpose4(x + (<usize>g << 8), 16, T);
      q3Lanes(16, 4, s, SC + (<usize>g << 4));
      scatterLevels(s + LB_OFF, 16, L + (<usize>g << 6));
    }
    let maxScale: f32 = 0, amax: f32 = 0;
    for (let j = 0; j < 16; j++) {
      const v = load<f32>(SC + (<usize>j << 2));
      const a = abs<f32>(v);
      if (a > amax) {
        amax = a;
        maxScale = v;
      }
    }
    memory.fill(sc, 0, 12);
    if (maxScale != 0) {
      const iscale: f32 = <f32>-32 / maxScale;
      for (let j = 0; j < 16; j++) {
        let l = <i32><i8>nearestS(iscale * load<f32>(SC + (<usize>j << 2)));
        l = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
        if (j < 8) store<u8>(sc + <usize>j, <u8>(l & 0xf));
        else store<u8>(sc + <usize>(j - 8), load<u8>(sc + <usize>(j - 8)) | <u8>((l & 0xf) << 4));
        l >>= 4;
        const p = sc + <usize>((j & 3) + 8);
        store<u8>(p, load<u8>(p) | <u8>(l << (2 * (j >> 2))));
      }
      putFp16(y + 108, <f32>1 / iscale);
    } else {
      putFp16(y + 108, 0);
    }
    const dAll = fp16v(<u32>load<u16>(y + 108));
    const vlo = i32x4.splat(-4), vhi = i32x4.splat(3), v4 = i32x4.splat(4);
    for (let j = 0; j < 16; j++) {
      let s6 = j < 8 ? <i32>load<u8>(sc + <usize>j) & 0xf : <i32>load<u8>(sc + <usize>(j - 8)) >> 4;
      s6 = (s6 | (((<i32>load<u8>(sc + <usize>(8 + (j & 3))) >> (2 * (j >> 2))) & 3) << 4)) - 32;
      const d: f32 = dAll * <f32>s6;
      if (d == 0) continue;
      const vd = f32x4.splat(d);
      for (let ii = 0; ii < 16; ii += 4) {
        const p = x + (<usize>((j << 4) + ii) << 2);
        const l = i32x4.add(i32x4.max_s(vlo, i32x4.min_s(vhi, nearestV(f32x4.div(v128.load(p), vd), magic, mant, half))), v4);
        const q = L + <usize>((j << 4) + ii);
        store<u8>(q, <u8>i32x4.extract_lane(l, 0));
        store<u8>(q + 1, <u8>i32x4.extract_lane(l, 1));
        store<u8>(q + 2, <u8>i32x4.extract_lane(l, 2));
        store<u8>(q + 3, <u8>i32x4.extract_lane(l, 3));
      }
    }
    memory.fill(y, 0, 32);
    let m = 0;
    let hm: u8 = 1;
    for (let j = 0; j < 256; j++) {
      const q = L + <usize>j;
      const v = load<u8>(q);
      if (v > 3) {
        store<u8>(y + <usize>m, load<u8>(y + <usize>m) | hm);
        store<u8>(q, v - 4);
      }
      if (++m == 32) {
        m = 0;
        hm <<= 1;
      }
    }
    for (let j = 0; j < 256; j += 128) {
      for (let l = 0; l < 32; l++) {
        const q = L + <usize>(j + l);
        store<u8>(y + 32 + <usize>((j >> 2) + l), load<u8>(q) | (load<u8>(q, 32) << 2) | (load<u8>(q, 64) << 4) | (load<u8>(q, 96) << 6));
      }
    }
  }
}
