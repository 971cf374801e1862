// The bulk kernels of simulateAdamStep against their per-element reference twins (adamKernels.ts), on
// inputs full of special values; the bit-pattern helpers against lowp's generic codec.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bulkBuffers, foreachBulk, foreachElement, fusedBulk, fusedElement, halfGap, halfGapFast, precisionOps, roundBitsInPlace, srMoveBulk, srMoveProbability,
  type ElementOut,
} from '../../src/diagnostics/adamKernels.js';
import { resolveAdamOptions, stepConstants } from '../../src/diagnostics/adamStep.js';
import { decode } from '../../src/formats/scalar.js';
import { round } from '../../src/formats/scalar.js';

const KINDS = ['bf16', 'fp16', 'fp32'] as const;
const same = (a: number, b: number) => (a !== a && b !== b) || Object.is(a, b);

const specials = [0, -0, NaN, Infinity, -Infinity, 1, -1, 65504, -65504, 65520, 70000, 2 ** -14, 2 ** -24, 2 ** -25, 3e-8, 1e-40, 3.3e38, -3.4e38, 2 ** -126, 2 ** -133];
const f32 = fc.oneof(
  fc.constantFrom(...specials),
  fc.float({ noDefaultInfinity: false }),
  fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true }),
  fc.float({ min: Math.fround(-1e-7), max: Math.fround(1e-7), noNaN: true }),
).map(Math.fround);

describe('bulk kernels equal the per-element reference', () => {
  it('foreachBulk/fusedBulk: every result of every element, all precisions and options', () => {
    fc.assert(fc.property(
      fc.constantFrom(...KINDS), fc.constantFrom('foreach', 'fused' as const), fc.array(fc.tuple(f32, f32, f32, f32, f32), { minLength: 1, maxLength: 40 }),
      fc.record({ lr: fc.constantFrom(0, 1e-5, 1e-3, 0.1), b1: fc.constantFrom(0, 0.3, 0.9), b2: fc.constantFrom(0.5, 0.95, 0.999), eps: fc.constantFrom(0, 1e-8, 1e-3), wd: fc.constantFrom(0, 0.01, 1), decoupled: fc.boolean(), maximize: fc.boolean(), amsgrad: fc.boolean(), step: fc.integer({ min: 0, max: 1000 }) }),
      (prec, impl, rows, h) => {
        const o = resolveAdamOptions({ lr: h.lr, betas: [h.b1, h.b2], eps: h.eps, weightDecay: h.wd, decoupled: h.decoupled, maximize: h.maximize, amsgrad: h.amsgrad, precision: prec, implementation: impl }, 't');
        const { k } = stepConstants(o, h.step);
        const ops = precisionOps(prec);
        const n = rows.length;
        const col = (j: number, abs = false) => Float32Array.from(rows, (r) => ops.round(abs ? Math.abs(r[j]) : r[j]));
        const p = col(0), m = col(1), v = col(2, true), vm = col(3, true), g = col(4);
        const b = bulkBuffers(64);
        (impl === 'foreach' ? foreachBulk : fusedBulk)(k, n, p, m, v, h.amsgrad ? vm : null, g, b);
        const out: ElementOut = { p: 0, m: 0, v: 0, vmax: 0, y: 0, d: 0, q: 0, decayNoop: false, vDecayAbsorbed: false, a: 0 };
        for (let i = 0; i < n; i++) {
          (impl === 'foreach' ? foreachElement : fusedElement)(k, p[i], m[i], v[i], vm[i], g[i], out);
          const got = [b.P[i], b.M[i], b.V[i], b.D[i], b.Q[i], b.Y[i], b.A[i], (b.flags[i] & 1) === 1, (b.flags[i] & 2) === 2];
          const want = [out.p, out.m, out.v, out.d, out.q, out.y, out.a, out.decayNoop, out.vDecayAbsorbed];
          for (let j = 0; j < got.length; j++) {
            // the update per unit lr (6) only steers the lr thresholds: its sign of zero does not matter
            const ok = typeof got[j] === 'boolean' ? got[j] === want[j] : j === 6 ? got[j] === want[j] || same(got[j] as number, want[j] as number) : same(got[j] as number, want[j] as number);
            expect(ok, `element ${i} result ${j}: ${String(got[j])} vs ${String(want[j])} (p ${p[i]} m ${m[i]} v ${v[i]} g ${g[i]})`).toBe(true);
          }
          if (h.amsgrad) expect(same(b.VM[i], out.vmax)).toBe(true);
        }
      }), { numRuns: 600 });
  });
});

describe('bit-pattern helpers against the generic codec and the reference', () => {
  it('roundBitsInPlace rounds like lowp\'s round()', () => {
    fc.assert(fc.property(fc.constantFrom(0, 1), fc.array(f32, { minLength: 1, maxLength: 64 }), (kind, xs) => {
      const a = Float32Array.from(xs);
      roundBitsInPlace(kind, new Uint32Array(a.buffer), a.length);
      for (let i = 0; i < xs.length; i++) expect(same(a[i], round(xs[i], kind === 0 ? 'bf16' : 'fp16'))).toBe(true);
    }), { numRuns: 400 });
  });

  for (const [kind, prec] of [[0, 'bf16'], [1, 'fp16']] as const) {
    it(`halfGapFast equals halfGap for every ${prec} value, both directions`, () => {
      const ops = precisionOps(prec);
      for (let c = 0; c < 0x10000; c++) {
        const x = decode(c, prec);
        for (const dir of [1, -1]) {
          const want = halfGap(ops, x, dir), got = halfGapFast(kind, x, dir);
          if (!same(got, want)) expect(`${prec} code ${c} dir ${dir}: ${got}`).toBe(`${want}`);
        }
      }
    });
  }
  it('halfGapFast equals halfGap on float32 values', () => {
    const ops = precisionOps('fp32');
    fc.assert(fc.property(f32, fc.constantFrom(1, -1), (x, dir) => {
      expect(same(halfGapFast(2, x, dir), halfGap(ops, x, dir))).toBe(true);
    }), { numRuns: 2000 });
  });

  it('srMoveBulk equals srMoveProbability (stochastic rounding on lowp\'s codec)', () => {
    fc.assert(fc.property(fc.constantFrom(...KINDS), f32, fc.integer({ min: 0, max: 3 }), (prec, y, pick) => {
      const kind = KINDS.indexOf(prec);
      const ops = precisionOps(prec);
      const r = round(y, prec, { rounding: 'toward-zero' });
      // x: the neighbour toward zero, the one away, y's nearest value, or something else
      const s = y < 0 || Object.is(y, -0) ? -1 : 1;
      const away = Number.isFinite(r) ? r + s * 2 * halfGap(ops, Math.abs(r), 1) : r;
      const x = [r, away, ops.round(y), 0.5][pick];
      const out = new Float64Array(1);
      srMoveBulk(kind, 1, Float32Array.of(y), Float32Array.of(x), out);
      expect(out[0]).toBeCloseTo(srMoveProbability(ops, y, x), 12);
    }), { numRuns: 4000 });
  });
});
