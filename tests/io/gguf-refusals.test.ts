// What the GGUF reader refuses, and that it never crashes, hangs or misreads. First every broken file of
// tests/fixtures/gguf/make-broken.mjs (one or more per rule) through each entry point (parseGguf,
// readGguf, openGguf, openCheckpoint): the documented GgufError code, a one-line message naming the
// file. Then fuzzing (fast-check) of mutated valid files against a slow, obviously-correct twin of the
// parser written here (whole buffer, one DataView, plain recursion, no incremental reads): the reader
// accepts exactly the files the twin accepts, refuses the others with the twin's code, returns the
// twin's header, reads every tensor's bytes from where the twin says they are, dequantizes them as
// lowp/quant does, and never pollutes Object.prototype; the same through a source read in small pieces.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesSource,
  GgufError,
  openCheckpoint,
  openGguf,
  parseGguf,
  readGguf,
  writeGguf,
  type GgufHeader,
} from '../../src/io/index.js';
import { readGgufFrom } from '../../src/io/gguf/header.js';
import { dequantizeGgml, GGML_TYPES } from '../../src/quant/index.js';
import { brokenCases, validGguf } from '../fixtures/gguf/make-broken.mjs';

const cases = brokenCases();

function expectGgufError(e: unknown, code: string, what: string): void {
  expect(e, what).toBeInstanceOf(GgufError);
  expect((e as GgufError).code, `${what}: ${(e as Error).message}`).toBe(code);
  expect((e as Error).message).not.toMatch(/[\r\n]/);
}

