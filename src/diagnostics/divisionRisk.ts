// Divide-by-zero risk of a cast: denominators that are nonzero before the cast and zero (or subnormal)
// after it, and quotients that overflow once numerator and denominator are cast — the NaN/inf a later
// division produces. Also the smallest epsilon that survives a cast as a normal number.
import { describeValue } from '../core/describe.js';
import { finfo } from '../formats/finfo.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { resolveCastOptions, type CastOptions } from '../formats/options.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { readValue, requireNonEmpty, resolveValues, type ValuesInput } from './input.js';
import { fmtCount, fmtPercent, fmtValue } from './text.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * Options of {@link divisionRisk}.
 *
 * @example
 * ```ts
 * divisionRisk(d, 'fp16', { numerators: n, maxIndices: 10 });
 * ```
 */
export interface DivisionRiskOptions extends CastOptions {
  /** Numerators: an array of the denominators' length, or one number for all. Default: none (no quotient check). */
  numerators?: ValuesInput | number;
  /** At most this many indices per list; default 100. */
  maxIndices?: number;
}

/**
 * A count with the first indices where it happens.
 *
 * @example
 * ```ts
 * divisionRisk(new Float32Array([1e-9, 1]), 'fp16').becomeZero; // { count: 1, indices: [0] }
 * ```
 */
export interface IndexedCount {
  /** How many elements. */
  count: number;
  /** Their first indices (at most `maxIndices`). */
  indices: number[];
}

/**
 * The result of {@link divisionRisk}.
 *
 * @example
 * ```ts
 * divisionRisk(variances, 'fp16').reasons[0];
 * ```
 */
export interface DivisionRisk {
  /** Target format. */
  format: string;
  /** Number of denominators. */
  total: number;
  /** Denominators that are nonzero before and ±0 after the cast: x / d becomes ±inf or NaN. */
  becomeZero: IndexedCount;
  /** Denominators that are nonzero before and a nonzero subnormal after the cast (quotients lose precision and may overflow). */
  becomeSubnormal: IndexedCount;
  /** Denominators that were already zero before the cast (not a cast risk, reported apart). */
  alreadyZero: number;
  /**
   * With numerators: quotients finite in float64 before the cast whose cast version
   * round(round(n) / round(d)) is ±inf, NaN, or overflows the format (null without numerators).
   */
  quotientOverflow: IndexedCount | null;
  /** Sentences with numbers. */
  reasons: string[];
}

function checkMax(v: unknown): number {
  if (v === undefined) return 100;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`divisionRisk: maxIndices must be a non-negative integer, got ${describeValue(v)}`);
  return v;
}

/**
 * Finds the divisions a cast breaks: denominators that are nonzero before and zero (or subnormal) after
 * casting to `to`, and — given numerators — quotients that are finite before and overflow after
 * (computed as round(round(n) / round(d)) in the target format, as a division in that format would).
 *
 * @param denominators - the denominators (Float32Array, Float64Array, number[] or `{ codes, format }`).
 * @param to - target format.
 * @param opts - `numerators` (array or one number), `maxIndices` (default 100), cast options.
 * @example
 * ```ts
 * const r = divisionRisk(new Float32Array([1e-8, 0.5, 1e-6]), 'fp16', { numerators: 1 });
 * r.becomeZero;       // { count: 1, indices: [0] }
 * r.becomeSubnormal;  // { count: 1, indices: [2] }
 * r.quotientOverflow; // { count: 2, indices: [0, 2] } (1/0 = inf; 1/1e-6 = 1e6 > 65504)
 * ```
 */
