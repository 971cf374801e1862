#!/usr/bin/env node
// simulateAdamStep's estimate on synthetic checkpoints, beyond the two public runs: per element a true
// mean mu and scale sigma (log-normal scales around `scale`, mean = snr·sigma·N(0,1)), gradients
// g_t = f_t·(mu + sigma·noise) with normal or Student-t(3) noise and an optional drift f_t (larger
// gradients early on), AdamW in float32 for T steps gives the checkpoint; the truth is the exact step
// (simulateAdamStep with a fresh gradient drawn the same way), the estimate sees only the checkpoint.
// Prints, per scenario and bf16/fp16 × for-loop/fused, the unchanged fraction of the exact step, the
// estimate and their difference in points, and the inf/NaN counts. One draw per scenario: the exact
// step's own count varies by about 0.35 points between draws (20,000 elements), the estimate's sample
// (8,000 elements) adds about 0.5.
// Usage: node bench/adam-estimate-synthetic.mjs   (after `npm run build`; LOWP_BENCH_SRC=1 npx tsx for src/)
const lib = process.env.LOWP_BENCH_SRC ? await import('../src/index.ts') : await import('../dist/index.js');
const { simulateAdamStep, createRng } = lib;
const rng = createRng(1);
const normal = () => { let u = 0; while (u === 0) u = rng(); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng()); };
const student3 = () => { const z = normal(); let c = 0; for (let i = 0; i < 3; i++) { const x = normal(); c += x * x; } return z / Math.sqrt(c / 3) / Math.sqrt(3); };
function run({ n = 20000, T = 300, lr = 1e-3, b1 = 0.9, b2 = 0.999, wd = 0.01, snr = 0.3, noise = normal, drift = 0, scale = 1e-3, wscale = 0.05 }) {
  const mu = new Float64Array(n), sg = new Float64Array(n), w = new Float32Array(n), m = new Float32Array(n), v = new Float32Array(n);
  for (let i = 0; i < n; i++) { const s = scale * Math.exp(normal()); sg[i] = s; mu[i] = snr * s * normal(); w[i] = wscale * normal(); }
  for (let t = 1; t <= T; t++) {
    const f = 1 + drift * (T - t) / T; // gradients larger early on (drift > 0)
    for (let i = 0; i < n; i++) {
      const g = f * (mu[i] + sg[i] * noise());
      m[i] = b1 * m[i] + (1 - b1) * g; v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mh = m[i] / (1 - b1 ** t), vh = v[i] / (1 - b2 ** t);
      w[i] = w[i] * (1 - lr * wd) - lr * mh / (Math.sqrt(vh) + 1e-8);
    }
  }
  const g = new Float32Array(n); for (let i = 0; i < n; i++) g[i] = mu[i] + sg[i] * noise();
  const out = [];
  for (const precision of ['bf16', 'fp16']) for (const implementation of ['foreach', 'fused']) {
    const o = { lr, betas: [b1, b2], eps: 1e-8, weightDecay: wd, precision, implementation };
    const ex = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: T, grad: g }, o);
    const es = simulateAdamStep({ weight: w, expAvg: m, expAvgSq: v, step: T }, { ...o, estimate: { sample: 8000 } });
    out.push(`${precision}/${implementation}: ${(100 * ex.counts.unchanged / n).toFixed(1)}% est ${(100 * es.counts.unchanged / n).toFixed(1)}% (${(100 * (es.counts.unchanged - ex.counts.unchanged) / n).toFixed(2)}) nf ${ex.counts.nonFinite}/${es.counts.nonFinite.toFixed(0)}`);
  }
  return out.join(' | ');
}
const cfgs = [
  ['normal, snr 0.3', {}],
  ['normal, snr 1', { snr: 1 }],
  ['normal, snr 0.05', { snr: 0.05 }],
  ['student-t3', { noise: student3 }],
  ['drift 1 (grads 2x early)', { drift: 1 }],
  ['b2 0.95, lr 3e-4, T 100', { b2: 0.95, lr: 3e-4, T: 100 }],
  ['tiny grads 1e-5 (fp16 flush)', { scale: 1e-5 }],
  ['lr 1e-5', { lr: 1e-5 }],
  ['T 20', { T: 20 }],
];
for (const [name, c] of cfgs) console.log(name.padEnd(30), run(c));
