#!/usr/bin/env node
// ggml dequantization speed (issue 12, "Speed"): lowp's dequantizeGgml per ggml type, in G values/s,
// next to ggml's C reference (`dequantize_row_<type>` of ggml-org/ggml d99724f2, src/ggml-quants.c) on
// the same blocks, and their ratio (target: lowp >= 0.5x the C for every type).
//
// Blocks: 2^18 values per call (1 MiB of float32 out, as a tensor chunk a reader decodes), random bytes
// with every block scale set to a typical normal value (fp16 scales 2^-8 ... 2^-4, e8m0 exponents
// 118-129, ue4m3 codes 0x20-0x5f, Q8_K's float32 d near 2^-7), so that neither side meets the slow
// subnormal paths of the FPU. F16 and BF16 blocks are codes of normal values. A run's output is checked
// against a block-by-block decode (with LOWP_BENCH_SRC=1: against the reference TypeScript port), so a
// wrong fast path cannot report a speed.
// Timing: the fastest of repeated calls (0.3 s of calls per type after a warm-up; on a shared machine
// the fastest call is the least disturbed one), the same statistic as for the C figures.
// `--typescript` (with LOWP_BENCH_SRC=1) times the pure-TypeScript path instead (WebAssembly turned off),
// what runs where WebAssembly SIMD is unavailable.
//
// C_REFERENCE below: G values/s of ggml's C on this machine (AMD EPYC, 2 shared cores), measured on the
// very blocks this script generates (`--dump DIR` writes them, one DIR/<TYPE>.bin per type) by a local
// harness that calls `dequantize_row_<type>` (and ggml_fp16_to_fp32_row / ggml_bf16_to_fp32_row for F16
// and BF16) 2^18 values at a time, the fastest of repeated calls over 1 s per type, the best of several
// runs spread over time (the machine is shared with other work); ggml-quants.c and the
// harness built with gcc 12.2 `-O2 -std=c11 -ffp-contract=off -DNDEBUG` (the flags of the oracle
// vectors; gcc 12 vectorizes at -O2, which is why Q4_0, Q8_0 and Q4_K run at 6-10 G values/s). C_SCALAR:
// the same with -fno-tree-vectorize added (strictly scalar C, 0.2-3.6 G values/s: the issue's "gcc -O2
// scalar" figures). Neither the C nor the harness is part of lowp. Re-measure on another machine before
// reading the ratios; the target is lowp >= 0.5x C_REFERENCE.
//
// Usage: node bench/ggml-dequant.mjs [--quick] [--json] [--dump DIR] [TYPE ...]   (after the build; dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/ggml-dequant.mjs [--typescript] ...   (against src/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const src = !!process.env.LOWP_BENCH_SRC;
const q = src ? await import('../src/quant/index.ts') : await import('../dist/quant/index.js');
const mm = src ? await import('../src/matmul/index.ts') : await import('../dist/matmul/index.js');
const { dequantizeGgml, GGML_TYPES } = q;

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const typescript = argv.includes('--typescript');
if (typescript) {
  if (!src) throw new Error('--typescript needs LOWP_BENCH_SRC=1 (it switches the WebAssembly kernels off in src/)');
  (await import('../src/wasm/loader.ts')).setWasmEnabled(false);
}
const { referenceDecoder } = src ? await import('../src/quant/ggml/dequantize.ts') : { referenceDecoder: undefined };
const dumpAt = argv.indexOf('--dump');
const dumpDir = dumpAt >= 0 ? argv[dumpAt + 1] : undefined;
const only = argv.filter((a, i) => !a.startsWith('--') && (dumpAt < 0 || i !== dumpAt + 1)).map((a) => a.toUpperCase());

