// BFloat16Array and Fp16Array (src/formats/bfloat16-array.ts, fp16-array.ts, typed-array-base.ts).
// Oracles: the exact BigInt rounding reference (tests/helpers/exact-round.ts) for every write, the
// reference vectors (from-f64: exact rational oracle incl. double-rounding traps; from-f32: PyTorch;
// decode-tables: PyTorch) for writes and reads, and the generic codec/encodeArray for the option paths.
// Properties: get(set(x)) === round(x); bits and subarrays share memory; construction from every source;
// inputs never mutated; errors say what was expected and what came.
import { inspect } from 'node:util';
import fc from 'fast-check';
import { Float16Array as PolyfillFloat16Array } from '@petamoriken/float16';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BFloat16Array } from '../../src/formats/bfloat16-array.js';
import { Fp16Array } from '../../src/formats/fp16-array.js';
import { decode, encode, encodeArray, getFormat, round, type CastOptions, type FloatFormat } from '../../src/formats/index.js';
import { Lowp16Array, type Float16Source } from '../../src/formats/typed-array-base.js';
import { refNearestCode } from '../helpers/exact-round.js';
import { loadVectors } from '../helpers/vectors.js';
import { hardDoubles, hardFloats } from './helpers.js';

/** What both classes offer, as one type (the static methods are `this`-typed generics). */
interface Ctor {
  new (): Lowp16Array;
  new (length: number): Lowp16Array;
  new (bits: Uint16Array): Lowp16Array;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): Lowp16Array;
  new (values: Float16Source): Lowp16Array;
  from(source: Float16Source, mapFn?: (value: number, index: number) => number, thisArg?: unknown): Lowp16Array;
  of(...values: number[]): Lowp16Array;
  fromBits(bits: Uint16Array): Lowp16Array;
  readonly format: FloatFormat;
  readonly BYTES_PER_ELEMENT: number;
}
const CLASSES: [string, Ctor, 'bf16' | 'fp16'][] = [
  ['BFloat16Array', BFloat16Array, 'bf16'],
  ['Fp16Array', Fp16Array, 'fp16'],
];

/** The exact reference code of a double (BigInt rounding, ties to even, overflow to infinity). */
const refCode = (x: number, name: string): number => refNearestCode(x, getFormat(name));

function isNanCode(h: number, name: string): boolean {
  return (h & 0x7fff) > getFormat(name).maxMagnitudeCode + 1;
}

const f32bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

