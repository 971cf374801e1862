// Training readiness. Oracles: PyTorch 2.13's next AdamW step on the trainer checkpoints
// (tests/helpers/adam-truth.ts), exhaustive checks of the absorption bounds over every bf16/fp16 value,
// lowp's own stochastic rounding (Monte Carlo) for the stochastic-rounding figure, and the per-tensor
// function as the twin of the streaming totals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateAdamStep } from '../../src/diagnostics/adamStep.js';
import {
  analyzeTrainingTensor, analyzeTrainingTensorReference, createTrainingAnalyzer, hfLrSchedule, trainingReadiness,
  type TrainingImplementationFigures, type TrainingReadiness, type TrainingReadinessOptions, type TrainingTensorInput,
} from '../../src/diagnostics/trainingReadiness.js';
import { createRng } from '../../src/core/rng.js';
import { decode, round } from '../../src/formats/scalar.js';
import { loadAdamTruth, type TruthCounts } from '../helpers/adam-truth.js';

const T = loadAdamTruth();

function tensorsOf(run: string, withGrad: boolean): TrainingTensorInput[] {
  const h = T.json[run];
  return h.param_order.map((name) => ({
    name,
    weight: T.get(`${run}/weight/${name}`) as Float32Array,
    expAvg: T.get(`${run}/exp_avg/${name}`) as Float32Array,
    expAvgSq: T.get(`${run}/exp_avg_sq/${name}`) as Float32Array,
    grad: withGrad ? (T.get(`${run}/grad/${name}`) as Float32Array) : undefined,
    weightDecay: h.weight_decay[name],
  }));
}
const optsOf = (run: string, precision: 'bf16' | 'fp16'): TrainingReadinessOptions => {
  const h = T.json[run];
  return { precision, lr: h.lr, betas: h.betas, eps: h.eps, step: h.step };
};
type Run = 'finetune' | 'pretrain';
/**
 * The report's figures for `impl` beside torch's counts, for every tensor torch recorded (at least one,
 * so that a renamed tensor cannot leave a comparison with nothing to compare).
 */
function againstTorch(r: TrainingReadiness, run: Run, prec: 'bf16' | 'fp16', impl: 'foreach' | 'fused') {
  const cases = T.json[run].cases[`${prec}/${impl}`].tensors;
  const pairs: { name: string; got: TrainingImplementationFigures; torch: TruthCounts }[] = [];
  for (const t of r.tensors) if (cases[t.name]) pairs.push({ name: t.name, got: t.implementations[impl], torch: cases[t.name] });
  expect(pairs.length, `${run} ${prec} ${impl}: tensors with torch's counts`).toBeGreaterThan(0);
  return pairs;
}

