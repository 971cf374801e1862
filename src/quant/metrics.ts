// Error metrics between a reference array and a test array (a quantized/dequantized tensor, a
// low-precision matmul output, ...): max/mean absolute error, max relative error, MSE/RMSE, relative
// L2 error, SQNR in dB, cosine similarity and the max error in ulps of a format, plus `compare`, which
// returns all of them with a verdict. Every figure is computed in float64 from the exact values of the
// inputs; sums of squares are taken on values scaled by the largest magnitude, so they neither
// overflow nor underflow. Definitions (denominators, zeros, NaN/Infinity) are in docs/quantization.md
// and in the TSDoc of each function.
import { describeValue } from '../core/describe.js';
import { validateMatrix, type Matrix } from '../core/matrix.js';
import { decodeArray } from '../formats/bulk.js';
import { getFormat, type FormatLike } from '../formats/registry.js';
import { ulp } from '../formats/ulp.js';
import { checkOptionsObject } from '../core/options.js';

/**
 * What the metric functions accept: a Float32Array, Float64Array or number array, or a {@link Matrix}
 * (whose codes, for bf16/fp16/fp8 data, are decoded first). Two matrices must have the same shape; a
 * matrix and a flat array must have the same number of elements.
 *
 * @example
 * ```ts
 * compare(new Float64Array([1, 2]), [1, 2.01]);
 * compare({ rows: 1, cols: 2, data: new Uint16Array([0x3c00, 0x4000]), format: 'fp16' }, [1, 2]); // codes are decoded
 * ```
 */
export type MetricInput = Float32Array | Float64Array | readonly number[] | Matrix;

/**
 * Options shared by the metric functions.
 *
 * @example
 * ```ts
 * maxRelError([0, 1], [1e-9, 1], { relFloor: 1e-6 }); // 0.001 instead of Infinity
 * ```
 */
export interface MetricOptions {
  /**
   * Floor of the denominator of the relative error: |t − r| / max(|r|, relFloor). Default 0, so a
   * nonzero error where the reference is exactly 0 gives an infinite relative error.
   */
  relFloor?: number;
}

/**
 * Options of {@link compare}.
 *
 * @example
 * ```ts
 * compare(ref, test, { format: 'bf16', closeSqnrDb: 50 }); // ulps of bf16, a stricter 'close'
 * ```
 */
export interface CompareOptions extends MetricOptions {
  /** Format in whose ulps {@link maxUlpError} is measured (e.g. `'fp16'`). Default: none (`maxUlpError` is null). */
  format?: FormatLike;
  /** Smallest SQNR (dB) for the verdict `'close'`. Default 40 (relative L2 error ≤ 1%). */
  closeSqnrDb?: number;
  /** Smallest SQNR (dB) for the verdict `'lossy'`; below it the verdict is `'broken'`. Default 10 (relative L2 error ≤ 31.6%). */
  lossySqnrDb?: number;
}

/**
 * The verdict of {@link compare}:
 * - `'exact'`: every element equal (−0 equals +0; NaN matches NaN, an infinity the same infinity);
 * - `'close'`: SQNR ≥ `closeSqnrDb` (default 40 dB);
 * - `'lossy'`: SQNR ≥ `lossySqnrDb` (default 10 dB);
 * - `'broken'`: worse, or a non-finite value where the other side has a different value.
 *
 * @example
 * ```ts
 * const v: Verdict = compare([1, 2], [1, 2]).verdict; // 'exact'
 * ```
 */
export type Verdict = 'exact' | 'close' | 'lossy' | 'broken';

/**
 * Every metric of {@link compare}, plus counts and the verdict. A plain object (JSON turns ±Infinity into null).
 *
 * @example
 * ```ts
 * const c: Comparison = compare([3, 4], [3, 4.5]);
 * c.relL2;   // 0.1
 * c.sqnrDb;  // 20
 * c.verdict; // 'lossy'
 * ```
 */
