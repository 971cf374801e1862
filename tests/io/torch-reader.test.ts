// TorchFile on files written by tests/helpers/torch-writer.ts (an independent writer): random tensors
// of every dtype, view (offset, strides, transposes, stride 0) and container layout (zip with pickle
// protocol 2 or 4, zip64, a deflated data.pkl, big-endian storages, the legacy format) read back as the
// view's definition says; names, non-tensor values, unsupported tensors; each structural error of the
// zip, the archive layout, the storages and the legacy stream refused with its code; openCheckpoint's
// dispatch by content and sharded pytorch_model.bin indexes end to end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint, openTorch, PyObject, TorchError, TorchFile, TorchTensorRef, type PyValue } from '../../src/io/index.js';
import { crc32 } from '../../src/io/torch/zip.js';
import { LOWP_DTYPE } from '../helpers/torch-vectors.js';
import { Call, ELEMENT_SIZE, F, NewObj, Ordered, pickle, T, torchSave, Tuple, writeZip, type PyW, type SaveOptions, type StorageSpec, type TensorSpec } from '../helpers/torch-writer.js';

const tmp = mkdtempSync(join(tmpdir(), 'lowp-torch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const u8 = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 101 + (i >> 5)) & 0xff);
const st = (dtype: string, elements: number, seed = 1): StorageSpec => ({ dtype, bytes: u8(elements * ELEMENT_SIZE[dtype], seed) });

/** The view's elements by definition: storage[offset + Σ i_d · stride_d] in row-major order. */
function byDefinition(spec: TensorSpec, storageBytes: Uint8Array, size: number): Uint8Array {
  const shape = spec.shape;
  const strides = spec.strides ?? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let at = spec.offset ?? 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (rem % shape[d]) * strides[d];
      rem = Math.floor(rem / shape[d]);
    }
    out.set(storageBytes.subarray(at * size, (at + 1) * size), i * size);
  }
  return out;
}

function swapped(b: Uint8Array, size: number): Uint8Array {
  const out = b.slice();
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

async function refusal(bytes: Uint8Array, options?: Parameters<typeof openTorch>[1]): Promise<TorchError> {
  try {
    await openTorch(bytes, { name: 'x.pt', ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(TorchError);
    expect((e as Error).message).not.toMatch(/[\r\n]/);
    expect((e as Error).message).toMatch(/^x\.pt: .*expected/);
    return e as TorchError;
  }
  throw new Error('expected a refusal, got a reader');
}

const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'uint16', 'uint32', 'uint64', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu'];

const tensorCase = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    kind: fc.constantFrom('contiguous', 'transposed', 'strided', 'expanded'),
    offset: fc.nat({ max: 5 }),
    extra: fc.nat({ max: 3 }),
    v3: fc.boolean(),
    parameter: fc.boolean(),
    fromType: fc.boolean(),
    strideSeed: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }),
  })
  .map((c) => {
    const shape = c.shape;
    let strides: number[];
    if (c.kind === 'contiguous') strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    else if (c.kind === 'transposed') {
      strides = new Array(shape.length);
      let acc = 1;
      for (let d = 0; d < shape.length; d++) {
        strides[d] = acc;
        acc *= Math.max(1, shape[d]);
      }
    } else if (c.kind === 'expanded') strides = shape.map((_, i) => (i === 0 ? 0 : shape.slice(i + 1).reduce((a, b) => a * b, 1)));
    else strides = shape.map((_, i) => c.strideSeed[i]);
    const n = shape.reduce((a, b) => a * b, 1);
    const reach = n === 0 ? 0 : shape.reduce((a, s, i) => a + (s - 1) * strides[i], 0) + 1;
    return { ...c, strides, elements: c.offset + reach + c.extra };
  });

