// Packing 4-bit codes two per byte. Reference twin: a per-element bit formula written here
// (low-first: byte k = c[2k] | c[2k+1] << 4, the OCP MX / ml_dtypes layout; high-first: c[2k] << 4 |
// c[2k+1], bitsandbytes' layout). Properties: round trip, both orders, padding, the input never
// mutated, clear errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pack4, unpack4 } from '../../src/formats/pack4.js';
import { quantize4bit } from '../../src/quant/blockwise4.js';
import { quantizeMx } from '../../src/quant/mx.js';

const nibbles = (min = 0, max = 64) => fc.array(fc.integer({ min: 0, max: 15 }), { minLength: min, maxLength: max });

describe('pack4 / unpack4', () => {
  it('low-first (default) puts element 2k in bits 0–3, high-first in bits 4–7; unpack inverts both', () => {
    fc.assert(fc.property(nibbles().filter((a) => a.length % 2 === 0), (a) => {
      const codes = Uint8Array.from(a);
      const copy = codes.slice();
      const lo = pack4(codes);
      const hi = pack4(codes, { order: 'high-first' });
      for (let k = 0; k < a.length / 2; k++) {
        expect(lo[k]).toBe(a[2 * k] | (a[2 * k + 1] << 4));
        expect(hi[k]).toBe((a[2 * k] << 4) | a[2 * k + 1]);
      }
      expect(Array.from(unpack4(lo))).toEqual(a);
      expect(Array.from(unpack4(hi, { order: 'high-first' }))).toEqual(a);
      expect(Array.from(codes)).toEqual(Array.from(copy));
      expect(Array.from(pack4(a))).toEqual(Array.from(lo)); // number[] input
    }), { numRuns: 200, seed: 71 });
  });
  it('odd counts: RangeError unless pad; pad true uses code 0, a number that code; unpack length drops it', () => {
    fc.assert(fc.property(nibbles(1).filter((a) => a.length % 2 === 1), fc.integer({ min: 0, max: 15 }), (a, padCode) => {
      expect(() => pack4(a)).toThrow(/odd/);
      const p0 = pack4(a, { pad: true });
      expect(p0[p0.length - 1] >> 4).toBe(0);
      const p = pack4(a, { pad: padCode, order: 'high-first' });
      expect(p[p.length - 1] & 15).toBe(padCode);
      expect(Array.from(unpack4(p, { order: 'high-first', length: a.length }))).toEqual(a);
      expect(Array.from(unpack4(p0, { length: a.length }))).toEqual(a);
    }), { numRuns: 100, seed: 72 });
  });
  it('writes into a caller-owned out of the right size', () => {
    const out = new Uint8Array(2);
    expect(pack4([1, 2, 3, 4], { out })).toBe(out);
    expect(Array.from(out)).toEqual([0x21, 0x43]);
    const u = new Uint8Array(4);
    expect(unpack4(out, { out: u })).toBe(u);
    expect(() => pack4([1, 2], { out: new Uint8Array(2) })).toThrow(/1 bytes/);
  });
  it('matches bitsandbytes\u2019 packed layout (high-first) and packs MXFP4 codes the OCP way (low-first)', () => {
    const x = new Float32Array([1, -0.5, 0.25, 0, 0.7]);
    const q = quantize4bit(x, { blocksize: 64 });
    const codes = unpack4(q.packed, { order: 'high-first', length: x.length });
    expect(Array.from(pack4(codes, { order: 'high-first', pad: 7 }))).toEqual(Array.from(q.packed));
    const m = quantizeMx(new Float32Array([0.5, 1, -3, 6]), { format: 'fp4-e2m1fn' });
    expect(Array.from(pack4(m.codes))).toEqual([0x21, 0x7d]);
  });
  it('bad input: codes beyond 4 bits, bad order, bad pad, wrong length → clear errors', () => {
    expect(() => pack4([1, 16])).toThrow(/codes\[1\]/);
    expect(() => pack4([1, -1])).toThrow(RangeError);
    expect(() => pack4([1.5, 2])).toThrow(RangeError);
    expect(() => pack4([1, 2], { order: 'middle' as never })).toThrow(/low-first/);
    expect(() => pack4([1], { pad: 16 })).toThrow(/pad/);
    expect(() => pack4([1, 2], { pad: 16 })).toThrow(/pad must be a boolean or a 4-bit code 0–15, got the number 16/); // checked when not needed too
    expect(() => pack4([1, 2], { pad: 'x' as never })).toThrow(RangeError);
    expect(() => pack4([1], { pad: null as never })).toThrow(/odd count/);
    expect(Array.from(pack4([1, 2], { pad: 7 }))).toEqual([0x21]); // an unneeded valid pad is ignored
    expect(() => pack4(new Uint16Array(2) as never)).toThrow(TypeError);
    expect(() => unpack4(new Uint8Array(2), { length: 2 })).toThrow(/4 or 3/);
    expect(() => unpack4([1, 2] as never)).toThrow(TypeError);
  });
});
