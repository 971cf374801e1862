// Conformance of bf16/fp16 casts with the oracles in ../shared/vectors (README there):
// from-f32 (PyTorch, numpy, ml_dtypes), from-f64 (exact rational round-to-nearest-even, with the
// double-rounding traps that float64 -> float32 -> fp16 falls into), decode-tables (all 65,536 codes).
import { describe, expect, it } from 'vitest';
import { decodeArray, encode, encodeArray } from '../../src/index.js';
import { loadVectors } from '../helpers/vectors.js';

const isNaN16 = (code: number, fmt: 'bf16' | 'fp16') =>
  fmt === 'bf16' ? (code & 0x7f80) === 0x7f80 && (code & 0x7f) !== 0 : (code & 0x7c00) === 0x7c00 && (code & 0x3ff) !== 0;

describe('from-f32: float32 -> bf16/fp16 equals PyTorch, numpy and ml_dtypes', () => {
  const v = loadVectors('from-f32');
  const bits = v.get('input_f32_bits').data as Uint32Array;
  const x = new Float32Array(bits.buffer, bits.byteOffset, bits.length);
  const columns: [string, 'bf16' | 'fp16'][] = [
    ['bf16_torch', 'bf16'], ['bf16_mldtypes', 'bf16'], ['fp16_torch', 'fp16'], ['fp16_numpy', 'fp16'],
  ];
  it.each(columns)('%s: zero mismatches on non-NaN inputs (fast path and generic codec); NaN gives NaN', (key, fmt) => {
    const expected = v.get(key).data as Uint16Array;
    const fast = encodeArray(x, fmt);
    const generic = encodeArray(new Float64Array(x), fmt); // the float64 path runs the generic codec
    let mismatches = 0, nanChecked = 0;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) {
        expect(isNaN16(fast[i], fmt)).toBe(true);
        expect(isNaN16(generic[i], fmt)).toBe(true);
        nanChecked++;
        continue;
      }
      if (fast[i] !== expected[i] || generic[i] !== expected[i]) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(x.length).toBeGreaterThan(10_000);
    expect(nanChecked).toBeGreaterThan(0);
  });
});

describe('from-f64: float64 -> bf16/fp16 equals the exact rational oracle (no double rounding)', () => {
  const v = loadVectors('from-f64');
  it.each(['fp16', 'bf16'] as const)('%s: zero mismatches', (fmt) => {
    const x = v.get(`${fmt}.input_f64`).data as Float64Array;
    const expected = v.get(`${fmt}.expected_code_u16`).data as Uint16Array;
    const bulk = encodeArray(x, fmt);
    let mismatches = 0, viaF32Wrong = 0;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) continue;
      if (bulk[i] !== expected[i] || encode(x[i], fmt) !== expected[i]) mismatches++;
      if (encode(Math.fround(x[i]), fmt) !== expected[i]) viaF32Wrong++;
    }
    expect(mismatches).toBe(0);
    // the file really contains double-rounding traps: going through float32 gets many wrong
    if (fmt === 'fp16') expect(viaF32Wrong).toBeGreaterThan(100);
  });
});

describe('decode-tables: every 16-bit code decodes to the value PyTorch gives (NaNs with its sign)', () => {
  const v = loadVectors('decode-tables');
  it.each([['fp16_to_f32', 'fp16'], ['bf16_to_f32', 'bf16']] as const)('%s', (key, fmt) => {
    const expected = v.get(key).data as Float32Array;
    const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
    const codes = new Uint16Array(65536).map((_, i) => i);
    for (const out of [new Float32Array(65536), new Float64Array(65536)]) {
      decodeArray(codes, fmt, { out });
      const words = new Uint32Array(out.buffer);
      const hi = out instanceof Float32Array ? 1 : 2; // the word holding the sign bit: words[hi * i + hi - 1]
      for (let i = 0; i < 65536; i++) {
        if (Number.isNaN(expected[i])) {
          // a NaN, with PyTorch's sign (the code's sign bit)
          if (!Number.isNaN(out[i]) || words[hi * i + hi - 1] >>> 31 !== expectedBits[i] >>> 31) throw new Error(`${fmt} code ${i}: got ${out[i]} (sign ${words[hi * i + hi - 1] >>> 31}), expected a NaN of sign ${expectedBits[i] >>> 31}`);
        } else if (!Object.is(out[i], expected[i])) throw new Error(`${fmt} code ${i}: got ${out[i]}, expected ${expected[i]}`);
      }
    }
  });
});
