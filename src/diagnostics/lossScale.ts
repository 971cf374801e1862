// recommendLossScale: the power-of-two loss scale 2^k that minimises the gradients flushed to zero in
// the target format (fp16 by default) without any overflow. Scaling by 2^k is exact, so the counts for
// every k come from one pass (tie-breaks: fewer subnormal results, then the smallest scale): per binade e of |g| the number of values, and how many lie below each
// threshold's significand (overflow threshold, flush threshold, smallest normal). A value overflows at
// scale 2^k when |g|·2^k >= max + ulp(max)/2 and flushes when |g|·2^k <= 2^(emin−m−1) (nearest-even).
import { describeValue } from '../core/describe.js';
import { finfo } from '../formats/finfo.js';
import { exponentOf, pow2 } from '../formats/pow2.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { HIST_OFFSET, HIST_SIZE } from './histogram.js';
import { readValue, resolveValues, type ValueSource, type ValuesInput } from './input.js';
import { overflowThreshold } from './overflow.js';
import { fmtCount, fmtFixed, fmtPercent, fmtValue } from './text.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Gradients: one array (or codes), or a list of them (one per parameter tensor).
 *
 * @example
 * ```ts
 * recommendLossScale([gradW, gradB], 'fp16');
 * ```
 */
export type GradientsInput = ValuesInput | readonly ValuesInput[];

/**
 * Options of {@link recommendLossScale}.
 *
 * @example
 * ```ts
 * recommendLossScale(grads, 'fp16', { minHeadroomBits: 1, maxLog2Scale: 24 });
 * ```
 */
export interface LossScaleOptions {
  /** Model a GPU flush-to-zero mode: subnormal results count as flushed. Default false. */
  flushSubnormals?: boolean;
  /** Smallest log2 of the scale considered; default: no limit (scales below 1 are allowed). */
  minLog2Scale?: number;
  /** Largest log2 of the scale considered; default: no limit. */
  maxLog2Scale?: number;
  /**
   * Bits of headroom to keep: only scales with log2(max / (maxAbs · scale)) >= minHeadroomBits are
   * candidates (1 tolerates gradients twice as large in a later step). Default 0: just no overflow.
   */
  minHeadroomBits?: number;
}

/**
 * Counts of the gradients scaled by 2^log2Scale and cast to the format.
 *
 * @example
 * ```ts
 * recommendLossScale(new Float32Array([1e-9, 0.5]), 'fp16').after; // { log2Scale: 16, flushedToZero: 0, becameSubnormal: 0, ... }
 * ```
 */
export interface ScaledCounts {
  /** log2 of the scale. */
  log2Scale: number;
  /** The scale 2^log2Scale. */
  scale: number;
  /** Nonzero gradients that become ±0. */
  flushedToZero: number;
  /** Nonzero gradients that become nonzero subnormals. */
  becameSubnormal: number;
  /** Gradients that overflow (±inf). */
  overflowed: number;
  /** log2(max / (maxAbs · scale)): bits left before overflow. */
  headroomBits: number;
}

/**
 * The result of {@link recommendLossScale}.
 *
 * @example
 * ```ts
 * const r = recommendLossScale(grads, 'fp16');
 * console.log(r.scale, r.reason);
 * ```
 */
export interface LossScaleRecommendation {
  /** Target format. */
  format: string;
  /** The recommended scale, a power of two. */
  scale: number;
  /** Its log2. */
  log2Scale: number;
  /** Counts at scale 1 (no loss scaling). */
  before: ScaledCounts;
  /** Counts at the recommended scale. */
  after: ScaledCounts;
  /** Every log2 scale in [min, max] is equally good (same flush and subnormal counts, no overflow); the smallest is recommended. */
  optimalLog2Range: [number, number];
  /** Number of gradient elements. */
  total: number;
  /** Finite nonzero gradients. */
  nonzero: number;
  /** NaN/inf gradients (ignored: no scale fixes them). */
  nonFinite: number;
  /** Largest finite |g|. */
  maxAbs: number;
  /** Smallest finite nonzero |g|. */
  minAbsNonzero: number;
  /** A sentence with the numbers. */
  reason: string;
}

function toSources(g: unknown, fn: string): ValueSource[] {
  if (Array.isArray(g) && g.length > 0 && typeof g[0] !== 'number') return g.map((t, i) => resolveValues(t, fn, `gradients[${i}]`));
  return [resolveValues(g, fn, 'gradients')];
}

/** Splits T = s·2^e with s in [1, 2). */
function split(t: number): { s: number; e: number } {
  const e = exponentOf(t);
  return { s: t * pow2(-e), e };
}

