// Absmax (symmetric, zero-point-free) int8 quantization of a matrix, per tensor, per row or per column:
// scale = absmax / 127, code = round-half-to-even(x / scale) clamped to [-127, 127], dequantized value
// = code · scale. The classic scheme of Dettmers et al., "LLM.int8(): 8-bit Matrix Multiplication for
// Transformers at Scale" (2022), section 2 (absmax quantization), and the per-vector variant the paper
// builds on. Arithmetic is float64 on the exact input values (x·127/absmax, one rounding per step), so
// |dequant(quant(x)) − x| ≤ absmax/254 up to float64 rounding. NaN and ±Infinity are rejected: one of
// them would make the absmax, and so every code of its vector, meaningless.
import { describeValue } from '../core/describe.js';
import type { Int8Matrix } from '../core/matrix.js';
import { rejectNonFinite, rejectSharedOut, roundHalfEven, tensorValues, type TensorInput } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Which elements share one absmax scale: the whole tensor, each row, or each column.
 *
 * @example
 * ```ts
 * quantizeAbsmax(x, { granularity: 'col' }); // one scale per column
 * ```
 */
export type AbsmaxGranularity = 'tensor' | 'row' | 'col';

/**
 * Options of {@link quantizeAbsmax}.
 *
 * @example
 * ```ts
 * const opts: AbsmaxOptions = { granularity: 'row' };
 * ```
 */
export interface AbsmaxOptions {
  /** Scale sharing: `'tensor'` (default, one scale), `'row'` (one per row) or `'col'` (one per column). */
  granularity?: AbsmaxGranularity;
}

/**
 * The result of {@link quantizeAbsmax}: int8 codes plus the scales needed to dequantize them.
 *
 * @example
 * ```ts
 * const q: AbsmaxInt8 = quantizeAbsmax(new Float32Array([2, -1]));
 * q.codes.data; // Int8Array [127, -64]
 * q.scale;      // Float64Array [2 / 127]
 * ```
 */
export interface AbsmaxInt8 {
  /** Scale sharing of this quantization. */
  granularity: AbsmaxGranularity;
  /** Number of rows of the quantized matrix (1 for a flat array). */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** rows × cols int8 codes in [−127, 127], row-major. */
  codes: Int8Matrix;
  /** max |x| of each group: 1 value (tensor), `rows` values (row) or `cols` values (col). 0 for an all-zero group. */
  absmax: Float64Array;
  /** absmax / 127 for each group (the value of code 1); 0 for an all-zero group. */
  scale: Float64Array;
}

const GRANULARITIES: readonly AbsmaxGranularity[] = ['tensor', 'row', 'col'];

/** The number of scale groups of a rows × cols matrix: 1 (tensor), `rows` (row) or `cols` (col). */
function groupCount(granularity: AbsmaxGranularity, rows: number, cols: number): number {
  return granularity === 'tensor' ? 1 : granularity === 'row' ? rows : cols;
}

/** The group of row-major element i of a matrix `cols` wide. */
function groupOf(granularity: AbsmaxGranularity, i: number, cols: number): number {
  return granularity === 'tensor' ? 0 : granularity === 'row' ? (i / cols) | 0 : i % cols;
}

/**
 * Quantizes a matrix (or a flat array, taken as one row) to int8 with absmax scaling: per group
 * (the tensor, a row or a column), `scale = absmax / 127`, `code = clamp(roundHalfEven(x · 127 / absmax),
 * −127, 127)`. An all-zero group gets codes 0 and scale 0 (never NaN). Codes are clamped before they
 * are stored, so nothing wraps (an Int8Array would turn 128 into −128 and NaN into 0 silently).
 *
 * Inputs: Float32Array/Float64Array data, or bf16/fp16/fp8 codes with their `format` (decoded exactly).
 * The input is never modified.
 *
 * @throws TypeError for a wrong input type or option; RangeError for bad dimensions, or a NaN/±Infinity
 * in the input (its row and column are named).
 * @example
 * ```ts
 * const x = { rows: 2, cols: 2, data: new Float32Array([1, -2, 0.5, 0.25]) };
 * const q = quantizeAbsmax(x, { granularity: 'row' });
 * q.codes.data; // Int8Array [64, -127, 127, 64]
 * q.absmax;     // Float64Array [2, 0.5]
 * dequantizeAbsmax(q); // Float32Array [1.0078740..., -2, 0.5, 0.2519685...]
 * ```
 */
