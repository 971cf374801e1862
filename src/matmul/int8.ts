// Exact int8 × int8 matrix product (the LLM.int8() GEMM): WebAssembly SIMD kernel on operands widened
// to int16 (`i32x4.dot_i16x8_s`, int32 lanes), cache-blocked, split over worker threads in Node; pure
// TypeScript fallback. Reference twin: int8MatmulReference (reference.ts). Integer sums are exact and
// order-free, so every kernel and thread count gives the same result. For K > 131,071 (where an int32
// sum could overflow) K is split into chunks whose int32 partial sums are exact, and the partials are
// added in float64 (exact below 2^53), giving a Float64Array. Nothing ever wraps.
import type { Int8Matrix } from '../core/matrix.js';
import { BASE, align64, requestedKernels, type Kernels } from '../wasm/loader.js';
import { INT8_INT32_MAX_K, resolveInt8, type Int8MatmulOptions, type Int8MatmulResult, type ResolvedInt8 } from './int8-options.js';
import { chooseThreads, ranges, runShares, threadsSupported, type Job } from './threads.js';
import { transposed } from './transpose.js';

/** k-block (int16 values, a multiple of 16) per kernel call: a 4-row A panel slice stays in L1. */
const KCI = 1024;
/** W row pairs per block: 2·NCI × KCI int16 stay in L2. */
const NCI = 48;
/** Largest K chunk whose int32 sums cannot overflow, a multiple of 16 (≤ INT8_INT32_MAX_K). */
const CHUNK_K = INT8_INT32_MAX_K - (INT8_INT32_MAX_K % 16);
/** Up to this many rows of A (with W [N,K]), the unpacked few-row kernel runs: W is read once, never packed. */
const GEMV_MAX_M = 12;

/**
 * The exact sums over k ∈ [0, kEnd) into `r.out`, where `pass(c0, c1)` leaves the int32 sums over
 * [c0, c1) in `C`. int32 lanes wrap modulo 2^32, so only each pass's final sums must fit int32: one
 * pass when K ≤ INT8_INT32_MAX_K, else passes over chunks of CHUNK_K added in float64 (exact below
 * 2^53). K = 0 gives zeros without a pass (C would hold whatever the arena held).
 */
function sumChunks(r: ResolvedInt8, C: Int32Array, kEnd: number, pass: (c0: number, c1: number) => void): void {
  const { K, out } = r;
  if (K === 0) {
    out.fill(0);
  } else if (K <= INT8_INT32_MAX_K) {
    pass(0, kEnd);
    out.set(C);
  } else {
    out.fill(0);
    for (let c0 = 0; c0 < kEnd; c0 += CHUNK_K) {
      pass(c0, Math.min(kEnd, c0 + CHUNK_K));
      for (let e = 0; e < C.length; e++) out[e] += C[e];
    }
  }
}

function int8Wasm(qa: Int8Matrix, qb: Int8Matrix, r: ResolvedInt8): boolean {
  const k = requestedKernels(r.kernel, 'int8Matmul');
  if (!k) return false;
  const { M, K, N, transB } = r;
  if (transB && M <= GEMV_MAX_M) return int8GemvWasm(k, qa, qb, r);
  const Kp = Math.ceil(K / 16) * 16;
  const mp = Math.ceil(M / 4);
  const np = Math.ceil(N / 2);
  const offRaw = BASE;
  const rawBytes = align64(Math.max(M * K, K * N));
  const offA = offRaw + rawBytes;
  const offW = offA + align64(mp * 4 * Kp * 2);
  const offC = offW + align64(np * 2 * Kp * 2);
  const end = offC + align64(M * N * 4);
  if (!k.ensure(end)) return false;
  const buf = k.memory.buffer;
  const raw = new Int8Array(buf, offRaw, rawBytes);
  raw.set(qa.data);
  k.exports.packI8(offRaw, offA, M, K, Kp, 4, 0);
  raw.set(qb.data);
  k.exports.packI8(offRaw, offW, N, K, Kp, 2, transB ? 0 : 1);
  const t = threadsSupported(k) ? chooseThreads(r.threads, M * N * K, Math.max(mp, np)) : 1;
  const byRows = mp >= np || t === 1;
  const shareRanges = ranges(byRows ? mp : np, t);
  // zero padding past K in the packed panels adds nothing, so passes run over [0, Kp)
  sumChunks(r, new Int32Array(buf, offC, M * N), Kp, (c0, c1) =>
    runShares(
      k,
      shareRanges.map(([lo, hi]) => {
        const [ip0, ip1, jp0, jp1] = byRows ? [lo, hi, 0, np] : [0, mp, lo, hi];
        const jobs: Job[] = [];
        for (let kb = c0; kb < c1; kb += KCI) {
          const ke = Math.min(c1, kb + KCI);
          for (let jb = jp0; jb < jp1; jb += NCI) {
            jobs.push(['igemm', [offA, offW, offC, Kp, M, N, ip0, ip1, jb, Math.min(jp1, jb + NCI), kb, ke, kb > c0 ? 1 : 0]]);
          }
        }
        return jobs;
      }),
    ),
  );
  return true;
}

