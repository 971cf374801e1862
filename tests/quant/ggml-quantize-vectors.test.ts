// quantizeGgml against ggml's C reference quantizers (ggml-org/ggml d99724f2, quantize_row_<type>_ref,
// gcc 12.2 -O2 -std=c11 -ffp-contract=off), bit for bit:
//   - ../shared/vectors/ggml/ggml-quants.safetensors (Q4_0 ... TQ2_0: 132 rows of 256 values, 11 kinds),
//     or rows 0-21 of it in tests/fixtures/ggml/ggml-quants.safetensors on a fresh clone
//     (scripts/make-fixtures.mjs), read by tests/helpers/vectors.ts (not by lowp's own reader);
//   - tests/fixtures/ggml/glibc-log2f.json: where glibc's floorf(log2f(x)), which gives MXFP4 its scale
//     exponent, steps up just below a power of two (made with glibc 2.36 by scripts/make-glibc-log2f.mjs).
// Every row goes through the three paths: the WebAssembly kernels (quantizeGgml), the TypeScript
// fallback (quantizeGgml with WebAssembly off) and the reference twins called directly. A larger file
// (more rows, other row lengths, more types) is checked the same way: every type in it that lowp
// quantizes, at the file's row length; types lowp does not quantize are left out.
// IQ4_NL: ggml never writes the indices of an all-zero block (amax < 1e-15): they are what its local
// array held, which for the first blocks of a row is uninitialised stack memory (random bytes in the
// vectors). Those 16 bytes are not ggml's to compare; lowp writes index 8 there (a +0 block), and the
// blocks after a written one take its indices over, as in the C.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGML_QUANT_TYPES, GGML_TYPES, quantizeGgml, type GgmlType } from '../../src/quant/index.js';
import { floorLog2f, GROUP_MAX_EPS, mxfp4ScaleByte, REFERENCE_QUANTIZERS } from '../../src/quant/ggml/reference.js';
import { setWasmEnabled } from '../../src/wasm/loader.js';
import { wasmSimdAvailable } from '../../src/wasm/status.js';
import { FIXTURES, loadVectors } from '../helpers/vectors.js';

const vectors = loadVectors('ggml/ggml-quants');
const source = vectors.source;

/** The types the file holds (`<TYPE>.blocks_u8`), and those of them quantizeGgml writes. */
const HELD = vectors.keys.filter((k) => k.endsWith('.blocks_u8')).map((k) => k.slice(0, -'.blocks_u8'.length)).sort();
const TYPES = HELD.filter((t) => (GGML_QUANT_TYPES as readonly string[]).includes(t));

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Byte ranges of a row that ggml defines: all, except the indices of IQ4_NL blocks no code wrote. */
function comparable(type: string, x: Float32Array): { unwritten: number[] } {
  const unwritten: number[] = [];
  if (type !== 'IQ4_NL') return { unwritten };
  let written = false;
  for (let b = 0; b < x.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
    if (amax >= GROUP_MAX_EPS) written = true;
    if (!written) unwritten.push(b);
  }
  return { unwritten };
}

function expectRow(type: string, got: Uint8Array, want: Uint8Array, x: Float32Array, what: string): void {
  const { typeSize } = GGML_TYPES[type as GgmlType];
  const { unwritten } = comparable(type, x);
  const g = Uint8Array.from(got);
  const w = Uint8Array.from(want);
  for (const b of unwritten) {
    // d must be +0 (ggml writes it); the indices are lowp's 8s
    expect(hex(g.subarray(b * typeSize + 2, (b + 1) * typeSize)), `${what}: block ${b}'s unwritten indices`).toBe('88'.repeat(16));
    g.fill(0, b * typeSize + 2, (b + 1) * typeSize);
    w.fill(0, b * typeSize + 2, (b + 1) * typeSize);
  }
  if (hex(g) !== hex(w)) {
    const bad = g.findIndex((v, i) => v !== w[i]);
    const b = Math.floor(bad / typeSize);
    expect.fail(`${what}: block ${b} differs from ggml's: lowp ${hex(g.subarray(b * typeSize, (b + 1) * typeSize))}, C ${hex(w.subarray(b * typeSize, (b + 1) * typeSize))}`);
  }
}

