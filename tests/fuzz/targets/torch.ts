// Fuzz target: PyTorch torch.save files. Seeds are written by tests/helpers/torch-writer.ts (zip with
// pickle protocols 2 and 4, zip64 with a deflated data.pkl, big-endian storages, the legacy format) with
// contiguous, transposed, sliced, expanded and tied tensors of several dtypes; what each must yield is
// computed here from the view's definition. Every case is read through openTorch over a counting source
// (whole, as floats, in chunks) and through openCheckpoint on the bytes, which must agree. An accepted
// zip file is checked against a reference decoder written here from the format's description (a plain
// zip directory walk and a small stack machine for the opcodes torch.save writes), which also says
// "invalid" where a view leaves its storage or a record's size disagrees. Records are the central
// directory's entries (the end record's counts repaired); structured mutants are fresh files of random
// tensors, some with a storage of the wrong size or a view out of range.
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { detectFormat, DETECT_BYTES, LowpIoError, openCheckpoint, openTorch, TorchError, type TorchFile, type TorchTensorInfo } from '../../../src/io/index.js';
import { ELEMENT_SIZE, Ordered, pickle, T, Tuple, torchSave, type PyW, type SaveOptions, type StorageSpec, type TensorSpec } from '../../helpers/torch-writer.js';
import { applyMutation, FuzzCheckError, mutationArb, readAll, type ExpectedTensor, type FuzzSeed, type FuzzTarget, type PayloadRange, type ReadTensor, type ReferenceResult } from '../harness.js';

const LOWP: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8',
  bool: 'BOOL', uint16: 'U16', uint32: 'U32', uint64: 'U64', float8_e4m3fn: 'F8_E4M3', float8_e5m2: 'F8_E5M2', float8_e4m3fnuz: 'F8_E4M3FNUZ',
  float8_e5m2fnuz: 'F8_E5M2FNUZ', float8_e8m0fnu: 'F8_E8M0',
};

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 73 + seed * 151 + (i >> 3) * 29 + 11) & 0xff);

function rowMajor(shape: readonly number[]): number[] {
  return shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
}

/** The view's elements by definition (little-endian element bytes). */
function gather(shape: readonly number[], strides: readonly number[], offset: number, size: number, storage: Uint8Array, big = false): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let at = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (rem % shape[d]) * strides[d];
      rem = Math.floor(rem / shape[d]);
    }
    const e = storage.subarray(at * size, (at + 1) * size);
    out.set(big ? e.slice().reverse() : e, i * size);
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

interface SeedTensor {
  name: string;
  spec: TensorSpec;
  /** Whether its storage is its own and its view contiguous (payload edits then change only it). */
  payload?: boolean;
}

/** How each seed was written, for structured mutants that re-write it with a mutated pickle. */
const WRITTEN = new Map<string, { obj: PyW; storages: Map<string, StorageSpec>; options: SaveOptions }>();

function makeSeed(name: string, tensors: SeedTensor[], storages: Map<string, StorageSpec>, options: SaveOptions, extra: Array<[PyW, PyW]> = []): FuzzSeed {
  const obj = new Ordered(new Map<PyW, PyW>([...tensors.map((t): [PyW, PyW] => [t.name, new T(t.spec)]), ...extra]));
  // tied weights: the same T instance under two names
  const byStorage = new Map<string, T>();
  for (const [k, v] of obj.map) {
    if (v instanceof T && typeof k === 'string' && k.endsWith('.tied')) obj.map.set(k, byStorage.get(v.spec.storage) ?? v);
    else if (v instanceof T) byStorage.set(v.spec.storage, v);
  }
  const big = options.byteorder === 'big';
  const written = new Map([...storages].map(([k, s]): [string, StorageSpec] => [k, big ? { ...s, bytes: swapEach(s.bytes as Uint8Array, ELEMENT_SIZE[s.dtype]) } : s]));
  const bytes = torchSave(obj, written, options);
  WRITTEN.set(name, { obj, storages: written, options });
  const expected: ExpectedTensor[] = tensors.map((t) => {
    const s = storages.get(t.spec.storage)!;
    const size = ELEMENT_SIZE[t.spec.dtype];
    return { name: t.name, dtype: LOWP[t.spec.dtype], shape: t.spec.shape, bytes: gather(t.spec.shape, t.spec.strides ?? rowMajor(t.spec.shape), t.spec.offset ?? 0, size, s.bytes as Uint8Array) };
  });
  const payload: PayloadRange[] = [];
  for (const t of tensors) {
    if (!t.payload || big) continue;
    const s = storages.get(t.spec.storage)!.bytes as Uint8Array;
    const at = indexOf(bytes, s);
    if (at < 0 || indexOf(bytes.subarray(at + 1), s) >= 0) throw new Error(`seed ${name}: storage of ${t.name} not found once`);
    const size = ELEMENT_SIZE[t.spec.dtype];
    payload.push({ tensor: t.name, fileOffset: at + (t.spec.offset ?? 0) * size, byteLength: expected.find((e) => e.name === t.name)!.bytes.length });
  }
  return { name, bytes, tensors: expected, payload };
}

