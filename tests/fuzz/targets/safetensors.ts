// Fuzz target: safetensors files. Seeds are built byte by byte here (not by lowp's writer). Each case is
// read through three entry points that must agree: openSafetensors over a counting ByteSource (every
// tensor whole, as floats, in chunks), parseSafetensors on the bytes, and openSafetensorsSync with
// tensorSync/readFloatSync/chunksSync. Accepted files are checked against a slow reference decoder
// (JSON.parse and the rules of the format spelled out plainly); records are the members of the JSON
// header (length prefix repaired); structure-aware mutants edit dtypes, shapes, offsets, names and
// metadata of the header model and re-serialise it.
import fc from 'fast-check';
import { DTYPES, dtypeSize, isDType, openSafetensors, openSafetensorsSync, parseSafetensors, SafetensorsError, type DType, type SafetensorsFile } from '../../../src/io/index.js';
import { LowpIoError } from '../../../src/io/errors.js';
import {
  bytesOfView,
  cat,
  FuzzCheckError,
  jsonMembers,
  le,
  readAll,
  utf8,
  type ExpectedTensor,
  type FuzzSeed,
  type FuzzTarget,
  type ReadTensor,
  type ReferenceResult,
} from '../harness.js';

// ------------------------------------------------------------------------------------------------
// seeds

interface SeedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file: header members in `order` (default: data order), data in the tensors' order. */
export function buildSafetensors(tensors: SeedTensor[], metadata?: Record<string, string>, order?: number[]): FuzzSeed {
  let at = 0;
  const offsets = tensors.map((t) => {
    const o = [at, at + t.bytes.length];
    at += t.bytes.length;
    return o;
  });
  // ASCII only (non-ASCII as \u escapes), so that character positions are byte positions
  const ascii = (v: unknown): string => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const members: string[] = [];
  if (metadata) members.push(`"__metadata__":${ascii(metadata)}`);
  for (const i of order ?? tensors.map((_, k) => k)) {
    const t = tensors[i];
    members.push(`${ascii(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offsets[i][0]},${offsets[i][1]}]}`);
  }
  let header = `{${members.join(',')}}`;
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const h = utf8(header);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(h.length), true);
  const bytes = cat(prefix, h, ...tensors.map((t) => t.bytes));
  const dataStart = 8 + h.length;
  return {
    name: tensors.map((t) => t.name).join('+').slice(0, 40),
    bytes,
    tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.bytes })),
    payload: tensors.map((t, i) => ({ tensor: t.name, fileOffset: dataStart + offsets[i][0], byteLength: t.bytes.length })),
  };
}

const seq = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

