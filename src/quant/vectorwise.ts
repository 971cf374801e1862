// Vector-wise int8 quantization with outlier columns, bit-compatible with bitsandbytes'
// `int8_vectorwise_quant` (bitsandbytes/backends/default/ops.py, the reference its CUDA kernel is tested
// against) and its `int8_vectorwise_dequant`. The rules, pinned down by ../shared/vectors
// (llm-int8-bitsandbytes) and reproduced bit for bit:
//   - threshold > 0: a value is an outlier when |a| >= threshold; outliers count as 0 for the row absmax;
//   - absmax_r = max |a| over the row's non-outliers (float32, exact);
//   - scale_r = fl32(fl32(1 / absmax_r) · 127): PyTorch evaluates `127.0 / row_stats` as reciprocal then
//     multiply, two float32 roundings;
//   - code = round-half-to-even(fl32(a · scale_r)) (a float32 product, then torch.round);
//   - every column holding an outlier is zeroed in the codes; an all-zero row gives codes 0;
//   - (lowp only) a row absmax below 2^-128, whose float32 reciprocal overflows, is scaled in float64.
// Every float32 step is emulated with Math.fround. Float64 input is rounded to float32 first (bitsandbytes
// works on float32/fp16 tensors); NaN/±Infinity are rejected (bitsandbytes would turn a row holding one
// into garbage codes). The input is never modified (bitsandbytes zeroes outliers in place and restores
// them; lowp only reads).
import { describeValue } from '../core/describe.js';
import type { Int8Matrix } from '../core/matrix.js';
import { asFloat32, rejectNonFinite, rejectSharedOut, tensorValues, type TensorInput } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Options of {@link int8VectorwiseQuant}.
 *
 * @example
 * ```ts
 * int8VectorwiseQuant(a, { threshold: 6 }); // LLM.int8's outlier threshold
 * ```
 */
export interface VectorwiseOptions {
  /**
   * Outlier threshold: with threshold > 0, values with |a| >= threshold are outliers, left out of the
   * row absmax, and their columns are zeroed in the codes (they belong in the 16-bit path of LLM.int8).
   * Default 0: no outlier detection (as in bitsandbytes). `Infinity` also finds none. Must be >= 0.
   */
  threshold?: number;
}

/**
 * The result of {@link int8VectorwiseQuant}: bitsandbytes' `(CA, SCA, outlier_cols)`.
 *
 * @example
 * ```ts
 * const { codes, absmax, outlierCols } = int8VectorwiseQuant(a, { threshold: 6 }); // bitsandbytes' CA, SCA, outlier_cols
 * ```
 */
export interface VectorwiseInt8 {
  /** Row-major int8 codes, rows × cols; outlier columns are 0. */
  codes: Int8Matrix;
  /** Row absmax over the non-outlier values (bitsandbytes' row stats `SCA`/`SCB`), float32. */
  absmax: Float32Array;
  /** Indices of the columns holding at least one outlier, ascending. Empty without outliers. */
  outlierCols: Int32Array;
  /** Number of values with |a| >= threshold (0 when threshold is 0). */
  outlierCount: number;
  /** The threshold used. */
  threshold: number;
}

/**
 * fl32(1/127) = 0.007874015718698502: the factor bitsandbytes dequantizes int8 codes with (`A * stats * 7.874015718698502e-3`, that is the float32 nearest 1/127).
 *
 * @example
 * ```ts
 * INV127_F32 === 0.007874015718698502; // true: bitsandbytes' literal 7.874015718698502e-3
 * ```
 */
export const INV127_F32 = Math.fround(1 / 127);

/** 1.5·2^52: (x + RNE_MAGIC) − RNE_MAGIC is x rounded to an integer, ties to even, for |x| < 2^51. */
const RNE_MAGIC = 6755399441055744;

/**
 * Validates a threshold: a number >= 0 (NaN, negatives and −Infinity are errors; +Infinity means "no outliers").
 *
 * @internal
 */
export function checkThreshold(t: unknown, fn: string): number {
  if (typeof t !== 'number' || Number.isNaN(t) || t < 0) {
    throw new RangeError(`${fn}: threshold must be a number >= 0 (0 or Infinity: no outliers), got ${describeValue(t)}`);
  }
  return t;
}

/**
 * The quantizer on float32 values (shared with llmInt8Linear, which already holds them).
 * @internal
 */
export function vectorwiseCore(d: Float32Array, rows: number, cols: number, threshold: number): VectorwiseInt8 {
  const absmax = new Float32Array(rows);
  const colHas = new Uint8Array(cols);
  const detect = threshold > 0;
  let outlierCount = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(d[o + c]);
      if (detect && a >= threshold) {
        colHas[c] = 1;
        outlierCount++;
        continue;
      }
      if (a > m) m = a;
    }
    absmax[r] = m;
  }
  const codes = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const m = absmax[r];
    if (m === 0) continue; // all-zero row (after removing outliers): codes 0
    const scale = Math.fround(Math.fround(1 / m) * 127);
    // a float32-subnormal absmax below 2^-128 has no finite float32 reciprocal: bitsandbytes' scale is
    // then infinite and its codes undefined; lowp scales such a row in float64 instead (a·127/absmax)
    const wide = scale === Infinity;
    const o = r * cols;
    for (let c = 0; c < cols; c++) {
      if (colHas[c]) continue; // outlier column: zeroed
      const p = wide ? (d[o + c] * 127) / m : Math.fround(d[o + c] * scale);
      // round half to even: adding and subtracting 1.5·2^52 rounds any |p| < 2^51 to the nearest integer,
      // ties to even, in float64 arithmetic (p, a float32 value, is exact in float64). |p| <= 127 by
      // construction (fl32(1/m)·127·m rounds to at most 127); clamped anyway
      const q = (p + RNE_MAGIC) - RNE_MAGIC;
      codes[o + c] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  let n = 0;
  for (let c = 0; c < cols; c++) n += colHas[c];
  const outlierCols = new Int32Array(n);
  for (let c = 0, j = 0; c < cols; c++) if (colHas[c]) outlierCols[j++] = c;
  return { codes: { rows, cols, data: codes }, absmax, outlierCols, outlierCount, threshold };
}

