// Accumulation semantics: what real hardware and exact arithmetic give. Oracles: exact integer sums
// (fp64 on small integers), the fp16/bf16 stagnation points (2048 = 2^11, 256 = 2^8: adding 1 to them
// is a tie that rounds back to even), lowp/formats' round() (for the fast fp16/bf16 rounding), and a
// BigInt-free exact float64 recomputation for the fp32 error bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul, matmulReference } from '../../src/matmul/index.js';
import { roundBf16, roundFp16 } from '../../src/matmul/round16.js';
import { round } from '../../src/formats/index.js';
import type { Matrix } from '../../src/core/matrix.js';

const ones = (r: number, c: number): Matrix => ({ rows: r, cols: c, data: new Float32Array(r * c).fill(1) });

describe('emulated low-precision accumulation', () => {
  it('fp16 accumulation of 4096 ones gives 2048; bf16 gives 256; fp32 and fp64 give 4096', () => {
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'fp16' }).data[0]).toBe(2048);
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'bf16' }).data[0]).toBe(256);
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'fp32' }).data[0]).toBe(4096);
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'fp64' }).data[0]).toBe(4096);
    // the reference twin agrees
    expect(matmulReference(ones(1, 4096), ones(4096, 1), { accumulate: 'fp16' }).data[0]).toBe(2048);
    expect(matmulReference(ones(1, 4096), ones(4096, 1), { accumulate: 'bf16' }).data[0]).toBe(256);
  });

  it('split-K (blockK) restores what a plain fp16 running sum loses: 16 blocks of 256 ones = 4096', () => {
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'fp16', blockK: 256 }).data[0]).toBe(4096);
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'bf16', blockK: 256 }).data[0]).toBe(4096);
    // bf16: blocks of 512 stop at 256 each; 8 × 256 = 2048
    expect(matmul(ones(1, 4096), ones(4096, 1), { accumulate: 'bf16', blockK: 512 }).data[0]).toBe(2048);
  });

  it('fp32: 2^24 followed by ones stagnates in a running sum; default blocks of 128 keep the later blocks', () => {
    // 2^24 + 1 is a tie in fp32 and rounds back to 2^24 (even)
    const K = 256;
    const A = new Float32Array(K).fill(1);
    A[0] = 2 ** 24;
    const a: Matrix = { rows: 1, cols: K, data: A };
    const b = ones(K, 1);
    expect(matmul(a, b, { blockK: Infinity }).data[0]).toBe(2 ** 24);
    expect(matmul(a, b).data[0]).toBe(2 ** 24 + 128); // block 0 stays 2^24, block 1 sums 128 ones exactly
    expect(matmul(a, b, { blockK: 1 }).data[0]).toBe(2 ** 24);
    expect(matmul(a, b, { accumulate: 'fp64', output: 'fp64' }).data[0]).toBe(2 ** 24 + 255);
  });

  it('fp64 accumulation of small integers is exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 12 }), fc.integer(), (M, K, N, seed) => {
        let s = seed >>> 0;
        const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % 2001) - 1000;
        const A = Float64Array.from({ length: M * K }, next);
        const B = Float64Array.from({ length: K * N }, next);
        const r = matmul({ rows: M, cols: K, data: A }, { rows: K, cols: N, data: B }, { accumulate: 'fp64', output: 'fp64' });
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let e = 0n;
            for (let k = 0; k < K; k++) e += BigInt(A[i * K + k]) * BigInt(B[k * N + j]);
            expect(r.data[i * N + j]).toBe(Number(e));
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('fp32 accumulation stays within the summation bound γ·Σ|a_k b_k| of the exact product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (M, K, N, seed) => {
        let s = seed >>> 0;
        const next = () => Math.fround((((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5) * 8);
        const A = Float32Array.from({ length: M * K }, next);
        const B = Float32Array.from({ length: K * N }, next);
        const r = matmul({ rows: M, cols: K, data: A }, { rows: K, cols: N, data: B });
        const u = 2 ** -24;
        // blocks of 128: at most 128 + ceil(K/128) roundings of sums, plus one per product
        const n = 128 + Math.ceil(K / 128) + 1;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let exact = 0;
            let abs = 0;
            for (let k = 0; k < K; k++) {
              exact += A[i * K + k] * B[k * N + j]; // products exact in float64; the sum's error is far below the bound
              abs += Math.abs(A[i * K + k] * B[k * N + j]);
            }
            expect(Math.abs(r.data[i * N + j] - exact)).toBeLessThanOrEqual(((n * u) / (1 - n * u)) * abs * 1.0001 + 1e-300);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('fast fp16/bf16 rounding (round-to-odd through float32) = lowp/formats round()', () => {
  const specials = [0, -0, 1, -1, 65504, 65519.99, 65520, 65536, 1e300, -1e300, 2 ** -24, 2 ** -25, 2 ** -25 + 2 ** -60, 3 * 2 ** -26,
    1 + 2 ** -11, 1 + 2 ** -11 + 2 ** -50, 1 + 2 ** -11 - 2 ** -50, 1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -45, 2 ** 128 - 2 ** 119, 2 ** 128 - 2 ** 119 - 2 ** 70,
    3.4028234663852886e38, 3.4028235677973366e38, Infinity, -Infinity, 2 ** -133, 2 ** -134, 2 ** -134 + 2 ** -160, 2 ** -150, 5e-324];
  it('on special values', () => {
    for (const x of specials) {
      expect(Object.is(roundFp16(x), round(x, 'fp16'))).toBe(true);
      expect(Object.is(roundBf16(x), round(x, 'bf16'))).toBe(true);
    }
    expect(roundFp16(NaN)).toBeNaN();
    expect(roundBf16(NaN)).toBeNaN();
  });
  it('on random doubles of every magnitude and on sums of fp16 products', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        expect(Object.is(roundFp16(x), round(x, 'fp16'))).toBe(true);
        expect(Object.is(roundBf16(x), round(x, 'bf16'))).toBe(true);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -70000, max: 70000 }), fc.integer({ min: -40, max: 10 }), fc.integer({ min: -(2 ** 21), max: 2 ** 21 }), fc.integer({ min: -60, max: 10 }), (m1, e1, m2, e2) => {
        const x = m1 * 2 ** e1 + m2 * 2 ** e2;
        expect(Object.is(roundFp16(x), round(x, 'fp16'))).toBe(true);
        expect(Object.is(roundBf16(x), round(x, 'bf16'))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
