// @ts-nocheck: AssemblyScript (v128, load<T>, usize ...), type-checked by asc, not by tsc.
// Fused dequantize-and-analyse kernels for ggml's Q8_0 and Q4_K blocks (part of lowp's kernel module:
// kernels.ts re-exports them; driver: src/wasm/analyze.ts analyzeGgmlWasm). Each call adds n values
// (whole blocks) to a fresh cast-analysis state and reduces it to the aggregates of analyzeF32
// (kernels-analyze.ts): the same counters, maxima, histogram, worst-list keys and f64 sums, bit for
// bit, as analyzeF32 over the values dequantizeGgml gives, with the values never leaving the cache.
//
// Per group of 256 values (8 Q8_0 blocks, one Q4_K block; analyzeF32's worst-list groups):
//   1. the blocks are dequantized into a 1 KiB buffer by the type's own kernel (kernels-ggml.ts:
//      ggml's float operations, bit for bit);
//   2. the group's block scales decide its path. A group is "plain" when every value is finite, zero
//      or a normal float32, and below the target's overflow threshold (Q8_0: fp16 scale d finite and
//      nonzero, 128·|d| below it; Q4_K: d, dmin finite, |d|·945 + |dmin|·63 well below it: products
//      of fp16 numbers and small integers are multiples of 2^-24, so no value is a float32
//      subnormal). Any other group runs analyzeLoop, the general kernel, on the buffer;
//   3. a plain group runs three passes without masks or branches per vector, each with few enough
//      live vectors to stay in registers (V8 has 16): `rangeStats` (zeros, largest and smallest |x|,
//      histogram; writes |x|), `castStats` (rounding: exact count, largest error and ulp error,
//      flushes and subnormal results; writes err) and `sumsPass` (below). A plain Q8_0 group skips
//      step 1: `q8Range` computes rangeStats' results from the blocks (|x| = |q|·|d|, exact; the
//      histogram window and the extremes from the scales), about 15% faster per Q8_0 value (measured
//      on the analysis alone; one pass over the values less, no window search per block). Fusing
//      castStats and sumsPass into one loop was measured slower (register spills);
//   4. `sumsPass` adds the group's f64 terms to the state's partial sums in analyzeLoop's order
//      (per vector: lanes 0 + 2 and 1 + 3, each pair then to its running sum): identical sums, since
//      every term is the same number (|x|, err = |x − r|, rel = err/|x| a correctly rounded
//      division, 0 for a zero, x², err²), and returns the group's largest relative error, its
//      worst-list key.
// Rounding in castStats is analyzeLoop's narrow-target rule, r = (|x| + C) − C with C = 2^(e + 23 − m)
// (also for bf16, where it gives what analyzeLoop's bit-pattern rounding gives: |x| < 2^27 here, so C
// is finite), clamped below at 2^(emin − m + 23) in "low" groups (a target with emin > −126 and a
// nonzero value below 2^emin, as rangeStats found), which also count flushes and subnormal results.
// Zeros (r = |x| = 0) count there as exact, flushed and below 2^emin and are taken off at the end of
// the group. The ulp error is err·2^23/C as in analyzeLoop (for bf16 the same number as its bit
// distance / 2^16). Histogram (rangeStats): a block of 32 values whose nonzero values lie within the
// 8 binades below its largest (every Q8_0 block: its values are |q|·|d| with 1 ≤ |q| ≤ 128; most Q4_K
// blocks) adds one-hot nibbles per vector (a swizzle of a 16-byte table by the exponent field) to
// per-lane counters, summed per block into 8 u16 bins (at most 32768 per bin per call: added to the
// u32 histogram at the end of the call); other blocks add one u32 increment per value, in analyzeLoop's
// 4 lane copies (measured: the nibbles cost half as much).
// `buf` is the kernels' scratch (ANALYZE_GGML_SCRATCH bytes): 256 f32 values, 512 f32 (|x| and err of
// the group), 264 u16 bins, the state.
import { analyzeLoop, analyzeStateFinish, analyzeStateInit, histLanes, ANALYZE_STATE, S_EXACT, S_FLUSH, S_MAXA, S_MERR, S_MINA, S_MREL, S_MULP, S_SABS, S_SE, S_SREL, S_SUBLT, S_SX, S_ZERO } from './kernels-analyze';
import { dequantQ4_K, dequantQ8_0 } from './kernels-ggml';
import { f16ToF32s } from './half-scalar';

