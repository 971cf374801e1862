// The registry of named tensor round trips (quantize, then dequantize) that the quantization-error
// benchmark and `lowp quant-error --methods ...` compare: absmax int8 (tensor/row/col), LLM.int8 applied
// to a tensor (vector-wise int8 with 16-bit outlier columns), plain fp16/bf16 casts, scaled fp8, OCP MX
// (MXFP8, MXFP4), bitsandbytes NF4/FP4 and blockwise 8-bit. Each method returns the dequantized values
// and its storage cost in bytes (codes plus every scale, index and outlier it needs to dequantize), so
// accuracy and size can be read side by side. The quantizers themselves live in their own files.
import { describeValue } from '../core/describe.js';
import { decodeArray, encodeArray } from '../formats/bulk.js';
import { dequantizeAbsmax, quantizeAbsmax, type AbsmaxGranularity } from './absmax.js';
import { dequantizeBlockwise, quantizeBlockwise } from './blockwise.js';
import { dequantize4bit, quantize4bit, type QuantType4bit } from './blockwise4.js';
import { dequantizeMx, quantizeMx } from './mx.js';
import { dequantizeScaledFp8, quantizeScaledFp8, type ScaledFp8Format } from './scaled-fp8.js';
import { asFloat32, rejectNonFinite, tensorValues, type TensorInput } from './tensor-input.js';
import { int8VectorwiseDequant, vectorwiseCore } from './vectorwise.js';

/**
 * Names of the tensor round-trip methods, in the order tables list them.
 *
 * @example
 * ```ts
 * QUANT_METHOD_NAMES.includes('nf4'); // true
 * ```
 */
export const QUANT_METHOD_NAMES = [
  'fp16', 'bf16', 'int8-tensor', 'int8-row', 'int8-col', 'llm-int8', 'fp8-e4m3fn', 'fp8-e5m2',
  'mxfp8-e4m3', 'mxfp4', 'blockwise8', 'nf4', 'bnb-fp4',
] as const;

/**
 * A tensor round-trip method name (see {@link QUANT_METHOD_NAMES}).
 *
 * @example
 * ```ts
 * const m: QuantMethodName = 'mxfp4';
 * ```
 */
export type QuantMethodName = (typeof QUANT_METHOD_NAMES)[number];

/**
 * What one round trip produced.
 *
 * @example
 * ```ts
 * const r: RoundTrip = quantRoundTrip(new Float32Array([1, 2, 3]), 'fp16');
 * r.bytesPerElement; // 2
 * ```
 */
export interface RoundTrip {
  /** The method's name. */
  method: QuantMethodName;
  /** The dequantized values, rows × cols, row-major. */
  values: Float32Array;
  /** Storage in bytes: codes plus scales, indices and 16-bit outliers. */
  bytes: number;
  /** bytes / number of elements (fp32 is 4). 0 for an empty tensor. */
  bytesPerElement: number;
  /** Method-specific facts, e.g. `outlierCols` for 'llm-int8'. */
  details: Record<string, number>;
}

/**
 * What {@link QuantMethod.run} returns.
 *
 * @example
 * ```ts
 * const out: MethodOutput = getQuantMethod('fp16').run(new Float32Array([0.1]), 1, 1); // { values, bytes: 2 }
 * ```
 */
export interface MethodOutput {
  /** The dequantized values. */
  values: Float32Array;
  /** Storage in bytes, scales included. */
  bytes: number;
  /** Method-specific facts. */
  details?: Record<string, number>;
}

/**
 * A registered method.
 *
 * @example
 * ```ts
 * const m: QuantMethod = getQuantMethod('int8-row');
 * m.run(new Float32Array([1, -2, 3, 4]), 2, 2).bytes; // 12
 * ```
 */
export interface QuantMethod {
  /** Its name. */
  name: QuantMethodName;
  /** One line saying what it does, with its defaults. */
  description: string;
  /** Runs the round trip on float32 values of a rows × cols tensor. */
  run(x: Float32Array, rows: number, cols: number): MethodOutput;
}

