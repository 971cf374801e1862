// simulateAdamStep. Oracle: PyTorch 2.13's torch.optim.AdamW on CPU (for-loop and fused), run on the
// real next step of two training checkpoints with weights and states in bf16/fp16
// (../shared/vectors/torch-checkpoints/trainer/truth.*; a subset in tests/fixtures made by
// scripts/make-adam-fixtures.mjs). Properties against a float64 twin of Adam, and between the modes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runAdamStep, simulateAdamStep, type AdamStepOptions, type AdamStepState } from '../../src/diagnostics/adamStep.js';
import { encodeArray } from '../../src/formats/bulk.js';
import { round } from '../../src/formats/scalar.js';
import { loadAdamTruth } from '../helpers/adam-truth.js';
import { powInt } from '../../src/core/powInt.js';
import { createRng } from '../../src/core/rng.js';

const T = loadAdamTruth();
const full = T.full;
const RUNS = ['pretrain', 'finetune'] as const;
const PRECS = ['bf16', 'fp16'] as const;
const IMPLS = ['foreach', 'fused'] as const;

function stateOf(run: string, name: string, withGrad: boolean): AdamStepState {
  const st: AdamStepState = {
    weight: T.get(`${run}/weight/${name}`) as Float32Array,
    expAvg: T.get(`${run}/exp_avg/${name}`) as Float32Array,
    expAvgSq: T.get(`${run}/exp_avg_sq/${name}`) as Float32Array,
    step: T.json[run].step,
  };
  if (withGrad) st.grad = T.get(`${run}/grad/${name}`) as Float32Array;
  return st;
}
const optsOf = (run: string, name: string, precision: 'bf16' | 'fp16' | 'fp32', implementation: 'foreach' | 'fused'): AdamStepOptions => {
  const h = T.json[run];
  return { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weight_decay[name], precision, implementation };
};

describe(`simulateAdamStep against PyTorch 2.13 (${full ? 'full truth file' : 'fixture subset'})`, () => {
  for (const run of RUNS) for (const prec of PRECS) for (const impl of IMPLS) {
    it(`${run} ${prec} ${impl}: weights and both moments bit for bit, counts equal torch's`, () => {
      const h = T.json[run];
      let elements = 0;
      for (const name of h.param_order) {
        const r = simulateAdamStep(stateOf(run, name, true), optsOf(run, name, prec, impl));
        for (const [key, got] of [['weight', r.codes!.weight], ['exp_avg', r.codes!.expAvg], ['exp_avg_sq', r.codes!.expAvgSq]] as const) {
          const want = T.get(`${run}/${prec}/${impl}/${key}/${name}`);
          expect(got.length, `${name} ${key} length`).toBe(want.length);
          let bad = 0;
          for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) bad++;
          expect(bad, `${name} ${key}`).toBe(0);
        }
        const c = h.cases[`${prec}/${impl}`].tensors[name];
        if (c) {
          expect(r.counts.unchanged, name).toBe(c.unchanged);
          expect(r.counts.nonFinite, name).toBe(c.nonfinite);
          expect(r.counts.elements, name).toBe(c.elements);
        }
        elements += r.counts.elements;
      }
      expect(elements).toBeGreaterThan(0);
    });
  }

  it('fp32: the counts equal torch\'s (0 and 104 unchanged weights), both implementations', () => {
    let compared = 0;
    for (const run of RUNS) for (const impl of IMPLS) {
      const h = T.json[run];
      for (const name of h.param_order) {
        const c = h.cases[`fp32/${impl}`]?.tensors[name];
        if (!c) continue;
        const r = simulateAdamStep(stateOf(run, name, true), optsOf(run, name, 'fp32', impl));
        expect([r.counts.unchanged, r.counts.nonFinite]).toEqual([c.unchanged, c.nonfinite]);
        compared++;
      }
    }
    expect(compared, 'tensors with torch\'s fp32 counts').toBeGreaterThan(0);
  });

  it('the estimate from the checkpoint alone lands within 3 points (foreach) and 5 points (fused) of torch\'s real next step', () => {
    const rows: string[] = [];
    for (const run of RUNS) for (const prec of PRECS) for (const impl of IMPLS) {
      const h = T.json[run];
      let n = 0, estU = 0, estN = 0, trueU = 0, trueN = 0;
      for (const name of h.param_order) {
        const c = h.cases[`${prec}/${impl}`].tensors[name];
        if (!c) continue; // a sliced fixture tensor has no counts of its own
        const r = simulateAdamStep(stateOf(run, name, false), optsOf(run, name, prec, impl));
        n += c.elements; estU += r.counts.unchanged; estN += r.counts.nonFinite; trueU += c.unchanged; trueN += c.nonfinite;
      }
      const eU = (100 * (estU - trueU)) / n, eN = (100 * (estN - trueN)) / n;
      rows.push(`${run} ${prec} ${impl}: unchanged ${(100 * estU / n).toFixed(2)}% (torch ${(100 * trueU / n).toFixed(2)}%, error ${eU.toFixed(2)} points); inf/NaN ${estN.toFixed(1)} (torch ${trueN}, error ${eN.toFixed(2)} points)`);
      const bound = impl === 'foreach' ? 3 : 5;
      expect(Math.abs(eU), rows.at(-1)).toBeLessThanOrEqual(bound);
      expect(Math.abs(eN), rows.at(-1)).toBeLessThanOrEqual(bound);
    }
    console.log(rows.join('\n'));
  });
});

