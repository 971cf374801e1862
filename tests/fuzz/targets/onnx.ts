// Fuzz target: ONNX models (the initializers lowp/io reads), written here with a protobuf encoder of a
// few lines from the wire-format description, not with lowp's encodeOnnxModel. Each case is opened with
// openOnnx over a counting ByteSource (external data from an in-memory map) and every readable
// initializer read whole, as floats and in chunks; initializers of types lowp lists but does not read
// must refuse a read with DTYPE. Accepted models are checked against a slow reference decoder (a plain
// walk of ModelProto.graph.initializer for raw_data and the typed fields; it says 'unknown' for what it
// does not model: external data, subgraphs, segments, repeated graphs). Records are the initializers of
// the graph (the graph's length prefix repaired); structure-aware mutants rewrite dims, data types,
// data fields, names, external data entries and nesting.
import fc from 'fast-check';
import { OnnxError, openOnnx, type OnnxFile } from '../../../src/io/index.js';
import { codecBytes, elementCodec } from '../../../src/io/elements.js';
import { cat, FuzzCheckError, le, readAll, utf8, type ExpectedTensor, type FuzzSeed, type FuzzTarget, type PayloadRange, type ReadTensor, type RecordList, type ReferenceResult } from '../harness.js';

// ------------------------------------------------------------------------------------------------
// protobuf, written plainly

function varint(v: bigint | number): Uint8Array {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n > 0n ? b | 0x80 : b);
  } while (n > 0n);
  return Uint8Array.from(out);
}
const tag = (field: number, wire: number): Uint8Array => varint((field << 3) | wire);
const vField = (field: number, v: bigint | number): Uint8Array => cat(tag(field, 0), varint(v));
const lField = (field: number, body: Uint8Array): Uint8Array => cat(tag(field, 2), varint(body.length), body);
const sField = (field: number, s: string): Uint8Array => lField(field, utf8(s));

interface TensorSpec {
  name: string;
  type: number;
  dims: Array<number | bigint>;
  raw?: Uint8Array;
  /** A typed field: number and its payload (packed). */
  typed?: { field: number; packed: Uint8Array };
  external?: Array<[string, string]>;
  location?: number;
}

function tensorProto(t: TensorSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const d of t.dims) parts.push(vField(1, d));
  parts.push(vField(2, t.type));
  if (t.typed) parts.push(lField(t.typed.field, t.typed.packed));
  parts.push(sField(8, t.name));
  if (t.raw) parts.push(lField(9, t.raw));
  for (const [k, v] of t.external ?? []) parts.push(lField(13, cat(sField(1, k), sField(2, v))));
  if (t.location !== undefined) parts.push(vField(14, t.location));
  return cat(...parts);
}

/** A model: ir_version, an opset, a graph of initializers; also where the graph and each initializer are. */
function model(tensors: TensorSpec[]): { bytes: Uint8Array; graphLenAt: number; graphBody: number; inits: Array<{ start: number; end: number; body: number }> } {
  const head = cat(vField(1, 8), lField(8, cat(sField(1, ''), vField(2, 17))));
  const name = sField(2, 'g');
  const inits = tensors.map((t) => lField(5, tensorProto(t)));
  const body = cat(name, ...inits);
  const graphTag = tag(7, 2);
  const bytes = cat(head, graphTag, varint(body.length), body);
  const graphBody = head.length + graphTag.length + varint(body.length).length;
  let at = graphBody + name.length;
  const ranges = inits.map((b, i) => {
    const start = at;
    at += b.length;
    const t = tensorProto(tensors[i]);
    return { start, end: at, body: at - t.length };
  });
  return { bytes, graphLenAt: head.length + graphTag.length, graphBody, inits: ranges };
}

const f32 = (...v: number[]): Uint8Array => le(new Float32Array(v));
const EXTERNAL = new Map<string, Uint8Array>([['w.bin', Uint8Array.from({ length: 20 }, (_, i) => i * 9 + 1)]]);