export const SEEDS: FuzzSeed[] = [
  buildSafetensors(
    [
      { name: 'a', dtype: 'F32', shape: [2, 2], bytes: le(new Float32Array([1, -2.5, 3e38, Number.NaN])) },
      { name: 'b', dtype: 'BF16', shape: [3], bytes: le(new Uint16Array([0x3f80, 0xc000, 0x7f80])) },
      { name: 'c', dtype: 'I64', shape: [], bytes: le(new BigInt64Array([-7n])) },
    ],
    { format: 'pt' },
  ),
  buildSafetensors([
    { name: 'fp8', dtype: 'F8_E4M3', shape: [5], bytes: Uint8Array.from([0, 0x38, 0x7e, 0x7f, 0xff]) },
    { name: 'empty', dtype: 'U8', shape: [0], bytes: new Uint8Array(0) },
    { name: 'mask', dtype: 'BOOL', shape: [3], bytes: Uint8Array.from([0, 1, 1]) },
    { name: 'half', dtype: 'F16', shape: [2, 1, 2], bytes: le(new Uint16Array([0x3c00, 0x7c00, 0xfc00, 0x0001])) },
    { name: 'i8', dtype: 'I8', shape: [7], bytes: Uint8Array.from(seq(7, (i) => (i * 37) & 0xff)) },
    { name: 'f64', dtype: 'F64', shape: [1], bytes: le(new Float64Array([Math.PI])) },
    { name: 'u16', dtype: 'U16', shape: [2], bytes: le(new Uint16Array([1, 65535])) },
    { name: 'i32', dtype: 'I32', shape: [1, 1], bytes: le(new Int32Array([-1])) },
    { name: 'u64', dtype: 'U64', shape: [1], bytes: le(new BigUint64Array([2n ** 63n])) },
    { name: 'e5m2', dtype: 'F8_E5M2', shape: [3], bytes: Uint8Array.from([0x3c, 0x7c, 0x80]) },
    { name: 'e8m0', dtype: 'F8_E8M0', shape: [2], bytes: Uint8Array.from([127, 255]) },
    { name: 'i16', dtype: 'I16', shape: [1], bytes: le(new Int16Array([-300])) },
    { name: 'u32', dtype: 'U32', shape: [1], bytes: le(new Uint32Array([4e9])) },
  ]),
  buildSafetensors([{ name: 'w', dtype: 'F32', shape: [4], bytes: le(new Float32Array([0.5, 1, 2, 4])) }]),
  // header order differs from data order; names with escapes
  buildSafetensors(
    [
      { name: 'x\u00e9', dtype: 'F16', shape: [2], bytes: le(new Uint16Array([0x3c00, 0x4000])) },
      { name: 'q"uote', dtype: 'U8', shape: [3], bytes: Uint8Array.from([1, 2, 3]) },
      { name: 'z', dtype: 'I32', shape: [2], bytes: le(new Int32Array([5, -5])) },
    ],
    { k: 'v', '': 'empty key' },
    [2, 0, 1],
  ),
];

// ------------------------------------------------------------------------------------------------
// reference decoder: the format's rules, plainly, on JSON.parse

const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function referenceSafetensors(bytes: Uint8Array): ReferenceResult {
  if (bytes.length < 8) return 'invalid';
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > 100_000_000n || n > BigInt(bytes.length - 8) || n < 2n) return 'invalid';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + Number(n)));
  } catch {
    return 'invalid';
  }
  if (text[0] !== '{') return 'invalid';
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return 'invalid';
  const dataStart = 8 + Number(n);
  const dataSize = bytes.length - dataStart;
  const list: Array<{ name: string; dtype: DType; shape: number[]; begin: number; end: number }> = [];
  for (const [name, info] of Object.entries(root as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null) continue;
      if (typeof info !== 'object' || Array.isArray(info)) return 'invalid';
      if (Object.values(info as object).some((v) => typeof v !== 'string')) return 'invalid';
      continue;
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info)) return 'invalid';
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !isDType(dtype)) return 'invalid';
    if (!Array.isArray(shape) || !shape.every(isNat)) return 'invalid';
    if (!Array.isArray(offs) || offs.length !== 2 || !isNat(offs[0]) || !isNat(offs[1])) return 'invalid';
    let elements = 1n;
    for (const d of shape as number[]) elements *= BigInt(d);
    if (BigInt(offs[1]) - BigInt(offs[0]) !== elements * BigInt(dtypeSize(dtype))) return 'invalid';
    list.push({ name, dtype, shape: shape as number[], begin: offs[0], end: offs[1] });
  }
  list.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const t of list) {
    if (t.begin !== at) return 'invalid';
    at = t.end;
  }
  if (at !== dataSize) return 'invalid';
  return list.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: bytes.slice(dataStart + t.begin, dataStart + t.end) }));
}