/**
 * Default blocksize of 'blockwise8' (bitsandbytes' `quantize_blockwise` default).
 *
 * @example
 * ```ts
 * BLOCKWISE8_BLOCKSIZE; // 4096
 * ```
 */
export const BLOCKWISE8_BLOCKSIZE = 4096;
/**
 * Default blocksize of 'nf4' and 'bnb-fp4' (bitsandbytes' and QLoRA's default).
 *
 * @example
 * ```ts
 * BLOCKWISE4_BLOCKSIZE; // 64
 * ```
 */
export const BLOCKWISE4_BLOCKSIZE = 64;
/**
 * Block size of the MX methods (OCP MX).
 *
 * @example
 * ```ts
 * MX_BLOCKSIZE; // 32
 * ```
 */
export const MX_BLOCKSIZE = 32;
/**
 * Outlier threshold of the 'llm-int8' tensor method.
 *
 * @example
 * ```ts
 * LLM_INT8_THRESHOLD; // 6
 * ```
 */
export const LLM_INT8_THRESHOLD = 6;

type Run = QuantMethod['run'];

// The round trips shared by several methods. The quantizers' storage is counted from their state: one
// byte per int8/fp8 code (half a byte per packed 4-bit code) plus 4 bytes per float32 scale or absmax.
const cast16 = (f: 'fp16' | 'bf16'): Run => (x) => ({ values: decodeArray(encodeArray(x, f) as Uint16Array, f), bytes: 2 * x.length });
const absmaxInt8 = (granularity: AbsmaxGranularity): Run => (x, rows, cols) => {
  const q = quantizeAbsmax({ rows, cols, data: x }, { granularity });
  return { values: dequantizeAbsmax(q), bytes: x.length + 4 * q.scale.length };
};
const scaledFp8 = (format: ScaledFp8Format): Run => (x) => {
  const q = quantizeScaledFp8(x, { format, granularity: 'tensor' });
  return { values: dequantizeScaledFp8(q), bytes: x.length + 4 * q.scales.length };
};
const bnb4bit = (quantType: QuantType4bit): Run => (x) => {
  const q = quantize4bit(x, { quantType, blocksize: BLOCKWISE4_BLOCKSIZE });
  return { values: dequantize4bit(q), bytes: q.packed.length + 4 * (q.absmax as Float32Array).length };
};

