// Accumulation risk: what happens when a running sum (sum, sum of squares, dot product) is kept in a
// low-precision accumulator — where it overflows, where it stalls (acc + term == acc: 4096 ones summed
// in bf16 give 256) and how far the result ends up from the exact sum.
//
// Model: acc_0 = 0, acc_i = round(acc_{i−1} + term_i) in the accumulator format, rounded once per step
// (nearest-even by default). Each term (x, x², x·y) is computed in float64 — exact for float32 inputs
// (24-bit significands give at most 48-bit products). The step's exact sum is formed with TwoSum and
// rounded to odd in float64, then to the accumulator format: a correct single rounding (round-to-odd
// with 53 ≥ p + 2 bits, Boldo & Melquiond). Reference: Neumaier's compensated float64 sum of the terms.
import { describeValue } from '../core/describe.js';
import { decodeGeneric, encodeGeneric } from '../formats/codec.js';
import { resolveCastOptions, type CastOptions } from '../formats/options.js';
import { FP32, getFormat, type FormatLike } from '../formats/registry.js';
import { readValue, requireNonEmpty, resolveValues, type ValuesInput } from './input.js';
import { fmtCount, fmtPercent, fmtValue } from './text.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * The reduction: Σx, Σx² or Σx·y.
 *
 * @example
 * ```ts
 * accumulationRisk(x, { op: 'sumsq', accumulate: 'fp16' });
 * ```
 */
export type AccumulationOp = 'sum' | 'sumsq' | 'dot';

/**
 * Options of {@link accumulationRisk}.
 *
 * @example
 * ```ts
 * accumulationRisk(a, { op: 'dot', other: b, accumulate: 'bf16' });
 * ```
 */
export interface AccumulationOptions extends CastOptions {
  /** The reduction; default `'sum'`. */
  op?: AccumulationOp;
  /** The accumulator's format; default `'fp16'`. Any format of lowp/formats, e.g. 'bf16', 'fp32'. */
  accumulate?: FormatLike;
  /** The second operand of `'dot'` (same length as `values`). */
  other?: ValuesInput;
}

/**
 * The result of {@link accumulationRisk}.
 *
 * @example
 * ```ts
 * accumulationRisk(new Float32Array(4096).fill(1), { accumulate: 'bf16' }).stalledTerms; // 3840
 * ```
 */
export interface AccumulationRisk {
  /** The reduction. */
  op: AccumulationOp;
  /** The accumulator format. */
  accumulate: string;
  /** Number of terms. */
  n: number;
  /** The sum as the low-precision accumulator computes it. */
  result: number;
  /** The compensated float64 sum of the same terms. */
  reference: number;
  /** |result − reference| (Infinity after overflow). */
  absError: number;
  /** absError / |reference| (Infinity when the reference is 0 and the result is not; 0 when both are 0). */
  relError: number;
  /** Index of the first nonzero term that left the accumulator unchanged (acc + term == acc), or null. */
  firstStallIndex: number | null;
  /** The accumulator's value at the first stall, or null. */
  stallValue: number | null;
  /** Number of nonzero terms absorbed entirely. */
  stalledTerms: number;
  /** Index at which the running sum first became ±inf or NaN while the reference was finite, or null. */
  firstOverflowIndex: number | null;
  /** Largest finite |accumulator| reached. */
  maxAbsPartial: number;
  /** Sentences with numbers. */
  reasons: string[];
}

/**
 * Simulates a running sum in a low-precision accumulator and reports where it overflows or stalls and
 * how far its result is from the exact sum (see the header of accumulationRisk.ts for the exact model).
 *
 * @param values - the terms (or the first operand of a dot product).
 * @param opts - `op` ('sum' | 'sumsq' | 'dot', default 'sum'), `accumulate` (default 'fp16'), `other` for 'dot', cast options.
 * @example
 * ```ts
 * const r = accumulationRisk(new Float32Array(4096).fill(1), { accumulate: 'bf16' });
 * r.result;          // 256
 * r.reference;       // 4096
 * r.firstStallIndex; // 256
 * ```
 */
