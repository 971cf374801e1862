// The GGUF reader against its oracle: model.gguf written by gguf-py 0.19.0's GGUFWriter, with its
// metadata values and row-major shapes (gguf-expected.json) and every tensor dequantized by ggml's C
// reference (gguf-expected.safetensors): ../shared/vectors/ggml/ when present, else the copies in
// tests/fixtures/gguf/. The oracle values are read here with a few lines of independent code, never
// through lowp's readers. Then: the reader's streaming paths (chunks of any size, reuse, float64, a
// source that grows the header read by read) agree with its whole reads and with lowp/quant's
// dequantizer; metadata text forms; openCheckpoint by content.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GgufError,
  GgufFile,
  bytesSource,
  detectFormat,
  ggufValueToString,
  openCheckpoint,
  openGguf,
  parseGguf,
  readGguf,
  writeGguf,
  type ByteSource,
  type GgufTensorInput,
} from '../../src/io/index.js';
import { readGgufFrom } from '../../src/io/gguf/header.js';
import { dequantizeGgml, GGML_TYPES } from '../../src/quant/index.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';

function oraclePath(file: string): string {
  const shared = join(SHARED_VECTORS, 'ggml', file);
  return existsSync(shared) ? shared : join(FIXTURES, 'gguf', file);
}

const MODEL = oraclePath('model.gguf');
const modelBytes = new Uint8Array(readFileSync(MODEL));
const expected = JSON.parse(readFileSync(oraclePath('gguf-expected.json'), 'utf8')) as {
  metadata: Record<string, unknown>;
  tensors: Record<string, number[]>;
};