function seed(name: string, tensors: TensorSpec[], expected: ExpectedTensor[]): FuzzSeed {
  const m = model(tensors);
  const payload: PayloadRange[] = [];
  for (const t of tensors) {
    const data = t.raw ?? (t.typed && (t.typed.field === 4 || t.typed.field === 10) ? t.typed.packed : undefined);
    if (data === undefined || data.length === 0) continue;
    // the data is the last occurrence of those bytes inside this tensor's record
    const i = tensors.indexOf(t);
    const r = m.inits[i];
    for (let p = r.end - data.length; p >= r.start; p--) {
      if (data.every((b, k) => m.bytes[p + k] === b)) {
        payload.push({ tensor: t.name, fileOffset: p, byteLength: data.length });
        break;
      }
    }
  }
  return { name, bytes: m.bytes, tensors: expected, payload };
}

const varints = (...v: Array<number | bigint>): Uint8Array => cat(...v.map((x) => varint(x)));

export const SEEDS: FuzzSeed[] = [
  seed('raw', [
    { name: 'w', type: 1, dims: [2, 3], raw: f32(1, -2, 3.5, 0, Number.NaN, 1e-40) },
    { name: 'h', type: 10, dims: [4], raw: le(new Uint16Array([0x3c00, 0xc000, 0x7c00, 1])) },
    { name: 'u8', type: 2, dims: [5], raw: Uint8Array.of(0, 1, 127, 128, 255) },
    { name: 'bf', type: 16, dims: [1, 2], raw: le(new Uint16Array([0x3f80, 0xbf80])) },
    { name: 'i4', type: 22, dims: [3], raw: Uint8Array.of(0x7f, 0x08) },
  ], [
    { name: 'w', dtype: 'F32', shape: [2, 3], bytes: f32(1, -2, 3.5, 0, Number.NaN, 1e-40) },
    { name: 'h', dtype: 'F16', shape: [4], bytes: le(new Uint16Array([0x3c00, 0xc000, 0x7c00, 1])) },
    { name: 'u8', dtype: 'U8', shape: [5], bytes: Uint8Array.of(0, 1, 127, 128, 255) },
    { name: 'bf', dtype: 'BF16', shape: [1, 2], bytes: le(new Uint16Array([0x3f80, 0xbf80])) },
    { name: 'i4', dtype: 'I4', shape: [3], bytes: Uint8Array.of(0x7f, 0x08) },
  ]),
  seed('typed', [
    { name: 'f', type: 1, dims: [2], typed: { field: 4, packed: f32(0.5, -8) } },
    { name: 'l', type: 7, dims: [3], typed: { field: 7, packed: varints(-1n, 2n ** 40n, 5) } },
    { name: 'b', type: 3, dims: [3], typed: { field: 5, packed: varints(-1n, 5, 127) } },
    { name: 'd', type: 11, dims: [], typed: { field: 10, packed: le(new Float64Array([Math.PI])) } },
  ], [
    { name: 'f', dtype: 'F32', shape: [2], bytes: f32(0.5, -8) },
    { name: 'l', dtype: 'I64', shape: [3], bytes: le(new BigInt64Array([-1n, 2n ** 40n, 5n])) },
    { name: 'b', dtype: 'I8', shape: [3], bytes: Uint8Array.of(0xff, 5, 127) },
    { name: 'd', dtype: 'F64', shape: [], bytes: le(new Float64Array([Math.PI])) },
  ]),
  seed('external', [
    { name: 'e', type: 1, dims: [3], external: [['location', 'w.bin'], ['offset', '4'], ['length', '12']], location: 1 },
    { name: 'r', type: 1, dims: [1], raw: f32(7) },
  ], [
    { name: 'e', dtype: 'F32', shape: [3], bytes: EXTERNAL.get('w.bin')!.slice(4, 16) },
    { name: 'r', dtype: 'F32', shape: [1], bytes: f32(7) },
  ]),
];

