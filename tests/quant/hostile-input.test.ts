// Hostile input to the quantizers and the error tables: an `out` over the quantized state's own bytes
// is refused (it would overwrite codes/scales still to be read: wrong values and a corrupted state),
// a malformed tensor case says what it expected, and a zero-width matrix with a huge row count
// finishes at once. References: the same call with a fresh `out` (the library's own result), and the
// state arrays' bytes before the call.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compare, linearErrorTable, maxRelError,
  dequantize4bit, dequantizeAbsmax, dequantizeBlockwise, dequantizeMx, dequantizeScaledFp8, int8VectorwiseDequant,
  formatErrorTable, getQuantMethod, int8VectorwiseQuant, quantErrorTable, quantize4bit, quantizeAbsmax, quantizeBlockwise,
  quantizeMx, quantizeScaledFp8, quantRoundTrip, syntheticMatrix,
} from '../../src/index.js';

/** A Float32Array of n elements at the start of a new buffer whose first bytes hold a copy of `view`. */
function overlapping(view: ArrayBufferView, n: number): Float32Array {
  const buf = new ArrayBuffer(Math.max(4 * n, view.byteLength));
  new Uint8Array(buf, 0, view.byteLength).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return new Float32Array(buf, 0, n);
}

/** `view`'s copy at the start of `into`'s buffer (a view of the same type). */
function relocate<T extends ArrayBufferView>(view: T, into: Float32Array): T {
  const C = view.constructor as new (b: ArrayBufferLike, o: number, n: number) => T;
  const per = (view as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new C(into.buffer, 0, view.byteLength / per);
}

const snapshot = (arrays: ArrayBufferView[]) => arrays.map((a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));

describe('dequantizers refuse an out array that shares memory with the quantized state', () => {
  const values = fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 200 });

  it('8-bit and 4-bit blockwise, MX, scaled fp8, absmax, vector-wise (reference: a fresh out)', () => {
    fc.assert(fc.property(values, (xs) => {
      const x = Float32Array.from(xs);
      const n = x.length;
      const cases: Array<[string, ArrayBufferView[], (state: ArrayBufferView[], out?: Float32Array) => Float32Array]> = [];
      const bw = quantizeBlockwise(x, { blocksize: 64 });
      cases.push(['blockwise codes/code/absmax', [bw.codes, bw.code, bw.absmax as Float32Array], ([codes, code, absmax], out) =>
        dequantizeBlockwise({ ...bw, codes: codes as Uint8Array, code: code as Float32Array, absmax: absmax as Float32Array }, { out })]);
      const q4 = quantize4bit(x, { blocksize: 64 });
      cases.push(['4bit packed/code/absmax', [q4.packed, q4.code, q4.absmax as Float32Array], ([packed, code, absmax], out) =>
        dequantize4bit({ ...q4, packed: packed as Uint8Array, code: code as Float32Array, absmax: absmax as Float32Array }, { out })]);
      const mx = quantizeMx(x);
      cases.push(['mx codes/scales', [mx.codes, mx.scales], ([codes, scales], out) => dequantizeMx({ ...mx, codes: codes as Uint8Array, scales: scales as Uint8Array }, { out })]);
      const sf = quantizeScaledFp8(x);
      cases.push(['scaled fp8 codes/scales', [sf.codes, sf.scales], ([codes, scales], out) => dequantizeScaledFp8({ ...sf, codes: codes as Uint8Array, scales: scales as Float32Array }, { out })]);
      const ab = quantizeAbsmax(x);
      cases.push(['absmax codes/absmax', [ab.codes.data, ab.absmax], ([codes, absmax], out) =>
        dequantizeAbsmax({ ...ab, codes: { ...ab.codes, data: codes as Int8Array }, absmax: absmax as Float64Array }, { out })]);
      const vw = int8VectorwiseQuant({ rows: 1, cols: n, data: x });
      cases.push(['vectorwise codes/absmax', [vw.codes.data, vw.absmax], ([codes, absmax], out) =>
        int8VectorwiseDequant({ ...vw.codes, data: codes as Int8Array }, absmax as Float32Array, { out })]);
      for (const [name, state, run] of cases) {
        const want = run(state);
        for (let k = 0; k < state.length; k++) {
          const out = overlapping(state[k], n);
          const moved = state.map((s, j) => (j === k ? relocate(s, out) : s));
          const before = snapshot(moved);
          expect(() => run(moved, out), `${name}: state[${k}]`).toThrow(/out must not share memory with/);
          expect(snapshot(moved), `${name}: state[${k}] unchanged`).toEqual(before);
        }
        // an out in the same buffer, past the state's bytes, is fine
        const buf = new ArrayBuffer(state[0].byteLength + 8 + 4 * n);
        const moved0 = new (state[0].constructor as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView)(buf, 0, state[0].byteLength / (state[0] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
        new Uint8Array(buf, 0, state[0].byteLength).set(new Uint8Array(state[0].buffer, state[0].byteOffset, state[0].byteLength));
        const out = new Float32Array(buf, state[0].byteLength + 8 - ((state[0].byteLength + 8) % 4), n);
        expect(Array.from(run([moved0, ...state.slice(1)], out)), `${name}: disjoint out`).toEqual(Array.from(want));
      }
      return true;
    }), { numRuns: 40 });
  });
});

describe('quantErrorTable and quantizeMx with hostile shapes', () => {
  it('a tensor case without data says what it expected (was: Cannot read properties of undefined)', () => {
    expect(() => quantErrorTable([{ name: 'a', values: new Float32Array(4) } as never])).toThrow(/quantErrorTable: tensor 'a': data must be a matrix \{ rows, cols, data \} or a Float32Array\/Float64Array, got undefined/);
    expect(() => quantErrorTable([{ name: 'a', data: new Uint16Array(4) } as never])).toThrow(TypeError);
    expect(() => quantErrorTable([{ name: 'a', data: { rows: 2, cols: 2, data: new Float32Array(3) } }])).toThrow(/tensor 'a': data.data: expected rows × cols/);
    expect(quantErrorTable([{ name: 'a', data: new Float32Array([1, -2, 3, 0.5]) }], { methods: ['bf16'] })[0].tensor).toBe('a');
  });
  it('quantizeMx / dequantizeMx of a 2^40 × 0 matrix return at once (the row loop ran 2^40 times)', () => {
    const q = quantizeMx(new Float32Array(0), { rows: 2 ** 40, cols: 0 });
    expect(q.scales.length).toBe(0);
    expect(q.rows).toBe(2 ** 40);
    expect(dequantizeMx(q).length).toBe(0);
  });
});

describe('messages say what was expected and what came', () => {
  it('quantRoundTrip of a non-finite value does not blame int8 for an fp16/MX method', () => {
    for (const m of ['fp16', 'mxfp4', 'nf4'] as const) {
      expect(() => quantRoundTrip(new Float32Array([1, NaN]), m)).toThrow(/quantRoundTrip: x holds NaN at row 0, column 1; quantRoundTrip needs finite values/);
    }
    expect(() => quantizeAbsmax(new Float32Array([Infinity]))).toThrow(/int8 quantization needs finite values/);
  });
  it('getQuantMethod: expected one of the names, got the value', () => {
    expect(() => getQuantMethod('int7')).toThrow(/unknown quantization method: expected one of fp16, .*, got the string 'int7'$/);
  });
  it('formatErrorTable refuses columns that are not a list of names (was: cols.map is not a function)', () => {
    expect(() => formatErrorTable([{ a: 1 }], 'a' as never)).toThrow(/formatErrorTable: columns must be an array of field names, got the string 'a'/);
    expect(() => formatErrorTable([{ a: 1 }], [1] as never)).toThrow(TypeError);
    expect(formatErrorTable([{ a: 1, b: 'x' }], ['b'])).toBe('| b |\n| --- |\n| x |');
  });
  it('syntheticMatrix of more values than a Float32Array holds names the size', () => {
    expect(() => syntheticMatrix('gaussian', 1e6, 1e6)).toThrow(/syntheticMatrix: cannot allocate 1000000 × 1000000 = 1000000000000 float32 values/);
  });
});

describe('an options argument that is not an object is refused, not ignored', () => {
  const x = new Float32Array(64).map((_, i) => Math.sin(i));
  it('compare(r, t, "bf16") (a format where { format } belongs) and maxRelError(r, t, 1e-6) threw nothing and measured without it', () => {
    expect(() => compare(x, x, 'bf16' as never)).toThrow(/compare: options must be an object \(e\.g\. \{ relFloor: 1e-6 \}\), got the string 'bf16'/);
    expect(() => maxRelError(x, x, 1e-6 as never)).toThrow(/maxRelError: options must be an object/);
    expect(compare(x, x, { format: 'bf16' }).maxUlpError).toBe(0);
    expect(compare(x, x, undefined).verdict).toBe('exact');
  });
  it('a dequantizer given the out array itself (instead of { out }) left it unwritten', () => {
    const bw = quantizeBlockwise(x);
    const q4 = quantize4bit(x);
    const mx = quantizeMx(x);
    const sf = quantizeScaledFp8(x);
    const ab = quantizeAbsmax(x);
    const vw = int8VectorwiseQuant({ rows: 1, cols: 64, data: x });
    const runs: Array<[string, (o: unknown) => unknown]> = [
      ['dequantizeBlockwise', (o) => dequantizeBlockwise(bw, o as never)],
      ['dequantize4bit', (o) => dequantize4bit(q4, o as never)],
      ['dequantizeMx', (o) => dequantizeMx(mx, o as never)],
      ['dequantizeScaledFp8', (o) => dequantizeScaledFp8(sf, o as never)],
      ['dequantizeAbsmax', (o) => dequantizeAbsmax(ab, o as never)],
      ['int8VectorwiseDequant', (o) => int8VectorwiseDequant(vw.codes, vw.absmax, o as never)],
      ['quantErrorTable', (o) => quantErrorTable([{ name: 'x', data: x }], o as never)],
      ['linearErrorTable', (o) => linearErrorTable([{ name: 'x', a: { rows: 1, cols: 64, data: x }, w: { rows: 1, cols: 64, data: x } }], o as never)],
      ['syntheticMatrix', (o) => syntheticMatrix('gaussian', 2, 2, o as never)],
    ];
    for (const [name, run] of runs) {
      for (const bad of [new Float32Array(64), 'row', 7, [1]]) {
        expect(() => run(bad), `${name}(${String(bad)})`).toThrow(new RegExp(`${name}: options must be an object`));
      }
      expect(() => run(undefined)).not.toThrow();
    }
  });
});

describe('int8VectorwiseDequant checks its row scales like dequantizeAbsmax does', () => {
  it('a NaN, negative or infinite absmax is a RangeError (it gave rows of NaN, ∞ or flipped signs)', () => {
    const q = int8VectorwiseQuant({ rows: 2, cols: 2, data: new Float32Array([1, -2, 3, 0.5]) });
    for (const bad of [NaN, -1, Infinity]) {
      const am = q.absmax.slice();
      am[1] = bad;
      expect(() => int8VectorwiseDequant(q.codes, am)).toThrow(new RegExp(`int8VectorwiseDequant: absmax\\[1\\] must be finite and >= 0, got ${bad}`));
    }
    const zero = int8VectorwiseDequant(q.codes, new Float32Array([0, 0]));
    expect(Array.from(zero).every((v) => v === 0)).toBe(true);
  });
});
