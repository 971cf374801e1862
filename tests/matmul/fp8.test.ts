// fp8 (e4m3fn) code inputs, against the H200 vectors (../shared/vectors/gemm-fp8-h200, or the fixture
// subset): C = (A·scale_a)(B·scale_b)ᵀ with B stored [N,K], as torch._scaled_mm computes it. Oracle:
// C_ref_f64, the float64 product of the decoded, scaled inputs. lowp's fp32 accumulation (scales
// applied to the fp32 result) must be far closer to it than Hopper's fp8 tensor cores, which keep about
// 14 bits while accumulating (README of the vectors: RMS error 440–500× that of plain fp32): lowp's
// RMS must be below the H200's / 50, and fp64 accumulation must reproduce C_ref_f64 to float64
// rounding of the final scaling.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matmul, matmulReference } from '../../src/matmul/index.js';
import { encodeArray } from '../../src/formats/index.js';
import { loadVectors } from '../helpers/vectors.js';

const v = loadVectors('gemm-fp8-h200');
const cases = v.keys.filter((k) => k.endsWith('.shape_i64')).map((k) => k.slice(0, -'.shape_i64'.length));

describe('fp8 e4m3fn inputs vs H200 _scaled_mm (gemm-fp8-h200)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(`${c}: fp32 accumulation ≥ 50× more accurate than H200 fp8 tensor cores; fp64 matches C_ref_f64`, () => {
      const [M, K, N] = Array.from(v.get(`${c}.shape_i64`).data as BigInt64Array, Number);
      const a = { rows: M, cols: K, data: v.get(`${c}.A_e4m3fn`).data as Uint8Array, format: 'fp8-e4m3fn' };
      const w = { rows: N, cols: K, data: v.get(`${c}.B_e4m3fn`).data as Uint8Array, format: 'fp8-e4m3fn' };
      const scale = (v.get(`${c}.scale_a`).data as Float32Array)[0] * (v.get(`${c}.scale_b`).data as Float32Array)[0];
      const ref = v.get(`${c}.C_ref_f64`).data as Float64Array;
      const h200 = v.get(`${c}.C_h200_f32`).data as Float32Array;
      const c32 = matmul(a, w, { transB: true }).data as Float32Array;
      expect(Array.from(c32)).toEqual(Array.from(matmulReference(a, w, { transB: true }).data));
      const c64 = matmul(a, w, { transB: true, accumulate: 'fp64', output: 'fp64' }).data as Float64Array;
      let eL = 0;
      let eH = 0;
      const maxRef = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let e = 0; e < M * N; e++) {
        eL += (Math.fround(c32[e] * scale) - ref[e]) ** 2;
        eH += (h200[e] - ref[e]) ** 2;
        // the fp64 sum of fp8 products is exact (4-bit significands); C_ref_f64 scaled each input
        // first, so its own float64 roundings (≤ K·2^-53 relative) are all that may differ
        expect(Math.abs(c64[e] * scale - ref[e])).toBeLessThanOrEqual(K * 2 ** -52 * maxRef);
      }
      expect(Math.sqrt(eL)).toBeLessThan(Math.sqrt(eH) / 50);
      if (process.env.LOWP_VERBOSE) console.log(c, "H200 RMS / lowp fp32 RMS =", Math.sqrt(eH / eL));
    });
  }
});

