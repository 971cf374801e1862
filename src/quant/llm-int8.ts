// LLM.int8() linear layer: Y = A·Wᵀ (A [m,k] activations, W [n,k] weight as in a Linear layer) by
// mixed-precision decomposition (Dettmers et al., "LLM.int8(): 8-bit Matrix Multiplication for
// Transformers at Scale", NeurIPS 2022): the feature columns of A holding an outlier (|a| >= threshold,
// 6 by default) are multiplied in 16-bit, everything else by vector-wise int8 quantization (one absmax
// per row of A and per output channel of W), an exact integer GEMM (int8Matmul of lowp/matmul) and
// dequantization. The default mode reproduces bitsandbytes' `MatMul8bitLt` inference path
// (bitsandbytes/autograd/_functions.py and backends/default/ops.py: int8_vectorwise_quant,
// int8_scaled_mm, int8_mm_dequant, int8_mixed_scaled_mm), float32 rounding for float32 rounding:
//   Y8   = round_F( fl32( fl32( fl32(acc) · fl32(SCA_i · SCB_j) ) · C ) [+ bias] )
//   Y    = round_F( fl32( Y8 + Σ_c fl32(A[i,c] · B16[j,c]) ) )      (outlier columns c, float32 sum)
// where F is the activations' format (fp16 for fp16 inputs), C the dequantization constant and B16 the
// outlier weight columns: dequantized from int8 (bitsandbytes, `weightOutliers: 'int8'`) or the weight's
// own 16-bit values (the paper, `'16bit'`). See docs/quantization.md for the constant (bitsandbytes'
// literal 6.200124e-05 is a typo of 1/127² = 6.2000124e-05) and for fp32/bf16 inputs.
import { describeValue } from '../core/describe.js';
import { validateMatrix, type Int8Matrix, type Matrix } from '../core/matrix.js';
import { decodeArray, encodeArray } from '../formats/bulk.js';
import { int8Matmul } from '../matmul/int8.js';
import { asFloat32, rejectNonFinite, tensorValues, type TensorInput } from './tensor-input.js';
import { INV127_F32, checkThreshold, vectorwiseCore, type VectorwiseInt8 } from './vectorwise.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * 1/127² = 1/16129, the exact factor that turns Σ codeA·codeB into Σ a·b (each code carries absmax/127).
 * Its float32 value, 6.2000123e-05, is what bitsandbytes' CUDA kernel uses (`MM_DEQUANT_CONST
 * 6.200012e-5f` rounds to the same float32).
 *
 * @example
 * ```ts
 * INT8_DEQUANT_EXACT === 1 / 16129; // true (6.2000124e-05)
 * Math.fround(INT8_DEQUANT_EXACT) === Math.fround(6.200012e-5); // true: the CUDA kernel's literal
 * ```
 */
export const INT8_DEQUANT_EXACT = 1 / (127 * 127);

/**
 * The float32 constant bitsandbytes' default (pure PyTorch) backend multiplies by in `int8_mm_dequant`:
 * the literal `6.200124e-05`, a typo of 1/127² = 6.2000124e-05 with one zero dropped. It is 1.8e-5
 * (relative) too large, about 1/27 of an fp16 ulp: small, but enough to change the last bit of some fp16
 * outputs, so lowp uses it where it must reproduce bitsandbytes (`dequantConstant: 'bitsandbytes'`).
 *
 * @example
 * ```ts
 * INT8_DEQUANT_BNB_DEFAULT === Math.fround(6.200124e-5); // true
 * INT8_DEQUANT_BNB_DEFAULT / INT8_DEQUANT_EXACT - 1; // 1.8e-5
 * ```
 */
export const INT8_DEQUANT_BNB_DEFAULT = Math.fround(6.200124e-5);

/**
 * Formats llmInt8Linear computes and returns in.
 *
 * @example
 * ```ts
 * llmInt8Linear(a16, w16, { output: 'fp32' }); // float32 output from fp16 inputs
 * ```
 */
export type LlmInt8Format = 'fp16' | 'bf16' | 'fp32';

/**
 * Weights quantized once by {@link prepareInt8Weight} for many {@link llmInt8Linear} calls.
 *
 * @example
 * ```ts
 * const pw: PreparedInt8Weight = prepareInt8Weight(w);
 * pw.codes; // CB
 * pw.absmax; // SCB
 * ```
 */
export interface PreparedInt8Weight {
  /** Tag that identifies a prepared weight. */
  readonly kind: 'lowp.int8-weight';
  /** n: output features (rows of W). */
  readonly rows: number;
  /** k: input features (columns of W). */
  readonly cols: number;
  /** Row-wise int8 codes of W (bitsandbytes' `CB`), n × k. */
  readonly codes: Int8Matrix;
  /** Row absmax of W (bitsandbytes' `SCB`), float32, one per output channel. */
  readonly absmax: Float32Array;
  /** Code format of the source weight ('fp16', 'bf16') or null for float data. */
  readonly format: string | null;
  /**
   * W's own values (float32; fp16/bf16 decoded exactly), kept when prepared with `keep16bit: true` for
   * the paper's mode `weightOutliers: '16bit'`; null otherwise (int8 storage only, as bitsandbytes).
   */
  readonly values16: Float32Array | null;
}

/**
 * Options of {@link prepareInt8Weight}.
 *
 * @example
 * ```ts
 * const pw = prepareInt8Weight(w, { keep16bit: true });
 * llmInt8Linear(a, pw, { weightOutliers: '16bit' });
 * ```
 */
export interface PrepareInt8WeightOptions {
  /** Keep W's 16-bit values too (needed by `weightOutliers: '16bit'`; doubles+ the memory). Default false. */
  keep16bit?: boolean;
}

/**
 * Quantizes a Linear layer's weight W [n,k] once, vector-wise (one absmax per output channel, no
 * outliers: threshold 0), as bitsandbytes does with `int8_vectorwise_quant(W)`: `codes` and `absmax`
 * equal its `CB` and `SCB` bit for bit for fp16 weights. fp32 and bf16 weights are quantized from their
 * own values (bitsandbytes first casts them to fp16, where bf16 values above 65504 become infinity and
 * poison their whole output channel; lowp does not).
 *
 * @throws TypeError for a wrong type; RangeError for a bad shape or NaN/±Infinity in W.
 * @example
 * ```ts
 * const w = { rows: 2, cols: 3, data: new Float32Array([0.5, -1, 0.25, 2, 0, -2]) };
 * const pw = prepareInt8Weight(w);
 * pw.codes.data; // Int8Array [64, -127, 32, 127, 0, -127]
 * pw.absmax;     // Float32Array [1, 2]
 * ```
 */
export function prepareInt8Weight(w: TensorInput, opts?: PrepareInt8WeightOptions): PreparedInt8Weight {
  const fn = 'prepareInt8Weight';
  checkOptionsObject(opts, fn);
  const keep = opts?.keep16bit ?? false;
  if (typeof keep !== 'boolean') throw new TypeError(`${fn}: keep16bit must be a boolean, got ${describeValue(keep)}`);
  const v = asFloat32(tensorValues(w, 'w', fn));
  rejectNonFinite(v, 'w', fn);
  checkFormat(v.format, 'w', fn);
  const q = vectorwiseCore(v.values, v.rows, v.cols, 0);
  return {
    kind: 'lowp.int8-weight',
    rows: v.rows,
    cols: v.cols,
    codes: q.codes,
    absmax: q.absmax,
    format: v.format,
    values16: keep ? (v.values === (w as Matrix).data || v.values === w ? v.values.slice() : v.values) : null,
  };
}

function checkFormat(format: string | null, name: string, fn: string): void {
  if (format !== null && format !== 'fp16' && format !== 'bf16') {
    throw new TypeError(`${fn}: ${name} must hold float32/float64 values or fp16/bf16 codes, got ${format} codes`);
  }
}

function isPrepared(w: unknown): w is PreparedInt8Weight {
  return w !== null && typeof w === 'object' && (w as PreparedInt8Weight).kind === 'lowp.int8-weight';
}

/**
 * Options of {@link llmInt8Linear}.
 *
 * @example
 * ```ts
 * llmInt8Linear(a, w, { threshold: 6, weightOutliers: '16bit', bias: new Float32Array(w.rows) });
 * ```
 */
export interface LlmInt8Options {
  /**
   * Outlier threshold: feature columns of A with any |a| >= threshold go through the 16-bit path.
   * Default 6 (the paper's and bitsandbytes' value). 0 or Infinity: no outliers (pure int8). Must be a
   * number >= 0.
   */
  threshold?: number;
  /**
   * How the outlier columns of W are multiplied: `'int8'` (default) dequantizes them from the int8 codes,
   * as bitsandbytes' `MatMul8bitLt` does for int8-stored weights; `'16bit'` uses W's own values, as the
   * LLM.int8() paper does (requires W as a matrix, or prepared with `keep16bit: true`).
   */
  weightOutliers?: 'int8' | '16bit';
  /** A length-n bias, rounded to the compute format and added in float32 before the outliers (as Linear8bitLt). */
  bias?: Float32Array | Float64Array | readonly number[];
  /**
   * Format of the result and of the intermediate rounding steps: default the activations' format
   * (fp16 codes → 'fp16', bf16 codes → 'bf16', float data → 'fp32'), as bitsandbytes returns A's dtype.
   */
  output?: LlmInt8Format;
  /**
   * Dequantization constant C: `'bitsandbytes'` (default) is the float32 literal 6.200124e-05 of
   * bitsandbytes' default backend, reproducing its outputs; `'exact'` is fl32(1/127²), as its CUDA kernel.
   */
  dequantConstant?: 'bitsandbytes' | 'exact';
}

/**
 * Statistics of one {@link llmInt8Linear} call.
 *
 * @example
 * ```ts
 * const { stats } = llmInt8Linear(a, w);
 * console.log(`${stats.outlierCols.length} of ${stats.k} features in 16-bit (${(100 * stats.outlierFraction).toFixed(2)}%)`);
 * ```
 */
export interface LlmInt8Stats {
  /** Threshold used. */
  threshold: number;
  /** Mode of the outlier weight columns. */
  weightOutliers: 'int8' | '16bit';
  /** Format the 16-bit path and the output are computed in. */
  computeFormat: LlmInt8Format;
  /** m: rows of A and of Y. */
  m: number;
  /** k: columns of A and of W (input features). */
  k: number;
  /** n: rows of W, columns of Y (output features). */
  n: number;
  /** Feature columns of A routed to the 16-bit path (ascending). */
  outlierCols: Int32Array;
  /** Share of A's elements (activations) multiplied in 16-bit: outlierCols.length / k (0 when k = 0). */
  outlierFraction: number;
  /** Number of activations with |a| >= threshold (the outliers themselves). */
  outlierValueCount: number;
  /** Multiply-adds done by the int8 GEMM: m·n·k (outlier columns are zero codes, still multiplied). */
  int8Macs: number;
  /** Multiply-adds done in the 16-bit path: m·n·outlierCols.length. */
  highPrecisionMacs: number;
}

/**
 * Result of {@link llmInt8Linear}.
 *
 * @example
 * ```ts
 * const { output, stats, activations } = llmInt8Linear(a, w);
 * activations.codes; // CA
 * output.data;       // Y (fp16 codes for fp16 inputs)
 * ```
 */
export interface LlmInt8Result {
  /** Y [m,n]: fp16/bf16 codes with their format, or a Float32Array for 'fp32'. */
  output: Matrix;
  /** What went where. */
  stats: LlmInt8Stats;
  /** The quantized activations: bitsandbytes' CA, SCA and outlier columns. */
  activations: VectorwiseInt8;
}

function roundArrayTo(x: Float32Array, f: LlmInt8Format): Float32Array {
  if (f === 'fp32') return x;
  return decodeArray(encodeArray(x, f) as Uint16Array, f, { out: x });
}

/**
 * LLM.int8() matrix multiplication Y = A·Wᵀ for a Linear layer (A [m,k], W [n,k] or its
 * {@link prepareInt8Weight} form): vector-wise int8 quantization of A (threshold `threshold`, outlier
 * feature columns zeroed) and W, an exact int8 GEMM (lowp/matmul's `int8Matmul`), dequantization
 * `round_F(fl32(fl32(fl32(acc)·fl32(sa·sw))·C))`, plus the outlier columns' product in 16-bit.
 *
 * With fp16 inputs and the defaults it reproduces bitsandbytes' `bnb.matmul(A, W, threshold=6)`
 * (`MatMul8bitLt`, int8 weights): the quantized codes and scales bit for bit, the output within 2 fp16
 * ulps (the order of float32 additions in the outlier product is PyTorch's, not specified).
 * fp32 and bf16 inputs are quantized from their own values, never through fp16 (bitsandbytes casts A and
 * W to fp16 first, which turns bf16 values above 65504 into infinity).
 *
 * @throws TypeError for wrong types/options; RangeError for k of A ≠ k of W, a bad bias length, a
 * threshold that is NaN or negative, NaN/±Infinity in A or W, or `'16bit'` with a weight prepared without
 * its 16-bit values.
 * @example
 * ```ts
 * const a = { rows: 1, cols: 3, data: new Float32Array([1, 10, -2]) };   // 10 is an outlier
 * const w = { rows: 2, cols: 3, data: new Float32Array([0.5, 1, 0.25, -1, 0.5, 2]) };
 * const { output, stats } = llmInt8Linear(a, w);
 * stats.outlierCols; // Int32Array [1]
 * output.data;       // Float32Array [10.00397, 0.02347] (exact: [10, 0]; the outlier 10 meets an int8-dequantized weight)
 * ```
 */
export function llmInt8Linear(a: TensorInput, w: TensorInput | PreparedInt8Weight, opts?: LlmInt8Options): LlmInt8Result {
  const fn = 'llmInt8Linear';
  checkOptionsObject(opts, fn);
  const threshold = checkThreshold(opts?.threshold ?? 6, fn);
  const mode = opts?.weightOutliers ?? 'int8';
  if (mode !== 'int8' && mode !== '16bit') throw new TypeError(`${fn}: weightOutliers must be 'int8' or '16bit', got ${describeValue(mode)}`);
  const constChoice = opts?.dequantConstant ?? 'bitsandbytes';
  if (constChoice !== 'bitsandbytes' && constChoice !== 'exact') {
    throw new TypeError(`${fn}: dequantConstant must be 'bitsandbytes' or 'exact', got ${describeValue(constChoice)}`);
  }
  const C = constChoice === 'bitsandbytes' ? INT8_DEQUANT_BNB_DEFAULT : Math.fround(INT8_DEQUANT_EXACT);

  const av = asFloat32(tensorValues(a, 'a', fn));
  checkFormat(av.format, 'a', fn);
  rejectNonFinite(av, 'a', fn);
  const computeFormat: LlmInt8Format = (av.format as LlmInt8Format | null) ?? 'fp32';
  const outFormat = opts?.output ?? computeFormat;
  if (outFormat !== 'fp16' && outFormat !== 'bf16' && outFormat !== 'fp32') {
    throw new TypeError(`${fn}: output must be 'fp16', 'bf16' or 'fp32', got ${describeValue(outFormat)}`);
  }

  let pw: PreparedInt8Weight;
  if (isPrepared(w)) {
    pw = w;
    if (!(pw.codes?.data instanceof Int8Array) || !(pw.absmax instanceof Float32Array) || pw.absmax.length !== pw.rows || pw.codes.data.length !== pw.rows * pw.cols) {
      throw new TypeError(`${fn}: w is not a well-formed prepared int8 weight (use prepareInt8Weight)`);
    }
    if (mode === '16bit' && pw.values16 === null) {
      throw new RangeError(`${fn}: weightOutliers '16bit' needs W's 16-bit values: prepare the weight with prepareInt8Weight(w, { keep16bit: true }) or pass W itself`);
    }
  } else {
    if (w !== null && typeof w === 'object' && !ArrayBuffer.isView(w) && !Array.isArray(w)) validateMatrix(w as Matrix, `${fn}: w`);
    pw = prepareInt8Weight(w as TensorInput, { keep16bit: mode === '16bit' });
  }
  const m = av.rows, k = av.cols, n = pw.rows;
  if (pw.cols !== k) {
    throw new RangeError(`${fn}: inner dimensions differ: a is ${m}×${k}, so W must be n×${k} (a Linear weight [out, in]), got ${pw.rows}×${pw.cols}`);
  }
  let bias: Float32Array | null = null;
  if (opts?.bias !== undefined) {
    const b = opts.bias;
    if (!(b instanceof Float32Array || b instanceof Float64Array || Array.isArray(b))) {
      throw new TypeError(`${fn}: bias must be a Float32Array, Float64Array or number[], got ${describeValue(b)}`);
    }
    if (b.length !== n) throw new RangeError(`${fn}: bias must have n = ${n} elements, got ${b.length}`);
    const bf = Float32Array.from(b as ArrayLike<number>, (x, i) => {
      if (typeof x !== 'number' || x - x !== 0) throw new RangeError(`${fn}: bias[${i}] must be a finite number, got ${describeValue(x)}`);
      return x;
    });
    // bitsandbytes' Linear8bitLt casts the bias to the activations' dtype
    bias = roundArrayTo(bf, computeFormat);
  }

  // 1. vector-wise quantization of A with outlier columns
  const qa = vectorwiseCore(av.values, m, k, threshold);
  // 2. exact int8 GEMM: acc = CA · CBᵀ
  const acc = int8Matmul(qa.codes, pw.codes, { transB: true }).data;
  // 3. dequantize in float32 (Y8 is rounded to the output format below: before the outlier sum, or by
  // the final encoding)
  const sa = qa.absmax, sw = pw.absmax;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const ai = sa[i];
    const o = i * n;
    for (let j = 0; j < n; j++) {
      const p = Math.fround(ai * sw[j]);
      let v = Math.fround(Math.fround(Math.fround(acc[o + j]) * p) * C);
      if (bias !== null) v = Math.fround(v + bias[j]);
      y[o + j] = v;
    }
  }
  // 4. outlier columns in 16-bit: Y = round_F(Y8) + A[:, cols] · B16[:, cols]ᵀ, float32 products and sums
  const cols = qa.outlierCols;
  const t = cols.length;
  if (t > 0 && m > 0 && n > 0) {
    roundArrayTo(y, outFormat);
    // A's values are already in the compute format: decoded from its fp16/bf16 codes, or float32
    const subA = new Float32Array(m * t);
    for (let i = 0; i < m; i++) for (let c = 0; c < t; c++) subA[i * t + c] = av.values[i * k + cols[c]];
    const subB = new Float32Array(n * t);
    if (mode === 'int8') {
      const cb = pw.codes.data;
      for (let j = 0; j < n; j++) {
        const s = sw[j];
        for (let c = 0; c < t; c++) subB[j * t + c] = Math.fround(Math.fround(cb[j * k + cols[c]] * s) * INV127_F32);
      }
    } else {
      const wv = pw.values16 as Float32Array;
      for (let j = 0; j < n; j++) for (let c = 0; c < t; c++) subB[j * t + c] = wv[j * k + cols[c]];
    }
    roundArrayTo(subB, computeFormat);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let c = 0; c < t; c++) d = Math.fround(d + Math.fround(subA[i * t + c] * subB[j * t + c]));
        y[i * n + j] = Math.fround(y[i * n + j] + d);
      }
    }
  }
  // the last round_F: encoding into fp16/bf16 rounds to nearest even (none for 'fp32')
  const output: Matrix = outFormat === 'fp32'
    ? { rows: m, cols: n, data: y }
    : { rows: m, cols: n, data: encodeArray(y, outFormat) as Uint16Array, format: outFormat };
  return {
    output,
    stats: {
      threshold,
      weightOutliers: mode,
      computeFormat,
      m, k, n,
      outlierCols: cols,
      outlierFraction: k === 0 ? 0 : t / k,
      outlierValueCount: qa.outlierCount,
      int8Macs: m * n * k,
      highPrecisionMacs: m * n * t,
    },
    activations: qa,
  };
}
