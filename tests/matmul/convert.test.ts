// Bulk float32 ⇄ fp16/bf16 conversions (WebAssembly SIMD, src/wasm/convert.ts) against lowp/formats'
// generic codec (the one traits-driven converter, itself tested against PyTorch/numpy/ml_dtypes) and
// the decode-tables oracle (PyTorch): exhaustive for the 65,536 codes of each 16-bit format; all
// float32 edge classes plus heavy random sampling for the encoders (the full 2^32 sweep is
// bench/convert-wasm-exhaustive.mjs). The pure-TypeScript twins are checked the same way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f32ToBf16, f32ToFp16, fp16ToF32 } from '../../src/matmul/index.js';
import { decode, decodeArray, encode, encodeArray } from '../../src/formats/index.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';
import { loadVectors } from '../helpers/vectors.js';

const NAN16 = { fp16: 0x7e00, bf16: 0x7fc0 } as const;

/** The generic codec's code with lowp's canonical NaN policy (quiet NaN 0x7E00/0x7FC0 keeping the sign). */
function expectedCode(bits: number, fmt: 'fp16' | 'bf16'): number {
  const f = new Float32Array(new Uint32Array([bits]).buffer)[0];
  if (Number.isNaN(f)) return NAN16[fmt] | ((bits >>> 16) & 0x8000);
  return encode(f, fmt);
}

function edgeBits(): Uint32Array {
  const out: number[] = [];
  for (let e = 0; e < 256; e++) {
    for (const m of [0, 1, 2, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000, 0x18000, 0x7fe000, 0x7ff000, 0x7fffff, 0x400000, 0x3fffff]) {
      out.push((e << 23) | m, ((e << 23) | m | 0x80000000) >>> 0);
    }
  }
  return Uint32Array.from(out);
}

/** Runs `fn` with the WebAssembly kernels on or off, then restores the previous setting. */
function withWasm<T>(on: boolean, fn: () => T): T {
  const prev = setWasmEnabled(on);
  try {
    return fn();
  } finally {
    setWasmEnabled(prev);
  }
}

