// OCP MX block scaling (MXFP8 e4m3/e5m2, MXFP6 e2m3/e3m2, MXFP4 e2m1).
// Reference twin written here from the spec (OCP MX v1.0 §6.3 and the microxcaling reference code):
// X = 2^(floor(log2 amax) − emax_elem) computed exactly with BigInt, clamped at 2^−127, NaN above 2^127
// or for blocks holding NaN/Inf; each element is the finite element value v minimising |x − v·X|
// (exact BigInt comparison, ties to the even code), which is nearest-even with saturation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantizeMx, mxScaleCode, quantizeMx, type MxElementFormat } from '../../src/quant/mx.js';
import { cmp, diff, exactAbs, floorLog2, minifloatValue, type Exact } from '../helpers/exact.js';

// element formats from their definitions: [E, M, bias, emax of the largest normal, NaN/inf magnitude codes]
const DEFS: Record<MxElementFormat, { E: number; M: number; bias: number; emax: number; special: (mag: number) => boolean }> = {
  'fp8-e4m3fn': { E: 4, M: 3, bias: 7, emax: 8, special: (m) => m === 0x7f },
  'fp8-e5m2': { E: 5, M: 2, bias: 15, emax: 15, special: (m) => m >> 2 === 31 },
  'fp6-e2m3fn': { E: 2, M: 3, bias: 1, emax: 2, special: () => false },
  'fp6-e3m2fn': { E: 3, M: 2, bias: 3, emax: 4, special: () => false },
  'fp4-e2m1fn': { E: 2, M: 1, bias: 1, emax: 2, special: () => false },
};
const FORMATS = Object.keys(DEFS) as MxElementFormat[];

function elementValues(fmt: MxElementFormat): [Exact, number][] {
  const d = DEFS[fmt];
  const out: [Exact, number][] = [];
  for (let mag = 0; mag < 1 << (d.E + d.M); mag++) {
    if (d.special(mag)) continue;
    out.push([minifloatValue(mag, d.M, d.bias), mag]);
  }
  return out;
}
const VALUES = Object.fromEntries(FORMATS.map((f) => [f, elementValues(f)])) as Record<MxElementFormat, [Exact, number][]>;

/** The reference scale exponent of a block (undefined = NaN scale). */
function refScaleExp(block: ArrayLike<number>, fmt: MxElementFormat): number | undefined {
  let amax: Exact = { num: 0n, exp: 0 };
  for (let i = 0; i < block.length; i++) {
    if (!Number.isFinite(block[i])) return undefined;
    const a = exactAbs(block[i]);
    if (cmp(a, amax) > 0) amax = a;
  }
  if (amax.num === 0n) return -127;
  const e = floorLog2(amax) - DEFS[fmt].emax;
  if (e > 127) return undefined;
  return Math.max(e, -127);
}

function refElement(x: number, X: number, fmt: MxElementFormat): number {
  const signBit = 1 << (DEFS[fmt].E + DEFS[fmt].M);
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const ax = exactAbs(x);
  const ex = exactAbs(2 ** X); // X is an integer exponent here
  let best = -1;
  let bestD: Exact | undefined;
  for (const [v, mag] of VALUES[fmt]) {
    const d = diff(ax, { num: v.num * ex.num, exp: v.exp + ex.exp });
    const c = bestD === undefined ? -1 : cmp(d, bestD);
    if (c < 0 || (c === 0 && mag % 2 === 0)) { best = mag; bestD = d; }
  }
  return sign + best;
}

const valuesArb = fc.oneof(
  fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  fc.float({ min: Math.fround(-1e-30), max: Math.fround(1e-30), noNaN: true }),
  fc.integer({ min: -64, max: 64 }).map((k) => k / 8),
  fc.constantFrom(0, -0, 2 ** -149, 3e38),
);

