#!/usr/bin/env node
// @bench-manual (a few minutes; run it by name: node bench/run.mjs convert-wasm-exhaustive)
// Exhaustive check of lowp's WebAssembly SIMD float32 → fp16/bf16 encoders over all 2^32 float32 bit
// patterns, and of the decoders over all 65,536 codes, against lowp/formats: encodeArray (its
// integer fast path, which the formats tests check against the generic traits-driven codec) and, for
// the decoders, decodeArray. With --generic, the encoders are compared with the generic scalar
// `encode()` (exact rational rounding; much slower). NaN inputs must give 0x7E00/0x7FC0 with the sign.
// Usage (after `npm run build`): node bench/convert-wasm-exhaustive.mjs [--generic]
// From source: node --import tsx bench/convert-wasm-exhaustive.mjs --src
import { option } from './convert-common.mjs';

const args = process.argv.slice(2);
const src = args.includes('--src');
const generic = args.includes('--generic');
const distArg = option(args, '--dist', null);
const dist = distArg ? `file://${distArg.replace(/\/?$/, '/')}` : new URL('../dist/', import.meta.url).href;
const m = await import(src ? '../src/matmul/index.ts' : new URL('matmul/index.js', dist).href);
const f = await import(src ? '../src/formats/index.ts' : new URL('formats/index.js', dist).href);

const CH = 1 << 24;
const bits = new Uint32Array(CH);
const vals = new Float32Array(bits.buffer);
/**
 * Pieces short enough that encodeArray/decodeArray stay on lowp/formats' TypeScript fast paths (the
 * twins of the kernels under test): lowp/wasm's conversions hand arrays of 128 values or more to the
 * kernels (SMALL in src/wasm/convert.ts), so a longer piece would compare the kernels with themselves.
 */
const TS_PIECE = 64;
const got = new Uint16Array(CH);
const want = new Uint16Array(CH);
const t0 = Date.now();
let bad = 0;
for (const fmt of ['fp16', 'bf16']) {
  const enc = fmt === 'fp16' ? m.f32ToFp16 : m.f32ToBf16;
  const nan = fmt === 'fp16' ? 0x7e00 : 0x7fc0;
  for (let hi = 0; hi < 256; hi++) {
    const base = hi * CH;
    for (let i = 0; i < CH; i++) bits[i] = base + i;
    enc(vals, got);
    if (generic) {
      for (let i = 0; i < CH; i++) {
        const x = vals[i];
        want[i] = x !== x ? nan | ((bits[i] >>> 16) & 0x8000) : f.encode(x, fmt);
      }
    } else {
      // encodeArray hands arrays of 128+ elements to the very WASM kernels under test, so compare with
      // its TypeScript fast path by calling it on pieces below that length
      for (let i = 0; i < CH; i += TS_PIECE) f.encodeArray(vals.subarray(i, i + TS_PIECE), fmt, { out: want.subarray(i, i + TS_PIECE) });
    }
    for (let i = 0; i < CH; i++) {
      if (got[i] !== want[i]) {
        if (bad++ < 10) console.log(`${fmt}: 0x${bits[i].toString(16)} -> lowp 0x${got[i].toString(16)}, formats 0x${want[i].toString(16)}`);
      }
    }
  }
  console.log(`${fmt}: all 2^32 float32 inputs checked (${((Date.now() - t0) / 1000).toFixed(0)} s so far)`);
}
const codes = Uint16Array.from({ length: 65536 }, (_, i) => i);
for (const [fmt, dec] of [['fp16', m.fp16ToF32], ['bf16', m.bf16ToF32]]) {
  const a = new Uint32Array(dec(codes).buffer);
  const b = new Uint32Array(65536);
  for (let i = 0; i < 65536; i += TS_PIECE) f.decodeArray(codes.subarray(i, i + TS_PIECE), fmt, { out: new Float32Array(b.buffer, 4 * i, TS_PIECE) });
  for (let i = 0; i < 65536; i++) if (a[i] !== b[i] && bad++ < 20) console.log(`${fmt} decode 0x${i.toString(16)}: 0x${a[i].toString(16)} vs 0x${b[i].toString(16)}`);
  console.log(`${fmt}: all 65,536 codes decoded`);
}
console.log(bad === 0 ? `OK: no mismatch (${((Date.now() - t0) / 1000).toFixed(0)} s)` : `FAILED: ${bad} mismatches`);
process.exitCode = bad === 0 ? 0 : 1;
