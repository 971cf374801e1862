// The tensor round-trip registry (src/quant/methods.ts) and the error tables (src/quant/quant-error.ts):
// every method agrees with calling its quantizer directly (reference twin), storage costs follow the
// documented layouts, errors respect each method's bound, the tables' figures equal compare() on the same
// data, the synthetic generators are deterministic and shaped as documented, and bad input is rejected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArray, encodeArray } from '../../src/formats/index.js';
import { dequantizeAbsmax, quantizeAbsmax } from '../../src/quant/absmax.js';
import { dequantize4bit, quantize4bit } from '../../src/quant/blockwise4.js';
import { dequantizeBlockwise, quantizeBlockwise } from '../../src/quant/blockwise.js';
import { getQuantMethod, parseQuantMethods, QUANT_METHOD_NAMES, quantRoundTrip } from '../../src/quant/methods.js';
import { compare } from '../../src/quant/metrics.js';
import { dequantizeMx, quantizeMx } from '../../src/quant/mx.js';
import { LINEAR_METHOD_NAMES, formatErrorTable, linearErrorTable, quantErrorTable, syntheticMatrix } from '../../src/quant/quant-error.js';
import { dequantizeScaledFp8, quantizeScaledFp8 } from '../../src/quant/scaled-fp8.js';

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const tensor = fc.record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 70 }) }).chain(({ rows, cols }) =>
  fc.record({
    rows: fc.constant(rows),
    cols: fc.constant(cols),
    data: fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }).map((a) => Float32Array.from(a)),
  }));

