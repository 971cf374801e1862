// The bridge between lowp/diagnostics and the CLI's tables and report: a streaming cast analyzer per
// tensor (createCastAnalyzer: add chunk by chunk, finish) and the constants check, and the few figures
// the table, the summary and the HTML histogram need, read from the diagnostics' results.
import { createCastAnalyzer, type CastAnalysis, type CastAnalyzer, type CastCounts } from '../diagnostics/analyzeCast.js';
import { checkConstants, WELL_KNOWN_CONSTANTS, type ConstantCheck } from '../diagnostics/constants.js';
import { VERDICT_ORDER, type CastVerdict } from '../diagnostics/verdict.js';

/** Verdicts of a cast (lowp/diagnostics' CastVerdict), worst last in {@link VERDICT_ORDER}. */
export type { CastVerdict };

/** Verdicts from best to worst (lowp/diagnostics' order). */
export { VERDICT_ORDER };

/** Severity rank of a verdict (0 safe … 3 overflow-risk). */
export function verdictRank(v: CastVerdict): number {
  return VERDICT_ORDER.indexOf(v);
}

/** The figures of one tensor's cast analysis that the CLI shows: the analyzer's counts, and the rest. */
export interface CastFigures extends CastCounts {
  maxAbs: number | null;
  minAbsNonzero: number | null;
  headroomBits: number | null;
  footroomBits: number | null;
  maxAbsError: number | null;
  maxRelError: number | null;
  meanRelError: number | null;
  sqnrDb: number | null;
  verdict: CastVerdict;
  reasons: string[];
  histogram: HistogramFigures | null;
}

/** A log2|x| histogram with the target format's bands, for the HTML report. */
export interface HistogramFigures {
  /** Lower edge (log2|x|) of each bin; bin i covers [edges[i], edges[i+1]). */
  edges: number[];
  /** Count per bin (edges.length − 1 bins). */
  counts: number[];
  /** Exact zeros (not in any bin). */
  zeros: number;
  /** log2 of the smallest positive value of the target (smallest subnormal, or smallest normal). */
  smallestLog2: number;
  /** log2 of the smallest normal number of the target. */
  normalLog2: number;
  /** log2 of the largest finite value of the target. */
  maxLog2: number;
}

/** One well-known constant checked against the target format. */
export interface ConstantFigures {
  name: string;
  value: number;
  castsTo: number;
  kind: string;
  suggestion: string | null;
}

/**
 * The streaming cast analyzer the CLI uses for one tensor: lowp/diagnostics' `createCastAnalyzer` with
 * the default cast policy and verdict thresholds, keeping the 5 worst elements.
 *
 * @param to - target format name
 * @returns an analyzer to feed chunks to
 * @example
 * ```ts
 * const a = createCliCastAnalyzer('fp16');
 * a.add(new Float32Array([1e-9, 1]));
 * castFigures(a.finish()).flushedToZero; // 1
 * ```
 */
export function createCliCastAnalyzer(to: string): CastAnalyzer {
  return createCastAnalyzer(to, { topK: 5 });
}

/** Reads the CLI's figures from a diagnostics {@link CastAnalysis}. */
export function castFigures(a: CastAnalysis): CastFigures {
  const c = a.counts;
  const nz = c.nonzeroFinite > 0;
  const h = a.histogram;
  let histogram: HistogramFigures | null = null;
  if (h.bins.length > 0) {
    const edges = h.bins.map((b) => b.exponent);
    edges.push(h.bins[h.bins.length - 1].exponent + 1);
    histogram = {
      edges,
      counts: h.bins.map((b) => b.count),
      zeros: h.zeros,
      smallestLog2: h.bands.underflowBelow + 1,
      normalLog2: h.bands.normalFrom,
      maxLog2: Math.log2(h.bands.max),
    };
  }
  return {
    ...c,
    maxAbs: nz ? a.range.maxAbs : null,
    minAbsNonzero: nz ? a.range.minAbsNonzero : null,
    headroomBits: nz ? a.range.headroomBits : null,
    footroomBits: nz ? a.range.footroomBits : null,
    maxAbsError: a.error.measured > 0 ? a.error.maxAbsError : null,
    maxRelError: nz ? a.error.maxRelError : null,
    meanRelError: nz ? a.error.meanRelError : null,
    sqnrDb: nz ? a.error.sqnrDb : null,
    verdict: a.verdict,
    reasons: [...a.reasons],
    histogram,
  };
}

/**
 * Checks the well-known constants (Adam eps, LayerNorm eps, mask fill values, ...) against `to`.
 *
 * @param to - target format name
 * @returns the diagnostics' result and one row per constant
 * @example
 * ```ts
 * checkWellKnownConstants('fp16').rows.find((r) => r.name === 'torch.optim.Adam.eps')!.kind; // 'flush-to-zero'
 * ```
 */
export function checkWellKnownConstants(to: string): { result: ConstantCheck[]; rows: ConstantFigures[] } {
  const result = checkConstants(WELL_KNOWN_CONSTANTS, to);
  const rows = result.map((c) => ({ name: c.name, value: c.value, castsTo: c.castsTo, kind: c.kind, suggestion: c.suggestion }));
  return { result, rows };
}
