// Error metrics (src/quant/metrics.ts): hand-computed examples, agreement with a naive float64 reference
// twin, scaling invariances, the identities between metrics, non-finite handling and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compare, cosine, maxAbsError, maxRelError, maxUlpError, meanAbsError, mse, relL2, rmse, sqnrDb,
} from '../../src/quant/metrics.js';
import { encodeArray } from '../../src/formats/index.js';

/** The obviously-correct twin: plain float64 loops, no scaling (inputs kept moderate so nothing overflows). */
function naive(r: ArrayLike<number>, t: ArrayLike<number>) {
  let maxAbs = 0, sumAbs = 0, e2 = 0, r2 = 0, t2 = 0, rt = 0;
  for (let i = 0; i < r.length; i++) {
    const e = t[i] - r[i];
    maxAbs = Math.max(maxAbs, Math.abs(e));
    sumAbs += Math.abs(e);
    e2 += e * e; r2 += r[i] * r[i]; t2 += t[i] * t[i]; rt += r[i] * t[i];
  }
  const n = r.length;
  // two square roots, not √(r2·t2): that product underflows for values near 1e-80 (r2·t2 < 1e-308) and
  // the twin, not the library, was then wrong (about one run in eight of the property below failed)
  return { maxAbs, meanAbs: sumAbs / n, mse: e2 / n, relL2: Math.sqrt(e2 / r2), sqnr: 10 * Math.log10(r2 / e2), cos: rt / (Math.sqrt(r2) * Math.sqrt(t2)) };
}

// values below 1e-100 become 0 so that the naive twin's squares cannot underflow
const moderate = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v));
const norm = (v: number[]) => Math.hypot(...v);
const pairs = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.tuple(fc.array(moderate, { minLength: n, maxLength: n }), fc.array(moderate, { minLength: n, maxLength: n })));

describe('metrics: hand-computed examples', () => {
  it('match values worked out by hand', () => {
    expect(maxAbsError([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(meanAbsError([1, 2, 3, 4], [1, 2, 3, 6])).toBe(0.5);
    expect(mse([0, 0, 0, 0], [1, -1, 1, -1])).toBe(1);
    expect(rmse([0, 0], [3, 4])).toBeCloseTo(Math.sqrt(12.5), 14);
    expect(relL2([3, 4], [3, 4.5])).toBeCloseTo(0.1, 14);
    expect(sqnrDb([3, 4], [3, 4.5])).toBeCloseTo(20, 12);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 2], [2, 4])).toBeCloseTo(1, 15);
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 15);
    expect(maxRelError([1, 4], [1.5, 4])).toBe(0.5);
    expect(maxRelError([0, 4], [1e-9, 4])).toBe(Infinity);
    expect(maxRelError([0, 4], [1e-9, 4], { relFloor: 1e-3 })).toBeCloseTo(1e-6, 20);
    expect(maxRelError([0, 4], [0, 4])).toBe(0);
    expect(maxUlpError([1, 2], [1 + 2 ** -10, 2], 'fp16')).toBe(1);
    expect(maxUlpError([1, 2], [1 + 2 ** -10, 2], 'bf16')).toBe(2 ** -3);
    // fp16 ulp at 3 is 2^-9
    expect(compare([1, 2, 3], [1, 2, 3.001], { format: 'fp16' }).maxUlpError).toBeCloseTo(0.512, 10);
  });

  it('a correctly rounded fp16 cast is within half an fp16 ulp (metric agrees with the rounding oracle)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -60000, max: 60000, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
      const codes = encodeArray(xs, 'fp16');
      const back = compare({ rows: 1, cols: xs.length, data: new Float64Array(xs) }, { rows: 1, cols: xs.length, data: codes, format: 'fp16' }, { format: 'fp16' });
      return back.maxUlpError! <= 0.5;
    }), { numRuns: 300 });
  });
});

