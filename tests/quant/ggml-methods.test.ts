// llama.cpp's ggml types in the registry of round trips (src/quant/methods.ts) and the error table:
//   - each ggml method equals its reference twin, quantizeGgml then dequantizeGgml along each row of
//     `cols` values (themselves checked against ggml's C in ggml-quantize-vectors.test.ts);
//   - its storage is typeSize bytes per blockSize values (Q4_K 144 per 256: 4.5 bits), whatever the shape;
//   - the error of every value stays within the type's bound relative to its block's largest magnitude
//     (the rounding bound for the types whose scale is a function of max|x|, a measured envelope for
//     the types whose scales come out of a search);
//   - the inputs are never written; Float64Array inputs round trip as their float32 rounding;
//   - rows that are not whole blocks are refused with the reason (never padded), by quantRoundTrip,
//     quantErrorTable (or left out with unsupported: 'skip'), and NaN/±inf are refused as for every
//     method; names are found in any case, and 'MXFP4' in capitals is ambiguous.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantizeGgml, GGML_TYPES, quantizeGgml } from '../../src/quant/index.js';
import { getQuantMethod, parseQuantMethods, QUANT_METHOD_NAMES, quantRoundTrip, type QuantMethodName } from '../../src/quant/methods.js';
import { quantErrorTable, syntheticMatrix } from '../../src/quant/quant-error.js';
import type { GgmlStorageType } from '../../src/quant/ggml/scales.js';

const f = Math.fround;

/** The ggml methods and their types. */
const GGML_METHODS: [QuantMethodName, GgmlStorageType][] = [
  ['q8_0', 'Q8_0'], ['q6_k', 'Q6_K'], ['q5_1', 'Q5_1'], ['q5_k', 'Q5_K'], ['q5_0', 'Q5_0'], ['q4_1', 'Q4_1'],
  ['q4_k', 'Q4_K'], ['q4_0', 'Q4_0'], ['iq4_nl', 'IQ4_NL'], ['iq4_xs', 'IQ4_XS'], ['ggml-mxfp4', 'MXFP4'],
  ['q3_k', 'Q3_K'], ['q2_k', 'Q2_K'], ['tq2_0', 'TQ2_0'], ['tq1_0', 'TQ1_0'],
];

/**
 * Largest |x − x̂| / (block max |x|) per type, for blocks with normal fp16 scales. Simple types: half a
 * step of the codes (one step where the top code is missing: Q4_0's x/d of 8, MXFP4 between 8 and 12
 * times the scale), plus fp16's rounding of d times the largest code (2^-11 · code). Search-based types
 * (K-quants, IQ4): 1.4× the worst ratio measured on 1,600 blocks of uniform, heavy-tailed, sparse and
 * outlier data (Q6_K 0.020, Q5_K 0.061, Q4_K 0.113, Q3_K 0.266, Q2_K 0.480, IQ4_NL/IQ4_XS 0.129).
 */
const BOUND: Record<GgmlStorageType, number> = {
  Q8_0: 1 / 254 + 2 ** -11 + 2 ** -20,
  Q5_0: 1 / 16 + 2 ** -11 + 2 ** -20,
  Q4_0: 1 / 8 + 2 ** -11 + 2 ** -20,
  Q5_1: 2 / 62 + 2 * 2 ** -11 + 2 ** -20, // range ≤ 2·max|x|; the minimum's fp16 rounding adds ≤ max|x|·2^-11
  Q4_1: 2 / 30 + 2 * 2 ** -11 + 2 ** -20,
  MXFP4: 1 / 4 + 2 ** -20,
  TQ2_0: 1 / 2 + 2 ** -11 + 2 ** -20,
  TQ1_0: 1 / 2 + 2 ** -11 + 2 ** -20,
  Q6_K: 0.028, Q5_K: 0.085, Q4_K: 0.16, Q3_K: 0.37, Q2_K: 0.67, IQ4_NL: 0.18, IQ4_XS: 0.18,
};

