// writeGguf: round trips (fast-check) over generated metadata of every value type (scalars and arrays,
// unicode keys, __proto__ keys, NaN and -0, 64-bit extremes) and tensors of every ggml type (raw
// blocks, or the typed arrays of plain types) with any alignment: readGguf(writeGguf(x)) gives x back,
// the data bytes come back at aligned contiguous offsets, the output is canonical (writing what was read
// gives the same bytes), the inputs are not modified. Then the writer's refusals and type inference.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  inferGgufType,
  openGguf,
  parseGguf,
  writeGguf,
  writeGgufFile,
  type GgufScalarType,
  type GgufTensorInput,
  type GgufValue,
  type GgufValueInput,
  type GgufValueType,
} from '../../src/io/index.js';
import { GGML_TYPES, type GgmlType } from '../../src/quant/index.js';

const SCALARS: GgufScalarType[] = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'UINT64', 'INT64', 'FLOAT64'];

const text = fc.string({ unit: 'grapheme', maxLength: 12 });

function scalarArb(t: GgufScalarType): fc.Arbitrary<GgufValue> {
  switch (t) {
    case 'UINT8': return fc.integer({ min: 0, max: 255 });
    case 'INT8': return fc.integer({ min: -128, max: 127 });
    case 'UINT16': return fc.integer({ min: 0, max: 0xffff });
    case 'INT16': return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'UINT32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'INT32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'FLOAT32': return fc.float();
    case 'FLOAT64': return fc.double();
    case 'BOOL': return fc.boolean();
    case 'STRING': return text;
    case 'UINT64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'INT64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
}

function arrayArb(t: GgufScalarType): fc.Arbitrary<GgufValue> {
  const o = { maxLength: 6 };
  switch (t) {
    case 'UINT8': return fc.uint8Array(o);
    case 'INT8': return fc.int8Array(o);
    case 'UINT16': return fc.uint16Array(o);
    case 'INT16': return fc.int16Array(o);
    case 'UINT32': return fc.uint32Array(o);
    case 'INT32': return fc.int32Array(o);
    // NaN payloads of typed arrays are kept byte for byte
    case 'FLOAT32': return fc.uint32Array(o).map((u) => new Float32Array(u.buffer));
    case 'FLOAT64': return fc.float64Array(o);
    case 'BOOL': return fc.array(fc.boolean(), o);
    case 'STRING': return fc.array(text, o);
    case 'UINT64': return fc.bigUint64Array(o);
    case 'INT64': return fc.bigInt64Array(o);
  }
}

const typedValue: fc.Arbitrary<[GgufValueType, GgufValue]> = fc.constantFrom(...SCALARS).chain((t) =>
  fc.oneof(scalarArb(t).map((v): [GgufValueType, GgufValue] => [t, v]), arrayArb(t).map((v): [GgufValueType, GgufValue] => [`${t}[]`, v])),
);

const keyArb = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }), fc.constantFrom('__proto__', 'constructor', 'general.name', 'tokenizer.ggml.tokens'));

const ALL_TYPES = Object.keys(GGML_TYPES) as GgmlType[];
const PLAIN: Partial<Record<GgmlType, (n: number) => fc.Arbitrary<GgufTensorInput['data']>>> = {
  F32: (n) => fc.float32Array({ minLength: n, maxLength: n }),
  F16: (n) => fc.uint16Array({ minLength: n, maxLength: n }),
  BF16: (n) => fc.uint16Array({ minLength: n, maxLength: n }),
  F64: (n) => fc.float64Array({ minLength: n, maxLength: n }),
  I8: (n) => fc.int8Array({ minLength: n, maxLength: n }),
  I16: (n) => fc.int16Array({ minLength: n, maxLength: n }),
  I32: (n) => fc.int32Array({ minLength: n, maxLength: n }),
  I64: (n) => fc.bigInt64Array({ minLength: n, maxLength: n }),
};

