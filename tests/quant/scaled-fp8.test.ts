// Scaled fp8 quantization (per-tensor and per-row scales = amax / max).
// Reference twin: a brute-force search, in exact BigInt arithmetic, over all finite fp8 values v for
// the one minimising |x − v·scale| (ties to the even code; toward-zero: the largest v·scale <= |x|),
// with fp8 values computed from the format definition, not from lowp's codec.
// Oracle: `gemm-fp8-h200` vectors — PyTorch's per-tensor scale_a = amax/448 and its e4m3fn codes are
// reproduced from the dequantized matrix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArray, finfo, ulp } from '../../src/formats/index.js';
import { dequantizeScaledFp8, quantizeScaledFp8, type ScaledFp8Format } from '../../src/quant/scaled-fp8.js';
import { loadVectors } from '../helpers/vectors.js';
import { cmp, diff, exactAbs, minifloatValue, mul, type Exact } from '../helpers/exact.js';

const f32 = Math.fround;

/** Finite non-negative values of e4m3fn / e5m2 from their definitions: [exact value, magnitude code]. */
function fp8Values(format: ScaledFp8Format): [Exact, number][] {
  const [E, M, bias] = format === 'fp8-e4m3fn' ? [4, 3, 7] : [5, 2, 15];
  const out: [Exact, number][] = [];
  for (let mag = 0; mag < 128; mag++) {
    if (format === 'fp8-e4m3fn' ? mag === 0x7f : mag >> M === (1 << E) - 1) continue; // NaN / inf
    out.push([minifloatValue(mag, M, bias), mag]);
  }
  return out;
}
const VALUES = { 'fp8-e4m3fn': fp8Values('fp8-e4m3fn'), 'fp8-e5m2': fp8Values('fp8-e5m2') };

/** The reference code of x (finite) with scale s: nearest v·s (ties to even code) or toward zero. */
function refCode(x: number, s: number, format: ScaledFp8Format, mode: 'ne' | 'tz'): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  const ax = exactAbs(x);
  const es = exactAbs(s);
  let best = -1;
  let bestD: Exact | undefined;
  for (const [v, mag] of VALUES[format]) {
    const vs = mul(v, es);
    if (mode === 'tz') {
      if (cmp(vs, ax) <= 0) best = mag; // ascending: keep the last one <= |x|
      continue;
    }
    const d = diff(ax, vs);
    const c = bestD === undefined ? -1 : cmp(d, bestD);
    if (c < 0 || (c === 0 && mag % 2 === 0)) { best = mag; bestD = d; }
  }
  return sign + best;
}

const FORMATS: ScaledFp8Format[] = ['fp8-e4m3fn', 'fp8-e5m2'];

/** Values spread over magnitudes, plus products of the scale with exact fp8 midpoints (rounding traps). */
const valuesArb = fc.oneof(
  fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
  fc.integer({ min: -64, max: 64 }).map((k) => k / 16),
);

describe('quantizeScaledFp8 equals the brute-force BigInt reference', () => {
  for (const format of FORMATS) {
    for (const mode of ['ne', 'tz'] as const) {
      it(`${format}, ${mode === 'ne' ? 'nearest-even' : 'toward-zero'}: per-tensor and per-row codes, float32 and float64 input`, () => {
        fc.assert(fc.property(fc.array(valuesArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), (xs, rows0, f64) => {
          const rows = xs.length % rows0 === 0 ? rows0 : 1;
          const x = f64 ? Float64Array.from(xs) : Float32Array.from(xs);
          const rounding = mode === 'ne' ? 'nearest-even' : 'toward-zero';
          for (const granularity of ['tensor', 'row'] as const) {
            const q = quantizeScaledFp8(x, { format, granularity, rows, rounding });
            const per = granularity === 'row' ? x.length / rows : x.length;
            for (let i = 0; i < x.length; i++) {
              const s = q.scales[Math.floor(i / per)];
              expect(q.codes[i], `x=${x[i]} s=${s}`).toBe(refCode(x[i], s, format, mode));
            }
          }
        }), { numRuns: 120, seed: 51 });
      });
    }
    it(`${format}: values on the exact midpoints between two scaled fp8 values round to the even code`, () => {
      const max = finfo(format).max;
      fc.assert(fc.property(fc.float({ min: 1, max: 1000, noNaN: true }), fc.integer({ min: 0, max: VALUES[format].length - 2 }), (amax, i) => {
        const s = f32(amax / max);
        const lo = Number(VALUES[format][i][0].num) * 2 ** VALUES[format][i][0].exp;
        const hi = Number(VALUES[format][i + 1][0].num) * 2 ** VALUES[format][i + 1][0].exp;
        const mid = ((lo + hi) / 2) * s; // exact in float64
        const x = new Float64Array([amax, mid, -mid]);
        const q = quantizeScaledFp8(x, { format });
        expect(q.scales[0]).toBe(s);
        expect(q.codes[1]).toBe(refCode(mid, s, format, 'ne'));
        expect(q.codes[2]).toBe(refCode(-mid, s, format, 'ne'));
      }), { numRuns: 200, seed: 52 });
    });
  }
});

