// Conversion of raw tensor data to float32/float64 values: exact where the target holds every value of
// the dtype (float16/bfloat16/fp8 and 8/16-bit integers in float32; everything but 64-bit integers in
// float64), rounded to nearest where the caller asks for a narrower target. 16- and 8-bit float codes are
// decoded by lowp's formats module (decodeArray), which is tested against PyTorch and ml_dtypes tables.
import { describeValue } from '../core/describe.js';
import { decodeArray } from '../formats/index.js';
import { dtypeArrayType, type DType, type DTypeArrayMap, type TensorData } from './dtypes.js';

/**
 * Float array types that tensor values can be read as.
 *
 * @example
 * ```ts
 * const as: FloatType = exactFloatType('I32'); // 'float64'
 * ```
 */
export type FloatType = 'float32' | 'float64';

/**
 * The float array of a {@link FloatType}.
 *
 * @example
 * ```ts
 * const a: FloatArrayOf<'float32'> = await st.readFloat('w', { as: 'float32' }); // Float32Array
 * ```
 */
export type FloatArrayOf<F extends FloatType> = F extends 'float32' ? Float32Array : Float64Array;

const FORMAT_OF: Partial<Record<DType, string>> = {
  F16: 'fp16',
  BF16: 'bf16',
  F8_E4M3: 'fp8-e4m3fn',
  F8_E5M2: 'fp8-e5m2',
  F8_E8M0: 'fp8-e8m0fnu',
};

/**
 * The float type that holds every value of a dtype exactly, preferring float32: `'float64'` for F64,
 * I32, U32, I64 and U64 (I64/U64 beyond 2^53 are rounded even there), `'float32'` for the rest.
 *
 * @example
 * ```ts
 * import { exactFloatType } from 'lowp/io';
 * exactFloatType('BF16'); // 'float32'
 * exactFloatType('I32');  // 'float64'
 * ```
 */
export function exactFloatType(dtype: DType): FloatType {
  switch (dtype) {
    case 'F64':
    case 'I32':
    case 'U32':
    case 'I64':
    case 'U64':
      return 'float64';
    default:
      return 'float32';
  }
}

/**
 * Converts tensor data of `dtype` to float values: into `out` when given (a Float32Array or Float64Array
 * of exactly `data.length` elements, whose type must agree with `as`), else into a new array of type
 * `as` (default {@link exactFloatType}). Float codes (F16, BF16, F8_*) are decoded to their values; BOOL
 * becomes 0/1; integers become their values; a narrower target rounds to nearest (ties to even). The
 * input is never modified or returned. An unknown dtype, or data that is not the dtype's typed array
 * (see {@link dtypeArrayType}), is a `TypeError`.
 *
 * @example
 * ```ts
 * import { toFloatArray } from 'lowp/io';
 * toFloatArray('BF16', new Uint16Array([0x3f80, 0xc000])); // Float32Array [1, -2]
 * toFloatArray('I64', new BigInt64Array([5n]));            // Float64Array [5]
 * const out = new Float64Array(2);
 * toFloatArray('F16', new Uint16Array([0x3c00, 0x4000]), 'float64', out); // out = [1, 2]
 * ```
 */
export function toFloatArray<D extends DType, F extends FloatType = FloatType>(
  dtype: D,
  data: DTypeArrayMap[D],
  as?: F,
  out?: FloatArrayOf<F>,
): FloatArrayOf<F> {
  const C = dtypeArrayType(dtype) as unknown as { name: string; new (n: number): unknown };
  if (!(data instanceof C)) {
    throw new TypeError(`toFloatArray: expected the data of a ${dtype} tensor to be a ${C.name}, got ${describeValue(data)}`);
  }
  const n = (data as TensorData).length;
  let target: FloatType;
  if (out !== undefined) {
    if (!(out instanceof Float32Array) && !(out instanceof Float64Array)) {
      throw new TypeError(`expected out to be a Float32Array or Float64Array, got ${describeValue(out)}`);
    }
    target = out instanceof Float32Array ? 'float32' : 'float64';
    if (as !== undefined && as !== target) throw new TypeError(`expected out to be a ${as === 'float32' ? 'Float32Array' : 'Float64Array'} (as: '${as}'), got ${describeValue(out)}`);
    if (out.length !== n) throw new RangeError(`expected out to have ${n} elements, got ${describeValue(out)}`);
    if ((out as ArrayBufferView).buffer === (data as ArrayBufferView).buffer) throw new RangeError('expected out not to share memory with data');
  } else {
    target = as ?? exactFloatType(dtype);
    if (target !== 'float32' && target !== 'float64') {
      throw new TypeError(`expected as to be 'float32' or 'float64', got ${describeValue(target)}`);
    }
  }
  const dst: Float32Array | Float64Array = out ?? (target === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const fmt = FORMAT_OF[dtype];
  if (fmt !== undefined) {
    if ((dtype === 'F16' || dtype === 'BF16') && dst instanceof Float64Array) {
      // the fast 16-bit paths decode to float32 (exact), then widen
      dst.set(decodeArray(data as Uint16Array, fmt, { out: new Float32Array(n) }));
    } else {
      decodeArray(data as Uint16Array | Uint8Array, fmt, { out: dst });
    }
  } else if (dtype === 'I64' || dtype === 'U64') {
    const src = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) dst[i] = Number(src[i]);
  } else if (dtype === 'BOOL') {
    const src = data as Uint8Array;
    for (let i = 0; i < n; i++) dst[i] = src[i] === 0 ? 0 : 1;
  } else {
    dst.set(data as Exclude<TensorData, BigInt64Array | BigUint64Array>);
  }
  return dst as FloatArrayOf<F>;
}
