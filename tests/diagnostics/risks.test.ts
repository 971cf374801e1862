// compareFormats, divisionRisk, safeEpsilon, checkConstants, accumulationRisk. Oracles: per-element
// round() of lowp/formats, a plain sequential accumulation with round() at every step (on terms whose
// float64 sums are exact), and hand-computed facts (4096 ones in bf16 give 256).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { accumulationRisk } from '../../src/diagnostics/accumulationRisk.js';
import { compareFormats } from '../../src/diagnostics/compareFormats.js';
import { checkConstants, WELL_KNOWN_CONSTANTS } from '../../src/diagnostics/constants.js';
import { divisionRisk, safeEpsilon } from '../../src/diagnostics/divisionRisk.js';
import { finfo } from '../../src/formats/finfo.js';
import { round } from '../../src/formats/scalar.js';
import { loadVectors } from '../helpers/vectors.js';

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true });

describe('compareFormats', () => {
  it('recommends bf16 when fp16 overflows, fp16 when both are safe (same bits, more precision)', () => {
    const c = compareFormats(new Float32Array([1e5, 0.5, 3e-3]), ['fp16', 'bf16']);
    expect(c.recommended).toBe('bf16');
    expect(c.reason).toMatch(/fp16 overflows here \(1 value overflow/);
    const d = compareFormats(new Float32Array([1, 0.5, 0.3]), ['bf16', 'fp16', 'fp8-e4m3fn']);
    expect(d.recommended).toBe('fp16');
    expect(d.ranking).toEqual(['fp16', 'bf16', 'fp8-e4m3fn']);
    expect(d.reason).toMatch(/bf16 is also safe but less precise/);
    expect(d.analyses.map((a) => a.format)).toEqual(['bf16', 'fp16', 'fp8-e4m3fn']);
  });

  it('on the model gradients: bf16 (fp16 flushes them)', () => {
    const v = loadVectors('digits-transformer');
    const g = v.get(v.keys.find((k) => k.startsWith('grad.enc.layers.0.linear1.weight')) as string).data as Float32Array;
    const c = compareFormats(g, ['fp16', 'bf16']);
    expect(c.recommended).toBe('bf16');
    expect(c.reason).toMatch(/fp16 loses small values here/);
  });

  it('errors', () => {
    expect(() => compareFormats(new Float32Array(2), [])).toThrow(TypeError);
    expect(() => compareFormats(new Float32Array(0), ['bf16'])).toThrow(RangeError);
    expect(() => compareFormats(new Float32Array(2), ['fp12'])).toThrow(/unknown format/);
  });
});

describe('divisionRisk and safeEpsilon', () => {
  it('matches a per-element reference with round(); quotients computed in the format', () => {
    fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 200 }), fc.array(f32, { minLength: 200, maxLength: 200 }), fc.constantFrom('fp16', 'bf16', 'fp8-e4m3fn'), (ds, ns, to) => {
      const d = new Float32Array(ds), n = new Float32Array(ns.slice(0, ds.length));
      const copy = d.slice();
      const r = divisionRisk(d, to, { numerators: n, maxIndices: 1000 });
      const sn = finfo(to).smallestNormal;
      const zero: number[] = [], sub: number[] = [], q: number[] = [];
      for (let i = 0; i < d.length; i++) {
        const rd = round(d[i], to);
        if (d[i] !== 0 && rd === 0) zero.push(i);
        if (d[i] !== 0 && rd !== 0 && Math.abs(rd) < sn) sub.push(i);
        const before = n[i] / d[i];
        const after = round(round(n[i], to) / rd, to);
        if (Number.isFinite(before) && (!Number.isFinite(after) || (Math.abs(after) === finfo(to).max && Math.abs(before) > finfo(to).max))) q.push(i);
      }
      expect(r.becomeZero).toEqual({ count: zero.length, indices: zero });
      expect(r.becomeSubnormal).toEqual({ count: sub.length, indices: sub });
      expect(r.quotientOverflow).toEqual({ count: q.length, indices: q });
      expect(d).toEqual(copy);
    }), { numRuns: 150 });
  });

  it('the documented example and the index bound', () => {
    const r = divisionRisk(new Float32Array([1e-8, 0.5, 1e-6]), 'fp16', { numerators: 1 });
    expect(r.becomeZero).toEqual({ count: 1, indices: [0] });
    expect(r.becomeSubnormal).toEqual({ count: 1, indices: [2] });
    expect(r.quotientOverflow).toEqual({ count: 2, indices: [0, 2] });
    const many = divisionRisk(new Float32Array(500).fill(1e-9), 'fp16', { maxIndices: 3 });
    expect(many.becomeZero.count).toBe(500);
    expect(many.becomeZero.indices).toEqual([0, 1, 2]);
    expect(many.quotientOverflow).toBeNull();
    expect(() => divisionRisk(new Float32Array(3), 'fp16', { numerators: new Float32Array(2) })).toThrow(/same length/);
    expect(() => divisionRisk(new Float32Array(0), 'fp16')).toThrow(/empty/);
  });

  it('stochastic rounding with a seed draws one random stream over all the casts (reference: round() with one seeded source)', () => {
    // just above half of fp16's smallest subnormal: each cast is 0 or 2^-24 with probability ~1/2, so a
    // single draw reused for every element (all or nothing) is told apart from a stream
    const d = new Float64Array(2000).fill(2 ** -25 + 2 ** -40);
    const n = new Float64Array(2000).fill(2 ** -10);
    for (const seed of [1, 2, 3]) {
      const r = divisionRisk(d, 'fp16', { numerators: n, rounding: 'stochastic', seed, maxIndices: 2000 });
      const rng = createRng(seed);
      const opts = { rounding: 'stochastic' as const, random: rng };
      const zero: number[] = [], q: number[] = [];
      for (let i = 0; i < d.length; i++) {
        const rd = round(d[i], 'fp16', opts);
        if (rd === 0) zero.push(i);
        const rq = round(round(n[i], 'fp16', opts) / rd, 'fp16', opts);
        if (!Number.isFinite(rq)) q.push(i); // every quotient is finite before the cast (at most 2^15)
      }
      expect(r.becomeZero).toEqual({ count: zero.length, indices: zero });
      expect(r.quotientOverflow).toEqual({ count: q.length, indices: q });
      expect(zero.length).toBeGreaterThan(800);
      expect(zero.length).toBeLessThan(1200);
    }
  });

  it('safeEpsilon is the smallest value that survives as a normal number (torch.finfo(dtype).smallest_normal)', () => {
    // PyTorch's torch.finfo(dtype).smallest_normal (alias tiny) and its mantissa bits (nmant) for float16,
    // bfloat16, float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz and float32
    const torchFinfo: Record<string, [tiny: number, nmant: number]> = {
      fp16: [6.103515625e-5, 10], bf16: [1.1754943508222875e-38, 7], 'fp8-e4m3fn': [0.015625, 3], 'fp8-e5m2': [6.103515625e-5, 2],
      'fp8-e4m3fnuz': [0.0078125, 3], 'fp8-e5m2fnuz': [3.0517578125e-5, 2], fp32: [1.1754943508222875e-38, 23],
    };
    for (const [to, [tiny, m]] of Object.entries(torchFinfo)) {
      const e = safeEpsilon(to);
      expect(e, to).toBe(tiny);
      expect(round(e, to)).toBe(e);
      // the largest subnormal, tiny·(1 − 2^-m), is exact but not normal; the gap below tiny is a subnormal step
      const below = tiny * (1 - 2 ** -m);
      expect(round(below, to), to).toBe(below);
      expect(finfo(to).smallestSubnormal, to).toBe(tiny * 2 ** -m);
    }
    expect(safeEpsilon('fp16')).toBe(6.103515625e-5);
  });
});

