// The verdict of a cast analysis ('safe' | 'lossy' | 'underflow-risk' | 'overflow-risk') and the
// sentences that justify it, from the counts and statistics against thresholds that are options with
// documented defaults. Precedence: overflow-risk > underflow-risk > lossy > safe; every condition that
// is met adds its sentence, so the reasons also tell about the lesser problems.
import { describeValue } from '../core/describe.js';
import { finfo } from '../formats/finfo.js';
import type { FloatFormat } from '../formats/spec.js';
import type { CastAnalysis, CastVerdict, VerdictThresholds } from './castTypes.js';
import { fmtCount, fmtFixed, fmtLog2, fmtPercent, fmtValue, plural } from './text.js';

export type { CastVerdict, VerdictThresholds } from './castTypes.js';

/** The verdicts from best to worst: the order compareFormats ranks by and a report's summary takes the worst of. */
export const VERDICT_ORDER: readonly CastVerdict[] = Object.freeze(['safe', 'lossy', 'underflow-risk', 'overflow-risk']);

/**
 * The defaults of {@link VerdictThresholds}.
 *
 * @example
 * ```ts
 * DEFAULT_VERDICT_THRESHOLDS.minSqnrDb; // 40
 * ```
 */
export const DEFAULT_VERDICT_THRESHOLDS: Readonly<Required<VerdictThresholds>> = Object.freeze({
  maxOverflowFraction: 0,
  minHeadroomBits: 0,
  maxFlushedFraction: 1e-4,
  maxSubnormalFraction: 0.01,
  minSqnrDb: 40,
});

