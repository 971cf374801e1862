#!/usr/bin/env node
// Quantization-error benchmark (issue 4 item 6, issue 3 item 5): prints two markdown tables.
//  1. Y = A·Wᵀ error against float64 for fp32/fp16/bf16 GEMMs, per-tensor int8, vector-wise int8 and
//     LLM.int8 (threshold 6, int8 and 16-bit outlier weights) on (a) Gaussian activations, (b) activations
//     with a few outlier feature columns of magnitude 20–60, (c) the real activations and weights of the
//     digits-transformer (../shared/vectors, else tests/fixtures).
//  2. Tensor round trips (SQNR / relative L2 / max error and bytes per element) of every registered method
//     on Gaussian, heavy-tailed (Student-t, 3 dof) and the real weights.
// Usage: node bench/quant-error.mjs [--small] [--long] [--json]   (after the build; runs against dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/quant-error.mjs   (against src/, no build needed)
//        LOWP_BENCH_FIXTURE=1 ...                          (the tests/fixtures subset even if ../shared exists)
// All data is seeded: the same numbers on every run and machine (up to the platform's Math.log/cos).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const lib = process.env.LOWP_BENCH_SRC
  ? await import('../src/quant/quant-error.ts')
  : await import('../dist/quant/index.js');
const { linearErrorTable, quantErrorTable, syntheticMatrix, formatErrorTable } = lib;
const { openSafetensorsSync } = process.env.LOWP_BENCH_SRC
  ? await import('../src/io/index.ts')
  : await import('../dist/io/index.js');

const args = new Set(process.argv.slice(2));
const small = args.has('--small');
const json = args.has('--json');

/** The float32 tensors of a safetensors file (lowp/io), by name: { shape, data: Float32Array }. */
function readSafetensors(path) {
  const st = openSafetensorsSync(path);
  const out = new Map();
  for (const t of st.tensors) if (t.dtype === 'F32') out.set(t.name, st.tensorSync(t.name));
  st.closeSync();
  return out;
}

function as2d(t) {
  const cols = t.shape[t.shape.length - 1];
  return { rows: t.data.length / cols, cols, data: t.data };
}

const relu = (m) => ({ ...m, data: m.data.map((v) => (v > 0 ? v : 0)) });

const shared = join(here, '..', '..', 'shared', 'vectors', 'digits-transformer.safetensors');
const fixture = join(here, '..', 'tests', 'fixtures', 'digits-transformer.safetensors');
const modelPath = existsSync(shared) && !process.env.LOWP_BENCH_FIXTURE ? shared : fixture;
const model = readSafetensors(modelPath);

// (c) real pairs: the input of each Linear (a LayerNorm output, or ReLU of linear1) and its weight.
// nn.TransformerEncoderLayer (post-norm): linear1(norm1 output), linear2(relu(linear1 output)); the
// final norm feeds the head. Layer 0's norm2 output feeds layer 1's attention in-projection. Checked on
// the shared file: act.*.linear1 = norm1·W1ᵀ + b1, act.*.linear2 = relu(linear1)·W2ᵀ + b2 (not GELU) and
// act.head = norm·Wᵀ + b to a relative error of ~1e-7.
const realPairs = [];
const pair = (name, actKey, weightKey, f = (x) => x) => {
  // the fixture subset (without ../shared) holds only some of the activations: use the pairs present
  if (model.has(actKey) && model.has(weightKey)) realPairs.push([name, f(as2d(model.get(actKey))), as2d(model.get(weightKey))]);
};
for (const l of [0, 1]) {
  const p = `enc.layers.${l}`;
  pair(`${p}.linear1`, `act.${p}.norm1`, `weight.${p}.linear1.weight`);
  pair(`${p}.linear2`, `act.${p}.linear1`, `weight.${p}.linear2.weight`, relu);
}
pair('enc.layers.1.self_attn.in_proj', 'act.enc.layers.0.norm2', 'weight.enc.layers.1.self_attn.in_proj_weight');
pair('head', 'act.norm', 'weight.head.weight');

