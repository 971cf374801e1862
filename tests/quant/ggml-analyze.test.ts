// What storing a tensor in a ggml type does to it (src/quant/ggml/analyze.ts, scales.ts):
//   - the sub-block scales read from a block are the multipliers ggml's dequantizer applies (blocks
//     crafted so that each sub-block's values equal its multiplier times a known code);
//   - the block scan's counts (lost blocks, zeroed sub-blocks, subnormal and coarse scales, infinite
//     scales) equal a slow twin that decodes the fp16 scales with lowp/formats and classifies them with
//     plain arithmetic;
//   - the scale limits are where the quantizer's scale really fails: a block with max |x| at or below
//     `zeroAtOrBelow` has d = 0, above it d ≠ 0, and so on; Q8_0's is 127 · 2^-25 (fp16's smallest
//     subnormal / 2, times the largest code), derived, not typed;
//   - the analyzer equals compare() on the whole tensor (error figures), gives the same analysis for any
//     split into chunks of whole blocks, leaves out blocks holding NaN/inf, never writes its input, and
//     gives the verdicts of planted tensors; the streaming error accumulator equals compare().
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArray, finfo } from '../../src/formats/index.js';
import { createErrorAccumulator } from '../../src/quant/error-stream.js';
import { analyzeGgml, createGgmlAnalyzer } from '../../src/quant/ggml/analyze.js';
import { GGML_STORAGE_TYPES, ggmlScaleLimits, MULTIPLIER_BITS, SCALE_LAYOUTS, emptyScanCounts, scanGgmlBlocks, type GgmlStorageType } from '../../src/quant/ggml/scales.js';
import { compare, dequantizeGgml, GGML_TYPES, quantizeGgml } from '../../src/quant/index.js';

const f = Math.fround;
const FP16 = finfo('fp16');

/** Values of a block whose max |x| (or max − min) is exactly v: v at index 0, the rest zero. */
function probeBlock(type: GgmlStorageType, v: number): Float32Array {
  const x = new Float32Array(GGML_TYPES[type].blockSize);
  x[0] = v;
  return x;
}

const fp16At = (b: Uint8Array, i: number): number => decodeArray(Uint16Array.of(b[i] | (b[i + 1] << 8)), 'fp16')[0];

describe('the sub-block scales are the multipliers ggml\'s dequantizer applies', () => {
  // with d = 1 and minimum 0, codes at a known value c: each sub-block dequantizes to multiplier · c
  const crafted: [GgmlStorageType, number, (b: Uint8Array) => void][] = [
    ['Q2_K', 3, (b) => { b.fill(0xff, 16, 80); }], // every 2-bit code 3
    ['Q3_K', 3, (b) => { b.fill(0xff, 0, 96); }], // hmask set (no −4), codes 3
    ['Q4_K', 15, (b) => { b.fill(0xff, 16, 144); }],
    ['Q5_K', 31, (b) => { b.fill(0xff, 16, 176); }],
    ['Q6_K', 31, (b) => { b.fill(0xff, 0, 192); }], // 63 − 32
    ['IQ4_XS', 113, (b) => { b.fill(0xff, 8, 136); }], // kvalues_iq4nl[15]
  ];
  for (const [type, code, fillCodes] of crafted) {
    it(type, () => {
      const L = SCALE_LAYOUTS[type];
      const { typeSize: T } = GGML_TYPES[type];
      fc.assert(
        fc.property(fc.uint8Array({ minLength: T, maxLength: T }), (random) => {
          const b = random.slice();
          fillCodes(b);
          b[L.d] = 0x00; b[L.d + 1] = 0x3c; // d = 1
          if (L.min >= 0) { b[L.min] = 0; b[L.min + 1] = 0; } // dmin = 0
          const y = dequantizeGgml(b, type);
          const m = new Int32Array(L.sub!.count);
          L.sub!.multipliers(b, 0, m);
          for (let k = 0; k < L.sub!.count; k++) expect(y[k * L.sub!.size]).toBe(m[k] * code);
        }),
        { numRuns: 60 },
      );
    });
  }
});

