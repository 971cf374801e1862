// Fuzzing the safetensors header parser (fast-check): random bytes, random mutations of valid files,
// random JSON headers and random structurally-plausible headers. Property: the result is always either a
// valid header (whose tensors tile the data section exactly, each inside the file) or a SafetensorsError
// with a one-line message; never another exception, never a hang, never Object.prototype pollution.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, SafetensorsError, writeSafetensors, DTYPES, dtypeSize, type SafetensorsHeader } from '../../src/io/index.js';
import { expectPrototypeClean, expectRefusal } from './refusals.js';

function header(json: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Parses; returns the header or the SafetensorsError; rethrows anything else (a test failure). */
function outcome(bytes: Uint8Array): SafetensorsHeader | SafetensorsError {
  try {
    const h = parseSafetensors(bytes);
    checkValid(h, bytes.length);
    return h;
  } catch (e) {
    return expectRefusal(e, SafetensorsError);
  } finally {
    expectPrototypeClean('dtype');
  }
}

/** Invariants of every accepted header: contiguous tiling of the data section, sizes = dtype × shape. */
function checkValid(h: SafetensorsHeader, fileSize: number): void {
  expect(h.dataOffset).toBe(8 + h.headerLength);
  expect(h.fileSize).toBe(fileSize);
  let at = 0;
  for (const t of h.tensors) {
    expect(t.dataOffsets[0]).toBe(at);
    expect(t.byteLength).toBe(t.elements * dtypeSize(t.dtype));
    expect(t.elements).toBe(t.shape.reduce((a, b) => a * b, 1));
    expect(t.byteOffset + t.byteLength).toBeLessThanOrEqual(fileSize);
    at = t.dataOffsets[1];
  }
  expect(h.dataOffset + at).toBe(fileSize);
  for (const v of Object.values(h.metadata)) expect(typeof v).toBe('string');
}

const valid = writeSafetensors(
  {
    a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    b: { dtype: 'BF16', shape: [3], data: new Uint16Array([1, 2, 3]) },
    c: { dtype: 'I64', shape: [], data: new BigInt64Array([7n]) },
  },
  { format: 'pt' },
);

describe('fuzzing the safetensors header parser', () => {
  it('random bytes: a header or a SafetensorsError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (b) => void outcome(b)), { numRuns: 1000 });
  });

  it('random bytes after a plausible length prefix: a header or a SafetensorsError', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 200 }), (n, rest) => {
        const b = new Uint8Array(8 + rest.length);
        new DataView(b.buffer).setBigUint64(0, n % 2n === 0n ? n : n % 256n, true);
        b.set(rest, 8);
        void outcome(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('random mutations of a valid file (byte flips, truncation, insertions): a header or a SafetensorsError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(valid.length),
        fc.uint8Array({ maxLength: 16 }),
        (flips, cut, insert) => {
          const b = valid.slice();
          for (const [i, v] of flips) b[i] = v;
          void outcome(b);
          void outcome(b.subarray(0, cut));
          const ins = new Uint8Array(b.length + insert.length);
          ins.set(b.subarray(0, cut));
          ins.set(insert, cut);
          ins.set(b.subarray(cut), cut + insert.length);
          void outcome(ins);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random JSON values as the header: a header or a SafetensorsError', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 32 }), (json, data) => void outcome(header(json, data))),
      { numRuns: 1000 },
    );
  });

  it('structurally plausible headers with random names, dtypes, shapes and offsets', () => {
    const key = fc.oneof(
      { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype'), weight: 1 },
      { arbitrary: fc.constantFrom('__metadata__', 'a', 'b'), weight: 4 },
      { arbitrary: fc.string({ maxLength: 4 }), weight: 4 },
    );
    const num = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 16 }), weight: 8 },
      { arbitrary: fc.oneof(fc.constantFrom(-1, 1.5, 2 ** 53, 2 ** 64, -0, 1e300), fc.constant('3')), weight: 1 },
    );
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.constantFrom('F12', 'f32', 7, null)),
        shape: fc.oneof(fc.array(num, { maxLength: 3 }), num),
        data_offsets: fc.oneof(fc.tuple(num, num), fc.array(num, { maxLength: 3 })),
        extra: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.oneof(entry, fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string(), fc.integer())))), { maxLength: 5 }),
        fc.nat(64),
        (pairs, dataLen) => {
          // JSON text assembled by hand so that repeated and __proto__ keys reach the parser
          const json = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
          void outcome(header(json, new Uint8Array(dataLen)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never allocates from an unchecked length: huge header lengths and offsets are named errors, not allocation failures', () => {
    for (const n of [2n ** 63n, 2n ** 64n - 1n, 100_000_001n, 99_999_999n, 2n ** 53n]) {
      expect(outcome(header('{}', new Uint8Array(0), n))).toBeInstanceOf(SafetensorsError);
    }
    const big = header('{"a":{"dtype":"F64","shape":[1099511627776],"data_offsets":[0,8796093022208]}}', new Uint8Array(8));
    // an attempt to allocate 8 TiB would end in the engine's RangeError, not this SafetensorsError
    expect((outcome(big) as SafetensorsError).code).toBe('TRUNCATED');
  });
});
