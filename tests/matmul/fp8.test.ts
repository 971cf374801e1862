// fp8 (e4m3fn) code inputs, against the H200 vectors (../shared/vectors/gemm-fp8-h200, or the fixture
// subset): C = (A·scale_a)(B·scale_b)ᵀ with B stored [N,K], as torch._scaled_mm computes it. Oracle:
// C_ref_f64, the float64 product of the decoded, scaled inputs. lowp's fp32 accumulation (scales
// applied to the fp32 result) must be far closer to it than Hopper's fp8 tensor cores, which keep about
// 14 bits while accumulating (README of the vectors: RMS error 440–500× that of plain fp32): lowp's
// RMS must be below the H200's / 50, and fp64 accumulation must reproduce C_ref_f64 to float64
// rounding of the final scaling.
import { describe, expect, it } from 'vitest';
import { matmul, matmulReference } from '../../src/matmul/index.js';
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
