// bitsandbytes-compatible blockwise 8-bit quantization and the generated code tables.
// Oracles: `blockwise-bitsandbytes` vectors (bitsandbytes 0.50, default backend): bw8.* codes, absmax,
// dequantized values and the literal float32 tables (`*.code_f32`); mpmath values of the normal
// quantile. Properties: nearest code, error <= half the local code gap × absmax, zero blocks, inputs
// never mutated, nested absmax recovery, clear errors on bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import {
  BLOCKWISE_8BIT_BLOCKSIZES, blockwiseAbsmax, dequantizeBlockwise, quantizeBlockwise, type BlockwiseQuantized,
} from '../../src/quant/blockwise.js';
import { bnbFp4Code, createDynamicMap, createNormalMap, nf4Code, normalCdf, normalQuantile } from '../../src/quant/codebooks.js';
import { loadVectors } from '../helpers/vectors.js';

const f32 = Math.fround;
const V = loadVectors('blockwise-bitsandbytes');

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const bad: number[] = [];
  if (a.length !== b.length) return [-1];
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad.push(i);
  return bad;
}

describe('code tables are generated, and equal bitsandbytes\u2019 literal float32 tables bit for bit', () => {
  it('dynamic map (create_dynamic_map) = bw8.code_f32', () => {
    expect(V.has('bw8.code_f32')).toBe(true);
    expect(sameBits(createDynamicMap(), V.get('bw8.code_f32').data as Float32Array)).toEqual([]);
  });
  it('NF4 (create_normal_map, offset 0.9677083) = nf4_*.code_f32', () => {
    const keys = V.keys.filter((k) => /^nf4_.*\.code_f32$/.test(k));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(sameBits(nf4Code(), V.get(k).data as Float32Array), k).toEqual([]);
    const t = nf4Code();
    expect(t.length).toBe(16);
    expect(t.filter((a) => a < 0).length).toBe(7); // 7 negative, zero, 8 positive
    expect(t.filter((a) => a > 0).length).toBe(8);
    expect([t[0], t[7], t[15]]).toEqual([-1, 0, 1]);
  });
  it("bitsandbytes' FP4 ('bnb-fp4', not OCP E2M1) = fp4_*.code_f32, in bit-pattern order", () => {
    const keys = V.keys.filter((k) => /^fp4_.*\.code_f32$/.test(k));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(sameBits(bnbFp4Code(), V.get(k).data as Float32Array), k).toEqual([]);
    expect(Array.from(bnbFp4Code().slice(0, 8), (a) => Math.round(a * 12 * 16) / 16)).toEqual([0, 0.0625, 8, 12, 4, 6, 2, 3]);
  });
  it('createNormalMap has the 256-entry layout bitsandbytes builds; the symmetric variant has 7 + 7 values', () => {
    const t = createNormalMap();
    expect(t.length).toBe(256);
    expect(t.filter((a) => a !== 0).length).toBe(15);
    const sym = createNormalMap({ useExtraValue: false });
    expect(sym.filter((a) => a > 0).length).toBe(7);
    expect(sym.filter((a) => a < 0).length).toBe(7);
    expect(() => createNormalMap({ offset: 1.2 })).toThrow(RangeError);
  });
  it('the dynamic map is sorted, contains 0 and 1, and its unsigned variant is non-negative', () => {
    const t = createDynamicMap();
    for (let i = 1; i < 256; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]);
    expect(t.includes(0) && t[255] === 1).toBe(true);
    const u = createDynamicMap({ signed: false });
    expect(u.length).toBe(256);
    expect(u.every((a) => a >= 0)).toBe(true);
    expect(() => createDynamicMap({ totalBits: 9 })).toThrow(RangeError);
  });
});