describe.each(CLASSES)('%s', (className, C, fmt) => {
  const F = getFormat(fmt);

  describe('writes round once to nearest, ties to even (exact BigInt reference)', () => {
    it('set(i, x) stores the reference code and get(i) === round(x) for doubles biased to ties', () => {
      const a = new C(3);
      fc.assert(
        fc.property(hardDoubles(fmt), fc.integer({ min: 0, max: 2 }), (x, i) => {
          a.set(i, x);
          const got = a.get(i);
          return a.bits[i] === refCode(x, fmt) && Object.is(got, round(x, fmt));
        }),
        { numRuns: 3000 },
      );
    });

    it('set of float32 values (incl. NaN bit patterns) equals encode(x) and keeps NaN a NaN', () => {
      const a = new C(1);
      fc.assert(
        fc.property(hardFloats(fmt), (x) => {
          a.set(0, x);
          if (Number.isNaN(x)) return isNanCode(a.bits[0], fmt) && Number.isNaN(a.get(0));
          return a.bits[0] === refCode(x, fmt) && a.bits[0] === encode(x, fmt);
        }),
        { numRuns: 2000 },
      );
    });

    it('NaN is stored as the canonical quiet NaN, like encode(); -0 stays -0; ±Infinity stays', () => {
      const a = new C(4);
      a.set(0, NaN);
      a.set(1, -0);
      a.set(2, Infinity);
      a.set(3, -Infinity);
      expect(a.bits[0]).toBe(encode(NaN, fmt));
      expect(Number.isNaN(a.get(0))).toBe(true);
      expect(Object.is(a.get(1), -0)).toBe(true);
      expect(a.get(2)).toBe(Infinity);
      expect(a.get(3)).toBe(-Infinity);
    });

    it('float64 inputs match the exact rational oracle (from-f64, incl. double-rounding traps) via set and construction', () => {
      const v = loadVectors('from-f64');
      const key = `${fmt}.input_f64`;
      expect(v.has(key)).toBe(true);
      const input = v.get(key).data as Float64Array;
      const expected = v.get(`${fmt}.expected_code_u16`).data as Uint16Array;
      const a = new C(input.length);
      let mismatches = 0;
      for (let i = 0; i < input.length; i++) {
        a.set(i, input[i]);
        if (Number.isNaN(input[i]) ? !isNanCode(a.bits[i], fmt) : a.bits[i] !== expected[i]) mismatches++;
      }
      expect(mismatches).toBe(0);
      const b = new C(input); // the Float64Array path of the constructor
      const c = C.from(Array.from(input)); // the number[] path
      for (let i = 0; i < input.length; i++) {
        if (Number.isNaN(input[i])) continue;
        if (b.bits[i] !== expected[i] || c.bits[i] !== expected[i]) mismatches++;
      }
      expect(mismatches).toBe(0);
    });

    it('Float32Array inputs match PyTorch (from-f32) through the bulk constructor path', () => {
      const v = loadVectors('from-f32');
      const bits = v.get('input_f32_bits').data as Uint32Array;
      const torch = v.get(`${fmt}_torch`).data as Uint16Array;
      const src = new Float32Array(bits.buffer, bits.byteOffset, bits.length);
      const a = new C(src);
      let mismatches = 0;
      for (let i = 0; i < src.length; i++) {
        if (Number.isNaN(src[i])) { if (!isNanCode(a.bits[i], fmt)) mismatches++; }
        else if (a.bits[i] !== torch[i]) mismatches++;
      }
      expect(mismatches).toBe(0);
    });
  });

  describe('reads are exact', () => {
    it('get(i) of every one of the 65,536 codes equals the PyTorch decode table and decode()', () => {
      const v = loadVectors('decode-tables');
      const table = v.get(`${fmt}_to_f32`).data as Float32Array | Uint32Array;
      const asF32 = table instanceof Float32Array ? table : new Float32Array(table.buffer, table.byteOffset, table.length);
      const codes = new Uint16Array(65536).map((_, i) => i);
      const a = new C(codes);
      const all = a.toFloat32Array();
      for (let c = 0; c < 65536; c++) {
        const x = a.get(c);
        if (Number.isNaN(asF32[c])) {
          expect(Number.isNaN(x) && Number.isNaN(all[c])).toBe(true);
          continue;
        }
        if (!Object.is(x, asF32[c]) || !Object.is(x, decode(c, fmt)) || !Object.is(all[c], x)) {
          throw new Error(`code 0x${c.toString(16)}: get ${x}, toFloat32Array ${all[c]}, table ${asF32[c]}, decode ${decode(c, fmt)}`);
        }
      }
    });

    it('every non-NaN code round-trips: set(get(code)) gives the code back', () => {
      const a = new C(new Uint16Array(65536).map((_, i) => i));
      const b = new C(65536);
      for (let c = 0; c < 65536; c++) b.set(c, a.get(c));
      for (let c = 0; c < 65536; c++) {
        if (isNanCode(c, fmt)) expect(isNanCode(b.bits[c], fmt)).toBe(true);
        else if (b.bits[c] !== c) throw new Error(`code 0x${c.toString(16)} came back as 0x${b.bits[c].toString(16)}`);
      }
    });
  });

  describe('memory: bits, buffers and subarrays are views, not copies', () => {
    it('bits is the storage: writes through either side are seen by the other', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), fc.double({ noNaN: true }), (n, k, code, x) => {
          const a = new C(n);
          const i = k % n;
          a.bits[i] = code;
          if (!Object.is(a.get(i), decode(code, fmt)) && !isNanCode(code, fmt)) return false;
          a.set(i, x);
          return a.bits[i] === refCode(x, fmt) && a.bits.buffer === a.buffer && a.byteLength === 2 * n;
        }),
        { numRuns: 300 },
      );
    });

    it('a Uint16Array is wrapped without copying; an ArrayBuffer (+ byteOffset, length) is viewed without copying', () => {
      const u = new Uint16Array([0, 0, 0, 0, 0]);
      const a = new C(u);
      expect(a.bits).toBe(u);
      a.set(1, 2);
      expect(u[1]).toBe(encode(2, fmt));
      expect(C.fromBits(u).bits).toBe(u);

      const buf = new ArrayBuffer(16);
      const whole = new C(buf);
      expect(whole.length).toBe(8);
      const part = new C(buf, 4, 3);
      expect([part.length, part.byteOffset, part.byteLength]).toEqual([3, 4, 6]);
      part.set(0, 1.5);
      expect(whole.get(2)).toBe(1.5);
      expect(new Uint16Array(buf)[2]).toBe(encode(1.5, fmt));
      const tail = new C(buf, 10);
      expect(tail.length).toBe(3);
      expect(tail.buffer).toBe(buf);
    });

    it('a SharedArrayBuffer is viewed without copying', () => {
      const sab = new SharedArrayBuffer(8);
      const a = new C(sab, 2, 2);
      a.set(1, -3);
      expect(new C(sab).get(2)).toBe(-3);
    });

    it('subarray shares memory (with native begin/end semantics); slice copies', () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ noNaN: true, min: -1e4, max: 1e4 }), { minLength: 0, maxLength: 20 }),
          fc.integer({ min: -25, max: 25 }),
          fc.integer({ min: -25, max: 25 }),
          (xs, b, e) => {
            const a = new C(xs);
            const sub = a.subarray(b, e);
            const ref = a.bits.subarray(b, e);
            if (!(sub instanceof C) || sub.length !== ref.length || sub.byteOffset !== ref.byteOffset) return false;
            if (sub.buffer !== a.buffer) return false;
            const sl = a.slice(b, e);
            if (sl.length !== sub.length || sl.buffer === a.buffer) return false;
            const snapshot = Array.from(sl.bits);
            if (snapshot.join() !== Array.from(sub.bits).join()) return false;
            for (let i = 0; i < sub.length; i++) {
              sub.set(i, 7); // visible in the parent, not in the slice
              if (a.bits[ref.byteOffset / 2 + i] !== encode(7, fmt)) return false;
            }
            return Array.from(sl.bits).join() === snapshot.join();
          },
        ),
        { numRuns: 300 },
      );
      const a = C.of(1, 2, 3, 4);
      const s = a.slice(1, 3);
      s.set(0, 100);
      expect(a.get(1)).toBe(2);
    });
  });

  describe('construction from every source, and inputs are never mutated', () => {
    it('from a length: zeros; with no argument: empty', () => {
      const a = new C(5);
      expect(a.length).toBe(5);
      expect(Array.from(a.bits)).toEqual([0, 0, 0, 0, 0]);
      expect(new C().length).toBe(0);
      expect(new C(0).length).toBe(0);
    });

    it('from number[], Float32Array, Float64Array, iterables and array-likes: the reference codes, source untouched', () => {
      fc.assert(
        fc.property(fc.array(hardDoubles(fmt), { maxLength: 30 }), (xs) => {
          const copy = xs.slice();
          const f64 = new Float64Array(xs);
          const f64copy = f64.slice();
          const f32 = new Float32Array(xs);
          const f32copy = f32.slice();
          const expected = xs.map((x) => refCode(x, fmt));
          const expected32 = Array.from(f32, (x) => refCode(x, fmt));
          const fromArray = new C(xs);
          const fromF64 = new C(f64);
          const fromF32 = new C(f32);
          const fromSet = new C(new Map(xs.map((x, i) => [i, x])).values());
          const fromLike = new C({ length: xs.length, ...Object.fromEntries(xs.map((x, i) => [i, x])) } as ArrayLike<number>);
          const fromStatic = C.from(xs);
          const ofs = C.of(...xs);
          for (const arr of [fromArray, fromF64, fromSet, fromLike, fromStatic, ofs]) {
            if (Array.from(arr.bits).join() !== expected.join()) return false;
          }
          return (
            Array.from(fromF32.bits).join() === expected32.join() &&
            copy.every((x, i) => Object.is(x, xs[i])) &&
            f64.every((x, i) => Object.is(x, f64copy[i])) &&
            f32bits(f32).every((u, i) => u === f32bits(f32copy)[i])
          );
        }),
        { numRuns: 300 },
      );
    });

    it('from integer typed arrays and generators by value', () => {
      expect(new C(new Int8Array([-3, 4])).toArray()).toEqual([-3, 4]);
      expect(new C(new Uint32Array([1, 257])).toArray()).toEqual(fmt === 'bf16' ? [1, 256] : [1, 257]);
      function* gen() { yield 0.5; yield 1e9; }
      expect(new C(gen()).toArray()).toEqual([0.5, round(1e9, fmt)]);
    });

    it('from another lowp array: same format copies codes (NaN payload kept), other format rounds values', () => {
      const src = new C(new Uint16Array([encode(1.5, fmt), F.signBit | (F.maxMagnitudeCode + 5)]));
      const copy = new C(src);
      expect(copy.bits).not.toBe(src.bits);
      expect(Array.from(copy.bits)).toEqual(Array.from(src.bits));
      const Other = C === BFloat16Array ? Fp16Array : BFloat16Array;
      const otherFmt = fmt === 'bf16' ? 'fp16' : 'bf16';
      const values = [0.1, 3e5, -(2 ** -20), 1 / 3];
      const o = new Other(values);
      const conv = new C(o);
      expect(conv.toArray()).toEqual(o.toArray().map((x) => round(x, fmt)));
      expect(Array.from(C.from(o).bits)).toEqual(Array.from(conv.bits));
      expect(o.toArray()).toEqual(values.map((x) => round(x, otherFmt))); // untouched
    });

    it('from(source, mapFn, thisArg) maps then rounds; from(Uint16Array) takes the elements as numbers (a copy)', () => {
      const ctx = { k: 10 };
      const a = C.from([1, 2, 3], function (this: typeof ctx, x, i) { return x / this.k + i; }, ctx);
      expect(a.toArray()).toEqual([0.1, 1.2, 2.3].map((x) => round(x, fmt)));
      const u = new Uint16Array([1, 2, 300]);
      const b = C.from(u);
      expect(b.bits).not.toBe(u);
      expect(b.toArray()).toEqual([1, 2, 300].map((x) => round(x, fmt)));
      expect(Array.from(u)).toEqual([1, 2, 300]);
    });
  });

  describe('bulk writes and conversions', () => {
    it('setFrom(Float32Array, offset) equals encodeArray on the same values, leaves the rest alone', () => {
      fc.assert(
        fc.property(fc.array(hardFloats(fmt), { maxLength: 40 }), fc.nat(10), fc.nat(10), (xs, offset, extra) => {
          const src = new Float32Array(xs);
          const before = src.slice();
          const a = new C(offset + xs.length + extra).fill(5);
          a.setFrom(src, offset);
          const codes = encodeArray(src, fmt) as Uint16Array;
          for (let i = 0; i < a.length; i++) {
            const want = i >= offset && i < offset + xs.length ? codes[i - offset] : encode(5, fmt);
            if (a.bits[i] !== want) return false;
          }
          return f32bits(src).every((u, i) => u === f32bits(before)[i]);
        }),
        { numRuns: 300 },
      );
    });

    it('setFrom with cast options equals encodeArray with the same options (toward-zero, saturate, seeded stochastic)', () => {
      const optsList: CastOptions[] = [{ rounding: 'toward-zero' }, { overflow: 'saturate' }, { rounding: 'stochastic', seed: 7 }, { flushSubnormals: true }];
      fc.assert(
        fc.property(fc.array(hardDoubles(fmt), { maxLength: 30 }), fc.constantFrom(...optsList), fc.boolean(), (xs, opts, as32) => {
          const src = as32 ? new Float32Array(xs) : new Float64Array(xs);
          const a = new C(xs.length);
          a.setFrom(src, 0, opts);
          const want = encodeArray(src, fmt, opts) as Uint16Array;
          const b = new C(xs.length);
          b.setFrom(Array.from(src), 0, opts); // number[] path
          return Array.from(a.bits).join() === Array.from(want).join() && Array.from(b.bits).join() === Array.from(want).join();
        }),
        { numRuns: 200 },
      );
    });

    it('setFrom handles a source overlapping the destination memory (read before written)', () => {
      // a Float32Array over the same buffer as the codes: the bulk encoder must not read what it wrote
      const buf = new ArrayBuffer(64);
      const f32 = new Float32Array(buf, 0, 8);
      for (let i = 0; i < 8; i++) f32[i] = i + 0.5;
      const want = encodeArray(f32.slice(), fmt) as Uint16Array;
      const a = new C(buf, 4, 8);
      a.setFrom(f32);
      expect(Array.from(a.bits)).toEqual(Array.from(want));
      // same-format lowp source overlapping: like TypedArray.prototype.set
      const b = C.of(1, 2, 3, 4, 5);
      b.setFrom(b.subarray(0, 4), 1);
      expect(b.toArray()).toEqual([1, 1, 2, 3, 4]);
    });

    it('toFloat32Array / toFloat64Array / toArray are exact copies, not views', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 30 }), (codes) => {
          const a = new C(new Uint16Array(codes));
          const f32 = a.toFloat32Array();
          const f64 = a.toFloat64Array();
          const arr = a.toArray();
          return codes.every((c, i) => {
            const want = decode(c, fmt);
            if (Number.isNaN(want)) return Number.isNaN(f32[i]) && Number.isNaN(f64[i]) && Number.isNaN(arr[i]);
            return Object.is(f32[i], want) && Object.is(f64[i], want) && Object.is(arr[i], want);
          }) && f32.buffer !== a.buffer;
        }),
        { numRuns: 200 },
      );
    });

    it('fill rounds once and honours start/end like TypedArray.prototype.fill', () => {
      const a = new C(6).fill(0.1, 1, -2);
      expect(Array.from(a.bits)).toEqual([0, encode(0.1, fmt), encode(0.1, fmt), encode(0.1, fmt), 0, 0]);
      expect(a.fill(-1)).toBe(a);
      expect(a.toArray()).toEqual([-1, -1, -1, -1, -1, -1]);
    });
  });

  describe('iteration, display and platform protocols', () => {
    it('values / keys / entries / spread / for-of agree with get', () => {
      const a = C.of(1, -2, 0.1, Infinity);
      const want = [1, -2, round(0.1, fmt), Infinity];
      expect([...a]).toEqual(want);
      expect([...a.values()]).toEqual(want);
      expect([...a.keys()]).toEqual([0, 1, 2, 3]);
      expect([...a.entries()]).toEqual(want.map((x, i) => [i, x]));
      const seen: number[] = [];
      for (const x of a) seen.push(x);
      expect(seen).toEqual(want);
      const it = a.values();
      expect(it[Symbol.iterator]()).toBe(it);
      it.next(); it.next(); it.next(); it.next();
      expect(it.next()).toEqual({ value: undefined, done: true });
    });

    it('get converts the index with Number() first, as Array.prototype.at does; set takes numbers only', () => {
      const a = C.of(1, 2, 3);
      expect(a.get('2' as unknown as number)).toBe(3);
      expect(a.get(-0)).toBe(1);
      expect(() => a.set('0' as unknown as number, 5)).toThrow(/expected an integer index, got the string '0'/);
    });

    it('at() counts from the end for negative indices and gives undefined out of range', () => {
      const a = C.of(1, 2, 3);
      expect([a.at(0), a.at(-1), a.at(-3), a.at(3), a.at(-4)]).toEqual([1, 3, 1, undefined, undefined]);
    });

    it('Symbol.toStringTag, toString, toJSON, static and instance descriptors', () => {
      const a = C.of(1, 0.5, -2);
      expect(Object.prototype.toString.call(a)).toBe(`[object ${className}]`);
      expect(String(a)).toBe('1,0.5,-2');
      expect(JSON.stringify({ a })).toBe('{"a":[1,0.5,-2]}');
      expect(C.BYTES_PER_ELEMENT).toBe(2);
      expect(a.BYTES_PER_ELEMENT).toBe(2);
      expect(a.format).toBe(F);
      expect(C.format).toBe(F);
      expect(a).toBeInstanceOf(Lowp16Array);
    });

    it('util.inspect looks like a native typed array and honours maxArrayLength', () => {
      expect(inspect(C.of(1, 2, 3))).toBe(`${className}(3) [ 1, 2, 3 ]`);
      expect(inspect(new C(0))).toBe(`${className}(0) []`);
      expect(inspect(new C(250).fill(1), { maxArrayLength: 2 })).toMatch(new RegExp(`^${className}\\(250\\) \\[\\s+1,\\s+1,\\s+\\.\\.\\. 248 more items\\s+\\]$`));
      expect(inspect(new C(101).fill(1))).toContain('... 1 more item');
      expect(inspect({ a: { b: { c: { d: C.of(1) } } } }, { depth: 1 })).not.toContain('Float32Array');
      expect(inspect({ x: C.of(1) }, { depth: 0 })).toBe(`{ x: [${className}] }`);
    });
  });

  describe('errors say what was expected and what came', () => {
    it('get/set out of range or with a non-integer index, and set of a non-number', () => {
      const a = new C(3);
      expect(() => a.get(3)).toThrow(RangeError);
      expect(() => a.get(3)).toThrow(/index 3 is out of range for length 3/);
      expect(() => a.get(-1)).toThrow(RangeError);
      expect(() => a.set(3, 1)).toThrow(RangeError);
      expect(() => a.set(-1, 1)).toThrow(RangeError);
      expect(() => a.get(1.5)).toThrow(TypeError);
      expect(() => a.get(NaN)).toThrow(TypeError);
      expect(() => a.get('x' as unknown as number)).toThrow(/expected an integer index, got the string 'x'/);
      expect(() => a.get('length' as unknown as number)).toThrow(TypeError); // never a property of the storage
      expect(() => a.get('1.5' as unknown as number)).toThrow(TypeError);
      expect(() => a.get('7' as unknown as number)).toThrow(/index 7 is out of range for length 3/);
      expect(() => a.get(Symbol('i') as unknown as number)).toThrow(TypeError);
      expect(() => a.set('x' as unknown as number, 1)).toThrow(TypeError);
      expect(() => a.set(0, '1' as unknown as number)).toThrow(/expected a number value, got the string '1'/);
      expect(() => a.set(0, undefined as unknown as number)).toThrow(TypeError);
      expect(() => a.set(new Float32Array(1) as unknown as number, 0)).toThrow(/expected an integer index, got a Float32Array of length 1 \(to write many values, use setFrom/);
      expect(() => a.fill('x' as unknown as number)).toThrow(TypeError);
      expect(Array.from(a.bits)).toEqual([0, 0, 0]); // nothing written by the failed calls
    });

    it('bad constructor arguments', () => {
      expect(() => new C(-1)).toThrow(RangeError);
      expect(() => new C(1.5)).toThrow(/expected a length \(a non-negative integer\), got the number 1.5/);
      expect(() => new C(new ArrayBuffer(4), 1)).toThrow(/multiple of 2/);
      expect(() => new C(new ArrayBuffer(5))).toThrow(/not a whole number of 2-byte elements/);
      expect(() => new C(new ArrayBuffer(4), 2, 2)).toThrow(/need 6 bytes, the buffer has 4/);
      expect(() => new C(new ArrayBuffer(4), 6)).toThrow(RangeError);
      expect(() => new C(new Uint16Array(2) as unknown as ArrayBuffer, 0)).toThrow(/byteOffset and length apply to an ArrayBuffer, not to a Uint16Array/);
      expect(() => new C(['a'] as unknown as number[])).toThrow(/element 0 must be a number, got the string 'a'/);
      expect(() => new C({} as unknown as number[])).toThrow(/expected an iterable or array-like of numbers, got an object/);
      expect(() => new C(null as unknown as number[])).toThrow(TypeError);
      expect(() => new C('12' as unknown as number[])).toThrow(TypeError);
      expect(() => new C(new BigInt64Array(2) as unknown as number[])).toThrow(/BigInt/);
      expect(() => new C(new DataView(new ArrayBuffer(2)) as unknown as number[])).toThrow(TypeError);
      expect(() => C.fromBits(new Int16Array(2) as unknown as Uint16Array)).toThrow(/expected a Uint16Array of codes, got an Int16Array of length 2/);
      expect(() => C.from([1], 3 as never)).toThrow(/mapFn must be a function/);
    });

    it('setFrom: a source that does not fit, a bad offset, a non-number element', () => {
      const a = new C(3);
      expect(() => a.setFrom([1, 2], 2)).toThrow(/2 values at offset 2 do not fit in length 3/);
      expect(() => a.setFrom([1], -1)).toThrow(RangeError);
      expect(() => a.setFrom([1], 0.5)).toThrow(RangeError);
      expect(() => a.setFrom([1, 'x'] as unknown as number[])).toThrow(/source\[1\] must be a number/);
      expect(() => a.setFrom(5 as unknown as number[])).toThrow(TypeError);
      expect(() => a.setFrom([1], 0, { rounding: 'up' as never })).toThrow(RangeError);
    });
  });
});

