// @ts-nocheck: AssemblyScript (v128, load<T>, usize ...), type-checked by asc, not by tsc.
// AssemblyScript source of lowp's WebAssembly SIMD kernels (compiled by scripts/build-wasm.mjs with
// `asc --enable simd -O3`, embedded as base64 in src/wasm/kernels.generated.ts). Nothing imports this
// file from TypeScript; binaryen's -O3 inlines the single-use helpers (no @inline: tsc must parse it).
//
// Memory is owned by the JavaScript side (src/wasm/loader.ts): every function takes byte offsets into
// the (imported) linear memory and allocates nothing. Kernels:
//   - f32 GEMM on packed B panels of 8 columns, 4×8 register tile; each output element is summed over
//     k in increasing order with one f32 multiply and one f32 add per term (no FMA), so the result is
//     bit-identical to the plain reference `s = fround(s + fround(a*b))` for k = 0..K-1, whatever the
//     cache blocking (a K block's partial sum is stored to C in f32 and reloaded: same value).
//   - f64 GEMM (same scheme, 4×4 tile of f64x2), bit-identical to `s += a*b` in k order.
//   - int8 GEMM on operands widened to int16 and packed in panels (K padded to a multiple of 16),
//     `i32x4.dot_i16x8_s`, exact int32 accumulation (the caller keeps K ≤ 131071 per call, so every
//     final sum fits int32; lanes wrap modulo 2^32 in between, which does not change the result).
//   - Bulk conversions float32 ⇄ fp16/bf16 (round to nearest even, canonical quiet NaN keeping the
//     sign, -0 kept, subnormals kept, overflow to infinity; decoding keeps NaN payloads bit for bit),
//     bit-identical to lowp/formats' codec.
//   - ggml dequantizers (kernels-ggml.ts, re-exported at the end of this file).

import { f16ToF32s, f32ToF16s } from './half-scalar';

// ---------------------------------------------------------------- f32 GEMM

/** Pack B [K,N] (row-major, at `b`) into panels of 8 columns: dst[((p*K)+k)*8 + jj] = B[k, 8p+jj], 0 past N. */
export function packB(b: usize, dst: usize, K: i32, N: i32): void {
  const np = (N + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const j0 = p << 3;
    const w = min(8, N - j0);
    let d = dst + (<usize>(p * K) << 5);
    if (w == 8) {
      for (let k = 0; k < K; k++) {
        const s = b + ((<usize>k * <usize>N + <usize>j0) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        d += 32;
      }
    } else {
      for (let k = 0; k < K; k++) {
        const s = b + ((<usize>k * <usize>N + <usize>j0) << 2);
        v128.store(d, f32x4.splat(0));
        v128.store(d, f32x4.splat(0), 16);
        for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s + (<usize>jj << 2)));
        d += 32;
      }
    }
  }
}

/** Pack Wᵀ for W [N,K] (row-major at `w`) into the same panels: dst[((p*K)+k)*8 + jj] = W[8p+jj, k]. */
export function packBT(w: usize, dst: usize, K: i32, N: i32): void {
  const np = (N + 7) >> 3;
  const rowBytes = <usize>K << 2;
  for (let p = 0; p < np; p++) {
    const j0 = p << 3;
    const wd = min(8, N - j0);
    const base = dst + (<usize>(p * K) << 5);
    if (wd == 8) {
      // 4×4 transposes: rows j0..j0+3 and j0+4..j0+7, four k at a time
      const r0 = w + <usize>j0 * rowBytes;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const ko = <usize>k << 2;
        for (let h = 0; h < 2; h++) {
          const rr = r0 + <usize>(h * 4) * rowBytes + ko;
          const x0 = v128.load(rr);
          const x1 = v128.load(rr + rowBytes);
          const x2 = v128.load(rr + 2 * rowBytes);
          const x3 = v128.load(rr + 3 * rowBytes);
          const t0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5);
          const t1 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7);
          const t3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7);
          const d = base + (<usize>k << 5) + (<usize>h << 4);
          v128.store(d, v128.shuffle<i64>(t0, t1, 0, 2));
          v128.store(d + 32, v128.shuffle<i64>(t0, t1, 1, 3));
          v128.store(d + 64, v128.shuffle<i64>(t2, t3, 0, 2));
          v128.store(d + 96, v128.shuffle<i64>(t2, t3, 1, 3));
        }
      }
      for (; k < K; k++) {
        const d = base + (<usize>k << 5);
        for (let jj = 0; jj < 8; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(r0 + <usize>jj * rowBytes + (<usize>k << 2)));
      }
    } else {
      for (let k = 0; k < K; k++) {
        const d = base + (<usize>k << 5);
        v128.store(d, f32x4.splat(0));
        v128.store(d, f32x4.splat(0), 16);
        for (let jj = 0; jj < wd; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(w + <usize>(j0 + jj) * rowBytes + (<usize>k << 2)));
      }
    }
  }
}

