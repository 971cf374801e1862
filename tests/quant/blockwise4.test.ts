// bitsandbytes-compatible 4-bit blockwise quantization (NF4 and bitsandbytes' own FP4, 'bnb-fp4').
// Oracle: `blockwise-bitsandbytes` vectors (bitsandbytes 0.50 `quantize_4bit`, default backend):
// packed codes, absmax and the fp16 dequantized output, for nf4/fp4 at blocksize 64 and 128.
// Properties: nearest table entry, error <= half the local gap × absmax, high-nibble-first packing,
// zero blocks, inputs never mutated, nested statistics, clear errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArray, encodeArray } from '../../src/formats/index.js';
import { unpack4 } from '../../src/formats/pack4.js';
import { blockwiseAbsmax } from '../../src/quant/blockwise.js';
import { BLOCKWISE_4BIT_BLOCKSIZES, dequantize4bit, quantize4bit, type QuantType4bit } from '../../src/quant/blockwise4.js';
import { bnbFp4Code, nf4Code } from '../../src/quant/codebooks.js';
import { loadVectors } from '../helpers/vectors.js';

const f32 = Math.fround;
const V = loadVectors('blockwise-bitsandbytes');

function diff(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  if (a.length !== b.length) return [-1];
  const bad: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad.push(i);
  return bad;
}

describe('quantize4bit equals bitsandbytes quantize_4bit (vectors)', () => {
  const cases = V.keys.filter((k) => /^(nf4|fp4)_bs\d+\.X_fp16$/.test(k)).map((k) => k.replace('.X_fp16', ''));
  it('has the 4-bit cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const c of cases) {
    it(`${c}: packed codes, absmax and fp16 dequantized values are bit-identical`, () => {
      const quantType: QuantType4bit = c.startsWith('nf4') ? 'nf4' : 'bnb-fp4';
      const blocksize = Number(/bs(\d+)/.exec(c)![1]);
      const x = decodeArray(V.get(`${c}.X_fp16`).data as Uint16Array, 'fp16');
      const copy = x.slice();
      const q = quantize4bit(x, { quantType, blocksize });
      expect(diff(q.packed, V.get(`${c}.packed_u8`).data as Uint8Array)).toEqual([]);
      expect(diff(q.absmax!, V.get(`${c}.absmax_f32`).data as Float32Array)).toEqual([]);
      expect(diff(q.code, V.get(`${c}.code_f32`).data as Float32Array)).toEqual([]);
      // bitsandbytes computes in float32 and casts the result to the input dtype (fp16)
      const deq16 = encodeArray(dequantize4bit(q), 'fp16');
      expect(diff(deq16, V.get(`${c}.deq_fp16`).data as Uint16Array)).toEqual([]);
      expect(diff(x, copy)).toEqual([]);
    });
  }
});

function halfGap(sorted: number[], s: number): number {
  if (s <= sorted[0]) return sorted[0] - s;
  if (s >= sorted[sorted.length - 1]) return s - sorted[sorted.length - 1];
  let k = 0;
  while (sorted[k + 1] < s) k++;
  return (sorted[k + 1] - sorted[k]) / 2;
}

const vals = fc.oneof(fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -8, max: 8 }).map((k) => k / 8), fc.constant(0));

