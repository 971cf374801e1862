// The streamed training analysis (src/diagnostics/trainingStream.ts: one pass over chunks, the estimate on
// its gathered sample, both implementations at once) against its reference twin (runAdamStep per
// implementation over the whole tensor, every element through the generic reader): the reports must be
// identical, figure for figure, on random tensors with every kind of special value, random chunkings,
// sample sizes smaller and larger than the tensor, both precisions and optimizers; and on the real
// trainer checkpoints (tests/helpers/adam-truth.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeTrainingTensor, analyzeTrainingTensorReference, createTrainingAnalyzer, type TrainingReadinessOptions, type TrainingTensorInput,
} from '../../src/diagnostics/trainingReadiness.js';
import { loadAdamTruth } from '../helpers/adam-truth.js';

const SPECIAL = [0, -0, 1e-45, -1e-45, 1e-40, 5.9e-8, 6e-8, 2.98e-8, 2 ** -25, 2 ** -24, 6.1e-5, 2 ** -14, 2 ** -126, 1e-38, 65504, 65520, 1e5, 3.4e38, Infinity, -Infinity, NaN];

/** float32 values: mostly model-like, with special values mixed in. */
const f32Array = (n: number, scale: number) =>
  fc.array(fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -1, max: 1, noNaN: true }).map((x) => x * scale) },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 1, arbitrary: fc.float({ noDefaultInfinity: false }) },
  ), { minLength: n, maxLength: n }).map((a) => new Float32Array(a));

const tensorArb = fc.integer({ min: 1, max: 9000 }).chain((n) =>
  fc.record({
    weight: f32Array(n, 0.05),
    expAvg: f32Array(n, 1e-4),
    expAvgSq: f32Array(n, 1e-7).map((v) => v.map((x) => (Number.isNaN(x) ? x : Math.abs(x)))),
    weightDecay: fc.constantFrom(0, 0.01, 0.1),
  }));