function int8GemvWasm(k: Kernels, qa: Int8Matrix, qw: Int8Matrix, r: ResolvedInt8): boolean {
  const { M, K, N } = r;
  const offA = BASE;
  const offW = offA + align64(M * K);
  const offC = offW + align64(N * K);
  if (!k.ensure(offC + align64(M * N * 4))) return false;
  const buf = k.memory.buffer;
  new Int8Array(buf, offA, M * K).set(qa.data);
  new Int8Array(buf, offW, N * K).set(qw.data);
  const quads = Math.ceil(N / 4);
  const t = threadsSupported(k) ? chooseThreads(r.threads, M * N * K, quads) : 1;
  const shareRanges = ranges(quads, t);
  sumChunks(r, new Int32Array(buf, offC, M * N), K, (c0, c1) =>
    runShares(k, shareRanges.map(([lo, hi]): Job[] => [['igemvT', [offA, offW, offC, M, N, K, lo * 4, Math.min(N, hi * 4), c0, c1, 0]]])),
  );
  return true;
}

function int8Js(qa: Int8Matrix, qb: Int8Matrix, r: ResolvedInt8): void {
  const { M, K, N, transB, out } = r;
  const A = qa.data;
  let W = qb.data;
  if (!transB) {
    W = transposed(W, K, N);
  }
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    for (let j = 0; j < N; j++) {
      const wo = j * K;
      let s = 0; // exact: integers below 2^53
      for (let kk = 0; kk < K; kk++) s += A[ao + kk] * W[wo + kk];
      out[i * N + j] = s;
    }
  }
}

/**
 * Exact int8 × int8 matrix product: C = A·B for B [K,N], or A·Wᵀ for W [N,K] with `transB: true`
 * (the fast path, and the layout of a Linear layer's weight as in LLM.int8()). Uses WebAssembly SIMD
 * (`i32x4.dot_i16x8_s`) and, in Node, worker threads for large products; results are identical for
 * every kernel and thread count.
 *
 * The sums are exact: an Int32Array when K ≤ 131,071 (every possible sum of int8 products fits int32),
 * else a Float64Array of exact integers (int32 partial sums over K chunks, added in float64). Never
 * wraps.
 *
 * @param qa - A [M,K] int8 codes.
 * @param qb - B [K,N] int8 codes, or W [N,K] with `transB`.
 * @throws RangeError when inner dimensions differ or `out` has the wrong length; TypeError for wrong
 * data types (including an Int32Array `out` when K > 131,071).
 * @example
 * ```ts
 * const qa = { rows: 1, cols: 3, data: new Int8Array([127, -127, 5]) };
 * const w = { rows: 2, cols: 3, data: new Int8Array([1, 1, 1, 127, 0, -2]) };
 * int8Matmul(qa, w, { transB: true }).data; // Int32Array [5, 16119]
 * ```
 */
export function int8Matmul(qa: Int8Matrix, qb: Int8Matrix, opts?: Int8MatmulOptions): Int8MatmulResult {
  const r = resolveInt8(qa, qb, opts, 'int8Matmul');
  if (r.M * r.N > 0 && !int8Wasm(qa, qb, r)) int8Js(qa, qb, r);
  return { rows: r.M, cols: r.N, data: r.out };
}