/** ggml's C reference, G values/s on this machine (see the header for how it was measured). */
const C_REFERENCE = {
  F16: 1.02, BF16: 3.57,
  Q4_0: 7.71, Q4_1: 6.72, Q5_0: 1.18, Q5_1: 1.16, Q8_0: 8.25, MXFP4: 1.94, IQ4_NL: 1.89, NVFP4: 1.33, Q1_0: 0.23, Q2_0: 1.21,
  Q2_K: 4.49, Q3_K: 4.67, Q4_K: 6.75, Q5_K: 5.01, Q6_K: 0.98, Q8_K: 10.38,
  TQ1_0: 4.06, TQ2_0: 3.50, IQ4_XS: 1.84,
  IQ2_XXS: 1.73, IQ2_XS: 1.62, IQ2_S: 1.61, IQ3_XXS: 0.24, IQ3_S: 0.23, IQ1_S: 3.10, IQ1_M: 2.27,
};
/** The same C built with -fno-tree-vectorize as well (strictly scalar code), for context. */
const C_SCALAR = {
  F16: 1.02, BF16: 3.50,
  Q4_0: 2.06, Q4_1: 1.74, Q5_0: 1.18, Q5_1: 1.16, Q8_0: 2.10, MXFP4: 1.94, IQ4_NL: 1.89, NVFP4: 1.36, Q1_0: 0.23, Q2_0: 1.21,
  Q2_K: 1.66, Q3_K: 1.17, Q4_K: 1.75, Q5_K: 1.16, Q6_K: 0.98, Q8_K: 1.83,
  TQ1_0: 1.30, TQ2_0: 1.79, IQ4_XS: 1.84,
  IQ2_XXS: 0.25, IQ2_XS: 0.26, IQ2_S: 0.25, IQ3_XXS: 0.28, IQ3_S: 0.26, IQ1_S: 1.43, IQ1_M: 1.07,
};

const N = 1 << 18;

// xorshift32: the same bytes on every run and in the C harness's input files
function rng(seed) {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

// byte offsets of the fp16 scales of one block
const FP16_SCALES = {
  Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0], IQ4_NL: [0], Q1_0: [0], Q2_0: [0],
  Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208], TQ1_0: [52], TQ2_0: [64], IQ4_XS: [0],
  IQ2_XXS: [0], IQ2_XS: [0], IQ2_S: [0], IQ3_XXS: [0], IQ3_S: [0], IQ1_S: [0],
};

/** Blocks of `type` holding N values: random bytes, typical normal scales. */
function makeBlocks(type) {
  const t = GGML_TYPES[type];
  const r = rng(0x5eed + t.id);
  const nb = N / t.blockSize;
  const b = new Uint8Array(nb * t.typeSize);
  for (let i = 0; i < b.length; i++) b[i] = r() & 0xff;
  const dv = new DataView(b.buffer);
  const normalHalf = () => (((7 + (r() & 3)) << 10) | (r() & 0x3ff)); // 2^-8 <= x < 2^-4
  if (type === 'F16') for (let i = 0; i < nb; i++) dv.setUint16(2 * i, (r() & 0x8000) | ((9 + (r() % 12)) << 10) | (r() & 0x3ff), true);
  else if (type === 'BF16') for (let i = 0; i < nb; i++) dv.setUint16(2 * i, (r() & 0x8000) | ((120 + (r() % 12)) << 7) | (r() & 0x7f), true);
  else if (type === 'MXFP4') for (let i = 0; i < nb; i++) b[i * t.typeSize] = 118 + (r() % 12);
  else if (type === 'NVFP4') for (let i = 0; i < nb; i++) for (let k = 0; k < 4; k++) b[i * t.typeSize + k] = 0x20 + (r() % 0x40);
  else if (type === 'Q8_K') for (let i = 0; i < nb; i++) dv.setFloat32(i * t.typeSize, 2 ** -7 * (1 + (r() & 0xffff) / 65536), true);
  else if (type === 'IQ1_M') {
    for (let i = 0; i < nb; i++) {
      const h = normalHalf();
      for (let k = 0; k < 4; k++) {
        const p = i * t.typeSize + 48 + 2 * k + 1;
        b[p] = (b[p] & 0x0f) | (((h >> (4 * k)) & 0xf) << 4);
      }
    }
  } else for (let i = 0; i < nb; i++) for (const p of FP16_SCALES[type]) dv.setUint16(i * t.typeSize + p, normalHalf(), true);
  return b;
}

