// Cast options (rounding, overflow, subnormal flushing, random source) and their validation.
import { describeValue } from '../core/describe.js';
import { createRng, type RandomSource } from '../core/rng.js';
import type { FloatFormat, OverflowPolicy } from './spec.js';

/**
 * Rounding of values that fall between two representable numbers:
 * - `'nearest-even'` (default): the nearer one, ties to the one with an even last bit (IEEE 754 default,
 *   what PyTorch, numpy and ml_dtypes do);
 * - `'toward-zero'`: the one of smaller magnitude (truncation); never grows |x|;
 * - `'stochastic'`: up with probability equal to the distance from the lower neighbour divided by the
 *   gap, so the expected result equals x (unbiased).
 */
export type RoundingMode = 'nearest-even' | 'toward-zero' | 'stochastic';

/** Options of every cast into a low-precision format. */
export interface CastOptions {
  /** Rounding mode; default `'nearest-even'`. */
  rounding?: RoundingMode;
  /**
   * What happens to finite values beyond the largest finite value (and to infinities in formats without
   * them); default: the format's `defaultOverflow` (`'inf'` for fp32/bf16/fp16/fp8-e5m2, `'nan'` for
   * fp8-e4m3fn and the fnuz formats, `'saturate'` for fp6/fp4). With `'toward-zero'` rounding, finite
   * values never overflow: they saturate at ±max, as IEEE 754 prescribes.
   */
  overflow?: OverflowPolicy;
  /** Results that would be subnormal become ±0 (like a GPU's flush-to-zero mode); default false. */
  flushSubnormals?: boolean;
  /**
   * Random source for `'stochastic'` rounding, returning uniform numbers in [0, 1). Default: a
   * generator seeded with `seed` when given, else `Math.random`.
   */
  random?: RandomSource;
  /** Seed for the default stochastic-rounding generator (ignored when `random` is given). */
  seed?: number;
}

/** Validated options with every field filled in. */
export interface ResolvedCastOptions {
  /** The rounding mode. */
  rounding: RoundingMode;
  /** The overflow policy (the format's default when not given). */
  overflow: OverflowPolicy;
  /** Whether subnormal results become ±0. */
  flushSubnormals: boolean;
  /** The random source of stochastic rounding; undefined for the other modes. */
  random: RandomSource | undefined;
}

const ROUNDINGS: readonly RoundingMode[] = ['nearest-even', 'toward-zero', 'stochastic'];
const OVERFLOWS: readonly OverflowPolicy[] = ['inf', 'nan', 'saturate'];

/**
 * Validates cast options against a format and fills in the defaults. `format` must be a
 * {@link FloatFormat} object (a name such as `'bf16'` is a `TypeError`: pass `getFormat('bf16')`).
 *
 * @example
 * ```ts
 * resolveCastOptions(getFormat('fp8-e4m3fn'), {}).overflow; // 'nan'
 * resolveCastOptions(getFormat('fp8-e4m3fn'), { overflow: 'inf' }); // RangeError: no infinity
 * ```
 */
export function resolveCastOptions(format: FloatFormat, opts: CastOptions | undefined): ResolvedCastOptions {
  if (format === null || typeof format !== 'object' || typeof format.defaultOverflow !== 'string') {
    throw new TypeError(`resolveCastOptions: expected a FloatFormat (e.g. getFormat('bf16')), got ${describeValue(format)}`);
  }
  if (opts === undefined || opts === null) {
    return { rounding: 'nearest-even', overflow: format.defaultOverflow, flushSubnormals: false, random: undefined };
  }
  if (typeof opts !== 'object') throw new TypeError(`options: expected an object, got ${describeValue(opts)}`);
  const rounding = opts.rounding ?? 'nearest-even';
  if (!ROUNDINGS.includes(rounding)) {
    throw new RangeError(`options.rounding: expected one of ${ROUNDINGS.join(', ')}, got ${describeValue(rounding)}`);
  }
  const overflow = opts.overflow ?? format.defaultOverflow;
  if (!OVERFLOWS.includes(overflow)) {
    throw new RangeError(`options.overflow: expected one of ${OVERFLOWS.join(', ')}, got ${describeValue(overflow)}`);
  }
  if (overflow === 'inf' && !format.infinity) {
    const alternatives = format.nan === 'none' ? "'saturate'" : "'nan' or 'saturate'";
    throw new RangeError(`options.overflow: ${format.name} has no infinity, so 'inf' is not possible; use ${alternatives}`);
  }
  if (overflow === 'nan' && format.nan === 'none') {
    throw new RangeError(`options.overflow: ${format.name} has no NaN, so 'nan' is not possible; use 'saturate'${format.infinity ? " or 'inf'" : ''}`);
  }
  const flushSubnormals = opts.flushSubnormals ?? false;
  if (typeof flushSubnormals !== 'boolean') {
    throw new TypeError(`options.flushSubnormals: expected a boolean, got ${describeValue(flushSubnormals)}`);
  }
  let random: RandomSource | undefined;
  if (rounding === 'stochastic') {
    if (opts.random !== undefined) {
      if (typeof opts.random !== 'function') throw new TypeError(`options.random: expected a function returning numbers in [0, 1), got ${describeValue(opts.random)}`);
      random = opts.random;
    } else if (opts.seed !== undefined) {
      random = createRng(opts.seed);
    } else {
      random = Math.random;
    }
  }
  return { rounding, overflow, flushSubnormals, random };
}