describe('quantRoundTrip (methods registry)', () => {
  it('each method equals its quantizer called directly, with the documented storage', () => {
    fc.assert(fc.property(tensor, ({ rows, cols, data }) => {
      const n = rows * cols;
      const M = { rows, cols, data };
      const rt = (m: (typeof QUANT_METHOD_NAMES)[number]) => quantRoundTrip(M, m);
      const checks: Array<[boolean, string]> = [
        [same(rt('fp16').values, decodeArray(encodeArray(data, 'fp16') as Uint16Array, 'fp16')) && rt('fp16').bytes === 2 * n, 'fp16'],
        [same(rt('bf16').values, decodeArray(encodeArray(data, 'bf16') as Uint16Array, 'bf16')) && rt('bf16').bytes === 2 * n, 'bf16'],
        [same(rt('int8-tensor').values, dequantizeAbsmax(quantizeAbsmax(M))) && rt('int8-tensor').bytes === n + 4, 'int8-tensor'],
        [same(rt('int8-row').values, dequantizeAbsmax(quantizeAbsmax(M, { granularity: 'row' }))) && rt('int8-row').bytes === n + 4 * rows, 'int8-row'],
        [same(rt('int8-col').values, dequantizeAbsmax(quantizeAbsmax(M, { granularity: 'col' }))) && rt('int8-col').bytes === n + 4 * cols, 'int8-col'],
        [same(rt('fp8-e4m3fn').values, dequantizeScaledFp8(quantizeScaledFp8(data, { format: 'fp8-e4m3fn' }))) && rt('fp8-e4m3fn').bytes === n + 4, 'fp8-e4m3fn'],
        [same(rt('fp8-e5m2').values, dequantizeScaledFp8(quantizeScaledFp8(data, { format: 'fp8-e5m2' }))) && rt('fp8-e5m2').bytes === n + 4, 'fp8-e5m2'],
        [same(rt('mxfp8-e4m3').values, dequantizeMx(quantizeMx(data, { format: 'fp8-e4m3fn', rows, cols }))) && rt('mxfp8-e4m3').bytes === n + rows * Math.ceil(cols / 32), 'mxfp8'],
        [same(rt('mxfp4').values, dequantizeMx(quantizeMx(data, { format: 'fp4-e2m1fn', rows, cols }))) && rt('mxfp4').bytes === rows * Math.ceil(cols / 2) + rows * Math.ceil(cols / 32), 'mxfp4'],
        [same(rt('blockwise8').values, dequantizeBlockwise(quantizeBlockwise(data, { blocksize: 4096 }))) && rt('blockwise8').bytes === n + 4 * Math.ceil(n / 4096), 'blockwise8'],
        [same(rt('nf4').values, dequantize4bit(quantize4bit(data, { quantType: 'nf4', blocksize: 64 }))) && rt('nf4').bytes === Math.ceil(n / 2) + 4 * Math.ceil(n / 64), 'nf4'],
        [same(rt('bnb-fp4').values, dequantize4bit(quantize4bit(data, { quantType: 'bnb-fp4', blocksize: 64 }))) && rt('bnb-fp4').bytes === Math.ceil(n / 2) + 4 * Math.ceil(n / 64), 'bnb-fp4'],
      ];
      const bad = checks.filter(([ok]) => !ok).map(([, name]) => name);
      if (bad.length) throw new Error(`methods differ from their quantizers: ${bad.join(', ')}`);
      return true;
    }), { numRuns: 100 });
  });

  it("'llm-int8' keeps the outlier columns in fp16 and the rest within absmax/254 of each row", () => {
    fc.assert(fc.property(tensor, ({ rows, cols, data }) => {
      const r = quantRoundTrip({ rows, cols, data }, 'llm-int8');
      const outCols = new Set<number>();
      data.forEach((v, i) => { if (Math.abs(v) >= 6) outCols.add(i % cols); });
      if (r.details.outlierCols !== outCols.size) return false;
      if (r.bytes !== rows * cols + 4 * rows + 2 * rows * outCols.size + 4 * outCols.size) return false;
      const fp16 = decodeArray(encodeArray(data, 'fp16') as Uint16Array, 'fp16');
      for (let i = 0; i < rows; i++) {
        let am = 0;
        for (let c = 0; c < cols; c++) if (!(Math.abs(data[i * cols + c]) >= 6)) am = Math.max(am, Math.abs(data[i * cols + c]));
        for (let c = 0; c < cols; c++) {
          const j = i * cols + c;
          if (outCols.has(c)) { if (!Object.is(r.values[j], fp16[j])) return false; }
          else if (!(Math.abs(r.values[j] - data[j]) <= am / 254 + am * 2 ** -21)) return false;
        }
      }
      return true;
    }), { numRuns: 200 });
  });

  it('flat arrays take an optional shape; inputs are never mutated', () => {
    const x = new Float32Array([0.1, -2, 0.5, 3, 0, 1.5]);
    const copy = x.slice();
    const r = quantRoundTrip(x, 'int8-row', { rows: 2, cols: 3 });
    expect(r.bytes).toBe(14);
    expect(r.bytesPerElement).toBeCloseTo(14 / 6, 12);
    expect(same(r.values, quantRoundTrip({ rows: 2, cols: 3, data: x }, 'int8-row').values)).toBe(true);
    expect(quantRoundTrip(x, 'int8-row', { cols: 3 }).bytes).toBe(14);
    expect(quantRoundTrip(x, 'int8-row').bytes).toBe(10); // one row by default
    for (const m of QUANT_METHOD_NAMES) {
      // the ggml types store whole blocks of 32 or 256 values per row: 6 values are refused, never padded
      if (getQuantMethod(m).ggmlType !== undefined) expect(() => quantRoundTrip(x, m)).toThrow(/row length 6 is not a multiple of/);
      else quantRoundTrip(x, m);
    }
    expect(same(x, copy)).toBe(true);
  });

  it('parses method lists and rejects unknown names, bad shapes and non-finite values clearly', () => {
    expect(parseQuantMethods('int8-tensor, int8-row,llm-int8,fp16,bf16,fp8-e4m3fn,nf4,nf4')).toEqual(['int8-tensor', 'int8-row', 'llm-int8', 'fp16', 'bf16', 'fp8-e4m3fn', 'nf4']);
    expect(() => parseQuantMethods('int8,nf4')).toThrow(/unknown quantization method: expected one of fp16, .*, got the string 'int8'/);
    expect(() => parseQuantMethods(' , ')).toThrow(RangeError);
    expect(() => getQuantMethod('toString')).toThrow(RangeError);
    expect(getQuantMethod('nf4').description).toMatch(/NF4/);
    expect(() => quantRoundTrip(new Float32Array(6), 'int8-row', { rows: 4, cols: 2 })).toThrow(/does not fit 6/);
    expect(() => quantRoundTrip(new Float32Array([1, NaN]), 'fp16')).toThrow(/NaN at row 0, column 1/);
    expect(() => quantRoundTrip({ rows: 1, cols: 2, data: new Float32Array(2) }, 'int8-row', { rows: 1 })).toThrow(/only for flat arrays/);
    expect(() => quantRoundTrip([1, 2] as never, 'fp16')).toThrow(TypeError);
  });
});

