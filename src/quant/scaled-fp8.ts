// Scaled fp8 quantization as fp8 training and serving recipes do it (Transformer Engine's delayed/current
// scaling, torchao float8, torch._scaled_mm inputs): one float32 scale per tensor or per row,
// scale = amax / (the format's max), codes = fp8(x / scale) with saturation, x ≈ decode(code) · scale.
// lowp rounds the EXACT quotient x / scale once (no intermediate float32 rounding), so the code is the
// correctly rounded nearest fp8 value of x / scale. Reference twin: tests/quant/scaled-fp8.test.ts compares
// every code with a brute-force nearest search over all 256 fp8 values in exact BigInt arithmetic.
import { describeValue } from '../core/describe.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { resolveCastOptions, type ResolvedCastOptions, type RoundingMode } from '../formats/options.js';
import { pow2 } from '../formats/pow2.js';
import { getFormat } from '../formats/registry.js';
import type { FloatFormat } from '../formats/spec.js';
import { rejectSharedOut } from './tensor-input.js';
import { checkOptionsObject } from '../core/options.js';

const f32 = Math.fround;
const F32_MAX = 3.4028234663852886e38;
const F32_MIN_SUBNORMAL = 1.401298464324817e-45;

/**
 * The fp8 formats scaled quantization supports.
 *
 * @example
 * ```ts
 * quantizeScaledFp8(grad, { format: 'fp8-e5m2' });
 * ```
 */
export type ScaledFp8Format = 'fp8-e4m3fn' | 'fp8-e5m2';

/**
 * Options of {@link quantizeScaledFp8}.
 *
 * @example
 * ```ts
 * quantizeScaledFp8(w, { granularity: 'row', rows: 64, cols: 256 });
 * ```
 */
export interface ScaledFp8Options {
  /** `'fp8-e4m3fn'` (default; forward pass, max 448) or `'fp8-e5m2'` (gradients, max 57344). */
  format?: ScaledFp8Format;
  /** One scale for the whole tensor (`'tensor'`, default) or one per row (`'row'`, needs rows/cols). */
  granularity?: 'tensor' | 'row';
  /** Number of rows (row-major data); with `cols`, rows · cols must equal the length. */
  rows?: number;
  /** Number of columns. */
  cols?: number;
  /** Rounding of x / scale: `'nearest-even'` (default), `'toward-zero'` or `'stochastic'`. */
  rounding?: RoundingMode;
  /** Random source for stochastic rounding (uniform in [0, 1)). */
  random?: () => number;
  /** Seed of the default stochastic-rounding generator. */
  seed?: number;
}

/**
 * Result of {@link quantizeScaledFp8}: plain data (typed arrays aside), JSON-friendly.
 *
 * @example
 * ```ts
 * const q: ScaledFp8Quantized = quantizeScaledFp8(new Float32Array([1, -448]));
 * q.scales[0]; // 1 (amax 448 / max 448)
 * q.codes;     // Uint8Array [0x38, 0xfe]
 * ```
 */
export interface ScaledFp8Quantized {
  /** Always `'scaled-fp8'`. */
  scheme: 'scaled-fp8';
  /** The fp8 format of the codes. */
  format: ScaledFp8Format;
  /** `'tensor'` (one scale) or `'row'` (one scale per row). */
  granularity: 'tensor' | 'row';
  /** Rows of the (row-major) data; 1 for a flat tensor. */
  rows: number;
  /** Columns; the length for a flat tensor. */
  cols: number;
  /** One fp8 code per value. */
  codes: Uint8Array;
  /** float32 scales (1 for 'tensor', `rows` for 'row'): x ≈ decode(code) · scale. */
  scales: Float32Array;
  /** The amax (largest finite |x|) each scale was derived from. */
  amax: Float64Array;
}

/**
 * The value sources the scaled and MX quantizers accept (non-finite values are handled per element).
 *
 * @example
 * ```ts
 * quantizeMx([0.5, 1, 2], { format: 'fp4-e2m1fn' }); // number[] works too
 * ```
 */
export type FloatValues = Float32Array | Float64Array | readonly number[];

/** @internal validates the source (finite or not: non-finite values are handled per element). */
export function checkValues(x: unknown, fn: string): ArrayLike<number> {
  if (x instanceof Float32Array || x instanceof Float64Array) return x;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== 'number') throw new TypeError(`${fn}: element ${i} must be a number, got ${describeValue(x[i])}`);
    }
    return x as readonly number[];
  }
  throw new TypeError(`${fn}: expected a Float32Array, Float64Array or number[], got ${describeValue(x)}`);
}