describe('metrics: properties', () => {
  it('compare(x, x) is exact: zero errors, infinite SQNR, cosine exactly 1', () => {
    fc.assert(fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 30 }), (xs) => {
      const c = compare(xs, Float64Array.from(xs), { format: 'bf16' });
      return c.verdict === 'exact' && c.maxAbsError === 0 && c.mse === 0 && c.rmse === 0 && c.relL2 === 0 &&
        c.sqnrDb === Infinity && c.maxUlpError === 0 && c.meanAbsError === 0 && c.maxRelError === 0 &&
        c.cosine === 1;
    }), { numRuns: 300 });
    // regression: 1 / (√5 · √5) was 0.9999999999999998
    expect(compare([1, -2], [1, -2]).cosine).toBe(1);
    expect(cosine(new Float32Array([1, -2, 0, 1e-40]), new Float32Array([1, -2, 0, 1e-40]))).toBe(1);
  });

  it('agree with the naive float64 twin', () => {
    fc.assert(fc.property(pairs, ([r, t]) => {
      const c = compare(r, t);
      const z = naive(r, t);
      const close = (a: number, b: number) => (Number.isFinite(b) ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) : a === b || (Number.isNaN(b)));
      if (z.maxAbs === 0) return c.verdict === 'exact';
      return c.maxAbsError === z.maxAbs && close(c.meanAbsError, z.meanAbs) && close(c.mse, z.mse) &&
        close(c.rmse, Math.sqrt(z.mse)) &&
        (r.every((v) => v === 0) ? c.relL2 === Infinity : close(c.relL2, z.relL2) && Math.abs(c.sqnrDb - z.sqnr) < 1e-9 * Math.max(1, Math.abs(z.sqnr))) &&
        (Number.isFinite(z.cos) ? Math.abs(c.cosine - z.cos) < 1e-9 : true);
    }), { numRuns: 500 });
  });

  it('relL2, SQNR and cosine are invariant under scaling both arrays (exactly for powers of two)', () => {
    fc.assert(fc.property(pairs, fc.integer({ min: -300, max: 300 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), ([r, t], k, c) => {
      const a = compare(r, t);
      const p = 2 ** k;
      const b = compare(r.map((v) => v * p), t.map((v) => v * p));
      const s = compare(r.map((v) => v * c), t.map((v) => v * c));
      const near = (x: number, y: number) => x === y || Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
      // power-of-two scaling is exact unless it pushes values into the subnormal range
      const exactScaling = r.concat(t).every((v) => v === 0 || Math.abs(v * p) >= 2 ** -1000);
      return (!exactScaling || (a.relL2 === b.relL2 && a.sqnrDb === b.sqnrDb && a.cosine === b.cosine)) &&
        // scaling by c rounds each value (2^-53 relative), which moves the error by up to that much of ‖r‖ + ‖t‖
        (a.relL2 === Infinity || a.relL2 === 0 ? s.relL2 === a.relL2 : Math.abs(s.relL2 - a.relL2) <= 1e-9 * a.relL2 + 4e-16 * (1 + norm(t) / norm(r))) &&
        Math.abs(s.cosine - a.cosine) <= 1e-12;
    }), { numRuns: 300 });
  });

  it('SQNR = −20·log10(relL2), rmse = √mse, and meanAbs ≤ rmse ≤ maxAbs', () => {
    fc.assert(fc.property(pairs, ([r, t]) => {
      const c = compare(r, t);
      if (c.verdict === 'exact' || c.relL2 === Infinity) return true;
      return Math.abs(c.sqnrDb + 20 * Math.log10(c.relL2)) < 1e-9 * Math.max(1, Math.abs(c.sqnrDb)) &&
        c.rmse === Math.sqrt(c.mse) && c.meanAbsError <= c.rmse * (1 + 1e-12) && c.rmse <= c.maxAbsError * (1 + 1e-12);
    }), { numRuns: 300 });
  });

  it('no overflow or underflow in the sums: huge and tiny values give the same relative figures', () => {
    const r = [3e300, 4e300], t = [3e300, 4.5e300];
    expect(relL2(r, t)).toBeCloseTo(0.1, 12);
    expect(sqnrDb(r, t)).toBeCloseTo(20, 10);
    expect(cosine(r, t)).toBeCloseTo(cosine([3, 4], [3, 4.5]), 14);
    const rs = [3e-320, 4e-320], ts = [3e-320, 4.5e-320];
    expect(relL2(rs, ts)).toBeCloseTo(relL2([3, 4], [3, 4.5]), 2); // subnormal inputs are themselves coarse
    expect(mse(r, t)).toBe(Infinity); // the true mse (1.25e599) is not a double
  });

  it('inputs are never mutated', () => {
    fc.assert(fc.property(pairs, ([r, t]) => {
      const rf = Float64Array.from(r), tf = Float32Array.from(t);
      const rc = rf.slice(), tc = tf.slice();
      compare(rf, tf, { format: 'fp16' });
      return rf.every((v, i) => Object.is(v, rc[i])) && tf.every((v, i) => Object.is(v, tc[i]));
    }), { numRuns: 100 });
  });
});

