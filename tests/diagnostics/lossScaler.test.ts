// DynamicLossScaler and simulateLossScale. Oracles: scale sequences written by hand from the rules of
// PyTorch's `_amp_update_scale_` kernel (aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp: on inf
// scale = float(scale·backoff), tracker = 0; else ++tracker == interval → scale = float(scale·growth)
// if finite, tracker = 0) and DeepSpeed's DynamicLossScaler.update_scale
// (deepspeed/runtime/fp16/loss_scaler.py, >= 0.17.1: hysteresis, stable_interval = cur_iter −
// last_overflow_iter − 1 a positive multiple of scale_window; before 0.17.1: (cur_iter −
// last_overflow_iter) % scale_window == 0), plus the long runs to float32's limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamicLossScaler, LossScaleMinimumError } from '../../src/diagnostics/dynamicLossScaler.js';
import { simulateLossScale } from '../../src/diagnostics/simulateLossScale.js';

function run(s: DynamicLossScaler, pattern: boolean[]): number[] {
  return pattern.map((inf) => { s.update(inf); return s.lossScale; });
}
const T = true, F = false;

describe('torch preset (PyTorch GradScaler)', () => {
  it('defaults: 65536, ×2 after 2000 clean steps, ×0.5 on inf', () => {
    const s = new DynamicLossScaler({ preset: 'torch' });
    expect(s.lossScale).toBe(65536);
    const scales = run(s, Array(2000).fill(F));
    expect(scales[1998]).toBe(65536);
    expect(scales[1999]).toBe(131072);
    s.update(T);
    expect(s.lossScale).toBe(65536);
    expect(s.state.growthTracker).toBe(0);
  });

  it('hand-derived table, growthInterval 3', () => {
    const s = new DynamicLossScaler({ preset: 'torch', growthInterval: 3 });
    expect(run(s, [F, F, F, T, F, F, T, F, F, F])).toEqual([65536, 65536, 131072, 65536, 65536, 65536, 32768, 32768, 32768, 65536]);
    expect(s.skippedSteps).toBe(2);
    expect(s.events.map((e) => e.action)).toEqual(['growth', 'backoff', 'backoff', 'growth']);
    expect(s.events[1]).toMatchObject({ step: 3, scaleBefore: 131072, scaleAfter: 65536, foundInf: true });
  });

  it('custom factors: every product is rounded to float32 (scale is a float32 tensor)', () => {
    const s = new DynamicLossScaler({ preset: 'torch', initScale: 0.001, backoffFactor: 0.3, growthFactor: 1.5, growthInterval: 2 });
    const f = Math.fround;
    const s0 = f(0.001); // 0.0010000000474974513
    expect(s.lossScale).toBe(s0);
    const s1 = f(s0 * 0.3), s2 = f(s1 * 1.5), s3 = f(s2 * 0.3);
    expect(run(s, [T, F, F, T, F])).toEqual([s1, s1, s2, s3, s3]);
    expect([s0 * 0.3 !== s1, s1 * 1.5 !== s2, s2 * 0.3 !== s3].some(Boolean)).toBe(true); // the float32 rounding is visible
  });

  it('grows up to 2^127 and then refuses growth (2^128 is inf in float32)', () => {
    const s = new DynamicLossScaler({ preset: 'torch', growthInterval: 1 });
    const scales = run(s, Array(150).fill(F));
    for (let i = 0; i < 150; i++) expect(scales[i]).toBe(2 ** Math.min(17 + i, 127));
    expect(scales[109]).toBe(2 ** 126);
    expect(scales[110]).toBe(2 ** 127);
    const refused = s.events.filter((e) => e.action === 'growth-refused');
    expect(refused.length).toBe(150 - 111);
    expect(refused[0].step).toBe(111);
  });

  it('halves through float32 subnormals down to 0 after 166 consecutive infs (2^16 → 2^-149 → 0)', () => {
    const s = new DynamicLossScaler({ preset: 'torch' });
    const scales = run(s, Array(200).fill(T));
    for (let i = 0; i < 165; i++) expect(scales[i]).toBe(2 ** (15 - i));
    expect(scales[164]).toBe(2 ** -149);
    expect(scales[165]).toBe(0);
    expect(scales[199]).toBe(0);
  });

  it('unscale multiplies by float32(1/scale), returns new arrays, detects inf/NaN and leaves inputs alone', () => {
    const s = new DynamicLossScaler({ preset: 'torch', initScale: 1024 });
    const g = new Float32Array([2048, 3, Infinity]);
    const { grads, foundInf, nonFinite } = s.unscale(g);
    expect(Array.from(grads)).toEqual([2, 3 / 1024, Infinity]);
    expect(foundInf).toBe(true);
    expect(nonFinite).toBe(1);
    expect(Array.from(g)).toEqual([2048, 3, Infinity]);
    const s3 = new DynamicLossScaler({ preset: 'torch', initScale: 3 });
    const inv = Math.fround(1 / 3);
    const r = s3.unscale([new Float32Array([1, 7]), new Float64Array([5])]);
    expect(Array.from(r.grads[0])).toEqual([Math.fround(inv), Math.fround(7 * inv)]);
    expect(Array.from(r.grads[1])).toEqual([5 * inv]);
    expect(r.foundInf).toBe(false);
    expect(s3.scale(new Float32Array([0.1]))[0]).toBe(Math.fround(Math.fround(0.1) * 3));
    expect(s3.scale(2)).toBe(6);
  });
});

