// The formats API's contract: finfo constants (checked through invariants, plus the torch.finfo
// values the issue names), the registry and aliases, option validation, error messages, and that
// no call mutates its inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decode, decodeArray, defineFormat, encode, encodeArray, exponentOf, finfo, formatNames, getFormat, pow2, resolveCastOptions, round, ulp,
  FORMATS,
} from '../../src/index.js';
import { exactAbs, floorLog2 } from '../helpers/exact.js';
import { nextDoubleDown } from './helpers.js';

describe('finfo: invariants for every format', () => {
  it.each(FORMATS.map((f) => f.name))('%s', (name) => {
    const i = finfo(name);
    const f = getFormat(name);
    // max round-trips and is the largest finite value: every code above it (same sign) is not finite
    expect(round(i.max, name)).toBe(i.max);
    expect(decode(f.maxMagnitudeCode, name)).toBe(i.max);
    // (one assertion after the loop: fp32 has 2^23 such codes, too many for an expect each)
    let finiteAboveMax: number | undefined;
    for (let c = f.maxMagnitudeCode + 1; c < 2 ** (f.bits - (f.signed ? 1 : 0)); c++) {
      if (Number.isFinite(decode(c, f))) { finiteAboveMax = c; break; }
    }
    expect(finiteAboveMax).toBeUndefined();
    // the next representable value above max (as if the exponent range went on) overflows per policy
    const beyond = i.max + ulp(i.max, name);
    const r = round(beyond, name);
    if (f.defaultOverflow === 'inf') expect(r).toBe(Infinity);
    else if (f.defaultOverflow === 'nan') expect(r).toBeNaN();
    else expect(r).toBe(i.max);
    expect(round(beyond, name, { overflow: 'saturate' })).toBe(i.max);
    // eps is the gap above 1
    if (i.eps <= 1) expect(round(1 + i.eps, name) - 1).toBe(i.eps);
    if (f.mantissaBits > 0) expect(round(1 + i.eps / 2, name)).toBe(1); // a tie, to even
    // smallest subnormal round-trips; half of it rounds to zero (or, without zero, stays the smallest)
    expect(round(i.smallestSubnormal, name)).toBe(i.smallestSubnormal);
    expect(round(i.smallestSubnormal / 2, name)).toBe(f.signed ? 0 : i.smallestSubnormal);
    expect(round(i.smallestNormal, name)).toBe(i.smallestNormal);
    expect(i.tiny).toBe(i.smallestNormal);
    if (f.subnormals) {
      expect(round(i.maxSubnormal, name)).toBe(i.maxSubnormal);
      expect(i.maxSubnormal + i.smallestSubnormal).toBe(i.smallestNormal);
    }
    // every integer up to maxExactInteger is exact; the next one is not (unless max stops first)
    for (const k of [1, 2, 3, i.maxExactInteger - 1, i.maxExactInteger]) if (k <= i.maxExactInteger) expect(round(k, name)).toBe(k);
    if (i.maxExactInteger + 1 <= i.max) expect(round(i.maxExactInteger + 1, name)).not.toBe(i.maxExactInteger + 1);
    expect(2 ** i.minExponent).toBe(i.smallestNormal);
    expect(2 ** i.maxExponent).toBeGreaterThan(i.max);
    expect(2 ** (i.maxExponent - 1)).toBeLessThanOrEqual(i.max);
    expect(i.resolution).toBe(10 ** -i.precision);
  });
});

describe('finfo: the values torch.finfo / ml_dtypes.finfo give', () => {
  it('bf16', () => {
    const i = finfo('bfloat16');
    expect([i.eps, i.max, i.smallestNormal, i.smallestSubnormal, i.maxExactInteger, i.precision]).toEqual([
      2 ** -7, 3.3895313892515355e38, 2 ** -126, 2 ** -133, 256, 2,
    ]);
  });
  it('fp16', () => {
    const i = finfo('half');
    expect([i.eps, i.max, i.min, i.smallestNormal, i.smallestSubnormal, i.maxExactInteger, i.precision, i.minExponent, i.maxExponent]).toEqual([
      2 ** -10, 65504, -65504, 2 ** -14, 2 ** -24, 2048, 3, -14, 16,
    ]);
  });
  it('fp32', () => {
    const i = finfo('float32');
    expect([i.eps, i.max, i.smallestNormal, i.smallestSubnormal, i.precision]).toEqual([2 ** -23, 3.4028234663852886e38, 2 ** -126, 2 ** -149, 6]);
  });
});

