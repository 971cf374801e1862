// Exact binary rationals for the slow, obviously-correct reference twins of the tests: a finite
// double is num · 2^exp with a BigInt num, and comparisons, sums and differences are exact BigInt
// arithmetic on a common exponent, and the exact values of a minifloat's codes from its definition.
// Shared by the formats and quantization references.

/** num · 2^exp, num >= 0 (signs are the caller's business). */
export interface Exact { num: bigint; exp: number }

const DV = new DataView(new ArrayBuffer(8));

/** |x| exactly, for a finite double (subnormals included). */
export function exactAbs(x: number): Exact {
  DV.setFloat64(0, x);
  const hi = DV.getUint32(0);
  const lo = DV.getUint32(4);
  const be = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return be === 0 ? { num: frac, exp: -1074 } : { num: frac | (1n << 52n), exp: be - 1075 };
}

function aligned(a: Exact, b: Exact): [bigint, bigint, number] {
  const e = Math.min(a.exp, b.exp);
  return [a.num << BigInt(a.exp - e), b.num << BigInt(b.exp - e), e];
}

/** −1, 0 or 1 as a <, =, > b. */
export function cmp(a: Exact, b: Exact): number {
  const [A, B] = aligned(a, b);
  return A < B ? -1 : A > B ? 1 : 0;
}

/** a + b. */
export function add(a: Exact, b: Exact): Exact {
  const [A, B, exp] = aligned(a, b);
  return { num: A + B, exp };
}

/** |a − b|, with `neg` telling whether a < b. */
export function diff(a: Exact, b: Exact): Exact & { neg: boolean } {
  const [A, B, exp] = aligned(a, b);
  const d = A - B;
  return { num: d < 0n ? -d : d, exp, neg: d < 0n };
}

/** a · b. */
export function mul(a: Exact, b: Exact): Exact {
  return { num: a.num * b.num, exp: a.exp + b.exp };
}

/** floor(log2 a) for a > 0. */
export function floorLog2(a: Exact): number {
  return a.num.toString(2).length - 1 + a.exp;
}

/** The nearest double (exact when the value is one). */
export function toNumber(v: Exact): number {
  return Number(v.num) * 2 ** v.exp;
}

/**
 * The exact value of a minifloat magnitude code (sign bit clear), from the format's definition alone:
 * exponent field `mag >> M`, mantissa field the low M bits; value (2^M + mant) · 2^(exp − bias − M),
 * or, for exponent field 0 in a format with subnormals, mant · 2^(1 − bias − M). Which codes are NaN or
 * infinity is the caller's business.
 */
export function minifloatValue(mag: number, M: number, bias: number, subnormals = true): Exact {
  const ef = mag >> M;
  const mf = mag & ((1 << M) - 1);
  if (ef === 0 && subnormals) return { num: BigInt(mf), exp: 1 - bias - M };
  return { num: BigInt((1 << M) + mf), exp: ef - bias - M };
}
