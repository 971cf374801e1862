// A slow, obviously-correct rounding reference for the formats tests, independent of src/formats:
// every finite value of a format is built as an exact BigInt multiple of 2^-SCALE straight from the
// format's definition (sign, exponent field, mantissa field, bias), and a double is rounded by
// comparing exact BigInt values: nearest, ties to the even code, overflow per IEEE (a value at or
// beyond max + half an ulp of the top binade goes to infinity).

import { exactAbs, minifloatValue } from './exact.js';

const SCALE = 1200n; // 2^-1200 divides every double and every format value used here

/** The exact value of a finite double as a BigInt multiple of 2^-1200. */
export function scaled(x: number): bigint {
  if (!Number.isFinite(x)) throw new Error('finite only');
  const { num, exp } = exactAbs(x);
  const v = num << (SCALE + BigInt(exp));
  return x < 0 ? -v : v;
}

export interface RefFormat {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** the largest finite positive value's code magnitude (exponent and mantissa fields together) */
  maxMagnitudeCode: number;
}

const tables = new Map<string, bigint[]>();

/** Every finite non-negative value of the format, by code magnitude (code k has value table[k]). */
export function valueTable(f: RefFormat): bigint[] {
  const key = `${f.exponentBits}/${f.mantissaBits}/${f.bias}/${f.maxMagnitudeCode}`;
  const hit = tables.get(key);
  if (hit) return hit;
  const t: bigint[] = [];
  for (let code = 0; code <= f.maxMagnitudeCode; code++) {
    const { num, exp } = minifloatValue(code, f.mantissaBits, f.bias);
    t.push(num << (SCALE + BigInt(exp)));
  }
  tables.set(key, t);
  return t;
}

/**
 * Reference round-to-nearest-even of a finite double into the format: returns the code magnitude
 * (0..maxMagnitudeCode) or 'overflow'. The sign is the caller's business.
 */
export function refRoundMagnitude(x: number, f: RefFormat): number | 'overflow' {
  const a = scaled(Math.abs(x));
  const t = valueTable(f);
  const top = t[t.length - 1];
  // the value one ulp above max, as if the exponent range went on
  const topUlp = top - t[t.length - 2];
  if (a >= top + topUlp / 2n) {
    // at the midpoint: ties to even; max's code is odd (all ones) for IEEE formats, so the tie overflows
    if (a === top + topUlp / 2n && (t.length - 1) % 2 === 0) return t.length - 1;
    return 'overflow';
  }
  if (a >= top) return t.length - 1;
  // binary search: largest k with t[k] <= a
  let lo = 0, hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= a) lo = mid; else hi = mid - 1;
  }
  if (t[lo] === a) return lo;
  const twice = 2n * a, sum = t[lo] + t[lo + 1];
  if (twice < sum) return lo;
  if (twice > sum) return lo + 1;
  return lo % 2 === 0 ? lo : lo + 1;
}

/** Reference toward-zero rounding: the largest code magnitude whose value is <= |x| (max on overflow). */
export function refTruncMagnitude(x: number, f: RefFormat): number {
  const a = scaled(Math.abs(x));
  const t = valueTable(f);
  let lo = 0, hi = t.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= a) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/**
 * Reference round-to-nearest-even code of a double (not NaN) in an IEEE-like format with infinity (bf16,
 * fp16): the sign bit (of −0 too) plus refRoundMagnitude's magnitude, or the infinity code on overflow
 * and for ±Infinity.
 */
export function refNearestCode(x: number, f: RefFormat & { signBit: number }): number {
  const sign = x < 0 || Object.is(x, -0) ? f.signBit : 0;
  const r = Number.isFinite(x) ? refRoundMagnitude(x, f) : 'overflow';
  return sign + (r === 'overflow' ? f.maxMagnitudeCode + 1 : r);
}
