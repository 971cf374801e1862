// analyzeCast / createCastAnalyzer. Oracles: an independent per-element computation with the exact
// reference rounding `round()` of lowp/formats (tests/diagnostics/reference.ts), the error metrics of
// src/quant/metrics.ts (`compare`), and a sorted list for the worst elements. The real model of
// ../shared/vectors/digits-transformer (or its fixture subset) is analysed tensor by tensor.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCast, createCastAnalyzer } from '../../src/diagnostics/analyzeCast.js';
import { decodeArray, encodeArray } from '../../src/formats/bulk.js';
import type { CastOptions } from '../../src/formats/options.js';
import { exponentOf } from '../../src/formats/pow2.js';
import { getFormat } from '../../src/formats/registry.js';
import { round } from '../../src/formats/scalar.js';
import { compare } from '../../src/quant/metrics.js';
import { loadVectors } from '../helpers/vectors.js';
import { f32FromBits, referenceCounts, referenceHistogram } from './reference.js';
import { expectEqualUpToSumOrder } from './sumOrder.js';

const model = loadVectors('digits-transformer');
const tensors = model.keys.map((k) => ({ key: k, data: model.get(k).data as Float32Array }));

function countsOf(a: ReturnType<typeof analyzeCast>) {
  const { nonzeroFinite: _nz, ...rest } = a.counts;
  return rest;
}

describe('analyzeCast on the digits-transformer model: counts equal per-element round()', () => {
  it('bf16 and fp16 fast paths, every tensor (weights, gradients, activations, Adam moments)', () => {
    expect(tensors.length).toBeGreaterThan(10);
    for (const { key, data } of tensors) {
      for (const to of ['bf16', 'fp16']) {
        const a = analyzeCast(data, to);
        expect(countsOf(a), `${key} → ${to}`).toEqual(referenceCounts(data, to));
      }
    }
  });

  it('generic codec paths (fp8, saturation, flush-to-zero, toward-zero, Float64Array input) on gradients and Adam moments', () => {
    const configs: [string, CastOptions | undefined][] = [
      ['fp8-e4m3fn', undefined], ['fp8-e5m2', undefined], ['fp16', { overflow: 'saturate' }], ['fp16', { flushSubnormals: true }],
      ['bf16', { rounding: 'toward-zero' }], ['fp4-e2m1fn', undefined],
    ];
    for (const { key, data } of tensors.filter((t) => /^(grad|adam)/.test(t.key))) {
      for (const [to, opts] of configs) {
        expect(countsOf(analyzeCast(data, to, opts)), `${key} → ${to} ${JSON.stringify(opts)}`).toEqual(referenceCounts(data, to, opts));
      }
      // the generic path on float64 copies gives what the fast paths give on the float32 originals
      // (bf16/fp16 run the WebAssembly SIMD kernel where available: its sums are in another order)
      for (const to of ['bf16', 'fp16', 'fp8-e4m3fn', 'fp8-e5m2', 'fp4-e2m1fn']) {
        const fast = analyzeCast(data, to);
        const slow = analyzeCast(new Float64Array(data), to);
        expect(slow.counts).toEqual(fast.counts);
        expect(slow.histogram.bins).toEqual(fast.histogram.bins);
        expect(slow.worst).toEqual(fast.worst);
        const { source: _s, ...slowRest } = slow;
        expectEqualUpToSumOrder({ ...slowRest, source: fast.source }, fast, data.length, `${key} → ${to}`);
      }
    }
  });

  it('the gradients and Adam second moments really underflow fp16 (and not bf16)', () => {
    for (const prefix of ['grad.', 'adam.exp_avg_sq.']) {
      let flushed16 = 0, flushedBf = 0;
      for (const { data } of tensors.filter((t) => t.key.startsWith(prefix))) {
        flushed16 += analyzeCast(data, 'fp16').counts.flushedToZero;
        flushedBf += analyzeCast(data, 'bf16').counts.flushedToZero;
      }
      expect(flushed16).toBeGreaterThan(0);
      expect(flushedBf).toBe(0);
    }
  });

  it('error statistics agree with src/quant/metrics.ts compare() (reference = input, test = cast result)', () => {
    for (const { key, data } of tensors.filter((t) => /^(weight|grad)/.test(t.key)).slice(0, 12)) {
      for (const to of ['bf16', 'fp16']) {
        const a = analyzeCast(data, to);
        const r = decodeArray(encodeArray(data, to), to);
        const m = compare(data, r, { format: to });
        expect(a.error.maxAbsError, key).toBe(m.maxAbsError);
        expect(a.error.maxRelError, key).toBe(m.maxRelError);
        expect(a.error.maxUlpError, key).toBe(m.maxUlpError);
        expect(a.error.meanAbsError).toBeCloseTo(m.meanAbsError, 20);
        expect(Math.abs(a.error.sqnrDb - m.sqnrDb)).toBeLessThan(1e-9);
      }
    }
  });

  it('the worst list is the top k by relative error (ties: lower index), and the histogram matches exponentOf counts', () => {
    for (const { key, data } of tensors.filter((t) => /^(grad|adam)/.test(t.key)).slice(0, 8)) {
      const a = analyzeCast(data, 'fp16', { topK: 7 });
      const rows: { i: number; rel: number }[] = [];
      for (let i = 0; i < data.length; i++) {
        const x = data[i];
        if (x === 0) continue;
        const r = round(x, 'fp16');
        const rel = !Number.isFinite(r) ? Infinity : Math.abs(x - r) / Math.abs(x);
        if (rel > 0) rows.push({ i, rel });
      }
      rows.sort((p, q) => (q.rel - p.rel) || (p.i - q.i));
      expect(a.worst.map((w) => w.index), key).toEqual(rows.slice(0, 7).map((r) => r.i));
      for (const w of a.worst) expect(w.result).toBe(round(w.value, 'fp16'));
      const ref = referenceHistogram(data);
      for (const b of a.histogram.bins) expect(b.count, `${key} bin ${b.exponent}`).toBe(ref.get(b.exponent) ?? 0);
      expect(a.histogram.bins.reduce((s, b) => s + b.count, 0)).toBe(a.counts.nonzeroFinite);
    }
  });
});

