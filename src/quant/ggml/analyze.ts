// What storing a tensor in one of llama.cpp's ggml types does to it, measured: the values are quantized
// with ggml's reference quantizer (quantizeGgml) and dequantized (dequantizeGgml), chunk by chunk in whole
// blocks, and compared with the originals (SQNR, relative L2, max error: lowp/quant's metrics), and every
// block's scales are inspected (scales.ts) for the failures a cast analysis cannot see: a block whose fp16
// scale rounds to 0 loses all its values, one whose scale is an fp16 subnormal keeps fewer significant
// bits, one whose scale overflows becomes inf/NaN, and a K-quant sub-block whose 6-bit scale rounds to 0
// keeps only its offset. A verdict in the spirit of lowp/diagnostics' cast verdicts (safe, lossy,
// underflow-risk, overflow-risk) with the same default thresholds, and the sentences behind it.
import { describeValue } from '../../core/describe.js';
import { finfo } from '../../formats/finfo.js';
import { checkOptionsObject } from '../../core/options.js';
import { fmtCount, fmtFixed, fmtPercent, fmtValue, plural } from '../../diagnostics/text.js';
import { resolveThresholds, type CastVerdict, type VerdictThresholds } from '../../diagnostics/verdict.js';
import { createErrorAccumulator, type StreamedError } from '../error-stream.js';
import { dequantizeGgml } from './dequantize.js';
import { quantizeGgml } from './quantize.js';
import { ggmlRowProblem } from './rows.js';
import {
  emptyScanCounts, ggmlScaleLimits, scanGgmlBlocks, GGML_STORAGE_TYPES, HISTOGRAM_LENGTH, HISTOGRAM_NON_FINITE, HISTOGRAM_OFFSET, HISTOGRAM_ZERO, MULTIPLIER_BITS, SCALE_LAYOUTS,
  type BlockProblem, type BlockScanCounts, type GgmlScaleLimits, type GgmlStorageType,
} from './scales.js';
import { GGML_TYPES, resolveTypeIn } from './types.js';

/**
 * Options of {@link createGgmlAnalyzer} and {@link analyzeGgml}.
 *
 * @example
 * ```ts
 * analyzeGgml(w, 'Q4_K', { rowLength: 4096, thresholds: { minSqnrDb: 20 } });
 * ```
 */
export interface GgmlAnalyzerOptions {
  /**
   * Values per row (the tensor's innermost dimension, ggml's ne[0]); it must be a multiple of the type's
   * block size (a RangeError names llama-quantize's fallback otherwise). Default: the values are one row
   * (checked at `finish()`).
   */
  rowLength?: number;
  /**
   * Verdict thresholds, lowp/diagnostics' {@link VerdictThresholds} with the same defaults and meanings
   * per block: `maxFlushedFraction` (default 1e-4) bounds the nonzero values in lost blocks and zeroed
   * sub-blocks, `maxSubnormalFraction` (0.01) those in blocks whose subnormal fp16 scale is coarse (fewer
   * significant bits than the integers it multiplies),
   * `maxOverflowFraction` (0) the outputs that become inf/NaN, `minSqnrDb` (40) the SQNR of a 'safe'
   * tensor. `minHeadroomBits` is not used.
   */
  thresholds?: VerdictThresholds;
  /** Problem blocks kept as examples, per kind. Default 3. */
  examples?: number;
}

/**
 * Counts of a {@link GgmlAnalysis}: the blocks and values, and what happened to their scales.
 *
 * @example
 * ```ts
 * const c: GgmlCounts = analyzeGgml(new Float32Array(32).fill(1e-6), 'Q8_0').counts;
 * c.lostBlocks; // 1 (d = 1e-6/127 rounds to 0 in fp16)
 * ```
 */
export interface GgmlCounts extends BlockScanCounts {
  /** Values analysed (finite and non-finite). */
  total: number;
  /** Zeros among the finite inputs. */
  zeros: number;
  /** Finite nonzero inputs (the denominator of the verdict's fractions). */
  nonzeroFinite: number;
  /** NaN and ±inf inputs (ggml's quantizers are undefined for them). */
  nonFiniteInputs: number;
  /** Blocks holding a non-finite input: left out of the quantization and of the error figures. */
  nonFiniteBlocks: number;
}

/**
 * A block with a problem, kept as an example.
 *
 * @example
 * ```ts
 * const e: GgmlBlockExample = analyzeGgml(new Float32Array(32).fill(1e-6), 'Q8_0').examples[0];
 * e.kind; // 'lost'
 * ```
 */
