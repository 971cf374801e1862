#!/usr/bin/env node
// Bulk conversion benchmark (issue 5 item 5): lowp's WebAssembly SIMD float32 ⇄ fp16/bf16 against a
// plain `Float32Array.prototype.set` copy (the memory-bandwidth ceiling), lowp/formats' pure-JS bulk
// path, and — on Node ≥ 24 (Node 26 is the LTS to compare with) — native Float16Array (`f16.set(f32)`, `f32.set(f16)`), on the same data in
// one run. Targets: f32→fp16 and fp16→f32 ≥ 2× native Float16Array; f32⇄bf16 ≥ half the copy rate.
// Usage (after `npm run build`): npx -p node@26 node bench/convert-wasm.mjs [--n 16777216]
// From source: node --import tsx bench/convert-wasm.mjs --src
import { measure, option } from './convert-common.mjs';

const args = process.argv.slice(2);
const src = args.includes('--src');
const n = Number(option(args, '--n', 1 << 24));
const distArg = option(args, '--dist', null);
const dist = distArg ? `file://${distArg.replace(/\/?$/, '/')}` : new URL('../dist/', import.meta.url).href;
const m = await import(src ? '../src/matmul/index.ts' : new URL('matmul/index.js', dist).href);
const formats = await import(src ? '../src/formats/index.ts' : new URL('formats/index.js', dist).href);

// Two data sets: "typical" (Gaussian, σ = 1: activations and weights, almost all in fp16's normal
// range) and "wide" (magnitudes 2^-20 … 2^20: many fp16 subnormals and overflows, the slow lanes).
function dataset(kind) {
  const a = new Float32Array(n);
  let s = 12345;
  const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    if (kind === 'wide') a[i] = (u() - 0.5) * 2 ** (Math.floor(u() * 40) - 20);
    else a[i] = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  }
  return a;
}
const outU16 = new Uint16Array(n);
const outF32 = new Float32Array(n);

/** M values/s, the median of `reps` timed runs after a warm-up. */
const rate = (fn, reps = 7) => measure(fn, n, reps).mps;

const rows = [];
const results = {};
for (const kind of ['typical', 'wide']) {
  const f32 = dataset(kind);
  const h = m.f32ToFp16(f32);
  const b = m.f32ToBf16(f32);
  const copy = rate(() => outF32.set(f32));
  const r = {
    copy,
    f32ToFp16: rate(() => m.f32ToFp16(f32, outU16)),
    fp16ToF32: rate(() => m.fp16ToF32(h, outF32)),
    f32ToBf16: rate(() => m.f32ToBf16(f32, outU16)),
    bf16ToF32: rate(() => m.bf16ToF32(b, outF32)),
  };
  rows.push([`[${kind}] Float32Array.prototype.set (copy)`, copy]);
  rows.push([`[${kind}] lowp f32ToFp16 (wasm simd)`, r.f32ToFp16], [`[${kind}] lowp fp16ToF32 (wasm simd)`, r.fp16ToF32], [`[${kind}] lowp f32ToBf16 (wasm simd)`, r.f32ToBf16], [`[${kind}] lowp bf16ToF32 (wasm simd)`, r.bf16ToF32]);
  if (kind === 'typical') {
    rows.push([`[${kind}] lowp/formats encodeArray fp16 (JS)`, rate(() => formats.encodeArray(f32, 'fp16', { out: outU16 }), 3)]);
    rows.push([`[${kind}] lowp/formats decodeArray fp16 (JS)`, rate(() => formats.decodeArray(h, 'fp16', { out: outF32 }), 3)]);
  }
  if (typeof globalThis.Float16Array === 'function') {
    const F16 = globalThis.Float16Array;
    const f16 = new F16(n);
    const f16src = new F16(h.buffer);
    r.nativeEnc = rate(() => f16.set(f32));
    r.nativeDec = rate(() => outF32.set(f16src));
    rows.push([`[${kind}] native Float16Array.set(f32)`, r.nativeEnc], [`[${kind}] native Float32Array.set(f16)`, r.nativeDec]);
    // correctness on the same data: native and lowp agree bit for bit (NaN-free data)
    const nb = new Uint16Array(f16.buffer);
    f16.set(f32);
    m.f32ToFp16(f32, outU16);
    for (let i = 0; i < n; i++) if (nb[i] !== outU16[i]) throw new Error(`native Float16Array and lowp disagree at ${i}: ${nb[i]} vs ${outU16[i]}`);
  }
  results[kind] = r;
}
console.log(`\nbulk conversions, ${n.toLocaleString('en')} values — Node ${process.version}; M values/s (median of 7)\n`);
for (const [name, v] of rows) console.log(`  ${name.padEnd(38)} ${v.toFixed(0).padStart(7)}`);
console.log('\nratios:');
for (const [kind, r] of Object.entries(results)) {
  if (r.nativeEnc) {
    console.log(`  [${kind}] f32→fp16 lowp / native Float16Array: ${(r.f32ToFp16 / r.nativeEnc).toFixed(2)}× (target ≥ 2)`);
    console.log(`  [${kind}] fp16→f32 lowp / native Float16Array: ${(r.fp16ToF32 / r.nativeDec).toFixed(2)}× (target ≥ 2)`);
  } else console.log('  (no native Float16Array in this Node: run with `npx -p node@26 node bench/convert-wasm.mjs`)');
  console.log(`  [${kind}] f32→bf16 lowp / copy: ${(r.f32ToBf16 / r.copy).toFixed(2)} (target ≥ 0.5)`);
  console.log(`  [${kind}] bf16→f32 lowp / copy: ${(r.bf16ToF32 / r.copy).toFixed(2)} (target ≥ 0.5)`);
}
