// The safetensors dtypes that lowp/io reads and writes: element size, the typed array that holds the
// raw values (16- and 8-bit float formats as integer codes), and how raw little-endian bytes become
// that typed array (aligned copy when needed, byte swap on a big-endian host).
// Reference: huggingface/safetensors `Dtype` (safetensors/src/tensor.rs).
import { describeValue } from '../core/describe.js';

/**
 * A safetensors dtype supported by lowp/io. `F16`, `BF16` hold IEEE half / bfloat16 bit patterns,
 * `F8_E4M3` (e4m3fn), `F8_E5M2` and `F8_E8M0` hold fp8 codes, `BOOL` holds bytes 0/1.
 *
 * @example
 * ```ts
 * const d: DType = 'BF16';
 * dtypeSize(d); // 2
 * ```
 */
export type DType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'F8_E8M0'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/**
 * The typed array that holds a tensor of each {@link DType}.
 *
 * @example
 * ```ts
 * const t = await st.tensor('x');
 * if (t.dtype === 'BF16') {
 *   const codes = t.data as DTypeArrayMap['BF16']; // Uint16Array
 * }
 * ```
 */
export interface DTypeArrayMap {
  /** float64 values */
  F64: Float64Array;
  /** float32 values */
  F32: Float32Array;
  /** IEEE binary16 bit patterns */
  F16: Uint16Array;
  /** bfloat16 bit patterns */
  BF16: Uint16Array;
  /** fp8 e4m3fn codes */
  F8_E4M3: Uint8Array;
  /** fp8 e5m2 codes */
  F8_E5M2: Uint8Array;
  /** fp8 e8m0fnu (power-of-two scale) codes */
  F8_E8M0: Uint8Array;
  /** int64 values */
  I64: BigInt64Array;
  /** uint64 values */
  U64: BigUint64Array;
  /** int32 values */
  I32: Int32Array;
  /** uint32 values */
  U32: Uint32Array;
  /** int16 values */
  I16: Int16Array;
  /** uint16 values */
  U16: Uint16Array;
  /** int8 values */
  I8: Int8Array;
  /** uint8 values */
  U8: Uint8Array;
  /** booleans as bytes 0/1 */
  BOOL: Uint8Array;
}

/**
 * Any typed array that holds tensor data read by lowp/io.
 *
 * @example
 * ```ts
 * const data: TensorData = (await st.tensor('x')).data;
 * ```
 */
export type TensorData = DTypeArrayMap[DType];

interface TypedArrayCtor {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  new (length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

const CTORS: Record<DType, TypedArrayCtor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
  F8_E8M0: Uint8Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as unknown as Record<DType, TypedArrayCtor>;

/**
 * All supported dtypes, in the order in which `writeSafetensors` lays out data (the reference
 * implementation's order: largest element first).
 *
 * @example
 * ```ts
 * import { DTYPES } from 'lowp/io';
 * DTYPES.includes('BF16'); // true
 * ```
 */
export const DTYPES: readonly DType[] = Object.freeze([
  'U64', 'I64', 'F64',
  'F32', 'U32', 'I32',
  'BF16', 'F16', 'U16', 'I16',
  'F8_E8M0', 'F8_E4M3', 'F8_E5M2', 'I8', 'U8', 'BOOL',
] as DType[]);

const DTYPE_SET = new Set<string>(DTYPES);

/**
 * Whether a string names a supported {@link DType}.
 *
 * @example
 * ```ts
 * import { isDType } from 'lowp/io';
 * isDType('F32');  // true
 * isDType('F4');   // false (a safetensors dtype lowp/io does not read)
 * ```
 */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && DTYPE_SET.has(value);
}

/**
 * Size in bytes of one element of a dtype.
 *
 * @example
 * ```ts
 * import { dtypeSize } from 'lowp/io';
 * dtypeSize('BF16'); // 2
 * ```
 */
export function dtypeSize(dtype: DType): number {
  return dtypeArrayType(dtype).BYTES_PER_ELEMENT;
}

/**
 * The constructor of a dtype's typed array (what {@link dtypeArrayType} returns).
 *
 * @example
 * ```ts
 * const C = dtypeArrayType('F64'); // Float64Array
 * const zeros = new C(4);
 * ```
 */
export interface DTypeArrayConstructor<A> {
  /** A zero-filled array of `length` elements. */
  new (length: number): A;
  /** Bytes per element. */
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * The typed array constructor that holds a dtype (for example `Uint16Array` for `BF16`).
 *
 * @example
 * ```ts
 * import { dtypeArrayType } from 'lowp/io';
 * dtypeArrayType('I64') === BigInt64Array; // true
 * ```
 */
export function dtypeArrayType<D extends DType>(dtype: D): DTypeArrayConstructor<DTypeArrayMap[D]> {
  // isDType, not a lookup: CTORS['constructor'] is Object, not undefined
  if (!isDType(dtype)) throw new TypeError(`expected a dtype (${DTYPES.join(', ')}), got ${String(dtype)}`);
  return CTORS[dtype] as unknown as DTypeArrayConstructor<DTypeArrayMap[D]>;
}

/** True on a little-endian host (every common platform). */
export const LITTLE_ENDIAN_HOST: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reverses the byte order of every `size`-byte element of `bytes`, in place. `bytes` must be a
 * Uint8Array (else a `TypeError`) and `size` a positive integer dividing its length (else a `RangeError`).
 *
 * @example
 * ```ts
 * import { swapBytes } from 'lowp/io';
 * swapBytes(new Uint8Array([1, 2, 3, 4]), 2); // Uint8Array [2, 1, 4, 3]
 * ```
 */
export function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`swapBytes: expected a Uint8Array, got ${describeValue(bytes)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`swapBytes: expected an element size in bytes (a positive integer), got ${describeValue(size)}`);
  }
  if (size === 1) return bytes;
  if (bytes.length % size !== 0) {
    throw new RangeError(`expected a byte length that is a multiple of ${size}, got ${bytes.length}`);
  }
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
  return bytes;
}

/**
 * Turns raw little-endian bytes into the typed array of a dtype. `bytes` must be owned by the caller
 * (it may be reused and, on a big-endian host, swapped in place); when its offset is not a multiple of
 * the element size the bytes are copied into a fresh aligned buffer.
 */
export function bytesToTypedArray<D extends DType>(dtype: D, bytes: Uint8Array): DTypeArrayMap[D] {
  const C = CTORS[dtype];
  const size = C.BYTES_PER_ELEMENT;
  if (bytes.length % size !== 0) {
    throw new RangeError(`expected a byte length that is a multiple of ${size} for ${dtype}, got ${bytes.length}`);
  }
  let owned = bytes;
  if (owned.byteOffset % size !== 0) owned = owned.slice();
  if (!LITTLE_ENDIAN_HOST) swapBytes(owned, size);
  return new C(owned.buffer, owned.byteOffset, owned.length / size) as DTypeArrayMap[D];
}

/**
 * The little-endian bytes of a typed array, as a view when the host is little-endian, else a swapped copy.
 */
export function typedArrayToBytes(data: ArrayBufferView, size: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return LITTLE_ENDIAN_HOST ? view : swapBytes(view.slice(), size);
}