const GROUP = 256;
const B_VALUES = 0; // 256 f32 dequantized values
const B_TERMS = 1024; // 256 f32 |x|, then 256 f32 err
const B_HIST16 = 3072; // 264 u16 bins by float32 exponent field (a window may start at 254)
const B_STATE = 3600; // the analysis state (ANALYZE_STATE bytes)
/** Bytes of scratch the kernels need at `buf`. */
export const ANALYZE_GGML_SCRATCH = B_STATE + ANALYZE_STATE;

/**
 * Adds the f64 terms of n values (|x| at `terms`, err at `terms` + 1024; n a multiple of 4) to the
 * partial sums of the state at `st` and returns the largest err/|x| (0/0 counts as 0).
 */
function sumsPass(terms: usize, n: i32, st: usize): f64 {
  let sAbs = v128.load(st + S_SABS), sRel = v128.load(st + S_SREL), sX = v128.load(st + S_SX), sE = v128.load(st + S_SE);
  let gRel = f64x2.splat(0);
  const Z = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    const x = v128.load(terms + (<usize>i << 2));
    const err = v128.load(terms + 1024 + (<usize>i << 2));
    const xHi = v128.shuffle<i64>(x, x, 1, 1);
    const eHi = v128.shuffle<i64>(err, err, 1, 1);
    const x0 = f64x2.promote_low_f32x4(x);
    const x1 = f64x2.promote_low_f32x4(xHi);
    const e0 = f64x2.promote_low_f32x4(err);
    const e1 = f64x2.promote_low_f32x4(eHi);
    // pmax(0, q) is 0 for the NaN of 0/0 (a zero) and q otherwise (q ≥ 0)
    const rel0 = f64x2.pmax(Z, f64x2.div(e0, x0));
    const rel1 = f64x2.pmax(Z, f64x2.div(e1, x1));
    sAbs = f64x2.add(sAbs, f64x2.add(e0, e1));
    sRel = f64x2.add(sRel, f64x2.add(rel0, rel1));
    sX = f64x2.add(sX, f64x2.add(f64x2.mul(x0, x0), f64x2.mul(x1, x1)));
    sE = f64x2.add(sE, f64x2.add(f64x2.mul(e0, e0), f64x2.mul(e1, e1)));
    gRel = f64x2.pmax(gRel, f64x2.pmax(rel0, rel1));
  }
  v128.store(st + S_SABS, sAbs); v128.store(st + S_SREL, sRel); v128.store(st + S_SX, sX); v128.store(st + S_SE, sE);
  return max(f64x2.extract_lane(gRel, 0), f64x2.extract_lane(gRel, 1));
}

// One-hot nibble table of the histogram (see rangeStats), the byte indices that replicate each lane's
// exponent byte, and −2j for byte j of a lane; loaded with v128.load (a v128.const would be
// rematerialized at each use in the loop).
const HK = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 1, 16, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 2, 2, 2, 6, 6, 6, 6, 10, 10, 10, 10, 14, 14, 14, 14,
  0, 0xfe, 0xfc, 0xfa, 0, 0xfe, 0xfc, 0xfa, 0, 0xfe, 0xfc, 0xfa, 0, 0xfe, 0xfc, 0xfa,
]);

/**
 * The zeros, largest and smallest |x| and histogram of n values at `vals` (n a multiple of 32; finite,
 * none a float32 subnormal), added to the state at `st` and to the histogram; writes |x| at `terms`;
 * returns the smallest nonzero |x| bits (0x7f800000 if none). Histogram, block of 32 by block: where
 * the block's nonzero values lie within 8 binades, [2^w, 2^(w+8)) with w the largest exponent field
 * less 7 (always for Q8_0, whose values lie within 8 binades of the block scale; mostly for Q4_K), the
 * u16 bins at `hist16` get them (at most 32768 per bin per kernel call) by one-hot nibbles: a swizzle
 * of a 16-byte table by the exponent field E adds 1 to byte j of the lane where E − w = 2j, 16 where
 * E − w = 2j + 1, so nibble k of a lane counts bin w + k (at most 8: a lane sees 8 values of the
 * block; a zero adds nothing); other blocks add one per value to analyzeLoop's 4 lane copies of `hist`
 * (zeros to bin 0, which the driver ignores as analyzeLoop's).
 */
