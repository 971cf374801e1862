// Fuzz target: GGUF files. Seeds are built byte by byte (tests/fixtures/gguf/make-broken.mjs's builder)
// and with lowp's writer: metadata of every value type, tensors of plain and block types, versions 2
// and 3, alignments 32 and 64, an empty tensor. Each case is read through openGguf over a counting
// ByteSource (whole, as floats, in chunks: ggml's blocks dequantized), and the header through parseGguf
// on the bytes and through a source read in small first pieces (the reads that grow the header): all
// must agree. Accepted files are checked against a slow, obviously-correct twin of the parser (whole
// buffer, one DataView, plain loops: `twinGguf`, also used by tests/io/gguf-refusals.test.ts). Records are
// the key/value pairs and the tensor infos (their counts repaired); structure-aware mutants set one
// header field (a type id, a count, a dimension, an offset, the version, general.alignment) to a value
// that field's rules care about.
import fc from 'fast-check';
import { bytesSource, GgufError, openGguf, parseGguf, writeGguf } from '../../../src/io/index.js';
import { readGgufFrom } from '../../../src/io/gguf/header.js';
import { GGML_TYPES } from '../../../src/quant/ggml/types.js';
import { FuzzCheckError, outcomeOf, readAll, utf8, type ExpectedTensor, type FuzzSeed, type FuzzTarget, type ReadTensor, type RecordList, type ReferenceResult } from '../harness.js';
import { validGguf } from '../../fixtures/gguf/make-broken.mjs';

// ---------------------------------------------------------------------------------------------------
// The twin: the rules of docs/gguf.md, in file order, over the whole buffer.

const LIMIT = 256 * 1024 * 1024;
const SIZES = [1, 1, 2, 2, 4, 4, 4, 1, 8, 0, 8, 8, 8];
const NAMES = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64'];
const TYPES_BY_ID = new Map(Object.values(GGML_TYPES).map((t) => [t.id, t]));

/** A field of the header the structured mutants may set: where it is, how wide, what it holds. */
export interface TwinField {
  kind: 'version' | 'tensorCount' | 'kvCount' | 'valueType' | 'itemType' | 'arrayLength' | 'stringLength' | 'nDims' | 'dim' | 'ggmlType' | 'offset' | 'alignment';
  at: number;
  width: 4 | 8;
}

/** What the twin reads from a valid file. */
export interface TwinHeader {
  version: number;
  alignment: number;
  meta: [string, string, unknown][];
  tensors: { name: string; type: string; ne: number[]; offset: number; byteOffset: number; byteLength: number }[];
  dataOffset: number;
  /** Byte ranges of the key/value pairs and of the tensor infos (records), and the header's fields. */
  kvSpans: { start: number; end: number }[];
  tensorSpans: { start: number; end: number }[];
  fields: TwinField[];
}

/** A refusal, with the GgufError code lowp must give. */
export class TwinRefused {
  constructor(readonly code: string) {}
}