export interface GgmlBlockExample {
  /** What went wrong. */
  kind: BlockProblem;
  /** Index of the block in the tensor (block b covers values b·blockSize … (b+1)·blockSize − 1). */
  block: number;
  /** Largest |x| of the block's inputs. */
  maxAbs: number;
  /** The block's scale d after quantization (0, subnormal, inf…). */
  scale: number;
}

/**
 * What {@link analyzeGgml} and {@link createGgmlAnalyzer} report (a plain object: JSON and structured
 * clone keep it whole).
 *
 * @example
 * ```ts
 * const a: GgmlAnalysis = analyzeGgml(weights, 'Q4_K', { rowLength: 4096 });
 * `${a.verdict}: SQNR ${a.error.sqnrDb.toFixed(1)} dB at ${a.bitsPerValue} bits per value`;
 * ```
 */
export interface GgmlAnalysis {
  /** The type (upper case). */
  type: GgmlStorageType;
  /** Values per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  /** Storage per value in bits (typeSize · 8 / blockSize: Q4_K 4.5). */
  bitsPerValue: number;
  /** Values per row (the option, or the whole length). */
  rowLength: number;
  /** Bytes the quantized tensor takes. */
  bytes: number;
  /** Counts of values, blocks and scale failures. */
  counts: GgmlCounts;
  /** Largest |x| and smallest nonzero |x| of the finite inputs (0 when none). */
  range: {
    /** Largest |x| of the finite inputs. */
    maxAbs: number;
    /** Smallest nonzero |x| of the finite inputs. */
    minAbsNonzero: number;
  };
  /** Error of the round trip over the finite blocks (metrics of lowp/quant's `compare`). */
  error: StreamedError;
  /** Histogram of the blocks' scales: counts by floor(log2 |d|), zero and inf/NaN scales apart. */
  scales: {
    /** Blocks by the exponent floor(log2 |d|) of their scale, ascending, nonzero counts only. */
    bins: {
      /** floor(log2 |d|). */
      exponent: number;
      /** Blocks with that exponent. */
      count: number;
    }[];
    /** Blocks whose scale is 0. */
    zero: number;
    /** Blocks whose scale is inf or NaN. */
    nonFinite: number;
  };
  /** Problem blocks, up to `examples` of each kind, in tensor order. */
  examples: GgmlBlockExample[];
  /** Where the type's scale fails, as thresholds on a block's max |x| (null for search-based scales). */
  limits: GgmlScaleLimits | null;
  /** What the block scales are, in words. */
  scaleDescription: string;
  /** The thresholds used. */
  thresholds: Required<VerdictThresholds>;
  /** The verdict (lowp/diagnostics' cast verdicts). */
  verdict: CastVerdict;
  /** Sentences with numbers behind the verdict. */
  reasons: string[];
}

/**
 * A streaming analyzer: feed a tensor chunk by chunk (each chunk whole blocks), then `finish()`.
 *
 * @example
 * ```ts
 * const a = createGgmlAnalyzer('Q8_0', { rowLength: 64 });
 * a.add(new Float32Array(64).fill(0.5));
 * a.add(new Float32Array(64).fill(1e-7));
 * a.finish().counts.lostBlocks; // 2
 * ```
 */
export interface GgmlAnalyzer {
  /** The type analysed. */
  readonly type: GgmlStorageType;
  /** Adds values (whole blocks: a multiple of the block size; Float64Array values are rounded to float32). Inputs are never written. */
  add(values: Float32Array | Float64Array): void;
  /** The analysis of everything added; the analyzer cannot be used afterwards. */
  finish(): GgmlAnalysis;
}

const FN = 'createGgmlAnalyzer';

/**
 * Adds the values x[from .. from + n) to `acc` (zeros, nonzero finite values, max |x|, min nonzero |x|)
 * and returns how many are NaN or ±inf. Module-level (not a closure per analyzer) so that V8 optimizes it
 * once for every tensor.
 */
function scanInputs(x: Float32Array, from: number, n: number, acc: Float64Array): number {
  let zeros = 0, nonzero = 0, mx = acc[2], mn = acc[3], bad = 0;
  for (let i = from; i < from + n; i++) {
    const v = x[i];
    if (v - v !== 0) { bad++; continue; }
    if (v === 0) { zeros++; continue; }
    nonzero++;
    const a = Math.abs(v);
    if (a > mx) mx = a;
    if (a < mn) mn = a;
  }
  acc[0] += zeros;
  acc[1] += nonzero;
  acc[2] = mx;
  acc[3] = mn;
  return bad;
}