function rangeStats(vals: usize, n: i32, st: usize, terms: usize, hist: usize, hist16: usize): u32 {
  const sc = st; // scratch slot of the state (S_SCRATCH)
  store<u32>(sc, <u32>0x7fffffff); const ABS = v128.load32_splat(sc);
  store<u32>(sc, <u32>0x7f800000); const INF = v128.load32_splat(sc);
  store<u32>(sc, <u32>0x0f0f0f0f); const NIB = v128.load32_splat(sc);
  const TT = v128.load(HK), REP = v128.load(HK, 16), DJ = v128.load(HK, 32);
  const ZERO = i32x4.splat(0), M1 = i32x4.splat(-1);
  let cZero = ZERO, maxA = ZERO, minA1 = M1;
  for (let b = 0; b < n; b += 32) {
    let bmax = ZERO, bmin1 = M1;
    for (let k = 0; k < 32; k += 4) {
      const i = b + k;
      const a = v128.and(v128.load(vals + (<usize>i << 2)), ABS);
      cZero = i32x4.sub(cZero, i32x4.eq(a, ZERO));
      bmax = i32x4.max_s(bmax, a);
      bmin1 = i32x4.min_u(bmin1, i32x4.add(a, M1));
      v128.store(terms + (<usize>i << 2), a);
    }
    maxA = i32x4.max_s(maxA, bmax);
    minA1 = i32x4.min_u(minA1, bmin1);
    const x2 = i32x4.max_s(bmax, v128.shuffle<i32>(bmax, bmax, 2, 3, 0, 1));
    const n2 = i32x4.min_u(bmin1, v128.shuffle<i32>(bmin1, bmin1, 2, 3, 0, 1));
    const top = <u32>max(i32x4.extract_lane(x2, 0), i32x4.extract_lane(x2, 1)) >>> 23;
    const low = min(<u32>i32x4.extract_lane(n2, 0), <u32>i32x4.extract_lane(n2, 1)) + 1; // 0: no nonzero value
    const w = max(<i32>top - 7, 1);
    if (low != 0 && low < <u32>(w << 23)) {
      // values below the window: one increment each
      for (let k = 0; k < 32; k += 4) {
        const E = i32x4.shr_u(v128.load(terms + (<usize>(b + k) << 2)), 23);
        histLanes(hist, i64x2.extract_lane(E, 0), i64x2.extract_lane(E, 1));
      }
      continue;
    }
    // byte j of each lane: 6 − w − 2j (a zero, E = 0, gets an index of 262 − w − 2j mod 256, never 6 or 7)
    const cb = i8x16.add(i8x16.splat(<i8>(6 - w)), DJ);
    let hacc = ZERO;
    for (let k = 0; k < 32; k += 4) {
      const a = v128.load(terms + (<usize>(b + k) << 2));
      hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(a, 7), REP), cb)));
    }
    addNibbles(hacc, NIB, hist16 + (<usize>w << 1));
  }
  return rangeDone(st, cZero, maxA, minA1, INF, M1);
}

/**
 * Adds a range pass's lane counts of zeros and extreme |x| (minA1: smallest |x| − 1, unsigned) to the
 * state; returns the smallest nonzero |x| bits of the pass (0x7f800000 if none).
 */