// mode 0: C = Σ; mode 1: C = C + a·b term by term (the sum continues from C); mode 2: C = C + Σ (one add).
function micro4x8(a: usize, lda: usize, b: usize, c: usize, ldc: usize, kn: i32, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (mode == 1) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  }
  const a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
  const end = <usize>kn << 2;
  for (let k: usize = 0; k < end; k += 4) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    b += 32;
    let av = v128.load32_splat(a + k);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a1 + k);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a2 + k);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a3 + k);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
  }
  if (mode == 2) {
    c00 = f32x4.add(v128.load(c), c00); c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c1), c10); c11 = f32x4.add(v128.load(c1, 16), c11);
    c20 = f32x4.add(v128.load(c2), c20); c21 = f32x4.add(v128.load(c2, 16), c21);
    c30 = f32x4.add(v128.load(c3), c30); c31 = f32x4.add(v128.load(c3, 16), c31);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

function micro1x8(a: usize, b: usize, c: usize, kn: i32, mode: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  if (mode == 1) { c00 = v128.load(c); c01 = v128.load(c, 16); }
  const end = <usize>kn << 2;
  for (let k: usize = 0; k < end; k += 4) {
    const av = v128.load32_splat(a + k);
    c00 = f32x4.add(c00, f32x4.mul(av, v128.load(b)));
    c01 = f32x4.add(c01, f32x4.mul(av, v128.load(b, 16)));
    b += 32;
  }
  if (mode == 2) { c00 = f32x4.add(v128.load(c), c00); c01 = f32x4.add(v128.load(c, 16), c01); }
  v128.store(c, c00); v128.store(c, c01, 16);
}

/**
 * C[i, 8p..8p+7] (i in [i0,i1), p in [p0,p1)) = Σ_k A[i,k]·B[k,·] with f32 mul + f32 add in k order.
 * A row-major with leading dimension K at `a`; `bp` packed by packB/packBT; C row stride `ldc` floats
 * (a multiple of 8). Only k in [kBegin, kEnd) (C starts from 0 at kBegin). Blocked over k (kc) and rows
 * (mc). split = 0: the running sum goes through C in f32 from block to block (the same value: blocking
 * never changes a result). split = 1: split-K, each kc block's sum starts at 0 and is added to C once.
 */
export function sgemm(a: usize, bp: usize, c: usize, K: i32, kBegin: i32, kEnd: i32, ldc: i32, i0: i32, i1: i32, p0: i32, p1: i32, kc: i32, mc: i32, split: i32): void {
  const lda = <usize>K << 2;
  const ldcb = <usize>ldc << 2;
  for (let k0 = kBegin; k0 < kEnd; k0 += kc) {
    const kn = min(kc, kEnd - k0);
    const beta = k0 == kBegin ? 0 : split ? 2 : 1;
    for (let ib = i0; ib < i1; ib += mc) {
      const ie = min(i1, ib + mc);
      for (let p = p0; p < p1; p++) {
        const bpan = bp + ((<usize>p * <usize>K + <usize>k0) << 5);
        let i = ib;
        for (; i + 4 <= ie; i += 4) {
          micro4x8(a + <usize>i * lda + (<usize>k0 << 2), lda, bpan, c + <usize>i * ldcb + (<usize>p << 5), ldcb, kn, beta);
        }
        for (; i < ie; i++) {
          micro1x8(a + <usize>i * lda + (<usize>k0 << 2), bpan, c + <usize>i * ldcb + (<usize>p << 5), kn, beta);
        }
      }
    }
  }
}

/**
 * Few-row A·Wᵀ on unpacked W [N,K] (row-major at `w`) for up to 4 rows of A [M,K] (M ≤ 4), C [M,N]
 * row-major, columns j in [j0, j1): lane l of a vector is column j+l, so every element is still one
 * f32 running sum in k order per `bk` block (blocks added in order), bit-identical to sgemm; four W
 * rows are transposed in registers four k at a time instead of being packed. W is read once.
 */