describe('random tensors read back as their view defines them', () => {
  it('every dtype and view, zip (pickle protocol 2 or 4, zip64, deflated data.pkl, big-endian) or legacy', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(tensorCase, { minLength: 1, maxLength: 4 }),
        fc.record({ protocol: fc.constantFrom(2 as const, 4 as const), zip64: fc.boolean(), deflatePickle: fc.boolean(), big: fc.boolean(), legacy: fc.boolean() }),
        async (cases, o) => {
          const legacy = o.legacy;
          const storages = new Map<string, StorageSpec>();
          const state = new Map<PyW, PyW>();
          const want = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
          cases.forEach((c, i) => {
            // the legacy format has no dtype globals: only dtypes with a storage class
            const dtype = legacy && !['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(c.dtype) ? 'float32' : c.dtype;
            const size = ELEMENT_SIZE[dtype];
            const s = st(dtype, c.elements, i);
            const spec: TensorSpec = { storage: String(i), dtype, shape: c.shape, strides: c.strides, offset: c.offset, v3: c.v3 && !legacy, parameter: c.parameter, fromType: c.fromType && !legacy };
            const little = byDefinition(spec, s.bytes as Uint8Array, size);
            storages.set(String(i), o.big && !legacy ? { dtype, bytes: swapped(s.bytes as Uint8Array, size) } : s);
            state.set(`layer.${i}.weight`, new T(spec));
            want.set(`layer.${i}.weight`, { dtype, shape: c.shape, bytes: little });
          });
          const options: SaveOptions = legacy ? { legacy: true } : { protocol: o.protocol, zip64: o.zip64, deflatePickle: o.deflatePickle, byteorder: o.big ? 'big' : 'little' };
          const file = await openTorch(torchSave(new Ordered(state), storages, options), { maxExpansion: 1000 });
          expect(file.container).toBe(legacy ? 'legacy' : 'zip');
          expect(file.names()).toEqual([...want.keys()]);
          for (const [name, w] of want) {
            const info = file.info(name);
            expect(info.dtype).toBe(LOWP_DTYPE[w.dtype]);
            expect([...info.shape]).toEqual(w.shape);
            const t = await file.tensor(name);
            expect(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(w.bytes);
            // and in chunks of 3 elements (each a gather from its own first element) as the whole read's values
            const whole = await file.readFloat(name, { as: 'float64' });
            const got: number[] = [];
            for await (const c of file.chunks(name, { elements: 3, as: 'float64' })) got.push(...c.data);
            expect(got.length).toBe(whole.length);
            got.forEach((v, k) => expect(Object.is(v, whole[k]) || (Number.isNaN(v) && Number.isNaN(whole[k]))).toBe(true));
          }
          await file.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('tied weights: one tensor object under two names shares its storage and says so', async () => {
    const w = new T({ storage: '0', dtype: 'float32', shape: [2, 3] });
    const f = await openTorch(torchSave(new Map<PyW, PyW>([['embed.weight', w], ['lm_head.weight', w]]), new Map([['0', st('float32', 6)]])));
    expect(f.info('lm_head.weight').sameAs).toBe('embed.weight');
    expect((f.value('embed.weight') as TorchTensorRef).names).toEqual(['embed.weight', 'lm_head.weight']);
    expect(await f.tensor('lm_head.weight')).toEqual({ ...(await f.tensor('embed.weight')), name: 'lm_head.weight' });
  });
});

describe('names and non-tensor values', () => {
  const t = (k: string): T => new T({ storage: k, dtype: 'float32', shape: [1] });
  const storages = new Map([['0', st('float32', 1)], ['1', st('float32', 1)], ['2', st('float32', 1)], ['3', st('float32', 1)], ['4', st('float32', 1)]]);

  it('nested dicts, lists, tuples and non-string keys join with dots; a repeated name gets #2; a root tensor is named tensor', async () => {
    const obj = new Map<PyW, PyW>([
      ['model', new Map<PyW, PyW>([['layers', [t('0'), new Map<PyW, PyW>([[7, t('1')]])]]])],
      ['a.b', t('2')],
      ['a', new Map<PyW, PyW>([['b', t('3')]])],
      [new Tuple([1, 'x']), new Tuple([t('4')])],
    ]);
    const f = await openTorch(torchSave(obj, storages));
    expect(f.names()).toEqual(['model.layers.0', 'model.layers.1.7', 'a.b', 'a.b#2', '(1, x).0']);
    expect(f.value('model.layers.1.7')).toBeInstanceOf(TorchTensorRef);
    expect(f.value(['a', 'b'])).toBe((f.value('a') as Map<PyValue, PyValue>).get('b'));
    const root = await openTorch(torchSave(t('0'), storages));
    expect(root.names()).toEqual(['tensor']);
    expect(root.value('')).toBeInstanceOf(TorchTensorRef);
  });

  it('a state dict whose keys contain dots, under a Lightning-style root: value() matches whole keys', async () => {
    const obj = new Map<PyW, PyW>([
      ['state_dict', new Ordered(new Map<PyW, PyW>([['model.layers.0.weight', t('0')]]))],
      ['epoch', 3],
      ['optimizer_states', [new Map<PyW, PyW>([['param_groups', [new Map<PyW, PyW>([['lr', new F(1)], ['betas', new Tuple([0.9, 0.999])], ['params', [0]]])]]])]],
      ['hyper_parameters', new NewObj('argparse.Namespace', new Map<PyW, PyW>([['lr', 0.001], ['w', t('1')]]))],
      ['callbacks', new Map<PyW, PyW>([["ModelCheckpoint{'monitor': 'val_loss'}", new Map<PyW, PyW>([['best_model_score', t('2')]])]])],
      ['lightning_attrs', new NewObj('lightning.fabric.utilities.data.AttributeDict', null)],
    ]);
    const f = await openTorch(torchSave(obj, storages));
    expect(f.names()).toEqual(['state_dict.model.layers.0.weight', 'hyper_parameters.w', "callbacks.ModelCheckpoint{'monitor': 'val_loss'}.best_model_score"]);
    expect(f.value('state_dict.model.layers.0.weight')).toBeInstanceOf(TorchTensorRef);
    expect(f.value('optimizer_states.0.param_groups.0.lr')).toBe(1);
    expect(f.value('optimizer_states.0.param_groups.0.betas')).toEqual([0.9, 0.999]);
    expect(f.value('hyper_parameters')).toBeInstanceOf(PyObject);
    expect(f.value('hyper_parameters.lr')).toBe(0.001);
    expect(f.value('lightning_attrs')).toEqual(new Map());
    expect(f.value('epoch.0')).toBeUndefined();
  });

  it('complex and quantized tensors are listed as unsupported, not refused, and asking for them says why (DTYPE)', async () => {
    const obj = new Map<PyW, PyW>([
      ['freqs_cis', new T({ storage: '0', dtype: 'complex64', shape: [2] })],
      ['q', new Call('torch._utils._rebuild_qtensor', [])],
      ['w', t('1')],
    ]);
    const f = await openTorch(torchSave(obj, new Map([['0', st('complex64', 2)], ['1', st('float32', 1)]])));
    expect(f.names()).toEqual(['w']);
    expect(f.unsupported.map((u) => [u.name, u.what])).toEqual([['freqs_cis', 'complex64 tensor'], ['q', 'quantized tensor']]);
    const e = await f.tensor('freqs_cis').catch((x) => x);
    expect(e).toBeInstanceOf(TorchError);
    expect(e.code).toBe('DTYPE');
    expect((await f.tensor('nope').catch((x) => x)).code).toBe('NOT_FOUND');
  });

  it('a read after close is CLOSED; storages are described', async () => {
    const f = await openTorch(torchSave(new Map<PyW, PyW>([['w', t('0')]]), storages));
    expect([...f.storages.values()].map((s) => [s.key, s.torchDtype, s.elements, s.byteLength])).toEqual([['0', 'float32', 1, 4]]);
    await f.close();
    expect((await f.tensor('w').catch((x) => x)).code).toBe('CLOSED');
  });
});

describe('structural errors are refused with their code', () => {
  const t0 = new T({ storage: '0', dtype: 'float32', shape: [2] });
  const one = new Map<PyW, PyW>([['w', t0]]);
  const s0 = new Map([['0', st('float32', 2)]]);
  const zipOf = (entries: Array<{ name: string; bytes: Uint8Array; deflate?: boolean }>, options = {}): Uint8Array => {
    const parts: Uint8Array[] = [];
    writeZip(entries, (c) => parts.push(c), options);
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  };
  const pkl = pickle(one, { storages: s0 });

  it('options: each limit must be a positive integer (RangeError naming it), and a given one applies', async () => {
    const file = torchSave(one, s0);
    for (const key of ['maxPickleBytes', 'maxDepth', 'maxTensors', 'maxObjects', 'maxMemo', 'maxExpansion']) {
      for (const bad of [0, -1, 1.5, '4', null, Number.NaN]) {
        const e = await openTorch(file, { [key]: bad }).catch((x) => x);
        expect(e).toBeInstanceOf(RangeError);
        expect(e.message).toContain(key);
      }
    }
    expect((await refusal(file, { maxPickleBytes: 1 })).code).toBe('LIMIT');
    const ok = await openTorch(file, { maxPickleBytes: 1 << 20, maxDepth: 10, maxTensors: 1, maxObjects: 1000, maxMemo: 1000, maxExpansion: 1 });
    expect(ok.names()).toEqual(['w']);
    await ok.close();
  });

  it('crc32 is zip\'s CRC-32: the standard check value, and zlib\'s crc32 on random bytes', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    // node:zlib's crc32 (Node >= 20.15) is an independent implementation; older Nodes keep the check value only
    const zcrc = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
    if (zcrc === undefined) return;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => crc32(b) === zcrc(b)));
  });

  it('zip: no end record, a cut file, entries outside the folder, two folders, duplicates, encryption, a bad CRC', async () => {
    const good = torchSave(one, s0);
    expect((await refusal(good.subarray(0, good.length - 1))).code).toBe('ZIP');
    expect((await refusal(good.subarray(0, 200))).code).toBe('ZIP');
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'b/data/0', bytes: s0.get('0')!.bytes as Uint8Array }]))).message).toMatch(/inside the archive's folder 'a\/'/);
    expect((await refusal(zipOf([{ name: 'data.pkl', bytes: pkl }]))).code).toBe('ZIP');
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'a/../x', bytes: pkl }]))).code).toBe('ZIP');
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'a/data.pkl', bytes: pkl }]))).message).toMatch(/twice/);
    // names are read as written: a leading U+FEFF is part of the name (a decoder dropping it put both in 'a/')
    const storage0 = s0.get('0')!.bytes as Uint8Array;
    expect((await refusal(zipOf([{ name: '\uFEFFa/data.pkl', bytes: pkl }, { name: 'a/data/0', bytes: storage0 }]))).message).toMatch(/inside the archive's folder/);
    const bomFolder = await openTorch(zipOf([{ name: '\uFEFFa/data.pkl', bytes: pkl }, { name: '\uFEFFa/data/0', bytes: storage0 }]));
    expect(bomFolder.names()).toEqual(['w']);
    await bomFolder.close();
    const enc = good.slice();
    // set the encryption flag of the first central directory entry
    const cd = findSig(enc, 0x02014b50);
    enc[cd + 8] |= 1;
    expect((await refusal(enc)).message).toMatch(/unencrypted/);
    const crc = good.slice();
    crc[findSig(crc, 0x02014b50) + 16] ^= 1;
    expect((await refusal(crc)).message).toMatch(/CRC-32/);
  });

  it('archive: no data.pkl, a TorchScript archive, a bad byteorder or version record', async () => {
    expect((await refusal(zipOf([{ name: 'a/other', bytes: pkl }]))).message).toMatch(/a\/data\.pkl/);
    expect((await refusal(zipOf([{ name: 'a/constants.pkl', bytes: pkl }, { name: 'a/code/x.py', bytes: pkl }]))).message).toMatch(/TorchScript/);
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'a/byteorder', bytes: new TextEncoder().encode('middle') }]))).code).toBe('FORMAT');
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'a/version', bytes: new TextEncoder().encode('x') }]))).code).toBe('FORMAT');
  });

  it('storages: a missing record, a size that disagrees, a deflated storage, one key declared twice differently, a view outside', async () => {
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }]))).code).toBe('STORAGE');
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: pkl }, { name: 'a/data/0', bytes: new Uint8Array(12) }]))).message).toMatch(/2 × float32 \(8 bytes\).*record of 12 bytes/);
    expect((await refusal(torchSave(one, s0, { deflateStorages: true }))).code).toBe('COMPRESSED');
    // the same key as a FloatStorage of 2 elements and as an UntypedStorage of 8 bytes
    const twice = new Map<PyW, PyW>([['a', t0], ['b', new T({ storage: '0', dtype: 'float16', shape: [2], v3: true })]]);
    const p2 = pickle(twice, { storages: s0 }).slice();
    expect((await refusal(zipOf([{ name: 'a/data.pkl', bytes: p2 }, { name: 'a/data/0', bytes: new Uint8Array(8) }]))).code).toBe('STORAGE');
    for (const spec of [{ shape: [3] }, { shape: [2], offset: 1 }, { shape: [2, 2], strides: [1, 1] }, { shape: [1], offset: 2 }]) {
      const e = await refusal(torchSave(new Map<PyW, PyW>([['w', new T({ storage: '0', dtype: 'float32', ...spec })]]), s0));
      expect(e.code, JSON.stringify(spec)).toBe('VIEW');
    }
  });

  it('a deflated data.pkl is read (re-zipped by a user); an unknown compression method is refused', async () => {
    const f = await openTorch(torchSave(one, s0, { deflatePickle: true }));
    expect(f.names()).toEqual(['w']);
    const bad = torchSave(one, s0).slice();
    const cd = findSig(bad, 0x02014b50);
    bad[cd + 10] = 12; // bzip2
    expect((await refusal(bad)).code).toBe('COMPRESSED');
  });

  it('legacy: a wrong magic or protocol, a count that disagrees, missing storage bytes, trailing bytes', async () => {
    const good = torchSave(one, s0, { legacy: true });
    expect((await openTorch(good)).names()).toEqual(['w']);
    expect((await refusal(pickle(new Map()))).message).toMatch(/magic number/);
    const wrongProto = Uint8Array.from([...pickle(0x1950a86a20f9469cfc6cn), ...pickle(1000)]);
    expect((await refusal(wrongProto)).message).toMatch(/protocol version 1001/);
    const count = good.slice();
    count[good.length - 16] = 3; // the int64 count before the 8 data bytes
    expect((await refusal(count)).code).toBe('STORAGE');
    expect((await refusal(good.subarray(0, good.length - 1))).code).toBe('TRUNCATED');
    expect((await refusal(Uint8Array.from([...good, 0]))).message).toMatch(/1 more bytes/);
  });

  it('views may not expand a tiny storage into more than maxExpansion times the file (TOO_LARGE)', async () => {
    const big = new Map<PyW, PyW>([['w', new T({ storage: '0', dtype: 'float32', shape: [1000, 1000], strides: [0, 0] })]]);
    expect((await refusal(torchSave(big, s0))).code).toBe('TOO_LARGE');
    const f = await openTorch(torchSave(big, s0), { maxExpansion: 1e6 });
    expect(f.info('w').elements).toBe(1e6);
  });
});