describe('metrics: non-finite values and verdicts', () => {
  it('matching NaN/Infinity pairs are skipped; mismatches make the verdict broken', () => {
    const ok = compare([NaN, Infinity, 1], [NaN, Infinity, 1]);
    expect(ok.verdict).toBe('exact');
    expect(ok.nonFiniteMatches).toBe(2);
    expect(ok.finite).toBe(1);
    const bad = compare([1, 2, 3], [1, NaN, 3]);
    expect(bad.verdict).toBe('broken');
    expect(bad.nonFiniteMismatches).toBe(1);
    expect(bad.maxAbsError).toBe(Infinity);
    expect(bad.sqnrDb).toBe(-Infinity);
    expect(maxAbsError([1, Infinity], [1, -Infinity])).toBe(Infinity);
    expect(mse([1e308, 0], [-1e308, 0])).toBe(Infinity); // finite values whose difference overflows
    expect(compare([1e308], [-1e308]).verdict).toBe('broken');
  });

  it('verdict thresholds follow the options', () => {
    const r = [3, 4], t = [3, 4.5]; // 20 dB
    expect(compare(r, t).verdict).toBe('lossy');
    expect(compare(r, t, { closeSqnrDb: 19.9 }).verdict).toBe('close');
    expect(compare(r, t, { lossySqnrDb: 25, closeSqnrDb: 30 }).verdict).toBe('broken');
    expect(compare([3, 4], [3, 4.0001]).verdict).toBe('close');
    expect(compare([0, 0], [0, -0]).verdict).toBe('exact');
    expect(compare([], []).verdict).toBe('exact');
  });

  it('reference all zero: relL2 = Infinity, SQNR = −Infinity, cosine 0', () => {
    const c = compare([0, 0], [0, 1]);
    expect(c.relL2).toBe(Infinity);
    expect(c.sqnrDb).toBe(-Infinity);
    expect(c.cosine).toBe(0);
    expect(c.verdict).toBe('broken');
  });
});

describe('metrics: bad input', () => {
  it('throws clear errors', () => {
    expect(() => compare([1, 2], [1])).toThrow(/lengths differ.*2.*1/);
    expect(() => compare('abc' as never, [1])).toThrow(TypeError);
    expect(() => compare(new Int32Array(2) as never, [1, 2])).toThrow(/expected a Float32Array/);
    expect(() => compare({ rows: 2, cols: 1, data: new Float32Array(2) }, { rows: 1, cols: 2, data: new Float32Array(2) })).toThrow(/shapes differ/);
    expect(() => compare({ rows: 1, cols: 2, data: new Uint16Array(2) } as never, [1, 2])).toThrow(/format/);
    expect(() => maxRelError([1], [1], { relFloor: -1 })).toThrow(RangeError);
    expect(() => compare([1], [1], { format: 'fp12' })).toThrow(RangeError);
    expect(() => compare([1], [1], { closeSqnrDb: 5, lossySqnrDb: 10 })).toThrow(RangeError);
  });

  it('decodes bf16/fp16 code matrices', () => {
    const codes = encodeArray([1, 2, 3], 'bf16');
    const c = compare([1, 2, 3], { rows: 3, cols: 1, data: codes, format: 'bf16' });
    expect(c.verdict).toBe('exact');
  });
});
