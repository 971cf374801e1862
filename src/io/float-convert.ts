// Conversion of raw tensor data to float32/float64 values: exact where the target holds every value of
// the dtype (float16/bfloat16/fp8 and 8/16-bit integers in float32; everything but 64-bit integers in
// float64), rounded to nearest where the caller asks for a narrower target. 16- and 8-bit float codes are
// decoded by lowp's formats module (decodeArray), which is tested against PyTorch and ml_dtypes tables.
import { decodeArray } from '../formats/index.js';
import type { DType, DTypeArrayMap, TensorData } from './dtypes.js';

/** Float array types that tensor values can be read as. */
export type FloatType = 'float32' | 'float64';

/** The float array of a {@link FloatType}. */
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
 * Converts tensor data of `dtype` to a new Float32Array or Float64Array (`as`, default
 * {@link exactFloatType}). Float codes (F16, BF16, F8_*) are decoded to their values; BOOL becomes 0/1;
 * integers become their values; a narrower target rounds to nearest (ties to even). The input is never
 * modified or returned.
 *
 * @example
 * ```ts
 * import { toFloatArray } from 'lowp/io';
 * toFloatArray('BF16', new Uint16Array([0x3f80, 0xc000])); // Float32Array [1, -2]
 * toFloatArray('I64', new BigInt64Array([5n]));            // Float64Array [5]
 * ```
 */
export function toFloatArray<D extends DType, F extends FloatType = FloatType>(dtype: D, data: DTypeArrayMap[D], as?: F): FloatArrayOf<F> {
  const target: FloatType = as ?? exactFloatType(dtype);
  if (target !== 'float32' && target !== 'float64') {
    throw new TypeError(`expected as to be 'float32' or 'float64', got ${String(target)}`);
  }
  const n = (data as TensorData).length;
  const fmt = FORMAT_OF[dtype];
  if (fmt !== undefined) {
    if (dtype === 'F16' || dtype === 'BF16') {
      const f32 = decodeArray(data as Uint16Array, fmt, { out: new Float32Array(n) });
      return (target === 'float32' ? f32 : new Float64Array(f32)) as FloatArrayOf<F>;
    }
    const out = target === 'float32' ? new Float32Array(n) : new Float64Array(n);
    decodeArray(data as Uint8Array, fmt, { out });
    return out as FloatArrayOf<F>;
  }
  const out = target === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (dtype === 'I64' || dtype === 'U64') {
    const src = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  } else if (dtype === 'BOOL') {
    const src = data as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = src[i] === 0 ? 0 : 1;
  } else {
    out.set(data as Exclude<TensorData, BigInt64Array | BigUint64Array>);
  }
  return out as FloatArrayOf<F>;
}
