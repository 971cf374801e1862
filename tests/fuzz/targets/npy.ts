// Fuzz target: .npy files. Seeds are built byte by byte here (numpy's layout: magic, version, header
// length, a Python dict literal padded with spaces and '\n' to a multiple of 64, data). Each case is
// read through openNpy over a counting ByteSource (whole, as floats, in chunks), readNpy on the bytes and
// parseNpyHeader, which must agree. Accepted files are checked against a slow reference decoder for
// numpy's canonical header (anything else it leaves to the other checks); records are the three dict
// items (header length repaired); structure-aware mutants rewrite descr, fortran_order, shape, the keys,
// the version and the padding, with a correct header length.
import fc from 'fast-check';
import { NpyError, openNpy, parseNpyHeader, readNpy } from '../../../src/io/index.js';
import { bytesOfView, cat, FuzzCheckError, le, outcomeOf, readAll, utf8, type FuzzSeed, type FuzzTarget, type ReadTensor, type ReferenceResult } from '../harness.js';

const MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);

/** An .npy file with header text `dict` (padded as numpy pads), version `v`. */
export function npyFile(dict: string, data: Uint8Array, v: 1 | 2 | 3 = 1, pad = true): Uint8Array {
  const lenBytes = v === 1 ? 2 : 4;
  let header = dict;
  if (pad) {
    const total = 8 + lenBytes + header.length + 1;
    header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  }
  const h = utf8(header);
  const len = new Uint8Array(lenBytes);
  const dv = new DataView(len.buffer);
  if (v === 1) dv.setUint16(0, Math.min(h.length, 0xffff), true);
  else dv.setUint32(0, h.length, true);
  return cat(MAGIC, Uint8Array.of(v, 0), len, h, data);
}

function seed(name: string, descr: string, dtype: string, shape: number[], data: Uint8Array, v: 1 | 2 | 3 = 1, dict?: string): FuzzSeed {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const bytes = npyFile(dict ?? `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`, data, v);
  const stored = dtype === 'BOOL' ? data.map((b) => (b === 0 ? 0 : 1)) : data;
  return { name, bytes, tensors: [{ name: 'array', dtype, shape, bytes: stored }], payload: [{ tensor: 'array', fileOffset: bytes.length - data.length, byteLength: data.length }] };
}

export const SEEDS: FuzzSeed[] = [
  seed('f4-2x3', '<f4', 'F32', [2, 3], le(new Float32Array([1, 2, 3, -0, Number.NaN, 1e-40]))),
  seed('b1-5', '|b1', 'BOOL', [5], Uint8Array.of(0, 1, 1, 0, 1)),
  seed('i8-scalar-v2', '<i8', 'I64', [], le(new BigInt64Array([-(2n ** 40n)])), 2),
  seed('u2-3x1-v3', '<u2', 'U16', [3, 1], le(new Uint16Array([1, 2, 65535])), 3),
  seed('f2-empty', '<f2', 'F16', [0, 4], new Uint8Array(0)),
  seed('u1-keys-reordered', '|u1', 'U8', [4], Uint8Array.of(9, 8, 7, 6), 1, `{"shape": (4,), "fortran_order": False, "descr": "|u1"}`),
  seed('f8-2', '<f8', 'F64', [2], le(new Float64Array([Math.E, -Infinity]))),
];

// ------------------------------------------------------------------------------------------------
// reference decoder for numpy's canonical header

const CODES: Record<string, [string, number]> = {
  f8: ['F64', 8], f4: ['F32', 4], f2: ['F16', 2], i8: ['I64', 8], i4: ['I32', 4], i2: ['I16', 2], i1: ['I8', 1],
  u8: ['U64', 8], u4: ['U32', 4], u2: ['U16', 2], u1: ['U8', 1], b1: ['BOOL', 1],
};

export function referenceNpy(bytes: Uint8Array): ReferenceResult {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) return 'invalid';
  const major = bytes[6];
  if (![1, 2, 3].includes(major) || bytes[7] !== 0) return 'invalid';
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) return 'invalid';
  const hlen = lenBytes === 2 ? bytes[8] + 256 * bytes[9] : bytes[8] + 256 * bytes[9] + 65536 * bytes[10] + 16777216 * bytes[11];
  const start = 8 + lenBytes;
  if (start + hlen > bytes.length) return 'invalid';
  const raw = bytes.subarray(start, start + hlen);
  let text = '';
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return 'invalid';
    }
  } else for (const b of raw) text += String.fromCharCode(b);
  const m = /^\{'descr': '([<>|=]?)([a-z]\d+)', 'fortran_order': (True|False), 'shape': \(((?:0|[1-9]\d*),|(?:0|[1-9]\d*)(?:, (?:0|[1-9]\d*))+|)\), \}[ ]*\n?$/.exec(text);
  if (!m) return 'unknown';
  const code = CODES[m[2]];
  if (code === undefined) return 'invalid';
  const [dtype, size] = code;
  if (size > 1 && m[1] !== '<' && m[1] !== '=') return 'invalid';
  if (m[3] === 'True') return 'invalid';
  const shape = m[4] === '' ? [] : m[4].split(',').filter((s) => s.trim() !== '').map((s) => Number(s.trim()));
  if (!shape.every(Number.isSafeInteger)) return 'unknown';
  let need = BigInt(size);
  for (const d of shape) need *= BigInt(d);
  if (BigInt(bytes.length - start - hlen) !== need) return 'invalid';
  let data = bytes.slice(start + hlen);
  if (dtype === 'BOOL') data = data.map((b) => (b === 0 ? 0 : 1));
  return [{ name: 'array', dtype, shape, bytes: data }];
}

