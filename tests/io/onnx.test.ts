// lowp/io's ONNX reader against its oracles: the PyTorch-exported vector model (names and shapes of
// activations.json, the embedded and the external-data copy byte for byte, and a slow twin decoder
// (onnx-twin.ts) for every value); models built here with every data type in raw_data and in each
// typed field (packed and unpacked), which must read the same bytes; chunked reads equal to whole reads
// (typed varint fields across window boundaries included); the file walked in memory and walked on disk
// give the same result; external data rules; subgraph initializer names; and one named error per kind
// of broken file.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  elementCodec,
  encodeOnnxModel,
  OnnxError,
  openCheckpoint,
  openOnnx,
  type OnnxGraphInit,
  type OnnxTensorInit,
  type TensorReader,
} from '../../src/io/index.js';
import { FIXTURES, SHARED_VECTORS } from '../helpers/vectors.js';
import { twinInitializers } from './onnx-twin.js';

const ONNX_DIR = existsSync(join(SHARED_VECTORS, 'onnx', 'model.onnx')) ? join(SHARED_VECTORS, 'onnx') : join(FIXTURES, 'onnx');
const tmp = mkdtempSync(join(tmpdir(), 'lowp-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rawBytes(r: TensorReader, name: string): Promise<Uint8Array> {
  const t = await r.tensor(name);
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
}

async function chunkedFloats(r: TensorReader, name: string, elements: number): Promise<Float64Array> {
  const parts: number[] = [];
  for await (const c of r.chunks(name, { elements, as: 'float64' })) parts.push(...c.data);
  return Float64Array.from(parts);
}

function model(graph: Partial<OnnxGraphInit>): Uint8Array {
  return encodeOnnxModel({ graph: { nodes: [], ...graph } });
}

describe('the vector model (PyTorch 2.13 export, activations.json)', () => {
  const oracle = JSON.parse(readFileSync(join(ONNX_DIR, 'activations.json'), 'utf8')) as { initializers: Record<string, number[]> };

  for (const which of ['model.onnx', 'external/model.onnx']) {
    it(`${which}: the initializers' names and shapes are activations.json's, in file order`, async () => {
      const r = await openCheckpoint(join(ONNX_DIR, which));
      expect(r.format).toBe('onnx');
      expect(r.tensors.map((t) => t.name)).toEqual(Object.keys(oracle.initializers));
      for (const t of r.tensors) {
        expect([...t.shape], t.name).toEqual(oracle.initializers[t.name]);
        expect(t.dtype).toBe('F32');
        expect(t.byteLength).toBe(4 * t.elements);
      }
      expect(r.metadata['onnx.opset']).toBe('ai.onnx:17');
      await r.close();
    });
  }

  it('the embedded and the external-data model hold the same bytes, and both equal the twin decoder', async () => {
    const a = await openOnnx(join(ONNX_DIR, 'model.onnx'));
    const b = await openOnnx(join(ONNX_DIR, 'external', 'model.onnx'));
    expect(b.tensors.every((t) => t.storage === 'external' && t.external?.location === 'model.onnx.data')).toBe(true);
    const twin = new Map(twinInitializers(new Uint8Array(readFileSync(join(ONNX_DIR, 'model.onnx')))).map((x) => [x.name, x.tensor]));
    for (const t of a.tensors) {
      const x = Buffer.from(await rawBytes(a, t.name));
      expect(x.equals(await rawBytes(b, t.name)), t.name).toBe(true);
      expect(x.equals(twin.get(t.name)?.bytes as Uint8Array), t.name).toBe(true);
    }
    await a.close();
    await b.close();
  });

  it('the decoded graph: 99 nodes in file order, the input and the output with their types', async () => {
    const r = await openOnnx(join(ONNX_DIR, 'model.onnx'));
    const g = r.model.graph;
    expect(g.nodes).toHaveLength(99);
    expect(g.nodes[0]).toMatchObject({ name: 'Identity_18', opType: 'Identity', inputs: ['blocks.0.ln1.bias'], outputs: ['norm.bias'] });
    expect(g.inputs).toEqual([{ name: 'input_ids', type: { kind: 'tensor', elemType: 7, shape: [1, 24] } }]);
    expect(g.outputs.map((o) => o.name)).toEqual(['logits']);
    const mask = g.nodes.find((n) => n.name === '/Constant_1');
    expect(mask?.attributes[0].t?.dims).toEqual([24, 24]);
    await r.close();
  });

  it('walking the file on disk field by field (smallMessage 64) gives what reading it whole gives', async () => {
    const a = await openOnnx(join(ONNX_DIR, 'model.onnx'));
    const b = await openOnnx(join(ONNX_DIR, 'model.onnx'), { smallMessage: 64 });
    expect(JSON.stringify(b.model)).toBe(JSON.stringify(a.model));
    expect(b.tensors).toEqual(a.tensors);
    await a.close();
    await b.close();
  });
});

// ---- every data type, raw_data and typed fields

interface TypeCase {
  onnx: number;
  dtype: string;
  /** random stored values: raw bytes for `n` elements, and the typed field's values */
  gen: fc.Arbitrary<{ raw: Uint8Array; typed: Partial<OnnxTensorInit> }>;
}

function bytesOf(n: number, size: number, fill: (dv: DataView, i: number) => void): Uint8Array {
  const b = new Uint8Array(n * size);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < n; i++) fill(dv, i);
  return b;
}

