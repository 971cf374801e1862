// Emulation of NVIDIA Hopper fp8 tensor-core accumulation (`accumulate: 'fp8-hopper'`), the model in
// docs/matmul.md: k in groups of 32 (one fp8 WGMMA k-step); per group, the exact products and the
// tensor-core accumulator t are aligned to the largest exponent E among them and truncated toward zero
// to multiples of 2^(E−13), summed exactly, and t = fl32(sum); every `blockK` k (promotion interval,
// 128 by default) t is added to an fp32 accumulator and restarts from 0. Reference: the H200 outputs
// of ../shared/vectors/gemm-fp8-h200 (RMS error within a few % of the H200's in both modes; most bits
// equal in "fast accumulation" mode). This file holds the fast twin; reference.ts has the plain one.
import { exponentOf, pow2 } from '../formats/index.js';

/** Products per tensor-core group (the k of one fp8 WGMMA instruction). */
export const HOPPER_GROUP = 32;
/** Bits kept below the leading bit of the group's largest term. */
export const HOPPER_BITS = 13;

/**
 * One tensor-core group step: t' = fl32(Σ trunc(x / q)·q over x ∈ {t} ∪ products), q = 2^(E−13), E the
 * largest exponent among them. `terms[0..n)` holds the products. Non-finite values propagate.
 */
export function hopperGroup(t: number, terms: Float64Array, n: number): number {
  let mx = Math.abs(t);
  let sum = t;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(terms[i]);
    if (a > mx) mx = a;
    sum += terms[i];
  }
  if (mx === 0 || !Number.isFinite(sum)) return Math.fround(sum);
  const q = pow2(exponentOf(mx) - HOPPER_BITS);
  let s = Math.trunc(t / q) * q;
  for (let i = 0; i < n; i++) s += Math.trunc(terms[i] / q) * q; // exact: integers below 2^20 times q
  return Math.fround(s);
}
