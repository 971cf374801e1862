// recommendLossScale and the cast report. Oracles: brute force over every power-of-two scale with the
// per-element round() reference (tests/diagnostics/reference.ts) on the exactly scaled values, and
// analyzeCast on the scaled data; the report against its own JSON round trip and JSON Schema.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCast } from '../../src/diagnostics/analyzeCast.js';
import { checkConstants, WELL_KNOWN_CONSTANTS } from '../../src/diagnostics/constants.js';
import { recommendLossScale } from '../../src/diagnostics/lossScale.js';
import { CAST_REPORT_JSON_SCHEMA, CAST_REPORT_SCHEMA, createCastReport, fromJsonNumber, summarizeAnalyses, toJsonSafe } from '../../src/diagnostics/report.js';
import { loadVectors } from '../helpers/vectors.js';
import { referenceCounts } from './reference.js';

function scaled(x: ArrayLike<number>, k: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] * 2 ** k; // exact
  return y;
}

describe('recommendLossScale', () => {
  const valArb = fc.array(fc.oneof(
    fc.double({ min: 2 ** -40, max: 2 ** 12, noNaN: true }).map((v) => Math.fround(v)),
    fc.constantFrom(0, 2 ** -25, 65520, 65504, 2 ** -24 * 1.5),
  ).chain((v) => fc.constantFrom(v, -v)), { minLength: 1, maxLength: 80 });

  it('equals a brute-force search with round() over every scale (no overflow, min flushed, then min subnormal, then smallest scale)', () => {
    fc.assert(fc.property(valArb, fc.boolean(), (vals, ftz) => {
      const x = new Float32Array(vals);
      const opts = { flushSubnormals: ftz };
      const r = recommendLossScale(x, 'fp16', opts);
      if (x.every((v) => v === 0)) { expect(r.scale).toBe(1); return; } // documented: nothing to scale
      let best: { k: number; flushed: number; sub: number } | null = null;
      for (let k = -60; k <= 80; k++) {
        const c = referenceCounts(scaled(x, k), 'fp16', opts);
        if (c.overflowed > 0) continue;
        if (best === null || c.flushedToZero < best.flushed || (c.flushedToZero === best.flushed && c.becameSubnormal < best.sub)) {
          best = { k, flushed: c.flushedToZero, sub: c.becameSubnormal };
        }
      }
      expect(best).not.toBeNull();
      expect(r.after.flushedToZero).toBe(best!.flushed);
      expect(r.after.becameSubnormal).toBe(best!.sub);
      expect(r.log2Scale).toBe(best!.k);
      // the counts at the chosen scale and at scale 1 are what analyzeCast finds on the scaled data
      for (const c of [r.before, r.after]) {
        const a = analyzeCast(scaled(x, c.log2Scale), 'fp16', opts);
        expect([c.flushedToZero, c.becameSubnormal, c.overflowed]).toEqual([a.counts.flushedToZero, a.counts.becameSubnormal, a.counts.overflowed]);
      }
    }), { numRuns: 60 });
  });

  it('on the model gradients and Adam moments (fp16)', () => {
    const v = loadVectors('digits-transformer');
    const grads = v.keys.filter((k) => k.startsWith('grad.')).map((k) => v.get(k).data as Float32Array);
    const r = recommendLossScale(grads, 'fp16');
    expect(r.before.flushedToZero).toBeGreaterThan(0);
    expect(r.after.flushedToZero).toBeLessThan(r.before.flushedToZero);
    expect(r.after.overflowed).toBe(0);
    let f0 = 0, fk = 0;
    for (const g of grads) {
      f0 += referenceCounts(g, 'fp16').flushedToZero;
      fk += referenceCounts(scaled(g, r.log2Scale), 'fp16').flushedToZero;
    }
    expect([r.before.flushedToZero, r.after.flushedToZero]).toEqual([f0, fk]);
    expect(r.reason).toMatch(/^Scaling by 2\^\d+ = /);
  });

  it('bounds, large gradients (a scale below 1), errors', () => {
    const big = new Float32Array([1e6, 3, 1e-3]);
    const r = recommendLossScale(big, 'fp16');
    expect(r.before.overflowed).toBe(1);
    expect(r.after.overflowed).toBe(0);
    expect(r.log2Scale).toBeLessThan(0);
    // 1e-9 needs 2^5 not to flush and 2^16 to be normal; with at most 2^3 it flushes anyway, and 2^-4
    // is the smallest scale that keeps 1e-3 normal
    expect(recommendLossScale(new Float32Array([1e-9, 1e-3]), 'fp16').log2Scale).toBe(16);
    const bounded = recommendLossScale(new Float32Array([1e-9, 1e-3]), 'fp16', { maxLog2Scale: 3 });
    expect(bounded.log2Scale).toBe(-4);
    expect(bounded.optimalLog2Range).toEqual([-4, 3]);
    expect(recommendLossScale(new Float32Array([1e-9, 3e-6, 0.02]), 'fp16').scale).toBe(65536);
    // headroom: 2^16 makes 1e-9 normal but leaves 0.5 · 2^16 = 32768 only 0.9993 bits below 65504;
    // asking for 1 bit allows at most 2^15, where 1e-9 stays subnormal anyway, so the smallest scale
    // that flushes nothing, 2^5, wins
    const tight = new Float32Array([1e-9, 0.5]);
    expect(recommendLossScale(tight, 'fp16').log2Scale).toBe(16);
    const roomy = recommendLossScale(tight, 'fp16', { minHeadroomBits: 1 });
    expect(roomy.log2Scale).toBe(5);
    expect(roomy.after).toMatchObject({ flushedToZero: 0, becameSubnormal: 1, overflowed: 0 });
    expect(roomy.after.headroomBits).toBeGreaterThanOrEqual(1);
    expect(recommendLossScale(new Float32Array([0, 0]), 'fp16').scale).toBe(1);
    expect(() => recommendLossScale(new Float32Array(0))).toThrow(/empty/);
    expect(() => recommendLossScale(new Float32Array(2), 'fp8-e8m0fnu')).toThrow(RangeError);
    expect(() => recommendLossScale(new Float32Array(2), 'fp16', { minLog2Scale: 0.5 })).toThrow(/integer/);
    expect(() => recommendLossScale('g' as never)).toThrow(TypeError);
  });
});

