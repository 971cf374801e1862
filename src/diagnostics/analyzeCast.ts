// analyzeCast and createCastAnalyzer: what casting an array to a lower-precision format does to it —
// counts (exact, rounded, flushed to zero, subnormal, overflowed), range, error statistics (the
// definitions of src/quant/metrics.ts), a log2-magnitude histogram with the format's bands, the k worst
// elements and a verdict with reasons — in one pass with no copy, whole or streamed chunk by chunk
// (also straight from ggml blocks: CastAnalyzer.addGgml). The analysis is castAnalyzer.ts (its header
// says which path runs for which input, and the reference every path equals); the result types are
// castTypes.ts, re-exported here.
import type { FormatLike } from '../formats/registry.js';
import { Analyzer } from './castAnalyzer.js';
import type { CastAnalysis, CastAnalysisOptions, CastAnalyzer } from './castTypes.js';
import { requireNonEmpty, resolveValues, type ValuesInput } from './input.js';

export type { CastAnalysis, CastAnalysisOptions, CastAnalyzer, CastCounts, CastErrorStats, CastOptionsUsed, CastRange } from './castTypes.js';

/**
 * Creates a streaming cast analyzer for arrays too large to hold at once (a multi-GB tensor read chunk
 * by chunk): `add` each chunk, then `finish`. The result is the same as {@link analyzeCast} over the
 * concatenation (indices in the worst list are positions in the concatenation).
 *
 * @param to - target format (name or FloatFormat).
 * @param opts - cast options, `topK` (default 10) and verdict `thresholds`.
 * @example
 * ```ts
 * const an = createCastAnalyzer('bf16', { topK: 5 });
 * an.add(new Float32Array([1, 2, 3])).add(new Float32Array([1e-40]));
 * an.finish().counts.total; // 4
 * ```
 */
export function createCastAnalyzer(to: FormatLike, opts?: CastAnalysisOptions): CastAnalyzer {
  return new Analyzer(to, opts, 'createCastAnalyzer');
}

/**
 * Analyses what casting `values` to format `to` does, in one pass without copying the data: counts
 * (exact, rounded, flushed to zero, subnormal, overflowed, NaN/inf inputs), range (max and min
 * magnitude, headroom and footroom in bits), error statistics (max/mean absolute and relative error,
 * max ulp error, SQNR), a log2-magnitude histogram with the format's bands, the `topK` worst elements
 * (largest relative error; overflow counts as infinite, a flush to zero as 1) and a verdict with reasons.
 *
 * @param values - Float32Array, Float64Array, number[] or `{ codes, format }` (codes of another format).
 * @param to - target format, e.g. `'bf16'`, `'fp16'`, `'fp8-e4m3fn'`.
 * @param opts - cast options (rounding, overflow, flushSubnormals), `topK`, `thresholds`.
 * @throws RangeError for an empty input or an unknown format; TypeError for a wrong input type.
 * @example
 * ```ts
 * const a = analyzeCast(new Float32Array([1e-9, 0.1, 70000]), 'fp16');
 * a.counts.flushedToZero; // 1
 * a.counts.overflowed;    // 1
 * a.verdict;              // 'overflow-risk'
 * a.reasons[0];           // '1 of 3 values (33.3%) overflow fp16 and become ±inf; the largest |x| is 70000, ...'
 * ```
 */
export function analyzeCast(values: ValuesInput, to: FormatLike, opts?: CastAnalysisOptions): CastAnalysis {
  const src = resolveValues(values, 'analyzeCast');
  requireNonEmpty(src, 'analyzeCast');
  return new Analyzer(to, opts, 'analyzeCast').addSource(src).finish();
}