// ------------------------------------------------------------------------------------------------
// reading through every entry point

async function read(bytes: Uint8Array, ctx: Parameters<FuzzTarget['read']>[1]): Promise<readonly ReadTensor[]> {
  let main: ReadTensor[] | undefined;
  let mainError: unknown;
  try {
    main = await readAll(await openNpy(ctx.source(bytes, 'fuzz.npy'), { tensorName: 'array' }));
  } catch (e) {
    mainError = e;
  }
  let whole: ReturnType<typeof readNpy> | undefined;
  let wholeError: unknown;
  try {
    whole = readNpy(bytes);
  } catch (e) {
    wholeError = e;
  }
  let headerError: unknown;
  try {
    parseNpyHeader(bytes, bytes.length);
  } catch (e) {
    headerError = e;
  }
  const mainCode = main ? 'success' : outcomeOf(mainError);
  if (mainCode !== (whole ? 'success' : outcomeOf(wholeError))) throw new FuzzCheckError(`entry points disagree: openNpy gave ${mainCode}, readNpy gave ${whole ? 'success' : outcomeOf(wholeError)}`);
  if (mainCode !== (headerError === undefined ? 'success' : outcomeOf(headerError))) throw new FuzzCheckError(`entry points disagree: openNpy gave ${mainCode}, parseNpyHeader gave ${headerError === undefined ? 'success' : outcomeOf(headerError)}`);
  if (main === undefined) throw mainError;
  const t = main[0];
  const w = bytesOfView(whole!.data);
  if (whole!.dtype !== t.dtype || whole!.shape.join() !== t.shape.join() || w.length !== t.bytes.length || w.some((x, i) => x !== t.bytes[i])) {
    throw new FuzzCheckError(`readNpy and openNpy read different arrays (${whole!.dtype} [${whole!.shape}] vs ${t.dtype} [${t.shape}])`);
  }
  return main;
}

// ------------------------------------------------------------------------------------------------
// records: the dict items; the header length follows

function headerInfo(bytes: Uint8Array): { lenBytes: number; start: number; hlen: number } {
  const lenBytes = bytes[6] === 1 ? 2 : 4;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { lenBytes, start: 8 + lenBytes, hlen: lenBytes === 2 ? dv.getUint16(8, true) : dv.getUint32(8, true) };
}

function records(bytes: Uint8Array) {
  const { lenBytes, start, hlen } = headerInfo(bytes);
  const text = String.fromCharCode(...bytes.subarray(start, start + hlen));
  const keys = ['descr', 'fortran_order', 'shape'].map((k) => Math.max(text.indexOf(`'${k}'`), text.indexOf(`"${k}"`))).filter((i) => i >= 0).sort((a, b) => a - b);
  const close = text.lastIndexOf('}');
  const items = keys.map((k, i) => ({ start: start + k, end: start + (i + 1 < keys.length ? keys[i + 1] : close) }));
  return [
    {
      items,
      reframe(b: Uint8Array, change: { oldEnd: number; newEnd: number }) {
        const out = b.slice();
        const dv = new DataView(out.buffer);
        const n = hlen + change.newEnd - change.oldEnd;
        if (lenBytes === 2) dv.setUint16(8, n & 0xffff, true);
        else dv.setUint32(8, n, true);
        return out;
      },
    },
  ];
}

// ------------------------------------------------------------------------------------------------
// structure-aware mutants

const DESCRS = ['<f4', '<f8', '<f2', '|b1', '<b1', '>f4', '=f4', 'f4', '|f4', '<i8', '|i1', '>i1', '<u8', '<c8', '|O', '<U10', '|S3', '<M8[s]', '<f16', '<f0', '<f4 ', '',
  "[('a', '<f4')]", "('<f4', (2,))", "{'names': ['a']}"];