// ------------------------------------------------------------------------------------------------
// reference decoder: ModelProto.graph.initializer, raw_data and typed fields

interface Field {
  field: number;
  wire: number;
  value: bigint | Uint8Array;
}

/** The fields of a message, or undefined when the wire format is broken. */
function fields(b: Uint8Array): Field[] | undefined {
  const out: Field[] = [];
  let p = 0;
  const rv = (): bigint | undefined => {
    let v = 0n;
    for (let k = 0; k < 10; k++) {
      if (p >= b.length) return undefined;
      const x = b[p++];
      v |= BigInt(x & 0x7f) << BigInt(7 * k);
      if ((x & 0x80) === 0) return v < 2n ** 64n ? v : undefined;
    }
    return undefined;
  };
  while (p < b.length) {
    const t = rv();
    if (t === undefined) return undefined;
    const field = Number(t >> 3n);
    const wire = Number(t & 7n);
    if (field === 0) return undefined;
    if (wire === 0) {
      const v = rv();
      if (v === undefined) return undefined;
      out.push({ field, wire, value: v });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > b.length) return undefined;
      out.push({ field, wire, value: b.slice(p, p + n) });
      p += n;
    } else if (wire === 2) {
      const n = rv();
      if (n === undefined || n > BigInt(b.length - p)) return undefined;
      out.push({ field, wire, value: b.subarray(p, p + Number(n)) });
      p += Number(n);
    } else return undefined;
  }
  return out;
}

const TYPE_DTYPE = new Map<number, string>([[1, 'F32'], [2, 'U8'], [3, 'I8'], [4, 'U16'], [5, 'I16'], [6, 'I32'], [7, 'I64'], [9, 'BOOL'], [10, 'F16'], [11, 'F64'], [12, 'U32'], [13, 'U64'], [16, 'BF16'], [21, 'U4'], [22, 'I4']]);

function packedVarints(fs: Field[], field: number): bigint[] | undefined {
  const out: bigint[] = [];
  for (const f of fs) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(f.value as bigint);
    else if (f.wire === 2) {
      let p = 0;
      const b = f.value as Uint8Array;
      while (p < b.length) {
        let v = 0n;
        let k = 0;
        for (;;) {
          if (p >= b.length || k >= 10) return undefined;
          const x = b[p++];
          v |= BigInt(x & 0x7f) << BigInt(7 * k++);
          if ((x & 0x80) === 0) break;
        }
        out.push(BigInt.asUintN(64, v));
      }
    } else return undefined;
  }
  return out;
}