/** The float32 tensors of gguf-expected.safetensors, parsed here (not with lowp's reader). */
function expectedValues(): Map<string, Float32Array> {
  const buf = readFileSync(oraclePath('gguf-expected.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array>();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    expect(v.dtype).toBe('F32');
    const [b, e] = v.data_offsets;
    const copy = new Uint8Array(buf.subarray(8 + n + b, 8 + n + e));
    out.set(k, new Float32Array(copy.buffer));
  }
  return out;
}

const bits = (a: Float32Array | Float64Array): Uint32Array | BigUint64Array =>
  a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : new BigUint64Array(a.buffer, a.byteOffset, a.length);

/** The GGUF value type each oracle key was written with (gguf-py's add_* calls). */
const ORACLE_TYPES: Record<string, string> = {
  'general.architecture': 'STRING',
  'general.name': 'STRING',
  'llama.block_count': 'UINT32',
  'oracle.flag': 'BOOL',
  'oracle.i8': 'INT8',
  'oracle.u8': 'UINT8',
  'oracle.i16': 'INT16',
  'oracle.u16': 'UINT16',
  'oracle.i32': 'INT32',
  'oracle.i64': 'INT64',
  'oracle.u64': 'UINT64',
  'oracle.f64': 'FLOAT64',
  'oracle.unicode': 'STRING',
  'oracle.tokens': 'STRING[]',
  'oracle.scores': 'FLOAT32[]',
  'oracle.ints': 'INT32[]',
};

describe('readGguf: the public GGUF (gguf-py GGUFWriter)', () => {
  it('version 3, default alignment 32, data section after the padded tensor infos', async () => {
    const h = await readGguf(MODEL);
    expect(h.version).toBe(3);
    expect(h.alignment).toBe(32);
    expect(h.dataOffset % 32).toBe(0);
    expect(h.fileSize).toBe(modelBytes.length);
  });

  it('every metadata value exactly, with its type (64-bit integers as bigint, arrays typed)', async () => {
    const h = await readGguf(MODEL);
    for (const [key, want] of Object.entries(expected.metadata)) {
      const got = h.metadata.get(key);
      const type = h.metadataTypes.get(key);
      expect(type, key).toBe(ORACLE_TYPES[key]);
      if (type === 'INT64' || type === 'UINT64') expect(got).toBe(BigInt(want as string));
      else if (type === 'FLOAT32[]') {
        expect(got).toBeInstanceOf(Float32Array);
        expect([...(got as Float32Array)]).toEqual(want);
      } else if (type === 'INT32[]') {
        expect(got).toBeInstanceOf(Int32Array);
        expect([...(got as Int32Array)]).toEqual(want);
      } else expect(got, key).toEqual(want);
    }
    // gguf-py added one more key the JSON does not list (llama.rope.freq_base, FLOAT32); nothing else
    expect([...h.metadata.keys()].filter((k) => !(k in expected.metadata))).toEqual(['llama.rope.freq_base']);
    expect(h.metadata.get('llama.rope.freq_base')).toBe(10000);
    expect(h.metadataTypes.get('llama.rope.freq_base')).toBe('FLOAT32');
  });

  it('tensors: ggml type names, row-major shapes (ne reversed), aligned contiguous offsets', async () => {
    const h = await readGguf(MODEL);
    expect(h.tensors.map((t) => t.name)).toEqual(Object.keys(expected.tensors));
    const types = ['F32', 'F16', 'BF16', 'Q4_0', 'Q8_0', 'Q2_K', 'Q4_K', 'Q5_K', 'Q6_K', 'MXFP4'];
    expect(h.tensors.map((t) => t.type)).toEqual(types);
    let next = 0;
    for (const t of h.tensors) {
      expect(t.shape).toEqual(expected.tensors[t.name]);
      expect(t.ne).toEqual([...expected.tensors[t.name]].reverse());
      expect(t.dtype).toBe(t.type);
      expect(t.typeId).toBe(GGML_TYPES[t.type].id);
      expect(t.elements).toBe(t.shape.reduce((a, b) => a * b, 1));
      expect(t.byteLength).toBe((t.elements / GGML_TYPES[t.type].blockSize) * GGML_TYPES[t.type].typeSize);
      expect(t.offset).toBe(next);
      expect(t.byteOffset).toBe(h.dataOffset + t.offset);
      next = Math.ceil((t.offset + t.byteLength) / 32) * 32;
    }
  });

  it('version 2 (the same layout) reads the same', () => {
    const v2 = modelBytes.slice();
    v2[4] = 2;
    const a = parseGguf(v2);
    const b = parseGguf(modelBytes);
    expect(a.version).toBe(2);
    expect(a.tensors).toEqual(b.tensors);
    expect([...a.metadata]).toEqual([...b.metadata]);
  });

  it('parseGguf (bytes in memory) gives the same header as readGguf (a path)', async () => {
    const a = parseGguf(modelBytes);
    const b = await readGguf(MODEL);
    expect(a.tensors).toEqual(b.tensors);
    expect([...a.metadata]).toEqual([...b.metadata]);
    expect([...a.metadataTypes]).toEqual([...b.metadataTypes]);
  });
});

describe('GgufFile / openCheckpoint: tensors of the public GGUF', () => {
  const want = expectedValues();

  it('readFloat: every tensor bit for bit what ggml dequantizes (F32, F16, BF16, Q4_0, Q8_0, Q2_K, Q4_K, Q5_K, Q6_K, MXFP4)', async () => {
    const f = await openCheckpoint(MODEL);
    expect(f).toBeInstanceOf(GgufFile);
    expect(f.format).toBe('gguf');
    for (const t of f.tensors) {
      const x = await f.readFloat(t.name);
      expect(x, t.name).toBeInstanceOf(Float32Array);
      expect(bits(x as Float32Array), t.name).toEqual(bits(want.get(t.name)!));
    }
    await f.close();
  });

  it('chunks: any chunk size (whole blocks), recycled or fresh, float32 or float64, concatenate to readFloat', async () => {
    const f = await openGguf(modelBytes);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...f.tensors.map((t) => t.name)),
        fc.integer({ min: 1, max: 2000 }),
        fc.boolean(),
        fc.constantFrom('float32' as const, 'float64' as const, undefined),
        async (name, elements, reuse, asked) => {
          const t = f.info(name);
          // the natural arrays of F16 and BF16 are their codes: those are checked by tensor() below
          const as = asked === undefined && (t.type === 'F16' || t.type === 'BF16') ? 'float32' : asked;
          const whole = want.get(name)!;
          const got = new Float64Array(t.elements);
          let next = 0;
          for await (const c of f.chunks(name, { elements, reuse, as })) {
            expect(c.start).toBe(next);
            if (t.type !== 'F32' && t.type !== 'F16' && t.type !== 'BF16') {
              // quantized types come in whole blocks, as float32 unless asked otherwise
              expect(c.data.length % GGML_TYPES[t.type].blockSize === 0 || c.start + c.data.length === t.elements).toBe(true);
              expect(c.data).toBeInstanceOf(as === 'float64' ? Float64Array : Float32Array);
            }
            got.set(c.data as ArrayLike<number>, c.start);
            next = c.start + c.data.length;
          }
          expect(next).toBe(t.elements);
          expect(got).toEqual(Float64Array.from(whole));
        },
      ),
      { numRuns: 60 },
    );
    await f.close();
  });

  it('raw chunks: whole blocks of the stored bytes, any chunk size, concatenating to the tensor\'s bytes', async () => {
    const f = await openGguf(modelBytes);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...f.tensors.map((t) => t.name)), fc.integer({ min: 1, max: 3000 }), fc.boolean(), async (name, elements, reuse) => {
        const t = f.info(name);
        const { blockSize, typeSize } = GGML_TYPES[t.type];
        const parts: number[] = [];
        let next = 0;
        for await (const c of f.chunks(name, { elements, raw: true, reuse })) {
          expect(c.start).toBe(next);
          expect(c.data.length % typeSize).toBe(0);
          // and the blocks dequantize to the values of the same range
          expect(bits(dequantizeGgml(c.data, t.type))).toEqual(bits(Float32Array.from(want.get(name)!.subarray(c.start, c.start + (c.data.length / typeSize) * blockSize))));
          parts.push(...c.data);
          next = c.start + (c.data.length / typeSize) * blockSize;
        }
        expect(next).toBe(t.elements);
        expect(Uint8Array.from(parts)).toEqual(modelBytes.subarray(t.byteOffset, t.byteOffset + t.byteLength));
      }),
      { numRuns: 40 },
    );
    await f.close();
  });

  it('tensor(): the stored values (raw blocks for quantized types), the bytes at byteOffset', async () => {
    const f = await openGguf(MODEL);
    for (const t of f.tensors) {
      const r = await f.tensor(t.name);
      const raw = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
      expect(raw).toEqual(modelBytes.subarray(t.byteOffset, t.byteOffset + t.byteLength));
      if (GGML_TYPES[t.type].quantized) {
        expect(r.data).toBeInstanceOf(Uint8Array);
        // and they dequantize to what readFloat gave
        expect(bits(dequantizeGgml(r.data as Uint8Array, t.type))).toEqual(bits(want.get(t.name)!));
      }
      expect(r.shape).toEqual(t.shape);
      expect(r.dtype).toBe(t.type);
    }
    await f.close();
  });

  it('metadata as text: integers in decimal (64-bit exact), shortest floats, booleans, arrays as JSON', async () => {
    const f = await openCheckpoint(MODEL);
    expect(f.metadata['oracle.u64']).toBe('18446744073709551615');
    expect(f.metadata['oracle.i64']).toBe('-4611686018427387904');
    expect(f.metadata['oracle.f64']).toBe('1e-300');
    expect(f.metadata['oracle.flag']).toBe('true');
    expect(f.metadata['oracle.unicode']).toBe('héllo ✓ 🦙');
    expect(f.metadata['llama.rope.freq_base']).toBe('10000');
    expect(JSON.parse(f.metadata['oracle.tokens'])).toEqual(expected.metadata['oracle.tokens']);
    expect(JSON.parse(f.metadata['oracle.scores'])).toEqual(expected.metadata['oracle.scores']);
    expect(JSON.parse(f.metadata['oracle.ints'])).toEqual(expected.metadata['oracle.ints']);
    expect(Object.getPrototypeOf(f.metadata)).toBeNull();
    // every key, in file order, each the text form of its typed value (made when first read, then kept)
    const h = (f as GgufFile).header;
    expect(Object.keys(f.metadata)).toEqual([...h.metadata.keys()]);
    const copy = JSON.parse(JSON.stringify(f.metadata)) as Record<string, string>;
    for (const [k, v] of h.metadata) expect(copy[k]).toBe(ggufValueToString(v, h.metadataTypes.get(k)!));
    expect(f.metadata['oracle.tokens']).toBe(f.metadata['oracle.tokens']);
    expect(Object.isFrozen(f.metadata)).toBe(true);
    await f.close();
  });

  it('opened by content: bytes, a Blob, a path, even under another file name', async () => {
    expect(detectFormat(modelBytes.subarray(0, 16), modelBytes.length)).toBe('gguf');
    for (const input of [modelBytes, new Blob([modelBytes]), MODEL]) {
      const f = await openCheckpoint(input, { name: 'weights.bin' });
      expect(f.format).toBe('gguf');
      expect(f.tensors).toHaveLength(10);
      await f.close();
    }
  });

  it('a folder holding one .gguf file opens that file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowp-gguf-dir-'));
    try {
      writeFileSync(join(dir, 'model-Q4_K_M.gguf'), modelBytes);
      writeFileSync(join(dir, 'README.md'), 'a model');
      const f = await openCheckpoint(dir);
      expect(f.format).toBe('gguf');
      expect(f.tensors.map((t) => t.name)).toEqual(Object.keys(expected.tensors));
      await f.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('written back with its metadata types, the file is byte for byte what gguf-py wrote', async () => {
    const f = await openGguf(modelBytes);
    const tensors: GgufTensorInput[] = [];
    for (const t of f.tensors) tensors.push({ name: t.name, type: t.type, shape: t.shape, data: (await f.tensor(t.name)).data });
    const out = writeGguf({ metadata: f.header.metadata, metadataTypes: f.header.metadataTypes, tensors });
    expect(out).toEqual(modelBytes);
    await f.close();
  });
});

