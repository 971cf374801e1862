// int8Matmul: exact integer products. Oracle: a BigInt dot product (obviously exact) and the reference
// twin int8MatmulReference; the WebAssembly SIMD kernel, the TypeScript fallback and every thread count
// must agree bit for bit. Also the int32 limit: K > 131,071 switches to exact Float64Array sums.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT8_INT32_MAX_K, int8Matmul, int8MatmulReference } from '../../src/matmul/index.js';
import type { Int8Matrix } from '../../src/core/matrix.js';

function codes(n: number, seed: number, extremes = false): Int8Array {
  const a = new Int8Array(n);
  let s = seed >>> 0 || 7;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = extremes ? ((s >>> 16) & 1 ? -128 : 127) : (s >>> 24) - 128;
  }
  return a;
}

function bigintProduct(qa: Int8Matrix, qb: Int8Matrix, transB: boolean): bigint[] {
  const M = qa.rows;
  const K = qa.cols;
  const N = transB ? qb.rows : qb.cols;
  const out: bigint[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0n;
      for (let k = 0; k < K; k++) s += BigInt(qa.data[i * K + k]) * BigInt(transB ? qb.data[j * K + k] : qb.data[k * N + j]);
      out.push(s);
    }
  }
  return out;
}

const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 17, 31, 97, 101), fc.integer({ min: 1, max: 60 }));
const kdim = fc.oneof(fc.constantFrom(0, 1, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 2100), fc.integer({ min: 0, max: 300 }));

describe('int8Matmul', () => {
  for (const transB of [false, true]) {
    for (const kernel of ['auto', 'js'] as const) {
      it(`equals the BigInt product and the reference twin exactly (transB ${transB}, kernel ${kernel})`, () => {
        fc.assert(
          fc.property(dim, kdim, dim, fc.integer(), fc.boolean(), (M, K, N, seed, ext) => {
            const qa: Int8Matrix = { rows: M, cols: K, data: codes(M * K, seed, ext) };
            const qb: Int8Matrix = transB ? { rows: N, cols: K, data: codes(N * K, seed + 1, ext) } : { rows: K, cols: N, data: codes(K * N, seed + 1, ext) };
            const aCopy = qa.data.slice();
            const bCopy = qb.data.slice();
            const r = int8Matmul(qa, qb, { transB, kernel });
            expect(r.data).toBeInstanceOf(Int32Array);
            expect([r.rows, r.cols]).toEqual([M, N]);
            const want = bigintProduct(qa, qb, transB);
            for (let e = 0; e < want.length; e++) expect(BigInt(r.data[e])).toBe(want[e]);
            expect(Array.from(int8MatmulReference(qa, qb, { transB }).data)).toEqual(Array.from(r.data));
            expect(qa.data).toEqual(aCopy);
            expect(qb.data).toEqual(bCopy);
          }),
          { numRuns: kernel === 'js' ? 40 : 80 },
        );
      });
    }
  }

  it('is identical for 1, 2 and 3 threads (row and column splits)', () => {
    for (const [M, K, N] of [[41, 700, 37], [3, 513, 300]]) {
      const qa: Int8Matrix = { rows: M, cols: K, data: codes(M * K, M) };
      const qw: Int8Matrix = { rows: N, cols: K, data: codes(N * K, N) };
      const one = int8Matmul(qa, qw, { transB: true, threads: 1 }).data;
      for (const threads of [2, 3]) expect(Array.from(int8Matmul(qa, qw, { transB: true, threads }).data)).toEqual(Array.from(one));
    }
  });

  it('holds the worst case at the int32 limit K = 131,071 (all −128·−128) without wrapping', () => {
    const K = INT8_INT32_MAX_K;
    expect(K).toBe(131071);
    const qa: Int8Matrix = { rows: 1, cols: K, data: new Int8Array(K).fill(-128) };
    const qw: Int8Matrix = { rows: 2, cols: K, data: new Int8Array(2 * K).fill(-128) };
    const r = int8Matmul(qa, qw, { transB: true });
    expect(r.data).toBeInstanceOf(Int32Array);
    expect(r.data[0]).toBe(K * 16384);
    expect(r.data[0]).toBe(2 ** 31 - 16384);
  });

  it('beyond K = 131,071 returns exact Float64Array sums (int32 partials added in float64), never wrapped', () => {
    const K = INT8_INT32_MAX_K + 9;
    const qa: Int8Matrix = { rows: 2, cols: K, data: new Int8Array(2 * K).fill(-128) };
    qa.data[K] = 127; // row 1 starts with one 127
    const qw: Int8Matrix = { rows: 3, cols: K, data: new Int8Array(3 * K).fill(-128) };
    for (const kernel of ['auto', 'js'] as const) {
      const r = int8Matmul(qa, qw, { transB: true, kernel });
      expect(r.data).toBeInstanceOf(Float64Array);
      expect(r.data[0]).toBe(K * 16384); // 2^31 + 131072: past int32
      expect(r.data[3]).toBe((K - 1) * 16384 - 127 * 128);
      expect(Array.from(r.data)).toEqual(Array.from(int8MatmulReference(qa, qw, { transB: true }).data));
    }
    expect(() => int8Matmul(qa, qw, { transB: true, out: new Int32Array(6) })).toThrow(TypeError);
  });

  it('beyond K = 131,071 on the packed (many-row) kernel too, for B [K,N] and W [N,K], 1 and 2 threads: exact', () => {
    // 13 rows (more than the few-row kernel takes); K spans two int32 chunks
    const M = 13;
    const N = 3;
    const K = INT8_INT32_MAX_K + 9;
    const qa: Int8Matrix = { rows: M, cols: K, data: new Int8Array(M * K).fill(-128) };
    for (let i = 0; i < M; i++) qa.data[i * K + i] = 127; // row i: one 127 at k = i
    const w = new Int8Array(N * K).fill(-128);
    const wT = new Int8Array(K * N).fill(-128);
    w[2 * K + (K - 1)] = 5; // column 2 of B: 5 at k = K − 1
    wT[(K - 1) * N + 2] = 5;
    // exact sums: (K − 1)·(−128)² + 127·(−128), and for column 2 one of the (−128)² terms is (−128)·5
    const want = (j: number) => (K - 1) * 16384 - 127 * 128 - (j === 2 ? 16384 + 128 * 5 : 0);
    for (const [qb, transB] of [[{ rows: N, cols: K, data: w }, true], [{ rows: K, cols: N, data: wT }, false]] as const) {
      for (const [kernel, threads] of [['auto', 1], ['auto', 2], ['js', 1]] as const) {
        const r = int8Matmul(qa, qb, { transB, kernel, threads });
        expect(r.data).toBeInstanceOf(Float64Array);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) expect(r.data[i * N + j]).toBe(want(j));
      }
    }
  });

  it('writes into out (Int32Array or Float64Array)', () => {
    const qa: Int8Matrix = { rows: 1, cols: 2, data: new Int8Array([3, -4]) };
    const qb: Int8Matrix = { rows: 2, cols: 1, data: new Int8Array([5, 6]) };
    const out = new Float64Array(1);
    expect(int8Matmul(qa, qb, { out }).data).toBe(out);
    expect(out[0]).toBe(-9);
  });
});