/** Seconds of the fastest call of fn, over calls filling minTime seconds (at least 5), after a warm-up. */
function time(fn, minTime) {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  let calls = 0;
  const start = performance.now();
  while (calls < 5 || (performance.now() - start) / 1000 < minTime) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
    calls++;
  }
  return best;
}

/** The values decoded one block per call (with LOWP_BENCH_SRC=1: by the reference port itself). */
function referenceValues(type, blocks) {
  const t = GGML_TYPES[type];
  const out = new Float32Array(N);
  if (referenceDecoder) referenceDecoder(type)(blocks, 0, N / t.blockSize, out, 0);
  else for (let v = 0; v < N; v += t.blockSize) dequantizeGgml(blocks.subarray((v / t.blockSize) * t.typeSize, (v / t.blockSize + 1) * t.typeSize), t, { out: out.subarray(v, v + t.blockSize) });
  return out;
}

const types = Object.keys(C_REFERENCE).filter((t) => only.length === 0 || only.includes(t));
if (dumpDir) mkdirSync(dumpDir, { recursive: true });
const minTime = quick ? 0.1 : 0.3;
const rows = [];
for (const type of types) {
  const t = GGML_TYPES[type];
  const blocks = makeBlocks(type);
  if (dumpDir) writeFileSync(join(dumpDir, `${type}.bin`), blocks);
  const out = new Float32Array(N);
  const fast = () => dequantizeGgml(blocks, t, { out });
  fast();
  const want = referenceValues(type, blocks);
  const a = new Uint32Array(out.buffer);
  const w = new Uint32Array(want.buffer);
  for (let i = 0; i < N; i++) {
    if (a[i] !== w[i] && !(Number.isNaN(out[i]) && Number.isNaN(want[i]))) throw new Error(`${type}: value ${i} differs from the block-by-block decode`);
  }
  const sFast = time(fast, minTime);
  const gv = N / sFast / 1e9;
  const cRef = C_REFERENCE[type];
  rows.push({ type, lowp: gv, c: cRef, ratio: gv / cRef, cScalar: C_SCALAR[type], ratioScalar: gv / C_SCALAR[type] });
}

if (json) {
  console.log(JSON.stringify({ node: process.version, wasmSimd: !typescript && mm.wasmSimdAvailable(), values: N, rows }, null, 1));
} else {
  const path = typescript ? 'pure TypeScript (WebAssembly off)' : `WebAssembly SIMD ${mm.wasmSimdAvailable() ? 'on' : 'unavailable'}`;
  console.log(`ggml dequantization, ${N} values per call, Node ${process.version}, ${path}`);
  console.log('C: ggml -O2 (gcc 12 vectorizes at -O2); C scalar: -O2 -fno-tree-vectorize; both measured once on the lowp dev machine (see the header)');
  console.log('type        lowp G/s    C G/s   lowp/C   C scalar G/s   lowp/C scalar');
  for (const r of rows) {
    console.log(
      `${r.type.padEnd(9)} ${r.lowp.toFixed(3).padStart(10)} ${r.c.toFixed(2).padStart(8)} ${r.ratio.toFixed(2).padStart(7)}x ${r.cScalar.toFixed(2).padStart(14)} ${r.ratioScalar.toFixed(2).padStart(14)}x`,
    );
  }
  const low = rows.filter((r) => r.ratio < 0.5);
  console.log(low.length ? `below 0.5x the C: ${low.map((r) => r.type).join(', ')}` : 'every type at >= 0.5x the C reference');
  if (dumpDir) console.log(`blocks written to ${dumpDir}/<TYPE>.bin`);
}
