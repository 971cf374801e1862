// powInt against the exact power: b = m·2^e, so b^t = m^t·2^(e·t) exactly in BigInt, rounded to the
// nearest float64 (ties to even) by integer arithmetic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { powInt } from '../../src/core/powInt.js';

const F = new Float64Array(1);
const B = new BigUint64Array(F.buffer);

function exactPow(b: number, t: number): number {
  F[0] = b;
  const bits = B[0];
  const ex = Number((bits >> 52n) & 0x7ffn);
  const m = (bits & ((1n << 52n) - 1n)) | 1n << 52n;
  const e = ex - 1075; // b = m·2^e (b normal, positive)
  const num = m ** BigInt(t);
  let exp = e * t; // value = num·2^exp
  // keep 53 bits: num = q·2^s + r
  const len = num.toString(2).length;
  const s = len - 53;
  if (s <= 0) return Number(num) * 2 ** exp;
  let q = num >> BigInt(s);
  const r = num - (q << BigInt(s));
  const half = 1n << BigInt(s - 1);
  if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  exp += s;
  // q·2^exp, q < 2^54: scale in two steps to stay exact for tiny results (normal range only here)
  return Number(q) * 2 ** exp;
}

describe('powInt', () => {
  it('is the correctly rounded b^t for Adam-like betas and steps', () => {
    fc.assert(fc.property(
      fc.oneof(fc.double({ min: 0.5, max: 0.99999, noNaN: true }), fc.constantFrom(0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999)),
      fc.integer({ min: 1, max: 4000 }),
      (b, t) => {
        const want = exactPow(b, t);
        if (want < 2 ** -600) return; // documented: tiny powers go to ** (1 − β^t is 1 there)
        expect(powInt(b, t)).toBe(want);
      }), { numRuns: 800 });
  });
  it('where JavaScript\'s ** is off by one ulp', () => {
    // 0.95^482: `**` and glibc's pow both give 1.831376972933627e-11; the nearest double is ...268e-11
    expect(powInt(0.95, 482)).toBe(exactPow(0.95, 482));
    expect(powInt(0.95, 482)).toBe(1.8313769729336268e-11);
    expect(powInt(0.9, 0)).toBe(1);
    expect(powInt(0.9, 1)).toBe(0.9);
  });
});
