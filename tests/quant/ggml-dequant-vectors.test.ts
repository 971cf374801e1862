// dequantizeGgml against ggml's C reference (ggml-org/ggml d99724f2, dequantize_row_<type>, gcc 12.2
// -O2 -ffp-contract=off), bit for bit:
//   - ../shared/vectors/ggml/ggml-quants.safetensors (Q4_0 ... TQ2_0: 132 rows of 11 kinds), or rows 0-21
//     of it in tests/fixtures/ggml/ggml-quants.safetensors on a fresh clone (scripts/make-fixtures.mjs);
//   - ../shared/vectors/ggml/model.gguf and gguf-expected.safetensors (F32, F16, BF16, Q4_0, Q8_0, Q2_K,
//     Q4_K, Q5_K, Q6_K, MXFP4 tensors of a real GGUF; copies in tests/fixtures/ggml), the tensors found by
//     a minimal parse of the GGUF header below (lowp's GGUF reader is another piece of work);
//   - tests/fixtures/ggml/dequant-c.safetensors: every type ggml dequantizes, on blocks that reach the
//     scale edge cases (fp16 ±0, subnormal, ±inf, NaN; every e8m0 and ue4m3 code) and every entry of
//     every i-quant grid (how it was made: tests/fixtures/ggml/README.md).
// Each check runs through the WebAssembly kernels and through the TypeScript ports. Values must have
// the C's bits; where C has a NaN, a NaN (payloads and NaN signs differ between C and JavaScript).
// The files are read by tests/helpers/vectors.ts, not by lowp's own readers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantizeGgml, ggmlTypeById, GGML_TYPES, type GgmlType } from '../../src/quant/index.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';
import { FIXTURES, loadVectors, SHARED_VECTORS, type VectorFile } from '../helpers/vectors.js';

/** Index of the first value whose bits differ from the C's (NaN for NaN), or -1. */
function firstMismatch(got: Float32Array, want: Float32Array): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) return i;
  }
  return -1;
}

function bytesOf(v: VectorFile, key: string): Uint8Array {
  return v.get(key).data as Uint8Array;
}
function floatsOf(v: VectorFile, key: string): Float32Array {
  return v.get(key).data as Float32Array;
}
/** The `<TYPE>` of each `<TYPE>.blocks_u8` key. */
function typesOf(v: VectorFile): string[] {
  return v.keys.filter((k) => k.endsWith('.blocks_u8')).map((k) => k.slice(0, -'.blocks_u8'.length));
}

/** Both paths (WebAssembly where available, and the TypeScript ports) give the C's values. */
function expectC(blocks: Uint8Array, type: string, want: Float32Array, what: string): void {
  for (const wasm of [true, false]) {
    const prev = setWasmEnabled(wasm);
    try {
      const got = dequantizeGgml(blocks, type);
      const i = firstMismatch(got, want);
      expect(i, `${what} (${wasm ? 'wasm' : 'TypeScript'}): value ${i} is ${got[i]}, C gives ${want[i]}`).toBe(-1);
    } finally {
      setWasmEnabled(prev);
    }
  }
}

describe('ggml-quants vectors (dequantize_row_<type> of quantize_row_<type>_ref blocks)', () => {
  const st = loadVectors('ggml/ggml-quants');
  const types = typesOf(st);
  it(`holds (at least) the 13 types of the issue (${st.source} file)`, () => {
    expect(types).toEqual(expect.arrayContaining(['IQ4_NL', 'MXFP4', 'Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0', 'TQ2_0']));
  });
  for (const type of types) {
    it(`${type}: every row bit for bit`, () => {
      const blocks = bytesOf(st, `${type}.blocks_u8`);
      const want = floatsOf(st, `${type}.dequant_f32`);
      const t = GGML_TYPES[type as GgmlType];
      expect(st.get(`${type}.blocks_u8`).shape[0]).toBeGreaterThanOrEqual(11);
      expect(blocks.length).toBe((want.length / t.blockSize) * t.typeSize);
      expectC(blocks, type, want, type);
    });
  }
});