export function sgemvT(a: usize, w: usize, c: usize, M: i32, N: i32, K: i32, j0: i32, j1: i32, bk: i32): void {
  const rowB = <usize>K << 2;
  const a0 = a, a1 = M > 1 ? a0 + rowB : a0, a2 = M > 2 ? a1 + rowB : a0, a3 = M > 3 ? a2 + rowB : a0;
  for (let j = j0; j < j1; j += 4) {
    const nr = min(4, j1 - j);
    const w0 = w + <usize>j * rowB;
    const w1 = nr > 1 ? w0 + rowB : w0;
    const w2 = nr > 2 ? w1 + rowB : w0;
    const w3 = nr > 3 ? w2 + rowB : w0;
    let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
    for (let kb = 0; kb < K; kb += bk) {
      const ke = min(K, kb + bk);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let k = kb;
      for (; k + 4 <= ke; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(w0 + o), x1 = v128.load(w1 + o), x2 = v128.load(w2 + o), x3 = v128.load(w3 + o);
        const u0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5);
        const u1 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5);
        const u2 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7);
        const u3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7);
        const v0 = v128.shuffle<i64>(u0, u1, 0, 2); // W[j..j+3, k]
        const v1 = v128.shuffle<i64>(u0, u1, 1, 3); // k+1
        const v2 = v128.shuffle<i64>(u2, u3, 0, 2); // k+2
        const v3 = v128.shuffle<i64>(u2, u3, 1, 3); // k+3
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + o), v0));
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + o + 4), v1));
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + o + 8), v2));
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + o + 12), v3));
        if (M > 1) {
          s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o), v0));
          s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o + 4), v1));
          s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o + 8), v2));
          s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o + 12), v3));
        }
        if (M > 2) {
          s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o), v0));
          s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o + 4), v1));
          s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o + 8), v2));
          s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o + 12), v3));
        }
        if (M > 3) {
          s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o), v0));
          s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o + 4), v1));
          s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o + 8), v2));
          s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o + 12), v3));
        }
      }
      for (; k < ke; k++) {
        const o = <usize>k << 2;
        let v = f32x4.splat(load<f32>(w0 + o));
        v = f32x4.replace_lane(v, 1, load<f32>(w1 + o));
        v = f32x4.replace_lane(v, 2, load<f32>(w2 + o));
        v = f32x4.replace_lane(v, 3, load<f32>(w3 + o));
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + o), v));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + o), v));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + o), v));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + o), v));
      }
      if (kb == 0) { t0 = s0; t1 = s1; t2 = s2; t3 = s3; }
      else { t0 = f32x4.add(t0, s0); t1 = f32x4.add(t1, s1); t2 = f32x4.add(t2, s2); t3 = f32x4.add(t3, s3); }
    }
    for (let l = 0; l < nr; l++) {
      const cj = c + (<usize>(j + l) << 2);
      const ldc = <usize>N << 2;
      // lane l of each row's total (extract_lane needs a constant index)
      const q0 = l == 0 ? f32x4.extract_lane(t0, 0) : l == 1 ? f32x4.extract_lane(t0, 1) : l == 2 ? f32x4.extract_lane(t0, 2) : f32x4.extract_lane(t0, 3);
      store<f32>(cj, q0);
      if (M > 1) store<f32>(cj + ldc, l == 0 ? f32x4.extract_lane(t1, 0) : l == 1 ? f32x4.extract_lane(t1, 1) : l == 2 ? f32x4.extract_lane(t1, 2) : f32x4.extract_lane(t1, 3));
      if (M > 2) store<f32>(cj + 2 * ldc, l == 0 ? f32x4.extract_lane(t2, 0) : l == 1 ? f32x4.extract_lane(t2, 1) : l == 2 ? f32x4.extract_lane(t2, 2) : f32x4.extract_lane(t2, 3));
      if (M > 3) store<f32>(cj + 3 * ldc, l == 0 ? f32x4.extract_lane(t3, 0) : l == 1 ? f32x4.extract_lane(t3, 1) : l == 2 ? f32x4.extract_lane(t3, 2) : f32x4.extract_lane(t3, 3));
    }
  }
}

// ---------------------------------------------------------------- f64 GEMM

/** Pack B [K,N] f64 into panels of 4 columns: dst[((p*K)+k)*4 + jj] = B[k, 4p+jj] (0 past N); trans: B given as W [N,K]. */
export function packB64(b: usize, dst: usize, K: i32, N: i32, trans: i32): void {
  const np = (N + 3) >> 2;
  for (let p = 0; p < np; p++) {
    const j0 = p << 2;
    const w = min(4, N - j0);
    for (let k = 0; k < K; k++) {
      const d = dst + ((<usize>p * <usize>K + <usize>k) << 5);
      for (let jj = 0; jj < 4; jj++) {
        let v: f64 = 0;
        if (jj < w) v = trans ? load<f64>(b + ((<usize>(j0 + jj) * <usize>K + <usize>k) << 3)) : load<f64>(b + ((<usize>k * <usize>N + <usize>(j0 + jj)) << 3));
        store<f64>(d + (<usize>jj << 3), v);
      }
    }
  }
}

/** f64 twin of sgemm: panels of 4 columns, 4×4 tile of f64x2 accumulators, `s += a*b` in k order. */
export function dgemm(a: usize, bp: usize, c: usize, K: i32, kBegin: i32, kEnd: i32, ldc: i32, i0: i32, i1: i32, p0: i32, p1: i32, kc: i32): void {
  const lda = <usize>K << 3;
  const ldcb = <usize>ldc << 3;
  for (let k0 = kBegin; k0 < kEnd; k0 += kc) {
    const kn = <usize>min(kc, kEnd - k0);
    const beta = k0 > kBegin;
    for (let p = p0; p < p1; p++) {
      const bpan = bp + ((<usize>p * <usize>K + <usize>k0) << 5);
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        const a0 = a + <usize>i * lda + (<usize>k0 << 3), a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        const cc = c + <usize>i * ldcb + (<usize>p << 5), cc1 = cc + ldcb, cc2 = cc1 + ldcb, cc3 = cc2 + ldcb;
        let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
        let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
        if (beta) {
          c00 = v128.load(cc); c01 = v128.load(cc, 16); c10 = v128.load(cc1); c11 = v128.load(cc1, 16);
          c20 = v128.load(cc2); c21 = v128.load(cc2, 16); c30 = v128.load(cc3); c31 = v128.load(cc3, 16);
        }
        let b = bpan;
        for (let k: usize = 0; k < kn << 3; k += 8) {
          const b0 = v128.load(b), b1 = v128.load(b, 16);
          b += 32;
          let av = v128.load64_splat(a0 + k);
          c00 = f64x2.add(c00, f64x2.mul(av, b0)); c01 = f64x2.add(c01, f64x2.mul(av, b1));
          av = v128.load64_splat(a1 + k);
          c10 = f64x2.add(c10, f64x2.mul(av, b0)); c11 = f64x2.add(c11, f64x2.mul(av, b1));
          av = v128.load64_splat(a2 + k);
          c20 = f64x2.add(c20, f64x2.mul(av, b0)); c21 = f64x2.add(c21, f64x2.mul(av, b1));
          av = v128.load64_splat(a3 + k);
          c30 = f64x2.add(c30, f64x2.mul(av, b0)); c31 = f64x2.add(c31, f64x2.mul(av, b1));
        }
        v128.store(cc, c00); v128.store(cc, c01, 16); v128.store(cc1, c10); v128.store(cc1, c11, 16);
        v128.store(cc2, c20); v128.store(cc2, c21, 16); v128.store(cc3, c30); v128.store(cc3, c31, 16);
      }
      for (; i < i1; i++) {
        const a0 = a + <usize>i * lda + (<usize>k0 << 3);
        const cc = c + <usize>i * ldcb + (<usize>p << 5);
        let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
        if (beta) { c00 = v128.load(cc); c01 = v128.load(cc, 16); }
        let b = bpan;
        for (let k: usize = 0; k < kn << 3; k += 8) {
          const av = v128.load64_splat(a0 + k);
          c00 = f64x2.add(c00, f64x2.mul(av, v128.load(b)));
          c01 = f64x2.add(c01, f64x2.mul(av, v128.load(b, 16)));
          b += 32;
        }
        v128.store(cc, c00); v128.store(cc, c01, 16);
      }
    }
  }
}