describe('scaled fp8 semantics', () => {
  it('scale = fl32(amax / max) per tensor and per row; the amax element maps to ±max', () => {
    const x = new Float32Array([1, -3, 0.5, 200, -100, 7]);
    const t = quantizeScaledFp8(x);
    expect(Array.from(t.scales)).toEqual([f32(200 / 448)]);
    expect(Array.from(t.amax)).toEqual([200]);
    expect(t.codes[3]).toBe(0x7e);
    const r = quantizeScaledFp8(x, { granularity: 'row', rows: 2, cols: 3, format: 'fp8-e5m2' });
    expect(Array.from(r.scales)).toEqual([f32(3 / 57344), f32(200 / 57344)]);
    expect([r.codes[1], r.codes[3]]).toEqual([0x80 | 0x7b, 0x7b]);
    expect(r.rows).toBe(2);
    expect(r.cols).toBe(3);
  });
  it('dequantize error <= half an fp8 ulp of x/scale, times the scale (plus the float32 rounding of the product)', () => {
    fc.assert(fc.property(fc.array(valuesArb, { minLength: 1, maxLength: 100 }), fc.constantFrom(...FORMATS), (xs, format) => {
      const x = Float32Array.from(xs);
      const q = quantizeScaledFp8(x, { format });
      const y = dequantizeScaledFp8(q);
      const s = q.scales[0];
      for (let i = 0; i < x.length; i++) {
        expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual((ulp(x[i] / s, format) / 2) * s * (1 + 2 ** -20) + 2 ** -24 * Math.abs(y[i]));
      }
    }), { numRuns: 150, seed: 53 });
  });
  it('an all-zero tensor or row gives scale 1, codes 0 and zeros back (no NaN out of a zero block)', () => {
    const z = quantizeScaledFp8(new Float32Array(5));
    expect(Array.from(z.scales)).toEqual([1]);
    expect(Array.from(dequantizeScaledFp8(z))).toEqual([0, 0, 0, 0, 0]);
    const r = quantizeScaledFp8(new Float32Array([0, 0, 1, 2]), { granularity: 'row', cols: 2 });
    expect(r.scales[0]).toBe(1);
    expect(Array.from(dequantizeScaledFp8(r)).slice(0, 2)).toEqual([0, 0]);
    expect(dequantizeScaledFp8(quantizeScaledFp8(new Float32Array(0))).length).toBe(0);
  });
  it('non-finite values stay out of amax: NaN → NaN, ±Inf → ±Inf in e5m2 and NaN in e4m3fn', () => {
    const x = new Float32Array([NaN, Infinity, -Infinity, 2, -1]);
    const a = quantizeScaledFp8(x);
    expect(a.amax[0]).toBe(2);
    const ya = dequantizeScaledFp8(a);
    expect([ya[0], ya[1], ya[2]].every(Number.isNaN)).toBe(true);
    expect([ya[3], ya[4]]).toEqual([2, -1]);
    const yb = dequantizeScaledFp8(quantizeScaledFp8(x, { format: 'fp8-e5m2' }));
    expect(yb[0]).toBeNaN();
    expect([yb[1], yb[2], yb[3], yb[4]]).toEqual([Infinity, -Infinity, 2, -1]);
  });
  it('tiny amax: the scale is clamped to the smallest float32, never 0', () => {
    const q = quantizeScaledFp8(new Float64Array([1e-44, -3e-45]));
    expect(q.scales[0]).toBeGreaterThan(0);
    expect(Array.from(dequantizeScaledFp8(q)).every(Number.isFinite)).toBe(true);
  });
  it('toward-zero never grows |x|; stochastic rounding is unbiased over seeds', () => {
    const x = new Float32Array([0.3, -1.7, 100, 3.3]);
    const y = dequantizeScaledFp8(quantizeScaledFp8(x, { rounding: 'toward-zero' }));
    for (let i = 0; i < x.length; i++) expect(Math.abs(y[i])).toBeLessThanOrEqual(Math.abs(x[i]));
    const N = 2000;
    const v = new Float32Array([100, 3.3]);
    let sum = 0;
    for (let k = 0; k < N; k++) sum += dequantizeScaledFp8(quantizeScaledFp8(v, { rounding: 'stochastic', seed: k }))[1];
    const s = f32(100 / 448);
    const gap = 2 ** -3 * 8 * s; // fp8 e4m3fn spacing at 3.3/s ≈ 14.8 (binade [8, 16): 1)
    expect(Math.abs(sum / N - 3.3)).toBeLessThanOrEqual(5 * gap * 0.5 / Math.sqrt(N));
  });
  it('never mutates its input', () => {
    const x = new Float64Array([1.5, -2.25, 1e-3]);
    const c = x.slice();
    quantizeScaledFp8(x, { granularity: 'row', rows: 3 });
    expect(Array.from(x)).toEqual(Array.from(c));
  });
});

