#!/usr/bin/env node
// Speed of `lowp check --to <ggml type>`'s analysis (issue 12 item 4): lowp/quant's analyzeGgml (quantize
// with ggml's reference quantizer, dequantize, then the error sums and the scan of every block's scales)
// per type, in M values/s, next to quantizeGgml + dequantizeGgml alone on the same values, and the
// ratio (what the measuring adds on top of the round trip itself).
//
// Values: 2^22 float32 (16 MiB), weights-like (uniform, std ~0.012), rows of 4096, the same for every
// type. A run's analysis is checked (every block counted, no block lost, the SQNR of compare on a prefix),
// so a broken path cannot report a speed. Timing: the fastest of repeated calls (0.5 s of calls per
// measurement after a warm-up; on a shared machine the fastest call is the least disturbed one).
//
// Usage: node bench/ggml-analyze.mjs [--quick] [--json] [TYPE ...]   (after the build; dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/ggml-analyze.mjs ...        (against src/)
const src = !!process.env.LOWP_BENCH_SRC;
const q = src ? await import('../src/quant/index.ts') : await import('../dist/quant/index.js');
const { analyzeGgml, compare, quantizeGgml, dequantizeGgml, GGML_STORAGE_TYPES, GGML_TYPES } = q;

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const named = argv.filter((a) => !a.startsWith('--')).map((a) => a.toUpperCase());
const types = named.length > 0 ? named : GGML_STORAGE_TYPES;

const n = quick ? 1 << 18 : 1 << 22;
const rowLength = 4096;
const x = new Float32Array(n);
let s = 1;
for (let i = 0; i < n; i++) {
  s = (s * 1103515245 + 12345) % 2147483648;
  x[i] = Math.fround((s / 2147483648 - 0.5) * 0.04);
}

function fastest(f) {
  f();
  let best = Infinity;
  const until = performance.now() + (quick ? 100 : 500);
  do {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  } while (performance.now() < until);
  return best / 1000;
}

const rows = [];
for (const type of types) {
  const a = analyzeGgml(x, type, { rowLength });
  if (a.counts.blocks !== n / GGML_TYPES[type].blockSize || a.counts.lostBlocks !== 0) throw new Error(`${type}: unexpected analysis ${JSON.stringify(a.counts)}`);
  // the SQNR of a prefix of whole rows against compare() of its round trip
  const p = x.subarray(0, 16 * rowLength);
  const pa = analyzeGgml(p, type, { rowLength }).error.sqnrDb;
  const pc = compare(p, dequantizeGgml(quantizeGgml(p, type, { rowLength }), type)).sqnrDb;
  if (!(Math.abs(pa - pc) <= Math.abs(pc) * 1e-12)) throw new Error(`${type}: analyzeGgml's SQNR ${pa} dB, compare's ${pc} dB`);
  const roundTrip = fastest(() => dequantizeGgml(quantizeGgml(x, type, { rowLength }), type));
  const analyze = fastest(() => analyzeGgml(x, type, { rowLength }));
  rows.push({ type, roundTripMps: n / roundTrip / 1e6, analyzeMps: n / analyze / 1e6, ratio: analyze / roundTrip, sqnrDb: a.error.sqnrDb });
}

if (json) console.log(JSON.stringify({ node: process.versions.node, values: n, rows }, null, 1));
else {
  console.log(`# analyzeGgml (lowp check --to <type>) vs quantize + dequantize, ${n} values, Node ${process.versions.node}\n`);
  console.log('| type | quantize + dequantize (M values/s) | analyzeGgml (M values/s) | analyze / round trip time | SQNR (dB) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.type} | ${r.roundTripMps.toFixed(1)} | ${r.analyzeMps.toFixed(1)} | ${r.ratio.toFixed(2)}× | ${r.sqnrDb.toFixed(1)} |`);
}
