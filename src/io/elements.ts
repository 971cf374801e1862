// How each element type of a tensor is stored and decoded, for every reader of lowp/io: how many elements
// one storage unit holds (1 for bytes-aligned types, 2 for packed 4-bit types, the block size for ggml's
// block-quantized types), how many bytes a unit takes, which typed array `tensor()` returns, and how a run
// of stored bytes becomes float values. The readers stream tensors in whole units through this table, so
// a new element type is one entry here, not a change in every reader.
import { describeValue } from '../core/describe.js';
import { decodeArray } from '../formats/index.js';
import { dequantizeGgmlInto } from '../quant/ggml/dequantize.js';
import { GGML_TYPES, type GgmlTypeInfo } from '../quant/ggml/types.js';
import { bytesToTypedArray, DTYPES, dtypeSize, type DType, type TensorData } from './dtypes.js';
import { exactFloatType, toFloatArray, type FloatType } from './float-convert.js';

/**
 * Element types lowp/io reads besides the safetensors {@link DType}s: the fp8 "fnuz" variants (PyTorch,
 * ONNX), packed 4-bit integers and fp4 e2m1 (ONNX `INT4`/`UINT4`/`FLOAT4E2M1`: two values per byte, the
 * first in the low nibble).
 *
 * @example
 * ```ts
 * const t: PackedDType = 'I4';
 * ```
 */
export type PackedDType = 'F8_E4M3FNUZ' | 'F8_E5M2FNUZ' | 'I4' | 'U4' | 'F4';

/**
 * The element type of a tensor in any file lowp/io reads: a safetensors {@link DType}, a
 * {@link PackedDType}, or a ggml type name for GGUF tensors (`'Q4_K'`, `'Q8_0'`...; the plain ggml types
 * `F32`, `F16`, `BF16`, `F64`, `I8`... share the safetensors names).
 *
 * @example
 * ```ts
 * for (const t of reader.tensors) if (t.dtype === 'Q4_K') console.log(t.name, 'is 4.5 bits per value');
 * ```
 */
export type TensorDType = DType | PackedDType | (string & {});

/**
 * How one element type is stored and decoded.
 *
 * @example
 * ```ts
 * const c = elementCodec('I4');
 * c.granule;   // 2 values per storage unit
 * c.unitBytes; // 1 byte per unit
 * ```
 */
export interface ElementCodec {
  /** The element type. */
  readonly dtype: TensorDType;
  /** Elements per storage unit: 1 for most types, 2 for packed 4-bit types, the block size for ggml blocks. */
  readonly granule: number;
  /** Bytes per storage unit. */
  readonly unitBytes: number;
  /** The float type that holds every value exactly (see {@link exactFloatType}). */
  readonly exact: FloatType;
  /**
   * The typed array `tensor()` returns for raw stored bytes: the dtype's natural array for a
   * {@link DType}, the bytes themselves (a Uint8Array) for packed and block types. `bytes` must be owned
   * by the caller (it may become the array's memory).
   */
  natural(bytes: Uint8Array): TensorData;
  /**
   * Decodes the first `count` elements held by `bytes` (which holds at least `ceil(count / granule)`
   * units, starting on a unit boundary) into `out[0 .. count)`.
   */
  decode(bytes: Uint8Array, count: number, out: Float32Array | Float64Array): void;
}

/** Bytes that `elements` values of a codec take (whole units; the last one may be partly used). */
export function codecBytes(codec: ElementCodec, elements: number): number {
  return Math.ceil(elements / codec.granule) * codec.unitBytes;
}

function plainCodec(dtype: DType): ElementCodec {
  const size = dtypeSize(dtype);
  return {
    dtype,
    granule: 1,
    unitBytes: size,
    exact: exactFloatType(dtype),
    natural: (bytes) => bytesToTypedArray(dtype, bytes),
    decode(bytes, count, out) {
      // bytesToTypedArray copies bytes that are not aligned to the element size
      toFloatArray(dtype, bytesToTypedArray(dtype, bytes.subarray(0, count * size)) as never, undefined, out.subarray(0, count) as never);
    },
  };
}

/** A type stored in single bytes that `tensor()` returns as they are (fp8 fnuz codes, 4-bit pairs), exact in float32. */
function byteCodec(dtype: PackedDType, granule: 1 | 2, decode: ElementCodec['decode']): ElementCodec {
  return { dtype, granule, unitBytes: 1, exact: 'float32', natural: (bytes) => bytes, decode };
}

function fnuzCodec(dtype: PackedDType, format: string): ElementCodec {
  return byteCodec(dtype, 1, (bytes, count, out) => void decodeArray(bytes.subarray(0, count), format, { out: out.subarray(0, count) }));
}

/** Packed 4-bit values, two per byte, the first in the low nibble; `value` maps a nibble to its number. */
function nibbleCodec(dtype: PackedDType, value: (nibble: number) => number): ElementCodec {
  const table = new Float64Array(16);
  for (let q = 0; q < 16; q++) table[q] = value(q);
  return byteCodec(dtype, 2, (bytes, count, out) => {
    const pairs = count >> 1;
    for (let i = 0; i < pairs; i++) {
      const b = bytes[i];
      out[2 * i] = table[b & 15];
      out[2 * i + 1] = table[b >> 4];
    }
    if (count & 1) out[count - 1] = table[bytes[pairs] & 15];
  });
}