/**
 * The storage type named `type` (any case), or a RangeError/TypeError listing them; `ggml-mxfp4` is
 * accepted for MXFP4.
 *
 * @internal
 */
export function resolveStorageType(type: unknown, fn: string): GgmlStorageType {
  return resolveTypeIn(typeof type === 'string' && type.toUpperCase() === 'GGML-MXFP4' ? 'MXFP4' : type, GGML_STORAGE_TYPES, fn, (t) =>
    t.name === 'Q8_1' || t.name === 'Q8_K'
      ? `${t.name} is an intermediate type of ggml's dot products, not stored in model files`
      : t.quantized ? `lowp has no quantizer for ${t.name} yet` : `${t.name} is a plain, unquantized type`,
  );
}

/**
 * A streaming analyzer of what `type` does to a tensor (see {@link analyzeGgml} for what is measured).
 * Chunks must be whole blocks (a multiple of the block size); rows are independent in ggml, so any such
 * split gives the same analysis. Blocks holding NaN or ±inf are counted and left out (ggml's quantizers
 * are undefined for them).
 *
 * @param type - a ggml storage type, any case: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K…Q6_K, IQ4_NL, IQ4_XS,
 *   TQ1_0, TQ2_0, MXFP4 (also `ggml-mxfp4`)
 * @param options - row length, verdict thresholds, examples kept
 * @returns the analyzer
 * @throws RangeError for an unknown type or a row length that is not whole blocks
 * @example
 * ```ts
 * const a = createGgmlAnalyzer('q4_k', { rowLength: 256 });
 * for (const chunk of chunks) a.add(chunk); // each a multiple of 256 values
 * const { verdict, error, counts } = a.finish();
 * ```
 */
