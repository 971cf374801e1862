// dequantizeGgml / dequantizeGgmlInto: the fast paths (WebAssembly SIMD kernels, F32's byte copy)
// against the reference twins (src/quant/ggml/dequantize-ref.ts, plain ports of ggml's C, themselves
// checked against ggml's outputs in ggml-dequant-vectors.test.ts) on random blocks (every byte pattern
// is a valid block, fp16 scales of every kind included), chunked decoding against whole decoding,
// inputs never mutated, the `out` buffer contract and the argument errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceDecoder } from '../../src/quant/ggml/dequantize.js';
import {
  dequantizeGgml,
  dequantizeGgmlInto,
  GGML_DEQUANTIZE_TYPES,
  GGML_TYPES,
  type GgmlType,
  type GgmlTypeInfo,
} from '../../src/quant/index.js';
import * as root from '../../src/index.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';
import { wasmSimdAvailable as wasmAvailable } from '../../src/wasm/status.js';

/** Same float32 bits, or both NaN. */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** What the reference twin makes of `nb` blocks at `off`. */
function reference(type: GgmlType, blocks: Uint8Array, off: number, nb: number): Float32Array {
  const out = new Float32Array(nb * GGML_TYPES[type].blockSize);
  referenceDecoder(type)(blocks, off, nb, out, 0);
  return out;
}

/** Random blocks of a type: enough of them that the WebAssembly path runs (>= 512 values), or a few. */
function blocksOf(type: GgmlType, range?: { min: number; max: number }) {
  const t = GGML_TYPES[type];
  const lo = Math.ceil(512 / t.blockSize);
  const { min, max } = range ?? { min: lo, max: lo + 8 };
  return fc.integer({ min, max }).chain((nb) => fc.uint8Array({ minLength: nb * t.typeSize, maxLength: nb * t.typeSize }));
}