/** A rows × (nb·blockSize) tensor whose blocks have max |x| within [2^-4, 2^8] (normal fp16 scales). */
function tensorArb(type: GgmlStorageType): fc.Arbitrary<{ rows: number; cols: number; data: Float32Array }> {
  const B = GGML_TYPES[type].blockSize;
  return fc
    .record({ rows: fc.integer({ min: 1, max: 3 }), nb: fc.integer({ min: 1, max: B === 256 ? 2 : 4 }) })
    .chain(({ rows, nb }) => {
      const n = rows * nb * B;
      const blocks = rows * nb;
      return fc.record({
        rows: fc.constant(rows),
        cols: fc.constant(nb * B),
        vs: fc.array(fc.oneof(fc.float({ min: -1, max: 1, noNaN: true }), fc.constantFrom(0, -0, 0.5, -1)), { minLength: n, maxLength: n }),
        es: fc.array(fc.integer({ min: -4, max: 8 }), { minLength: blocks, maxLength: blocks }),
        at: fc.array(fc.nat(B - 1), { minLength: blocks, maxLength: blocks }),
      });
    })
    .map(({ rows, cols, vs, es, at }) => {
      const data = Float32Array.from(vs, (v, i) => f(v * 2 ** es[Math.floor(i / B)]));
      for (let b = 0; b < es.length; b++) data[b * B + at[b]] = 2 ** es[b] * (b % 2 ? -1 : 1);
      return { rows, cols, data };
    });
}

