// The fast mixed-precision matrix product: operands decoded/rounded to the input format, products
// accumulated in fp32 / fp64 (WebAssembly SIMD kernels, cache-blocked on packed B panels, split over
// worker threads in Node) or in emulated fp16 / bf16 (TypeScript), bias added, result rounded to the
// output format. Reference twin: matmulReference in reference.ts; fp32 and fp64 results are
// bit-identical to it (same summation order in k for every element, whatever the blocking or threads).
import type { Matrix, MatrixData } from '../core/matrix.js';
import { BF16, FP16, FP32, decodeArray, encodeArray, getFormat, type CodeArray, type FloatFormat } from '../formats/index.js';
import { BASE, align64, requestedKernels, type Kernels } from '../wasm/loader.js';
import { resolveMatmul, type MatmulOptions, type ResolvedMatmul } from './options.js';
import { HOPPER_GROUP, hopperGroup } from './hopper.js';
import { rounder } from './round16.js';
import { chooseThreads, ranges, runShares, threadsSupported, type Job } from './threads.js';
import { transposed } from './transpose.js';
import { checkOptionsObject } from '../core/options.js';

/** k-block (values) of the f32 kernel: an 8-column B panel slice of KC floats stays in L1. */
const KC = 256;
/** Row block of the f32 kernel: MC×KC floats of A stay in L2. */
const MC = 64;
/** Split-K blocks up to this size run as the kernel's own k-block (one pass); longer ones go block by block. */
const MAX_KERNEL_BLOCK_K = 512;
/** k-block of the f64 kernel. */
const KC64 = 128;

/** Float values rounded to `fmt` (≤ 24 significant bits) and decoded as float32. */
function roundedF32(vals: Float32Array | Float64Array, fmt: FloatFormat): Float32Array {
  return decodeArray(encodeArray(vals, fmt), fmt);
}

/** Operand values as float32, rounded to `fmt` (a format of ≤ 24 significant bits). Never mutates `m`. */
function operandF32(m: Matrix, fmt: FloatFormat): Float32Array {
  if (m.format !== undefined) {
    const own = ownFormat(m);
    const vals = decodeArray(m.data as CodeArray, own);
    return own === fmt || fmt === FP32 ? vals : roundedF32(vals, fmt);
  }
  if (fmt === FP32) return m.data instanceof Float32Array ? m.data : new Float32Array(m.data as Float64Array);
  // round float data to fmt directly from its own precision (no double rounding through float32)
  return roundedF32(m.data as Float32Array | Float64Array, fmt);
}

function ownFormat(m: Matrix): FloatFormat {
  return getFormat(m.format!);
}

/** Operand values as float64, rounded to `fmt` (null: as given). */
function operandF64(m: Matrix, fmt: FloatFormat | null): Float64Array {
  let vals: Float32Array | Float64Array;
  if (m.format !== undefined) {
    const own = ownFormat(m);
    vals = decodeArray(m.data as CodeArray, own);
    if (fmt && fmt !== own && fmt !== FP32) vals = roundedF32(vals, fmt);
  } else {
    vals = m.data as Float32Array | Float64Array;
    if (fmt === FP32) vals = new Float32Array(vals);
    else if (fmt) vals = roundedF32(vals, fmt);
  }
  return vals instanceof Float64Array ? vals : new Float64Array(vals);
}

/**
 * Writes operand values as float32 at byte offset `off` of the kernels' memory (4·rows·cols bytes).
 * bf16/fp16 codes kept in their own format are copied in and widened in place by the SIMD decoder
 * (codes in the upper half of the region; the decoder reads ahead of what it writes), with no
 * intermediate array; anything else goes through operandF32.
 */
function writeOperandF32(k: Kernels, m: Matrix, fmt: FloatFormat, off: number): void {
  const n = m.rows * m.cols;
  if (m.data instanceof Uint16Array && m.format !== undefined) {
    const own = ownFormat(m);
    if (own === fmt && (own === BF16 || own === FP16)) {
      new Uint16Array(k.memory.buffer, off + 2 * n, n).set(m.data);
      if (own === BF16) k.exports.bf16ToF32(off + 2 * n, off, n);
      else k.exports.f16ToF32(off + 2 * n, off, n);
      return;
    }
  }
  new Float32Array(k.memory.buffer, off, n).set(operandF32(m, fmt));
}