// ---------------------------------------------------------------- int8 GEMM

/**
 * Pack int8 rows into int16 panels of R rows (R = 4 for A, 2 for W), K padded with zeros to Kp (a
 * multiple of 16): the 16-byte group s (8 values of k) of row rr of panel p is at
 * dst + ((p*(Kp/8) + s)*R + rr)*16, so the kernel reads each panel as one stream. Rows past `rows` are
 * zero. Source element (r, k) is at src + r*K + k, or at src + k*rows + r when `kMajor` (B given [K,N]).
 */
export function packI8(src: usize, dst: usize, rows: i32, K: i32, Kp: i32, R: i32, kMajor: i32): void {
  const S = Kp >> 3;
  const panels = (rows + R - 1) / R;
  const Kfull = K & ~7;
  for (let p = 0; p < panels; p++) {
    for (let rr = 0; rr < R; rr++) {
      const r = p * R + rr;
      let d = dst + ((<usize>(p * S) * <usize>R + <usize>rr) << 4);
      const step = <usize>R << 4;
      if (r >= rows) {
        for (let s2 = 0; s2 < S; s2++) { v128.store(d, i32x4.splat(0)); d += step; }
        continue;
      }
      if (!kMajor) {
        const row = src + <usize>r * <usize>K;
        let k = 0;
        for (; k < Kfull; k += 8) { v128.store(d, v128.load8x8_s(row + <usize>k)); d += step; }
        for (; k < Kp; k += 8) {
          for (let t = 0; t < 8; t++) store<i16>(d + (<usize>t << 1), k + t < K ? <i16>load<i8>(row + <usize>(k + t)) : 0);
          d += step;
        }
      } else {
        for (let k = 0; k < Kp; k += 8) {
          for (let t = 0; t < 8; t++) store<i16>(d + (<usize>t << 1), k + t < K ? <i16>load<i8>(src + <usize>(k + t) * <usize>rows + <usize>r) : 0);
          d += step;
        }
      }
    }
  }
}

function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

function put(c: usize, v: i32, beta: i32): void {
  store<i32>(c, beta ? load<i32>(c) + v : v);
}

/**
 * C[i,j] (+)= Σ_k A[i,k]·W[j,k] for the 4-row panels [ip0, ip1) of A and the 2-row panels [jp0, jp1)
 * of W (packed by packI8), k in [k0, k1) (multiples of 16); C int32 row-major [M, N]; only i < M,
 * j < N are stored. `beta` = 1 adds to C. 4×2 tile of i32x4 accumulators (`i32x4.dot_i16x8_s`). Exact as long as each final sum fits int32 (lanes wrap modulo 2^32 meanwhile).
 */
