// Absmax int8 quantization (src/quant/absmax.ts): codes agree with an exact rational (BigInt) rounding
// twin, the round-trip error bound absmax/254, clamping, zero groups, granularity symmetry, inputs
// never mutated, and clear errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { absmaxRoundTrip, dequantizeAbsmax, quantizeAbsmax, type AbsmaxGranularity } from '../../src/quant/absmax.js';
import { decodeArray, encodeArray } from '../../src/formats/index.js';

/** An exact dyadic rational n / 2^s for a finite double. */
function toRational(x: number): { n: bigint; s: bigint } {
  if (x === 0) return { n: 0n, s: 0n };
  let s = 0n;
  let v = x;
  while (!Number.isInteger(v)) { v *= 2; s++; }
  return { n: BigInt(v), s };
}

/**
 * Is `c` the round-half-to-even of the exact x·127/m? Checked in integers:
 * 2|127x − c·m| < m, or = m with c even.
 */
function isCorrectCode(x: number, m: number, c: number): boolean {
  if (m === 0) return c === 0;
  const X = toRational(x), M = toRational(m);
  const s = X.s > M.s ? X.s : M.s;
  const xi = X.n << (s - X.s), mi = M.n << (s - M.s); // common denominator 2^s
  const d = 127n * xi - BigInt(c) * mi;
  const twice = 2n * (d < 0n ? -d : d);
  return twice < mi || (twice === mi && c % 2 === 0);
}

const GRANS: AbsmaxGranularity[] = ['tensor', 'row', 'col'];
const matrixArb = fc.record({ rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 7 }) }).chain(({ rows, cols }) =>
  fc.record({
    rows: fc.constant(rows),
    cols: fc.constant(cols),
    data: fc.float64Array({ minLength: rows * cols, maxLength: rows * cols, noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }),
  }));

function groupOf(g: AbsmaxGranularity, i: number, cols: number): number {
  return g === 'tensor' ? 0 : g === 'row' ? Math.floor(i / cols) : i % cols;
}

