// @ts-nocheck: AssemblyScript (v128, load<T>, usize ...), type-checked by asc, not by tsc.
// WebAssembly SIMD cast analysis of float32 data (part of lowp's kernel module: kernels.ts re-exports
// analyzeF32; driver: src/wasm/analyze.ts). The running aggregates live in a state block in memory
// (layout below) that `analyzeLoop` loads on entry and stores on exit, so that a caller may analyse a
// stream group by group, mixing it with other passes over the same state (kernels-analyze-ggml.ts, the
// fused analysis of ggml blocks, runs its unusual groups through it): the result is the same as one
// pass over the concatenation.
//
// analyzeCast's fast path for float32 data cast to a signed format with subnormals, nearest-even,
// subnormals kept, any overflow policy (bf16, fp16, fp8, fp6, fp4): the block aggregates of
// src/diagnostics/analyzeCast.ts's TypeScript loop `loopF32`, with the same values per element. The
// target has m mantissa bits and smallest normal exponent emin; s = 23 − m bits are dropped. bf16
// (emin = −126, float32's own range) rounds on the bit patterns a = |x|: (a + 2^(s−1) − 1 + lsb) &
// ~(2^s − 1) (float32 subnormals included). A narrower format rounds in f32: r = (|x| + C) − C with
// C = max(2^(e + 23 − m), 2^(emin − m + 23)) per lane (e the exponent of x; C's exponent field is
// x's plus s, at least that of 2^(emin − m + 23)): ulp(C) is the target's quantum q at x (normal and
// subnormal range alike), |x| < C, so the addition is exact round-to-nearest-even at q and the
// subtraction exact. C must be finite for every x below the overflow threshold (the driver checks).
// err = |x − r| is exact in f32 (Sterbenz), so is max err; the ulp error is the bit distance |a − r|
// / 2^s for bf16 and err · (1/q) for the others, with 1/q = 2^23/C a power of two whose bits are
// (277 << 23) − C (exact); rel = err / |x| is a correctly rounded f64 division and err², x² are exact in
// f64, as in TypeScript. Vectors of 4 values that are all finite, normal in float32 and below the
// overflow threshold take a path without masks; others mask per lane. Where more than 1/8 of a group's
// vectors needed the masked path, the next group takes it for every vector (mixed data would otherwise
// mispredict the branch half of the time). Narrow targets count flushes and subnormal results per
// vector only in groups after a group holding a value below 2^emin; a group with such a value that
// did not count them is read again for these two counts alone. Sums: per vector (lanes 0 + 2) and (lanes 1 + 3) are added
// to two running f64 partial sums, combined at the end.
//
// State at `st` (ANALYZE_STATE bytes, see the offsets below; analyzeStateInit writes the start): the lane
// counters, maxima, f64 partial sums and the branch modes. analyzeStateFinish reduces it to `out`: f64
// [sumAbs, sumRel, sumSqX, sumSqE, maxErr, maxRel, maxUlp] then u32 at +64 [zeros, nan, inf, exact,
// flushed, becameSubnormal, overflowed, maxAbsBits, minAbsBits].
// `hist` (added to; the caller zeroes it): 4 copies (one per lane, 1152 bytes apart) of 288 u32
// counts: [E] by float32 exponent field (0 and 255 include zeros and non-finite values: ignore them),
// and in copy 0 [256 + p] for float32 subnormals whose top bit is p. `groups`: per group of `groupSize` values (a multiple of 4) the
// largest relative error, +Infinity where a value overflows (the worst-list key). n: a multiple of 4.

// State block offsets (bytes from `st`; v128 slots of 4 u32 lanes unless said otherwise).
export const S_SCRATCH = 0; // constants pass through here (see KC below)
export const S_ZERO = 16;
export const S_NAN = 32;
export const S_INF = 48;
export const S_EXACT = 64;
export const S_FLUSH = 80;
export const S_SUBLT = 96; // results below 2^emin (flushes included)
export const S_OVER = 112;
export const S_MAXA = 128; // |x| bits
export const S_MINA = 144;
export const S_MDIFF = 160; // largest bit distance |a − r| (bf16-like targets)
export const S_MERR = 176; // f32
export const S_MULP = 192; // f32
export const S_MREL = 208; // f64x2
export const S_SABS = 224; // f64x2 partial sums, then S_SREL, S_SX, S_SE
export const S_SREL = 240;
export const S_SX = 256;
export const S_SE = 272;
export const S_MODES = 288; // i32 slowMode, then i32 lowMode
export const ANALYZE_STATE = 304;