describe('normal quantile and CDF (NF4 needs scipy norm.ppf)', () => {
  // mpmath (50 digits) values
  const KNOWN: [number, number][] = [
    [0.975, 1.9599639845400538], [0.9677083, 1.8481309597573734], [0.6, 0.2533471031357997], [0.99, 2.3263478740408408],
    [1e-5, -4.264890793922825], [1e-10, -6.361340902404057], [0.3, -0.5244005127080408], [0.02, -2.053748910631823],
  ];
  it('matches high-precision values to 1e-14 relative', () => {
    for (const [p, x] of KNOWN) expect(Math.abs(normalQuantile(p) - x)).toBeLessThanOrEqual(1e-14 * Math.abs(x));
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
  });
  it('is the inverse of the CDF (relative 1e-13·max(1, x²)), monotone, and odd around 0.5', () => {
    fc.assert(fc.property(fc.double({ min: 1e-300, max: 1 - 2 ** -40, noNaN: true }), fc.double({ min: 1e-300, max: 1 - 2 ** -40, noNaN: true }), (p, q) => {
      const x = normalQuantile(p);
      const back = normalCdf(x);
      // Φ amplifies x's last-bit rounding by about x² in relative terms
      expect(Math.abs(back - p)).toBeLessThanOrEqual(1e-13 * Math.max(1, x * x) * Math.min(p, 1 - p) + 1e-300);
      if (p < q) expect(normalQuantile(p)).toBeLessThanOrEqual(normalQuantile(q));
      if (p >= 0.5) expect(normalQuantile(1 - p)).toBe(-x); // 1 − p is exact for p >= 0.5
    }), { numRuns: 300, seed: 5 });
  });
  it('rejects probabilities outside [0, 1]', () => {
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
    expect(() => normalQuantile(NaN)).toThrow(RangeError);
  });
});

describe('quantizeBlockwise equals bitsandbytes quantize_blockwise (vectors)', () => {
  it('bw8: codes, absmax and dequantized values are bit-identical (blocksize 256, trailing partial block)', () => {
    expect(V.has('bw8.X_f32')).toBe(true);
    const x = V.get('bw8.X_f32').data as Float32Array;
    const copy = x.slice();
    const q = quantizeBlockwise(x, { blocksize: 256 });
    expect(sameBits(q.codes, V.get('bw8.q_u8').data as Uint8Array)).toEqual([]);
    expect(sameBits(q.absmax!, V.get('bw8.absmax_f32').data as Float32Array)).toEqual([]);
    expect(sameBits(dequantizeBlockwise(q), V.get('bw8.deq_f32').data as Float32Array)).toEqual([]);
    expect(sameBits(x, copy)).toEqual([]); // input untouched
  });
});

/** Half the gap around s in a sorted table (or the distance to the end entry outside the table's range). */
function halfGap(code: Float32Array, s: number): number {
  if (s <= code[0]) return code[0] - s;
  if (s >= code[code.length - 1]) return s - code[code.length - 1];
  let k = 0;
  while (code[k + 1] < s) k++;
  return (code[k + 1] - code[k]) / 2;
}

const values = (max: number) => fc.oneof(
  fc.float({ min: -max, max, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -4, max: 4 }).map((k) => k / 4),
  fc.constant(0),
);