/** A tensor of a random ggml type: up to 4 dims, rows of 0-2 whole blocks, raw bytes or a typed array. */
const tensorArb = (name: string): fc.Arbitrary<GgufTensorInput> =>
  fc.constantFrom(...ALL_TYPES).chain((type) => {
    const info = GGML_TYPES[type];
    return fc
      .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.integer({ min: 0, max: 2 }), fc.boolean())
      .chain(([outer, blocks, scalar]) => {
        const shape = scalar && info.blockSize === 1 ? [] : [...outer, blocks * info.blockSize];
        const n = shape.reduce((a, b) => a * b, 1);
        const bytes = (n / info.blockSize) * info.typeSize;
        const raw = fc.uint8Array({ minLength: bytes, maxLength: bytes });
        const plain = PLAIN[type];
        return (plain ? fc.oneof(raw, plain(n)) : raw).map((data): GgufTensorInput => ({ name, type, shape, data }));
      });
  });

const inputArb = fc.record({
  meta: fc.uniqueArray(fc.tuple(keyArb, typedValue), { selector: (e) => e[0], maxLength: 10 }),
  tensors: fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 10 }), { maxLength: 5 }).chain((names) => fc.tuple(...names.map(tensorArb))),
  alignment: fc.constantFrom(undefined, 1, 2, 8, 32, 64, 256),
});

function bytesOf(d: GgufTensorInput['data']): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function snapshot(x: unknown): unknown {
  return structuredClone(x);
}

describe('writeGguf round trips (fast-check)', () => {
  it('readGguf(writeGguf(x)) gives back every metadata value with its type and every tensor, at aligned contiguous offsets', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb, async ({ meta, tensors, alignment }) => {
        const metadata = new Map<string, GgufValue>(meta.map(([k, [, v]]) => [k, v]));
        const metadataTypes = new Map<string, GgufValueType>(meta.map(([k, [t]]) => [k, t]));
        if (alignment !== undefined) {
          metadata.delete('general.alignment');
          metadataTypes.delete('general.alignment');
        }
        const input = { metadata, metadataTypes, tensors, alignment };
        const before = snapshot({ meta: [...metadata], types: [...metadataTypes], tensors });
        const bytes = writeGguf(input);
        expect(snapshot({ meta: [...metadata], types: [...metadataTypes], tensors })).toEqual(before);

        const h = parseGguf(bytes);
        expect(h.version).toBe(3);
        expect(h.alignment).toBe(alignment ?? 32);
        const wantKeys = [...metadata.keys()];
        if (alignment !== undefined && alignment !== 32) wantKeys.push('general.alignment');
        expect([...h.metadata.keys()]).toEqual(wantKeys);
        for (const [k, v] of metadata) {
          const t = metadataTypes.get(k)!;
          expect(h.metadataTypes.get(k), k).toBe(t);
          const got = h.metadata.get(k)!;
          if (ArrayBuffer.isView(v)) {
            expect(got.constructor).toBe(v.constructor);
            expect(bytesOf(got as Uint8Array)).toEqual(bytesOf(v as Uint8Array));
          } else if (typeof v === 'number') expect(Object.is(got, v) || (Number.isNaN(v) && Number.isNaN(got as number))).toBe(true);
          else expect(got).toEqual(v);
        }
        expect(h.tensors.map((t) => [t.name, t.type, t.shape])).toEqual(tensors.map((t) => [t.name, t.type, t.shape]));
        let next = 0;
        for (const t of h.tensors) {
          expect(t.offset).toBe(next);
          expect(t.byteOffset % h.alignment).toBe(0);
          next = Math.ceil((t.offset + t.byteLength) / h.alignment) * h.alignment;
        }
        expect(bytes.length).toBe(h.dataOffset + next);
        const f = await openGguf(bytes);
        for (const t of tensors) {
          const r = await f.tensor(t.name);
          expect(bytesOf(r.data)).toEqual(bytesOf(t.data));
        }
        // canonical: what was read, written again, is the same file
        const again = writeGguf({
          metadata: h.metadata,
          metadataTypes: h.metadataTypes,
          tensors: await Promise.all(h.tensors.map(async (t) => ({ name: t.name, type: t.type, shape: t.shape, data: (await f.tensor(t.name)).data }))),
        });
        expect(again).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('writeGgufFile writes the same bytes as writeGguf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowp-gguf-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    fc.assert(
      fc.property(inputArb, ({ meta, tensors }) => {
        const input = { metadata: new Map(meta.map(([k, [, v]]) => [k, v])), metadataTypes: new Map(meta.map(([k, [t]]) => [k, t])), tensors };
        const path = join(dir, 'x.gguf');
        writeGgufFile(path, input);
        expect(new Uint8Array(readFileSync(path))).toEqual(writeGguf(input));
      }),
      { numRuns: 30 },
    );
  });
});