for (const wasm of [true, false]) {
  describe(`bulk conversions (${wasm ? 'WebAssembly SIMD' : 'TypeScript fallback'})`, () => {
    const run = <T>(fn: () => T): T => withWasm(wasm, fn);

    it('fp16ToF32 and bf16ToF32 decode all 65,536 codes exactly like the generic codec and PyTorch', () => {
      const codes = Uint16Array.from({ length: 65536 }, (_, i) => i);
      const tables = loadVectors('decode-tables');
      for (const [fmt, fn] of [['fp16', fp16ToF32], ['bf16', bf16ToF32]] as const) {
        const got = run(() => fn(codes));
        const bits = new Uint32Array(got.buffer);
        const torch = tables.has(`${fmt}_to_f32`) ? (tables.get(`${fmt}_to_f32`).data as Uint32Array | Float32Array) : null;
        const torchBits = torch ? new Uint32Array(torch.buffer, torch.byteOffset, torch.length) : null;
        expect(bits).toEqual(new Uint32Array(decodeArray(codes, fmt).buffer)); // formats' bulk decode, NaN bits included
        for (let c = 0; c < 65536; c++) {
          const want = decode(c, fmt);
          if (Number.isNaN(want)) expect(Number.isNaN(got[c])).toBe(true);
          else expect(Object.is(got[c], want)).toBe(true);
          // PyTorch's bits, except NaN payloads (PyTorch quiets fp16 NaNs; lowp keeps payloads as formats does)
          if (torchBits && torchBits.length === 65536 && !Number.isNaN(want)) expect(bits[c]).toBe(torchBits[c]);
        }
      }
    });

    it('f32ToFp16 and f32ToBf16 match the generic codec on every exponent × mantissa edge pattern', () => {
      const bits = edgeBits();
      const src = new Float32Array(bits.buffer);
      for (const [fmt, fn] of [['fp16', f32ToFp16], ['bf16', f32ToBf16]] as const) {
        const got = run(() => fn(src));
        for (let i = 0; i < bits.length; i++) expect(got[i]).toBe(expectedCode(bits[i], fmt));
      }
    });

    it('match the generic codec on random float32 bit patterns (any length, any alignment)', () => {
      fc.assert(
        fc.property(fc.uint32Array({ minLength: 0, maxLength: 3000 }), fc.integer({ min: 0, max: 7 }), (arr, off) => {
          const buf = new Uint32Array(arr.length + off);
          buf.set(arr, off);
          const src = new Float32Array(buf.buffer, off * 4, arr.length); // unaligned start for SIMD chunks
          const copy = buf.slice();
          const h = run(() => f32ToFp16(src));
          const b = run(() => f32ToBf16(src, new Uint16Array(arr.length)));
          for (let i = 0; i < arr.length; i++) {
            expect(h[i]).toBe(expectedCode(arr[i], 'fp16'));
            expect(b[i]).toBe(expectedCode(arr[i], 'bf16'));
          }
          // and bit-identical to lowp/formats' encodeArray (what the formats module will delegate to)
          expect(h).toEqual(encodeArray(src, 'fp16'));
          expect(b).toEqual(encodeArray(src, 'bf16'));
          expect(buf).toEqual(copy); // never mutates the source
        }),
        { numRuns: 40 },
      );
    });

    it('match formats on realistic data: runs of in-range values (SIMD fast paths) with sparse zeros, subnormals, NaN, ±inf, overflow', () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 40 }), (seed, n, specials) => {
          let s = seed >>> 0 || 5;
          const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
          const src = new Float32Array(n);
          for (let i = 0; i < n; i++) src[i] = ((next() / 2 ** 32) - 0.5) * 2 ** ((next() % 24) - 10);
          const pool = [0, -0, NaN, -NaN, Infinity, -Infinity, 65520, 1e6, -7e4, 3e-8, -6e-5, 2 ** -24, 2 ** -25, 1e-40, 3.4e38];
          for (let t = 0; t < specials; t++) src[next() % n] = pool[next() % pool.length];
          const h = run(() => f32ToFp16(src));
          const b = run(() => f32ToBf16(src));
          expect(h).toEqual(encodeArray(src, 'fp16'));
          expect(b).toEqual(encodeArray(src, 'bf16'));
          expect(new Uint32Array(run(() => fp16ToF32(h)).buffer)).toEqual(new Uint32Array(decodeArray(h, 'fp16').buffer));
          expect(new Uint32Array(run(() => bf16ToF32(b)).buffer)).toEqual(new Uint32Array(decodeArray(b, 'bf16').buffer));
        }),
        { numRuns: 80 },
      );
    });

    it('round-trip: decode(encode(x)) = x for every 16-bit value, through 100k-element arrays', () => {
      const codes = Uint16Array.from({ length: 100000 }, (_, i) => i % 65536);
      for (const [enc, dec, nan] of [[f32ToFp16, fp16ToF32, 0x7c00], [f32ToBf16, bf16ToF32, 0x7f80]] as const) {
        const back = run(() => enc(dec(codes)));
        for (let i = 0; i < codes.length; i++) {
          const c = codes[i];
          const isNan = (c & 0x7fff) > nan;
          if (isNan) expect(back[i]).toBe((nan === 0x7c00 ? 0x7e00 : 0x7fc0) | (c & 0x8000));
          else expect(back[i]).toBe(c);
        }
      }
    });

    it('arrays of several staging chunks (1 MiB of results each), at odd offsets with a ragged tail, equal the TypeScript twins and the codec', () => {
      // 2 full encode chunks (524,288 values) + a tail; 4 full decode chunks (262,144) + the same tail
      const n = 2 * 524288 + 4099;
      let state = 0x2545f491;
      const next = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
      const backing = new Uint32Array(n + 1);
      const bits = backing.subarray(1); // starts 4 bytes into its buffer
      const specials = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xff812345, 1, 0x387fffff, 0x477ff000, 0x477fefff];
      for (let i = 0; i < n; i++) {
        const r = next();
        // mostly values in fp16's normal range (runs that take the kernels' fast paths), some anything
        bits[i] = r % 17 === 0 ? specials[next() % specials.length] : r % 5 === 0 ? next() : ((112 + (r % 31)) << 23) | (next() & 0x807fffff);
      }
      const src = new Float32Array(bits.buffer, bits.byteOffset, n);
      const codeBacking = new Uint16Array(n + 1);
      const codes = codeBacking.subarray(1); // starts 2 bytes into its buffer
      for (let i = 0; i < n; i++) codes[i] = next() >>> 16;
      const bitsBefore = bits.slice(), codesBefore = codes.slice();
      /** Index of the first difference (vitest's toEqual takes seconds per million elements), -1 if none. */
      const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
        if (a.length !== b.length) return -2;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
        return -1;
      };
      const twin = <T>(fn: () => T): T => withWasm(false, fn);
      for (const [fmt, enc, dec] of [['fp16', f32ToFp16, fp16ToF32], ['bf16', f32ToBf16, bf16ToF32]] as const) {
        const got = run(() => enc(src));
        expect(firstDiff(got, twin(() => enc(src)))).toBe(-1);
        for (let i = 0; i < n; i += 997) expect(got[i]).toBe(expectedCode(bits[i], fmt));
        const back = new Uint32Array(run(() => dec(codes)).buffer);
        expect(firstDiff(back, new Uint32Array(twin(() => dec(codes)).buffer))).toBe(-1);
        for (let i = 0; i < n; i += 997) {
          const want = decode(codes[i], fmt);
          const f = new Float32Array(back.buffer, i * 4, 1)[0];
          if (Number.isNaN(want)) expect(Number.isNaN(f)).toBe(true);
          else expect(Object.is(f, want)).toBe(true);
        }
      }
      expect(firstDiff(bits, bitsBefore)).toBe(-1); // inputs untouched
      expect(firstDiff(codes, codesBefore)).toBe(-1);
    });
  });
}

describe('bulk conversion errors', () => {
  it('reject wrong types and lengths', () => {
    expect(() => f32ToFp16(new Float64Array(2) as unknown as Float32Array)).toThrow(TypeError);
    expect(() => f32ToFp16(new Float32Array(2), new Uint16Array(3))).toThrow(RangeError);
    expect(() => fp16ToF32(new Uint16Array(2), new Float64Array(2) as unknown as Float32Array)).toThrow(TypeError);
    expect(() => bf16ToF32([1, 2] as unknown as Uint16Array)).toThrow(/expected src to be a Uint16Array, got an Array of length 2/);
    expect(() => f32ToBf16(new Float32Array(4), new Uint16Array(1))).toThrow(/out must have the length of src \(4\)/);
  });
});