function rangeDone(st: usize, cZero: v128, maxA: v128, minA1: v128, INF: v128, M1: v128): u32 {
  v128.store(st + S_ZERO, i32x4.add(v128.load(st + S_ZERO), cZero));
  v128.store(st + S_MAXA, i32x4.max_s(v128.load(st + S_MAXA), maxA));
  // smallest nonzero |x| per lane: min(|x| − 1) unsigned (a zero wraps to the top), +1; none: +inf
  const mn = i32x4.sub(i32x4.min_u(minA1, i32x4.add(INF, M1)), M1);
  v128.store(st + S_MINA, i32x4.min_s(v128.load(st + S_MINA), mn));
  return min(min(i32x4.extract_lane(mn, 0), i32x4.extract_lane(mn, 1)), min(i32x4.extract_lane(mn, 2), i32x4.extract_lane(mn, 3)));
}

/**
 * The cast of n values |x| at `terms` (n a multiple of 4, none above the overflow threshold): exact
 * count, largest error and ulp error, and with LOW = u16 (C clamped) flushes and subnormal results,
 * added to the state at `st`; writes err at `terms` + 1024. Zeros count as exact (and as flushed and
 * below 2^emin): the caller takes them off (`zeros`, the lane counts of rangeStats).
 */
function castStats<LOW>(terms: usize, n: i32, m: i32, emin: i32, st: usize, zeros: v128): void {
  const low = sizeof<LOW>() == 2;
  const sc = st; // scratch slot of the state (S_SCRATCH)
  store<u32>(sc, <u32>(23 - m) << 23); const KC = v128.load32_splat(sc);
  store<u32>(sc, <u32>277 << 23); const QQ = v128.load32_splat(sc);
  store<u32>(sc, <u32>((emin + 127) << 23)); const SN = v128.load32_splat(sc);
  store<u32>(sc, <u32>((emin - m + 23 + 127) << 23)); const CSUB = v128.load32_splat(sc);
  store<u32>(sc, <u32>0x7fffffff); const ABS = v128.load32_splat(sc);
  store<u32>(sc, <u32>0x7f800000); const INF = v128.load32_splat(sc);
  const ZERO = i32x4.splat(0);
  let cExact = ZERO, cFlush = ZERO, cSubLt = ZERO;
  let mErr = v128.load(st + S_MERR), mUlp = v128.load(st + S_MULP);
  for (let i = 0; i < n; i += 4) {
    const a = v128.load(terms + (<usize>i << 2));
    let C = i32x4.add(v128.and(a, INF), KC);
    if (low) C = i32x4.max_s(C, CSUB);
    const r = f32x4.sub(f32x4.add(a, C), C);
    const err = v128.and(f32x4.sub(a, r), ABS);
    cExact = i32x4.sub(cExact, i32x4.eq(r, a));
    if (low) {
      cFlush = i32x4.sub(cFlush, i32x4.eq(r, ZERO));
      cSubLt = i32x4.sub(cSubLt, i32x4.lt_s(r, SN));
    }
    mErr = f32x4.pmax(mErr, err);
    mUlp = f32x4.pmax(mUlp, f32x4.mul(err, i32x4.sub(QQ, C)));
    v128.store(terms + 1024 + (<usize>i << 2), err);
  }
  v128.store(st + S_EXACT, i32x4.add(v128.load(st + S_EXACT), i32x4.sub(cExact, zeros)));
  if (low) {
    v128.store(st + S_FLUSH, i32x4.add(v128.load(st + S_FLUSH), i32x4.sub(cFlush, zeros)));
    v128.store(st + S_SUBLT, i32x4.add(v128.load(st + S_SUBLT), i32x4.sub(cSubLt, zeros)));
  }
  v128.store(st + S_MERR, mErr);
  v128.store(st + S_MULP, mUlp);
}

/** Adds a plain group (n values dequantized at `buf`, n a multiple of 32) to the state and writes its worst-list key. */
function plainGroup(buf: usize, n: i32, m: i32, emin: i32, hist: usize, key: usize): void {
  const st = buf + B_STATE;
  const z0 = v128.load(st + S_ZERO);
  const minBits = rangeStats(buf + B_VALUES, n, st, buf + B_TERMS, hist, buf + B_HIST16);
  const zeros = i32x4.sub(v128.load(st + S_ZERO), z0);
  // a value below 2^emin: subnormal or flushed in a target narrower than float32
  castAndSums(buf + B_TERMS, n, m, emin, st, zeros, emin != -126 && minBits < <u32>((emin + 127) << 23), key);
}

