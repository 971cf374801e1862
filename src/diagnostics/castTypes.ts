// The results and options of lowp/diagnostics' cast analysis (analyzeCast, createCastAnalyzer): counts,
// range, error statistics, histogram, worst elements and verdict of casting values to a lower-precision
// format, and the streaming analyzer's interface. Types only: the analysis is castAnalyzer.ts.
import type { CastOptions, ResolvedCastOptions } from '../formats/options.js';
import type { OverflowPolicy } from '../formats/spec.js';
import type { GgmlTypeLike } from '../quant/ggml/dequantize.js';
import type { Log2Histogram } from './histogram.js';
import type { ValuesInput } from './input.js';
import type { WorstElement } from './worst.js';

/**
 * The verdict of a cast: `'overflow-risk'` (values overflow, or too little headroom below the format's
 * max), `'underflow-risk'` (too many nonzero values flush to zero or lose precision as subnormals),
 * `'lossy'` (in range, but the rounding error is above the SQNR threshold), `'safe'` (none of these).
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([1e5]), 'fp16').verdict; // 'overflow-risk'
 * ```
 */
export type CastVerdict = 'safe' | 'lossy' | 'underflow-risk' | 'overflow-risk';

/**
 * Thresholds of the verdict. Fractions are of the finite nonzero inputs.
 *
 * @example
 * ```ts
 * analyzeCast(x, 'fp16', { thresholds: { maxFlushedFraction: 0, minHeadroomBits: 1 } });
 * ```
 */
export interface VerdictThresholds {
  /** Largest tolerated fraction of overflowing values; default 0 (a single overflow is a risk: inf → NaN loss). */
  maxOverflowFraction?: number;
  /** Smallest tolerated headroom log2(max / maxAbs) in bits; default 0 (only values beyond max count). */
  minHeadroomBits?: number;
  /** Largest tolerated fraction of nonzero values that flush to zero; default 1e-4 (0.01%). */
  maxFlushedFraction?: number;
  /** Largest tolerated fraction of nonzero values that become subnormal; default 0.01 (1%). */
  maxSubnormalFraction?: number;
  /** Smallest SQNR in dB for `'safe'`; default 40 (relative L2 error ≤ 1%, as src/quant/metrics.ts' 'close'). */
  minSqnrDb?: number;
}

/**
 * Options of {@link analyzeCast} and {@link createCastAnalyzer}: the cast options of lowp/formats
 * (rounding, overflow policy, subnormal flushing) plus the size of the worst list and the verdict
 * thresholds.
 *
 * @example
 * ```ts
 * analyzeCast(x, 'fp8-e4m3fn', { overflow: 'saturate', topK: 5, thresholds: { minSqnrDb: 25 } });
 * ```
 */
export interface CastAnalysisOptions extends CastOptions {
  /** How many worst elements to keep (see {@link WorstElement}); default 10, at most 10,000. */
  topK?: number;
  /** Verdict thresholds; see {@link VerdictThresholds} for the defaults. */
  thresholds?: VerdictThresholds;
}

/**
 * The counts of a cast analysis. They partition the input:
 * `total = zeros + exact + rounded + flushedToZero + overflowed + invalid + nanInputs + infInputs`.
 * `becameSubnormal` is a subset of `exact + rounded` (results that are nonzero subnormals of the target).
 *
 * @example
 * ```ts
 * const c = analyzeCast(new Float32Array([0, 1, 0.1, 1e-9, 1e5]), 'fp16').counts;
 * // { total: 5, zeros: 1, exact: 1, rounded: 1, flushedToZero: 1, overflowed: 1, ... }
 * ```
 */
export interface CastCounts {
  /** Number of input elements. */
  total: number;
  /** Inputs equal to ±0 (they stay ±0). */
  zeros: number;
  /** Finite nonzero inputs: `total − zeros − nanInputs − infInputs`. */
  nonzeroFinite: number;
  /** Finite nonzero inputs the cast leaves unchanged. */
  exact: number;
  /** Finite nonzero inputs that change but stay nonzero and in range. */
  rounded: number;
  /** Finite nonzero inputs that become ±0. */
  flushedToZero: number;
  /** Finite nonzero inputs whose result is a nonzero subnormal of the target (exact or rounded). */
  becameSubnormal: number;
  /**
   * Finite inputs beyond the range: the result is ±inf or NaN, or (saturating policy, or toward-zero
   * rounding) ±max while |x| is at or beyond the overflow threshold — where rounding with an unbounded
   * exponent would exceed max (nearest-even: max + ulp(max)/2, the tie included when it rounds up;
   * toward-zero and stochastic: max + ulp(max)).
   */
  overflowed: number;
  /** Negative inputs to an unsigned format (fp8-e8m0fnu): they become NaN. */
  invalid: number;
  /** NaN inputs. */
  nanInputs: number;
  /** ±Infinity inputs (not counted as overflow). */
  infInputs: number;
}

/**
 * The range of the input relative to the target format.
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([0.5, 1e-6]), 'fp16').range.headroomBits; // 17.0 (65504 / 0.5)
 * ```
 */
