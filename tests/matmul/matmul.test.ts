// matmul's fast kernels (WebAssembly SIMD and the pure-TypeScript fallback) against the reference twin
// matmulReference (src/matmul/reference.ts): bit-identical for every accumulation mode, since both sum
// each element in the same k order with the same roundings. Random shapes include 1, primes and
// non-multiples of the kernels' 4×8 tiles and 128/256 k-blocks. Also: inputs never mutated, bias,
// output formats, code inputs, thread-count invariance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matmul, matmulReference, matmulTransposed, wasmSimdAvailable } from '../../src/matmul/index.js';
import { encodeArray } from '../../src/formats/index.js';
import type { Matrix } from '../../src/core/matrix.js';

function sameBits(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i]) && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) bad++;
  return bad + Math.abs(x.length - y.length);
}

/** Deterministic values with a wide spread of magnitudes and signs (cancellation included). */
function values(n: number, seed: number, f64 = false): Float32Array | Float64Array {
  const a = f64 ? new Float64Array(n) : new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    a[i] = (u - 0.5) * 2 ** ((s >>> 8) % 12 - 4);
  }
  return a;
}

const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 33, 127, 129), fc.integer({ min: 1, max: 70 }));
const kdim = fc.oneof(fc.constantFrom(1, 7, 127, 128, 129, 255, 257, 600), fc.integer({ min: 0, max: 300 }));