/** @internal resolves rows/cols against the length. */
export function resolveShape(n: number, rows: unknown, cols: unknown, needRows: boolean, fn: string): { rows: number; cols: number } {
  const chk = (v: unknown, name: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
      throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
    }
  };
  chk(rows, 'rows');
  chk(cols, 'cols');
  let r = rows as number | undefined;
  let c = cols as number | undefined;
  if (r === undefined && c === undefined) {
    if (needRows) throw new RangeError(`${fn}: granularity 'row' needs rows and/or cols (row-major data of ${n} values)`);
    return { rows: 1, cols: n };
  }
  if (r === undefined) {
    if (c === 0 ? n !== 0 : n % (c as number) !== 0) throw new RangeError(`${fn}: ${n} values do not split into rows of cols = ${c}`);
    r = c === 0 ? 0 : n / (c as number);
  } else if (c === undefined) {
    if (r === 0 ? n !== 0 : n % r !== 0) throw new RangeError(`${fn}: ${n} values do not split into rows = ${r} rows`);
    c = r === 0 ? 0 : n / r;
  }
  if ((r as number) * (c as number) !== n) throw new RangeError(`${fn}: rows × cols = ${r} × ${c} = ${(r as number) * (c as number)}, but the data has ${n} values`);
  return { rows: r as number, cols: c as number };
}

function checkFormat(format: unknown, fn: string): { name: ScaledFp8Format; f: FloatFormat } {
  const name = (format ?? 'fp8-e4m3fn') as ScaledFp8Format;
  if (name !== 'fp8-e4m3fn' && name !== 'fp8-e5m2') {
    throw new RangeError(`${fn}: format must be 'fp8-e4m3fn' or 'fp8-e5m2', got ${describeValue(format)}`);
  }
  return { name, f: getFormat(name) };
}

/**
 * The code of the exact quotient x / s rounded into `f` (s a positive float32, x any double). The
 * quotient is computed in float64, then any tie (or exact hit) it lands on is re-decided against the
 * exact product, so the result is the correctly rounded code of the real number x / s.
 */
function encodeQuotient(x: number, s: number, f: FloatFormat, o: ResolvedCastOptions): number {
  const q = x / s;
  const code = encodeGeneric(q, f, o);
  if (!Number.isFinite(q) || o.rounding === 'stochastic') return code;
  // a midpoint or an exact fp8 value has at most m + 2 significant bits, so it is a float32: most
  // quotients are not and need no second look
  if (f32(q) !== q) return code;
  const sign = q < 0 || Object.is(q, -0) ? f.signBit : 0;
  const mag = code - sign;
  if (mag < 0 || mag > f.maxMagnitudeCode) return code; // NaN/infinity codes: no tie to re-decide
  const a = Math.abs(q);
  const ax = Math.abs(x);
  const v = decodeGeneric(mag, f);
  if (o.rounding === 'toward-zero') {
    // q may have been rounded up onto v although x / s < v (v · s is exact: few bits times a float32)
    return v === a && mag > 0 && v * s > ax ? code - 1 : code;
  }
  // nearest-even: q may sit exactly on a midpoint although x / s does not
  const loMag = v <= a ? mag : mag - 1;
  if (loMag < 0) return code;
  const hiMag = loMag + 1;
  const lo = decodeGeneric(loMag, f);
  const hi = hiMag <= f.maxMagnitudeCode ? decodeGeneric(hiMag, f) : f.max + pow2(f.maxNormalExponent - f.mantissaBits);
  const mid = (lo + hi) / 2;
  if (a !== mid) return code;
  const prod = mid * s; // exact
  if (prod === ax) return code; // a true tie, already resolved to even
  const want = prod < ax ? hiMag : loMag;
  if (want > f.maxMagnitudeCode) return encodeGeneric(sign ? -4 * f.max : 4 * f.max, f, o); // overflow per policy
  return sign + want;
}

/**
 * Quantizes values to fp8 with a float32 scale per tensor or per row, as fp8 training/serving does:
 * amax = the largest finite |x| (of the tensor or row), scale = fl32(amax / max) (max = 448 for
 * e4m3fn, 57344 for e5m2), code = fp8(x / scale) rounded once from the exact quotient, saturating
 * at ±max. Dequantize with {@link dequantizeScaledFp8}.
 *
 * Edge cases: an all-zero (or all non-finite) tensor/row gets scale 1 and codes 0, so no NaN comes out
 * of a zero block; a scale that would underflow float32 is clamped to 2^-149; NaN inputs give the fp8
 * NaN code; ±Infinity gives ±Infinity in e5m2 and NaN in e4m3fn (which has no infinity) rather than
 * a made-up finite value; non-finite values never enter amax. A scale beyond the float32 range (only
 * possible for float64 inputs above ~1.5e41) is a RangeError. The input is never modified.
 *
 * @example
 * ```ts
 * const q = quantizeScaledFp8(new Float32Array([1, -2, 0.5, 4]));
 * q.scales;                 // Float32Array [0.008928571827709675] (4 / 448)
 * dequantizeScaledFp8(q);   // Float32Array [1, -2, 0.5, 4] (these happen to be exact)
 * const r = quantizeScaledFp8(new Float32Array([1, 2, 300, 600]), { granularity: 'row', rows: 2, cols: 2 });
 * r.scales.length;          // 2
 * ```
 */