export interface Comparison {
  /** Number of element pairs. */
  n: number;
  /** Pairs where both values are finite: the pairs the sums and maxima run over. */
  finite: number;
  /** Pairs with a non-finite value on both sides that agree (NaN and NaN, or the same infinity). */
  nonFiniteMatches: number;
  /** Pairs where a non-finite value meets a different value: any one of them makes the verdict `'broken'`. */
  nonFiniteMismatches: number;
  /** max |t − r|. */
  maxAbsError: number;
  /** max |t − r| / max(|r|, relFloor). */
  maxRelError: number;
  /** Σ|t − r| / n. */
  meanAbsError: number;
  /** Σ(t − r)² / n. */
  mse: number;
  /** √mse. */
  rmse: number;
  /** ‖t − r‖₂ / ‖r‖₂. */
  relL2: number;
  /** 10·log10(Σr² / Σ(t − r)²) in dB (+Infinity when exact). */
  sqnrDb: number;
  /** Σ r·t / (‖r‖₂‖t‖₂). */
  cosine: number;
  /** max |t − r| / ulp(r) in `format`, or null when no format was given. */
  maxUlpError: number | null;
  /** The format of `maxUlpError`, or null. */
  format: string | null;
  /** See {@link Verdict}. */
  verdict: Verdict;
  /** One sentence saying why the verdict is what it is. */
  reason: string;
}

type Flat = Float32Array | Float64Array | readonly number[];

function toFlat(x: MetricInput, name: string, fn: string): { data: Flat; rows?: number; cols?: number } {
  if (x instanceof Float32Array || x instanceof Float64Array || Array.isArray(x)) return { data: x as Flat };
  if (x !== null && typeof x === 'object' && 'data' in (x as object) && 'rows' in (x as object)) {
    const m = validateMatrix(x as Matrix, `${fn}: ${name}`);
    if (m.data instanceof Float32Array || m.data instanceof Float64Array) return { data: m.data, rows: m.rows, cols: m.cols };
    const data = decodeArray(m.data, m.format as string, { out: new Float64Array(m.data.length) });
    return { data, rows: m.rows, cols: m.cols };
  }
  throw new TypeError(`${fn}: ${name}: expected a Float32Array, Float64Array, number[] or a matrix { rows, cols, data }, got ${describeValue(x)}`);
}

function pair(reference: MetricInput, test: MetricInput, fn: string): [Flat, Flat] {
  const r = toFlat(reference, 'reference', fn);
  const t = toFlat(test, 'test', fn);
  if (r.rows !== undefined && t.rows !== undefined && (r.rows !== t.rows || r.cols !== t.cols)) {
    throw new RangeError(`${fn}: shapes differ: reference is ${r.rows}×${r.cols}, test is ${t.rows}×${t.cols}`);
  }
  if (r.data.length !== t.data.length) {
    throw new RangeError(`${fn}: lengths differ: reference has ${r.data.length} elements, test has ${t.data.length}`);
  }
  return [r.data, t.data];
}

function relFloorOf(opts: MetricOptions | undefined, fn: string): number {
  // a bare format name or number in place of the options object would otherwise be ignored
  checkOptionsObject(opts, fn, '{ relFloor: 1e-6 }');
  const f = opts?.relFloor ?? 0;
  if (typeof f !== 'number' || !(f >= 0) || f === Infinity) {
    throw new RangeError(`${fn}: relFloor must be a finite number >= 0, got ${describeValue(f)}`);
  }
  return f;
}

/** Running state of one pass over the pairs. */
interface Stats {
  n: number;
  finite: number;
  nonFiniteMatches: number;
  nonFiniteMismatches: number;
  maxAbs: number;
  maxRel: number;
  sumAbs: number;
  // sums of squares and cross products of values divided by `scale`
  scale: number;
  sumE2: number;
  sumR2: number;
  sumT2: number;
  sumRT: number;
  maxUlp: number;
}

function nonFiniteAgree(r: number, t: number): boolean {
  return (r !== r && t !== t) || r === t;
}