describe('GgufFile: reading', () => {
  it('a read after close() is CLOSED; an unknown tensor NOT_FOUND (GgufError)', async () => {
    const f = await openGguf(modelBytes);
    await expect(f.readFloat('nope')).rejects.toMatchObject({ code: 'NOT_FOUND', format: 'gguf' });
    await f.close();
    await expect(f.tensor('norm.weight')).rejects.toBeInstanceOf(GgufError);
    await expect(f.tensor('norm.weight')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('value(): the typed value of a key', async () => {
    const f = await openGguf(modelBytes);
    expect(f.value('oracle.u64')).toBe(2n ** 64n - 1n);
    expect(f.value('missing')).toBeUndefined();
    await f.close();
  });

  it('a header larger than the first read is read in growing pieces: same header as in memory', async () => {
    // 200,000 tokens of 8-20 bytes: a 3 MB header
    const tokens = Array.from({ length: 200_000 }, (_, i) => `tok_${i.toString(36)}_${'x'.repeat(i % 12)}`);
    const bytes = writeGguf({
      metadata: { 'tokenizer.ggml.tokens': tokens, 'general.alignment': 64 },
      metadataTypes: { 'general.alignment': 'UINT32' },
      tensors: [{ name: 'w', type: 'Q8_0', shape: [2, 64], data: new Uint8Array(4 * 34).fill(1) }],
    });
    const reads: [number, number][] = [];
    const inner = bytesSource(bytes);
    const source: ByteSource = {
      size: bytes.length,
      read: async (o, n) => {
        reads.push([o, n]);
        return inner.read(o, n);
      },
    };
    // the first read made small (64 KiB instead of 4 MiB) so that a 3 MB header takes several
    const h = await readGgufFrom(source, undefined, 1 << 16);
    const mem = parseGguf(bytes);
    expect(h.tensors).toEqual(mem.tensors);
    expect(h.metadata.get('tokenizer.ggml.tokens')).toEqual(tokens);
    expect(h.alignment).toBe(64);
    expect(h.dataOffset % 64).toBe(0);
    // no byte read twice, nothing read past the header
    expect(reads.length).toBeGreaterThan(1);
    let at = 0;
    for (const [o, n] of reads) {
      expect(o).toBe(at);
      at += n;
    }
    expect(at).toBeLessThanOrEqual(4 * h.dataOffset);
    // and through the public path (one 4 MiB read here)
    expect((await readGguf(bytes)).tensors).toEqual(mem.tensors);
  });

  it('maxHeaderBytes: a larger header is TOO_LARGE; bad options are a TypeError/RangeError', async () => {
    await expect(readGguf(modelBytes, { maxHeaderBytes: 100 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(() => parseGguf(modelBytes, { maxHeaderBytes: 100 })).toThrow(/maxHeaderBytes/);
    expect(parseGguf(modelBytes, { maxHeaderBytes: 1200 }).tensors).toHaveLength(10);
    expect(() => parseGguf(modelBytes, { maxHeaderBytes: 0 })).toThrow(RangeError);
    expect(() => parseGguf(modelBytes, 'big' as never)).toThrow(TypeError);
    expect(() => parseGguf('model.gguf' as never)).toThrow(TypeError);
  });

  it('a file with no tensors (metadata only) and a zero-element tensor read fine', async () => {
    const meta = writeGguf({ metadata: { 'general.name': 'empty' } });
    const h = parseGguf(meta);
    expect(h.tensors).toEqual([]);
    expect(h.dataOffset).toBe(meta.length);
    const z = writeGguf({ tensors: [{ name: 'z', type: 'Q4_K', shape: [0, 256], data: new Uint8Array(0) }] });
    const f = await openGguf(z);
    expect(f.info('z').elements).toBe(0);
    expect(await f.readFloat('z')).toEqual(new Float32Array(0));
    const chunks = [];
    for await (const c of f.chunks('z')) chunks.push(c);
    expect(chunks).toEqual([]);
  });
});

describe('ggufValueToString', () => {
  it('float32 values: the shortest decimal that reads back to the same float32', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const s = ggufValueToString(x, 'FLOAT32');
        expect(Object.is(Math.fround(Number(s)), x)).toBe(true);
        // no shorter precision reads back
        const sig = Number(s).toExponential().replace(/^-/, '').replace(/e.*$/, '').replace('.', '').length; // of the text
        if (Number.isFinite(x) && x !== 0 && sig > 1) expect(Math.fround(Number(x.toPrecision(sig - 1)))).not.toBe(x);
      }),
      { numRuns: 2000 },
    );
  });

  it('float64 values read back exactly; -0, NaN and infinities spelled out (strings inside JSON arrays)', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(Object.is(Number(ggufValueToString(x, 'FLOAT64')), x)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(ggufValueToString(-0, 'FLOAT32')).toBe('-0');
    expect(ggufValueToString(new Float64Array([NaN, -Infinity, -0, 0.1]), 'FLOAT64[]')).toBe('["NaN","-Infinity",-0,0.1]');
    expect(JSON.parse(ggufValueToString(new Float64Array([-0]), 'FLOAT64[]'))).toEqual([-0]);
  });

  it('64-bit integers in exact decimal, in scalars and arrays; booleans; strings JSON-escaped in arrays', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), (xs) => {
        const s = ggufValueToString(BigInt64Array.from(xs), 'INT64[]');
        expect(s).toBe(`[${xs.join(',')}]`);
      }),
    );
    expect(ggufValueToString([true, false], 'BOOL[]')).toBe('[true,false]');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' })), (xs) => {
        expect(JSON.parse(ggufValueToString(xs, 'STRING[]'))).toEqual(xs);
      }),
    );
  });
});
