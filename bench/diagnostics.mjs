#!/usr/bin/env node
// analyzeCast throughput (issue 6): 64 M float32 values analysed for bf16, fp16 and fp8-e4m3fn (the
// float32 fast path: the WebAssembly SIMD kernel of src/wasm/analyze.ts) against a plain pass that only
// reads the data (a float sum, and an integer OR over the bit patterns), in the same run; ratios
// printed. Also the streaming analyzer in 4 M-element chunks, the TypeScript twin of the kernel (the
// fallback without WebAssembly SIMD; only when running against src/, where setWasmEnabled is
// reachable), and the generic codec (the same values as a Float64Array, on 1/16 of the data).
// Usage: node bench/diagnostics.mjs [--small] [--json]        (after the build; runs against dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/diagnostics.mjs [--small]  (against src/, no build needed)
// Data is seeded (same bits on every run): "weights" with |x| in [2^-12, 2^1), and "gradients" with
// |x| in [2^-40, 2^-4) (a third of them flush or turn subnormal in fp16), random signs and mantissas.
const lib = process.env.LOWP_BENCH_SRC
  ? await import('../src/diagnostics/index.ts')
  : await import('../dist/diagnostics/index.js');
const { analyzeCast, createCastAnalyzer } = lib;
// setWasmEnabled (src/wasm/loader.ts) is internal: reachable from src/ only
const loader = process.env.LOWP_BENCH_SRC ? await import('../src/wasm/loader.ts') : null;

const args = new Set(process.argv.slice(2));
const small = args.has('--small');
const json = args.has('--json');
const N = small ? 4 * 1024 * 1024 : 64 * 1024 * 1024;
const REPS = 3; // timed runs per pass (after one untimed warm-up run of that pass); the median is reported

function makeData(n, eLo, eHi, seed) {
  const u = new Uint32Array(n);
  let s = seed >>> 0;
  const span = eHi - eLo;
  for (let i = 0; i < n; i++) {
    // xorshift32
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const e = eLo + (s % span) + 127;
    u[i] = ((s & 0x80000000) | (e << 23) | ((s * 2654435761) >>> 9)) >>> 0;
  }
  return new Float32Array(u.buffer);
}

function time(fn) {
  const ts = [];
  // warm-up: the JIT (and V8's second tier for WebAssembly, which replaces the baseline code of a hot
  // kernel between calls) sees this exact pass once before it is timed
  let out = fn();
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    out = fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(REPS / 2)], out };
}

function readSum(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
function readOr(x) {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  let s = 0;
  for (let i = 0; i < u.length; i++) s |= u[i];
  return s;
}

const rows = [];
for (const [name, data] of [['weights', makeData(N, -12, 1, 12345)], ['gradients', makeData(N, -40, -4, 777)]]) {
  // warm up the JIT (each pass once over the whole data, untimed)
  readSum(data); readOr(data);
  analyzeCast(data, 'bf16'); analyzeCast(data, 'fp16');
  const sum = time(() => readSum(data));
  const or = time(() => readOr(data));
  rows.push({ data: name, what: 'plain read pass (float sum)', n: N, ms: sum.ms });
  rows.push({ data: name, what: 'plain read pass (integer OR)', n: N, ms: or.ms });
  for (const to of ['bf16', 'fp16', 'fp8-e4m3fn']) {
    const t = time(() => analyzeCast(data, to));
    rows.push({ data: name, what: `analyzeCast → ${to}`, n: N, ms: t.ms, vsSum: t.ms / sum.ms, vsOr: t.ms / or.ms, verdict: t.out.verdict });
    const chunk = 4 * 1024 * 1024;
    const c = time(() => {
      const an = createCastAnalyzer(to);
      for (let o = 0; o < data.length; o += chunk) an.add(data.subarray(o, o + chunk));
      return an.finish();
    });
    rows.push({ data: name, what: `createCastAnalyzer → ${to} (4 M chunks)`, n: N, ms: c.ms, vsSum: c.ms / sum.ms, vsOr: c.ms / or.ms });
    if (loader && to !== 'fp8-e4m3fn') {
      loader.setWasmEnabled(false);
      try {
        const s = time(() => analyzeCast(data, to));
        rows.push({ data: name, what: `analyzeCast → ${to}, TypeScript twin (no WebAssembly)`, n: N, ms: s.ms, vsSum: s.ms / sum.ms, vsOr: s.ms / or.ms });
      } finally {
        loader.setWasmEnabled(true);
      }
    }
  }
  const part = new Float64Array(data.subarray(0, N / 16));
  const sumPart = time(() => readSum(part));
  const g = time(() => analyzeCast(part, 'fp16'));
  rows.push({ data: name, what: 'analyzeCast → fp16, Float64Array input (generic codec)', n: part.length, ms: g.ms, vsSum: g.ms / sumPart.ms });
}

if (json) {
  console.log(JSON.stringify({ n: N, reps: REPS, node: process.version, rows }, null, 2));
} else {
  console.log(`analyzeCast throughput, ${N / (1024 * 1024)} M float32 values, median of ${REPS}, Node ${process.version}\n`);
  console.log('| data | pass | elements | ms | M elem/s | × float-sum pass | × integer-OR pass |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const rate = (r.n / r.ms / 1e3).toFixed(0);
    console.log(`| ${r.data} | ${r.what} | ${r.n.toLocaleString('en-US')} | ${r.ms.toFixed(1)} | ${rate} | ${r.vsSum ? r.vsSum.toFixed(2) : ''} | ${r.vsOr ? r.vsOr.toFixed(2) : ''} |`);
  }
  const worst = Math.max(...rows.filter((r) => /^analyzeCast → (bf16|fp16|fp8-e4m3fn)$/.test(r.what)).map((r) => r.vsSum));
  console.log(`\nworst fast-path ratio vs the float-sum read pass: ${worst.toFixed(2)}× (target: within 3×)`);
}
