// int8VectorwiseQuant / int8VectorwiseDequant (src/quant/vectorwise.ts): agreement with a plainly written
// twin of bitsandbytes' rules (float32 steps through Float32Array stores, not Math.fround), the error
// bound absmax/254 on non-outlier columns, outlier-column semantics, threshold = Infinity, zero rows,
// inputs never mutated, clear errors. Bit-compatibility with bitsandbytes itself is in
// llm-int8-bitsandbytes.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INV127_F32, int8VectorwiseDequant, int8VectorwiseQuant } from '../../src/quant/vectorwise.js';
import { decodeArray, encodeArray } from '../../src/formats/index.js';

/** Twin: bitsandbytes' default-backend int8_vectorwise_quant written out with float32 stores. */
function twin(d: Float32Array, rows: number, cols: number, threshold: number) {
  const f = new Float32Array(1);
  const f32 = (x: number) => { f[0] = x; return f[0]; };
  const A = Float32Array.from(d);
  const isOut = (x: number) => threshold > 0 && Math.abs(x) >= threshold;
  const outCols = new Set<number>();
  for (let i = 0; i < A.length; i++) if (isOut(A[i])) { outCols.add(i % cols); A[i] = 0; }
  const absmax = new Float32Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) absmax[r] = Math.max(absmax[r], Math.abs(A[r * cols + c]));
  const codes = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    if (absmax[r] === 0) continue;
    const scale = f32(f32(1 / absmax[r]) * 127);
    for (let c = 0; c < cols; c++) {
      // lowp's documented rule where the float32 reciprocal overflows (absmax < 2^-128): float64 scaling
      const p = scale === Infinity ? (A[r * cols + c] * 127) / absmax[r] : f32(A[r * cols + c] * scale);
      const fl = Math.floor(p), frac = p - fl;
      const q = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
      codes[r * cols + c] = outCols.has(c) ? 0 : q;
    }
  }
  return { codes, absmax, outlierCols: [...outCols].sort((a, b) => a - b) };
}

const mat = (maxAbs: number) => fc.record({ rows: fc.integer({ min: 1, max: 7 }), cols: fc.integer({ min: 1, max: 9 }) }).chain(({ rows, cols }) =>
  fc.record({
    rows: fc.constant(rows),
    cols: fc.constant(cols),
    data: fc.array(fc.oneof(fc.float({ min: -maxAbs, max: maxAbs, noNaN: true }), fc.constant(0), fc.integer({ min: -9, max: 9 }).map(Math.fround)), { minLength: rows * cols, maxLength: rows * cols }).map((a) => Float32Array.from(a)),
  }));
const thresholds = fc.oneof(fc.constant(0), fc.constant(6), fc.double({ min: 0.5, max: 12, noNaN: true }), fc.constant(Infinity));