describe('writeGguf: metadata types', () => {
  it('inferGgufType: integers as INT32/UINT32/INT64, other numbers FLOAT64 (never a lossy FLOAT32), typed arrays by class', () => {
    expect(inferGgufType(7)).toBe('INT32');
    expect(inferGgufType(-(2 ** 31))).toBe('INT32');
    expect(inferGgufType(2 ** 31)).toBe('UINT32');
    expect(inferGgufType(2 ** 32)).toBe('INT64');
    expect(inferGgufType(0.5)).toBe('FLOAT64');
    expect(inferGgufType(-0)).toBe('FLOAT64');
    expect(inferGgufType(NaN)).toBe('FLOAT64');
    expect(inferGgufType(2n ** 63n)).toBe('UINT64');
    expect(inferGgufType(-1n)).toBe('INT64');
    expect(inferGgufType('x')).toBe('STRING');
    expect(inferGgufType(false)).toBe('BOOL');
    expect(inferGgufType(new BigUint64Array(1))).toBe('UINT64[]');
    expect(inferGgufType([1, -2])).toBe('INT32[]');
    expect(inferGgufType([1, 2 ** 31])).toBe('UINT32[]');
    expect(inferGgufType([1, 0.5])).toBe('FLOAT64[]');
    expect(inferGgufType([1n, 2n])).toBe('INT64[]');
    expect(inferGgufType(['a'])).toBe('STRING[]');
    expect(() => inferGgufType([])).toThrow(TypeError);
    expect(() => inferGgufType([1, 'a'])).toThrow(TypeError);
    expect(() => inferGgufType([[1]])).toThrow(TypeError);
    expect(() => inferGgufType({})).toThrow(TypeError);
    expect(() => inferGgufType(null)).toThrow(TypeError);
  });

  it('an inferred type holds its value exactly (numbers, bigints, arrays of them)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.array(fc.double(), { minLength: 1 }), fc.array(fc.integer(), { minLength: 1 })), (v) => {
        const h = parseGguf(writeGguf({ metadata: { v: v as GgufValueInput } }));
        const got = h.metadata.get('v')!;
        if (Array.isArray(v)) expect([...(got as Float64Array)].map((x) => (Object.is(x, -0) ? '-0' : String(x)))).toEqual(v.map((x) => (Object.is(x, -0) ? '-0' : String(x))));
        else expect(Object.is(got, v) || (typeof v === 'number' && Number.isNaN(v))).toBe(true);
      }),
    );
  });

  it('refused: values outside their type, inexact FLOAT32, lone surrogates, nested or empty untyped arrays, bad alignment', () => {
    const bad: [Record<string, unknown>, Record<string, string>, RegExp][] = [
      [{ k: 256 }, { k: 'UINT8' }, /UINT8.*integer in \[0, 255\]/],
      [{ k: -1 }, { k: 'UINT32' }, /integer in/],
      [{ k: 1.5 }, { k: 'INT32' }, /integer in/],
      [{ k: 2n ** 64n }, { k: 'UINT64' }, /integer in/],
      [{ k: 0.1 }, { k: 'FLOAT32' }, /exactly a float32/],
      [{ k: 'x' }, { k: 'BOOL' }, /a boolean/],
      [{ k: 'a\ud800' }, {}, /lone surrogate|valid UTF-8/],
      [{ k: ['ok', 'b\udc00'] }, {}, /UTF-8/],
      [{ k: [] }, {}, /empty array/],
      [{ k: [[1]] }, {}, /one kind|array of strings/],
      [{ k: new Float32Array(1) }, { k: 'FLOAT64[]' }, /Float64Array or a plain array/],
      [{ k: [1, 300] }, { k: 'UINT8[]' }, /element 1/],
      [{ k: 1 }, { k: 'ARRAY' }, /GGUF value type/],
      [{ 'general.alignment': 48 }, { 'general.alignment': 'UINT32' }, /power of 2/],
      [{ 'general.alignment': 32 }, { 'general.alignment': 'UINT64' }, /UINT32/],
      [{ '': 1 }, {}, /non-empty/],
      [{ 'a\ud800': 1 }, {}, /lone surrogate/],
      [{ a: 1 }, { b: 'UINT8' }, /has no value/],
    ];
    for (const [metadata, metadataTypes, msg] of bad) {
      expect(() => writeGguf({ metadata: metadata as Record<string, GgufValue>, metadataTypes: metadataTypes as Record<string, GgufValueType> }), JSON.stringify(Object.keys(metadata))).toThrow(msg);
    }
    // an empty array is fine once its type is given
    expect(parseGguf(writeGguf({ metadata: { k: [] }, metadataTypes: { k: 'STRING[]' } })).metadataTypes.get('k')).toBe('STRING[]');
    expect(() => writeGguf({ metadata: { 'general.alignment': 32 }, metadataTypes: { 'general.alignment': 'UINT32' }, alignment: 64 })).toThrow(/agree/);
    expect(() => writeGguf({ alignment: 3 })).toThrow(/power of 2/);
  });
});