/**
 * Vector-wise (row-wise) int8 quantization with outlier detection, bit-compatible with bitsandbytes'
 * `F.int8_vectorwise_quant(A, threshold)`: returns its `CA` (codes), `SCA` (row absmax) and
 * `outlier_cols`. The rules (every float32 rounding emulated):
 * - with `threshold > 0`, |a| >= threshold marks an outlier, which is left out of the row absmax;
 * - `scale = fl32(fl32(1/absmax) · 127)`, `code = roundHalfEven(fl32(a · scale))`;
 * - every outlier column is zeroed in the codes; an all-zero row gives codes 0 (never NaN).
 *
 * Inputs: fp16/bf16/fp8 codes (decoded exactly), Float32Array, or Float64Array (rounded to float32
 * first). The input is never modified.
 *
 * @throws TypeError for a wrong input type; RangeError for a bad shape, NaN/±Infinity in `a`, or a
 * threshold that is NaN or negative.
 * @example
 * ```ts
 * const a = { rows: 2, cols: 3, data: new Float32Array([1, 8, -0.5, 2, 0.25, 1]) };
 * const q = int8VectorwiseQuant(a, { threshold: 6 });
 * q.outlierCols;  // Int32Array [1]   (8 >= 6)
 * q.absmax;       // Float32Array [1, 2] (the outlier 8 is left out)
 * q.codes.data;   // Int8Array [127, 0, -64, 127, 0, 64]
 * ```
 */
export function int8VectorwiseQuant(a: TensorInput, opts?: VectorwiseOptions): VectorwiseInt8 {
  const fn = 'int8VectorwiseQuant';
  checkOptionsObject(opts, fn);
  const threshold = checkThreshold(opts?.threshold ?? 0, fn);
  const v = asFloat32(tensorValues(a, 'a', fn));
  rejectNonFinite(v, 'a', fn);
  return vectorwiseCore(v.values, v.rows, v.cols, threshold);
}

/**
 * Options of {@link int8VectorwiseDequant}.
 *
 * @example
 * ```ts
 * int8VectorwiseDequant(q.codes, q.absmax, { out: new Float32Array(q.codes.data.length) });
 * ```
 */
export interface VectorwiseDequantOptions {
  /** Destination of rows × cols values, sharing no memory with `codes` or `absmax`. Default: a new Float32Array. */
  out?: Float32Array;
}

/**
 * Dequantizes vector-wise int8 codes like bitsandbytes' `int8_vectorwise_dequant`:
 * value = fl32(fl32(code · absmax_row) · fl32(1/127)) (float32 arithmetic, the float32 constant
 * {@link INV127_F32}). Outlier columns come back as 0: their values live in the 16-bit path.
 *
 * @throws TypeError/RangeError for malformed codes/absmax (absmax values must be finite and >= 0, as
 * {@link dequantizeAbsmax} requires) or a wrong `out`.
 * @example
 * ```ts
 * const q = int8VectorwiseQuant({ rows: 1, cols: 2, data: new Float32Array([2, -1]) });
 * int8VectorwiseDequant(q.codes, q.absmax); // Float32Array [2, -1.0078740...] (−1 got code −64)
 * ```
 */
export function int8VectorwiseDequant(codes: Int8Matrix, absmax: Float32Array, opts?: VectorwiseDequantOptions): Float32Array {
  const fn = 'int8VectorwiseDequant';
  checkOptionsObject(opts, fn, '{ out }');
  if (codes === null || typeof codes !== 'object' || !(codes.data instanceof Int8Array)) {
    throw new TypeError(`${fn}: codes must be an int8 matrix { rows, cols, data: Int8Array }, got ${describeValue(codes)}`);
  }
  const { rows, cols } = codes;
  if (codes.data.length !== rows * cols) throw new RangeError(`${fn}: codes must hold rows × cols = ${rows * cols} values, got ${codes.data.length}`);
  if (!(absmax instanceof Float32Array)) throw new TypeError(`${fn}: absmax must be a Float32Array, got ${describeValue(absmax)}`);
  if (absmax.length !== rows) throw new RangeError(`${fn}: absmax must have one value per row (${rows}), got ${absmax.length}`);
  for (let r = 0; r < rows; r++) {
    // a NaN, negative or infinite row scale would come back as a row of NaN/∞/sign-flipped values
    if (!(absmax[r] >= 0 && absmax[r] !== Infinity)) throw new RangeError(`${fn}: absmax[${r}] must be finite and >= 0, got ${absmax[r]}`);
  }
  const out = opts?.out ?? new Float32Array(rows * cols);
  if (!(out instanceof Float32Array)) throw new TypeError(`${fn}: out must be a Float32Array, got ${describeValue(out)}`);
  if (out.length !== rows * cols) throw new RangeError(`${fn}: out must have ${rows * cols} elements, got ${out.length}`);
  rejectSharedOut(out, fn, { 'codes.data': codes.data, absmax });
  const c = codes.data;
  for (let r = 0; r < rows; r++) {
    const s = absmax[r];
    for (let j = r * cols, e = j + cols; j < e; j++) out[j] = Math.fround(Math.fround(c[j] * s) * INV127_F32);
  }
  return out;
}