// ---------------------------------------------------------------------------------------------------
// properties

/** AdamW in float64, no rounding at all: the obviously correct twin. */
function adamF64(p: number, m: number, v: number, g: number, o: { lr: number; b1: number; b2: number; eps: number; wd: number; t: number }) {
  const pd = p * (1 - o.lr * o.wd);
  const m1 = o.b1 * m + (1 - o.b1) * g;
  const v1 = o.b2 * v + (1 - o.b2) * g * g;
  const bc1 = 1 - o.b1 ** o.t, bc2 = 1 - o.b2 ** o.t;
  const d = Math.sqrt(v1) / Math.sqrt(bc2) + o.eps;
  return { p: pd - (o.lr / bc1) * (m1 / d), m: m1, v: v1, d };
}

const caseArb = fc.record({
  n: fc.integer({ min: 1, max: 24 }),
  lr: fc.double({ min: 1e-6, max: 1e-2, noNaN: true }),
  b1: fc.double({ min: 0, max: 0.99, noNaN: true }),
  b2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
  eps: fc.constantFrom(1e-8, 1e-6, 1e-4),
  wd: fc.constantFrom(0, 0.01, 0.1),
  step: fc.integer({ min: 0, max: 5000 }),
  seed: fc.integer(),
});
function arrays(n: number, seed: number) {
  // deterministic, varied magnitudes: weights ~1e-3..1, gradients ~1e-6..1e-1, v ≈ g²
  let s = seed >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n), g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const sign = () => (rnd() < 0.5 ? -1 : 1);
    w[i] = sign() * 10 ** (-3 + 3 * rnd());
    g[i] = sign() * 10 ** (-6 + 5 * rnd());
    m[i] = sign() * Math.abs(g[i]) * rnd();
    v[i] = g[i] * g[i] * (0.5 + rnd());
  }
  return { w, m, v, g };
}