describe('checkConstants', () => {
  it('the issue example and the well-known list in fp16 and bf16', () => {
    const r = checkConstants({ adamEps: 1e-8, layerNormEps: 1e-12, maskValue: -1e9 }, 'fp16');
    expect(r.map((c) => c.kind)).toEqual(['flush-to-zero', 'flush-to-zero', 'overflow']);
    expect(r[2].castsTo).toBe(-Infinity);
    expect(r[2].suggestion).toMatch(/-65504/);
    expect(checkConstants({ tiny: 1e-4 }, 'bf16')[0].kind).toBe('absorbed');
    const byName = (to: string) => Object.fromEntries(checkConstants(WELL_KNOWN_CONSTANTS, to).map((c) => [c.name, c]));
    const h = byName('fp16');
    expect(h['torch.optim.Adam.eps'].kind).toBe('flush-to-zero');
    expect(h['torch.nn.LayerNorm.eps'].kind).toBe('subnormal');
    expect(h['bert.layer_norm_eps'].kind).toBe('flush-to-zero');
    expect(h['transformers.mask_fill.finfo(float32).min'].kind).toBe('overflow');
    expect(h['t5.fp16_clamp_value']).toMatchObject({ kind: 'rounded', castsTo: 64512 });
    expect(h['torch.amp.GradScaler.init_scale'].kind).toBe('overflow');
    expect(h['attention.mask_fill.-inf'].kind).toBe('exact');
    expect(h['llm_int8.threshold'].kind).toBe('exact');
    const b = byName('bf16');
    expect(b['torch.optim.Adam.eps'].kind).toBe('absorbed');
    // float32's min is beyond bf16's overflow threshold (2 − 2^-8)·2^127: it becomes -inf in bf16 too
    expect(b['transformers.mask_fill.finfo(float32).min']).toMatchObject({ kind: 'overflow', castsTo: -Infinity });
    expect(b['torch.amp.GradScaler.init_scale'].kind).toBe('exact');
    const e4 = byName('fp8-e4m3fn');
    expect(e4['attention.mask_fill.-inf'].kind).toBe('overflow');
  });

  it('kinds follow their precedence and agree with round() (fast-check)', () => {
    fc.assert(fc.property(fc.double({ noNaN: true }), fc.constantFrom('fp16', 'bf16', 'fp8-e5m2'), (v, to) => {
      const [c] = checkConstants({ x: v }, to);
      const r = round(v, to);
      const fi = finfo(to);
      expect(Object.is(c.castsTo, r)).toBe(true);
      if (!Number.isFinite(r) && Number.isFinite(v)) expect(c.kind).toBe('overflow');
      else if (v !== 0 && r === 0) expect(c.kind).toBe('flush-to-zero');
      else if (r !== 0 && Number.isFinite(r) && Math.abs(r) < fi.smallestNormal) expect(c.kind).toBe('subnormal');
      else if (Number.isFinite(v) && v !== 0 && Math.abs(v) < 1 && round(1 + r, to) === 1) expect(c.kind).toBe('absorbed');
      else if (r !== v && Number.isFinite(v)) expect(c.kind).toBe('rounded');
      else if (Number.isFinite(v)) expect(c.kind).toBe('exact');
    }), { numRuns: 500 });
  });

  it('errors', () => {
    expect(() => checkConstants({ a: 'x' as never }, 'fp16')).toThrow(TypeError);
    expect(() => checkConstants({ a: NaN }, 'fp16')).toThrow(/NaN/);
    expect(() => checkConstants({}, 'fp16')).toThrow(RangeError);
    expect(() => checkConstants(null as never, 'fp16')).toThrow(TypeError);
  });
});

