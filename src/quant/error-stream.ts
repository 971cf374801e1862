// The error metrics of metrics.ts (`compare`: max absolute and relative error, mean absolute error,
// relative L2, SQNR, cosine), accumulated chunk by chunk for a tensor streamed in pieces, with the same
// definitions, zeros and infinities. Inputs are float32 values (a float32 reference and its float32
// round trip), so the sums of squares are plain float64 sums: a float32 squared lies within
// [2^-298, 2^256], far inside float64's range, and no scaling is needed. Results agree with `compare` on
// the whole arrays up to float64 rounding (tests check 1e-12 relative).

/** The figures of a finished accumulation (a plain object). */
export interface StreamedError {
  /** Pairs seen. */
  n: number;
  /** max |t − r| (Infinity when an output is not finite). */
  maxAbsError: number;
  /** max |t − r| / |r|; Infinity when an error sits on r = 0. */
  maxRelError: number;
  /** Σ|t − r| / n. */
  meanAbsError: number;
  /** ‖t − r‖₂ / ‖r‖₂. */
  relL2: number;
  /** 10·log10(Σr² / Σ(t − r)²); +Infinity when exact. */
  sqnrDb: number;
  /** Σr·t / (‖r‖‖t‖). */
  cosine: number;
  /** Σr² (to combine tensors: SQNR over a model = 10·log10(Σ signal / Σ noise)). */
  signalEnergy: number;
  /** Σ(t − r)² (Infinity when an output is not finite). */
  noiseEnergy: number;
}

/** A running error accumulation. */
export interface ErrorAccumulator {
  /** Adds the pairs (r[ro + i], t[to + i]) for i < n; r must be finite. */
  add(r: Float32Array, ro: number, t: Float32Array, to: number, n: number): void;
  /** The figures so far. */
  result(): StreamedError;
}

// The running state of an accumulation, in one Float64Array (slots below), so that the loop is one
// module-level function: V8 optimizes it once for every accumulator (closures created per tensor would
// each start cold and run their first million values unoptimized).
const N = 0, MAX_ABS = 1, MAX_REL = 2, SUM_ABS = 3, SUM_E2 = 4, SUM_R2 = 5, SUM_T2 = 6, SUM_RT = 7, NON_FINITE = 8;

function accumulate(st: Float64Array, r: Float32Array, ro: number, t: Float32Array, to: number, count: number): void {
  let mA = st[MAX_ABS], mR = st[MAX_REL], sA = st[SUM_ABS], sE = st[SUM_E2], sR = st[SUM_R2], sT = st[SUM_T2], sRT = st[SUM_RT], bad = 0;
  for (let i = 0; i < count; i++) {
    const ri = r[ro + i], ti = t[to + i];
    const e = ti - ri;
    if (e - e !== 0) {
      bad++;
      continue;
    }
    const ae = Math.abs(e);
    if (ae > mA) mA = ae;
    sA += ae;
    // ae / |ri| > mR without a division per value (|ri| = 0 with ae > 0 gives Infinity; once mR is
    // Infinity, Infinity · 0 is NaN and the test is false, as it should be)
    const ar = Math.abs(ri);
    if (ae > mR * ar) mR = ar === 0 ? Infinity : ae / ar;
    sE += e * e;
    sR += ri * ri;
    sT += ti * ti;
    sRT += ri * ti;
  }
  st[N] += count;
  st[MAX_ABS] = mA; st[MAX_REL] = mR; st[SUM_ABS] = sA; st[SUM_E2] = sE; st[SUM_R2] = sR; st[SUM_T2] = sT; st[SUM_RT] = sRT;
  st[NON_FINITE] += bad;
}

/**
 * A new accumulator of the error of t against a finite float32 reference r.
 *
 * @internal
 */
export function createErrorAccumulator(): ErrorAccumulator {
  const st = new Float64Array(9);
  return {
    add(r, ro, t, to, count) {
      accumulate(st, r, ro, t, to, count);
    },
    result() {
      const n = st[N], sumE2 = st[SUM_E2], sumR2 = st[SUM_R2], sumT2 = st[SUM_T2], sumRT = st[SUM_RT];
      let cosine: number;
      if (sumR2 === 0 && sumT2 === 0) cosine = 1;
      else if (sumR2 === 0 || sumT2 === 0) cosine = 0;
      else cosine = Math.max(-1, Math.min(1, sumRT / Math.sqrt(sumR2 * sumT2)));
      if (st[NON_FINITE] > 0) {
        return { n, maxAbsError: Infinity, maxRelError: Infinity, meanAbsError: Infinity, relL2: Infinity, sqnrDb: -Infinity, cosine, signalEnergy: sumR2, noiseEnergy: Infinity };
      }
      let relL2: number, sqnrDb: number;
      if (sumE2 === 0) { relL2 = 0; sqnrDb = Infinity; }
      else if (sumR2 === 0) { relL2 = Infinity; sqnrDb = -Infinity; }
      else { relL2 = Math.sqrt(sumE2 / sumR2); sqnrDb = 10 * Math.log10(sumR2 / sumE2); }
      return { n, maxAbsError: st[MAX_ABS], maxRelError: st[MAX_REL], meanAbsError: n === 0 ? 0 : st[SUM_ABS] / n, relL2, sqnrDb, cosine, signalEnergy: sumR2, noiseEnergy: sumE2 };
    },
  };
}

/**
 * SQNR in dB from summed energies (signal Σr², noise Σ(t − r)²), with compare()'s conventions.
 *
 * @internal
 */
export function sqnrFromEnergies(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0 || noise === Infinity) return -Infinity;
  return 10 * Math.log10(signal / noise);
}
