// bf16 / fp16 / fp32 rounding against the slow BigInt reference (tests/helpers/exact-round.ts) and
// against Math.fround (the platform's own correctly rounded float32 cast), plus the properties every
// rounding must have: monotone, within half an ulp, toward-zero never grows |x|, stochastic unbiased.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRng, decode, encode, encodeArray, getFormat, round, ulp, type CastOptions,
} from '../../src/index.js';
import { refNearestCode, refTruncMagnitude } from '../helpers/exact-round.js';
import { hardDoubles, hardFloats } from './helpers.js';

const FORMATS16 = ['bf16', 'fp16'] as const;

const refEncode = (x: number, name: string): number => refNearestCode(x, getFormat(name));

describe.each(FORMATS16)('%s: round to nearest even', (name) => {
  it('encode of any double equals the exact BigInt reference (single rounding from float64)', () => {
    fc.assert(fc.property(hardDoubles(name), (x) => encode(x, name) === refEncode(x, name)), { numRuns: 3000 });
  });

  it('bulk Float32Array fast path equals the exact reference on float32 inputs; NaN gives the quiet NaN of its sign', () => {
    const qnan = name === 'bf16' ? 0x7fc0 : 0x7e00;
    fc.assert(
      fc.property(fc.array(hardFloats(name), { minLength: 1, maxLength: 64 }), (xs) => {
        const src = new Float32Array(xs);
        const srcBits = new Uint32Array(src.buffer);
        const codes = encodeArray(src, name);
        return xs.every((_, i) => {
          const x = src[i];
          if (Number.isNaN(x)) return codes[i] === (((srcBits[i] >>> 31) << 15) | qnan);
          return codes[i] === refEncode(x, name);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('round is monotone', () => {
    fc.assert(fc.property(hardDoubles(name), hardDoubles(name), (a, b) => {
      const [x, y] = a <= b ? [a, b] : [b, a];
      return round(x, name) <= round(y, name);
    }), { numRuns: 2000 });
  });

  it('|round(x) - x| <= ulp/2 for x within range', () => {
    const f = getFormat(name);
    fc.assert(fc.property(hardDoubles(name), (x) => {
      fc.pre(Math.abs(x) <= f.max);
      const r = round(x, name);
      return Math.abs(r - x) <= ulp(x, name) / 2;
    }), { numRuns: 2000 });
  });

  it('toward-zero never grows |x| and equals the reference truncation', () => {
    const f = getFormat(name);
    fc.assert(fc.property(hardDoubles(name), (x) => {
      const code = encode(x, name, { rounding: 'toward-zero' });
      const r = decode(code, name);
      const mag = code & (f.signBit - 1);
      return Math.abs(r) <= Math.abs(x) && mag === refTruncMagnitude(x, f);
    }), { numRuns: 2000 });
  });

  it('stochastic rounding returns one of the two neighbours and is unbiased (mean -> x)', () => {
    const f = getFormat(name);
    fc.assert(fc.property(hardDoubles(name), fc.integer(), (x, seed) => {
      fc.pre(Math.abs(x) < f.max / 2 && x !== 0);
      const random = createRng(seed);
      const lowCode = encode(x, name, { rounding: 'toward-zero' });
      const low = decode(lowCode, name);
      const high = decode(lowCode + 1, name); // the next code of the same sign: one step away from zero
      const n = 4000;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const r = round(x, name, { rounding: 'stochastic', random });
        if (r !== low && r !== high) return false;
        sum += r;
      }
      // mean of n draws of a two-point distribution with gap q: sd <= q / (2 sqrt n); allow 6 sd
      const gap = Math.abs(high - low);
      return Math.abs(sum / n - x) <= (6 * gap) / (2 * Math.sqrt(n));
    }), { numRuns: 60 });
  });

  it('stochastic rounding with a seed is reproducible', () => {
    const xs = new Float64Array(100).map((_, i) => 1 + i / 1000);
    const a = encodeArray(xs, name, { rounding: 'stochastic', seed: 7 });
    const b = encodeArray(xs, name, { rounding: 'stochastic', seed: 7 });
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('flushSubnormals never returns a subnormal, and keeps the sign of zero', () => {
    const f = getFormat(name);
    fc.assert(fc.property(hardDoubles(name), (x) => {
      const r = round(x, name, { flushSubnormals: true });
      if (r === 0) return Object.is(r, -0) === (x < 0 || Object.is(x, -0));
      return Math.abs(r) >= 2 ** f.minNormalExponent || !Number.isFinite(r);
    }), { numRuns: 1000 });
  });

  it("overflow: 'saturate' never returns infinity for finite inputs; default 'inf' does past max + ulp/2", () => {
    const f = getFormat(name);
    fc.assert(fc.property(hardDoubles(name), (x) => {
      const s = round(x, name, { overflow: 'saturate' });
      const d = round(x, name);
      const boundary = f.max + ulp(f.max, name) / 2;
      return Number.isFinite(s) && Math.abs(s) <= f.max && (Math.abs(x) >= boundary) === !Number.isFinite(d);
    }), { numRuns: 2000 });
  });

  it('special values: NaN -> canonical quiet NaN keeping the sign, ±0 kept, ±Infinity kept', () => {
    const f = getFormat(name);
    const qnan = name === 'bf16' ? 0x7fc0 : 0x7e00;
    expect(encode(NaN, name)).toBe(qnan);
    expect(encode(-NaN, name) & 0x7fff).toBe(qnan);
    const negNaN = new Float32Array(new Uint32Array([0xffc00001]).buffer);
    expect(encodeArray(negNaN, name)[0]).toBe(qnan | 0x8000);
    expect(encodeArray(new Float64Array(negNaN), name)[0]).toBe(qnan | 0x8000);
    expect(encode(0, name)).toBe(0);
    expect(encode(-0, name)).toBe(0x8000);
    expect(encode(Infinity, name)).toBe(f.maxMagnitudeCode + 1);
    expect(encode(-Infinity, name)).toBe(0x8000 + f.maxMagnitudeCode + 1);
    expect(Object.is(round(-0, name), -0)).toBe(true);
    expect(Object.is(round(-1e-30, 'fp16', { rounding: 'toward-zero' }), -0)).toBe(true);
  });
});

describe('fp32', () => {
  it('round(x, "fp32") equals Math.fround(x) for every double, ties and subnormals included', () => {
    fc.assert(fc.property(fc.oneof(hardDoubles('fp32'), fc.double()), (x) => Object.is(round(x, 'fp32'), Math.fround(x)) || (Number.isNaN(x) && Number.isNaN(round(x, 'fp32')))), { numRuns: 5000 });
  });
  it('encode(x, "fp32") equals the float32 bit pattern of Math.fround(x)', () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
      const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
      return encode(x, 'fp32') === bits;
    }), { numRuns: 3000 });
  });
});

describe('known values', () => {
  const cases: [number, string, number, CastOptions?][] = [
    [1, 'bf16', 0x3f80],
    [1 + 2 ** -8, 'bf16', 0x3f80], // tie, to even
    [1 + 3 * 2 ** -8, 'bf16', 0x3f82], // tie, to even (up)
    [65504, 'fp16', 0x7bff],
    [65519.99, 'fp16', 0x7bff],
    [65520, 'fp16', 0x7c00], // max + ulp/2 ties to the even code: infinity
    [65520, 'fp16', 0x7bff, { overflow: 'saturate' }],
    [65520, 'fp16', 0x7bff, { rounding: 'toward-zero' }], // IEEE: toward zero never overflows
    [2 ** -24, 'fp16', 0x0001],
    [2 ** -25, 'fp16', 0x0000], // tie between 0 and 2^-24: to even (0)
    [2 ** -25 * (1 + 2 ** -40), 'fp16', 0x0001],
    [1 + 2 ** -11 + 2 ** -40, 'fp16', 0x3c01], // the double-rounding trap: through float32 this gives 0x3c00
    [0.1, 'fp16', 0x2e66],
    [2 ** -14, 'fp16', 0x0400],
    [3.3895313892515355e38, 'bf16', 0x7f7f],
    [2 ** -133, 'bf16', 0x0001],
  ];
  it.each(cases)('encode(%d, %s) = %i', (x, f, code, opts) => {
    expect(encode(x, f, opts)).toBe(code);
  });
});
