// The registry of named tensor round trips (quantize, then dequantize) that the quantization-error
// benchmark and `lowp quant-error --methods ...` compare: absmax int8 (tensor/row/col), LLM.int8 applied
// to a tensor (vector-wise int8 with 16-bit outlier columns), plain fp16/bf16 casts, scaled fp8, OCP MX
// (MXFP8, MXFP4), bitsandbytes NF4/FP4 and blockwise 8-bit, and llama.cpp's ggml types (Q8_0 … Q2_K,
// IQ4_NL/IQ4_XS, ggml's MXFP4, TQ1_0/TQ2_0: ggml's reference quantizers, row by row in whole blocks).
// Each method returns the dequantized values and its storage cost in bytes (codes plus every scale,
// index and outlier it needs to dequantize), so accuracy and size can be read side by side. A method
// that cannot store a shape (a ggml type whose block does not divide the row) says why
// (`unsupportedShape`) and its round trip throws a RangeError: lowp never pads a row. The quantizers
// themselves live in their own files.
import { describeValue } from '../core/describe.js';
import { decodeArray, encodeArray } from '../formats/bulk.js';
import { dequantizeAbsmax, quantizeAbsmax, type AbsmaxGranularity } from './absmax.js';
import { dequantizeBlockwise, quantizeBlockwise } from './blockwise.js';
import { dequantize4bit, quantize4bit, type QuantType4bit } from './blockwise4.js';
import { dequantizeMx, quantizeMx } from './mx.js';
import { dequantizeScaledFp8, quantizeScaledFp8, type ScaledFp8Format } from './scaled-fp8.js';
import { asFloat32, rejectNonFinite, tensorValues, type TensorInput } from './tensor-input.js';
import { int8VectorwiseDequant, vectorwiseCore } from './vectorwise.js';
import { dequantizeGgml } from './ggml/dequantize.js';
import { quantizeGgml } from './ggml/quantize.js';
import { ggmlRowProblem } from './ggml/rows.js';
import { emptyScanCounts, scanGgmlBlocks, type GgmlStorageType } from './ggml/scales.js';
import { GGML_TYPES } from './ggml/types.js';

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
  // llama.cpp's ggml types, most bits first
  'q8_0', 'q6_k', 'q5_1', 'q5_k', 'q5_0', 'q4_1', 'q4_k', 'q4_0', 'iq4_nl', 'iq4_xs', 'ggml-mxfp4', 'q3_k', 'q2_k',
  'tq2_0', 'tq1_0',
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
  /**
   * Why the method cannot store a rows × cols tensor, or null when it can: the ggml types quantize
   * whole blocks along each row, so `cols` (the innermost dimension) must be a multiple of their block
   * size ('row length 300 is not a multiple of 256 …'); every other method takes any shape.
   */
  unsupportedShape(rows: number, cols: number): string | null;
  /** For the ggml methods, the ggml type (upper case, as gguf-py spells it); absent otherwise. */
  ggmlType?: GgmlStorageType;
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

/**
 * A ggml type's round trip: quantizeGgml along each row (cols values), dequantizeGgml; the bytes are the
 * blocks (typeSize per blockSize values), and the details count the blocks and their scale failures
 * (lowp/quant's analyzeGgml counts the same things).
 */
const ggmlRun = (type: GgmlStorageType): Run => (x, rows, cols) => {
  const details: Record<string, number> = { blocks: 0, lostBlocks: 0, zeroedSubBlocks: 0, subnormalScaleBlocks: 0, coarseScaleBlocks: 0, infScaleBlocks: 0 };
  if (x.length === 0) return { values: new Float32Array(0), bytes: 0, details };
  const blocks = quantizeGgml(x, type, { rowLength: cols });
  const values = dequantizeGgml(blocks, type);
  const c = emptyScanCounts();
  scanGgmlBlocks(type, x, 0, values, 0, blocks, 0, x.length / GGML_TYPES[type].blockSize, c);
  for (const k of Object.keys(details)) details[k] = c[k as keyof typeof c];
  return { values, bytes: blocks.length, details };
};

const GGML_DESCRIPTIONS: Record<GgmlStorageType, string> = {
  Q8_0: '8-bit codes, one fp16 scale per 32 values along each row',
  Q6_K: 'K-quant: 6-bit codes, 8-bit scales per 16 values, fp16 scale per 256',
  Q5_1: '5-bit codes, fp16 scale and minimum per 32 values',
  Q5_K: 'K-quant: 5-bit codes, 6-bit scales and mins per 32 values, fp16 scale and min per 256',
  Q5_0: '5-bit codes, one fp16 scale per 32 values',
  Q4_1: '4-bit codes, fp16 scale and minimum per 32 values',
  Q4_K: 'K-quant: 4-bit codes, 6-bit scales and mins per 32 values, fp16 scale and min per 256',
  Q4_0: '4-bit codes, one fp16 scale per 32 values',
  IQ4_NL: 'non-linear 4-bit levels, one fp16 scale per 32 values',
  IQ4_XS: 'non-linear 4-bit levels, 6-bit scales per 32 values, fp16 scale per 256',
  MXFP4: "ggml's MXFP4 (gpt-oss): e2m1 values, one E8M0 scale per 32 values (ggml's rounding and scale rule, not OCP's)",
  Q3_K: 'K-quant: 3-bit codes, 6-bit scales per 16 values, fp16 scale per 256',
  Q2_K: 'K-quant: 2-bit codes, 4-bit scales and mins per 16 values, fp16 scale and min per 256',
  TQ2_0: 'ternary {-1, 0, 1} in 2 bits, one fp16 scale per 256 values',
  TQ1_0: 'ternary {-1, 0, 1} packed 5 per byte, one fp16 scale per 256 values',
};