describe('writeGguf: tensors', () => {
  const q8 = new Uint8Array(34);
  it('refused: unknown types, more than 4 dimensions, rows that are not whole blocks, wrong data lengths or classes, duplicate names', () => {
    const cases: [GgufTensorInput[], RegExp][] = [
      [[{ name: 'a', type: 'Q9_9', shape: [32], data: q8 }], /ggml type/],
      [[{ name: 'a', type: 4, shape: [32], data: q8 }], /ggml type/],
      [[{ name: 'a', type: 'F32', shape: [1, 1, 1, 1, 1], data: new Float32Array(1) }], /at most 4 dimensions/],
      [[{ name: 'a', type: 'Q8_0', shape: [2, 16], data: q8 }], /whole Q8_0 blocks/],
      [[{ name: 'a', type: 'Q8_0', shape: [], data: q8 }], /whole Q8_0 blocks/],
      [[{ name: 'a', type: 'Q8_0', shape: [32], data: new Uint8Array(33) }], /34 bytes, got 33/],
      [[{ name: 'a', type: 'Q8_0', shape: [32], data: new Float32Array(32) }], /blocks as a Uint8Array/],
      [[{ name: 'a', type: 'F32', shape: [2], data: new Float32Array(3) }], /2 values/],
      [[{ name: 'a', type: 'F32', shape: [2], data: new Float64Array(2) }], /Float32Array or its raw bytes/],
      [[{ name: 'a', type: 'F16', shape: [2], data: new Uint8Array(3) }], /4 bytes, got 3/],
      [[{ name: 'a', type: 'F32', shape: [-1], data: new Float32Array(0) }], /non-negative integers/],
      [[{ name: 'a', type: 'F32', shape: [2 ** 30, 2 ** 30], data: new Float32Array(0) }], /2\^53/],
      [[{ name: 'a', type: 'F32', shape: [1], data: new Float32Array(1) }, { name: 'a', type: 'F32', shape: [1], data: new Float32Array(1) }], /unique tensor names/],
      [[{ name: 'a\udfff', type: 'F32', shape: [1], data: new Float32Array(1) }], /lone surrogate/],
    ];
    for (const [tensors, msg] of cases) expect(() => writeGguf({ tensors }), String(msg)).toThrow(msg);
    expect(() => writeGguf(null as never)).toThrow(TypeError);
    expect(() => writeGguf({ tensors: {} as never })).toThrow(TypeError);
  });

  it('type names are case-insensitive; ids and GGML_TYPES entries work too; shapes are stored reversed (ne)', () => {
    const bytes = writeGguf({
      tensors: [
        { name: 'a', type: 'q8_0', shape: [3, 32], data: new Uint8Array(3 * 34) },
        { name: 'b', type: 12, shape: [256], data: new Uint8Array(144) },
        { name: 'c', type: GGML_TYPES.MXFP4, shape: [1, 2, 64], data: new Uint8Array(4 * 17) },
      ],
    });
    const h = parseGguf(bytes);
    expect(h.tensors.map((t) => [t.type, t.shape, t.ne])).toEqual([
      ['Q8_0', [3, 32], [32, 3]],
      ['Q4_K', [256], [256]],
      ['MXFP4', [1, 2, 64], [64, 2, 1]],
    ]);
  });
});