describe('simulateAdamStep properties', () => {
  it('fp32 agrees with a float64 AdamW within float32 error (weights, both moments)', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('foreach', 'fused' as const), (c, impl) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const r = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step },
        { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, precision: 'fp32', implementation: impl as 'foreach' | 'fused' });
      const u = 2 ** -24;
      for (let i = 0; i < c.n; i++) {
        const ref = adamF64(w[i], m[i], v[i], g[i], { lr: c.lr, b1: c.b1, b2: c.b2, eps: c.eps, wd: c.wd, t: c.step + 1 });
        const upd = Math.abs(ref.p - w[i] * (1 - c.lr * c.wd));
        // a handful of float32 roundings in each quantity; the update's relative error adds to the weight's
        expect(Math.abs(r.expAvg[i] - ref.m)).toBeLessThanOrEqual(4 * u * (Math.abs(c.b1 * m[i]) + Math.abs((1 - c.b1) * g[i])) + 1e-45);
        expect(Math.abs(r.expAvgSq[i] - ref.v)).toBeLessThanOrEqual(4 * u * (c.b2 * v[i] + (1 - c.b2) * g[i] * g[i]) + 1e-45);
        expect(Math.abs(r.weight[i] - ref.p)).toBeLessThanOrEqual(2 * u * Math.abs(ref.p) + 16 * u * upd + 2 * u * Math.abs(w[i]));
      }
    }), { numRuns: 150 });
  });

  it('outputs are values of the precision and their codes decode to them', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16' as const), fc.constantFrom('foreach', 'fused' as const), (c, prec, impl) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const r = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step },
        { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, precision: prec as 'bf16', implementation: impl as 'foreach' });
      for (const [vals, codes] of [[r.weight, r.codes!.weight], [r.expAvg, r.codes!.expAvg], [r.expAvgSq, r.codes!.expAvgSq]] as const) {
        for (let i = 0; i < c.n; i++) {
          if (Number.isNaN(vals[i])) continue;
          expect(round(vals[i], prec)).toBe(vals[i]);
        }
        const enc = encodeArray(vals, prec as 'bf16');
        for (let i = 0; i < c.n; i++) if (!Number.isNaN(vals[i])) expect(codes[i]).toBe(enc[i]);
      }
    }), { numRuns: 150 });
  });

  it('lr = 0 without weight decay leaves every weight unchanged (denominators kept positive by a normal eps)', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16', 'fp32' as const), fc.constantFrom('foreach', 'fused' as const), (c, prec, impl) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const r = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step },
        { lr: 0, betas: [c.b1, c.b2], eps: 1e-4, weightDecay: 0, precision: prec as 'bf16', implementation: impl as 'foreach' });
      expect(r.counts.unchanged).toBe(c.n);
      for (let i = 0; i < c.n; i++) expect(r.weight[i]).toBe(round(w[i], prec));
    }), { numRuns: 100 });
  });

  it('never modifies its inputs; codes and float inputs give the same result', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16' as const), fc.constantFrom('foreach', 'fused' as const), fc.boolean(), (c, prec, impl, withGrad) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const copies = [w, m, v, g].map((a) => a.slice());
      const opts: AdamStepOptions = { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, precision: prec as 'bf16', implementation: impl as 'foreach', estimate: { nodes: 4 } };
      const r1 = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: withGrad ? g : undefined, step: c.step + 1 }, opts);
      [w, m, v, g].forEach((a, i) => expect(a).toEqual(copies[i]));
      // the same state as codes of the precision (what a bf16 checkpoint holds): identical when the
      // float inputs are already values of the precision
      const cast = (a: Float32Array) => { const o = new Float32Array(a.length); for (let i = 0; i < a.length; i++) o[i] = round(a[i], prec); return o; };
      const [wc, mc, vc, gc] = [w, m, v, g].map(cast);
      const codes = (a: Float32Array) => ({ codes: encodeArray(a, prec as 'bf16'), format: prec });
      const r2 = simulateAdamStep({ weight: wc, expAvg: mc, expAvgSq: vc, grad: withGrad ? gc : undefined, step: c.step + 1 }, opts);
      const r3 = simulateAdamStep({ weight: codes(wc), expAvg: codes(mc), expAvgSq: codes(vc), grad: withGrad ? codes(gc) : undefined, step: c.step + 1 }, opts);
      expect(r3.codes).toEqual(r2.codes);
      expect(r3.counts).toEqual(r2.counts);
      if (withGrad) expect(r2.codes).toEqual(r1.codes); // the gradient is cast once either way
    }), { numRuns: 80 });
  });

  it('maximize with g equals minimize with −g; amsgrad with a zero max state equals plain Adam', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16', 'fp32' as const), fc.constantFrom('foreach', 'fused' as const), fc.boolean(), (c, prec, impl, decoupled) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const base: AdamStepOptions = { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, decoupled, precision: prec as 'bf16', implementation: impl as 'foreach' };
      const plain = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step }, base);
      const neg = g.map((x) => -x);
      const max = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: neg, step: c.step }, { ...base, maximize: true });
      expect(Array.from(max.weight)).toEqual(Array.from(plain.weight));
      const ams = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, maxExpAvgSq: new Float32Array(c.n), grad: g, step: c.step }, { ...base, amsgrad: true });
      expect(Array.from(ams.weight)).toEqual(Array.from(plain.weight));
      expect(Array.from(ams.maxExpAvgSq!)).toEqual(Array.from(plain.expAvgSq));
    }), { numRuns: 100 });
  });

  it('in fp32 the for-loop and fused kernels round alike: identical results', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), (c, decoupled) => {
      const { w, m, v, g } = arrays(c.n, c.seed);
      const o = { lr: c.lr, betas: [c.b1, c.b2] as [number, number], eps: c.eps, weightDecay: c.wd, decoupled, precision: 'fp32' as const };
      const a = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step }, { ...o, implementation: 'foreach' });
      const b = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, grad: g, step: c.step }, { ...o, implementation: 'fused' });
      expect(Array.from(a.weight)).toEqual(Array.from(b.weight));
      expect(Array.from(a.expAvgSq)).toEqual(Array.from(b.expAvgSq));
    }), { numRuns: 100 });
  });

  it('estimate: expected counts lie in [0, elements], the probabilities sum to them, and one node without shrinkage is the exact step under g = m̂', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16' as const), fc.constantFrom('foreach', 'fused' as const), (c, prec, impl) => {
      const { w, m, v } = arrays(c.n, c.seed);
      const step = c.step + 1;
      const opts: AdamStepOptions = { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, precision: prec as 'bf16', implementation: impl as 'foreach' };
      const r = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step }, { ...opts, probabilities: true, estimate: { nodes: 8 } });
      let sumU = 0, sumN = 0;
      for (const [k, x] of Object.entries(r.counts)) {
        expect(x, k).toBeGreaterThanOrEqual(0);
        expect(x, k).toBeLessThanOrEqual(c.n + 1e-9);
      }
      for (let i = 0; i < c.n; i++) {
        expect(r.unchangedProbability![i]).toBeGreaterThanOrEqual(0);
        expect(r.unchangedProbability![i]).toBeLessThanOrEqual(1);
        sumU += r.unchangedProbability![i]; sumN += r.nonFiniteProbability![i];
      }
      expect(sumU).toBeCloseTo(r.counts.unchanged, 6);
      expect(sumN).toBeCloseTo(r.counts.nonFinite, 6);
      const bc1 = 1 - powInt(c.b1, step);
      const mhat = m.map((x) => Math.fround(x / bc1));
      const one = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step }, { ...opts, estimate: { nodes: 1, shrinkMean: false } });
      const exact = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step, grad: mhat }, opts);
      expect(one.counts).toEqual(exact.counts);
      expect(one.codes).toEqual(exact.codes);
    }), { numRuns: 80 });
  });

  it('the counts-only path of the training analysis gives the same counts as the full estimate', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('bf16', 'fp16' as const), fc.constantFrom('foreach', 'fused' as const), fc.integer({ min: 1, max: 30 }), (c, prec, impl, sample) => {
      const { w, m, v } = arrays(c.n, c.seed);
      const opts: AdamStepOptions = { lr: c.lr, betas: [c.b1, c.b2], eps: c.eps, weightDecay: c.wd, precision: prec as 'bf16', implementation: impl as 'foreach', estimate: { nodes: 4, sample, seed: c.seed } };
      const st = { weight: w, expAvg: m, expAvgSq: v, step: c.step + 1 };
      const a = simulateAdamStep(st, opts);
      const seen: number[] = [];
      const b = runAdamStep(st, opts, { countsOnly: true, lrThresholds: (t, n) => { for (let i = 0; i < n; i++) seen.push(t[i]); } });
      expect(b.counts).toEqual(a.counts);
      expect(b.cast).toEqual(a.cast);
      expect(b.estimate).toEqual(a.estimate);
      expect(b.weight.length).toBe(0);
      expect(seen.length).toBe(Math.min(sample, c.n) * 4);
    }), { numRuns: 60 });
  });

  it('the estimate is calibrated on synthetic checkpoints (normal and Student-t gradients, within 3 points of the exact step)', () => {
    // a checkpoint made by AdamW in float32 on g_t = mu + sigma·noise, then the exact next step with a
    // fresh gradient: what the estimate, which sees only the checkpoint, has to predict
    for (const [seed, heavy] of [[11, false], [12, true]] as const) {
      const rng = createRng(seed);
      const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      const noise = heavy ? () => { const z = normal(); const c = normal() ** 2 + normal() ** 2 + normal() ** 2; return z / Math.sqrt(c); } : normal;
      const n = 4000, T = 80, lr = 1e-3, b1 = 0.9, b2 = 0.99, wd = 0.01;
      const mu = new Float64Array(n), sg = new Float64Array(n), w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n);
      for (let i = 0; i < n; i++) { sg[i] = 1e-3 * Math.exp(normal()); mu[i] = 0.3 * sg[i] * normal(); w[i] = 0.05 * normal(); }
      for (let t = 1; t <= T; t++) {
        for (let i = 0; i < n; i++) {
          const g = mu[i] + sg[i] * noise();
          m[i] = b1 * m[i] + (1 - b1) * g; v[i] = b2 * v[i] + (1 - b2) * g * g;
          w[i] = w[i] * (1 - lr * wd) - (lr * m[i] / (1 - b1 ** t)) / (Math.sqrt(v[i] / (1 - b2 ** t)) + 1e-8);
        }
      }
      const g = new Float32Array(n);
      for (let i = 0; i < n; i++) g[i] = mu[i] + sg[i] * noise();
      for (const precision of ['bf16', 'fp16'] as const) for (const implementation of ['foreach', 'fused'] as const) {
        const o: AdamStepOptions = { lr, betas: [b1, b2], eps: 1e-8, weightDecay: wd, precision, implementation };
        const exact = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: T, grad: g }, o).counts;
        const est = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: T }, o).counts;
        expect(Math.abs(est.unchanged - exact.unchanged) / n, `${heavy ? 't3' : 'normal'} ${precision} ${implementation}`).toBeLessThanOrEqual(0.03);
        expect(Math.abs(est.nonFinite - exact.nonFinite) / n).toBeLessThanOrEqual(0.03);
      }
    }
  });

  it('a sampled estimate stays within a few standard errors of the full one', () => {
    const { w, m, v } = arrays(20000, 7);
    const opts: AdamStepOptions = { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1, precision: 'bf16', implementation: 'foreach' };
    const all = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 100 }, opts);
    const some = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 100 }, { ...opts, estimate: { sample: 2000, seed: 3 } });
    expect(some.estimate!.evaluated).toBe(2000);
    const se = some.estimate!.unchangedFractionStdError;
    expect(se).toBeGreaterThan(0);
    expect(Math.abs(some.counts.unchanged - all.counts.unchanged) / 20000).toBeLessThanOrEqual(5 * se);
  });

  it('the standard error is that of a sample drawn with replacement: about 95% of seeds land within 2 of them, even when the sample is 90% of the elements', () => {
    // a finite-population correction (for a sample without replacement) would shrink it to 0.32 of that
    // at 90%, and only about half the seeds would land within 2 of them
    const n = 4000;
    const { w, m, v } = arrays(n, 11);
    const opts: AdamStepOptions = { lr: 3e-4, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1, precision: 'bf16', implementation: 'foreach' };
    const all = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 100 }, opts).counts.unchanged / n;
    let within = 0;
    const seeds = 60;
    for (let seed = 1; seed <= seeds; seed++) {
      const some = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 100 }, { ...opts, estimate: { sample: 3600, seed } });
      if (Math.abs(some.counts.unchanged / n - all) <= 2 * some.estimate!.unchangedFractionStdError) within++;
    }
    expect(within / seeds).toBeGreaterThanOrEqual(0.8);
  });
});