/** Parses a GGUF file by the documented rules: its header, or the code of the first rule it breaks. */
export function twinGguf(b: Uint8Array): TwinHeader | TwinRefused {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const fields: TwinField[] = [];
  const fail = (code: string): never => {
    throw new TwinRefused(code);
  };
  const need = (n: number): void => {
    if (p + n > b.length) fail('TRUNCATED');
  };
  const declare = (n: bigint): void => {
    const end = BigInt(p) + n;
    if (end > BigInt(LIMIT)) fail('TOO_LARGE');
    if (end > BigInt(b.length)) fail('TRUNCATED');
  };
  const u32 = (kind?: TwinField['kind']): number => {
    need(4);
    if (kind) fields.push({ kind, at: p, width: 4 });
    p += 4;
    return dv.getUint32(p - 4, true);
  };
  const u64 = (kind?: TwinField['kind']): bigint => {
    need(8);
    if (kind) fields.push({ kind, at: p, width: 8 });
    p += 8;
    return dv.getBigUint64(p - 8, true);
  };
  const utf8Of = (bytes: Uint8Array): string | null => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return null;
    }
  };
  const str = (): Uint8Array => {
    const n = u64('stringLength');
    declare(n);
    p += Number(n);
    return b.subarray(p - Number(n), p);
  };
  const scalar = (t: number): unknown => {
    if (t === 8) return utf8Of(str()) ?? fail('VALUE');
    need(SIZES[t]);
    const at = p;
    p += SIZES[t];
    switch (t) {
      case 0: return dv.getUint8(at);
      case 1: return dv.getInt8(at);
      case 2: return dv.getUint16(at, true);
      case 3: return dv.getInt16(at, true);
      case 4: return dv.getUint32(at, true);
      case 5: return dv.getInt32(at, true);
      case 6: return dv.getFloat32(at, true);
      case 7: return dv.getUint8(at) > 1 ? fail('VALUE') : dv.getUint8(at) === 1;
      case 10: return dv.getBigUint64(at, true);
      case 11: return dv.getBigInt64(at, true);
      default: return dv.getFloat64(at, true);
    }
  };
  try {
    if (b.length < 4) fail('TRUNCATED');
    const magic = String.fromCharCode(...b.subarray(0, 4));
    p = 4;
    if (magic === 'FUGG') fail('BIG_ENDIAN');
    if (magic !== 'GGUF') fail('MAGIC');
    const version = u32('version');
    if (version !== 0 && version % 65536 === 0) fail('BIG_ENDIAN');
    if (version !== 2 && version !== 3) fail('VERSION');
    const nt = u64('tensorCount');
    const nkv = u64('kvCount');
    declare(nt * 24n + nkv * 14n);
    const meta: [string, string, unknown][] = [];
    const kvSpans: { start: number; end: number }[] = [];
    for (let i = 0n; i < nkv; i++) {
      const start = p;
      const key = utf8Of(str());
      if (key === null || key === '' || meta.some((m) => m[0] === key)) fail('KEY');
      let t = u32('valueType');
      let value: unknown;
      let type: string;
      if (t === 9) {
        t = u32('itemType');
        if (t > 12 || t === 9) fail('VALUE');
        const n = u64('arrayLength');
        declare(n * BigInt(SIZES[t]));
        const xs: unknown[] = [];
        for (let k = 0n; k < n; k++) xs.push(scalar(t));
        value = xs;
        type = `${NAMES[t]}[]`;
      } else {
        if (t > 12) fail('VALUE');
        if (key === 'general.alignment' && t === 4) fields.push({ kind: 'alignment', at: p, width: 4 });
        value = scalar(t);
        type = NAMES[t];
      }
      meta.push([key as string, type, value]);
      kvSpans.push({ start, end: p });
    }
    let alignment = 32;
    const al = meta.find((m) => m[0] === 'general.alignment');
    if (al) {
      if (al[1] !== 'UINT32') fail('VALUE');
      alignment = al[2] as number;
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) fail('VALUE');
    }
    const raw: { name: string; type: string; ne: number[]; offset: bigint; byteLength: number }[] = [];
    const tensorSpans: { start: number; end: number }[] = [];
    for (let i = 0n; i < nt; i++) {
      const start = p;
      const name = utf8Of(str());
      if (name === null || raw.some((r) => r.name === name)) fail('TENSOR_INFO');
      const nd = u32('nDims');
      if (nd > 4) fail('TENSOR_INFO');
      const ne: bigint[] = [];
      for (let j = 0; j < nd; j++) ne.push(u64('dim'));
      if (ne.some((d) => d > 2n ** 53n - 1n)) fail('TENSOR_INFO');
      const count = ne.reduce((a, d) => a * d, 1n);
      if (count > 2n ** 53n - 1n) fail('TENSOR_INFO');
      const info = TYPES_BY_ID.get(u32('ggmlType')) ?? fail('TENSOR_INFO');
      if ((nd === 0 ? 1n : ne[0]) % BigInt(info.blockSize) !== 0n) fail('TENSOR_INFO');
      const bytes = (count / BigInt(info.blockSize)) * BigInt(info.typeSize);
      if (bytes > 2n ** 53n - 1n) fail('TENSOR_INFO');
      raw.push({ name: name as string, type: info.name, ne: ne.map(Number), offset: u64('offset'), byteLength: Number(bytes) });
      tensorSpans.push({ start, end: p });
    }
    const dataOffset = raw.length > 0 ? Math.ceil(p / alignment) * alignment : p;
    if (dataOffset > b.length) fail('TRUNCATED');
    const tensors = raw.map((r) => {
      if (r.offset % BigInt(alignment) !== 0n) fail('OFFSETS');
      if (BigInt(dataOffset) + r.offset > BigInt(b.length)) fail('OFFSETS');
      if (dataOffset + Number(r.offset) + r.byteLength > b.length) fail('TRUNCATED');
      return { name: r.name, type: r.type, ne: r.ne, offset: Number(r.offset), byteOffset: dataOffset + Number(r.offset), byteLength: r.byteLength };
    });
    for (const a of tensors) {
      for (const c of tensors) {
        if (a !== c && a.byteLength > 0 && c.byteLength > 0 && a.offset < c.offset + c.byteLength && c.offset < a.offset + a.byteLength) fail('OFFSETS');
      }
    }
    return { version, alignment, meta, tensors, dataOffset, kvSpans, tensorSpans, fields };
  } catch (e) {
    if (e instanceof TwinRefused) return e;
    throw e;
  }
}

