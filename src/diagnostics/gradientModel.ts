// The model of the next gradient that simulateAdamStep uses when a checkpoint has no gradient: per
// element g ~ Normal(μ, σ²) with μ = s·m̂ and σ² = max(v̂ − μ², 0), where m̂ = m / (1 − β1^t) and
// v̂ = v / (1 − β2^t) are the bias-corrected float32 moments of the checkpoint (so E[g] = μ and
// E[g²] = v̂, the second moment Adam itself has measured) and s ∈ [0, 1] shrinks the mean toward 0.
//
// Why shrink: m̂ is an exponential average of noisy gradients, so it holds noise of variance
// σ²·ρ, ρ = (1 − β1)(1 + β1^t) / ((1 + β1)(1 − β1^t)) (the sum of the squared, normalised EMA weights).
// When the squared means of a tensor are no larger than that noise, m̂ says little about the next
// gradient's mean. s is the positive-part James–Stein factor of the tensor, 1 − Σσ²ρ / Σm̂², an
// empirical-Bayes estimate of how much of m̂ is signal; it needs nothing but the checkpoint.
//
// The expectation over g is taken with K equal-probability strata of the standard normal, each
// represented by its conditional mean, then rescaled to unit variance: the nodes have mean 0 and
// variance 1 exactly, are symmetric, need no random numbers, and weigh 1/K each. The strata's bounds are
// lowp/quant's normal quantiles (accurate to ~1e-14 relative).
import { normalQuantile } from '../quant/codebooks.js';

const normalPdf = (x: number): number => (Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0);

/**
 * K standard-normal nodes of equal weight 1/K: the conditional means of the K equal-probability strata,
 * rescaled so that their mean is 0 and their variance exactly 1. Ascending and symmetric.
 *
 * @internal
 */
export function normalNodes(k: number): Float64Array {
  const z = new Float64Array(k);
  if (k === 1) return z;
  const bounds = new Float64Array(k + 1);
  bounds[0] = -Infinity;
  bounds[k] = Infinity;
  for (let i = 1; i < k; i++) bounds[i] = normalQuantile(i / k);
  let sumSq = 0;
  for (let i = 0; i < k; i++) {
    z[i] = k * (normalPdf(bounds[i]) - normalPdf(bounds[i + 1])); // E[Z | stratum i]
    sumSq += z[i] * z[i];
  }
  // symmetrise (the bisection is symmetric up to rounding) and scale to unit variance
  const scale = 1 / Math.sqrt(sumSq / k);
  for (let i = 0; i < k >> 1; i++) {
    const a = 0.5 * (z[k - 1 - i] - z[i]) * scale;
    z[i] = -a;
    z[k - 1 - i] = a;
  }
  if (k % 2 === 1) z[k >> 1] = 0;
  return z;
}

/**
 * ρ: the variance of the bias-corrected EMA m̂ of t i.i.d. values of variance 1, for decay β:
 * (1 − β)(1 + β^t) / ((1 + β)(1 − β^t)); 1 at t = 1 (m̂ is the one gradient seen), → (1 − β)/(1 + β).
 *
 * @internal
 */
export function emaNoiseRatio(beta: number, t: number): number {
  if (t < 1) return 1;
  const bt = beta ** t;
  if (bt === 1) return 1; // β = 1 cannot happen (validated), but keep the ratio finite
  return ((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt));
}

/**
 * The positive-part James–Stein factor s = max(0, 1 − ρ·Σmax(v̂ − m̂², 0) / Σm̂²) of one tensor, from
 * its running sums. 0 when Σm̂² = 0 (no evidence of a mean).
 *
 * @internal
 */
export function meanShrink(sumMeanSq: number, sumVar: number, rho: number): number {
  if (!(sumMeanSq > 0) || !Number.isFinite(sumMeanSq)) return 0;
  const s = 1 - (rho * sumVar) / sumMeanSq;
  return s > 0 ? (s < 1 ? s : 1) : 0;
}