const optsArb = fc.record({
  precision: fc.constantFrom('bf16' as const, 'fp16' as const),
  optimizer: fc.constantFrom('adam' as const, 'adamw' as const),
  lr: fc.constantFrom(1.1e-5, 3e-4, 1.76e-3, 0.05),
  betas: fc.constantFrom([0.9, 0.999] as [number, number], [0.9, 0.95] as [number, number], [0.5, 0.9] as [number, number]),
  eps: fc.constantFrom(1e-8, 1e-6, 0),
  step: fc.integer({ min: 1, max: 500 }),
  sample: fc.constantFrom(1, 7, 1000, 4096, 5000, 16384),
  nodes: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

/** Splits [0, n) into random consecutive chunks. */
function chunkings(n: number, cuts: number[]): Array<[number, number]> {
  const points = [...new Set(cuts.map((c) => c % (n + 1)))].sort((a, b) => a - b).filter((c) => c > 0 && c < n);
  const out: Array<[number, number]> = [];
  let s = 0;
  for (const c of [...points, n]) {
    out.push([s, c]);
    s = c;
  }
  return out;
}

describe('streamed training analysis = its reference twin', () => {
  it('analyzeTrainingTensor (streamed for float32 input) equals the reference on random tensors', () => {
    fc.assert(fc.property(tensorArb, optsArb, (t, o) => {
      const input: TrainingTensorInput = { name: 'w', ...t, shape: [t.weight.length] };
      const before = [t.weight.slice(), t.expAvg.slice(), t.expAvgSq.slice()];
      const fast = analyzeTrainingTensor(input, o);
      expect(fast).toEqual(analyzeTrainingTensorReference(input, o));
      // inputs untouched (bits, NaN included)
      for (const [a, b] of [[t.weight, before[0]], [t.expAvg, before[1]], [t.expAvgSq, before[2]]]) {
        expect(new Uint32Array(a.buffer)).toEqual(new Uint32Array(b.buffer));
      }
    }), { numRuns: 60 });
  });

  it('begin/push/end in random chunks gives the same tensor reports and the same totals as add() of whole (float64) arrays', () => {
    fc.assert(fc.property(fc.array(tensorArb, { minLength: 1, maxLength: 3 }), optsArb, fc.array(fc.nat(), { maxLength: 6 }), (ts, o, cuts) => {
      const ref = createTrainingAnalyzer(o); // Float64Array inputs take the reference path
      const fast = createTrainingAnalyzer(o);
      ts.forEach((t, k) => {
        const name = `t${k}`;
        const r = ref.add({ name, weight: Float64Array.from(t.weight), expAvg: Float64Array.from(t.expAvg), expAvgSq: Float64Array.from(t.expAvgSq), weightDecay: t.weightDecay });
        const s = fast.begin({ name, elements: t.weight.length, weightDecay: t.weightDecay });
        const bits = () => [t.weight, t.expAvg, t.expAvgSq].map((a) => new Uint32Array(a.buffer, a.byteOffset, a.length).slice());
        const before = bits();
        for (const [a, b] of chunkings(t.weight.length, cuts)) s.push(t.weight.subarray(a, b), t.expAvg.subarray(a, b), t.expAvgSq.subarray(a, b));
        expect(s.end()).toEqual(r);
        expect(bits()).toEqual(before); // the pushed chunks untouched (bits, NaN included)
      });
      const levels = [0.5, 0.9];
      expect(fast.finish({ levels, schedule: { lrs: [o.lr, o.lr / 2, o.lr / 8] } })).toEqual(ref.finish({ levels, schedule: { lrs: [o.lr, o.lr / 2, o.lr / 8] } }));
    }), { numRuns: 25 });
  });

  it('a moments-only tensor reports the same moments and gradient magnitudes as the full analysis of it', () => {
    fc.assert(fc.property(tensorArb, optsArb, (t, o) => {
      const full = createTrainingAnalyzer(o).add({ name: 'w', ...t });
      const a = createTrainingAnalyzer(o);
      const s = a.beginMomentsOnly({ name: 'w', elements: t.weight.length, shape: [t.weight.length] });
      s.push(null, t.expAvg, t.expAvgSq);
      const m = s.end();
      const { expAvgSqDecayAbsorbedFraction: _, ...moments } = full.moments;
      expect(m.moments).toEqual(moments);
      expect(m.gradients).toEqual(full.gradients);
      const r = a.finish();
      expect(r.tensors).toEqual([]);
      expect(r.momentsOnly).toEqual([m]);
      expect(r.implementations.foreach.elements).toBe(0);
      expect(r.reasons.join(' ')).toMatch(/analysed without the step/);
    }), { numRuns: 20 });
  });

  it('refuses misuse with clear errors: wrong chunk lengths, too many or too few elements, push after end, finish with an open stream', () => {
    const o: TrainingReadinessOptions = { precision: 'bf16', lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, step: 10 };
    const a = createTrainingAnalyzer(o);
    const s = a.begin({ name: 'w', elements: 4 });
    expect(() => s.push(new Float32Array(2), new Float32Array(3), new Float32Array(2))).toThrow(RangeError);
    expect(() => s.push(null, new Float32Array(2), new Float32Array(2))).toThrow(TypeError);
    expect(() => s.push(new Float32Array(5), new Float32Array(5), new Float32Array(5))).toThrow(/the tensor has 4/);
    s.push(new Float32Array(3), new Float32Array(3), new Float32Array(3));
    expect(() => s.end()).toThrow(/4 elements, 3 were pushed/);
    expect(() => a.finish()).toThrow(/begun but not ended/);
    s.push(new Float32Array(1), new Float32Array(1), new Float32Array(1));
    s.end();
    expect(() => s.push(new Float32Array(1), new Float32Array(1), new Float32Array(1))).toThrow(/after end/);
    expect(() => a.begin({ name: 'x', elements: -1 })).toThrow(RangeError);
    expect(() => createTrainingAnalyzer({ ...o, step: 0 }).begin({ name: 'x', elements: 1 })).toThrow(/state.step >= 1/);
    expect(() => createTrainingAnalyzer({ ...o, lr: -1 }).begin({ name: 'x', elements: 1 })).toThrow(RangeError);
    a.finish();
    expect(() => a.begin({ name: 'y', elements: 1 })).toThrow(/after finish/);
  });
});

describe('streamed = reference on the trainer checkpoints', () => {
  const T = loadAdamTruth();
  for (const run of ['finetune', 'pretrain'] as const) {
    it(`${run}: every tensor and the totals, bf16 and fp16, in chunks of 1000`, () => {
      const h = T.json[run];
      for (const precision of ['bf16', 'fp16'] as const) {
        const o: TrainingReadinessOptions = { precision, lr: h.lr, betas: h.betas, eps: h.eps, step: h.step, sample: 3000 };
        const ref = createTrainingAnalyzer(o);
        const fast = createTrainingAnalyzer(o);
        for (const name of h.param_order) {
          const w = T.get(`${run}/weight/${name}`) as Float32Array, m = T.get(`${run}/exp_avg/${name}`) as Float32Array, v = T.get(`${run}/exp_avg_sq/${name}`) as Float32Array;
          const wd = h.weight_decay[name];
          const r = ref.add({ name, weight: Float64Array.from(w), expAvg: Float64Array.from(m), expAvgSq: Float64Array.from(v), weightDecay: wd });
          const s = fast.begin({ name, elements: w.length, weightDecay: wd });
          for (let a = 0; a < w.length; a += 1000) s.push(w.subarray(a, a + 1000), m.subarray(a, a + 1000), v.subarray(a, a + 1000));
          expect(s.end(), `${run} ${precision} ${name}`).toEqual(r);
        }
        expect(fast.finish()).toEqual(ref.finish());
      }
    });
  }
});
