// Benchmark of the training section of `lowp check` (the built CLI, dist/cli/main.js) on an HF Trainer
// folder of about 1 GiB of float32 weights (bench/_training-folder.ts, written with the tests' torch.save
// writer through tsx: model.safetensors, optimizer.pt ≈ 2× the weights, trainer_state.json), against a
// plain sequential read of model.safetensors and optimizer.pt, both from the disk (evicted from the page
// cache before each run with dd oflag=nocache, as in bench/cli.mjs). Each repetition pairs the two runs
// (evict, plain read; evict, lowp check) and prints the ratio; also `lowp check --no-training` (the cast
// analysis of the weights alone) and, from lowp's JSON, the seconds the training section itself took.
// Usage: npm run build && node bench/training.mjs [--mib 1024] [--reps 5] [--to bf16] [--keep DIR] [--json]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.LOWP_BIN ?? join(root, 'dist', 'cli', 'main.js');
const args = process.argv.slice(2);
const arg = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const mib = Number(arg('--mib', 1024));
const reps = Number(arg('--reps', 5));
const to = arg('--to', 'bf16');
const keep = arg('--keep', undefined);
const asJson = args.includes('--json');
if (!existsSync(bin)) {
  console.error(`bench/training.mjs: ${bin} not found; run \`npm run build\` first`);
  process.exit(1);
}

const dir = keep ?? mkdtempSync(join(tmpdir(), 'lowp-bench-training-'));
const files = ['model.safetensors', 'optimizer.pt'].map((f) => join(dir, f));
if (!files.every((f) => existsSync(f))) {
  const t0 = performance.now();
  const w = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', '_training-folder.ts'), dir, String(mib)], { cwd: root, encoding: 'utf8' });
  if (w.status !== 0) {
    console.error(`bench/training.mjs: could not write the folder (${(w.stderr || '').trim().split('\n').pop()})`);
    process.exit(1);
  }
  if (!asJson) console.error(`wrote ${dir} in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${w.stdout.trim()}`);
}
const bytes = files.reduce((a, f) => a + statSync(f).size, 0);

function evict(file) {
  return spawnSync('dd', [`of=${file}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']).status === 0;
}
function evictAll() {
  return files.every(evict);
}
function plainRead() {
  const buf = new Uint8Array(4 * 2 ** 20);
  let sum = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      sum += buf[0];
      pos += n;
    }
    closeSync(fd);
  }
  return sum;
}
function lowp(extra) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'check', dir, '--to', to, '--json', ...extra], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`lowp check exited with ${r.status}: ${r.stderr}`);
  return { ms, doc: JSON.parse(r.stdout) };
}

if (!evictAll()) {
  console.error('bench/training.mjs: cannot evict files from the page cache (dd oflag=nocache); the figures need a cold cache');
  process.exit(1);
}
const runs = [];
for (let i = 0; i < reps; i++) {
  evictAll();
  let t0 = performance.now();
  plainRead();
  const plainMs = performance.now() - t0;
  evictAll();
  const full = lowp([]);
  evictAll();
  const castOnly = lowp(['--no-training']);
  const t = full.doc.training;
  if (!t || t.status !== 'analysed') throw new Error('no training section in the report');
  runs.push({
    plainMs, lowpMs: full.ms, ratio: full.ms / plainMs, castOnlyMs: castOnly.ms, trainingSeconds: t.seconds, castSeconds: full.doc.check.seconds,
    weights: t.implementations.foreach.elements, unchanged: t.implementations.foreach.unchangedFraction,
  });
  if (!asJson) {
    const r = runs[runs.length - 1];
    console.log(`run ${i + 1}: plain read ${(plainMs / 1000).toFixed(2)} s (${(bytes / 1e6 / (plainMs / 1000)).toFixed(0)} MB/s); lowp check --to ${to} ${(r.lowpMs / 1000).toFixed(2)} s = ${r.ratio.toFixed(2)}× (cast part ${r.castSeconds.toFixed(2)} s, training section ${r.trainingSeconds.toFixed(2)} s; --no-training ${(r.castOnlyMs / 1000).toFixed(2)} s)`);
  }
}
const ratios = runs.map((r) => r.ratio).sort((a, b) => a - b);
const summary = { node: process.version, mib, bytes, to, reps, median: ratios[Math.floor(ratios.length / 2)], min: ratios[0], max: ratios[ratios.length - 1], runs };
if (asJson) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`\n${(bytes / 2 ** 30).toFixed(2)} GiB read (model.safetensors ${(statSync(files[0]).size / 2 ** 30).toFixed(2)} GiB + optimizer.pt), ${runs[0].weights.toLocaleString('en')} weights, Node ${process.version}`);
  console.log(`ratio lowp check (with the training section) / plain cold read: median ${summary.median.toFixed(2)}×, min ${summary.min.toFixed(2)}×, max ${summary.max.toFixed(2)}× over ${reps} paired runs (target: within 2×)`);
}
if (!keep) rmSync(dir, { recursive: true, force: true });