// ------------------------------------------------------------------------------------------------
// reading through every entry point

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function attempt<T>(f: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function sameCode(label: string, a: Outcome<unknown>, b: Outcome<unknown>): void {
  if (a.ok && b.ok) return;
  const code = (o: Outcome<unknown>): string =>
    o.ok ? 'success' : o.error instanceof LowpIoError ? `${o.error.name} ${o.error.code}` : `${(o.error as Error)?.name}: ${(o.error as Error)?.message}`;
  if (code(a) !== code(b)) throw new FuzzCheckError(`entry points disagree: openSafetensors gave ${code(a)}, ${label} gave ${code(b)}`);
}

/** Everything through the synchronous API. */
function readSync(st: SafetensorsFile): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  try {
    for (const t of st.tensors) {
      const whole = st.tensorSync(t.name);
      const bytes = bytesOfView(whole.data);
      const f64 = st.readFloatSync(t.name, { as: 'float64' });
      let at = 0;
      for (const c of st.chunksSync(t.name, { elements: 3, as: 'float64', reuse: true })) {
        for (let i = 0; i < c.data.length; i++) {
          const x = c.data[i];
          const y = f64[c.start + i];
          if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) throw new FuzzCheckError(`chunksSync('${t.name}') element ${c.start + i}: ${x}, readFloatSync: ${y}`);
        }
        at += c.data.length;
      }
      if (at !== t.elements) throw new FuzzCheckError(`chunksSync('${t.name}') gave ${at} of ${t.elements} elements`);
      let pos = 0;
      for (const c of st.chunksSync(t.name, { elements: 2 })) {
        const b = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
        for (let i = 0; i < b.length; i++) if (b[i] !== bytes[pos + i]) throw new FuzzCheckError(`natural chunksSync('${t.name}') differs from tensorSync at byte ${pos + i}`);
        pos += b.length;
      }
      out.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], bytes });
    }
  } finally {
    st.closeSync();
  }
  return out;
}

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  const main = await attempt(async () => readAll(await openSafetensors(ctx.source(bytes, 'fuzz.safetensors'))));
  const parsed = await attempt(() => parseSafetensors(bytes));
  sameCode('parseSafetensors', main, parsed);
  const sync = await attempt(() => readSync(openSafetensorsSync(ctx.source(bytes, 'fuzz.safetensors'))));
  sameCode('openSafetensorsSync', main, sync);
  if (!main.ok) throw main.error;
  if (parsed.ok) {
    for (const t of parsed.value.tensors) {
      if ([...t.shape, ...t.dataOffsets, t.elements, t.byteLength].some((x) => Object.is(x, -0))) throw new FuzzCheckError(`parseSafetensors reports -0 in tensor '${t.name}' (shape [${t.shape.map((x) => (Object.is(x, -0) ? '-0' : x))}], data_offsets [${t.dataOffsets.map((x) => (Object.is(x, -0) ? '-0' : x))}])`);
    }
    const names = parsed.value.tensors.map((t) => `${t.name}:${t.dtype}:${t.shape}:${t.byteOffset}`).join('|');
    const got = main.value.map((t) => `${t.name}:${t.dtype}:${t.shape}:${t.offset}`).join('|');
    if (names !== got) throw new FuzzCheckError(`parseSafetensors lists ${names}, openSafetensors read ${got}`);
  }
  if (sync.ok) {
    for (const [i, t] of sync.value.entries()) {
      const a = main.value[i];
      if (a.name !== t.name || a.bytes.length !== t.bytes.length || a.bytes.some((x, k) => x !== t.bytes[k])) throw new FuzzCheckError(`openSafetensorsSync read '${t.name}' differently`);
    }
  }
  return main.value;
}

// ------------------------------------------------------------------------------------------------
// records: the members of the header object; the length prefix follows the header

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

function records(bytes: Uint8Array) {
  const n = headerLength(bytes);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const members = jsonMembers(text, 0).map((r) => ({ start: r.start + 8, end: r.end + 8 }));
  return [
    {
      items: members,
      separator: utf8(','),
      reframe(b: Uint8Array, change: { oldEnd: number; newEnd: number }) {
        const out = b.slice();
        new DataView(out.buffer).setBigUint64(0, BigInt(n + change.newEnd - change.oldEnd), true);
        return out;
      },
    },
  ];
}

