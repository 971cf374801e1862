// Bad input to matmul / int8Matmul gets a clear TypeError or RangeError saying what was expected and
// what came; nothing is computed from a malformed matrix.
import { describe, expect, it } from 'vitest';
import { int8Matmul, int8MatmulReference, matmul, matmulReference, matmulTransposed } from '../../src/matmul/index.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';

const f = (rows: number, cols: number) => ({ rows, cols, data: new Float32Array(rows * cols) });

describe('matmul errors', () => {
  for (const fn of [matmul, matmulReference]) {
    it(`${fn.name}: inner dimensions, formats, out, bias, options`, () => {
      expect(() => fn(f(2, 3), f(4, 2))).toThrow(RangeError);
      expect(() => fn(f(2, 3), f(4, 2))).toThrow(/a is 2×3, so b must have 3 rows, got 4×2/);
      expect(() => fn(f(2, 3), f(2, 4), { transB: true })).toThrow(/must have 3 columns, got 2×4/);
      expect(() => fn({ rows: 2, cols: 2, data: new Float32Array(3) }, f(2, 2))).toThrow(RangeError);
      expect(() => fn({ rows: 2, cols: 2, data: [1, 2, 3, 4] } as never, f(2, 2))).toThrow(TypeError);
      expect(() => fn({ rows: 1, cols: 1, data: new Uint16Array(1) } as never, f(1, 1))).toThrow(/format name is required/);
      expect(() => fn({ rows: 1, cols: 1, data: new Uint16Array(1), format: 'fp12' }, f(1, 1))).toThrow(/unknown format 'fp12'/);
      expect(() => fn({ rows: 1, cols: 1, data: new Uint8Array(1), format: 'bf16' }, f(1, 1))).toThrow(/holds its codes in a Uint16Array, got a Uint8Array/);
      expect(() => fn(f(1, 1), f(1, 1), { accumulate: 'fp8' as never })).toThrow(/accumulate must be one of 'fp32', 'fp64', 'fp16', 'bf16', 'fp8-hopper', got the string 'fp8'/);
      expect(() => fn(f(1, 1), f(1, 1), { accumulate: 'fp8-hopper' })).toThrow(/needs fp8 inputs/);
      expect(() => fn(f(1, 1), f(1, 1), { accumulate: 'fp8-hopper', inputs: 'bf16' })).toThrow(/needs 8-bit \(or narrower\) float inputs; operand a is bf16/);
      expect(() => fn(f(1, 1), f(1, 1), { alpha: NaN })).toThrow(/alpha must be a finite number/);
      // unsupported pairs: emulated fp16/bf16 accumulation of fp32 inputs
      expect(() => fn(f(1, 1), f(1, 1), { accumulate: 'fp16', inputs: 'fp32' })).toThrow(TypeError);
      expect(() => fn(f(1, 1), f(1, 1), { accumulate: 'bf16', inputs: 'fp32' })).toThrow(/needs 16-bit or narrower inputs; operand a is fp32/);
      expect(() => fn(f(1, 1), f(1, 1), { inputs: 'int4' })).toThrow(/inputs: unknown format 'int4'/);
      expect(() => fn(f(1, 1), f(1, 1), { output: 'fp12' })).toThrow(/output: unknown format/);
      expect(() => fn(f(2, 2), f(2, 2), { out: new Float32Array(3) })).toThrow(/out must hold M×N = 2×2 = 4 elements, got a Float32Array of length 3/);
      expect(() => fn(f(2, 2), f(2, 2), { out: new Float64Array(4) as never })).toThrow(/out must be a Float32Array for output fp32/);
      expect(() => fn(f(2, 2), f(2, 2), { output: 'bf16', out: new Float32Array(4) as never })).toThrow(/out must be a Uint16Array/);
      expect(() => fn(f(2, 2), f(2, 2), { bias: new Float32Array(3) })).toThrow(/bias must have length N = 2/);
      expect(() => fn(f(2, 2), f(2, 2), { bias: 'x' as never })).toThrow(TypeError);
      expect(() => fn(f(2, 2), f(2, 2), { blockK: 0 })).toThrow(/blockK must be a positive integer/);
      expect(() => fn(f(2, 2), f(2, 2), { blockK: 1.5 })).toThrow(RangeError);
      expect(() => fn(f(2, 2), f(2, 2), { threads: 0 })).toThrow(/threads must be a positive integer/);
      expect(() => fn(f(2, 2), f(2, 2), { kernel: 'gpu' as never })).toThrow(RangeError);
      expect(() => fn(f(2, 2), f(2, 2), null as never)).toThrow(TypeError);
    });
  }
  it('out may not alias an input', () => {
    const a = f(2, 2);
    expect(() => matmul(a, f(2, 2), { out: a.data })).toThrow(/must not share memory with an input's data/);
  });
  for (const kernel of ['js', 'wasm', 'auto'] as const) {
    it(`out may not share memory with a, b or bias, even as another view of it (kernel ${kernel}; the js kernel returned zeros)`, () => {
      for (const fn of [matmul, matmulReference]) {
        const a = { rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) };
        const b = { rows: 2, cols: 2, data: new Float32Array([5, 6, 7, 8]) };
        const bias = new Float32Array(8).subarray(2, 4);
        const copies = [a.data.slice(), b.data.slice()];
        expect(() => fn(a, b, { kernel, out: new Float32Array(a.data.buffer) })).toThrow(/out must not share memory with an input's data/);
        expect(() => fn(a, b, { kernel, out: new Float32Array(b.data.buffer) })).toThrow(RangeError);
        expect(() => fn(a, b, { kernel, bias, out: new Float32Array(bias.buffer, 4, 4) })).toThrow(/out must not share memory with bias/);
        expect([Array.from(a.data), Array.from(b.data)]).toEqual(copies.map((c) => Array.from(c)));
        // disjoint bytes of one buffer are fine
        const buf = new ArrayBuffer(48);
        const a2 = { rows: 2, cols: 2, data: new Float32Array(buf, 0, 4) };
        a2.data.set([1, 2, 3, 4]);
        expect(Array.from(fn(a2, b, { kernel, out: new Float32Array(buf, 16, 4) }).data)).toEqual([19, 22, 43, 50]);
      }
    });
  }
  it('options that are not an object (the out array itself, a string) are a TypeError, also for matmulTransposed', () => {
    const m = f(2, 2);
    expect(() => matmul(m, f(2, 2), new Float32Array(4) as never)).toThrow(/matmul: options must be an object \(e\.g\. \{ out \}\), got a Float32Array of length 4/);
    expect(() => matmulTransposed(m, f(2, 2), 'fp16' as never)).toThrow(/matmulTransposed: options must be an object/);
    expect(() => matmulTransposed(m, f(2, 2), new Float32Array(4) as never)).toThrow(TypeError);
    expect(matmulTransposed(m, f(2, 2)).rows).toBe(2);
  });
  it('a result too large for any typed array (M×N with K = 0) is a RangeError naming M×N', () => {
    const big = 2 ** 20;
    for (const fn of [matmul, matmulReference]) {
      expect(() => fn({ rows: big, cols: 0, data: new Float32Array(0) }, { rows: 0, cols: big, data: new Float32Array(0) }))
        .toThrow(/cannot allocate the M×N = 1048576×1048576 = 1099511627776-element result/);
    }
  });
});

describe('kernel: "wasm" where WebAssembly SIMD is unavailable', () => {
  it('is an Error naming the function; kernel "auto" falls back to the TypeScript kernels (same result)', () => {
    const a = { rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) };
    const q = { rows: 2, cols: 2, data: new Int8Array([1, 2, 3, 4]) };
    const prev = setWasmEnabled(false);
    try {
      expect(() => matmul(a, a, { kernel: 'wasm' })).toThrow(/^matmul: kernel "wasm" requested, but WebAssembly SIMD is not available here$/);
      expect(() => matmul(a, a, { kernel: 'wasm', accumulate: 'fp64' })).toThrow(/^matmul: kernel "wasm" requested/);
      expect(() => int8Matmul(q, q, { kernel: 'wasm' })).toThrow(/^int8Matmul: kernel "wasm" requested, but WebAssembly SIMD is not available here$/);
      expect(Array.from(matmul(a, a).data)).toEqual([7, 10, 15, 22]);
      expect(Array.from(int8Matmul(q, q).data)).toEqual([7, 10, 15, 22]);
    } finally {
      setWasmEnabled(prev);
    }
  });
});

