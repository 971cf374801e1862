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

/**
 * A new accumulator of the error of t against a finite float32 reference r.
 *
 * @internal
 */
export function createErrorAccumulator(): ErrorAccumulator {
  let n = 0, maxAbs = 0, maxRel = 0, sumAbs = 0, sumE2 = 0, sumR2 = 0, sumT2 = 0, sumRT = 0;
  let nonFinite = 0;
  return {
    add(r, ro, t, to, count) {
      n += count;
      for (let i = 0; i < count; i++) {
        const ri = r[ro + i], ti = t[to + i];
        const e = ti - ri;
        if (e - e !== 0) {
          nonFinite++;
          continue;
        }
        const ae = Math.abs(e);
        if (ae > maxAbs) maxAbs = ae;
        sumAbs += ae;
        if (ae !== 0) {
          const ar = Math.abs(ri);
          const rel = ar === 0 ? Infinity : ae / ar;
          if (rel > maxRel) maxRel = rel;
        }
        sumE2 += e * e;
        sumR2 += ri * ri;
        sumT2 += ti * ti;
        sumRT += ri * ti;
      }
    },
    result() {
      if (nonFinite > 0) {
        return { n, maxAbsError: Infinity, maxRelError: Infinity, meanAbsError: Infinity, relL2: Infinity, sqnrDb: -Infinity, cosine: cos(), signalEnergy: sumR2, noiseEnergy: Infinity };
      }
      let relL2: number, sqnrDb: number;
      if (sumE2 === 0) { relL2 = 0; sqnrDb = Infinity; }
      else if (sumR2 === 0) { relL2 = Infinity; sqnrDb = -Infinity; }
      else { relL2 = Math.sqrt(sumE2 / sumR2); sqnrDb = 10 * Math.log10(sumR2 / sumE2); }
      return { n, maxAbsError: maxAbs, maxRelError: maxRel, meanAbsError: n === 0 ? 0 : sumAbs / n, relL2, sqnrDb, cosine: cos(), signalEnergy: sumR2, noiseEnergy: sumE2 };
    },
  };
  function cos(): number {
    if (sumR2 === 0 && sumT2 === 0) return 1;
    if (sumR2 === 0 || sumT2 === 0) return 0;
    return Math.max(-1, Math.min(1, sumRT / Math.sqrt(sumR2 * sumT2)));
  }
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