// ------------------------------------------------------------------------------------------------
// structure-aware mutants: edits of the header model, re-serialised with a correct length prefix

/** A JSON token written as is (numbers beyond doubles, 1.0, -0...). */
class Raw {
  constructor(readonly text: string) {}
}
type Model = null | boolean | string | number | Raw | Model[] | { pairs: Array<[string, Model]> };

function toModel(v: unknown): Model {
  if (Array.isArray(v)) return v.map(toModel);
  if (v !== null && typeof v === 'object') return { pairs: Object.entries(v).map(([k, x]) => [k, toModel(x)]) };
  return v as Model;
}

function serialise(m: Model): string {
  if (m instanceof Raw) return m.text;
  if (Array.isArray(m)) return `[${m.map(serialise).join(',')}]`;
  if (m !== null && typeof m === 'object') return `{${m.pairs.map(([k, v]) => `${JSON.stringify(k)}:${serialise(v)}`).join(',')}}`;
  return JSON.stringify(m) ?? 'null';
}

const NUMBERS: Model[] = [0, 1, 2, 3, 4, 7, 8, 16, -1, 255, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, new Raw('9007199254740993'), new Raw('18446744073709551615'),
  new Raw('18446744073709551616'), new Raw('1.0'), new Raw('1e3'), new Raw('-0'), new Raw('1' + '0'.repeat(80)), '3', null, true];
const numArb = fc.constantFrom(...NUMBERS);

type Edit =
  | { kind: 'dtype'; entry: number; value: Model }
  | { kind: 'shapeDim'; entry: number; dim: number; value: Model }
  | { kind: 'shape'; entry: number; value: Model[] }
  | { kind: 'offset'; entry: number; which: 0 | 1; delta: number; value: Model | undefined }
  | { kind: 'rename'; entry: number; to: string | number }
  | { kind: 'dropField'; entry: number; field: string }
  | { kind: 'addField'; entry: number; field: string; value: Model }
  | { kind: 'metadata'; value: Model }
  | { kind: 'data'; delta: number }
  | { kind: 'signedZero'; entry: number; k: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('dtype' as const), entry: fc.nat(31), value: fc.oneof(fc.constantFrom<Model>(...DTYPES), fc.constantFrom<Model>('F12', 'f32', 'I4', '', 7, null, ['F32'])) }),
  fc.record({ kind: fc.constant('shapeDim' as const), entry: fc.nat(31), dim: fc.nat(3), value: numArb }),
  fc.record({ kind: fc.constant('shape' as const), entry: fc.nat(31), value: fc.array(numArb, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('offset' as const), entry: fc.nat(31), which: fc.constantFrom(0 as const, 1 as const), delta: fc.integer({ min: -9, max: 9 }), value: fc.option(numArb, { nil: undefined }) }),
  fc.record({ kind: fc.constant('rename' as const), entry: fc.nat(31), to: fc.oneof(fc.nat(31), fc.constantFrom('__proto__', 'constructor', 'prototype', '__metadata__', '', 'x'.repeat(300), '\u2028', 'a.b')) }),
  fc.record({ kind: fc.constant('dropField' as const), entry: fc.nat(31), field: fc.constantFrom('dtype', 'shape', 'data_offsets') }),
  fc.record({ kind: fc.constant('addField' as const), entry: fc.nat(31), field: fc.constantFrom('dtype', 'shape', 'extra', '__proto__'), value: numArb }),
  fc.record({
    kind: fc.constant('metadata' as const),
    value: fc.oneof(
      fc.json({ maxDepth: 2 }).map((j) => toModel(JSON.parse(j))),
      fc.constantFrom<Model>(null, 'x', [], { pairs: [['__proto__', 'polluted']] }, { pairs: [['a', 'x'], ['a', 'y']] }),
      fc.nat({ max: 200 }).map((d) => new Raw('['.repeat(d) + ']'.repeat(d))),
    ),
  }),
  fc.record({ kind: fc.constant('data' as const), delta: fc.integer({ min: -16, max: 16 }) }),
  // a zero in the shape or the offsets written as -0 (the first tensor's begin, an empty tensor's dims)
  fc.record({ kind: fc.constant('signedZero' as const), entry: fc.nat(31), k: fc.nat(7) }),
);