// ------------------------------------------------------------------ fp32 accumulation

/** Up to this many rows of A (with W [N,K]), the unpacked few-row kernel runs (W read once, never packed). */
const GEMV_MAX_M = 4;

function gemvF32Wasm(k: Kernels, a: Matrix, w: Matrix, r: ResolvedMatmul, dst: Float32Array): boolean {
  const { M, K, N, blockK } = r;
  const offA = BASE;
  const offW = offA + align64(M * K * 4);
  const offC = offW + align64(N * K * 4);
  if (!k.ensure(offC + align64(M * N * 4))) return false;
  const buf = k.memory.buffer;
  writeOperandF32(k, a, r.formatA!, offA);
  writeOperandF32(k, w, r.formatB!, offW);
  const quads = Math.ceil(N / 4);
  const t = threadsSupported(k) ? chooseThreads(r.threads, M * N * K, quads) : 1;
  const shares: Job[][] = ranges(quads, t).map(([lo, hi]) => [['sgemvT', [offA, offW, offC, M, N, K, lo * 4, Math.min(N, hi * 4), blockK]]]);
  const C = new Float32Array(buf, offC, M * N);
  if (K === 0) C.fill(0);
  else runShares(k, shares);
  dst.set(C);
  return true;
}

function gemmF32Wasm(k: Kernels, a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float32Array): boolean {
  const { M, K, N, transB, blockK } = r;
  if (transB && M <= GEMV_MAX_M) return gemvF32Wasm(k, a, b, r, dst);
  const np = Math.ceil(N / 8);
  const ldc = np * 8;
  // B's raw values only live until packed, so they share C's region (C is written after packing)
  const offA = BASE;
  const offBp = offA + align64(M * K * 4);
  const offC = offBp + align64(np * 8 * K * 4);
  const offB = offC;
  const split = blockK < K && blockK > MAX_KERNEL_BLOCK_K;
  const offC2 = offC + align64(Math.max(M * ldc * 4, K * N * 4));
  const end = offC2 + (split ? align64(M * ldc * 4) : 0);
  if (!k.ensure(end)) return false;
  const buf = k.memory.buffer;
  writeOperandF32(k, a, r.formatA!, offA);
  writeOperandF32(k, b, r.formatB!, offB);
  if (transB) k.exports.packBT(offB, offBp, K, N);
  else k.exports.packB(offB, offBp, K, N);
  const t = threadsSupported(k) ? chooseThreads(r.threads, M * N * K, Math.max(Math.ceil(M / 4), np)) : 1;
  const byRows = Math.ceil(M / 4) >= np || t === 1;
  const shareRanges = ranges(byRows ? Math.ceil(M / 4) : np, t);
  const C = new Float32Array(buf, offC, M * ldc);
  const job = (target: number, kb: number, ke: number, kc: number, splitK: number) =>
    shareRanges.map(([lo, hi]): Job[] => [
      byRows
        ? ['sgemm', [offA, offBp, target, K, kb, ke, ldc, lo * 4, Math.min(M, hi * 4), 0, np, kc, MC, splitK]]
        : ['sgemm', [offA, offBp, target, K, kb, ke, ldc, 0, M, lo, hi, kc, MC, splitK]],
    ]);
  if (blockK <= MAX_KERNEL_BLOCK_K) {
    // the kernel's k-block is the split-K block: partial sums from 0, each added to C once
    runShares(k, job(offC, 0, K, blockK, 1));
  } else {
    // long blocks: each block is a running sum through C (kc-blocked), blocks combined here
    const C2 = split ? new Float32Array(buf, offC2, M * ldc) : C;
    for (let kb = 0; kb < K; kb += blockK) {
      const ke = Math.min(K, kb + blockK);
      runShares(k, job(kb === 0 ? offC : offC2, kb, ke, KC, 0));
      if (kb > 0) for (let e = 0; e < C.length; e++) C[e] = C[e] + C2[e];
    }
  }
  if (K === 0) C.fill(0);
  if (ldc === N) dst.set(C);
  else for (let i = 0; i < M; i++) dst.set(C.subarray(i * ldc, i * ldc + N), i * N);
  return true;
}