describe('4-bit properties', () => {
  for (const quantType of ['nf4', 'bnb-fp4'] as const) {
    const code = quantType === 'nf4' ? nf4Code() : bnbFp4Code();
    const sorted = Array.from(code).sort((a, b) => a - b);
    it(`${quantType}: each value gets the nearest table entry, so |deq − x| <= half the local gap × absmax`, () => {
      fc.assert(fc.property(fc.array(vals, { minLength: 1, maxLength: 300 }), fc.constantFrom(...BLOCKWISE_4BIT_BLOCKSIZES.slice(0, 4)), (xs, blocksize) => {
        const x = Float32Array.from(xs);
        const q = quantize4bit(x, { quantType, blocksize });
        const y = dequantize4bit(q);
        const codes = unpack4(q.packed, { order: 'high-first', length: x.length });
        for (let i = 0; i < x.length; i++) {
          const a = q.absmax![Math.floor(i / blocksize)];
          const s = a === 0 ? 0 : x[i] / a;
          let best = Infinity;
          for (const c of code) best = Math.min(best, Math.abs(c - s));
          expect(Math.abs(code[codes[i]] - s)).toBeLessThanOrEqual(best + 2 ** -23);
          expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual((halfGap(sorted, s) + 2 ** -22) * a);
          expect(y[i]).toBe(f32(code[codes[i]] * a));
        }
      }), { numRuns: 150, seed: 41 });
    });
  }
  it('packs the first value in the high nibble; an odd count is padded with the code of 0', () => {
    const q = quantize4bit(new Float32Array([1, -0.5, 0.25]), { blocksize: 64 });
    expect(Array.from(q.packed)).toEqual([0xf2, 0xa7]);
    expect(Array.from(dequantize4bit(q))).toEqual([1, f32(-0.5250730514526367), f32(0.24611230194568634)]);
    const p = quantize4bit(new Float32Array([1, 0.5, -1]), { blocksize: 64, quantType: 'bnb-fp4' });
    expect(Array.from(p.packed)).toEqual([(3 << 4) | 5, (11 << 4) | 0]);
    expect(Array.from(dequantize4bit(p))).toEqual([1, 0.5, -1]);
  });
  it('bnb-fp4: small positive values take the second zero code (8), negative ones code 0 — PyTorch\u2019s stable argsort', () => {
    const q = quantize4bit(new Float32Array([1, 1e-4, -1e-4, 0]), { blocksize: 64, quantType: 'bnb-fp4' });
    expect(Array.from(unpack4(q.packed, { order: 'high-first' }))).toEqual([3, 8, 0, 0]);
  });
  it('zero blocks dequantize to zeros, with no division by zero', () => {
    for (const quantType of ['nf4', 'bnb-fp4'] as const) {
      const q = quantize4bit(new Float32Array(64 + 7), { blocksize: 64, quantType });
      expect(q.absmax![0]).toBe(0);
      expect(Array.from(dequantize4bit(q)).every((v) => v === 0)).toBe(true);
    }
  });
  it('never mutates the input; float64 and number[] inputs are rounded to float32 first', () => {
    const d = new Float64Array([0.1, -0.7, 3.3, 1e-3, 5]);
    const copy = d.slice();
    const a = quantize4bit(d);
    expect(diff(d, copy)).toEqual([]);
    expect(Array.from(a.packed)).toEqual(Array.from(quantize4bit(Float32Array.from(d)).packed));
    expect(Array.from(a.packed)).toEqual(Array.from(quantize4bit(Array.from(d)).packed));
  });
  it('nested statistics (compress_statistics): absmax − mean quantized 8-bit with blocksize 256', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 3000 }), (xs) => {
      const x = Float32Array.from(xs);
      const plain = quantize4bit(x, { blocksize: 32 });
      const nested = quantize4bit(x, { blocksize: 32, nested: true });
      expect(nested.nested!.blocksize).toBe(256);
      expect(nested.absmax).toBeUndefined();
      expect(Array.from(nested.packed)).toEqual(Array.from(plain.packed));
      const rec = blockwiseAbsmax(nested);
      const y = dequantize4bit(nested);
      for (let i = 0; i < x.length; i++) expect(y[i]).toBe(f32(nested.code[unpack4(nested.packed, { order: 'high-first' })[i]] * rec[Math.floor(i / 32)]));
      for (let b = 0; b < rec.length; b++) expect(Math.abs(rec[b] - plain.absmax![b])).toBeLessThanOrEqual(0.02 * 20 + 1e-6);
    }), { numRuns: 30, seed: 42 });
  });
});

describe('4-bit bad input', () => {
  it('blocksize not allowed → RangeError listing 32…4096', () => {
    for (const b of [16, 48, 8192, 0]) expect(() => quantize4bit(new Float32Array(8), { blocksize: b })).toThrow(/32, 64, 128/);
  });
  it("quantType must be 'nf4' or 'bnb-fp4' ('fp4' is refused as ambiguous with OCP E2M1)", () => {
    expect(() => quantize4bit(new Float32Array(8), { quantType: 'fp4' as never })).toThrow(/bnb-fp4/);
    expect(() => quantize4bit(new Float32Array(8), { quantType: 'int4' as never })).toThrow(RangeError);
  });
  it('NaN/Infinity inputs → RangeError', () => {
    expect(() => quantize4bit(new Float32Array([1, NaN]))).toThrow(/element 1/);
    expect(() => quantize4bit(new Float32Array([Infinity]))).toThrow(RangeError);
  });
  it('packed length that does not fit the count (odd length mismatch), NaN scales, wrong table → clear errors', () => {
    const q = quantize4bit(new Float32Array(129).fill(1), { blocksize: 64 });
    expect(q.packed.length).toBe(65);
    expect(() => dequantize4bit({ ...q, packed: new Uint8Array(64) })).toThrow(/ceil\(129 \/ 2\) = 65/);
    expect(() => dequantize4bit({ ...q, absmax: Float32Array.from([1, NaN, 1]) })).toThrow(/absmax\[1\] is NaN/);
    expect(() => dequantize4bit({ ...q, absmax: Float32Array.from([1, 1]) })).toThrow(/3 entries/);
    expect(() => dequantize4bit({ ...q, code: new Float32Array(8) })).toThrow(/16-entry/);
    expect(() => dequantize4bit({ ...q, quantType: 'fp4' as never })).toThrow(/bnb-fp4/);
    expect(() => dequantize4bit({ ...q, scheme: 'bnb-blockwise-8bit' as never })).toThrow(TypeError);
  });
});
