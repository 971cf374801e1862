#!/usr/bin/env node
// ggml quantization speed (issue 12, "Speed"): lowp's quantizeGgml per ggml type, in M values/s, next
// to ggml's C reference quantizers (`quantize_row_<type>_ref` of ggml-org/ggml d99724f2,
// src/ggml-quants.c), and the ratio (target: lowp >= 0.5x the C for every type).
//
// Input: 2^20 float32 values (4 MiB), rows of 4096, LLM-like: Gaussian (σ 0.02) with 0.5% outliers up
// to ±1, seeded (the same values on every run). Every run's output is checked against a row-by-row
// quantization through the TypeScript reference path (short calls, below the WebAssembly threshold) on
// a sample of rows, so a wrong fast path cannot report a speed.
// Timing: the fastest of repeated calls (0.5 s of calls per type after a warm-up; on a shared machine
// the fastest call is the least disturbed one), the statistic the C figures below use too.
// `--typescript` (with LOWP_BENCH_SRC=1) times the pure-TypeScript path (WebAssembly turned off): the
// reference twins, what runs where WebAssembly SIMD is unavailable.
//
// C_ISSUE: the issue's figures for ggml's C reference on this machine (gcc -O2, scalar), M values/s.
// C_MEASURED: the C measured on this machine (AMD EPYC, 2 cores shared with other work) on the very
// values this script generates (`--dump FILE` writes them as raw float32) by a local harness calling
// `quantize_row_<type>_ref` on each 4096-value row, the fastest pass over all rows out of repeated
// passes for 1 s per type, the best of several runs spread over time; ggml-quants.c and the harness built
// with gcc 12.2 `-O2 -std=c11 -ffp-contract=off -DNDEBUG` (the oracle's flags; gcc 12 vectorizes
// some loops at -O2) and again with -fno-tree-vectorize added (strictly scalar), the faster of the two
// per type (the scalar build is faster for MXFP4 only, at times: 70 against 55 M values/s), the best of
// 17 runs of each over an hour (load average 7-16 on the 2 cores), interleaved with runs of this script.
// Neither the C nor the harness is part of lowp. Re-measure on another machine before reading the
// ratios.
//
// Usage: node bench/ggml-quant.mjs [--quick] [--json] [--dump FILE] [TYPE ...]   (after the build; dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/ggml-quant.mjs [--typescript] ...      (against src/)
import { writeFileSync } from 'node:fs';

const src = !!process.env.LOWP_BENCH_SRC;
const q = src ? await import('../src/quant/index.ts') : await import('../dist/quant/index.js');
const { quantizeGgml, GGML_QUANT_TYPES, GGML_TYPES } = q;

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const json = argv.includes('--json');
if (argv.includes('--typescript')) {
  if (!src) throw new Error('--typescript needs LOWP_BENCH_SRC=1 (it switches the WebAssembly kernels off in src/)');
  (await import('../src/wasm/loader.ts')).setWasmEnabled(false);
}
const dumpAt = argv.indexOf('--dump');
const dumpFile = dumpAt >= 0 ? argv[dumpAt + 1] : undefined;
const only = argv.filter((a, i) => !a.startsWith('--') && (dumpAt < 0 || i !== dumpAt + 1)).map((a) => a.toUpperCase());

/** The issue's figures for ggml's C reference quantizers (gcc -O2, scalar), M values/s. */
const C_ISSUE = { Q8_0: 310, Q4_0: 650, MXFP4: 74, Q2_K: 17, Q4_K: 12, Q6_K: 24 };
/** ggml's C measured on this machine on this script's values (see the header), M values/s. */
const C_MEASURED = {
  Q4_0: 989.8, Q4_1: 1068.4, Q5_0: 560.0, Q5_1: 624.3, Q8_0: 264.9, Q8_1: 270.6,
  Q2_K: 18.6, Q3_K: 87.6, Q4_K: 15.9, Q5_K: 19.2, Q6_K: 28.2, Q8_K: 938.9,
  IQ4_NL: 71.2, IQ4_XS: 5.7, TQ1_0: 284.1, TQ2_0: 266.6, MXFP4: 70.7,
};

const N = 1 << 20;
const ROW = 4096;

/** Seeded LLM-like values: Gaussian σ 0.02, 0.5% outliers uniform in ±1. */
function values() {
  let s = 0x2545f491;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    x[i] = rnd() < 0.005 ? rnd() * 2 - 1 : g * 0.02;
  }
  return x;
}

const x = values();
if (dumpFile) {
  writeFileSync(dumpFile, new Uint8Array(x.buffer));
  console.log(`wrote ${N} float32 values to ${dumpFile}`);
}

/** Checks a whole-input result on some rows against short calls (the TypeScript reference path). */
function check(type, y) {
  const { blockSize, typeSize } = GGML_TYPES[type];
  const rowBytes = (ROW / blockSize) * typeSize;
  const short = blockSize === 256 ? 256 : 128; // below the WebAssembly threshold of 256 values
  for (const r of [0, 77, 255]) {
    for (let o = 0; o < ROW; o += short) {
      // IQ4_NL carries indices from block to block within a row: check it on whole rows instead
      const part = type === 'IQ4_NL' ? null : quantizeGgml(x.subarray(r * ROW + o, r * ROW + o + short), type);
      if (part === null) break;
      const at = r * rowBytes + (o / blockSize) * typeSize;
      for (let i = 0; i < part.length; i++) {
        if (part[i] !== y[at + i]) throw new Error(`${type}: row ${r} differs from the reference path at byte ${at + i}`);
      }
    }
  }
}

function time(type) {
  const run = () => quantizeGgml(x, type, { rowLength: ROW });
  check(type, run());
  const budget = quick ? 100 : 500;
  let best = Infinity;
  let spent = 0;
  let calls = 0;
  while (spent < budget || calls < 3) {
    const t0 = performance.now();
    run();
    const dt = performance.now() - t0;
    best = Math.min(best, dt);
    spent += dt;
    calls++;
  }
  return N / best / 1000; // M values/s
}

const types = GGML_QUANT_TYPES.filter((t) => only.length === 0 || only.includes(t));
const rows = [];
for (const type of types) {
  const mvs = time(type);
  const cIssue = C_ISSUE[type];
  const cMeasured = C_MEASURED[type] || undefined;
  rows.push({ type, lowp: mvs, cIssue, cMeasured, ratioIssue: cIssue ? mvs / cIssue : undefined, ratioMeasured: cMeasured ? mvs / cMeasured : undefined });
}

if (json) {
  console.log(JSON.stringify({ node: process.version, values: N, rowLength: ROW, src, rows }));
} else {
  const f = (v, d = 1) => (v === undefined ? '—' : v.toFixed(d));
  console.log(`ggml quantizers, ${N} values in rows of ${ROW} (LLM-like), Node ${process.version}${src ? ' (src/)' : ''}`);
  console.log('| type | lowp M values/s | C (issue) | lowp / C (issue) | C (measured) | lowp / C (measured) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.type} | ${f(r.lowp)} | ${f(r.cIssue, 0)} | ${f(r.ratioIssue, 2)}x | ${f(r.cMeasured)} | ${f(r.ratioMeasured, 2)}x |`);
  }
}