/** The slow twin of scanGgmlBlocks: fp16 through lowp/formats, classification by plain arithmetic. */
function twinScan(type: GgmlStorageType, x: Float32Array, blocks: Uint8Array, y: Float32Array) {
  const { blockSize: B, typeSize: T } = GGML_TYPES[type];
  const L = SCALE_LAYOUTS[type];
  const c = emptyScanCounts();
  const informative = (xs: Float32Array, ys: Float32Array) =>
    xs.some((v) => v !== xs[0]) || (xs[0] !== 0 && ys.every((v) => v === 0));
  const nonzero = (xs: Float32Array) => xs.filter((v) => v !== 0).length;
  for (let b = 0; b < x.length / B; b++) {
    const xs = x.subarray(b * B, (b + 1) * B);
    const ys = y.subarray(b * B, (b + 1) * B);
    c.blocks++;
    c.overflowValues += ys.filter((v) => !Number.isFinite(v)).length;
    if (L.scale === 'e8m0') {
      if (xs.some((v) => v !== 0) && ys.every((v) => v === 0)) { c.lostBlocks++; c.lostValues += nonzero(xs); }
      continue;
    }
    const d = fp16At(blocks, b * T + L.d);
    const m = L.min >= 0 ? fp16At(blocks, b * T + L.min) : 0;
    if (!Number.isFinite(d) || !Number.isFinite(m)) { c.infScaleBlocks++; continue; }
    if (d === 0) {
      if (informative(xs, ys)) { c.lostBlocks++; c.lostValues += nonzero(xs); }
      continue;
    }
    if (Math.abs(d) < FP16.smallestNormal) {
      c.subnormalScaleBlocks++;
      c.subnormalScaleValues += nonzero(xs);
      const bits = Math.floor(Math.log2(Math.abs(d) / FP16.smallestSubnormal)) + 1;
      if (bits < MULTIPLIER_BITS[type]) { c.coarseScaleBlocks++; c.coarseScaleValues += nonzero(xs); }
    }
    if (L.sub) {
      const mult = new Int32Array(L.sub.count);
      L.sub.multipliers(blocks, b * T, mult);
      for (let k = 0; k < L.sub.count; k++) {
        const s = L.sub.size;
        if (mult[k] === 0 && informative(xs.subarray(k * s, (k + 1) * s), ys.subarray(k * s, (k + 1) * s))) {
          c.zeroedSubBlocks++;
          c.zeroedSubBlockValues += nonzero(xs.subarray(k * s, (k + 1) * s));
        }
      }
    }
  }
  return c;
}

/** Blocks at scales from tiny (lost scales) to huge (overflowing), constant, zero and lopsided blocks. */
function hostileRow(type: GgmlStorageType): fc.Arbitrary<Float32Array> {
  const B = GGML_TYPES[type].blockSize;
  const block = fc.oneof(
    fc.tuple(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: B, maxLength: B }), fc.constantFrom(1e-9, 1e-7, 3e-6, 1e-5, 1e-4, 3e-3, 0.02, 1, 1e4, 1e6, 1e8, 1e20))
      .map(([v, s]) => Float32Array.from(v, (a) => f(a * s))),
    fc.tuple(fc.constantFrom(0, 1e-7, 0.3, -2e-6, 1e7), fc.constant(B)).map(([v]) => new Float32Array(B).fill(v)),
    // one large sub-block, the rest tiny: K-quant sub-scales round to 0
    fc.tuple(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: B, maxLength: B }), fc.constantFrom(1e-3, 1e-4)).map(([v, s]) =>
      Float32Array.from(v, (a, i) => f(i < 16 ? a * 10 : a * s))),
  );
  return fc.array(block, { minLength: 1, maxLength: B === 256 ? 3 : 8 }).map((bs) => {
    const x = new Float32Array(bs.length * B);
    bs.forEach((b, i) => x.set(b, i * B));
    return x;
  });
}

