// The shared reading machinery of lowp/io: the element codecs (packed 4-bit and fnuz types against a
// plain per-value twin), TensorReaderBase (chunks in whole storage units, concatenated chunks equal the
// whole read, natural and float views, reuse, NOT_FOUND/CLOSED as the format's class), detectFormat and
// openCheckpoint's dispatch by content (a .npy file, a safetensors file under another name, bytes).
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/formats/index.js';
import {
  CheckpointError,
  detectFormat,
  elementCodec,
  NpyError,
  openCheckpoint,
  TensorReaderBase,
  writeNpy,
  writeSafetensors,
  type TensorInfo,
} from '../../src/io/index.js';

const FP4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6];

/** The value of element i of packed 4-bit bytes, one at a time (the reference twin of the codecs). */
function nibbleValue(dtype: 'I4' | 'U4' | 'F4', bytes: Uint8Array, i: number): number {
  const q = i % 2 === 0 ? bytes[i >> 1] & 15 : bytes[i >> 1] >> 4;
  if (dtype === 'U4') return q;
  if (dtype === 'I4') return q < 8 ? q : q - 16;
  return (q >= 8 ? -1 : 1) * FP4[q & 7];
}

class MemoryReader extends TensorReaderBase {
  constructor(
    private readonly stored: Map<string, Uint8Array>,
    tensors: TensorInfo[],
  ) {
    super({ format: 'checkpoint', name: 'memory', metadata: {}, tensors, errors: CheckpointError });
  }
  protected async readRaw(t: TensorInfo, byteStart: number, target: Uint8Array): Promise<void> {
    const b = this.stored.get(t.name)!;
    if (byteStart + target.length > b.length) throw new CheckpointError('TRUNCATED', 'past the end');
    target.set(b.subarray(byteStart, byteStart + target.length));
  }
  protected release(): void {}
}

describe('element codecs', () => {
  for (const dtype of ['I4', 'U4', 'F4'] as const) {
    it(`${dtype}: decode agrees with the per-value twin for any bytes and count, and leaves the bytes alone`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.boolean(), (bytes, k, f64) => {
          const count = 1 + (k % (bytes.length * 2));
          const before = bytes.slice();
          const out = f64 ? new Float64Array(count) : new Float32Array(count);
          elementCodec(dtype).decode(bytes, count, out);
          for (let i = 0; i < count; i++) expect(out[i]).toBe(nibbleValue(dtype, bytes, i));
          expect(bytes).toEqual(before);
        }),
      );
    });
  }

  it('fnuz fp8 codes decode as lowp/formats decodes each code', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const [dtype, format] of [['F8_E4M3FNUZ', 'fp8-e4m3fnuz'], ['F8_E5M2FNUZ', 'fp8-e5m2fnuz']] as const) {
      const out = new Float32Array(256);
      elementCodec(dtype).decode(codes, 256, out);
      for (let i = 0; i < 256; i++) expect(Object.is(out[i], Math.fround(decode(i, format))) || (Number.isNaN(out[i]) && Number.isNaN(decode(i, format)))).toBe(true);
    }
  });

  it('an unknown element type is a TypeError naming it', () => {
    expect(() => elementCodec('C64')).toThrow(TypeError);
    expect(() => elementCodec('C64')).toThrow(/C64/);
  });
});

