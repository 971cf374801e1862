// Quantization-error benchmark tables: (1) `linearErrorTable`: the error of Y = A·Wᵀ computed by
// fp32/fp16/bf16 GEMMs, per-tensor int8, vector-wise int8 and LLM.int8 (both weight modes) against the
// float64 product of the same float32 inputs, the experiment of Dettmers et al. (2022), figure/table on
// outlier features; (2) `quantErrorTable`: the round-trip error (SQNR, relative L2, max error) of every
// registered tensor method (methods.ts, llama.cpp's ggml types included) with its storage cost. Plus seeded synthetic data generators
// (Gaussian, Student-t, activations with outlier feature columns) and a markdown formatter. Metrics are
// those of metrics.ts, computed in float64.
import { describeValue } from '../core/describe.js';
import { validateMatrix, type Matrix } from '../core/matrix.js';
import { createRng, type RandomSource } from '../core/rng.js';
import { decodeArray, encodeArray } from '../formats/bulk.js';
import { int8Matmul } from '../matmul/int8.js';
import { matmul } from '../matmul/matmul.js';
import { quantizeAbsmax } from './absmax.js';
import { llmInt8Linear } from './llm-int8.js';
import { getQuantMethod, QUANT_METHOD_NAMES, quantRoundTrip, type QuantMethodName } from './methods.js';
import { compare, type CompareOptions, type Verdict } from './metrics.js';
import { asFloat32, tensorValues } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * The A·Wᵀ methods of {@link linearErrorTable}, in table order.
 *
 * @example
 * ```ts
 * linearErrorTable(cases, { methods: LINEAR_METHOD_NAMES.filter((m) => m !== 'fp32') });
 * ```
 */
export const LINEAR_METHOD_NAMES = ['fp32', 'fp16', 'bf16', 'int8-tensor', 'int8-vectorwise', 'llm-int8', 'llm-int8-16bit'] as const;

/**
 * An A·Wᵀ method name (see {@link LINEAR_METHOD_NAMES}).
 *
 * @example
 * ```ts
 * const m: LinearMethodName = 'llm-int8-16bit';
 * ```
 */
export type LinearMethodName = (typeof LINEAR_METHOD_NAMES)[number];

/**
 * One A·Wᵀ problem: activations A [m,k] and a Linear weight W [n,k].
 *
 * @example
 * ```ts
 * const c: LinearCase = { name: 'layer 3', a: activations, w: weight };
 * ```
 */
export interface LinearCase {
  /** Label of the case in the table. */
  name: string;
  /** Activations A [m,k] (float data, or fp16/bf16 codes). */
  a: Matrix;
  /** Weight W [n,k]. */
  w: Matrix;
}

/**
 * One row of {@link linearErrorTable}.
 *
 * @example
 * ```ts
 * for (const r of linearErrorTable(cases)) console.log(r.case, r.method, r.relL2);
 * ```
 */
export interface LinearErrorRow {
  /** Case name. */
  case: string;
  /** Method name. */
  method: LinearMethodName;
  /** m: rows of A and of Y. */
  m: number;
  /** k: columns of A and of W (input features). */
  k: number;
  /** n: rows of W, columns of Y (output features). */
  n: number;
  /** Feature columns of A routed to 16-bit (LLM.int8 methods; 0 otherwise). */
  outlierCols: number;
  /** Share of A's elements multiplied in 16-bit (LLM.int8 methods; 0 otherwise). */
  outlierFraction: number;
  /** Largest |a| in A (tells whether the case has outlier features). */
  maxAbsA: number;
  /** Relative L2 error ‖Y − Y₆₄‖/‖Y₆₄‖. */
  relL2: number;
  /** SQNR in dB. */
  sqnrDb: number;
  /** max |Y − Y₆₄|. */
  maxAbsError: number;
  /** mean |Y − Y₆₄|. */
  meanAbsError: number;
  /** Cosine similarity of Y and Y₆₄. */
  cosine: number;
  /** Verdict of `compare` (default thresholds). */
  verdict: Verdict;
}

/**
 * Options of {@link linearErrorTable}.
 *
 * @example
 * ```ts
 * linearErrorTable(cases, { methods: ['int8-tensor', 'llm-int8'], threshold: 4 });
 * ```
 */
