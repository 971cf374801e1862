#!/usr/bin/env node
// GEMM benchmark: lowp's matmul / int8Matmul against JavaScript peers and native ceilings, side by
// side in one run (issue 5). Single-threaded unless stated.
//   fp32 GEMM n×n×n: lowp (WASM SIMD), lowp with bf16 and fp16 code inputs (fp32 accumulation),
//   lowp with 2 threads, onnxruntime-web WASM (SIMD, 1 thread), @tensorflow/tfjs-core CPU backend, a
//   naive JS loop; ceilings: onnxruntime-node native MatMul (1 intra-op thread), numpy/OpenBLAS (1 thread).
//   int8 GEMM: lowp int8Matmul (A·Wᵀ) vs onnxruntime-web and onnxruntime-node MatMulInteger (u8×s8).
// Usage (after `npm run build`): node bench/matmul.mjs [--sizes 256,512,1024,2048] [--quick] [--json out.json] [--dist dir]
// From source without a build: node --import tsx bench/matmul.mjs --src
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ELEM, matmulModel } from './matmul-onnx.mjs';

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const sizes = arg('--sizes', '256,512,1024,2048').split(',').map(Number);
const jsonOut = arg('--json', null);
const distArg = arg('--dist', null);
const dist = distArg ? `file://${distArg.replace(/\/?$/, '/')}` : new URL('../dist/', import.meta.url).href;
const from = (sub) => (args.includes('--src') ? `../src/${sub}/index.ts` : new URL(`${sub}/index.js`, dist).href);
const lowp = await import(from('matmul'));
const { encodeArray } = await import(from('formats'));

/** Median seconds per call of fn (async or not) over enough runs to fill ~budget seconds. */
async function time(fn, budget = quick ? 0.3 : 1.5, maxRuns = quick ? 3 : 15) {
  await fn(); // warm up (compiles, allocates, starts pools)
  const times = [];
  const t0 = performance.now();
  while (times.length < maxRuns && (times.length < 2 || performance.now() - t0 < budget * 1000)) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function rand(n, seed) {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

function naive(A, B, n) {
  const C = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k];
      const o = k * n;
      const r = i * n;
      for (let j = 0; j < n; j++) C[r + j] += a * B[o + j];
    }
  }
  return C;
}

async function loadOrt(name) {
  try {
    const m = await import(name);
    return m.default ?? m;
  } catch (e) {
    console.error(`(${name} unavailable: ${e.message.split('\n')[0]})`);
    return null;
  }
}

const ortWeb = await loadOrt('onnxruntime-web');
if (ortWeb) {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.simd = true;
}
const ortNode = await loadOrt('onnxruntime-node');
let tf = null;
try {
  tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
} catch (e) {
  console.error(`(tfjs CPU backend unavailable: ${e.message.split('\n')[0]})`);
  tf = null;
}

async function ortRunner(ort, op, n, feeds, opts) {
  if (!ort) return null;
  const types = op === 'MatMul' ? { a: ELEM.float, b: ELEM.float, c: ELEM.float } : { a: ELEM.uint8, b: ELEM.int8, c: ELEM.int32 };
  const session = await ort.InferenceSession.create(matmulModel(op, [n, n, n], types), opts);
  const tensors = {
    A: new ort.Tensor(op === 'MatMul' ? 'float32' : 'uint8', feeds.A, [n, n]),
    B: new ort.Tensor(op === 'MatMul' ? 'float32' : 'int8', feeds.B, [n, n]),
  };
  return async () => {
    const r = await session.run(tensors);
    return r.C;
  };
}

function numpyTimes(list) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const py = `
import json, time, numpy as np
out = {}
for n in ${JSON.stringify(list)}:
    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
    a @ b
    ts = []
    t0 = time.perf_counter()
    while len(ts) < 2 or (time.perf_counter() - t0 < ${quick ? 0.3 : 1.5} and len(ts) < 15):
        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
    ts.sort(); out[n] = ts[len(ts) // 2]
print(json.dumps(out))
`;
  const r = spawnSync('python3', ['-c', py], { env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    console.error(`(numpy unavailable: ${(r.stderr || '').trim().split('\n').pop()})`);
    return {};
  }
  return JSON.parse(r.stdout);
}