describe('int8VectorwiseQuant', () => {
  it('equals the float32 twin of bitsandbytes\' rules (codes, absmax bits, outlier columns)', () => {
    fc.assert(fc.property(mat(20), thresholds, (m, t) => {
      const q = int8VectorwiseQuant(m, { threshold: t });
      const z = twin(m.data, m.rows, m.cols, t);
      return q.codes.data.every((c, i) => c === z.codes[i]) &&
        q.absmax.every((a, i) => Object.is(a, z.absmax[i])) &&
        q.outlierCols.length === z.outlierCols.length && z.outlierCols.every((c, i) => q.outlierCols[i] === c);
    }), { numRuns: 600 });
  });

  it('|dequant − a| <= absmax/254 (+ float32 rounding) on every non-outlier column', () => {
    fc.assert(fc.property(mat(1e6), thresholds, (m, t) => {
      const q = int8VectorwiseQuant(m, { threshold: t });
      const d = int8VectorwiseDequant(q.codes, q.absmax);
      const outs = new Set(q.outlierCols);
      for (let i = 0; i < d.length; i++) {
        const c = i % m.cols;
        if (outs.has(c)) { if (d[i] !== 0) return false; continue; }
        const am = q.absmax[Math.floor(i / m.cols)];
        // four float32 roundings (scale, product, code·absmax, ·1/127) each move the result by ≲ 2^-24 relative
        if (!(Math.abs(d[i] - m.data[i]) <= am / 254 + am * 2 ** -21)) return false;
      }
      return true;
    }), { numRuns: 400 });
  });

  it('outlier columns are exactly the columns with some |a| >= threshold, sorted; outliers are left out of absmax', () => {
    fc.assert(fc.property(mat(20), fc.double({ min: 0.5, max: 12, noNaN: true }), (m, t) => {
      const q = int8VectorwiseQuant(m, { threshold: t });
      const want: number[] = [];
      for (let c = 0; c < m.cols; c++) {
        let has = false;
        for (let r = 0; r < m.rows; r++) if (Math.abs(m.data[r * m.cols + c]) >= t) has = true;
        if (has) want.push(c);
      }
      let count = 0;
      m.data.forEach((x) => { if (Math.abs(x) >= t) count++; });
      return q.absmax.every((a) => a < t) && want.length === q.outlierCols.length && want.every((c, i) => c === q.outlierCols[i]) && q.outlierCount === count;
    }), { numRuns: 400 });
  });

  it('threshold = Infinity finds no outliers and equals the plain vector-wise result (threshold 0)', () => {
    fc.assert(fc.property(mat(1e4), (m) => {
      const a = int8VectorwiseQuant(m, { threshold: Infinity });
      const b = int8VectorwiseQuant(m);
      return a.outlierCols.length === 0 && a.outlierCount === 0 && a.codes.data.every((c, i) => c === b.codes.data[i]) && a.absmax.every((v, i) => v === b.absmax[i]);
    }), { numRuns: 200 });
  });

  it('zero rows (also rows whose only nonzeros are outliers) give codes 0 and absmax 0, never NaN', () => {
    const a = { rows: 3, cols: 3, data: new Float32Array([0, 0, 0, 1, -2, 3, 0, 7, 0]) };
    const q = int8VectorwiseQuant(a, { threshold: 6 });
    expect(Array.from(q.absmax)).toEqual([0, 3, 0]);
    expect(Array.from(q.codes.data)).toEqual([0, 0, 0, 42, 0, 127, 0, 0, 0]);
    expect(Array.from(q.outlierCols)).toEqual([1]);
    const d = int8VectorwiseDequant(q.codes, q.absmax);
    expect(Array.from(d).some(Number.isNaN)).toBe(false);
    // a float32-subnormal row (absmax < 2^-128: its float32 reciprocal overflows) is scaled in float64
    const tiny = int8VectorwiseQuant({ rows: 1, cols: 3, data: new Float32Array([1e-45, -2.8e-45, 0]) });
    expect(Array.from(tiny.codes.data)).toEqual([64, -127, 0]);
  });

  it('documented example: codes, absmax and outliers', () => {
    const q = int8VectorwiseQuant({ rows: 2, cols: 3, data: new Float32Array([1, 8, -0.5, 2, 0.25, 1]) }, { threshold: 6 });
    expect(Array.from(q.outlierCols)).toEqual([1]);
    expect(Array.from(q.absmax)).toEqual([1, 2]);
    expect(Array.from(q.codes.data)).toEqual([127, 0, -64, 127, 0, 64]);
    expect(INV127_F32).toBe(7.874015718698502e-3); // bitsandbytes' literal is this float32
  });

  it('fp16/bf16 codes, Float32Array and Float64Array inputs agree (Float64 rounded to float32 first)', () => {
    fc.assert(fc.property(mat(100), (m) => {
      const h = encodeArray(m.data, 'fp16') as Uint16Array;
      const qCodes = int8VectorwiseQuant({ rows: m.rows, cols: m.cols, data: h, format: 'fp16' });
      const qDecoded = int8VectorwiseQuant({ rows: m.rows, cols: m.cols, data: decodeArray(h, 'fp16') });
      const qF64 = int8VectorwiseQuant({ rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) });
      const qF32 = int8VectorwiseQuant(m);
      return qF64.codes.data.every((c, i) => c === qF32.codes.data[i]) && qCodes.codes.data.every((c, i) => c === qDecoded.codes.data[i]) &&
        qCodes.absmax.every((v, i) => v === qDecoded.absmax[i]);
    }), { numRuns: 100 });
  });

  it('never mutates its input (bitsandbytes zeroes outliers in place; lowp only reads)', () => {
    fc.assert(fc.property(mat(20), thresholds, (m, t) => {
      const before = m.data.slice();
      const q = int8VectorwiseQuant(m, { threshold: t });
      const codes = q.codes.data.slice();
      int8VectorwiseDequant(q.codes, q.absmax);
      return m.data.every((v, i) => Object.is(v, before[i])) && q.codes.data.every((c, i) => c === codes[i]);
    }), { numRuns: 100 });
  });

  it('rejects bad input with clear errors', () => {
    const a = { rows: 1, cols: 2, data: new Float32Array([1, 2]) };
    expect(() => int8VectorwiseQuant(a, { threshold: NaN })).toThrow(/threshold must be a number >= 0/);
    expect(() => int8VectorwiseQuant(a, { threshold: -1 })).toThrow(RangeError);
    expect(() => int8VectorwiseQuant(a, { threshold: -Infinity })).toThrow(RangeError);
    expect(() => int8VectorwiseQuant(a, { threshold: '6' as never })).toThrow(/threshold/);
    expect(() => int8VectorwiseQuant({ rows: 1, cols: 2, data: new Float32Array([1, NaN]) })).toThrow(/NaN at row 0, column 1/);
    expect(() => int8VectorwiseQuant({ rows: 1, cols: 2, data: new Float32Array([1, Infinity]) }, { threshold: 6 })).toThrow(/Infinity/);
    expect(() => int8VectorwiseQuant([1, 2] as never)).toThrow(TypeError);
    expect(() => int8VectorwiseQuant({ rows: 1, cols: 2, data: new Int32Array(2) } as never)).toThrow(TypeError);
    expect(() => int8VectorwiseDequant({ rows: 1, cols: 2, data: new Int8Array(2) }, new Float32Array(2))).toThrow(/one value per row/);
    expect(() => int8VectorwiseDequant({ rows: 1, cols: 2, data: new Int8Array(2) }, new Float64Array(1) as never)).toThrow(TypeError);
  });
});
