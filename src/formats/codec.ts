// The generic minifloat codec: one encoder and one decoder driven by a FloatFormat descriptor. It is the
// reference for every format: bf16/fp16 fast paths (fast16.ts) and WebAssembly kernels are tested
// against it. Encoding works on the exact value of a float64 (every float32 is one), so a float64
// source is rounded once, directly — no double rounding through float32.
//
// Method: for |x| with binary exponent e, the quantum (spacing of representable numbers around x) is
// q = 2^(max(e, emin) − m). v = |x| / q is exact (a power-of-two scaling), n = round(v) is an integer
// with at most m + 1 bits, and the result is n·q. Rounding v to an integer in float64 is exact for
// every rounding mode because v < 2^(m+1) <= 2^53.
import { exponentOf, pow2 } from './pow2.js';
import type { ResolvedCastOptions } from './options.js';
import type { FloatFormat } from './spec.js';

const TWO52 = 4503599627370496;

/**
 * Encodes a number into `format` (reference codec). Options must already be resolved.
 * NaN gives the format's canonical NaN, negative when `negativeNaN` (fnuz: the one NaN code; formats
 * without NaN: ±0, as ml_dtypes does); ±0 keeps its sign where the format has −0. The sign of a NaN
 * cannot be read reliably from a JavaScript number (engines may canonicalise NaN), so bulk callers
 * read it from the source's bit pattern and pass it in.
 */
export function encodeGeneric(x: number, f: FloatFormat, o: ResolvedCastOptions, negativeNaN = false): number {
  const negative = x < 0 || Object.is(x, -0) || (x !== x && negativeNaN);
  const sign = negative ? f.signBit : 0;
  if (x !== x) return nanOf(f, sign);
  if (negative && !f.signed && x !== 0) return f.nanCode; // unsigned format: negative numbers are NaN
  const a = Math.abs(x);
  const m = f.mantissaBits;
  if (a === Infinity) {
    if (f.infinity) return sign + (f.maxMagnitudeCode + 1); // exponent all ones, mantissa 0
    return overflowCode(f, o, sign, false);
  }
  if (a === 0) return zeroOf(f, sign);
  const e = exponentOf(a);
  const qe = (e > f.minNormalExponent ? e : f.minNormalExponent) - m;
  const v = a * pow2(-qe);
  let n: number;
  switch (o.rounding) {
    case 'nearest-even':
      n = v + TWO52 - TWO52;
      break;
    case 'toward-zero':
      n = Math.floor(v);
      break;
    case 'stochastic': {
      const lo = Math.floor(v);
      n = lo + ((o.random as () => number)() < v - lo ? 1 : 0);
      break;
    }
  }
  const implicit = pow2(m); // 2^m: the implicit leading bit
  let exp: number;
  let mant: number;
  if (n >= implicit) {
    // normal (n may have carried to 2^(m+1): the next binade)
    let ee = qe + m;
    if (n >= 2 * implicit) { n /= 2; ee += 1; }
    exp = ee + f.bias;
    mant = n - implicit;
  } else {
    // below the smallest normal: ±0 (or, in a format without subnormals, whose exponent field 0 holds
    // normal numbers and which has no zero, the nearest value: the smallest one, code 0)
    if (n === 0 || !f.subnormals || o.flushSubnormals) return zeroOf(f, sign);
    exp = 0;
    mant = n;
  }
  const mag = exp * implicit + mant;
  if (mag > f.maxMagnitudeCode) return overflowCode(f, o, sign, true);
  return sign + mag;
}

/**
 * The code of ±0; in a format without subnormals (exponent field 0 holds normal numbers, so there is no
 * zero) the code of the smallest value, the nearest one (fp8-e8m0fnu: 2^-127).
 */
function zeroOf(f: FloatFormat, sign: number): number {
  if (!f.signed) return 0;
  if (f.nan === 'negative-zero') return 0; // no −0: the code 1000…0 is NaN
  return sign;
}

function nanOf(f: FloatFormat, sign: number): number {
  switch (f.nan) {
    case 'ieee':
    case 'all-ones':
      return sign + f.nanCode;
    case 'negative-zero':
      return f.nanCode;
    case 'none':
      return sign; // no NaN: ±0, as ml_dtypes does
  }
}

function overflowCode(f: FloatFormat, o: ResolvedCastOptions, sign: number, finite: boolean): number {
  // IEEE 754: rounding toward zero never overflows a finite value to infinity
  if (o.overflow === 'saturate' || (finite && o.rounding === 'toward-zero')) return sign + f.maxMagnitudeCode;
  if (o.overflow === 'inf') return sign + f.maxMagnitudeCode + 1;
  return nanOf(f, sign);
}

/**
 * Decodes a code of `format` into its exact value (reference codec). Codes outside the format's width
 * are the caller's responsibility (see `decode` for the checked version).
 */
export function decodeGeneric(code: number, f: FloatFormat): number {
  const m = f.mantissaBits;
  const implicit = pow2(m);
  const negative = f.signed && code >= f.signBit;
  const mag = negative ? code - f.signBit : code;
  if (f.nan === 'negative-zero' && negative && mag === 0) return NaN;
  if (mag > f.maxMagnitudeCode) {
    if (f.infinity && mag === f.maxMagnitudeCode + 1) return negative ? -Infinity : Infinity;
    return NaN; // the sign of a NaN code is restored by the bulk decoders, which write bit patterns
  }
  const exp = Math.floor(mag / implicit);
  const mant = mag - exp * implicit;
  let v: number;
  if (exp === 0 && f.subnormals) v = mant * pow2(f.minNormalExponent - m);
  else v = (implicit + mant) * pow2(exp - f.bias - m);
  return negative ? -v : v;
}