describe('analyzeCast properties (fast-check)', () => {
  const bitsArb = fc.array(fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    // dense around fp16's subnormal range and overflow threshold, and bf16 ties
    fc.integer({ min: 0x32800000, max: 0x38900000 }).map((b) => (b & ~0x1fff) | (b & 1 ? 0x1000 : 0)),
    fc.integer({ min: 0x477f0000, max: 0x47800000 }),
    fc.integer({ min: 0, max: 0x00800000 }),
  ), { minLength: 1, maxLength: 300 });
  const fmtArb = fc.constantFrom('bf16', 'fp16', 'fp8-e4m3fn', 'fp8-e5m2', 'fp6-e3m2fn', 'fp4-e2m1fn', 'fp8-e4m3fnuz');

  it('counts equal the round() reference, add up to total, histogram totals equal the count', () => {
    fc.assert(fc.property(bitsArb, fmtArb, fc.boolean(), (bits, to, ftz) => {
      const x = f32FromBits(bits);
      const opts = ftz ? { flushSubnormals: true } : undefined;
      const a = analyzeCast(x, to, opts);
      expect(countsOf(a)).toEqual(referenceCounts(x, to, opts));
      const c = a.counts;
      expect(c.zeros + c.exact + c.rounded + c.flushedToZero + c.overflowed + c.invalid + c.nanInputs + c.infInputs).toBe(c.total);
      expect(a.histogram.total).toBe(c.total);
      expect(a.histogram.bins.reduce((s, b) => s + b.count, 0)).toBe(c.nonzeroFinite);
      expect(c.becameSubnormal).toBeLessThanOrEqual(c.exact + c.rounded);
    }), { numRuns: 300 });
  });

  it('flushedToZero counts exactly the nonzero x with round(x) = 0', () => {
    fc.assert(fc.property(bitsArb, fc.constantFrom('bf16', 'fp16', 'fp8-e5m2'), (bits, to) => {
      const x = f32FromBits(bits);
      let n = 0;
      for (const v of x) if (v !== 0 && Number.isFinite(v) && round(v, to) === 0) n++;
      expect(analyzeCast(x, to).counts.flushedToZero).toBe(n);
    }), { numRuns: 300 });
  });

  it('scaling by a power of two inside the normal range changes no count; errors scale exactly', () => {
    // values in [2^-60, 2^60) scaled by 2^k, |k| <= 40: always normal in float32 and bf16
    const valArb = fc.array(fc.double({ min: 2 ** -60, max: 2 ** 60, noNaN: true }).chain((v) => fc.constantFrom(v, -v)), { minLength: 1, maxLength: 200 });
    fc.assert(fc.property(valArb, fc.integer({ min: -40, max: 40 }), (vals, k) => {
      const x = new Float32Array(vals);
      const y = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = x[i] * 2 ** k;
      const a = analyzeCast(x, 'bf16'), b = analyzeCast(y, 'bf16');
      expect(b.counts).toEqual(a.counts);
      expect(b.error.maxRelError).toBe(a.error.maxRelError);
      expect(b.error.maxAbsError).toBe(a.error.maxAbsError * 2 ** k);
      expect(b.histogram.bins.map((h) => [h.exponent - k, h.count])).toEqual(a.histogram.bins.map((h) => [h.exponent, h.count]));
    }), { numRuns: 200 });
  });

  it('streaming in chunks gives the one-shot result (up to the order of the error sums); inputs are never mutated', () => {
    fc.assert(fc.property(bitsArb, fc.array(fc.nat(300), { maxLength: 4 }), fmtArb, (bits, cuts, to) => {
      const x = f32FromBits(bits);
      const copy = x.slice();
      const one = analyzeCast(x, to, { topK: 5 });
      const an = createCastAnalyzer(to, { topK: 5 });
      const points = [...new Set(cuts.map((c) => c % (x.length + 1)))].sort((p, q) => p - q);
      let prev = 0;
      for (const p of [...points, x.length]) { an.add(x.subarray(prev, p)); prev = p; }
      expectEqualUpToSumOrder(an.finish(), one, x.length);
      expect(x).toEqual(copy);
    }), { numRuns: 200 });
  });

  it('codes of another format are decoded exactly: { codes, format } equals the decoded floats', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 200 }), fc.constantFrom('fp8-e4m3fn', 'fp8-e5m2', 'bf16'), (codes, to) => {
      const c = new Uint16Array(codes);
      const vals = decodeArray(c, 'fp16', { out: new Float64Array(c.length) });
      const a = analyzeCast({ codes: c, format: 'fp16' }, to);
      const b = analyzeCast(vals, to);
      expect(a.counts).toEqual(b.counts);
      expect(a.source).toBe('fp16');
    }), { numRuns: 100 });
  });
});