const intCase = (onnx: number, dtype: string, size: number, min: number, max: number): TypeCase => ({
  onnx,
  dtype,
  gen: fc.array(fc.integer({ min, max }), { maxLength: 40 }).map((v) => ({
    raw: bytesOf(v.length, size, (dv, i) => (size === 1 ? dv.setUint8(i, v[i] & 0xff) : size === 2 ? dv.setUint16(2 * i, v[i] & 0xffff, true) : dv.setInt32(4 * i, v[i], true))),
    typed: { int32Data: v },
  })),
});

const TYPE_CASES: (TypeCase & { elements: (raw: Uint8Array) => number })[] = [
  { onnx: 1, dtype: 'F32', gen: fc.array(fc.float({ noNaN: true }), { maxLength: 40 }).map((v) => ({ raw: bytesOf(v.length, 4, (dv, i) => dv.setFloat32(4 * i, v[i], true)), typed: { floatData: v } })), elements: (r) => r.length / 4 },
  { onnx: 11, dtype: 'F64', gen: fc.array(fc.double({ noNaN: true }), { maxLength: 40 }).map((v) => ({ raw: bytesOf(v.length, 8, (dv, i) => dv.setFloat64(8 * i, v[i], true)), typed: { doubleData: v } })), elements: (r) => r.length / 8 },
  { ...intCase(2, 'U8', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(3, 'I8', 1, -128, 127), elements: (r) => r.length },
  { ...intCase(4, 'U16', 2, 0, 65535), elements: (r) => r.length / 2 },
  { ...intCase(5, 'I16', 2, -32768, 32767), elements: (r) => r.length / 2 },
  { ...intCase(6, 'I32', 4, -2147483648, 2147483647), elements: (r) => r.length / 4 },
  { ...intCase(10, 'F16', 2, 0, 65535), elements: (r) => r.length / 2 },
  { ...intCase(16, 'BF16', 2, 0, 65535), elements: (r) => r.length / 2 },
  { ...intCase(17, 'F8_E4M3', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(18, 'F8_E4M3FNUZ', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(19, 'F8_E5M2', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(20, 'F8_E5M2FNUZ', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(24, 'F8_E8M0', 1, 0, 255), elements: (r) => r.length },
  { ...intCase(9, 'BOOL', 1, 0, 1), elements: (r) => r.length },
  {
    onnx: 7, dtype: 'I64',
    gen: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 40 }).map((v) => ({ raw: bytesOf(v.length, 8, (dv, i) => dv.setBigInt64(8 * i, v[i], true)), typed: { int64Data: v } })),
    elements: (r) => r.length / 8,
  },
  {
    onnx: 13, dtype: 'U64',
    gen: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 40 }).map((v) => ({ raw: bytesOf(v.length, 8, (dv, i) => dv.setBigUint64(8 * i, v[i], true)), typed: { uint64Data: v } })),
    elements: (r) => r.length / 8,
  },
  {
    onnx: 12, dtype: 'U32',
    gen: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 40 }).map((v) => ({ raw: bytesOf(v.length, 4, (dv, i) => dv.setUint32(4 * i, v[i], true)), typed: { uint64Data: v } })),
    elements: (r) => r.length / 4,
  },
];