function findSig(b: Uint8Array, sig: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.length; i++) if (dv.getUint32(i, true) === sig) return i;
  throw new Error('signature not found');
}

describe('openCheckpoint: by content, and sharded pytorch_model.bin indexes', () => {
  it('a torch file renamed .safetensors opens as torch; unknown bytes named .pt get the torch reader FORMAT error', async () => {
    const bytes = torchSave(new Map<PyW, PyW>([['w', new T({ storage: '0', dtype: 'float32', shape: [2] })]]), new Map([['0', st('float32', 2)]]));
    const p = join(tmp, 'renamed.safetensors');
    writeFileSync(p, bytes);
    const r = await openCheckpoint(p);
    expect(r).toBeInstanceOf(TorchFile);
    await r.close();
    const e = await openCheckpoint(new Uint8Array(64).fill(7), { name: 'model.pt' }).catch((x) => x);
    expect(e).toBeInstanceOf(TorchError);
    expect(e.code).toBe('FORMAT');
  });

  it('pytorch_model.bin.index.json with torch shards, and a folder with pytorch_model.bin, open end to end', async () => {
    const dir = mkdtempSync(join(tmp, 'sharded-'));
    const a = new T({ storage: '0', dtype: 'bfloat16', shape: [2, 2] });
    const b = new T({ storage: '0', dtype: 'float32', shape: [3] });
    writeFileSync(join(dir, 'pytorch_model-00001-of-00002.bin'), torchSave(new Ordered(new Map<PyW, PyW>([['model.a', a]])), new Map([['0', st('bfloat16', 4)]]), { folder: 'pytorch_model-00001-of-00002' }));
    writeFileSync(join(dir, 'pytorch_model-00002-of-00002.bin'), torchSave(new Ordered(new Map<PyW, PyW>([['model.b', b]])), new Map([['0', st('float32', 3)]]), { legacy: true }));
    writeFileSync(join(dir, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: { total_size: 20 }, weight_map: { 'model.a': 'pytorch_model-00001-of-00002.bin', 'model.b': 'pytorch_model-00002-of-00002.bin' } }));
    for (const input of [join(dir, 'pytorch_model.bin.index.json'), dir]) {
      const r = await openCheckpoint(input);
      expect(r.format).toBe('torch');
      expect(r.names()).toEqual(['model.a', 'model.b']);
      expect((await r.tensor('model.b')).data).toEqual(new Float32Array((st('float32', 3).bytes as Uint8Array).buffer));
      await r.close();
    }
    const single = mkdtempSync(join(tmp, 'single-'));
    writeFileSync(join(single, 'pytorch_model.bin'), torchSave(new Ordered(new Map<PyW, PyW>([['w', b]])), new Map([['0', st('float32', 3)]])));
    writeFileSync(join(single, 'training_args.bin'), torchSave(new NewObj('transformers.training_args.TrainingArguments', new Map())));
    const r = await openCheckpoint(single);
    expect(r.names()).toEqual(['w']);
    await r.close();
  });
});