describe('deepspeed presets (DeepSpeed DynamicLossScaler)', () => {
  it('defaults: hysteresis 2 absorbs the first overflow, growth after 1000 stable steps (>= 0.17.1: 1001 clean updates)', () => {
    const s = new DynamicLossScaler({ preset: 'deepspeed' });
    const pattern = [T, T, T, ...Array(1001).fill(F), T, T];
    const scales = run(s, pattern);
    expect(scales.slice(0, 3)).toEqual([65536, 32768, 16384]);
    expect(scales[1002]).toBe(16384);
    expect(scales[1003]).toBe(32768); // stable_interval = 1003 - 2 - 1 = 1000
    expect(scales[1004]).toBe(32768); // hysteresis refilled to 2 by the growth: absorbed
    expect(scales[1005]).toBe(16384);
    expect(s.events.map((e) => e.action)).toEqual(['hysteresis', 'backoff', 'backoff', 'growth', 'hysteresis', 'backoff']);
  });

  it('legacy rule (< 0.17.1) grows one step earlier', () => {
    const s = new DynamicLossScaler({ preset: 'deepspeed-legacy' });
    const scales = run(s, [T, T, T, ...Array(1001).fill(F)]);
    expect(scales[1001]).toBe(16384);
    expect(scales[1002]).toBe(32768);
    const a = run(new DynamicLossScaler({ preset: 'deepspeed' }), Array(2001).fill(F));
    const b = run(new DynamicLossScaler({ preset: 'deepspeed-legacy' }), Array(2001).fill(F));
    expect([a[999], a[1000], a[1999], a[2000]]).toEqual([65536, 131072, 131072, 262144]);
    expect([b[998], b[999], b[1998], b[1999]]).toEqual([65536, 131072, 131072, 262144]);
  });

  it('shrinks to minScale 1 and raises on the next due decrease, as DeepSpeed does', () => {
    const s = new DynamicLossScaler({ preset: 'deepspeed' });
    const scales = run(s, Array(17).fill(T));
    expect(scales[0]).toBe(65536);
    for (let i = 1; i <= 16; i++) expect(scales[i]).toBe(2 ** (16 - i));
    expect(() => s.update(true)).toThrow(LossScaleMinimumError);
    const t = new DynamicLossScaler({ preset: 'deepspeed', raiseErrorAtMinScale: false });
    const sc = run(t, Array(20).fill(T));
    expect(sc[19]).toBe(1);
    expect(t.events.filter((e) => e.action === 'at-minimum').length).toBe(3);
  });

  it('custom parameters: hand-derived table (hysteresis 1, minScale 0.25, window 3, factor 4)', () => {
    const s = new DynamicLossScaler({ preset: 'deepspeed', initScale: 64, hysteresis: 1, minScale: 0.25, scaleWindow: 3, scaleFactor: 4, raiseErrorAtMinScale: false });
    expect(run(s, [T, T, T, T, T, F, F, F, F, F, F, F])).toEqual([16, 4, 1, 0.25, 0.25, 0.25, 0.25, 0.25, 1, 1, 1, 4]);
  });

  it('consecutive hysteresis refills on every clean step', () => {
    const pat = [T, F, T, F, T, F];
    expect(run(new DynamicLossScaler({ preset: 'deepspeed', consecutiveHysteresis: true }), pat)).toEqual(Array(6).fill(65536));
    expect(run(new DynamicLossScaler({ preset: 'deepspeed' }), pat)).toEqual([65536, 65536, 32768, 32768, 16384, 16384]);
  });
});