function accumulate(r: Flat, t: Flat, relFloor: number, ulpFormat: FormatLike | null): Stats {
  const n = r.length;
  let finite = 0, matches = 0, mismatches = 0;
  let maxAbs = 0, maxRel = 0, sumAbs = 0, scale = 0, maxUlp = 0;
  // pass 1: maxima, absolute sums, the scale of the squares
  for (let i = 0; i < n; i++) {
    const ri = +r[i], ti = +t[i];
    const e = ti - ri;
    if (e - e !== 0 || ri - ri !== 0 || ti - ti !== 0) {
      // not both finite (or their difference overflows: then the error really is infinite)
      if (ri - ri === 0 && ti - ti === 0) {
        finite++;
        maxAbs = Infinity; maxRel = Infinity; sumAbs = Infinity; maxUlp = Infinity;
        continue;
      }
      if (nonFiniteAgree(ri, ti)) matches++;
      else mismatches++;
      continue;
    }
    finite++;
    const ae = Math.abs(e);
    if (ae > maxAbs) maxAbs = ae;
    sumAbs += ae;
    const ar = Math.abs(ri);
    const den = ar > relFloor ? ar : relFloor;
    const rel = ae === 0 ? 0 : den === 0 ? Infinity : ae / den;
    if (rel > maxRel) maxRel = rel;
    if (ulpFormat !== null && ae !== 0) {
      const u = ae / ulp(ri, ulpFormat);
      if (u > maxUlp) maxUlp = u;
    }
    const at = Math.abs(ti);
    if (ar > scale) scale = ar;
    if (at > scale) scale = at;
  }
  // pass 2: sums of squares of scaled values (exact powers of two would also do; any positive scale keeps
  // the ratios exact up to rounding and avoids overflow/underflow of the squares)
  let sumE2 = 0, sumR2 = 0, sumT2 = 0, sumRT = 0;
  if (scale > 0 && scale !== Infinity) {
    for (let i = 0; i < n; i++) {
      const ri = +r[i], ti = +t[i];
      if (ri - ri !== 0 || ti - ti !== 0) continue;
      // divide (not multiply by 1/scale, which overflows for a subnormal scale); the error is taken
      // before scaling so that a small difference of large values keeps its accuracy
      const rs = ri / scale, ts = ti / scale;
      const es = (ti - ri) / scale;
      sumE2 += es * es;
      sumR2 += rs * rs;
      sumT2 += ts * ts;
      sumRT += rs * ts;
    }
  }
  return {
    n, finite, nonFiniteMatches: matches, nonFiniteMismatches: mismatches, maxAbs, maxRel, sumAbs,
    scale, sumE2, sumR2, sumT2, sumRT, maxUlp,
  };
}

function finish(s: Stats): Omit<Comparison, 'maxUlpError' | 'format' | 'verdict' | 'reason'> {
  const bad = s.nonFiniteMismatches > 0;
  const overflowed = s.maxAbs === Infinity;
  const denom = s.finite;
  const meanAbsError = bad || overflowed ? Infinity : denom === 0 ? 0 : s.sumAbs / denom;
  // mse = scale² Σ es² / n; may overflow to Infinity for huge values, which is then the truth
  const mse = bad || overflowed ? Infinity : denom === 0 ? 0 : ((s.sumE2 / denom) * s.scale) * s.scale;
  let relL2: number;
  let sqnrDb: number;
  if (bad || overflowed) {
    relL2 = Infinity;
    sqnrDb = -Infinity;
  } else if (s.sumE2 === 0) {
    relL2 = 0;
    sqnrDb = Infinity;
  } else if (s.sumR2 === 0) {
    relL2 = Infinity;
    sqnrDb = -Infinity;
  } else {
    relL2 = Math.sqrt(s.sumE2 / s.sumR2);
    sqnrDb = 10 * Math.log10(s.sumR2 / s.sumE2);
  }
  let cosine: number;
  if (s.sumR2 === 0 && s.sumT2 === 0) cosine = 1;
  else if (s.sumR2 === 0 || s.sumT2 === 0) cosine = 0;
  // one square root of the product (no overflow: the scaled sums lie in (0, n], one of them >= 1):
  // sqrt(fl(s·s)) = s exactly, so identical inputs give exactly 1
  else cosine = Math.max(-1, Math.min(1, s.sumRT / Math.sqrt(s.sumR2 * s.sumT2)));
  return {
    n: s.n,
    finite: s.finite,
    nonFiniteMatches: s.nonFiniteMatches,
    nonFiniteMismatches: s.nonFiniteMismatches,
    maxAbsError: bad ? Infinity : s.maxAbs,
    maxRelError: bad ? Infinity : s.maxRel,
    meanAbsError,
    mse,
    rmse: Math.sqrt(mse),
    relL2,
    sqnrDb,
    cosine,
  };
}