/**
 * The rest of a plain group once its |x| are at `terms` (and its zeros counted, `zeros`): castStats
 * (the wide-counter build where `low`, a value may lie below 2^emin), then sumsPass; the group's largest
 * relative error goes to the state and to the worst-list key.
 */
function castAndSums(terms: usize, n: i32, m: i32, emin: i32, st: usize, zeros: v128, low: bool, key: usize): void {
  if (low) castStats<u16>(terms, n, m, emin, st, zeros);
  else castStats<u8>(terms, n, m, emin, st, zeros);
  const g = sumsPass(terms, n, st);
  v128.store(st + S_MREL, f64x2.pmax(v128.load(st + S_MREL), f64x2.splat(g)));
  store<f64>(key, g);
}

/**
 * rangeStats of a plain Q8_0 group, read from its blocks (nb ≤ 8 at `blk`, every scale finite and
 * nonzero, 128·|d| below the overflow threshold): writes |x| = |q|·|d| at `vals` (the product of
 * dequantQ8_0 up to its sign, exact in float32: at most 8 + 11 significant bits, |d| a normal float32);
 * adds the zeros, the histogram and the largest and smallest nonzero |x| to the state at `st`. What
 * rangeStats finds from the values follows here from the scale: every nonzero value lies in the 8
 * binades [|d|, 128·|d|], so the nibble window of a block is the exponent field of |d| (no block falls
 * back to one increment per value), and a block is looked at for the extremes only where 128·|d|
 * exceeds the largest |x| so far or |d| is below the smallest. Returns the counts of zeros in 4 lanes
 * (lane k: codes 4k … 4k + 3 of each 16; only their sum is the state's, as castStats takes them off
 * lane by lane and the state's counters are summed over the lanes at the end).
 */
function q8Range(blk: usize, nb: i32, vals: usize, st: usize, hist16: usize): v128 {
  const sc = st; // scratch slot of the state (S_SCRATCH)
  store<u32>(sc, <u32>0x0f0f0f0f); const NIB = v128.load32_splat(sc);
  const TT = v128.load(HK), REP = v128.load(HK, 16), DJ = v128.load(HK, 32);
  const ZERO = i32x4.splat(0);
  let zacc = ZERO;
  let curMax = <u32>i32x4.extract_lane(v128.load(st + S_MAXA), 0);
  let curMin = <u32>i32x4.extract_lane(v128.load(st + S_MINA), 0);
  for (let b = 0; b < nb; b++) {
    const p = blk + <usize>b * 34;
    const dbits = f16ToF32s(<u32>load<u16>(p)) & 0x7fffffff;
    const dv = f32x4.splat(reinterpret<f32>(dbits));
    const q0 = v128.load(p, 2), q1 = v128.load(p, 18);
    zacc = i8x16.sub(zacc, i8x16.add(i8x16.eq(q0, ZERO), i8x16.eq(q1, ZERO)));
    const a0 = i8x16.abs(q0), a1 = i8x16.abs(q1); // −128 → 0x80: 128 as unsigned
    const w0 = i16x8.extend_low_i8x16_u(a0), w1 = i16x8.extend_high_i8x16_u(a0);
    const w2 = i16x8.extend_low_i8x16_u(a1), w3 = i16x8.extend_high_i8x16_u(a1);
    const v = vals + (<usize>b << 7);
    const x0 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(w0)), dv);
    const x1 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(w0)), dv);
    const x2 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(w1)), dv);
    const x3 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(w1)), dv);
    const x4 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(w2)), dv);
    const x5 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(w2)), dv);
    const x6 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(w3)), dv);
    const x7 = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(w3)), dv);
    v128.store(v, x0); v128.store(v, x1, 16); v128.store(v, x2, 32); v128.store(v, x3, 48);
    v128.store(v, x4, 64); v128.store(v, x5, 80); v128.store(v, x6, 96); v128.store(v, x7, 112);
    // histogram: exponent fields E of the nonzero values in [w, w + 7], w that of |d|
    const w = <i32>(dbits >>> 23);
    const cb = i8x16.add(i8x16.splat(<i8>(6 - w)), DJ);
    let hacc = i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x0, 7), REP), cb));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x1, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x2, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x3, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x4, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x5, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x6, 7), REP), cb)));
    hacc = i32x4.add(hacc, i8x16.swizzle(TT, i8x16.add(i8x16.swizzle(i16x8.shr_u(x7, 7), REP), cb)));
    addNibbles(hacc, NIB, hist16 + (<usize>w << 1));
    // extremes, only where this block can move them
    if (dbits + (7 << 23) > curMax) {
      const m = i32x4.max_s(i32x4.max_s(i32x4.max_s(x0, x1), i32x4.max_s(x2, x3)), i32x4.max_s(i32x4.max_s(x4, x5), i32x4.max_s(x6, x7)));
      curMax = max(curMax, hmaxU(m));
    }
    if (dbits < curMin) {
      const M1 = i32x4.splat(-1);
      const m = i32x4.min_u(i32x4.min_u(i32x4.min_u(i32x4.add(x0, M1), i32x4.add(x1, M1)), i32x4.min_u(i32x4.add(x2, M1), i32x4.add(x3, M1))),
        i32x4.min_u(i32x4.min_u(i32x4.add(x4, M1), i32x4.add(x5, M1)), i32x4.min_u(i32x4.add(x6, M1), i32x4.add(x7, M1))));
      const mn = hminU(m) + 1; // 0: the block is all zeros
      if (mn != 0) curMin = min(curMin, mn);
    }
  }
  v128.store(st + S_MAXA, i32x4.replace_lane(v128.load(st + S_MAXA), 0, curMax));
  v128.store(st + S_MINA, i32x4.replace_lane(v128.load(st + S_MINA), 0, curMin));
  // zeros: counts per byte (at most 16), to i32 lanes
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(zacc));
}