describe('the ggml methods of the registry', () => {
  it('are registered after the other methods, most bits first, with their ggml type and bits in the description', () => {
    expect(QUANT_METHOD_NAMES.slice(13)).toEqual(GGML_METHODS.map(([m]) => m));
    let lastBits = Infinity;
    for (const [m, t] of GGML_METHODS) {
      const q = getQuantMethod(m);
      const bits = (GGML_TYPES[t].typeSize * 8) / GGML_TYPES[t].blockSize;
      expect(q.ggmlType).toBe(t);
      expect(q.description).toContain(`${t}:`);
      expect(q.description).toContain(`${bits} bits per value`);
      expect(bits).toBeLessThanOrEqual(lastBits);
      lastBits = bits;
    }
    for (const m of QUANT_METHOD_NAMES.slice(0, 13)) expect(getQuantMethod(m).ggmlType).toBeUndefined();
  });

  for (const [method, type] of GGML_METHODS) {
    const { blockSize: B, typeSize: T } = GGML_TYPES[type];
    it(`${method}: equals quantizeGgml + dequantizeGgml along each row, ${T} bytes per ${B} values, within its bound, input untouched`, () => {
      fc.assert(
        fc.property(tensorArb(type), ({ rows, cols, data }) => {
          const copy = data.slice();
          const r = quantRoundTrip(data, method, { rows, cols });
          const twin = dequantizeGgml(quantizeGgml(data, type, { rowLength: cols }), type);
          expect(Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength).equals(Buffer.from(twin.buffer))).toBe(true);
          expect(r.method).toBe(method);
          expect(r.bytes).toBe((data.length / B) * T);
          expect(r.bytesPerElement * 8).toBe((T * 8) / B);
          expect(r.details.blocks).toBe(data.length / B);
          expect(r.details.lostBlocks + r.details.infScaleBlocks + r.details.coarseScaleBlocks).toBe(0);
          expect(data).toEqual(copy);
          for (let b = 0; b < data.length / B; b++) {
            let amax = 0;
            for (let j = 0; j < B; j++) amax = Math.max(amax, Math.abs(data[b * B + j]));
            for (let j = 0; j < B; j++) {
              const err = Math.abs(r.values[b * B + j] - data[b * B + j]);
              if (!(err <= BOUND[type] * amax)) expect.fail(`${method} block ${b}: |error| ${err} > ${BOUND[type]} · ${amax}`);
            }
          }
        }),
        { numRuns: 25 },
      );
    });
  }

  it('a Float64Array round trips as its float32 rounding; a matrix as its flat values', () => {
    const x64 = Float64Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.7) * 0.03 + 1e-9);
    const x32 = Float32Array.from(x64);
    for (const [m] of GGML_METHODS) {
      const a = quantRoundTrip(x64, m, { rows: 2, cols: 256 }).values;
      expect(a).toEqual(quantRoundTrip(x32, m, { rows: 2, cols: 256 }).values);
      expect(a).toEqual(quantRoundTrip({ rows: 2, cols: 256, data: x32 }, m).values);
    }
  });

  it('rows that are not whole blocks are refused with the reason and llama-quantize\'s fallback, never padded', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GGML_METHODS), fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 3 }), ([m, t], cols, rows) => {
        const B = GGML_TYPES[t].blockSize;
        const problem = getQuantMethod(m).unsupportedShape(rows, cols);
        const x = new Float32Array(rows * cols).fill(0.25);
        if (cols % B === 0) {
          expect(problem).toBeNull();
          expect(quantRoundTrip(x, m, { rows, cols }).values.length).toBe(rows * cols);
        } else {
          expect(problem).toMatch(new RegExp(`^row length ${cols} is not a multiple of ${B} \\(${t} stores whole blocks`));
          expect(() => quantRoundTrip(x, m, { rows, cols })).toThrow(RangeError);
          expect(() => quantRoundTrip(x, m, { rows, cols })).toThrow(`row length ${cols} is not a multiple of ${B}`);
        }
      }),
      { numRuns: 200 },
    );
    expect(() => quantRoundTrip(new Float32Array(300), 'q4_k')).toThrow(
      'quantRoundTrip: q4_k cannot store a 1 × 300 tensor: row length 300 is not a multiple of 256 (Q4_K stores whole blocks of 256 values per row; llama-quantize would store this tensor as F16 (its rows are not whole 32-value Q5_0 blocks either))',
    );
    expect(getQuantMethod('q6_k').unsupportedShape(4, 96)).toMatch(/llama-quantize would store this tensor as Q8_0\)$/);
    expect(getQuantMethod('q2_k').unsupportedShape(4, 96)).toMatch(/as IQ4_NL\)$/);
    expect(getQuantMethod('tq1_0').unsupportedShape(4, 96)).toMatch(/as Q4_0\)$/);
    expect(getQuantMethod('q8_0').unsupportedShape(4, 100)).toMatch(/llama-quantize refuses such a tensor\)$/);
    // every other method takes any shape
    for (const m of QUANT_METHOD_NAMES.slice(0, 13)) expect(getQuantMethod(m).unsupportedShape(3, 7)).toBeNull();
  });

  it('NaN and ±inf are refused as for every method; an empty tensor takes 0 bytes', () => {
    const x = new Float32Array(256).fill(0.1);
    x[7] = NaN;
    expect(() => quantRoundTrip(x, 'q4_k')).toThrow(/NaN at row 0, column 7/);
    x[7] = -Infinity;
    expect(() => quantRoundTrip(x, 'q8_0')).toThrow(RangeError);
    const e = quantRoundTrip(new Float32Array(0), 'q4_k', { rows: 0, cols: 256 });
    expect([e.bytes, e.bytesPerElement, e.values.length]).toEqual([0, 0, 0]);
  });

  it('details count the blocks whose scale failed (the analyzer\'s counts)', () => {
    const x = new Float32Array(96).fill(0.5);
    x.fill(1e-6, 32, 64); // d = 1e-6/127 rounds to 0 in fp16: the block is lost
    x.fill(1e7, 64, 96); // d = 1e7/127 overflows fp16
    const r = quantRoundTrip(x, 'q8_0');
    expect(r.details).toEqual({ blocks: 3, lostBlocks: 1, zeroedSubBlocks: 0, subnormalScaleBlocks: 0, coarseScaleBlocks: 0, infScaleBlocks: 1 });
    expect([...r.values.subarray(32, 64)].every((v) => v === 0)).toBe(true);
    expect(Number.isFinite(r.values[70])).toBe(false);
  });

  it('names: the ggml spelling in any case; MXFP4 in capitals is ambiguous; --methods lists parse', () => {
    expect(getQuantMethod('Q4_K').name).toBe('q4_k');
    expect(getQuantMethod('iq4_NL').name).toBe('iq4_nl');
    expect(getQuantMethod('GGML-MXFP4').name).toBe('ggml-mxfp4');
    expect(getQuantMethod('mxfp4').ggmlType).toBeUndefined(); // OCP MX
    expect(() => getQuantMethod('MXFP4')).toThrow(/ambiguous .*'mxfp4' is OCP MXFP4.*'ggml-mxfp4' is llama.cpp's MXFP4/);
    expect(() => getQuantMethod('NF4')).toThrow(/unknown quantization method/); // only ggml names are case-insensitive
    expect(() => getQuantMethod('q8_1')).toThrow(/unknown quantization method/);
    expect(parseQuantMethods('q4_k, nf4,Q4_K,ggml-mxfp4')).toEqual(['q4_k', 'nf4', 'ggml-mxfp4']);
  });
});

