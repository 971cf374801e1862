// Options and result type of the int8 product, shared by int8Matmul (int8.ts) and its reference twin.
import { describeValue } from '../core/describe.js';
import { validateInt8Matrix, type Int8Matrix } from '../core/matrix.js';
import { allocResult, productDims, runOptions, sharesMemory, type KernelChoice } from './options.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Largest K for which an int8 product always fits int32: |Σ a·b| ≤ K·128·128 = K·2^14 ≤ 2^31 − 1.
 * (With symmetric codes in [−127, 127], as lowp's quantizers produce, the bound would be 133,143; lowp
 * accepts −128 too, so it uses the bound that holds for every int8 code.)
 *
 * @example
 * ```ts
 * int8Matmul(qa, qb).data instanceof Int32Array; // true when qa.cols <= INT8_INT32_MAX_K
 * ```
 */
export const INT8_INT32_MAX_K = 131071;

/**
 * Options of {@link int8Matmul}.
 *
 * @example
 * ```ts
 * const opts: Int8MatmulOptions = { transB: true, threads: 1 };
 * int8Matmul(qa, qw, opts);
 * ```
 */
export interface Int8MatmulOptions {
  /**
   * `qb` is given transposed, as W [N,K] row-major (a Linear layer's weight; LLM.int8's A·Wᵀ): the
   * fast path, since both operands are then read along K. Default false (qb is [K,N]).
   */
  transB?: boolean;
  /**
   * Destination: an Int32Array of M×N (K ≤ 131,071) or a Float64Array of M×N (any K), sharing no memory
   * with `qa.data` or `qb.data`.
   */
  out?: Int32Array | Float64Array;
  /** Threads (Node worker_threads): default all cores for large products; 1 = calling thread only. */
  threads?: number;
  /** Kernel selection, for tests and benchmarks. Default `'auto'`. */
  kernel?: KernelChoice;
}

/**
 * The exact int8 product C = A·B (or A·Wᵀ): an Int32Array when K ≤ 131,071 (every possible sum fits
 * int32), else a Float64Array (exact integers: every sum is below 2^53 for any K that fits in memory).
 *
 * @example
 * ```ts
 * const r: Int8MatmulResult = int8Matmul(qa, qw, { transB: true });
 * r.data[0]; // the exact integer sum for row 0, column 0
 * ```
 */
export interface Int8MatmulResult {
  /** M. */
  readonly rows: number;
  /** N. */
  readonly cols: number;
  /** M×N exact sums, row-major. */
  readonly data: Int32Array | Float64Array;
}

/** Validated int8 product parameters. */
export interface ResolvedInt8 {
  M: number;
  K: number;
  N: number;
  transB: boolean;
  out: Int32Array | Float64Array;
  threads: number | undefined;
  kernel: KernelChoice;
}

/** Validates int8 operands and options. */
export function resolveInt8(qa: Int8Matrix, qb: Int8Matrix, opts: Int8MatmulOptions | undefined, fn: string): ResolvedInt8 {
  checkOptionsObject(opts, fn, '{ out }');
  validateInt8Matrix(qa, 'qa');
  validateInt8Matrix(qb, 'qb');
  const o = opts ?? {};
  const { M, K, N, transB } = productDims(qa, qb, o.transB, fn, ['qa', 'qb', 'qb (W with transB)']);
  const wide = K > INT8_INT32_MAX_K;
  const n = M * N;
  let out: Int32Array | Float64Array;
  if (o.out !== undefined) {
    const ok = wide ? o.out instanceof Float64Array : o.out instanceof Int32Array || o.out instanceof Float64Array;
    if (!ok) {
      throw new TypeError(
        wide
          ? `${fn}: K = ${K} > ${INT8_INT32_MAX_K}, where int32 sums could overflow: out must be a Float64Array, got ${describeValue(o.out)}`
          : `${fn}: out must be an Int32Array or Float64Array, got ${describeValue(o.out)}`,
      );
    }
    if (o.out.length !== n) throw new RangeError(`${fn}: out must hold M×N = ${M}×${N} = ${n} elements, got ${describeValue(o.out)}`);
    if (sharesMemory(o.out, qa.data) || sharesMemory(o.out, qb.data)) throw new RangeError(`${fn}: out must not share memory with an input's data`);
    out = o.out;
  } else out = wide ? allocResult(Float64Array, M, N, fn) : allocResult(Int32Array, M, N, fn);
  const { threads, kernel } = runOptions(o, fn);
  return { M, K, N, transB, out, threads, kernel };
}