// 4-bit types: `n` elements in ceil(n / 2) bytes; the typed field holds the bytes as int32_data values
const NIBBLE_CASES = [
  { onnx: 21, dtype: 'U4' },
  { onnx: 22, dtype: 'I4' },
  { onnx: 23, dtype: 'F4' },
];

describe('every data type lowp knows, in raw_data and in its typed field', () => {
  for (const c of TYPE_CASES) {
    it(`${c.dtype} (ONNX type ${c.onnx}): raw_data, packed and unpacked typed values read the same bytes, whole and in chunks`, async () => {
      await fc.assert(
        fc.asyncProperty(c.gen, fc.integer({ min: 1, max: 7 }), async ({ raw, typed }, chunk) => {
          const n = c.elements(raw);
          const bytes = model({
            initializers: [
              { name: 'raw', dataType: c.onnx, dims: [n], raw },
              { name: 'packed', dataType: c.onnx, dims: [n], ...typed },
              { name: 'unpacked', dataType: c.onnx, dims: [n], ...typed, unpacked: true },
            ],
          });
          const r = await openOnnx(bytes);
          expect(r.tensors.map((t) => t.dtype)).toEqual([c.dtype, c.dtype, c.dtype]);
          const whole = await r.readFloat('raw', { as: 'float64' });
          for (const name of ['raw', 'packed', 'unpacked']) {
            expect(await rawBytes(r, name), name).toEqual(raw);
            expect(await chunkedFloats(r, name, chunk), `${name} in chunks of ${chunk}`).toEqual(whole);
          }
          if (n > 0 && c.dtype !== 'I64' && c.dtype !== 'U64') {
            const want = new Float64Array(n);
            elementCodec(c.dtype).decode(raw, n, want);
            expect(await r.readFloat('packed', { as: 'float64' })).toEqual(want);
          }
          await r.close();
        }),
        { numRuns: 40 },
      );
    });
  }

  for (const c of NIBBLE_CASES) {
    it(`${c.dtype} (ONNX type ${c.onnx}): two values per byte in raw_data and in int32_data, odd counts included`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 41 }), fc.integer({ min: 1, max: 9 }), async (nibbles, chunk) => {
          const n = nibbles.length;
          const packed = new Uint8Array(Math.ceil(n / 2));
          nibbles.forEach((q, i) => (packed[i >> 1] |= q << (4 * (i & 1))));
          const r = await openOnnx(model({
            initializers: [
              { name: 'raw', dataType: c.onnx, dims: [n], raw: packed },
              { name: 'typed', dataType: c.onnx, dims: [n], int32Data: [...packed] },
            ],
          }));
          for (const name of ['raw', 'typed']) {
            expect(await rawBytes(r, name)).toEqual(packed);
            const want = new Float32Array(n);
            elementCodec(c.dtype).decode(packed, n, want);
            expect(await r.readFloat(name, { as: 'float32' })).toEqual(want);
            const pieces: number[] = [];
            for await (const ch of r.chunks(name, { elements: chunk, as: 'float32' })) pieces.push(...ch.data);
            expect(Float32Array.from(pieces)).toEqual(want);
          }
          await r.close();
        }),
        { numRuns: 40 },
      );
    });
  }

  it('fp16 bits in int32_data decode to the fp16 values (1, -2, 65504, the smallest subnormal)', async () => {
    const r = await openOnnx(model({ initializers: [{ name: 'h', dataType: 10, dims: [2, 2], int32Data: [0x3c00, 0xc000, 0x7bff, 0x0001] }] }));
    expect([...(await r.readFloat('h', { as: 'float64' }))]).toEqual([1, -2, 65504, 2 ** -24]);
    expect(r.info('h').shape).toEqual([2, 2]);
    await r.close();
  });

  it('a typed varint field of 1.5 MB (crossing the 1 MiB read window) streams in chunks exactly like a whole read', async () => {
    const n = 300_000;
    const v = new Int32Array(n);
    for (let i = 0; i < n; i++) v[i] = ((i * 2654435761) | 0) ^ (i << 3);
    const r = await openOnnx(model({ initializers: [{ name: 'big', dataType: 6, dims: [n], int32Data: v }] }), { smallMessage: 1024 });
    const same = (a: Int32Array): boolean => a.length === v.length && a.every((x, i) => x === v[i]);
    expect(same(new Int32Array((await r.tensor('big')).data.buffer as ArrayBuffer))).toBe(true);
    for (const chunk of [65_536, 99_999]) {
      const got = new Int32Array(n);
      for await (const c of r.chunks('big', { elements: chunk })) got.set(c.data as Int32Array, c.start);
      expect(same(got), `chunks of ${chunk}`).toBe(true);
    }
    await r.close();
  });

  it('strings, complex and 2-bit tensors are listed and refused when read (DTYPE)', async () => {
    const r = await openOnnx(model({ initializers: [{ name: 's', dataType: 8, dims: [1] }, { name: 'c', dataType: 14, dims: [2], floatData: [1, 2, 3, 4] }, { name: 'q', dataType: 25, dims: [4], raw: new Uint8Array(1) }] }));
    expect(r.tensors.map((t) => [t.dtype, t.storage])).toEqual([['STRING', 'unread'], ['COMPLEX64', 'unread'], ['UINT2', 'unread']]);
    for (const name of ['s', 'c', 'q']) await expect(r.tensor(name)).rejects.toMatchObject({ code: 'DTYPE' });
    await r.close();
  });

  it('a tensor without elements and without data reads as empty', async () => {
    const r = await openOnnx(model({ initializers: [{ name: 'e', dataType: 1, dims: [0, 3] }] }));
    expect(r.info('e')).toMatchObject({ elements: 0, byteLength: 0, storage: 'empty' });
    expect((await r.readFloat('e')).length).toBe(0);
    await r.close();
  });

  it('names are read byte for byte: a leading U+FEFF is kept, not stripped as a byte order mark', async () => {
    const bytes = model({ initializers: [{ name: '\uFEFFw', dataType: 1, dims: [1], floatData: [1] }, { name: 'w', dataType: 1, dims: [1], floatData: [2] }] });
    const r = await openOnnx(bytes);
    expect(r.tensors.map((t) => t.name)).toEqual(['\uFEFFw', 'w']);
    expect(Array.from(await r.readFloat('\uFEFFw'))).toEqual([1]);
    expect(twinInitializers(bytes).map((t) => t.name)).toEqual(['\uFEFFw', 'w']);
    await r.close();
  });
});

