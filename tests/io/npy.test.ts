// The .npy reader and writer against numpy: files written by numpy 2.4 (tests/io/npy-fixtures, made by
// make-npy.py, with the expected bytes of arr.tobytes() as an independent oracle) are read exactly, and
// lowp's writer reproduces numpy's files byte for byte (same dict, spare space and padding), for every
// dtype, shape and format version. When python3 with numpy is on this machine, numpy also loads files
// lowp writes (a live check). Unsupported and corrupt files are NpyError with the expected code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dtypeArrayType,
  dtypeSize,
  NpyError,
  readNpy,
  readNpyFile,
  writeNpy,
  writeNpyFile,
  type NpyArray,
  type NpyDType,
} from '../../src/io/index.js';
import { expectSameBytes } from './bytes.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'npy-fixtures');
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as Record<
  string,
  { version: [number, number] | null; descr?: string; shape?: number[]; hex?: string; error?: string }
>;
const tmp = mkdtempSync(join(tmpdir(), 'lowp-io-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NPY_DTYPES: NpyDType[] = ['F64', 'F32', 'F16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'];

const hasNumpy = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
})();

describe('.npy files written by numpy', () => {
  it('the fixture folder holds exactly the files of manifest.json', () => {
    expect(readdirSync(FIX).filter((f) => f.endsWith('.npy')).sort()).toEqual(Object.keys(manifest).sort());
  });

  for (const [file, m] of Object.entries(manifest)) {
    if (m.error !== undefined) {
      it(`${file}: rejected with NpyError ${m.error}`, () => {
        let err: unknown;
        try {
          readNpyFile(join(FIX, file));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(NpyError);
        expect((err as NpyError).code).toBe(m.error);
        expect((err as NpyError).message).not.toMatch(/[\r\n]/);
        expect((err as NpyError).message).toMatch(/expected/);
      });
      continue;
    }
    it(`${file}: read equals numpy's bytes; writing it back reproduces numpy's file byte for byte`, () => {
      const bytes = readFileSync(join(FIX, file));
      const r = readNpy(bytes);
      expect(r.descr).toBe(m.descr);
      expect(r.shape).toEqual(m.shape);
      expect(r.version).toEqual(m.version ?? [1, 0]);
      expectSameBytes(r.data, Buffer.from(m.hex!, 'hex'), file);
      expect(r.data).toBeInstanceOf(dtypeArrayType(r.dtype));
      const again = writeNpy(r, m.version ? { version: m.version[0] as 1 | 2 | 3 } : undefined);
      expectSameBytes(again, bytes, `${file} rewritten`);
    });
  }
});

/** A random array of an npy dtype (BOOL as 0/1). */
const arrayArb = fc
  .record({
    dtype: fc.constantFrom(...NPY_DTYPES),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
    seed: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  })
  .map(({ dtype, shape, seed }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const raw = new Uint8Array(n * dtypeSize(dtype));
    for (let i = 0; i < raw.length; i++) raw[i] = dtype === 'BOOL' ? seed[i % seed.length] & 1 : seed[i % seed.length] ^ (i * 97);
    const C = dtypeArrayType(dtype) as unknown as new (b: ArrayBuffer) => NpyArray['data'];
    return { dtype, shape, data: new C(raw.buffer) } as NpyArray;
  });

describe('writeNpy -> readNpy round trips', () => {
  it('every dtype, shape and version (1, 2, 3, default) comes back identical; the input is untouched', () => {
    fc.assert(
      fc.property(arrayArb, fc.constantFrom(1, 2, 3, undefined), (a, version) => {
        const copy = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength).slice();
        const bytes = writeNpy(a, version === undefined ? undefined : { version: version as 1 | 2 | 3 });
        expectSameBytes(a.data, copy, 'input');
        // numpy's layout: data starts at a multiple of 64, header ends with '\n'
        const lenBytes = bytes[6] === 1 ? 2 : 4;
        const hlen = lenBytes === 2 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer).getUint32(8, true);
        expect((8 + lenBytes + hlen) % 64).toBe(0);
        expect(bytes[8 + lenBytes + hlen - 1]).toBe(0x0a);
        const r = readNpy(bytes);
        expect(r.version).toEqual([version ?? 1, 0]);
        expect(r.dtype).toBe(a.dtype);
        expect(r.shape).toEqual(a.shape);
        expectSameBytes(r.data, a.data, 'data');
      }),
      { numRuns: 400 },
    );
  });

  it('writeNpyFile / readNpyFile round trip through a path', () => {
    const path = join(tmp, 'x.npy');
    writeNpyFile(path, { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0x7c00]) });
    expect(readNpyFile(path)).toMatchObject({ dtype: 'F16', descr: '<f2', shape: [2] });
    expect(() => readNpyFile(join(tmp, 'missing.npy'))).toThrow(expect.objectContaining({ code: 'IO' }));
  });

  it.skipIf(!hasNumpy)('live: numpy loads what lowp writes (every dtype, versions 1-3) with the same values', () => {
    const cases: Array<{ file: string; a: NpyArray }> = [];
    fc.assert(
      fc.property(arrayArb, fc.constantFrom(1, 2, 3), (a, v) => {
        const file = join(tmp, `live-${cases.length}.npy`);
        writeFileSync(file, writeNpy(a, { version: v as 1 | 2 | 3 }));
        cases.push({ file, a });
      }),
      { numRuns: 60 },
    );
    const script = [
      'import sys, json, numpy as np',
      'out = []',
      'for f in sys.argv[1:]:',
      '    a = np.load(f)',
      "    out.append([a.dtype.str, list(a.shape), np.ascontiguousarray(a).tobytes().hex()])",
      'print(json.dumps(out))',
    ].join('\n');
    const res = JSON.parse(execFileSync('python3', ['-c', script, ...cases.map((c) => c.file)], { encoding: 'utf8', timeout: 60_000 })) as [string, number[], string][];
    res.forEach(([descr, shape, hex], i) => {
      const { a } = cases[i];
      expect(descr).toBe(`${dtypeSize(a.dtype) === 1 ? '|' : '<'}${{ F64: 'f8', F32: 'f4', F16: 'f2', I64: 'i8', I32: 'i4', I16: 'i2', I8: 'i1', U64: 'u8', U32: 'u4', U16: 'u2', U8: 'u1', BOOL: 'b1' }[a.dtype]}`);
      expect(shape).toEqual(a.shape);
      expectSameBytes(Buffer.from(hex, 'hex'), a.data, cases[i].file);
    });
  });
});