function run(reference: MetricInput, test: MetricInput, fn: string): Stats {
  const [r, t] = pair(reference, test, fn);
  return accumulate(r, t, 0, null);
}

/**
 * Largest absolute error max_i |t_i − r_i|, in float64. 0 for empty inputs. Pairs that are both NaN, or
 * the same infinity, agree and are skipped; any other pair with a non-finite value gives Infinity.
 *
 * @example
 * ```ts
 * maxAbsError([1, 2, 3], [1, 2.5, 2]); // 1
 * ```
 */
export function maxAbsError(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'maxAbsError')).maxAbsError;
}

/**
 * Largest relative error max_i |t_i − r_i| / max(|r_i|, relFloor) (relFloor defaults to 0). A pair with
 * no error counts 0 even where r_i = 0; a nonzero error against a zero denominator gives Infinity.
 * Non-finite pairs as in {@link maxAbsError}.
 *
 * @example
 * ```ts
 * maxRelError([1, 4], [1.5, 4]);                   // 0.5
 * maxRelError([0, 4], [1e-9, 4]);                  // Infinity
 * maxRelError([0, 4], [1e-9, 4], { relFloor: 1e-3 }); // 1e-6
 * ```
 */
export function maxRelError(reference: MetricInput, test: MetricInput, opts?: MetricOptions): number {
  return finish(accumulate(...pair(reference, test, 'maxRelError'), relFloorOf(opts, 'maxRelError'), null)).maxRelError;
}

/**
 * Mean absolute error Σ|t_i − r_i| / N over the N pairs of finite values (0 when N = 0). A non-finite
 * value meeting a different value makes it Infinity.
 *
 * @example
 * ```ts
 * meanAbsError([1, 2, 3, 4], [1, 2, 3, 6]); // 0.5
 * ```
 */
export function meanAbsError(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'meanAbsError')).meanAbsError;
}

/**
 * Mean squared error Σ(t_i − r_i)² / N over the N pairs of finite values (0 when N = 0).
 *
 * @example
 * ```ts
 * mse([0, 0, 0, 0], [1, -1, 1, -1]); // 1
 * ```
 */
export function mse(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'mse')).mse;
}

/**
 * Root mean squared error √mse.
 *
 * @example
 * ```ts
 * rmse([0, 0], [3, 4]); // 3.5355... (√12.5)
 * ```
 */
export function rmse(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'rmse')).rmse;
}

/**
 * Relative L2 error ‖t − r‖₂ / ‖r‖₂. 0 when t equals r (also for r = 0); Infinity when r = 0 and t ≠ 0.
 * Invariant under scaling both arrays by the same nonzero factor.
 *
 * @example
 * ```ts
 * relL2([3, 4], [3, 4.5]); // 0.1
 * ```
 */
export function relL2(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'relL2')).relL2;
}

/**
 * Signal-to-quantization-noise ratio 10·log10(Σr_i² / Σ(t_i − r_i)²) in dB; equals −20·log10(relL2).
 * +Infinity when there is no error, −Infinity when the reference is all zero and the test is not.
 *
 * @example
 * ```ts
 * sqnrDb([3, 4], [3, 4.5]); // 20 (relL2 = 0.1)
 * ```
 */
export function sqnrDb(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'sqnrDb')).sqnrDb;
}

/**
 * Cosine similarity Σr_i·t_i / (‖r‖₂‖t‖₂), clamped to [−1, 1], over the pairs of finite values; 1 when
 * both are all zero, 0 when exactly one is, and exactly 1 when `test` equals `reference`.
 *
 * @example
 * ```ts
 * cosine([1, 0], [0, 1]); // 0
 * cosine([1, 2], [2, 4]); // 1
 * ```
 */
