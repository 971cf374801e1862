// The one matrix convention used across lowp: a dense row-major matrix `{ rows, cols, data }`.
// `data` holds rows*cols values: float32/float64 numbers, or the codes of a low-precision format
// (Uint16Array for bf16/fp16, Uint8Array for the 8-bit and smaller formats) named by `format`.
// Int8 matrices (quantized codes) are `Int8Matrix`, with Int8Array data.
import { describeValue } from './describe.js';

/** Element storage a {@link Matrix} may use. */
export type MatrixData = Float32Array | Float64Array | Uint16Array | Uint8Array;

/**
 * A dense row-major matrix: element (i, j) is `data[i * cols + j]`.
 *
 * `format` is required when `data` holds codes (Uint16Array or Uint8Array) and names their format
 * (e.g. `'bf16'`, `'fp16'`, `'fp8-e4m3fn'`); for Float32Array/Float64Array it is omitted.
 *
 * @example
 * ```ts
 * const a: Matrix = { rows: 2, cols: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * ```
 */
export interface Matrix<D extends MatrixData = MatrixData> {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** rows × cols elements, row-major. */
  readonly data: D;
  /** The format of the codes in `data` when it is a Uint16Array/Uint8Array. */
  readonly format?: string;
}

/**
 * A dense row-major matrix of int8 codes (the output of int8 quantizers, the input of `int8Matmul`).
 *
 * @example
 * ```ts
 * const q: Int8Matrix = { rows: 1, cols: 2, data: new Int8Array([127, -3]) };
 * ```
 */
export interface Int8Matrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** rows × cols int8 codes, row-major. */
  readonly data: Int8Array;
}

function checkDims(rows: unknown, cols: unknown, name: string): void {
  for (const [label, v] of [['rows', rows], ['cols', cols]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`${name}.${label}: expected a non-negative integer, got ${describeValue(v)}`);
    }
  }
}

/**
 * Checks that `m` is a well-formed {@link Matrix} and returns it unchanged; throws a `TypeError` for a
 * wrong data type or a missing/unexpected `format`, and a `RangeError` for bad dimensions or a data
 * length other than rows × cols.
 *
 * @param name - what to call the matrix in error messages (e.g. `'a'`).
 * @example
 * ```ts
 * validateMatrix({ rows: 2, cols: 2, data: new Float32Array(4) }, 'a'); // ok
 * validateMatrix({ rows: 2, cols: 2, data: new Float32Array(3) }, 'a'); // RangeError
 * ```
 */
export function validateMatrix<M extends Matrix>(m: M, name = 'matrix'): M {
  if (m === null || typeof m !== 'object') {
    throw new TypeError(`${name}: expected a matrix { rows, cols, data }, got ${describeValue(m)}`);
  }
  checkDims(m.rows, m.cols, name);
  const d = m.data as unknown;
  const isFloat = d instanceof Float32Array || d instanceof Float64Array;
  const isCodes = d instanceof Uint16Array || d instanceof Uint8Array;
  if (!isFloat && !isCodes) {
    throw new TypeError(
      `${name}.data: expected a Float32Array, Float64Array, Uint16Array (bf16/fp16 codes) or Uint8Array (8-bit codes), got ${describeValue(d)}`,
    );
  }
  if (isCodes && typeof m.format !== 'string') {
    throw new TypeError(`${name}.format: ${describeValue(d)} holds codes, so a format name is required (e.g. 'bf16'), got ${describeValue(m.format)}`);
  }
  if (isFloat && m.format !== undefined) {
    throw new TypeError(`${name}.format: float data carries no format, got ${describeValue(m.format)}`);
  }
  const n = m.rows * m.cols;
  if ((d as MatrixData).length !== n) {
    throw new RangeError(`${name}.data: expected rows × cols = ${m.rows} × ${m.cols} = ${n} elements, got ${(d as MatrixData).length}`);
  }
  return m;
}

/**
 * Checks that `m` is a well-formed {@link Int8Matrix} and returns it unchanged.
 *
 * @example
 * ```ts
 * validateInt8Matrix({ rows: 1, cols: 2, data: new Int8Array(2) }, 'qa');
 * ```
 */
export function validateInt8Matrix(m: Int8Matrix, name = 'matrix'): Int8Matrix {
  if (m === null || typeof m !== 'object') {
    throw new TypeError(`${name}: expected an int8 matrix { rows, cols, data: Int8Array }, got ${describeValue(m)}`);
  }
  checkDims(m.rows, m.cols, name);
  if (!(m.data instanceof Int8Array)) {
    throw new TypeError(`${name}.data: expected an Int8Array, got ${describeValue(m.data)}`);
  }
  const n = m.rows * m.cols;
  if (m.data.length !== n) {
    throw new RangeError(`${name}.data: expected rows × cols = ${m.rows} × ${m.cols} = ${n} elements, got ${m.data.length}`);
  }
  return m;
}