describe('scaler invariants (fast-check)', () => {
  it('torch: the scale is always a float32 value; with power-of-two factors it stays a power of two (or 0)', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 400 }), fc.integer({ min: 1, max: 5 }), (pat, interval) => {
      const s = new DynamicLossScaler({ preset: 'torch', growthInterval: interval });
      for (const inf of pat) {
        s.update(inf);
        const v = s.lossScale;
        expect(Math.fround(v)).toBe(v);
        expect(v === 0 || Number.isInteger(Math.log2(v))).toBe(true);
      }
      expect(s.skippedSteps).toBe(pat.filter(Boolean).length);
    }), { numRuns: 200 });
  });

  it('deepspeed: the scale never drops below minScale and only changes by the factor', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 400 }), fc.integer({ min: 1, max: 3 }), (pat, hyst) => {
      const s = new DynamicLossScaler({ preset: 'deepspeed', hysteresis: hyst, scaleWindow: 5, raiseErrorAtMinScale: false, initScale: 8 });
      let prev = s.lossScale;
      for (const inf of pat) {
        s.update(inf);
        const v = s.lossScale;
        expect(v).toBeGreaterThanOrEqual(1);
        expect([prev, prev * 2, Math.max(prev / 2, 1)]).toContain(v);
        if (!inf) expect(v).toBeGreaterThanOrEqual(prev);
        prev = v;
      }
    }), { numRuns: 200 });
  });
});

describe('simulateLossScale', () => {
  it('explains a broken run (deepspeed): the minimum is hit and DeepSpeed would stop', () => {
    const sim = simulateLossScale(new Array(40).fill(1e6), 'deepspeed');
    expect(sim.minScaleHits).toBe(23);
    expect(sim.wouldRaiseAtStep).toBe(17);
    expect(sim.overflowSteps).toBe(40);
    expect(sim.explanation[1]).toMatch(/^The scale reached its minimum \(1\) 23 times: the unscaled gradients themselves exceed fp16's range \(max 65504\); loss scaling cannot fix this\./);
  });

  it('torch on NaN gradients: the scale reaches 0 at step 165', () => {
    const sim = simulateLossScale(new Array(200).fill(NaN), 'torch');
    expect(sim.scaleReachedZeroAtStep).toBe(165);
    expect(sim.unfixableSteps).toBe(200);
    expect(sim.explanation.join(' ')).toMatch(/underflowed to 0/);
  });

  it('torch on tiny gradients grows to the float32 limit', () => {
    const sim = simulateLossScale(new Float64Array(200), { preset: 'torch', growthInterval: 1 });
    expect(sim.finalScale).toBe(2 ** 127);
    expect(sim.growthsRefused).toBe(89);
    expect(sim.overflowSteps).toBe(0);
  });

  it('the scale sequence equals a manual replay of the scaler on the same overflow decisions', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant(1e-3), fc.constant(0.5), fc.constant(3), fc.constant(Infinity)), { minLength: 1, maxLength: 300 }), fc.constantFrom('torch', 'deepspeed'), (series, preset) => {
      const opts = preset === 'torch' ? { preset, growthInterval: 4 } as const : { preset, scaleWindow: 4, raiseErrorAtMinScale: false } as const;
      const sim = simulateLossScale(series, opts);
      const s = new DynamicLossScaler(opts);
      for (let i = 0; i < series.length; i++) {
        expect(sim.scales[i]).toBe(s.lossScale);
        s.update(!(series[i] * s.lossScale < 65520));
      }
      expect(sim.finalScale).toBe(s.lossScale);
    }), { numRuns: 100 });
  });

  it('errors', () => {
    expect(() => simulateLossScale([], 'torch')).toThrow(RangeError);
    expect(() => simulateLossScale([-1], 'torch')).toThrow(/>= 0/);
    expect(() => simulateLossScale('x' as never, 'torch')).toThrow(TypeError);
    expect(() => new DynamicLossScaler({ preset: 'jax' as never })).toThrow(/preset/);
    expect(() => new DynamicLossScaler({ growthFactor: 1 })).toThrow(/growthFactor/);
    expect(() => new DynamicLossScaler({ backoffFactor: 1 })).toThrow(/backoffFactor/);
    expect(() => new DynamicLossScaler({ growthInterval: 1.5 })).toThrow(/growthInterval/);
    expect(() => new DynamicLossScaler({ initScale: 1e39 })).toThrow(/float32/);
    expect(() => new DynamicLossScaler().update(1 as never)).toThrow(TypeError);
    expect(() => new DynamicLossScaler().unscale([new Int8Array(1)] as never)).toThrow(TypeError);
  });
});