export function divisionRisk(denominators: ValuesInput, to: FormatLike, opts?: DivisionRiskOptions): DivisionRisk {
  const src = resolveValues(denominators, 'divisionRisk', 'denominators');
  requireNonEmpty(src, 'divisionRisk', 'denominators');
  const f = getFormat(to);
  const fi = finfo(f);
  checkOptionsObject(opts, 'divisionRisk');
  const maxIdx = checkMax(opts?.maxIndices);
  let num: ((i: number) => number) | null = null;
  const nums = opts?.numerators;
  if (typeof nums === 'number') num = () => nums;
  else if (nums !== undefined) {
    const ns = resolveValues(nums, 'divisionRisk', 'numerators');
    if (ns.length !== src.length) throw new RangeError(`divisionRisk: numerators has ${ns.length} elements, denominators ${src.length}; expected the same length (or one number)`);
    num = (i) => readValue(ns, i, 'divisionRisk');
  }
  const zero: IndexedCount = { count: 0, indices: [] };
  const sub: IndexedCount = { count: 0, indices: [] };
  const q: IndexedCount | null = num ? { count: 0, indices: [] } : null;
  let alreadyZero = 0;
  const push = (c: IndexedCount, i: number) => { c.count++; if (c.indices.length < maxIdx) c.indices.push(i); };
  // options resolved once: one random stream for all the casts of a stochastic rounding (with `seed`)
  const o = resolveCastOptions(f, opts);
  const round = (x: number) => decodeGeneric(encodeGeneric(x, f, o), f);
  for (let i = 0; i < src.length; i++) {
    const d = readValue(src, i, 'divisionRisk');
    if (d === 0) alreadyZero++;
    const rd = round(d);
    if (d !== 0 && Number.isFinite(d)) {
      if (rd === 0) push(zero, i);
      else if (f.subnormals && Math.abs(rd) < fi.smallestNormal) push(sub, i);
    }
    if (num && q) {
      const n = num(i);
      const before = n / d;
      if (Number.isFinite(before)) {
        const rq = round(round(n) / rd);
        if (!Number.isFinite(rq) || (Math.abs(rq) === f.max && Math.abs(before) > f.max)) push(q, i);
      }
    }
  }
  const n = src.length;
  const reasons: string[] = [];
  if (zero.count > 0) reasons.push(`${fmtCount(zero.count)} of ${fmtCount(n)} denominators (${fmtPercent(zero.count / n)}) are nonzero but become 0 in ${f.name} (|d| at most ${fmtValue(fi.smallestSubnormal / 2)}): dividing by them gives ±inf or NaN.`);
  if (sub.count > 0) reasons.push(`${fmtCount(sub.count)} of ${fmtCount(n)} denominators (${fmtPercent(sub.count / n)}) become ${f.name} subnormals (below ${fmtValue(fi.smallestNormal)}): quotients lose precision and grow by up to ${fmtValue(1 / fi.smallestSubnormal)}×.`);
  if (q && q.count > 0) reasons.push(`${fmtCount(q.count)} quotients that are finite before the cast overflow ${f.name} after it (max ${fmtValue(f.max)}).`);
  if (alreadyZero > 0) reasons.push(`${fmtCount(alreadyZero)} denominators are zero already before the cast.`);
  if (reasons.length === 0) reasons.push(`No denominator becomes zero or subnormal in ${f.name}${q ? ' and no quotient overflows' : ''}.`);
  return { format: f.name, total: n, becomeZero: zero, becomeSubnormal: sub, alreadyZero, quotientOverflow: q, reasons };
}

/**
 * The smallest epsilon that survives a cast to `to` as a normal number: the format's smallest positive
 * normal value 2^emin (fp16: 6.103515625e-5, bf16: 1.1754943508222875e-38, fp8-e4m3fn: 0.015625). It is
 * representable exactly, so it casts to itself; every smaller positive value becomes a subnormal (fewer
 * significant bits, so `x + eps` or `x / eps` lose precision) or 0 (a division by it gives inf/NaN).
 * Values a little below it (within half a subnormal step) round up to it, but are not themselves
 * "surviving": the answer is the smallest value the cast leaves unchanged and normal.
 *
 * @example
 * ```ts
 * safeEpsilon('fp16'); // 6.103515625e-5 (2^-14)
 * safeEpsilon('bf16'); // 1.1754943508222875e-38 (2^-126)
 * ```
 */
export function safeEpsilon(to: FormatLike): number {
  return finfo(to).smallestNormal;
}