export function quantizeScaledFp8(x: FloatValues, opts: ScaledFp8Options = {}): ScaledFp8Quantized {
  const fn = 'quantizeScaledFp8';
  checkOptionsObject(opts, fn);
  const v = checkValues(x, fn);
  const { name, f } = checkFormat(opts.format, fn);
  const granularity = opts.granularity ?? 'tensor';
  if (granularity !== 'tensor' && granularity !== 'row') throw new RangeError(`${fn}: granularity must be 'tensor' or 'row', got ${describeValue(granularity)}`);
  const n = v.length;
  const { rows, cols } = resolveShape(n, opts.rows, opts.cols, granularity === 'row', fn);
  const o = resolveCastOptions(f, { rounding: opts.rounding, random: opts.random, seed: opts.seed, overflow: 'saturate' });
  const groups = granularity === 'row' ? rows : 1;
  const per = granularity === 'row' ? cols : n;
  const scales = new Float32Array(groups);
  const amaxes = new Float64Array(groups);
  const codes = new Uint8Array(n);
  const nanCode = encodeGeneric(NaN, f, o);
  for (let g = 0; g < groups; g++) {
    const start = g * per;
    const end = start + per;
    let amax = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(v[i]);
      if (a > amax && a !== Infinity) amax = a;
    }
    let s = amax === 0 ? 1 : f32(amax / f.max);
    if (s === 0) s = F32_MIN_SUBNORMAL;
    if (!(s <= F32_MAX)) throw new RangeError(`${fn}: amax ${amax} gives a scale beyond the float32 range (amax / ${f.max} > 3.4e38)`);
    scales[g] = s;
    amaxes[g] = amax;
    for (let i = start; i < end; i++) {
      const xi = v[i];
      if (xi !== xi) codes[i] = nanCode;
      else if (xi === Infinity || xi === -Infinity) {
        codes[i] = f.infinity ? encodeGeneric(xi, f, o) : (xi < 0 ? f.signBit : 0) + f.nanCode;
      } else codes[i] = encodeQuotient(xi, s, f, o);
    }
  }
  return { scheme: 'scaled-fp8', format: name, granularity, rows, cols, codes, scales, amax: amaxes };
}

/**
 * Dequantizes the result of {@link quantizeScaledFp8}: value i = fl32(decode(code i) · scale of its
 * row/tensor) (the product is exact in float64 and rounded once). A malformed state (wrong lengths,
 * NaN, negative, zero or infinite scales), or an `opts.out` that is not a Float32Array of the right
 * length or shares memory with `q.codes`/`q.scales`, is a TypeError/RangeError.
 *
 * @example
 * ```ts
 * const y = dequantizeScaledFp8(quantizeScaledFp8(new Float32Array([0.1, 0.2, 0.3])));
 * // Float32Array [0.0964285..., 0.1928571..., 0.3000000...] (e4m3fn keeps 4 significant bits)
 * ```
 */
export function dequantizeScaledFp8(q: ScaledFp8Quantized, opts: { out?: Float32Array } = {}): Float32Array {
  const fn = 'dequantizeScaledFp8';
  checkOptionsObject(opts, fn, '{ out }');
  if (q === null || typeof q !== 'object' || q.scheme !== 'scaled-fp8') {
    throw new TypeError(`${fn}: expected the result of quantizeScaledFp8, got ${describeValue(q)}`);
  }
  const { f } = checkFormat(q.format, fn);
  if (q.granularity !== 'tensor' && q.granularity !== 'row') throw new RangeError(`${fn}: granularity must be 'tensor' or 'row', got ${describeValue(q.granularity)}`);
  if (!(q.codes instanceof Uint8Array)) throw new TypeError(`${fn}: codes must be a Uint8Array, got ${describeValue(q.codes)}`);
  const n = q.codes.length;
  const { rows, cols } = resolveShape(n, q.rows, q.cols, false, fn);
  const groups = q.granularity === 'row' ? rows : 1;
  const per = q.granularity === 'row' ? cols : n;
  if (!(q.scales instanceof Float32Array) || q.scales.length !== groups) {
    throw new RangeError(`${fn}: scales must be a Float32Array of ${groups} entries, got ${describeValue(q.scales)}`);
  }
  for (let g = 0; g < groups; g++) {
    const s = q.scales[g];
    if (!(s > 0 && s <= F32_MAX)) throw new RangeError(`${fn}: scales[${g}] is ${s}; scales must be positive and finite`);
  }
  let out = opts?.out;
  if (out === undefined) out = new Float32Array(n);
  else if (!(out instanceof Float32Array) || out.length !== n) throw new RangeError(`${fn}: out must be a Float32Array of ${n} elements, got ${describeValue(out)}`);
  else rejectSharedOut(out, fn, { 'q.codes': q.codes, 'q.scales': q.scales });
  const table = new Float64Array(256);
  for (let c = 0; c < 256; c++) table[c] = decodeGeneric(c, f);
  for (let g = 0; g < groups; g++) {
    const s = q.scales[g];
    const start = g * per;
    for (let i = start; i < start + per; i++) out[i] = f32(table[q.codes[i]] * s);
  }
  return out;
}