describe('cast report (lowp.cast-report/1)', () => {
  const v = loadVectors('digits-transformer');
  const keys = v.keys.filter((k) => /^(grad|adam)/.test(k)).slice(0, 6);
  const tensors = keys.map((k) => ({ name: k, shape: v.get(k).shape, analysis: analyzeCast(v.get(k).data as Float32Array, 'fp16') }));

  it('is JSON-safe: JSON round trip loses nothing, non-finite numbers are strings', () => {
    const rep = createCastReport({
      tensors,
      constants: checkConstants(WELL_KNOWN_CONSTANTS, 'fp16'),
      lossScale: recommendLossScale(keys.map((k) => v.get(k).data as Float32Array), 'fp16'),
      version: '0.1.0',
    });
    expect(rep.schema).toBe(CAST_REPORT_SCHEMA);
    const json = JSON.stringify(rep);
    expect(JSON.parse(json)).toEqual(rep);
    expect(json).not.toMatch(/null/);
    const c = rep.constants!.find((x) => x.name === 'attention.mask_fill.-inf')!;
    expect(c.value).toBe('-Infinity');
    expect(fromJsonNumber(c.value)).toBe(-Infinity);
    expect(rep.summary.tensors).toBe(keys.length);
    expect(rep.summary.counts.total).toBe(tensors.reduce((s, t) => s + t.analysis.counts.total, 0));
    expect(rep.summary.verdict).toBe('underflow-risk');
    expect(rep.tensors[0].shape).toEqual(v.get(keys[0]).shape);
  });

  it('has every property the JSON Schema requires', () => {
    const rep = createCastReport({ tensors });
    for (const k of CAST_REPORT_JSON_SCHEMA.required) expect(rep).toHaveProperty(k);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const schema = CAST_REPORT_JSON_SCHEMA as any;
    const t = schema.properties.tensors.items;
    for (const tensor of rep.tensors) {
      for (const k of t.required) expect(tensor).toHaveProperty(k);
      for (const k of t.properties.error.required) expect(tensor.error).toHaveProperty(k);
      for (const k of t.properties.range.required) expect(tensor.range).toHaveProperty(k);
      for (const k of t.properties.histogram.required) expect(tensor.histogram).toHaveProperty(k);
    }
    for (const k of schema.properties.summary.required) expect(rep.summary).toHaveProperty(k);
  });

  it('toJsonSafe never modifies its input; errors are clear', () => {
    const a = analyzeCast([0, 0], 'fp16');
    const before = structuredClone(a);
    const j = toJsonSafe(a);
    expect(a).toEqual(before);
    expect(j.range.minAbsNonzero).toBe('Infinity');
    expect(() => createCastReport({ tensors: [] })).toThrow(TypeError);
    expect(() => createCastReport({ tensors: [tensors[0], { name: 'x', analysis: analyzeCast([1], 'bf16') }] })).toThrow(/one target format/);
    expect(() => fromJsonNumber('inf' as never)).toThrow(TypeError);
  });

  it('toJsonSafe turns integer typed arrays into arrays too (they became {"0": .., "1": ..} objects) and refuses cycles', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 20 }), (xs) => {
      const src = { i8: Int8Array.from(xs), u8: Uint8Array.from(xs.map((x) => x & 255)), i32: Int32Array.from(xs), u16: Uint16Array.from(xs.map((x) => x & 0xffff)) };
      const j = JSON.parse(JSON.stringify(toJsonSafe(src)));
      return Array.isArray(j.i8) && JSON.stringify(j.i8) === JSON.stringify(xs) && JSON.stringify(j.i32) === JSON.stringify(xs) &&
        JSON.stringify(j.u8) === JSON.stringify(Array.from(src.u8)) && JSON.stringify(j.u16) === JSON.stringify(Array.from(src.u16));
    }), { numRuns: 100 });
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = { back: cyc };
    expect(() => toJsonSafe(cyc)).toThrow(/toJsonSafe: expected a tree of values, got a circular reference/);
    const shared = { x: NaN }; // the same object twice is not a cycle
    expect(toJsonSafe({ p: shared, q: [shared] })).toEqual({ p: { x: 'NaN' }, q: [{ x: 'NaN' }] });
  });

  it('summarizeAnalyses / createCastReport say what a malformed tensor entry is (no raw TypeError)', () => {
    for (const bad of [[null], [{}], [{ name: 'w' }], [{ name: 1, analysis: tensors[0].analysis }], [{ name: 'w', analysis: { counts: {} } }]]) {
      expect(() => summarizeAnalyses(bad as never)).toThrow(/summarizeAnalyses: each tensor must be \{ name: string, analysis: CastAnalysis \}/);
      expect(() => createCastReport({ tensors: bad } as never)).toThrow(/createCastReport: each tensor must be/);
    }
    expect(() => summarizeAnalyses([] as never)).toThrow(RangeError);
    expect(() => summarizeAnalyses('x' as never)).toThrow(TypeError);
    expect(summarizeAnalyses(tensors).tensors).toBe(tensors.length);
  });
});
