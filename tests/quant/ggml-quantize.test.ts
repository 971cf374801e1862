// quantizeGgml's properties (its agreement with ggml's own outputs is ggml-quantize-vectors.test.ts):
//   - the WebAssembly kernels equal the reference twins (src/quant/ggml/reference.ts, line-by-line ports
//     of ggml's C) on random rows of many lengths: ordinary values, ties, zeros, subnormals, values up
//     to ±FLT_MAX, blocks at scales from 1e-38 to 1e30; across the kernels' chunk boundaries too;
//   - rows are independent: one call on a matrix equals one call per row;
//   - a Float64Array or an array of numbers quantizes as its float32 rounding; inputs are never written;
//   - the block scales are the formula's (lowp/formats' fp16 encoder on the C's float32 arithmetic);
//   - dequantized (dequantizeGgml) values keep each simple type's error bound, K-quants and IQ4 types a
//     signal-to-noise floor on Gaussian rows; quantizing the dequantized values again gives the same
//     blocks for the types whose algorithm guarantees it;
//   - bad arguments get a TypeError or RangeError saying what was expected and what came.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { encode } from '../../src/formats/index.js';
import { REFERENCE_QUANTIZERS, floorLog2f } from '../../src/quant/ggml/reference.js';
import { hasWasmKernel } from '../../src/quant/ggml/quantize-wasm.js';
import { dequantizeGgml, GGML_QUANT_TYPES, GGML_TYPES, quantizeGgml, type GgmlQuantType } from '../../src/quant/index.js';
import * as root from '../../src/index.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';
import { wasmSimdAvailable } from '../../src/wasm/status.js';

const FLT_MAX = 3.4028234663852886e38;
const f = Math.fround;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** What the reference twin writes for `x`, row by row. */
function reference(type: GgmlQuantType, x: Float32Array, rowLength = x.length): Uint8Array {
  const { blockSize, typeSize } = GGML_TYPES[type];
  const rowBytes = (rowLength / blockSize) * typeSize;
  const y = new Uint8Array((x.length / rowLength) * rowBytes);
  for (let r = 0; r < x.length / rowLength; r++) REFERENCE_QUANTIZERS[type](x, r * rowLength, y, r * rowBytes, rowLength);
  return y;
}

/** float32 of v·s, or ±FLT_MAX where that overflows (ggml is defined for finite values only). */
function scaled(v: number, s: number): number {
  const r = f(v * s);
  return Number.isFinite(r) ? r : v < 0 ? -FLT_MAX : FLT_MAX;
}

const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -1, max: 1, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -24, max: 24 }).map((k) => k / 2) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
);
const scaleArb = fc.constantFrom(1, 0.02, 7.5, 1e-3, 1e-6, 3e-8, 1e-20, 1e-38, 1e4, 65504, 1e19, 1e30);

/** Rows of nb blocks (nb in [min, max]), each block of random values at its own scale. */
function rowArb(type: GgmlQuantType, min: number, max: number): fc.Arbitrary<Float32Array> {
  const B = GGML_TYPES[type].blockSize;
  return fc
    .integer({ min, max })
    .chain((nb) => fc.tuple(fc.array(valueArb, { minLength: nb * B, maxLength: nb * B }), fc.array(scaleArb, { minLength: nb, maxLength: nb })))
    .map(([vs, ss]) => Float32Array.from(vs, (v, i) => scaled(v, ss[Math.floor(i / B)])));
}

/** Blocks whose largest magnitude lies in [2^-6, 2^10]: every fp16 scale normal, nothing overflows. */
function niceRowArb(type: GgmlQuantType, maxBlocks: number): fc.Arbitrary<Float32Array> {
  const B = GGML_TYPES[type].blockSize;
  return fc
    .integer({ min: 1, max: maxBlocks })
    .chain((nb) =>
      fc.tuple(
        fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: nb * B, maxLength: nb * B }),
        fc.array(fc.integer({ min: -5, max: 10 }), { minLength: nb, maxLength: nb }),
        fc.array(fc.nat(B - 1), { minLength: nb, maxLength: nb }),
        fc.array(fc.boolean(), { minLength: nb, maxLength: nb }),
      ),
    )
    .map(([vs, es, at, neg]) => {
      const x = Float32Array.from(vs, (v, i) => f(v * 2 ** es[Math.floor(i / B)]));
      // one value per block at the block's full scale
      for (let b = 0; b < es.length; b++) x[b * B + at[b]] = (neg[b] ? -1 : 1) * 2 ** es[b];
      return x;
    });
}