export interface CastRange {
  /** Largest finite |x| (0 when there is no finite nonzero input). */
  maxAbs: number;
  /** Smallest finite nonzero |x| (Infinity when there is none). */
  minAbsNonzero: number;
  /** log2(format max / maxAbs): bits of room before overflow (negative: beyond max; Infinity without nonzero input). */
  headroomBits: number;
  /**
   * log2(minAbsNonzero / smallestNormal): bits of room above the subnormal range. Negative: the smallest
   * value is subnormal in the target; at or below −(mantissaBits + 1) it flushes to zero (nearest-even).
   * Infinity without nonzero input.
   */
  footroomBits: number;
}

/**
 * Error statistics over the inputs whose result is finite (overflowed, invalid and non-finite inputs
 * excluded), with the definitions of src/quant/metrics.ts (reference = the input x, test = the result r).
 *
 * @example
 * ```ts
 * analyzeCast(new Float32Array([0.1]), 'bf16').error.maxUlpError; // 0.2
 * ```
 */
export interface CastErrorStats {
  /** Number of inputs the statistics run over (finite inputs with a finite result, zeros included). */
  measured: number;
  /** max |x − r|. */
  maxAbsError: number;
  /** Σ|x − r| / measured. */
  meanAbsError: number;
  /** max |x − r| / |x| over nonzero x (1 for a flush to zero). */
  maxRelError: number;
  /** Mean of |x − r| / |x| over the measured nonzero x. */
  meanRelError: number;
  /** max |x − r| / ulp(x, target) (ulp as in lowp/formats; at most 0.5 for nearest-even). */
  maxUlpError: number;
  /** 10·log10(Σx² / Σ(x − r)²) in dB; +Infinity when nothing changes. */
  sqnrDb: number;
}

/**
 * The cast options an analysis used (defaults filled in).
 *
 * @example
 * ```ts
 * analyzeCast([1], 'fp8-e4m3fn').options; // { rounding: 'nearest-even', overflow: 'nan', flushSubnormals: false }
 * ```
 */
export interface CastOptionsUsed {
  /** Rounding mode. */
  rounding: ResolvedCastOptions['rounding'];
  /** Overflow policy. */
  overflow: OverflowPolicy;
  /** Whether subnormal results were flushed to zero. */
  flushSubnormals: boolean;
}

/**
 * The result of {@link analyzeCast}: a plain object (numbers may be ±Infinity: serialise it with
 * {@link createCastReport}, which encodes them).
 *
 * @example
 * ```ts
 * const a = analyzeCast(gradients, 'fp16');
 * console.log(a.verdict, a.reasons.join('\n'));
 * ```
 */
export interface CastAnalysis {
  /** Canonical name of the target format. */
  format: string;
  /** What the input was: 'fp32' (Float32Array), 'fp64' (Float64Array or numbers), a code format's name, or 'mixed'. */
  source: string;
  /** The cast options the analysis used. */
  options: CastOptionsUsed;
  /** See {@link CastCounts}. */
  counts: CastCounts;
  /** See {@link CastRange}. */
  range: CastRange;
  /** See {@link CastErrorStats}. */
  error: CastErrorStats;
  /** log2-magnitude histogram with the target's bands. */
  histogram: Log2Histogram;
  /** The k worst elements, worst first (see {@link WorstElement}). */
  worst: WorstElement[];
  /** See {@link CastVerdict}. */
  verdict: CastVerdict;
  /** Sentences with numbers that justify the verdict. */
  reasons: string[];
  /** The thresholds the verdict used. */
  thresholds: Required<VerdictThresholds>;
}

/**
 * A streaming cast analysis: feed chunks with {@link CastAnalyzer.add}, read the result with
 * {@link CastAnalyzer.finish} (which may be called any number of times, e.g. for progress).
 *
 * @example
 * ```ts
 * const an = createCastAnalyzer('fp16');
 * for (const chunk of chunks) an.add(chunk); // Float32Array pieces of a large tensor
 * const { counts, verdict } = an.finish();
 * ```
 */
export interface CastAnalyzer {
  /** Canonical name of the target format. */
  readonly format: string;
  /** Number of elements added so far. */
  readonly count: number;
  /** Adds a chunk (indices in the worst list continue across chunks). Returns the analyzer. */
  add(chunk: ValuesInput): CastAnalyzer;
  /**
   * Adds the values that whole ggml blocks of `type` hold (a GGUF tensor's raw bytes, streamed): the
   * same analysis as `add(dequantizeGgml(blocks, type))` (lowp/quant), bit for bit, without the
   * float32 copy: Q8_0 and Q4_K blocks are analysed straight from the blocks where WebAssembly SIMD
   * runs, other types are dequantized first. Returns the analyzer.
   *
   * @param blocks - whole blocks, as stored in a GGUF file (not modified).
   * @param type - the ggml type: name (case-insensitive, e.g. `'Q4_K'`), GGUF id or type info.
   * @throws TypeError for `blocks` that is not a Uint8Array or a type lowp cannot decode; RangeError
   *   for a length that is not a whole number of blocks.
   * @example
   * ```ts
   * const an = createCastAnalyzer('fp16');
   * for await (const c of gguf.chunks('blk.0.attn_q.weight', { raw: true })) an.addGgml(c.data, 'Q8_0');
   * an.finish().verdict;
   * ```
   */
  addGgml(blocks: Uint8Array, type: GgmlTypeLike): CastAnalyzer;
  /** The analysis of everything added so far. */
  finish(): CastAnalysis;
}

