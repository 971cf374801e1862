// What the GGUF reader refuses, and that it never crashes, hangs or misreads. First every broken file of
// tests/fixtures/gguf/make-broken.mjs (one or more per rule) through each entry point (parseGguf,
// readGguf, openGguf, openCheckpoint): the documented GgufError code, a one-line message naming the
// file. Then fuzzing (fast-check) of mutated valid files against a slow, obviously-correct twin of the
// parser (tests/fuzz/targets/gguf.ts: whole buffer, one DataView, plain loops, no incremental reads,
// shared with the fuzz harness's target): the reader
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
import { dequantizeGgml } from '../../src/quant/index.js';
import { expectPrototypeClean, expectRefusal } from './refusals.js';
import { brokenCases, validGguf } from '../fixtures/gguf/make-broken.mjs';
import { twinGguf, TwinRefused, type TwinHeader } from '../fuzz/targets/gguf.js';

/** The parts of a twin header lowp's header is compared with. */
type TwinCore = Pick<TwinHeader, 'version' | 'alignment' | 'meta' | 'tensors' | 'dataOffset'>;

/** The twin's outcome: its header (without the record spans), or its refusal. */
function twin(b: Uint8Array): TwinCore | TwinRefused {
  const h = twinGguf(b);
  if (h instanceof TwinRefused) return h;
  const { version, alignment, meta, tensors, dataOffset } = h;
  return { version, alignment, meta, tensors, dataOffset };
}

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

/** lowp's header in the twin's terms. */
function asTwin(h: GgufHeader): TwinCore {
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
    return expectRefusal(e, GgufError);
  } finally {
    expectPrototypeClean('x');
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
        if (want instanceof TwinRefused) {
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
        expect(got instanceof GgufError ? got.code : 'ok').toBe(want instanceof TwinRefused ? want.code : 'ok');
      }),
      { numRuns: 2000 },
    );
  });
});