// ---- subgraphs

describe('subgraphs of If/Loop/Scan', () => {
  it('initializers of then/else branches and nested bodies get the documented unique names', async () => {
    const w = (v: number): OnnxTensorInit => ({ name: 'w', dataType: 1, dims: [1], floatData: [v] });
    const inner: OnnxGraphInit = { nodes: [], initializers: [w(3)] };
    const bytes = model({
      initializers: [w(0), { name: 'If_0::then_branch::w', dataType: 1, dims: [1], floatData: [9] }],
      nodes: [
        { name: 'If_0', opType: 'If', inputs: ['c'], outputs: ['y'], attributes: [
          { name: 'then_branch', g: { nodes: [{ opType: 'Loop', inputs: [], outputs: [], attributes: [{ name: 'body', g: inner }] }], initializers: [w(1)] } },
          { name: 'else_branch', g: { nodes: [], initializers: [w(2)] } },
        ] },
        { opType: 'SequenceMap', inputs: [], outputs: [], attributes: [{ name: 'bodies', graphs: [inner, inner] }] },
      ],
    });
    const r = await openOnnx(bytes);
    expect(r.names()).toEqual([
      'w',
      'If_0::then_branch::w',
      'If_0::then_branch::w~2',
      'If_0::then_branch::Loop#0::body::w',
      'If_0::else_branch::w',
      'SequenceMap#1::bodies[0]::w',
      'SequenceMap#1::bodies[1]::w',
    ]);
    const values = await Promise.all(r.names().map(async (n) => (await r.readFloat(n))[0]));
    expect(values).toEqual([0, 9, 1, 3, 2, 3, 3]);
    expect(r.info('If_0::then_branch::w~2')).toMatchObject({ onnxName: 'w', graph: 'If_0::then_branch' });
    expect(twinInitializers(bytes).map((x) => x.name)).toEqual(r.names());
    const main = await openOnnx(bytes, { subgraphs: false });
    expect(main.names()).toEqual(['w', 'If_0::then_branch::w']);
    await r.close();
    await main.close();
  });
});

