// Format descriptors: the data that drives lowp's one generic minifloat codec (src/formats/codec.ts).
// A format is sign (optional) + exponent bits + mantissa bits with a bias, plus how it spends its
// special codes (infinity, NaN) — the same "traits" ml_dtypes uses for its generic converter.
import { describeValue } from '../core/describe.js';
import { pow2 } from './pow2.js';

/**
 * How a format encodes NaN:
 * - `'ieee'`: exponent all ones with a nonzero mantissa (fp32, bf16, fp16, fp8-e5m2);
 * - `'all-ones'`: only the codes with every exponent and mantissa bit set, either sign (fp8-e4m3fn:
 *   S.1111.111; the unsigned fp8-e8m0fnu: 0xFF);
 * - `'negative-zero'`: the single code 1000…0 that would be −0 (the `fnuz` formats);
 * - `'none'`: no NaN (fp6, fp4); a NaN input becomes ±0, as ml_dtypes does.
 */
export type NanEncoding = 'ieee' | 'all-ones' | 'negative-zero' | 'none';

/**
 * What a cast does with a finite value beyond the format's largest finite number:
 * `'inf'` gives ±infinity (formats with infinity only), `'nan'` gives NaN (formats with NaN),
 * `'saturate'` gives ±max. Infinite inputs follow the same policy in formats without infinity.
 */
export type OverflowPolicy = 'inf' | 'nan' | 'saturate';

/** The fields that define a format; everything else is derived by {@link defineFormat}. */
export interface FloatFormatSpec {
  /** Canonical name, e.g. `'bf16'`. */
  name: string;
  /** Other accepted names, e.g. `['bfloat16']` (matched case-insensitively). */
  aliases?: readonly string[];
  /** Exponent field width in bits. */
  exponentBits: number;
  /** Stored mantissa (fraction) width in bits, the implicit leading bit not counted. */
  mantissaBits: number;
  /** Exponent bias: a normal number with exponent field E has value 1.m × 2^(E − bias). */
  bias: number;
  /** Whether the format has a sign bit (false only for scale formats such as fp8-e8m0fnu). */
  signed?: boolean;
  /** Whether exponent all ones with mantissa 0 encodes ±infinity. */
  infinity: boolean;
  /** How NaN is encoded. */
  nan: NanEncoding;
  /** Whether exponent field 0 encodes subnormals (true for every format but fp8-e8m0fnu). */
  subnormals?: boolean;
  /** What a cast does on overflow unless the caller says otherwise. */
  defaultOverflow: OverflowPolicy;
  /** One line on where the format is used. */
  description?: string;
}

/**
 * A low-precision floating-point format: the defining fields plus derived constants.
 * Obtain one with {@link getFormat}; define new ones with {@link defineFormat}.
 *
 * @example
 * ```ts
 * const f = getFormat('bf16');
 * f.bits;         // 16
 * f.mantissaBits; // 7
 * f.max;          // 3.3895313892515355e38
 * ```
 */
export interface FloatFormat extends Readonly<Required<Omit<FloatFormatSpec, 'description'>>> {
  /** One line on where the format is used. */
  readonly description: string;
  /** Total width in bits (sign + exponent + mantissa). */
  readonly bits: number;
  /** The largest finite value. */
  readonly max: number;
  /** The exponent of the smallest normal number (`1 − bias`, or `−bias` without subnormals). */
  readonly minNormalExponent: number;
  /** The exponent of the largest finite value. */
  readonly maxNormalExponent: number;
  /** The code of +max with the sign bit clear, as an unsigned magnitude (exponent and mantissa fields). */
  readonly maxMagnitudeCode: number;
  /** Value of the sign bit in a code (2^(bits−1)), or 0 for unsigned formats. */
  readonly signBit: number;
  /** The code that NaN inputs produce with a positive sign (see {@link NanEncoding}). */
  readonly nanCode: number;
}