describe('C-made edge cases and grid coverage (tests/fixtures/ggml/dequant-c.safetensors)', () => {
  const st = loadVectors('ggml/dequant-c');
  const types = typesOf(st);
  it('covers every type with a C dequantizer', () => {
    expect(types.sort()).toEqual(
      ['BF16', 'F16', 'IQ1_M', 'IQ1_S', 'IQ2_S', 'IQ2_XS', 'IQ2_XXS', 'IQ3_S', 'IQ3_XXS', 'IQ4_NL', 'IQ4_XS', 'MXFP4', 'NVFP4', 'Q1_0', 'Q2_0', 'Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0', 'Q8_K', 'TQ1_0', 'TQ2_0'].sort(),
    );
  });
  for (const type of types) {
    it(`${type}: bit for bit`, () => {
      expectC(bytesOf(st, `${type}.blocks_u8`), type, floatsOf(st, `${type}.dequant_f32`), type);
    });
  }
  it("lowp's type table has the fixture's block shapes (ggml's C decoded those blocks with its own sizeof(block_<type>) and gave lowp's values)", () => {
    for (const type of types) {
      const t = GGML_TYPES[type as GgmlType];
      expect([st.get(`${type}.blocks_u8`).shape[1], st.get(`${type}.dequant_f32`).shape[1]], type).toEqual([t.typeSize, t.blockSize]);
    }
  });
  it('reaches the edge cases: infinities and NaNs appear in the C output of scaled types', () => {
    const want = floatsOf(st, 'Q4_K.dequant_f32');
    expect(want.some((v) => v === Infinity) || want.some((v) => v === -Infinity)).toBe(true);
    expect(want.some(Number.isNaN)).toBe(true);
    expect(floatsOf(st, 'MXFP4.dequant_f32').some((v) => !Number.isFinite(v))).toBe(true); // 12 · 2^127 overflows
  });
});

// ------------------------------------------------------------------ GGUF

/** The data offset, type and element count of each tensor of a little-endian GGUF v2/v3 (no checks). */
function ggufTensors(buf: Uint8Array): Map<string, { type: number; offset: number; elements: number }> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 8; // magic, version
  const u64 = () => {
    const v = Number(dv.getBigUint64(p, true));
    p += 8;
    return v;
  };
  const str = () => {
    const n = u64();
    const s = new TextDecoder().decode(buf.subarray(p, p + n));
    p += n;
    return s;
  };
  const SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const nTensors = u64();
  const nKv = u64();
  let alignment = 32;
  const skipValue = (type: number): number | undefined => {
    if (type === 8) return void str();
    if (type === 9) {
      const et = dv.getUint32(p, true);
      p += 4;
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(et);
      return undefined;
    }
    const v = type === 4 ? dv.getUint32(p, true) : undefined;
    p += SIZES[type];
    return v;
  };
  for (let i = 0; i < nKv; i++) {
    const key = str();
    const type = dv.getUint32(p, true);
    p += 4;
    const v = skipValue(type);
    if (key === 'general.alignment' && v !== undefined) alignment = v;
  }
  const infos: [string, number, number, number][] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nd = dv.getUint32(p, true);
    p += 4;
    let elements = 1;
    for (let d = 0; d < nd; d++) elements *= u64();
    const type = dv.getUint32(p, true);
    p += 4;
    infos.push([name, type, u64(), elements]);
  }
  const base = Math.ceil(p / alignment) * alignment;
  return new Map(infos.map(([name, type, off, elements]) => [name, { type, offset: base + off, elements }]));
}

describe('GGUF tensors (model.gguf written by gguf-py, dequantized by ggml)', () => {
  const st = loadVectors('ggml/gguf-expected');
  // model.gguf from the same folder as its expected values
  const gguf = join(st.source === 'shared' ? SHARED_VECTORS : FIXTURES, 'ggml', 'model.gguf');
  const file = new Uint8Array(readFileSync(gguf));
  const tensors = ggufTensors(file);
  it(`has the tensors of the expected file, of the ten types of the public GGUF (${st.source} files)`, () => {
    expect([...tensors.keys()].sort()).toEqual([...st.keys].sort());
    expect([...new Set([...tensors.values()].map((t) => ggmlTypeById(t.type)?.name))]).toEqual(
      expect.arrayContaining(['F32', 'F16', 'BF16', 'Q4_0', 'Q8_0', 'Q2_K', 'Q4_K', 'Q5_K', 'Q6_K', 'MXFP4']),
    );
  });
  for (const [name, t] of tensors) {
    const info = ggmlTypeById(t.type)!;
    it(`${name} (${info.name}): bit for bit, read in place from the file's bytes`, () => {
      const bytes = (t.elements / info.blockSize) * info.typeSize;
      const blocks = file.subarray(t.offset, t.offset + bytes);
      expectC(blocks, info.name, floatsOf(st, name), name);
    });
  }
});