describe('registry', () => {
  it('aliases resolve to the same descriptor, case-insensitively', () => {
    expect(getFormat('BFloat16')).toBe(getFormat('bf16'));
    expect(getFormat('float16')).toBe(getFormat('half'));
    expect(getFormat('float8_e4m3fn').name).toBe('fp8-e4m3fn');
    expect(formatNames()).toContain('fp4-e2m1fn');
  });
  it('an unknown name is a RangeError listing the known names', () => {
    expect(() => getFormat('fp12')).toThrow(RangeError);
    expect(() => getFormat('fp12')).toThrow(/unknown format 'fp12'.*bf16.*fp16/);
    expect(() => encode(1, 'fp12')).toThrow(RangeError);
    expect(() => getFormat(42 as never)).toThrow(TypeError);
  });
  it('a custom format without subnormals (no zero) rounds values below its smallest normal to that value', () => {
    const f = defineFormat({ name: 'e3m2-nosub', exponentBits: 3, mantissaBits: 2, bias: 3, subnormals: false, infinity: false, nan: 'none', defaultOverflow: 'saturate' });
    expect(round(2 ** -3, f)).toBe(0.125); // code 0 is the smallest value, 2^-3
    expect(round(2 ** -3 * 1.25, f)).toBe(0.15625);
    expect(round(2 ** -5, f)).toBe(0.125); // nearest representable: there is no zero
    expect(round(-(2 ** -5), f)).toBe(-0.125);
  });

  it('defineFormat derives max and rejects inconsistent descriptors', () => {
    const e3m4 = defineFormat({ name: 'fp8-e3m4', exponentBits: 3, mantissaBits: 4, bias: 3, infinity: false, nan: 'all-ones', defaultOverflow: 'nan' });
    expect(e3m4.max).toBe(30); // 1.875 × 2^(7−3)
    expect(round(31, e3m4, { overflow: 'saturate' })).toBe(30);
    expect(round(31, e3m4)).toBeNaN();
    expect(() => defineFormat({ name: 'x', exponentBits: 4, mantissaBits: 3, bias: 7, infinity: true, nan: 'none', defaultOverflow: 'inf' })).toThrow(RangeError);
    expect(() => defineFormat({ name: 'x', exponentBits: 20, mantissaBits: 30, bias: 7, infinity: true, nan: 'ieee', defaultOverflow: 'inf' })).toThrow(RangeError);
  });
});

describe('errors say what was expected and what came', () => {
  it('wrong source and out types', () => {
    expect(() => encodeArray(new Int32Array(3) as never, 'bf16')).toThrow(/Float32Array, Float64Array or number\[\].*Int32Array of length 3/);
    expect(() => encodeArray(new Float32Array(3), 'bf16', { out: new Uint8Array(3) as never })).toThrow(TypeError);
    expect(() => encodeArray(new Float32Array(3), 'bf16', { out: new Uint16Array(2) })).toThrow(RangeError);
    expect(() => encodeArray(new Float32Array(3), 'bf16', { out: new Uint16Array(2) })).toThrow(/length 3, got 2/);
    expect(() => encodeArray([1, 'a' as never], 'bf16')).toThrow(/src\[1\] must be a number/);
    expect(() => decodeArray(new Uint8Array(2) as never, 'bf16')).toThrow(/Uint16Array of bf16 codes/);
    expect(() => decodeArray(new Uint16Array(2), 'bf16', { out: new Float32Array(3) })).toThrow(RangeError);
    expect(() => decodeArray(new Uint8Array([16]), 'fp4-e2m1fn')).toThrow(/codes\[0\] = 16/);
    expect(() => decode(70000, 'fp16')).toThrow(RangeError);
    expect(() => encode('1' as never, 'fp16')).toThrow(TypeError);
  });
  it('bad options', () => {
    expect(() => encode(1, 'bf16', { rounding: 'up' as never })).toThrow(/nearest-even, toward-zero, stochastic/);
    expect(() => encode(1, 'fp8-e4m3fn', { overflow: 'inf' })).toThrow(/no infinity/);
    expect(() => encode(1, 'fp4-e2m1fn', { overflow: 'nan' })).toThrow(/no NaN/);
    expect(() => encode(1, 'bf16', { rounding: 'stochastic', random: 3 as never })).toThrow(TypeError);
    expect(() => encode(1, 'bf16', { flushSubnormals: 'yes' as never })).toThrow(TypeError);
  });
});

describe('inputs are never mutated; out is used when given', () => {
  it('encodeArray/decodeArray leave src untouched and write only out', () => {
    fc.assert(fc.property(fc.array(fc.double(), { maxLength: 50 }), fc.constantFrom('bf16', 'fp16', 'fp8-e4m3fn'), (xs, fmt) => {
      const f32 = new Float32Array(xs);
      const f64 = new Float64Array(xs);
      const f32copy = f32.slice(), f64copy = f64.slice();
      const c1 = encodeArray(f32, fmt);
      const c2 = encodeArray(f64, fmt);
      const codesCopy = c1.slice();
      const out = new Float64Array(c1.length);
      const r = decodeArray(c1, fmt, { out });
      const same = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));
      return r === out && same(f32, f32copy) && same(f64, f64copy) && same(c1, codesCopy) && c2.length === xs.length;
    }), { numRuns: 200 });
  });
});