describe('scanGgmlBlocks counts what its slow twin counts', () => {
  for (const type of GGML_STORAGE_TYPES) {
    it(type, () => {
      fc.assert(
        fc.property(hostileRow(type), (x) => {
          const blocks = quantizeGgml(x, type);
          const y = dequantizeGgml(blocks, type);
          const c = emptyScanCounts();
          scanGgmlBlocks(type, x, 0, y, 0, blocks, 0, x.length / GGML_TYPES[type].blockSize, c);
          expect(c).toEqual(twinScan(type, x, blocks, y));
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('ggmlScaleLimits: where the quantizer\'s scale really fails', () => {
  it('Q8_0: d = max|x|/127 is 0 up to 127 · 2^-25 (half fp16\'s smallest subnormal, times the largest code)', () => {
    const l = ggmlScaleLimits('Q8_0')!;
    expect(l.zeroAtOrBelow).toBe(127 * (FP16.smallestSubnormal / 2));
    expect(l.zeroAtOrBelow).toBeCloseTo(3.785e-6, 9);
    expect(l.overflowAtOrAbove! / 127).toBeCloseTo(FP16.max + 2 ** 4 /* half an ulp at 65504 */, 0);
  });

  for (const type of GGML_STORAGE_TYPES) {
    const l = ggmlScaleLimits(type);
    if (l === null) {
      it(`${type}: no limits (its scales come from a search over the block)`, () => expect(['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'IQ4_NL', 'IQ4_XS']).toContain(type));
      continue;
    }
    it(`${type}: blocks on either side of each limit`, () => {
      const L = SCALE_LAYOUTS[type];
      const code = (v: number): number => { const b = quantizeGgml(probeBlock(type, v), type); return (b[L.d] | (b[L.d + 1] << 8)) & 0x7fff; };
      const lost = (v: number): boolean => dequantizeGgml(quantizeGgml(probeBlock(type, v), type), type)[0] === 0;
      const next = (v: number): number => { const a = new Float32Array([v]); const u = new Uint32Array(a.buffer); u[0]++; return a[0]; };
      fc.assert(
        fc.property(fc.float({ min: f(1e-12), max: f(1e12), noNaN: true }), (v) => {
          if (L.scale === 'e8m0') {
            expect(lost(v)).toBe(v <= l.zeroAtOrBelow!);
            return;
          }
          expect(code(v) === 0).toBe(v <= l.zeroAtOrBelow!);
          expect(code(v) < 0x400).toBe(v < l.subnormalBelow!);
          expect(code(v) < 1 << (MULTIPLIER_BITS[type] - 1)).toBe(v < l.coarseBelow!);
          expect(code(v) >= 0x7c00).toBe(l.overflowAtOrAbove !== null && v >= l.overflowAtOrAbove);
        }),
        { numRuns: 200 },
      );
      // exactly at the edges
      if (L.scale === 'fp16') {
        expect(code(l.zeroAtOrBelow!)).toBe(0);
        expect(code(next(l.zeroAtOrBelow!))).not.toBe(0);
        expect(code(l.overflowAtOrAbove!)).toBe(0x7c00);
      } else {
        expect(lost(l.zeroAtOrBelow!)).toBe(true);
        expect(lost(next(l.zeroAtOrBelow!))).toBe(false);
      }
    });
  }
});

describe('analyzeGgml / createGgmlAnalyzer', () => {
  const gaussian = (n: number, seed: number, scale: number): Float32Array => {
    let s = seed;
    const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
    return Float32Array.from({ length: n }, () => f(Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()) * scale));
  };

  it('error figures equal compare() on the whole tensor; the streaming accumulator too', () => {
    for (const type of GGML_STORAGE_TYPES) {
      const x = gaussian(1024, 3, 0.02);
      const a = analyzeGgml(x, type, { rowLength: 256 });
      const y = dequantizeGgml(quantizeGgml(x, type, { rowLength: 256 }), type);
      const c = compare(x, y);
      for (const k of ['sqnrDb', 'relL2', 'maxAbsError', 'maxRelError', 'meanAbsError', 'cosine'] as const) {
        expect(Math.abs(a.error[k] - c[k]), `${type} ${k}`).toBeLessThanOrEqual(Math.abs(c[k]) * 1e-12);
      }
      expect(a.bitsPerValue).toBe((GGML_TYPES[type].typeSize * 8) / GGML_TYPES[type].blockSize);
      expect(a.bytes).toBe((1024 / GGML_TYPES[type].blockSize) * GGML_TYPES[type].typeSize);
    }
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: f(-1e30), max: f(1e30) }), { minLength: 1, maxLength: 200 }), fc.array(fc.float({ noNaN: true }), { minLength: 200, maxLength: 200 }), fc.nat(200), (r, t, cut) => {
        const R = Float32Array.from(r);
        const T = Float32Array.from(t.slice(0, r.length));
        const k = Math.min(cut, r.length);
        const acc = createErrorAccumulator();
        acc.add(R, 0, T, 0, k);
        acc.add(R, k, T, k, r.length - k);
        const s = acc.result();
        const c = compare(R, T);
        for (const key of ['sqnrDb', 'relL2', 'maxAbsError', 'maxRelError', 'meanAbsError', 'cosine'] as const) {
          if (!Number.isFinite(c[key])) expect(s[key], key).toBe(c[key]);
          // dB and cosine near 0: absolute; the others relative
          else expect(Math.abs(s[key] - c[key]), key).toBeLessThanOrEqual((key === 'sqnrDb' || key === 'cosine' ? Math.max(1, Math.abs(c[key])) : Math.abs(c[key])) * 1e-12 + 1e-300);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the same analysis for any split into chunks of whole blocks; the input is never written', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GGML_STORAGE_TYPES), fc.array(fc.nat(6), { maxLength: 6 }), (type, cuts) => {
        const B = GGML_TYPES[type].blockSize;
        const x = gaussian(6 * B, 11, 0.05);
        x.fill(1e-9, B, 2 * B); // a lost block
        const copy = x.slice();
        const whole = analyzeGgml(x, type, { rowLength: 2 * B });
        const a = createGgmlAnalyzer(type, { rowLength: 2 * B });
        const points = [...new Set([0, ...cuts, 6])].sort((p, q) => p - q);
        for (let i = 1; i < points.length; i++) a.add(x.subarray(points[i - 1] * B, points[i] * B));
        expect(a.finish()).toEqual(whole);
        expect(x).toEqual(copy);
      }),
      { numRuns: 60 },
    );
  });

  it('verdicts of planted tensors, with the thresholds of lowp/diagnostics', () => {
    const w = gaussian(4096, 5, 0.02);
    expect(analyzeGgml(w, 'Q8_0', { rowLength: 256 }).verdict).toBe('safe');
    const q4 = analyzeGgml(w, 'Q4_K', { rowLength: 256 });
    expect(q4.verdict).toBe('lossy');
    expect(q4.reasons[0]).toMatch(/^Every Q4_K block keeps its scales .* SQNR 2\d\.\d dB/);
    // a quarter of the blocks at 1e-6: their Q8_0 scale rounds to 0
    const tiny = w.slice();
    for (let b = 0; b < 128; b += 4) tiny.fill(1e-6, b * 32, (b + 1) * 32);
    const u = analyzeGgml(tiny, 'Q8_0', { rowLength: 256 });
    expect(u.verdict).toBe('underflow-risk');
    expect(u.counts.lostBlocks).toBe(32);
    expect(u.counts.lostValues).toBe(32 * 32);
    expect(u.reasons.join(' ')).toMatch(/32 of 128 Q8_0 blocks are lost: their fp16 scale d rounds to 0 \(a Q8_0 block with max \|x\| ≤ 3\.8e-6\)/);
    expect(u.examples.filter((e) => e.kind === 'lost').map((e) => e.block)).toEqual([0, 4, 8]);
    // one lost block among 128 is tolerated below 0.01% of the values? 32 of 4096 is 0.78%: a risk; one value of 1e-6 among 4096 is not lost (its block has larger values)
    const over = w.slice();
    over[77] = 1e7;
    const o = analyzeGgml(over, 'Q8_0', { rowLength: 256 });
    expect(o.verdict).toBe('overflow-risk');
    expect(o.counts.infScaleBlocks).toBe(1);
    expect(o.error.sqnrDb).toBe(-Infinity);
    // a K-quant super-block with one large sub-block zeroes the others' scales
    const lop = gaussian(256, 9, 1e-4);
    for (let i = 0; i < 16; i++) lop[i] = (i % 2 ? -1 : 1) * 0.5;
    const k = analyzeGgml(lop, 'Q6_K');
    expect(k.counts.zeroedSubBlocks).toBeGreaterThan(0);
    expect(k.verdict).toBe('underflow-risk');
    // Q6_K of weights at std 0.02: every d is an fp16 subnormal but keeps ≥ 7 bits: not a risk
    const q6 = analyzeGgml(w, 'Q6_K', { rowLength: 256 });
    expect(q6.counts.subnormalScaleBlocks).toBe(16);
    expect(q6.counts.coarseScaleBlocks).toBe(0);
    expect(q6.verdict).toBe('lossy');
  });

  it('blocks holding NaN or ±inf are counted and left out; the rest is analysed as without them', () => {
    const x = gaussian(256, 2, 0.1);
    const bad = new Float32Array(288);
    bad.set(x.subarray(0, 128), 0);
    bad.set([NaN, 1, Infinity, ...new Float32Array(29)], 128);
    bad.set(x.subarray(128), 160);
    const a = analyzeGgml(bad, 'Q8_0');
    const b = analyzeGgml(x, 'Q8_0');
    expect(a.counts.nonFiniteInputs).toBe(2);
    expect(a.counts.nonFiniteBlocks).toBe(1);
    expect(a.counts.blocks).toBe(8); // the blocks quantized
    expect(a.error).toEqual(b.error);
    expect(a.reasons.join(' ')).toMatch(/2 inputs are NaN or ±inf \(in 1 block\): ggml's quantizers are undefined for them/);
    // a block's NaN/inf makes the whole block undefined in ggml: a risk like an overflowing scale
    expect(a.verdict).toBe('overflow-risk');
    expect(b.verdict).toBe('safe');
  });

  it('refuses rows that are not whole blocks, unknown and intermediate types, bad chunks', () => {
    expect(() => analyzeGgml(new Float32Array(300), 'q4_k')).toThrow(/row length 300 is not a multiple of 256/);
    expect(() => createGgmlAnalyzer('Q4_K', { rowLength: 64 })).toThrow(/row length 64 is not a multiple of 256 .*llama-quantize would store this tensor as Q5_0/);
    expect(() => analyzeGgml(new Float32Array(64), 'Q8_1')).toThrow(/Q8_1 is an intermediate type of ggml's dot products/);
    expect(() => analyzeGgml(new Float32Array(64), 'IQ2_XXS')).toThrow(/lowp has no quantizer for IQ2_XXS/);
    expect(() => analyzeGgml(new Float32Array(64), 'F16')).toThrow(/plain, unquantized/);
    expect(() => analyzeGgml(new Float32Array(64), 'Q9_9')).toThrow(/unknown ggml type/);
    expect(analyzeGgml(new Float32Array(64), 'ggml-mxfp4').type).toBe('MXFP4');
    const a = createGgmlAnalyzer('Q8_0', { rowLength: 64 });
    expect(() => a.add(new Float32Array(40))).toThrow(/whole Q8_0 blocks/);
    a.add(new Float32Array(32));
    expect(() => a.finish()).toThrow(/32 values are not whole rows of 64/);
    expect(() => analyzeGgml([1, 2] as never, 'Q8_0')).toThrow(TypeError);
    expect(() => analyzeGgml(new Float32Array(96), 'Q8_0', { rowLength: 64 })).toThrow(/multiple of rowLength/);
  });
});
