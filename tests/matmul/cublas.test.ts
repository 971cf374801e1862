// Conformance with cuBLAS on an H200 (../shared/vectors/gemm-cublas, or its fixture subset): bf16/fp16
// inputs, fp32 accumulation, result rounded to the input format. Oracle: cuBLAS's own output bits and
// the float64 product of the same rounded inputs (C_ref_f64). Thresholds from issue 5.
//
// RMS against C_ref_f64 is compared twice: (1) on the fp32 results themselves (C_cublas_f32out vs
// lowp's fp32 output): the accuracy of the accumulation, strictly no worse than cuBLAS's; (2) on the
// bf16/fp16 outputs, over every element except "near ties": elements whose exact value lies within
// what fp32 summation order may change (4 fp32 ulps, or 8·2⁻²⁴·Σ|a_k b_k| where products cancel) of a
// bf16/fp16 rounding boundary. There the low-precision result is decided by the sign of the fp32
// accumulator's rounding errors, not by their size (e.g. s2.bf16 has an exact 45.8749997...,
// 2.4e-7 below the tie 45.875: every correctly rounded fp32 sum is 45.875 and rounds to even, 46, while
// cuBLAS's tensor cores truncate to 45.87497 and get 45.75). Those elements still must be within 1 ulp.
// (3) On all bf16/fp16 outputs, near ties included, lowp's RMS is no larger than cuBLAS's wherever an
// ideal fp32 accumulator can achieve that: the exact sum rounded once to fp32 and then cast, the best
// result any fp32 accumulation can give. On s2.bf16 (full vectors only) even that ideal is 1.42e-9
// (relative) above cuBLAS, because of the element above: the criterion is out of reach of every fp32
// accumulator there, which the last test pins down.
import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/matmul/index.js';
import { decode, round } from '../../src/formats/index.js';
import { loadVectors } from '../helpers/vectors.js';

const v = loadVectors('gemm-cublas');
const cases = v.keys.filter((k) => k.endsWith('.shape_i64')).map((k) => k.slice(0, -'.shape_i64'.length));

/** Whether the exact value v is within max(4 fp32 ulps, 8·2⁻²⁴·absSum) of a rounding boundary of fmt. */
function nearTie(v: number, absSum: number, fmt: 'bf16' | 'fp16'): boolean {
  if (v === 0 || !Number.isFinite(v)) return false;
  const d = Math.max(4 * 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23), 8 * 2 ** -24 * absSum);
  const r = round(v, fmt);
  return round(v + d, fmt) !== r || round(v - d, fmt) !== r;
}

/** Signed-magnitude 16-bit code → ordered integer, so |ord(a) − ord(b)| counts ulps. */
const ord = (c: number): number => (c & 0x8000 ? -(c & 0x7fff) : c);

describe('matmul vs cuBLAS (gemm-cublas)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    for (const fmt of ['bf16', 'fp16'] as const) {
      const key = `${c}.${fmt}`;
      if (!v.has(`${key}.A`)) continue;
      it(`${key}: ≥ 98.5% bit-equal, each within 1 ulp or the fp32 summation-order bound, fp32 RMS ≤ cuBLAS's, low-output RMS ≤ cuBLAS's off near-ties`, () => {
        const [M, K, N] = Array.from(v.get(`${c}.shape_i64`).data as BigInt64Array, Number);
        const A = v.get(`${key}.A`).data as Uint16Array;
        const B = v.get(`${key}.B`).data as Uint16Array;
        const want = v.get(`${key}.C_cublas_lowout`).data as Uint16Array;
        const ref = v.get(`${key}.C_ref_f64`).data as Float64Array;
        const a = { rows: M, cols: K, data: A, format: fmt };
        const b = { rows: K, cols: N, data: B, format: fmt };
        const res = matmul(a, b, { output: fmt });
        const res32 = matmul(a, b).data as Float32Array;
        const want32 = v.get(`${key}.C_cublas_f32out`).data as Float32Array;
        expect(res.format).toBe(fmt);
        const got = res.data as Uint16Array;
        // Σ|a_k b_k| per element, for the summation-order bound 8·2^-24·Σ|a_k b_k|
        const Av = Float64Array.from(A, (x) => decode(x, fmt));
        const Bv = Float64Array.from(B, (x) => decode(x, fmt));
        let equal = 0;
        let errLowp = 0;
        let errCublas = 0;
        let err32Lowp = 0;
        let err32Cublas = 0;
        let ties = 0;
        let allLowp = 0;
        let allCublas = 0;
        let allIdeal = 0;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            const e = i * N + j;
            let absSum = 0;
            for (let k = 0; k < K; k++) absSum += Math.abs(Av[i * K + k] * Bv[k * N + j]);
            if (got[e] === want[e]) equal++;
            else if (Math.abs(ord(got[e]) - ord(want[e])) > 1) {
              expect(Math.abs(decode(got[e], fmt) - decode(want[e], fmt))).toBeLessThanOrEqual(8 * 2 ** -24 * absSum);
            }
            err32Lowp += (res32[e] - ref[e]) ** 2;
            err32Cublas += (want32[e] - ref[e]) ** 2;
            allLowp += (decode(got[e], fmt) - ref[e]) ** 2;
            allCublas += (decode(want[e], fmt) - ref[e]) ** 2;
            allIdeal += (round(Math.fround(ref[e]), fmt) - ref[e]) ** 2;
            if (nearTie(ref[e], absSum, fmt)) {
              ties++;
              continue;
            }
            errLowp += (decode(got[e], fmt) - ref[e]) ** 2;
            errCublas += (decode(want[e], fmt) - ref[e]) ** 2;
          }
        }
        expect(equal / (M * N)).toBeGreaterThanOrEqual(0.985);
        expect(Math.sqrt(err32Lowp)).toBeLessThanOrEqual(Math.sqrt(err32Cublas));
        expect(ties).toBeLessThan(0.25 * M * N); // a sanity bound: most elements are far from any tie
        expect(Math.sqrt(errLowp)).toBeLessThanOrEqual(Math.sqrt(errCublas));
        if (allIdeal <= allCublas) expect(Math.sqrt(allLowp)).toBeLessThanOrEqual(Math.sqrt(allCublas));
        else expect(key).toBe('s2.bf16'); // the one known case out of reach of fp32 accumulation
      });
    }
  }

  it.runIf(v.has('s2.bf16.A'))('s2.bf16: an ideal fp32 accumulator (exact sum, one rounding to fp32, then the cast) has a larger bf16 RMS than cuBLAS', () => {
    const want = v.get('s2.bf16.C_cublas_lowout').data as Uint16Array;
    const ref = v.get('s2.bf16.C_ref_f64').data as Float64Array;
    let ideal = 0;
    let cublas = 0;
    for (let e = 0; e < ref.length; e++) {
      ideal += (round(Math.fround(ref[e]), 'bf16') - ref[e]) ** 2;
      cublas += (decode(want[e], 'bf16') - ref[e]) ** 2;
    }
    expect(Math.sqrt(ideal / cublas) - 1).toBeGreaterThan(1e-9);
  });
});