describe(`ggml-quants vectors: quantize_row_<type>_ref (${source} file)`, () => {
  it('holds at least the 13 types of the issue, in whole blocks per row', () => {
    for (const t of ['IQ4_NL', 'MXFP4', 'Q2_K', 'Q3_K', 'Q4_0', 'Q4_1', 'Q4_K', 'Q5_0', 'Q5_1', 'Q5_K', 'Q6_K', 'Q8_0', 'TQ2_0']) expect(TYPES).toContain(t);
    for (const t of TYPES) {
      const [rows, row] = vectors.get(`${t}.input_f32`).shape;
      expect(rows).toBeGreaterThan(0);
      expect(row % GGML_TYPES[t as GgmlType].blockSize).toBe(0);
    }
  });

  it('WebAssembly SIMD is available here (so the kernels, not only the TypeScript paths, are checked)', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  for (const type of TYPES) {
    it(`${type}: every row bit for bit, through the kernels, the TypeScript fallback and the reference twin`, () => {
      const input = vectors.get(`${type}.input_f32`);
      const blocks = vectors.get(`${type}.blocks_u8`);
      const x = input.data as Float32Array;
      const want = blocks.data as Uint8Array;
      const [rows, row] = input.shape;
      const rowBytes = blocks.shape[1];
      expect(rowBytes).toBe((row / GGML_TYPES[type as GgmlType].blockSize) * GGML_TYPES[type as GgmlType].typeSize);
      const before = Float32Array.from(x);
      const wasm = quantizeGgml(x, type, { rowLength: row });
      const prev = setWasmEnabled(false);
      let ts: Uint8Array;
      try {
        ts = quantizeGgml(x, type.toLowerCase(), { rowLength: row });
      } finally {
        setWasmEnabled(prev);
      }
      for (let r = 0; r < rows; r++) {
        const xr = x.subarray(r * row, (r + 1) * row);
        const w = want.subarray(r * rowBytes, (r + 1) * rowBytes);
        expectRow(type, wasm.subarray(r * rowBytes, (r + 1) * rowBytes), w, xr, `${type} row ${r} (kernels)`);
        expectRow(type, ts.subarray(r * rowBytes, (r + 1) * rowBytes), w, xr, `${type} row ${r} (TypeScript)`);
        const twin = new Uint8Array(rowBytes);
        REFERENCE_QUANTIZERS[type](xr, 0, twin, 0, row);
        expectRow(type, twin, w, xr, `${type} row ${r} (reference twin)`);
      }
      expect(Array.from(x)).toEqual(Array.from(before));
    });
  }

  it('IQ4_NL: the vectors do hold blocks whose indices ggml never wrote (so the exception above is needed)', () => {
    const t = vectors.get('IQ4_NL.input_f32');
    const x = t.data as Float32Array;
    const row = t.shape[1];
    let unwritten = 0;
    for (let r = 0; r < x.length / row; r++) unwritten += comparable('IQ4_NL', x.subarray(r * row, (r + 1) * row)).unwritten.length;
    expect(unwritten).toBeGreaterThan(0);
  });
});

describe("MXFP4's scale exponent is glibc's floorf(log2f(amax))", () => {
  const { steps } = JSON.parse(readFileSync(join(FIXTURES, 'ggml', 'glibc-log2f.json'), 'utf8')) as { steps: [number, number, number][] };
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const at = (bits: number): number => {
    u32[0] = bits;
    return f32[0];
  };

  it('floorLog2f steps exactly where glibc does, at every power of two', () => {
    expect(steps.length).toBe(256);
    for (const [k, first, count] of steps) {
      expect(floorLog2f(at(first)), `first float32 with floorf(log2f) = ${k}`).toBe(k);
      expect(floorLog2f(at(first - 1)), `the float32 below it`).toBe(k - 1);
      expect(floorLog2f(at(first + count - 1)), `the last float32 below 2^${k}`).toBe(k);
    }
    // every k from −131 (2^−131 is the smallest power of two with a float32 just below it whose log2f
    // rounds up) to 128 (FLT_MAX's log2f is 128), but −1..2, where float32 is fine enough near k
    const ks = steps.map((s) => s[0]);
    expect(ks).toEqual(Array.from({ length: 260 }, (_, i) => i - 131).filter((k) => k < -1 || k > 2));
    // elsewhere floorf(log2f(x)) is the exponent of x: a sample of 524 positive float32 spread over all
    // binades, and the 64 float32 below each power of two
    const stepOf = (bits: number): number | undefined => steps.find(([, first, count]) => bits >= first && bits < first + count)?.[0];
    const bad: number[] = [];
    const check = (bits: number): void => {
      const e = bits >= 0x00800000 ? (bits >>> 23) - 127 : 31 - Math.clz32(bits) - 149;
      if (floorLog2f(at(bits)) !== (stepOf(bits) ?? e)) bad.push(bits);
    };
    for (let bits = 1; bits < 0x7f800000; bits += 4086653) check(bits);
    for (let k = 1; k <= 255; k++) for (let i = 1; i <= 64; i++) check((k << 23) - i);
    expect(bad).toEqual([]);
  });

  it('the kernels and the twin give blocks whose amax sits on either side of each step the same scale byte', () => {
    const xs: number[] = [];
    for (const [, first] of steps) {
      for (const bits of [first - 1, first]) {
        const a = at(bits);
        for (let j = 0; j < 32; j++) xs.push(j === 7 ? -a : j % 3 === 0 ? a / 3 : 0);
      }
    }
    const x = Float32Array.from(xs);
    const got = quantizeGgml(x, 'MXFP4');
    for (let b = 0; b < x.length / 32; b++) {
      const amax = Math.abs(x[b * 32 + 7]);
      expect(got[b * 17], `block ${b} (amax ${amax})`).toBe(mxfp4ScaleByte(amax));
      expect(got[b * 17]).toBe((floorLog2f(amax) + 125) & 0xff);
    }
    const twin = new Uint8Array(got.length);
    REFERENCE_QUANTIZERS.MXFP4(x, 0, twin, 0, x.length);
    expect(hex(got)).toBe(hex(twin));
  });
});