describe('trainingReadiness on the trainer checkpoints', () => {
  it('with the real gradient: the totals are torch\'s counts, and the reasons say what the issue says', () => {
    for (const run of ['finetune', 'pretrain'] as const) for (const prec of ['bf16', 'fp16'] as const) {
      const r = trainingReadiness(tensorsOf(run, true), optsOf(run, prec));
      expect(r.mode).toBe('exact');
      for (const impl of ['foreach', 'fused'] as const) {
        for (const { name, got, torch } of againstTorch(r, run, prec, impl)) {
          expect([got.unchanged, got.nonFinite], `${run} ${prec} ${impl} ${name}`).toEqual([torch.unchanged, torch.nonfinite]);
        }
      }
      expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON: no typed arrays, no Infinity/NaN
      const text = r.reasons.join('\n');
      if (T.full && run === 'finetune' && prec === 'bf16') {
        expect(text).toContain('pure bf16 would leave 99.0% of the weights unchanged on the next step at lr 1.1e-5');
        expect(text).toContain('keep fp32 master weights (bf16 autocast), or use stochastic rounding or Kahan summation');
        expect(text).toContain('decoupled weight decay does nothing in bf16');
        expect(text).toContain('exp_avg_sq never decays in bf16');
      }
      if (T.full && run === 'finetune' && prec === 'fp16') {
        expect(text).toContain('pure fp16: 12,090 weights become inf/NaN on the next step (for-loop): exp_avg_sq flushes to 0 in fp16');
        expect(text).toContain('eps 1e-8 flushes with it');
        expect(text).toContain('eps 1e-8 is 0 in fp16');
      }
      if (T.full && run === 'pretrain' && prec === 'bf16') expect(text).toContain('leave 42.6% of the weights unchanged');
    }
  });

  it('without a gradient: the estimated totals are within 3 (for-loop) and 5 (fused) points of torch\'s', () => {
    for (const run of ['finetune', 'pretrain'] as const) for (const prec of ['bf16', 'fp16'] as const) {
      const r = trainingReadiness(tensorsOf(run, false), optsOf(run, prec));
      expect(r.mode).toBe('estimate');
      for (const impl of ['foreach', 'fused'] as const) {
        let n = 0, est = 0, tru = 0, estN = 0, truN = 0;
        for (const { got, torch } of againstTorch(r, run, prec, impl)) {
          n += torch.elements; est += got.unchanged; tru += torch.unchanged; estN += got.nonFinite; truN += torch.nonfinite;
        }
        const bound = impl === 'foreach' ? 3 : 5;
        expect(Math.abs(100 * (est - tru) / n), `${run} ${prec} ${impl}`).toBeLessThanOrEqual(bound);
        expect(Math.abs(100 * (estN - truN) / n), `${run} ${prec} ${impl}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('the absorption curve falls as the lr grows and meets the step\'s own count at the current lr (within 3 points)', () => {
    for (const run of ['finetune', 'pretrain'] as const) for (const prec of ['bf16', 'fp16'] as const) {
      const r = trainingReadiness(tensorsOf(run, true), optsOf(run, prec));
      const c = r.absorption.curve;
      for (let i = 1; i < c.length; i++) {
        expect(c[i].lr).toBeLessThan(c[i - 1].lr);
        expect(c[i].foreach).toBeGreaterThanOrEqual(c[i - 1].foreach);
        expect(c[i].fused).toBeGreaterThanOrEqual(c[i - 1].fused);
      }
      const at = c.find((p) => p.lr === r.lr)!;
      expect(Math.abs(at.foreach - r.implementations.foreach.unchangedFraction)).toBeLessThanOrEqual(0.03);
      expect(Math.abs(at.fused - r.implementations.fused.unchangedFraction)).toBeLessThanOrEqual(0.03);
    }
  });

  it('with a decaying schedule the levels are reached in order, at lrs no larger than the current one', () => {
    const h = T.json.pretrain;
    const r = trainingReadiness(tensorsOf('pretrain', false), {
      ...optsOf('pretrain', 'bf16'), levels: [0.5, 0.9, 0.99],
      schedule: { lrAt: hfLrSchedule({ kind: 'linear', peakLr: h.lr * 2, warmupSteps: 0, maxSteps: 400 }), maxSteps: 400 },
    });
    const s = r.schedule!;
    expect(s.steps).toBe(200);
    let last = -1;
    for (const l of s.reach) {
      if (l.foreach === null) continue;
      expect(l.foreach.step).toBeGreaterThanOrEqual(last);
      last = l.foreach.step;
    }
    expect(s.reach[0].foreach).not.toBeNull();
    expect(r.reasons.some((x) => x.startsWith('as the lr decays, pure bf16 leaves 90.0%') || x.startsWith('as the lr decays, pure bf16 leaves 50.0%'))).toBe(true);
  });

  it('streaming totals equal the per-tensor analyses (add one by one, or analyzeTrainingTensor alone)', () => {
    const opts = { ...optsOf('finetune', 'fp16'), sample: 512, nodes: 4 };
    const a = createTrainingAnalyzer(opts);
    const inputs = tensorsOf('finetune', false).slice(0, 4);
    const reps = inputs.map((t) => a.add(t));
    const r = a.finish();
    // finish returns the very reports add returned: each must equal the reference path's analysis of
    // its tensor at its position (the position seeds the estimate's sample)
    expect(r.tensors).toEqual(reps);
    reps.forEach((rep, k) => expect(rep).toEqual(analyzeTrainingTensorReference(inputs[k], opts, k)));
    let u = 0;
    for (const t of reps) u += t.implementations.foreach.unchanged;
    expect(r.implementations.foreach.unchanged).toBeCloseTo(u, 9);
    expect(analyzeTrainingTensor(inputs[0], opts)).toEqual(reps[0]);
    expect(() => a.add(inputs[0])).toThrow(RangeError);
  });
});

describe('absorption bounds (exhaustive over every finite value of the precision)', () => {
  for (const [prec, p] of [['bf16', 8], ['fp16', 11]] as const) {
    const values: number[] = [];
    for (let c = 0; c < 0x8000; c++) {
      const x = decode(c, prec);
      if (Number.isFinite(x) && x !== 0) values.push(x);
    }
    const decayIsNoop = (factor: number) => values.every((x) => round(Math.fround(x * factor), prec) === x);
    it(`${prec}: x·float32(1 − δ) rounds back to x for every x exactly when 1 − float32(1 − δ) <= 2^-${p + 1}`, () => {
      const bound = 2 ** -(p + 1);
      const deltas = [bound, bound * (1 - 2 ** -10), bound * (1 + 2 ** -10), bound * 2, bound / 2, 1e-3, 1e-4, 1.1e-7, 1.76e-4, 0.001, 0.05];
      for (const d of deltas) {
        const factor = Math.fround(1 - d);
        expect(decayIsNoop(factor), `δ = ${d}`).toBe(1 - factor <= bound);
      }
    });
    it(`${prec}: simulateAdamStep's decayIsNoop and beta2DecayIsNoop agree with the exhaustive check`, () => {
      fc.assert(fc.property(fc.double({ min: -14, max: -4, noNaN: true }), (l) => {
        const lrwd = 2 ** l;
        const r = simulateAdamStep({ weight: [1], expAvg: [0], expAvgSq: [0], step: 0, grad: [0] },
          { lr: lrwd, betas: [0.9, 1 - lrwd], eps: 1e-8, weightDecay: 1, precision: prec, implementation: 'foreach' });
        expect(r.scalars.decayIsNoop).toBe(decayIsNoop(r.scalars.decayFactor));
        expect(r.scalars.beta2DecayIsNoop).toBe(decayIsNoop(Math.fround(1 - lrwd)));
      }), { numRuns: 40 });
    });
  }
});

describe('stochastic rounding figure', () => {
  it('equals a Monte Carlo of lowp\'s stochastic rounding of the fused kernel\'s float32 weights', () => {
    const n = 400, rng = createRng(5);
    const w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n), g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      w[i] = round((rng() - 0.5) * 2, 'bf16'); g[i] = round((rng() - 0.5) * 1e-3, 'bf16');
      m[i] = round(g[i] * rng(), 'bf16'); v[i] = round(g[i] * g[i] * (0.5 + rng()), 'bf16');
    }
    const opts = { lr: 3e-4, betas: [0.9, 0.95] as [number, number], eps: 1e-8, weightDecay: 0.1, implementation: 'fused' as const };
    const r = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: 50 }, { ...opts, precision: 'bf16' });
    // the fused kernel rounds once: its float32 weights are the fp32 run on the same bf16 inputs
    const y = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: 50 }, { ...opts, precision: 'fp32' }).weight;
    const reps = 400;
    let moved = 0;
    const sr = { rounding: 'stochastic' as const, random: createRng(9) };
    for (let k = 0; k < reps; k++) for (let i = 0; i < n; i++) if (round(y[i], 'bf16', sr) !== w[i]) moved++;
    const mc = moved / reps;
    // standard error of the Monte Carlo mean is at most √(n/4/reps) = 0.5 weights
    expect(Math.abs(mc - r.counts.movedStochastic)).toBeLessThanOrEqual(3);
    expect(r.counts.movedStochastic).toBeGreaterThan(n - r.counts.unchanged); // it moves more than nearest rounding does
  });
});