/** Gaussian rows (seeded), at a scale between 1e-3 and 1e3. */
function gaussianRow(seed: number, n: number): Float32Array {
  const r = createRng(seed);
  const scale = 10 ** (r() * 6 - 3);
  return Float32Array.from({ length: n }, () => f(Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) * scale));
}

const FAST = GGML_QUANT_TYPES.filter((t) => hasWasmKernel(t));

describe('the WebAssembly kernels equal the reference twins', () => {
  it('WebAssembly SIMD is available here, and every type has a kernel', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect([...FAST].sort()).toEqual([...GGML_QUANT_TYPES].sort());
  });
  for (const type of FAST) {
    it(`${type}: random rows (ties, zeros, subnormals, ±FLT_MAX, block scales 1e-38..1e30)`, () => {
      const B = GGML_TYPES[type].blockSize;
      const min = Math.ceil(256 / B); // at least 256 values: the kernels' threshold
      fc.assert(
        fc.property(rowArb(type, min, min + (B === 256 ? 2 : 12)), (x) => {
          expect(hex(quantizeGgml(x, type))).toBe(hex(reference(type, x)));
        }),
        { numRuns: B === 256 ? 25 : 60 },
      );
    });
  }

  it('across chunk boundaries: 100,000 values, and IQ4_NL rows that straddle the 32,768-value chunks', () => {
    const x = gaussianRow(7, 100352);
    for (let i = 0; i < x.length; i += 997) x[i] = 0; // zeros everywhere, whole zero blocks in IQ4_NL's rows below
    x.fill(0, 40000, 40000 + 96);
    for (const type of FAST) {
      const rowLength = type === 'IQ4_NL' ? 6272 : GGML_TYPES[type].blockSize === 256 ? 100352 : 3136;
      expect(hex(quantizeGgml(x, type, { rowLength })), type).toBe(hex(reference(type, x, rowLength)));
    }
  });

  it('with WebAssembly off, quantizeGgml runs the twins (same bytes)', () => {
    const x = gaussianRow(3, 1024);
    const prev = setWasmEnabled(false);
    try {
      for (const type of GGML_QUANT_TYPES) expect(hex(quantizeGgml(x, type)), type).toBe(hex(reference(type, x)));
    } finally {
      setWasmEnabled(prev);
    }
  });
});

describe('rows, inputs and input types', () => {
  for (const type of GGML_QUANT_TYPES) {
    it(`${type}: one call on rows equals one call per row; the input is not written`, () => {
      const B = GGML_TYPES[type].blockSize;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: B === 256 ? 2 : 10 }), fc.integer({ min: 1, max: 1e9 }), (rows, nb, seed) => {
          const row = nb * B;
          const x = gaussianRow(seed, rows * row);
          // some rows start with zero blocks, some have zero blocks in the middle (IQ4_NL's carried indices)
          if (seed % 3 === 0) x.fill(0, 0, B);
          if (seed % 5 === 0 && rows * nb > 2) x.fill(0, row + B, row + 2 * B);
          const copy = Float32Array.from(x);
          const all = quantizeGgml(x, type, { rowLength: row });
          const per = (r: number) => quantizeGgml(x.subarray(r * row, (r + 1) * row), type);
          expect(hex(all)).toBe(Array.from({ length: rows }, (_, r) => hex(per(r))).join(''));
          expect(hex(new Uint8Array(x.buffer))).toBe(hex(new Uint8Array(copy.buffer)));
        }),
        { numRuns: 12 },
      );
    });
  }

  it('a Float64Array or a number[] quantizes as its float32 rounding, and is not written', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<GgmlQuantType>('Q8_0', 'Q4_K', 'MXFP4', 'IQ4_NL', 'Q6_K'),
        fc.array(fc.double({ min: -1e30, max: 1e30, noNaN: true }), { minLength: 256, maxLength: 256 }),
        (type, xs) => {
          const f64 = Float64Array.from(xs);
          const arr = xs.slice();
          const want = hex(quantizeGgml(Float32Array.from(xs), type));
          expect(hex(quantizeGgml(f64, type))).toBe(want);
          expect(hex(quantizeGgml(arr, type))).toBe(want);
          expect(Array.from(f64)).toEqual(xs);
          expect(arr).toEqual(xs);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('is exported from lowp and lowp/quant, with its type list', () => {
    expect(root.quantizeGgml).toBe(quantizeGgml);
    expect(root.GGML_QUANT_TYPES).toBe(GGML_QUANT_TYPES);
    expect([...GGML_QUANT_TYPES].sort()).toEqual(
      ['IQ4_NL', 'IQ4_XS', 'MXFP4', 'Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0', 'Q8_1', 'Q8_K', 'TQ1_0', 'TQ2_0'],
    );
  });
});

