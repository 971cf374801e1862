#!/usr/bin/env node
// simulateAdamStep (issue 11): reproduces the table from PyTorch's own next step on the two
// public trainer checkpoints (../shared/vectors/torch-checkpoints/trainer/truth.*), exactly (with the
// real gradient) and as an estimate from the checkpoint alone, next to torch's counts; then times the
// step in M elements/s against a plain float32 AdamW loop over the same arrays (no rounding to the
// precision, no counts: the floor any emulation pays), in the same run.
// Usage: node bench/adam-step.mjs [--vectors DIR] [--json]   (after `npm run build`; runs against dist/)
//        LOWP_BENCH_SRC=1 npx tsx bench/adam-step.mjs       (against src/)
// DIR defaults to $LOWP_SHARED_VECTORS, else ../shared/vectors next to the checkout, else the fixture
// subset in tests/fixtures (then the table covers only its tensors).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = process.env.LOWP_BENCH_SRC ? await import('../src/diagnostics/index.ts') : await import('../dist/diagnostics/index.js');
const { simulateAdamStep } = lib;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const vi = argv.indexOf('--vectors');
const candidates = [vi >= 0 ? argv[vi + 1] : null, process.env.LOWP_SHARED_VECTORS, join(root, '..', 'shared', 'vectors')].filter(Boolean);
let dir = candidates.map((d) => join(d, 'torch-checkpoints', 'trainer')).find((d) => existsSync(join(d, 'truth.safetensors')));
const subset = !dir;
if (!dir) dir = join(root, 'tests', 'fixtures', 'torch-checkpoints', 'trainer');

const buf = readFileSync(join(dir, 'truth.safetensors'));
const hn = Number(buf.readBigUInt64LE(0));
const header = JSON.parse(buf.subarray(8, 8 + hn).toString('utf8'));
const get = (key) => {
  const { dtype, data_offsets: [b, e] } = header[key];
  const bytes = new Uint8Array(e - b);
  bytes.set(buf.subarray(8 + hn + b, 8 + hn + e));
  return dtype === 'F32' ? new Float32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
};
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8'));

const RUNS = ['finetune', 'pretrain'];
const LABEL = { finetune: 'fine-tuning', pretrain: 'pre-training' };
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const count = (x) => Math.round(x).toLocaleString('en-US');
const lrText = (x) => Number(x.toPrecision(3)).toExponential();

function runCase(run, precision, implementation, withGrad) {
  const h = truth[run];
  let n = 0, unchanged = 0, nonFinite = 0, tU = 0, tN = 0;
  for (const name of h.param_order) {
    const c = h.cases[`${precision}/${implementation}`].tensors[name];
    if (!c) continue; // fixture: sliced tensors have no counts of their own
    const state = { weight: get(`${run}/weight/${name}`), expAvg: get(`${run}/exp_avg/${name}`), expAvgSq: get(`${run}/exp_avg_sq/${name}`), step: h.step };
    if (withGrad) state.grad = get(`${run}/grad/${name}`);
    const r = simulateAdamStep(state, { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weight_decay[name], precision, implementation });
    n += r.counts.elements; unchanged += r.counts.unchanged; nonFinite += r.counts.nonFinite;
    tU += c.unchanged; tN += c.nonfinite;
  }
  return { n, unchanged, nonFinite, torchUnchanged: tU, torchNonFinite: tN };
}

const rows = [];
for (const run of RUNS) for (const precision of ['bf16', 'fp16']) {
  const row = { run, lr: truth[run].lr, precision };
  for (const impl of ['foreach', 'fused']) {
    const exact = runCase(run, precision, impl, true);
    const est = runCase(run, precision, impl, false);
    row[impl] = {
      elements: exact.n,
      torch: { unchanged: exact.torchUnchanged, nonFinite: exact.torchNonFinite },
      exact: { unchanged: exact.unchanged, nonFinite: exact.nonFinite },
      estimate: { unchanged: est.unchanged, nonFinite: est.nonFinite },
      errorPoints: { unchanged: (100 * (est.unchanged - exact.torchUnchanged)) / exact.n, nonFinite: (100 * (est.nonFinite - exact.torchNonFinite)) / exact.n },
    };
  }
  rows.push(row);
}