describe('hostile input: aliased out arrays, non-numbers', () => {
  it('encodeArray/decodeArray refuse an out array over the source memory (it would destroy the source)', () => {
    fc.assert(fc.property(
      fc.array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom('bf16', 'fp16', 'fp8-e4m3fn', 'fp4-e2m1fn'),
      fc.nat(),
      (xs, fmt, shift) => {
        const n = xs.length;
        const src = new Float32Array(n);
        src.set(xs);
        const copy = src.slice();
        const Codes = fmt === 'bf16' || fmt === 'fp16' ? Uint16Array : Uint8Array;
        // out over the source's own bytes, starting anywhere inside them
        const start = (shift % n) * 4;
        const maxLen = Math.floor((src.byteLength - start) / Codes.BYTES_PER_ELEMENT);
        if (maxLen < n) return true; // cannot place n codes there: nothing to check
        const out = new Codes(src.buffer, start, n);
        expect(() => encodeArray(src, fmt, { out } as never)).toThrow(/out must not share memory with src/);
        const codes = encodeArray(src, fmt);
        const codesCopy = codes.slice();
        const buf = new ArrayBuffer(n * Codes.BYTES_PER_ELEMENT + 4 * n);
        const c2 = new Codes(buf, 0, n);
        c2.set(codes);
        const dst = new Float32Array(buf, 0, n); // overlaps the codes
        expect(() => decodeArray(c2 as never, fmt, { out: dst })).toThrow(/out must not share memory with codes/);
        return Array.from(src).every((v, i) => Object.is(v, copy[i])) && Array.from(c2).every((v, i) => v === codesCopy[i]);
      },
    ), { numRuns: 200 });
  });
  it('out in the same buffer but disjoint bytes is fine', () => {
    const buf = new ArrayBuffer(16);
    const codes = new Uint16Array(buf, 0, 2);
    codes.set([0x3c00, 0xc000]);
    const out = new Float32Array(buf, 8, 2);
    expect(Array.from(decodeArray(codes, 'fp16', { out }))).toEqual([1, -2]);
    const src = new Float32Array(buf, 8, 2);
    const codesOut = new Uint16Array(buf, 0, 2);
    expect(Array.from(encodeArray(src, 'bf16', { out: codesOut }))).toEqual([0x3f80, 0xc000]);
  });
  it('pow2 refuses non-integer exponents instead of returning undefined', () => {
    for (const k of [1.5, NaN, -0.5, '3' as never]) expect(() => pow2(k)).toThrow(RangeError);
    expect(pow2(-1075)).toBe(0);
    expect(pow2(1024)).toBe(Infinity);
    expect(pow2(0)).toBe(1);
    expect(pow2(-0)).toBe(1);
  });
  it('ulp refuses a non-number like encode and round do', () => {
    expect(() => ulp('1' as never, 'bf16')).toThrow(/ulp: expected a number, got the string '1'/);
    expect(() => ulp(null as never, 'bf16')).toThrow(TypeError);
    expect(ulp(NaN, 'bf16')).toBeNaN();
  });
});