export function accumulationRisk(values: ValuesInput, opts?: AccumulationOptions): AccumulationRisk {
  const fn = 'accumulationRisk';
  const src = resolveValues(values, fn);
  requireNonEmpty(src, fn);
  checkOptionsObject(opts, fn);
  const op = opts?.op ?? 'sum';
  if (op !== 'sum' && op !== 'sumsq' && op !== 'dot') throw new RangeError(`${fn}: op must be 'sum', 'sumsq' or 'dot', got ${describeValue(op)}`);
  const f = getFormat(opts?.accumulate ?? 'fp16');
  const o = resolveCastOptions(f, opts);
  let other: ReturnType<typeof resolveValues> | null = null;
  if (op === 'dot') {
    if (opts?.other === undefined) throw new TypeError(`${fn}: op 'dot' needs options.other, the second operand`);
    other = resolveValues(opts.other, fn, 'other');
    if (other.length !== src.length) throw new RangeError(`${fn}: other has ${other.length} elements, values ${src.length}; expected the same length`);
  } else if (opts?.other !== undefined) {
    throw new TypeError(`${fn}: options.other is only used with op 'dot', got op '${op}'`);
  }
  const fastF32 = f === FP32 && o.rounding === 'nearest-even' && o.overflow === 'inf' && !o.flushSubnormals;
  const buf = new Float64Array(1);
  const u = new Uint32Array(buf.buffer);
  const lowWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // little-endian: low word first
  const highWord = 1 - lowWord;
  const roundOdd = (s: number, e: number): number => {
    if (e === 0 || s - s !== 0) return s;
    buf[0] = s;
    if ((u[lowWord] & 1) === 1) return s;
    // move one double ulp toward the exact value s + e
    const up = (e > 0) === (s > 0);
    if (up) u[lowWord] = u[lowWord] + 1;
    else if (u[lowWord] === 0) { u[lowWord] = 0xffffffff; u[highWord] = u[highWord] - 1; } else u[lowWord] = u[lowWord] - 1;
    return buf[0];
  };
  const roundTo = (v: number): number => (fastF32 ? Math.fround(v) : decodeGeneric(encodeGeneric(v, f, o), f));
  let acc = 0;
  let refS = 0, refC = 0; // Neumaier
  let firstStall: number | null = null, stallValue: number | null = null, stalled = 0;
  let firstOverflow: number | null = null;
  let maxAbsPartial = 0;
  let nonFiniteTerm = -1;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const x = readValue(src, i, fn);
    const t = op === 'sum' ? x : op === 'sumsq' ? x * x : x * readValue(other!, i, fn);
    if (t - t !== 0 && nonFiniteTerm < 0) nonFiniteTerm = i;
    // reference
    const rs = refS + t;
    if (Math.abs(refS) >= Math.abs(t)) refC += (refS - rs) + t;
    else refC += (t - rs) + refS;
    refS = rs;
    if (acc - acc !== 0) continue; // already inf/NaN
    const s = acc + t;
    let e = 0;
    if (s - s === 0) {
      const bb = s - acc;
      e = (acc - (s - bb)) + (t - bb);
    }
    const next = roundTo(roundOdd(s, e));
    if (next - next !== 0) {
      if (firstOverflow === null && t - t === 0 && (refS + refC) - (refS + refC) === 0) firstOverflow = i;
    } else {
      if (t !== 0 && next === acc) {
        stalled++;
        if (firstStall === null) { firstStall = i; stallValue = acc; }
      }
      const an = Math.abs(next);
      if (an > maxAbsPartial) maxAbsPartial = an;
    }
    acc = next;
  }
  const reference = refS + refC;
  const absError = acc === reference ? 0 : Math.abs(acc - reference);
  const relError = absError === 0 ? 0 : reference === 0 ? Infinity : absError / Math.abs(reference);
  const what = op === 'sum' ? 'Summing' : op === 'sumsq' ? 'Summing the squares of' : 'The dot product of';
  const reasons: string[] = [];
  if (firstOverflow !== null) {
    reasons.push(`${what} ${fmtCount(n)} values in a ${f.name} accumulator overflows at index ${fmtCount(firstOverflow)} (max ${fmtValue(f.max)}); from there the result is ${fmtValue(acc)} while the float64 reference is ${fmtValue(reference)}.`);
  }
  if (firstStall !== null) {
    reasons.push(`${what} ${fmtCount(n)} values in ${f.name} stalls first at index ${fmtCount(firstStall)} (accumulator ${fmtValue(stallValue as number)}${stallValue === 0 ? `: the term itself rounds to 0 in ${f.name}` : ''}): ${fmtCount(stalled)} of ${fmtCount(n)} terms (${fmtPercent(stalled / n)}) are absorbed entirely (acc + term == acc).`);
  }
  if (nonFiniteTerm >= 0) reasons.push(`The terms contain inf or NaN (first at index ${fmtCount(nonFiniteTerm)}): the sum is not finite in any precision.`);
  reasons.push(`Result ${fmtValue(acc)} vs the float64 reference ${fmtValue(reference)} (compensated sum): off by ${fmtValue(absError)} (${fmtPercent(relError)}).`);
  return {
    op, accumulate: f.name, n, result: acc, reference, absError, relError,
    firstStallIndex: firstStall, stallValue, stalledTerms: stalled, firstOverflowIndex: firstOverflow, maxAbsPartial, reasons,
  };
}
