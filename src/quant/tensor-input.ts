// Shared input handling of the int8 quantizers (absmax.ts, vectorwise.ts, llm-int8.ts): a Matrix or a
// flat float array becomes read-only float values plus a shape, with the clear errors lowp promises
// (wrong type, bad shape, NaN/Infinity with its position). Never copies float data it does not need
// to and never writes to the caller's arrays.
import { describeValue } from '../core/describe.js';
import { validateMatrix, type Matrix } from '../core/matrix.js';
import { decodeArray } from '../formats/bulk.js';
import { getFormat } from '../formats/registry.js';

/**
 * A tensor the int8 quantizers accept: a {@link Matrix} (float data or bf16/fp16/fp8 codes) or a flat float array (one row).
 *
 * @example
 * ```ts
 * quantizeAbsmax({ rows: 2, cols: 2, data: new Float32Array(4) });      // a matrix
 * quantizeAbsmax(new Float64Array([1, 2, 3]));                              // a flat array: one row
 * quantizeAbsmax({ rows: 1, cols: 2, data: new Uint16Array([0x3c00, 0]), format: 'fp16' }); // codes
 * ```
 */
export type TensorInput = Matrix | Float32Array | Float64Array;

/**
 * Values and shape of a validated input. `values` may be the caller's own array: read only.
 *
 * @internal
 */
export interface TensorValues<V extends Float32Array | Float64Array = Float32Array | Float64Array> {
  rows: number;
  cols: number;
  values: V;
  /** The code format of the input (e.g. 'fp16'), or null for float data. */
  format: string | null;
}

/**
 * Validates `x` and returns its values (codes decoded exactly into a Float32Array).
 *
 * @internal
 */
export function tensorValues(x: TensorInput, name: string, fn: string): TensorValues {
  if (x instanceof Float32Array || x instanceof Float64Array) return { rows: 1, cols: x.length, values: x, format: null };
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x) || Array.isArray(x)) {
    throw new TypeError(`${fn}: ${name} must be a matrix { rows, cols, data } or a Float32Array/Float64Array, got ${describeValue(x)}`);
  }
  const m = validateMatrix(x, `${fn}: ${name}`);
  if (m.data instanceof Float32Array || m.data instanceof Float64Array) {
    return { rows: m.rows, cols: m.cols, values: m.data, format: null };
  }
  const f = getFormat(m.format as string);
  return { rows: m.rows, cols: m.cols, values: decodeArray(m.data, f), format: f.name };
}

/**
 * The same values as float32 (Float64Array data rounded to nearest float32; float32 data not copied).
 *
 * @internal
 */
export function asFloat32(v: TensorValues): TensorValues<Float32Array> {
  if (v.values instanceof Float32Array) return v as TensorValues<Float32Array>;
  return { ...v, values: new Float32Array(v.values) };
}

/**
 * Throws a RangeError when a caller's `out` shares bytes with one of the arrays a dequantizer reads
 * (writing `out` would change values not yet read, and the caller's quantized state).
 *
 * @internal
 */
export function rejectSharedOut(out: ArrayBufferView, fn: string, arrays: Readonly<Record<string, ArrayBufferView>>): void {
  for (const name of Object.keys(arrays)) {
    const a = arrays[name];
    if (out.buffer === a.buffer && out.byteOffset < a.byteOffset + a.byteLength && a.byteOffset < out.byteOffset + out.byteLength) {
      throw new RangeError(`${fn}: out must not share memory with ${name}, got ${describeValue(out)} over its bytes`);
    }
  }
}

/**
 * Throws a RangeError naming the first NaN/±Infinity (with its row and column).
 *
 * @internal
 */
export function rejectNonFinite(
  v: TensorValues,
  name: string,
  fn: string,
  why = 'int8 quantization needs finite values (a NaN or infinite absmax would turn the whole vector into garbage codes)',
): void {
  const d = v.values;
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    if (x - x !== 0) {
      const r = v.cols === 0 ? 0 : Math.floor(i / v.cols);
      const c = v.cols === 0 ? 0 : i % v.cols;
      throw new RangeError(
        `${fn}: ${name} holds ${x} at row ${r}, column ${c}; ${why}`,
      );
    }
  }
}

/**
 * Round half to even of a float64 value (like torch.round / numpy.rint).
 *
 * @internal
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
