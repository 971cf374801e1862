// finfo: the constants of a format, named as torch.finfo / numpy.finfo / ml_dtypes.finfo name them
// (and as Rust's `half` does: every constant a user looks for exists). All are derived from the
// descriptor; tests check them through invariants (max round-trips, the next value overflows, ...).
import { pow2 } from './pow2.js';
import { getFormat, type FormatLike } from './registry.js';

/** The constants of a format, see {@link finfo}. */
export interface FormatInfo {
  /** Canonical format name. */
  name: string;
  /** Total width in bits. */
  bits: number;
  /** Exponent field width. */
  exponentBits: number;
  /** Stored mantissa width (the implicit bit not counted). */
  mantissaBits: number;
  /** Exponent bias. */
  bias: number;
  /** The gap between 1 and the next larger representable number, 2^-mantissaBits. */
  eps: number;
  /** Largest finite value. */
  max: number;
  /** Most negative finite value (−max; for unsigned formats the smallest value). */
  min: number;
  /** Smallest positive normal number, 2^minExponent. */
  smallestNormal: number;
  /** Alias of smallestNormal (numpy/torch name). */
  tiny: number;
  /** Smallest positive subnormal (equal to smallestNormal for formats without subnormals). */
  smallestSubnormal: number;
  /** Largest subnormal (0 for formats without subnormals). */
  maxSubnormal: number;
  /** Exponent of the smallest normal number (numpy `minexp`). */
  minExponent: number;
  /** The smallest power of two that is beyond max (numpy `maxexp`): exponent of max plus one. */
  maxExponent: number;
  /** Approximate decimal digits of precision, floor(−log10(eps)) (numpy `precision`). */
  precision: number;
  /** 10^-precision (numpy `resolution`). */
  resolution: number;
  /** Largest integer N such that every integer in [0, N] is representable (fp16 2048, bf16 256). */
  maxExactInteger: number;
  /** Whether the format has ±infinity. */
  hasInfinity: boolean;
  /** Whether the format has NaN. */
  hasNaN: boolean;
  /** Whether the format has a sign bit. */
  signed: boolean;
}

/**
 * The constants of a format (values equal torch.finfo / ml_dtypes.finfo).
 *
 * @example
 * ```ts
 * finfo('bf16').eps;               // 0.0078125 (2^-7)
 * finfo('fp16').max;               // 65504
 * finfo('fp16').smallestSubnormal; // 5.960464477539063e-8 (2^-24)
 * finfo('fp8-e4m3fn').max;         // 448
 * ```
 */
export function finfo(format: FormatLike): FormatInfo {
  const f = getFormat(format);
  const m = f.mantissaBits;
  const eps = pow2(-m);
  const smallestNormal = pow2(f.minNormalExponent);
  const smallestSubnormal = f.subnormals ? pow2(f.minNormalExponent - m) : smallestNormal;
  const maxSubnormal = f.subnormals ? smallestNormal - smallestSubnormal : 0;
  const precision = Math.floor(-Math.log10(eps));
  return {
    name: f.name,
    bits: f.bits,
    exponentBits: f.exponentBits,
    mantissaBits: m,
    bias: f.bias,
    eps,
    max: f.max,
    min: f.signed ? -f.max : smallestNormal,
    smallestNormal,
    tiny: smallestNormal,
    smallestSubnormal,
    maxSubnormal,
    minExponent: f.minNormalExponent,
    maxExponent: f.maxNormalExponent + 1,
    precision,
    resolution: Number(`1e-${precision}`),
    maxExactInteger: Math.min(pow2(m + 1), Math.floor(f.max)),
    hasInfinity: f.infinity,
    hasNaN: f.nan !== 'none',
    signed: f.signed,
  };
}