const METHODS: Record<QuantMethodName, QuantMethod> = {
  'fp16': { name: 'fp16', description: 'cast to IEEE fp16 (round to nearest even, overflow to ±inf); 2 bytes', run: cast16('fp16') },
  'bf16': { name: 'bf16', description: 'cast to bfloat16 (round to nearest even); 2 bytes', run: cast16('bf16') },
  'int8-tensor': {
    name: 'int8-tensor',
    description: 'absmax int8, one float32 scale for the tensor (absmax/127)',
    run: absmaxInt8('tensor'),
  },
  'int8-row': {
    name: 'int8-row',
    description: 'absmax int8, one float32 scale per row (vector-wise, as for LLM.int8 weights)',
    run: absmaxInt8('row'),
  },
  'int8-col': {
    name: 'int8-col',
    description: 'absmax int8, one float32 scale per column',
    run: absmaxInt8('col'),
  },
  'llm-int8': {
    name: 'llm-int8',
    description: 'LLM.int8 on a tensor: row-wise int8 (bitsandbytes rules) with columns holding |x| >= 6 kept in fp16',
    run: (x, rows, cols) => {
      const q = vectorwiseCore(x, rows, cols, LLM_INT8_THRESHOLD);
      const values = int8VectorwiseDequant(q.codes, q.absmax);
      const t = q.outlierCols.length;
      if (t > 0) {
        const sub = new Float32Array(rows * t);
        for (let r = 0; r < rows; r++) for (let c = 0; c < t; c++) sub[r * t + c] = x[r * cols + q.outlierCols[c]];
        const back = decodeArray(encodeArray(sub, 'fp16') as Uint16Array, 'fp16');
        for (let r = 0; r < rows; r++) for (let c = 0; c < t; c++) values[r * cols + q.outlierCols[c]] = back[r * t + c];
      }
      // int8 codes for every element, a float32 scale per row, fp16 outlier columns and their int32 indices
      return { values, bytes: x.length + 4 * rows + 2 * rows * t + 4 * t, details: { outlierCols: t, outlierFraction: cols === 0 ? 0 : t / cols } };
    },
  },
  'fp8-e4m3fn': {
    name: 'fp8-e4m3fn',
    description: 'fp8 e4m3fn with one float32 per-tensor scale (amax/448), saturating',
    run: scaledFp8('fp8-e4m3fn'),
  },
  'fp8-e5m2': {
    name: 'fp8-e5m2',
    description: 'fp8 e5m2 with one float32 per-tensor scale (amax/57344), saturating',
    run: scaledFp8('fp8-e5m2'),
  },
  'mxfp8-e4m3': {
    name: 'mxfp8-e4m3',
    description: 'OCP MXFP8 (e4m3 elements, one E8M0 scale per 32 values along each row)',
    run: (x, rows, cols) => {
      const q = quantizeMx(x, { format: 'fp8-e4m3fn', blockSize: MX_BLOCKSIZE, rows, cols });
      return { values: dequantizeMx(q), bytes: x.length + q.scales.length };
    },
  },
  'mxfp4': {
    name: 'mxfp4',
    description: 'OCP MXFP4 (e2m1 elements packed two per byte, one E8M0 scale per 32 values along each row)',
    run: (x, rows, cols) => {
      const q = quantizeMx(x, { format: 'fp4-e2m1fn', blockSize: MX_BLOCKSIZE, rows, cols });
      return { values: dequantizeMx(q), bytes: rows * Math.ceil(cols / 2) + q.scales.length };
    },
  },
  'blockwise8': {
    name: 'blockwise8',
    description: 'bitsandbytes blockwise 8-bit dynamic map, one float32 absmax per 4096 values',
    run: (x) => {
      const q = quantizeBlockwise(x, { blocksize: BLOCKWISE8_BLOCKSIZE });
      return { values: dequantizeBlockwise(q), bytes: x.length + 4 * Math.ceil(x.length / BLOCKWISE8_BLOCKSIZE) };
    },
  },
  'nf4': {
    name: 'nf4',
    description: 'bitsandbytes NF4 (QLoRA), packed two per byte, one float32 absmax per 64 values',
    run: bnb4bit('nf4'),
  },
  'bnb-fp4': {
    name: 'bnb-fp4',
    description: 'bitsandbytes FP4 (its own table, not OCP e2m1), packed, one float32 absmax per 64 values',
    run: bnb4bit('bnb-fp4'),
  },
};

/**
 * The registered method of that name.
 *
 * @throws RangeError listing the names for an unknown name.
 * @example
 * ```ts
 * getQuantMethod('nf4').description; // 'bitsandbytes NF4 (QLoRA), packed two per byte, ...'
 * ```
 */
export function getQuantMethod(name: QuantMethodName | string): QuantMethod {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(METHODS, name)) {
    throw new RangeError(`unknown quantization method: expected one of ${QUANT_METHOD_NAMES.join(', ')}, got ${describeValue(name)}`);
  }
  return METHODS[name as QuantMethodName];
}

/**
 * Parses a comma-separated method list such as `'int8-tensor,int8-row,nf4'` (the CLI's `--methods`),
 * trimming spaces and dropping duplicates.
 *
 * @throws RangeError naming an unknown method and listing the known ones.
 * @example
 * ```ts
 * parseQuantMethods('int8-row, nf4'); // ['int8-row', 'nf4']
 * ```
 */