export interface LinearErrorOptions {
  /** Methods to run, default all of {@link LINEAR_METHOD_NAMES}. */
  methods?: readonly LinearMethodName[];
  /** LLM.int8 outlier threshold. Default 6. */
  threshold?: number;
  /** Verdict thresholds passed to `compare`. */
  compare?: CompareOptions;
}

/**
 * The int8 methods' input: fp16 codes, as bitsandbytes casts to fp16, unless a value would overflow
 * fp16 (|x| >= 65520); then the float32 values themselves (what llmInt8Linear does for fp32 inputs).
 */
function fp16Matrix(v: Float32Array, rows: number, cols: number): Matrix {
  for (let i = 0; i < v.length; i++) if (Math.abs(v[i]) >= 65520) return { rows, cols, data: v };
  return { rows, cols, data: encodeArray(v, 'fp16') as Uint16Array, format: 'fp16' };
}

function valuesOf(y: Matrix): Float32Array | Float64Array {
  if (y.data instanceof Float32Array || y.data instanceof Float64Array) return y.data;
  return decodeArray(y.data as Uint16Array, y.format as string);
}

/**
 * Runs one A·Wᵀ method on float32 inputs: GEMMs with fp32 accumulation (fp16/bf16 round inputs and
 * output), and the int8 methods from the fp16-rounded inputs to an fp16 output, as bitsandbytes runs
 * them for an fp16 model. `int8-tensor`: one absmax scale for A and one for W, exact int8 GEMM,
 * y = fp16(acc · sA · sW) in float64.
 */
function runLinear(method: LinearMethodName, a: Float32Array, w: Float32Array, m: number, k: number, n: number, threshold: number): { y: Float32Array | Float64Array; outlierCols: number } {
  const A = { rows: m, cols: k, data: a }, W = { rows: n, cols: k, data: w };
  switch (method) {
    case 'fp32': return { y: valuesOf(matmul(A, W, { transB: true })), outlierCols: 0 };
    case 'fp16': return { y: valuesOf(matmul(A, W, { transB: true, inputs: 'fp16', output: 'fp16' })), outlierCols: 0 };
    case 'bf16': return { y: valuesOf(matmul(A, W, { transB: true, inputs: 'bf16', output: 'bf16' })), outlierCols: 0 };
    case 'int8-tensor': {
      const a16 = fp16Matrix(a, m, k), w16 = fp16Matrix(w, n, k);
      const qa = quantizeAbsmax(a16, { granularity: 'tensor' }), qw = quantizeAbsmax(w16, { granularity: 'tensor' });
      const acc = int8Matmul(qa.codes, qw.codes, { transB: true }).data;
      const s = (qa.absmax[0] * qw.absmax[0]) / (127 * 127);
      const y = new Float32Array(m * n);
      for (let i = 0; i < y.length; i++) y[i] = acc[i] * s;
      return { y: decodeArray(encodeArray(y, 'fp16') as Uint16Array, 'fp16'), outlierCols: 0 };
    }
    case 'int8-vectorwise':
    case 'llm-int8':
    case 'llm-int8-16bit': {
      const r = llmInt8Linear(fp16Matrix(a, m, k), fp16Matrix(w, n, k), {
        threshold: method === 'int8-vectorwise' ? 0 : threshold,
        weightOutliers: method === 'llm-int8-16bit' ? '16bit' : 'int8',
      });
      return { y: valuesOf(r.output), outlierCols: r.stats.outlierCols.length };
    }
  }
}