describe('corrupt and unsupported .npy', () => {
  const good = writeNpy({ dtype: 'I16', shape: [2, 2], data: new Int16Array([1, 2, 3, 4]) });
  const withHeader = (dict: string, data = new Uint8Array(0), major = 1): Uint8Array => {
    const h = new TextEncoder().encode(dict + '\n');
    const lenBytes = major === 1 ? 2 : 4;
    const out = new Uint8Array(8 + lenBytes + h.length + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const dv = new DataView(out.buffer);
    if (major === 1) dv.setUint16(8, h.length, true);
    else dv.setUint32(8, h.length, true);
    out.set(h, 8 + lenBytes);
    out.set(data, 8 + lenBytes + h.length);
    return out;
  };
  const cases: Array<[string, Uint8Array, string]> = [
    ['empty', new Uint8Array(0), 'TRUNCATED'],
    ['not npy', new TextEncoder().encode('PK\x03\x04 zip file'), 'MAGIC'],
    ['magic only', good.subarray(0, 6), 'TRUNCATED'],
    ['version 4.0', (() => { const b = good.slice(); b[6] = 4; return b; })(), 'VERSION'],
    ['version 1.1', (() => { const b = good.slice(); b[7] = 1; return b; })(), 'VERSION'],
    ['header cut', good.subarray(0, 40), 'TRUNCATED'],
    ['data cut', good.subarray(0, good.length - 1), 'TRUNCATED'],
    ['extra data', new Uint8Array([...good, 0]), 'SIZE_MISMATCH'],
    ['not a dict', withHeader("['descr']"), 'HEADER'],
    ['missing key', withHeader("{'descr': '<f4', 'shape': (1,)}"), 'HEADER'],
    ['extra key', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"), 'HEADER'],
    ['repeated key', withHeader("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}"), 'HEADER'],
    ['eval attempt', withHeader("{'descr': __import__('os').system('echo'), 'fortran_order': False, 'shape': ()}"), 'HEADER'],
    ['unclosed', withHeader("{'descr': '<f4"), 'HEADER'],
    ['fortran_order not bool', withHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"), 'HEADER'],
    ['big endian', withHeader("{'descr': '>i4', 'fortran_order': False, 'shape': ()}", new Uint8Array(4)), 'DTYPE'],
    ['unknown dtype', withHeader("{'descr': '<f16', 'fortran_order': False, 'shape': ()}", new Uint8Array(16)), 'DTYPE'],
    ['void dtype', withHeader("{'descr': '|V2', 'fortran_order': False, 'shape': ()}", new Uint8Array(2)), 'DTYPE'],
    ['structured', withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}", new Uint8Array(4)), 'DTYPE'],
    ['fortran', withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", new Uint8Array(16)), 'FORTRAN_ORDER'],
    ['negative shape', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), 'SHAPE'],
    ['shape list', withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", new Uint8Array(4)), 'SHAPE'],
    ['huge shape', withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999)}"), 'SHAPE'],
    ['shape past 2^64', withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}"), 'SHAPE'],
    ['deep nesting', withHeader(`{'descr': ${'('.repeat(5000)}${')'.repeat(5000)}, 'fortran_order': False, 'shape': ()}`, new Uint8Array(0), 2), 'HEADER'],
    ['BOM before a v3 header (numpy refuses it too)', withHeader("\uFEFF{'descr': '<f4', 'fortran_order': False, 'shape': ()}", new Uint8Array(4), 3), 'HEADER'],
    ['bad utf8 in v3', (() => { const b = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", new Uint8Array(4), 3); b[20] = 0xff; return b; })(), 'HEADER'],
  ];
  for (const [label, bytes, code] of cases) {
    it(`${label} -> ${code}`, () => {
      let err: unknown;
      try {
        readNpy(bytes);
      } catch (e) {
        err = e;
      }
      expect(err, label).toBeInstanceOf(NpyError);
      expect((err as NpyError).code, (err as Error).message).toBe(code);
      expect((err as NpyError).message).not.toMatch(/[\r\n]/);
    });
  }

  it('accepts what numpy accepts: Python 2 long suffix, double quotes, no trailing comma, parenthesised ints, |i1 and <u1', () => {
    const r = readNpy(withHeader('{"descr": "<u1", "fortran_order": False, "shape": (2L, (3))}', new Uint8Array(6)));
    expect(r.shape).toEqual([2, 3]);
    expect(r.dtype).toBe('U8');
  });

  it('fuzz: random bytes and mutations give an array or an NpyError, nothing else', () => {
    const check = (b: Uint8Array): void => {
      try {
        readNpy(b);
      } catch (e) {
        if (!(e instanceof NpyError)) throw e;
        expect(e.message).not.toMatch(/[\r\n]/);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(good.length), (raw, flips, cut) => {
        check(raw);
        const b = good.slice();
        for (const [i, v] of flips) b[i] = v;
        check(b);
        check(b.subarray(0, cut));
      }),
      { numRuns: 1000 },
    );
  });

  it('writer argument errors: dtypes numpy lacks, wrong array type or length, bad version', () => {
    expect(() => writeNpy({ dtype: 'BF16', shape: [1], data: new Uint16Array(1) } as never)).toThrow(TypeError);
    expect(() => writeNpy({ dtype: 'F32', shape: [2], data: new Float64Array(2) } as never)).toThrow(TypeError);
    expect(() => writeNpy({ dtype: 'F32', shape: [3], data: new Float32Array(2) })).toThrow(RangeError);
    expect(() => writeNpy({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })).toThrow(RangeError);
    expect(() => writeNpy({ dtype: 'F32', shape: [1], data: new Float32Array(1) }, { version: 4 as never })).toThrow(RangeError);
    expect(() => writeNpy({ dtype: 'toString' as never, shape: [1], data: new Float32Array(1) })).toThrow(TypeError);
  });
});

describe('options that are not an object', () => {
  it('readNpy/writeNpy refuse them instead of ignoring them', () => {
    const arr = { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 2]) };
    expect(() => writeNpy(arr, 3 as never)).toThrow(/expected options as an object, got the number 3/);
    expect(() => writeNpy(arr, 'v2' as never)).toThrow(TypeError);
    const bytes = writeNpy(arr);
    expect(() => readNpy(bytes, 'x.npy' as never)).toThrow(/expected options as an object, got the string 'x.npy'/);
    expect(Array.from(readNpy(bytes, undefined).data as Float32Array)).toEqual([1, 2]);
  });
});
