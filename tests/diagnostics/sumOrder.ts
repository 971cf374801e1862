// Comparison of two cast analyses that may differ only in the summation order of their error sums (the
// WebAssembly SIMD kernel of src/wasm/analyze.ts against analyzeCast's TypeScript loop, a streaming
// analysis against a one-shot one). Everything but meanAbsError, meanRelError and sqnrDb must be equal.
// The sums run over n non-negative terms that are the same in both (err, err², x² exact in float64;
// rel = err/|x| correctly rounded), so each computed sum is within γ(n−1) = (n−1)u/(1 − (n−1)u) of the
// exact sum S (u = 2^-53, any order: Higham, Accuracy and Stability, §4.2), hence
// |a − b| ≤ 2γ(n−1)·S; a mean adds one rounded division to each; sqnrDb = 10·log10(SX/SE) moves by at
// most (10/ln 10)·(relative change of SX + relative change of SE + 2u).
import { expect } from 'vitest';
import type { CastAnalysis } from '../../src/diagnostics/analyzeCast.js';

const U = 2 ** -53;

/** Relative bound on the difference of two sums of n non-negative terms in different orders. */
export function sumOrderBound(n: number): number {
  const g = ((n - 1) * U) / (1 - (n - 1) * U);
  return 2 * g;
}

function close(a: number, b: number, relTol: number, what: string): void {
  if (a === b) return;
  expect(Number.isFinite(a) && Number.isFinite(b), `${what}: ${a} vs ${b}`).toBe(true);
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(relTol * Math.max(Math.abs(a), Math.abs(b)));
}

/** Asserts that a and b are equal up to the summation order of their error sums over n elements. */
export function expectEqualUpToSumOrder(a: CastAnalysis, b: CastAnalysis, n: number, label = ''): void {
  const { meanAbsError: aAbs, meanRelError: aRel, sqnrDb: aDb, ...aRest } = a.error;
  const { meanAbsError: bAbs, meanRelError: bRel, sqnrDb: bDb, ...bRest } = b.error;
  expect(aRest, label).toEqual(bRest);
  const tol = sumOrderBound(n) + 2 * U;
  close(aAbs, bAbs, tol, `${label} meanAbsError`);
  close(aRel, bRel, tol, `${label} meanRelError`);
  if (aDb !== bDb) {
    expect(Number.isFinite(aDb) && Number.isFinite(bDb), `${label} sqnrDb: ${aDb} vs ${bDb}`).toBe(true);
    expect(Math.abs(aDb - bDb), `${label} sqnrDb: ${aDb} vs ${bDb}`).toBeLessThanOrEqual((10 / Math.LN10) * (2 * sumOrderBound(n) + 4 * U));
  }
  const { error: _ae, reasons: _ar, ...aOther } = a;
  const { error: _be, reasons: _br, ...bOther } = b;
  expect(aOther, label).toEqual(bOther);
  expect(a.reasons.length, label).toBe(b.reasons.length);
}