/**
 * The A·Wᵀ error table: for each case and method, the error of Y against the float64 product of the
 * same float32 A and W (`matmul` with fp64 accumulation). Methods (see {@link LINEAR_METHOD_NAMES}):
 * `fp32` (fp32 GEMM), `fp16`/`bf16` (inputs rounded, fp32 accumulation, output rounded, as GPUs do),
 * `int8-tensor` (one absmax scale per matrix), `int8-vectorwise` (row-wise int8 of A and W, no outliers:
 * LLM.int8 with threshold 0), `llm-int8` (threshold 6, bitsandbytes' int8 outlier weights) and
 * `llm-int8-16bit` (the paper's 16-bit outlier weights). The int8 methods start from fp16-rounded inputs
 * and return fp16, as bitsandbytes does with an fp16 model (an input beyond fp16's range is used in
 * float32 instead, where bitsandbytes would overflow).
 *
 * @throws TypeError/RangeError for malformed cases (shapes, k mismatch, NaN/Infinity) or unknown methods.
 * @example
 * ```ts
 * const a = syntheticMatrix('outlier-features', 64, 256, { seed: 1 });
 * const w = syntheticMatrix('gaussian', 32, 256, { seed: 2, scale: 1 / 16 });
 * const rows = linearErrorTable([{ name: 'outliers', a, w }], { methods: ['int8-tensor', 'llm-int8'] });
 * rows[1].relL2 < rows[0].relL2; // true: LLM.int8 keeps the outlier features in 16-bit
 * ```
 */
export function linearErrorTable(cases: readonly LinearCase[], opts?: LinearErrorOptions): LinearErrorRow[] {
  const fn = 'linearErrorTable';
  checkOptionsObject(opts, fn, "{ methods: ['int8-vectorwise', 'llm-int8'] }");
  if (!Array.isArray(cases)) throw new TypeError(`${fn}: cases must be an array of { name, a, w }, got ${describeValue(cases)}`);
  const methods = opts?.methods ?? LINEAR_METHOD_NAMES;
  for (const m of methods) {
    if (!LINEAR_METHOD_NAMES.includes(m)) throw new RangeError(`${fn}: unknown method ${describeValue(m)}; known: ${LINEAR_METHOD_NAMES.join(', ')}`);
  }
  const threshold = opts?.threshold ?? 6;
  const rows: LinearErrorRow[] = [];
  for (const c of cases) {
    if (c === null || typeof c !== 'object' || typeof c.name !== 'string') throw new TypeError(`${fn}: each case must be { name, a, w }, got ${describeValue(c)}`);
    validateMatrix(c.a, `${fn}: ${c.name}.a`);
    validateMatrix(c.w, `${fn}: ${c.name}.w`);
    const a = asFloat32(tensorValues(c.a, 'a', fn)).values;
    const w = asFloat32(tensorValues(c.w, 'w', fn)).values;
    const m = c.a.rows, k = c.a.cols, n = c.w.rows;
    if (c.w.cols !== k) throw new RangeError(`${fn}: ${c.name}: a is ${m}×${k} but w is ${n}×${c.w.cols} (w must be n×${k})`);
    const ref = matmul({ rows: m, cols: k, data: a }, { rows: n, cols: k, data: w }, { transB: true, accumulate: 'fp64', output: 'fp64' }).data as Float64Array;
    let maxAbsA = 0;
    for (let i = 0; i < a.length; i++) maxAbsA = Math.max(maxAbsA, Math.abs(a[i]));
    for (const method of methods) {
      const { y, outlierCols } = runLinear(method, a, w, m, k, n, threshold);
      const cmp = compare(ref, y, opts?.compare);
      rows.push({
        case: c.name, method, m, k, n, outlierCols, outlierFraction: k === 0 ? 0 : outlierCols / k, maxAbsA,
        relL2: cmp.relL2, sqnrDb: cmp.sqnrDb, maxAbsError: cmp.maxAbsError, meanAbsError: cmp.meanAbsError,
        cosine: cmp.cosine, verdict: cmp.verdict,
      });
    }
  }
  return rows;
}

/**
 * One tensor of {@link quantErrorTable}.
 *
 * @example
 * ```ts
 * const t: TensorCase = { name: 'wq', data: new Float32Array(4096), rows: 64, cols: 64 };
 * ```
 */
export interface TensorCase {
  /** Label in the table. */
  name: string;
  /** The tensor: a matrix, or flat values (with `rows`/`cols`, default one row). */
  data: Matrix | Float32Array | Float64Array;
  /** Rows of flat data. */
  rows?: number;
  /** Columns of flat data. */
  cols?: number;
}

/**
 * One row of {@link quantErrorTable}.
 *
 * @example
 * ```ts
 * for (const r of quantErrorTable(tensors)) console.log(r.tensor, r.method, r.sqnrDb, r.bytesPerElement);
 * ```
 */
