// Unit in the last place: the spacing of a format's representable numbers at a value, used for
// "error <= half an ulp" checks and the ulp-error metrics of the diagnostics and quantization modules.
import { describeValue } from '../core/describe.js';
import { exponentOf, pow2 } from './pow2.js';
import { getFormat, type FormatLike } from './registry.js';

/**
 * The spacing of `format`'s representable numbers at |x| (the distance from the representable number
 * at or below |x| to the next one up, for |x| within range): 2^(max(e, emin) − m) for |x| in
 * [2^e, 2^(e+1)). For 0 it is the smallest subnormal spacing; NaN gives NaN and ±Infinity gives
 * Infinity. An `x` that is not a number is a `TypeError`.
 *
 * @example
 * ```ts
 * ulp(1, 'bf16');   // 0.0078125 (2^-7)
 * ulp(1, 'fp16');   // 0.0009765625 (2^-10)
 * ulp(0, 'fp16');   // 5.960464477539063e-8 (2^-24)
 * ```
 */
export function ulp(x: number, format: FormatLike): number {
  if (typeof x !== 'number') throw new TypeError(`ulp: expected a number, got ${describeValue(x)}`);
  const f = getFormat(format);
  if (x !== x) return NaN;
  const a = Math.abs(x);
  if (a === Infinity) return Infinity;
  const e = a === 0 ? f.minNormalExponent : exponentOf(a);
  return pow2((e > f.minNormalExponent ? e : f.minNormalExponent) - f.mantissaBits);
}