/** The tensors a valid file holds, by the twin: 'invalid' when it refuses the file. */
export function referenceGguf(bytes: Uint8Array): ReferenceResult {
  const h = twinGguf(bytes);
  if (h instanceof TwinRefused) return 'invalid';
  return h.tensors.map((t) => ({ name: t.name, dtype: t.type, shape: [...t.ne].reverse(), bytes: bytes.slice(t.byteOffset, t.byteOffset + t.byteLength) }));
}

// ---------------------------------------------------------------------------------------------------
// Seeds

function seedOf(name: string, bytes: Uint8Array): FuzzSeed {
  const h = twinGguf(bytes);
  if (h instanceof TwinRefused) throw new Error(`seed ${name} is invalid: ${h.code}`);
  const tensors: ExpectedTensor[] = h.tensors.map((t) => ({ name: t.name, dtype: t.type, shape: [...t.ne].reverse(), bytes: bytes.slice(t.byteOffset, t.byteOffset + t.byteLength) }));
  return { name, bytes, tensors, payload: h.tensors.map((t) => ({ tensor: t.name, fileOffset: t.byteOffset, byteLength: t.byteLength })) };
}

const fill = (n: number, k: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * k + 7) & 255);

export const SEEDS: FuzzSeed[] = [
  seedOf('f32-q8_0', validGguf()),
  seedOf(
    'every-value-type',
    writeGguf({
      metadata: {
        'general.architecture': 'llama', u8: 250, i8: -5, u16: 60000, i16: -3, u32: 7, i32: -7, f32: 0.5, b: true, s: 'héllo ✓',
        u64: 2n ** 64n - 1n, i64: -(2n ** 62n), f64: 1e-300,
        toks: ['<s>', '', '▁the'], f32s: new Float32Array([0, -1.5]), i32s: new Int32Array([1, -2]), bools: [false, true], u64s: new BigUint64Array([1n]),
      },
      metadataTypes: { u8: 'UINT8', i8: 'INT8', u16: 'UINT16', i16: 'INT16', u32: 'UINT32', f32: 'FLOAT32', b: 'BOOL' },
      tensors: [
        { name: 'f16', type: 'F16', shape: [2, 2], data: new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]) },
        { name: 'bf16', type: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0x8000, 0x7f80]) },
        { name: 'q4_k', type: 'Q4_K', shape: [1, 256], data: fill(144, 37) },
        { name: 'mxfp4', type: 'MXFP4', shape: [32], data: fill(17, 11) },
        { name: 'iq4_nl', type: 'IQ4_NL', shape: [2, 32], data: fill(36, 5) },
        { name: 'i32', type: 'I32', shape: [2], data: new Int32Array([-1, 2 ** 30]) },
      ],
    }),
  ),
  (() => {
    // version 2, alignment 64, an empty tensor and a K-quant of two rows
    const b = writeGguf({
      metadata: { 'general.alignment': 64, 'general.name': 'v2' },
      metadataTypes: { 'general.alignment': 'UINT32' },
      tensors: [
        { name: 'empty', type: 'Q8_0', shape: [0, 32], data: new Uint8Array(0) },
        { name: 'q6_k', type: 'Q6_K', shape: [2, 256], data: fill(420, 13) },
        { name: 'tq2_0', type: 'TQ2_0', shape: [256], data: fill(66, 3) },
      ],
    });
    b[4] = 2;
    return seedOf('v2-align64', b);
  })(),
];

// ---------------------------------------------------------------------------------------------------
// Reading through every entry point

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  let main: ReadTensor[] | undefined;
  let mainError: unknown;
  try {
    main = await readAll(await openGguf(ctx.source(bytes, 'fuzz.gguf')));
  } catch (e) {
    mainError = e;
  }
  const mainOutcome = main ? 'success' : outcomeOf(mainError);
  let parsed: ReturnType<typeof parseGguf> | undefined;
  try {
    parsed = parseGguf(bytes);
    if (mainOutcome !== 'success') throw new FuzzCheckError(`entry points disagree: openGguf gave ${mainOutcome}, parseGguf accepted the file`);
  } catch (e) {
    if (e instanceof FuzzCheckError) throw e;
    if (outcomeOf(e) !== mainOutcome) throw new FuzzCheckError(`entry points disagree: openGguf gave ${mainOutcome}, parseGguf ${outcomeOf(e)}`);
  }
  // the header read in small first pieces (3, 17, 64 bytes): the reads that grow the buffer
  const first = 3 + (bytes.length % 61);
  try {
    const h = await readGgufFrom(bytesSource(bytes, 'fuzz.gguf', GgufError), undefined, first);
    if (parsed === undefined) throw new FuzzCheckError(`entry points disagree: parseGguf refused the file, readGguf (first read ${first} bytes) accepted it`);
    if (JSON.stringify(h.tensors) !== JSON.stringify(parsed.tensors) || h.metadata.size !== parsed.metadata.size) {
      throw new FuzzCheckError(`readGguf (first read ${first} bytes) and parseGguf read different headers`);
    }
  } catch (e) {
    if (e instanceof FuzzCheckError) throw e;
    if (outcomeOf(e) !== mainOutcome) throw new FuzzCheckError(`entry points disagree: openGguf gave ${mainOutcome}, readGguf (first read ${first} bytes) ${outcomeOf(e)}`);
  }
  if (main === undefined) throw mainError;
  return main;
}

