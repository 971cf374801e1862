// toFloatArray / readFloat against the decode tables of PyTorch and ml_dtypes
// (../shared/vectors/decode-tables.safetensors, through tests/helpers/vectors.ts): every fp16, bf16,
// fp8 e4m3fn, fp8 e5m2 and e8m0 code read from a safetensors file of that dtype decodes to the value the
// reference libraries give (NaN for NaN), in float32 and float64; integer dtypes convert exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadVectors } from '../helpers/vectors.js';
import { dtypeArrayType, dtypeSize, openSafetensorsSync, swapBytes, toFloatArray, writeSafetensors, type DType } from '../../src/io/index.js';

const TABLES: Array<[string, DType]> = [
  ['fp16_to_f32', 'F16'],
  ['bf16_to_f32', 'BF16'],
  ['float8_e4m3fn_to_f32_torch', 'F8_E4M3'],
  ['float8_e5m2_to_f32_torch', 'F8_E5M2'],
  ['float8_e8m0fnu_to_f32_mldtypes', 'F8_E8M0'],
];

describe('float conversion vs the PyTorch / ml_dtypes decode tables', () => {
  const v = loadVectors('decode-tables');
  for (const [key, dtype] of TABLES) {
    it.skipIf(!v.has(key))(`${dtype}: every code stored in a ${dtype} tensor reads as ${key}`, () => {
      const want = v.get(key).data as Float32Array;
      const n = want.length;
      const codes = n > 256 ? new Uint16Array(n).map((_, i) => i) : new Uint8Array(n).map((_, i) => i);
      // the table may be a subset (fixture): its codes are then 0..n-1 only if full; check length
      expect([65536, 256]).toContain(n);
      const st = openSafetensorsSync(writeSafetensors({ t: { dtype, shape: [n], data: codes } }));
      for (const as of ['float32', 'float64'] as const) {
        const got = st.readFloatSync('t', { as });
        expect(got.length).toBe(n);
        let bad = -1;
        for (let i = 0; i < n && bad < 0; i++) {
          const a = got[i];
          const b = want[i];
          if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) bad = i;
        }
        expect(bad, `${dtype} ${as}: first mismatch at code ${bad}: ${got[bad]} vs ${want[bad]}`).toBe(-1);
      }
    });
  }

  it('integers convert to their exact values (float64) and round to nearest in float32', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 50 }), (xs) => {
        const d = Int32Array.from(xs);
        expect([...toFloatArray('I32', d)]).toEqual(xs);
        expect([...toFloatArray('I32', d, 'float32')]).toEqual(xs.map(Math.fround));
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 50 }), (xs) => {
        expect([...toFloatArray('I64', BigInt64Array.from(xs))]).toEqual(xs.map(Number));
      }),
    );
  });

  it('never modifies or returns its input', () => {
    const codes = new Uint16Array([0x3c00, 0x7e00]);
    const out = toFloatArray('F16', codes);
    expect([...codes]).toEqual([0x3c00, 0x7e00]);
    expect(out).not.toBe(codes);
    const f = new Float32Array([1, 2]);
    expect(toFloatArray('F32', f)).not.toBe(f);
  });
});

describe('hostile input', () => {
  it('toFloatArray refuses an unknown dtype or data of the wrong typed array instead of returning zeros', () => {
    expect(() => toFloatArray('F12' as never, new Float32Array([1]) as never)).toThrow(/expected a dtype .* got F12/);
    expect(() => toFloatArray('F32', null as never)).toThrow(/toFloatArray: expected the data of a F32 tensor to be a Float32Array, got null/);
    expect(() => toFloatArray('F32', new Float64Array([1]) as never)).toThrow(TypeError);
    expect(() => toFloatArray('I32', new Float32Array([1]) as never)).toThrow(/Int32Array, got a Float32Array/);
    expect(() => toFloatArray('I64', [1n] as never)).toThrow(TypeError);
    // every dtype's own typed array is accepted
    fc.assert(fc.property(fc.constantFrom<DType>('F64', 'F32', 'F16', 'BF16', 'I32', 'U8', 'BOOL', 'F8_E4M3'), (dt) => {
      const C = { F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, I32: Int32Array, U8: Uint8Array, BOOL: Uint8Array, F8_E4M3: Uint8Array }[dt as 'F32'];
      return toFloatArray(dt, new C(3) as never).length === 3;
    }), { numRuns: 50 });
  });
  it("a dtype named like an Object.prototype member ('constructor', 'toString') is a TypeError, not undefined", () => {
    for (const d of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => dtypeSize(d as never), d).toThrow(/expected a dtype \(U64, .*\), got /);
      expect(() => dtypeArrayType(d as never), d).toThrow(TypeError);
      expect(() => toFloatArray(d as never, new Float32Array(1) as never), d).toThrow(TypeError);
    }
  });
  it('swapBytes checks its arguments (a missing size used to say "a multiple of undefined")', () => {
    expect(() => swapBytes(new Uint8Array(4), undefined as never)).toThrow(/swapBytes: expected an element size in bytes \(a positive integer\), got undefined/);
    expect(() => swapBytes(new Uint8Array(4), 0)).toThrow(RangeError);
    expect(() => swapBytes(new Uint8Array(4), 1.5)).toThrow(RangeError);
    expect(() => swapBytes(null as never, 2)).toThrow(/swapBytes: expected a Uint8Array, got null/);
    expect(() => swapBytes(new Uint8Array(3), 2)).toThrow(/multiple of 2, got 3/);
    expect([...swapBytes(new Uint8Array([1, 2, 3, 4]), 2)]).toEqual([2, 1, 4, 3]);
    expect([...swapBytes(new Uint8Array([1, 2]), 1)]).toEqual([1, 2]);
  });
});