describe('int8Matmul errors', () => {
  const q = (rows: number, cols: number) => ({ rows, cols, data: new Int8Array(rows * cols) });
  it('rejects mismatched shapes, wrong types, wrong out', () => {
    expect(() => int8Matmul(q(2, 3), q(4, 2))).toThrow(/qa is 2×3, so qb must have 3 rows, got 4×2/);
    expect(() => int8Matmul(q(2, 3), q(3, 4), { transB: true })).toThrow(RangeError);
    expect(() => int8Matmul({ rows: 1, cols: 1, data: new Uint8Array(1) } as never, q(1, 1))).toThrow(/expected an Int8Array, got a Uint8Array/);
    expect(() => int8Matmul(q(2, 2), q(2, 2), { out: new Int32Array(3) })).toThrow(/out must hold M×N = 2×2 = 4 elements/);
    expect(() => int8Matmul(q(2, 2), q(2, 2), { out: new Float32Array(4) as never })).toThrow(/out must be an Int32Array or Float64Array/);
    expect(() => int8Matmul(q(2, 2), q(2, 2), { threads: -1 })).toThrow(RangeError);
    // the out array in place of { out } was ignored (a new result returned, the caller's left zero)
    expect(() => int8Matmul(q(2, 2), q(2, 2), new Int32Array(4) as never)).toThrow(/int8Matmul: options must be an object \(e\.g\. \{ out \}\), got an? Int32Array of length 4/);
    expect(() => int8MatmulReference(q(2, 2), q(2, 2), [1] as never)).toThrow(TypeError);
  });
  it('out may not share memory with qa or qb; an unallocatable M×N names itself', () => {
    const qa = { rows: 2, cols: 2, data: new Int8Array(new ArrayBuffer(16), 0, 4) };
    qa.data.set([1, 2, 3, 4]);
    const qb = { rows: 2, cols: 2, data: new Int8Array([5, 6, 7, 8]) };
    for (const fn of [int8Matmul, int8MatmulReference]) {
      expect(() => fn(qa, qb, { out: new Int32Array(qa.data.buffer) })).toThrow(/out must not share memory with an input's data/);
      expect(Array.from(qa.data)).toEqual([1, 2, 3, 4]);
      const big = { rows: 2 ** 20, cols: 0, data: new Int8Array(0) };
      expect(() => fn(big, { rows: 0, cols: 2 ** 20, data: new Int8Array(0) })).toThrow(/cannot allocate the M×N = 1048576×1048576/);
    }
  });
});