export interface QuantErrorRow {
  /** Tensor name. */
  tensor: string;
  /** Method name. */
  method: QuantMethodName;
  /** Number of elements. */
  elements: number;
  /** Storage per element in bytes, scales included (fp32 = 4). */
  bytesPerElement: number;
  /** SQNR of the round trip in dB. */
  sqnrDb: number;
  /** Relative L2 error. */
  relL2: number;
  /** Largest absolute error. */
  maxAbsError: number;
  /** Mean absolute error. */
  meanAbsError: number;
  /** Cosine similarity. */
  cosine: number;
  /** Verdict of `compare`. */
  verdict: Verdict;
  /** Method-specific facts (e.g. outlierCols for llm-int8). */
  details: Record<string, number>;
}

/**
 * Options of {@link quantErrorTable}.
 *
 * @example
 * ```ts
 * quantErrorTable(tensors, { methods: ['int8-row', 'nf4'] });
 * ```
 */
export interface QuantErrorOptions {
  /** Methods to run, default all of {@link QUANT_METHOD_NAMES}. */
  methods?: readonly QuantMethodName[];
  /** Verdict thresholds passed to `compare`. */
  compare?: CompareOptions;
  /**
   * What to do with a (tensor, method) pair the method cannot store (a ggml type whose block size does
   * not divide the tensor's row length, `getQuantMethod(m).unsupportedShape`): `'throw'` a RangeError
   * naming the tensor and the reason, or `'skip'`: leave that row out of the table. Default: `'throw'`
   * when `methods` names the methods, `'skip'` when it is left to the whole registry (whose K-quants
   * cannot store rows of, say, 64 values).
   */
  unsupported?: 'throw' | 'skip';
}

/**
 * The tensor round-trip error table: for each tensor and method (see methods.ts), the SQNR, relative
 * L2, max and mean absolute error of dequantize(quantize(x)) against x, with the storage cost per
 * element. This is what `lowp quant-error <file> --methods ...` prints per tensor. The ggml methods
 * (`q8_0` … `tq1_0`, `ggml-mxfp4`) quantize along each row: give `cols` (or a matrix's cols) as the row
 * length, ggml's innermost dimension; a tensor whose rows are not whole blocks of the type throws
 * when the methods are named (or is left out with `unsupported: 'skip'`), and is left out when they
 * are not (the whole registry).
 *
 * @throws RangeError for unknown methods, bad shapes, shapes a named method cannot store (unless
 * `unsupported: 'skip'`) or non-finite values.
 * @example
 * ```ts
 * const x = syntheticMatrix('student-t', 64, 64, { seed: 3, dof: 3 });
 * const rows = quantErrorTable([{ name: 't3', data: x }], { methods: ['int8-tensor', 'nf4', 'fp8-e4m3fn'] });
 * rows.map((r) => `${r.method}: ${r.sqnrDb.toFixed(1)} dB at ${r.bytesPerElement} B/elt`);
 * ```
 */