/**
 * Recommends the power-of-two loss scale for `gradients` cast to `to`: among the scales 2^k with no
 * overflow, the one with the fewest gradients flushed to zero; among those, the one with the fewest
 * subnormal results (they keep fewer significant bits); remaining ties go to the smallest scale (the
 * most headroom: a further doubling only spends range a later step may need). Counts are exact
 * (scaling by 2^k is exact, so they follow from exponent arithmetic).
 *
 * @param gradients - one array or a list of arrays (Float32Array, Float64Array, number[] or codes).
 * @param to - the format the scaled gradients are cast to; default `'fp16'`.
 * @param opts - `flushSubnormals`, `minLog2Scale`, `maxLog2Scale`, `minHeadroomBits` (default 0).
 * @example
 * ```ts
 * const r = recommendLossScale(new Float32Array([1e-9, 3e-6, 0.02]), 'fp16');
 * r.before.flushedToZero; // 1
 * r.after.flushedToZero;  // 0
 * r.scale;                // 65536: the smallest scale with nothing flushed and nothing subnormal
 * ```
 */
export function recommendLossScale(gradients: GradientsInput, to: FormatLike = 'fp16', opts?: LossScaleOptions): LossScaleRecommendation {
  const fn = 'recommendLossScale';
  const srcs = toSources(gradients, fn);
  const f = getFormat(to);
  if (!f.signed || !f.subnormals) throw new RangeError(`${fn}: ${f.name} has no zero or no subnormals; loss scaling targets formats such as fp16, bf16, fp8-e5m2`);
  checkOptionsObject(opts, fn);
  const ftz = opts?.flushSubnormals ?? false;
  if (typeof ftz !== 'boolean') throw new TypeError(`${fn}: flushSubnormals must be a boolean, got ${describeValue(ftz)}`);
  const kMinOpt = opts?.minLog2Scale ?? -Infinity, kMaxOpt = opts?.maxLog2Scale ?? Infinity;
  for (const [k, v] of [['minLog2Scale', kMinOpt], ['maxLog2Scale', kMaxOpt]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v) || (Number.isFinite(v) && !Number.isInteger(v))) throw new RangeError(`${fn}: ${k} must be an integer, got ${describeValue(v)}`);
  }
  const minHeadroom = opts?.minHeadroomBits ?? 0;
  if (typeof minHeadroom !== 'number' || !Number.isFinite(minHeadroom)) throw new RangeError(`${fn}: minHeadroomBits must be a finite number, got ${describeValue(minHeadroom)}`);
  if (kMinOpt > kMaxOpt) throw new RangeError(`${fn}: minLog2Scale (${kMinOpt}) exceeds maxLog2Scale (${kMaxOpt})`);
  const fi = finfo(f);
  const m = f.mantissaBits, emin = f.minNormalExponent;
  const half = pow2(emin - m - 1);
  const ov = overflowThreshold(f, 'nearest-even');
  const To = split(ov.threshold);
  const Tf = ftz ? split(fi.smallestNormal - half) : split(half);
  const flushInclusive = !ftz;
  const Tsn = split(fi.smallestNormal - half);
  // per binade: count, and counts below / equal to each threshold's significand
  const cnt = new Float64Array(HIST_SIZE);
  const ltO = new Float64Array(HIST_SIZE), eqO = new Float64Array(HIST_SIZE);
  const ltF = new Float64Array(HIST_SIZE), eqF = new Float64Array(HIST_SIZE);
  const ltS = new Float64Array(HIST_SIZE);
  let total = 0, nonzero = 0, nonFinite = 0, maxAbs = 0, minAbs = Infinity;
  for (const src of srcs) {
    total += src.length;
    for (let i = 0; i < src.length; i++) {
      const x = readValue(src, i, fn);
      if (x === 0) continue;
      const ax = Math.abs(x);
      if (!(ax < Infinity)) { nonFinite++; continue; }
      nonzero++;
      if (ax > maxAbs) maxAbs = ax;
      if (ax < minAbs) minAbs = ax;
      const e = exponentOf(ax);
      const s = ax * pow2(-e);
      const j = e + HIST_OFFSET;
      cnt[j]++;
      if (s < To.s) ltO[j]++; else if (s === To.s) eqO[j]++;
      if (s < Tf.s) ltF[j]++; else if (s === Tf.s) eqF[j]++;
      if (s < Tsn.s) ltS[j]++;
    }
  }
  if (total === 0) throw new RangeError(`${fn}: gradients are empty; expected at least one element`);
  const cum = new Float64Array(HIST_SIZE + 1); // cum[j] = count with index < j
  for (let j = 0; j < HIST_SIZE; j++) cum[j + 1] = cum[j] + cnt[j];
  // number of |g|·2^k below T = s_T·2^e_T: binades e < e_T − k, plus those in binade e_T − k with s < s_T
  const below = (T: { s: number; e: number }, lt: Float64Array, k: number): number => {
    const j = T.e - k + HIST_OFFSET;
    if (j <= 0) return 0;
    if (j >= HIST_SIZE) return nonzero;
    return cum[j] + lt[j];
  };
  const at = (T: { s: number; e: number }, eq: Float64Array, k: number): number => {
    const j = T.e - k + HIST_OFFSET;
    return j >= 0 && j < HIST_SIZE ? eq[j] : 0;
  };
  const countsAt = (k: number): ScaledCounts => {
    const overflowed = nonzero - below(To, ltO, k) - (ov.inclusive ? 0 : at(To, eqO, k));
    const flushed = below(Tf, ltF, k) + (flushInclusive ? at(Tf, eqF, k) : 0);
    const sub = ftz ? 0 : below(Tsn, ltS, k) - flushed;
    return {
      log2Scale: k, scale: pow2(k), flushedToZero: flushed, becameSubnormal: sub, overflowed,
      headroomBits: nonzero > 0 ? Math.log2(f.max) - Math.log2(maxAbs) - k : Infinity,
    };
  };
  const before = countsAt(0);
  if (nonzero === 0) {
    return { format: f.name, scale: 1, log2Scale: 0, before, after: before, optimalLog2Range: [0, 0], total, nonzero, nonFinite, maxAbs, minAbsNonzero: minAbs, reason: 'All gradients are zero or non-finite: no loss scale changes anything.' };
  }
  const eMax = exponentOf(maxAbs), eMinData = exponentOf(minAbs);
  let kLo = Math.max(Tf.e - eMax - 2, -1100), kHi = Math.min(To.e - eMinData + 2, 1100);
  kLo = Math.max(kLo, kMinOpt === -Infinity ? -1100 : kMinOpt);
  kHi = Math.min(kHi, kMaxOpt === Infinity ? 1100 : kMaxOpt);
  if (kLo > kHi) { // the allowed window lies outside the interesting range: its nearer end decides
    kLo = kHi = Number.isFinite(kMaxOpt) && kMaxOpt < Tf.e - eMax - 2 ? kMaxOpt : Math.max(kMinOpt, -1100);
  }
  let best: ScaledCounts | null = null;
  let bestHi = kLo;
  const hasRoom = (c: ScaledCounts) => c.headroomBits >= minHeadroom;
  for (let k = kLo; k <= kHi; k++) {
    const c = countsAt(k);
    if (best !== null && hasRoom(best) && !hasRoom(c)) continue;
    if (best === null || (!hasRoom(best) && hasRoom(c))) { best = c; bestHi = k; continue; }
    const better = c.overflowed < best.overflowed || (c.overflowed === best.overflowed && (c.flushedToZero < best.flushedToZero ||
      (c.flushedToZero === best.flushedToZero && c.becameSubnormal < best.becameSubnormal)));
    if (better) { best = c; bestHi = k; } else if (c.overflowed === best.overflowed && c.flushedToZero === best.flushedToZero && c.becameSubnormal === best.becameSubnormal && bestHi === k - 1) bestHi = k;
  }
  const after = best as ScaledCounts;
  const kk = after.log2Scale;
  let reason: string;
  const pct = (v: number) => fmtPercent(v / nonzero);
  if (after.overflowed > 0) {
    reason = `No power-of-two scale in the allowed range avoids overflow: at 2^${kk}, ${fmtCount(after.overflowed)} gradients still overflow ${f.name}.`;
  } else if (kk === 0) {
    reason = `Scale 1 is already best: ${fmtCount(before.flushedToZero)} of ${fmtCount(nonzero)} nonzero gradients (${pct(before.flushedToZero)}) flush to zero in ${f.name} and no larger scale reduces that without overflow.`;
  } else {
    reason = `Scaling by 2^${kk} = ${fmtValue(after.scale)} reduces the gradients that flush to zero in ${f.name} from ${fmtCount(before.flushedToZero)} (${pct(before.flushedToZero)}) to ${fmtCount(after.flushedToZero)} (${pct(after.flushedToZero)}) and the subnormal ones from ${fmtCount(before.becameSubnormal)} to ${fmtCount(after.becameSubnormal)}, with nothing overflowing (${fmtFixed(after.headroomBits)} bits of headroom left); ${bestHi > kk ? `any scale from 2^${kk} to 2^${bestHi} does as well; the smallest keeps the most headroom.` : 'it is the only best scale.'}`;
    if (before.overflowed > 0) reason += ` At scale 1, ${fmtCount(before.overflowed)} gradients overflow.`;
  }
  return {
    format: f.name, scale: after.scale, log2Scale: kk, before, after, optimalLog2Range: [kk, bestHi],
    total, nonzero, nonFinite, maxAbs, minAbsNonzero: minAbs, reason,
  };
}