describe('analyzeCast specifics', () => {
  it('classifies the boundary values of fp16', () => {
    const x = new Float32Array([65504, 65519.99609375, 65520, -70000, 2 ** -25, 2 ** -25 * 1.0000001, 2 ** -24, 2 ** -14, 0, -0, NaN, -Infinity]);
    const a = analyzeCast(x, 'fp16');
    expect(a.counts).toMatchObject({ total: 12, zeros: 2, nanInputs: 1, infInputs: 1, overflowed: 2, flushedToZero: 1, exact: 3, rounded: 2, becameSubnormal: 2 });
    expect(a.verdict).toBe('overflow-risk');
    expect(a.reasons[0]).toMatch(/^2 of 8 finite nonzero values \(25\.0%\) overflow fp16 and become ±inf/);
    expect(a.worst[0]).toMatchObject({ index: 2, relError: Infinity });
  });

  it('saturating overflow counts values beyond the threshold only (e4m3fn: 464 rounds to 448, a tie to even)', () => {
    const a = analyzeCast([448, 460, 464, 465, 1e6], 'fp8-e4m3fn', { overflow: 'saturate' });
    expect(a.counts.overflowed).toBe(2);
    expect(a.counts.rounded).toBe(2);
    expect(analyzeCast([464, 465], 'fp8-e4m3fn').counts.overflowed).toBe(1);
  });

  it('headroom, footroom and the sentence of an underflow', () => {
    const x = new Float32Array(40960).fill(0.5);
    for (let i = 0; i < 312; i++) x[i] = 3.1e-9;
    const a = analyzeCast(x, 'fp16');
    expect(a.verdict).toBe('underflow-risk');
    expect(a.reasons[0]).toBe("312 of 40,960 values (0.76%) flush to zero in fp16; the smallest nonzero |x| is 3.1e-9, 2^-28.3, below fp16's smallest subnormal 6.0e-8.");
    expect(a.range.headroomBits).toBeCloseTo(Math.log2(65504 / 0.5), 12);
    expect(a.range.footroomBits).toBeCloseTo(Math.log2(Math.fround(3.1e-9)) + 14, 12);
    expect(a.histogram.bins.find((b) => b.exponent === exponentOf(Math.fround(3.1e-9)))?.band).toBe('underflow');
  });

  it('thresholds are options: a tolerated flush keeps the verdict, a demanded headroom raises it', () => {
    const x = new Float32Array([1e-9, 0.5, 0.25, 0.125]);
    expect(analyzeCast(x, 'fp16', { thresholds: { maxFlushedFraction: 0.5 } }).verdict).toBe('safe');
    expect(analyzeCast(x, 'fp16', { thresholds: { maxFlushedFraction: 0.5, minHeadroomBits: 20 } }).verdict).toBe('overflow-risk');
    expect(analyzeCast(new Float32Array([1, 0.3, 0.7]), 'fp8-e4m3fn').verdict).toBe('lossy');
    expect(analyzeCast(new Float32Array([1, 0.3, 0.7]), 'fp8-e4m3fn', { thresholds: { minSqnrDb: 20 } }).verdict).toBe('safe');
  });

  it('negative values into the unsigned e8m0 are invalid, not overflow', () => {
    const a = analyzeCast([-1, 2, 4], 'fp8-e8m0fnu');
    expect(a.counts.invalid).toBe(1);
    expect(a.counts.exact).toBe(2);
  });

  it('float64 inputs far outside float32 keep exact statistics (squares are rescaled, not underflowed)', () => {
    // every measured value flushes to zero, so Σ(x − r)² = Σx² and the SQNR is exactly 0 dB; squares
    // of 1e-300 computed unscaled would underflow to 0 and give +inf (or NaN)
    const a = analyzeCast(new Float64Array([1e300, 3e299, 1e-300]), 'bf16');
    expect(a.counts.overflowed).toBe(2);
    expect(a.counts.flushedToZero).toBe(1);
    expect(a.error.sqnrDb).toBe(0);
    const b = analyzeCast(new Float64Array([1e-300, 3e-301, 7e-302]), 'fp32');
    expect(b.counts.flushedToZero).toBe(3);
    expect(b.error.sqnrDb).toBe(0);
  });

  it('errors: empty input, wrong types, unknown format, bad options, bad codes', () => {
    expect(() => analyzeCast(new Float32Array(0), 'fp16')).toThrow(RangeError);
    expect(() => analyzeCast(new Float32Array(0), 'fp16')).toThrow(/empty/);
    expect(() => analyzeCast(new Int8Array(3) as never, 'fp16')).toThrow(TypeError);
    expect(() => analyzeCast('abc' as never, 'fp16')).toThrow(/Float32Array, Float64Array, number\[\] or \{ codes, format \}, got the string 'abc'/);
    expect(() => analyzeCast([1, '2' as never], 'fp16')).toThrow(/values\[1\] must be a number/);
    expect(() => analyzeCast(new Float32Array(2), 'fp12')).toThrow(/unknown format 'fp12'/);
    expect(() => analyzeCast(new Float32Array(2), 'fp8-e4m3fn', { overflow: 'inf' })).toThrow(RangeError);
    expect(() => analyzeCast(new Float32Array(2), 'fp16', { topK: -1 })).toThrow(/topK/);
    expect(() => analyzeCast(new Float32Array(2), 'fp16', { thresholds: { maxFlushedFraction: 2 } })).toThrow(/\[0, 1\]/);
    expect(() => analyzeCast({ codes: new Uint8Array([255, 1]), format: 'fp4-e2m1fn' }, 'fp16')).toThrow(/code 255 at index 0/);
    expect(() => createCastAnalyzer('fp16').add(null as never)).toThrow(TypeError);
  });

  it('a Float32Array subarray (byteOffset) is read in place', () => {
    const big = new Float32Array([1e-9, 1, 2, 1e-9]);
    expect(analyzeCast(big.subarray(1, 3), 'fp16').counts.flushedToZero).toBe(0);
    expect(analyzeCast(big.subarray(2), 'fp16').counts.flushedToZero).toBe(1);
  });

  it('getFormat objects work as targets', () => {
    expect(analyzeCast([1, 2], getFormat('bf16')).format).toBe('bf16');
  });
});