function gemmF32Js(a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float32Array): void {
  const { M, K, N, transB, blockK } = r;
  const A = operandF32(a, r.formatA!);
  let B = operandF32(b, r.formatB!);
  if (transB) {
    B = transposed(B, N, K);
  }
  dst.fill(0);
  const part = new Float32Array(N);
  for (let i = 0; i < M; i++) {
    const row = dst.subarray(i * N, (i + 1) * N);
    for (let kb = 0; kb < K; kb += blockK) {
      const c = kb === 0 ? row : part.fill(0);
      const ke = Math.min(K, kb + blockK);
      for (let kk = kb; kk < ke; kk++) {
        const aik = A[i * K + kk];
        const off = kk * N;
        // c[j] is float32: the store rounds fround(c + fround(a·b)), the reference's step
        for (let j = 0; j < N; j++) c[j] += Math.fround(aik * B[off + j]);
      }
      if (kb > 0) for (let j = 0; j < N; j++) row[j] += part[j];
    }
  }
}

// ------------------------------------------------------------------ fp64 accumulation

function gemmF64Wasm(k: Kernels, a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float64Array): boolean {
  const { M, K, N, transB, blockK } = r;
  const np = Math.ceil(N / 4);
  const ldc = np * 4;
  const offA = BASE;
  const offBp = offA + align64(M * K * 8);
  const offC = offBp + align64(np * 4 * K * 8);
  const offB = offC; // raw B lives until packed, then C takes its place
  const split = blockK < K;
  const offC2 = offC + align64(Math.max(M * ldc * 8, K * N * 8));
  const end = offC2 + (split ? align64(M * ldc * 8) : 0);
  if (!k.ensure(end)) return false;
  const buf = k.memory.buffer;
  new Float64Array(buf, offA, M * K).set(operandF64(a, r.formatA));
  new Float64Array(buf, offB, K * N).set(operandF64(b, r.formatB));
  k.exports.packB64(offB, offBp, K, N, transB ? 1 : 0);
  const t = threadsSupported(k) ? chooseThreads(r.threads, M * N * K, Math.max(Math.ceil(M / 4), np)) : 1;
  const byRows = Math.ceil(M / 4) >= np || t === 1;
  const shareRanges = ranges(byRows ? Math.ceil(M / 4) : np, t);
  const C = new Float64Array(buf, offC, M * ldc);
  const C2 = split ? new Float64Array(buf, offC2, M * ldc) : C;
  for (let kb = 0; kb < K; kb += blockK) {
    const ke = Math.min(K, kb + blockK);
    const target = kb === 0 ? offC : offC2;
    runShares(
      k,
      shareRanges.map(([lo, hi]) => [
        byRows
          ? ['dgemm', [offA, offBp, target, K, kb, ke, ldc, lo * 4, Math.min(M, hi * 4), 0, np, KC64]]
          : ['dgemm', [offA, offBp, target, K, kb, ke, ldc, 0, M, lo, hi, KC64]],
      ]),
    );
    if (kb > 0) for (let e = 0; e < C.length; e++) C[e] += C2[e];
  }
  if (K === 0) C.fill(0);
  if (ldc === N) dst.set(C);
  else for (let i = 0; i < M; i++) dst.set(C.subarray(i * ldc, i * ldc + N), i * N);
  return true;
}