export function referenceOnnx(bytes: Uint8Array): ReferenceResult {
  const top = fields(bytes);
  if (top === undefined) return 'invalid';
  const graphs = top.filter((f) => f.field === 7);
  if (graphs.length !== 1 || graphs[0].wire !== 2) return graphs.length === 0 ? 'invalid' : 'unknown';
  const g = fields(graphs[0].value as Uint8Array);
  if (g === undefined) return 'invalid';
  if (g.some((f) => f.field === 1)) return 'unknown'; // nodes may hold subgraphs
  const out: ExpectedTensor[] = [];
  const names = new Set<string>();
  for (const init of g.filter((f) => f.field === 5)) {
    if (init.wire !== 2) return 'invalid';
    const t = fields(init.value as Uint8Array);
    if (t === undefined) return 'invalid';
    if (t.some((f) => f.field === 3 || f.field === 6 || f.field === 13 || f.field === 14)) return 'unknown';
    const dims = packedVarints(t, 1);
    const typeField = t.filter((f) => f.field === 2);
    if (dims === undefined || typeField.length !== 1 || typeField[0].wire !== 0) return 'unknown';
    const dtype = TYPE_DTYPE.get(Number(typeField[0].value));
    if (dtype === undefined) return 'unknown';
    const nameField = t.filter((f) => f.field === 8);
    if (nameField.length !== 1 || nameField[0].wire !== 2) return 'unknown';
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(nameField[0].value as Uint8Array);
    } catch {
      return 'invalid';
    }
    if (names.has(name)) return 'invalid';
    names.add(name);
    if (dims.some((d) => d > BigInt(Number.MAX_SAFE_INTEGER))) return 'invalid';
    const shape = dims.map(Number);
    const elements = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elements)) return 'invalid';
    const want = codecBytes(elementCodec(dtype), elements);
    const raw = t.filter((f) => f.field === 9);
    const typedFields = t.filter((f) => [4, 5, 7, 10, 11].includes(f.field));
    if (raw.length > 1) return 'unknown';
    if (raw.length === 1 && typedFields.length > 0) return 'invalid';
    let stored: Uint8Array;
    if (raw.length === 1) {
      if (raw[0].wire !== 2) return 'unknown';
      stored = (raw[0].value as Uint8Array).slice();
      if (stored.length !== want) return 'invalid';
    } else if (typedFields.length === 0) {
      if (elements !== 0) return 'invalid';
      stored = new Uint8Array(0);
    } else if (dtype === 'F32' || dtype === 'F64') {
      const field = dtype === 'F32' ? 4 : 10;
      const size = dtype === 'F32' ? 4 : 8;
      if (typedFields.some((f) => f.field !== field)) return 'unknown';
      const parts = typedFields.map((f) => (f.wire === 2 ? (f.value as Uint8Array) : f.wire === (size === 4 ? 5 : 1) ? (f.value as Uint8Array) : undefined));
      if (parts.some((x) => x === undefined)) return 'unknown';
      stored = cat(...(parts as Uint8Array[]));
      if (stored.length % size !== 0) return 'unknown';
      if (stored.length !== want) return 'invalid';
    } else if (dtype === 'I64' || dtype === 'I8' || dtype === 'I32') {
      const field = dtype === 'I64' ? 7 : 5;
      if (typedFields.some((f) => f.field !== field)) return 'unknown';
      const vals = packedVarints(t, field);
      if (vals === undefined) return 'unknown';
      if (vals.length !== elements) return 'invalid';
      if (dtype === 'I64') stored = le(new BigInt64Array(vals.map((v) => BigInt.asIntN(64, v))));
      else {
        const signed = vals.map((v) => BigInt.asIntN(dtype === 'I32' ? 32 : 64, v));
        const [lo, hi] = dtype === 'I8' ? [-128n, 127n] : [-(2n ** 31n), 2n ** 31n - 1n];
        if (signed.some((v) => v < lo || v > hi || BigInt.asIntN(64, vals[signed.indexOf(v)]) !== v)) return 'unknown';
        stored = dtype === 'I8' ? le(new Int8Array(signed.map(Number))) : le(new Int32Array(signed.map(Number)));
      }
    } else return 'unknown';
    out.push({ name, dtype, shape, bytes: stored });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// reading

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  const f: OnnxFile = await openOnnx(ctx.source(bytes, 'fuzz.onnx'), { externalData: (loc) => EXTERNAL.get(loc) ?? new Uint8Array(0) });
  const unread = f.tensors.filter((t) => t.storage === 'unread');
  for (const t of unread) {
    let e: unknown;
    try {
      await f.tensor(t.name);
    } catch (x) {
      e = x;
    }
    if (!(e instanceof OnnxError) || e.code !== 'DTYPE') throw new FuzzCheckError(`reading '${t.name}' (${t.dtype}, listed, not read) gave ${e === undefined ? 'data' : String(e)}, expected DTYPE`);
    if (!Number.isSafeInteger(t.byteLength) || t.byteLength < 0) throw new FuzzCheckError(`'${t.name}' (${t.dtype}, listed, not read) has byteLength ${t.byteLength}`);
  }
  return readAll(f, {
    skip: (t) => (t as { storage?: string }).storage === 'unread',
    offsetOf: () => undefined,
  });
}