export function createGgmlAnalyzer(type: string, options?: GgmlAnalyzerOptions): GgmlAnalyzer {
  checkOptionsObject(options, FN, '{ rowLength: 4096 }');
  const t = resolveStorageType(type, FN);
  const { blockSize: bs, typeSize: ts } = GGML_TYPES[t];
  const row = options?.rowLength;
  if (row !== undefined) {
    if (typeof row !== 'number' || !Number.isSafeInteger(row) || row < 1) throw new RangeError(`${FN}: rowLength must be a positive integer, got ${describeValue(row)}`);
    const problem = ggmlRowProblem(t, row);
    if (problem !== null) throw new RangeError(`${FN}: ${problem}`);
  }
  const thresholds = resolveThresholds(options?.thresholds, FN);
  const keep = options?.examples ?? 3;
  if (!Number.isSafeInteger(keep) || keep < 0) throw new RangeError(`${FN}: examples must be a non-negative integer, got ${describeValue(keep)}`);
  const counts: GgmlCounts = { ...emptyScanCounts(), total: 0, zeros: 0, nonzeroFinite: 0, nonFiniteInputs: 0, nonFiniteBlocks: 0 };
  const err = createErrorAccumulator();
  const histogram = new Float64Array(HISTOGRAM_LENGTH);
  const examples: GgmlBlockExample[] = [];
  const perKind = new Map<BlockProblem, number>();
  const inputs = Float64Array.of(0, 0, 0, Infinity); // zeros, nonzero finite, max |x|, min nonzero |x|
  let blockBase = 0; // index of the first block of the chunk being scanned
  let done = false;

  const runBlocks = (x: Float32Array, from: number, nb: number): void => {
    if (nb === 0) return;
    const xs = x.subarray(from, from + nb * bs);
    const blocks = quantizeGgml(xs, t);
    const y = dequantizeGgml(blocks, t);
    err.add(xs, 0, y, 0, xs.length);
    const base = blockBase + from / bs;
    scanGgmlBlocks(t, xs, 0, y, 0, blocks, 0, nb, counts, {
      histogram,
      problem: (kind, b, m, scale) => {
        const k = perKind.get(kind) ?? 0;
        if (k >= keep) return;
        perKind.set(kind, k + 1);
        examples.push({ kind, block: base + b, maxAbs: m, scale });
      },
    });
  };

  return {
    type: t,
    add(values) {
      if (done) throw new Error(`${FN}: add() after finish()`);
      if (!(values instanceof Float32Array || values instanceof Float64Array)) throw new TypeError(`${FN}: add() expects a Float32Array or Float64Array, got ${describeValue(values)}`);
      if (values.length % bs !== 0) throw new RangeError(`${FN}: add() expects whole ${t} blocks (a multiple of ${bs} values), got ${values.length} values`);
      const x = values instanceof Float32Array ? values : Float32Array.from(values);
      const nb = values.length / bs;
      counts.total += x.length;
      // finite blocks go to the quantizer in runs; a block holding NaN/inf is counted and skipped
      let runStart = 0;
      for (let b = 0; b < nb; b++) {
        const bad = scanInputs(x, b * bs, bs, inputs);
        if (bad > 0) {
          counts.nonFiniteInputs += bad;
          counts.nonFiniteBlocks++;
          runBlocks(x, runStart * bs, b - runStart);
          runStart = b + 1;
        }
      }
      runBlocks(x, runStart * bs, nb - runStart);
      blockBase += nb;
    },
    finish() {
      if (done) throw new Error(`${FN}: finish() called twice`);
      done = true;
      const rowLength = row ?? counts.total;
      if (row === undefined) {
        const problem = ggmlRowProblem(t, rowLength);
        if (problem !== null) throw new RangeError(`${FN}: ${problem}`);
      } else if (counts.total % row !== 0) {
        throw new RangeError(`${FN}: ${counts.total} values are not whole rows of ${row}`);
      }
      counts.zeros = inputs[0];
      counts.nonzeroFinite = inputs[1];
      const maxAbs = inputs[2], minAbsNonzero = inputs[3];
      const error = err.result();
      const bins: { exponent: number; count: number }[] = [];
      for (let i = 0; i < HISTOGRAM_ZERO; i++) if (histogram[i] > 0) bins.push({ exponent: i - HISTOGRAM_OFFSET, count: histogram[i] });
      const analysis: GgmlAnalysis = {
        type: t, blockSize: bs, typeSize: ts, bitsPerValue: (ts * 8) / bs, rowLength,
        bytes: (counts.total / bs) * ts,
        counts,
        range: { maxAbs, minAbsNonzero: minAbsNonzero === Infinity ? 0 : minAbsNonzero },
        error,
        scales: { bins, zero: histogram[HISTOGRAM_ZERO], nonFinite: histogram[HISTOGRAM_NON_FINITE] },
        examples,
        limits: ggmlScaleLimits(t),
        scaleDescription: SCALE_LAYOUTS[t].description,
        thresholds,
        verdict: 'safe',
        reasons: [],
      };
      const v = ggmlVerdict(analysis);
      analysis.verdict = v.verdict;
      analysis.reasons = v.reasons;
      return analysis;
    },
  };
}

/**
 * What storing `values` in a ggml type does to them: quantized by ggml's reference quantizer and
 * dequantized (bit for bit as ggml, lowp/quant `quantizeGgml`/`dequantizeGgml`), then
 *
 * - the round trip's error: SQNR, relative L2, max and mean absolute error, max relative error, cosine
 *   (the definitions of lowp/quant's `compare`);
 * - every block's scales: **lost** blocks (the fp16 scale d rounds to 0, so every value becomes 0 or
 *   the block's offset: a Q8_0 block with max |x| ≤ 3.78e-6), **zeroed sub-blocks** (K-quants and IQ4_XS:
 *   a 16- or 32-value sub-block whose 4/6/8-bit scale rounds to 0 against the largest sub-block of its
 *   super-block), blocks whose d is an fp16 **subnormal** and, among them, those whose d keeps fewer
 *   significant bits than the integers it multiplies (**coarse**: Q8_0's 7-bit codes, Q4_K's 6-bit
 *   sub-scales; such a block is rounded more coarsely than the type's own resolution), and blocks whose
 *   d or minimum **overflows** fp16 (inf: the values become inf/NaN);
 * - a verdict: 'overflow-risk' (an output is inf/NaN, or an input block holds NaN/inf), 'underflow-risk' (more than 0.01% of the nonzero
 *   values sit in lost blocks or zeroed sub-blocks, or more than 1% in blocks with a coarse scale),
 *   'lossy' (SQNR below 40 dB, as almost every 4-bit type is), 'safe'.
 *
 * NaN and ±inf inputs (undefined behaviour in ggml's C) are counted and their blocks left out of the
 * figures; a tensor holding any is an 'overflow-risk' (the whole block of such a value comes out of
 * NaN/inf arithmetic in ggml).
 *
 * @param values - the tensor's values (row-major; Float64Array values are rounded to float32 first)
 * @param type - a ggml storage type, any case (see {@link createGgmlAnalyzer})
 * @param options - row length (the innermost dimension), thresholds
 * @returns the analysis
 * @throws RangeError for an unknown type, or rows that are not whole blocks (never padded)
 * @example
 * ```ts
 * import { analyzeGgml } from 'lowp/quant';
 * const w = new Float32Array(512).map((_, i) => Math.sin(i) * 0.02);
 * const a = analyzeGgml(w, 'Q4_K', { rowLength: 256 });
 * a.bitsPerValue;   // 4.5
 * a.error.sqnrDb;   // about 25 dB
 * a.verdict;        // 'lossy'
 * analyzeGgml(new Float32Array(32).fill(1e-6), 'Q8_0').verdict; // 'underflow-risk' (the block's scale is 0)
 * ```
 */
