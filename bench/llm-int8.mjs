#!/usr/bin/env node
// LLM.int8 speed benchmark (issue 4, "How it is checked"): in one run, on the same shapes,
//  - the exact int8 GEMM (int8Matmul, A·Wᵀ) against the fp32 GEMM (matmul, fp32 accumulation) in GOP/s
//    (one multiply-add = 2 operations);
//  - llmInt8Linear (fp16 inputs, threshold 6, with and without outlier columns, weights prepared once)
//    against a plain fp16-input matmul (fp16 inputs, fp32 accumulation, fp16 output) of the same shape,
//    as a time ratio.
// Usage: node bench/llm-int8.mjs [--small] [--json]    (after the build; runs against dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/llm-int8.mjs   (against src/)
// Timings: median of repeated runs after a warm-up; figures are for this machine and this run only.
const src = !!process.env.LOWP_BENCH_SRC;
const mm = src ? await import('../src/matmul/index.ts') : await import('../dist/matmul/index.js');
const q = src ? await import('../src/quant/llm-int8.ts') : await import('../dist/quant/index.js');
const qe = src ? await import('../src/quant/quant-error.ts') : q;
const { encodeArray } = src ? await import('../src/formats/index.ts') : await import('../dist/formats/index.js');
const { int8Matmul, matmul, availableThreads, shutdownThreads } = mm;
const { llmInt8Linear, prepareInt8Weight } = q;
const { syntheticMatrix } = qe;

const args = new Set(process.argv.slice(2));
const small = args.has('--small');
const json = args.has('--json');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median seconds of fn over enough runs to fill ~minTime seconds (at least 3), after one warm-up. */
function time(fn, minTime = small ? 0.2 : 1) {
  fn();
  const ts = [];
  const start = performance.now();
  while (ts.length < 3 || (performance.now() - start) / 1000 < minTime) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
    if (ts.length >= 50) break;
  }
  return median(ts);
}

const shapes = small
  ? [[64, 512, 256]]
  : [[16, 4096, 4096], [256, 4096, 1024], [1024, 1024, 1024]];
const results = [];
for (const [M, K, N] of shapes) {
  const ops = 2 * M * K * N;
  const a = syntheticMatrix('gaussian', M, K, { seed: 1 });
  const ao = syntheticMatrix('outlier-features', M, K, { seed: 3 });
  const w = syntheticMatrix('gaussian', N, K, { seed: 2, scale: 1 / Math.sqrt(K) });
  const f16 = (m) => ({ rows: m.rows, cols: m.cols, data: encodeArray(m.data, 'fp16'), format: 'fp16' });
  const a16 = f16(a), ao16 = f16(ao), w16 = f16(w);
  const pw = prepareInt8Weight(w16);
  const qa = llmInt8Linear(a16, pw, { threshold: 0 }).activations.codes;
  const tInt8 = time(() => int8Matmul(qa, pw.codes, { transB: true }));
  const tF32 = time(() => matmul(a, w, { transB: true }));
  const tF16 = time(() => matmul(a16, w16, { transB: true, output: 'fp16' }));
  const tLlm = time(() => llmInt8Linear(a16, pw));
  const rOut = llmInt8Linear(ao16, pw);
  const tLlmOut = time(() => llmInt8Linear(ao16, pw));
  results.push({
    shape: `${M}x${K}x${N}`,
    int8GemmGops: ops / tInt8 / 1e9,
    fp32GemmGops: ops / tF32 / 1e9,
    int8OverFp32: tF32 / tInt8,
    fp16MatmulMs: tF16 * 1e3,
    llmInt8Ms: tLlm * 1e3,
    llmInt8OverFp16: tLlm / tF16,
    llmInt8OutliersMs: tLlmOut * 1e3,
    outlierCols: rOut.stats.outlierCols.length,
    llmInt8OutliersOverFp16: tLlmOut / tF16,
  });
}
const threads = availableThreads ? availableThreads() : 1;
if (shutdownThreads) await shutdownThreads();
if (json) console.log(JSON.stringify({ threads, results }, null, 1));
else {
  console.log(`# LLM.int8 speed (lowp${src ? ', src' : ''}), ${threads} thread(s) available, Node ${process.version}\n`);
  console.log('| M×K×N | int8 GEMM GOP/s | fp32 GEMM GOP/s | int8 / fp32 speed | fp16 matmul ms | llmInt8Linear ms (no outliers) | × fp16 | llmInt8Linear ms (outliers) | outlier cols | × fp16 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(`| ${r.shape} | ${r.int8GemmGops.toFixed(1)} | ${r.fp32GemmGops.toFixed(1)} | ${r.int8OverFp32.toFixed(2)}× | ${r.fp16MatmulMs.toFixed(2)} | ${r.llmInt8Ms.toFixed(2)} | ${r.llmInt8OverFp16.toFixed(2)} | ${r.llmInt8OutliersMs.toFixed(2)} | ${r.outlierCols} | ${r.llmInt8OutliersOverFp16.toFixed(2)} |`);
  }
}