describe('stochastic rounding sentence', () => {
  it('when the for-loop path turns most weights inf/NaN, only the fused kernel\'s stochastic-rounding figure is offered', () => {
    // fp16 second moments of 1e-12 flush to 0 and eps 1e-8 with them: the for-loop update divides by 0
    const n = 64;
    const grad = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1) * 1e-6);
    const t: TrainingTensorInput = { name: 'w', weight: new Float32Array(n).fill(0.5), expAvg: new Float32Array(n).fill(1e-6), expAvgSq: new Float32Array(n).fill(1e-12), grad };
    const o: TrainingReadinessOptions = { precision: 'fp16', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, step: 10 };
    const r = trainingReadiness([t], o);
    expect(r.implementations.foreach.nonFinite).toBeGreaterThan(n / 2);
    expect(r.reasons.some((x) => x.startsWith('stochastic rounding cannot help the for-loop path'))).toBe(true);
    expect(r.reasons.some((x) => x.startsWith('with stochastic rounding of the new weights'))).toBe(false);
    // and a healthy bf16 step gets the usual sentence
    const b = trainingReadiness([t], { ...o, precision: 'bf16' });
    expect(b.reasons.some((x) => x.startsWith('with stochastic rounding of the new weights'))).toBe(true);
  });
});

describe('arguments', () => {
  const t: TrainingTensorInput = { name: 'w', weight: [1], expAvg: [0], expAvgSq: [0] };
  const ok: TrainingReadinessOptions = { precision: 'bf16', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, step: 1 };
  it('bad options and inputs are TypeError/RangeError', () => {
    expect(() => analyzeTrainingTensor(t, { ...ok, precision: 'fp32' as never })).toThrow(RangeError);
    expect(() => analyzeTrainingTensor(t, { ...ok, optimizer: 'sgd' as never })).toThrow(RangeError);
    expect(() => analyzeTrainingTensor(t, { ...ok, step: undefined as never })).toThrow(RangeError);
    expect(() => analyzeTrainingTensor({ ...t, name: 3 as never }, ok)).toThrow(TypeError);
    expect(() => trainingReadiness(5 as never, ok)).toThrow(TypeError);
    expect(() => createTrainingAnalyzer(ok).finish()).toThrow(RangeError);
    expect(() => trainingReadiness([t], { ...ok, levels: [2] })).toThrow(RangeError);
    expect(() => trainingReadiness([t], { ...ok, levels: 0.5 as never })).toThrow(/levels must be an array of fractions in \(0, 1\], got the number 0.5/);
    expect(() => hfLrSchedule({ kind: 'step' as never, peakLr: 1, warmupSteps: 0, maxSteps: 1 })).toThrow(RangeError);
  });
  it('step 0 without a gradient is refused with simulateAdamStep\'s message, on the streamed and the reference path', () => {
    const f32 = { name: 'w', weight: Float32Array.of(1), expAvg: Float32Array.of(0), expAvgSq: Float32Array.of(0) };
    const msg = /^simulateAdamStep: without a gradient the step is estimated from the saved moments, which needs state.step >= 1, got 0$/;
    for (const input of [t, f32]) {
      expect(() => analyzeTrainingTensor(input, { ...ok, step: 0 })).toThrow(msg);
      expect(() => analyzeTrainingTensorReference(input, { ...ok, step: 0 })).toThrow(msg);
    }
    expect(() => createTrainingAnalyzer({ ...ok, step: 0 }).begin({ name: 'w', elements: 1 })).toThrow(msg);
  });
  it('an analyzer refuses hyper-parameters the step would refuse at once, so a moments-only analysis cannot turn them into NaN', () => {
    // betas[1] > 1 made 1 − β2^t negative and every √v̂ NaN, reported as "fits fp16 without loss scaling"
    for (const bad of [{ betas: [0.9, 1.5] }, { betas: [1, 0.999] }, { lr: -1 }, { eps: -1e-8 }, { weightDecay: -0.1 }, { lr: Infinity }] as const) {
      expect(() => createTrainingAnalyzer({ ...ok, ...bad } as TrainingReadinessOptions), JSON.stringify(bad)).toThrow(/^createTrainingAnalyzer: .* got /);
    }
    const a = createTrainingAnalyzer(ok);
    const s = a.beginMomentsOnly({ name: 'x', elements: 2 });
    s.push(null, new Float32Array([1e-3, 2e-3]), new Float32Array([1e-6, 4e-6]));
    const g = s.end().gradients;
    for (const x of [g.median, g.max, g.minNonzero, g.fp16LossScale]) expect(Number.isFinite(x)).toBe(true);
  });
  it('a shape that is not an array of integers, and a missing step, are named in the message', () => {
    expect(() => analyzeTrainingTensor({ ...t, shape: 5 as never }, ok)).toThrow(/shape must be an array of non-negative integers, got the number 5/);
    expect(() => createTrainingAnalyzer(ok).begin({ name: 'x', elements: 1, shape: [1.5] })).toThrow(TypeError);
    expect(() => analyzeTrainingTensor(t, { ...ok, step: undefined as never })).toThrow(/step must be an integer >= 0 .*got undefined/);
    // a tensor's own lr and weight decay: the message names the function and the tensor
    expect(() => analyzeTrainingTensor({ ...t, lr: NaN }, ok)).toThrow(/^analyzeTrainingTensor: w: lr must be a finite number >= 0, got NaN/);
    expect(() => createTrainingAnalyzer(ok).begin({ name: 'x', elements: 1, weightDecay: -1 })).toThrow(/^createTrainingAnalyzer: x: weightDecay must be a finite number >= 0, got -1/);
    expect(() => createTrainingAnalyzer(ok).add({ ...t, weightDecay: '0.1' as never })).toThrow(TypeError);
  });
  it('hfLrSchedule\'s function refuses a step that is not a finite number >= 0 instead of returning NaN or a negative lr', () => {
    const lin = hfLrSchedule({ kind: 'linear', peakLr: 1, warmupSteps: 10, maxSteps: 110 });
    expect(() => lin(-1)).toThrow(RangeError);
    expect(() => lin(NaN)).toThrow(RangeError);
    expect(() => lin(Infinity)).toThrow(RangeError);
    expect(() => lin('5' as never)).toThrow(TypeError);
  });
  it('property: every public function refuses a bad option value with a TypeError/RangeError that names it and says what came', () => {
    const bads: Record<string, unknown[]> = {
      precision: ['fp32', 'bf8', 16, null],
      optimizer: ['sgd', 1, null],
      lr: [-1e-3, NaN, Infinity, '1e-3', null],
      betas: [[0.9], [0.9, 1], [1, 0.9], [-0.1, 0.9], [0.9, NaN], 0.9, 'ab', null],
      eps: [-1e-8, NaN, Infinity, '1e-8'],
      step: [-1, 1.5, NaN, undefined, '10'],
      weightDecay: [-0.1, NaN, Infinity, 'x'],
      sample: [0, -1, 1.5, NaN, 'x'],
      nodes: [0, 4097, 2.5, 'x'],
      seed: [NaN, Infinity, 'x'],
    };
    const keys = Object.keys(bads);
    const inputs = { name: 'w', weight: new Float32Array([0.5, -0.25]), expAvg: new Float32Array([1e-4, 0]), expAvgSq: new Float32Array([1e-8, 0]) };
    const before = [inputs.weight.slice(), inputs.expAvg.slice(), inputs.expAvgSq.slice()];
    const calls: Array<[string, (o: TrainingReadinessOptions) => unknown]> = [
      ['analyzeTrainingTensor', (o) => analyzeTrainingTensor(inputs, o)],
      ['createTrainingAnalyzer', (o) => createTrainingAnalyzer(o)],
      ['createTrainingAnalyzer', (o) => trainingReadiness([inputs], o)],
    ];
    fc.assert(fc.property(fc.constantFrom(...keys), fc.nat(), fc.constantFrom(...calls), (key, pick, [fn, call]) => {
      const bad = bads[key][pick % bads[key].length];
      const o = { ...ok, [key]: bad } as TrainingReadinessOptions;
      let err: unknown;
      try { call(o); } catch (e) { err = e; }
      expect(err instanceof TypeError || err instanceof RangeError, `${key} = ${String(bad)}: ${String(err)}`).toBe(true);
      const msg = (err as Error).message;
      expect(msg.startsWith(`${fn}: `), msg).toBe(true);
      expect(msg, msg).toContain(key === 'betas' && Array.isArray(bad) && bad.length === 2 ? 'betas[' : key);
      expect(msg, msg).toMatch(/got /);
      [inputs.weight, inputs.expAvg, inputs.expAvgSq].forEach((a, i) => expect(a).toEqual(before[i]));
    }), { numRuns: 200 });
  });
  it('hfLrSchedule follows Hugging Face\'s formulas', () => {
    const lin = hfLrSchedule({ kind: 'linear', peakLr: 1, warmupSteps: 10, maxSteps: 110 });
    expect([lin(0), lin(5), lin(10), lin(60), lin(110), lin(200)]).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const cos = hfLrSchedule({ kind: 'cosine', peakLr: 2, warmupSteps: 0, maxSteps: 100 });
    expect(cos(0)).toBe(2);
    expect(cos(50)).toBeCloseTo(1, 12);
    expect(cos(100)).toBeCloseTo(0, 12);
  });
});
