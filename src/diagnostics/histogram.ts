// The log2-magnitude histogram of a cast analysis: one bin per binade [2^e, 2^(e+1)) of |x|, each marked
// with the band of the target format it falls in (underflow to zero, subnormal, normal, overflow), plus
// the zeros and the non-finite inputs, so that a chart can shade the format's range behind the data.
import { finfo } from '../formats/finfo.js';
import type { FloatFormat } from '../formats/spec.js';

/** Offset of exponent e in the raw bin array (bins cover float64's exponents −1074…1023). */
export const HIST_OFFSET = 1074;
/** Number of raw bins. */
export const HIST_SIZE = 2098;

/**
 * The band of the target format a binade [2^e, 2^(e+1)) falls in:
 * - `'underflow'`: every value rounds to zero (the whole binade is at or below half the smallest
 *   subnormal, 2^(emin − m − 1));
 * - `'subnormal'`: results are subnormal (fewer significant bits), e < emin; in the binade
 *   [2^(emin−m−1), 2^(emin−m)) values round up to the smallest subnormal except the exact tie;
 * - `'normal'`: full precision; the top normal binade contains the overflow threshold;
 * - `'overflow'`: every value overflows (e > the exponent of max).
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([1e-9]), 'fp16').histogram.bins[0].band; // 'underflow'
 * ```
 */
export type HistogramBand = 'underflow' | 'subnormal' | 'normal' | 'overflow';

/**
 * One histogram bin.
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([3, 3.5]), 'fp16').histogram.bins; // [{ exponent: 1, count: 2, band: 'normal' }]
 * ```
 */
export interface HistogramBin {
  /** The binade's exponent e: the bin counts finite nonzero x with 2^e <= |x| < 2^(e+1). */
  exponent: number;
  /** Number of inputs in the bin. */
  count: number;
  /** The band of the target format this binade falls in. */
  band: HistogramBand;
}

/**
 * The format's band boundaries, as exponents of |x| (for shading a chart).
 *
 * @example
 * ```ts
 * analyzeCast([1], 'fp16').histogram.bands.underflowBelow; // -25
 * ```
 */
export interface HistogramBands {
  /** Binades with e < underflowBelow round to zero entirely: emin − m − 1. */
  underflowBelow: number;
  /** First normal binade: emin (binades in [underflowBelow, normalFrom) are subnormal). */
  normalFrom: number;
  /** Binades with e > maxNormalExponent overflow entirely. */
  maxNormalExponent: number;
  /** Half the smallest subnormal: values at or below it round to zero (nearest-even). */
  flushThreshold: number;
  /** The smallest positive normal value. */
  smallestNormal: number;
  /** The largest finite value. */
  max: number;
}

/**
 * A log2-magnitude histogram (see {@link HistogramBin}); `bins` runs contiguously from the smallest to the largest occupied binade.
 *
 * @example
 * ```ts
 * const h = analyzeCast(x, 'fp16').histogram;
 * h.total === x.length; // true
 * ```
 */
export interface Log2Histogram {
  /** Bins from the lowest to the highest occupied binade (empty bins inside the range included). */
  bins: HistogramBin[];
  /** Inputs equal to ±0 (not in any bin). */
  zeros: number;
  /** NaN inputs (not in any bin). */
  nan: number;
  /** ±Infinity inputs (not in any bin). */
  inf: number;
  /** Sum of all bins plus zeros, nan and inf: equals the analysis' total. */
  total: number;
  /** The target format's band boundaries. */
  bands: HistogramBands;
}

/** The band boundaries of format f. */
export function bandsOf(f: FloatFormat): HistogramBands {
  const fi = finfo(f);
  const emin = f.minNormalExponent;
  return {
    underflowBelow: f.subnormals ? emin - f.mantissaBits - 1 : emin - 1,
    normalFrom: emin,
    maxNormalExponent: f.maxNormalExponent,
    flushThreshold: fi.smallestSubnormal / 2,
    smallestNormal: fi.smallestNormal,
    max: f.max,
  };
}

/** The band of binade e, given the format's band boundaries. */
export function bandOf(e: number, bands: HistogramBands): HistogramBand {
  if (e < bands.underflowBelow) return 'underflow';
  if (e < bands.normalFrom) return 'subnormal';
  if (e <= bands.maxNormalExponent) return 'normal';
  return 'overflow';
}

/** Builds the histogram from raw bins (index e + HIST_OFFSET). */
export function buildHistogram(raw: Float64Array, zeros: number, nan: number, inf: number, f: FloatFormat): Log2Histogram {
  let lo = -1, hi = -1;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  const bands = bandsOf(f);
  const bins: HistogramBin[] = [];
  let total = zeros + nan + inf;
  if (lo >= 0) {
    for (let i = lo; i <= hi; i++) {
      const e = i - HIST_OFFSET;
      bins.push({ exponent: e, count: raw[i], band: bandOf(e, bands) });
      total += raw[i];
    }
  }
  return { bins, zeros, nan, inf, total, bands };
}