export function parseQuantMethods(list: string): QuantMethodName[] {
  if (typeof list !== 'string') throw new TypeError(`parseQuantMethods: expected a comma-separated string, got ${describeValue(list)}`);
  const out: QuantMethodName[] = [];
  for (const part of list.split(',')) {
    const s = part.trim();
    if (s === '') continue;
    const m = getQuantMethod(s).name;
    if (!out.includes(m)) out.push(m);
  }
  if (out.length === 0) throw new RangeError(`parseQuantMethods: no method named in ${describeValue(list)}; known methods: ${QUANT_METHOD_NAMES.join(', ')}`);
  return out;
}

/**
 * Shape of a flat tensor given to {@link quantRoundTrip}.
 *
 * @example
 * ```ts
 * quantRoundTrip(new Float32Array(12), 'int8-row', { rows: 3, cols: 4 });
 * ```
 */
export interface RoundTripShape {
  /** Rows (row-major). Default 1, or length / cols. */
  rows?: number;
  /** Columns. Default length / rows. */
  cols?: number;
}

/**
 * Quantizes and dequantizes a tensor with a named method and reports the storage it needs. The tensor
 * is a {@link TensorInput} matrix (float data or fp16/bf16/fp8 codes) or a flat Float32Array/Float64Array
 * with an optional shape (default: one row). Row/column-wise methods use that shape; tensors of more
 * than two dimensions are usually passed as [shape[0], product of the rest] (a Linear weight [out, in]
 * is already 2-D). Values are quantized from float32 (Float64 data is rounded to float32 first).
 *
 * @throws RangeError for an unknown method, a shape that does not match the length, or NaN/±Infinity
 * (every method here needs finite values, as their scales are computed from the absmax).
 * @example
 * ```ts
 * const x = new Float32Array([0.1, -2, 0.5, 3, 0, 1.5]);
 * const r = quantRoundTrip(x, 'int8-row', { rows: 2, cols: 3 });
 * r.bytes;           // 14 (6 codes + 2 float32 scales)
 * r.bytesPerElement; // 2.33...
 * quantRoundTrip(x, 'nf4').values; // the NF4 round trip of x
 * ```
 */
export function quantRoundTrip(x: TensorInput, method: QuantMethodName, shape?: RoundTripShape): RoundTrip {
  const fn = 'quantRoundTrip';
  const m = getQuantMethod(method);
  const v = asFloat32(tensorValues(x, 'x', fn));
  let rows = v.rows, cols = v.cols;
  if (shape !== undefined) {
    if (shape === null || typeof shape !== 'object') throw new TypeError(`${fn}: shape must be { rows, cols }, got ${describeValue(shape)}`);
    if (!(x instanceof Float32Array || x instanceof Float64Array)) throw new TypeError(`${fn}: a shape is only for flat arrays; a matrix has its own`);
    const n = v.values.length;
    const r = shape.rows ?? (shape.cols !== undefined && shape.cols > 0 ? n / shape.cols : 1);
    const c = shape.cols ?? (r > 0 ? n / r : 0);
    if (!Number.isSafeInteger(r) || !Number.isSafeInteger(c) || r < 0 || c < 0 || r * c !== n) {
      throw new RangeError(`${fn}: shape ${describeValue(shape.rows)} × ${describeValue(shape.cols)} does not fit ${n} elements`);
    }
    rows = r;
    cols = c;
  }
  rejectNonFinite({ ...v, rows, cols }, 'x', fn, 'quantRoundTrip needs finite values (the error of a method is measured against finite values, and most scale by the absmax)');
  const out = m.run(v.values, rows, cols);
  const n = v.values.length;
  return { method: m.name, values: out.values, bytes: out.bytes, bytesPerElement: n === 0 ? 0 : out.bytes / n, details: out.details ?? {} };
}