function swapEach(b: Uint8Array, size: number): Uint8Array {
  const out = b.slice();
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

const S = (dtype: string, elements: number, seed: number): StorageSpec => ({ dtype, bytes: pattern(elements * ELEMENT_SIZE[dtype], seed) });

export const SEEDS: FuzzSeed[] = [
  makeSeed(
    'zip-p2-views',
    [
      { name: 'embed.weight', spec: { storage: '0', dtype: 'float32', shape: [4, 3] } },
      { name: 'lm_head.tied', spec: { storage: '0', dtype: 'float32', shape: [4, 3] } },
      { name: 'attn.T', spec: { storage: '1', dtype: 'bfloat16', shape: [3, 2], strides: [1, 3] } },
      { name: 'rows', spec: { storage: '2', dtype: 'float16', shape: [2, 2], offset: 2 }, payload: true },
      { name: 'cols', spec: { storage: '3', dtype: 'int32', shape: [3, 1], strides: [2, 1], offset: 1 } },
      { name: 'pos', spec: { storage: '4', dtype: 'int64', shape: [2, 3], strides: [0, 1] } },
      { name: 'p', spec: { storage: '5', dtype: 'float32', shape: [2], parameter: true, requiresGrad: true } },
    ],
    new Map([['0', S('float32', 12, 1)], ['1', S('bfloat16', 6, 2)], ['2', S('float16', 6, 3)], ['3', S('int32', 7, 4)], ['4', S('int64', 3, 5)], ['5', S('float32', 2, 6)]]),
    {},
    [['param_groups', [new Map<PyW, PyW>([['lr', 1.1e-5], ['betas', new Tuple([0.9, 0.999])], ['params', [0, 1]]])]]],
  ),
  makeSeed(
    'zip-p4-v3',
    [
      { name: 'fp8', spec: { storage: '0', dtype: 'float8_e4m3fn', shape: [5] }, payload: true },
      { name: 'e5', spec: { storage: '1', dtype: 'float8_e5m2', shape: [2, 2], strides: [1, 2] } },
      { name: 'mask', spec: { storage: '2', dtype: 'bool', shape: [3] }, payload: true },
      { name: 'ids', spec: { storage: '3', dtype: 'uint16', shape: [2], fromType: true } },
    ],
    new Map([['0', S('float8_e4m3fn', 5, 7)], ['1', S('float8_e5m2', 4, 8)], ['2', { dtype: 'bool', bytes: Uint8Array.of(1, 0, 1) }], ['3', S('uint16', 2, 9)]]),
    { protocol: 4 },
  ),
  makeSeed(
    'legacy',
    [
      { name: 'w', spec: { storage: '0', dtype: 'float16', shape: [3, 2] }, payload: true },
      { name: 't', spec: { storage: '1', dtype: 'float32', shape: [2, 2], strides: [1, 2] } },
    ],
    new Map([['0', S('float16', 6, 10)], ['1', S('float32', 4, 11)]]),
    { legacy: true },
  ),
  makeSeed('zip64-deflated', [{ name: 'w', spec: { storage: '0', dtype: 'float64', shape: [2, 2] }, payload: true }], new Map([['0', S('float64', 4, 12)]]), { zip64: true, deflatePickle: true }),
  makeSeed('big-endian', [{ name: 'w', spec: { storage: '0', dtype: 'int16', shape: [4] } }, { name: 'b', spec: { storage: '1', dtype: 'bfloat16', shape: [2], strides: [2], offset: 1 } }], new Map([['0', S('int16', 4, 13)], ['1', S('bfloat16', 4, 14)]]), { byteorder: 'big' }),
];

// ------------------------------------------------------------------------------------------------
// reference decoder: zip walk + a small pickle machine for what torch.save writes

const STORAGE_DTYPE: Record<string, string> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', LongStorage: 'int64', IntStorage: 'int32',
  ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

class Unknown extends Error {}
class Invalid extends Error {}

interface RefTensor {
  key: string;
  dtype: string;
  declaredBytes: number;
  shape: number[];
  strides: number[];
  offset: number;
}

function zipEntries(b: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length;
  if (n < 22 || dv.getUint32(n - 22, true) !== 0x06054b50 || dv.getUint16(n - 2, true) !== 0) throw new Unknown();
  let count = dv.getUint16(n - 12, true);
  let cdOff = dv.getUint32(n - 6, true);
  if (count === 0xffff || cdOff === 0xffffffff) {
    if (n < 42 || dv.getUint32(n - 42, true) !== 0x07064b50) throw new Unknown();
    const rec = Number(dv.getBigUint64(n - 42 + 8, true));
    if (rec + 56 > n || dv.getUint32(rec, true) !== 0x06064b50) throw new Unknown();
    count = Number(dv.getBigUint64(rec + 32, true));
    cdOff = Number(dv.getBigUint64(rec + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (p + 46 > n || dv.getUint32(p, true) !== 0x02014b50) throw new Unknown();
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nl = dv.getUint16(p + 28, true);
    const xl = dv.getUint16(p + 30, true);
    const cl = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(b.subarray(p + 46, p + 46 + nl));
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) {
      const x = p + 46 + nl;
      if (xl < 28 || dv.getUint16(x, true) !== 1) throw new Unknown();
      usize = Number(dv.getBigUint64(x + 4, true));
      csize = Number(dv.getBigUint64(x + 12, true));
      local = Number(dv.getBigUint64(x + 20, true));
    }
    if (local + 30 > n || dv.getUint32(local, true) !== 0x04034b50 || dv.getUint16(local + 26, true) !== nl) throw new Unknown();
    const start = local + 30 + nl + dv.getUint16(local + 28, true);
    if (start + csize > cdOff) throw new Unknown();
    const raw = b.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch {
        throw new Unknown();
      }
    } else throw new Unknown();
    if (data.length !== usize || out.has(name)) throw new Unknown();
    out.set(name, data);
    p += 46 + nl + xl + cl;
  }
  return out;
}

/** The tensors of a data.pkl, by dotted name, for the opcodes and globals torch.save writes. */
function pickleTensors(b: Uint8Array): Array<[string, RefTensor]> {
  const G = (m: string, nm: string) => ({ g: `${m}.${nm}` });
  type V = unknown;
  const stack: V[] = [];
  const marks: number[] = [];
  const memo = new Map<number, V>();
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const need = (k: number): void => {
    if (p + k > b.length) throw new Unknown();
  };
  const popMark = (): V[] => {
    if (marks.length === 0) throw new Unknown();
    return stack.splice(marks.pop()!);
  };
  const pop = (): V => {
    if (stack.length <= (marks[marks.length - 1] ?? 0)) throw new Unknown();
    return stack.pop();
  };
  const text = (k: number): string => {
    need(k);
    const s = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(p, p + k));
    p += k;
    return s;
  };
  const line = (): string => {
    const e = b.indexOf(0x0a, p);
    if (e < 0) throw new Unknown();
    const s = String.fromCharCode(...b.subarray(p, e));
    p = e + 1;
    return s;
  };
  for (;;) {
    need(1);
    const op = b[p++];
    switch (op) {
      case 0x80: need(1); p++; break;
      case 0x95: need(8); p += 8; break;
      case 0x2e: {
        if (stack.length !== 1 || marks.length > 0 || p !== b.length) throw new Unknown();
        const out: Array<[string, RefTensor]> = [];
        const walk = (v: V, prefix: string, depth: number): void => {
          if (depth > 50) throw new Unknown();
          const name = (k: string): string => (prefix === '' ? k : `${prefix}.${k}`);
          if (v instanceof Map) for (const [k, x] of v) {
            if (typeof k !== 'string' && typeof k !== 'number') throw new Unknown();
            walk(x, name(String(k)), depth + 1);
          }
          else if (Array.isArray(v)) v.forEach((x, i) => walk(x, name(String(i)), depth + 1));
          else if (v !== null && typeof v === 'object' && 'tensor' in v) out.push([prefix, (v as { tensor: RefTensor }).tensor]);
        };
        walk(stack[0], '', 0);
        if (out.some(([n]) => n === '') || new Set(out.map(([n]) => n)).size !== out.length) throw new Unknown();
        return out;
      }
      case 0x28: marks.push(stack.length); break;
      case 0x7d: stack.push(new Map()); break;
      case 0x5d: stack.push([]); break;
      case 0x29: stack.push([]); break;
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: need(1); stack.push(b[p++]); break;
      case 0x4d: need(2); stack.push(dv.getUint16(p, true)); p += 2; break;
      case 0x4a: need(4); stack.push(dv.getInt32(p, true)); p += 4; break;
      case 0x47: need(8); stack.push(dv.getFloat64(p, false)); p += 8; break;
      case 0x58: { need(4); const k = dv.getUint32(p, true); p += 4; stack.push(text(k)); break; }
      case 0x8c: { need(1); const k = b[p++]; stack.push(text(k)); break; }
      case 0x71: need(1); memo.set(b[p++], stack[stack.length - 1]); break;
      case 0x72: need(4); memo.set(dv.getUint32(p, true), stack[stack.length - 1]); p += 4; break;
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break;
      case 0x68: { need(1); const i = b[p++]; if (!memo.has(i)) throw new Unknown(); stack.push(memo.get(i)); break; }
      case 0x6a: { need(4); const i = dv.getUint32(p, true); p += 4; if (!memo.has(i)) throw new Unknown(); stack.push(memo.get(i)); break; }
      case 0x63: { const m = line(); stack.push(G(m, line())); break; }
      case 0x93: { const nm = pop(); const m = pop(); if (typeof m !== 'string' || typeof nm !== 'string') throw new Unknown(); stack.push(G(m, nm)); break; }
      case 0x85: stack.push([pop()]); break;
      case 0x86: { const y = pop(); const x = pop(); stack.push([x, y]); break; }
      case 0x87: { const z = pop(); const y = pop(); const x = pop(); stack.push([x, y, z]); break; }
      case 0x74: stack.push(popMark()); break;
      case 0x65: { const items = popMark(); const l = pop(); if (!Array.isArray(l)) throw new Unknown(); l.push(...items); stack.push(l); break; }
      case 0x61: { const x = pop(); const l = stack[stack.length - 1]; if (!Array.isArray(l)) throw new Unknown(); l.push(x); break; }
      case 0x75: { const items = popMark(); const d = stack[stack.length - 1]; if (!(d instanceof Map) || items.length % 2) throw new Unknown(); for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]); break; }
      case 0x73: { const v = pop(); const k = pop(); const d = stack[stack.length - 1]; if (!(d instanceof Map)) throw new Unknown(); d.set(k, v); break; }
      case 0x51: {
        const pid = pop();
        if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage' || typeof pid[2] !== 'string' || !Number.isSafeInteger(pid[4])) throw new Unknown();
        const cls = (pid[1] as { g?: string }).g ?? '';
        const dtype = cls === 'torch.storage.UntypedStorage' ? 'uint8' : STORAGE_DTYPE[cls.replace(/^torch\./, '')];
        if (dtype === undefined) throw new Unknown();
        stack.push({ storage: { key: pid[2], dtype, bytes: (pid[4] as number) * ELEMENT_SIZE[dtype] } });
        break;
      }
      case 0x52: {
        const args = pop();
        const f = (pop() as { g?: string }).g;
        if (!Array.isArray(args)) throw new Unknown();
        if (f === 'collections.OrderedDict' && args.length === 0) stack.push(new Map());
        else if (f === 'torch._utils._rebuild_tensor_v2' || f === 'torch._utils._rebuild_tensor_v3') {
          const [s, offset, shape, strides] = args as [{ storage?: { key: string; dtype: string; bytes: number } }, number, number[], number[]];
          const dtype = f.endsWith('v3') ? ((args[6] as { g?: string }).g ?? '').replace(/^torch\./, '') : s.storage?.dtype;
          if (!s.storage || dtype === undefined || LOWP[dtype] === undefined || !Array.isArray(shape) || !Array.isArray(strides) || shape.length !== strides.length) throw new Unknown();
          if (![offset, ...shape, ...strides].every((x) => Number.isSafeInteger(x) && x >= 0)) throw new Unknown();
          stack.push({ tensor: { key: s.storage.key, dtype, declaredBytes: s.storage.bytes, shape, strides, offset } });
        } else if (f === 'torch._utils._rebuild_parameter' && args.length === 3) stack.push(args[0]);
        else if (f === 'torch._tensor._rebuild_from_type_v2' && args.length === 4 && Array.isArray(args[2])) {
          // re-run the inner rebuild through the same code: push func and args, reduce again
          stack.push(args[0], args[2]);
          p--; // REDUCE once more
        } else throw new Unknown();
        break;
      }
      default:
        throw new Unknown();
    }
  }
}