function checkInt(v: unknown, what: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`defineFormat: ${what} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/**
 * Builds a {@link FloatFormat} from its defining fields, deriving max, exponent range, and NaN code,
 * and checking that the combination is consistent. The result is frozen.
 *
 * @example
 * ```ts
 * const e3m4 = defineFormat({
 *   name: 'fp8-e3m4', exponentBits: 3, mantissaBits: 4, bias: 3,
 *   infinity: false, nan: 'all-ones', defaultOverflow: 'nan',
 * });
 * e3m4.max; // 15.5
 * ```
 */
export function defineFormat(spec: FloatFormatSpec): FloatFormat {
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError(`defineFormat: expected a spec object { name, exponentBits, mantissaBits, bias, ... }, got ${describeValue(spec)}`);
  }
  const E = checkInt(spec.exponentBits, 'exponentBits', 1, 11);
  const m = checkInt(spec.mantissaBits, 'mantissaBits', 0, 52);
  const bias = checkInt(spec.bias, 'bias', -1024, 1024);
  const signed = spec.signed ?? true;
  const subnormals = spec.subnormals ?? true;
  const bits = (signed ? 1 : 0) + E + m;
  if (bits > 32) throw new RangeError(`defineFormat: at most 32 bits are supported, got ${bits}`);
  if (spec.infinity && spec.nan !== 'ieee') {
    throw new RangeError(`defineFormat: a format with infinity encodes NaN the IEEE way ('ieee'), got '${spec.nan}'`);
  }
  if (spec.nan === 'ieee' && (!spec.infinity || m === 0)) {
    throw new RangeError(`defineFormat: IEEE-style NaN needs infinity and at least one mantissa bit`);
  }
  if (spec.nan === 'negative-zero' && !signed) {
    throw new RangeError(`defineFormat: NaN as negative zero needs a sign bit`);
  }
  if (spec.defaultOverflow === 'inf' && !spec.infinity) {
    throw new RangeError(`defineFormat: overflow 'inf' needs a format with infinity`);
  }
  if (spec.defaultOverflow === 'nan' && spec.nan === 'none') {
    throw new RangeError(`defineFormat: overflow 'nan' needs a format with NaN`);
  }
  const expAllOnes = 2 ** E - 1;
  const mantAllOnes = 2 ** m - 1;
  // the top exponent field and mantissa that still hold finite numbers
  let topExp: number, topMant: number;
  if (spec.infinity) { topExp = expAllOnes - 1; topMant = mantAllOnes; }
  else if (spec.nan === 'all-ones') {
    if (m > 0) { topExp = expAllOnes; topMant = mantAllOnes - 1; } else { topExp = expAllOnes - 1; topMant = 0; }
  } else { topExp = expAllOnes; topMant = mantAllOnes; }
  const minNormalExponent = subnormals ? 1 - bias : -bias;
  const maxNormalExponent = topExp - bias;
  const max = (1 + topMant / 2 ** m) * pow2(maxNormalExponent);
  const signBit = signed ? 2 ** (bits - 1) : 0;
  let nanCode: number;
  switch (spec.nan) {
    case 'ieee': nanCode = expAllOnes * 2 ** m + 2 ** (m - 1); break;
    case 'all-ones': nanCode = expAllOnes * 2 ** m + mantAllOnes; break;
    case 'negative-zero': nanCode = signBit; break;
    case 'none': nanCode = 0; break;
  }
  return Object.freeze({
    name: spec.name,
    aliases: Object.freeze([...(spec.aliases ?? [])]),
    description: spec.description ?? '',
    exponentBits: E,
    mantissaBits: m,
    bias,
    signed,
    infinity: spec.infinity,
    nan: spec.nan,
    subnormals,
    defaultOverflow: spec.defaultOverflow,
    bits,
    max,
    minNormalExponent,
    maxNormalExponent,
    maxMagnitudeCode: topExp * 2 ** m + topMant,
    signBit,
    nanCode,
  });
}
