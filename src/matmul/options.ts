// Options of lowp's matrix products and their resolution (validated once, shared by the reference
// kernels in reference.ts and the fast driver in matmul.ts so both compute the same thing).
import { describeValue } from '../core/describe.js';
import { validateMatrix, type Matrix, type MatrixData } from '../core/matrix.js';
import { codeArrayType, getFormat, type FloatFormat, type FormatLike } from '../formats/index.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * The arithmetic a product accumulates in:
 * - `'fp32'` (default): each term is an f32 product added to an f32 running sum (one rounding each),
 *   as GPU tensor cores with fp32 accumulation and CPU BLAS do;
 * - `'fp64'`: float64 products and sums;
 * - `'fp16'` / `'bf16'`: emulated low-precision accumulation: the running sum is rounded to the format
 *   after every addition of an exact product (fp16 accumulation of 4096 ones stops at 2048);
 * - `'fp8-hopper'`: a model of NVIDIA Hopper fp8 tensor cores (fp8 inputs only): groups of 32 exact
 *   products and the tensor-core accumulator aligned to the largest exponent among them, each
 *   truncated to 13 bits below it, summed, rounded to fp32; the tensor-core accumulator is promoted into
 *   an fp32 sum every `blockK` = 128 k (`torch._scaled_mm`'s default; `blockK: Infinity` models its
 *   "fast accumulation", which never promotes). It reproduces the H200's error (≈ 14 bits kept).
 *
 * @example
 * ```ts
 * const acc: AccumulateFormat = 'fp16';
 * matmul(a, b, { accumulate: acc });
 * ```
 */
export type AccumulateFormat = 'fp32' | 'fp64' | 'fp16' | 'bf16' | 'fp8-hopper';

/**
 * Which kernels run: `'auto'` (WebAssembly SIMD when available), `'wasm'` (required), `'js'` (pure TypeScript).
 *
 * @example
 * ```ts
 * matmul(a, b, { kernel: 'js' }); // the pure-TypeScript kernel: same bits, slower
 * ```
 */
export type KernelChoice = 'auto' | 'wasm' | 'js';

/**
 * Options of {@link matmul}. Every field is optional.
 *
 * @example
 * ```ts
 * const opts: MatmulOptions = { inputs: 'bf16', accumulate: 'fp32', output: 'bf16', transB: true };
 * matmul(x, w, opts); // x·wᵀ as a bf16 GPU GEMM computes it
 * ```
 */
export interface MatmulOptions {
  /** `b` is given transposed, as W [N,K] (a Linear layer's weight): computes A·Wᵀ. Default false. */
  transB?: boolean;
  /**
   * Format both operands are rounded to before multiplying (e.g. `'bf16'`, `'fp16'`, `'fp8-e4m3fn'`).
   * Default: a matrix of codes keeps its own format; float data is used as float32 (accumulate fp32),
   * as is (accumulate fp64), or rounded to the accumulation format (accumulate fp16/bf16).
   */
  inputs?: FormatLike;
  /** Accumulation arithmetic (see {@link AccumulateFormat}). Default `'fp32'`. */
  accumulate?: AccumulateFormat | 'float32' | 'float64' | 'float16' | 'half' | 'bfloat16';
  /**
   * Split-K block size: the K terms are summed in blocks of `blockK` consecutive k (each block's
   * partial sum starts at 0 and runs in k order in the accumulation format), then the partial sums are
   * added in block order, again in the accumulation format. `Infinity` = one block (a plain running
   * sum over all K). Default: {@link FP32_BLOCK_K} (128) for `accumulate: 'fp32'`, like the k-panels
   * of GPU and BLAS kernels (its error bound grows with 128 + K/128 rather than K); one block for
   * `'fp64'`, `'fp16'` and `'bf16'`.
   */
  blockK?: number;
  /** Format of the result: `'fp32'` (default, Float32Array), `'fp64'` (Float64Array), or any lowp format name (codes). */
  output?: FormatLike | 'fp64' | 'float64';
  /**
   * Destination of the M×N result, of the output format's array type, sharing no memory with `a.data`,
   * `b.data` or `bias` (the kernels read them while writing `out`). Default: a new array.
   */
  out?: MatrixData;
  /**
   * Scale of the product (a GEMM's alpha, e.g. fp8 scale_a·scale_b): the total is multiplied by
   * `alpha` (rounded to the accumulation format; fp32 for `'fp8-hopper'`) once, in the accumulation
   * format, before `bias`. Default 1 (no multiplication).
   */
  alpha?: number;
  /** A length-N vector added to every row, once, after the sum (in the accumulation format). */
  bias?: Float32Array | Float64Array | readonly number[];
  /** Threads to use (Node worker_threads): default all cores for large products; 1 = the calling thread only. */
  threads?: number;
  /** Kernel selection, for testing and benchmarks. Default `'auto'`. */
  kernel?: KernelChoice;
}