const SHAPES = ['()', '(0,)', '(-0,)', '(-0, 3)', '(+0,)', '(1,)', '(3,)', '(2, 3)', '(2,3)', '(2, 3,)', '(9223372036854775808,)', '(4294967296, 4294967296)', '(-1,)', '(1.0,)', '(2)', '[2]',
  '(+2,)', '(0x2,)', '(2L,)', "('2',)", '(None,)', '((2,),)', '(' + '1, '.repeat(40) + ')', '(' + '('.repeat(100) + ')'.repeat(100) + ',)', '(000002,)'];
const FORTRAN = ['False', 'True', '0', '1', 'None', "'False'", 'false'];

interface NpyEdit {
  descr: string | undefined;
  shape: string | undefined;
  fortran: string | undefined;
  quote: "'" | '"';
  extra: string | undefined;
  drop: number | undefined;
  dup: number | undefined;
  version: number | undefined;
  padding: 'numpy' | 'none' | 'nul' | 'tab';
  dataDelta: number;
  lengthDelta: number;
}

/** `arb` in a quarter of the cases, else undefined (most mutants change one or two things). */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const editArb: fc.Arbitrary<NpyEdit> = fc.record({
  descr: rarely(fc.constantFrom(...DESCRS)),
  shape: rarely(fc.constantFrom(...SHAPES)),
  fortran: rarely(fc.constantFrom(...FORTRAN)),
  quote: fc.constantFrom("'" as const, '"' as const),
  extra: rarely(fc.constantFrom("'x': 1", "'__proto__': {'polluted': 1}", "'descr': '<f4'", '1: 2', "'a': [" + '['.repeat(50) + ']'.repeat(50) + ']')),
  drop: rarely(fc.nat(2)),
  dup: rarely(fc.nat(2)),
  version: rarely(fc.constantFrom(1, 2, 3, 0, 4, 0x31)),
  padding: fc.oneof({ weight: 5, arbitrary: fc.constant('numpy' as const) }, { weight: 1, arbitrary: fc.constantFrom('none' as const, 'nul' as const, 'tab' as const) }),
  dataDelta: fc.constantFrom(0, 0, 0, 0, 0, 1, -1, 4, -4, 64),
  lengthDelta: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1, 65536),
});

function applyEdit(s: FuzzSeed, e: NpyEdit): Uint8Array {
  const t = s.tensors[0];
  const descr0 = { F32: '<f4', BOOL: '|b1', I64: '<i8', U16: '<u2', F16: '<f2', U8: '|u1', F64: '<f8' }[t.dtype] ?? '<f4';
  const shape0 = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  const q = e.quote;
  const items = [`${q}descr${q}: ${e.descr !== undefined && e.descr.startsWith('[') ? e.descr : `${q}${e.descr ?? descr0}${q}`}`, `${q}fortran_order${q}: ${e.fortran ?? 'False'}`, `${q}shape${q}: ${e.shape ?? shape0}`];
  if (e.dup !== undefined) items.push(items[e.dup]);
  if (e.drop !== undefined) items.splice(e.drop, 1);
  if (e.extra !== undefined) items.push(e.extra);
  let dict = `{${items.join(', ')}, }`;
  const { start, hlen } = headerInfo(s.bytes);
  let data = s.bytes.subarray(start + hlen);
  data = e.dataDelta < 0 ? data.subarray(0, Math.max(0, data.length + e.dataDelta)) : cat(data, new Uint8Array(e.dataDelta).fill(1));
  const v = e.version ?? s.bytes[6];
  if (e.padding === 'nul') dict += '\0'.repeat(8);
  if (e.padding === 'tab') dict += '\t\n';
  const out = npyFile(dict, data, v === 1 || v === 2 || v === 3 ? v : 1, e.padding === 'numpy');
  if (v !== 1 && v !== 2 && v !== 3) out[6] = v;
  if (e.lengthDelta !== 0) {
    const dv = new DataView(out.buffer);
    if (out[6] === 1) dv.setUint16(8, (dv.getUint16(8, true) + e.lengthDelta) & 0xffff, true);
    else dv.setUint32(8, (dv.getUint32(8, true) + e.lengthDelta) >>> 0, true);
  }
  return out;
}

const target: FuzzTarget = {
  name: 'npy',
  errors: NpyError,
  seeds: SEEDS,
  read,
  reference: referenceNpy,
  records,
  structured: (s) => editArb.map((e) => applyEdit(s, e)),
  storedOf: (dtype, b) => (dtype === 'BOOL' ? b.map((x) => (x === 0 ? 0 : 1)) : b),
  prefixes: [cat(MAGIC, Uint8Array.of(1, 0)), cat(MAGIC, Uint8Array.of(2, 0)), cat(MAGIC, Uint8Array.of(3, 0)), cat(MAGIC, Uint8Array.of(1, 0, 0x76, 0, 0x7b))],
  extension: '.npy',
};
export default target;
