// lowp's safetensors reader against the reference vectors, which were written by Python safetensors
// 0.8.0: every tensor read through lowp/io (path, bytes, Blob; whole and in chunks) must equal, byte for
// byte, what the independent minimal reader in tests/helpers/vectors.ts returns; and writing the same
// tensors back with lowp's writer must reproduce the reference implementation's file byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadVectors, vectorsPath } from '../helpers/vectors.js';
import { bytesOf, expectSameBytes } from './bytes.js';
import {
  blobSource,
  openSafetensors,
  openSafetensorsSync,
  parseSafetensors,
  writeSafetensors,
  type TensorData,
  type TensorInput,
} from '../../src/io/index.js';

const NAMES = [
  'from-f32',
  'from-f64',
  'decode-tables',
  'llm-int8-bitsandbytes',
  'blockwise-bitsandbytes',
  'gemm-cublas',
  'gemm-fp8-h200',
  'digits-transformer',
];


describe('safetensors reader vs the independent reader (tests/helpers/vectors.ts)', () => {
  for (const name of NAMES) {
    it(`${name}: same keys, dtypes, shapes, metadata and bytes for every tensor`, async () => {
      const ref = loadVectors(name);
      const { path } = vectorsPath(name);
      const st = await openSafetensors(path);
      try {
        expect(new Set(st.names())).toEqual(new Set(ref.keys));
        expect({ ...st.metadata }).toEqual(ref.metadata);
        for (const key of ref.keys) {
          const want = ref.get(key);
          const got = await st.tensor(key);
          expect(got.dtype).toBe(want.dtype);
          expect(got.shape).toEqual(want.shape);
          expect(got.data.constructor).toBe(want.data.constructor);
          expectSameBytes(got.data, want.data, key);
        }
      } finally {
        await st.close();
      }
    });
  }

  it('bytes, Blob and path sources agree; chunks concatenate to the whole tensor', async () => {
    const { path } = vectorsPath('digits-transformer');
    const bytes = new Uint8Array(readFileSync(path));
    const copy = bytes.slice();
    const fromPath = openSafetensorsSync(path);
    const fromBytes = openSafetensorsSync(bytes);
    const fromBlob = await openSafetensors(blobSource(new Blob([bytes])));
    for (const t of fromPath.tensors) {
      const a = fromPath.tensorSync(t.name).data;
      expectSameBytes(fromBytes.tensorSync(t.name).data, a, t.name);
      expectSameBytes((await fromBlob.tensor(t.name)).data, a, t.name);
      const parts: TensorData[] = [];
      let next = 0;
      for await (const c of fromBlob.chunks(t.name, { elements: 1000 })) {
        expect(c.start).toBe(next);
        next += c.data.length;
        parts.push(c.data);
      }
      expect(next).toBe(t.elements);
      const joined = new Uint8Array(t.byteLength);
      let at = 0;
      for (const p of parts) {
        joined.set(bytesOf(p), at);
        at += p.byteLength;
      }
      expectSameBytes(joined, a, t.name);
    }
    fromPath.closeSync();
    expectSameBytes(bytes, copy, 'input'); // the caller's bytes are never modified
  });
});

describe('safetensors writer vs the reference implementation (files written by Python safetensors)', () => {
  // These files were written by safetensors' own sorted writer; from-f32, from-f64 and
  // llm-int8-bitsandbytes keep their tensors in insertion order (written another way), so for them only
  // the content round trip is checked.
  const SORTED_BY_REFERENCE = new Set(['decode-tables', 'blockwise-bitsandbytes', 'gemm-cublas', 'gemm-fp8-h200', 'digits-transformer']);
  for (const name of NAMES) {
    it(`${name}: rewriting every tensor gives the same content${SORTED_BY_REFERENCE.has(name) ? ' and the reference layout' : ''}`, () => {
      const { path } = vectorsPath(name);
      const original = new Uint8Array(readFileSync(path));
      const header = parseSafetensors(original);
      const st = openSafetensorsSync(original);
      const tensors: Record<string, TensorInput> = Object.create(null);
      for (const t of header.tensors) tensors[t.name] = st.tensorSync(t.name);
      const hasMeta = Object.keys(header.metadata).length > 0;
      const out = writeSafetensors(tensors, hasMeta ? header.metadata : undefined);
      const again = openSafetensorsSync(out);
      expect({ ...again.metadata }).toEqual({ ...header.metadata });
      expect(new Set(again.names())).toEqual(new Set(st.names()));
      for (const t of header.tensors) {
        const x = again.tensorSync(t.name);
        expect([x.dtype, x.shape]).toEqual([t.dtype, t.shape]);
        expectSameBytes(x.data, st.tensorSync(t.name).data, t.name);
        expect(again.info(t.name).byteOffset % 8 % Math.max(1, x.data.BYTES_PER_ELEMENT)).toBe(0); // aligned
      }
      if (!SORTED_BY_REFERENCE.has(name)) return;
      // same header length and tensor order/offsets => same layout as the reference implementation
      expect(again.header.headerLength).toBe(header.headerLength);
      expect(again.tensors).toEqual(header.tensors);
      expect(Buffer.compare(Buffer.from(out.subarray(again.header.dataOffset)), Buffer.from(original.subarray(header.dataOffset)))).toBe(0);
      // without metadata the whole file is byte-identical; with metadata, safetensors 0.8.0 (Python)
      // writes __metadata__ last and the Rust crate first (lowp follows the crate): same bytes otherwise
      if (!hasMeta) expect(Buffer.compare(Buffer.from(out), Buffer.from(original))).toBe(0);
    });
  }

  it('matches the byte-exact examples of the reference crate (safetensors/src/tensor.rs tests)', () => {
    // test_empty: no tensors -> "{}" padded with 6 spaces
    expect([...writeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    // test_empty with metadata {"framework": "pt"}
    const meta = writeSafetensors({}, { framework: 'pt' });
    expect(new TextDecoder().decode(meta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(meta[0]).toBe(40);
    // test_serialization_forced_alignement: F32 [1,1,2,3] "attn0" -> header 72 bytes, 7 spaces
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const out = writeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } });
    expect(out[0]).toBe(72);
    expect(new TextDecoder().decode(out.subarray(8, 80))).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    expectSameBytes(out.subarray(80), data, 'data');
  });
});