/** Options after validation. */
export interface ResolvedMatmul {
  M: number;
  K: number;
  N: number;
  transB: boolean;
  accumulate: AccumulateFormat;
  /** Rounding format of each operand; null = use the float values as they are. */
  formatA: FloatFormat | null;
  formatB: FloatFormat | null;
  blockK: number;
  /** Output: 'fp32', 'fp64' or a code format. */
  output: 'fp32' | 'fp64' | FloatFormat;
  out: MatrixData;
  bias: Float32Array | Float64Array | readonly number[] | null;
  alpha: number;
  threads: number | undefined;
  kernel: KernelChoice;
}

/**
 * Default split-K block of fp32 accumulation: each element is the sum, in block order, of fp32 running
 * sums over 128 consecutive k (see `blockK`).
 *
 * @example
 * ```ts
 * matmul(a, b); // same bits as matmul(a, b, { blockK: FP32_BLOCK_K })
 * ```
 */
export const FP32_BLOCK_K = 128;

/**
 * Default promotion interval of `accumulate: 'fp8-hopper'`: the tensor-core partial sum is added into
 * an fp32 accumulator every 128 k (4 fp8 WGMMA k-steps of 32), as `torch._scaled_mm`'s default
 * (non-"fast") accumulation does on H100/H200.
 *
 * @example
 * ```ts
 * matmul(a8, w8, { transB: true, accumulate: 'fp8-hopper' }); // blockK = HOPPER_FP8_PROMOTE_K
 * matmul(a8, w8, { transB: true, accumulate: 'fp8-hopper', blockK: Infinity }); // "fast accumulation"
 * ```
 */
export const HOPPER_FP8_PROMOTE_K = 128;

const ACC: Record<string, AccumulateFormat> = {
  fp32: 'fp32', float32: 'fp32', fp64: 'fp64', float64: 'fp64',
  fp16: 'fp16', float16: 'fp16', half: 'fp16', bf16: 'bf16', bfloat16: 'bf16', 'fp8-hopper': 'fp8-hopper',
};

function fmtOf(x: FormatLike, what: string): FloatFormat {
  try {
    return getFormat(x);
  } catch (e) {
    const err = e as Error;
    const Ctor = err instanceof TypeError ? TypeError : RangeError;
    throw new Ctor(`${what}: ${err.message}`);
  }
}

