#!/usr/bin/env node
// Quantization-error benchmark (issue 4 item 6, issue 3 item 5): prints two markdown tables.
//  1. Y = A·Wᵀ error against float64 for fp32/fp16/bf16 GEMMs, per-tensor int8, vector-wise int8 and
//     LLM.int8 (threshold 6, int8 and 16-bit outlier weights) on (a) Gaussian activations, (b) activations
//     with a few outlier feature columns of magnitude 20–60, (c) the real activations and weights of the
//     digits-transformer (../shared/vectors, else tests/fixtures).
//  2. Tensor round trips (SQNR / relative L2 / max error and bytes per element) of every registered method
//     on Gaussian, heavy-tailed (Student-t, 3 dof) and the real weights; llama.cpp's ggml types included
//     ('—' where a type cannot store a tensor: its rows are not whole blocks of 32 or 256 values).
//  3. llama.cpp's ggml types beside NF4, MXFP4, fp8 and int8 on the same weights with the same metrics,
//     one row per method: what `lowp quant-error --json` measures on the built-in sample's weight
//     matrices and on digits-transformer's, summarised per method as the command's own summary does
//     (median and worst SQNR over the tensors), with bits per value and how many tensors the method can
//     store (issue 12).
// Usage: node bench/quant-error.mjs [--small] [--long] [--json] [--ggml]   (after the build; runs against dist/)
//        --ggml: only table 3
//        LOWP_BENCH_SRC=1 npx tsx bench/quant-error.mjs   (against src/, no build needed)
//        LOWP_BENCH_FIXTURE=1 ...                          (the tests/fixtures subset even if ../shared exists)
//        LOWP_SHARED_VECTORS=/path/to/shared/vectors ...    (where the shared vectors are, e.g. from a git worktree)
// All data is seeded: the same numbers on every run and machine (up to the platform's Math.log/cos).
import { spawnSync } from 'node:child_process';
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
const ggmlOnly = args.has('--ggml');
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

// ../shared/vectors beside the checkout, or the folder named by LOWP_SHARED_VECTORS (as for the tests)
const shared = join(process.env.LOWP_SHARED_VECTORS || join(here, '..', '..', 'shared', 'vectors'), 'digits-transformer.safetensors');
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
const linear = ggmlOnly ? [] : linearErrorTable(linearCases);
const t1 = performance.now();

const tensorCases = [
  { name: 'gaussian 256x256', data: syntheticMatrix('gaussian', 256, 256, { seed: 5 }) },
  { name: 'student-t(3) 256x256', data: syntheticMatrix('student-t', 256, 256, { seed: 6, dof: 3 }) },
  ...[...model.keys()].filter((key) => key.startsWith('weight.') && key.endsWith('weight') && model.get(key).shape.length === 2 && model.get(key).data.length >= 4096)
    .map((key) => ({ name: key.slice(7), data: as2d(model.get(key)) })),
];
const tensors = ggmlOnly ? [] : quantErrorTable(tensorCases, { unsupported: 'skip' });
const t2 = performance.now();

/** Pivot: one row per `rowKey`, one column per `colKey`, cells formatted by `cell`. */
function pivot(rows, rowKey, colKey, cell, lead = []) {
  const rk = [...new Set(rows.map((r) => r[rowKey]))];
  const ck = [...new Set(rows.map((r) => r[colKey]))];
  const head = `| ${[rowKey, ...lead.map(([h]) => h), ...ck].join(' | ')} |`;
  const sep = `| ${['---', ...lead.map(() => '---:'), ...ck.map(() => '---:')].join(' | ')} |`;
  const body = rk.map((r) => {
    const mine = rows.filter((x) => x[rowKey] === r);
    return `| ${[r, ...lead.map(([, f]) => f(mine)), ...ck.map((c) => { const x = mine.find((y) => y[colKey] === c); return x ? cell(x) : '—'; })].join(' | ')} |`;
  });
  return [head, sep, ...body].join('\n');
}
const rel = (x) => (x === 0 ? '0' : x < 1e-3 ? x.toExponential(1) : x.toFixed(4));
const db = (x) => (x === Infinity ? 'inf' : x.toFixed(1));