describe('PyTorch fp8 per-tensor scaling (gemm-fp8-h200 vectors)', () => {
  const V = loadVectors('gemm-fp8-h200');
  const shapes = V.keys.filter((k) => k.endsWith('.A_e4m3fn')).map((k) => k.slice(0, -'.A_e4m3fn'.length));
  it('has cases', () => expect(shapes.length).toBeGreaterThan(0));
  for (const sh of shapes) {
    it(`${sh}: re-quantizing the dequantized A and B gives PyTorch's codes and scale (= amax/448) back`, () => {
      for (const [m, sk] of [['A', 'scale_a'], ['B', 'scale_b']] as const) {
        const codes = V.get(`${sh}.${m}_e4m3fn`).data as Uint8Array;
        const scale = (V.get(`${sh}.${sk}`).data as Float32Array)[0];
        const x = dequantizeScaledFp8({ scheme: 'scaled-fp8', format: 'fp8-e4m3fn', granularity: 'tensor', rows: 1, cols: codes.length, codes, scales: Float32Array.of(scale), amax: Float64Array.of(0) });
        const dec = decodeArray(codes, 'fp8-e4m3fn', { out: new Float64Array(codes.length) });
        for (let i = 0; i < codes.length; i += 97) expect(x[i]).toBe(f32(dec[i] * scale));
        const q = quantizeScaledFp8(x);
        expect(q.scales[0]).toBe(scale);
        let bad = 0;
        for (let i = 0; i < codes.length; i++) if (q.codes[i] !== codes[i] && !(codes[i] === 0x80 && q.codes[i] === 0)) bad++;
        expect(bad).toBe(0);
      }
    });
  }
});

describe('scaled fp8 bad input', () => {
  it('shape errors, unknown format or granularity → RangeError', () => {
    expect(() => quantizeScaledFp8(new Float32Array(6), { granularity: 'row' })).toThrow(/rows/);
    expect(() => quantizeScaledFp8(new Float32Array(6), { granularity: 'row', rows: 4 })).toThrow(RangeError);
    expect(() => quantizeScaledFp8(new Float32Array(6), { rows: 2, cols: 2 })).toThrow(/2 × 2/);
    expect(() => quantizeScaledFp8(new Float32Array(6), { format: 'fp4-e2m1fn' as never })).toThrow(/fp8-e4m3fn/);
    expect(() => quantizeScaledFp8(new Float32Array(6), { granularity: 'col' as never })).toThrow(RangeError);
    expect(() => quantizeScaledFp8('x' as never)).toThrow(TypeError);
    expect(() => quantizeScaledFp8(new Float32Array(2), { rounding: 'up' as never })).toThrow(RangeError);
  });
  it('NaN, zero, negative or infinite scales and wrong lengths on dequantize → RangeError', () => {
    const q = quantizeScaledFp8(new Float32Array([1, 2, 3, 4]), { granularity: 'row', rows: 2 });
    expect(() => dequantizeScaledFp8({ ...q, scales: Float32Array.of(1, NaN) })).toThrow(/scales\[1\] is NaN/);
    expect(() => dequantizeScaledFp8({ ...q, scales: Float32Array.of(0, 1) })).toThrow(RangeError);
    expect(() => dequantizeScaledFp8({ ...q, scales: Float32Array.of(-1, 1) })).toThrow(RangeError);
    expect(() => dequantizeScaledFp8({ ...q, scales: Float32Array.of(Infinity, 1) })).toThrow(RangeError);
    expect(() => dequantizeScaledFp8({ ...q, scales: Float32Array.of(1) })).toThrow(/2 entries/);
    expect(() => dequantizeScaledFp8({ ...q, codes: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => dequantizeScaledFp8({ ...q, scheme: 'mx' } as never)).toThrow(TypeError);
  });
});
