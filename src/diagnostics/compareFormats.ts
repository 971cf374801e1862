// compareFormats: the same cast analysis for several candidate formats side by side, and a
// recommendation with its reason. Ranking: the verdict first (safe < lossy < underflow-risk <
// overflow-risk), then fewer bits, then the higher SQNR; the reason says why each other format lost.
import { describeValue } from '../core/describe.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { analyzeCast, type CastAnalysis, type CastAnalysisOptions } from './analyzeCast.js';
import { requireNonEmpty, resolveValues, type ValuesInput } from './input.js';
import { fmtCount, fmtFixed, fmtPercent, fmtValue, plural } from './text.js';
import { VERDICT_ORDER, type CastVerdict } from './verdict.js';

/**
 * The result of {@link compareFormats}.
 *
 * @example
 * ```ts
 * compareFormats(x, ['bf16', 'fp16']).ranking; // e.g. ['bf16', 'fp16']
 * ```
 */
export interface FormatComparison {
  /** One analysis per candidate, in the order given. */
  analyses: CastAnalysis[];
  /** The recommended format's name (the best-ranked candidate). */
  recommended: string;
  /** Why, in sentences with numbers, including why each other candidate ranks lower. */
  reason: string;
  /** Candidate names from best to worst. */
  ranking: string[];
}

const SEVERITY = Object.fromEntries(VERDICT_ORDER.map((v, i) => [v, i])) as Record<CastVerdict, number>;

function summary(a: CastAnalysis): string {
  const c = a.counts;
  const parts: string[] = [];
  if (c.overflowed > 0) parts.push(`${plural(c.overflowed, 'value')} ${c.overflowed === 1 ? 'overflows' : 'overflow'} (largest |x| ${fmtValue(a.range.maxAbs)} > max ${fmtValue(a.histogram.bands.max)})`);
  if (c.flushedToZero > 0) parts.push(`${fmtCount(c.flushedToZero)} (${fmtPercent(c.flushedToZero / Math.max(1, c.nonzeroFinite))}) flush to zero`);
  if (c.becameSubnormal > 0) parts.push(`${fmtCount(c.becameSubnormal)} become subnormal`);
  if (parts.length === 0) parts.push('nothing overflows or flushes');
  parts.push(`SQNR ${fmtFixed(a.error.sqnrDb)} dB${c.overflowed > 0 ? ' on the values in range' : ''}`);
  return parts.join(', ');
}

function whyWorse(loser: CastAnalysis, winner: CastAnalysis): string {
  if (SEVERITY[loser.verdict] > SEVERITY[winner.verdict]) {
    switch (loser.verdict) {
      case 'overflow-risk': return `${loser.format} overflows here (${summary(loser)})`;
      case 'underflow-risk': return `${loser.format} loses small values here (${summary(loser)})`;
      case 'lossy': return `${loser.format} keeps the range but loses precision (${summary(loser)})`;
      default: return `${loser.format}: ${summary(loser)}`;
    }
  }
  const lb = getFormat(loser.format).bits, wb = getFormat(winner.format).bits;
  if (lb > wb) return `${loser.format} is also ${loser.verdict} but takes ${lb} bits instead of ${wb}`;
  return `${loser.format} is also ${loser.verdict} but less precise (SQNR ${fmtFixed(loser.error.sqnrDb)} dB vs ${fmtFixed(winner.error.sqnrDb)} dB)`;
}

/**
 * Analyses the cast of `values` to each candidate format (see {@link analyzeCast}) and recommends one:
 * the best verdict wins (safe, then lossy, then underflow-risk, then overflow-risk); among equal
 * verdicts the narrower format, then the higher SQNR. The reason explains the choice with numbers.
 *
 * @param values - the data (Float32Array, Float64Array, number[] or `{ codes, format }`).
 * @param formats - at least one candidate, e.g. `['bf16', 'fp16']`.
 * @param opts - passed to every analysis.
 * @example
 * ```ts
 * const c = compareFormats(new Float32Array([1e5, 0.5, 3e-9]), ['bf16', 'fp16']);
 * c.recommended; // 'bf16'
 * c.reason;      // 'bf16 is recommended (safe: nothing overflows or flushes, SQNR 55.9 dB); fp16 overflows here (1 value overflows ...)'
 * ```
 */
export function compareFormats(values: ValuesInput, formats: readonly FormatLike[], opts?: CastAnalysisOptions): FormatComparison {
  requireNonEmpty(resolveValues(values, 'compareFormats'), 'compareFormats');
  if (!Array.isArray(formats) || formats.length === 0) {
    throw new TypeError(`compareFormats: formats must be a non-empty array of format names, got ${describeValue(formats)}`);
  }
  const fs = formats.map((f) => getFormat(f));
  const analyses = fs.map((f) => analyzeCast(values, f, opts));
  const order = analyses.map((a, i) => i).sort((i, j) => {
    const a = analyses[i], b = analyses[j];
    return (SEVERITY[a.verdict] - SEVERITY[b.verdict]) || (fs[i].bits - fs[j].bits) ||
      (b.error.sqnrDb === a.error.sqnrDb ? 0 : b.error.sqnrDb > a.error.sqnrDb ? 1 : -1) || (i - j);
  });
  const best = analyses[order[0]];
  const others = order.slice(1).map((i) => whyWorse(analyses[i], best));
  const reason = `${best.format} is recommended (${best.verdict}: ${summary(best)})` + (others.length > 0 ? `; ${others.join('; ')}.` : '.');
  return { analyses, recommended: best.format, reason, ranking: order.map((i) => analyses[i].format) };
}
