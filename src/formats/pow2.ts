// Exact powers of two and the exact binary exponent of a float64, the two primitives the generic
// codec is built on. Both are exact for every finite double (no Math.pow / Math.log2 rounding trusted).
import { describeValue } from '../core/describe.js';

const POW2 = /* @__PURE__ */ (() => {
  const t = new Float64Array(2098); // 2^k for k in [-1074, 1023]
  t[0] = Number.MIN_VALUE; // 2^-1074
  for (let i = 1; i < t.length; i++) t[i] = t[i - 1] * 2; // doubling is exact
  return t;
})();

/**
 * 2^k, exactly, for integer k in [-1074, 1023]; 0 below and Infinity above. A k that is not an integer
 * (or not a number) is a `RangeError`.
 *
 * @example
 * ```ts
 * pow2(-24); // 5.960464477539063e-8, the smallest fp16 subnormal
 * ```
 */
export function pow2(k: number): number {
  if (k < -1074) return 0;
  if (k > 1023) return Infinity;
  const v = POW2[k + 1074];
  // only a non-integer (1.5, NaN, '3') misses the table
  if (v === undefined) throw new RangeError(`pow2: expected an integer exponent, got ${describeValue(k)}`);
  return v;
}

/**
 * The exponent e of a finite positive double a, such that 2^e <= a < 2^(e+1) (e = floor(log2 a),
 * exactly, also for subnormal doubles).
 *
 * @example
 * ```ts
 * exponentOf(1);      // 0
 * exponentOf(0.75);   // -1
 * exponentOf(5e-324); // -1074
 * ```
 */
export function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (e < -1074) e = -1074;
  else if (e > 1023) e = 1023;
  // Math.log2 may be one off next to powers of two: correct against the exact table
  if (POW2[e + 1074] > a) e--;
  else if (e < 1023 && POW2[e + 1075] <= a) e++;
  return e;
}