describe('quantizeMx equals the OCP MX reference (BigInt)', () => {
  for (const format of FORMATS) {
    it(`${format}: scales and element codes for random blocks (block sizes 32, 1, 7, 16; row-shaped data)`, () => {
      fc.assert(fc.property(fc.array(valuesArb, { minLength: 1, maxLength: 120 }), fc.constantFrom(32, 1, 7, 16), fc.integer({ min: 1, max: 3 }), fc.boolean(), (xs, blockSize, r0, f64) => {
        const rows = xs.length % r0 === 0 ? r0 : 1;
        const cols = xs.length / rows;
        const x = f64 ? Float64Array.from(xs) : Float32Array.from(xs);
        const q = quantizeMx(x, { format, blockSize, rows, cols });
        const perRow = Math.ceil(cols / blockSize);
        expect(q.scales.length).toBe(rows * perRow);
        for (let r = 0; r < rows; r++) {
          for (let b = 0; b < perRow; b++) {
            const start = r * cols + b * blockSize;
            const end = r * cols + Math.min(cols, (b + 1) * blockSize);
            const e = refScaleExp(x.subarray(start, end), format);
            expect(q.scales[r * perRow + b]).toBe(e === undefined ? 0xff : e + 127);
            if (e === undefined) continue;
            for (let i = start; i < end; i++) expect(q.codes[i], `x=${x[i]} X=2^${e}`).toBe(refElement(x[i], e, format));
          }
        }
      }), { numRuns: 120, seed: 61 });
    });
  }
});