describe('fast paths agree with the reference twins on random blocks', () => {
  it('WebAssembly SIMD is available here (else these properties would test the twins against themselves)', () => {
    expect(wasmAvailable()).toBe(true);
  });
  for (const type of GGML_DEQUANTIZE_TYPES) {
    it(`${type}`, () => {
      const t = GGML_TYPES[type];
      fc.assert(
        fc.property(blocksOf(type), (blocks) => {
          const nb = blocks.length / t.typeSize;
          return sameValues(dequantizeGgml(blocks, type), reference(type, blocks, 0, nb));
        }),
        { numRuns: 25 },
      );
    });
  }

  it('across the kernels\' chunk boundaries (two chunks of 262,144 values and a ragged tail in one call), every type with a kernel', () => {
    const seed = fc.sample(fc.integer(), { numRuns: 1, seed: 7 })[0];
    let s = seed | 1;
    for (const type of GGML_DEQUANTIZE_TYPES) {
      const t = GGML_TYPES[type];
      const nb = Math.ceil(2 * 262144 / t.blockSize) + 3;
      const blocks = new Uint8Array(nb * t.typeSize);
      for (let i = 0; i < blocks.length; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        blocks[i] = s & 0xff;
      }
      expect(sameValues(dequantizeGgml(blocks, type), reference(type, blocks, 0, nb)), type).toBe(true);
    }
  });

  it('without WebAssembly (the pure-TypeScript path) the values are the same', () => {
    const types = GGML_DEQUANTIZE_TYPES;
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 40 }), fc.integer(), (type, nb, seed) => {
        const t = GGML_TYPES[type];
        const blocks = new Uint8Array(nb * t.typeSize);
        let s = seed | 1;
        for (let i = 0; i < blocks.length; i++) {
          s = (Math.imul(s, 1103515245) + 12345) | 0;
          blocks[i] = s >>> 24;
        }
        const wasm = dequantizeGgml(blocks, type);
        const prev = setWasmEnabled(false);
        try {
          return sameValues(dequantizeGgml(blocks, type), wasm) && sameValues(wasm, reference(type, blocks, 0, nb));
        } finally {
          setWasmEnabled(prev);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('the C operand order and rounding (hand-checked cases)', () => {
  const f = Math.fround;
  it('Q6_K: y = (d·scale)·q as C computes it; the product d·scale is exact in float32 (11 × 8 bits), so y is the exact d·scale·q rounded once', () => {
    // an independent reading of the block layout (ggml-common.h block_q6_K): ql[128], qh[64], scales[16], d
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 210, maxLength: 210 }), (block) => {
        block[209] &= 0x7b; // a finite fp16 d
        const d = root.decode(block[208] | (block[209] << 8), 'fp16');
        const y = dequantizeGgml(block, 'Q6_K');
        for (let i = 0; i < 256; i++) {
          const half = i >> 7; // which 128
          const l = i & 31; // position in the 32-lane group
          const g = (i >> 5) & 3; // which of the four groups of 32 in this half
          const ql = block[64 * half + l + (g & 1 ? 32 : 0)];
          const low = g < 2 ? ql & 0x0f : ql >> 4;
          const high = (block[128 + 32 * half + l] >> (2 * g)) & 3;
          const sc = (block[192 + 8 * half + 2 * g + (l >> 4)] << 24) >> 24;
          if (y[i] !== f(d * sc * ((low | (high << 4)) - 32))) return false;
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it('Q4_1 adds m to the float32 product q·d (the product is exact: a fused multiply-add would give the same)', () => {
    const block = new Uint8Array(20);
    block[0] = 0xff;
    block[1] = 0x3b; // d = 1 - 2^-11
    block[2] = 0x03;
    block[3] = 0x00; // m = 3·2^-24 (a subnormal fp16): q·d + m needs 27 significand bits
    block.fill(0xf7, 4); // q = 7 (low nibbles) and 15 (high nibbles)
    const y = dequantizeGgml(block, 'Q4_1');
    const d = 1 - 2 ** -11;
    const m = 3 * 2 ** -24;
    expect(y[0]).toBe(f(f(7 * d) + m));
    expect(y[16]).toBe(f(f(15 * d) + m));
    expect(y[0]).not.toBe(7 * d + m); // the sum is rounded to float32
  });

  it('fp16 scale edge cases behave as C float arithmetic: ±0, subnormal, ±inf, NaN', () => {
    const q8 = (scale: number, qs: number[]) => {
      const b = new Uint8Array(34);
      b[0] = scale & 0xff;
      b[1] = scale >> 8;
      qs.forEach((q, i) => (b[2 + i] = q & 0xff));
      return [...dequantizeGgml(b, 'Q8_0').subarray(0, qs.length)];
    };
    expect(q8(0x7c00, [0, 1, -1])).toEqual([NaN, Infinity, -Infinity]); // 0·inf is NaN
    expect(q8(0xfc00, [2, -2])).toEqual([-Infinity, Infinity]);
    expect(q8(0x7e00, [0, 5])).toEqual([NaN, NaN]);
    expect(q8(0x0001, [1, -127])).toEqual([2 ** -24, -127 * 2 ** -24]); // subnormal scale: exact products
    expect(Object.is(q8(0x8000, [3])[0], -0)).toBe(true); // -0 scale: 3·(-0) = -0
    expect(Object.is(q8(0x0000, [-3])[0], -0)).toBe(true);
  });

  it('MXFP4 uses ggml\'s e8m0 halving: exponent 0 is 2^-128 (subnormal), 255 is 2^127 (finite, not NaN)', () => {
    const mx = (e: number, code: number) => {
      const b = new Uint8Array(17);
      b[0] = e;
      b[1] = code; // value 0 (low nibble) and value 16 (high nibble)
      return dequantizeGgml(b, 'MXFP4');
    };
    expect(mx(0, 0x02)[0]).toBe(2 * 2 ** -128); // e2m1 code 2 is 1.0, doubled in kvalues: 2 · 2^-128
    expect(mx(1, 0x01)[0]).toBe(2 ** -127);
    expect(mx(127, 0x07)[0]).toBe(6); // e2m1 code 7 is 6.0
    expect(mx(255, 0x01)[0]).toBe(2 ** 127); // 1 · 2^127: finite
    expect(mx(255, 0x07)[0]).toBe(Infinity); // 12 · 2^127 overflows float32
    expect(mx(255, 0x00)[0]).toBe(0); // 0 · 2^127
  });

  it('the documented example', () => {
    const block = new Uint8Array(34);
    block[0] = 0x00;
    block[1] = 0x38;
    block[2] = 3;
    block[3] = 0xfe;
    expect([...dequantizeGgml(block, 'q8_0').subarray(0, 3)]).toEqual([1.5, -1, 0]);
  });
});

describe('chunked decoding (dequantizeGgmlInto) equals whole decoding', () => {
  for (const type of GGML_DEQUANTIZE_TYPES) {
    it(`${type}: any split into runs of whole blocks, through one recycled buffer`, () => {
      const t = GGML_TYPES[type];
      fc.assert(
        fc.property(blocksOf(type, { min: 1, max: Math.max(80, 1024 / t.blockSize) }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), (blocks, runs) => {
          const nb = blocks.length / t.typeSize;
          const whole = dequantizeGgml(blocks, type);
          const recycled = new Float32Array(40 * t.blockSize);
          const joined = new Float32Array(nb * t.blockSize);
          let at = 0;
          let b = 0;
          for (let r = 0; b < nb; r++) {
            const m = Math.min(runs[r % runs.length], nb - b);
            recycled.fill(12345);
            const used = dequantizeGgmlInto(blocks, at, t, m * t.blockSize, recycled);
            if (used !== m * t.typeSize) return false;
            joined.set(recycled.subarray(0, m * t.blockSize), b * t.blockSize);
            if (recycled[m * t.blockSize] !== 12345 && m * t.blockSize < recycled.length) return false; // nothing past the run
            at += used;
            b += m;
          }
          return sameValues(joined, whole);
        }),
        { numRuns: 15 },
      );
    });
  }

  it('reads at any byte offset of a larger buffer (a file read) and writes at any offset of out', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GGML_DEQUANTIZE_TYPES), fc.nat(37), fc.nat(41), fc.integer({ min: 1, max: 30 }), (type, pre, outPre, nb) => {
        const t = GGML_TYPES[type];
        const file = new Uint8Array(pre + nb * t.typeSize + 5);
        for (let i = 0; i < file.length; i++) file[i] = (i * 131 + 7) & 0xff;
        const out = new Float32Array(outPre + nb * t.blockSize + 3).fill(-7);
        dequantizeGgmlInto(file, pre, type, nb * t.blockSize, out, outPre);
        const want = reference(type, file, pre, nb);
        return (
          sameValues(out.subarray(outPre, outPre + nb * t.blockSize), want) &&
          out.subarray(0, outPre).every((v) => v === -7) &&
          out.subarray(outPre + nb * t.blockSize).every((v) => v === -7)
        );
      }),
      { numRuns: 80 },
    );
  });
});

describe('inputs never mutated, out buffer contract', () => {
  it('blocks are left as they were, for every type and both entry points', () => {
    fc.assert(
      fc.property(fc.constantFrom(...GGML_DEQUANTIZE_TYPES), fc.integer({ min: 1, max: 70 }), fc.integer(), (type, nb, seed) => {
        const t = GGML_TYPES[type];
        const blocks = new Uint8Array(nb * t.typeSize).map((_, i) => (i * 97 + seed) & 0xff);
        const copy = blocks.slice();
        dequantizeGgml(blocks, type);
        dequantizeGgmlInto(blocks, 0, type, nb * t.blockSize, new Float32Array(nb * t.blockSize));
        return blocks.every((v, i) => v === copy[i]);
      }),
      { numRuns: 60 },
    );
  });

  it('out of exactly `length` values is returned itself; a longer out gives a view of its first `length` values, the rest untouched', () => {
    const blocks = new Uint8Array(3 * 34).map((_, i) => i);
    const exact = new Float32Array(96);
    expect(dequantizeGgml(blocks, 'Q8_0', { out: exact })).toBe(exact);
    const longer = new Float32Array(100).fill(9);
    const got = dequantizeGgml(blocks, 'Q8_0', { out: longer });
    expect(got.buffer).toBe(longer.buffer);
    expect(got.byteOffset).toBe(0);
    expect(got.length).toBe(96);
    expect([...longer.subarray(96)]).toEqual([9, 9, 9, 9]);
    expect(sameValues(got, dequantizeGgml(blocks, 'Q8_0'))).toBe(true);
  });

  it('length decodes the first blocks only (blocks may hold more, even a partial block)', () => {
    const blocks = new Uint8Array(5 * 144 + 7).map((_, i) => (i * 7) & 0xff);
    const all = dequantizeGgml(blocks, 'Q4_K', { length: 5 * 256 });
    expect(sameValues(dequantizeGgml(blocks, 'Q4_K', { length: 2 * 256 }), all.subarray(0, 512))).toBe(true);
    expect(dequantizeGgml(blocks, 'Q4_K', { length: 0 }).length).toBe(0);
  });

  it('a type given as name (any case), GGUF id or GgmlTypeInfo decodes the same', () => {
    const blocks = new Uint8Array(2 * 176).map((_, i) => (i * 13) & 0xff);
    const want = dequantizeGgml(blocks, 'Q5_K');
    for (const spelling of ['q5_k', 'Q5_k', 13, GGML_TYPES.Q5_K]) expect(sameValues(dequantizeGgml(blocks, spelling), want)).toBe(true);
  });

  it('is exported from lowp/quant and from the root entry', () => {
    expect(root.dequantizeGgml).toBe(dequantizeGgml);
    expect(root.dequantizeGgmlInto).toBe(dequantizeGgmlInto);
    expect(root.GGML_DEQUANTIZE_TYPES).toBe(GGML_DEQUANTIZE_TYPES);
  });
});

describe('argument errors', () => {
  const q80 = new Uint8Array(34);
  it('blocks must be a Uint8Array', () => {
    for (const bad of [[1, 2], new Int8Array(34), new Uint16Array(17), 'abc', null, undefined, new ArrayBuffer(34)]) {
      expect(() => dequantizeGgml(bad as never, 'Q8_0')).toThrow(TypeError);
      expect(() => dequantizeGgmlInto(bad as never, 0, 'Q8_0', 32, new Float32Array(32))).toThrow(TypeError);
    }
  });
  it('unknown or undecodable types are TypeErrors naming what came', () => {
    expect(() => dequantizeGgml(q80, 'Q4_Z')).toThrow(/Q4_Z/);
    expect(() => dequantizeGgml(q80, 'Q4_Z')).toThrow(TypeError);
    expect(() => dequantizeGgml(q80, 4)).toThrow(TypeError); // a removed GGUF id
    expect(() => dequantizeGgml(new Uint8Array(8), 'I64')).toThrow(/I64/);
    expect(() => dequantizeGgml(q80, { name: 'Q8_0', id: 8, blockSize: 16, typeSize: 34, quantized: true } as GgmlTypeInfo)).toThrow(TypeError);
    expect(() => dequantizeGgml(q80, {} as never)).toThrow(TypeError);
    // names the table inherits from Object.prototype are not ggml types (their fields are all undefined)
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(() => dequantizeGgml(q80, { name } as never), name).toThrow(/expected a ggml type \(a name such as 'Q4_K'/);
      expect(() => dequantizeGgmlInto(q80, 0, { name } as never, 32, new Float32Array(32)), name).toThrow(TypeError);
    }
    expect(() => dequantizeGgml(q80, null as never)).toThrow(TypeError);
  });
  it('blocks that are not whole blocks (no length) are a RangeError', () => {
    expect(() => dequantizeGgml(new Uint8Array(35), 'Q8_0')).toThrow(RangeError);
    expect(() => dequantizeGgml(new Uint8Array(35), 'Q8_0')).toThrow(/35 bytes/);
    expect(dequantizeGgml(new Uint8Array(0), 'Q8_0').length).toBe(0);
  });
  it('length must be a whole number of blocks that blocks hold', () => {
    for (const length of [31, 33, -32, 1.5, NaN, Infinity, 2 ** 60]) expect(() => dequantizeGgml(q80, 'Q8_0', { length })).toThrow(RangeError);
    expect(() => dequantizeGgml(q80, 'Q8_0', { length: 64 })).toThrow(/at most 32/);
    expect(() => dequantizeGgml(q80, 'Q8_0', { length: '32' as never })).toThrow(RangeError);
  });
  it('out must be a Float32Array of at least length values, not overlapping the blocks', () => {
    expect(() => dequantizeGgml(q80, 'Q8_0', { out: new Float64Array(32) as never })).toThrow(TypeError);
    expect(() => dequantizeGgml(q80, 'Q8_0', { out: new Float32Array(31) })).toThrow(RangeError);
    const shared = new ArrayBuffer(34 + 128);
    const blocks = new Uint8Array(shared, 128, 34);
    expect(() => dequantizeGgml(blocks, 'Q8_0', { out: new Float32Array(shared, 0, 32) })).not.toThrow(); // adjacent, not overlapping
    expect(() => dequantizeGgml(blocks, 'Q8_0', { out: new Float32Array(shared, 4, 32) })).toThrow(/overlap/);
  });
  it('options must be an object', () => {
    expect(() => dequantizeGgml(q80, 'Q8_0', 32 as never)).toThrow(TypeError);
  });
  it('dequantizeGgmlInto checks offsets, counts and both ends', () => {
    const out = new Float32Array(64);
    expect(() => dequantizeGgmlInto(q80, -1, 'Q8_0', 32, out)).toThrow(RangeError);
    expect(() => dequantizeGgmlInto(q80, 1, 'Q8_0', 32, out)).toThrow(/34 bytes of Q8_0 blocks from byte 1/);
    expect(() => dequantizeGgmlInto(q80, 0, 'Q8_0', 16, out)).toThrow(/multiple of 32/);
    expect(() => dequantizeGgmlInto(q80, 0, 'Q8_0', 32, out, 40)).toThrow(RangeError);
    expect(() => dequantizeGgmlInto(q80, 0, 'Q8_0', 32, out, 1.5)).toThrow(RangeError);
    expect(() => dequantizeGgmlInto(q80, 0, 'Q8_0', 32, new Float64Array(32) as never)).toThrow(TypeError);
    expect(dequantizeGgmlInto(q80, 34, 'Q8_0', 0, out)).toBe(0);
    expect(dequantizeGgmlInto(q80, 0, 'Q8_0', 32, out, 32)).toBe(34);
  });
});