// gemmF32Js's float64 twin: the same blocked loop, kept as a separate monomorphic function rather than
// one generic over the array type, because V8 optimises each typed-array type's loop on its own and the
// float32 one must round every product and sum (Math.fround, Float32Array stores).
function gemmF64Js(a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float64Array): void {
  const { M, K, N, transB, blockK } = r;
  const A = operandF64(a, r.formatA);
  let B = operandF64(b, r.formatB);
  if (transB) {
    B = transposed(B, N, K);
  }
  dst.fill(0);
  const part = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    const row = dst.subarray(i * N, (i + 1) * N);
    for (let kb = 0; kb < K; kb += blockK) {
      const c = kb === 0 ? row : part.fill(0);
      const ke = Math.min(K, kb + blockK);
      for (let kk = kb; kk < ke; kk++) {
        const aik = A[i * K + kk];
        const off = kk * N;
        for (let j = 0; j < N; j++) c[j] += aik * B[off + j];
      }
      if (kb > 0) for (let j = 0; j < N; j++) row[j] += part[j];
    }
  }
}

// ------------------------------------------------------------------ emulated fp16 / bf16 accumulation

function gemmEmulated(a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float64Array): void {
  const { M, K, N, transB, blockK } = r;
  const rnd = rounder(r.accumulate as 'fp16' | 'bf16');
  const A = operandF64(a, r.formatA);
  let W = operandF64(b, r.formatB);
  if (!transB) {
    W = transposed(W, K, N);
  }
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    for (let j = 0; j < N; j++) {
      const wo = j * K;
      let total = 0;
      for (let kb = 0; kb < K; kb += blockK) {
        const ke = Math.min(K, kb + blockK);
        let part = 0;
        // products of ≤ 11-bit significands are exact in float64, and so is part + product here
        // (or it is far from any fp16/bf16 rounding boundary): one rounding per addition
        for (let kk = kb; kk < ke; kk++) part = rnd(part + A[ao + kk] * W[wo + kk]);
        total = kb === 0 ? part : rnd(total + part);
      }
      dst[i * N + j] = total;
    }
  }
}

// ------------------------------------------------------------------ Hopper fp8 tensor-core model

function gemmHopper(a: Matrix, b: Matrix, r: ResolvedMatmul, dst: Float64Array): void {
  const { M, K, N, transB, blockK } = r;
  const A = operandF64(a, r.formatA);
  let W = operandF64(b, r.formatB);
  if (!transB) {
    W = transposed(W, K, N);
  }
  const terms = new Float64Array(HOPPER_GROUP);
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    for (let j = 0; j < N; j++) {
      const wo = j * K;
      let s = 0;
      for (let kb = 0; kb < K; kb += blockK) {
        const ke = Math.min(K, kb + blockK);
        let t = 0;
        for (let g = kb; g < ke; g += HOPPER_GROUP) {
          const n = Math.min(HOPPER_GROUP, ke - g);
          for (let u = 0; u < n; u++) terms[u] = A[ao + g + u] * W[wo + g + u];
          t = hopperGroup(t, terms, n);
        }
        s = kb === 0 ? t : Math.fround(s + t);
      }
      dst[i * N + j] = s;
    }
  }
}

// ------------------------------------------------------------------ driver

function finish(r: ResolvedMatmul, acc: Float32Array | Float64Array): Matrix {
  const { M, N, bias, output, out, alpha } = r;
  const mode = r.accumulate;
  // rounding of the accumulation format (fp32 for fp32 and fp8-hopper; identity for fp64)
  const rnd = mode === 'fp16' || mode === 'bf16' ? rounder(mode) : mode === 'fp64' ? null : Math.fround;
  if (alpha !== 1) {
    const al = rnd ? rnd(alpha) : alpha;
    for (let e = 0; e < acc.length; e++) acc[e] = rnd ? rnd(acc[e] * al) : acc[e] * al;
  }
  if (bias) {
    const bv = new Float64Array(N);
    for (let j = 0; j < N; j++) bv[j] = rnd ? rnd(bias[j]) : bias[j];
    for (let i = 0; i < M; i++) {
      const o = i * N;
      if (rnd) for (let j = 0; j < N; j++) acc[o + j] = rnd(acc[o + j] + bv[j]);
      else for (let j = 0; j < N; j++) acc[o + j] += bv[j];
    }
  }
  if (output === 'fp32' || output === 'fp64') {
    if (acc !== out) (out as Float32Array | Float64Array).set(acc);
    return { rows: M, cols: N, data: out };
  }
  encodeArray(acc, output, { out: out as CodeArray });
  return { rows: M, cols: N, data: out as MatrixData, format: output.name };
}