const m = small ? 64 : 256, k = small ? 256 : 1024, n = small ? 64 : 256;
const wScale = 1 / Math.sqrt(k);
const linearCases = [
  { name: `gaussian ${m}x${k}x${n}`, a: syntheticMatrix('gaussian', m, k, { seed: 1 }), w: syntheticMatrix('gaussian', n, k, { seed: 2, scale: wScale }) },
  { name: `outliers ${m}x${k}x${n}`, a: syntheticMatrix('outlier-features', m, k, { seed: 3, outlierCols: Math.max(2, k / 128) }), w: syntheticMatrix('gaussian', n, k, { seed: 4, scale: wScale }) },
  ...realPairs.map(([name, a, w]) => ({ name: `digits ${name}`, a, w })),
];
const t0 = performance.now();
const linear = linearErrorTable(linearCases);
const t1 = performance.now();

const tensorCases = [
  { name: 'gaussian 256x256', data: syntheticMatrix('gaussian', 256, 256, { seed: 5 }) },
  { name: 'student-t(3) 256x256', data: syntheticMatrix('student-t', 256, 256, { seed: 6, dof: 3 }) },
  ...[...model.keys()].filter((key) => key.startsWith('weight.') && key.endsWith('weight') && model.get(key).shape.length === 2 && model.get(key).data.length >= 4096)
    .map((key) => ({ name: key.slice(7), data: as2d(model.get(key)) })),
];
const tensors = quantErrorTable(tensorCases);
const t2 = performance.now();

/** Pivot: one row per `rowKey`, one column per `colKey`, cells formatted by `cell`. */
function pivot(rows, rowKey, colKey, cell, lead = []) {
  const rk = [...new Set(rows.map((r) => r[rowKey]))];
  const ck = [...new Set(rows.map((r) => r[colKey]))];
  const head = `| ${[rowKey, ...lead.map(([h]) => h), ...ck].join(' | ')} |`;
  const sep = `| ${['---', ...lead.map(() => '---:'), ...ck.map(() => '---:')].join(' | ')} |`;
  const body = rk.map((r) => {
    const mine = rows.filter((x) => x[rowKey] === r);
    return `| ${[r, ...lead.map(([, f]) => f(mine)), ...ck.map((c) => { const x = mine.find((y) => y[colKey] === c); return x ? cell(x) : ''; })].join(' | ')} |`;
  });
  return [head, sep, ...body].join('\n');
}
const rel = (x) => (x === 0 ? '0' : x < 1e-3 ? x.toExponential(1) : x.toFixed(4));
const db = (x) => (x === Infinity ? 'inf' : x.toFixed(1));

if (json) {
  console.log(JSON.stringify({ model: modelPath, linear, tensors }, null, 1));
} else {
  console.log(`# Quantization error (lowp), model: ${modelPath.includes('shared') ? '../shared/vectors' : 'tests/fixtures'}/digits-transformer.safetensors\n`);
  console.log('## Y = A·Wᵀ: relative L2 error against the float64 product\n');
  console.log(pivot(linear, 'case', 'method', (r) => rel(r.relL2), [['max abs A', (m) => m[0].maxAbsA.toFixed(1)], ['outlier cols', (m) => String(Math.max(...m.map((x) => x.outlierCols)))]]));
  console.log(`\n(${(t1 - t0).toFixed(0)} ms)\n\n## Tensor round trips: SQNR in dB (bytes per element incl. scales)\n`);
  console.log(pivot(tensors, 'method', 'tensor', (r) => db(r.sqnrDb), [['bytes/elt (gaussian)', (m) => m[0].bytesPerElement.toFixed(3)]]));
  console.log(`\n(${(t2 - t1).toFixed(0)} ms)`);
  if (args.has('--long')) {
    console.log('\n## All A·Wᵀ figures\n');
    console.log(formatErrorTable(linear, ['case', 'method', 'maxAbsA', 'outlierCols', 'relL2', 'sqnrDb', 'maxAbsError', 'verdict']));
    console.log('\n## All round-trip figures\n');
    console.log(formatErrorTable(tensors, ['tensor', 'method', 'bytesPerElement', 'sqnrDb', 'relL2', 'maxAbsError', 'verdict']));
  }
}
