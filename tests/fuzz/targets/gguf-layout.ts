// Fuzz target: GGUF files (versions 2 and 3), built byte by byte here from the format's description
// (ggml docs/gguf.md), not by lowp's writer; beside the gguf branch's own `gguf` target (its twin parser
// and make-broken.mjs seeds), with seeds, reference and mutants of its own. Each case is read through openGguf over a counting
// ByteSource (every tensor whole, as floats, in chunks of whole blocks) and parseGguf on the bytes, which
// must agree. Accepted files are checked against a slow reference decoder (a plain sequential reading of
// the layout, with its own table of ggml block sizes); records are the key/value pairs and the tensor
// infos (counts and the padding before the data repaired, so reordered or dropped tensor infos make
// valid files that must read back exactly); structure-aware mutants rewrite versions, counts, value
// types and lengths, dimensions, type ids, offsets and the alignment.
import fc from 'fast-check';
import { GgufError, openGguf, parseGguf } from '../../../src/io/index.js';
import { readGgufFrom } from '../../../src/io/gguf/header.js';
import { cat, FuzzCheckError, le, outcomeOf, readAll, utf8, type ExpectedTensor, type FuzzSeed, type FuzzTarget, type ReadTensor, type RecordList, type ReferenceResult } from '../harness.js';

// ------------------------------------------------------------------------------------------------
// the layout, written plainly

/** ggml types: id -> [name, values per block, bytes per block] (ggml.h / ggml.c type_traits). */
const TYPES = new Map<number, [string, number, number]>([
  [0, ['F32', 1, 4]], [1, ['F16', 1, 2]], [2, ['Q4_0', 32, 18]], [3, ['Q4_1', 32, 20]], [6, ['Q5_0', 32, 22]], [7, ['Q5_1', 32, 24]],
  [8, ['Q8_0', 32, 34]], [9, ['Q8_1', 32, 36]], [10, ['Q2_K', 256, 84]], [11, ['Q3_K', 256, 110]], [12, ['Q4_K', 256, 144]],
  [13, ['Q5_K', 256, 176]], [14, ['Q6_K', 256, 210]], [15, ['Q8_K', 256, 292]], [20, ['IQ4_NL', 32, 18]], [24, ['I8', 1, 1]],
  [25, ['I16', 1, 2]], [26, ['I32', 1, 4]], [27, ['I64', 1, 8]], [28, ['F64', 1, 8]], [30, ['BF16', 1, 2]], [39, ['MXFP4', 32, 17]],
]);
const ID_OF = new Map([...TYPES].map(([id, [name]]) => [name, id]));

/** Value type ids and fixed sizes (STRING and ARRAY have none). */
const VT = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;
const VT_SIZE = new Map<number, number>([[0, 1], [1, 1], [2, 2], [3, 2], [4, 4], [5, 4], [6, 4], [7, 1], [10, 8], [11, 8], [12, 8]]);

const u32 = (v: number): Uint8Array => le(new Uint32Array([v >>> 0]));
const u64 = (v: bigint | number): Uint8Array => le(new BigUint64Array([BigInt.asUintN(64, BigInt(v))]));
const gstr = (s: string | Uint8Array): Uint8Array => {
  const b = typeof s === 'string' ? utf8(s) : s;
  return cat(u64(b.length), b);
};

interface Kv {
  key: string | Uint8Array;
  /** The type id and value bytes (after the type). */
  type: number;
  value: Uint8Array;
}

interface Ti {
  name: string | Uint8Array;
  ne: Array<bigint | number>;
  type: number;
  offset: bigint | number;
  /** n_dims when it should differ from ne.length. */
  nDims?: number;
}

interface Layout {
  version: number;
  kvs: Kv[];
  tensors: Ti[];
  /** Alignment used to place the data section (a file's general.alignment or 32). */
  alignment: number;
  data: Uint8Array;
  nTensors?: bigint;
  nKv?: bigint;
  /** Bytes between the tensor infos and the data section; default: up to the alignment. */
  pad?: number;
  magic?: string;
}