describe('matmul fast kernels = reference twin (bit-identical)', () => {
  it('WebAssembly SIMD is available in this Node (so the fast path is what is tested)', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  const cases = [
    { name: 'fp32 accumulate', opts: {} },
    { name: 'fp32, transB', opts: { transB: true } },
    { name: 'fp32, blockK 1', opts: { blockK: 1 } },
    { name: 'fp32, blockK 37', opts: { blockK: 37 } },
    { name: 'fp32, blockK Infinity (plain running sum)', opts: { blockK: Infinity } },
    { name: 'fp32, blockK 700 (long blocks)', opts: { blockK: 700 } },
    { name: 'fp64 accumulate', opts: { accumulate: 'fp64' } },
    { name: 'fp64, transB, blockK 50', opts: { accumulate: 'fp64', transB: true, blockK: 50 } },
    { name: 'bf16 inputs, bf16 output', opts: { inputs: 'bf16', output: 'bf16' } },
    { name: 'fp16 inputs, fp16 output, bias', opts: { inputs: 'fp16', output: 'fp16', bias: true } },
    { name: 'fp8-e4m3fn inputs, fp32 output', opts: { inputs: 'fp8-e4m3fn' } },
    { name: 'fp16 accumulate', opts: { accumulate: 'fp16' } },
    { name: 'bf16 accumulate, blockK 16, transB', opts: { accumulate: 'bf16', blockK: 16, transB: true } },
    { name: 'fp32, bias, fp64 output', opts: { bias: true, output: 'fp64' } },
    { name: 'fp32, alpha and bias, fp16 output', opts: { alpha: 0.3, bias: true, output: 'fp16' } },
    { name: 'fp64, alpha', opts: { accumulate: 'fp64', alpha: -1.7 } },
    { name: 'bf16 accumulate, alpha 3, bias', opts: { accumulate: 'bf16', alpha: 3, bias: true } },
    { name: 'js kernel', opts: { kernel: 'js' } },
    { name: 'js kernel, fp64, bias', opts: { kernel: 'js', accumulate: 'fp64', bias: true } },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: fast = reference on random shapes`, () => {
      fc.assert(
        fc.property(dim, kdim, dim, fc.integer(), (M, K, N, seed) => {
          const a: Matrix = { rows: M, cols: K, data: values(M * K, seed) };
          const transB = 'transB' in c.opts && c.opts.transB;
          const b: Matrix = transB ? { rows: N, cols: K, data: values(N * K, seed + 1) } : { rows: K, cols: N, data: values(K * N, seed + 1) };
          const opts = { ...c.opts, bias: 'bias' in c.opts ? values(N, seed + 2) : undefined } as Parameters<typeof matmul>[2];
          const aCopy = a.data.slice();
          const bCopy = b.data.slice();
          const fast = matmul(a, b, opts);
          const ref = matmulReference(a, b, opts);
          expect(fast.rows).toBe(M);
          expect(fast.cols).toBe(N);
          expect(fast.format).toBe(ref.format);
          expect(fast.data.constructor).toBe(ref.data.constructor);
          expect(sameBits(fast.data, ref.data)).toBe(0);
          // inputs never mutated
          expect(sameBits(a.data, aCopy)).toBe(0);
          expect(sameBits(b.data, bCopy)).toBe(0);
        }),
        { numRuns: c.name.includes('accumulate') && c.name.includes('16') ? 40 : 60 },
      );
    });
  }

  it('code inputs (bf16 and fp16 matrices) equal rounding float inputs first', () => {
    fc.assert(
      fc.property(dim, kdim, dim, fc.integer(), fc.constantFrom('bf16', 'fp16'), (M, K, N, seed, fmt) => {
        const av = values(M * K, seed);
        const bv = values(K * N, seed + 1);
        const a: Matrix = { rows: M, cols: K, data: encodeArray(av, fmt) as Uint16Array, format: fmt };
        const b: Matrix = { rows: K, cols: N, data: encodeArray(bv, fmt) as Uint16Array, format: fmt };
        const fromCodes = matmul(a, b);
        const fromFloats = matmul({ rows: M, cols: K, data: av }, { rows: K, cols: N, data: bv }, { inputs: fmt });
        expect(sameBits(fromCodes.data, fromFloats.data)).toBe(0);
        expect(sameBits(fromCodes.data, matmulReference(a, b).data)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('Float64Array inputs are rounded once to the input format (no double rounding through float32)', () => {
    // 1 + 2^-11 + 2^-40: rounds up in fp16 directly, but to the tie 1 + 2^-11 (then to even: 1) via float32
    const x = 1 + 2 ** -11 + 2 ** -40;
    const r = matmul({ rows: 1, cols: 1, data: new Float64Array([x]) }, { rows: 1, cols: 1, data: new Float64Array([1]) }, { inputs: 'fp16' });
    expect(r.data[0]).toBe(1 + 2 ** -10);
  });

  it('matmulTransposed(a, w) = matmul(a, wᵀ)', () => {
    fc.assert(
      fc.property(dim, kdim, dim, fc.integer(), (M, K, N, seed) => {
        const a: Matrix = { rows: M, cols: K, data: values(M * K, seed) };
        const w = values(N * K, seed + 1);
        const wt = new Float32Array(K * N);
        for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) wt[k * N + j] = w[j * K + k];
        const x = matmulTransposed(a, { rows: N, cols: K, data: w });
        const y = matmul(a, { rows: K, cols: N, data: wt });
        expect(sameBits(x.data, y.data)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('writes into out and returns it', () => {
    const out = new Float32Array(4);
    const r = matmul({ rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) }, { rows: 2, cols: 2, data: new Float32Array([5, 6, 7, 8]) }, { out });
    expect(r.data).toBe(out);
    expect(Array.from(out)).toEqual([19, 22, 43, 50]);
    const out16 = new Uint16Array(4);
    const r16 = matmul({ rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) }, { rows: 2, cols: 2, data: new Float32Array([5, 6, 7, 8]) }, { out: out16, output: 'bf16' });
    expect(r16.data).toBe(out16);
    expect(r16.format).toBe('bf16');
    expect(Array.from(out16)).toEqual([0x4198, 0x41b0, 0x422c, 0x4248]);
  });

  it('K = 0 gives zeros (plus bias); M or N = 0 gives an empty result', () => {
    const r = matmul({ rows: 2, cols: 0, data: new Float32Array(0) }, { rows: 0, cols: 3, data: new Float32Array(0) }, { bias: [1, 2, 3] });
    expect(Array.from(r.data)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(matmul({ rows: 0, cols: 3, data: new Float32Array(0) }, { rows: 3, cols: 2, data: new Float32Array(6) }).data.length).toBe(0);
  });

  it('NaN and infinities propagate like the reference (inf·0 = NaN, inf + -inf = NaN)', () => {
    const a: Matrix = { rows: 2, cols: 3, data: new Float32Array([Infinity, 1, 2, NaN, 0, 1]) };
    const b: Matrix = { rows: 3, cols: 2, data: new Float32Array([0, 1, 1, -Infinity, 2, 3]) };
    expect(sameBits(matmul(a, b).data, matmulReference(a, b).data)).toBe(0);
    expect(Number.isNaN(matmul(a, b).data[0])).toBe(true);
  });
});

describe('thread-count invariance', () => {
  it('threads 1, 2 and 3 give identical bits (fp32, fp64, transB, row and column splits)', () => {
    for (const [M, K, N] of [[67, 300, 45], [5, 260, 300], [200, 129, 9], [3, 301, 77], [1, 1000, 13]]) {
      const a: Matrix = { rows: M, cols: K, data: values(M * K, M) };
      const b: Matrix = { rows: K, cols: N, data: values(K * N, N) };
      const w: Matrix = { rows: N, cols: K, data: values(K * N, K) };
      for (const opts of [{}, { accumulate: 'fp64' as const }, { blockK: 1000 }]) {
        const one = matmul(a, b, { ...opts, threads: 1 }).data;
        const oneT = matmul(a, w, { ...opts, threads: 1, transB: true }).data;
        for (const threads of [2, 3]) {
          expect(sameBits(matmul(a, b, { ...opts, threads }).data, one)).toBe(0);
          expect(sameBits(matmul(a, w, { ...opts, threads, transB: true }).data, oneT)).toBe(0);
        }
      }
    }
  });
});
