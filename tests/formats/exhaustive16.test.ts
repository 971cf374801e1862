// Exhaustive checks over all 65,536 codes of bf16 and fp16: decode -> encode is the identity (NaN codes
// give the canonical NaN of their sign), and the fast paths equal the generic codec on every code and on
// every code's neighbourhood (the values halfway between consecutive codes, and one float32 ulp off).
import { describe, expect, it } from 'vitest';
import { decode, decodeArray, encode, encodeArray, getFormat } from '../../src/index.js';
import { decodeGeneric, encodeGeneric } from '../../src/formats/codec.js';
import { resolveCastOptions } from '../../src/formats/options.js';
import { decodeBf16Bulk, decodeFp16Bulk, encodeBf16Bulk, encodeFp16Bulk } from '../../src/formats/fast16.js';

// encodeArray/decodeArray hand arrays of 16K+ elements to the WebAssembly kernels and keep shorter ones
// on the TypeScript fast paths (fast16.ts); these tests check both against the generic codec.
function tsEncode(src: Float32Array, name: 'bf16' | 'fp16'): Uint16Array {
  const out = new Uint16Array(src.length);
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  (name === 'bf16' ? encodeBf16Bulk : encodeFp16Bulk)(bits, out);
  return out;
}
function tsDecode(codes: Uint16Array, name: 'bf16' | 'fp16'): Float32Array {
  const out = new Float32Array(codes.length);
  (name === 'bf16' ? decodeBf16Bulk : decodeFp16Bulk)(codes, new Uint32Array(out.buffer));
  return out;
}

describe.each(['bf16', 'fp16'] as const)('%s exhaustive', (name) => {
  const f = getFormat(name);
  const qnan = name === 'bf16' ? 0x7fc0 : 0x7e00;
  const all = new Uint16Array(65536).map((_, i) => i);

  it('every code decodes and re-encodes to itself; NaN codes to the canonical NaN with their sign', () => {
    const values = decodeArray(all, name, { out: new Float64Array(65536) });
    const back = encodeArray(values, name);
    const backFast = encodeArray(decodeArray(all, name), name);
    for (let c = 0; c < 65536; c++) {
      const expected = Number.isNaN(values[c]) ? (c & 0x8000) | qnan : c;
      if (back[c] !== expected || backFast[c] !== expected || encode(decode(c, name), name) !== (Number.isNaN(values[c]) ? qnan : c)) {
        throw new Error(`code ${c}: back ${back[c]}, fast ${backFast[c]}, expected ${expected}`);
      }
    }
  });

  it('fast decoders (WebAssembly and TypeScript) equal the generic decoder on all codes', () => {
    for (const fast of [decodeArray(all, name), tsDecode(all, name)]) {
      for (let c = 0; c < 65536; c++) {
        const g = decodeGeneric(c, f);
        if (!(Object.is(fast[c], g) || (Number.isNaN(g) && Number.isNaN(fast[c])))) throw new Error(`code ${c}`);
      }
    }
  });

  it('fast encode equals the generic encoder at every midpoint between codes and one float32 ulp around it', () => {
    const o = resolveCastOptions(f, undefined);
    const xs: number[] = [];
    for (let c = 0; c < f.maxMagnitudeCode + 1; c++) {
      const lo = decode(c, name), hi = decode(c + 1, name);
      const mid = Math.fround((lo + hi) / 2);
      if (!Number.isFinite(mid)) continue;
      const u = new Uint32Array(new Float32Array([mid]).buffer)[0];
      for (const d of [-1, 0, 1]) {
        const v = new Float32Array(new Uint32Array([u + d]).buffer)[0];
        xs.push(v, -v);
      }
    }
    const src = new Float32Array(xs);
    const wasmOrTs = encodeArray(src, name);
    const ts = tsEncode(src, name);
    for (let i = 0; i < src.length; i++) {
      const g = encodeGeneric(src[i], f, o);
      if (wasmOrTs[i] !== g || ts[i] !== g) throw new Error(`${name}: x=${src[i]} bulk ${wasmOrTs[i]} ts ${ts[i]} generic ${g}`);
    }
    expect(src.length).toBeGreaterThan(100_000);
  });
});