describe('quantErrorTable / linearErrorTable', () => {
  it('quantErrorTable rows equal compare() of each round trip', () => {
    const x = syntheticMatrix('student-t', 16, 64, { seed: 9 });
    const rows = quantErrorTable([{ name: 't', data: x }], { methods: ['int8-tensor', 'nf4', 'fp8-e4m3fn'] });
    expect(rows.map((r) => r.method)).toEqual(['int8-tensor', 'nf4', 'fp8-e4m3fn']);
    for (const r of rows) {
      const c = compare(x.data, quantRoundTrip(x, r.method).values);
      expect(r.sqnrDb).toBe(c.sqnrDb);
      expect(r.relL2).toBe(c.relL2);
      expect(r.maxAbsError).toBe(c.maxAbsError);
      expect(r.elements).toBe(16 * 64);
    }
    // more bits, less error: fp16 beats int8 beats nf4 on the same tensor
    const all = quantErrorTable([{ name: 'g', data: syntheticMatrix('gaussian', 32, 128, { seed: 1 }) }]);
    const by = Object.fromEntries(all.map((r) => [r.method, r.sqnrDb]));
    expect(by.fp16).toBeGreaterThan(by['int8-row']);
    expect(by['int8-row']).toBeGreaterThan(by.nf4);
    expect(by.nf4).toBeGreaterThan(by.mxfp4 - 3);
  });

  it('linearErrorTable: the paper\'s finding on outlier features (per-tensor and vector-wise int8 degrade, LLM.int8 does not)', () => {
    const k = 512;
    const w = syntheticMatrix('gaussian', 32, k, { seed: 2, scale: 1 / Math.sqrt(k) });
    const rows = linearErrorTable([
      { name: 'gauss', a: syntheticMatrix('gaussian', 32, k, { seed: 1 }), w },
      { name: 'outliers', a: syntheticMatrix('outlier-features', 32, k, { seed: 3, outlierCols: 4 }), w },
    ]);
    expect(rows.length).toBe(2 * LINEAR_METHOD_NAMES.length);
    const e = (c: string, m: string) => rows.find((r) => r.case === c && r.method === m)!.relL2;
    expect(e('gauss', 'fp32')).toBeLessThan(1e-6);
    expect(e('gauss', 'fp16')).toBeLessThan(1e-3);
    expect(e('outliers', 'int8-tensor')).toBeGreaterThan(2 * e('gauss', 'int8-tensor'));
    expect(e('outliers', 'int8-vectorwise')).toBeGreaterThan(2 * e('gauss', 'int8-vectorwise'));
    expect(e('outliers', 'llm-int8')).toBeLessThan(e('outliers', 'int8-vectorwise') / 2.5);
    expect(e('outliers', 'llm-int8-16bit')).toBeLessThan(e('outliers', 'llm-int8'));
    expect(rows.find((r) => r.case === 'outliers' && r.method === 'llm-int8')!.outlierCols).toBe(4);
    expect(rows.find((r) => r.case === 'gauss' && r.method === 'llm-int8')!.outlierCols).toBe(0);
    expect(() => linearErrorTable([{ name: 'x', a: w, w: syntheticMatrix('gaussian', 3, 5) }])).toThrow(/must be n×512/);
    // activations beyond fp16's range: the fp16 GEMM overflows (broken), the int8 methods run from float32
    const big = syntheticMatrix('outlier-features', 8, k, { seed: 4, outlierCols: 2, magnitude: [1e5, 2e5] });
    const rb = linearErrorTable([{ name: 'big', a: big, w }]);
    expect(rb.find((r) => r.method === 'fp16')!.verdict).toBe('broken');
    expect(rb.find((r) => r.method === 'llm-int8-16bit')!.relL2).toBeLessThan(0.01);
    expect(rb.find((r) => r.method === 'bf16')!.relL2).toBeLessThan(0.01);
    expect(() => linearErrorTable([], { methods: ['int4' as never] })).toThrow(/unknown method/);
  });

  it('syntheticMatrix is deterministic per seed and shaped as documented', () => {
    const a = syntheticMatrix('outlier-features', 10, 300, { seed: 5, outlierCols: 3 });
    expect(same(a.data, syntheticMatrix('outlier-features', 10, 300, { seed: 5, outlierCols: 3 }).data)).toBe(true);
    expect(same(a.data, syntheticMatrix('outlier-features', 10, 300, { seed: 6, outlierCols: 3 }).data)).toBe(false);
    let cols = 0;
    for (let c = 0; c < 300; c++) {
      let all = true;
      for (let r = 0; r < 10; r++) { const v = Math.abs(a.data[r * 300 + c]); if (!(v >= 15 && v <= 60)) all = false; }
      if (all) cols++;
    }
    expect(cols).toBe(3);
    const t = syntheticMatrix('student-t', 100, 100, { seed: 1, dof: 3 }).data;
    const g = syntheticMatrix('gaussian', 100, 100, { seed: 1 }).data;
    const kurt = (x: Float32Array) => { let m2 = 0, m4 = 0; x.forEach((v) => { m2 += v * v; m4 += v ** 4; }); m2 /= x.length; m4 /= x.length; return m4 / (m2 * m2); };
    expect(kurt(g)).toBeGreaterThan(2.7);
    expect(kurt(g)).toBeLessThan(3.3);
    expect(kurt(t)).toBeGreaterThan(5); // heavy tails
    expect(() => syntheticMatrix('uniform' as never, 2, 2)).toThrow(RangeError);
    expect(() => syntheticMatrix('gaussian', -1, 2)).toThrow(RangeError);
  });

  it('formatErrorTable renders markdown', () => {
    expect(formatErrorTable([{ method: 'nf4', sqnrDb: 20.1, n: 3, inf: Infinity }])).toBe('| method | sqnrDb | n | inf |\n| --- | ---: | ---: | ---: |\n| nf4 | 20.100 | 3 | inf |');
    expect(formatErrorTable([])).toBe('');
  });
});
