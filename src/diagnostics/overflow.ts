// The overflow rule shared by the diagnostics: a finite |x| overflows a format when rounding it with an
// unbounded exponent would exceed the largest finite value (IEEE 754's definition of overflow). With
// nearest-even that is |x| >= max + ulp(max)/2 (the tie itself overflows when max's significand is odd,
// as in every IEEE-style format, and rounds down to max when it is even, as in fp8-e4m3fn); with
// toward-zero and stochastic rounding, |x| >= max + ulp(max).
import { pow2 } from '../formats/pow2.js';
import type { RoundingMode } from '../formats/options.js';
import type { FloatFormat } from '../formats/spec.js';

/** The overflow threshold T of format f and whether |x| == T overflows. */
export function overflowThreshold(f: FloatFormat, rounding: RoundingMode): { threshold: number; inclusive: boolean } {
  const ulpMax = pow2(f.maxNormalExponent - f.mantissaBits);
  if (rounding === 'nearest-even') {
    return { threshold: f.max + ulpMax / 2, inclusive: f.mantissaBits === 0 ? true : f.maxMagnitudeCode % 2 === 1 };
  }
  return { threshold: f.max + ulpMax, inclusive: true };
}

/** Whether a finite magnitude ax overflows format f under the rounding mode. */
export function unboundedOverflowOf(ax: number, f: FloatFormat, rounding: RoundingMode): boolean {
  const { threshold, inclusive } = overflowThreshold(f, rounding);
  return ax > threshold || (inclusive && ax === threshold);
}