// ------------------------------------------------------------------------------------------------
// records: the initializers; the graph's length prefix follows

function records(bytes: Uint8Array): RecordList[] {
  // the seeds are laid out by model(): find the graph's length varint and the initializers again
  let p = 0;
  const rv = (): number => {
    let v = 0;
    let s = 1;
    for (;;) {
      const x = bytes[p++];
      v += (x & 0x7f) * s;
      s *= 128;
      if ((x & 0x80) === 0) return v;
    }
  };
  const inits: Array<{ start: number; end: number }> = [];
  let graphLenAt = -1;
  let graphLen = 0;
  while (p < bytes.length) {
    const t = rv();
    const field = t >> 3;
    const wire = t & 7;
    if (wire === 0) rv();
    else if (wire === 2) {
      const lenAt = p;
      const n = rv();
      if (field === 7) {
        graphLenAt = lenAt;
        graphLen = n;
        const end = p + n;
        while (p < end) {
          const start = p;
          const gt = rv();
          const gn = (gt & 7) === 2 ? rv() : (rv(), 0);
          p += gn;
          if (gt >> 3 === 5) inits.push({ start, end: p });
        }
      } else p += n;
    } else return [];
  }
  const lenBytes = varint(graphLen).length;
  return [{
    items: inits,
    reframe(b: Uint8Array, change: { oldEnd: number; newEnd: number }): Uint8Array {
      const n = graphLen + change.newEnd - change.oldEnd;
      return cat(b.subarray(0, graphLenAt), varint(n), b.subarray(graphLenAt + lenBytes));
    },
  }];
}

// ------------------------------------------------------------------------------------------------
// structure-aware mutants: initializers rebuilt from edited specs

const SPECS: TensorSpec[] = [
  { name: 'w', type: 1, dims: [2, 3], raw: f32(1, 2, 3, 4, 5, 6) },
  { name: 'l', type: 7, dims: [3], typed: { field: 7, packed: varints(-1n, 2n ** 40n, 5) } },
  { name: 'b', type: 3, dims: [2], typed: { field: 5, packed: varints(-1n, 5) } },
  { name: 'e', type: 1, dims: [3], external: [['location', 'w.bin'], ['offset', '4'], ['length', '12']], location: 1 },
  { name: 's', type: 8, dims: [1], raw: utf8('abc') },
];

const DIMS: Array<number | bigint> = [0, 1, 2, 3, 6, -1, -(2n ** 63n), 2n ** 31n, 2n ** 53n, 2n ** 62n, 2n ** 64n - 1n];
const LOCATIONS = ['w.bin', '../w.bin', '/etc/passwd', 'C:\\w.bin', 'a\u0000b', '', './w.bin', 'sub/../w.bin', 'missing.bin', '//host/share', 'w.bin/'];
const NUMS = ['0', '4', '12', '-1', '1e3', '18446744073709551616', ' 4', '0x4', '', '99999999999999999999'];