export function igemm(ap: usize, wp: usize, c: usize, Kp: i32, M: i32, N: i32, ip0: i32, ip1: i32, jp0: i32, jp1: i32, k0: i32, k1: i32, beta: i32): void {
  const S = <usize>(Kp >> 3);
  const s0 = <usize>(k0 >> 3), s1 = <usize>(k1 >> 3);
  const ldc = <usize>N << 2;
  for (let ip = ip0; ip < ip1; ip++) {
    const aBase = ap + ((<usize>ip * S) << 6);
    const rowsHere = M - (ip << 2);
    if (rowsHere < 4) {
      // last, partial panel (e.g. M = 1: one token): only its real rows, 1×2 tiles
      for (let rr = 0; rr < rowsHere; rr++) {
        for (let jp = jp0; jp < jp1; jp++) {
          let a = aBase + (s0 << 6) + (<usize>rr << 4);
          let w = wp + ((<usize>jp * S + s0) << 5);
          const wEnd = wp + ((<usize>jp * S + s1) << 5);
          let t0 = i32x4.splat(0), t1 = i32x4.splat(0);
          while (w < wEnd) {
            const av = v128.load(a);
            t0 = i32x4.add(t0, i32x4.dot_i16x8_s(av, v128.load(w)));
            t1 = i32x4.add(t1, i32x4.dot_i16x8_s(av, v128.load(w, 16)));
            a += 64;
            w += 32;
          }
          const j = jp << 1;
          const cc = c + <usize>((ip << 2) + rr) * ldc + (<usize>j << 2);
          put(cc, hsum(t0), beta);
          if (j + 1 < N) put(cc + 4, hsum(t1), beta);
        }
      }
      continue;
    }
    for (let jp = jp0; jp < jp1; jp++) {
      let a = aBase + (s0 << 6);
      let w = wp + ((<usize>jp * S + s0) << 5);
      const wEnd = wp + ((<usize>jp * S + s1) << 5);
      let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s10 = i32x4.splat(0), s11 = i32x4.splat(0);
      let s20 = i32x4.splat(0), s21 = i32x4.splat(0), s30 = i32x4.splat(0), s31 = i32x4.splat(0);
      while (w < wEnd) {
        const x0 = v128.load(w), x1 = v128.load(w, 16);
        let av = v128.load(a);
        s00 = i32x4.add(s00, i32x4.dot_i16x8_s(av, x0)); s01 = i32x4.add(s01, i32x4.dot_i16x8_s(av, x1));
        av = v128.load(a, 16);
        s10 = i32x4.add(s10, i32x4.dot_i16x8_s(av, x0)); s11 = i32x4.add(s11, i32x4.dot_i16x8_s(av, x1));
        av = v128.load(a, 32);
        s20 = i32x4.add(s20, i32x4.dot_i16x8_s(av, x0)); s21 = i32x4.add(s21, i32x4.dot_i16x8_s(av, x1));
        av = v128.load(a, 48);
        s30 = i32x4.add(s30, i32x4.dot_i16x8_s(av, x0)); s31 = i32x4.add(s31, i32x4.dot_i16x8_s(av, x1));
        a += 64;
        w += 32;
      }
      const i = ip << 2;
      const j = jp << 1;
      const cc = c + <usize>i * ldc + (<usize>j << 2);
      const j1ok = j + 1 < N;
      if (j1ok) {
        put(cc, hsum(s00), beta); put(cc + 4, hsum(s01), beta);
        put(cc + ldc, hsum(s10), beta); put(cc + ldc + 4, hsum(s11), beta);
        put(cc + 2 * ldc, hsum(s20), beta); put(cc + 2 * ldc + 4, hsum(s21), beta);
        put(cc + 3 * ldc, hsum(s30), beta); put(cc + 3 * ldc + 4, hsum(s31), beta);
      } else {
        put(cc, hsum(s00), beta);
        put(cc + ldc, hsum(s10), beta);
        put(cc + 2 * ldc, hsum(s20), beta);
        put(cc + 3 * ldc, hsum(s30), beta);
      }
    }
  }
}

/**
 * Few-row int8 product on raw (unpacked) rows (M ≤ 12: a few tokens times a weight): C[i,j]
 * (+)= Σ_k A[i,k]·W[j,k] for all i < M, j in [j0, j1), k in [k0, k1); A [M,K] and W [N,K] int8
 * row-major, C int32 [M,N]. Four W rows at a time; each 16-byte step sign-extends both halves and
 * uses `i32x4.dot_i16x8_s`. Skips packing, so W is read once.
 */
export function igemvT(a: usize, w: usize, c: usize, M: i32, N: i32, K: i32, j0: i32, j1: i32, k0: i32, k1: i32, beta: i32): void {
  const ldc = <usize>N << 2;
  const kv = k0 + ((k1 - k0) & ~15);
  let j = j0;
  for (; j < j1; j += 4) {
    const nr = min(4, j1 - j);
    const w0 = w + <usize>j * <usize>K;
    const w1 = nr > 1 ? w0 + <usize>K : w0;
    const w2 = nr > 2 ? w1 + <usize>K : w0;
    const w3 = nr > 3 ? w2 + <usize>K : w0;
    for (let i = 0; i < M; i++) {
      const ar = a + <usize>i * <usize>K;
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      for (let k = k0; k < kv; k += 16) {
        const av = v128.load(ar + <usize>k);
        const lo = i16x8.extend_low_i8x16_s(av);
        const hi = i16x8.extend_high_i8x16_s(av);
        let x = v128.load(w0 + <usize>k);
        s0 = i32x4.add(s0, i32x4.add(i32x4.dot_i16x8_s(lo, i16x8.extend_low_i8x16_s(x)), i32x4.dot_i16x8_s(hi, i16x8.extend_high_i8x16_s(x))));
        x = v128.load(w1 + <usize>k);
        s1 = i32x4.add(s1, i32x4.add(i32x4.dot_i16x8_s(lo, i16x8.extend_low_i8x16_s(x)), i32x4.dot_i16x8_s(hi, i16x8.extend_high_i8x16_s(x))));
        x = v128.load(w2 + <usize>k);
        s2 = i32x4.add(s2, i32x4.add(i32x4.dot_i16x8_s(lo, i16x8.extend_low_i8x16_s(x)), i32x4.dot_i16x8_s(hi, i16x8.extend_high_i8x16_s(x))));
        x = v128.load(w3 + <usize>k);
        s3 = i32x4.add(s3, i32x4.add(i32x4.dot_i16x8_s(lo, i16x8.extend_low_i8x16_s(x)), i32x4.dot_i16x8_s(hi, i16x8.extend_high_i8x16_s(x))));
      }
      let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (let k = kv; k < k1; k++) {
        const x = <i32>load<i8>(ar + <usize>k);
        t0 += x * <i32>load<i8>(w0 + <usize>k);
        t1 += x * <i32>load<i8>(w1 + <usize>k);
        t2 += x * <i32>load<i8>(w2 + <usize>k);
        t3 += x * <i32>load<i8>(w3 + <usize>k);
      }
      const cc = c + <usize>i * ldc + (<usize>j << 2);
      put(cc, t0, beta);
      if (nr > 1) put(cc + 4, t1, beta);
      if (nr > 2) put(cc + 8, t2, beta);
      if (nr > 3) put(cc + 12, t3, beta);
    }
  }
}