const np = numpyTimes(sizes);
const rows = [];
for (const n of sizes) {
  const flop = 2 * n ** 3;
  const A = rand(n * n, 1);
  const B = rand(n * n, 2);
  const a = { rows: n, cols: n, data: A };
  const b = { rows: n, cols: n, data: B };
  const a16 = { rows: n, cols: n, data: encodeArray(A, 'bf16'), format: 'bf16' };
  const b16 = { rows: n, cols: n, data: encodeArray(B, 'bf16'), format: 'bf16' };
  const ah = { rows: n, cols: n, data: encodeArray(A, 'fp16'), format: 'fp16' };
  const bh = { rows: n, cols: n, data: encodeArray(B, 'fp16'), format: 'fp16' };
  const qa = { rows: n, cols: n, data: Int8Array.from(A, (x) => Math.round(x * 254)) };
  const qw = { rows: n, cols: n, data: Int8Array.from(B, (x) => Math.round(x * 254)) };
  const r = { n };
  const g = (sec) => (sec ? flop / sec / 1e9 : null);
  r.lowp = g(await time(() => lowp.matmul(a, b, { threads: 1 })));
  r.lowpBf16 = g(await time(() => lowp.matmul(a16, b16, { threads: 1 })));
  r.lowpFp16 = g(await time(() => lowp.matmul(ah, bh, { threads: 1 })));
  r.lowp2 = g(await time(() => lowp.matmul(a, b, { threads: 2 })));
  const web = await ortRunner(ortWeb, 'MatMul', n, { A, B }, { executionProviders: ['wasm'] });
  r.ortWeb = web ? g(await time(web)) : null;
  if (tf && n <= 1024) {
    const ta = tf.tensor2d(A, [n, n]);
    const tb = tf.tensor2d(B, [n, n]);
    r.tfjs = g(await time(() => { const c = tf.matMul(ta, tb); c.dataSync(); c.dispose(); }, 0.5, 3));
  } else r.tfjs = null;
  r.naive = n <= 1024 ? g(await time(() => naive(A, B, n), 0.5, 3)) : null;
  const node = await ortRunner(ortNode, 'MatMul', n, { A, B }, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  r.ortNode = node ? g(await time(node)) : null;
  r.numpy = np[n] ? g(np[n]) : null;
  // int8
  r.int8 = g(await time(() => lowp.int8Matmul(qa, qw, { transB: true, threads: 1 })));
  r.int8x2 = g(await time(() => lowp.int8Matmul(qa, qw, { transB: true, threads: 2 })));
  const ua = Uint8Array.from(qa.data, (x) => x + 128);
  const webI = await ortRunner(ortWeb, 'MatMulInteger', n, { A: ua, B: qw.data }, { executionProviders: ['wasm'] });
  r.ortWebInt8 = webI ? g(await time(webI)) : null;
  const nodeI = await ortRunner(ortNode, 'MatMulInteger', n, { A: ua, B: qw.data }, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  r.ortNodeInt8 = nodeI ? g(await time(nodeI)) : null;
  rows.push(r);
  console.error(`n=${n} done`);
}

const f = (x) => (x == null ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (x, y) => (x && y ? (x / y).toFixed(2) + '×' : '—');
console.log(`\nlowp matmul benchmark — Node ${process.version}, ${new Date().toISOString()}; GFLOP/s (int8: GOP/s), median of runs, 1 thread unless stated\n`);
const head = ['n', 'lowp fp32', 'bf16 in', 'fp16 in', 'fp32 2T', 'ort-web', 'tfjs cpu', 'naive JS', 'ort-node', 'numpy', '| int8', 'int8 2T', 'ort-web i8', 'ort-node i8'];
console.log(head.map((h) => h.padStart(11)).join(''));
for (const r of rows) {
  console.log([r.n, r.lowp, r.lowpBf16, r.lowpFp16, r.lowp2, r.ortWeb, r.tfjs, r.naive, r.ortNode, r.numpy, r.int8, r.int8x2, r.ortWebInt8, r.ortNodeInt8]
    .map((x, i) => (i === 0 ? String(x) : f(x)).padStart(11)).join(''));
}
console.log('\nratios: lowp/ort-web fp32, fp32/bf16-in (target ≤ 1.5), fp32/fp16-in, 2T/1T fp32 (target ≥ 1.7), lowp/ort-web int8, 2T/1T int8, lowp/numpy');
for (const r of rows) {
  console.log(`  n=${String(r.n).padEnd(5)} ${ratio(r.lowp, r.ortWeb).padStart(7)} ${ratio(r.lowp, r.lowpBf16).padStart(7)} ${ratio(r.lowp, r.lowpFp16).padStart(7)} ${ratio(r.lowp2, r.lowp).padStart(7)} ${ratio(r.int8, r.ortWebInt8).padStart(7)} ${ratio(r.int8x2, r.int8).padStart(7)} ${ratio(r.lowp, r.numpy).padStart(7)}`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2));
await lowp.shutdownThreads();