/** The registry entry of a ggml type. */
function ggmlMethod(name: QuantMethodName, type: GgmlStorageType): QuantMethod {
  const { blockSize, typeSize } = GGML_TYPES[type];
  const bits = (typeSize * 8) / blockSize;
  return {
    name,
    description: `llama.cpp ${type}: ${GGML_DESCRIPTIONS[type]}; ${bits} bits per value (ggml's reference quantizer, bit for bit)`,
    run: ggmlRun(type),
    unsupportedShape: (_rows, cols) => ggmlRowProblem(type, cols),
    ggmlType: type,
  };
}

type BaseMethod = Omit<QuantMethod, 'unsupportedShape'>;

const BASE: Record<string, BaseMethod> = {
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

const METHODS = {} as Record<QuantMethodName, QuantMethod>;
for (const name of QUANT_METHOD_NAMES) {
  if (name in BASE) METHODS[name] = { ...BASE[name], unsupportedShape: () => null } as QuantMethod;
  else METHODS[name] = ggmlMethod(name, (name === 'ggml-mxfp4' ? 'MXFP4' : name.toUpperCase()) as GgmlStorageType);
}

/**
 * The registered method of that name.
 *
 * Names are as listed; the ggml types are also found by their ggml spelling in any case ('Q4_K').
 * 'MXFP4' in capitals is refused as ambiguous (`mxfp4` is OCP's, `ggml-mxfp4` llama.cpp's).
 *
 * @throws RangeError listing the names for an unknown name.
 * @example
 * ```ts
 * getQuantMethod('nf4').description; // 'bitsandbytes NF4 (QLoRA), packed two per byte, ...'
 * getQuantMethod('Q4_K').name;       // 'q4_k'
 * getQuantMethod('q4_k').unsupportedShape(1, 300); // 'row length 300 is not a multiple of 256 (...)'
 * ```
 */
export function getQuantMethod(name: QuantMethodName | string): QuantMethod {
  if (typeof name === 'string') {
    if (Object.prototype.hasOwnProperty.call(METHODS, name)) return METHODS[name as QuantMethodName];
    // ggml type names in any case ('Q4_K', 'IQ4_NL'); 'MXFP4' in capitals is ambiguous
    const lower = name.toLowerCase();
    if (lower === 'mxfp4') {
      throw new RangeError(`ambiguous quantization method ${describeValue(name)}: 'mxfp4' is OCP MXFP4 (lowp/quant quantizeMx), 'ggml-mxfp4' is llama.cpp's MXFP4`);
    }
    const m = Object.prototype.hasOwnProperty.call(METHODS, lower) ? METHODS[lower as QuantMethodName] : undefined;
    if (m?.ggmlType !== undefined) return m;
  }
  throw new RangeError(`unknown quantization method: expected one of ${QUANT_METHOD_NAMES.join(', ')}, got ${describeValue(name)}`);
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
 * The ggml methods (`q8_0`, `q4_k`, `ggml-mxfp4`, …) quantize along each row in whole blocks, as
 * ggml does: `cols` is the row length (ggml's ne[0], the innermost dimension) and must be a multiple of
 * the type's block size (32, or 256 for the K-quants, IQ4_XS and TQ1_0/TQ2_0); their bytes are
 * typeSize per block (Q4_K: 144 per 256 values, 4.5 bits) and their details count the blocks whose
 * scale failed (`lostBlocks`, `zeroedSubBlocks`, `subnormalScaleBlocks`, `coarseScaleBlocks`,
 * `infScaleBlocks`; see analyzeGgml).
 *
 * @throws RangeError for an unknown method, a shape that does not match the length, a shape the method
 * cannot store (`getQuantMethod(m).unsupportedShape(rows, cols)`: never padded), or NaN/±Infinity (every
 * method here needs finite values, as their scales are computed from the absmax; ggml's quantizers are
 * undefined for them).
 * @example
 * ```ts
 * const x = new Float32Array([0.1, -2, 0.5, 3, 0, 1.5]);
 * const r = quantRoundTrip(x, 'int8-row', { rows: 2, cols: 3 });
 * r.bytes;           // 14 (6 codes + 2 float32 scales)
 * r.bytesPerElement; // 2.33...
 * quantRoundTrip(x, 'nf4').values; // the NF4 round trip of x
 * const w = new Float32Array(512).map((_, i) => Math.sin(i) / 50);
 * quantRoundTrip(w, 'q4_k', { rows: 2, cols: 256 }).bytesPerElement; // 0.5625 (4.5 bits)
 * quantRoundTrip(new Float32Array(300), 'q4_k'); // RangeError: ... row length 300 is not a multiple of 256 ...
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
  const problem = m.unsupportedShape(rows, cols);
  if (problem !== null) throw new RangeError(`${fn}: ${m.name} cannot store a ${rows} × ${cols} tensor: ${problem}`);
  rejectNonFinite({ ...v, rows, cols }, 'x', fn, 'quantRoundTrip needs finite values (the error of a method is measured against finite values, and most scale by the absmax)');
  const out = m.run(v.values, rows, cols);
  const n = v.values.length;
  return { method: m.name, values: out.values, bytes: out.bytes, bytesPerElement: n === 0 ? 0 : out.bytes / n, details: out.details ?? {} };
}