describe('MX semantics', () => {
  it('the spec example: a block whose amax fits the element max exactly uses X = 1', () => {
    const q = quantizeMx(new Float32Array([0.5, 1, -3, 6]), { format: 'fp4-e2m1fn' });
    expect(Array.from(q.scales)).toEqual([127]);
    expect(Array.from(q.codes)).toEqual([0x1, 0x2, 0xd, 0x7]);
    expect(Array.from(dequantizeMx(q))).toEqual([0.5, 1, -3, 6]);
  });
  it('elements beyond the element max after scaling saturate (amax 7.9 in fp4 → 6; 1000 in e4m3 → 896)', () => {
    const q = quantizeMx(new Float32Array([7.9, 1]), { format: 'fp4-e2m1fn' });
    expect(q.scales[0]).toBe(127);
    expect(dequantizeMx(q)[0]).toBe(6);
    expect(dequantizeMx(quantizeMx(new Float32Array([1000])))[0]).toBe(896); // X = 2, 500 saturates to 448
  });
  it('emax_elem per format: amax 1 gives X = 2^-emax', () => {
    const e: Record<MxElementFormat, number> = { 'fp8-e4m3fn': 8, 'fp8-e5m2': 15, 'fp6-e2m3fn': 2, 'fp6-e3m2fn': 4, 'fp4-e2m1fn': 2 };
    for (const f of FORMATS) expect(quantizeMx(new Float32Array([1]), { format: f }).scales[0]).toBe(127 - e[f]);
    expect(mxScaleCode(6, 2)).toBe(127);
    expect(mxScaleCode(2 ** 200, 8)).toBe(0xff);
    expect(mxScaleCode(2 ** -140, 2)).toBe(0);
  });
  it('a zero block gets scale 2^-127 and zeros; a NaN/Inf block gets the NaN scale and reads NaN, other blocks untouched', () => {
    const x = new Float32Array(96);
    x[40] = NaN;
    x[70] = Infinity;
    x[0] = -0;
    const q = quantizeMx(x);
    expect(Array.from(q.scales)).toEqual([0, 0xff, 0xff]);
    const y = dequantizeMx(q);
    expect(Array.from(y.subarray(0, 32)).every((v) => v === 0)).toBe(true);
    expect(Array.from(y.subarray(32)).every(Number.isNaN)).toBe(true);
  });
  it('MXFP8 e4m3: relative error <= 2^-4 within range and <= 1 − 448/512 when saturated (values within 2^-6 of amax)', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 64 }), (xs) => {
      const x = Float32Array.from(xs);
      const q = quantizeMx(x);
      const y = dequantizeMx(q);
      for (let b = 0; b < x.length; b += 32) {
        let amax = 0;
        for (let i = b; i < Math.min(x.length, b + 32); i++) amax = Math.max(amax, Math.abs(x[i]));
        const X = 2 ** (q.scales[b / 32] - 127);
        for (let i = b; i < Math.min(x.length, b + 32); i++) {
          if (!(amax >= 2 ** -110 && Math.abs(x[i]) >= amax * 2 ** -6)) continue;
          const bound = Math.abs(x[i]) <= 448 * X ? 2 ** -4 : 1 - 448 / 512;
          expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(bound * Math.abs(x[i]));
        }
      }
    }), { numRuns: 150, seed: 62 });
  });
  it('blocks never straddle rows: 2 × 40 values with blockSize 32 → 2 scales per row', () => {
    const x = new Float32Array(80).map((_, i) => (i < 40 ? 1 : 384));
    const q = quantizeMx(x, { rows: 2, cols: 40 });
    expect(Array.from(q.scales)).toEqual([119, 119, 127, 127]);
    expect(Array.from(dequantizeMx(q))).toEqual(Array.from(x));
  });
  it('never mutates its input; results survive JSON (typed arrays aside)', () => {
    const x = new Float64Array([1.1, -2.2, 3.3]);
    const c = x.slice();
    const q = quantizeMx(x, { format: 'fp6-e3m2fn' });
    expect(Array.from(x)).toEqual(Array.from(c));
    const j = JSON.parse(JSON.stringify(q));
    expect([j.scheme, j.format, j.blockSize, j.rows, j.cols]).toEqual(['mx', 'fp6-e3m2fn', 32, 1, 3]);
  });
  it('stochastic and toward-zero element rounding are available', () => {
    const x = new Float32Array([0.3, 1, 2.7, 6]);
    const tz = dequantizeMx(quantizeMx(x, { format: 'fp4-e2m1fn', rounding: 'toward-zero' }));
    for (let i = 0; i < 4; i++) expect(Math.abs(tz[i])).toBeLessThanOrEqual(Math.abs(x[i]));
    let sum = 0;
    const N = 2000;
    for (let k = 0; k < N; k++) sum += dequantizeMx(quantizeMx(x, { format: 'fp4-e2m1fn', rounding: 'stochastic', seed: k }))[2];
    expect(Math.abs(sum / N - 2.7)).toBeLessThanOrEqual(5 * 0.5 / Math.sqrt(N)); // gap 1 between 2 and 3
  });
});

describe('MX bad input', () => {
  it('unknown element format, bad blockSize, shape mismatch → RangeError', () => {
    expect(() => quantizeMx(new Float32Array(4), { format: 'fp8-e4m3fnuz' as never })).toThrow(/fp4-e2m1fn/);
    expect(() => quantizeMx(new Float32Array(4), { blockSize: 0 })).toThrow(/blockSize/);
    expect(() => quantizeMx(new Float32Array(4), { blockSize: 2.5 })).toThrow(RangeError);
    expect(() => quantizeMx(new Float32Array(4), { rows: 3 })).toThrow(RangeError);
    expect(() => quantizeMx(null as never)).toThrow(TypeError);
  });
  it('wrong scale count, element codes wider than the format → clear errors', () => {
    const q = quantizeMx(new Float32Array(40), { format: 'fp4-e2m1fn' });
    expect(() => dequantizeMx({ ...q, scales: new Uint8Array(1) })).toThrow(/2 entries/);
    const codes = q.codes.slice();
    codes[3] = 17;
    expect(() => dequantizeMx({ ...q, codes })).toThrow(/codes\[3\] = 17/);
    expect(() => dequantizeMx({ ...q, scales: new Float32Array(2) as never })).toThrow(TypeError);
  });
});