export function quantizeAbsmax(x: TensorInput, opts?: AbsmaxOptions): AbsmaxInt8 {
  const fn = 'quantizeAbsmax';
  checkOptionsObject(opts, fn);
  const granularity = opts?.granularity ?? 'tensor';
  if (!GRANULARITIES.includes(granularity)) {
    throw new TypeError(`${fn}: granularity must be 'tensor', 'row' or 'col', got ${describeValue(granularity)}`);
  }
  const v = tensorValues(x, 'x', fn);
  rejectNonFinite(v, 'x', fn);
  const { rows, cols } = v;
  const d = v.values;
  const groups = groupCount(granularity, rows, cols);
  const absmax = new Float64Array(groups);
  for (let i = 0; i < d.length; i++) {
    const g = groupOf(granularity, i, cols);
    const a = Math.abs(d[i]);
    if (a > absmax[g]) absmax[g] = a;
  }
  const scale = new Float64Array(groups);
  for (let g = 0; g < groups; g++) scale[g] = absmax[g] / 127;
  const codes = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const m = absmax[groupOf(granularity, i, cols)];
    if (m === 0) continue; // the whole group is zero
    let c = roundHalfEven((d[i] * 127) / m);
    if (c > 127) c = 127;
    else if (c < -127) c = -127;
    codes[i] = c;
  }
  return { granularity, rows, cols, codes: { rows, cols, data: codes }, absmax, scale };
}

/**
 * Options of {@link dequantizeAbsmax}.
 *
 * @example
 * ```ts
 * dequantizeAbsmax(q, { out: new Float64Array(q.rows * q.cols) });
 * ```
 */
export interface DequantizeAbsmaxOptions<O extends Float32Array | Float64Array = Float32Array> {
  /** Destination of rows × cols values, sharing no memory with `q`'s arrays. Default: a new Float32Array. */
  out?: O;
}

/**
 * Dequantizes the result of {@link quantizeAbsmax}: value = code · absmax / 127, computed in float64
 * and stored into a Float32Array (default) or the given `out`.
 *
 * @throws TypeError/RangeError when `q` is not a well-formed {@link AbsmaxInt8} or `out` has the wrong length.
 * @example
 * ```ts
 * const q = quantizeAbsmax(new Float32Array([0.5, -1, 0]));
 * dequantizeAbsmax(q); // Float32Array [0.5039370..., -1, 0]
 * dequantizeAbsmax(q, { out: new Float64Array(3) });
 * ```
 */
export function dequantizeAbsmax<O extends Float32Array | Float64Array = Float32Array>(q: AbsmaxInt8, opts?: DequantizeAbsmaxOptions<O>): O {
  const fn = 'dequantizeAbsmax';
  checkOptionsObject(opts, fn, '{ out }');
  checkAbsmaxInt8(q, fn);
  const { rows, cols, granularity } = q;
  const n = rows * cols;
  const out = (opts?.out ?? new Float32Array(n)) as O;
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError(`${fn}: out must be a Float32Array or Float64Array, got ${describeValue(out)}`);
  }
  if (out.length !== n) throw new RangeError(`${fn}: out must have rows × cols = ${n} elements, got ${out.length}`);
  const c = q.codes.data;
  const am = q.absmax;
  rejectSharedOut(out, fn, { 'q.codes.data': c, 'q.absmax': am });
  for (let i = 0; i < n; i++) out[i] = (c[i] * am[groupOf(granularity, i, cols)]) / 127;
  return out;
}

function checkAbsmaxInt8(q: AbsmaxInt8, fn: string): void {
  if (q === null || typeof q !== 'object') throw new TypeError(`${fn}: expected the result of quantizeAbsmax, got ${describeValue(q)}`);
  if (!GRANULARITIES.includes(q.granularity)) throw new TypeError(`${fn}: q.granularity must be 'tensor', 'row' or 'col', got ${describeValue(q.granularity)}`);
  if (!q.codes || !(q.codes.data instanceof Int8Array)) throw new TypeError(`${fn}: q.codes.data must be an Int8Array, got ${describeValue(q.codes?.data)}`);
  if (!(q.absmax instanceof Float64Array)) throw new TypeError(`${fn}: q.absmax must be a Float64Array, got ${describeValue(q.absmax)}`);
  const { rows, cols } = q;
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0 || q.codes.data.length !== rows * cols) {
    throw new RangeError(`${fn}: q.codes must hold rows × cols = ${rows} × ${cols} codes, got ${q.codes.data.length}`);
  }
  const groups = groupCount(q.granularity, rows, cols);
  if (q.absmax.length !== groups) throw new RangeError(`${fn}: q.absmax must have ${groups} values for granularity '${q.granularity}', got ${q.absmax.length}`);
  for (let g = 0; g < groups; g++) {
    const a = q.absmax[g];
    if (!(a >= 0) || a === Infinity) throw new RangeError(`${fn}: q.absmax[${g}] must be finite and >= 0, got ${a}`);
  }
}

/**
 * Quantizes and dequantizes in one step (the round trip a tensor goes through when stored in int8),
 * returning the dequantized values as float32.
 *
 * @example
 * ```ts
 * absmaxRoundTrip(new Float32Array([1, 0.3, -0.7]), { granularity: 'tensor' }); // Float32Array [1, 0.2992126..., -0.7007874...]
 * ```
 */
export function absmaxRoundTrip(x: TensorInput, opts?: AbsmaxOptions): Float32Array {
  return dequantizeAbsmax(quantizeAbsmax(x, opts));
}