describe('quantErrorTable with the ggml types', () => {
  it('rows of tensors a named method cannot store throw, or are left out with unsupported: "skip" (the default for all methods)', () => {
    const w256 = syntheticMatrix('gaussian', 8, 256, { seed: 1, scale: 0.02 });
    const w64 = syntheticMatrix('gaussian', 8, 64, { seed: 2, scale: 0.02 });
    const methods: QuantMethodName[] = ['nf4', 'q8_0', 'q4_k', 'ggml-mxfp4'];
    expect(() => quantErrorTable([{ name: 'w64', data: w64 }], { methods })).toThrow(
      /quantErrorTable: tensor 'w64': q4_k cannot store it: row length 64 is not a multiple of 256/,
    );
    const rows = quantErrorTable([{ name: 'w256', data: w256 }, { name: 'w64', data: w64 }], { methods, unsupported: 'skip' });
    expect(rows.map((r) => `${r.tensor}/${r.method}`)).toEqual(['w256/nf4', 'w256/q8_0', 'w256/q4_k', 'w256/ggml-mxfp4', 'w64/nf4', 'w64/q8_0', 'w64/ggml-mxfp4']);
    const by = Object.fromEntries(rows.filter((r) => r.tensor === 'w256').map((r) => [r.method, r]));
    expect(by.q4_k.bytesPerElement).toBe(144 / 256);
    expect(by.q8_0.bytesPerElement).toBe(34 / 32);
    expect(by['ggml-mxfp4'].bytesPerElement).toBe(17 / 32);
    // more bits, less error, on the same weights
    expect(by.q8_0.sqnrDb).toBeGreaterThan(by.q4_k.sqnrDb);
    expect(by.q4_k.sqnrDb).toBeGreaterThan(by['ggml-mxfp4'].sqnrDb);
    // flat data: cols is the row length
    expect(quantErrorTable([{ name: 'flat', data: w256.data, rows: 8, cols: 256 }], { methods: ['q4_k'] })[0].sqnrDb).toBe(by.q4_k.sqnrDb);
    expect(() => quantErrorTable([{ name: 'flat', data: w256.data }], { methods: ['q4_k'], unsupported: 'never' as never })).toThrow(/'throw' or 'skip'/);
    // all methods (none named): the pairs no method can store are left out, the rest are there
    const every = quantErrorTable([{ name: 'w64', data: w64 }]);
    expect(every.map((r) => r.method)).toEqual(QUANT_METHOD_NAMES.filter((m) => getQuantMethod(m).unsupportedShape(8, 64) === null));
    expect(every.map((r) => r.method)).toContain('q8_0');
    expect(every.map((r) => r.method)).not.toContain('q4_k');
    expect(() => quantErrorTable([{ name: 'w64', data: w64 }], { unsupported: 'throw' })).toThrow(/q6_k cannot store it/);
  });
});
