// fmaF32 against an exact BigInt twin: a·b + c computed exactly as an integer multiple of 2^-400 and
// rounded to float32 (nearest, ties to even, subnormals, overflow to infinity) from its exact value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmaF32 } from '../../src/core/fma32.js';

const F = new Float64Array(1);
const B = new BigUint64Array(F.buffer);

/** x (finite) as sign·mant·2^exp with integer mant. */
function parts(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  F[0] = x;
  const bits = B[0];
  const ex = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e: number;
  if (ex === 0) e = -1074; else { m |= 1n << 52n; e = ex - 1075; }
  return { m: x < 0 ? -m : m, e };
}

/** Exact a·b + c rounded to float32, by BigInt arithmetic. */
function refFma(a: number, b: number, c: number): number {
  const pa = parts(a), pb = parts(b), pc = parts(c);
  const S = 400; // every product and float32 is a multiple of 2^-400
  const v = ((pa.m * pb.m) << BigInt(pa.e + pb.e + S)) + (pc.m << BigInt(pc.e + S));
  if (v === 0n) return (a * b === 0 && Object.is(a * b, -0) && Object.is(c, -0)) ? -0 : 0;
  const neg = v < 0n;
  const mag = neg ? -v : v;
  // quantum: 2^(max(e, -126) - 23) where 2^e <= mag·2^-S < 2^(e+1)
  const e = mag.toString(2).length - 1 - S;
  const qe = Math.max(e, -126) - 23;
  const shift = BigInt(qe + S);
  let n = mag >> shift;
  const rem = mag - (n << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (n & 1n) === 1n)) n++;
  const r = Number(n) * 2 ** qe;
  const out = r >= 2 ** 128 ? Infinity : Math.fround(r);
  return neg ? -out : out;
}

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => Number.isFinite(x));

describe('fmaF32', () => {
  it('equals the exactly rounded a·b + c (random float32 operands)', () => {
    fc.assert(fc.property(f32, f32, f32, (a, b, c) => {
      const want = refFma(a, b, c);
      const got = fmaF32(a, b, c);
      expect(got).toBe(want); // Object.is: the sign of a zero result counts too
    }), { numRuns: 3000 });
  });

  it('rounds once where float64-then-float32 rounds twice: a·b + c just below a midpoint of c and its odd-even neighbour', () => {
    // c has an odd significand; a·b = 2^(e-24)·(1 − 2^-46) puts the exact sum 2^(e-70) below the midpoint
    // between c and c + ulp: float64 rounds it onto the midpoint, whose tie goes to the even c + ulp
    fc.assert(fc.property(fc.integer({ min: 1 << 22, max: (1 << 23) - 1 }), fc.integer({ min: -100, max: 100 }), fc.boolean(), (half, e, neg) => {
      const s = neg ? -1 : 1;
      const c = s * (2 * half + 1) * 2 ** (e - 23);
      const a = s * 2 ** (e - 24) * (1 + 2 ** -23), b = 1 - 2 ** -23;
      expect(fmaF32(a, b, c)).toBe(c);
      expect(refFma(a, b, c)).toBe(c);
      expect(Math.fround(a * b + c)).not.toBe(c); // the trap is real
    }), { numRuns: 500 });
  });

  it('gives zeros the IEEE 754 sign (round to nearest): −0 only for −0 + −0 or a negative result too small for float32, +0 for an exact cancellation', () => {
    const zero = fc.constantFrom(0, -0);
    fc.assert(fc.property(fc.oneof(zero, f32), fc.oneof(zero, f32), zero, (a, b, c) => {
      expect(fmaF32(a, b, c)).toBe(refFma(a, b, c));
      expect(fmaF32(a, 1, -a)).toBe(0); // an exact cancellation is +0
    }), { numRuns: 1000 });
    expect(fmaF32(-0, 1, -0)).toBe(-0);
    expect(fmaF32(0, -1, 0)).toBe(0);
    expect(fmaF32(-1e-30, 1e-30, 0)).toBe(-0);
    expect(fmaF32(3, 2, -6)).toBe(0);
  });

  it('follows IEEE 754 for infinities and NaN', () => {
    expect(fmaF32(Infinity, 0, 1)).toBeNaN();
    expect(fmaF32(Infinity, 1, -Infinity)).toBeNaN();
    expect(fmaF32(2, 3, Infinity)).toBe(Infinity);
    expect(fmaF32(3.4e38, 10, 0)).toBe(Infinity);
  });
});