/** The state of an empty analysis (counts, maxima and sums zero, smallest |x| +inf). */
export function analyzeStateInit(st: usize): void {
  memory.fill(st, 0, ANALYZE_STATE);
  v128.store(st + S_MINA, i32x4.splat(0x7f800000));
}

function laneSum(v: v128): u32 {
  return <u32>(i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}

/** Reduces the state at `st` (target: m mantissa bits) to the aggregates at `out` (layout above). */
export function analyzeStateFinish(st: usize, m: i32, out: usize): void {
  const s = 23 - m;
  const sAbs = v128.load(st + S_SABS), sRel = v128.load(st + S_SREL), sX = v128.load(st + S_SX), sE = v128.load(st + S_SE);
  const mErr = v128.load(st + S_MERR), mUlp = v128.load(st + S_MULP), mRel = v128.load(st + S_MREL), mDiff = v128.load(st + S_MDIFF);
  const maxA = v128.load(st + S_MAXA), minA = v128.load(st + S_MINA);
  const cZero = v128.load(st + S_ZERO), cNan = v128.load(st + S_NAN), cInf = v128.load(st + S_INF), cExact = v128.load(st + S_EXACT);
  const cFlush = v128.load(st + S_FLUSH), cSubLt = v128.load(st + S_SUBLT), cOver = v128.load(st + S_OVER);
  store<f64>(out, f64x2.extract_lane(sAbs, 0) + f64x2.extract_lane(sAbs, 1));
  store<f64>(out, f64x2.extract_lane(sRel, 0) + f64x2.extract_lane(sRel, 1), 8);
  store<f64>(out, f64x2.extract_lane(sX, 0) + f64x2.extract_lane(sX, 1), 16);
  store<f64>(out, f64x2.extract_lane(sE, 0) + f64x2.extract_lane(sE, 1), 24);
  store<f64>(out, <f64>max(max(f32x4.extract_lane(mErr, 0), f32x4.extract_lane(mErr, 1)), max(f32x4.extract_lane(mErr, 2), f32x4.extract_lane(mErr, 3))), 32);
  store<f64>(out, max(f64x2.extract_lane(mRel, 0), f64x2.extract_lane(mRel, 1)), 40);
  const diffUlp = <f64>max(max(i32x4.extract_lane(mDiff, 0), i32x4.extract_lane(mDiff, 1)), max(i32x4.extract_lane(mDiff, 2), i32x4.extract_lane(mDiff, 3))) / <f64>(1 << s);
  const mulUlp = <f64>max(max(f32x4.extract_lane(mUlp, 0), f32x4.extract_lane(mUlp, 1)), max(f32x4.extract_lane(mUlp, 2), f32x4.extract_lane(mUlp, 3)));
  store<f64>(out, max(diffUlp, mulUlp), 48);
  const flushed = laneSum(cFlush);
  store<u32>(out, laneSum(cZero), 64);
  store<u32>(out, laneSum(cNan), 68);
  store<u32>(out, laneSum(cInf), 72);
  store<u32>(out, laneSum(cExact), 76);
  store<u32>(out, flushed, 80);
  store<u32>(out, laneSum(cSubLt) - flushed, 84);
  store<u32>(out, laneSum(cOver), 88);
  store<u32>(out, max(max(i32x4.extract_lane(maxA, 0), i32x4.extract_lane(maxA, 1)), max(i32x4.extract_lane(maxA, 2), i32x4.extract_lane(maxA, 3))), 92);
  store<u32>(out, min(min(i32x4.extract_lane(minA, 0), i32x4.extract_lane(minA, 1)), min(i32x4.extract_lane(minA, 2), i32x4.extract_lane(minA, 3))), 96);
}

/**
 * Adds n float32 values at `src` (n a multiple of 4) to the state at `st`: counters, maxima, sums and the
 * histogram; writes one worst-list key per group of `groupSize` values at `groups`.
 */
export function analyzeLoop<T>(src: usize, n: i32, m: i32, emin: i32, ovBits: u32, st: usize, hist: usize, groups: usize, groupSize: i32): void {
  const narrow = sizeof<T>() == 2; // emin > −126 (else emin = −126, float32's own range)
  const s = 23 - m;
  const out = st + S_SCRATCH;
  // constants go through memory (the state's scratch slot; v128.load32_splat) so that they stay in
  // registers: binaryen folds splats into v128.const, which V8 rematerializes at every use in the loop
  // (measured: 5% slower)
  store<u32>(out, <u32>(23 - m) << 23); const KC = v128.load32_splat(out);
  store<u32>(out, <u32>277 << 23); const QQ = v128.load32_splat(out); // 1/ulp(C) = 2^23/C has the bits QQ − C
  store<u32>(out, <u32>((emin + 127) << 23)); const SN = v128.load32_splat(out);
  store<u32>(out, <u32>(0x7fffffff)); const ABS = v128.load32_splat(out);
  store<u32>(out, <u32>(0x7f800000)); const INF = v128.load32_splat(out);
  const ZERO = i32x4.splat(0);
  store<u32>(out, <u32>(1)); const ONE = v128.load32_splat(out);
  store<u32>(out, <u32>(0x007fffff)); const NORM = v128.load32_splat(out);
  store<u32>(out, <u32>(ovBits)); const OV = v128.load32_splat(out);
  store<u32>(out, ovBits + 0x7f7fffff); const OVR = v128.load32_splat(out);
  store<u32>(out, <u32>((emin - m + 23 + 127) << 23)); const CSUB = v128.load32_splat(out); // C = 2^(emin − m + 23)
  store<u32>(out, (<u32>1 << (s - 1)) - 1); const RADD = v128.load32_splat(out);
  store<u32>(out, ~((<u32>1 << s) - 1)); const RMASK = v128.load32_splat(out);
  let cZero = v128.load(st + S_ZERO), cNan = v128.load(st + S_NAN), cInf = v128.load(st + S_INF), cExact = v128.load(st + S_EXACT);
  let cFlush = v128.load(st + S_FLUSH), cSubLt = v128.load(st + S_SUBLT), cOver = v128.load(st + S_OVER);
  let maxA = v128.load(st + S_MAXA), minA = v128.load(st + S_MINA), mDiff = v128.load(st + S_MDIFF);
  let sAbs = v128.load(st + S_SABS), sRel = v128.load(st + S_SREL), sX = v128.load(st + S_SX), sE = v128.load(st + S_SE);
  let mErr = v128.load(st + S_MERR), mUlp = v128.load(st + S_MULP), mRel = v128.load(st + S_MREL);
  let g = 0;
  let slowMode = load<i32>(st + S_MODES) != 0;
  // narrow targets: whether this group counts flushes and subnormal results per vector (the previous
  // group held a value below 2^emin); else a group with such a value is counted again afterwards
  let lowMode = load<i32>(st + S_MODES, 4) != 0;
  let C = ZERO;
  for (let start = 0; start < n; start += groupSize) {
    const end = min(n, start + groupSize);
    let gRel = f64x2.splat(0);
    let nSlow = 0;
    let gOv = ZERO;
    let minG = INF;
    for (let i = start; i < end; i += 4) {
      const a = v128.and(v128.load(src + (<usize>i << 2)), ABS);
      const E = i32x4.shr_u(a, 23);
      histLanes(hist, i64x2.extract_lane(E, 0), i64x2.extract_lane(E, 1));
      let r: v128;
      if (narrow) {
        // (a + C) − C with C = 2^(e + 23 − m) (the target's quantum is ulp(C)), at least 2^(emin − m + 23)
        C = i32x4.max_s(i32x4.add(v128.and(a, INF), KC), CSUB);
        r = f32x4.sub(f32x4.add(a, C), C);
      } else {
        r = v128.and(i32x4.add(a, i32x4.add(RADD, v128.and(i32x4.shr_u(a, s), ONE))), RMASK);
      }
      // a outside [2^-126, overflow threshold) ⇔ a − 2^-126 ≥ ovBits − 2^-126 unsigned: a signed compare
      // after adding 2^31 − 2^-126 (INF's bits) to both sides
      const allIn = !v128.any_true(i32x4.gt_s(i32x4.add(a, INF), OVR));
      if (!slowMode && allIn) {
        // all four finite, float32-normal, below the overflow threshold (the f64 part is repeated in
        // both branches: measured faster than one copy after them with masks chosen per branch)
        const x = a;
        const err = f32x4.abs(f32x4.sub(a, r));
        cExact = i32x4.sub(cExact, i32x4.eq(r, a));
        if (narrow && lowMode) {
          cFlush = i32x4.sub(cFlush, i32x4.eq(r, ZERO));
          cSubLt = i32x4.sub(cSubLt, i32x4.lt_s(r, SN));
        }
        maxA = i32x4.max_s(maxA, a);
        minG = i32x4.min_s(minG, a);
        mErr = f32x4.pmax(mErr, err);
        if (narrow) {
          // err / q with q = ulp(C) = 2^-23·C: 1/q is the power of two with bits (277 << 23) − C (exact)
          mUlp = f32x4.pmax(mUlp, f32x4.mul(err, i32x4.sub(QQ, C)));
        } else {
          // the bit distance of x and r is err / 2^(e − 23) and ulp(x) = 2^(e − m) (also for float32 subnormals)
          mDiff = i32x4.max_s(mDiff, i32x4.abs(i32x4.sub(a, r)));
        }
        const xHi = v128.shuffle<i64>(x, x, 1, 1);
        const eHi = v128.shuffle<i64>(err, err, 1, 1);
        const x0 = f64x2.promote_low_f32x4(x);
        const x1 = f64x2.promote_low_f32x4(xHi);
        const e0 = f64x2.promote_low_f32x4(err);
        const e1 = f64x2.promote_low_f32x4(eHi);
        const rel0 = f64x2.div(e0, x0);
        const rel1 = f64x2.div(e1, x1);
        sAbs = f64x2.add(sAbs, f64x2.add(e0, e1));
        sRel = f64x2.add(sRel, f64x2.add(rel0, rel1));
        sX = f64x2.add(sX, f64x2.add(f64x2.mul(x0, x0), f64x2.mul(x1, x1)));
        sE = f64x2.add(sE, f64x2.add(f64x2.mul(e0, e0), f64x2.mul(e1, e1)));
        gRel = f64x2.pmax(gRel, f64x2.pmax(rel0, rel1));
      } else {
        nSlow += <i32>!allIn;
        const isZero = i32x4.eq(a, ZERO);
        const fin = i32x4.lt_s(a, INF);
        const nzf = v128.andnot(fin, isZero);
        if (v128.any_true(v128.andnot(nzf, i32x4.gt_s(a, NORM)))) {
          // float32 subnormals (rare): their own bins by top bit
          for (let j = 0; j < 4; j++) {
            const u = load<u32>(src + (<usize>(i + j) << 2)) & 0x7fffffff;
            if (u != 0 && u < 0x00800000) {
              const h = hist + (<usize>(256 + 31 - clz(u)) << 2);
              store<u32>(h, load<u32>(h) + 1);
            }
          }
        }
        const ov = v128.and(fin, i32x4.ge_s(a, OV));
        const meas = v128.andnot(nzf, ov);
        cZero = i32x4.sub(cZero, isZero);
        cInf = i32x4.sub(cInf, i32x4.eq(a, INF));
        cNan = i32x4.sub(cNan, i32x4.gt_s(a, INF));
        cExact = i32x4.sub(cExact, v128.and(meas, i32x4.eq(r, a)));
        if (!narrow || lowMode) {
          cFlush = i32x4.sub(cFlush, v128.and(meas, i32x4.eq(r, ZERO)));
          cSubLt = i32x4.sub(cSubLt, v128.and(meas, i32x4.lt_s(r, SN)));
        }
        cOver = i32x4.sub(cOver, ov);
        gOv = v128.or(gOv, ov);
        maxA = i32x4.max_s(maxA, v128.and(a, nzf));
        minG = i32x4.min_s(minG, v128.bitselect(a, INF, nzf));
        const x = v128.and(a, meas);
        const err = v128.and(f32x4.abs(f32x4.sub(a, r)), meas);
        r = v128.bitselect(r, a, meas);
        const m0 = i64x2.extend_low_i32x4_s(meas);
        const m1 = i64x2.extend_high_i32x4_s(meas);
        // maxima and sums as in the fast path, masked
        mErr = f32x4.pmax(mErr, err);
        if (narrow) {
          mUlp = f32x4.pmax(mUlp, f32x4.mul(err, i32x4.sub(QQ, C)));
        } else {
          mDiff = i32x4.max_s(mDiff, i32x4.abs(i32x4.sub(a, r)));
        }
        const xHi = v128.shuffle<i64>(x, x, 1, 1);
        const eHi = v128.shuffle<i64>(err, err, 1, 1);
        const x0 = f64x2.promote_low_f32x4(x);
        const x1 = f64x2.promote_low_f32x4(xHi);
        const e0 = f64x2.promote_low_f32x4(err);
        const e1 = f64x2.promote_low_f32x4(eHi);
        // (unmeasured lanes: 0/0)
        const rel0 = v128.and(f64x2.div(e0, x0), m0);
        const rel1 = v128.and(f64x2.div(e1, x1), m1);
        sAbs = f64x2.add(sAbs, f64x2.add(e0, e1));
        sRel = f64x2.add(sRel, f64x2.add(rel0, rel1));
        sX = f64x2.add(sX, f64x2.add(f64x2.mul(x0, x0), f64x2.mul(x1, x1)));
        sE = f64x2.add(sE, f64x2.add(f64x2.mul(e0, e0), f64x2.mul(e1, e1)));
        gRel = f64x2.pmax(gRel, f64x2.pmax(rel0, rel1));
      }
    }
    mRel = f64x2.pmax(mRel, gRel);
    minA = i32x4.min_s(minA, minG);
    if (narrow) {
      const low = v128.any_true(i32x4.lt_s(minG, SN));
      if (low && !lowMode) {
        // flushes and subnormal results of this group (finite nonzero values below the threshold)
        for (let i = start; i < end; i += 4) {
          const a = v128.and(v128.load(src + (<usize>i << 2)), ABS);
          const Cl = i32x4.max_s(i32x4.add(v128.and(a, INF), KC), CSUB);
          const r = f32x4.sub(f32x4.add(a, Cl), Cl);
          const meas = v128.and(i32x4.gt_s(a, ZERO), i32x4.lt_s(a, OV));
          cFlush = i32x4.sub(cFlush, v128.and(meas, i32x4.eq(r, ZERO)));
          cSubLt = i32x4.sub(cSubLt, v128.and(meas, i32x4.lt_s(r, SN)));
        }
      }
      lowMode = low;
    }
    // branch mode for the next group: where more than 1/8 of the vectors needed the masked path, take
    // it for every vector instead of mispredicting a branch
    slowMode = (nSlow << 3) > ((end - start) >> 2);
    store<f64>(groups + (<usize>g << 3), v128.any_true(gOv) ? Infinity : max(f64x2.extract_lane(gRel, 0), f64x2.extract_lane(gRel, 1)));
    g++;
  }
  v128.store(st + S_ZERO, cZero); v128.store(st + S_NAN, cNan); v128.store(st + S_INF, cInf); v128.store(st + S_EXACT, cExact);
  v128.store(st + S_FLUSH, cFlush); v128.store(st + S_SUBLT, cSubLt); v128.store(st + S_OVER, cOver);
  v128.store(st + S_MAXA, maxA); v128.store(st + S_MINA, minA); v128.store(st + S_MDIFF, mDiff);
  v128.store(st + S_SABS, sAbs); v128.store(st + S_SREL, sRel); v128.store(st + S_SX, sX); v128.store(st + S_SE, sE);
  v128.store(st + S_MERR, mErr); v128.store(st + S_MULP, mUlp); v128.store(st + S_MREL, mRel);
  store<i32>(st + S_MODES, slowMode ? 1 : 0);
  store<i32>(st + S_MODES, lowMode ? 1 : 0, 4);
}

/**
 * Adds 1 to the bins of the 4 exponent fields of a vector E (lanes 0–1 in e01, 2–3 in e23; i64 halves,
 * not the v128, so that the export takes no SIMD value) in `hist`, one copy per lane (1152 bytes
 * apart: no store-to-load chain between lanes). Shared with the fused ggml kernels (kernels-analyze-ggml.ts).
 */
export function histLanes(hist: usize, e01: i64, e23: i64): void {
  const h0 = hist + (<usize>(<u32>e01) << 2);
  const h1 = hist + 1152 + (<usize>(<u32>(e01 >>> 32)) << 2);
  const h2 = hist + 2304 + (<usize>(<u32>e23) << 2);
  const h3 = hist + 3456 + (<usize>(<u32>(e23 >>> 32)) << 2);
  store<u32>(h0, load<u32>(h0) + 1);
  store<u32>(h1, load<u32>(h1) + 1);
  store<u32>(h2, load<u32>(h2) + 1);
  store<u32>(h3, load<u32>(h3) + 1);
}

/**
 * Cast-analysis aggregates of n float32 values (n a multiple of 4) for a signed target with subnormals,
 * m mantissa bits (0…22) and smallest normal exponent emin: −126, or above −126 with emin − m ≥ −127
 * and ((ovBits − 1) >> 23) + 23 − m ≤ 254 (C finite below the overflow threshold; src/wasm/analyze.ts
 * checks both); see above. `st`: ANALYZE_STATE bytes of scratch for the state.
 */
export function analyzeF32(src: usize, n: i32, m: i32, emin: i32, ovBits: u32, out: usize, hist: usize, groups: usize, groupSize: i32, st: usize): void {
  analyzeStateInit(st);
  if (emin == -126) analyzeLoop<u8>(src, n, m, emin, ovBits, st, hist, groups, groupSize);
  else analyzeLoop<u16>(src, n, m, emin, ovBits, st, hist, groups, groupSize);
  analyzeStateFinish(st, m, out);
}