// ---- external data

describe('external data', () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const dataBytes = new Uint8Array(data.buffer);
  const ext = (location: string, offset = 4, length?: number): Uint8Array =>
    model({ initializers: [{ name: 'x', dataType: 1, dims: [2], externalData: { location, offset: String(offset), ...(length !== undefined ? { length: String(length) } : {}) } }] });

  function folder(name: string, files: Record<string, Uint8Array>): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, b] of Object.entries(files)) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), b);
    }
    return dir;
  }

  it('a model on disk reads its data file next to it, at the offset (subfolders allowed)', async () => {
    const dir = folder('ok', { 'm.onnx': ext('weights/d.bin'), 'weights/d.bin': dataBytes });
    for (const r of [await openOnnx(join(dir, 'm.onnx')), await openCheckpoint(join(dir, 'm.onnx')), await openCheckpoint(dir)]) {
      expect([...(await r.readFloat('x'))]).toEqual([2, 3]);
      await r.close();
    }
  });

  it('a model given as bytes needs options.externalData: refused without, read with a map, an object or a function', async () => {
    const bytes = ext('d.bin');
    await expect(openOnnx(bytes)).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
    await expect(openCheckpoint(bytes)).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
    for (const externalData of [{ 'd.bin': dataBytes }, new Map([['d.bin', new Blob([dataBytes])]]), (loc: string) => (loc === 'd.bin' ? dataBytes : new Uint8Array(0))]) {
      const r = await openOnnx(bytes, { externalData });
      expect([...(await r.readFloat('x'))]).toEqual([2, 3]);
      await r.close();
    }
    await expect(openOnnx(bytes, { externalData: { 'other.bin': dataBytes } })).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
  });

  it('an externalData option that is none of a folder, a map, an object or a function is a TypeError, through openCheckpoint too', async () => {
    const bytes = ext('d.bin');
    for (const externalData of [42, dataBytes, true]) {
      await expect(openOnnx(bytes, { externalData } as never)).rejects.toBeInstanceOf(TypeError);
      await expect(openCheckpoint(bytes, { externalData } as never)).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('locations that leave the model folder are refused: absolute paths, drive letters, ".." segments, symbolic links out', async () => {
    const outside = folder('outside', { 'd.bin': dataBytes });
    const dir = folder('hostile', { 'd.bin': dataBytes });
    symlinkSync(join(outside, 'd.bin'), join(dir, 'link.bin'));
    symlinkSync(join(dir, 'd.bin'), join(dir, 'inside-link.bin'));
    for (const location of [join(outside, 'd.bin'), '../outside/d.bin', 'sub/../../outside/d.bin', '..\\outside\\d.bin', 'C:\\d.bin', '\\\\host\\share\\d.bin', 'link.bin', 'd.bin\0x']) {
      writeFileSync(join(dir, 'm.onnx'), ext(location));
      const e = await openOnnx(join(dir, 'm.onnx')).catch((x: unknown) => x);
      expect(e, location).toBeInstanceOf(OnnxError);
      expect((e as OnnxError).code, location).toBe('EXTERNAL_DATA');
      // the location rules hold whoever opens the file (a link is only known on disk)
      if (location !== 'link.bin') await expect(openOnnx(ext(location), { externalData: () => dataBytes }), location).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
    }
    writeFileSync(join(dir, 'm.onnx'), ext('inside-link.bin'));
    const ok = await openOnnx(join(dir, 'm.onnx'));
    expect([...(await ok.readFloat('x'))]).toEqual([2, 3]);
    await ok.close();
  });

  it('offset and length are checked against the data file and the tensor when the model is opened', async () => {
    const files = { 'd.bin': dataBytes };
    for (const [bytes, why] of [
      [ext('d.bin', 20), 'runs past the end'],
      [ext('d.bin', 0, 4), 'length differs from the tensor'],
      [model({ initializers: [{ name: 'x', dataType: 1, dims: [2], externalData: { location: 'd.bin', offset: '-4' } }] }), 'negative offset'],
      [model({ initializers: [{ name: 'x', dataType: 1, dims: [2], externalData: { location: 'd.bin', offset: '1e3' } }] }), 'not a decimal'],
      [model({ initializers: [{ name: 'x', dataType: 1, dims: [2], externalData: { offset: '0' } }] }), 'no location'],
      [ext('missing.bin'), 'missing file'],
    ] as [Uint8Array, string][]) {
      await expect(openOnnx(bytes, { externalData: files }), why).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
    }
    const dir = folder('missing', { 'm.onnx': ext('nope.bin') });
    await expect(openOnnx(join(dir, 'm.onnx'))).rejects.toMatchObject({ code: 'EXTERNAL_DATA' });
  });
});

// ---- broken files: one named error each

describe('broken files: one OnnxError with a stable code and a one-line message', () => {
  const good = model({ initializers: [{ name: 'w', dataType: 1, dims: [2], floatData: [1, 2] }] });
  const cases: [string, Uint8Array, string][] = [
    ['cut in the middle', good.subarray(0, good.length - 3), 'TRUNCATED'],
    ['a varint of 11 bytes', Uint8Array.from([0x08, ...new Array(10).fill(0xff), 0x01]), 'PROTOBUF'],
    ['field number 0', Uint8Array.from([0x08, 0x01, 0x00]), 'PROTOBUF'],
    ['wire type 7', Uint8Array.from([0x08, 0x01, 0x0f]), 'PROTOBUF'],
    ['graph with the wrong wire type', Uint8Array.from([0x08, 0x01, 0x38, 0x01]), 'PROTOBUF'],
    ['no graph', Uint8Array.from([0x08, 0x07]), 'MODEL'],
    ['raw_data of the wrong size', model({ initializers: [{ name: 'w', dataType: 1, dims: [3], raw: new Uint8Array(8) }] }), 'MODEL'],
    ['no data type', model({ initializers: [{ name: 'w', dataType: 0, dims: [1], raw: new Uint8Array(4) }] }), 'MODEL'],
    ['two data fields', model({ initializers: [{ name: 'w', dataType: 1, dims: [1], raw: new Uint8Array(4), floatData: [1] }] }), 'MODEL'],
    ['the wrong typed field', model({ initializers: [{ name: 'w', dataType: 1, dims: [1], int32Data: [1] }] }), 'MODEL'],
    ['fewer typed values than elements', model({ initializers: [{ name: 'w', dataType: 10, dims: [3], int32Data: [1, 2] }] }), 'MODEL'],
    ['values without data', model({ initializers: [{ name: 'w', dataType: 1, dims: [3] }] }), 'MODEL'],
    ['a repeated initializer name', model({ initializers: [{ name: 'w', dataType: 1, dims: [1], floatData: [1] }, { name: 'w', dataType: 1, dims: [1], floatData: [1] }] }), 'MODEL'],
    ['dims past 2^53 elements', model({ initializers: [{ name: 'w', dataType: 1, dims: [2 ** 30, 2 ** 30], raw: new Uint8Array(4) }] }), 'MODEL'],
    ['a name that is not UTF-8', Uint8Array.from([0x08, 0x01, 0x3a, 0x06, 0x2a, 0x04, 0x42, 0x02, 0xc3, 0x28]), 'MODEL'],
  ];
  for (const [what, bytes, code] of cases) {
    it(`${what}: ${code}`, async () => {
      const e = await openOnnx(bytes).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(OnnxError);
      expect((e as OnnxError).code).toBe(code);
      expect((e as OnnxError).message).not.toMatch(/[\r\n]/);
    });
  }

  it('values out of range of their type in int32_data are refused when read (MODEL), never wrapped', async () => {
    const r = await openOnnx(model({ initializers: [
      { name: 'h', dataType: 10, dims: [1], int32Data: [70000] },
      { name: 'i8', dataType: 3, dims: [1], int32Data: [200] },
      { name: 'u32', dataType: 12, dims: [1], uint64Data: [2n ** 32n] },
    ] }));
    for (const n of ['h', 'i8', 'u32']) await expect(r.tensor(n), n).rejects.toMatchObject({ code: 'MODEL' });
    await r.close();
  });

  it('a packed run of varints cut in the middle of a varint is found where the walk meets it, in memory and field by field alike (before a later error)', async () => {
    // the metadata comes after the graph: cutting the file's last byte breaks it, a later error than the run's
    const ok = encodeOnnxModel({ metadata: { author: 'lowp' }, graph: { nodes: [], initializers: [{ name: 'a-name-long-enough-to-walk-the-tensor-key-by-key', dataType: 5, dims: [2], int32Data: [1, 200] }] } });
    let at = -1;
    for (let i = 0; i + 3 <= ok.length; i++) if (ok[i] === 0x01 && ok[i + 1] === 0xc8 && ok[i + 2] === 0x01) at = i + 2;
    expect(at).toBeGreaterThan(0);
    const cut = ok.slice(0, -1);
    cut[at] = 0x81; // the run's last byte now says that a varint goes on
    for (const smallMessage of [undefined, 16]) {
      await expect(openOnnx(cut, { smallMessage }), String(smallMessage)).rejects.toMatchObject({ code: 'PROTOBUF', message: expect.stringMatching(/packed varints/) });
      await expect(openOnnx(ok.slice(0, -1), { smallMessage }), String(smallMessage)).rejects.toMatchObject({ code: 'TRUNCATED' });
      const r = await openOnnx(ok, { smallMessage });
      expect([...(await r.tensor(r.tensors[0].name)).data]).toEqual([1, 200]);
      await r.close();
    }
  });

  it('groups (wire types 3 and 4) in unknown fields: skipped alike in memory and field by field, even 100 KB long; an end that closes another group, an end without a start and 33 nested groups are PROTOBUF', async () => {
    const varint = (n: number): number[] => { const out = []; for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80); out.push(n); return out; };
    const start = (f: number): number[] => varint(f * 8 + 3);
    const end = (f: number): number[] => varint(f * 8 + 4);
    const payload = new Array(100_000).fill(7);
    const withTail = (tail: number[]): Uint8Array => Uint8Array.from([...good, ...tail]);
    const accepted = [
      [...start(99), 0x0a, ...varint(payload.length), ...payload, ...start(5), 0x08, 0x01, ...end(5), 0x15, 1, 2, 3, 4, ...end(99)],
      [...start(99), ...end(99)],
    ];
    for (const tail of accepted) {
      for (const smallMessage of [undefined, 16]) {
        const r = await openOnnx(withTail(tail), { smallMessage });
        expect(r.tensors.map((t) => t.name), `${tail.length} ${smallMessage}`).toEqual(['w']);
        expect([...(await r.tensor('w')).data]).toEqual([1, 2]);
        await r.close();
      }
    }
    const refused = [
      [...start(99), 0x08, 0x01, ...end(98)],
      [...start(99), ...start(5), ...end(99), ...end(5)],
      end(98),
      [...Array.from({ length: 33 }, () => start(7)).flat(), ...Array.from({ length: 33 }, () => end(7)).flat()],
    ];
    for (const tail of refused) {
      for (const smallMessage of [undefined, 16]) {
        await expect(openOnnx(withTail(tail), { smallMessage }), `${tail.slice(0, 6)} ${smallMessage}`).rejects.toMatchObject({ code: 'PROTOBUF' });
      }
    }
  });

  it('nesting deeper than maxDepth is refused (PROTOBUF), never a stack overflow', async () => {
    let g: OnnxGraphInit = { nodes: [] };
    for (let i = 0; i < 40; i++) g = { nodes: [{ opType: 'If', inputs: [], outputs: [], attributes: [{ name: 'then_branch', g }] }] };
    const bytes = model(g);
    await expect(openOnnx(bytes)).rejects.toMatchObject({ code: 'PROTOBUF' });
    await expect(openOnnx(bytes, { maxDepth: 200 })).resolves.toBeDefined();
    await expect(openOnnx(bytes, { maxMessages: 10 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('a model file read after close() fails with CLOSED', async () => {
    const r = await openOnnx(good);
    await r.close();
    await expect(r.tensor('w')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
