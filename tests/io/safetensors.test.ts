// Round trips through lowp's safetensors writer and reader for every dtype (property-based), the
// reference layout rules (alignment, order, space padding), every source kind (bytes, Blob, path,
// custom ByteSource), chunked streaming, float conversion, and argument errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DTYPES,
  dtypeArrayType,
  dtypeSize,
  openSafetensors,
  openSafetensorsSync,
  blobSource,
  parseSafetensors,
  SafetensorsError,
  swapBytes,
  toFloatArray,
  writeSafetensors,
  writeSafetensorsFile,
  type ByteSource,
  type DType,
  type TensorInput,
} from '../../src/io/index.js';
import { bytesOf, expectSameBytes } from './bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'lowp-io-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const nameArb = fc
  .string({ unit: 'binary', maxLength: 12 })
  .filter((s) => !LONE_SURROGATE.test(s) && !['__proto__', 'constructor', 'prototype', '__metadata__'].includes(s));

/** A tensor of any dtype with random raw bytes (BOOL bytes 0/1). */
const tensorArb = (dtype?: DType) =>
  fc
    .record({
      dtype: dtype ? fc.constant(dtype) : fc.constantFrom(...DTYPES),
      shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
      seed: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    })
    .map(({ dtype, shape, seed }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const size = dtypeSize(dtype);
      const raw = new Uint8Array(n * size);
      for (let i = 0; i < raw.length; i++) raw[i] = seed[i % seed.length] ^ (i * 131);
      if (dtype === 'BOOL') for (let i = 0; i < raw.length; i++) raw[i] &= 1;
      const C = dtypeArrayType(dtype);
      const data = new (C as unknown as new (b: ArrayBuffer) => TensorInput['data'])(raw.buffer);
      return { dtype, shape, data } as TensorInput;
    });

const tensorsArb = fc.uniqueArray(fc.tuple(nameArb, tensorArb()), { selector: ([n]) => n, maxLength: 6 });
const metaArb = fc.option(fc.dictionary(nameArb, fc.string({ maxLength: 8 }).filter((s) => !LONE_SURROGATE.test(s)), { maxKeys: 3 }), { nil: undefined });