/**
 * Matrix product C = A·B (or A·Wᵀ with `transB`) with chosen input, accumulation and output formats,
 * like a GPU GEMM: operands rounded to `inputs` (or decoded from their codes), products summed in
 * `accumulate` (fp32 by default), `bias` added, result rounded to `output`.
 *
 * fp32 and fp64 accumulation run WebAssembly SIMD kernels (pure TypeScript where unavailable), split
 * across worker threads for large products in Node; every element is summed in k order, one rounding
 * per product and per addition, so results are bit-identical to {@link matmulReference} whatever the
 * kernel, blocking or thread count. fp16/bf16 accumulation is emulated (sum rounded after every add).
 *
 * @param a - A [M,K]: float data, or codes with their `format` (e.g. bf16 codes in a Uint16Array).
 * @param b - B [K,N], or W [N,K] with `transB: true`.
 * @returns C [M,N]: a Float32Array (default), Float64Array (`output: 'fp64'`) or codes with `format`.
 * @throws RangeError when inner dimensions differ, `out` has the wrong length, or an option is out of
 * range; TypeError for wrong data types and unsupported format combinations.
 * @example
 * ```ts
 * const a = { rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) };
 * const b = { rows: 2, cols: 2, data: new Float32Array([5, 6, 7, 8]) };
 * matmul(a, b).data; // Float32Array [19, 22, 43, 50]
 * // bf16 inputs, fp32 accumulation, bf16 output, as on a GPU:
 * matmul(a, b, { inputs: 'bf16', output: 'bf16' }); // { rows: 2, cols: 2, data: Uint16Array, format: 'bf16' }
 * // emulated fp16 accumulation: 4096 ones sum to 2048
 * const ones = { rows: 1, cols: 4096, data: new Float32Array(4096).fill(1) };
 * matmul(ones, { rows: 4096, cols: 1, data: new Float32Array(4096).fill(1) }, { accumulate: 'fp16' }).data; // [2048]
 * ```
 */
export function matmul(a: Matrix, b: Matrix, opts?: MatmulOptions): Matrix {
  const r = resolveMatmul(a, b, opts, 'matmul');
  const { M, N, output, out } = r;
  if (r.accumulate === 'fp32') {
    const acc = output === 'fp32' ? (out as Float32Array) : new Float32Array(M * N);
    const k = M * N > 0 ? requestedKernels(r.kernel, 'matmul') : null;
    if (!(k && gemmF32Wasm(k, a, b, r, acc))) gemmF32Js(a, b, r, acc);
    return finish(r, acc);
  }
  const acc = output === 'fp64' ? (out as Float64Array) : new Float64Array(M * N);
  if (r.accumulate === 'fp64') {
    const k = M * N > 0 ? requestedKernels(r.kernel, 'matmul') : null;
    if (!(k && gemmF64Wasm(k, a, b, r, acc))) gemmF64Js(a, b, r, acc);
  } else if (r.accumulate === 'fp8-hopper') gemmHopper(a, b, r, acc);
  else gemmEmulated(a, b, r, acc);
  return finish(r, acc);
}

/**
 * A·Wᵀ for W [N,K] row-major (a Linear layer's weight): `matmul(a, w, { ...opts, transB: true })`.
 *
 * @example
 * ```ts
 * const x = { rows: 1, cols: 2, data: new Float32Array([1, 2]) };
 * const w = { rows: 3, cols: 2, data: new Float32Array([1, 0, 0, 1, 1, 1]) };
 * matmulTransposed(x, w).data; // Float32Array [1, 2, 3]
 * ```
 */
export function matmulTransposed(a: Matrix, w: Matrix, opts?: Omit<MatmulOptions, 'transB'>): Matrix {
  // check before spreading: a string or an array in place of the options would spread into nonsense
  checkOptionsObject(opts, 'matmulTransposed', '{ out }');
  return matmul(a, w, { ...opts, transB: true });
}