const kvBytes = (kv: Kv): Uint8Array => cat(gstr(kv.key), u32(kv.type), kv.value);
const tiBytes = (t: Ti): Uint8Array => cat(gstr(t.name), u32(t.nDims ?? t.ne.length), ...t.ne.map((d) => u64(d)), u32(t.type), u64(t.offset));

function serialise(l: Layout): Uint8Array {
  const head = cat(utf8(l.magic ?? 'GGUF'), u32(l.version), u64(l.nTensors ?? BigInt(l.tensors.length)), u64(l.nKv ?? BigInt(l.kvs.length)), ...l.kvs.map(kvBytes), ...l.tensors.map(tiBytes));
  const pad = l.pad ?? (l.tensors.length > 0 ? (l.alignment - (head.length % l.alignment)) % l.alignment : 0);
  return cat(head, new Uint8Array(Math.max(0, pad)), l.data);
}

const val = {
  str: (s: string): Kv['value'] => gstr(s),
  u32: (v: number) => u32(v),
  f32: (v: number) => le(new Float32Array([v])),
  i64: (v: bigint) => le(new BigInt64Array([v])),
  bool: (v: number) => Uint8Array.of(v),
  arr: (item: number, count: number, body: Uint8Array) => cat(u32(item), u64(count), body),
};

interface SeedTensor {
  name: string;
  type: string;
  /** Row-major shape (ne reversed). */
  shape: number[];
  bytes: Uint8Array;
}

/** A GGUF file of these tensors (data in the given order, each at the next aligned offset, `gap` bytes apart). */
function buildGguf(name: string, version: number, kvs: Kv[], tensors: SeedTensor[], alignment = 32, gap = 0, infoOrder?: number[]): FuzzSeed {
  const offsets: number[] = [];
  let at = 0;
  const parts: Uint8Array[] = [];
  for (const t of tensors) {
    const start = Math.ceil(at / alignment) * alignment;
    parts.push(new Uint8Array(start - at), t.bytes);
    offsets.push(start);
    at = start + t.bytes.length;
    if (gap) {
      parts.push(new Uint8Array(gap).fill(0xee));
      at += gap;
    }
  }
  const infos: Ti[] = (infoOrder ?? tensors.map((_, i) => i)).map((i) => ({ name: tensors[i].name, ne: [...tensors[i].shape].reverse(), type: ID_OF.get(tensors[i].type)!, offset: offsets[i] }));
  const layout: Layout = { version, kvs, tensors: infos, alignment, data: cat(...parts) };
  const bytes = serialise(layout);
  const dataStart = bytes.length - layout.data.length;
  return {
    name,
    bytes,
    tensors: tensors.map((t) => ({ name: t.name, dtype: t.type, shape: t.shape, bytes: t.bytes })),
    payload: tensors.map((t, i) => ({ tensor: t.name, fileOffset: dataStart + offsets[i], byteLength: t.bytes.length })),
  };
}

const pattern = (n: number, k: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * k + 7) & 0xff);