export function analyzeGgml(values: Float32Array | Float64Array, type: string, options?: GgmlAnalyzerOptions): GgmlAnalysis {
  const t = resolveStorageType(type, 'analyzeGgml');
  if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError(`analyzeGgml: values must be a Float32Array or Float64Array, got ${describeValue(values)}`);
  }
  const a = createGgmlAnalyzer(t, options);
  const row = options?.rowLength ?? values.length;
  const problem = ggmlRowProblem(t, row);
  if (problem !== null) throw new RangeError(`analyzeGgml: ${problem} (all values as one row: pass rowLength for a matrix)`);
  if (row > 0 && values.length % row !== 0) throw new RangeError(`analyzeGgml: values.length (${values.length}) must be a multiple of rowLength (${row})`);
  a.add(values);
  return a.finish();
}

/** The limit sentence for a kind of failure, when the type's scale has exact limits. */
function limitClause(a: GgmlAnalysis, kind: 'zero' | 'subnormal' | 'coarse' | 'overflow'): string {
  const l = a.limits;
  if (l === null) return '';
  const basis = l.basis === 'max|x|' ? 'max |x|' : 'max − min';
  if (kind === 'zero' && l.zeroAtOrBelow !== null) return ` (a ${a.type} block with ${basis} ≤ ${fmtValue(l.zeroAtOrBelow)})`;
  if (kind === 'subnormal' && l.subnormalBelow !== null) return ` (${basis} < ${fmtValue(l.subnormalBelow)})`;
  if (kind === 'coarse' && l.coarseBelow !== null) return ` (${basis} < ${fmtValue(l.coarseBelow)})`;
  if (kind === 'overflow' && l.overflowAtOrAbove !== null) return ` (${basis} ≥ ${fmtValue(l.overflowAtOrAbove)})`;
  return '';
}