describe('broken GGUF files (make-broken.mjs): one named refusal each', () => {
  it(`the set covers every code and rule (${cases.length} files)`, () => {
    const codes = new Set(cases.map((c) => c.code));
    for (const c of ['MAGIC', 'VERSION', 'BIG_ENDIAN', 'KEY', 'VALUE', 'TENSOR_INFO', 'OFFSETS', 'TRUNCATED', 'TOO_LARGE']) expect(codes).toContain(c);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(() => parseGguf(validGguf())).not.toThrow();
  });

  for (const c of cases) {
    it(`${c.name}: ${c.what} → ${c.code}`, async () => {
      let err: unknown;
      try {
        parseGguf(c.bytes, { name: c.name });
      } catch (e) {
        err = e;
      }
      expectGgufError(err, c.code, 'parseGguf');
      expect((err as Error).message.startsWith(`${c.name}: `)).toBe(true);
      await expect(readGguf(c.bytes)).rejects.toMatchObject({ code: c.code });
      await expect(openGguf(new Blob([c.bytes as Uint8Array<ArrayBuffer>]))).rejects.toMatchObject({ code: c.code });
      // by content, whatever the name; a file too short to sniff is read as GGUF by its .gguf name
      let viaOpen: unknown;
      try {
        await openCheckpoint(c.bytes, { name: c.name });
      } catch (e) {
        viaOpen = e;
      }
      expectGgufError(viaOpen, c.code, 'openCheckpoint');
      expect((viaOpen as Error).message).toContain(c.name);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// The twin: a slow, obviously-correct GGUF parser (the rules of docs/gguf.md, in file order).

const LIMIT = 256 * 1024 * 1024;
const SIZES = [1, 1, 2, 2, 4, 4, 4, 1, 8, 0, 8, 8, 8];
const NAMES = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64'];

class Refused {
  constructor(readonly code: string) {}
}

interface TwinHeader {
  version: number;
  alignment: number;
  meta: [string, string, unknown][];
  tensors: { name: string; type: string; ne: number[]; offset: number; byteOffset: number; byteLength: number }[];
  dataOffset: number;
}

function twin(b: Uint8Array): TwinHeader | Refused {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const fail = (code: string): never => {
    throw new Refused(code);
  };
  const need = (n: number | bigint): void => {
    const end = BigInt(p) + BigInt(n);
    if (end > BigInt(b.length)) fail('TRUNCATED');
  };
  const declare = (n: bigint): void => {
    const end = BigInt(p) + n;
    if (end > BigInt(LIMIT)) fail('TOO_LARGE');
    if (end > BigInt(b.length)) fail('TRUNCATED');
  };
  const u32 = (): number => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const u64 = (): bigint => (need(8), (p += 8), dv.getBigUint64(p - 8, true));
  const utf8 = (bytes: Uint8Array): string | null => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return null;
    }
  };
  const str = (): Uint8Array => {
    const n = u64();
    declare(n);
    p += Number(n);
    return b.subarray(p - Number(n), p);
  };
  const scalar = (t: number): unknown => {
    if (t === 8) return utf8(str()) ?? fail('VALUE');
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
    const version = u32();
    if (version !== 0 && version % 65536 === 0) fail('BIG_ENDIAN');
    if (version !== 2 && version !== 3) fail('VERSION');
    const nt = u64();
    const nkv = u64();
    declare(nt * 24n + nkv * 14n);
    const meta: [string, string, unknown][] = [];
    for (let i = 0n; i < nkv; i++) {
      const key = utf8(str());
      if (key === null || key === '' || meta.some((m) => m[0] === key)) fail('KEY');
      let t = u32();
      let value: unknown;
      let type: string;
      if (t === 9) {
        t = u32();
        if (t > 12 || t === 9) fail('VALUE');
        const n = u64();
        declare(n * BigInt(SIZES[t]));
        const xs: unknown[] = [];
        for (let k = 0n; k < n; k++) xs.push(scalar(t));
        value = xs;
        type = `${NAMES[t]}[]`;
      } else {
        if (t > 12) fail('VALUE');
        value = scalar(t);
        type = NAMES[t];
      }
      meta.push([key as string, type, value]);
    }
    let alignment = 32;
    const al = meta.find((m) => m[0] === 'general.alignment');
    if (al) {
      if (al[1] !== 'UINT32') fail('VALUE');
      alignment = al[2] as number;
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0) fail('VALUE');
    }
    const raw: { name: string; type: string; ne: number[]; offset: bigint; byteLength: number }[] = [];
    for (let i = 0n; i < nt; i++) {
      const name = utf8(str());
      if (name === null || raw.some((r) => r.name === name)) fail('TENSOR_INFO');
      const nd = u32();
      if (nd > 4) fail('TENSOR_INFO');
      const ne: bigint[] = [];
      for (let j = 0; j < nd; j++) ne.push(u64());
      if (ne.some((d) => d > 2n ** 53n - 1n)) fail('TENSOR_INFO');
      const count = ne.reduce((a, d) => a * d, 1n);
      if (count > 2n ** 53n - 1n) fail('TENSOR_INFO');
      const id = u32();
      const info = Object.values(GGML_TYPES).find((x) => x.id === id) ?? fail('TENSOR_INFO');
      if ((nd === 0 ? 1n : ne[0]) % BigInt(info.blockSize) !== 0n) fail('TENSOR_INFO');
      const bytes = (count / BigInt(info.blockSize)) * BigInt(info.typeSize);
      if (bytes > 2n ** 53n - 1n) fail('TENSOR_INFO');
      raw.push({ name: name as string, type: info.name, ne: ne.map(Number), offset: u64(), byteLength: Number(bytes) });
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
    return { version, alignment, meta, tensors, dataOffset };
  } catch (e) {
    if (e instanceof Refused) return e;
    throw e;
  }
}

/** lowp's header in the twin's terms. */
function asTwin(h: GgufHeader): TwinHeader {
  return {
    version: h.version,
    alignment: h.alignment,
    meta: [...h.metadata].map(([k, v]) => [k, h.metadataTypes.get(k)!, ArrayBuffer.isView(v) ? [...(v as Uint8Array)] : v]),
    tensors: h.tensors.map((t) => ({ name: t.name, type: t.type, ne: [...t.ne], offset: t.offset, byteOffset: t.byteOffset, byteLength: t.byteLength })),
    dataOffset: h.dataOffset,
  };
}

function outcome(bytes: Uint8Array): GgufHeader | GgufError {
  try {
    return parseGguf(bytes);
  } catch (e) {
    if (!(e instanceof GgufError)) throw e;
    if (/[\r\n]/.test(e.message)) throw new Error(`multi-line message: ${e.message}`);
    return e;
  } finally {
    if (Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted') || ({} as Record<string, unknown>).x !== undefined) {
      throw new Error('Object.prototype was polluted');
    }
  }
}

/** Seeds: the small valid file, one with metadata of every type and several tensor types, and a hostile-named one. */
const SEEDS: Uint8Array[] = [
  validGguf(),
  writeGguf({
    metadata: {
      'general.architecture': 'llama',
      'general.alignment': 16,
      u8: 7, i64: -5n, f32: 0.5, f64: 1e-300, b: true, s: 'héllo',
      toks: ['<s>', '</s>', ''], f32s: new Float32Array([1, -2]), u64s: new BigUint64Array([2n ** 64n - 1n]), bools: [true, false],
      __proto__: 'x',
    } as never,
    metadataTypes: { 'general.alignment': 'UINT32', u8: 'UINT8', f32: 'FLOAT32' },
    tensors: [
      { name: 'f16', type: 'F16', shape: [2, 3], data: new Uint16Array([0x3c00, 0x4000, 0xbc00, 0, 0x7c00, 1]) },
      { name: 'q4k', type: 'Q4_K', shape: [256], data: Uint8Array.from({ length: 144 }, (_, i) => (i * 37) & 255) },
      { name: 'iq4nl', type: 'IQ4_NL', shape: [1, 32], data: Uint8Array.from({ length: 18 }, (_, i) => (i * 11) & 255) },
      { name: 'empty', type: 'Q8_0', shape: [0, 32], data: new Uint8Array(0) },
    ],
  }),
];

const INTERESTING = [0n, 1n, 3n, 4n, 9n, 13n, 32n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 40n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

/** Mutations: byte edits, cut, inserted or deleted bytes, and 4- or 8-byte fields set to edge values. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), v: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 9 }) }),
        fc.record({ kind: fc.constant('u64' as const), at: fc.nat(), v: fc.constantFrom(...INTERESTING), wide: fc.boolean() }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([seed, edits]) => {
    let b = seed.slice();
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'set') b[at] = e.v;
      else if (e.kind === 'cut') b = b.slice(0, at);
      else if (e.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...e.v, ...b.subarray(at)]);
      else if (e.kind === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + e.n)]);
      else if (at + 8 <= b.length) {
        const dv = new DataView(b.buffer);
        if (e.wide) dv.setBigUint64(at, e.v, true);
        else dv.setUint32(at, Number(e.v & 0xffffffffn), true);
      }
    }
    return b;
  });

const bitsOf = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);

describe('fuzzing the GGUF reader against its twin', () => {
  it('mutated valid files: accepted exactly when the twin accepts them, with the same header; refused with the same code', () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated, (b) => {
        const got = outcome(b);
        const want = twin(b);
        if (want instanceof Refused) {
          expect(got, `twin refused with ${want.code}`).toBeInstanceOf(GgufError);
          expect((got as GgufError).code).toBe(want.code);
        } else {
          expect(got).not.toBeInstanceOf(GgufError);
          expect(asTwin(got as GgufHeader)).toEqual(want);
          accepted++;
        }
      }),
      { numRuns: 3000 },
    );
    // the property is worth something only if both branches ran
    expect(accepted).toBeGreaterThan(50);
  });

  it('accepted mutants: every tensor read from where the header says, dequantized as lowp/quant does (payload edits read back exactly)', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, async (b) => {
        const h = outcome(b);
        if (h instanceof GgufError) return;
        const f = await openGguf(b);
        for (const t of f.tensors) {
          const r = await f.tensor(t.name);
          expect(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)).toEqual(b.subarray(t.byteOffset, t.byteOffset + t.byteLength));
          if (t.type === 'I64') continue;
          const x = (await f.readFloat(t.name, { as: 'float32' })) as Float32Array;
          expect(bitsOf(x)).toEqual(bitsOf(dequantizeGgml(b.slice(t.byteOffset, t.byteOffset + t.byteLength), t.type)));
        }
        await f.close();
      }),
      { numRuns: 500 },
    );
  });

  it('read from a source in small first pieces (the header read grows), the outcome is parseGguf\'s', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.integer({ min: 1, max: 200 }), async (b, first) => {
        const want = outcome(b);
        let got: GgufHeader | GgufError;
        try {
          got = await readGgufFrom(bytesSource(b, undefined, GgufError), undefined, first);
        } catch (e) {
          if (!(e instanceof GgufError)) throw e;
          got = e;
        }
        if (want instanceof GgufError) expect((got as GgufError).code).toBe(want.code);
        else expect(asTwin(got as GgufHeader)).toEqual(asTwin(want));
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes behind the magic: a header or a GgufError, never anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 3), fc.uint8Array({ maxLength: 300 }), (version, rest) => {
        const b = new Uint8Array(8 + rest.length);
        b.set([0x47, 0x47, 0x55, 0x46, version, 0, 0, 0]);
        b.set(rest, 8);
        const got = outcome(b);
        const want = twin(b);
        expect(got instanceof GgufError ? got.code : 'ok').toBe(want instanceof Refused ? want.code : 'ok');
      }),
      { numRuns: 2000 },
    );
  });
});