describe('simulateAdamStep arguments', () => {
  const w = new Float32Array([1, 2]), m = new Float32Array([0, 0]), v = new Float32Array([0, 0]);
  const ok: AdamStepOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, precision: 'bf16', implementation: 'foreach' };
  it('rejects bad arguments with TypeError/RangeError saying what was expected', () => {
    expect(() => simulateAdamStep({ weight: w, expAvg: new Float32Array(3), expAvgSq: v, step: 1 }, ok)).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, lr: -1 })).toThrow(/lr must be in \[0, inf\)/);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, betas: [1, 0.9] })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, betas: [0.9, -0.1] })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, betas: 0.9 as never })).toThrow(TypeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, eps: NaN })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, weightDecay: -0.1 })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, precision: 'fp8' as never })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, implementation: 'cuda' as never })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1.5 }, ok)).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 0 }, ok)).toThrow(/needs state.step >= 1/);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1, grad: w }, { ...ok, amsgrad: true })).toThrow(/maxExpAvgSq/);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, { ...ok, estimate: { nodes: 0 } })).toThrow(RangeError);
    expect(() => simulateAdamStep({ weight: 'w' as never, expAvg: m, expAvgSq: v, step: 1 }, ok)).toThrow(TypeError);
    expect(() => simulateAdamStep(null as never, ok)).toThrow(TypeError);
    expect(() => simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: 1 }, undefined as never)).toThrow(TypeError);
  });
  it('property: a bad value of any option or of the state is a TypeError/RangeError naming it and what came; inputs untouched', () => {
    const bads: Record<string, unknown[]> = {
      lr: [-1e-3, NaN, Infinity, '1e-3', null],
      betas: [[0.9], [0.9, 1], [-0.1, 0.9], [0.9, NaN], 0.9, null],
      eps: [-1e-8, NaN, Infinity, 'x'],
      weightDecay: [-0.1, NaN, Infinity, null],
      decoupled: [1, 'yes', null],
      precision: ['fp8', 'float32', null],
      implementation: ['cuda', 0, null],
      maximize: [1, 'no'],
      amsgrad: [0, 'x'],
      probabilities: [1],
      estimate: [5, null, [], { nodes: 0 }, { nodes: 5000 }, { nodes: 'x' }, { sample: 0 }, { seed: NaN }, { seed: null }, { shrinkMean: 1 }],
      step: [-1, 1.5, NaN, '1', undefined],
      expAvg: [new Float32Array(3), 'x', null, undefined],
      grad: [new Float32Array(1), 'x', null],
    };
    const keys = Object.keys(bads);
    fc.assert(fc.property(fc.constantFrom(...keys), fc.nat(), (key, pick) => {
      const bad = bads[key][pick % bads[key].length];
      const st = { weight: w.slice(), expAvg: m.slice(), expAvgSq: v.slice(), step: 1 } as Record<string, unknown>;
      const o = { ...ok } as Record<string, unknown>;
      if (key in st || key === 'grad') st[key] = bad; else o[key] = bad;
      const copies = [st.weight, st.expAvg, st.expAvgSq].map((a) => (ArrayBuffer.isView(a) ? (a as Float32Array).slice() : a));
      let err: unknown;
      try { simulateAdamStep(st as never, o as never); } catch (e) { err = e; }
      expect(err instanceof TypeError || err instanceof RangeError, `${key} = ${String(bad)}: ${String(err)}`).toBe(true);
      const msg = (err as Error).message;
      expect(msg.startsWith('simulateAdamStep: '), msg).toBe(true);
      expect(msg, msg).toContain(key === 'betas' && Array.isArray(bad) && bad.length === 2 ? 'betas[' : key);
      expect(msg, msg).toMatch(/got |expected/);
      [st.weight, st.expAvg, st.expAvgSq].forEach((a, i) => expect(a).toEqual(copies[i]));
    }), { numRuns: 200 });
  });
});