// ---------------------------------------------------------------- conversions
// Constant vectors come from this table (v128.load32_splat before each loop). V8 re-materialises a
// v128.const, or the splat of any scalar, at every use inside a loop (a scalar move and a shuffle each,
// measured 1.4–2.6× slower kernels on Node 20 and 24), while a vector loaded from memory stays in a
// register. The table is a data segment at the bottom of the memory (below the staging area that
// src/wasm/loader.ts leaves alone), rewritten with the same bytes by every instantiation.
const KT = memory.data<i32>([
  0x7fffffff,                              //  0 |x| mask
  1,                                       //  1
  ((15 - 127) << 23) + 0xfff,              //  2 fp16 rebias + (half ulp − 1)
  0x7f800000,                              //  3 float32 infinity (exponent field)
  0x200,                                   //  4 fp16 quiet bit
  0x7c00,                                  //  5 fp16 infinity
  ((127 - 15) + (23 - 10) + 1) << 23,      //  6 0.5: adding it rounds |x| < 2^-14 to fp16's quantum 2^-24
  113 << 23,                               //  7 2^-14, the smallest fp16 normal
  0x7bff7bff,                              //  8 i16x8: the largest fp16 magnitude below exponent 31
  0x7fff,                                  //  9
  0x8fff8fff,                              // 10 i16x8: clears bits 12-14 (sign copies of an arithmetic h >> 3)
  0x38003800,                              // 11 i16x8: fp16 → float32 exponent rebias in a high half (112 << 7)
  0x00800080,                              // 12 i16x8: one float32 exponent step in a high half
  0x38803880,                              // 13 i16x8: the high half of 2^-14 (113 << 7)
  0x7f807f80,                              // 14 i16x8: float32 exponent 255 in a high half
  0x80000000,                              // 15 sign bit
  0x7fc00000,                              // 16 float32 canonical quiet NaN
  (0x8000 - (113 << 7)) * 0x10001,         // 17 i16x8: moves the normal high halves [113 << 7, (143 << 7) − 1] to [0x8000, 0x8EFF]
  (0x8000 + ((143 - 113) << 7) - 1) * 0x10001, // 18 i16x8: 0x8EFF
  0x80008000,                              // 19 i16x8 sign bits
  0x7fff7fff,                              // 20 i16x8 magnitude mask
  0x7c007c00,                              // 21 i16x8 fp16 exponent field
  0,                                       // 22
  0x04000400,                              // 23 i16x8: one fp16 exponent step
  0x08000800,                              // 24 i16x8: two fp16 exponent steps
]);

/** Splat of constant `j` of KT. */
function kt(j: i32): v128 {
  return v128.load32_splat(KT + (<usize>j << 2));
}

/** fp16 normal range: rebias and round the 13 dropped bits to nearest even (`a` = |x| bits). */
function rne13(a: v128, bias: v128, one: v128): v128 {
  return i32x4.shr_u(i32x4.add(i32x4.add(a, bias), v128.and(i32x4.shr_u(a, 13), one)), 13);
}

/**
 * fp16 code (no sign) of any |x| bits `a`: the normal-range rounding clamped to 0x7C00 (from 65520 on,
 * inf and NaN, for which the rounding only grows), the NaN quiet bit added; below 2^-14 the FPU rounds
 * |x| + 0.5 to the subnormal quantum 2^-24.
 */
function f32ToF16Any(a: v128): v128 {
  const magic = kt(6);
  const big = v128.or(i32x4.min_u(rne13(a, kt(2), kt(1)), kt(5)), v128.and(i32x4.gt_s(a, kt(3)), kt(4)));
  const sub = i32x4.sub(f32x4.add(a, magic), magic);
  return v128.bitselect(sub, big, i32x4.lt_s(a, kt(7)));
}

/**
 * Whether a lane of i16x8 `h` lies above `top` once `shift` is added (wrapping): one add and one
 * signed compare test a range that `shift` moves to the bottom of the signed i16 range.
 */
function above(h: v128, shift: v128, top: v128): v128 {
  return i16x8.gt_s(i16x8.add(h, shift), top);
}