/** @internal True when two typed arrays share bytes (an `out` over an input would overwrite it while it is read). */
export function sharesMemory(x: ArrayBufferView, y: ArrayBufferView): boolean {
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/**
 * @internal A new M×N result array; a size no typed array can hold (M×N up to 2^53 when K = 0) is a
 * RangeError naming the product rather than the engine's 'Invalid typed array length'.
 */
export function allocResult<A>(Ctor: new (n: number) => A, M: number, N: number, fn: string): A {
  try {
    return new Ctor(M * N);
  } catch (e) {
    throw new RangeError(`${fn}: cannot allocate the M×N = ${M}×${N} = ${M * N}-element result (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * @internal The dimensions of the product A·B, or A·Wᵀ with `transB` (B given as W [N,K]): checks
 * `transB` and that the inner dimensions agree. `names` are what the messages call A, B, and B given
 * transposed.
 */
export function productDims(
  a: { rows: number; cols: number }, b: { rows: number; cols: number }, transBOption: unknown, fn: string,
  names: readonly [a: string, b: string, w: string],
): { M: number; K: number; N: number; transB: boolean } {
  const transB = transBOption ?? false;
  if (typeof transB !== 'boolean') throw new TypeError(`${fn}: transB must be a boolean, got ${describeValue(transB)}`);
  const M = a.rows;
  const K = a.cols;
  const KB = transB ? b.cols : b.rows;
  const N = transB ? b.rows : b.cols;
  if (KB !== K) {
    throw new RangeError(
      transB
        ? `${fn}: inner dimensions do not match: ${names[0]} is ${M}×${K}, so ${names[2]} must have ${K} columns, got ${b.rows}×${b.cols}`
        : `${fn}: inner dimensions do not match: ${names[0]} is ${M}×${K}, so ${names[1]} must have ${K} rows, got ${b.rows}×${b.cols}`,
    );
  }
  return { M, K, N, transB };
}

/** @internal Checks the `threads` and `kernel` options every product takes (`kernel` defaults to 'auto'). */
export function runOptions(o: { threads?: unknown; kernel?: unknown }, fn: string): { threads: number | undefined; kernel: KernelChoice } {
  const threads = o.threads;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 1)) {
    throw new RangeError(`${fn}: threads must be a positive integer, got ${describeValue(threads)}`);
  }
  const kernel = o.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'wasm' && kernel !== 'js') {
    throw new RangeError(`${fn}: kernel must be 'auto', 'wasm' or 'js', got ${describeValue(kernel)}`);
  }
  return { threads, kernel };
}

/** Validates the operands and options of a matrix product; throws TypeError/RangeError with what was expected. */
export function resolveMatmul(a: Matrix, b: Matrix, opts: MatmulOptions | undefined, fn: string): ResolvedMatmul {
  checkOptionsObject(opts, fn, '{ out }');
  const o = opts ?? {};
  validateMatrix(a, 'a');
  validateMatrix(b, 'b');
  const { M, K, N, transB } = productDims(a, b, o.transB, fn, ['a', 'b', 'w (b with transB)']);
  const accName = o.accumulate ?? 'fp32';
  const accumulate = typeof accName === 'string' ? ACC[accName.toLowerCase()] : undefined;
  if (!accumulate) {
    throw new RangeError(`${fn}: accumulate must be one of 'fp32', 'fp64', 'fp16', 'bf16', 'fp8-hopper', got ${describeValue(accName)}`);
  }
  const inputs = o.inputs === undefined ? null : fmtOf(o.inputs, `${fn}: inputs`);
  const formatFor = (m: Matrix, name: string): FloatFormat | null => {
    const own = m.format !== undefined ? fmtOf(m.format, `${fn}: ${name}.format`) : null;
    if (own) {
      const Ctor = codeArrayType(own);
      if (!(m.data instanceof Ctor)) {
        throw new TypeError(`${fn}: ${name}.format '${own.name}' holds its codes in a ${Ctor.name}, got ${describeValue(m.data)}`);
      }
    }
    if (inputs) return inputs;
    if (own) return own;
    if (accumulate === 'fp64') return null;
    if (accumulate === 'fp8-hopper') {
      throw new TypeError(`${fn}: accumulate 'fp8-hopper' models fp8 tensor cores and needs fp8 inputs: give ${name} as fp8 codes with their format, or pass inputs: 'fp8-e4m3fn' (or another 8-bit format)`);
    }
    return fmtOf(accumulate === 'fp32' ? 'fp32' : accumulate, fn);
  };
  const formatA = formatFor(a, 'a');
  const formatB = formatFor(b, 'b');
  if (accumulate === 'fp8-hopper') {
    for (const [f, name] of [[formatA, 'a'], [formatB, 'b']] as const) {
      if (!f || f.bits > 8) {
        throw new TypeError(`${fn}: accumulate 'fp8-hopper' models fp8 tensor cores and needs 8-bit (or narrower) float inputs; operand ${name} is ${f ? f.name : 'float64'}`);
      }
    }
  }
  if (accumulate === 'fp16' || accumulate === 'bf16') {
    for (const [f, name] of [[formatA, 'a'], [formatB, 'b']] as const) {
      if (!f || f.mantissaBits > 10) {
        throw new TypeError(
          `${fn}: accumulate '${accumulate}' emulates low-precision hardware and needs 16-bit or narrower inputs; operand ${name} is ${f ? f.name : 'float64'} (pass inputs: '${accumulate}' or a narrower format)`,
        );
      }
    }
  }
  let blockK = accumulate === 'fp32' ? FP32_BLOCK_K : accumulate === 'fp8-hopper' ? HOPPER_FP8_PROMOTE_K : Infinity;
  if (o.blockK !== undefined) {
    if (typeof o.blockK !== 'number' || !(Number.isSafeInteger(o.blockK) || o.blockK === Infinity) || o.blockK < 1) {
      throw new RangeError(`${fn}: blockK must be a positive integer or Infinity, got ${describeValue(o.blockK)}`);
    }
    blockK = o.blockK;
  }
  blockK = Math.max(1, Math.min(blockK, K));
  const outName = o.output ?? 'fp32';
  let output: ResolvedMatmul['output'];
  if (outName === 'fp64' || outName === 'float64') output = 'fp64';
  else {
    const f = fmtOf(outName as FormatLike, `${fn}: output`);
    output = f.name === 'fp32' ? 'fp32' : f;
  }
  const n = M * N;
  const Ctor = output === 'fp32' ? Float32Array : output === 'fp64' ? Float64Array : codeArrayType(output);
  let out: MatrixData;
  if (o.out !== undefined) {
    if (!(o.out instanceof Ctor)) {
      throw new TypeError(`${fn}: out must be a ${Ctor.name} for output ${typeof output === 'string' ? output : output.name}, got ${describeValue(o.out)}`);
    }
    if (o.out.length !== n) throw new RangeError(`${fn}: out must hold M×N = ${M}×${N} = ${n} elements, got ${describeValue(o.out)}`);
    if (sharesMemory(o.out, a.data) || sharesMemory(o.out, b.data)) throw new RangeError(`${fn}: out must not share memory with an input's data`);
    out = o.out;
  } else out = allocResult(Ctor as typeof Float32Array, M, N, fn) as MatrixData;
  let bias: ResolvedMatmul['bias'] = null;
  if (o.bias !== undefined) {
    const bv = o.bias;
    if (!(bv instanceof Float32Array) && !(bv instanceof Float64Array) && !Array.isArray(bv)) {
      throw new TypeError(`${fn}: bias must be a Float32Array, Float64Array or number[] of length N = ${N}, got ${describeValue(bv)}`);
    }
    if (bv.length !== N) throw new RangeError(`${fn}: bias must have length N = ${N}, got ${describeValue(bv)}`);
    if (!Array.isArray(bv) && sharesMemory(out, bv)) throw new RangeError(`${fn}: out must not share memory with bias`);
    if (Array.isArray(bv)) {
      for (let j = 0; j < N; j++) if (typeof bv[j] !== 'number') throw new TypeError(`${fn}: bias[${j}] must be a number, got ${describeValue(bv[j])}`);
    }
    bias = bv;
  }
  const alpha = o.alpha ?? 1;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw new RangeError(`${fn}: alpha must be a finite number, got ${describeValue(alpha)}`);
  }
  const { threads, kernel } = runOptions(o, fn);
  return { M, K, N, transB, accumulate, formatA, formatB, blockK, output, out, bias, alpha, threads, kernel };
}