describe('Fp16Array and the native Float16Array', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const native = (globalThis as { Float16Array?: unknown }).Float16Array;

  it('hasNativeFloat16Array reports the runtime; without one, toFloat16Array/fromFloat16Array throw a TypeError saying so', () => {
    expect(Fp16Array.hasNativeFloat16Array()).toBe(typeof native === 'function');
    if (typeof native === 'function') return; // covered by tests/interop on Node 26
    expect(() => Fp16Array.of(1).toFloat16Array()).toThrow(/no native Float16Array \(it needs Node >= 24/);
    expect(() => Fp16Array.fromFloat16Array(new Uint16Array(1) as never)).toThrow(TypeError);
  });

  it('with a Float16Array global (stubbed here with @petamoriken/float16 on Node 20): both directions share memory', () => {
    if (typeof native !== 'function') vi.stubGlobal('Float16Array', PolyfillFloat16Array);
    const F16 = (globalThis as unknown as { Float16Array: new (b: ArrayBufferLike, o?: number, n?: number) => { [i: number]: number; length: number; buffer: ArrayBufferLike; byteOffset: number; byteLength: number; BYTES_PER_ELEMENT: number } }).Float16Array;
    expect(Fp16Array.hasNativeFloat16Array()).toBe(true);
    const h = Fp16Array.of(1, 2, 3);
    const n = h.toFloat16Array();
    expect(n.buffer).toBe(h.buffer);
    expect(n.length).toBe(3);
    n[1] = 0.1;
    expect(h.get(1)).toBe(round(0.1, 'fp16'));
    h.set(2, 65504);
    expect(n[2]).toBe(65504);
    const buf = new ArrayBuffer(10);
    const f = new F16(buf, 2, 3);
    const g = Fp16Array.fromFloat16Array(f);
    expect([g.buffer, g.byteOffset, g.length]).toEqual([buf, 2, 3]);
    g.set(0, -4);
    expect(f[0]).toBe(-4);
    // copying constructors take codes as they are
    f[1] = 1 / 3;
    const copy = new Fp16Array(f as unknown as ArrayLike<number>);
    expect(copy.buffer).not.toBe(buf);
    expect(copy.toArray()).toEqual([-4, round(1 / 3, 'fp16'), 0]);
    expect(() => Fp16Array.fromFloat16Array(new Uint16Array(2) as never)).toThrow(/expected a native Float16Array, got a Uint16Array of length 2/);
  });
});