function applyEdits(seed: FuzzSeed, edits: Edit[]): Uint8Array {
  const n = headerLength(seed.bytes);
  const root = toModel(JSON.parse(new TextDecoder().decode(seed.bytes.subarray(8, 8 + n)))) as { pairs: Array<[string, Model]> };
  let data = seed.bytes.subarray(8 + n);
  const entries = () => root.pairs.filter(([k]) => k !== '__metadata__');
  const fieldsOf = (e: Model): Array<[string, Model]> | undefined => (e !== null && typeof e === 'object' && !Array.isArray(e) && !(e instanceof Raw) ? e.pairs : undefined);
  for (const e of edits) {
    if (e.kind === 'metadata') {
      const i = root.pairs.findIndex(([k]) => k === '__metadata__');
      if (i >= 0) root.pairs[i][1] = e.value;
      else root.pairs.unshift(['__metadata__', e.value]);
      continue;
    }
    if (e.kind === 'data') {
      data = e.delta < 0 ? data.subarray(0, Math.max(0, data.length + e.delta)) : cat(data, new Uint8Array(e.delta).fill(0x41));
      continue;
    }
    const list = entries();
    if (list.length === 0) continue;
    const pair = list[e.entry % list.length];
    const fields = fieldsOf(pair[1]);
    if (e.kind === 'rename') {
      pair[0] = typeof e.to === 'number' ? list[e.to % list.length][0] : e.to;
      continue;
    }
    if (fields === undefined) continue;
    const get = (f: string) => fields.find(([k]) => k === f);
    if (e.kind === 'signedZero') {
      const zeros: Array<[Model[], number]> = [];
      for (const f of ['shape', 'data_offsets']) {
        const v = get(f)?.[1];
        if (Array.isArray(v)) v.forEach((x, i) => x === 0 && zeros.push([v, i]));
      }
      if (zeros.length > 0) {
        const [arr, i] = zeros[e.k % zeros.length];
        arr[i] = new Raw('-0');
      }
      continue;
    }
    if (e.kind === 'dtype') {
      const d = get('dtype');
      if (d) d[1] = e.value;
    } else if (e.kind === 'shape') {
      const s = get('shape');
      if (s) s[1] = e.value;
    } else if (e.kind === 'shapeDim') {
      const s = get('shape');
      if (s && Array.isArray(s[1]) && s[1].length > 0) s[1][e.dim % s[1].length] = e.value;
    } else if (e.kind === 'offset') {
      const o = get('data_offsets');
      if (o && Array.isArray(o[1]) && o[1].length === 2) {
        const cur = o[1][e.which];
        o[1][e.which] = e.value !== undefined ? e.value : typeof cur === 'number' ? cur + e.delta : cur;
      }
    } else if (e.kind === 'dropField') {
      const k = fields.findIndex(([f]) => f === e.field);
      if (k >= 0) fields.splice(k, 1);
    } else if (e.kind === 'addField') {
      fields.push([e.field, e.value]);
    }
  }
  const h = utf8(serialise(root));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(h.length), true);
  return cat(prefix, h, data);
}

const target: FuzzTarget = {
  name: 'safetensors',
  errors: SafetensorsError,
  seeds: SEEDS,
  read,
  reference: referenceSafetensors,
  records,
  structured: (seed) => fc.array(editArb, { minLength: 1, maxLength: 3 }).map((edits) => applyEdits(seed, edits)),
  prefixes: [
    Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0x7b),
    Uint8Array.of(0x40, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22),
    Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
  ],
  corpus: ['tests/fixtures/corrupt'],
  extension: '.safetensors',
};
export default target;