describe('accumulationRisk', () => {
  it('4096 ones summed in bf16 give 256; fp16 stalls at 2048; fp32 is exact', () => {
    const ones = new Float32Array(4096).fill(1);
    const b = accumulationRisk(ones, { accumulate: 'bf16' });
    expect(b).toMatchObject({ result: 256, reference: 4096, firstStallIndex: 256, stalledTerms: 3840, absError: 3840, firstOverflowIndex: null });
    expect(accumulationRisk(ones, { accumulate: 'fp16' })).toMatchObject({ result: 2048, firstStallIndex: 2048 });
    expect(accumulationRisk(ones, { accumulate: 'fp32' })).toMatchObject({ result: 4096, firstStallIndex: null, absError: 0 });
  });

  it('overflow of an fp16 sum of squares, and the dot product', () => {
    const x = new Float32Array(100).fill(300); // squares 90000 > 65504 already
    const r = accumulationRisk(x, { op: 'sumsq', accumulate: 'fp16' });
    expect(r.firstOverflowIndex).toBe(0);
    expect(r.result).toBe(Infinity);
    expect(r.reference).toBe(9e6);
    const d = accumulationRisk(new Float32Array([1, 2, 3]), { op: 'dot', other: new Float32Array([4, 5, 6]), accumulate: 'bf16' });
    expect(d.result).toBe(32);
    expect(() => accumulationRisk(new Float32Array(3), { op: 'dot' })).toThrow(/other/);
    expect(() => accumulationRisk(new Float32Array(3), { op: 'dot', other: new Float32Array(2) })).toThrow(/same length/);
    expect(() => accumulationRisk(new Float32Array(3), { op: 'max' as never })).toThrow(/op/);
    expect(() => accumulationRisk(new Float32Array(0))).toThrow(/empty/);
  });

  it('equals a sequential round(acc + term) loop (terms with few bits, so float64 sums are exact)', () => {
    const term = fc.integer({ min: -4096, max: 4096 }).chain((m) => fc.integer({ min: -20, max: 6 }).map((e) => m * 2 ** e));
    fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 300 }), fc.constantFrom('fp16', 'bf16', 'fp8-e5m2'), (ts, to) => {
      const x = new Float64Array(ts);
      const r = accumulationRisk(x, { accumulate: to });
      let acc = 0, firstStall: number | null = null;
      for (let i = 0; i < x.length; i++) {
        const next = round(acc + x[i], to);
        if (firstStall === null && x[i] !== 0 && next === acc && Number.isFinite(acc)) firstStall = i;
        acc = next;
      }
      expect(Object.is(r.result, acc) || (Number.isNaN(r.result) && Number.isNaN(acc))).toBe(true);
      expect(r.firstStallIndex).toBe(firstStall);
      expect(r.reference).toBe(ts.reduce((s, v) => s + v, 0));
    }), { numRuns: 300 });
  });

  it('fp32 accumulation is correctly rounded at every step (round-to-odd), even where acc + term is inexact in float64', () => {
    // acc = 1 + 2^-23 (odd last bit), term = 2^-24 + 2^-80: exact sum is just above the midpoint → rounds up
    const x = new Float64Array([1 + 2 ** -23, 2 ** -24 + 2 ** -80]);
    expect(accumulationRisk(x, { accumulate: 'fp32' }).result).toBe(1 + 2 ** -22);
    // and just below a midpoint with an even neighbour: 1 + 2^-24 − 2^-80 rounds down to 1
    const y = new Float64Array([1, 2 ** -24 - 2 ** -80]);
    expect(accumulationRisk(y, { accumulate: 'fp32' }).result).toBe(1);
  });
});