export function cosine(reference: MetricInput, test: MetricInput): number {
  return finish(run(reference, test, 'cosine')).cosine;
}

/**
 * Largest error in units in the last place of `format` at the reference value:
 * max_i |t_i − r_i| / ulp(r_i, format) (see `ulp` in lowp/formats: for |r| in [2^e, 2^(e+1)) the ulp is
 * 2^(max(e, emin) − mantissaBits)). A correctly rounded cast of r into `format` has at most 0.5.
 *
 * @example
 * ```ts
 * maxUlpError([1, 2], [1 + 2 ** -10, 2], 'fp16'); // 1
 * ```
 */
export function maxUlpError(reference: MetricInput, test: MetricInput, format: FormatLike): number {
  const f = getFormat(format);
  const s = accumulate(...pair(reference, test, 'maxUlpError'), 0, f);
  return s.nonFiniteMismatches > 0 ? Infinity : s.maxUlp;
}

/**
 * Compares `test` against `reference` and returns every metric of this module in one pass, the counts
 * of non-finite pairs and a {@link Verdict} with the reason. Thresholds are options
 * (`closeSqnrDb` = 40, `lossySqnrDb` = 10 by default).
 *
 * @example
 * ```ts
 * const ref = new Float64Array([1, 2, 3]);
 * compare(ref, ref).verdict;                                 // 'exact'
 * compare(ref, new Float32Array([1, 2, 3.001])).verdict;     // 'close'
 * compare(ref, [1, 2, 3.001], { format: 'fp16' }).maxUlpError; // 0.512
 * ```
 */
export function compare(reference: MetricInput, test: MetricInput, opts?: CompareOptions): Comparison {
  const [r, t] = pair(reference, test, 'compare');
  const relFloor = relFloorOf(opts, 'compare');
  const closeDb = opts?.closeSqnrDb ?? 40;
  const lossyDb = opts?.lossySqnrDb ?? 10;
  if (typeof closeDb !== 'number' || Number.isNaN(closeDb)) throw new RangeError(`compare: closeSqnrDb must be a number, got ${describeValue(closeDb)}`);
  if (typeof lossyDb !== 'number' || Number.isNaN(lossyDb)) throw new RangeError(`compare: lossySqnrDb must be a number, got ${describeValue(lossyDb)}`);
  if (lossyDb > closeDb) throw new RangeError(`compare: lossySqnrDb (${lossyDb}) must not exceed closeSqnrDb (${closeDb})`);
  const f = opts?.format !== undefined ? getFormat(opts.format) : null;
  const s = accumulate(r, t, relFloor, f);
  const m = finish(s);
  let verdict: Verdict;
  let reason: string;
  const fmtDb = (x: number) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x.toFixed(1));
  if (m.nonFiniteMismatches > 0) {
    verdict = 'broken';
    reason = `${m.nonFiniteMismatches} of ${m.n} elements are NaN/Infinity where the other side differs`;
  } else if (m.maxAbsError === 0) {
    verdict = 'exact';
    reason = m.nonFiniteMatches > 0 ? `all ${m.n} elements equal (${m.nonFiniteMatches} matching NaN/Infinity)` : `all ${m.n} elements equal`;
  } else if (m.sqnrDb >= closeDb) {
    verdict = 'close';
    reason = `SQNR ${fmtDb(m.sqnrDb)} dB >= ${closeDb} dB`;
  } else if (m.sqnrDb >= lossyDb) {
    verdict = 'lossy';
    reason = `SQNR ${fmtDb(m.sqnrDb)} dB is below ${closeDb} dB but >= ${lossyDb} dB`;
  } else {
    verdict = 'broken';
    reason = `SQNR ${fmtDb(m.sqnrDb)} dB < ${lossyDb} dB`;
  }
  return {
    ...m,
    maxUlpError: f === null ? null : m.nonFiniteMismatches > 0 ? Infinity : s.maxUlp,
    format: f === null ? null : f.name,
    verdict,
    reason,
  };
}