export function quantErrorTable(tensors: readonly TensorCase[], opts?: QuantErrorOptions): QuantErrorRow[] {
  const fn = 'quantErrorTable';
  checkOptionsObject(opts, fn, "{ methods: ['bf16', 'nf4'] }");
  if (!Array.isArray(tensors)) throw new TypeError(`${fn}: tensors must be an array of { name, data }, got ${describeValue(tensors)}`);
  const methods = opts?.methods ?? QUANT_METHOD_NAMES;
  const unsupported = opts?.unsupported ?? (opts?.methods === undefined ? 'skip' : 'throw');
  if (unsupported !== 'throw' && unsupported !== 'skip') throw new RangeError(`${fn}: unsupported must be 'throw' or 'skip', got ${describeValue(unsupported)}`);
  const rows: QuantErrorRow[] = [];
  for (const t of tensors) {
    if (t === null || typeof t !== 'object' || typeof t.name !== 'string') throw new TypeError(`${fn}: each tensor must be { name, data }, got ${describeValue(t)}`);
    const flat = t.data instanceof Float32Array || t.data instanceof Float64Array;
    if (!flat && (t.data === null || typeof t.data !== 'object' || ArrayBuffer.isView(t.data))) {
      throw new TypeError(`${fn}: tensor '${t.name}': data must be a matrix { rows, cols, data } or a Float32Array/Float64Array, got ${describeValue(t.data)}`);
    }
    const ref = flat ? (t.data as Float32Array | Float64Array) : valuesOf(validateMatrix(t.data as Matrix, `${fn}: tensor '${t.name}': data`));
    const shape = flat
      ? { rows: t.rows ?? (t.cols !== undefined && t.cols > 0 ? ref.length / t.cols : 1), cols: t.cols ?? (t.rows !== undefined ? (t.rows > 0 ? ref.length / t.rows : 0) : ref.length) }
      : { rows: (t.data as Matrix).rows, cols: (t.data as Matrix).cols };
    for (const method of methods) {
      // (a shape that does not fit the length is left to quantRoundTrip, which says so)
      const fits = Number.isSafeInteger(shape.rows) && Number.isSafeInteger(shape.cols) && shape.rows * shape.cols === ref.length;
      const problem = fits ? getQuantMethod(method).unsupportedShape(shape.rows, shape.cols) : null;
      if (problem !== null) {
        if (unsupported === 'skip') continue;
        throw new RangeError(`${fn}: tensor '${t.name}': ${method} cannot store it: ${problem}`);
      }
      const r = flat
        ? quantRoundTrip(t.data as Float32Array, method, t.rows === undefined && t.cols === undefined ? undefined : { rows: t.rows, cols: t.cols })
        : quantRoundTrip(t.data as Matrix, method);
      const cmp = compare(ref, r.values, opts?.compare);
      rows.push({
        tensor: t.name, method, elements: ref.length, bytesPerElement: r.bytesPerElement, sqnrDb: cmp.sqnrDb, relL2: cmp.relL2,
        maxAbsError: cmp.maxAbsError, meanAbsError: cmp.meanAbsError, cosine: cmp.cosine, verdict: cmp.verdict, details: r.details,
      });
    }
  }
  return rows;
}

/**
 * Kinds of synthetic data {@link syntheticMatrix} generates.
 *
 * @example
 * ```ts
 * syntheticMatrix('student-t', 64, 64, { dof: 3 });
 * ```
 */
export type SyntheticKind = 'gaussian' | 'student-t' | 'outlier-features';

/**
 * Options of {@link syntheticMatrix}.
 *
 * @example
 * ```ts
 * syntheticMatrix('outlier-features', 32, 1024, { seed: 7, outlierCols: 6, magnitude: [20, 60] });
 * ```
 */
export interface SyntheticOptions {
  /** Seed of the generator (createRng). Default 0. */
  seed?: number;
  /** Standard deviation (Gaussian) or scale (Student-t) of the bulk values. Default 1. */
  scale?: number;
  /** Degrees of freedom of 'student-t'. Default 3 (heavy tails, finite variance). */
  dof?: number;
  /** Number of outlier feature columns of 'outlier-features'. Default max(1, round(cols / 256)). */
  outlierCols?: number;
  /** Range of the outlier magnitudes. Default [20, 60] (LLMs past 6.7B parameters, Dettmers et al. 2022). */
  magnitude?: readonly [number, number];
}

