// Rounding a float32 tensor to a lower-precision format inside an ONNX graph, for emulated runs: a Cast
// pair (to fp16 or bf16 and back) where onnxruntime has the type, else a small arithmetic subgraph that
// rounds to any signed lowp format with subnormals (fp8 e4m3fn/e5m2 and their fnuz variants, fp6, fp4)
// with nothing but opset-11 operators: the binade exponent e = max(floor(log2|x|), emin) (log2's ±1
// errors near powers of two corrected by comparing |x| with 2^e), the quantum q = 2^(e − m), the value
// round(x / q)·q (Round is round-half-to-even; x / q and ·q are exact power-of-two scalings), then the
// format's overflow policy beyond max (±inf, NaN, or ±max) and its rules for non-finite inputs. The
// result equals lowp/formats' round(x, format) for every float32 x (tests compare them).
import { resolveCastOptions } from '../formats/options.js';
import type { FloatFormat, OverflowPolicy } from '../formats/spec.js';
import { ONNX_DATA_TYPES as T } from '../io/onnx/model.js';
import type { OnnxNodeInit, OnnxTensorInit } from '../io/onnx/writer.js';
import { TraceError } from './errors.js';

/**
 * How an emulated run rounds each value: `'cast'` (a Cast pair through the ONNX type) or
 * `'arithmetic'` (the rounding subgraph).
 *
 * @example
 * ```ts
 * const m: EmulationMethod = 'cast';
 * ```
 */
export type EmulationMethod = 'cast' | 'arithmetic';

/** The plan for one target format: method, the ONNX type of a Cast, and the overflow policy. */
export interface EmulationPlan {
  /** The format. */
  format: FloatFormat;
  /** How values are rounded. */
  method: EmulationMethod;
  /** For `'cast'`: the ONNX type cast through (10 or 16). */
  castType: number;
  /** What overflow gives (the format's default unless the caller chose). */
  overflow: OverflowPolicy;
}

/**
 * How an emulated run rounds to `format` in a model importing ONNX opset `opset`: Cast for fp16 (and
 * bf16 from opset 13) with the IEEE overflow to infinity, arithmetic for the others (and whenever a
 * non-default overflow policy is asked for). Throws `FORMAT` for a format it cannot emulate.
 */
export function emulationPlan(format: FloatFormat, opset: number, overflow?: OverflowPolicy): EmulationPlan {
  if (!format.signed || !format.subnormals) {
    throw new TraceError('FORMAT', `expected a signed target format with subnormals to emulate (fp16, bf16, fp8-e4m3fn, fp8-e5m2, ...), got ${format.name}`);
  }
  const policy = overflowPolicy(format, overflow);
  const ieee = policy === 'inf';
  if (format.name === 'fp16' && ieee) return { format, method: 'cast', castType: T.FLOAT16, overflow: policy };
  if (format.name === 'bf16' && ieee && opset >= 13) return { format, method: 'cast', castType: T.BFLOAT16, overflow: policy };
  if (opset < 11) throw new TraceError('FORMAT', `expected a model of ONNX opset 11 or later to emulate ${format.name} (Round), got opset ${opset}`);
  return { format, method: 'arithmetic', castType: 0, overflow: policy };
}

/**
 * The overflow policy of a trace's casts to `format`: `overflow`, else the format's default. Throws
 * `FORMAT` for a policy the format cannot have ('inf' for a format without infinity...).
 */
export function overflowPolicy(format: FloatFormat, overflow: OverflowPolicy | undefined): OverflowPolicy {
  try {
    return resolveCastOptions(format, overflow === undefined ? {} : { overflow }).overflow;
  } catch (e) {
    throw new TraceError('FORMAT', (e as Error).message);
  }
}

/** The scalar constants the arithmetic subgraph reads, as initializers named with `prefix`. */
export function roundingConstants(plan: EmulationPlan, prefix: string): { names: Record<string, string>; initializers: OnnxTensorInit[] } {
  const f = plan.format;
  const values: Record<string, number> = {
    invLn2: 1 / Math.LN2,
    emin: f.minNormalExponent,
    m: f.mantissaBits,
    two: 2,
    max: f.max,
    over: plan.overflow === 'inf' ? Infinity : plan.overflow === 'nan' ? NaN : f.max,
    nanIn: f.nan === 'none' ? 0 : NaN,
    infIn: f.infinity ? Infinity : plan.overflow === 'saturate' ? f.max : NaN,
  };
  const names: Record<string, string> = {};
  const initializers: OnnxTensorInit[] = [];
  for (const [k, v] of Object.entries(values)) {
    names[k] = `${prefix}${k}`;
    initializers.push({ name: names[k], dataType: T.FLOAT, dims: [], raw: new Uint8Array(new Float32Array([v]).buffer) });
  }
  return { names, initializers };
}

/**
 * The nodes that round float32 `x` to the plan's format into `out` (arithmetic method), naming their
 * intermediate values `${tmp}.<step>`.
 */
export function roundingNodes(x: string, out: string, tmp: string, c: Record<string, string>): OnnxNodeInit[] {
  const t = (s: string): string => `${tmp}.${s}`;
  const n = (opType: string, inputs: string[], output: string, attributes?: OnnxNodeInit['attributes']): OnnxNodeInit => ({ opType, inputs, outputs: [output], attributes, name: output });
  return [
    n('Abs', [x], t('a')),
    n('Log', [t('a')], t('l')),
    n('Mul', [t('l'), c.invLn2], t('l2')),
    n('Floor', [t('l2')], t('e0')),
    n('Max', [t('e0'), c.emin], t('e1')),
    // log2 may be off by one near powers of two: compare |x| with 2^e and 2^(e+1)
    n('Pow', [c.two, t('e1')], t('p')),
    n('Less', [t('a'), t('p')], t('lo')),
    n('Cast', [t('lo')], t('lof'), [{ name: 'to', i: T.FLOAT }]),
    n('Sub', [t('e1'), t('lof')], t('e2a')),
    n('Max', [t('e2a'), c.emin], t('e2')),
    n('Pow', [c.two, t('e2')], t('p2')),
    n('Mul', [t('p2'), c.two], t('p2x2')),
    n('GreaterOrEqual', [t('a'), t('p2x2')], t('hi')),
    n('Cast', [t('hi')], t('hif'), [{ name: 'to', i: T.FLOAT }]),
    n('Add', [t('e2'), t('hif')], t('e')),
    // the quantum of the binade, and the value rounded to a multiple of it (half to even)
    n('Sub', [t('e'), c.m], t('qe')),
    n('Pow', [c.two, t('qe')], t('q')),
    n('Div', [x, t('q')], t('xq')),
    n('Round', [t('xq')], t('rq')),
    n('Mul', [t('rq'), t('q')], t('r')),
    // beyond max: the overflow policy (±inf, NaN or ±max), with the input's sign
    n('Abs', [t('r')], t('ar')),
    n('Greater', [t('ar'), c.max], t('ov')),
    n('Sign', [x], t('s')),
    n('Mul', [t('s'), c.over], t('ovv')),
    n('Where', [t('ov'), t('ovv'), t('r')], t('r2')),
    // non-finite inputs: NaN stays NaN (0 in formats without NaN), ±inf per the format
    n('IsNaN', [x], t('isnan')),
    n('IsInf', [x], t('isinf')),
    n('Mul', [t('s'), c.infIn], t('infv')),
    n('Where', [t('isinf'), t('infv'), t('r2')], t('r3')),
    n('Where', [t('isnan'), c.nanIn, t('r3')], out),
  ];
}