describe('decodeArray of custom formats wider than 8 bits (the generic path)', () => {
  const nanSign = (codes: Uint8Array | Uint16Array, f: ReturnType<typeof defineFormat> | string) =>
    [new Float32Array(codes.length), new Float64Array(codes.length)].map((out) => {
      decodeArray(codes as Uint16Array, f, { out });
      const words = new Uint32Array(out.buffer);
      return Number.isNaN(out[0]) ? words[words.length - 1] >>> 31 : 'not NaN';
    });
  it('NaN codes decode to NaNs signed like those of the built-in 8-bit formats of the same kind (PyTorch\'s decode tables)', () => {
    // unsigned, like fp8-e8m0fnu: no sign bit, so its NaN is positive
    const u15 = defineFormat({ name: 'u-e8m7', exponentBits: 8, mantissaBits: 7, bias: 127, signed: false, subnormals: false, infinity: false, nan: 'all-ones', defaultOverflow: 'nan' });
    expect(nanSign(new Uint16Array([u15.nanCode]), u15)).toEqual(nanSign(new Uint8Array([0xff]), 'fp8-e8m0fnu'));
    expect(nanSign(new Uint16Array([u15.nanCode]), u15)).toEqual([0, 0]);
    // fnuz: the one NaN code is the sign bit alone, and decodes to a positive NaN
    const z16 = defineFormat({ name: 'e5m10fnuz', exponentBits: 5, mantissaBits: 10, bias: 16, infinity: false, nan: 'negative-zero', defaultOverflow: 'nan' });
    expect(nanSign(new Uint16Array([0x8000]), z16)).toEqual(nanSign(new Uint8Array([0x80]), 'fp8-e4m3fnuz'));
    expect(nanSign(new Uint16Array([0x8000]), z16)).toEqual([0, 0]);
    // signed all-ones NaN, like fp8-e4m3fn: the code's sign
    const s12 = defineFormat({ name: 'e5m6', exponentBits: 5, mantissaBits: 6, bias: 15, infinity: false, nan: 'all-ones', defaultOverflow: 'nan' });
    expect(nanSign(new Uint16Array([s12.signBit + s12.nanCode]), s12)).toEqual(nanSign(new Uint8Array([0xff]), 'fp8-e4m3fn'));
    expect(nanSign(new Uint16Array([s12.signBit + s12.nanCode]), s12)).toEqual([1, 1]);
  });
  it('a code wider than the format is a RangeError, as for the 8-bit formats', () => {
    const s12 = defineFormat({ name: 'e5m6', exponentBits: 5, mantissaBits: 6, bias: 15, infinity: false, nan: 'all-ones', defaultOverflow: 'nan' });
    expect(() => decodeArray(new Uint16Array([1, 4096]), s12)).toThrow(/codes\[1\] = 4096 is not a e5m6 code \(12 bits: 0..4095\)/);
    expect(decodeArray(new Uint16Array([4095]), s12)[0]).toBeNaN(); // the widest code is fine
  });
});

describe('hostile input: missing or wrong descriptors', () => {
  it('defineFormat without a spec object is a TypeError (was: Cannot read properties of undefined)', () => {
    for (const bad of [undefined, null, 'e4m3', 3]) {
      expect(() => defineFormat(bad as never)).toThrow(/defineFormat: expected a spec object \{ name, exponentBits, mantissaBits, bias, ... \}, got /);
    }
  });
  it('resolveCastOptions without a FloatFormat is a TypeError (a name gave "overflow: expected one of ..., got undefined")', () => {
    expect(() => resolveCastOptions('bf16' as never, {})).toThrow(/resolveCastOptions: expected a FloatFormat \(e.g. getFormat\('bf16'\)\), got the string 'bf16'/);
    expect(() => resolveCastOptions(undefined as never, undefined)).toThrow(TypeError);
    expect(resolveCastOptions(getFormat('bf16'), undefined).overflow).toBe('inf');
  });
});

describe('hostile input: options that are not an object', () => {
  it('encodeArray/decodeArray given the out array itself (not { out }) threw nothing and left it unwritten', () => {
    const src = new Float32Array([1, 2]);
    expect(() => encodeArray(src, 'bf16', new Uint16Array(2) as never)).toThrow(/encodeArray: options must be an object \(e\.g\. \{ out \}\), got a Uint16Array of length 2/);
    expect(() => decodeArray(new Uint16Array(2), 'bf16', new Float32Array(2) as never)).toThrow(/decodeArray: options must be an object/);
    expect(() => decodeArray(new Uint16Array(2), 'bf16', 'x' as never)).toThrow(TypeError);
    expect(() => encodeArray(src, 'bf16', [1] as never)).toThrow(TypeError);
    expect(Array.from(encodeArray(src, 'bf16', undefined))).toEqual([0x3f80, 0x4000]);
  });
});

describe('pow2 and exponentOf: exact against the float64 bit pattern', () => {
  it('exponentOf(a) is floor(log2 a) exactly, subnormal doubles and powers of two included', () => {
    // reference: the exact BigInt value of a's bit pattern (tests/helpers/exact.ts)
    const bitsExponent = (a: number): number => floorLog2(exactAbs(a));
    fc.assert(fc.property(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), (a) => exponentOf(a) === bitsExponent(a)), { numRuns: 3000 });
    for (let k = -1074; k <= 1023; k++) {
      const p = pow2(k);
      expect(exponentOf(p)).toBe(k);
      if (k > -1074) expect(exponentOf(nextDoubleDown(p))).toBe(k - 1); // the double just below 2^k
    }
  });
  it('pow2(k) is 2^k exactly: its bit pattern has an empty mantissa (normal) or a single bit (subnormal)', () => {
    for (let k = -1074; k <= 1023; k++) {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, pow2(k));
      const bits = dv.getBigUint64(0);
      const expected = k >= -1022 ? BigInt(k + 1023) << 52n : 1n << BigInt(k + 1074);
      expect(bits).toBe(expected);
    }
    expect(pow2(-1075)).toBe(0);
    expect(pow2(1024)).toBe(Infinity);
  });
});