/** Validates thresholds and fills in the defaults. */
export function resolveThresholds(t: VerdictThresholds | undefined, fn: string): Required<VerdictThresholds> {
  if (t === undefined) return { ...DEFAULT_VERDICT_THRESHOLDS };
  if (t === null || typeof t !== 'object') throw new TypeError(`${fn}: thresholds must be an object, got ${describeValue(t)}`);
  const out = { ...DEFAULT_VERDICT_THRESHOLDS } as Required<VerdictThresholds>;
  for (const key of Object.keys(DEFAULT_VERDICT_THRESHOLDS) as (keyof VerdictThresholds)[]) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${fn}: thresholds.${key} must be a number, got ${describeValue(v)}`);
    if (key.endsWith('Fraction') && !(v >= 0 && v <= 1)) throw new RangeError(`${fn}: thresholds.${key} must be in [0, 1], got ${v}`);
    out[key] = v;
  }
  return out;
}

/** Computes the verdict and its reasons from the counts, range, error statistics and options of an analysis. */
export function computeVerdict(a: Pick<CastAnalysis, 'counts' | 'range' | 'error' | 'options'>, f: FloatFormat, t: Required<VerdictThresholds>): { verdict: CastVerdict; reasons: string[] } {
  const { counts: c, range: r, error: e } = a;
  const fi = finfo(f);
  const name = f.name;
  const nz = c.nonzeroFinite;
  const of = c.zeros > 0 || c.nanInputs > 0 || c.infInputs > 0 ? `of ${fmtCount(nz)} finite nonzero values` : `of ${fmtCount(nz)} values`;
  const frac = (k: number) => (nz === 0 ? 0 : k / nz);
  const reasons: string[] = [];
  let overflowRisk = false, underflowRisk = false, lossy = false;

  if (c.overflowed > 0) {
    const becomes = a.options.overflow === 'saturate' ? `are saturated to ±${fmtValue(f.max)}` : a.options.overflow === 'nan' ? 'become NaN' : 'become ±inf';
    const over = frac(c.overflowed) > t.maxOverflowFraction;
    overflowRisk ||= over;
    reasons.push(`${fmtCount(c.overflowed)} ${of} (${fmtPercent(frac(c.overflowed))}) overflow ${name} and ${becomes}; the largest |x| is ${fmtValue(r.maxAbs)}, ${fmtLog2(r.maxAbs)}, above ${name}'s max ${fmtValue(f.max)}` +
      (over ? '' : ` (tolerated: at most ${fmtPercent(t.maxOverflowFraction)} may overflow)`) + '.');
  } else if (nz > 0 && r.headroomBits < t.minHeadroomBits) {
    overflowRisk = true;
    reasons.push(`Nothing overflows, but the largest |x| is ${fmtValue(r.maxAbs)}, ${fmtLog2(r.maxAbs)}, only ${fmtFixed(r.headroomBits, 2)} bits below ${name}'s max ${fmtValue(f.max)} (the threshold asks for ${t.minHeadroomBits} bits of headroom).`);
  }

  if (c.flushedToZero > 0) {
    const under = frac(c.flushedToZero) > t.maxFlushedFraction;
    underflowRisk ||= under;
    reasons.push(`${fmtCount(c.flushedToZero)} ${of} (${fmtPercent(frac(c.flushedToZero))}) flush to zero in ${name}; the smallest nonzero |x| is ${fmtValue(r.minAbsNonzero)}, ${fmtLog2(r.minAbsNonzero)}, ` +
      (r.minAbsNonzero < fi.smallestSubnormal ? `below ${name}'s smallest subnormal ${fmtValue(fi.smallestSubnormal)}` : `and ${name} flushes subnormal results`) +
      (under ? '' : ` (within the tolerated ${fmtPercent(t.maxFlushedFraction)})`) + '.');
  }
  if (c.becameSubnormal > 0) {
    const under = frac(c.becameSubnormal) > t.maxSubnormalFraction;
    underflowRisk ||= under;
    reasons.push(`${fmtCount(c.becameSubnormal)} ${of} (${fmtPercent(frac(c.becameSubnormal))}) become ${name} subnormals (below ${fmtValue(fi.smallestNormal)}, ${fmtLog2(fi.smallestNormal)}) and keep fewer than ${f.mantissaBits + 1} significant bits` +
      (under ? '' : ` (within the tolerated ${fmtPercent(t.maxSubnormalFraction)})`) + '.');
  }

  if (nz > 0 && e.sqnrDb < t.minSqnrDb) {
    lossy = true;
    reasons.push(`SQNR is ${fmtFixed(e.sqnrDb)} dB, below the ${fmtFixed(t.minSqnrDb)} dB threshold; the largest relative error is ${fmtPercent(e.maxRelError)} (mean ${fmtPercent(e.meanRelError)}).`);
  }

  if (c.invalid > 0) {
    reasons.push(`${plural(c.invalid, 'negative value')} cannot be represented in the unsigned ${name} and become NaN.`);
  }
  if (c.nanInputs > 0 || c.infInputs > 0) {
    const parts: string[] = [];
    if (c.nanInputs > 0) parts.push(`${plural(c.nanInputs, 'input is', 'inputs are')} NaN`);
    if (c.infInputs > 0) parts.push(`${plural(c.infInputs, 'input is', 'inputs are')} ±inf`);
    reasons.push(`${parts.join(' and ')} already, before the cast; they are counted apart.`);
  }

  let verdict: CastVerdict;
  if (overflowRisk) verdict = 'overflow-risk';
  else if (underflowRisk) verdict = 'underflow-risk';
  else if (lossy) verdict = 'lossy';
  else verdict = 'safe';

  if (verdict === 'safe' || (verdict === 'lossy' && c.overflowed === 0 && c.flushedToZero === 0)) {
    const range = nz === 0
      ? `All ${fmtCount(c.total)} values are zero or non-finite; nothing to lose`
      : `All ${fmtCount(nz)} nonzero values fit ${name}'s range (|x| from ${fmtValue(r.minAbsNonzero)} to ${fmtValue(r.maxAbs)}, ${fmtFixed(r.headroomBits)} bits of headroom): none overflow or flush to zero`;
    const prec = nz === 0 ? '' : `; SQNR ${fmtFixed(e.sqnrDb)} dB, largest relative error ${fmtPercent(e.maxRelError)}`;
    reasons.unshift(range + prec + '.');
  }
  return { verdict, reasons };
}