// ---------------------------------------------------------------- 3. ggml types beside NF4, MXFP4, fp8
// `lowp quant-error --json` itself (the built CLI, or the sources with LOWP_BENCH_SRC), so the figures
// are exactly what a user gets from the command.
const GGML_TABLE_METHODS = [
  'q8_0', 'int8-row', 'fp8-e4m3fn', 'q6_k', 'q5_k', 'q5_0', 'q4_k', 'q4_0', 'iq4_nl', 'nf4', 'iq4_xs', 'ggml-mxfp4', 'mxfp4', 'bnb-fp4', 'q3_k', 'q2_k',
];
function quantErrorCli(cliArgs) {
  const cli = process.env.LOWP_BENCH_SRC ? ['--import', 'tsx', join(here, '..', 'src', 'cli', 'main.ts')] : [join(here, '..', 'dist', 'cli', 'main.js')];
  const r = spawnSync(process.execPath, [...cli, 'quant-error', ...cliArgs, '--json', '--no-progress'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`lowp quant-error ${cliArgs.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
/**
 * Per method: bits per value, median and worst SQNR, median rel L2 over the tensors every method can
 * store (the same weights for all), and how many of all the tensors the method can store.
 */
function perMethod(doc) {
  const out = new Map();
  const common = doc.tensors.filter((t) => t.results.every((c) => c.error === undefined));
  doc.methods.forEach((m, i) => {
    const cells = common.map((t) => t.results[i]);
    const num = (v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
    const sq = cells.map((c) => num(c.sqnrDb)).sort((a, b) => a - b);
    const rl = cells.map((c) => num(c.relL2)).sort((a, b) => a - b);
    out.set(m, {
      each: cells.map((c) => num(c.sqnrDb)),
      bits: cells.length ? cells[0].bitsPerValue : null,
      median: sq.length ? sq[Math.floor((sq.length - 1) / 2)] : null,
      worst: sq.length ? sq[0] : null,
      relL2: rl.length ? rl[Math.floor((rl.length - 1) / 2)] : null,
      stored: doc.tensors.filter((t) => t.results[i].error === undefined).length,
      of: doc.tensors.length,
      common: common.map((t) => t.name),
    });
  });
  return out;
}
const SAMPLE_ONLY = '^model\\..*(proj|embed_tokens)\\.weight$';
const DIGITS_ONLY = '^weight\\.(?!.*norm).*weight$';
const t3 = performance.now();
const ggmlSample = perMethod(quantErrorCli(['--sample', '--only', SAMPLE_ONLY, '--methods', GGML_TABLE_METHODS.join(',')]));
const ggmlDigits = perMethod(quantErrorCli([modelPath, '--only', DIGITS_ONLY, '--methods', GGML_TABLE_METHODS.join(',')]));
const t4 = performance.now();
function ggmlTable() {
  const pct = (x) => (x === null ? '—' : `${(100 * x).toPrecision(3)}%`);
  const d1 = (x) => (x === null ? '—' : x === Infinity ? 'exact' : x.toFixed(1));
  const common = ggmlDigits.get(GGML_TABLE_METHODS[0]).common;
  const head = `| method | bits/value | sample: median SQNR (dB) | sample: worst SQNR (dB) | sample: median rel L2 | digits: SQNR (dB) of ${common.map((n) => n.replace(/^weight\.enc\.layers\.(\d+)\.(.*)\.weight$/, 'L$1 $2')).join(', ')} | digits: weights it can store |`;
  const sep = '| --- | ---: | ---: | ---: | ---: | ---: | ---: |';
  const rows = GGML_TABLE_METHODS.map((m) => {
    const a = ggmlSample.get(m), b = ggmlDigits.get(m);
    const bits = a.bits ?? b.bits;
    return `| ${m} | ${bits === null ? '—' : Number(bits.toPrecision(5))} | ${d1(a.median)} | ${d1(a.worst)} | ${pct(a.relL2)} | ${b.each.map(d1).join(', ')} | ${b.stored} of ${b.of} |`;
  });
  return [head, sep, ...rows].join('\n');
}

if (json) {
  console.log(JSON.stringify({ model: modelPath, linear, tensors, ggml: { sample: Object.fromEntries(ggmlSample), digits: Object.fromEntries(ggmlDigits) } }, null, 1));
} else if (ggmlOnly) {
  console.log(`# llama.cpp's ggml types beside NF4, MXFP4, fp8 and int8 (lowp quant-error), Node ${process.versions.node}\n`);
  console.log(ggmlTable());
  console.log(`\nsample: lowp quant-error --sample --only '${SAMPLE_ONLY}' (${ggmlSample.get('q8_0').common.length} weight matrices); digits: lowp quant-error ${modelPath.includes('shared') ? '../shared/vectors' : 'tests/fixtures'}/digits-transformer.safetensors --only '${DIGITS_ONLY}' (SQNR over the ${ggmlDigits.get('q8_0').common.length} weight matrices every method can store: ${ggmlDigits.get('q8_0').common.join(', ')}; of ${ggmlDigits.get('q8_0').of}); (${(t4 - t3).toFixed(0)} ms)`);
} else {
  console.log(`# Quantization error (lowp), model: ${modelPath.includes('shared') ? '../shared/vectors' : 'tests/fixtures'}/digits-transformer.safetensors\n`);
  console.log('## Y = A·Wᵀ: relative L2 error against the float64 product\n');
  console.log(pivot(linear, 'case', 'method', (r) => rel(r.relL2), [['max abs A', (m) => m[0].maxAbsA.toFixed(1)], ['outlier cols', (m) => String(Math.max(...m.map((x) => x.outlierCols)))]]));
  console.log(`\n(${(t1 - t0).toFixed(0)} ms)\n\n## Tensor round trips: SQNR in dB (bytes per element incl. scales)\n`);
  console.log(pivot(tensors, 'method', 'tensor', (r) => db(r.sqnrDb), [['bytes/elt', (m) => m[0].bytesPerElement.toFixed(3)]]));
  console.log("\n('—': the method cannot store the tensor: its rows are not whole blocks of the ggml type, 32 or 256 values)");
  console.log(`\n(${(t2 - t1).toFixed(0)} ms)`);
  console.log(`\n## llama.cpp's ggml types beside NF4, MXFP4, fp8 and int8: lowp quant-error per method (median / worst SQNR over the tensors)\n`);
  console.log(ggmlTable());
  console.log(`\n(${(t4 - t3).toFixed(0)} ms)`);
  if (args.has('--long')) {
    console.log('\n## All A·Wᵀ figures\n');
    console.log(formatErrorTable(linear, ['case', 'method', 'maxAbsA', 'outlierCols', 'relL2', 'sqnrDb', 'maxAbsError', 'verdict']));
    console.log('\n## All round-trip figures\n');
    console.log(formatErrorTable(tensors, ['tensor', 'method', 'bytesPerElement', 'sqnrDb', 'relL2', 'maxAbsError', 'verdict']));
  }
}