describe("accumulate: 'fp8-hopper' (model of Hopper fp8 tensor-core accumulation)", () => {
  for (const c of cases) {
    it(`${c}: reproduces the H200's error (RMS within ±10%) in both modes, and most bits in fast accumulation`, () => {
      const [M, K, N] = Array.from(v.get(`${c}.shape_i64`).data as BigInt64Array, Number);
      const a = { rows: M, cols: K, data: v.get(`${c}.A_e4m3fn`).data as Uint8Array, format: 'fp8-e4m3fn' };
      const w = { rows: N, cols: K, data: v.get(`${c}.B_e4m3fn`).data as Uint8Array, format: 'fp8-e4m3fn' };
      const alpha = Math.fround((v.get(`${c}.scale_a`).data as Float32Array)[0] * (v.get(`${c}.scale_b`).data as Float32Array)[0]);
      const ref = v.get(`${c}.C_ref_f64`).data as Float64Array;
      for (const [mode, key, minEqual] of [['precise', 'C_h200_f32', 0], ['fast', 'C_h200_f32_fastaccum', 0.7]] as const) {
        const h200 = v.get(`${c}.${key}`).data as Float32Array;
        const opts = { transB: true, accumulate: 'fp8-hopper' as const, alpha, blockK: mode === 'fast' ? Infinity : undefined };
        const got = matmul(a, w, opts).data as Float32Array;
        let eL = 0;
        let eH = 0;
        let equal = 0;
        for (let e = 0; e < M * N; e++) {
          eL += (got[e] - ref[e]) ** 2;
          eH += (h200[e] - ref[e]) ** 2;
          if (got[e] === h200[e]) equal++;
        }
        const ratio = Math.sqrt(eL / eH);
        expect(ratio).toBeGreaterThan(0.9);
        expect(ratio).toBeLessThan(1.1);
        expect(equal / (M * N)).toBeGreaterThanOrEqual(minEqual);
        if (process.env.LOWP_VERBOSE) console.log(c, mode, 'RMS ratio to H200', ratio.toFixed(3), 'bit-equal', (equal / (M * N)).toFixed(3));
      }
    });
  }

  it('the fast kernel equals its reference twin (random fp8 inputs, shapes, promotion intervals, alpha, bias)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 9 }), fc.integer(),
        fc.constantFrom(undefined, 1, 31, 32, 100, Infinity), fc.boolean(), fc.constantFrom('fp8-e4m3fn', 'fp8-e5m2'),
        (M, K, N, seed, blockK, transB, fmt) => {
          let s = seed >>> 0 || 3;
          const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2 ** ((s >>> 9) % 10 - 3);
          const a = { rows: M, cols: K, data: encodeArray(Float32Array.from({ length: M * K }, rnd), fmt) as Uint8Array, format: fmt };
          const b = transB
            ? { rows: N, cols: K, data: encodeArray(Float32Array.from({ length: N * K }, rnd), fmt) as Uint8Array, format: fmt }
            : { rows: K, cols: N, data: encodeArray(Float32Array.from({ length: N * K }, rnd), fmt) as Uint8Array, format: fmt };
          const opts = { transB, accumulate: 'fp8-hopper' as const, blockK, alpha: 0.37, bias: Float32Array.from({ length: N }, rnd), output: 'bf16' };
          const x = matmul(a, b, opts).data;
          const y = matmulReference(a, b, opts).data;
          expect(Array.from(x)).toEqual(Array.from(y));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps only ~14 bits: 1 + 32 terms of 2^-14 are lost, as in the tensor core; fp32 keeps them', () => {
    const K = 33;
    const A = new Float32Array(K).fill(2 ** -7);
    A[0] = 1;
    const a = { rows: 1, cols: K, data: encodeArray(A, 'fp8-e4m3fn') as Uint8Array, format: 'fp8-e4m3fn' };
    const b = { rows: K, cols: 1, data: encodeArray(Float32Array.from({ length: K }, (_, k) => (k === 0 ? 1 : 2 ** -7)), 'fp8-e4m3fn') as Uint8Array, format: 'fp8-e4m3fn' };
    // products: 1, then 32 × 2^-14: each below 2^-13 relative to 1, truncated away in one group
    expect(matmul(a, b, { accumulate: 'fp8-hopper', blockK: Infinity }).data[0]).toBe(1);
    expect(matmul(a, b).data[0]).toBe(1 + 32 * 2 ** -14);
  });
});