type Edit =
  | { kind: 'dims'; i: number; dims: Array<number | bigint> }
  | { kind: 'type'; i: number; type: number }
  | { kind: 'rawLen'; i: number; delta: number }
  | { kind: 'both'; i: number }
  | { kind: 'name'; i: number; name: string }
  | { kind: 'external'; i: number; key: string; value: string }
  | { kind: 'location'; i: number; value: number }
  | { kind: 'typedField'; i: number; field: number; packed: Uint8Array }
  | { kind: 'nest'; depth: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('dims' as const), i: fc.nat(7), dims: fc.array(fc.oneof({ weight: 3, arbitrary: fc.nat(6) }, { weight: 1, arbitrary: fc.constantFrom(...DIMS) }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('type' as const), i: fc.nat(7), type: fc.nat(27) }),
  fc.record({ kind: fc.constant('rawLen' as const), i: fc.nat(7), delta: fc.constantFrom(-4, -1, 1, 4, 100) }),
  fc.record({ kind: fc.constant('both' as const), i: fc.nat(7) }),
  fc.record({ kind: fc.constant('name' as const), i: fc.nat(7), name: fc.constantFrom('w', 'l', '', '__proto__', 'constructor', 'x'.repeat(200), '\u00e9') }),
  fc.record({ kind: fc.constant('external' as const), i: fc.nat(7), key: fc.constantFrom('location', 'offset', 'length', 'checksum', 'other'), value: fc.oneof(fc.constantFrom(...LOCATIONS), fc.constantFrom(...NUMS)) }),
  fc.record({ kind: fc.constant('location' as const), i: fc.nat(7), value: fc.constantFrom(0, 1, 2, -1) }),
  fc.record({ kind: fc.constant('typedField' as const), i: fc.nat(7), field: fc.constantFrom(4, 5, 6, 7, 10, 11, 3), packed: fc.constantFrom(varints(1, 2), f32(1), new Uint8Array(0), Uint8Array.of(0xff), varints(2n ** 64n - 1n, 300), Uint8Array.of(0x80, 0x80)) }),
  fc.record({ kind: fc.constant('nest' as const), depth: fc.constantFrom(10, 31, 32, 33, 63, 64, 65, 200) }),
);

function applyEdits(base: TensorSpec[], edits: Edit[]): Uint8Array {
  const specs = base.map((t) => ({ ...t, dims: [...t.dims], external: t.external?.map(([k, v]) => [k, v] as [string, string]) }));
  let nest = 0;
  for (const e of edits) {
    if (e.kind === 'nest') {
      nest = e.depth;
      continue;
    }
    const t = specs[e.i % specs.length];
    switch (e.kind) {
      case 'dims': t.dims = e.dims; break;
      case 'type': t.type = e.type; break;
      case 'rawLen': if (t.raw) t.raw = e.delta < 0 ? t.raw.subarray(0, Math.max(0, t.raw.length + e.delta)) : cat(t.raw, new Uint8Array(e.delta)); break;
      case 'both': t.raw = t.raw ?? f32(1); t.typed = t.typed ?? { field: 4, packed: f32(2) }; break;
      case 'name': t.name = e.name; break;
      case 'external': {
        const ext = (t.external ??= []);
        const k = ext.findIndex(([key]) => key === e.key);
        if (k >= 0) ext[k] = [e.key, e.value];
        else ext.push([e.key, e.value]);
        break;
      }
      case 'location': t.location = e.value; break;
      case 'typedField': t.typed = { field: e.field, packed: e.packed }; break;
    }
  }
  const bytes = model(specs).bytes;
  if (nest === 0) return bytes;
  // a node whose attribute holds a graph whose node holds an attribute... `nest` levels deep
  let g = sField(2, 'deep');
  for (let k = 0; k < nest; k++) g = lField(1, lField(5, cat(sField(1, 'then_branch'), vField(20, 5), lField(6, g))));
  return cat(bytes, lField(7, g));
}

const target: FuzzTarget = {
  name: 'onnx',
  errors: OnnxError,
  seeds: SEEDS,
  read,
  reference: referenceOnnx,
  records,
  structured: () => fc.array(editArb, { minLength: 1, maxLength: 3 }).chain((edits) => fc.subarray(SPECS, { minLength: 1 }).map((specs) => applyEdits(specs, edits))),
  prefixes: [Uint8Array.of(0x08, 0x08, 0x3a), Uint8Array.of(0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x08, 0x07, 0x3a, 0x10, 0x2a)],
  // typed int64 values are stored as varints: the decoded tensor may hold up to 8 bytes per file byte
  expansion: 8,
  extension: '.onnx',
};
export default target;