export const SEEDS: FuzzSeed[] = [
  buildGguf('v3-mixed', 3, [
    { key: 'general.architecture', type: VT.STRING, value: val.str('llama') },
    { key: 'llama.block_count', type: VT.UINT32, value: val.u32(2) },
    { key: 'llama.rope.freq_base', type: VT.FLOAT32, value: val.f32(10000) },
    { key: 'general.flag', type: VT.BOOL, value: val.bool(1) },
    { key: 'general.size', type: VT.INT64, value: val.i64(-5n) },
    { key: 'tokenizer.ggml.tokens', type: VT.ARRAY, value: val.arr(VT.STRING, 3, cat(gstr('a'), gstr('bc'), gstr('\u00e9'))) },
    { key: 'tokenizer.ggml.scores', type: VT.ARRAY, value: val.arr(VT.FLOAT32, 2, le(new Float32Array([0.5, -1]))) },
  ], [
    { name: 'tok_embd.weight', type: 'F32', shape: [2, 3], bytes: le(new Float32Array([1, 2, 3, -4, 0.5, Number.NaN])) },
    { name: 'norm', type: 'F16', shape: [4], bytes: le(new Uint16Array([0x3c00, 0xbc00, 0x7c00, 0x0001])) },
    { name: 'q8', type: 'Q8_0', shape: [32], bytes: pattern(34, 13) },
    { name: 'i8', type: 'I8', shape: [5], bytes: Uint8Array.of(1, 255, 127, 128, 0) },
  ]),
  buildGguf('v2-kquant', 2, [], [
    { name: 'blk.0.ffn', type: 'Q4_K', shape: [256], bytes: pattern(144, 31) },
    { name: 'bf', type: 'BF16', shape: [1, 2], bytes: le(new Uint16Array([0x3f80, 0x4049])) },
  ]),
  buildGguf('aligned-64-gaps', 3, [
    { key: 'general.alignment', type: VT.UINT32, value: val.u32(64) },
    { key: 'general.name', type: VT.STRING, value: val.str('x') },
  ], [
    { name: 'a', type: 'Q4_0', shape: [2, 32], bytes: pattern(36, 5) },
    { name: 'empty', type: 'F32', shape: [0, 4], bytes: new Uint8Array(0) },
    { name: 'scalar', type: 'F64', shape: [], bytes: le(new Float64Array([Math.PI])) },
    { name: 'mx', type: 'MXFP4', shape: [32], bytes: pattern(17, 3) },
  ], 64, 5, [2, 0, 3, 1]),
];

// ------------------------------------------------------------------------------------------------
// reference decoder