const FP4_E2M1 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];

/** Values decoded at a time into a float32 scratch array when a ggml block type is read as float64. */
const GGML_STAGE_VALUES = 1 << 16;

/**
 * ggml's block-quantized types (GGUF tensors: Q8_0, Q4_K, MXFP4...): one unit is one block, decoded to
 * float32 by lowp/quant's dequantizers (bit for bit ggml's `dequantize_row_*`), straight into the
 * caller's (recycled) Float32Array; float64 output goes through a bounded float32 scratch array made
 * for the call.
 */
function ggmlBlockCodec(t: GgmlTypeInfo, natural: (bytes: Uint8Array) => TensorData = (bytes) => bytes): ElementCodec {
  return {
    dtype: t.name,
    granule: t.blockSize,
    unitBytes: t.typeSize,
    exact: 'float32',
    natural,
    decode(bytes, count, out) {
      const whole = count - (count % t.blockSize);
      let at = 0;
      if (out instanceof Float32Array) {
        if (whole > 0) at = dequantizeGgmlInto(bytes, 0, t, whole, out, 0);
      } else {
        const stage = new Float32Array(Math.min(whole, Math.max(t.blockSize, GGML_STAGE_VALUES - (GGML_STAGE_VALUES % t.blockSize))));
        for (let done = 0; done < whole; ) {
          const n = Math.min(stage.length, whole - done);
          at += dequantizeGgmlInto(bytes, at, t, n, stage, 0);
          out.set(stage.subarray(0, n), done);
          done += n;
        }
      }
      if (whole < count) {
        // a partial last block (only a caller asking for fewer values than whole blocks): decode it whole
        const last = new Float32Array(t.blockSize);
        dequantizeGgmlInto(bytes, at, t, t.blockSize, last, 0);
        out.set(last.subarray(0, count - whole), whole);
      }
    },
  };
}

const CODECS = new Map<string, ElementCodec>([
  ...DTYPES.map((d): [string, ElementCodec] => [d, plainCodec(d)]),
  ['F8_E4M3FNUZ', fnuzCodec('F8_E4M3FNUZ', 'fp8-e4m3fnuz')],
  ['F8_E5M2FNUZ', fnuzCodec('F8_E5M2FNUZ', 'fp8-e5m2fnuz')],
  ['I4', nibbleCodec('I4', (q) => (q >= 8 ? q - 16 : q))],
  ['U4', nibbleCodec('U4', (q) => q)],
  ['F4', nibbleCodec('F4', (q) => (q & 8 ? -1 : 1) * FP4_E2M1[q & 7])],
  // ggml's plain types (F32, F16, BF16, F64, I8...) are the safetensors dtypes of the same names
  ...Object.values(GGML_TYPES)
    .filter((t) => t.quantized)
    .map((t): [string, ElementCodec] => [t.name, ggmlBlockCodec(t)]),
]);

/**
 * The {@link ElementCodec} of an element type; a `TypeError` for a type lowp/io does not read.
 *
 * @example
 * ```ts
 * import { elementCodec } from 'lowp/io';
 * const out = new Float32Array(3);
 * elementCodec('I4').decode(new Uint8Array([0xf1, 0x07]), 3, out); // out = [1, -1, 7]
 * ```
 */
export function elementCodec(dtype: TensorDType): ElementCodec {
  const c = typeof dtype === 'string' ? CODECS.get(dtype) : undefined;
  if (c === undefined) throw new TypeError(`expected an element type that lowp/io reads, got ${describeValue(dtype)}`);
  return c;
}

/** F16 and BF16 of GGUF files, decoded as ggml converts them (a signaling NaN comes out quiet, as in C). */
const GGUF_HALF_CODECS = new Map<string, ElementCodec>(
  (['F16', 'BF16'] as const).map((d): [string, ElementCodec] => [d, ggmlBlockCodec(GGML_TYPES[d], (bytes) => bytesToTypedArray(d, bytes))]),
);

/**
 * The codec of a tensor of a GGUF file: {@link elementCodec}'s, except that F16 and BF16 values are
 * decoded by lowp/quant's ggml dequantizer like every other ggml type (the same numbers; the one
 * difference is that a signaling NaN comes out quiet, as ggml's C conversion makes it).
 *
 * @example
 * ```ts
 * ggufElementCodec('Q4_K').granule; // 256
 * ggufElementCodec('F16').natural(new Uint8Array(2)); // Uint16Array [0]
 * ```
 */
export function ggufElementCodec(dtype: TensorDType): ElementCodec {
  return GGUF_HALF_CODECS.get(dtype) ?? elementCodec(dtype);
}

/**
 * Whether lowp/io can decode values of this element type to floats.
 *
 * @example
 * ```ts
 * isTensorDType('F4');    // true
 * isTensorDType('C64');   // false
 * ```
 */
export function isTensorDType(dtype: unknown): dtype is TensorDType {
  return typeof dtype === 'string' && CODECS.has(dtype);
}
