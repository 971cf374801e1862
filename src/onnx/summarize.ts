// What a trace keeps of one activation: lowp/diagnostics' cast analysis of its fp32 values against the
// target format (how many would overflow, flush to zero or become subnormal, the largest magnitude),
// its non-finite values, and, for an emulated run, the SQNR of the emulated values against the fp32
// ones, 10·log10(Σx² / Σ(x − y)²), or why there is none ('non-finite', 'exact', 'zero'). The values
// themselves are dropped as soon as they are summarised.
import { analyzeCast } from '../diagnostics/analyzeCast.js';
import type { ValuesInput } from '../diagnostics/input.js';
import { decodeArray } from '../formats/bulk.js';
import type { CastOptions } from '../formats/options.js';
import type { FloatFormat } from '../formats/spec.js';
import type { OrtTensorLike } from './runtime.js';
import type { TraceOutput } from './trace.js';

/**
 * The SQNR of an emulated output against the fp32 run: dB, or `'non-finite'` (either run has inf/NaN
 * there), `'exact'` (no difference), `'zero'` (the fp32 output is all zeros).
 *
 * @example
 * ```ts
 * const s: SqnrDb = 67.4;
 * ```
 */
export type SqnrDb = number | 'non-finite' | 'exact' | 'zero';

/** The figures of one fp32 output: the fields of a {@link TraceOutput} that its values decide. */
export type ValueSummary = Pick<TraceOutput, 'dtype' | 'shape' | 'elements' | 'maxAbs' | 'overflowed' | 'flushedToZero' | 'subnormal' | 'nan' | 'inf' | 'worstValue'>;

const Float16Ctor = (globalThis as { Float16Array?: new (a: ArrayLike<number>) => ArrayLike<number> }).Float16Array;

/** The values of a float tensor as an analysis input: float32/64 arrays as they are, float16 as codes. */
function valuesOf(t: OrtTensorLike): ValuesInput {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  if (d instanceof Uint16Array) return { codes: d, format: 'fp16' };
  if (Float16Ctor !== undefined && d instanceof Float16Ctor) return Float32Array.from(d as ArrayLike<number>);
  throw new TypeError(`expected float values, got a tensor of type ${t.type}`);
}

/** The values of a float tensor as numbers (float16 decoded). */
function numbersOf(t: OrtTensorLike): Float32Array | Float64Array {
  const v = valuesOf(t);
  if (v instanceof Float32Array || v instanceof Float64Array) return v;
  return decodeArray((v as { codes: Uint16Array }).codes, 'fp16');
}

/**
 * The figures of one output of the fp32 run against `format`.
 *
 * @example
 * ```ts
 * const s = summarizeValues(result['/emb/Gather_output_0'], getFormat('fp16'), {});
 * ```
 */
export function summarizeValues(t: OrtTensorLike, format: FloatFormat, cast: CastOptions): ValueSummary {
  const shape = [...t.dims];
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements === 0) {
    return { dtype: t.type, shape, elements, maxAbs: 0, overflowed: 0, flushedToZero: 0, subnormal: 0, nan: 0, inf: 0, worstValue: null };
  }
  const a = analyzeCast(valuesOf(t), format, { ...cast, topK: 1 });
  const c = a.counts;
  return {
    dtype: t.type,
    shape,
    elements,
    maxAbs: a.range.maxAbs,
    overflowed: c.overflowed,
    flushedToZero: c.flushedToZero,
    subnormal: c.becameSubnormal,
    nan: c.nanInputs,
    inf: c.infInputs,
    worstValue: a.worst.length > 0 ? a.worst[0].value : null,
  };
}

/** The comparison of an emulated output with the fp32 one. */
export interface EmulatedSummary {
  /** See {@link SqnrDb}. */
  sqnrDb: SqnrDb;
  /** NaN values in the emulated run. */
  nan: number;
  /** ±inf values in the emulated run. */
  inf: number;
}

/**
 * The SQNR of the emulated values `y` against the fp32 values `x` (same shape), in float64, and the
 * emulated run's non-finite counts.
 *
 * @example
 * ```ts
 * compareEmulated(fp32Tensor, emulatedTensor).sqnrDb; // 67.4
 * ```
 */
export function compareEmulated(x: OrtTensorLike, y: OrtTensorLike): EmulatedSummary {
  const a = numbersOf(x);
  const b = numbersOf(y);
  let signal = 0;
  let noise = 0;
  let nan = 0;
  let inf = 0;
  let refNonFinite = false;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const u = a[i];
    const v = b[i];
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
    if (u - u !== 0) refNonFinite = true;
    const e = u - v;
    signal += u * u;
    noise += e * e;
  }
  let sqnrDb: SqnrDb;
  if (nan > 0 || inf > 0 || refNonFinite || a.length !== b.length) sqnrDb = 'non-finite';
  else if (signal === 0) sqnrDb = 'zero';
  else if (noise === 0) sqnrDb = 'exact';
  else sqnrDb = 10 * Math.log10(signal / noise);
  return { sqnrDb, nan, inf };
}
