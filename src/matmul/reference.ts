// Reference twins (the oracles): plain, obviously-correct TypeScript matrix products, one scalar step
// at a time, written straight from the definitions in docs/matmul.md. Slow (one element at a time,
// scalar decode/round from lowp/formats); the fast kernels in matmul.ts and int8.ts are tested against
// these. Summation order: k = 0, 1, …, K−1 within each blockK block; blocks added in order.
import type { Int8Matrix, Matrix, MatrixData } from '../core/matrix.js';
import { decode, encode, exponentOf, round, type FloatFormat } from '../formats/index.js';
import { resolveInt8, type Int8MatmulOptions, type Int8MatmulResult } from './int8-options.js';
import { resolveMatmul, type MatmulOptions } from './options.js';

function operandValues(m: Matrix, fmt: FloatFormat | null): Float64Array {
  const n = m.rows * m.cols;
  const v = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    let x = m.format !== undefined ? decode(m.data[e], m.format) : m.data[e];
    if (fmt) x = round(x, fmt);
    v[e] = x;
  }
  return v;
}

/**
 * The reference twin of {@link matmul}: same operands, options and result, computed one scalar
 * operation at a time (each term and each addition rounded exactly as the accumulation format says,
 * k in increasing order). Use it to check fast kernels or to see the exact semantics; it is slow.
 *
 * @example
 * ```ts
 * const a = { rows: 1, cols: 2, data: new Float32Array([1, 2]) };
 * const b = { rows: 2, cols: 1, data: new Float32Array([3, 4]) };
 * matmulReference(a, b).data; // Float32Array [11]
 * ```
 */
export function matmulReference(a: Matrix, b: Matrix, opts?: MatmulOptions): Matrix {
  const r = resolveMatmul(a, b, opts, 'matmulReference');
  const { M, K, N, transB, accumulate: acc, blockK, output, out, bias } = r;
  const A = operandValues(a, r.formatA);
  const B = operandValues(b, r.formatB);
  // the accumulation format's arithmetic: fp32 (also for the fp8-hopper model's fp32 accumulator),
  // fp64, or fp16/bf16 rounding after every operation
  const fmt = acc === 'fp8-hopper' ? 'fp32' : acc;
  const term = (x: number, y: number): number => (fmt === 'fp32' ? Math.fround(x * y) : x * y);
  const toAcc = (x: number): number => (fmt === 'fp32' ? Math.fround(x) : fmt === 'fp64' ? x : round(x, fmt));
  const add = (s: number, t: number): number => toAcc(s + t);
  const mul = (s: number, t: number): number => toAcc(s * t);
  const bAt = (k: number, j: number): number => (transB ? B[j * K + k] : B[k * N + j]);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let total: number | undefined;
      for (let k0 = 0; k0 < K; k0 += blockK) {
        const k1 = Math.min(K, k0 + blockK);
        let part = 0;
        if (acc === 'fp8-hopper') {
          // tensor-core groups of 32 exact products with the running tensor-core sum, aligned to the
          // largest exponent among them and truncated to 13 bits below it, summed, rounded to fp32
          for (let g = k0; g < k1; g += 32) {
            const xs = [part];
            for (let k = g; k < Math.min(k1, g + 32); k++) xs.push(A[i * K + k] * bAt(k, j));
            const big = Math.max(...xs.map(Math.abs));
            if (big === 0 || !Number.isFinite(xs.reduce((u, v) => u + v, 0))) {
              part = Math.fround(xs.reduce((u, v) => u + v, 0));
              continue;
            }
            const q = 2 ** (exponentOf(big) - 13);
            part = Math.fround(xs.reduce((u, v) => u + Math.trunc(v / q) * q, 0));
          }
        } else {
          for (let k = k0; k < k1; k++) part = add(part, term(A[i * K + k], bAt(k, j)));
        }
        total = total === undefined ? part : add(total, part);
      }
      let s = total ?? 0;
      if (r.alpha !== 1) s = mul(s, toAcc(r.alpha));
      if (bias) s = add(s, toAcc(bias[j]));
      const e = i * N + j;
      if (output === 'fp32') out[e] = Math.fround(s);
      else if (output === 'fp64') out[e] = s;
      else out[e] = encode(s, output);
    }
  }
  return output === 'fp32' || output === 'fp64' ? { rows: M, cols: N, data: out } : { rows: M, cols: N, data: out as MatrixData, format: output.name };
}

/**
 * The reference twin of {@link int8Matmul}: exact integer products summed one at a time in float64
 * (exact: every partial sum is an integer below 2^53). Same result type as `int8Matmul`.
 *
 * @example
 * ```ts
 * const qa = { rows: 1, cols: 2, data: new Int8Array([127, -128]) };
 * const qb = { rows: 2, cols: 1, data: new Int8Array([2, 3]) };
 * int8MatmulReference(qa, qb).data; // Int32Array [-130]
 * ```
 */
export function int8MatmulReference(qa: Int8Matrix, qb: Int8Matrix, opts?: Int8MatmulOptions): Int8MatmulResult {
  const r = resolveInt8(qa, qb, opts, 'int8MatmulReference');
  const { M, K, N, transB, out } = r;
  const A = qa.data;
  const B = qb.data;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * (transB ? B[j * K + k] : B[k * N + j]);
      out[i * N + j] = s;
    }
  }
  return { rows: M, cols: N, data: out };
}