/**
 * float32 → fp16 codes (RNE), n values from `src` (f32) to `dst` (u16), 16 per step. The high halves
 * of the bits (sign, exponent, 7 mantissa bits) as i16x8 give the signs and the range test: when a
 * magnitude's high half lies outside [113 << 7, (143 << 7) − 1] (zero, subnormal, below 2^-14, from 2^16
 * on, inf, NaN) the 16 values take the full path, else the normal-range rounding alone.
 */
export function f32ToF16(src: usize, dst: usize, n: i32): void {
  const kAbs = kt(0), kOne = kt(1), kBias = kt(2), kShift = kt(17), kTop = kt(18), kSign = kt(19), kMag = kt(20);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = src + (<usize>i << 2);
    const x0 = v128.load(s), x1 = v128.load(s, 16), x2 = v128.load(s, 32), x3 = v128.load(s, 48);
    const t0 = i16x8.narrow_i32x4_s(i32x4.shr_s(x0, 16), i32x4.shr_s(x1, 16));
    const t1 = i16x8.narrow_i32x4_s(i32x4.shr_s(x2, 16), i32x4.shr_s(x3, 16));
    const a0 = v128.and(x0, kAbs), a1 = v128.and(x1, kAbs), a2 = v128.and(x2, kAbs), a3 = v128.and(x3, kAbs);
    let h0: v128, h1: v128;
    if (v128.any_true(v128.or(above(v128.and(t0, kMag), kShift, kTop), above(v128.and(t1, kMag), kShift, kTop)))) {
      h0 = i16x8.narrow_i32x4_u(f32ToF16Any(a0), f32ToF16Any(a1));
      h1 = i16x8.narrow_i32x4_u(f32ToF16Any(a2), f32ToF16Any(a3));
    } else {
      h0 = i16x8.narrow_i32x4_u(rne13(a0, kBias, kOne), rne13(a1, kBias, kOne));
      h1 = i16x8.narrow_i32x4_u(rne13(a2, kBias, kOne), rne13(a3, kBias, kOne));
    }
    const d = dst + (<usize>i << 1);
    v128.store(d, v128.or(h0, v128.and(t0, kSign)));
    v128.store(d, v128.or(h1, v128.and(t1, kSign)), 16);
  }
  for (; i < n; i++) store<u16>(dst + (<usize>i << 1), f32ToF16s(load<u32>(src + (<usize>i << 2))));
}

/** i16 lanes 0-3 of `lo` and `hi` as the low and high halves of four i32 lanes (punpcklwd). */
function lowHalves(lo: v128, hi: v128): v128 {
  return v128.shuffle<i16>(lo, hi, 0, 8, 1, 9, 2, 10, 3, 11);
}