describe('writeSafetensors -> read: round trip for every dtype', () => {
  it('every dtype, shape and byte pattern comes back identical (sync bytes reader)', () => {
    fc.assert(
      fc.property(tensorsArb, metaArb, (entries, meta) => {
        const input = new Map(entries);
        const copies = entries.map(([, t]) => bytesOf(t.data).slice());
        const bytes = writeSafetensors(input, meta);
        // inputs untouched
        entries.forEach(([, t], i) => expectSameBytes(t.data, copies[i], 'input'));
        const st = openSafetensorsSync(bytes);
        expect(new Set(st.names())).toEqual(new Set(input.keys()));
        expect({ ...st.metadata }).toEqual({ ...(meta ?? {}) });
        for (const [name, t] of entries) {
          const r = st.tensorSync(name);
          expect(r.dtype).toBe(t.dtype);
          expect(r.shape).toEqual(t.shape);
          expect(r.data).toBeInstanceOf(dtypeArrayType(t.dtype));
          expectSameBytes(r.data, t.data, name);
        }
      }),
      { numRuns: 300 },
    );
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: async path, Blob and custom-source reads equal the input; chunks tile the tensor`, async () => {
      await fc.assert(
        fc.asyncProperty(tensorArb(dtype), fc.integer({ min: 1, max: 7 }), async (t, elements) => {
          const bytes = writeSafetensors({ x: t, pad: { dtype: 'U8', shape: [3], data: new Uint8Array(3) } });
          const path = join(dir, `${dtype}.safetensors`);
          writeFileSync(path, bytes);
          const custom: ByteSource = { size: bytes.length, read: async (o, n) => bytes.slice(o, o + n) };
          for (const src of [path, new Blob([bytes]), custom, bytes.buffer]) {
            const st = await openSafetensors(src as never);
            const r = await st.tensor('x');
            expectSameBytes(r.data, t.data, dtype);
            let next = 0;
            for await (const c of st.chunks('x', { elements })) {
              expect(c.start).toBe(next);
              expect(c.data.length).toBeLessThanOrEqual(elements);
              expect(c.data.length).toBeGreaterThan(0);
              expectSameBytes(c.data, (t.data as Uint8Array).subarray(next, next + c.data.length), 'chunk');
              next += c.data.length;
            }
            expect(next).toBe(t.data.length);
            await st.close();
          }
        }),
        { numRuns: 15 },
      );
    });
  }
});

/**
 * The oracle of the layout order: huggingface/safetensors' `Dtype` enum (safetensors/src/tensor.rs), in
 * declaration order, restricted to the dtypes lowp/io knows (the crate also has F4, F6_E2M3 and F6_E3M2
 * between BOOL and U8). Its `prepare` sorts tensors by dtype, descending in this order, then by name.
 */
const REFERENCE_DTYPE_ENUM: readonly DType[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

describe('layout of written files (the reference implementation rules)', () => {
  it('DTYPES lists the dtypes in layout order: the reference enum, descending', () => {
    expect([...DTYPES]).toEqual([...REFERENCE_DTYPE_ENUM].reverse());
  });

  it('header padded with spaces to a multiple of 8, tensors sorted by dtype (reference enum, descending) then name (UTF-8 bytes), each aligned', () => {
    fc.assert(
      fc.property(tensorsArb, metaArb, (entries, meta) => {
        const bytes = writeSafetensors(Object.fromEntries(entries) as Record<string, TensorInput>, meta);
        const h = parseSafetensors(bytes);
        expect(h.headerLength % 8).toBe(0);
        const text = new TextDecoder().decode(bytes.subarray(8, 8 + h.headerLength));
        expect(text.trimEnd().endsWith('}')).toBe(true);
        expect(text.slice(text.trimEnd().length)).toMatch(/^ {0,7}$/); // only space padding, < 8 bytes
        for (const t of h.tensors) expect(t.byteOffset % dtypeSize(t.dtype)).toBe(0);
        // file order of the tensors with data (empty ones share their offset with a neighbour)
        const placed = h.tensors.filter((t) => t.byteLength > 0);
        for (let i = 1; i < placed.length; i++) {
          const [p, q] = [placed[i - 1], placed[i]];
          const byDtype = REFERENCE_DTYPE_ENUM.indexOf(q.dtype) - REFERENCE_DTYPE_ENUM.indexOf(p.dtype);
          // Rust compares names as str: by UTF-8 bytes
          const byName = Buffer.compare(Buffer.from(p.name, 'utf8'), Buffer.from(q.name, 'utf8'));
          expect(byDtype < 0 || (byDtype === 0 && byName < 0), `${p.dtype} '${p.name}' before ${q.dtype} '${q.name}'`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('names sort by code point (UTF-8 bytes, as Rust compares str), not by UTF-16 unit: U+E000 before U+10000', () => {
    const one = (): TensorInput => ({ dtype: 'U8', shape: [1], data: new Uint8Array(1) });
    const h = parseSafetensors(writeSafetensors({ '\u{10000}': one(), '\uE000': one(), a: one(), '\u00e9': one() }));
    expect(h.tensors.map((t) => t.name)).toEqual(['a', '\u00e9', '\uE000', '\u{10000}']);
  });

  it('writeSafetensorsFile writes the same bytes as writeSafetensors', () => {
    fc.assert(
      fc.property(tensorsArb, metaArb, (entries, meta) => {
        const path = join(dir, 'w.safetensors');
        writeSafetensorsFile(path, entries.map(([name, t]) => ({ name, ...t })), meta);
        const st = openSafetensorsSync(path);
        const again = writeSafetensors(new Map(entries), meta);
        expect(st.header.fileSize).toBe(again.length);
        for (const [name, t] of entries) expectSameBytes(st.tensorSync(name).data, t.data, name);
        st.closeSync();
      }),
      { numRuns: 50 },
    );
  });
});

describe('float views of tensors', () => {
  it('readFloat / chunks(as) equal toFloatArray of the whole tensor; default type is lossless', async () => {
    await fc.assert(
      fc.asyncProperty(tensorArb(), fc.constantFrom('float32', 'float64', undefined), async (t, as) => {
        const st = await openSafetensors(writeSafetensors({ x: t }));
        const whole = await st.readFloat('x', { as });
        const want = toFloatArray(t.dtype, t.data as never, as);
        expect(whole.constructor).toBe(want.constructor);
        expectSameBytes(whole, want, 'readFloat');
        // the result is the caller's own (F32 as float32 is the read buffer itself, not a copy): writing to
        // it changes neither the file's bytes nor a later read
        whole.fill(7);
        expectSameBytes(await st.readFloat('x', { as }), want, 'readFloat after writing to an earlier result');
        const parts: number[] = [];
        for await (const c of st.chunks('x', { elements: 4, as: as ?? 'float64' })) parts.push(...c.data);
        expect(parts.length).toBe(t.data.length);
        const f64 = toFloatArray(t.dtype, t.data as never, as ?? 'float64');
        parts.forEach((v, i) => expect(Object.is(v, f64[i]) || (Number.isNaN(v) && Number.isNaN(f64[i]))).toBe(true));
      }),
      { numRuns: 200 },
    );
  });

  it('chunks({ reuse: true }) yields the same values as fresh chunks, async and sync, for every source', async () => {
    await fc.assert(
      fc.asyncProperty(tensorArb(), fc.integer({ min: 1, max: 9 }), fc.constantFrom('float32', 'float64', undefined), async (t, elements, as) => {
        const bytes = writeSafetensors({ x: t });
        const path = join(dir, 'reuse.safetensors');
        writeFileSync(path, bytes);
        for (const src of [path, bytes, new Blob([bytes])]) {
          const st = await openSafetensors(src);
          const fresh: Uint8Array[] = [];
          for await (const c of st.chunks('x', { elements, as })) fresh.push(bytesOf(c.data).slice());
          const reused: Uint8Array[] = [];
          let prev: ArrayBufferView | undefined;
          for await (const c of st.chunks('x', { elements, as, reuse: true })) {
            reused.push(bytesOf(c.data).slice());
            if (prev !== undefined && c.data.length > 0) expect(c.data.buffer).not.toBe(prev.buffer); // alternating buffers
            prev = c.data;
          }
          expect(reused.length).toBe(fresh.length);
          reused.forEach((r, i) => expectSameBytes(r, fresh[i], `chunk ${i}`));
          if (typeof src !== 'object' || src instanceof Uint8Array) {
            const sync: Uint8Array[] = [];
            for (const c of (st as Awaited<ReturnType<typeof openSafetensors>>).chunksSync('x', { elements, as, reuse: true })) sync.push(bytesOf(c.data).slice());
            sync.forEach((r, i) => expectSameBytes(r, fresh[i], `sync chunk ${i}`));
          }
          await st.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('toFloatArray into a caller-owned out: same values; wrong type, length or aliasing are errors', () => {
    fc.assert(
      fc.property(tensorArb(), fc.constantFrom('float32', 'float64'), (t, as) => {
        const out = as === 'float32' ? new Float32Array(t.data.length) : new Float64Array(t.data.length);
        const r = toFloatArray(t.dtype, t.data as never, as, out as never);
        expect(r).toBe(out);
        expectSameBytes(out, toFloatArray(t.dtype, t.data as never, as), 'out');
      }),
      { numRuns: 200 },
    );
    expect(() => toFloatArray('F32', new Float32Array(2), 'float32', new Float32Array(3))).toThrow(RangeError);
    expect(() => toFloatArray('F32', new Float32Array(2), 'float64', new Float32Array(2) as never)).toThrow(TypeError);
    expect(() => toFloatArray('F32', new Float32Array(2), undefined, new Int32Array(2) as never)).toThrow(TypeError);
    const shared = new Float32Array(4);
    expect(() => toFloatArray('F32', shared.subarray(0, 2), 'float32', shared.subarray(2))).toThrow(/share/);
  });

  it('integers, BOOL and float64 convert to their values; narrower targets round to nearest', () => {
    expect([...toFloatArray('I64', new BigInt64Array([-5n, 2n ** 53n + 1n]))]).toEqual([-5, 2 ** 53]);
    expect([...toFloatArray('U64', new BigUint64Array([2n ** 64n - 1n]))]).toEqual([2 ** 64]);
    expect(toFloatArray('I32', new Int32Array([1])).constructor).toBe(Float64Array);
    expect([...toFloatArray('I32', new Int32Array([16777217]), 'float32')]).toEqual([16777216]);
    expect([...toFloatArray('BOOL', new Uint8Array([0, 1]))]).toEqual([0, 1]);
    expect([...toFloatArray('F64', new Float64Array([0.1]), 'float32')]).toEqual([Math.fround(0.1)]);
    expect([...toFloatArray('U8', new Uint8Array([255]))]).toEqual([255]);
    expect([...toFloatArray('I8', new Int8Array([-128]))]).toEqual([-128]);
  });
});

describe('argument errors', () => {
  const ok = writeSafetensors({ x: { dtype: 'F32', shape: [2], data: new Float32Array(2) } });

  it('writer: wrong data type, length, shape, dtype, names and metadata are TypeError/RangeError', () => {
    const w = (t: unknown, m?: unknown) => () => writeSafetensors(t as never, m as never);
    expect(w({ x: { dtype: 'F32', shape: [2], data: new Float64Array(2) } })).toThrow(TypeError);
    expect(w({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(RangeError);
    expect(w({ x: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } })).toThrow(/12 bytes, got 8/);
    expect(w({ x: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } })).toThrow(RangeError);
    expect(w({ x: { dtype: 'F32', shape: [1.5], data: new Float32Array(0) } })).toThrow(RangeError);
    expect(w({ x: { dtype: 'F12', shape: [1], data: new Float32Array(1) } })).toThrow(/F12/);
    expect(w({ x: { dtype: 'BOOL', shape: [1], data: new Uint8Array([2]) } })).toThrow(/0 or 1/);
    expect(w({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(/reserved/);
    expect(w(new Map([['constructor', { dtype: 'U8', shape: [0], data: new Uint8Array(0) }]]))).toThrow(/constructor/);
    expect(w([{ name: 'a', dtype: 'U8', shape: [0], data: new Uint8Array(0) }, { name: 'a', dtype: 'U8', shape: [0], data: new Uint8Array(0) }])).toThrow(/twice/);
    expect(w({}, { a: 1 })).toThrow(/strings/);
    expect(w(null)).toThrow(TypeError);
  });

  it('reader: unknown tensor is NOT_FOUND; bad chunk size and float type are RangeError/TypeError; closed file is CLOSED', async () => {
    const st = await openSafetensors(ok);
    await expect(st.tensor('y')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => st.chunks('x', { elements: 0 })).toThrow(RangeError);
    expect(() => st.chunks('x', { elements: 1.5 })).toThrow(RangeError);
    expect(() => st.chunks('x', { as: 'float16' as never })).toThrow(TypeError);
    // options that are not an object were ignored: readFloat('x', 'float64') gave a Float32Array
    expect(() => st.readFloatSync('x', 'float64' as never)).toThrow(/readFloatSync: expected options as an object \(e.g. \{ as: 'float64' \}\), got the string 'float64'/);
    await expect(st.readFloat('x', 'float64' as never)).rejects.toThrow(TypeError);
    expect(() => st.chunks('x', 4 as never)).toThrow(/chunks: expected options as an object/);
    expect(() => st.chunksSync('x', 4 as never)).toThrow(TypeError);
    expect(st.readFloatSync('x', undefined)).toBeInstanceOf(Float32Array);
    const path = join(dir, 'closed.safetensors');
    writeFileSync(path, ok);
    const f = await openSafetensors(path);
    await f.close();
    await expect(f.tensor('x')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(openSafetensors(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'IO', name: 'SafetensorsError' });
    await expect(openSafetensors(dir)).rejects.toMatchObject({ code: 'IO' });
    await expect(openSafetensors(42 as never)).rejects.toThrow(TypeError);
    expect(() => openSafetensorsSync(blobSource(new Blob([ok])))).toThrow(/readSync/);
    await expect(openSafetensors(ok, { maxHeaderBytes: 8 })).rejects.toMatchObject({ code: 'HEADER_TOO_LARGE' });
  });

  it('a custom source that returns short or throws gives a SafetensorsError', async () => {
    const short: ByteSource = { size: ok.length, read: async (o, n) => ok.slice(o, o + Math.max(0, n - 1)) };
    await expect(openSafetensors(short)).rejects.toMatchObject({ code: 'TRUNCATED' });
    const broken: ByteSource = { size: ok.length, read: async () => { throw new Error('network down'); } };
    await expect(openSafetensors(broken)).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('network down') });
    const err = await openSafetensors(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetensorsError);
  });

  it('swapBytes reverses each element (the big-endian host path)', () => {
    expect([...swapBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 4)]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8), fc.uint8Array({ maxLength: 64 }), (size, raw) => {
        const b = raw.subarray(0, raw.length - (raw.length % size)).slice();
        const twice = swapBytes(swapBytes(b.slice(), size), size);
        expectSameBytes(twice, b, 'involution');
      }),
    );
  });
});