export function referenceGguf(bytes: Uint8Array): ReferenceResult {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const need = (n: number): boolean => p + n <= bytes.length;
  const rd32 = (): number | undefined => (need(4) ? ((p += 4), dv.getUint32(p - 4, true)) : undefined);
  const rd64 = (): bigint | undefined => (need(8) ? ((p += 8), dv.getBigUint64(p - 8, true)) : undefined);
  const str = (): Uint8Array | undefined => {
    const n = rd64();
    if (n === undefined || n > BigInt(bytes.length - p)) return undefined;
    p += Number(n);
    return bytes.subarray(p - Number(n), p);
  };
  if (!need(4) || String.fromCharCode(...bytes.subarray(0, 4)) !== 'GGUF') return 'invalid';
  p = 4;
  const version = rd32();
  if (version !== 2 && version !== 3) return 'invalid';
  const nT = rd64();
  const nKv = rd64();
  if (nT === undefined || nKv === undefined || nT > BigInt(bytes.length) || nKv > BigInt(bytes.length)) return 'invalid';
  let alignment = 32;
  for (let i = 0; i < Number(nKv); i++) {
    const key = str();
    const type = rd32();
    if (key === undefined || type === undefined) return 'invalid';
    const keyText = new TextDecoder().decode(key);
    const skip = (t: number, count: number): boolean => {
      if (t === VT.STRING) {
        for (let k = 0; k < count; k++) if (str() === undefined) return false;
        return true;
      }
      const size = VT_SIZE.get(t);
      if (size === undefined || !need(size * count)) return false;
      p += size * count;
      return true;
    };
    if (type === VT.ARRAY) {
      const item = rd32();
      const count = rd64();
      if (item === undefined || count === undefined || item === VT.ARRAY || count > BigInt(bytes.length)) return 'invalid';
      if (!skip(item, Number(count))) return 'invalid';
    } else {
      const at = p;
      if (!skip(type, 1)) return 'invalid';
      if (keyText === 'general.alignment') {
        if (type !== VT.UINT32) return 'invalid';
        alignment = dv.getUint32(at, true);
        if (alignment === 0 || (alignment & (alignment - 1)) !== 0) return 'invalid';
      }
    }
  }
  const infos: Array<{ name: string; shape: number[]; type: [string, number, number]; offset: bigint; bytes: number }> = [];
  for (let i = 0; i < Number(nT); i++) {
    const name = str();
    const nd = rd32();
    if (name === undefined || nd === undefined || nd > 4) return 'invalid';
    const ne: bigint[] = [];
    for (let k = 0; k < nd; k++) {
      const d = rd64();
      if (d === undefined) return 'invalid';
      ne.push(d);
    }
    const id = rd32();
    const offset = rd64();
    if (id === undefined || offset === undefined) return 'invalid';
    const type = TYPES.get(id);
    if (type === undefined) return 'unknown';
    const elements = ne.reduce((a, b) => a * b, 1n);
    if (elements > BigInt(Number.MAX_SAFE_INTEGER) || ne.some((d) => d > BigInt(Number.MAX_SAFE_INTEGER))) return 'invalid';
    if ((nd === 0 ? 1n : ne[0]) % BigInt(type[1]) !== 0n) return 'invalid';
    infos.push({ name: new TextDecoder().decode(name), shape: ne.map(Number).reverse(), type, offset, bytes: (Number(elements) / type[1]) * type[2] });
  }
  const data = infos.length > 0 ? Math.ceil(p / alignment) * alignment : p;
  if (data > bytes.length) return 'invalid';
  const out: ExpectedTensor[] = [];
  for (const t of infos) {
    if (t.offset % BigInt(alignment) !== 0n || BigInt(data) + t.offset + BigInt(t.bytes) > BigInt(bytes.length)) return 'invalid';
    const start = data + Number(t.offset);
    out.push({ name: t.name, dtype: t.type[0], shape: t.shape, bytes: bytes.slice(start, start + t.bytes) });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// reading through both entry points

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  let parsedError: unknown;
  let parsed: ReturnType<typeof parseGguf> | undefined;
  try {
    parsed = parseGguf(bytes);
  } catch (e) {
    parsedError = e;
  }
  let tensors: ReadTensor[];
  try {
    tensors = await readAll(await openGguf(ctx.source(bytes, 'fuzz.gguf')));
  } catch (e) {
    if (outcomeOf(e) !== (parsed ? 'success' : outcomeOf(parsedError))) throw new FuzzCheckError(`entry points disagree: openGguf gave ${outcomeOf(e)}, parseGguf ${parsed ? 'success' : outcomeOf(parsedError)}`);
    let small: unknown;
    try {
      await readGgufFrom(ctx.source(bytes, 'fuzz.gguf'), {}, 1 + (bytes.length % 29));
    } catch (e2) {
      small = e2;
    }
    if (small === undefined || outcomeOf(small) !== outcomeOf(e)) throw new FuzzCheckError(`openGguf gave ${outcomeOf(e)}, readGgufFrom in small pieces ${small === undefined ? 'success' : outcomeOf(small)}`);
    throw e;
  }
  if (!parsed) throw new FuzzCheckError(`entry points disagree: openGguf read the file, parseGguf gave ${outcomeOf(parsedError)}`);
  // the header read in small pieces (the path of files whose header passes the first read) must agree
  const firstRead = 1 + (bytes.length % 29);
  let pieces: Awaited<ReturnType<typeof readGgufFrom>>;
  try {
    pieces = await readGgufFrom(ctx.source(bytes, 'fuzz.gguf'), {}, firstRead);
  } catch (e) {
    throw new FuzzCheckError(`readGgufFrom with a first read of ${firstRead} bytes gave ${outcomeOf(e)}, parseGguf read the file`);
  }
  if (pieces.dataOffset !== parsed.dataOffset || pieces.tensors.length !== parsed.tensors.length || pieces.metadata.size !== parsed.metadata.size) {
    throw new FuzzCheckError(`readGgufFrom with a first read of ${firstRead} bytes read another header than parseGguf`);
  }
  const a = parsed.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape}:${t.byteOffset}`).join('|');
  const b = tensors.map((t) => `${t.name}:${t.dtype}:${t.shape}:${t.offset}`).join('|');
  if (a !== b) throw new FuzzCheckError(`parseGguf lists ${a}, openGguf read ${b}`);
  return tensors;
}

// ------------------------------------------------------------------------------------------------
// records: key/value pairs and tensor infos, with counts and the padding before the data repaired

/** Positions in a well-formed file (the seeds): each kv, each tensor info, the data section. */
function walk(bytes: Uint8Array): { kvs: Array<{ start: number; end: number }>; infos: Array<{ start: number; end: number }>; infosEnd: number; data: number; alignment: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 24;
  const nT = Number(dv.getBigUint64(8, true));
  const nKv = Number(dv.getBigUint64(16, true));
  const skipStr = (): void => void (p += 8 + Number(dv.getBigUint64(p, true)));
  const kvs: Array<{ start: number; end: number }> = [];
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const start = p;
    const keyLen = Number(dv.getBigUint64(p, true));
    const key = new TextDecoder().decode(bytes.subarray(p + 8, p + 8 + keyLen));
    skipStr();
    const t = dv.getUint32(p, true);
    p += 4;
    if (t === VT.ARRAY) {
      const item = dv.getUint32(p, true);
      const count = Number(dv.getBigUint64(p + 4, true));
      p += 12;
      if (item === VT.STRING) for (let k = 0; k < count; k++) skipStr();
      else p += VT_SIZE.get(item)! * count;
    } else if (t === VT.STRING) skipStr();
    else {
      if (key === 'general.alignment') alignment = dv.getUint32(p, true);
      p += VT_SIZE.get(t)!;
    }
    kvs.push({ start, end: p });
  }
  const infos: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < nT; i++) {
    const start = p;
    skipStr();
    const nd = dv.getUint32(p, true);
    p += 4 + 8 * nd + 4 + 8;
    infos.push({ start, end: p });
  }
  return { kvs, infos, infosEnd: p, data: nT > 0 ? Math.ceil(p / alignment) * alignment : p, alignment };
}

function records(bytes: Uint8Array): RecordList[] {
  const w = walk(bytes);
  const repair = (countAt: number) => (b: Uint8Array, change: { oldEnd: number; newEnd: number; oldCount: number; newCount: number }): Uint8Array => {
    const infosEnd = w.infosEnd + change.newEnd - change.oldEnd;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    dv.setBigUint64(countAt, dv.getBigUint64(countAt, true) + BigInt(change.newCount - change.oldCount), true);
    // the data section stays the seed's, at the next multiple of the seed's alignment after the infos
    const start = Math.ceil(infosEnd / w.alignment) * w.alignment;
    return cat(b.subarray(0, infosEnd), new Uint8Array(start - infosEnd), bytes.subarray(w.data));
  };
  return [
    { items: w.kvs, reframe: repair(16) },
    { items: w.infos, reframe: repair(8) },
  ];
}

// ------------------------------------------------------------------------------------------------
// structure-aware mutants: edits of the layout model, re-serialised

interface Model {
  layout: Layout;
}

function modelOf(seed: FuzzSeed): Model {
  const b = seed.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w = walk(b);
  const kvs: Kv[] = w.kvs.map((r) => {
    const keyLen = Number(dv.getBigUint64(r.start, true));
    const key = b.slice(r.start + 8, r.start + 8 + keyLen);
    const type = dv.getUint32(r.start + 8 + keyLen, true);
    return { key, type, value: b.slice(r.start + 12 + keyLen, r.end) };
  });
  const tensors: Ti[] = w.infos.map((r) => {
    const nameLen = Number(dv.getBigUint64(r.start, true));
    let p = r.start + 8 + nameLen;
    const nd = dv.getUint32(p, true);
    p += 4;
    const ne: bigint[] = [];
    for (let k = 0; k < nd; k++, p += 8) ne.push(dv.getBigUint64(p, true));
    return { name: b.slice(r.start + 8, r.start + 8 + nameLen), ne, type: dv.getUint32(p, true), offset: dv.getBigUint64(p + 4, true) };
  });
  return { layout: { version: dv.getUint32(4, true), kvs, tensors, alignment: w.alignment, data: b.slice(w.data) } };
}

const BIG: Array<bigint> = [0n, 1n, 2n, 3n, 31n, 32n, 33n, 64n, 256n, 4096n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

type Edit =
  | { kind: 'version'; v: number }
  | { kind: 'counts'; which: 'nTensors' | 'nKv'; delta: bigint }
  | { kind: 'tensorType'; i: number; id: number }
  | { kind: 'dim'; i: number; d: number; value: bigint }
  | { kind: 'nDims'; i: number; n: number }
  | { kind: 'offset'; i: number; value: bigint; relative: boolean }
  | { kind: 'tensorName'; i: number; name: Uint8Array }
  | { kind: 'kvType'; i: number; type: number }
  | { kind: 'kvValue'; i: number; value: Uint8Array }
  | { kind: 'kvKey'; i: number; key: Uint8Array }
  | { kind: 'alignment'; type: number; value: Uint8Array }
  | { kind: 'data'; delta: number };

const NAMES = [utf8(''), utf8('__proto__'), utf8('constructor'), Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xc3), utf8('a'), utf8('x'.repeat(300)), utf8('general.alignment'), utf8('tok_embd.weight'), utf8('norm')];
const VALUES: Uint8Array[] = [
  new Uint8Array(0), u32(0), u32(1), u32(64), u32(3), u32(2 ** 31), u64(0), u64(2n ** 64n - 1n), u64(2n ** 40n), Uint8Array.of(2), Uint8Array.of(0xff),
  gstr(''), gstr(Uint8Array.of(0xc3, 0x28)), cat(u64(2n ** 40n), utf8('abc')), cat(u64(5), utf8('ab')),
  val.arr(VT.ARRAY, 1, val.arr(VT.UINT8, 1, Uint8Array.of(1))), val.arr(VT.UINT8, 2 ** 40, Uint8Array.of(1)), val.arr(VT.BOOL, 2, Uint8Array.of(1, 2)),
  val.arr(VT.STRING, 2, gstr('a')), val.arr(13, 1, Uint8Array.of(0)), val.arr(VT.UINT64, 1, u64(7)), val.arr(VT.STRING, 0, new Uint8Array(0)),
];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('version' as const), v: fc.constantFrom(0, 1, 2, 3, 4, 0x03000000, 0x02000000, 0xffffffff) }),
  fc.record({ kind: fc.constant('counts' as const), which: fc.constantFrom('nTensors' as const, 'nKv' as const), delta: fc.constantFrom(-1n, 1n, 2n, 2n ** 32n, 2n ** 60n, 2n ** 64n - 1n) }),
  fc.record({ kind: fc.constant('tensorType' as const), i: fc.nat(15), id: fc.oneof(fc.constantFrom(...TYPES.keys()), fc.constantFrom(4, 5, 31, 36, 43, 255, 2 ** 31)) }),
  fc.record({ kind: fc.constant('dim' as const), i: fc.nat(15), d: fc.nat(3), value: fc.constantFrom(...BIG) }),
  fc.record({ kind: fc.constant('nDims' as const), i: fc.nat(15), n: fc.constantFrom(0, 1, 2, 3, 4, 5, 255, 2 ** 31) }),
  fc.record({ kind: fc.constant('offset' as const), i: fc.nat(15), value: fc.constantFrom(0n, 1n, 16n, 32n, 64n, -32n, 2n ** 40n, 2n ** 63n, 2n ** 64n - 32n), relative: fc.boolean() }),
  fc.record({ kind: fc.constant('tensorName' as const), i: fc.nat(15), name: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('kvType' as const), i: fc.nat(15), type: fc.nat(14) }),
  fc.record({ kind: fc.constant('kvValue' as const), i: fc.nat(15), value: fc.constantFrom(...VALUES) }),
  fc.record({ kind: fc.constant('kvKey' as const), i: fc.nat(15), key: fc.constantFrom(...NAMES) }),
  fc.record({ kind: fc.constant('alignment' as const), type: fc.constantFrom(VT.UINT32, VT.UINT32, VT.UINT64, VT.INT32), value: fc.constantFrom(u32(0), u32(1), u32(16), u32(32), u32(64), u32(48), u32(2 ** 31), u64(64)) }),
  fc.record({ kind: fc.constant('data' as const), delta: fc.constantFrom(-64, -1, 1, 31, 4096) }),
);

function applyEdits(seed: FuzzSeed, edits: Edit[]): Uint8Array {
  const { layout: l0 } = modelOf(seed);
  const l: Layout = { ...l0, kvs: l0.kvs.map((k) => ({ ...k })), tensors: l0.tensors.map((t) => ({ ...t, ne: [...t.ne] })) };
  for (const e of edits) {
    const t = l.tensors.length > 0 && 'i' in e ? l.tensors[e.i % l.tensors.length] : undefined;
    const kv = l.kvs.length > 0 && 'i' in e ? l.kvs[e.i % l.kvs.length] : undefined;
    switch (e.kind) {
      case 'version': l.version = e.v; break;
      case 'counts': {
        const base = BigInt(e.which === 'nTensors' ? l.tensors.length : l.kvs.length);
        l[e.which] = BigInt.asUintN(64, base + e.delta);
        break;
      }
      case 'tensorType': if (t) t.type = e.id; break;
      case 'dim': if (t && t.ne.length > 0) t.ne[e.d % t.ne.length] = e.value; break;
      case 'nDims': if (t) t.nDims = e.n; break;
      case 'offset': if (t) t.offset = BigInt.asUintN(64, (e.relative ? BigInt(t.offset) : 0n) + e.value); break;
      case 'tensorName': if (t) t.name = e.name; break;
      case 'kvType': if (kv) kv.type = e.type; break;
      case 'kvValue': if (kv) kv.value = e.value; break;
      case 'kvKey': if (kv) kv.key = e.key; break;
      case 'alignment': {
        const existing = l.kvs.find((k) => typeof k.key !== 'string' && new TextDecoder().decode(k.key) === 'general.alignment');
        if (existing) Object.assign(existing, { type: e.type, value: e.value });
        else l.kvs.push({ key: 'general.alignment', type: e.type, value: e.value });
        if (e.type === VT.UINT32 && e.value.length === 4) {
          const a = new DataView(e.value.buffer).getUint32(0, true);
          if (a > 0 && (a & (a - 1)) === 0 && a <= 4096) l.alignment = a;
        }
        break;
      }
      case 'data': l.data = e.delta < 0 ? l.data.subarray(0, Math.max(0, l.data.length + e.delta)) : cat(l.data, new Uint8Array(e.delta)); break;
    }
  }
  return serialise(l);
}

const target: FuzzTarget = {
  name: 'gguf-layout',
  errors: GgufError,
  seeds: SEEDS,
  read,
  reference: referenceGguf,
  records,
  structured: (seed) => fc.array(editArb, { minLength: 1, maxLength: 3 }).map((edits) => applyEdits(seed, edits)),
  prefixes: [utf8('GGUF\x03\x00\x00\x00'), utf8('GGUF\x02\x00\x00\x00'), cat(utf8('GGUF'), u32(3), u64(1), u64(1)), utf8('FUGG')],
  extension: '.gguf',
};
export default target;