describe('no function modifies its inputs (fast-check)', () => {
  it('analyzeCast, compareFormats, divisionRisk, accumulationRisk, recommendLossScale, DynamicLossScaler.unscale', async () => {
    const { analyzeCast } = await import('../../src/diagnostics/analyzeCast.js');
    const { recommendLossScale } = await import('../../src/diagnostics/lossScale.js');
    const { DynamicLossScaler } = await import('../../src/diagnostics/dynamicLossScaler.js');
    fc.assert(fc.property(fc.array(fc.float(), { minLength: 1, maxLength: 100 }), (vals) => {
      const x = new Float32Array(vals), y = new Float64Array(vals), z = [...vals];
      const cx = x.slice(), cy = y.slice(), cz = z.slice();
      analyzeCast(x, 'fp16'); analyzeCast(y, 'fp8-e4m3fn'); analyzeCast(z, 'bf16');
      compareFormats(x, ['bf16', 'fp16']);
      divisionRisk(x, 'fp16', { numerators: y });
      accumulationRisk(x, { op: 'dot', other: y, accumulate: 'bf16' });
      recommendLossScale([x, y], 'fp16');
      new DynamicLossScaler().unscale([x, y]);
      expect(x).toEqual(cx); expect(y).toEqual(cy); expect(z).toEqual(cz);
    }), { numRuns: 100 });
  });
});

describe('hostile input: codes in the wrong array type', () => {
  it('bf16 codes in a Uint8Array (bytes, each a valid tiny bf16 code) are a TypeError, not analysed as garbage', () => {
    const bytes = new Uint8Array([0x80, 0x3f, 0x00, 0x40]); // the bytes of bf16 [1, 2]
    expect(() => divisionRisk({ codes: bytes, format: 'bf16' }, 'fp16')).toThrow(/divisionRisk: denominators\.codes: bf16 codes are held in a Uint16Array \(as encodeArray returns them\), got a Uint8Array of length 4/);
    expect(() => accumulationRisk({ codes: bytes, format: 'bf16' })).toThrow(TypeError);
    expect(() => compareFormats({ codes: new Uint16Array([0x38]), format: 'fp8-e4m3fn' }, ['fp16'])).toThrow(/fp8-e4m3fn codes are held in a Uint8Array/);
    expect(() => divisionRisk({ codes: new Uint16Array([0x3f80]), format: 'fp32' }, 'fp16')).toThrow(/Uint32Array/);
    // the right types are read as before
    expect(divisionRisk({ codes: new Uint16Array([0x3f80, 0x4000]), format: 'bf16' }, 'fp16').total).toBe(2);
    expect(accumulationRisk({ codes: new Uint8Array([0x38, 0x40]), format: 'fp8-e4m3fn' }).reference).toBe(3);
  });
});