/** The verdict and its sentences (lowp/diagnostics' precedence: overflow > underflow > lossy > safe). */
function ggmlVerdict(a: GgmlAnalysis): { verdict: CastVerdict; reasons: string[] } {
  const c = a.counts;
  const t = a.thresholds;
  const e = a.error;
  const nz = c.nonzeroFinite;
  const frac = (k: number): number => (nz === 0 ? 0 : k / nz);
  const blocks = (n: number): string => `${fmtCount(n)} of ${fmtCount(c.blocks)} ${a.type} block${c.blocks === 1 ? '' : 's'}`;
  const reasons: string[] = [];
  let over = false, under = false;
  const e8 = SCALE_LAYOUTS[a.type].scale === 'e8m0';

  if (c.overflowValues > 0 || c.infScaleBlocks > 0) {
    over = frac(c.overflowValues) > t.maxOverflowFraction || c.infScaleBlocks > 0;
    reasons.push(`${blocks(c.infScaleBlocks)} ${c.infScaleBlocks === 1 ? 'has' : 'have'} an fp16 scale that overflows to inf${limitClause(a, 'overflow')}: ${plural(c.overflowValues, 'value becomes', 'values become')} inf or NaN; the largest |x| is ${fmtValue(a.range.maxAbs)}.`);
  }
  const lost = c.lostValues + c.zeroedSubBlockValues;
  if (c.lostBlocks > 0) {
    const why = e8 ? 'their E8M0 scale byte wraps around (ggml converts floor(log2 max|x|) − 2 + 127 to uint8)' : 'their fp16 scale d rounds to 0';
    reasons.push(`${blocks(c.lostBlocks)} ${c.lostBlocks === 1 ? 'is' : 'are'} lost: ${why}${limitClause(a, 'zero')}, so ${fmtCount(c.lostValues)} nonzero value${c.lostValues === 1 ? '' : 's'} (${fmtPercent(frac(c.lostValues))}) become 0${a.type === 'Q4_1' || a.type === 'Q5_1' ? ' or the block minimum' : SCALE_LAYOUTS[a.type].min >= 0 ? ' or their sub-block offset' : ''}.`);
  }
  if (c.zeroedSubBlocks > 0) {
    const sub = SCALE_LAYOUTS[a.type].sub!;
    reasons.push(`${fmtCount(c.zeroedSubBlocks)} sub-block${c.zeroedSubBlocks === 1 ? '' : 's'} of ${sub.size} values lose their values: their scale rounds to 0 against the largest sub-block of their ${a.blockSize}-value super-block (${fmtCount(c.zeroedSubBlockValues)} nonzero values, ${fmtPercent(frac(c.zeroedSubBlockValues))}).`);
  }
  if (lost > 0) {
    const u = frac(lost) > t.maxFlushedFraction;
    under ||= u;
    if (!u) reasons.push(`The values lost are within the tolerated ${fmtPercent(t.maxFlushedFraction)} of the nonzero values.`);
  }
  if (c.coarseScaleBlocks > 0) {
    const u = frac(c.coarseScaleValues) > t.maxSubnormalFraction;
    under ||= u;
    reasons.push(`${blocks(c.coarseScaleBlocks)} ${c.coarseScaleBlocks === 1 ? 'has' : 'have'} a subnormal fp16 scale d with fewer than ${MULTIPLIER_BITS[a.type]} significant bits${limitClause(a, 'coarse')}, fewer than the integers it multiplies: their ${fmtCount(c.coarseScaleValues)} nonzero values (${fmtPercent(frac(c.coarseScaleValues))}) are rounded more coarsely than ${a.type}'s own resolution` +
      (u ? '.' : ` (within the tolerated ${fmtPercent(t.maxSubnormalFraction)}).`));
  }
  if (c.subnormalScaleBlocks > c.coarseScaleBlocks) {
    const n = c.subnormalScaleBlocks - c.coarseScaleBlocks;
    reasons.push(`${blocks(n)} ${n === 1 ? 'has' : 'have'} a subnormal fp16 scale d (below fp16's smallest normal ${fmtValue(finfo('fp16').smallestNormal)}${limitClause(a, 'subnormal').replace(/^ \(/, ', ').replace(/\)$/, '')}) that still keeps at least ${MULTIPLIER_BITS[a.type]} significant bits, as many as the integers it multiplies: no loss beyond ${a.type}'s own.`);
  }
  const lossy = nz > 0 && e.sqnrDb < t.minSqnrDb;
  if (lossy && !over) reasons.push(`SQNR is ${fmtFixed(e.sqnrDb)} dB, below the ${fmtFixed(t.minSqnrDb)} dB threshold (relative L2 error ${fmtPercent(e.relL2)}, max |error| ${fmtValue(e.maxAbsError)}).`);
  if (c.nonFiniteInputs > 0) {
    // one NaN or inf makes a whole block undefined in ggml (its scale comes from NaN/inf arithmetic):
    // its finite values are lost with it, as values are by an overflowing scale
    over = true;
    reasons.push(`${plural(c.nonFiniteInputs, 'input is', 'inputs are')} NaN or ±inf (in ${plural(c.nonFiniteBlocks, 'block')}): ggml's quantizers are undefined for them, and a block's scale and codes come out of NaN/inf arithmetic, so none of those blocks' values can be trusted; they are left out of the figures.`);
  }
  const verdict: CastVerdict = over ? 'overflow-risk' : under ? 'underflow-risk' : lossy ? 'lossy' : 'safe';
  if (c.infScaleBlocks === 0 && c.overflowValues === 0 && c.lostBlocks === 0 && c.zeroedSubBlocks === 0 && c.coarseScaleBlocks === 0) {
    const first = nz === 0
      ? `All ${fmtCount(c.total)} values are zero or non-finite; nothing to lose.`
      : `Every ${a.type} block keeps its scales (none is 0, infinite or too coarse); SQNR ${fmtFixed(e.sqnrDb)} dB, relative L2 error ${fmtPercent(e.relL2)}, max |error| ${fmtValue(e.maxAbsError)}, at ${a.bitsPerValue} bits per value.`;
    reasons.unshift(first);
  }
  return { verdict, reasons };
}