describe('TensorReaderBase', () => {
  it('concatenated chunks (any size, reuse or not, float32 or float64) equal readFloat, in whole units', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('I4', 'U4', 'F4', 'F32', 'BF16', 'I16'),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        fc.constantFrom('float32', 'float64'),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (dtype, elements, chunk, reuse, as, seed) => {
          const codec = elementCodec(dtype);
          const byteLength = Math.ceil(elements / codec.granule) * codec.unitBytes;
          const bytes = new Uint8Array(byteLength);
          let x = seed;
          for (let i = 0; i < byteLength; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
          if (dtype === 'F32') for (let i = 0; i < byteLength; i += 4) bytes[i + 3] &= 0x3f; // finite values
          const r = new MemoryReader(new Map([['t', bytes]]), [{ name: 't', dtype, shape: [elements], elements, byteLength }]);
          const whole = await r.readFloat('t', { as });
          const parts: number[] = [];
          let expectStart = 0;
          for await (const c of r.chunks('t', { elements: chunk, reuse, as })) {
            expect(c.start).toBe(expectStart);
            expect(c.start % codec.granule).toBe(0);
            parts.push(...c.data);
            expectStart += c.data.length;
          }
          expect(parts.length).toBe(elements);
          expect(Float64Array.from(parts)).toEqual(Float64Array.from(whole));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('raw chunks: the stored bytes of whole units, concatenating to tensor()\'s bytes, starts in elements', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('I4', 'U4', 'F4', 'F32', 'BF16', 'I16', 'U8'),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (dtype, elements, chunk, reuse, seed) => {
          const codec = elementCodec(dtype);
          const byteLength = Math.ceil(elements / codec.granule) * codec.unitBytes;
          const bytes = new Uint8Array(byteLength);
          let x = seed;
          for (let i = 0; i < byteLength; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
          const copy = bytes.slice();
          const r = new MemoryReader(new Map([['t', bytes]]), [{ name: 't', dtype, shape: [elements], elements, byteLength }]);
          const got: number[] = [];
          let expectStart = 0;
          for await (const c of r.chunks('t', { elements: chunk, raw: true, reuse })) {
            expect(c.data).toBeInstanceOf(Uint8Array);
            expect(c.start).toBe(expectStart);
            expect(c.data.length % codec.unitBytes).toBe(0);
            got.push(...c.data);
            expectStart += Math.min((c.data.length / codec.unitBytes) * codec.granule, elements - c.start);
          }
          expect(expectStart).toBe(elements);
          expect(Uint8Array.from(got)).toEqual(copy);
          expect(bytes).toEqual(copy);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('raw chunks refuse a raw that is not a boolean and raw together with as, at the call', async () => {
    const r = new MemoryReader(new Map([['t', new Uint8Array(8)]]), [{ name: 't', dtype: 'F32', shape: [2], elements: 2, byteLength: 8 }]);
    expect(() => r.chunks('t', { raw: 'yes' } as never)).toThrow(TypeError);
    expect(() => r.chunks('t', { raw: true, as: 'float32' } as never)).toThrow(/either raw .* or as/);
    const plain = [];
    for await (const c of r.chunks('t', { raw: false } as never)) plain.push(c.data);
    expect(plain).toEqual([new Float32Array(2)]);
  });

  it('packed types stream as float32 by default; tensor() gives their raw bytes', async () => {
    const bytes = new Uint8Array([0x21, 0xf3]);
    const r = new MemoryReader(new Map([['q', bytes]]), [{ name: 'q', dtype: 'I4', shape: [4], elements: 4, byteLength: 2 }]);
    const chunks = [];
    for await (const c of r.chunks('q')) chunks.push(c.data);
    expect(chunks).toEqual([new Float32Array([1, 2, 3, -1])]);
    expect((await r.tensor('q')).data).toEqual(bytes);
  });

  it('NOT_FOUND and CLOSED are errors of the format class, at the call', async () => {
    const r = new MemoryReader(new Map([['t', new Uint8Array(4)]]), [{ name: 't', dtype: 'F32', shape: [1], elements: 1, byteLength: 4 }]);
    expect(() => r.chunks('nope')).toThrow(expect.objectContaining({ name: 'CheckpointError', code: 'NOT_FOUND' }));
    expect(() => r.chunks('t', { elements: 0 })).toThrow(RangeError);
    await r.close();
    await r.close();
    await expect(r.readFloat('t')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('detectFormat and openCheckpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowp-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const st = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
  const npy = writeNpy({ dtype: 'I16', shape: [3], data: new Int16Array([1, -2, 3]) });

  it('recognises each format by its first bytes', () => {
    expect(detectFormat(st.subarray(0, 16), st.length)).toBe('safetensors');
    expect(detectFormat(npy.subarray(0, 16), npy.length)).toBe('npy');
    expect(detectFormat(new TextEncoder().encode('GGUF\x03\x00\x00\x00'), 100)).toBe('gguf');
    expect(detectFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), 100)).toBe('torch-zip');
    expect(detectFormat(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 100)).toBe('pickle');
    expect(detectFormat(new TextEncoder().encode('  {"weight_map": {}}'), 20)).toBe('json');
    expect(detectFormat(new Uint8Array([0x08, 0x07, 0x12, 0x07]), 100)).toBe('onnx');
    expect(detectFormat(new Uint8Array(0), 0)).toBe('unknown');
  });

  it('never throws on any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 16 }), fc.nat(), (b, size) => void detectFormat(b, size)));
  });

  it('opens by content: a safetensors file named .bin, a .npy file, bytes', async () => {
    writeFileSync(join(dir, 'weights.bin'), st);
    const a = await openCheckpoint(join(dir, 'weights.bin'));
    expect(a.format).toBe('safetensors');
    expect(await a.readFloat('w')).toEqual(new Float32Array([1, 2]));
    await a.close();
    writeFileSync(join(dir, 'ids.npy'), npy);
    const b = await openCheckpoint(join(dir, 'ids.npy'));
    expect(b.format).toBe('npy');
    expect(b.names()).toEqual(['ids']);
    expect(await b.readFloat('ids')).toEqual(new Float32Array([1, -2, 3]));
    await b.close();
    const c = await openCheckpoint(npy);
    expect(c.names()).toEqual(['array']);
  });

  it('unknown content is a CheckpointError UNKNOWN_FORMAT; a broken .npy is an NpyError', async () => {
    await expect(openCheckpoint(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ name: 'CheckpointError', code: 'UNKNOWN_FORMAT' });
    writeFileSync(join(dir, 'cut.npy'), npy.subarray(0, 5));
    await expect(openCheckpoint(join(dir, 'cut.npy'))).rejects.toBeInstanceOf(NpyError);
  });

  it('UNKNOWN_FORMAT shows the first bytes of a path too, and a failing source is a CheckpointError', async () => {
    writeFileSync(join(dir, 'notes.dat'), 'hello world');
    await expect(openCheckpoint(join(dir, 'notes.dat'))).rejects.toMatchObject({
      name: 'CheckpointError',
      code: 'UNKNOWN_FORMAT',
      message: expect.stringContaining('got bytes 68 65 6c 6c 6f 20 77 6f'),
    });
    const failing = { size: 100, name: 'remote', read: async (): Promise<Uint8Array> => Promise.reject(new Error('connection reset')) };
    await expect(openCheckpoint(failing)).rejects.toMatchObject({ name: 'CheckpointError', code: 'IO', message: expect.stringContaining('connection reset') });
  });
});