describe('quantizeAbsmax', () => {
  it('codes are the round-half-to-even of x·127/absmax (exact BigInt twin), absmax is the group max', () => {
    fc.assert(fc.property(matrixArb, fc.constantFrom(...GRANS), (m, g) => {
      const q = quantizeAbsmax(m, { granularity: g });
      const groups = g === 'tensor' ? 1 : g === 'row' ? m.rows : m.cols;
      const want = new Float64Array(groups);
      m.data.forEach((x, i) => { const gi = groupOf(g, i, m.cols); want[gi] = Math.max(want[gi], Math.abs(x)); });
      if (!want.every((v, i) => v === q.absmax[i] && q.scale[i] === v / 127)) return false;
      return Array.from(m.data).every((x, i) => isCorrectCode(x, q.absmax[groupOf(g, i, m.cols)], q.codes.data[i]));
    }), { numRuns: 400 });
  });

  it('|dequant(quant(x)) − x| <= absmax/254 per element (float64 output, up to float64 rounding)', () => {
    fc.assert(fc.property(matrixArb, fc.constantFrom(...GRANS), (m, g) => {
      const q = quantizeAbsmax(m, { granularity: g });
      const d = dequantizeAbsmax(q, { out: new Float64Array(m.data.length) });
      return Array.from(m.data).every((x, i) => {
        const am = q.absmax[groupOf(g, i, m.cols)];
        return Math.abs(d[i] - x) <= (am / 254) * (1 + 2 ** -40);
      });
    }), { numRuns: 400 });
  });

  it('codes stay in [−127, 127]; the absmax element gets ±127; an all-zero group gets 0 codes and scale 0, never NaN', () => {
    const x = { rows: 3, cols: 2, data: new Float32Array([0, 0, -5, 2.5, 0, 0]) };
    const q = quantizeAbsmax(x, { granularity: 'row' });
    expect(Array.from(q.codes.data)).toEqual([0, 0, -127, 64, 0, 0]);
    expect(Array.from(q.absmax)).toEqual([0, 5, 0]);
    expect(Array.from(q.scale)).toEqual([0, 5 / 127, 0]);
    const d = dequantizeAbsmax(q);
    expect(Array.from(d).every((v) => !Number.isNaN(v))).toBe(true);
    expect(Array.from(d)).toEqual([0, 0, -5, Math.fround((64 * 5) / 127), 0, 0]);
    const z = quantizeAbsmax(new Float32Array(4));
    expect(Array.from(z.codes.data)).toEqual([0, 0, 0, 0]);
    expect(z.scale[0]).toBe(0);
    expect(Array.from(absmaxRoundTrip(new Float32Array(3)))).toEqual([0, 0, 0]);
    fc.assert(fc.property(matrixArb, fc.constantFrom(...GRANS), (m, g) => {
      const q2 = quantizeAbsmax(m, { granularity: g });
      return q2.codes.data.every((c) => c >= -127 && c <= 127);
    }), { numRuns: 200 });
  });

  it('ties round to even: 0.5/127·absmax steps', () => {
    // absmax 127: x·127/127 = x, so x = 2.5 → 2, 3.5 → 4, −2.5 → −2
    const q = quantizeAbsmax(new Float64Array([127, 2.5, 3.5, -2.5, -3.5]));
    expect(Array.from(q.codes.data)).toEqual([127, 2, 4, -2, -4]);
  });

  it('per-column of X equals per-row of Xᵀ (transposed); per-tensor of one row equals per-row', () => {
    fc.assert(fc.property(matrixArb, (m) => {
      const t = new Float64Array(m.data.length);
      for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) t[j * m.rows + i] = m.data[i * m.cols + j];
      const qc = quantizeAbsmax(m, { granularity: 'col' });
      const qr = quantizeAbsmax({ rows: m.cols, cols: m.rows, data: t }, { granularity: 'row' });
      for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) if (qc.codes.data[i * m.cols + j] !== qr.codes.data[j * m.rows + i]) return false;
      const row = m.data.subarray(0, m.cols);
      const a = quantizeAbsmax(row), b = quantizeAbsmax({ rows: 1, cols: m.cols, data: row }, { granularity: 'row' });
      return Array.from(qc.absmax).every((v, j) => v === qr.absmax[j]) && a.codes.data.every((c, i) => c === b.codes.data[i]);
    }), { numRuns: 200 });
  });

  it('fp16/bf16 code inputs are decoded exactly (same result as their float32 values)', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -60000, max: 60000, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.constantFrom('fp16', 'bf16'), (xs, f) => {
      const codes = encodeArray(xs, f) as Uint16Array;
      const q1 = quantizeAbsmax({ rows: 1, cols: xs.length, data: codes, format: f });
      const q2 = quantizeAbsmax(decodeArray(codes, f)); // the codes' values, exact in float32
      return q1.absmax[0] === q2.absmax[0] && q1.codes.data.every((c, i) => c === q2.codes.data[i]);
    }), { numRuns: 100 });
  });

  it('never mutates its input', () => {
    fc.assert(fc.property(matrixArb, fc.constantFrom(...GRANS), (m, g) => {
      const before = m.data.slice();
      const q = quantizeAbsmax(m, { granularity: g });
      const codes = q.codes.data.slice();
      dequantizeAbsmax(q);
      return m.data.every((v, i) => Object.is(v, before[i])) && q.codes.data.every((c, i) => c === codes[i]);
    }), { numRuns: 100 });
  });

  it('rejects bad input with clear errors', () => {
    expect(() => quantizeAbsmax({ rows: 1, cols: 3, data: new Float32Array([1, NaN, 2]) })).toThrow(/NaN at row 0, column 1/);
    expect(() => quantizeAbsmax({ rows: 2, cols: 1, data: new Float64Array([1, -Infinity]) })).toThrow(/-Infinity at row 1, column 0/);
    expect(() => quantizeAbsmax([1, 2] as never)).toThrow(TypeError);
    expect(() => quantizeAbsmax({ rows: 2, cols: 2, data: new Float32Array(3) })).toThrow(/rows × cols/);
    expect(() => quantizeAbsmax(new Float32Array(2), { granularity: 'block' as never })).toThrow(/granularity/);
    expect(() => quantizeAbsmax({ rows: 1, cols: 1, data: new Int8Array(1) } as never)).toThrow(TypeError);
    const q = quantizeAbsmax(new Float32Array([1, 2]));
    expect(() => dequantizeAbsmax(q, { out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => dequantizeAbsmax({ ...q, absmax: new Float64Array([NaN]) })).toThrow(/absmax\[0\]/);
    expect(() => dequantizeAbsmax({ ...q, absmax: new Float64Array(2) })).toThrow(/absmax must have 1/);
  });
});