describe('blockwise 8-bit properties', () => {
  it('every code is the nearest table entry to x/absmax (within the float32 rounding of the midpoints)', () => {
    fc.assert(fc.property(fc.array(values(1e4), { minLength: 1, maxLength: 300 }), fc.constantFrom(64, 128), (xs, blocksize) => {
      const x = Float32Array.from(xs);
      const q = quantizeBlockwise(x, { blocksize });
      const am = q.absmax!;
      for (let i = 0; i < x.length; i++) {
        const a = Math.max(am[Math.floor(i / blocksize)], f32(1e-38));
        const s = Math.max(-1, Math.min(1, x[i] / a));
        const d = Math.abs(q.code[q.codes[i]] - s);
        let best = Infinity;
        for (const c of q.code) best = Math.min(best, Math.abs(c - s));
        expect(d).toBeLessThanOrEqual(best + 2 ** -23);
      }
    }), { numRuns: 150, seed: 31 });
  });
  it('quantize → dequantize error <= half the local code gap × absmax (plus float32 rounding)', () => {
    fc.assert(fc.property(fc.array(values(1e6), { minLength: 1, maxLength: 400 }), fc.constantFrom(...BLOCKWISE_8BIT_BLOCKSIZES), (xs, blocksize) => {
      const x = Float32Array.from(xs);
      const q = quantizeBlockwise(x, { blocksize });
      const y = dequantizeBlockwise(q);
      for (let i = 0; i < x.length; i++) {
        const a = q.absmax![Math.floor(i / blocksize)];
        const bound = (halfGap(q.code, a === 0 ? 0 : x[i] / a) + 2 ** -22) * a;
        expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(bound);
      }
    }), { numRuns: 150, seed: 32 });
  });
  it('zero blocks give zeros (no division by zero); a full zero block stores absmax 0, a partial one fl32(1e-38)', () => {
    const x = new Float32Array(64 + 10);
    const q = quantizeBlockwise(x, { blocksize: 64 });
    expect(Array.from(q.absmax!)).toEqual([0, f32(1e-38)]);
    expect(Array.from(dequantizeBlockwise(q)).every((v) => v === 0)).toBe(true);
    const neg = quantizeBlockwise(new Float32Array([-0, 0, -0]), { blocksize: 64 });
    expect(Array.from(dequantizeBlockwise(neg)).every((v) => v === 0)).toBe(true);
  });
  it('full blocks scale by x·fl32(1/absmax), a trailing partial block by fl32(x/absmax) (bitsandbytes semantics)', () => {
    // find an (absmax, x) pair where the two scalings straddle a table midpoint
    const code = createDynamicMap();
    const bounds = Float32Array.from({ length: 255 }, (_, k) => f32(f32(code[k] + code[k + 1]) / 2));
    const rng = createRng(9);
    let found: [number, number] | undefined;
    for (let t = 0; t < 200000 && !found; t++) {
      const a = f32(0.5 + rng() * 100);
      const b = bounds[Math.floor(rng() * 255)];
      const x0 = f32(b * a);
      for (let k = -2; k <= 2 && !found; k++) {
        const x = f32(x0 + k * 2 ** (Math.floor(Math.log2(Math.abs(x0) || 1)) - 23));
        if (!(Math.abs(x) < a)) continue;
        const mul = f32(x * f32(1 / a));
        const div = f32(x / a);
        const idx = (s: number) => bounds.findIndex((bb) => bb >= s);
        if (idx(mul) !== idx(div)) found = [a, x];
      }
    }
    expect(found).toBeDefined();
    const [a, x] = found!;
    const data = new Float32Array(64 + 2);
    data[0] = a; data[1] = x; data[64] = a; data[65] = x;
    const q = quantizeBlockwise(data, { blocksize: 64 });
    const idx = (s: number) => { let k = 0; while (k < 255 && bounds[k] < s) k++; return k; };
    expect(q.codes[1]).toBe(idx(f32(x * f32(1 / a))));
    expect(q.codes[65]).toBe(idx(f32(x / a)));
    expect(q.codes[1]).not.toBe(q.codes[65]);
  });
  it('a value exactly on a midpoint goes to the lower entry (torch.bucketize)', () => {
    const code = createDynamicMap();
    const mid = f32(f32(code[200] + code[201]) / 2);
    const q = quantizeBlockwise(new Float32Array([1, mid]), { blocksize: 64 });
    expect(q.codes[1]).toBe(200);
  });
  it('never mutates its input (Float32Array, Float64Array, number[]) and rounds float64 to float32 first', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
      const d = Float64Array.from(xs);
      const copy = d.slice();
      const qd = quantizeBlockwise(d, { blocksize: 64 });
      expect(sameBits(d, copy)).toEqual([]);
      const qf = quantizeBlockwise(Float32Array.from(xs), { blocksize: 64 });
      expect(Array.from(qd.codes)).toEqual(Array.from(qf.codes));
      expect(Array.from(quantizeBlockwise(xs, { blocksize: 64 }).codes)).toEqual(Array.from(qf.codes));
    }), { numRuns: 50, seed: 33 });
  });
  it('nested (double) quantization recovers each absmax within the dynamic map\u2019s error, and dequantizes with it', () => {
    const code = createDynamicMap();
    let maxHalf = 1 + code[0];
    for (let k = 0; k < 255; k++) maxHalf = Math.max(maxHalf, (code[k + 1] - code[k]) / 2);
    fc.assert(fc.property(fc.array(fc.float({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 2000 }), (xs) => {
      const x = Float32Array.from(xs);
      const plain = quantizeBlockwise(x, { blocksize: 64 });
      const nested = quantizeBlockwise(x, { blocksize: 64, nested: true });
      expect(nested.absmax).toBeUndefined();
      expect(Array.from(nested.codes)).toEqual(Array.from(plain.codes));
      const rec = blockwiseAbsmax(nested);
      const am = plain.absmax!;
      let spread = 0;
      for (const a of am) spread = Math.max(spread, Math.abs(a - nested.nested!.offset));
      for (let b = 0; b < am.length; b++) expect(Math.abs(rec[b] - am[b])).toBeLessThanOrEqual(spread * (maxHalf + 2 ** -22) + 2 ** -20 * am[b]);
      const y = dequantizeBlockwise(nested);
      for (let i = 0; i < x.length; i++) expect(y[i]).toBe(f32(nested.code[nested.codes[i]] * rec[Math.floor(i / 64)]));
    }), { numRuns: 60, seed: 34 });
  });
  it('a custom sorted code table is used as given', () => {
    const code = new Float32Array([-1, -0.5, 0, 0.5, 1]);
    const q = quantizeBlockwise(new Float32Array([1, 0.3, -0.74, 0.2]), { blocksize: 64, code });
    expect(Array.from(q.codes)).toEqual([4, 3, 1, 2]);
    expect(Array.from(dequantizeBlockwise(q))).toEqual([1, 0.5, -0.5, 0]);
  });
  it('results are plain data that survive JSON (typed arrays aside)', () => {
    const q = quantizeBlockwise(new Float32Array([1, 2, 3]), { blocksize: 64 });
    const back = JSON.parse(JSON.stringify(q));
    expect(back.scheme).toBe('bnb-blockwise-8bit');
    expect(back.length).toBe(3);
    const revived: BlockwiseQuantized = { ...back, codes: Uint8Array.from(Object.values(back.codes)), absmax: Float32Array.from(Object.values(back.absmax)), code: Float32Array.from(Object.values(back.code)) };
    expect(Array.from(dequantizeBlockwise(revived))).toEqual(Array.from(dequantizeBlockwise(q)));
  });
});