// timing: the whole pretrain run (all tensors concatenated), per precision and implementation
function concat(run, key) {
  const parts = truth[run].param_order.map((name) => get(`${run}/${key}/${name}`));
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const h = truth.pretrain;
const W = concat('pretrain', 'weight'), M = concat('pretrain', 'exp_avg'), V = concat('pretrain', 'exp_avg_sq'), G = concat('pretrain', 'grad');
const N = W.length;
function median(fn, reps = 5) {
  fn();
  const ts = [];
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  return ts[reps >> 1];
}
function plainAdamW(p, m, v, g, lr, b1, b2, eps, wd, t) {
  // float32 AdamW, for-loop order, no rounding to a narrower type: the floor of an emulation
  const out = new Float32Array(p.length), mo = new Float32Array(p.length), vo = new Float32Array(p.length);
  const bc1 = 1 - b1 ** t, bc2s = Math.sqrt(1 - b2 ** t), step = lr / bc1, decay = 1 - lr * wd;
  for (let i = 0; i < p.length; i++) {
    const mm = m[i] + (1 - b1) * (g[i] - m[i]);
    const vv = b2 * v[i] + (1 - b2) * g[i] * g[i];
    mo[i] = mm; vo[i] = vv;
    out[i] = p[i] * decay - step * mm / (Math.sqrt(vv) / bc2s + eps);
  }
  return out;
}
const floorMs = median(() => plainAdamW(W, M, V, G, h.lr, h.betas[0], h.betas[1], h.eps, 0.1, h.step + 1));
const timing = [];
for (const precision of ['bf16', 'fp16', 'fp32']) for (const implementation of ['foreach', 'fused']) {
  const opts = { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: 0.1, precision, implementation };
  const exactMs = median(() => simulateAdamStep({ weight: W, expAvg: M, expAvgSq: V, grad: G, step: h.step }, opts));
  const estMs = median(() => simulateAdamStep({ weight: W, expAvg: M, expAvgSq: V, step: h.step }, opts), 3);
  timing.push({ precision, implementation, exactMElemPerS: N / exactMs / 1e3, estimateMElemPerS: N / estMs / 1e3, exactVsPlain: exactMs / floorMs });
}

if (json) {
  console.log(JSON.stringify({ node: process.version, source: subset ? 'fixture subset' : dir, rows, timing, plainMElemPerS: N / floorMs / 1e3, elements: N }, null, 1));
} else {
  console.log(`simulateAdamStep on ${subset ? 'the fixture subset (tensors with counts only)' : 'the public trainer runs'} (${dir}), Node ${process.version}`);
  console.log('');
  console.log('| checkpoint | next AdamW step in | implementation | weights that do not move: torch / lowp exact / lowp estimate (error) | weights that become inf/NaN: torch / exact / estimate |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) for (const impl of ['foreach', 'fused']) {
    const x = r[impl];
    const e = x.errorPoints.unchanged;
    console.log(`| ${LABEL[r.run]}, lr ${lrText(r.lr)} | ${r.precision} | ${impl === 'foreach' ? 'for-loop' : 'fused'} | ${pct(x.torch.unchanged / x.elements)} / ${pct(x.exact.unchanged / x.elements)} / ${pct(x.estimate.unchanged / x.elements)} (${e >= 0 ? '+' : ''}${e.toFixed(2)} points) | ${count(x.torch.nonFinite)} / ${count(x.exact.nonFinite)} / ${count(x.estimate.nonFinite)} |`);
  }
  console.log('');
  console.log(`timing on the pre-training run, ${count(N)} elements (median of 5; estimate: 16 gradient nodes per element, every element):`);
  console.log(`  plain float32 AdamW loop (no rounding, no counts): ${(N / floorMs / 1e3).toFixed(1)} M elements/s`);
  for (const t of timing) {
    console.log(`  ${t.precision} ${t.implementation.padEnd(7)}: exact ${t.exactMElemPerS.toFixed(2)} M elements/s (${t.exactVsPlain.toFixed(1)}× the plain loop's time), estimate ${t.estimateMElemPerS.toFixed(3)} M elements/s`);
  }
}