function normal(rand: RandomSource): number {
  // Box-Muller on (0, 1]
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * Seeded synthetic matrices for the benchmarks: `'gaussian'` (N(0, scale²)), `'student-t'` (scale ·
 * t_dof, heavy-tailed like many weight tensors) and `'outlier-features'` (Gaussian activations in which a
 * few feature columns carry values of magnitude 20–60 with a fixed sign per column in every row, the
 * systematic outlier features LLM.int8 was designed for). The same seed gives the same matrix on every
 * platform.
 *
 * @throws RangeError for bad dimensions or options.
 * @example
 * ```ts
 * const a = syntheticMatrix('outlier-features', 8, 512, { seed: 1 }); // 2 outlier columns
 * const w = syntheticMatrix('gaussian', 16, 512, { seed: 2, scale: 0.05 });
 * ```
 */
export function syntheticMatrix(kind: SyntheticKind, rows: number, cols: number, opts?: SyntheticOptions): Matrix<Float32Array> {
  const fn = 'syntheticMatrix';
  checkOptionsObject(opts, fn, '{ seed: 1 }');
  for (const [name, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
  }
  const rand = createRng(opts?.seed ?? 0);
  const scale = opts?.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`${fn}: scale must be a finite number > 0, got ${describeValue(scale)}`);
  let data: Float32Array;
  try {
    data = new Float32Array(rows * cols);
  } catch (e) {
    throw new RangeError(`${fn}: cannot allocate ${rows} × ${cols} = ${rows * cols} float32 values (${e instanceof Error ? e.message : String(e)})`);
  }
  if (kind === 'gaussian' || kind === 'outlier-features') {
    for (let i = 0; i < data.length; i++) data[i] = normal(rand) * scale;
  } else if (kind === 'student-t') {
    const dof = opts?.dof ?? 3;
    if (!Number.isSafeInteger(dof) || dof < 1 || dof > 1000) throw new RangeError(`${fn}: dof must be an integer in [1, 1000], got ${describeValue(dof)}`);
    for (let i = 0; i < data.length; i++) {
      let chi = 0;
      for (let d = 0; d < dof; d++) { const z = normal(rand); chi += z * z; }
      data[i] = (normal(rand) / Math.sqrt(chi / dof)) * scale;
    }
  } else {
    throw new RangeError(`${fn}: kind must be 'gaussian', 'student-t' or 'outlier-features', got ${describeValue(kind)}`);
  }
  if (kind === 'outlier-features' && cols > 0) {
    const count = opts?.outlierCols ?? Math.max(1, Math.round(cols / 256));
    if (!Number.isSafeInteger(count) || count < 0 || count > cols) throw new RangeError(`${fn}: outlierCols must be an integer in [0, ${cols}], got ${describeValue(count)}`);
    const [lo, hi] = opts?.magnitude ?? [20, 60];
    if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) throw new RangeError(`${fn}: magnitude must be [lo, hi] with 0 < lo <= hi, got ${describeValue(opts?.magnitude)}`);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(Math.floor(rand() * cols));
    for (const c of chosen) {
      const mag = lo + (hi - lo) * rand();
      const sign = rand() < 0.5 ? -1 : 1;
      for (let r = 0; r < rows; r++) data[r * cols + c] = sign * mag * (0.75 + 0.25 * rand());
    }
  }
  return { rows, cols, data };
}

function fmt(v: number, digits: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isNaN(v)) return 'NaN';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return v.toFixed(digits);
}

/**
 * Formats table rows (of {@link linearErrorTable} or {@link quantErrorTable}) as a GitHub markdown table
 * with the given columns (default: every scalar field). Numbers are printed with 3 significant decimals
 * (exponent notation below 1e-3), ±Infinity as inf.
 *
 * @example
 * ```ts
 * formatErrorTable([{ method: 'nf4', sqnrDb: 20.1 }]);
 * // '| method | sqnrDb |\n| --- | ---: |\n| nf4 | 20.100 |'
 * ```
 */
export function formatErrorTable(rows: readonly object[], columns?: readonly string[]): string {
  if (!Array.isArray(rows)) throw new TypeError(`formatErrorTable: rows must be an array, got ${describeValue(rows)}`);
  if (columns !== undefined && (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string'))) {
    throw new TypeError(`formatErrorTable: columns must be an array of field names, got ${describeValue(columns)}`);
  }
  if (rows.length === 0) return '';
  const first = rows[0] as Record<string, unknown>;
  const cols = columns ?? Object.keys(first).filter((key) => ['string', 'number'].includes(typeof first[key]));
  const numeric = cols.map((c) => typeof first[c] === 'number');
  const head = `| ${cols.join(' | ')} |`;
  const sep = `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
  const body = rows.map((r) => {
    const rec = r as Record<string, unknown>;
    return `| ${cols.map((c) => {
      const v = rec[c];
      return typeof v === 'number' ? (Number.isInteger(v) && Math.abs(v) < 1e9 ? String(v) : fmt(v, 3)) : String(v);
    }).join(' | ')} |`;
  });
  return [head, sep, ...body].join('\n');
}