export function referenceTorch(bytes: Uint8Array): ReferenceResult {
  try {
    if (bytes[0] !== 0x50) return 'unknown';
    const entries = zipEntries(bytes);
    const folder = [...entries.keys()][0]?.split('/')[0];
    const pkl = entries.get(`${folder}/data.pkl`);
    if (pkl === undefined) return 'unknown';
    for (const k of entries.keys()) if (!k.startsWith(`${folder}/`) || k.split('/').includes('..')) return 'unknown';
    const order = entries.has(`${folder}/byteorder`) ? new TextDecoder().decode(entries.get(`${folder}/byteorder`)) : 'little';
    if (order !== 'little' && order !== 'big') return 'unknown';
    const out: ExpectedTensor[] = [];
    const declared = new Map<string, string>();
    for (const [name, t] of pickleTensors(pkl)) {
      const rec = entries.get(`${folder}/data/${t.key}`);
      const size = ELEMENT_SIZE[t.dtype];
      const decl = `${t.declaredBytes}`;
      if (declared.has(t.key) && declared.get(t.key) !== decl) return 'unknown';
      declared.set(t.key, decl);
      if (rec === undefined || rec.length !== t.declaredBytes) return 'invalid';
      const n = t.shape.reduce((a, x) => a * x, 1);
      const reach = n === 0 ? t.offset : t.offset + t.shape.reduce((a, s, i) => a + (s - 1) * t.strides[i], 0) + 1;
      if (reach * size > rec.length) return 'invalid';
      if (n * size > 1 << 20) return 'unknown';
      out.push({ name, dtype: LOWP[t.dtype], shape: t.shape, bytes: gather(t.shape, t.strides, t.offset, size, rec, order === 'big') });
    }
    return out;
  } catch (e) {
    if (e instanceof Unknown) return 'unknown';
    if (e instanceof Invalid) return 'invalid';
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// reading

function outcome(e: unknown): string {
  if (e instanceof LowpIoError) return `${e.name} ${e.code}`;
  throw new FuzzCheckError(`expected a TorchFile or a LowpIoError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
}

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  let viaCheckpoint = 'success';
  try {
    await (await openCheckpoint(bytes, { name: 'fuzz.pt' })).close();
  } catch (e) {
    viaCheckpoint = outcome(e);
  }
  let file: TorchFile;
  try {
    file = await openTorch(ctx.source(bytes, 'fuzz.pt'));
  } catch (e) {
    // openCheckpoint may send unrecognised content to no reader at all (CheckpointError), and content it
    // recognises as another format (a mutant whose first bytes read as ONNX or safetensors) to that
    // format's reader; content it sends to the torch reader must fail there the same way
    const kind = detectFormat(bytes.subarray(0, DETECT_BYTES), bytes.length);
    const torchBound = kind === 'torch-zip' || kind === 'pickle' || kind === 'unknown';
    if (viaCheckpoint === 'success' && torchBound) throw new FuzzCheckError(`openTorch gave ${outcome(e)}, openCheckpoint a reader`);
    if (torchBound && viaCheckpoint !== outcome(e) && !viaCheckpoint.startsWith('CheckpointError')) throw new FuzzCheckError(`openTorch gave ${outcome(e)}, openCheckpoint ${viaCheckpoint}`);
    throw e;
  }
  if (viaCheckpoint !== 'success') throw new FuzzCheckError(`openCheckpoint gave ${viaCheckpoint}, openTorch a reader`);
  const little = file.byteOrder === 'little';
  const offsetOf = (t: TorchTensorInfo): number | undefined => {
    const s = file.storages.get(t.storage);
    if (!little || !t.contiguous || s === undefined) return undefined;
    return s.fileOffset + t.storageOffset * (t.elements === 0 ? 0 : t.byteLength / t.elements);
  };
  return readAll(file, { offsetOf: offsetOf as (t: unknown) => number | undefined });
}

// ------------------------------------------------------------------------------------------------
// structured mutants: fresh files of random tensors, some broken on purpose

const DTYPES = ['float32', 'bfloat16', 'float16', 'int64', 'uint8', 'bool', 'float8_e4m3fn', 'uint32'];
const fresh = fc
  .record({
    tensors: fc.array(
      fc.record({
        dtype: fc.constantFrom(...DTYPES),
        shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        strides: fc.option(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 3, maxLength: 3 }), { nil: undefined }),
        offset: fc.nat({ max: 4 }),
        slack: fc.integer({ min: -3, max: 3 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    options: fc.record({ protocol: fc.constantFrom(2 as const, 4 as const), legacy: fc.boolean(), zip64: fc.boolean() }),
  })
  .map(({ tensors, options }) => {
    const storages = new Map<string, StorageSpec>();
    const obj = new Map<PyW, PyW>();
    tensors.forEach((t, i) => {
      const dtype = options.legacy && !STORAGE_DTYPE_OF.has(t.dtype) ? 'float32' : t.dtype;
      const strides = t.strides ? t.strides.slice(0, t.shape.length) : rowMajor(t.shape);
      const n = t.shape.reduce((a, b) => a * b, 1);
      const reach = n === 0 ? 0 : t.shape.reduce((a, s, k) => a + (s - 1) * strides[k], 0) + 1;
      const elements = Math.max(0, t.offset + reach + t.slack);
      storages.set(String(i), { dtype, bytes: pattern(elements * ELEMENT_SIZE[dtype], i) });
      obj.set(`t${i}`, new T({ storage: String(i), dtype, shape: t.shape, strides, offset: t.offset }));
    });
    return torchSave(obj, storages, options);
  });
const STORAGE_DTYPE_OF = new Set(Object.values(STORAGE_DTYPE));

function records(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22 || bytes[0] !== 0x50 || dv.getUint32(n - 22, true) !== 0x06054b50 || dv.getUint16(n - 12, true) === 0xffff) return [];
  const count = dv.getUint16(n - 12, true);
  let p = dv.getUint32(n - 6, true);
  const items: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < count; i++) {
    const end = p + 46 + dv.getUint16(p + 28, true) + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
    items.push({ start: p, end });
    p = end;
  }
  return [
    {
      items,
      reframe(b: Uint8Array, change: { oldEnd: number; newEnd: number; newCount: number }) {
        const out = b.slice();
        const v = new DataView(out.buffer);
        const e = out.length - 22;
        v.setUint16(e + 8, change.newCount, true);
        v.setUint16(e + 10, change.newCount, true);
        v.setUint32(e + 12, v.getUint32(e + 12, true) + change.newEnd - change.oldEnd, true);
        return out;
      },
    },
  ];
}

const target: FuzzTarget = {
  name: 'torch',
  errors: TorchError,
  seeds: SEEDS,
  read,
  reference: referenceTorch,
  records,
  runs: { structured: 300 },
  corpus: ['tests/fixtures/torch/evil'],
  // fresh files of random tensors, or a seed re-written with a mutated data.pkl (a valid CRC, so the
  // mutation reaches the unpickler rather than the zip layer's CRC check)
  structured: (seed) => {
    const w = WRITTEN.get(seed.name);
    if (w === undefined || w.options.legacy) return fresh;
    const pkl = pickle(w.obj, { protocol: w.options.protocol ?? 2, storages: w.storages });
    const mutated = fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => {
      let b = pkl;
      for (const m of ms) b = applyMutation(b, m, [0, 1, 2, pkl.length - 1]);
      return torchSave(w.obj, w.storages, { ...w.options, rawPickle: b });
    });
    return fc.oneof(fresh, mutated);
  },
  prefixes: [Uint8Array.of(0x50, 0x4b, 0x03, 0x04), Uint8Array.of(0x80, 0x02), Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e)],
  // tied and expanded views may describe more bytes than the file holds (the reader bounds it at 16x)
  expansion: 16,
  budget: { allocFactor: 256 },
  extension: '.pt',
};
export default target;