/** Adds the per-lane nibble counters `hacc` (8 bins, see rangeStats) to the u16 bins at `hp`. */
function addNibbles(hacc: v128, NIB: v128, hp: usize): void {
  const lo = v128.and(hacc, NIB);
  const hi = v128.and(i32x4.shr_u(hacc, 4), NIB);
  const X = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const Y = i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const S = i8x16.add(X, Y);
  const T = i8x16.add(S, i8x16.shuffle(S, S, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  v128.store(hp, i16x8.add(v128.load(hp), i16x8.extend_low_i8x16_u(T)));
}

/** The largest of the 4 u32 lanes of `m`. */
function hmaxU(m: v128): u32 {
  const a = i32x4.max_u(m, v128.shuffle<i32>(m, m, 2, 3, 0, 1));
  return max(<u32>i32x4.extract_lane(a, 0), <u32>i32x4.extract_lane(a, 1));
}

/** The smallest of the 4 u32 lanes of `m`. */
function hminU(m: v128): u32 {
  const a = i32x4.min_u(m, v128.shuffle<i32>(m, m, 2, 3, 0, 1));
  return min(<u32>i32x4.extract_lane(a, 0), <u32>i32x4.extract_lane(a, 1));
}

/**
 * plainGroup for a plain group of nb Q8_0 blocks at `blk`, without dequantizing it first (q8Range);
 * `lowAny`: some scale |d| is below 2^emin (a nonzero value may be), as rangeStats' smallest |x| tells
 * plainGroup. Writes the group's worst-list key.
 */
function plainQ8(blk: usize, nb: i32, buf: usize, m: i32, emin: i32, key: usize, lowAny: bool): void {
  const st = buf + B_STATE;
  const n = nb << 5;
  const zeros = q8Range(blk, nb, buf + B_VALUES, st, buf + B_HIST16);
  v128.store(st + S_ZERO, i32x4.add(v128.load(st + S_ZERO), zeros));
  castAndSums(buf + B_VALUES, n, m, emin, st, zeros, lowAny, key); // |x| at B_VALUES, err at B_TERMS
}

/** Adds the u16 bins of rangeStats to copy 0 of the u32 histogram. */
function flushHist16(buf: usize, hist: usize): void {
  for (let E = 0; E < 256; E++) {
    const c = <u32>load<u16>(buf + B_HIST16 + (<usize>E << 1));
    if (c != 0) store<u32>(hist + (<usize>E << 2), load<u32>(hist + (<usize>E << 2)) + c);
  }
}

/** A group analyzeLoop takes (any values). */
function generalGroup(buf: usize, n: i32, m: i32, emin: i32, ovBits: u32, hist: usize, key: usize): void {
  if (emin == -126) analyzeLoop<u8>(buf + B_VALUES, n, m, emin, ovBits, buf + B_STATE, hist, key, GROUP);
  else analyzeLoop<u16>(buf + B_VALUES, n, m, emin, ovBits, buf + B_STATE, hist, key, GROUP);
}

/**
 * analyzeF32's aggregates (at `out`, same layout; histogram added to `hist`, worst-list keys at
 * `groups`) of the n values (a multiple of 32) of the Q8_0 blocks at `src`, for a target with m
 * mantissa bits, smallest normal exponent emin and overflow from the |x| bits ovBits (analyzeF32's
 * conditions). `buf`: ANALYZE_GGML_SCRATCH bytes of scratch.
 */
export function analyzeQ8_0(src: usize, n: i32, m: i32, emin: i32, ovBits: u32, out: usize, hist: usize, groups: usize, buf: usize): void {
  const st = buf + B_STATE;
  analyzeStateInit(st);
  memory.fill(buf + B_HIST16, 0, 528);
  const lowBits: u32 = emin == -126 ? 0 : <u32>((emin + 127) << 23);
  for (let start = 0, g = 0; start < n; start += GROUP, g++) {
    const len = min(GROUP, n - start);
    const nb = len >> 5;
    const blk = src + <usize>(start >> 5) * 34;
    let plain = true, low = false;
    for (let j = 0; j < nb; j++) {
      const d = f16ToF32s(<u32>load<u16>(blk + <usize>j * 34)) & 0x7fffffff;
      // finite and nonzero; 128·|d| (exact) below the overflow threshold
      if (d == 0 || d >= 0x7f800000 || d + (7 << 23) >= ovBits) plain = false;
      // a nonzero value may lie below 2^emin (|x| ≥ |d|)
      if (d < lowBits) low = true;
    }
    const key = groups + (<usize>g << 3);
    if (plain) plainQ8(blk, nb, buf, m, emin, key, low);
    else {
      dequantQ8_0(blk, buf + B_VALUES, nb);
      generalGroup(buf, len, m, emin, ovBits, hist, key);
    }
  }
  flushHist16(buf, hist);
  analyzeStateFinish(st, m, out);
}

/** As analyzeQ8_0, for Q4_K blocks (n a multiple of 256). */
export function analyzeQ4_K(src: usize, n: i32, m: i32, emin: i32, ovBits: u32, out: usize, hist: usize, groups: usize, buf: usize): void {
  const st = buf + B_STATE;
  analyzeStateInit(st);
  memory.fill(buf + B_HIST16, 0, 528);
  const ov = <f64>reinterpret<f32>(ovBits);
  for (let start = 0, g = 0; start < n; start += GROUP, g++) {
    const blk = src + <usize>(start >> 8) * 144;
    dequantQ4_K(blk, buf + B_VALUES, 1);
    const dh = <u32>load<u16>(blk), mh = <u32>load<u16>(blk, 2);
    // |x| = |fl(fl(d·sc)·q − fl(dmin·m))| ≤ |d|·63·15 + |dmin|·63 (exact products); the margin covers
    // the rounding of the difference
    let plain = (dh & 0x7c00) != 0x7c00 && (mh & 0x7c00) != 0x7c00;
    if (plain) {
      const bound = <f64>abs(reinterpret<f32>(f16ToF32s(dh))) * 945 + <f64>abs(reinterpret<f32>(f16ToF32s(mh))) * 63;
      plain = bound * 1.0000001 < ov;
    }
    const key = groups + (<usize>g << 3);
    if (plain) plainGroup(buf, GROUP, m, emin, hist, key);
    else generalGroup(buf, GROUP, m, emin, ovBits, hist, key);
  }
  flushHist16(buf, hist);
  analyzeStateFinish(st, m, out);
}