/** i16 lanes 4-7 of `lo` and `hi` as the low and high halves of four i32 lanes (punpckhwd). */
function highHalves(lo: v128, hi: v128): v128 {
  return v128.shuffle<i16>(lo, hi, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** One fp16 code → float32 bits (half-scalar.ts), exported for kernels-ggml.ts (ggml's fp16 block scales). */
export { f16ToF32s } from './half-scalar';

/**
 * Eight fp16 codes `h` of any class → float32 at `d`. The halves are built from the magnitudes first;
 * an exponent field 0 (zero, subnormal) gets 113 instead of 112, so that the bits read 2^-14 + f·2^-24,
 * and subtracting 2^-14 there (+0 in the other lanes) leaves f·2^-24, exact (no subnormal operand,
 * nothing rounds; no NaN operand either, as exponent 31 still reads as 143 here); then the sign and,
 * for exponent 31, float32's exponent 255 are ORed into the high halves (inf, NaN with its payload
 * kept, not quieted, as lowp/formats).
 */
function f16x8Any(d: usize, h: v128, lo: v128, kMag: v128, kStep: v128, kBig: v128, kRebias: v128, kOne: v128, kMin: v128, kSign: v128, kInf: v128, kZero: v128): void {
  const a = v128.and(h, kMag);
  const z = i16x8.lt_s(a, kStep);
  const m = i16x8.add(i16x8.add(i16x8.shr_u(a, 3), kRebias), v128.and(z, kOne));
  const c = v128.and(z, kMin);
  const e = v128.or(v128.and(h, kSign), v128.and(i16x8.gt_s(a, kBig), kInf));
  v128.store(d, v128.or(f32x4.sub(lowHalves(lo, m), lowHalves(kZero, c)), lowHalves(kZero, e)));
  v128.store(d, v128.or(f32x4.sub(highHalves(lo, m), highHalves(kZero, c)), highHalves(kZero, e)), 16);
}

/**
 * fp16 codes → float32 (exact), n values from `src` (u16) to `dst` (f32), 16 per step, built as the
 * high and low 16-bit halves of the float32 bits in i16 lanes (eight codes per operation), then
 * interleaved. When a code of the 16 has the exponent field 0 (zero, subnormal) or 31 (inf, NaN) — the
 * test adds one exponent step to the i16 exponent fields: 0 and 31 are the only ones that land below
 * two steps as signed i16 (0x0400 and 0x8000) — the 16 take the full path (f16x8Any); else the high
 * halves are the sign, exponent and seven high mantissa bits (h >> 3, arithmetic, bits 12-14 cleared)
 * plus the exponent rebias 112 << 7, and the low halves the three low mantissa bits (h << 13). (The
 * normal path stays inline: as a helper storing at d + 32 it ran 7% slower in cache.)
 */
export function f16ToF32(src: usize, dst: usize, n: i32): void {
  const kExp = kt(21), kStep = kt(23), kTwo = kt(24), kKeep = kt(10), kRebias = kt(11), kZero = kt(22);
  const kMag = kt(20), kBig = kt(8), kOne = kt(12), kMin = kt(13), kSign = kt(19), kInf = kt(14);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = src + (<usize>i << 1);
    const h0 = v128.load(s), h1 = v128.load(s, 16);
    const d = dst + (<usize>i << 2);
    const lo0 = i16x8.shl(h0, 13), lo1 = i16x8.shl(h1, 13); // the low halves
    if (v128.any_true(v128.or(i16x8.lt_s(i16x8.add(v128.and(h0, kExp), kStep), kTwo), i16x8.lt_s(i16x8.add(v128.and(h1, kExp), kStep), kTwo)))) {
      f16x8Any(d, h0, lo0, kMag, kStep, kBig, kRebias, kOne, kMin, kSign, kInf, kZero);
      f16x8Any(d + 32, h1, lo1, kMag, kStep, kBig, kRebias, kOne, kMin, kSign, kInf, kZero);
    } else {
      const m0 = i16x8.add(v128.and(i16x8.shr_s(h0, 3), kKeep), kRebias);
      const m1 = i16x8.add(v128.and(i16x8.shr_s(h1, 3), kKeep), kRebias);
      v128.store(d, lowHalves(lo0, m0));
      v128.store(d, highHalves(lo0, m0), 16);
      v128.store(d, lowHalves(lo1, m1), 32);
      v128.store(d, highHalves(lo1, m1), 48);
    }
  }
  for (; i < n; i++) store<u32>(dst + (<usize>i << 2), f16ToF32s(<u32>load<u16>(src + (<usize>i << 1))));
}

/** NaN lanes → the canonical quiet NaN with their sign (0x7FC00000 | sign rounds to 0x7FC0 | sign). */
function quietNanBf16(x: v128): v128 {
  return v128.bitselect(v128.or(v128.and(x, kt(15)), kt(16)), x, f32x4.ne(x, x));
}

/** float32 bits → bf16 codes in u32 lanes, round to nearest even on the bits (no NaN lanes). */
function rne16(x: v128, half: v128, one: v128): v128 {
  return i32x4.shr_u(i32x4.add(i32x4.add(x, half), v128.and(i32x4.shr_u(x, 16), one)), 16);
}

/** float32 → bf16 codes (RNE), n values, 16 per step. */
export function f32ToBf16(src: usize, dst: usize, n: i32): void {
  const kOne = kt(1), kHalf = kt(9);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const s = src + (<usize>i << 2);
    let x0 = v128.load(s), x1 = v128.load(s, 16), x2 = v128.load(s, 32), x3 = v128.load(s, 48);
    if (v128.any_true(v128.or(v128.or(f32x4.ne(x0, x0), f32x4.ne(x1, x1)), v128.or(f32x4.ne(x2, x2), f32x4.ne(x3, x3))))) {
      x0 = quietNanBf16(x0); x1 = quietNanBf16(x1); x2 = quietNanBf16(x2); x3 = quietNanBf16(x3);
    }
    const d = dst + (<usize>i << 1);
    v128.store(d, i16x8.narrow_i32x4_u(rne16(x0, kHalf, kOne), rne16(x1, kHalf, kOne)));
    v128.store(d, i16x8.narrow_i32x4_u(rne16(x2, kHalf, kOne), rne16(x3, kHalf, kOne)), 16);
  }
  for (; i < n; i++) {
    const x = load<u32>(src + (<usize>i << 2));
    const a = x & 0x7fffffff;
    const o: u32 = a > 0x7f800000 ? (0x7fc0 | ((x >> 16) & 0x8000)) : ((x + 0x7fff + ((x >> 16) & 1)) >> 16);
    store<u16>(dst + (<usize>i << 1), <u16>o);
  }
}

/** bf16 codes → float32 (exact), n values. */
export function bf16ToF32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    const d = dst + (<usize>i << 2);
    v128.store(d, i32x4.shl(i32x4.extend_low_i16x8_u(h), 16));
    v128.store(d, i32x4.shl(i32x4.extend_high_i16x8_u(h), 16), 16);
  }
  for (; i < n; i++) store<u32>(dst + (<usize>i << 2), (<u32>load<u16>(src + (<usize>i << 1))) << 16);
}

// ---------------------------------------------------------------- cast analysis (src/wasm/analyze.ts)
export { analyzeF32 } from './kernels-analyze';
export { analyzeQ8_0, analyzeQ4_K } from './kernels-analyze-ggml';

// ---------------------------------------------------------------- ggml quantizers (ggml-quant.ts)
export { ggmlQ2K, ggmlQ3K, ggmlQ45K, ggmlQ6K, ggmlQ40Q50, ggmlQ41Q51, ggmlQ80Q81, ggmlFirstNonFinite, ggmlMxfp4, ggmlIq4nl, ggmlTq20, ggmlQ8K, ggmlTq10, ggmlIq4xs } from './ggml-quant';

// ---------------------------------------------------------------- ggml dequantizers
export * from './kernels-ggml';