describe('blockwise 8-bit bad input', () => {
  it('blocksize not allowed by bitsandbytes → RangeError naming the allowed values', () => {
    for (const b of [32, 100, 0, 8192, -64, 64.5]) expect(() => quantizeBlockwise(new Float32Array(4), { blocksize: b })).toThrow(/64, 128, 256/);
  });
  it('NaN/Infinity inputs and values beyond float32 → RangeError naming the element', () => {
    expect(() => quantizeBlockwise(new Float32Array([1, NaN]))).toThrow(/element 1/);
    expect(() => quantizeBlockwise(new Float64Array([1e39]))).toThrow(RangeError);
    expect(() => quantizeBlockwise([1, Infinity])).toThrow(RangeError);
    expect(() => quantizeBlockwise('abc' as never)).toThrow(TypeError);
  });
  it('unsorted or oversized code tables → RangeError', () => {
    expect(() => quantizeBlockwise(new Float32Array(4), { blocksize: 64, code: [0, 1, 0.5] })).toThrow(/sorted/);
    expect(() => quantizeBlockwise(new Float32Array(4), { blocksize: 64, code: new Float32Array(300) })).toThrow(/256/);
  });
  it('NaN, negative or infinite scales, wrong lengths and foreign objects → clear errors on dequantize', () => {
    const q = quantizeBlockwise(new Float32Array(130).fill(1), { blocksize: 64 });
    expect(() => dequantizeBlockwise({ ...q, absmax: Float32Array.from([1, NaN, 1]) })).toThrow(/absmax\[1\] is NaN/);
    expect(() => dequantizeBlockwise({ ...q, absmax: Float32Array.from([1, -1, 1]) })).toThrow(RangeError);
    expect(() => dequantizeBlockwise({ ...q, absmax: Float32Array.from([1, Infinity, 1]) })).toThrow(RangeError);
    expect(() => dequantizeBlockwise({ ...q, absmax: new Float32Array(2) })).toThrow(/3 entries/);
    expect(() => dequantizeBlockwise({ ...q, codes: new Uint8Array(5) })).toThrow(/length 130/);
    expect(() => dequantizeBlockwise({ ...q, blocksize: 100 })).toThrow(RangeError);
    expect(() => dequantizeBlockwise({ scheme: 'bnb-4bit' } as never)).toThrow(TypeError);
    const n = quantizeBlockwise(new Float32Array(130).fill(1), { blocksize: 64, nested: true });
    expect(() => dequantizeBlockwise({ ...n, nested: { ...n.nested!, absmax: Float32Array.from([NaN]) } })).toThrow(/NaN/);
    expect(() => dequantizeBlockwise({ ...n, nested: { ...n.nested!, offset: NaN } })).toThrow(/offset/);
    expect(() => dequantizeBlockwise(q, { out: new Float32Array(3) })).toThrow(/130/);
  });
});
