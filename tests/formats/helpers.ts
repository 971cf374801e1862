// Shared input generators for the formats property tests: doubles biased to the hard cases of a format
// (exact ties between neighbours, ties nudged by one double ulp or by 2^-30 relative, subnormals,
// the overflow boundary, huge and tiny values).
import fc from 'fast-check';
import { decode, getFormat, type FloatFormat } from '../../src/formats/index.js';

export function nextDoubleUp(x: number): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const bits = dv.getBigUint64(0);
  if (x === 0) return Number.MIN_VALUE;
  dv.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return dv.getFloat64(0);
}
export function nextDoubleDown(x: number): number {
  return -nextDoubleUp(-x);
}

/** Doubles around the rounding boundaries of `format`, with random signs. */
export function hardDoubles(format: string | FloatFormat): fc.Arbitrary<number> {
  const f = getFormat(format);
  const maxCode = f.maxMagnitudeCode;
  const tie = fc.integer({ min: 0, max: maxCode - 1 }).map((k) => (decode(k, f) + decode(k + 1, f)) / 2);
  const near = fc.tuple(tie, fc.constantFrom(-2, -1, 1, 2)).map(([t, d]) => {
    let x = t;
    for (let i = 0; i < Math.abs(d); i++) x = d > 0 ? nextDoubleUp(x) : nextDoubleDown(x);
    return x;
  });
  const nudged = fc.tuple(tie, fc.constantFrom(1 + 2 ** -30, 1 - 2 ** -30, 1 + 2 ** -25, 1 - 2 ** -40)).map(([t, r]) => t * r);
  const exact = fc.integer({ min: 0, max: maxCode }).map((k) => decode(k, f));
  const subnormalRange = fc.double({ min: 0, max: 2 ** f.minNormalExponent, noNaN: true });
  const aroundMax = fc.double({ min: f.max * 0.99, max: f.max * 1.01, noNaN: true });
  const any = fc.double({ noNaN: true, noDefaultInfinity: true });
  const mag = fc.oneof(tie, near, near, nudged, exact, subnormalRange, aroundMax, any);
  return fc.tuple(mag, fc.boolean()).map(([x, neg]) => (neg ? -x : x));
}

/** float32 values (as numbers) biased the same way, for the Float32Array paths. */
export function hardFloats(format: string | FloatFormat): fc.Arbitrary<number> {
  return fc.oneof(
    hardDoubles(format).map(Math.fround),
    fc.integer({ min: 0, max: 0xffffffff }).map((u) => new Float32Array(new Uint32Array([u]).buffer)[0]),
  );
}