/** fp16 code by lowp/formats' generic encoder. */
const fp16 = (v: number): number => encode(v, 'fp16');
const u16 = (y: Uint8Array, o: number): number => y[o] | (y[o + 1] << 8);

describe('block scales are what the formulas say (any finite input)', () => {
  /** The first value of largest magnitude (C's `if (amax < fabsf(v))`), +0 for an all-zero block. */
  function signedMax(x: Float32Array, o: number, n: number): number {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < n; j++) if (Math.abs(x[o + j]) > amax) [amax, max] = [Math.abs(x[o + j]), x[o + j]];
    return max;
  }
  function range(x: Float32Array, o: number, n: number): [number, number] {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < n; j++) {
      lo = Math.min(lo, x[o + j]);
      hi = Math.max(hi, x[o + j]);
    }
    return [lo, hi];
  }
  const cases: [GgmlQuantType, (x: Float32Array, o: number, y: Uint8Array, p: number) => void][] = [
    ['Q8_0', (x, o, y, p) => expect(u16(y, p)).toBe(fp16(f(Math.abs(signedMax(x, o, 32)) / 127)))],
    ['Q4_0', (x, o, y, p) => expect(u16(y, p)).toBe(fp16(f(signedMax(x, o, 32) / -8)))],
    ['Q5_0', (x, o, y, p) => expect(u16(y, p)).toBe(fp16(f(signedMax(x, o, 32) / -16)))],
    ['Q4_1', (x, o, y, p) => {
      const [lo, hi] = range(x, o, 32);
      expect(u16(y, p)).toBe(fp16(f(f(hi - lo) / 15)));
      if (lo !== 0) expect(u16(y, p + 2)).toBe(fp16(lo)); // a zero minimum keeps the sign of the first zero
    }],
    ['Q5_1', (x, o, y, p) => {
      const [lo, hi] = range(x, o, 32);
      expect(u16(y, p)).toBe(fp16(f(f(hi - lo) / 31)));
      if (lo !== 0) expect(u16(y, p + 2)).toBe(fp16(lo));
    }],
    ['MXFP4', (x, o, y, p) => {
      const amax = Math.abs(signedMax(x, o, 32));
      expect(y[p]).toBe(amax === 0 ? 0 : (floorLog2f(amax) - 2 + 127) & 0xff);
    }],
    ['TQ2_0', (x, o, y, p) => expect(u16(y, p + 64)).toBe(fp16(Math.abs(signedMax(x, o, 256))))],
    ['TQ1_0', (x, o, y, p) => expect(u16(y, p + 52)).toBe(fp16(Math.abs(signedMax(x, o, 256))))],
    ['Q8_K', (x, o, y, p) => {
      const max = signedMax(x, o, 256);
      const d = new DataView(y.buffer, y.byteOffset).getFloat32(p, true);
      expect(Object.is(d, max === 0 ? 0 : f(1 / f(-127 / max)))).toBe(true);
    }],
  ];
  for (const [type, check] of cases) {
    it(`${type}`, () => {
      const { blockSize: B, typeSize: T } = GGML_TYPES[type];
      fc.assert(
        fc.property(rowArb(type, 1, B === 256 ? 2 : 12), (x) => {
          const y = quantizeGgml(x, type);
          for (let b = 0; b < x.length / B; b++) check(x, b * B, y, b * T);
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('dequantized values keep each type within its error bound', () => {
  /** Per block of 32 (or 256): the largest |x − x̂| allowed for value j. */
  type Bound = (x: Float32Array, o: number, j: number, y: Uint8Array, p: number) => number;
  const fp16v = (y: Uint8Array, p: number): number => {
    const h = u16(y, p);
    const m = h & 0x3ff;
    const e = (h >> 10) & 0x1f;
    return (h & 0x8000 ? -1 : 1) * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
  };
  const amaxOf = (x: Float32Array, o: number, n: number): number => {
    let a = 0;
    for (let j = 0; j < n; j++) a = Math.max(a, Math.abs(x[o + j]));
    return a;
  };
  const minOf = (x: Float32Array, o: number, n: number): number => {
    let a = Infinity;
    for (let j = 0; j < n; j++) a = Math.min(a, x[o + j]);
    return a;
  };
  const slack = (x: Float32Array, o: number, n: number): number => amaxOf(x, o, n) * 2 ** -20;
  // the float32 scale d (before fp16), rounding error of x/d: half a step; fp16 rounding of d: relative 2^-11 times the largest code
  const bounds: [GgmlQuantType, Bound][] = [
    ['Q8_0', (x, o) => (amaxOf(x, o, 32) / 127) * (0.5 + 127 * 2 ** -11) + slack(x, o, 32)],
    ['Q8_1', (x, o) => (amaxOf(x, o, 32) / 127) * (0.5 + 127 * 2 ** -11) + slack(x, o, 32)],
    // x/d in [−8, 8] rounds half up to −8..7: at most one step off (x/d in (7.5, 8] takes 7)
    ['Q4_0', (x, o) => (amaxOf(x, o, 32) / 8) * (1 + 8 * 2 ** -11) + slack(x, o, 32)],
    ['Q5_0', (x, o) => (amaxOf(x, o, 32) / 16) * (1 + 16 * 2 ** -11) + slack(x, o, 32)],
    ['Q4_1', (x, o) => {
      const lo = minOf(x, o, 32);
      const d = (-lo + Math.max(...x.subarray(o, o + 32))) / 15;
      return d * (0.5 + 15 * 2 ** -11) + Math.abs(lo) * 2 ** -11 + slack(x, o, 32);
    }],
    ['Q5_1', (x, o) => {
      const lo = minOf(x, o, 32);
      const d = (-lo + Math.max(...x.subarray(o, o + 32))) / 31;
      return d * (0.5 + 31 * 2 ** -11) + Math.abs(lo) * 2 ** -11 + slack(x, o, 32);
    }],
    // levels 0, 1, 2, 3, 4, 6, 8, 12 times d = 2^(e−128): at most 2d from a level up to 12d, beyond it |x| − 12d
    ['MXFP4', (x, o, j, y, p) => {
      const d = 2 ** (y[p] - 128);
      return Math.max(2 * d, Math.abs(x[o + j]) - 12 * d);
    }],
    ['TQ2_0', (x, o) => amaxOf(x, o, 256) * (0.5 + 2 ** -11) + slack(x, o, 256)],
    ['TQ1_0', (x, o) => amaxOf(x, o, 256) * (0.5 + 2 ** -11) + slack(x, o, 256)],
    ['Q8_K', (x, o) => (amaxOf(x, o, 256) / 127) * 0.5 + slack(x, o, 256)],
  ];
  for (const [type, bound] of bounds) {
    it(`${type}: |x − x̂| within the bound of its rounding and fp16 scale`, () => {
      const { blockSize: B, typeSize: T } = GGML_TYPES[type];
      fc.assert(
        fc.property(niceRowArb(type, B === 256 ? 3 : 16), (x) => {
          const y = quantizeGgml(x, type);
          const z = dequantizeGgml(y, type);
          for (let b = 0; b < x.length / B; b++) {
            for (let j = 0; j < B; j++) {
              const err = Math.abs(x[b * B + j] - z[b * B + j]);
              const lim = bound(x, b * B, j, y, b * T);
              if (!(err <= lim)) expect.fail(`${type} block ${b} value ${j}: x ${x[b * B + j]}, x̂ ${z[b * B + j]}, |error| ${err} > ${lim} (d ${fp16v(y, b * T)})`);
            }
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  // measured over 300 Gaussian rows: Q2_K 9.2 dB at worst, Q3_K 15.3, Q4_K 22.0, Q5_K 27.1, Q6_K 33.3,
  // IQ4_NL 21.2, IQ4_XS 21.1; the floors leave about 2 dB
  const floors: [GgmlQuantType, number][] = [
    ['Q2_K', 7], ['Q3_K', 13], ['Q4_K', 20], ['Q5_K', 25], ['Q6_K', 31], ['IQ4_NL', 19], ['IQ4_XS', 19],
  ];
  for (const [type, floor] of floors) {
    it(`${type}: signal-to-noise ratio above ${floor} dB on Gaussian rows`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 3 }), (seed, nb) => {
          const x = gaussianRow(seed, nb * 256);
          const z = dequantizeGgml(quantizeGgml(x, type), type);
          let s = 0;
          let e = 0;
          for (let i = 0; i < x.length; i++) {
            s += x[i] * x[i];
            e += (x[i] - z[i]) ** 2;
          }
          expect(10 * Math.log10(s / e)).toBeGreaterThan(floor);
        }),
        { numRuns: 20 },
      );
    });
  }

  // the codes of these types are nearest-level roundings of x/d with d a function of the block's
  // largest magnitude, which the dequantized block reproduces exactly (with a normal fp16 scale)
  for (const type of ['Q8_0', 'Q4_0', 'Q5_0', 'MXFP4', 'TQ2_0', 'TQ1_0'] as GgmlQuantType[]) {
    it(`${type}: quantizing the dequantized values gives the same blocks`, () => {
      const B = GGML_TYPES[type].blockSize;
      fc.assert(
        fc.property(niceRowArb(type, B === 256 ? 3 : 16), (x) => {
          const y = quantizeGgml(x, type);
          expect(hex(quantizeGgml(dequantizeGgml(y, type), type))).toBe(hex(y));
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('special blocks', () => {
  it('all-zero blocks: zero scales, middle codes (Q4_0 8 with d = 0/−8 = −0 as in C, TQ2_0 1, MXFP4 0, Q6_K zeros)', () => {
    const z = new Float32Array(256);
    expect(hex(quantizeGgml(z, 'Q4_0'))).toBe(('0080' + '88'.repeat(16)).repeat(8));
    expect(hex(quantizeGgml(z, 'TQ2_0'))).toBe('55'.repeat(64) + '0000');
    expect(hex(quantizeGgml(z, 'MXFP4'))).toBe('00'.repeat(17 * 8));
    expect(hex(quantizeGgml(z, 'Q6_K'))).toBe('00'.repeat(210));
    expect(hex(quantizeGgml(z, 'IQ4_NL'))).toBe(('0000' + '88'.repeat(16)).repeat(8));
  });

  it('a block below 3.8e-6 gets a Q8_0 scale of 0 (fp16 flushes it), its values lost', () => {
    const x = new Float32Array(32).fill(3e-8);
    x[3] = -3.7e-6;
    const y = quantizeGgml(x, 'Q8_0');
    expect(u16(y, 0)).toBe(0);
    expect(Array.from(dequantizeGgml(y, 'Q8_0')).every((v) => v === 0)).toBe(true);
  });

  it('a scale past 65504 overflows to fp16 infinity, as ggml writes it', () => {
    const x = new Float32Array(32).fill(1);
    x[0] = 1e7; // d = 1e7/127 > 65504
    expect(u16(quantizeGgml(x, 'Q8_0'), 0)).toBe(0x7c00);
    x[0] = -1e7;
    expect(u16(quantizeGgml(x, 'Q4_0'), 0)).toBe(0x7c00); // d = -1e7 / -8 > 0
  });

  it('IQ4_NL: an all-zero block takes the indices of the row\'s previous block; a row starts with 8s', () => {
    const x = gaussianRow(11, 96);
    x.fill(0, 32, 64);
    const y = quantizeGgml(x, 'IQ4_NL');
    expect(u16(y, 18)).toBe(0);
    expect(hex(y.subarray(20, 36))).toBe(hex(y.subarray(2, 18)));
    const y2 = quantizeGgml(x.subarray(32), 'IQ4_NL');
    expect(hex(y2.subarray(2, 18))).toBe('88'.repeat(16));
  });
});

describe('argument errors', () => {
  const x = new Float32Array(256);
  it('partial blocks are refused, never padded', () => {
    expect(() => quantizeGgml(new Float32Array(40), 'Q8_0')).toThrow(RangeError);
    expect(() => quantizeGgml(new Float32Array(40), 'Q8_0')).toThrow(/whole blocks of 32 values.*got a row of 40 values/);
    expect(() => quantizeGgml(new Float32Array(512), 'Q4_K', { rowLength: 128 })).toThrow(/multiple of 256 values; got a row of 128/);
    expect(() => quantizeGgml(new Float32Array(96), 'q4_k')).toThrow(/Q4_K quantizes whole blocks of 256/);
    expect(() => quantizeGgml(new Float32Array(320), 'Q8_0', { rowLength: 64 })).not.toThrow();
    expect(() => quantizeGgml(new Float32Array(320), 'Q8_0', { rowLength: 96 })).toThrow(/multiple of rowLength \(96\)/);
  });

  it('NaN and infinity are refused with their index, through the kernels and the twins', () => {
    for (const wasm of [true, false]) {
      const prev = setWasmEnabled(wasm);
      try {
        for (const [bad, at] of [[NaN, 300], [Infinity, 0], [-Infinity, 1023]] as const) {
          const v = new Float32Array(1024);
          v[at] = bad;
          expect(() => quantizeGgml(v, 'Q4_K'), `${bad} (${wasm ? 'wasm' : 'ts'})`).toThrow(new RegExp(`values\\[${at}\\] is ${bad}`));
          expect(() => quantizeGgml(Array.from(v), 'Q8_0')).toThrow(RangeError);
        }
      } finally {
        setWasmEnabled(prev);
      }
    }
    const big = new Float64Array(32);
    big[5] = 3.5e38;
    expect(() => quantizeGgml(big, 'Q8_0')).toThrow(/values\[5\] = 3\.5e\+38 overflows float32/);
  });

  it('bad types, values and options', () => {
    expect(() => quantizeGgml(x, 'Q7_K')).toThrow(RangeError);
    expect(() => quantizeGgml(x, 'Q7_K')).toThrow(/unknown ggml type; expected one of Q4_0.*got the string 'Q7_K'/);
    expect(() => quantizeGgml(x, 'IQ2_XXS')).toThrow(/cannot quantize to IQ2_XXS/);
    expect(() => quantizeGgml(x, 'F16')).toThrow(/plain, unquantized type/);
    expect(() => quantizeGgml(x, 8 as unknown as string)).toThrow(TypeError);
    expect(() => quantizeGgml(new Int8Array(32) as unknown as Float32Array, 'Q8_0')).toThrow(/Float32Array, a Float64Array or an array of numbers, got an Int8Array/);
    expect(() => quantizeGgml(['1', ...new Array(31).fill(2)] as unknown as number[], 'Q8_0')).toThrow(/hold numbers, got the string '1' at index 0/);
    expect(() => quantizeGgml(x, 'Q8_0', null as unknown as object)).toThrow(TypeError);
    expect(() => quantizeGgml(x, 'Q8_0', { rowLength: 0 })).toThrow(/rowLength must be a positive integer, got the number 0/);
    expect(() => quantizeGgml(x, 'Q8_0', { rowLength: 32.5 })).toThrow(RangeError);
  });

  it('an empty input is zero rows', () => {
    expect(quantizeGgml(new Float32Array(0), 'Q4_K').length).toBe(0);
    expect(quantizeGgml([], 'Q8_0', { rowLength: 32 }).length).toBe(0);
  });
});