// ---------------------------------------------------------------------------------------------------
// Records: the key/value pairs and the tensor infos; their counts follow

function setCount(at: number) {
  return (b: Uint8Array, change: { newCount: number }): Uint8Array => {
    const out = b.slice();
    new DataView(out.buffer).setBigUint64(at, BigInt(change.newCount), true);
    return out;
  };
}

function records(bytes: Uint8Array): readonly RecordList[] {
  const h = twinGguf(bytes);
  if (h instanceof TwinRefused) return [];
  const lists: RecordList[] = [];
  if (h.kvSpans.length > 0) lists.push({ items: h.kvSpans, reframe: setCount(16) });
  if (h.tensorSpans.length > 0) lists.push({ items: h.tensorSpans, reframe: setCount(8) });
  return lists;
}

// ---------------------------------------------------------------------------------------------------
// Structure-aware mutants: one header field set to a value its rules care about

const FIELD_VALUES: Record<TwinField['kind'], readonly bigint[]> = {
  version: [0n, 1n, 2n, 3n, 4n, 0x03000000n, 0x02000000n, 0xffffn],
  tensorCount: [0n, 1n, 2n, 3n, 7n, 1000n, 2n ** 40n, 2n ** 64n - 1n],
  kvCount: [0n, 1n, 2n, 5n, 100n, 2n ** 32n, 2n ** 63n],
  valueType: [0n, 4n, 6n, 7n, 8n, 9n, 10n, 12n, 13n, 2n ** 31n],
  itemType: [0n, 7n, 8n, 9n, 11n, 13n],
  arrayLength: [0n, 1n, 2n, 3n, 1000n, 2n ** 40n, 2n ** 64n - 1n],
  stringLength: [0n, 1n, 3n, 8n, 100n, 2n ** 28n + 1n, 2n ** 40n],
  nDims: [0n, 1n, 2n, 4n, 5n, 2n ** 32n - 1n],
  dim: [0n, 1n, 2n, 16n, 31n, 32n, 64n, 256n, 257n, 2n ** 32n, 2n ** 53n, 2n ** 63n],
  ggmlType: [...Object.values(GGML_TYPES).map((t) => BigInt(t.id)), 4n, 5n, 31n, 36n, 43n, 2n ** 31n],
  offset: [0n, 1n, 16n, 32n, 64n, 96n, 128n, 2n ** 40n, 2n ** 63n],
  alignment: [0n, 1n, 2n, 8n, 16n, 32n, 48n, 64n, 4096n, 2n ** 31n],
};

function structured(seed: FuzzSeed): fc.Arbitrary<Uint8Array> {
  const h = twinGguf(seed.bytes);
  if (h instanceof TwinRefused || h.fields.length === 0) return fc.constant(seed.bytes.slice());
  const edit = fc.tuple(fc.nat({ max: h.fields.length - 1 }), fc.nat({ max: 63 }));
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const out = seed.bytes.slice();
    const dv = new DataView(out.buffer);
    for (const [f, v] of edits) {
      const field = h.fields[f];
      const values = FIELD_VALUES[field.kind];
      const value = values[v % values.length];
      if (field.width === 4) dv.setUint32(field.at, Number(value & 0xffffffffn), true);
      else dv.setBigUint64(field.at, value, true);
    }
    return out;
  });
}

const target: FuzzTarget = {
  name: 'gguf',
  errors: GgufError,
  seeds: SEEDS,
  read,
  reference: referenceGguf,
  records,
  structured,
  prefixes: [utf8('GGUF\x03\0\0\0'), utf8('GGUF\x02\0\0\0'), utf8('FUGG'), utf8('GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0')],
  // readAll reads each tensor as float64 whole and in chunks: a Q1_0 block of 18 bytes is 128 values (1 KiB as float64)
  budget: { allocFactor: 192 },
  extension: '.gguf',
};
export default target;
