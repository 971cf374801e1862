// The gradient model behind simulateAdamStep's estimate without a gradient (src/diagnostics/
// gradientModel.ts), against slow, obviously-correct twins: the normal nodes against the same strata
// built with a quantile found by bisection on a power series of Φ (independent of lowp/quant's
// normalQuantile, which the nodes use), the EMA noise ratio against the explicit sum of the squared,
// normalised EMA weights; and the James–Stein factor by what a shrinkage factor must do (bounds, its
// two ends, monotone in the noise and in the means).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emaNoiseRatio, meanShrink, normalNodes } from '../../src/diagnostics/gradientModel.js';

/** Φ(x) by Marsaglia's series (|error| < 1e-15 for |x| ≤ 9). */
function cdfSeries(x: number): number {
  if (x < -9) return 0;
  if (x > 9) return 1;
  let t = x, s = x;
  for (let i = 3; i < 500; i += 2) {
    t = (t * x * x) / i;
    if (s + t === s) break;
    s += t;
  }
  return 0.5 + s * Math.exp(-0.5 * x * x - 0.9189385332046727);
}

/** Φ⁻¹(p) by bisection on cdfSeries. */
function quantileBisect(p: number): number {
  let lo = -9, hi = 9;
  while (hi - lo > 1e-15 * Math.max(1, Math.abs(lo))) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (cdfSeries(mid) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

const pdf = (x: number): number => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0);

/** The nodes the slow way: stratum means from bisection quantiles, rescaled to variance 1. */
function nodesTwin(k: number): number[] {
  if (k === 1) return [0];
  const b = [-Infinity, ...Array.from({ length: k - 1 }, (_, i) => quantileBisect((i + 1) / k)), Infinity];
  const z = Array.from({ length: k }, (_, i) => k * (pdf(b[i]) - pdf(b[i + 1])));
  const sd = Math.sqrt(z.reduce((a, x) => a + x * x, 0) / k);
  return z.map((x) => x / sd);
}

describe('normalNodes', () => {
  it('k nodes, ascending, symmetric, mean 0 and variance 1, and the twin\'s nodes within 1e-12', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 256 }), (k) => {
      const z = normalNodes(k);
      expect(z.length).toBe(k);
      for (let i = 1; i < k; i++) expect(z[i]).toBeGreaterThan(z[i - 1]);
      for (let i = 0; i < k; i++) expect(z[i]).toBe(-z[k - 1 - i] + 0); // +0: −0 and 0 alike
      const mean = z.reduce((a, x) => a + x, 0) / k;
      const variance = z.reduce((a, x) => a + x * x, 0) / k;
      expect(Math.abs(mean)).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(variance - (k === 1 ? 0 : 1))).toBeLessThanOrEqual(1e-13);
      const twin = nodesTwin(k);
      for (let i = 0; i < k; i++) expect(Math.abs(z[i] - twin[i]), `k ${k} node ${i}`).toBeLessThanOrEqual(1e-12);
    }), { numRuns: 120 });
  });
});

describe('emaNoiseRatio', () => {
  it('is the sum of the squared, normalised weights of the bias-corrected EMA of t values', () => {
    // β in thousandths and Adam's usual values (fc.double would mostly draw β ≈ 0)
    const betas = fc.oneof(fc.integer({ min: 0, max: 999 }).map((i) => i / 1000), fc.constantFrom(0.9, 0.95, 0.99, 0.999, 0.9999));
    fc.assert(fc.property(betas, fc.integer({ min: 1, max: 400 }), (beta, t) => {
      // m̂ = Σ_j (1 − β)β^(t−1−j) g_j / (1 − β^t): weights w_j, variance Σ w_j² for unit-variance g
      let sum = 0, sumSq = 0;
      for (let j = 0; j < t; j++) {
        const w = (1 - beta) * beta ** (t - 1 - j);
        sum += w;
        sumSq += w * w;
      }
      const exact = sumSq / (sum * sum);
      expect(Math.abs(emaNoiseRatio(beta, t) - exact)).toBeLessThanOrEqual(1e-9 * exact);
    }), { numRuns: 300 });
    expect(emaNoiseRatio(0.9, 1)).toBe(1);
    expect(emaNoiseRatio(0.9, 0)).toBe(1);
  });
});

describe('meanShrink', () => {
  it('a factor in [0, 1]: 1 without noise, 0 once the noise reaches the squared means, falling as the noise grows and rising with the means', () => {
    // thousandths (fc.double spreads over the exponents: ρ·Σvar would almost never reach Σm̂²)
    const milli = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max }).map((i) => i / 1000);
    fc.assert(fc.property(milli(1, 1e6), milli(0, 1e6), milli(0, 1000), milli(1, 1e6), (m, v, rho, more) => {
      const s = meanShrink(m, v, rho);
      expect(s >= 0 && s <= 1).toBe(true);
      expect(meanShrink(m, 0, rho)).toBe(1);
      expect(meanShrink(m, v, 0)).toBe(1);
      if (rho * v >= m) expect(s).toBe(0);
      if (rho * v < m) expect(s).toBeGreaterThan(0);
      expect(meanShrink(m, v + more, rho)).toBeLessThanOrEqual(s);
      expect(meanShrink(m + more, v, rho)).toBeGreaterThanOrEqual(s);
    }), { numRuns: 300 });
    // no evidence of a mean: 0
    for (const m of [0, -1, Infinity, Number.NaN]) expect(meanShrink(m, 1, 0.1)).toBe(0);
  });
});
